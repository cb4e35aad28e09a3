//! Pure parsers for BagIt tag files: `bagit.txt`, `bag-info.txt`, payload and
//! tag manifests, `fetch.txt`, and the decoding of tag files in their declared
//! character encoding.
//!
//! Parsers never stop at the first bad line: they return what they could read
//! and push one finding per defect (with an empty bundle name, filled in by
//! the caller). They do no I/O, which is what the fuzz targets rely on.

use super::codes::Code;
use super::report::Finding;
use crate::bagit::manifest::lines;

mod manifest;

pub use manifest::{parse_fetch, parse_manifest, Entry};

/// A tag-file character encoding verify can decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagEncoding {
    /// UTF-8 (a BOM is an error).
    Utf8,
    /// US-ASCII.
    Ascii,
    /// ISO-8859-1 (Latin-1).
    Latin1,
    /// UTF-16, byte order from the BOM, big-endian without one.
    Utf16,
    /// UTF-16 big-endian.
    Utf16Be,
    /// UTF-16 little-endian.
    Utf16Le,
}

impl TagEncoding {
    /// Parse a `Tag-File-Character-Encoding` value, case-insensitively.
    #[must_use]
    pub fn from_name(name: &str) -> Option<Self> {
        Some(
            match name.trim().to_ascii_uppercase().replace('_', "-").as_str() {
                "UTF-8" | "UTF8" => Self::Utf8,
                "US-ASCII" | "ASCII" => Self::Ascii,
                "ISO-8859-1" | "ISO8859-1" | "LATIN1" | "LATIN-1" => Self::Latin1,
                "UTF-16" | "UTF16" => Self::Utf16,
                "UTF-16BE" => Self::Utf16Be,
                "UTF-16LE" => Self::Utf16Le,
                _ => return None,
            },
        )
    }
}

/// Decode a tag file; the error is the code and message of the defect.
pub fn decode(bytes: &[u8], encoding: TagEncoding) -> Result<String, (Code, String)> {
    match encoding {
        TagEncoding::Utf8 => {
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                return Err((Code::Bom, "starts with a UTF-8 byte-order mark".into()));
            }
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                (Code::Encoding, format!("not valid UTF-8 (byte {at})"))
            })
        }
        TagEncoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
            Some(at) => Err((Code::Encoding, format!("not US-ASCII (byte {at})"))),
            None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        },
        TagEncoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        TagEncoding::Utf16 | TagEncoding::Utf16Be | TagEncoding::Utf16Le => {
            decode_utf16(bytes, encoding)
        }
    }
}

fn decode_utf16(bytes: &[u8], encoding: TagEncoding) -> Result<String, (Code, String)> {
    let (big_endian, body) = match (encoding, bytes) {
        (TagEncoding::Utf16Le, [0xFF, 0xFE, rest @ ..]) => (false, rest),
        (TagEncoding::Utf16Le, _) => (false, bytes),
        (_, [0xFE, 0xFF, rest @ ..]) => (true, rest),
        (TagEncoding::Utf16, [0xFF, 0xFE, rest @ ..]) => (false, rest),
        _ => (true, bytes),
    };
    if body.len() % 2 != 0 {
        return Err((Code::Encoding, "odd number of bytes for UTF-16".into()));
    }
    let units = body.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .collect::<Result<String, _>>()
        .map_err(|e| (Code::Encoding, format!("not valid UTF-16: {e}")))
}

/// The BagIt version, as `(major, minor)`.
pub type Version = (u32, u32);

/// What `bagit.txt` declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declaration {
    /// `BagIt-Version`.
    pub version: Version,
    /// `Tag-File-Character-Encoding`.
    pub encoding: TagEncoding,
}

impl Declaration {
    /// Whether manifest paths are percent-encoded (1.0 and later).
    #[must_use]
    pub fn percent_encoded(&self) -> bool {
        self.version >= (1, 0)
    }
}

pub(crate) fn finding(code: Code, path: &str, message: impl Into<String>) -> Finding {
    Finding::new(code, "", path, message)
}

