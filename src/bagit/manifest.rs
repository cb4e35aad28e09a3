//! The one reader of BagIt manifest lines (`digest path`): BagIt 1.0
//! percent-decoding, md5sum `*` and `./` leniency, and every path checked not
//! to escape the bag before anyone uses it.
//!
//! It reports what is wrong as typed [`Defect`]s and lets the caller judge:
//! `verify` turns each into a finding with a stable code, `seda`'s integrity
//! gate refuses a bag on the first one that is not a mere leniency.

use std::collections::HashMap;

use super::paths::{percent_decode, unsafe_reason};
use crate::digest::DigestAlg;

/// One manifest entry, its path decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Path relative to the bag root.
    pub path: String,
    /// Lowercase hex digest.
    pub digest: String,
    /// 1-based line number.
    pub line: usize,
}

/// What is wrong with one manifest line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// No space or tab between digest and path: the line is skipped.
    NoSeparator,
    /// The digest is not hex, or not the algorithm's length: skipped.
    NotDigest {
        /// The digest as written.
        digest: String,
    },
    /// md5sum's binary-mode `*` before the path: removed, line kept.
    Md5sumStar,
    /// The path starts with `./`: removed, line kept.
    DotSlash,
    /// The (decoded) path would escape the bag: skipped.
    Unsafe {
        /// The decoded path.
        path: String,
        /// Why it escapes.
        reason: &'static str,
    },
    /// The path was listed on an earlier line: this one is skipped.
    Duplicate {
        /// The decoded path.
        path: String,
        /// The earlier line.
        first_line: usize,
        /// Whether both lines give the same digest.
        same_digest: bool,
    },
}

impl Defect {
    /// Whether the line was still used (a leniency, not an error).
    #[must_use]
    pub fn is_leniency(&self) -> bool {
        matches!(self, Self::Md5sumStar | Self::DotSlash)
    }
}

/// Split text into lines on LF, CRLF or CR; a final terminator adds no line.
#[must_use]
pub fn lines(text: &str) -> Vec<&str> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                out.push(&text[start..i]);
                i += 1;
                start = i;
            }
            b'\r' => {
                out.push(&text[start..i]);
                i += if bytes.get(i + 1) == Some(&b'\n') {
                    2
                } else {
                    1
                };
                start = i;
            }
            _ => i += 1,
        }
    }
    if start < bytes.len() {
        out.push(&text[start..]);
    }
    out
}

/// Parse a manifest's text. `alg` is `None` for an algorithm we cannot
/// compute (the digest is then only checked to be hex); `percent_encoded` is
/// true from BagIt 1.0 on. Each defect is passed to `defect` with its 1-based
/// line number, in line order.
pub fn parse_manifest(
    text: &str,
    alg: Option<DigestAlg>,
    percent_encoded: bool,
    mut defect: impl FnMut(usize, Defect),
) -> Vec<Entry> {
    let mut entries: Vec<Entry> = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (i, line) in lines(text).into_iter().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some((digest, raw)) = line.split_once([' ', '\t']) else {
            defect(n, Defect::NoSeparator);
            continue;
        };
        let mut raw = raw.trim_start_matches([' ', '\t']);
        let hex_ok = !digest.is_empty() && digest.bytes().all(|b| b.is_ascii_hexdigit());
        let len_ok = alg.is_none_or(|a| digest.len() == a.hex_len());
        if !hex_ok || !len_ok {
            let digest = digest.to_owned();
            defect(n, Defect::NotDigest { digest });
            continue;
        }
        if let Some(rest) = raw.strip_prefix('*') {
            defect(n, Defect::Md5sumStar);
            raw = rest;
        }
        let mut path = if percent_encoded {
            percent_decode(raw)
        } else {
            raw.to_owned()
        };
        if path.starts_with("./") {
            defect(n, Defect::DotSlash);
            while let Some(rest) = path.strip_prefix("./") {
                path = rest.to_owned();
            }
        }
        if let Some(reason) = unsafe_reason(&path) {
            defect(n, Defect::Unsafe { path, reason });
            continue;
        }
        let digest = digest.to_ascii_lowercase();
        if let Some(&first) = seen.get(&path) {
            let first_line = entries[first].line;
            let same_digest = entries[first].digest == digest;
            defect(
                n,
                Defect::Duplicate {
                    path,
                    first_line,
                    same_digest,
                },
            );
            continue;
        }
        seen.insert(path.clone(), entries.len());
        entries.push(Entry {
            path,
            digest,
            line: n,
        });
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str, alg: Option<DigestAlg>) -> (Vec<Entry>, Vec<(usize, Defect)>) {
        let mut defects = Vec::new();
        let entries = parse_manifest(text, alg, true, |n, d| defects.push((n, d)));
        (entries, defects)
    }

    #[test]
    fn paths_are_decoded_and_digests_lowercased() {
        let (e, d) = parse("ABC  data/100%25.pdf\r\ndef\tdata/a%0Ab\n", None);
        assert!(d.is_empty());
        assert_eq!(
            (e[0].path.as_str(), e[0].digest.as_str()),
            ("data/100%.pdf", "abc")
        );
        assert_eq!((e[1].path.as_str(), e[1].line), ("data/a\nb", 2));
    }

    #[test]
    fn each_defect_names_its_line() {
        let text = "nopath\nzz data/x\nab *./data/y\nab ../etc\nab data/y\n";
        let (e, d) = parse(text, None);
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].path, "data/y");
        let kinds: Vec<(usize, bool)> = d.iter().map(|(n, d)| (*n, d.is_leniency())).collect();
        assert_eq!(
            kinds,
            [
                (1, false),
                (2, false),
                (3, true),
                (3, true),
                (4, false),
                (5, false)
            ]
        );
        assert!(matches!(
            d[5].1,
            Defect::Duplicate {
                first_line: 3,
                same_digest: true,
                ..
            }
        ));
    }

    #[test]
    fn digest_length_follows_the_algorithm() {
        let (e, d) = parse("abcd data/x\n", Some(DigestAlg::Sha256));
        assert!(e.is_empty());
        assert_eq!(
            d[0].1,
            Defect::NotDigest {
                digest: "abcd".into()
            }
        );
    }

    #[test]
    fn lines_split_on_any_terminator() {
        assert_eq!(lines("a\nb\r\nc\rd"), ["a", "b", "c", "d"]);
        assert_eq!(lines("a\n"), ["a"]);
        assert!(lines("").is_empty());
    }
}
