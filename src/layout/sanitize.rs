//! Turning one raw name (a file name typed by an usager, a champ label) into
//! one path component that is safe on Linux, macOS and Windows, in zips and
//! in BagIt manifests.
//!
//! Pure string functions; the rules are listed in `docs/bundle-format.md`
//! ("Sanitisation") and each has a test below.

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// What an empty (or entirely unsafe) name becomes.
pub const FALLBACK: &str = "fichier";

/// The smallest `max_bytes` honoured: room for [`FALLBACK`] and a suffix.
pub const MIN_COMPONENT_BYTES: usize = 12;

/// An extension (dot included) longer than this is treated as part of the
/// name when cutting: `rapport.version finale` has no extension to keep.
const MAX_EXT_BYTES: usize = 16;

/// Device names Windows refuses as a file name, with or without extension.
const WINDOWS_RESERVED: &[&str] = &[
    "CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$", "COM0", "COM1", "COM2", "COM3",
    "COM4", "COM5", "COM6", "COM7", "COM8", "COM9", "COM¹", "COM²", "COM³", "LPT0", "LPT1", "LPT2",
    "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9", "LPT¹", "LPT²", "LPT³",
];

/// Make `raw` a safe path component of at most `max_bytes` UTF-8 bytes
/// (never less than `MIN_COMPONENT_BYTES`).
///
/// NFC; `/ \ : * ? " < > |` and control characters (C0, DEL, C1) become `_`;
/// invisible format characters (bidi embeddings/overrides/isolates, zero
/// width spaces, BOM) are dropped; leading whitespace and trailing whitespace
/// or dots are trimmed (so `.` and `..` vanish); Windows device names get a
/// `_` prefix; too long names are cut on a character boundary, keeping the
/// extension; an empty result becomes [`FALLBACK`]. `%` becomes `_` as well
/// (standard tools do not decode BagIt's `%25`). The function is idempotent.
#[must_use]
pub fn sanitize_component(raw: &str, max_bytes: usize) -> String {
    let max = max_bytes.max(MIN_COMPONENT_BYTES);
    let mapped: String = raw
        .chars()
        .filter(|c| !is_invisible_format(*c))
        .map(|c| match c {
            // `%` too: RFC 8493 wants it percent-encoded in manifests, but
            // bagit-python and `sha256sum -c` do not decode it, and an
            // archivist must be able to check a bag with those tools.
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '%' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .nfc()
        .collect();
    let mut name = trim_edges(&mapped).to_owned();
    if is_windows_reserved(&name) {
        name.insert(0, '_');
    }
    if name.len() > max {
        name = trim_edges(&cut_keep_ext(&name, max)).to_owned();
        if is_windows_reserved(&name) {
            name = format!("_{}", cut_at(&name, max - 1));
        }
    }
    if name.is_empty() {
        FALLBACK.to_owned()
    } else {
        name
    }
}

/// `name` with `-<n>` inserted before its extension (or appended when
/// `keep_ext` is false), cut so that the result fits in `max_bytes`.
/// `name` must already be sanitised.
#[must_use]
pub fn with_suffix(name: &str, n: usize, max_bytes: usize, keep_ext: bool) -> String {
    let max = max_bytes.max(MIN_COMPONENT_BYTES);
    let suffix = format!("-{n}");
    let (stem, ext) = if keep_ext {
        split_ext(name)
    } else {
        (name, "")
    };
    let room = max.saturating_sub(suffix.len() + ext.len());
    let stem = trim_edges(cut_at(stem, room));
    format!("{stem}{suffix}{ext}")
}

/// Split `name` into stem and extension (dot included). A leading dot is
/// part of the stem (`.bashrc` has no extension), and so is a suffix too
/// long to be a real extension or containing a space.
#[must_use]
pub fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= MAX_EXT_BYTES && !name[i..].contains(' ') => {
            name.split_at(i)
        }
        _ => (name, ""),
    }
}

/// Whether Windows would read `name` as a device (`con`, `LPT1.txt`,
/// `aux .tar.gz`).
#[must_use]
pub fn is_windows_reserved(name: &str) -> bool {
    let base = name.split('.').next().unwrap_or(name).trim_end();
    WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(base))
}

/// Characters that change how text is displayed without being visible:
/// the bidi controls (a `U+202E` can make `exe.pdf` look like `fdp.exe`),
/// zero-width spaces and joiners, BOM.
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{061C}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

fn trim_edges(s: &str) -> &str {
    s.trim_start()
        .trim_end_matches(|c: char| c.is_whitespace() || c == '.')
}

