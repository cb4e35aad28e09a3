//! BagIt tag files as findings: `bagit.txt`, `bag-info.txt`, payload and tag
//! manifests, `fetch.txt`, and the decoding of tag files in their declared
//! character encoding.
//!
//! The reading is [`crate::bagit::tagfile`]'s and
//! [`crate::bagit::manifest`]'s, shared with `seda`; this module only gives
//! each typed defect its stable finding code (with an empty bundle name,
//! filled in by the caller). No I/O, which is what the fuzz targets rely on.

use super::codes::Code;
use super::report::Finding;
use crate::bagit::tagfile::{self as tags, TagDefect, TagDefectKind};

mod manifest;

pub use crate::bagit::tagfile::{Declaration, TagEncoding, Version};
pub use manifest::{parse_fetch, parse_manifest, Entry};

/// The finding code of a tag-file defect.
#[must_use]
pub fn code(kind: TagDefectKind) -> Code {
    match kind {
        TagDefectKind::Bom => Code::Bom,
        TagDefectKind::Encoding => Code::Encoding,
        TagDefectKind::BagitTxt => Code::BagitTxt,
        TagDefectKind::BagInfo => Code::BagInfo,
        TagDefectKind::BagInfoLabel => Code::BagInfoLabel,
        TagDefectKind::Oxum => Code::Oxum,
    }
}

/// Decode a tag file; the error is the code and message of the defect.
pub fn decode(bytes: &[u8], encoding: TagEncoding) -> Result<String, (Code, String)> {
    tags::decode(bytes, encoding).map_err(|(kind, message)| (code(kind), message))
}

/// Parse `bagit.txt`, one finding per defect; the best guess (1.0 and UTF-8
/// where unreadable) is returned so the other checks still run.
pub fn parse_bagit_txt(bytes: &[u8], out: &mut Vec<Finding>) -> Declaration {
    with_findings(out, |d| tags::parse_bagit_txt(bytes, d))
}

/// Parse `bag-info.txt` into `(label, value)` pairs, continuations joined.
pub fn parse_bag_info(text: &str, out: &mut Vec<Finding>) -> Vec<(String, String)> {
    with_findings(out, |d| tags::parse_bag_info(text, d))
}

/// The Payload-Oxum `(octets, files)`, if declared exactly once and well formed.
pub fn payload_oxum(info: &[(String, String)], out: &mut Vec<Finding>) -> Option<(u64, u64)> {
    with_findings(out, |d| tags::payload_oxum(info, d))
}

fn with_findings<T>(out: &mut Vec<Finding>, parse: impl FnOnce(&mut Vec<TagDefect>) -> T) -> T {
    let mut defects = Vec::new();
    let parsed = parse(&mut defects);
    out.extend(
        defects
            .into_iter()
            .map(|d| finding(code(d.kind), d.file, d.message)),
    );
    parsed
}

pub(crate) fn finding(code: Code, path: &str, message: impl Into<String>) -> Finding {
    Finding::new(code, "", path, message)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn codes(f: &[Finding]) -> Vec<&'static str> {
        f.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn each_defect_keeps_its_stable_code_and_file() {
        let mut f = Vec::new();
        parse_bagit_txt(
            b"BagIt-Version: .97\nTag-File-Character-Encoding: KOI8-R\n",
            &mut f,
        );
        assert_eq!(codes(&f), ["E_BAGIT_TXT", "E_ENCODING"]);
        assert!(f.iter().all(|f| f.path == "bagit.txt"), "{f:?}");

        let mut f = Vec::new();
        let info = parse_bag_info("Payload-Oxum : 12\n: y\n", &mut f);
        assert_eq!(payload_oxum(&info, &mut f), None);
        assert_eq!(codes(&f), ["W_BAG_INFO_LABEL", "E_BAG_INFO", "E_OXUM"]);
        assert!(f.iter().all(|f| f.path == "bag-info.txt"), "{f:?}");

        assert_eq!(
            decode(b"\xEF\xBB\xBFa", TagEncoding::Utf8).map_err(|e| e.0),
            Err(Code::Bom)
        );
    }
}
