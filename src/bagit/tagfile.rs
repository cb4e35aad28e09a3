//! The tag files that say what a bag is: `bagit.txt` (version and tag-file
//! encoding), `bag-info.txt` (labels, continuation lines, `Payload-Oxum`),
//! and the decoding of tag files in their declared encoding.
//!
//! One reader for `verify` (which gives each defect its stable finding code)
//! and `seda` (which only needs to know whether manifest paths are
//! percent-encoded). Parsers never stop at the first bad line: they return
//! what they could read and push one typed [`TagDefect`] per defect, and do
//! no I/O, which is what the fuzz targets rely on.

use super::manifest::lines;

/// What is wrong with a tag file, for the caller to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagDefectKind {
    /// A UTF-8 byte-order mark (RFC 8493 forbids it).
    Bom,
    /// Bytes that are not in the declared encoding, or an unknown encoding.
    Encoding,
    /// `bagit.txt` not in its exact two-line form.
    BagitTxt,
    /// A `bag-info.txt` line that cannot be read.
    BagInfo,
    /// Whitespace before a `bag-info.txt` label's colon: forbidden by RFC
    /// 8493 but written by bagit-python and valid in the LoC suite.
    BagInfoLabel,
    /// `Payload-Oxum` repeated or malformed.
    Oxum,
}

/// One defect of a tag file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagDefect {
    /// What kind.
    pub kind: TagDefectKind,
    /// The tag file, relative to the bag.
    pub file: &'static str,
    /// What exactly, with the line number where there is one.
    pub message: String,
}

impl TagDefect {
    fn new(kind: TagDefectKind, file: &'static str, message: impl Into<String>) -> Self {
        Self {
            kind,
            file,
            message: message.into(),
        }
    }
}

/// A tag-file character encoding a bag reader can decode.
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

/// Decode a tag file; the error is the kind and message of the defect.
pub fn decode(bytes: &[u8], encoding: TagEncoding) -> Result<String, (TagDefectKind, String)> {
    match encoding {
        TagEncoding::Utf8 => {
            if bytes.starts_with(b"\xEF\xBB\xBF") {
                return Err((
                    TagDefectKind::Bom,
                    "starts with a UTF-8 byte-order mark".into(),
                ));
            }
            String::from_utf8(bytes.to_vec()).map_err(|e| {
                let at = e.utf8_error().valid_up_to();
                (
                    TagDefectKind::Encoding,
                    format!("not valid UTF-8 (byte {at})"),
                )
            })
        }
        TagEncoding::Ascii => match bytes.iter().position(|b| !b.is_ascii()) {
            Some(at) => Err((TagDefectKind::Encoding, format!("not US-ASCII (byte {at})"))),
            None => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        },
        TagEncoding::Latin1 => Ok(bytes.iter().map(|&b| char::from(b)).collect()),
        TagEncoding::Utf16 | TagEncoding::Utf16Be | TagEncoding::Utf16Le => {
            decode_utf16(bytes, encoding)
        }
    }
}

