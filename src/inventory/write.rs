//! The table as a file: CSV, ODS or XLSX, from the header and the spilled
//! rows (and, in ODS and XLSX, DS's extra sheets after "Dossiers"), written
//! under a temporary name and renamed when complete.

use std::cell::RefCell;
use std::io::{BufWriter, Write as _};
use std::path::Path;

use super::cell::{clean, csv_cell};
use super::sheets::{Sheet, Tab};
use super::{io_err, ods, xlsx, Format, InventoryError};

/// Write `header` and `rows` to `out` in `format`, then the `extra` sheets
/// (ODS and XLSX; a CSV has none). `rows` yields an error for a spilled row
/// that could not be read back: the write then fails.
pub(super) fn table<I>(
    format: Format,
    out: &Path,
    header: &[String],
    rows: I,
    extra: &[Sheet],
) -> Result<(), InventoryError>
where
    I: Iterator<Item = Result<Vec<String>, InventoryError>>,
{
    let dir = crate::fsx::parent_dir(out);
    let tmp = crate::fsx::published_tempfile(&dir, ".dossiers.", ".tmp")
        .map_err(io_err("cannot create a temp file in", &dir))?;
    let file = tmp
        .as_file()
        .try_clone()
        .map_err(io_err("cannot write", out))?;
    // ODS and XLSX take rows from iterators: a row that cannot be read
    // ends its sheet, and the error is returned once the writer is done.
    let failed: RefCell<Option<InventoryError>> = RefCell::new(None);
    let extra_tabs = || -> Result<Vec<Tab<'_>>, InventoryError> {
        extra
            .iter()
            .map(|sheet| {
                let path = sheet.spill_path();
                let rows = sheet
                    .rows()
                    .map_err(io_err("cannot read", path))?
                    .map(move |r| r.map_err(io_err("cannot read", path)));
                Ok(Tab {
                    name: sheet.info.name.clone(),
                    header: sheet.header(),
                    rows: Box::new(good(&failed, rows)),
                })
            })
            .collect()
    };
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(BufWriter::new(file));
            let csv_err = |e: csv::Error| io_err("cannot write", out)(e.into());
            w.write_record(header.iter().map(|h| csv_cell(h)))
                .map_err(csv_err)?;
            for cells in good(&failed, rows) {
                w.write_record(cells.iter().map(|c| csv_cell(c)))
                    .map_err(csv_err)?;
            }
            w.flush().map_err(io_err("cannot write", out))?;
        }
        Format::Ods => {
            let cleaned =
                |cells: Vec<String>| -> Vec<String> { cells.iter().map(|c| clean(c)).collect() };
            let mut tabs = vec![Tab {
                name: "Dossiers".to_owned(),
                header: header.to_vec(),
                rows: Box::new(good(&failed, rows)),
            }];
            tabs.extend(extra_tabs()?);
            let tabs = tabs
                .into_iter()
                .map(|t| Tab {
                    name: t.name,
                    header: cleaned(t.header),
                    rows: Box::new(t.rows.map(cleaned)),
                })
                .collect();
            let mut w = ods::write_ods_book(BufWriter::new(file), tabs)
                .map_err(io_err("cannot write", out))?;
            w.flush().map_err(io_err("cannot write", out))?;
        }
        Format::Xlsx => {
            let mut tabs = vec![Tab {
                name: "Dossiers".to_owned(),
                header: header.to_vec(),
                rows: Box::new(good(&failed, rows)),
            }];
            tabs.extend(extra_tabs()?);
            let mut w = BufWriter::new(file);
            xlsx::write_book(&mut w, &dir, tabs).map_err(io_err("cannot write", out))?;
            w.flush().map_err(io_err("cannot write", out))?;
        }
    }
    if let Some(e) = failed.into_inner() {
        return Err(e);
    }
    tmp.as_file()
        .sync_all()
        .map_err(io_err("cannot sync", out))?;
    tmp.persist(out)
        .map_err(|e| io_err("cannot rename to", out)(e.error))?;
    Ok(())
}

/// The rows of `rows` up to the first error, which is kept in `failed`.
fn good<'a>(
    failed: &'a RefCell<Option<InventoryError>>,
    rows: impl Iterator<Item = Result<Vec<String>, InventoryError>> + 'a,
) -> impl Iterator<Item = Vec<String>> + 'a {
    rows.map_while(move |r| match r {
        Ok(cells) => Some(cells),
        Err(e) => {
            failed.borrow_mut().get_or_insert(e);
            None
        }
    })
}
