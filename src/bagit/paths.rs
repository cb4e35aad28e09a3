//! Pure rules about paths inside a bag: which ones escape it, and how BagIt
//! 1.0 percent-encoding of manifest paths is undone.
//!
//! One copy, so the shared zip reader, `verify`'s manifest checks and `seda`'s
//! integrity gate apply exactly the same rules.

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

#[cfg(test)]
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
}
