//! Manifest and `fetch.txt` lines as findings: `digest path` lines are read
//! by [`crate::bagit::manifest`] (percent-decoding, md5sum and `./` leniency,
//! unsafe paths) and each defect becomes a finding with its code; `url length
//! path` lines of `fetch.txt` are read here, every path checked not to escape
//! the bag before it is used.

use super::{finding, Declaration};
pub use crate::bagit::manifest::Entry;
use crate::bagit::manifest::{self, lines, Defect};
use crate::bagit::paths::{percent_decode, unsafe_reason};
use crate::digest::DigestAlg;
use crate::verify::codes::Code;
use crate::verify::report::Finding;

/// Parse a manifest named `name`. `alg` is `None` for an algorithm verify
/// cannot compute (the digest is then only checked to be hex). The line rules
/// are [`crate::bagit::manifest`]'s; this gives each defect its code.
pub fn parse_manifest(
    text: &str,
    name: &str,
    alg: Option<DigestAlg>,
    decl: &Declaration,
    out: &mut Vec<Finding>,
) -> Vec<Entry> {
    manifest::parse_manifest(text, alg, decl.percent_encoded(), |n, defect| {
        out.push(match defect {
            Defect::NoSeparator => finding(
                Code::ManifestSyntax,
                name,
                format!("line {n}: no separator between digest and path"),
            ),
            Defect::NotDigest { digest } => {
                let msg = format!(
                    "line {n}: `{digest}` is not a {} digest",
                    alg.map_or("hex", DigestAlg::bagit_name)
                );
                finding(Code::ManifestSyntax, name, msg)
            }
            Defect::Md5sumStar => finding(
                Code::Md5sumStar,
                name,
                format!("line {n}: md5sum-style `*` before the path"),
            ),
            Defect::DotSlash => finding(
                Code::DotSlash,
                name,
                format!("line {n}: path starts with `./`"),
            ),
            Defect::Unsafe { path, reason } => finding(
                Code::UnsafePath,
                name,
                format!("line {n}: `{path}`: {reason}"),
            ),
            Defect::Duplicate {
                path,
                first_line,
                same_digest,
            } => {
                let how = if same_digest {
                    "same digest"
                } else {
                    "different digests"
                };
                let msg = format!("listed twice in {name} (lines {first_line} and {n}, {how})");
                finding(Code::Duplicate, &path, msg)
            }
        });
    })
}

/// Parse `fetch.txt` (`url length path`); returns the decoded paths.
pub fn parse_fetch(text: &str, decl: &Declaration, out: &mut Vec<Finding>) -> Vec<String> {
    const NAME: &str = "fetch.txt";
    let mut paths = Vec::new();
    for (i, line) in lines(text).into_iter().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let mut parts = line.splitn(3, [' ', '\t']);
        let (Some(url), Some(len), Some(raw)) = (parts.next(), parts.next(), parts.next()) else {
            out.push(finding(
                Code::ManifestSyntax,
                NAME,
                format!("line {n}: expected `url length path`"),
            ));
            continue;
        };
        if url.is_empty()
            || !(len == "-" || (!len.is_empty() && len.bytes().all(|b| b.is_ascii_digit())))
        {
            out.push(finding(
                Code::ManifestSyntax,
                NAME,
                format!("line {n}: bad url or length"),
            ));
            continue;
        }
        let raw = raw.trim_start_matches([' ', '\t']);
        let path = if decl.percent_encoded() {
            percent_decode(raw)
        } else {
            raw.to_owned()
        };
        if let Some(reason) = unsafe_reason(&path) {
            out.push(finding(
                Code::UnsafePath,
                NAME,
                format!("line {n}: `{path}`: {reason}"),
            ));
            continue;
        }
        paths.push(path);
    }
    paths
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::verify::tagfile::TagEncoding;

    fn v1() -> Declaration {
        Declaration {
            version: (1, 0),
            encoding: TagEncoding::Utf8,
        }
    }

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn manifest_lines() {
        let sha = "A".repeat(64);
        let text = format!(
            "{sha}  data/a\n{sha} *data/b\n{sha}  ./data/c\n{sha}\tdata/d%25e\nzz  data/x\nnospace\n{sha}  ../../etc/passwd\n{sha}  data/a\n"
        );
        let mut f = Vec::new();
        let e = parse_manifest(
            &text,
            "manifest-sha256.txt",
            Some(DigestAlg::Sha256),
            &v1(),
            &mut f,
        );
        let paths: Vec<&str> = e.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["data/a", "data/b", "data/c", "data/d%e"]);
        assert_eq!(e[0].digest, "a".repeat(64));
        assert_eq!(
            codes(&f),
            [
                "W_MD5SUM_STAR",
                "W_DOT_SLASH",
                "E_MANIFEST_SYNTAX",
                "E_MANIFEST_SYNTAX",
                "E_UNSAFE_PATH",
                "E_DUPLICATE"
            ]
        );
        let dup = f
            .last()
            .map(|f| (f.path.as_str(), f.message.contains("same digest")));
        assert_eq!(dup, Some(("data/a", true)));
    }

    #[test]
    fn percent_decoding_depends_on_version() {
        let sha = "0".repeat(64);
        let text = format!("{sha}  data/100%25.pdf\n");
        let old = Declaration {
            version: (0, 97),
            encoding: TagEncoding::Utf8,
        };
        let mut f = Vec::new();
        assert_eq!(
            parse_manifest(&text, "m", Some(DigestAlg::Sha256), &old, &mut f)[0].path,
            "data/100%25.pdf"
        );
        assert_eq!(
            parse_manifest(&text, "m", Some(DigestAlg::Sha256), &v1(), &mut f)[0].path,
            "data/100%.pdf"
        );
    }

    #[test]
    fn fetch_paths_are_checked() {
        let mut f = Vec::new();
        let p = parse_fetch(
            "http://x/a 12 data/a\nhttp://x/b - /etc/passwd\nbad\n",
            &v1(),
            &mut f,
        );
        assert_eq!(p, ["data/a"]);
        assert_eq!(codes(&f), ["E_UNSAFE_PATH", "E_MANIFEST_SYNTAX"]);
    }
}
