//! Group commit: staged bundles are made durable and published several at a
//! time.
//!
//! Why: on small dossiers the disk flushes, not the downloads, set the pace.
//! Making each staged bag durable on its own costs one fsync per file and
//! folder (about twenty a dossier), each a write-back and a disk cache flush;
//! on a démarche of 10⁵ small dossiers that is hours of waiting on the disk.
//!
//! How: a dossier whose bag and zip are staged and checked hands them here and
//! waits. Whoever gets the commit turn takes every bundle waiting at that
//! moment and commits them together:
//!
//! 1. one flush of everything staged (`syncfs(2)` on Linux, see
//!    [`fsx::sync_filesystem`]; elsewhere every bag and zip is fsynced);
//! 2. one journal write and sync for all their `publishing` lines;
//! 3. the renames into the output folder, then one fsync of that folder;
//! 4. one journal write and sync for all their `dossier_done` lines.
//!
//! While a commit runs, the next dossiers queue for the next one, so a batch
//! grows with the load and a lone large dossier is committed alone, at once.
//! The crash rules do not change: nothing appears in the output folder before
//! its bytes are durable and its name is announced in the journal, and a
//! bundle counts only once its `dossier_done` line is durable; a crash in
//! between leaves names the next run removes (`report::clean_leftovers`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::oneshot;

use super::Ctx;
use crate::error::{Error, Result};
use crate::fsx;
use crate::journal::Event;

/// A bundle staged, zipped and checked, ready to be published.
pub(crate) struct Staged {
    /// Bundle name (`dossier-N`, `dossier-N.vK`).
    pub name: String,
    /// The staged bag folder.
    pub bag: PathBuf,
    /// The staged zip, when zips are written.
    pub zip: Option<PathBuf>,
    /// The `dossier_done` event that makes it count.
    pub done: Event,
}

type Waiting = (Staged, oneshot::Sender<Result<()>>);

/// The queue of staged bundles and the turn to commit them.
pub(crate) struct Committer {
    waiting: Mutex<Vec<Waiting>>,
    turn: tokio::sync::Mutex<()>,
    staging: PathBuf,
    /// The staging folder, opened before anything was staged, so that a
    /// write-back error on any staged file is reported by the flush.
    handle: Arc<std::fs::File>,
}

impl Committer {
    /// A committer for bundles staged under `staging` (which must exist).
    ///
    /// # Errors
    /// When `staging` cannot be opened.
    pub fn new(staging: &Path) -> Result<Self> {
        let handle = std::fs::File::open(staging)
            .map_err(|e| Error::io("open the staging folder", staging, e))?;
        Ok(Self {
            waiting: Mutex::new(Vec::new()),
            turn: tokio::sync::Mutex::new(()),
            staging: staging.to_path_buf(),
            handle: Arc::new(handle),
        })
    }

    /// Publish `staged`, with whatever else is waiting; returns once its
    /// `dossier_done` line is durable.
    ///
    /// # Errors
    /// Any failure of the commit it was part of (they stop the run).
    pub async fn publish(&self, ctx: &Ctx, staged: Staged) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        lock(&self.waiting).push((staged, tx));
        {
            let _turn = self.turn.lock().await;
            let batch = std::mem::take(&mut *lock(&self.waiting));
            if !batch.is_empty() {
                let (items, replies): (Vec<Staged>, Vec<_>) = batch.into_iter().unzip();
                let result = self.commit(ctx, items).await;
                for reply in replies {
                    let _ = reply.send(result.as_ref().map(|_| ()).map_err(echo));
                }
            }
        }
        rx.await
            .unwrap_or_else(|_| Err(Error::Usage("the commit was interrupted".into())))
    }

    async fn commit(&self, ctx: &Ctx, items: Vec<Staged>) -> Result<()> {
        let out = ctx.opts.out.clone();
        let moves: Vec<(PathBuf, Option<PathBuf>, String)> = items
            .iter()
            .map(|s| (s.bag.clone(), s.zip.clone(), s.name.clone()))
            .collect();
        // Never replace what this archive's journal does not know about, and
        // never announce a name that is taken (the next run would remove it).
        for (_, zip, name) in &moves {
            let dir = out.join(name);
            let zip_dest = zip.as_ref().map(|_| out.join(format!("{name}.zip")));
            if let Some(existing) = [Some(dir), zip_dest]
                .into_iter()
                .flatten()
                .find(|p| p.exists())
            {
                return Err(Error::Usage(format!(
                    "`{}` already exists and this folder's journal does not know it: refusing to \
                     replace it (move it away, or archive into another folder)",
                    existing.display()
                )));
            }
        }
        let (handle, staging) = (Arc::clone(&self.handle), self.staging.clone());
        let staged = moves.clone();
        blocking(move || flush_staged(&handle, &staging, &staged)).await?;

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
        ctx.journal.lock().await.append_all(publishing)?;

        blocking(move || {
            for (bag, zip, name) in &moves {
                fsx::move_dir_new(bag, &out.join(name))?;
                if let Some(zip) = zip {
                    fsx::move_file_new(zip, &out.join(format!("{name}.zip")))?;
                }
            }
            fsx::fsync_dir(&out)
        })
        .await?;

        let done = items.into_iter().map(|s| s.done).collect();
        ctx.journal.lock().await.append_all(done)
    }
}

/// Make every staged bag and zip of a commit durable: one filesystem flush
/// where the platform has one, else each bag and zip, then the staging folder.
fn flush_staged(
    handle: &std::fs::File,
    staging: &Path,
    staged: &[(PathBuf, Option<PathBuf>, String)],
) -> Result<()> {
    if fsx::sync_filesystem(handle, staging)? {
        return Ok(());
    }
    for (bag, zip, _) in staged {
        fsx::sync_tree(bag)?;
        if let Some(zip) = zip {
            fs_err::File::open(zip)
                .and_then(|f| f.sync_all())
                .map_err(|e| Error::io("fsync", zip, e))?;
        }
    }
    fsx::fsync_dir(staging)
}

async fn blocking(f: impl FnOnce() -> Result<()> + Send + 'static) -> Result<()> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(Error::Usage(format!("a commit task failed: {e}"))))
}

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
        other => Error::Usage(other.to_string()),
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}
