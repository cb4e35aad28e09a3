//! `inventory s3://BUCKET/PREFIX --out FILE`: the inventory of a bucket
//! archive, each newest zip downloaded to a temporary file, read as a
//! folder's zip is, and removed. The next `--concurrency` zips download
//! while one is read ([`crate::store::bucket::ReadAhead`]): a reader that
//! waited for each GET in turn spent its time waiting. Rows come in the
//! order of the dossiers whatever order the downloads end in.

use std::path::Path;

use super::found::Found;
use super::{io_err, read, write_found, write_sidecar, Format, InventoryError, InventoryReport};
use crate::progress::Task;

/// [`super::write_inventory_counted`] of a bucket archive: `out` is a local
/// file, up to `concurrency` zips are on local disk at once. The zip's
/// SHA-256 is the one of the bytes downloaded.
///
/// # Errors
/// The bucket cannot be reached or listed ([`InventoryError::Bucket`]),
/// holds no bundle, or the output cannot be written.
pub fn write_bucket_inventory(
    url: &Path,
    s3: &crate::cli::storage_args::S3Args,
    format: Format,
    out: &Path,
    concurrency: usize,
    progress: &Task,
) -> Result<InventoryReport, InventoryError> {
    let mut bucket =
        crate::cli::storage_args::bucket_bundles(url, s3).map_err(InventoryError::Bucket)?;
    let Some(found) = bucket.take_found().filter(|f| f.count > 0) else {
        return Err(InventoryError::NoBundle(url.to_owned()));
    };
    let count = found.count;
    let source = url.to_owned();
    let ahead = bucket
        .read_ahead(found, concurrency)
        .map(move |f| f.map_err(io_err("cannot list", &source)));
    let found = Found {
        count,
        bundles: Box::new(ahead),
    };
    let mut read = read::from_bucket(&bucket);
    let report = write_found(found, format, out, None, None, progress, &mut read)?;
    write_sidecar(out, &report)?;
    Ok(report)
}
