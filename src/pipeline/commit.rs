//! Group commit: staged bundles are made durable and published several at a
//! time, in two stages that overlap.
//!
//! Why: on small dossiers the disk flushes, not the downloads, set the pace.
//! Making each staged bag durable on its own costs one fsync per file and
//! folder (about twenty a dossier), each a write-back and a disk cache flush;
//! on a démarche of 10⁵ small dossiers that is hours of waiting on the disk.
//!
//! How: a dossier whose bag and zip are staged and checked hands them here and
//! waits. Each stage has a turn; whoever gets a stage's turn takes every
//! bundle waiting for that stage and handles them together:
//!
//! 1. *flush*: check that no final name is taken, write their `publishing`
//!    lines to the journal, then one flush of everything written
//!    (`syncfs(2)` on Linux, see [`fsx::sync_filesystem`], which covers the
//!    staged bags, zips and those journal lines; elsewhere, and for a batch
//!    of large zips without bag folders (`--keep zips`), every bag and zip
//!    and the journal are fsynced);
//! 2. *publish*: the target ([`crate::store::Target`]) publishes them (a
//!    folder: rename each bag and zip into it, one fsync of it; a bucket:
//!    upload each zip create-only and read it back), then their
//!    `dossier_done` lines with one journal write and sync.
//!
//! When a batch is flushed: once [`BATCH`] bundles or [`BATCH_BYTES`] of
//! attachments wait, or as soon as no dossier is being built (nothing more
//! would come soon: the listing waits for DS, or the run ends, fails or is
//! cancelled). A flush costs about the same for one bundle as for thirty:
//! flushing each bundle as it came (the pipeline builds a small dossier in a
//! few milliseconds) meant one `syncfs` per dossier, the same directory and
//! inode blocks written again and again, and each dossier holding its build
//! slot while it waited. Dossiers waiting here hold no build slot
//! ([`Committer::building`]). While one batch is being published the next
//! is being flushed. The crash rules do not change: nothing appears in the
//! output folder before its bytes are durable and its name is announced in
//! the journal, and a bundle counts only once its `dossier_done` line is
//! durable; a crash in between leaves names the next run removes
//! (`report::clean_leftovers`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{oneshot, Notify, Semaphore, SemaphorePermit};

use super::Ctx;
use crate::error::{Error, Result};
use crate::fsx;
use crate::journal::Event;
use crate::store::Outcome;

/// A bundle staged, zipped and checked, ready to be published.
pub(crate) use crate::store::Bundle as Staged;

/// Attachment and payload bytes of a bundle.
fn bytes(s: &Staged) -> u64 {
    match &s.done {
        Event::DossierDone { bytes, .. } => *bytes,
        _ => 0,
    }
}

type Waiting = (Staged, oneshot::Sender<Result<()>>);

/// Bundles that make a batch worth flushing without waiting for more.
pub(crate) const BATCH: usize = 32;

/// Attachment bytes that make a batch worth flushing (large dossiers: the
/// kernel writes them back meanwhile; this bounds what a crash could cost).
const BATCH_BYTES: u64 = 256 << 20;

/// The queues of staged bundles and the turns of the two stages.
pub(crate) struct Committer {
    to_flush: Mutex<Vec<Waiting>>,
    flush_turn: tokio::sync::Mutex<()>,
    to_publish: Mutex<Vec<Waiting>>,
    publish_turn: tokio::sync::Mutex<()>,
    /// Build slots: dossiers being downloaded, described, zipped. All of
    /// them free means nothing is being built.
    builders: Semaphore,
    max_builders: usize,
    /// Signalled when the last dossier being built stops.
    idle: Notify,
    staging: PathBuf,
    /// The staging folder, opened before anything was staged, so that a
    /// write-back error on any staged file is reported by the flush.
    handle: Arc<std::fs::File>,
}

impl Committer {
    /// A committer for bundles staged under `staging` (which must exist), by
    /// at most `builders` dossiers built at once.
    ///
    /// # Errors
    /// When `staging` cannot be opened.
    pub fn new(staging: &Path, builders: usize) -> Result<Self> {
        let handle = std::fs::File::open(staging)
            .map_err(|e| Error::io("open the staging folder", staging, e))?;
        Ok(Self {
            to_flush: Mutex::new(Vec::new()),
            flush_turn: tokio::sync::Mutex::new(()),
            to_publish: Mutex::new(Vec::new()),
            publish_turn: tokio::sync::Mutex::new(()),
            builders: Semaphore::new(builders.max(1)),
            max_builders: builders.max(1),
            idle: Notify::new(),
            staging: staging.to_path_buf(),
            handle: Arc::new(handle),
        })
    }

