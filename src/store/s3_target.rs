//! An S3 bucket as the archive: one zip per bundle under `PREFIX/NAME.zip`
//! (the local layout's zip names), the run files under
//! `PREFIX/runs/<stamp>/`, nothing ever replaced.
//!
//! Each zip goes up create-only with our SHA-256 and MD5 (the server refuses
//! a body that changed on the way), our SHA-256 and the `dossier_done` facts
//! in its metadata, then a HEAD confirms it before its staging is removed.
//! A 412 means the key is taken: the same SHA-256, or the same dossier at the
//! same DS modification date (another worker, or a run killed between upload
//! and journal), counts as archived; anything else is a conflict, reported.
//! The metadata is also what a run on another machine reads back
//! ([`Target::recorded`]) to resume without the local journal.

use std::path::{Path, PathBuf};

use futures_util::future::BoxFuture;
use futures_util::{StreamExt as _, TryStreamExt as _};

use super::s3::{Body, Created, NewObject, Retention, S3Client, S3Error};
use super::{blocking, Bundle, Known, Outcome, Target};
use crate::error::{Error, Result};
use crate::journal::Event;

mod multipart;
mod probe;
mod record;
mod run_files;

use record::{already_there, done_event, done_meta, META_SHA256};

/// How to write to the bucket.
#[derive(Debug, Clone)]
pub struct S3Options {
    pub retention: Option<Retention>,
    /// Zips larger than this go up in parts.
    pub multipart_threshold: u64,
    pub part_size: u64,
    /// Accept a target that fails the probe (with a warning).
    pub trust_target: bool,
    /// Uploads at once.
    pub concurrency: usize,
}

/// See the module documentation.
#[derive(Clone)]
pub struct S3Target {
    client: S3Client,
    opts: S3Options,
}

impl std::fmt::Debug for S3Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Target")
            .field("target", &self.client.config().display())
            .finish_non_exhaustive()
    }
}

impl S3Target {
    #[must_use]
    pub fn new(client: S3Client, opts: S3Options) -> Self {
        Self { client, opts }
    }

    #[must_use]
    pub fn client(&self) -> &S3Client {
        &self.client
    }

    fn key(&self, name: &str) -> String {
        self.client.config().key(name)
    }

    async fn publish_one(&self, b: &Bundle) -> Result<Outcome> {
        let Event::DossierDone {
            number,
            updated_at,
            zip_sha256,
            ..
        } = &b.done
        else {
            return Err(Error::Internal(
                "a bundle without its dossier_done event".into(),
            ));
        };
        let Some(zip) = &b.zip else {
            return Err(Error::Internal(
                "an S3 target needs the zips (--no-zip is refused)".into(),
            ));
        };
        let key = self.key(&format!("{}.zip", b.name));
        let meta = done_meta(&b.done);
        let len = fs_err::metadata(zip)
            .map_err(|e| Error::io("read staged zip", zip, e))?
            .len();
        // The server's checksum of the object, as HEAD must show it: the
        // whole SHA-256, or for a multipart object the composite
        // `base64(sha256(part digests))-N` (S3 has no whole-object SHA-256 there).
        let mut expected_checksum = super::s3::hex_to_b64(zip_sha256);
        let created = if len > self.opts.multipart_threshold {
            self.multipart(&key, zip, zip_sha256, &meta)
                .await
                .map(|(created, composite)| {
                    expected_checksum = composite;
                    created
                })
        } else {
            let path = zip.clone();
            let md5 = blocking(move || md5_of(&path)).await?;
            let obj = NewObject {
                key: &key,
                sha256: zip_sha256,
                meta: &meta,
                content_type: "application/zip",
                sign_payload: true,
            };
            self.client
                .put_new(
                    &obj,
                    &md5,
                    Body::File {
                        path: zip.clone(),
                        len,
                    },
                    self.opts.retention.as_ref(),
                )
                .await
        }
        .map_err(|e| storage(*number, &e))?;
        let head = self
            .client
            .head(&key)
            .await
            .map_err(|e| storage(*number, &e))?
            .ok_or_else(|| {
                Error::Storage(format!(
                    "dossier {number}: `{key}` missing right after its upload"
                ))
            })?;
        let outcome = match created {
            Created::Yes => {
                // A server that keeps no checksum shows none; one that does
                // must show ours.
                let checksum_differs = head
                    .checksum_sha256
                    .as_ref()
                    .is_some_and(|c| *c != expected_checksum);
                if head.len != len
                    || head.meta.get(META_SHA256) != Some(zip_sha256)
                    || checksum_differs
                {
                    return Err(Error::Storage(format!(
                        "dossier {number}: `{key}` reads back as {} bytes, sha256 {:?}, checksum {:?}; uploaded {len} bytes, sha256 {zip_sha256}, checksum {expected_checksum}",
                        head.len,
                        head.meta.get(META_SHA256),
                        head.checksum_sha256
                    )));
                }
                Outcome::Done(b.done.clone())
            }
            Created::AlreadyThere => {
                already_there(&key, &b.done, *number, updated_at, zip_sha256, &head)
            }
        };
        // Confirmed in the bucket (or settled): the staging goes.
        let (bag, zip) = (b.bag.clone(), zip.clone());
        blocking(move || {
            if let Some(bag) = &bag {
                let _ = fs_err::remove_dir_all(bag);
            }
            let _ = fs_err::remove_file(&zip);
            Ok(())
        })
        .await?;
        Ok(outcome)
    }
}