/// Parse `bagit.txt`. On any defect a finding is pushed and the best guess
/// (falling back to 1.0 and UTF-8) is returned so the other checks still run.
pub fn parse_bagit_txt(bytes: &[u8], out: &mut Vec<Finding>) -> Declaration {
    const NAME: &str = "bagit.txt";
    let mut decl = Declaration {
        version: (1, 0),
        encoding: TagEncoding::Utf8,
    };
    let body = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        out.push(finding(
            Code::Bom,
            NAME,
            "starts with a UTF-8 byte-order mark",
        ));
        rest
    } else {
        bytes
    };
    let Ok(text) = std::str::from_utf8(body) else {
        out.push(finding(Code::Encoding, NAME, "bagit.txt must be UTF-8"));
        return decl;
    };
    let all = lines(text);
    let expected = ["BagIt-Version", "Tag-File-Character-Encoding"];
    if all.len() != 2 {
        out.push(finding(
            Code::BagitTxt,
            NAME,
            format!("expected 2 lines, found {}", all.len()),
        ));
    }
    for (i, line) in all.iter().enumerate() {
        let Some((label, value)) = line.split_once(':') else {
            out.push(finding(
                Code::BagitTxt,
                NAME,
                format!("line {}: no colon", i + 1),
            ));
            continue;
        };
        if label != label.trim() {
            let msg = format!(
                "line {}: whitespace around the label `{}`",
                i + 1,
                label.trim()
            );
            out.push(finding(Code::BagitTxt, NAME, msg));
        }
        if !value.starts_with([' ', '\t']) {
            out.push(finding(
                Code::BagitTxt,
                NAME,
                format!("line {}: no space after the colon", i + 1),
            ));
        }
        let value = value.trim();
        match (expected.get(i), label.trim()) {
            (Some(&want), got) if want == got => {}
            (want, got) => {
                let want = want.unwrap_or(&"nothing");
                out.push(finding(
                    Code::BagitTxt,
                    NAME,
                    format!("line {}: expected `{want}`, found `{got}`", i + 1),
                ));
                continue;
            }
        }
        if i == 0 {
            match parse_version(value) {
                Some(v) => decl.version = v,
                None => out.push(finding(
                    Code::BagitTxt,
                    NAME,
                    format!("bad BagIt-Version `{value}`"),
                )),
            }
        } else if let Some(enc) = TagEncoding::from_name(value) {
            decl.encoding = enc;
        } else {
            out.push(finding(
                Code::Encoding,
                NAME,
                format!("unsupported tag-file encoding `{value}`"),
            ));
        }
    }
    decl
}

fn parse_version(s: &str) -> Option<Version> {
    let (a, b) = s.split_once('.')?;
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    if !digits(a) || !digits(b) {
        return None;
    }
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Parse `bag-info.txt` into `(label, value)` pairs, continuations joined.
pub fn parse_bag_info(text: &str, out: &mut Vec<Finding>) -> Vec<(String, String)> {
    const NAME: &str = "bag-info.txt";
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (i, line) in lines(text).into_iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with([' ', '\t']) {
            match pairs.last_mut() {
                Some((_, value)) => {
                    value.push(' ');
                    value.push_str(line.trim());
                }
                None => out.push(finding(
                    Code::BagInfo,
                    NAME,
                    format!("line {}: continuation with no label", i + 1),
                )),
            }
            continue;
        }
        match line.split_once(':') {
            Some((label, value)) if !label.trim_end().is_empty() => {
                let trimmed = label.trim_end();
                if trimmed != label {
                    // RFC 8493 forbids it, but bagit-python writes and reads
                    // it and the LoC conformance suite files it as valid.
                    let msg = format!(
                        "line {}: whitespace before the colon of label `{trimmed}` (read as `{trimmed}`)",
                        i + 1
                    );
                    out.push(finding(Code::BagInfoLabel, NAME, msg));
                }
                pairs.push((trimmed.to_owned(), value.trim().to_owned()));
            }
            Some(_) => {
                let msg = format!("line {}: empty label before the colon", i + 1);
                out.push(finding(Code::BagInfo, NAME, msg));
            }
            None => out.push(finding(
                Code::BagInfo,
                NAME,
                format!("line {}: no colon", i + 1),
            )),
        }
    }
    pairs
}

