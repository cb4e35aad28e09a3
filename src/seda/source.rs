//! Where `seda` reads the bundles from: an archive folder (bag folders or
//! zips, read in place) or, for `--from s3://BUCKET/PREFIX`, a bucket
//! archive, whose zips are brought to a temporary file one at a time
//! ([`crate::store::bucket`]) and then read exactly as a folder's zips are.
//! Either way the newest version of each dossier is the one packaged, so a
//! bucket gives the same SIPs as a folder holding the same zips.

use std::io;

use crate::bagit::bundles::{discover_sorted, FoundBundle};
use crate::cli::storage_args::{bucket_bundles, is_s3};
use crate::store::bucket::{BucketBundles, Fetched};

use super::{SedaArgs, SedaError, Skipped};

/// The newest bundle of each dossier asked for, by number; from a folder,
/// read back from a sort on disk as they are used ([`discover_sorted`]).
pub(super) type Found = Box<dyn Iterator<Item = io::Result<FoundBundle>>>;

/// Where the bundles come from: the bucket, if any.
pub(super) struct Bundles {
    bucket: Option<BucketBundles>,
    /// How many bundles the listing yields.
    pub count: u64,
}

impl Bundles {
    /// List `--from`, keep the dossiers of `--dossier` (those missing are
    /// returned as skipped): the source, its bundles, the skipped.
    ///
    /// # Errors
    /// The folder or the bucket cannot be listed, or it holds no bundle.
    pub fn open(args: &SedaArgs) -> Result<(Self, Found, Vec<Skipped>), SedaError> {
        let listing = |source| SedaError::ListArchive {
            path: args.from.clone(),
            source,
        };
        let (bucket, count, found): (_, u64, Found) = if is_s3(&args.from) {
            let mut bucket = bucket_bundles(&args.from, &args.s3).map_err(SedaError::Bucket)?;
            // Read back from the listing's sort on disk, as a folder's are.
            let display = bucket.display();
            let found = bucket.take_found();
            let count = found.as_ref().map_or(0, |f| f.count);
            let found = found.into_iter().flatten().map(move |r| {
                r.map_err(|e| io::Error::other(format!("{display}: the listing read back: {e}")))
            });
            (Some(bucket), count, Box::new(found))
        } else {
            let found = discover_sorted(&args.from).map_err(listing)?;
            (None, found.count, Box::new(found))
        };
        if count == 0 {
            return Err(SedaError::NoBundle(args.from.clone()));
        }
        if args.dossiers.is_empty() {
            return Ok((Self { bucket, count }, found, Vec::new()));
        }
        // A few dossiers asked for by number: those are held.
        let mut kept = Vec::new();
        for f in found {
            let f = f.map_err(listing)?;
            if args.dossiers.contains(&f.number) {
                kept.push(f);
            }
        }
        let skipped = args
            .dossiers
            .iter()
            .filter(|n| !kept.iter().any(|f| f.number == **n))
            .map(|n| Skipped {
                dossier: *n,
                reason: format!("no dossier-{n} bundle in `{}`", args.from.display()),
            })
            .collect();
        let count = kept.len() as u64;
        Ok((
            Self { bucket, count },
            Box::new(kept.into_iter().map(Ok)),
            skipped,
        ))
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
