//! The bundles an inventory is written for, and how many: a folder's read
//! back one at a time from their sort on disk (`bagit::bundles::discover_sorted`),
//! so that the inventory does not hold a list of the archive
//! (docs/benchmarks.md, "Memory"); a bucket's the same way, from its
//! listing (`store::bucket::Listing::newest_in`).

use std::path::Path;

use super::{io_err, InventoryError};
use crate::bagit::bundles::{discover_sorted, Discovered, FoundBundle};

/// The bundles of `archive_dir`, in the order of the dossier numbers, read
/// as they are written rather than held (docs/benchmarks.md, "Memory").
pub(super) fn listed(archive_dir: &Path) -> Result<Found<'static>, InventoryError> {
    let found = discover_sorted(archive_dir).map_err(io_err("cannot list", archive_dir))?;
    Ok(Found::read_back(found, archive_dir))
}

/// Bundles to write rows for, and how many.
pub(super) struct Found<'a> {
    /// How many.
    pub count: u64,
    /// The bundles, in the order of the dossier numbers.
    pub bundles: Box<dyn Iterator<Item = Result<FoundBundle, InventoryError>> + 'a>,
}

impl Found<'static> {
    /// The bundles of the archive at `source` (a folder or an `s3://` URL,
    /// named when one cannot be read back).
    pub(super) fn read_back(found: Discovered, source: &Path) -> Self {
        let source = source.to_owned();
        Self {
            count: found.count,
            bundles: Box::new(found.map(move |f| f.map_err(io_err("cannot list", &source)))),
        }
    }
}
