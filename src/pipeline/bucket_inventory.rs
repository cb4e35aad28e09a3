//! The inventory of an `archive --out s3://…` run: `dossiers.csv` and
//! `dossiers.columns.json` of what the bucket holds, made in the work dir and
//! uploaded with the run's other files, byte for byte what
//! `ds-archive inventory s3://… --out dossiers.csv` gives for the same bucket.
//!
//! Why not as for a folder: the bundles are in the bucket, and reading one
//! means downloading its zip. So the rows are kept in the work dir across
//! runs ([`KnownRows::open`]): each dossier's row is kept when the dossier is
//! built, and a row is trusted only for the zip it was made from (same name,
//! and the SHA-256 the journal records for that version). The rows a run
//! adds are uploaded beside its inventory (`dossiers.rows.jsonl`), so a run
//! with a fresh work dir (another machine) imports them instead of
//! downloading zips; only the zips whose row is still missing are
//! downloaded, `--concurrency` at a time (one temporary file each, removed
//! once read), and their rows kept in turn.
//!
//! Which bundles: the bucket listed at the end of the run, the newest zip of
//! each dossier, as `inventory s3://` lists it: read from the listing's sort
//! on disk twice (once to find the rows missing, once to write), never held. Made when the run changed
//! anything, or when the bucket has no inventory yet (the rule of a folder).
//! The inventory is a view: a failure is a warning, never the run's end.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use futures_util::StreamExt as _;

use super::Summary;
use crate::bagit::bundles::{BundleNames, FoundBundle};
use crate::inventory::known::KnownRows;
use crate::inventory::{self, kept_row_of_zip};
use crate::journal::State;
use crate::store::bucket::{run_files, Listing};
use crate::store::s3::S3Client;

/// The inventory, as named in the work dir and in the run's folder.
const CSV: &str = "dossiers.csv";
/// The rows a run added, as uploaded beside its inventory.
const ROWS: &str = "dossiers.rows.jsonl";
/// Every row kept, in the work dir's state folder.
const KEPT: &str = "inventory-rows.jsonl";
/// The keys of the bucket's rows files already imported, one a line.
const IMPORTED: &str = "inventory-rows-imported.txt";
/// The start of the name of the folder a zip is downloaded to.
const SPOOL: &str = ".inventory.";

/// Remove what a killed run's inventory left in `state_dir` (a folder with a
/// zip being read).
fn remove_spools(state_dir: &Path) {
    let Ok(entries) = fs_err::read_dir(state_dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(SPOOL) {
            let _ = fs_err::remove_dir_all(entry.path());
        }
    }
}

/// The rows a run keeps: in the work dir's file for a bucket run, else in an
/// unnamed temporary file (a folder's bundles are read in place).
pub(super) fn kept_rows(state_dir: &Path, bucket: bool) -> KnownRows {
    if bucket {
        remove_spools(state_dir);
        let path = state_dir.join(KEPT);
        match KnownRows::open(&path) {
            Ok(rows) => return rows,
            Err(e) => tracing::warn!(
                "inventory rows not kept across runs (`{}`: {e}): the inventory downloads the zips it needs",
                path.display()
            ),
        }
    }
    KnownRows::in_dir(state_dir)
}

/// Make the bucket's inventory in `out` (the work dir) when the run calls for
/// one, downloading up to `concurrency` zips at a time; the files to upload
/// with the run's files (none if not made).
pub(super) async fn make(
    out: &Path,
    client: &S3Client,
    known: &mut KnownRows,
    state: &State,
    summary: &Summary,
    concurrency: usize,
) -> Vec<PathBuf> {
    if summary.interrupted {
        // Ctrl-C: out soon; the next run makes it.
        return Vec::new();
    }
    let changed = summary.changed_anything();
    match try_make(out, client, known, state, changed, concurrency).await {
        Ok(files) => files,
        Err(e) => {
            tracing::warn!("{CSV} not made for {}: {e}", client.config().display());
            Vec::new()
        }
    }
}

/// The SHA-256 the journal records for a zip (the bucket listed at the
/// start of the run, and what the run uploaded): a zip it does not know came
/// since, and is read. A digest that cannot be read back counts as unknown.
fn journal_sha(state: &State, f: &FoundBundle) -> Option<String> {
    let v = match state.done.get(f.number, f.version) {
        Ok(v) => v?,
        Err(e) => {
            tracing::warn!(dossier = f.number, "zip read again: {e}");
            return None;
        }
    };
    v.has_zip().then(|| v.zip_sha256().into_owned())
}

/// Whether `f`'s row must be made from its zip.
fn row_missing(known: &mut KnownRows, state: &State, f: &FoundBundle) -> bool {
    journal_sha(state, f).is_none_or(|s| kept_row_of_zip(known, f, &s).is_none())
}

/// What reading the zips whose row was missing gave.
#[derive(Default)]
struct Downloaded {
    /// Why a dossier's zip could not be read into a row.
    unread: BTreeMap<u64, String>,
    /// The digest of a zip downloaded, when the journal gives another.
    read: BTreeMap<u64, String>,
}

