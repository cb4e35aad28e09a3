//! `ds-archive inventory` as the CLI runs it: the default output path,
//! warnings for bundles left out, the summary and the exit code. Kept apart
//! from the writing so the rules of a row stay readable.

use serde_json::json;

use super::{write_bucket_inventory, write_inventory_counted, InventoryArgs, InventoryError};
use crate::cli::storage_args::is_s3;
use crate::console;
use crate::error::exit;
use crate::progress::Task;

/// Run `ds-archive inventory`; returns the exit code (0 ok, 1 some bundles
/// unreadable, 2 fatal).
#[must_use]
pub fn command(args: &InventoryArgs) -> u8 {
    command_with(args, &Task::hidden())
}

/// [`command`], showing progress on `progress`.
#[must_use]
pub fn command_with(args: &InventoryArgs, progress: &Task) -> u8 {
    let written = if is_s3(&args.dir) {
        // Nothing is written to the bucket but by `archive`: the file is local.
        let Some(out) = &args.out else {
            progress.finish();
            return console::fatal(
                "an inventory of a bucket is written locally: give --out FILE",
                Some("e.g. --out dossiers.csv"),
            );
        };
        write_bucket_inventory(
            &args.dir,
            &args.s3,
            args.format,
            out,
            usize::from(args.concurrency),
            progress,
        )
    } else {
        let out = args.out.clone().unwrap_or_else(|| {
            args.dir
                .join(format!("dossiers.{}", args.format.extension()))
        });
        write_inventory_counted(&args.dir, args.format, &out, progress)
    };
    progress.finish();
    match written {
        Ok(report) => {
            for (n, reason) in &report.skipped {
                console::warning(
                    &format!("dossier {n} left out of the inventory: {reason}"),
                    &json!({ "dossier": n, "reason": reason }),
                );
            }
            console::out(report.path.display());
            console::summary(
                &format!("{} dossier(s) listed", report.rows),
                &json!({ "rows": report.rows, "skipped": report.skipped.len() }),
            );
            if report.skipped.is_empty() {
                exit::OK
            } else {
                exit::FAILURES
            }
        }
        Err(e @ InventoryError::NoBundle(_)) => console::fatal(
            &e.to_string(),
            Some("give the --out folder of `ds-archive archive`; is the share mounted?"),
        ),
        Err(e) => console::fatal(&e.to_string(), None),
    }
}