/// The Payload-Oxum `(octets, files)`, if declared exactly once and well formed.
pub fn payload_oxum(info: &[(String, String)], out: &mut Vec<Finding>) -> Option<(u64, u64)> {
    let values: Vec<&str> = info
        .iter()
        .filter(|(l, _)| l.eq_ignore_ascii_case("Payload-Oxum"))
        .map(|(_, v)| v.as_str())
        .collect();
    if values.len() > 1 {
        out.push(finding(
            Code::Oxum,
            "bag-info.txt",
            "Payload-Oxum appears more than once",
        ));
        return None;
    }
    let value = values.first()?;
    let parsed = value
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u64>().ok()?, b.parse::<u64>().ok()?)));
    if parsed.is_none() {
        out.push(finding(
            Code::Oxum,
            "bag-info.txt",
            format!("malformed Payload-Oxum `{value}`"),
        ));
    }
    parsed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn lines_handle_all_terminators() {
        assert_eq!(lines("a\nb\n"), ["a", "b"]);
        assert_eq!(lines("a\r\nb\r\n"), ["a", "b"]);
        assert_eq!(lines("a\rb"), ["a", "b"]);
        assert_eq!(lines("a\n\nb"), ["a", "", "b"]);
        assert_eq!(lines(""), Vec::<&str>::new());
    }

    #[test]
    fn bagit_txt_exact_form() {
        let mut f = Vec::new();
        let d = parse_bagit_txt(
            b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-16BE\n",
            &mut f,
        );
        assert!(f.is_empty(), "{f:?}");
        assert_eq!(
            d,
            Declaration {
                version: (0, 97),
                encoding: TagEncoding::Utf16Be
            }
        );

        let mut f = Vec::new();
        parse_bagit_txt(
            b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n",
            &mut f,
        );
        assert_eq!(codes(&f), ["E_BAGIT_TXT"]);

        let mut f = Vec::new();
        parse_bagit_txt(
            b"\xEF\xBB\xBFBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
            &mut f,
        );
        assert_eq!(codes(&f), ["E_BOM"]);

        let mut f = Vec::new();
        parse_bagit_txt(
            b"BagIt-Version: .97\nTag-File-Character-Encoding: KOI8-R\n",
            &mut f,
        );
        assert_eq!(codes(&f), ["E_BAGIT_TXT", "E_ENCODING"]);
    }

    #[test]
    fn bag_info_and_oxum() {
        let mut f = Vec::new();
        let info = parse_bag_info(
            "Source-Organization: X\n  continued\nPayload-Oxum: 12.3\n: y\nOdd Label\t: z\n",
            &mut f,
        );
        assert_eq!(info[0].1, "X continued");
        assert_eq!(payload_oxum(&info, &mut f), Some((12, 3)));
        assert_eq!(codes(&f), ["E_BAG_INFO", "W_BAG_INFO_LABEL"]);
        assert_eq!(info[2], ("Odd Label".to_owned(), "z".to_owned()));
        // A spaced Payload-Oxum label is still the Payload-Oxum.
        let mut f = Vec::new();
        let info = parse_bag_info("Payload-Oxum : 12.3\n", &mut f);
        assert_eq!(payload_oxum(&info, &mut f), Some((12, 3)));
        assert_eq!(codes(&f), ["W_BAG_INFO_LABEL"]);
        let mut f = Vec::new();
        let info = parse_bag_info("Payload-Oxum: 12\n", &mut f);
        assert_eq!(payload_oxum(&info, &mut f), None);
        assert_eq!(codes(&f), ["E_OXUM"]);
    }

    #[test]
    fn decodes_utf16_and_latin1() {
        let be: Vec<u8> = "é\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
        assert_eq!(
            decode(&be, TagEncoding::Utf16Be).ok().as_deref(),
            Some("é\n")
        );
        let mut le = vec![0xFF, 0xFE];
        le.extend("é".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&le, TagEncoding::Utf16).ok().as_deref(), Some("é"));
        assert_eq!(
            decode(b"\xe9", TagEncoding::Latin1).ok().as_deref(),
            Some("é")
        );
        assert_eq!(
            decode(b"\xe9", TagEncoding::Utf8).map_err(|e| e.0),
            Err(Code::Encoding)
        );
        assert_eq!(
            decode(b"\xEF\xBB\xBFa", TagEncoding::Utf8).map_err(|e| e.0),
            Err(Code::Bom)
        );
    }
}
