//! Option values as people type them: sizes (`1G`, `500MiB`) and dates
//! (`2024-01-01` as well as full RFC 3339).
//!
//! A bare date means midnight in Paris, as DS's own interface does, so
//! `--since 2024-07-01` lists what an instructeur sees as "modified since
//! July 1st". The offset follows the EU rule (summer time from the last
//! Sunday of March to the last Sunday of October, switching at 01:00 UTC),
//! computed here rather than read from a time-zone database the machine may
//! not have; the rule has been fixed since 1996.

use time::format_description::well_known::Rfc3339;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

/// `--since`: an RFC 3339 date-time, or a bare `YYYY-MM-DD` read as
/// midnight Europe/Paris. Returns the RFC 3339 form sent to DS.
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_since(value: &str) -> Result<String, String> {
    let v = value.trim();
    if OffsetDateTime::parse(v, &Rfc3339).is_ok() {
        return Ok(v.to_owned());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(v, &format).map_err(|_| {
        format!(
            "--since `{value}` is neither a date (2024-01-31) nor an RFC 3339 date-time \
             (2024-01-31T08:00:00+01:00)"
        )
    })?;
    let midnight = PrimitiveDateTime::new(date, Time::MIDNIGHT).assume_offset(paris_offset(date));
    midnight
        .format(&Rfc3339)
        .map_err(|e| format!("--since `{value}`: {e}"))
}

/// Paris's UTC offset at midnight (local) of `date`: +02:00 after the last
/// Sunday of March up to and including the last Sunday of October (both
/// switches happen at 01:00 UTC, after local midnight), +01:00 otherwise.
fn paris_offset(date: Date) -> UtcOffset {
    let year = date.year();
    let summer = match (
        last_sunday(year, Month::March),
        last_sunday(year, Month::October),
    ) {
        (Some(start), Some(end)) => date > start && date <= end,
        _ => false,
    };
    let hours = if summer { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The last Sunday of a 31-day month.
fn last_sunday(year: i32, month: Month) -> Option<Date> {
    let last = Date::from_calendar_date(year, month, 31).ok()?;
    let back = last.weekday().number_days_from_sunday();
    last.checked_sub(time::Duration::days(i64::from(back)))
        .filter(|d| d.weekday() == Weekday::Sunday)
}

/// A byte size: a number with an optional unit. `K`, `M`, `G`, `T` (with or
/// without `B`) are powers of 1000; `KiB`, `MiB`, `GiB`, `TiB` powers of
/// 1024; `B` or nothing means bytes. Case does not matter; a decimal point is
/// allowed (`1.5G`).
///
/// # Errors
/// A message naming the value and the accepted forms.
pub fn parse_size(value: &str) -> Result<u64, String> {
    let bad = || {
        format!("`{value}` is not a size (e.g. 1000000, 500M, 1G, 1.5GB, 2GiB; K/M/G/T = 1000^n, KiB/MiB/GiB/TiB = 1024^n)")
    };
    let v = value.trim();
    let split = v
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(v.len());
    let (number, unit) = v.split_at(split);
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad());
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    let mut bytes = whole.checked_mul(multiplier).ok_or_else(bad)?;
    if !fraction.is_empty() {
        if fraction.len() > 9 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let digits: u64 = fraction.parse().map_err(|_| bad())?;
        let scale = 10u64.pow(u32::try_from(fraction.len()).map_err(|_| bad())?);
        let part = u128::from(digits) * u128::from(multiplier) / u128::from(scale);
        bytes = bytes
            .checked_add(u64::try_from(part).map_err(|_| bad())?)
            .ok_or_else(bad)?;
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_dates_are_paris_midnight_with_the_season_offset() {
        let since = |d: &str| parse_since(d).expect(d);
        assert_eq!(since("2024-01-01"), "2024-01-01T00:00:00+01:00");
        assert_eq!(since("2024-07-14"), "2024-07-14T00:00:00+02:00");
        // 2024: summer time from Sunday 31 March to Sunday 27 October.
        assert_eq!(since("2024-03-30"), "2024-03-30T00:00:00+01:00");
        assert_eq!(since("2024-03-31"), "2024-03-31T00:00:00+01:00");
        assert_eq!(since("2024-04-01"), "2024-04-01T00:00:00+02:00");
        assert_eq!(since("2024-10-27"), "2024-10-27T00:00:00+02:00");
        assert_eq!(since("2024-10-28"), "2024-10-28T00:00:00+01:00");
        // 2025: 30 March and 26 October.
        assert_eq!(since("2025-03-30"), "2025-03-30T00:00:00+01:00");
        assert_eq!(since("2025-03-31"), "2025-03-31T00:00:00+02:00");
        assert_eq!(since("2025-10-26"), "2025-10-26T00:00:00+02:00");
        assert_eq!(since("2025-10-27"), "2025-10-27T00:00:00+01:00");
    }

    #[test]
    fn rfc3339_passes_through_and_nonsense_is_refused() {
        let full = "2024-01-31T08:00:00+01:00";
        assert_eq!(parse_since(full).expect("ok"), full);
        for bad in ["2024-13-01", "yesterday", "2024-01-01T00:00", ""] {
            let e = parse_since(bad).expect_err(bad);
            assert!(e.contains("--since"), "{e}");
        }
    }

    #[test]
    fn sizes_take_si_and_binary_units() {
        let size = |s: &str| parse_size(s).expect(s);
        assert_eq!(size("1000"), 1000);
        assert_eq!(size("1G"), 1_000_000_000);
        assert_eq!(size("1GB"), 1_000_000_000);
        assert_eq!(size("1gb"), 1_000_000_000);
        assert_eq!(size("1GiB"), 1 << 30);
        assert_eq!(size("500M"), 500_000_000);
        assert_eq!(size("2KiB"), 2048);
        assert_eq!(size("3T"), 3_000_000_000_000);
        assert_eq!(size("1.5G"), 1_500_000_000);
        assert_eq!(size("0.5KiB"), 512);
        assert_eq!(size("10B"), 10);
        for bad in ["", "G", "1X", "1.2.3G", "-1G", "99999999999T", "."] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