    /// A build slot, held while a dossier is built (waits for one).
    pub async fn building(&self) -> Building<'_> {
        let permit = self
            .builders
            .acquire()
            .await
            .expect("the build semaphore is never closed");
        Building {
            permit: Some(permit),
            committer: self,
        }
    }

    /// Publish `staged` (its build slot already given back), with whatever
    /// else is waiting; returns once its `dossier_done` line is durable.
    ///
    /// # Errors
    /// Any failure of the batch it was part of (they stop the run).
    pub async fn publish(&self, ctx: &Ctx, staged: Staged) -> Result<()> {
        let (tx, mut rx) = oneshot::channel();
        lock(&self.to_flush).push((staged, tx));
        loop {
            // Registered before the check, so an idle signal sent between
            // the check and the wait is not missed.
            let idle = self.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.batch_ready() {
                break;
            }
            tokio::select! {
                // Flushed and published as part of another dossier's batch.
                reply = &mut rx => return reply.unwrap_or_else(|_| Err(interrupted())),
                () = idle => {}
            }
        }
        {
            let _turn = self.flush_turn.lock().await;
            let batch = std::mem::take(&mut *lock(&self.to_flush));
            if !batch.is_empty() {
                let items: Vec<&Staged> = batch.iter().map(|(s, _)| s).collect();
                match self.flush(ctx, &items).await {
                    Ok(()) => lock(&self.to_publish).extend(batch),
                    Err(e) => reply(batch, &Err(e)),
                }
            }
        }
        {
            let _turn = self.publish_turn.lock().await;
            let batch = std::mem::take(&mut *lock(&self.to_publish));
            if !batch.is_empty() {
                let items: Vec<&Staged> = batch.iter().map(|(s, _)| s).collect();
                match publish_all(ctx, &items).await {
                    Ok(results) => {
                        for ((_, tx), result) in batch.into_iter().zip(results) {
                            let _ = tx.send(result);
                        }
                    }
                    Err(e) => reply(batch, &Err(e)),
                }
            }
        }
        rx.await.unwrap_or_else(|_| Err(interrupted()))
    }

    /// Whether the bundles waiting make a batch now.
    fn batch_ready(&self) -> bool {
        let waiting = lock(&self.to_flush);
        let bytes: u64 = waiting.iter().map(|(s, _)| bytes(s)).sum();
        waiting.len() >= BATCH || bytes >= BATCH_BYTES || self.nothing_building()
    }

    /// Every build slot is free (a released slot goes straight to a dossier
    /// waiting for one, so a free slot means none is waiting either).
    fn nothing_building(&self) -> bool {
        self.builders.available_permits() == self.max_builders
    }

    /// Stage 1: names free, `publishing` lines written, everything flushed.
    async fn flush(&self, ctx: &Ctx, items: &[&Staged]) -> Result<()> {
        // Never replace what this archive's journal does not know about, and
        // never announce a name that is taken (the next run would remove it).
        let names: Vec<&str> = items.iter().map(|s| s.name.as_str()).collect();
        ctx.opts.target.check_free(&names)?;
        let publishing = items
            .iter()
            .filter_map(|s| match &s.done {
                Event::DossierDone { number, .. } => Some(Event::Publishing {
                    number: *number,
                    name: s.name.clone(),
                }),
                _ => None,
            })
            .collect();
        ctx.journal.lock().await.append_unsynced(publishing)?;
        let (handle, staging) = (Arc::clone(&self.handle), self.staging.clone());
        let staged: Vec<(Option<PathBuf>, Option<PathBuf>)> = items
            .iter()
            .map(|s| (s.bag.clone(), s.zip.clone()))
            .collect();
        let each = zips_only_and_large(items);
        let clock = std::time::Instant::now();
        let flushed = blocking(move || flush_staged(&handle, &staging, &staged, each)).await?;
        if !flushed {
            ctx.journal.lock().await.sync()?;
        }
        tracing::debug!(
            bundles = items.len(),
            ms = clock.elapsed().as_secs_f64() * 1e3,
            "commit: staged bundles flushed"
        );
        Ok(())
    }
}

