//! Zips above the multipart threshold go up in parts: each part with its
//! own SHA-256 (the server checks it), the upload completed create-only
//! (`If-None-Match: *` on Complete) or aborted, and the server's composite
//! checksum (`base64(sha256(part digests))-N`) computed here to compare with
//! what HEAD returns.

use std::collections::BTreeMap;
use std::path::Path;

use super::super::s3::{Created, NewObject, S3Error};
use super::S3Target;

impl S3Target {
    /// Multipart upload: each part with its SHA-256 and MD5, Complete
    /// create-only; an upload that fails is aborted.
    pub(super) async fn multipart(
        &self,
        key: &str,
        zip: &Path,
        sha256: &str,
        meta: &BTreeMap<String, String>,
    ) -> Result<(Created, String), S3Error> {
        let obj = NewObject {
            key,
            sha256,
            meta,
            content_type: "application/zip",
            sign_payload: true,
        };
        let id = self
            .client
            .create_multipart(&obj, self.opts.retention.as_ref())
            .await?;
        let result = self.upload_parts(key, &id, zip).await;
        match result {
            Ok(parts) => {
                let done = self.client.complete_multipart(key, &id, &parts).await;
                if done.is_err() || matches!(done, Ok(Created::AlreadyThere)) {
                    self.client.abort_multipart(key, &id).await;
                }
                done.map(|created| (created, composite_sha256(&parts)))
            }
            Err(e) => {
                self.client.abort_multipart(key, &id).await;
                Err(e)
            }
        }
    }

    async fn upload_parts(
        &self,
        key: &str,
        upload_id: &str,
        zip: &Path,
    ) -> Result<Vec<(u32, String, String)>, S3Error> {
        use sha2::Digest as _;
        use tokio::io::AsyncReadExt as _;
        let io_err = |e: std::io::Error| S3Error {
            action: "UploadPart",
            key: key.to_owned(),
            message: format!("reading `{}`: {e}", zip.display()),
            status: None,
        };
        let mut file = tokio::fs::File::open(zip).await.map_err(io_err)?;
        let part_size = usize::try_from(self.opts.part_size).unwrap_or(usize::MAX);
        let mut parts = Vec::new();
        for number in 1u32.. {
            let mut buf = Vec::with_capacity(part_size);
            (&mut file)
                .take(self.opts.part_size)
                .read_to_end(&mut buf)
                .await
                .map_err(io_err)?;
            if buf.is_empty() && number > 1 {
                break;
            }
            let sha = super::super::s3::b64(&sha2::Sha256::digest(&buf));
            let last = buf.len() < part_size;
            let etag = self.client.upload_part(key, upload_id, number, buf).await?;
            parts.push((number, etag, sha));
            if last {
                break;
            }
        }
        Ok(parts)
    }
}

/// S3's checksum of a multipart object: the SHA-256 of the parts' binary
/// SHA-256s, in base64, then `-` and the number of parts.
pub(super) fn composite_sha256(parts: &[(u32, String, String)]) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    for (_, _, b64) in parts {
        h.update(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap_or_default(),
        );
    }
    format!("{}-{}", super::super::s3::b64(&h.finalize()), parts.len())
}