impl S3Target {
    /// Hand `each` the `dossier_done` event of every bundle zip of the
    /// bucket that `known` lacks, in the listing's order: the listing read a
    /// page at a time, the page's zips HEADed `--concurrency` at a time.
    /// Memory holds one page, whatever the bucket holds (`status s3://`
    /// reads every zip's record this way: docs/benchmarks.md, "Memory").
    ///
    /// # Errors
    /// The bucket cannot be listed or a HEAD fails.
    pub async fn each_recorded(
        &self,
        known: Known<'_>,
        each: &mut (dyn FnMut(Event) + Send),
    ) -> Result<()> {
        let prefix = self.key("");
        let storage = |e: S3Error| Error::Storage(e.to_string());
        let mut token: Option<String> = None;
        loop {
            let page = self
                .client
                .list_page(&prefix, token.as_deref())
                .await
                .map_err(storage)?;
            let mut names: Vec<String> = Vec::new();
            for (k, _) in page.objects {
                let Some(name) = k
                    .strip_prefix(&prefix)
                    .and_then(|k| k.strip_suffix(".zip"))
                    .filter(|n| crate::bagit::bundles::parse_bundle_name(n).is_some())
                else {
                    continue;
                };
                if !known(name)? {
                    names.push(name.to_owned());
                }
            }
            let mut heads = futures_util::stream::iter(names)
                .map(|name| async move {
                    let key = self.key(&format!("{name}.zip"));
                    let head = self.client.head(&key).await.map_err(storage)?;
                    Ok::<_, Error>(head.and_then(|h| done_event(&name, &h.meta)))
                })
                .buffered(self.opts.concurrency.max(1));
            while let Some(event) = heads.try_next().await? {
                if let Some(e) = event {
                    each(e);
                }
            }
            match page.next {
                Some(t) => token = Some(t),
                None => return Ok(()),
            }
        }
    }
}

impl Target for S3Target {
    fn describe(&self) -> String {
        self.client.config().display()
    }

    fn probe(&self) -> BoxFuture<'_, Result<Vec<String>>> {
        Box::pin(async move {
            match self.probe_checks().await {
                Ok(()) => Ok(Vec::new()),
                Err(why) if self.opts.trust_target => {
                    let w = format!(
                        "{} failed the storage probe, trusted anyway (--trust-target): {why}",
                        self.describe()
                    );
                    tracing::warn!("{w}");
                    Ok(vec![w])
                }
                Err(why) => Err(Error::Storage(format!(
                    "{} failed the storage probe: {why}; an archive cannot detect a silent overwrite later (pass --trust-target to use it anyway)",
                    self.describe()
                ))),
            }
        })
    }

    fn recorded<'a>(&'a self, known: Known<'a>) -> BoxFuture<'a, Result<Vec<Event>>> {
        Box::pin(async move {
            let mut events = Vec::new();
            self.each_recorded(known, &mut |e| events.push(e)).await?;
            events.sort_by_key(|e| match e {
                Event::DossierDone {
                    number, version, ..
                } => (*number, *version),
                _ => (0, 0),
            });
            Ok(events)
        })
    }

    fn check_free(&self, _names: &[&str]) -> Result<()> {
        Ok(())
    }

    fn publish<'a>(&'a self, bundles: &'a [&'a Bundle]) -> BoxFuture<'a, Result<Vec<Outcome>>> {
        Box::pin(async move {
            let mut outcomes = Vec::with_capacity(bundles.len());
            for chunk in bundles.chunks(self.opts.concurrency.max(1)) {
                let uploads: Vec<_> = chunk.iter().map(|b| self.publish_one(b)).collect();
                outcomes.extend(futures_util::future::try_join_all(uploads).await?);
            }
            Ok(outcomes)
        })
    }

    fn publish_run_files<'a>(
        &'a self,
        out: &'a Path,
        run: &'a str,
        extra: &'a [PathBuf],
    ) -> BoxFuture<'a, Result<()>> {
        Box::pin(self.upload_run_files(out, run, extra))
    }

    fn bucket(&self) -> Option<&S3Client> {
        Some(&self.client)
    }
}

fn storage(number: u64, e: &S3Error) -> Error {
    Error::Storage(format!("dossier {number}: {e}"))
}

fn md5_of(path: &Path) -> Result<Vec<u8>> {
    use md5::Digest as _;
    use std::io::Read as _;
    let mut f = fs_err::File::open(path).map_err(|e| Error::io("read staged zip", path, e))?;
    let mut h = md5::Md5::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f
            .read(&mut buf)
            .map_err(|e| Error::io("read staged zip", path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_vec())
}
