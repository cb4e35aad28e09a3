//! `verify s3://BUCKET/PREFIX`: every bundle zip of a bucket archive, read
//! back and checked, against the latest run manifest of the bucket.
//!
//! Each zip is streamed from the server into one temporary file (hashed on
//! the way, never held in memory), checked by the same zip verifier as a
//! local zip (bag manifests, CRCs, layout), then removed: disk use is one
//! zip at a time. The run manifest read is the newest
//! `PREFIX/runs/<stamp>-<run>/manifest-sha256.txt`; a listed zip that is not
//! in the bucket, a digest that differs and a zip it does not list are
//! `E_RUN_MANIFEST` findings, as for a folder.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::run_manifest::check_run_manifest;
use super::{verify_zip, Error, Options, Report};
use crate::bagit::source::{ProblemKind, ReadError};
use crate::cli::storage_args::{s3_client, S3Args};
use crate::progress::Task;
use crate::store::bucket::Listing;
use crate::store::s3::S3Client;

/// Verify the bucket archives named by `paths` (all `s3://` URLs).
///
/// # Errors
/// [`Error::Remote`] when a bucket cannot be reached or listed.
pub fn verify_s3_paths(
    paths: &[PathBuf],
    args: &S3Args,
    opts: &Options,
    progress: &Task,
) -> Result<Report, Error> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Error::Remote(format!("cannot start the async runtime: {e}")))?;
    let mut report = Report::new(opts.fast);
    for path in paths {
        let url = path.to_string_lossy();
        if !url.starts_with("s3://") {
            return Err(Error::Remote(format!(
                "`{url}`: verify bucket URLs and local paths in separate runs"
            )));
        }
        let client = s3_client(&url, args).map_err(Error::Remote)?;
        report.merge(rt.block_on(verify_bucket(&client, opts, progress))?);
    }
    report.finish();
    Ok(report)
}

async fn verify_bucket(
    client: &S3Client,
    opts: &Options,
    progress: &Task,
) -> Result<Report, Error> {
    let cfg = client.config();
    let listing = Listing::read(client)
        .await
        .map_err(|e| Error::Remote(e.to_string()))?;
    let zips = &listing.zips;
    if zips.is_empty() && listing.manifests.is_empty() {
        return Err(Error::Remote(format!(
            "{} holds no bundle zip and no run manifest",
            cfg.display()
        )));
    }
    progress.start(zips.len() as u64);
    let spool = tempfile::tempdir()
        .map_err(|e| Error::Remote(format!("cannot create a temporary folder: {e}")))?;
    let mut report = Report::new(opts.fast);
    let mut digests: BTreeMap<String, Result<String, ReadError>> = BTreeMap::new();
    for name in zips {
        let file = spool.path().join(name);
        // One GET: the digest the run manifest is checked against is taken
        // on the way in, the bag checks read the local copy.
        match fetch(client, &cfg.key(name), &file).await {
            Ok(sha) => {
                digests.insert(name.clone(), Ok(sha));
                let (file2, opts2) = (file.clone(), *opts);
                let checked = tokio::task::spawn_blocking(move || verify_zip(&file2, &opts2))
                    .await
                    .map_err(|e| Error::Remote(format!("a verify task failed: {e}")))?;
                report.merge(checked);
            }
            Err(e) => {
                digests.insert(name.clone(), Err(e));
            }
        }
        let _ = fs_err::remove_file(&file);
        progress.inc();
    }
    // The démarche's documents, listed in the run manifest beside the zips.
    for name in &listing.documents {
        let file = spool.path().join("document");
        digests.insert(name.clone(), fetch(client, &cfg.key(name), &file).await);
        let _ = fs_err::remove_file(&file);
    }
    if let Some(manifest_key) = listing.newest_manifest() {
        let text = client
            .read_text(manifest_key)
            .await
            .map_err(|e| Error::Remote(e.to_string()))?;
        // Zips by their index (check_run_manifest finds a zip by binary
        // search: the listing is sorted); the démarche's documents by name.
        let digest = |i: usize| digests.get(&zips[i]).cloned();
        let other = |n: &str| digests.get(n).cloned();
        // Reading from memory cannot fail.
        let found =
            check_run_manifest(text.as_bytes(), zips, digest, opts.fast, other).unwrap_or_default();
        for f in found {
            report.push(f);
        }
    }
    Ok(report)
}

/// Stream `key` into `file`: its SHA-256, or why it could not be read.
async fn fetch(client: &S3Client, key: &str, file: &std::path::Path) -> Result<String, ReadError> {
    client.download(key, file).await.map_err(|e| ReadError {
        kind: ProblemKind::Unreadable,
        message: e.to_string(),
    })
}
