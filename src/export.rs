//! `ds-archive export`: a DS-like view of an archive, shaped by a template
//! (`crate::template`), built offline from each dossier's latest bag.
//!
//! The bags stay canonical; a view is a derived copy that can be rebuilt at
//! will with another template. [`plan`] (pure) names each file, [`write`]
//! copies the bytes (a folder tree or one zip per dossier), checking each
//! copy against the digest its bag records, and publishes the whole view at
//! once, with `paths.csv` tying every view file to its bag path and SHA-256.
//! [`check`] is the other direction: `verify` of a view. Rules and example:
//! docs/templates.md.

pub mod check;
pub mod plan;
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
    #[arg(long, value_name = "VIEW")]
    pub out: PathBuf,
    /// One zip per dossier (`<folder>.zip`) rather than a folder tree.
    #[arg(long)]
    pub zip: bool,
}

/// Run `ds-archive export`; returns the exit code (0 ok, 1 some dossiers
/// left out, 2 nothing written).
#[must_use]
pub fn command(args: &ExportArgs) -> u8 {
    match export(&args.dir, &args.template, &args.out, args.zip) {
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
