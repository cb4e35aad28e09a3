//! Lexical checks on the values the schemas constrain.
//!
//! `build` refuses a dossier whose dates or digests the schemas would reject,
//! so a written metadata file always validates: a bad value is reported once,
//! at archiving time, naming the dossier and the field, instead of being found
//! years later by `verify`. These functions mirror the `pattern`s of
//! schemas/metadata.schema.json and schemas/metadata.xsd; keep them in step.

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, upper-case `T` and `Z`, and a
/// real calendar instant. DS writes second precision with the Paris offset.
#[must_use]
pub fn is_datetime(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 20 || !is_date_shape(&b[..10]) || b[10] != b'T' {
        return false;
    }
    let time = &b[11..];
    let hms = digits(&time[..2])
        && time[2] == b':'
        && digits(&time[3..5])
        && time[5] == b':'
        && digits(&time[6..8]);
    if !hms {
        return false;
    }
    let mut rest = &time[8..];
    if let Some(frac) = rest.strip_prefix(b".") {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return false;
        }
        rest = &frac[n..];
    }
    let offset_ok = rest == b"Z"
        || (rest.len() == 6
            && matches!(rest[0], b'+' | b'-')
            && digits(&rest[1..3])
            && rest[3] == b':'
            && digits(&rest[4..6]));
    offset_ok && OffsetDateTime::parse(s, &Rfc3339).is_ok()
}

/// `YYYY-MM-DD`, a real calendar day.
#[must_use]
pub fn is_date(s: &str) -> bool {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    s.len() == 10 && is_date_shape(s.as_bytes()) && Date::parse(s, &format).is_ok()
}

/// Lowercase hex of exactly `len` characters.
#[must_use]
pub fn is_lower_hex(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

/// Why a bag path cannot be listed, or `None` when it is fine.
#[must_use]
pub fn bag_path_problem(path: &str) -> Option<&'static str> {
    let Some(rest) = path.strip_prefix("data/") else {
        return Some("does not start with `data/`");
    };
    if rest
        .split('/')
        .any(|seg| seg.is_empty() || seg == "." || seg == "..")
    {
        return Some("has an empty, `.` or `..` segment");
    }
    if path.contains('\\') || path.chars().any(char::is_control) {
        return Some("contains a backslash or a control character");
    }
    if path == super::JSON_PATH || path == super::XML_PATH {
        return Some("is a metadata file itself (it is covered by the manifests)");
    }
    None
}

fn is_date_shape(b: &[u8]) -> bool {
    b.len() == 10
        && digits(&b[..4])
        && b[4] == b'-'
        && digits(&b[5..7])
        && b[7] == b'-'
        && digits(&b[8..10])
}

fn digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetimes_as_ds_writes_them_pass() {
        assert!(is_datetime("2024-03-01T10:15:00+01:00"));
        assert!(is_datetime("2024-07-01T00:00:00.123+02:00"));
        assert!(is_datetime("2024-07-01T00:00:00Z"));
    }

    #[test]
    fn malformed_or_impossible_datetimes_fail() {
        for bad in [
            "",
            "2024-03-01",
            "2024-03-01 10:15:00+01:00",
            "2024-03-01t10:15:00+01:00",
            "2024-03-01T10:15:00",
            "2024-03-01T10:15:00+0100",
            "2024-02-30T10:15:00+01:00",
            "2024-03-01T25:15:00+01:00",
            "2024-03-01T10:15:00.+01:00",
            "2024-03-01T10:15:00+01:00 ",
        ] {
            assert!(!is_datetime(bad), "{bad:?} accepted");
        }
    }

    #[test]
    fn dates() {
        assert!(is_date("1980-02-29"));
        assert!(!is_date("1981-02-29"));
        assert!(!is_date("1980-2-29"));
        assert!(!is_date("1980-02-29T00:00:00Z"));
    }

    #[test]
    fn hex() {
        assert!(is_lower_hex(&"ab".repeat(32), 64));
        assert!(!is_lower_hex(&"AB".repeat(32), 64));
        assert!(!is_lower_hex(&"ab".repeat(31), 64));
        assert!(!is_lower_hex(&"gg".repeat(32), 64));
    }

    #[test]
    fn bag_paths() {
        assert_eq!(bag_path_problem("data/pieces_justificatives/a.pdf"), None);
        assert!(bag_path_problem("pieces_justificatives/a.pdf").is_some());
        assert!(bag_path_problem("data/../bagit.txt").is_some());
        assert!(bag_path_problem("data//a").is_some());
        assert!(bag_path_problem("data/a\nb").is_some());
        assert!(bag_path_problem("data/metadata.json").is_some());
        assert!(bag_path_problem("data/metadata.xml").is_some());
    }
}
