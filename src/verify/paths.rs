//! Pure rules verify applies to names inside a bag: which names are OS junk,
//! and which names are twins (equal up to case or Unicode normalisation).
//! Which paths escape a bag and how BagIt percent-encoding is undone are
//! [`crate::bagit::paths`], shared with `seda`.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use super::codes::Code;

/// Whether the last segment of `path` is a file an operating system drops
/// on its own (thumbnail caches, Finder metadata, AppleDouble files).
#[must_use]
pub fn is_junk(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    matches!(
        lower.as_str(),
        "thumbs.db" | "ehthumbs.db" | ".ds_store" | "desktop.ini" | ".spotlight-v100" | ".trashes"
    ) || name.starts_with("._")
        || path.split('/').any(|s| s == "__MACOSX")
}

/// The NFC form of a path.
#[must_use]
pub fn nfc(path: &str) -> String {
    path.nfc().collect()
}

/// Groups of distinct names that are equal up to Unicode normalisation
/// (`W_NFC_TWIN`) or up to letter case (`W_CASE_TWIN`), each group sorted.
#[must_use]
pub fn twins<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<(Code, Vec<String>)> {
    let mut by_nfc: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in paths {
        let group = by_nfc.entry(nfc(p)).or_default();
        if !group.iter().any(|q| q == p) {
            group.push(p.to_owned());
        }
    }
    let mut out = Vec::new();
    let mut by_case: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (key, mut group) in by_nfc {
        if group.len() > 1 {
            group.sort();
            out.push((Code::NfcTwin, group));
        }
        by_case.entry(key.to_lowercase()).or_default().push(key);
    }
    for (_, group) in by_case {
        if group.len() > 1 {
            out.push((Code::CaseTwin, group));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn junk_names() {
        assert!(is_junk("data/Thumbs.db"));
        assert!(is_junk("data/x/.DS_Store"));
        assert!(is_junk("data/._a.pdf"));
        assert!(!is_junk("data/thumbs.pdf"));
    }

    #[test]
    fn finds_nfc_and_case_twins() {
        let nfd = "data/Nu\u{301}n\u{303}ez";
        let nfc_name = nfc(nfd);
        assert_eq!(nfc_name, "data/Núñez");
        let found = twins([nfd, nfc_name.as_str(), "data/A.txt", "data/a.txt", "data/b"]);
        assert!(found
            .iter()
            .any(|(c, g)| *c == Code::NfcTwin && g.len() == 2));
        assert!(found
            .iter()
            .any(|(c, g)| *c == Code::CaseTwin && g == &["data/A.txt", "data/a.txt"]));
        assert_eq!(found.len(), 2);
    }
}
