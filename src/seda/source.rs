//! Where `seda` reads the bundles from: an archive folder (bag folders or
//! zips, read in place) or, for `--from s3://BUCKET/PREFIX`, a bucket
//! archive, whose zips are brought to a temporary file one at a time
//! ([`crate::store::bucket`]) and then read exactly as a folder's zips are.
//! Either way the newest version of each dossier is the one packaged, so a
//! bucket gives the same SIPs as a folder holding the same zips.

use crate::bagit::bundles::{discover, FoundBundle};
use crate::cli::storage_args::{bucket_bundles, is_s3};
use crate::store::bucket::{BucketBundles, Fetched};

use super::{SedaArgs, SedaError, Skipped};

/// The bundles to package, and the bucket they come from, if any.
pub(super) struct Bundles {
    bucket: Option<BucketBundles>,
    /// The newest bundle of each dossier asked for, by number.
    pub found: Vec<FoundBundle>,
}

impl Bundles {
    /// List `--from`, keep the dossiers of `--dossier` (those missing are
    /// returned as skipped).
    ///
    /// # Errors
    /// The folder or the bucket cannot be listed, or it holds no bundle.
    pub fn open(args: &SedaArgs) -> Result<(Self, Vec<Skipped>), SedaError> {
        let (bucket, mut found) = if is_s3(&args.from) {
            let mut bucket = bucket_bundles(&args.from, &args.s3).map_err(SedaError::Bucket)?;
            // Held as a folder's are (`discover`): `--dossier` and the
            // batches pick from the whole list.
            let found: Result<Vec<FoundBundle>, _> =
                bucket.take_found().into_iter().flatten().collect();
            let found = found.map_err(|e| {
                SedaError::Bucket(format!("{}: the listing read back: {e}", bucket.display()))
            })?;
            (Some(bucket), found)
        } else {
            let found = discover(&args.from).map_err(|source| SedaError::ListArchive {
                path: args.from.clone(),
                source,
            })?;
            (None, found)
        };
        if found.is_empty() {
            return Err(SedaError::NoBundle(args.from.clone()));
        }
        let mut skipped = Vec::new();
        if !args.dossiers.is_empty() {
            for n in &args.dossiers {
                if !found.iter().any(|f| f.number == *n) {
                    skipped.push(Skipped {
                        dossier: *n,
                        reason: format!("no dossier-{n} bundle in `{}`", args.from.display()),
                    });
                }
            }
            found.retain(|f| args.dossiers.contains(&f.number));
        }
        Ok((Self { bucket, found }, skipped))
    }

    /// Make `f` readable at its location: nothing to do in a folder; from a
    /// bucket, its zip is downloaded, and removed when the result is dropped.
    ///
    /// # Errors
    /// The download failed (the message names the bucket, key and cause).
    pub fn fetch(&self, f: &FoundBundle) -> Result<Option<Fetched>, String> {
        self.bucket.as_ref().map(|b| b.fetch(f)).transpose()
    }
}