async fn try_make(
    out: &Path,
    client: &S3Client,
    known: &mut KnownRows,
    state: &State,
    changed: bool,
    concurrency: usize,
) -> Result<Vec<PathBuf>, String> {
    let shown = |e: crate::store::s3::S3Error| e.to_string();
    if !changed && !run_files(client, CSV).await.map_err(shown)?.is_empty() {
        return Ok(Vec::new());
    }
    let mut listing = Listing::read(client).await.map_err(shown)?;
    let state_dir = out.join(crate::journal::STATE_DIR);
    let spool = tempfile::Builder::new()
        .prefix(SPOOL)
        .tempdir_in(&state_dir)
        .map_err(|e| {
            format!(
                "cannot create a temporary folder in `{}`: {e}",
                state_dir.display()
            )
        })?;
    let sorted = |e: std::io::Error| format!("the bucket's listing, sorted on disk: {e}");
    // First pass: the zips whose row is missing (sorted again for the
    // second pass: they come out as they went in).
    let mut again = BundleNames::default();
    let mut missing = Vec::new();
    for f in listing.newest_in(spool.path()).map_err(sorted)? {
        let f = f.map_err(sorted)?;
        again.push_zip(&file_name(&f)).map_err(sorted)?;
        if row_missing(known, state, &f) {
            missing.push(f);
        }
    }
    if !missing.is_empty() {
        import_rows(client, known, &state_dir, spool.path()).await;
        missing.retain(|f| row_missing(known, state, f));
    }
    let got = download_missing(client, &listing.prefix, missing, known, state, concurrency).await;
    if let Err(e) = known.sync() {
        tracing::warn!("inventory rows not made durable: {e}");
    }
    let csv = out.join(CSV);
    let mut row = |f: &FoundBundle| {
        if let Some(why) = got.unread.get(&f.number) {
            return Err(why.clone());
        }
        // Downloaded just now: the digest of those bytes, as `inventory s3://`.
        let sum = got
            .read
            .get(&f.number)
            .cloned()
            .or_else(|| journal_sha(state, f));
        sum.and_then(|s| kept_row_of_zip(known, f, &s))
            .ok_or_else(|| "its row could not be kept".to_owned())
    };
    let found = again.newest(spool.path()).map_err(sorted)?;
    let source = PathBuf::from(client.config().display());
    let report =
        inventory::write_known_csv(found, &source, &csv, &mut row).map_err(|e| e.to_string())?;
    for (n, why) in &report.skipped {
        tracing::warn!(dossier = n, "not in {CSV}: {why}");
    }
    let mut files = vec![csv.clone(), inventory::columns::sidecar_path(&csv)];
    let rows = state_dir.join(ROWS);
    let mut added = 0;
    crate::fsx::write_atomic_if_changed(&rows, |w| {
        added = known.write_fresh(w)?;
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    if added > 0 {
        files.push(rows);
    }
    Ok(files)
}

fn file_name(f: &FoundBundle) -> String {
    let name = f.location.path().file_name();
    name.map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Download the zips of `missing` (each to its path in the spool, removed
/// once read), `concurrency` at a time, and keep each one's row; rows are
/// kept in the order of the dossiers whatever order the downloads end in.
async fn download_missing(
    client: &S3Client,
    prefix: &str,
    missing: Vec<FoundBundle>,
    known: &mut KnownRows,
    state: &State,
    concurrency: usize,
) -> Downloaded {
    let mut got = Downloaded::default();
    if missing.is_empty() {
        return got;
    }
    tracing::info!(
        zips = missing.len(),
        "downloading the zips whose inventory row this work dir lacks"
    );
    let mut rows = futures_util::stream::iter(missing)
        .map(|f| async move {
            let path = f.location.path().to_owned();
            let key = format!("{prefix}{}", file_name(&f));
            let read = match client.download(&key, &path).await {
                Ok(sum) => {
                    let f = f.clone();
                    tokio::task::spawn_blocking(move || {
                        inventory::row_of_zip(&f, &sum).map(|row| (row, sum))
                    })
                    .await
                    .unwrap_or_else(|e| Err(format!("reading the zip stopped: {e}")))
                }
                Err(e) => Err(e.to_string()),
            };
            let _ = fs_err::remove_file(&path);
            (f, read)
        })
        .buffered(concurrency.max(1));
    while let Some((f, read)) = rows.next().await {
        match read {
            Ok((row, sum)) => {
                known.add(f.number, f.version, &row);
                // Only a digest the journal does not give is held.
                if journal_sha(state, &f).as_ref() != Some(&sum) {
                    got.read.insert(f.number, sum);
                }
            }
            Err(why) => {
                got.unread.insert(f.number, why);
            }
        }
    }
    got
}

/// Import the rows files other runs uploaded that this work dir has not
/// imported yet (a fresh work dir: all of them). A file that cannot be read
/// is only a warning: its rows' zips are downloaded instead.
async fn import_rows(client: &S3Client, known: &mut KnownRows, state_dir: &Path, spool: &Path) {
    let keys = match run_files(client, ROWS).await {
        Ok(keys) => keys,
        Err(e) => {
            tracing::warn!("inventory rows of earlier runs not read: {e}");
            return;
        }
    };
    let record = state_dir.join(IMPORTED);
    let done: BTreeSet<String> = fs_err::read_to_string(&record)
        .map(|s| s.lines().map(str::to_owned).collect())
        .unwrap_or_default();
    let tmp = spool.join(ROWS);
    for key in keys.into_iter().filter(|k| !done.contains(k)) {
        let imported = match client.download(&key, &tmp).await {
            Ok(_) => fs_err::File::open(&tmp)
                .and_then(|f| known.import(std::io::BufReader::new(f)))
                .map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        let _ = fs_err::remove_file(&tmp);
        match imported {
            Ok(n) => {
                tracing::info!(key, rows = n, "inventory rows of an earlier run imported");
                let noted = fs_err::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&record)
                    .and_then(|mut f| writeln!(f, "{key}"));
                if let Err(e) = noted {
                    tracing::warn!("`{}` not updated: {e}", record.display());
                }
            }
            Err(e) => tracing::warn!(key, "inventory rows of an earlier run not read: {e}"),
        }
    }
}
