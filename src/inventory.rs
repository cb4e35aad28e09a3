//! `ds-archive inventory`: one spreadsheet row per archived dossier (CSV,
//! ODS or XLSX), the list an archivist or a compliance team reads first.
//!
//! This module owns reading the bundles for that purpose (through
//! [`crate::bagit::bundles`], folder or zip alike, without re-verifying digests:
//! that is `verify`'s job; one bundle's row in [`bundle_rows`]) and writing
//! the file atomically. What goes into a row is decided in [`row`] (pure),
//! the columns' ids, order and headers in [`columns`], what a cell may hold
//! in [`cell`], DS's extra sheets of ODS and XLSX tables in [`sheets`]; the
//! containers are [`ods`] and [`xlsx`]. Callers that pick their own columns
//! (export templates) use [`write_selected`]. The `archive` command calls
//! [`write_inventory`] with [`Format::Csv`] and `<DIR>/dossiers.csv` at the
//! end of a run. Column rules: `docs/inventory.md`.
//!
//! Rows are spilled to temporary files beside the output until the header
//! (the union of every dossier's champs) is known, so memory stays flat.

mod bucket;
mod bundle_rows;
pub mod cell;
pub mod columns;
mod command;
mod found;
pub mod known;
pub mod ods;
mod read;
pub mod row;
pub mod sheets;
mod write;
pub mod xlsx;
mod zip_sums;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::bagit::bundles::{Discovered, FoundBundle};
use crate::progress::Task;
pub use bucket::write_bucket_inventory;
use bundle_rows::kept_row;
pub use bundle_rows::{kept_row_of_zip, row_of_bundle};
use columns::{ColumnInfo, Gathered};
pub use command::{command, command_with};
use found::{listed, Found};
use known::KnownRows;
pub use read::row_of_zip;
use row::Row;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// UTF-8 CSV, header row, RFC 4180 quoting.
    Csv,
    /// OpenDocument spreadsheet.
    Ods,
    /// Office Open XML workbook (Excel, LibreOffice).
    Xlsx,
}

impl Format {
    /// The file extension.
    #[must_use]
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Ods => "ods",
            Self::Xlsx => "xlsx",
        }
    }
}

/// `ds-archive inventory` options.
#[derive(Debug, Clone, clap::Args)]
pub struct InventoryArgs {
    /// The archive folder written by `ds-archive archive`, or its
    /// s3://BUCKET/PREFIX (then --out is required: the file is written locally).
    #[arg(value_name = "DIR|URL")]
    pub dir: PathBuf,
    /// csv, ods or xlsx (ods and xlsx add DS's extra sheets: Avis, one per
    /// répétition block).
    #[arg(long, value_enum, default_value = "csv")]
    pub format: Format,
    /// Output file (default `<DIR>/dossiers.<format>`); its columns are
    /// listed beside it in `<name>.columns.json`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// How to reach the bucket of an s3:// archive.
    #[command(flatten)]
    pub s3: crate::cli::storage_args::S3Args,
    /// Zips downloading at once from an s3:// archive (each to a temporary
    /// file, removed once read).
    #[arg(long, value_name = "N", default_value_t = 4,
          value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryReport {
    /// The file written.
    pub path: PathBuf,
    /// Dossier rows.
    pub rows: usize,
    /// Bundles that could not be read: (dossier number, reason).
    pub skipped: Vec<(u64, String)>,
    /// The columns written, in order (the content of `columns.json`).
    pub columns: Vec<ColumnInfo>,
    /// Selected column ids no dossier has (written as empty columns).
    pub unknown_columns: Vec<String>,
    /// DS's extra sheets written after "Dossiers" (ODS and XLSX only).
    pub sheets: Vec<sheets::SheetInfo>,
}

/// Why no inventory could be written.
#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    /// The folder holds no `dossier-N` bundle: not an archive folder (or an
    /// unmounted share, or a typo).
    #[error("`{}` holds no dossier bundle (no dossier-N folder or dossier-N.zip)", .0.display())]
    NoBundle(PathBuf),
    /// The bucket of an s3:// archive cannot be reached or listed (the
    /// message names it and the cause).
    #[error("{0}")]
    Bucket(String),
    /// Listing the archive folder or writing the output failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn io_err(
    action: &'static str,
    path: &Path,
) -> impl FnOnce(std::io::Error) -> InventoryError {
    let path = path.to_owned();
    move |source| InventoryError::Io {
        action,
        path,
        source,
    }
}

