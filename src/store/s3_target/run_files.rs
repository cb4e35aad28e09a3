//! The run-level files of an `s3://` run: each run's manifest, its
//! timestamp token, its report and, when the run made one, its inventory,
//! under a new `runs/<UTC stamp>-<run id>/` folder (nothing in the bucket is
//! ever replaced), and the démarche's documents under `demarche/`.
//!
//! They go up create-only like the zips, with our SHA-256 in their metadata;
//! a key already there is fine only if it holds the same bytes. The
//! inventory grows with the dossiers, so a file is streamed from disk,
//! never held whole in memory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::record::META_SHA256;
use super::{blocking, S3Target};
use crate::error::{Error, Result};
use crate::store::s3::{Body, Created, NewObject};

impl S3Target {
    /// Upload the run files written in `out`, and `extra` (the inventory's
    /// files, when the run made them), under the same new run folder.
    pub(super) async fn upload_run_files(
        &self,
        out: &Path,
        run: &str,
        extra: &[PathBuf],
    ) -> Result<()> {
        // One folder per run part, so nothing is ever replaced; `verify`
        // reads the latest.
        let stamp = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second].[subsecond digits:6]Z"
            ))
            .unwrap_or_default();
        // The timestamp token of the manifest travels with it, when the run
        // asked a TSA for one.
        let files = [
            crate::timestamp::MANIFEST,
            crate::timestamp::TSQ,
            crate::timestamp::TSR,
            "report.json",
        ]
        .map(|file| out.join(file));
        for path in files.iter().filter(|p| p.exists()).chain(extra) {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let key = self.key(&format!("runs/{stamp}-{run}/{file}"));
            self.put_file(&key, path).await?;
        }
        // The démarche's own documents, listed in the run manifest: under
        // the same names as in the folder. They are versioned by name
        // (`notice.v2.pdf`), so a key already there must hold the same bytes.
        let docs = out.join(crate::layout::DEMARCHE_DIR);
        let mut names: Vec<String> = fs_err::read_dir(&docs)
            .map(|d| {
                d.filter_map(std::result::Result::ok)
                    .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                    .filter_map(|e| e.file_name().into_string().ok())
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        for name in names {
            let rel = format!("{}/{name}", crate::layout::DEMARCHE_DIR);
            self.put_file(&self.key(&rel), &docs.join(&name)).await?;
        }
        Ok(())
    }

    /// Create `key` with the bytes of the file `path`, streamed; a key
    /// already there is fine only if it holds the same bytes.
    async fn put_file(&self, key: &str, path: &Path) -> Result<()> {
        let file = path.to_owned();
        let (sha, md5, len) = blocking(move || digests_of(&file)).await?;
        let meta = BTreeMap::from([(META_SHA256.to_owned(), sha.clone())]);
        let name = path.to_string_lossy();
        let obj = NewObject {
            key,
            sha256: &sha,
            meta: &meta,
            content_type: content_type(&name),
            sign_payload: true,
        };
        let body = Body::File {
            path: path.to_owned(),
            len,
        };
        let created = self
            .client
            .put_new(&obj, &md5, body, self.opts.retention.as_ref())
            .await
            .map_err(|e| Error::Storage(e.to_string()))?;
        if let Created::AlreadyThere = created {
            let head = self
                .client
                .head(key)
                .await
                .map_err(|e| Error::Storage(e.to_string()))?;
            if head.and_then(|h| h.meta.get(META_SHA256).cloned()) != Some(sha) {
                return Err(Error::Conflict(format!(
                    "`{key}` already exists with other content: left as it is"
                )));
            }
        }
        Ok(())
    }
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit('.').next() {
        Some("json") => "application/json",
        Some("txt") => "text/plain",
        Some("csv") => "text/csv; charset=utf-8",
        Some("jsonl") => "application/jsonl",
        _ => "application/octet-stream",
    }
}

/// Hex SHA-256, MD5 and length of the file `path`, read once.
fn digests_of(path: &Path) -> Result<(String, Vec<u8>, u64)> {
    use sha2::Digest as _;
    use std::io::Read as _;
    let fail = |e| Error::io("read run file", path, e);
    let mut f = fs_err::File::open(path).map_err(fail)?;
    let (mut sha, mut md5) = (sha2::Sha256::new(), md5::Md5::new());
    let mut buf = vec![0u8; 1 << 16];
    let mut len = 0u64;
    loop {
        let n = f.read(&mut buf).map_err(fail)?;
        if n == 0 {
            break;
        }
        sha.update(&buf[..n]);
        md5::Digest::update(&mut md5, &buf[..n]);
        len += n as u64;
    }
    Ok((
        hex::encode(sha.finalize()),
        md5::Digest::finalize(md5).to_vec(),
        len,
    ))
}