/// Stage 2: the target publishes (renames into the folder, or uploads),
/// then the `dossier_done` lines of what it published, in one journal write;
/// a bundle whose name the target found taken fails alone.
async fn publish_all(ctx: &Ctx, items: &[&Staged]) -> Result<Vec<Result<()>>> {
    let clock = std::time::Instant::now();
    let outcomes = ctx.opts.target.publish(items).await?;
    let mut done = Vec::new();
    let mut results = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Done(event) => {
                done.push(event);
                results.push(Ok(()));
            }
            Outcome::Conflict(why) => results.push(Err(Error::Conflict(why))),
        }
    }
    ctx.journal.lock().await.append_all(done)?;
    tracing::debug!(
        bundles = items.len(),
        ms = clock.elapsed().as_secs_f64() * 1e3,
        "commit: bundles published"
    );
    Ok(results)
}

/// A dossier's build slot; giving back the last one signals waiting bundles
/// that nothing more is coming for now.
pub(crate) struct Building<'a> {
    permit: Option<SemaphorePermit<'a>>,
    committer: &'a Committer,
}

impl Drop for Building<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        if self.committer.nothing_building() {
            self.committer.idle.notify_waiters();
        }
    }
}

fn interrupted() -> Error {
    Error::Internal("the commit was interrupted".into())
}

fn reply(batch: Vec<Waiting>, result: &Result<()>) {
    for (_, tx) in batch {
        let _ = tx.send(result.as_ref().copied().map_err(echo));
    }
}

/// Zips a batch must hold on average for each to be flushed on its own
/// rather than with the whole filesystem.
const EACH_ZIP_BYTES: u64 = 16 << 20;

/// Whether a batch is better flushed zip by zip than with `syncfs`: it has
/// no bag folder to publish (`--keep zips`) and its zips are large.
///
/// Why: `syncfs` writes back everything dirty on the filesystem, which
/// includes the staged bags of the dossiers still downloading. Those are
/// deleted unpublished once zipped, so with `--keep zips` each flush wrote
/// to disk, at full cost, bytes that were about to be thrown away, and then
/// deleting them cost as much again (freeing written blocks, discards on a
/// filesystem mounted with `discard`): measured on the large scenario,
/// `--keep zips` wrote as many bytes as `--keep both`. One fsync a zip costs
/// a disk cache flush each, nothing against 16 MiB of writing; small zips
/// keep the one `syncfs` a batch (tens of small zips per flush).
fn zips_only_and_large(items: &[&Staged]) -> bool {
    let zips = items.iter().filter(|s| s.zip.is_some()).count() as u64;
    let bytes: u64 = items.iter().map(|s| bytes(s)).sum();
    zips > 0 && items.iter().all(|s| s.bag.is_none()) && bytes >= zips * EACH_ZIP_BYTES
}

/// Make every staged bag and zip of a batch durable, and the journal lines
/// written before: one filesystem flush where the platform has one and
/// `each` is false (returns `true`), else each bag and zip, then the staging
/// folder (returns `false`: the caller syncs the journal).
fn flush_staged(
    handle: &std::fs::File,
    staging: &Path,
    staged: &[(Option<PathBuf>, Option<PathBuf>)],
    each: bool,
) -> Result<bool> {
    if !each && fsx::sync_filesystem(handle, staging)? {
        return Ok(true);
    }
    for (bag, zip) in staged {
        if let Some(bag) = bag {
            fsx::sync_tree(bag)?;
        }
        if let Some(zip) = zip {
            fs_err::File::open(zip)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io("fsync", zip, e))?;
        }
    }
    fsx::fsync_dir(staging)?;
    Ok(false)
}

use crate::store::blocking;

/// The same failure, for every dossier of the batch (errors are not `Clone`).
fn echo(e: &Error) -> Error {
    match e {
        Error::Io {
            action,
            path,
            source,
        } => Error::Io {
            action,
            path: path.clone(),
            source: std::io::Error::new(source.kind(), source.to_string()),
        },
        Error::Unrecorded { path } => Error::Unrecorded { path: path.clone() },
        Error::Storage(m) => Error::Storage(m.clone()),
        other => Error::Internal(other.to_string()),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
