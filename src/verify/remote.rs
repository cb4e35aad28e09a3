//! `verify s3://BUCKET/PREFIX`: every bundle zip of a bucket archive, read
//! back and checked, against the latest run manifest of the bucket.
//!
//! Each zip is streamed from the server into a temporary file of its own
//! (hashed on the way, never held in memory), checked by the same zip
//! verifier as a local zip (bag manifests, CRCs, layout), then removed. Up
//! to `--jobs` zips are in flight at once, so that the network and the
//! checks overlap: disk use is that many zips. Their results are taken in
//! the order of the names whatever order they end in, so the report is the
//! same at any `--jobs`.
//!
//! Why nothing is held a dossier: the listing is read a page at a time into
//! a sort on disk ([`Listing`]), and each zip's digest goes to another
//! ([`ZipDigests`]) for the run manifest check, the join the check of a
//! folder makes (docs/benchmarks.md, "Memory", ninth round). The run
//! manifest read is the newest `PREFIX/runs/<stamp>-<run>/manifest-sha256.txt`;
//! a listed zip that is not in the bucket, a digest that differs and a zip it
//! does not list are `E_RUN_MANIFEST` findings, as for a folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use futures_util::StreamExt as _;

use super::codes::Code;
use super::jobs::compact_one;
use super::report::Finding;
use super::run_manifest::{check_sorted, RUN_MANIFEST};
use super::spilled::ZipDigests;
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
    let mut listing = Listing::read(client)
        .await
        .map_err(|e| Error::Remote(e.to_string()))?;
    if listing.zip_count() == 0 && listing.manifests.is_empty() {
        return Err(Error::Remote(format!(
            "{} holds no bundle zip and no run manifest",
            cfg.display()
        )));
    }
    progress.start(listing.zip_count());
    let spool = tempfile::tempdir()
        .map_err(|e| Error::Remote(format!("cannot create a temporary folder: {e}")))?;
    let sorted = |e: std::io::Error| {
        Error::Remote(format!(
            "{}: the listing, sorted on disk: {e}",
            cfg.display()
        ))
    };
    let names = listing.zip_names().map_err(sorted)?;
    // Several zips in flight, each checked by one thread: `--jobs` of them
    // keep as many cores busy as `--jobs` threads on one zip would.
    let in_flight = opts.jobs.max(1);
    let one_zip = Options { jobs: 1, ..*opts };
    let spool_dir = spool.path();
    let mut checked = futures_util::stream::iter(names)
        .map(|name| async move {
            let name = name.map_err(sorted)?;
            let file = spool_dir.join(&name);
            // One GET: the digest the run manifest is checked against is
            // taken on the way in, the bag checks read the local copy.
            let fetched = fetch(client, &cfg.key(&name), &file).await;
            let report = match &fetched {
                Ok(_) => {
                    let file = file.clone();
                    let report = tokio::task::spawn_blocking(move || verify_zip(&file, &one_zip))
                        .await
                        .map_err(|e| Error::Remote(format!("a verify task failed: {e}")));
                    Some(report)
                }
                Err(_) => None,
            };
            let _ = fs_err::remove_file(&file);
            Ok::<_, Error>((name, fetched, report.transpose()?))
        })
        .buffered(in_flight);
    let mut report = Report::new(opts.fast);
    let mut digests = ZipDigests::default();
    while let Some(done) = checked.next().await {
        let (name, fetched, zip_report) = done?;
        digests.push(&name, Some(&compact_one(fetched)));
        if let Some(r) = zip_report {
            report.merge(r);
        }
        progress.inc();
    }
    drop(checked);
    // The démarche's documents, listed in the run manifest beside the zips:
    // a few a run, their digests held.
    let mut documents = BTreeMap::new();
    for name in &listing.documents {
        let file = spool.path().join("document");
        documents.insert(name.clone(), fetch(client, &cfg.key(name), &file).await);
        let _ = fs_err::remove_file(&file);
    }
    if let Some(manifest_key) = listing.newest_manifest() {
        let text = client
            .read_text(manifest_key)
            .await
            .map_err(|e| Error::Remote(e.to_string()))?;
        let other = |n: &str| documents.get(n).cloned();
        let found = digests
            .into_sorted()
            .and_then(|zips| check_sorted(text.as_bytes(), zips, opts.fast, other));
        match found {
            Ok(found) => found.into_iter().for_each(|f| report.push(f)),
            Err(e) => {
                let f = Finding::new(Code::Unreadable, "", RUN_MANIFEST, e.to_string());
                report.push(f);
            }
        }
    }
    Ok(report)
}

/// Stream `key` into `file`: its SHA-256, or why it could not be read.
async fn fetch(client: &S3Client, key: &str, file: &Path) -> Result<String, ReadError> {
    client.download(key, file).await.map_err(|e| ReadError {
        kind: ProblemKind::Unreadable,
        message: e.to_string(),
    })
}
