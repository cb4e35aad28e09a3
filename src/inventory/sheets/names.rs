//! Sheet names Excel and LibreOffice accept: at most 31 characters as Excel
//! counts them (UTF-16 units: an emoji is two, and rust_xlsxwriter refuses a
//! name over 31 of them), none of
//! `[ ] : * ? / \`, no control character (nor U+FFFE, U+FFFF, which XML
//! forbids), not starting or ending with `'`, not "History" (reserved by
//! Excel), and unique in the workbook ignoring
//! case. A répétition sheet is named as DS names it, `(<stable id>) <label>`,
//! cut to fit; accents are kept (DS transliterates them to ASCII).

use std::collections::HashSet;

use crate::inventory::cell::dropped;

/// Excel's limit, in UTF-16 units.
const MAX_UNITS: usize = 31;

/// Hands out valid, unique sheet names.
#[derive(Debug, Default)]
pub(super) struct Namer {
    taken: HashSet<String>,
}

impl Namer {
    /// A namer that knows `taken` names are in use.
    pub(super) fn new<'a>(taken: impl IntoIterator<Item = &'a str>) -> Self {
        Self {
            taken: taken.into_iter().map(str::to_lowercase).collect(),
        }
    }

    /// A valid name for `wanted`, made unique with ` (2)`, ` (3)`... (the
    /// suffix kept within the limit).
    pub(super) fn name(&mut self, wanted: &str) -> String {
        let base = valid(wanted);
        let mut n = 1u32;
        loop {
            let candidate = if n == 1 {
                base.clone()
            } else {
                let suffix = format!(" ({n})");
                let keep = MAX_UNITS - suffix.encode_utf16().count();
                format!("{}{suffix}", cut(&base, keep).trim_end())
            };
            if !candidate.eq_ignore_ascii_case("history")
                && self.taken.insert(candidate.to_lowercase())
            {
                return candidate;
            }
            n += 1;
        }
    }
}

/// `wanted` without the characters Excel refuses, cut to 31 UTF-16 units.
fn valid(wanted: &str) -> String {
    let cleaned: String = wanted
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|&c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\') && !dropped(c))
        .collect();
    let cleaned = cleaned.trim().trim_matches('\'').trim();
    let cut = cut(cleaned, MAX_UNITS)
        .trim_end()
        .trim_end_matches('\'')
        .to_owned();
    if cut.is_empty() {
        "Sheet".to_owned()
    } else {
        cut
    }
}

/// The longest prefix of `s` of at most `units` UTF-16 units, never
/// splitting a character.
fn cut(s: &str, units: usize) -> &str {
    let mut used = 0;
    for (i, c) in s.char_indices() {
        used += c.len_utf16();
        if used > units {
            return &s[..i];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_valid_for_excel() {
        let mut n = Namer::new(["Dossiers"]);
        assert_eq!(n.name("(12) Membres du foyer"), "(12) Membres du foyer");
        assert_eq!(
            n.name("(13) Dépenses [HT]: a/b\\c*d?e\tfin"),
            "(13) Dépenses HT abcde fin"
        );
        let long = n.name("(14) Une très longue liste de personnes à contacter");
        assert_eq!(long.chars().count(), 31);
        assert_eq!(long, "(14) Une très longue liste de p");
        assert_eq!(n.name("'quoted'"), "quoted");
        assert_eq!(n.name("[]"), "Sheet");
    }

    #[test]
    fn names_are_unique_ignoring_case() {
        let mut n = Namer::new(["Dossiers", "Avis"]);
        assert_eq!(n.name("dossiers"), "dossiers (2)");
        assert_eq!(n.name("History"), "History (2)");
        let a = n.name("(1) Une très longue liste de personnes");
        let b = n.name("(1) Une très longue liste de personnes à joindre");
        assert_eq!(a, "(1) Une très longue liste de pe");
        assert_eq!(b, "(1) Une très longue liste d (2)");
        assert!(b.chars().count() <= 31);
    }

    #[test]
    fn names_count_as_excel_does() {
        // An emoji is two UTF-16 units: 31 characters with some are over
        // Excel's limit, and rust_xlsxwriter refuses the sheet.
        let mut n = Namer::new(["Dossiers"]);
        let wanted = "(7) 🏠🏠🏠 Logements et adresses du foyer";
        let name = n.name(wanted);
        assert!(name.encode_utf16().count() <= 31, "{name}");
        assert_eq!(name, "(7) 🏠🏠🏠 Logements et adresse");
        let again = n.name(wanted);
        assert!(again.encode_utf16().count() <= 31, "{again}");
        assert!(again.ends_with(" (2)"), "{again}");
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet().set_name(&name).unwrap();
        book.add_worksheet().set_name(&again).unwrap();
    }
}
