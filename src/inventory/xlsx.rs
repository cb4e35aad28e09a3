//! The XLSX inventory, through `rust_xlsxwriter` (Office Open XML as Excel
//! and LibreOffice read it).
//!
//! Every cell is written as text (no number or date guessing, never a
//! formula), the header row is bold, frozen and carries an autofilter, as in
//! DS's own exports. The sheet runs in the crate's constant-memory mode:
//! rows go to a temporary file in the output's folder as they come, so a
//! 10⁵-dossier inventory never sits in memory. The document properties
//! carry a fixed date, not the time of writing, so the same archive gives
//! the same bytes. A workbook may hold several sheets ([`write_book`]):
//! DS's extra sheets ([`super::sheets`]).

use std::io::{self, Write};
use std::path::Path;

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::cell::xlsx_cell;
use super::sheets::Tab;

/// Excel's last column (XFD) and last row, 0-based.
const MAX_COL: usize = 16_383;
const MAX_ROW: u32 = 1_048_575;

/// Write a workbook with one sheet named `sheet`: `header`, then `rows`.
///
/// # Errors
/// Any write error; more columns or rows than Excel holds.
pub fn write_xlsx<W, I>(
    out: W,
    tempdir: &Path,
    sheet: &str,
    header: &[String],
    rows: I,
) -> io::Result<()>
where
    W: Write + Send,
    I: IntoIterator<Item = Vec<String>>,
{
    let tab = Tab {
        name: sheet.to_owned(),
        header: header.to_vec(),
        rows: Box::new(rows.into_iter()),
    };
    write_book(out, tempdir, vec![tab])
}

/// Write a workbook with these sheets, in order, each streamed in turn.
///
/// # Errors
/// Any write error; more columns or rows than Excel holds; a sheet name
/// Excel refuses or uses twice.
pub fn write_book<W: Write + Send>(out: W, tempdir: &Path, tabs: Vec<Tab<'_>>) -> io::Result<()> {
    let mut book = Workbook::new();
    book.set_tempdir(tempdir).map_err(other)?;
    // The crate stamps the document with the time of writing unless told
    // otherwise; a fixed date (the zip entries' own) keeps two runs on the
    // same archive byte-identical, as the CSV and ODS are.
    let epoch = ExcelDateTime::from_ymd(1980, 1, 1).map_err(other)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&epoch));
    let bold = Format::new().set_bold();
    for tab in tabs {
        let header = &tab.header;
        if header.len() > MAX_COL + 1 {
            return Err(io::Error::other(format!(
                "sheet `{}`: {} columns, more than the {} an XLSX sheet holds",
                tab.name,
                header.len(),
                MAX_COL + 1
            )));
        }
        let ws = book.add_worksheet_with_constant_memory().map_err(other)?;
        ws.set_name(&tab.name).map_err(other)?;
        for (c, h) in header.iter().enumerate() {
            ws.write_string_with_format(0, col(c), xlsx_cell(h), &bold)
                .map_err(other)?;
        }
        let mut last = 0u32;
        for (i, row) in tab.rows.enumerate() {
            let r = u32::try_from(i + 1)
                .ok()
                .filter(|r| *r <= MAX_ROW)
                .ok_or_else(|| {
                    io::Error::other(format!(
                        "sheet `{}`: more rows than an XLSX sheet holds",
                        tab.name
                    ))
                })?;
            for (c, v) in row.iter().enumerate().take(header.len()) {
                if !v.is_empty() {
                    ws.write_string(r, col(c), xlsx_cell(v)).map_err(other)?;
                }
            }
            last = r;
        }
        if !header.is_empty() {
            ws.set_freeze_panes(1, 0).map_err(other)?;
            ws.autofilter(0, 0, last, col(header.len() - 1))
                .map_err(other)?;
        }
    }
    book.save_to_writer(out).map_err(other)
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

fn other(e: XlsxError) -> io::Error {
    match e {
        XlsxError::IoError(e) => e,
        e => io::Error::other(e),
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read};

    use super::*;

    #[test]
    fn cells_are_shared_or_inline_text_never_formulas() {
        let tmp = tempfile::tempdir().expect("tmp");
        let header = vec!["id".to_owned(), "note".to_owned()];
        let rows = vec![vec!["1".to_owned(), "=1+1 & <b>".to_owned()]];
        let mut bytes = Vec::new();
        write_xlsx(&mut bytes, tmp.path(), "Dossiers", &header, rows).expect("write");
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut sheet = String::new();
        z.by_name("xl/worksheets/sheet1.xml")
            .expect("sheet")
            .read_to_string(&mut sheet)
            .expect("read");
        assert!(!sheet.contains("<f>"), "no formula: {sheet}");
        assert!(sheet.contains("=1+1 &amp; &lt;b&gt;"), "{sheet}");
        assert!(sheet.contains("autoFilter"), "{sheet}");
    }

    #[test]
    fn the_workbook_carries_no_wall_clock_date() {
        // Two runs on the same archive must give the same bytes: the
        // document properties would otherwise hold the time of writing.
        let tmp = tempfile::tempdir().expect("tmp");
        let header = vec!["id".to_owned()];
        let mut bytes = Vec::new();
        write_xlsx(&mut bytes, tmp.path(), "Dossiers", &header, vec![]).expect("write");
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut core = String::new();
        z.by_name("docProps/core.xml")
            .expect("core properties")
            .read_to_string(&mut core)
            .expect("read");
        for element in ["dcterms:created", "dcterms:modified"] {
            assert!(
                core.contains(&format!(
                    "<{element} xsi:type=\"dcterms:W3CDTF\">1980-01-01T00:00:00Z</{element}>"
                )),
                "{element} fixed: {core}"
            );
        }
    }
}
