//! The table as a file: CSV, ODS or XLSX, from the header and the spilled
//! rows, written under a temporary name and renamed when complete.

use std::io::{BufWriter, Write as _};
use std::path::Path;

use super::cell::{clean, csv_cell};
use super::{io_err, ods, xlsx, Format, InventoryError};

/// Write `header` and `rows` to `out` in `format`. `rows` yields `None` for
/// a spilled row that could not be read back: the write then fails.
pub(super) fn table<I>(
    format: Format,
    out: &Path,
    header: &[String],
    rows: I,
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
    // ODS and XLSX take rows from an iterator: a row that cannot be read
    // ends it, and the error is returned once the writer is done.
    let mut failed: Option<InventoryError> = None;
    let mut good = rows.map_while(|r| match r {
        Ok(cells) => Some(cells),
        Err(e) => {
            failed = Some(e);
            None
        }
    });
    match format {
        Format::Csv => {
            let mut w = csv::Writer::from_writer(BufWriter::new(file));
            let csv_err = |e: csv::Error| io_err("cannot write", out)(e.into());
            w.write_record(header.iter().map(|h| csv_cell(h)))
                .map_err(csv_err)?;
            for cells in good.by_ref() {
                w.write_record(cells.iter().map(|c| csv_cell(c)))
                    .map_err(csv_err)?;
            }
            w.flush().map_err(io_err("cannot write", out))?;
        }
        Format::Ods => {
            let cleaned = |cells: Vec<String>| cells.iter().map(|c| clean(c)).collect();
            let header: Vec<String> = cleaned(header.to_vec());
            let mut w = ods::write_ods(
                BufWriter::new(file),
                "Dossiers",
                &header,
                good.by_ref().map(cleaned),
            )
            .map_err(io_err("cannot write", out))?;
            w.flush().map_err(io_err("cannot write", out))?;
        }
        Format::Xlsx => {
            let mut w = BufWriter::new(file);
            xlsx::write_xlsx(&mut w, &dir, "Dossiers", header, good.by_ref())
                .map_err(io_err("cannot write", out))?;
            w.flush().map_err(io_err("cannot write", out))?;
        }
    }
    drop(good);
    if let Some(e) = failed {
        return Err(e);
    }
    tmp.as_file()
        .sync_all()
        .map_err(io_err("cannot sync", out))?;
    tmp.persist(out)
        .map_err(|e| io_err("cannot rename to", out)(e.error))?;
    Ok(())
}