/// Write the inventory of `archive_dir` to `out` (atomically: temp file then
/// rename). Unreadable bundles are left out and listed in the report.
///
/// Nothing is written when the folder holds no bundle at all.
///
/// # Errors
/// The folder cannot be listed or holds no bundle ([`InventoryError::NoBundle`]),
/// or the output cannot be written.
pub fn write_inventory(
    archive_dir: &Path,
    format: Format,
    out: &Path,
) -> Result<InventoryReport, InventoryError> {
    write_inventory_counted(archive_dir, format, out, &Task::hidden())
}

/// [`write_inventory`], counting each dossier read on `progress`.
///
/// # Errors
/// As [`write_inventory`].
pub fn write_inventory_counted(
    archive_dir: &Path,
    format: Format,
    out: &Path,
    progress: &Task,
) -> Result<InventoryReport, InventoryError> {
    let found = listed(archive_dir)?;
    if found.count == 0 {
        return Err(InventoryError::NoBundle(archive_dir.to_owned()));
    }
    let mut read = read::in_folder(archive_dir);
    let report = write_found(found, format, out, None, None, progress, &mut read)?;
    write_sidecar(out, &report)?;
    Ok(report)
}

/// [`write_inventory`] with the columns a caller picks, in its order: each
/// is a column id (as listed in `columns.json`, or a DS sub-column id of
/// `Champ.columns`) and an optional header; see [`columns::select`]. Ids no
/// dossier has give empty columns, listed in
/// [`InventoryReport::unknown_columns`].
///
/// # Errors
/// As [`write_inventory`].
pub fn write_selected(
    archive_dir: &Path,
    format: Format,
    out: &Path,
    columns: &[(String, Option<String>)],
) -> Result<InventoryReport, InventoryError> {
    let found = listed(archive_dir)?;
    if found.count == 0 {
        return Err(InventoryError::NoBundle(archive_dir.to_owned()));
    }
    let hidden = Task::hidden();
    let mut read = read::in_folder(archive_dir);
    let report = write_found(found, format, out, None, Some(columns), &hidden, &mut read)?;
    write_sidecar(out, &report)?;
    Ok(report)
}

/// Write `columns.json` beside `out` ([`columns::sidecar_path`]): the
/// report's columns, and its extra sheets' when it has some.
///
/// # Errors
/// It cannot be written.
pub fn write_sidecar(out: &Path, report: &InventoryReport) -> Result<(), InventoryError> {
    let path = columns::sidecar_path(out);
    let json = sheets::sidecar_json(&report.columns, &report.sheets);
    crate::fsx::write_atomic(&path, &json)
        .map_err(|e| io_err("cannot write", &path)(std::io::Error::other(e.to_string())))
}

/// [`write_inventory`], taking the rows of `known` bundles from there rather
/// than from the bundles themselves (the `archive` run keeps those it wrote).
/// A folder without bundles (a démarche with no dossier yet) gets a header-only
/// inventory: the `archive` run that calls this made the folder.
///
/// # Errors
/// The folder cannot be listed or the output cannot be written.
pub fn write_inventory_with(
    archive_dir: &Path,
    format: Format,
    out: &Path,
    known: Option<&mut KnownRows>,
) -> Result<InventoryReport, InventoryError> {
    let found = listed(archive_dir)?;
    let mut read = read::in_folder(archive_dir);
    write_found(found, format, out, known, None, &Task::hidden(), &mut read)
}

/// The CSV inventory of `found` (a bucket's newest zips, as
/// [`crate::store::bucket::Listing::newest_in`] gives them), each row from
/// `row` (kept or made by the caller: an `archive --out s3://…` run), and its
/// `columns.json`: what [`write_bucket_inventory`] writes for the same bucket
/// when `row` gives the rows of those zips. A bundle `row` has no row for is
/// left out with its reason, as an unreadable one is.
///
/// # Errors
/// The output cannot be written.
pub fn write_known_csv(
    found: Discovered,
    source: &Path,
    out: &Path,
    row: &mut dyn FnMut(&FoundBundle) -> Result<known::KnownRow, String>,
) -> Result<InventoryReport, InventoryError> {
    // A CSV has no extra sheets: the bundle's `dossier.json` is not needed.
    let mut read = |f: &FoundBundle| -> read::Read {
        row(f).map(|r| (r.into_parts(), serde_json::Value::Null))
    };
    let hidden = Task::hidden();
    let report = write_found(
        Found::read_back(found, source),
        Format::Csv,
        out,
        None,
        None,
        &hidden,
        &mut read,
    )?;
    write_sidecar(out, &report)?;
    Ok(report)
}