/// Cut to at most `max` bytes, keeping the extension when there is room.
fn cut_keep_ext(name: &str, max: usize) -> String {
    let (stem, ext) = split_ext(name);
    if !ext.is_empty() && ext.len() < max {
        let stem = trim_edges(cut_at(stem, max - ext.len()));
        if !stem.is_empty() {
            return format!("{stem}{ext}");
        }
    }
    cut_at(name, max).to_owned()
}

/// The longest prefix of `s` of at most `max` bytes that ends on a character
/// boundary and does not separate a base character from its combining marks.
fn cut_at(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    while end > 0 && s[end..].chars().next().is_some_and(is_combining_mark) {
        end -= 1;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
    }
    &s[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(raw: &str) -> String {
        sanitize_component(raw, 255)
    }

    #[test]
    fn separators_and_windows_punctuation_are_replaced() {
        assert_eq!(s("a/b\\c:d*e?f\"g<h>i|j.pdf"), "a_b_c_d_e_f_g_h_i_j.pdf");
    }

    #[test]
    fn controls_become_underscores_and_bidi_is_dropped() {
        assert_eq!(s("a\tb\nc\u{0}d\u{7f}e\u{85}f"), "a_b_c_d_e_f");
        assert_eq!(s("facture\u{202E}fdp.exe"), "facturefdp.exe");
        assert_eq!(s("\u{FEFF}x\u{200B}y"), "xy");
    }

    #[test]
    fn dots_spaces_and_empty_names() {
        assert_eq!(s(".."), FALLBACK);
        assert_eq!(s("."), FALLBACK);
        assert_eq!(s(""), FALLBACK);
        assert_eq!(s("  \u{202E} "), FALLBACK);
        assert_eq!(s("  rapport final. . "), "rapport final");
        assert_eq!(s(".bashrc"), ".bashrc");
    }

    #[test]
    fn percent_is_replaced_so_standard_tools_can_check_bags() {
        assert_eq!(s("100% sûr.pdf"), "100_ sûr.pdf");
        assert_eq!(s("%0A%25.txt"), "_0A_25.txt");
    }

    #[test]
    fn windows_device_names_are_prefixed() {
        for raw in [
            "con",
            "CON.txt",
            "Aux.tar.gz",
            "lpt9.pdf",
            "COM1",
            "nul .txt",
            "COM¹.x",
        ] {
            let out = s(raw);
            assert!(out.starts_with('_'), "{raw} -> {out}");
            assert!(!is_windows_reserved(&out), "{raw} -> {out}");
        }
        assert_eq!(s("console.log"), "console.log");
        assert_eq!(s("COM10"), "COM10");
    }

    #[test]
    fn nfc_is_applied() {
        assert_eq!(s("cafe\u{301}.pdf"), "caf\u{e9}.pdf");
    }

    #[test]
    fn long_names_keep_their_extension_and_char_boundaries() {
        let long = format!("{}.pdf", "é".repeat(200));
        let out = sanitize_component(&long, 255);
        assert!(out.len() <= 255);
        assert!(out.ends_with("é.pdf"), "{out}");
        let out = sanitize_component(&long, 40);
        assert_eq!(out, format!("{}.pdf", "é".repeat(18)));
    }

    #[test]
    fn cutting_never_strands_a_combining_mark() {
        // "e" + 3 combining marks has no precomposed form: NFC keeps them apart.
        let raw = format!("{}{}", "a".repeat(10), "e\u{301}\u{323}\u{302}".repeat(10));
        let full = sanitize_component(&raw, 255);
        for max in 12..40 {
            let out = sanitize_component(&raw, max);
            assert!(out.len() <= max);
            assert!(full.starts_with(&out), "{out:?}");
            let rest = full[out.len()..].chars().next();
            assert!(
                !rest.is_some_and(is_combining_mark),
                "cut before a mark at {max}"
            );
        }
    }

    #[test]
    fn cut_that_exposes_a_device_name_is_fixed() {
        let out = sanitize_component("CON          xyzxyzxyz", 12);
        assert!(!is_windows_reserved(&out), "{out}");
        assert!(out.len() <= 12);
    }

    #[test]
    fn idempotent() {
        for raw in ["a:b.pdf", " x. ", "CON", "é\u{301}", &"z".repeat(300)] {
            let once = s(raw);
            assert_eq!(s(&once), once);
        }
    }

    #[test]
    fn suffix_goes_before_the_extension_and_fits() {
        assert_eq!(with_suffix("scan.pdf", 2, 255, true), "scan-2.pdf");
        assert_eq!(
            with_suffix("Pièces. Justif", 3, 255, false),
            "Pièces. Justif-3"
        );
        let out = with_suffix(&"a".repeat(50), 12, 20, true);
        assert_eq!(out, format!("{}-12", "a".repeat(17)));
    }
}
