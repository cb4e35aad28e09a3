//! `ds-archive inventory` as the CLI runs it: the default output path,
//! warnings for bundles left out, the summary and the exit code. Kept apart
//! from the writing so the rules of a row stay readable.

use serde_json::json;

use super::{write_inventory_counted, InventoryArgs, InventoryError};
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
    let out = args.out.clone().unwrap_or_else(|| {
        args.dir
            .join(format!("dossiers.{}", args.format.extension()))
    });
    let written = write_inventory_counted(&args.dir, args.format, &out, progress);
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