fn decode_utf16(bytes: &[u8], encoding: TagEncoding) -> Result<String, (TagDefectKind, String)> {
    let (big_endian, body) = match (encoding, bytes) {
        (TagEncoding::Utf16Le, [0xFF, 0xFE, rest @ ..]) => (false, rest),
        (TagEncoding::Utf16Le, _) => (false, bytes),
        (_, [0xFE, 0xFF, rest @ ..]) => (true, rest),
        (TagEncoding::Utf16, [0xFF, 0xFE, rest @ ..]) => (false, rest),
        _ => (true, bytes),
    };
    if body.len() % 2 != 0 {
        return Err((
            TagDefectKind::Encoding,
            "odd number of bytes for UTF-16".into(),
        ));
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
        .map_err(|e| (TagDefectKind::Encoding, format!("not valid UTF-16: {e}")))
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

/// Parse `bagit.txt`. On any defect a [`TagDefect`] is pushed and the best guess
/// (falling back to 1.0 and UTF-8) is returned so the other checks still run.
pub fn parse_bagit_txt(bytes: &[u8], out: &mut Vec<TagDefect>) -> Declaration {
    const NAME: &str = "bagit.txt";
    let mut decl = Declaration {
        version: (1, 0),
        encoding: TagEncoding::Utf8,
    };
    let body = if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        out.push(TagDefect::new(
            TagDefectKind::Bom,
            NAME,
            "starts with a UTF-8 byte-order mark",
        ));
        rest
    } else {
        bytes
    };
    let Ok(text) = std::str::from_utf8(body) else {
        out.push(TagDefect::new(
            TagDefectKind::Encoding,
            NAME,
            "bagit.txt must be UTF-8",
        ));
        return decl;
    };
    let all = lines(text);
    let expected = ["BagIt-Version", "Tag-File-Character-Encoding"];
    if all.len() != 2 {
        out.push(TagDefect::new(
            TagDefectKind::BagitTxt,
            NAME,
            format!("expected 2 lines, found {}", all.len()),
        ));
    }
    for (i, line) in all.iter().enumerate() {
        let Some((label, value)) = line.split_once(':') else {
            out.push(TagDefect::new(
                TagDefectKind::BagitTxt,
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
            out.push(TagDefect::new(TagDefectKind::BagitTxt, NAME, msg));
        }
        if !value.starts_with([' ', '\t']) {
            out.push(TagDefect::new(
                TagDefectKind::BagitTxt,
                NAME,
                format!("line {}: no space after the colon", i + 1),
            ));
        }
        let value = value.trim();
        match (expected.get(i), label.trim()) {
            (Some(&want), got) if want == got => {}
            (want, got) => {
                let want = want.unwrap_or(&"nothing");
                out.push(TagDefect::new(
                    TagDefectKind::BagitTxt,
                    NAME,
                    format!("line {}: expected `{want}`, found `{got}`", i + 1),
                ));
                continue;
            }
        }
        if i == 0 {
            match parse_version(value) {
                Some(v) => decl.version = v,
                None => out.push(TagDefect::new(
                    TagDefectKind::BagitTxt,
                    NAME,
                    format!("bad BagIt-Version `{value}`"),
                )),
            }
        } else if let Some(enc) = TagEncoding::from_name(value) {
            decl.encoding = enc;
        } else {
            out.push(TagDefect::new(
                TagDefectKind::Encoding,
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
pub fn parse_bag_info(text: &str, out: &mut Vec<TagDefect>) -> Vec<(String, String)> {
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
                None => out.push(TagDefect::new(
                    TagDefectKind::BagInfo,
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
                    out.push(TagDefect::new(TagDefectKind::BagInfoLabel, NAME, msg));
                }
                pairs.push((trimmed.to_owned(), value.trim().to_owned()));
            }
            Some(_) => {
                let msg = format!("line {}: empty label before the colon", i + 1);
                out.push(TagDefect::new(TagDefectKind::BagInfo, NAME, msg));
            }
            None => out.push(TagDefect::new(
                TagDefectKind::BagInfo,
                NAME,
                format!("line {}: no colon", i + 1),
            )),
        }
    }
    pairs
}

/// The Payload-Oxum `(octets, files)`, if declared exactly once and well formed.
pub fn payload_oxum(info: &[(String, String)], out: &mut Vec<TagDefect>) -> Option<(u64, u64)> {
    let values: Vec<&str> = info
        .iter()
        .filter(|(l, _)| l.eq_ignore_ascii_case("Payload-Oxum"))
        .map(|(_, v)| v.as_str())
        .collect();
    if values.len() > 1 {
        out.push(TagDefect::new(
            TagDefectKind::Oxum,
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
        out.push(TagDefect::new(
            TagDefectKind::Oxum,
            "bag-info.txt",
            format!("malformed Payload-Oxum `{value}`"),
        ));
    }
    parsed
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
