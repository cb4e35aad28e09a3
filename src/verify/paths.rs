//! Pure rules about names inside a bag: which paths escape it, how BagIt
//! percent-encoding is undone, which names are OS junk, and which names are
//! twins (equal up to case or Unicode normalisation).
//!
//! Kept apart from the parsers so the zip reader and the archive-folder check
//! apply exactly the same rules as the manifests.

use std::collections::BTreeMap;

use unicode_normalization::UnicodeNormalization;

use super::codes::Code;

/// Why `path` (a manifest, fetch.txt or zip entry path) would escape the bag,
/// or `None` when it stays inside. Both `/` and `\` count as separators, since
/// a Windows tool would honour either.
#[must_use]
pub fn unsafe_reason(path: &str) -> Option<&'static str> {
    if path.is_empty() {
        return Some("empty path");
    }
    if path.contains('\0') {
        return Some("NUL character in path");
    }
    if path.starts_with("\\\\") || path.starts_with("//") {
        return Some("UNC path");
    }
    if path.starts_with('/') || path.starts_with('\\') {
        return Some("absolute path");
    }
    let bytes = path.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':' {
        return Some("drive-letter path");
    }
    let mut segments = path.split(['/', '\\']);
    if segments.clone().next().is_some_and(|s| s.starts_with('~')) {
        return Some("home-directory (~) path");
    }
    if segments.clone().any(|s| s == "..") {
        return Some("`..` segment");
    }
    if segments.any(|s| s.len() > 2 && s.starts_with('%') && s.ends_with('%')) {
        return Some("environment-variable (%VAR%) segment");
    }
    None
}

/// Undo BagIt 1.0 percent-encoding: only `%25`, `%0A` and `%0D` (either hex
/// case) are decoded, everything else is kept as written.
#[must_use]
pub fn percent_decode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(i) = rest.find('%') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let code = tail.get(1..3).map(str::to_ascii_uppercase);
        let decoded = match code.as_deref() {
            Some("25") => Some('%'),
            Some("0A") => Some('\n'),
            Some("0D") => Some('\r'),
            _ => None,
        };
        if let Some(c) = decoded {
            out.push(c);
            rest = &tail[3..];
        } else {
            out.push('%');
            rest = &tail[1..];
        }
    }
    out.push_str(rest);
    out
}

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
    fn escapes_are_unsafe() {
        for p in [
            "../x",
            "data/../../x",
            "/etc/passwd",
            "\\\\server\\share\\x",
            "C:\\x",
            "c:/x",
            "~/x",
            "~root/x",
            "data\\..\\..\\x",
            "%HOMEDRIVE%/x",
            "",
        ] {
            assert!(unsafe_reason(p).is_some(), "{p:?} should be unsafe");
        }
        for p in [
            "data/a.pdf",
            "data/..a",
            "data/a..b/c",
            "data/~x",
            "data/100%.pdf",
        ] {
            assert_eq!(unsafe_reason(p), None, "{p:?} should be safe");
        }
    }

    #[test]
    fn decodes_only_the_three_bagit_escapes() {
        assert_eq!(percent_decode("data/100%25.pdf"), "data/100%.pdf");
        assert_eq!(percent_decode("data/a%0Ab%0dc"), "data/a\nb\rc");
        assert_eq!(percent_decode("data/%20x%2"), "data/%20x%2");
        assert_eq!(percent_decode("data/%2525"), "data/%25");
        assert_eq!(percent_decode("a%41%"), "a%41%");
    }

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
