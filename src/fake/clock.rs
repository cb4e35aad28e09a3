//! Dates as DS writes and reads them.
//!
//! DS answers `ISO8601DateTime` values with second precision and the Paris
//! offset (`+01:00` in winter, `+02:00` in summer) and accepts RFC 3339 or a
//! bare date on input. The fake needs both directions: to stamp "now" on
//! modified dossiers and generated files, and to compare `updatedSince` with
//! stored dates. The EU summer-time rule is computed here rather than pulling a
//! time-zone database in: it is the only zone DS uses.

use std::time::{SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// Seconds since the epoch, now.
pub(crate) fn now_epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Parse a stored or client-supplied date into nanoseconds since the epoch.
///
/// Accepts RFC 3339 (`2024-03-05T10:12:00+01:00`) and a bare date
/// (`2024-03-05`, taken as Paris midnight), like DS's `ISO8601DateTime` input.
pub(crate) fn parse_instant(s: &str) -> Option<i128> {
    if let Ok(t) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some(t.unix_timestamp_nanos());
    }
    let date = Date::parse(s, format_description!("[year]-[month]-[day]")).ok()?;
    let local = PrimitiveDateTime::new(date, Time::MIDNIGHT);
    // Midnight is never inside a DST switch hour, so the UTC guess is exact enough.
    let offset = paris_offset(local.assume_utc());
    Some(local.assume_offset(offset).unix_timestamp_nanos())
}

/// Format an epoch instant the way DS does: seconds, Paris offset.
pub(crate) fn format_paris(epoch_secs: i64) -> String {
    let utc = OffsetDateTime::from_unix_timestamp(epoch_secs).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let local = utc.to_offset(paris_offset(utc));
    local
        .format(format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second][offset_hour sign:mandatory]:[offset_minute]"
        ))
        .unwrap_or_default()
}

/// Now, formatted like DS.
pub(crate) fn paris_now() -> String {
    format_paris(i64::try_from(now_epoch()).unwrap_or(0))
}

/// Render time of generated files (dossier PDF, GeoJSON), frozen by
/// [`freeze_render_time`] (0: the real clock).
static FROZEN_RENDER_TIME: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Freeze the time generated files are rendered at (their text and
/// `createdAt`), so two downloads give the same bytes. For tests that compare
/// two archives byte for byte; DS itself renders at the current time.
pub fn freeze_render_time(epoch_secs: i64) {
    FROZEN_RENDER_TIME.store(epoch_secs, std::sync::atomic::Ordering::SeqCst);
}

/// When a generated file is rendered: now, or the frozen time.
pub(crate) fn render_now() -> String {
    match FROZEN_RENDER_TIME.load(std::sync::atomic::Ordering::SeqCst) {
        0 => paris_now(),
        t => format_paris(t),
    }
}

/// The Paris offset at a UTC instant: +02:00 from the last Sunday of March
/// 01:00 UTC to the last Sunday of October 01:00 UTC, +01:00 otherwise.
fn paris_offset(utc: OffsetDateTime) -> UtcOffset {
    let year = utc.year();
    let start = last_sunday_1am_utc(year, Month::March);
    let end = last_sunday_1am_utc(year, Month::October);
    let hours = if utc >= start && utc < end { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

fn last_sunday_1am_utc(year: i32, month: Month) -> OffsetDateTime {
    let mut day = Date::from_calendar_date(year, month, 31).unwrap_or(Date::MIN);
    while day.weekday() != Weekday::Sunday {
        day = day.previous_day().unwrap_or(Date::MIN);
    }
    PrimitiveDateTime::new(day, Time::from_hms(1, 0, 0).unwrap_or(Time::MIDNIGHT)).assume_utc()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn winter_and_summer_offsets() {
        // 2024-03-05 09:12:00 UTC is winter; 2024-07-01 08:00:00 UTC is summer.
        assert_eq!(format_paris(1_709_629_920), "2024-03-05T10:12:00+01:00");
        assert_eq!(format_paris(1_719_820_800), "2024-07-01T10:00:00+02:00");
        // The switch: 2024-03-31 01:00 UTC.
        assert_eq!(format_paris(1_711_846_799), "2024-03-31T01:59:59+01:00");
        assert_eq!(format_paris(1_711_846_800), "2024-03-31T03:00:00+02:00");
    }

    #[test]
    fn parses_rfc3339_and_bare_dates() {
        let a = parse_instant("2024-03-05T10:12:00+01:00");
        assert_eq!(a, Some(1_709_629_920 * 1_000_000_000));
        let b = parse_instant("2024-03-05");
        assert_eq!(b, parse_instant("2024-03-05T00:00:00+01:00"));
        assert_eq!(parse_instant("yesterday"), None);
    }

    #[test]
    fn round_trip() {
        for epoch in [0_i64, 1_709_629_920, 1_719_820_800, 1_735_689_599] {
            let text = format_paris(epoch);
            assert_eq!(
                parse_instant(&text),
                Some(i128::from(epoch) * 1_000_000_000),
                "{text}"
            );
        }
    }
}
