//! Names and text values that SEDA and Vitam accept.
//!
//! Pure functions only. Three families of values leave ds-archive through a
//! manifest and each has its own rules: XML ids (NCNames, unique per
//! document), file names under `Content/` (Vitam's
//! `^[a-zA-Z0-9_@-]+(\.[a-zA-Z0-9_@-]+)*$`) and free text (no leading `_` or
//! `#`, no `<!--`/`-->`, no HTML tags, at most 32 000 characters, only
//! characters XML 1.0 allows). The user's original names are never lost: they
//! go, cleaned only as far as the rules require, into `FileInfo/Filename` and
//! unit titles.

/// The longest text value Vitam stores.
pub const MAX_TEXT_CHARS: usize = 32_000;

/// Longest extension kept on a `Content/` name.
const MAX_EXT_CHARS: usize = 10;

/// Whether `name` is acceptable as a file name inside `Content/` for Vitam.
#[must_use]
pub fn is_safe_content_name(name: &str) -> bool {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'@' | b'-'))
    };
    name.split('.').all(part_ok)
}

/// The `Content/` file name for the object `object_id`: the id (already safe)
/// plus the original extension when it can be kept safely (ASCII letters and
/// digits, lowercased, at most 10 characters).
#[must_use]
pub fn content_name(object_id: &str, original_filename: &str) -> String {
    match safe_extension(original_filename) {
        Some(ext) => format!("{object_id}.{ext}"),
        None => object_id.to_owned(),
    }
}

/// The extension of `filename`, lowercased, when it is plain ASCII alphanumeric.
#[must_use]
pub fn safe_extension(filename: &str) -> Option<String> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or(filename);
    let (stem, ext) = base.rsplit_once('.')?;
    if stem.is_empty()
        || ext.is_empty()
        || ext.chars().count() > MAX_EXT_CHARS
        || !ext.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Turn a free text value into one Vitam accepts, or `None` when nothing
/// meaningful is left.
///
/// Control characters are dropped: a tab or line break (which a file name can
/// carry) becomes one space, so `a\tb` reads `a b` rather than `ab`, and every
/// value is one line (SAE search screens and titles show no line breaks).
/// U+FFFE and U+FFFF, which XML forbids, are dropped too.
/// `<`/`>` become `‹`/`›` (so no HTML tag and no comment marker survives),
/// leading `_`/`#` and whitespace are trimmed, and the result is cut to
/// [`MAX_TEXT_CHARS`].
#[must_use]
pub fn clean_text(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            c if c.is_control() && c.is_whitespace() => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
            c if c.is_control() => {}
            // Valid in JSON, forbidden anywhere in XML 1.0.
            '\u{fffe}' | '\u{ffff}' => {}
            '<' => out.push('‹'),
            '>' => out.push('›'),
            c => out.push(c),
        }
    }
    out = out
        .trim_start_matches(|c: char| c == '_' || c == '#' || c.is_whitespace())
        .trim_end()
        .to_owned();
    if out.is_empty() {
        return None;
    }
    if out.chars().count() > MAX_TEXT_CHARS {
        out = out.chars().take(MAX_TEXT_CHARS - 1).collect();
        out.push('…');
    }
    Some(out)
}

/// [`clean_text`] with a fallback for values that must not be empty.
#[must_use]
pub fn clean_text_or(raw: &str, fallback: &str) -> String {
    clean_text(raw).unwrap_or_else(|| fallback.to_owned())
}

/// A token value (identifiers from the configuration, MessageIdentifier):
/// whitespace collapsed, and the same rules as text.
#[must_use]
pub fn clean_token(raw: &str) -> Option<String> {
    let collapsed = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    clean_text(&collapsed)
}

/// A MessageIdentifier (also the SIP file name) built from parts: every
/// character outside `[a-zA-Z0-9._@-]` becomes `-`.
#[must_use]
pub fn message_identifier(parts: &[&str]) -> String {
    let joined = parts.join("-");
    let mut id: String = joined
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '@' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    // Neither the SIP file name nor the token may start with `_`, `#`, `.` or `-`.
    while id.starts_with(['_', '.', '-']) {
        id.remove(0);
    }
    if id.is_empty() {
        id = "SIP".to_owned();
    }
    id
}

/// The base name of a bag path (`data/a/b.pdf` → `b.pdf`).
#[must_use]
pub fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_names_are_safe_for_hostile_inputs() {
        let hostile = [
            "Relevé d'identité (bancaire).PDF",
            "../../etc/passwd",
            "a b,c.tar.gz",
            "sans extension",
            ".cache",
            "x.€",
            "évidence.docxxxxxxxxxxx",
            "",
            "CON.txt",
            "a\nb.pdf",
        ];
        for (i, name) in hostile.iter().enumerate() {
            let safe = content_name(&format!("BDO-12-{i}"), name);
            assert!(is_safe_content_name(&safe), "{name:?} gave {safe:?}");
        }
        assert_eq!(content_name("BDO-1-1", "Relevé (1).PDF"), "BDO-1-1.pdf");
        assert_eq!(content_name("BDO-1-1", "archive.tar.gz"), "BDO-1-1.gz");
        assert_eq!(content_name("BDO-1-1", ".cache"), "BDO-1-1");
        assert_eq!(content_name("BDO-1-1", "x.p df"), "BDO-1-1");
    }

    #[test]
    fn safe_name_pattern_matches_vitam_rule() {
        assert!(is_safe_content_name("BDO-1-2.pdf"));
        assert!(is_safe_content_name("a@b_c-d.e.f"));
        assert!(!is_safe_content_name("a b.pdf"));
        assert!(!is_safe_content_name("a..pdf"));
        assert!(!is_safe_content_name(".pdf"));
        assert!(!is_safe_content_name("é.pdf"));
        assert!(!is_safe_content_name(""));
    }

    #[test]
    fn text_is_cleaned_for_vitam() {
        assert_eq!(clean_text("__#note").as_deref(), Some("note"));
        assert_eq!(clean_text("a\u{fffe}b\u{ffff}").as_deref(), Some("ab"));
        assert_eq!(
            clean_text("a <!-- b --> <b>c</b>").as_deref(),
            Some("a ‹!-- b --› ‹b›c‹/b›")
        );
        assert_eq!(clean_text("a\u{0}b\u{1b}c\nd").as_deref(), Some("abc d"));
        assert_eq!(
            clean_text("Relevé\t(1)\r\n.pdf\u{7f}\u{85}x").as_deref(),
            Some("Relevé (1) .pdf x")
        );
        assert_eq!(clean_text("  _ "), None);
        let long = "x".repeat(40_000);
        let cut = clean_text(&long).unwrap_or_default();
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn message_identifiers_are_file_name_safe() {
        assert_eq!(
            message_identifier(&["DS", "42", "dossier", "7"]),
            "DS-42-dossier-7"
        );
        assert_eq!(message_identifier(&["_a b/c"]), "a-b-c");
        assert_eq!(message_identifier(&["__"]), "SIP");
    }
}
