//! What a cell may hold once written: no control characters (nor the two
//! code points XML forbids), and in CSV no text a spreadsheet would run as
//! a formula.
//!
//! Why: cell values come from usagers (free text, file names). A file name
//! with an ANSI escape or a BEL garbles a terminal or breaks an XML-based
//! format, and a value such as `=HYPERLINK(...)` in a CSV opened by a
//! spreadsheet program becomes a live formula (CSV injection). ODS and XLSX
//! store every cell as typed text, never as a formula, so only the CSV needs
//! the neutralising quote.

/// Longest text an XLSX cell holds (Excel's limit, in characters).
pub const XLSX_MAX_CHARS: usize = 32_767;

/// `value` without control characters, except line breaks and tabs (a
/// `\r\n` becomes `\n`), and without U+FFFE and U+FFFF, which XML 1.0
/// (ODS, XLSX) forbids anywhere.
#[must_use]
pub fn clean(value: &str) -> String {
    if !value.chars().any(dropped) {
        return value.to_owned();
    }
    value.chars().filter(|&c| !dropped(c)).collect()
}

/// A character no cell keeps: see [`clean`].
#[must_use]
pub fn dropped(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || matches!(c, '\u{fffe}' | '\u{ffff}')
}

/// A cleaned value for CSV: one that starts with `=`, `+`, `-` or `@` gets
/// a leading `'` so spreadsheet programs show it as text, unless it is a
/// plain number (`-12`, `+3.5`, `-0,5`), which no program runs.
#[must_use]
pub fn csv_cell(value: &str) -> String {
    let v = clean(value);
    match v.chars().next() {
        Some('=' | '@') => format!("'{v}"),
        Some('+' | '-') if !is_plain_number(&v[1..]) => format!("'{v}"),
        _ => v,
    }
}

fn is_plain_number(s: &str) -> bool {
    let mut digits = 0;
    let mut seps = 0;
    for c in s.chars() {
        match c {
            '0'..='9' => digits += 1,
            '.' | ',' => seps += 1,
            _ => return false,
        }
    }
    digits > 0 && seps <= 1
}

/// A cleaned value for XLSX, cut to [`XLSX_MAX_CHARS`] (ending with `…`
/// when cut: the full value stays in the bag's `dossier.json`).
#[must_use]
pub fn xlsx_cell(value: &str) -> String {
    let v = clean(value);
    if v.chars().count() <= XLSX_MAX_CHARS {
        return v;
    }
    let mut cut: String = v.chars().take(XLSX_MAX_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_in_csv_but_numbers_are_not() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(csv_cell("+33 6 12"), "'+33 6 12");
        assert_eq!(csv_cell("-cmd|' /C calc'!A0"), "'-cmd|' /C calc'!A0");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("-12,5"), "-12,5");
        assert_eq!(csv_cell("+3"), "+3");
        assert_eq!(csv_cell("-"), "'-");
        assert_eq!(csv_cell("a=b"), "a=b");
        // A formula hidden behind a control character is still caught.
        assert_eq!(csv_cell("\u{7}=1+1"), "'=1+1");
    }

    #[test]
    fn control_characters_go_line_breaks_and_tabs_stay() {
        assert_eq!(clean("a\u{1b}[31mb\u{7}\r\nc\td"), "a[31mb\nc\td");
        assert_eq!(clean("plain"), "plain");
        assert_eq!(clean("a\u{fffe}b\u{ffff}c\u{fffd}"), "abc\u{fffd}");
    }

    #[test]
    fn xlsx_cells_are_cut_at_excels_limit() {
        let long = "é".repeat(XLSX_MAX_CHARS + 5);
        let cut = xlsx_cell(&long);
        assert_eq!(cut.chars().count(), XLSX_MAX_CHARS);
        assert!(cut.ends_with('…'));
        assert_eq!(xlsx_cell("short"), "short");
    }
}
