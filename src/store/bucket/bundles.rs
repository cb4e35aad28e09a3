//! A bucket archive for the synchronous readers (`seda --from s3://…`,
//! `inventory s3://…`): the newest bundle of each dossier, and each zip
//! brought to a temporary file through [`S3Client::download`] (streamed,
//! hashed on the way) when asked. The file is removed when its [`Fetched`]
//! is dropped, so local disk holds what the caller keeps, not the archive.
//!
//! Why [`ReadAhead`]: reading a zip takes a GET's round trip, and a reader
//! that waits for each in turn spends its time waiting, not reading. Walked
//! through [`BucketBundles::read_ahead`], the next few zips download in the
//! background (the runtime's worker thread) while the caller reads the
//! current one; [`BucketBundles::fetch`] then waits for a download already
//! under way instead of starting one. Disk use is that many zips.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tokio::task::JoinHandle;

use super::Listing;
use crate::bagit::bundles::{Discovered, FoundBundle};
use crate::store::s3::{S3Client, S3Error};

/// A download under way: its hex SHA-256 when done.
type Pending = JoinHandle<Result<String, S3Error>>;

/// A bucket archive for the synchronous readers: its newest bundles, and
/// each zip brought to local disk when asked.
pub struct BucketBundles {
    rt: tokio::runtime::Runtime,
    client: S3Client,
    prefix: String,
    spool: tempfile::TempDir,
    found: Option<Discovered>,
    /// Downloads started ahead of their [`Self::fetch`], by local path.
    pending: Mutex<HashMap<PathBuf, Pending>>,
}

/// A zip brought to local disk: removed when dropped.
#[derive(Debug)]
pub struct Fetched {
    path: PathBuf,
    /// Hex SHA-256 of the bytes downloaded.
    pub sha256: String,
}

impl Drop for Fetched {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl BucketBundles {
    /// List the archive at `client`'s URL.
    ///
    /// # Errors
    /// The runtime or the temporary folder cannot be made, or the bucket
    /// cannot be listed; the message names the bucket and the cause.
    pub fn open(client: S3Client) -> Result<Self, String> {
        // One worker: the downloads started ahead go on while the caller
        // reads a zip.
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let mut listing = rt
            .block_on(Listing::read(&client))
            .map_err(|e| format!("{}: {e}", client.config().display()))?;
        let spool = tempfile::Builder::new()
            .prefix("ds-archive-bucket.")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        let found = listing.newest_in(spool.path()).map_err(|e| {
            format!(
                "{}: cannot sort the listing in a temporary file: {e}",
                client.config().display()
            )
        })?;
        Ok(Self {
            rt,
            client,
            prefix: listing.prefix,
            spool,
            found: Some(found),
            pending: Mutex::default(),
        })
    }

    /// `s3://bucket/prefix`, for messages.
    #[must_use]
    pub fn display(&self) -> String {
        self.client.config().display()
    }

    /// The newest bundle of each dossier, by number, read back from the
    /// sort on disk as they are used (given once: `None` after). Each is a
    /// zip at a path in a temporary folder where [`Self::fetch`] puts it;
    /// nothing is there before.
    pub fn take_found(&mut self) -> Option<Discovered> {
        self.found.take()
    }

    /// `found` (from [`Self::take_found`]) with the zips of the next `ahead`
    /// bundles downloading while the caller reads the current one.
    pub fn read_ahead(&self, found: Discovered, ahead: usize) -> ReadAhead<'_> {
        ReadAhead {
            bucket: self,
            found,
            queue: VecDeque::new(),
            error: None,
            ahead: ahead.max(1),
        }
    }

    /// The key and local path of `f`'s zip.
    fn key_and_path<'f>(&self, f: &'f FoundBundle) -> Result<(String, &'f Path), String> {
        let path = f.location.path();
        if path.parent() != Some(self.spool.path()) {
            return Err(format!("`{}` is not a zip of this bucket", path.display()));
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok((format!("{}{name}", self.prefix), path))
    }

    /// Start downloading `f`'s zip in the background.
    fn start(&self, f: &FoundBundle) {
        let Ok((key, path)) = self.key_and_path(f) else {
            return;
        };
        let (client, file) = (self.client.clone(), path.to_owned());
        let task = self
            .rt
            .spawn(async move { client.download(&key, &file).await });
        if let Ok(mut pending) = self.pending.lock() {
            pending.insert(path.to_owned(), task);
        }
    }

    /// Download `f`'s zip to its path (one GET, hashed on the way), or wait
    /// for its download started ahead.
    ///
    /// # Errors
    /// `f` is not one of [`Self::take_found`]'s, or the download failed; the
    /// message names the key and the cause.
    pub fn fetch(&self, f: &FoundBundle) -> Result<Fetched, String> {
        let (key, path) = self.key_and_path(f)?;
        // Made first: a download that fails half-way leaves no file behind.
        let mut fetched = Fetched {
            path: path.to_owned(),
            sha256: String::new(),
        };
        let started = self.pending.lock().ok().and_then(|mut p| p.remove(path));
        let downloaded = match started {
            Some(task) => self
                .rt
                .block_on(task)
                .map_err(|e| format!("{}: the download stopped: {e}", self.display()))?,
            None => self.rt.block_on(self.client.download(&key, path)),
        };
        fetched.sha256 = downloaded.map_err(|e| format!("{}: {e}", self.display()))?;
        Ok(fetched)
    }
}

/// The bundles of a bucket in order, the zips of the next few downloading
/// ([`BucketBundles::read_ahead`]).
pub struct ReadAhead<'a> {
    bucket: &'a BucketBundles,
    found: Discovered,
    /// Bundles whose download has started, in order.
    queue: VecDeque<FoundBundle>,
    /// The listing could not be read back: told after the queue.
    error: Option<io::Error>,
    ahead: usize,
}

impl Iterator for ReadAhead<'_> {
    type Item = io::Result<FoundBundle>;

    fn next(&mut self) -> Option<Self::Item> {
        while self.error.is_none() && self.queue.len() < self.ahead {
            match self.found.next() {
                Some(Ok(f)) => {
                    self.bucket.start(&f);
                    self.queue.push_back(f);
                }
                Some(Err(e)) => self.error = Some(e),
                None => break,
            }
        }
        match self.queue.pop_front() {
            Some(f) => Some(Ok(f)),
            None => self.error.take().map(Err),
        }
    }
}
