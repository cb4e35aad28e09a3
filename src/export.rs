//! `ds-archive export`: a DS-like view of an archive, shaped by a template
//! (`crate::template`), built offline from each dossier's latest bag.
//!
//! The bags stay canonical; a view is a derived copy that can be rebuilt at
//! will with another template. [`plan`] (pure) names each file, [`write`]
//! copies the bytes (a folder tree or one zip per dossier), checking each
//! copy against the digest its bag records, and publishes the whole view at
//! once, with `paths.csv` tying every view file to its bag path and SHA-256.
//! [`check`] is the other direction: `verify` of a view. [`table`] is the
//! template's tabular view (`--table`: CSV, XLSX, ODS with its columns).
//! Rules and example: docs/templates.md.

pub mod check;
pub mod plan;
pub mod table;
mod write;

use std::path::PathBuf;

use serde_json::json;

pub use write::{export, ExportError, ExportReport};

use crate::console;
use crate::error::exit;

/// `ds-archive export` options.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The archive folder written by `ds-archive archive`.
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// The template (TOML; `ds-archive template init --from DIR` writes one).
    #[arg(long, value_name = "TEMPLATE")]
    pub template: PathBuf,
    /// The view folder to write (replaced if it holds an earlier view).
    #[arg(long, value_name = "VIEW", required_unless_present = "table")]
    pub out: Option<PathBuf>,
    /// Also (or only) write the template's table: one row per dossier, its
    /// [[columns]] in order (the standard inventory columns when it lists
    /// none), as .csv, .xlsx or .ods by the file's extension, with a
    /// columns.json beside it; .xlsx and .ods add DS's extra sheets (Avis,
    /// one per répétition block).
    #[arg(long, value_name = "FILE")]
    pub table: Option<PathBuf>,
    /// One zip per dossier (`<folder>.zip`) rather than a folder tree.
    #[arg(long)]
    pub zip: bool,
}

/// Run `ds-archive export`; returns the exit code (0 ok, 1 some dossiers
/// left out, 2 nothing written).
#[must_use]
pub fn command(args: &ExportArgs) -> u8 {
    let code = match &args.out {
        Some(out) => view(args, out),
        None => exit::OK,
    };
    if code == exit::FATAL {
        return code;
    }
    match &args.table {
        Some(table) => code.max(tabular(args, table)),
        None => code,
    }
}

fn view(args: &ExportArgs, out: &std::path::Path) -> u8 {
    match export(&args.dir, &args.template, out, args.zip) {
        Ok(report) => {
            for (n, reason) in &report.skipped {
                console::warning(
                    &format!("dossier {n} left out of the view: {reason}"),
                    &json!({ "dossier": n, "reason": reason }),
                );
            }
            console::out(report.out.display());
            console::summary(
                &format!(
                    "{} dossier(s), {} file(s) exported",
                    report.dossiers, report.files
                ),
                &json!({ "dossiers": report.dossiers, "files": report.files, "skipped": report.skipped.len() }),
            );
            if report.skipped.is_empty() {
                exit::OK
            } else {
                exit::FAILURES
            }
        }
        Err(e) => console::fatal(&e.to_string(), None),
    }
}

fn tabular(args: &ExportArgs, table: &std::path::Path) -> u8 {
    let loaded = crate::template::descriptor::from_archive(&args.dir)
        .map_err(|e| e.to_string())
        .and_then(|(d, _)| crate::template::load(&args.template, &d).map_err(|e| e.to_string()));
    let written = loaded.and_then(|t| table::write(&args.dir, &t, table));
    match written {
        Ok(report) => {
            for (n, reason) in &report.skipped {
                console::warning(
                    &format!("dossier {n} left out of the table: {reason}"),
                    &json!({ "dossier": n, "reason": reason }),
                );
            }
            for id in &report.unknown_columns {
                console::warning(
                    &format!("column `{id}`: no dossier has it (written empty)"),
                    &json!({ "column": id }),
                );
            }
            console::out(report.path.display());
            console::summary(
                &format!("{} dossier row(s) in the table", report.rows),
                &json!({ "rows": report.rows, "skipped": report.skipped.len() }),
            );
            if report.skipped.is_empty() {
                exit::OK
            } else {
                exit::FAILURES
            }
        }
        Err(e) => console::fatal(&e, None),
    }
}
