//! Where finished bundles go: the one seam between the commit stage and the
//! storage, so the pipeline never asks which storage it writes to.
//!
//! Two targets sit behind [`Target`]: a local folder ([`Local`], the layout
//! the README documents, unchanged) and an S3 bucket ([`S3Target`], zips
//! only, created with `If-None-Match: *` and checked by the server). Both
//! keep one rule: never replace an object or a file; a name already taken by
//! something the archive does not know is reported, not overwritten. The
//! journal, the staging and the run files are always written in the local
//! folder first (for S3, the work dir); the target publishes what must
//! outlive that folder, and tells what it already holds so that a run on
//! another machine resumes from it.

pub mod bucket;
pub mod config;
pub mod s3;
mod s3_target;
pub mod sigv4;
mod xml;

use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;

use crate::error::{Error, Result};
use crate::fsx;
use crate::journal::Event;

pub use s3_target::{S3Options, S3Target};

/// A bundle staged, zipped and checked, ready to be published.
pub struct Bundle {
    /// Bundle name (`dossier-N`, `dossier-N.vK`).
    pub name: String,
    /// The staged bag folder, unless only the zip is kept (`--keep zips`).
    pub bag: Option<PathBuf>,
    /// The staged zip, when zips are written.
    pub zip: Option<PathBuf>,
    /// The `dossier_done` event that makes it count.
    pub done: Event,
}

/// What became of one bundle handed to [`Target::publish`].
pub enum Outcome {
    /// Published (or found already there, identical): record this event.
    Done(Event),
    /// The name is taken by other content; nothing was replaced. The
    /// dossier fails with this reason.
    Conflict(String),
}

/// Whether the local journal records a bundle of this name (asked by name:
/// the journal's versions are on disk, not a list in memory).
pub type Known<'a> = &'a (dyn Fn(&str) -> Result<bool> + Sync);

/// A place bundles are published to. Methods that talk to a server return
/// boxed futures so the pipeline can hold any target as `dyn Target`.
pub trait Target: Send + Sync + std::fmt::Debug {
    /// Where it is, for messages (`/srv/archive`, `s3://bucket/prefix`).
    fn describe(&self) -> String;

    /// Check the target keeps its promises before anything is written
    /// (S3: create-only and checksums honoured); returns warnings to report.
    fn probe(&self) -> BoxFuture<'_, Result<Vec<String>>>;

    /// `dossier_done` events of bundles the target holds that `known` (is
    /// this bundle name in the local journal?) lacks: how a run resumes on
    /// another machine.
    fn recorded<'a>(&'a self, known: Known<'a>) -> BoxFuture<'a, Result<Vec<Event>>>;

    /// Refuse, before a batch is announced in the journal, a name the local
    /// folder already has (S3 checks at write time instead).
    ///
    /// # Errors
    /// [`Error::Unrecorded`] naming the file.
    fn check_free(&self, names: &[&str]) -> Result<()>;

    /// Publish staged bundles whose bytes are durable; one outcome each, in
    /// order. An error stops the run.
    fn publish<'a>(&'a self, bundles: &'a [&'a Bundle]) -> BoxFuture<'a, Result<Vec<Outcome>>>;

    /// Publish the run-level files just written in `out` (manifest, report),
    /// and `extra` beside them (the inventory a bucket run made).
    fn publish_run_files<'a>(
        &'a self,
        out: &'a Path,
        run: &'a str,
        extra: &'a [PathBuf],
    ) -> BoxFuture<'a, Result<()>>;

    /// The bucket, when the bundles go to one: the run's inventory is then
    /// made from what the bucket holds, not from the local folder.
    fn bucket(&self) -> Option<&s3::S3Client> {
        None
    }
}

/// The local output folder: bags and zips renamed into it.
#[derive(Debug, Clone)]
pub struct Local {
    pub out: PathBuf,
}

impl Local {
    fn destinations(&self, b: &Bundle) -> (Option<PathBuf>, Option<PathBuf>) {
        let zip = b
            .zip
            .as_ref()
            .map(|_| self.out.join(format!("{}.zip", b.name)));
        (b.bag.as_ref().map(|_| self.out.join(&b.name)), zip)
    }
}

impl Target for Local {
    fn describe(&self) -> String {
        self.out.display().to_string()
    }

    fn probe(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    fn recorded<'a>(&'a self, _known: Known<'a>) -> BoxFuture<'a, Result<Vec<Event>>> {
        // The folder's journal is the record.
        Box::pin(async { Ok(Vec::new()) })
    }

    fn check_free(&self, names: &[&str]) -> Result<()> {
        for name in names {
            let dir = self.out.join(name);
            let zip = self.out.join(format!("{name}.zip"));
            if let Some(existing) = [dir, zip].into_iter().find(|p| p.exists()) {
                return Err(Error::Unrecorded { path: existing });
            }
        }
        Ok(())
    }

    fn publish<'a>(&'a self, bundles: &'a [&'a Bundle]) -> BoxFuture<'a, Result<Vec<Outcome>>> {
        let (mut dirs, mut zips) = (Vec::new(), Vec::new());
        for b in bundles {
            let (dir, zip_dest) = self.destinations(b);
            dirs.extend(b.bag.clone().zip(dir));
            zips.extend(b.zip.clone().zip(zip_dest));
        }
        let out = self.out.clone();
        let done: Vec<Outcome> = bundles
            .iter()
            .map(|b| Outcome::Done(b.done.clone()))
            .collect();
        Box::pin(async move {
            blocking(move || {
                for (bag, dir) in &dirs {
                    fsx::move_dir_new(bag, dir)?;
                }
                for (zip, dest) in &zips {
                    fsx::move_file_new(zip, dest)?;
                }
                fsx::fsync_dir(&out)
            })
            .await?;
            Ok(done)
        })
    }

    fn publish_run_files<'a>(
        &'a self,
        _out: &'a Path,
        _run: &'a str,
        _extra: &'a [PathBuf],
    ) -> BoxFuture<'a, Result<()>> {
        // Written in place already.
        Box::pin(async { Ok(()) })
    }
}

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .unwrap_or_else(|e| Err(Error::Internal(format!("a storage task failed: {e}"))))
}
