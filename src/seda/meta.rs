//! Reading a bag's `data/metadata.json` (and `data/dossier.json`) for the
//! SEDA description, tolerantly.
//!
//! The SEDA generator reads bags made by any version of ds-archive, so it
//! reads JSON values by path and treats a missing or odd value as absent
//! instead of refusing the bag (the integrity gate has already checked the
//! bytes). Pure helpers shared by [`super::plan`], [`super::people`],
//! [`super::events`] and [`super::formats`].

use serde_json::Value;

use crate::model::DossierState;

/// The dossier's state, from the legacy name, the v2 name or dossier.json.
pub fn state(meta: &Value, dossier: &Value) -> Option<DossierState> {
    let legacy = match str_key(meta, "state") {
        Some("initiated") => Some(DossierState::EnConstruction),
        Some("received") => Some(DossierState::EnInstruction),
        Some("closed") => Some(DossierState::Accepte),
        Some("refused") => Some(DossierState::Refuse),
        Some("without_continuation") => Some(DossierState::SansSuite),
        _ => None,
    };
    legacy
        .or_else(|| str_key(meta, "ds_state").and_then(DossierState::from_api))
        .or_else(|| str_key(dossier, "state").and_then(DossierState::from_api))
}

/// The French label of the dossier's state.
pub fn state_label(meta: &Value, dossier: &Value) -> Option<&'static str> {
    state(meta, dossier).map(DossierState::label_fr)
}
/// The `files[]` entry of metadata.json for a bag path.
pub fn file_entry<'a>(meta: &'a Value, bag_path: &str) -> Option<&'a Value> {
    meta.get("files")?
        .as_array()?
        .iter()
        .find(|f| str_key(f, "path") == Some(bag_path))
}

/// `YYYY-MM-DD` of an RFC 3339 date-time (in its own offset) or of a date.
#[must_use]
pub fn date_part(value: Option<&str>) -> Option<String> {
    let value = value?;
    let date = if value.len() > 10 {
        super::config::parse_transfer_date(value).ok()?;
        &value[..10]
    } else {
        value
    };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let parsed = time::Date::parse(date, &format).ok()?;
    // Vitam's date pattern only accepts years 0000-8999.
    (parsed.year() < 9000 && parsed.year() >= 0).then(|| date.to_owned())
}

/// A string member of an object.
pub fn str_key<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// A string at a path of object keys.
pub fn path_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str()
}

/// A number (or numeric string) at a path of object keys.
pub fn path_u64(v: &Value, path: &[&str]) -> Option<u64> {
    let v = path.iter().try_fold(v, |v, k| v.get(k))?;
    v.as_u64().or_else(|| v.as_str()?.parse().ok())
}

/// An RFC 3339 date-time that SEDA's `DateType` and Vitam accept (offset
/// given, year below 9000).
pub fn date_time(value: Option<&str>) -> Option<String> {
    let value = value?;
    date_part(Some(value))?;
    (value.len() > 10).then(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_checked_before_use() {
        assert_eq!(date_part(Some("9999-01-01")), None);
        assert_eq!(date_part(Some("garbage-not-a-date")), None);
        assert_eq!(
            date_part(Some("2024-05-02T23:30:00+02:00")).as_deref(),
            Some("2024-05-02")
        );
        assert_eq!(
            date_time(Some("2024-05-02T23:30:00+02:00")).as_deref(),
            Some("2024-05-02T23:30:00+02:00")
        );
        assert_eq!(date_time(Some("2024-05-02")), None);
        assert_eq!(date_time(Some("2024-05-02T23:30:00")), None);
    }
}
