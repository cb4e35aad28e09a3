//! One kept row as a line of the rows file: a JSON object
//! `{"number":N,"version":V,"known":{…}}` ending in a newline, so that the
//! file is plain JSON Lines for anyone who reads it, and so that the key can
//! be read without parsing the row (opening a file of 10⁵ rows reads only
//! the keys; a row is parsed when it is asked for).

use super::KnownRow;

const NUMBER: &[u8] = b"{\"number\":";
const VERSION: &[u8] = b",\"version\":";
const KNOWN: &[u8] = b",\"known\":";

/// The line for version `version` of dossier `number`, newline included,
/// and where the row's JSON sits in it.
pub(super) fn frame(number: u64, version: u32, row: &KnownRow) -> Option<(Vec<u8>, usize)> {
    let json = serde_json::to_vec(row).ok()?;
    let mut line = Vec::with_capacity(json.len() + 48);
    line.extend_from_slice(NUMBER);
    line.extend_from_slice(number.to_string().as_bytes());
    line.extend_from_slice(VERSION);
    line.extend_from_slice(version.to_string().as_bytes());
    line.extend_from_slice(KNOWN);
    let start = line.len();
    line.extend_from_slice(&json);
    line.extend_from_slice(b"}\n");
    Some((line, start))
}

/// A line's key and the span of its row's JSON; `None` for anything that is
/// not a whole line of ours (a torn write, bytes of another program). The
/// row itself is checked when it is parsed.
pub(super) fn key(line: &[u8]) -> Option<(u64, u32, std::ops::Range<usize>)> {
    let rest = line.strip_prefix(NUMBER)?;
    let (number, rest) = digits(rest)?;
    let rest = rest.strip_prefix(VERSION)?;
    let (version, rest) = digits(rest)?;
    let rest = rest.strip_prefix(KNOWN)?;
    let body = rest.strip_suffix(b"}\n")?;
    let start = line.len() - rest.len();
    Some((
        number,
        u32::try_from(version).ok()?,
        start..start + body.len(),
    ))
}

fn digits(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let n = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
    let value = std::str::from_utf8(&bytes[..n]).ok()?.parse().ok()?;
    Some((value, &bytes[n..]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::row::Row;

    #[test]
    fn a_line_is_json_and_gives_back_its_key_and_row() {
        let mut row = Row::new();
        row.insert("id".into(), "12".into());
        row.insert("note".into(), "a \"quoted\"\nline }".into());
        let kept = KnownRow::new(row, Vec::new());
        let (line, start) = frame(12, 3, &kept).expect("framed");
        assert_eq!(line.iter().filter(|b| **b == b'\n').count(), 1);
        let doc: serde_json::Value = serde_json::from_slice(&line).expect("json");
        assert_eq!(
            (doc["number"].as_u64(), doc["version"].as_u64()),
            (Some(12), Some(3))
        );
        let (n, v, span) = key(&line).expect("key");
        assert_eq!((n, v, span.start), (12, 3, start));
        let back: KnownRow = serde_json::from_slice(&line[span]).expect("row");
        assert_eq!(back, kept);
    }

    #[test]
    fn torn_or_foreign_lines_have_no_key() {
        let (line, _) = frame(1, 1, &KnownRow::new(Row::new(), Vec::new())).expect("framed");
        for cut in [1, 12, line.len() - 1] {
            assert_eq!(key(&line[..cut]), None, "cut at {cut}");
        }
        assert_eq!(key(b"{\"number\":x,\"version\":1,\"known\":{}}\n"), None);
        assert_eq!(key(b"\0\0\0\n"), None);
    }
}