/// Write the inventory of `found`, each row from `known` or else from
/// `read` (a folder's bundle in place, a bucket's downloaded).
fn write_found(
    found: Found<'_>,
    format: Format,
    out: &Path,
    mut known: Option<&mut KnownRows>,
    selection: Option<&[(String, Option<String>)]>,
    progress: &Task,
    read: &mut dyn FnMut(&FoundBundle) -> read::Read,
) -> Result<InventoryReport, InventoryError> {
    progress.start(found.count);
    // Rows are spilled to a temporary file, one JSON line each: the column
    // set is only known after the last bundle, and holding every row of a
    // 10^5-dossier archive in memory is what this avoids.
    // Next to the output: same filesystem for the final rename.
    let dir = crate::fsx::parent_dir(out);
    fs_err::create_dir_all(&dir).map_err(io_err("cannot create", &dir))?;
    let spill = tempfile::Builder::new()
        .prefix(".dossiers.")
        .suffix(".rows")
        .tempfile_in(&dir)
        .map_err(io_err("cannot create a temp file in", &dir))?;
    let mut spill_out = BufWriter::new(
        spill
            .as_file()
            .try_clone()
            .map_err(io_err("cannot write", spill.path()))?,
    );
    let mut rows = 0usize;
    let mut gathered = Gathered::default();
    let mut skipped = Vec::new();
    // DS's extra sheets: a CSV holds none.
    let mut extra = (format != Format::Csv).then(|| sheets::Collector::new(&dir));
    for f in found.bundles {
        let f = &f?;
        progress.inc();
        let kept = known.as_deref_mut().and_then(|k| kept_row(k, f));
        let read = match kept {
            Some(row) => Ok((row, None)),
            None => read(f).map(|(row, dossier)| (row, Some(dossier))),
        };
        let read = match (read, extra.as_mut()) {
            (Ok((row, Some(dossier))), Some(x)) => x.add_dossier(f.number, &dossier).map(|()| row),
            (Ok((row, None)), Some(x)) => x.read_bundle(f).map(|()| row),
            (r, _) => r.map(|(row, _)| row),
        };
        match read {
            Ok((row, cols)) => {
                gathered.add(cols);
                serde_json::to_writer(&mut spill_out, &row)
                    .map_err(|e| io_err("cannot write", spill.path())(e.into()))?;
                spill_out
                    .write_all(b"\n")
                    .map_err(io_err("cannot write", spill.path()))?;
                rows += 1;
            }
            Err(reason) => skipped.push((f.number, reason)),
        }
    }
    spill_out
        .flush()
        .map_err(io_err("cannot write", spill.path()))?;
    drop(spill_out);
    let spilled = || -> Result<_, InventoryError> {
        let file = fs_err::File::open(spill.path()).map_err(io_err("cannot read", spill.path()))?;
        Ok(
            std::io::BufRead::lines(std::io::BufReader::new(file)).map(|line| {
                line.and_then(|l| serde_json::from_str::<Row>(&l).map_err(std::io::Error::from))
            }),
        )
    };
    let dynamic = gathered.ordered();
    let standard = columns::standard(&dynamic);
    let (table, unknown_columns) = match selection {
        Some(specs) => columns::select(&standard, &dynamic, specs),
        None => (standard, Vec::new()),
    };
    let header: Vec<String> = table.iter().map(|c| c.header.clone()).collect();
    let cells = |r: &Row| -> Vec<String> {
        table
            .iter()
            .map(|c| r.get(&c.id).cloned().unwrap_or_default())
            .collect()
    };
    let lines = spilled()?.map(|r| {
        r.map(|r| cells(&r))
            .map_err(io_err("cannot read", spill.path()))
    });
    let extra = extra
        .map(sheets::Collector::finish)
        .transpose()
        .map_err(io_err("cannot write", &dir))?
        .unwrap_or_default();
    write::table(format, out, &header, lines, &extra)?;
    Ok(InventoryReport {
        path: out.to_owned(),
        rows,
        skipped,
        columns: table,
        unknown_columns,
        sheets: extra.into_iter().map(|s| s.info).collect(),
    })
}
