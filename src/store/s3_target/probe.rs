//! The startup probe: does the target keep the two promises the archive
//! relies on (create-only writes, checksums checked)? A target that does not
//! could overwrite or corrupt a bundle silently, which no later check finds.

use std::collections::BTreeMap;

use super::S3Target;
use crate::store::s3::{Body, Created, NewObject};

impl S3Target {
    /// Create-only PUT twice (the second must be refused) and a body with a
    /// wrong SHA-256 (must be refused).
    pub(super) async fn probe_checks(&self) -> std::result::Result<(), String> {
        let stamp = format!(
            "{}-{}",
            std::process::id(),
            time::OffsetDateTime::now_utc().unix_timestamp_nanos()
        );
        let key = self.key(&format!(".ds-archive-probe/{stamp}"));
        let body = b"ds-archive probe\n".to_vec();
        let (sha, md5) = digests(&body);
        let meta = BTreeMap::new();
        let obj = NewObject {
            key: &key,
            sha256: &sha,
            meta: &meta,
            content_type: "text/plain",
            sign_payload: true,
        };
        let put = |b: Vec<u8>| {
            self.client
                .put_new(&obj, &md5, Body::Bytes(b), self.opts.retention.as_ref())
        };
        match put(body.clone()).await {
            Ok(Created::Yes) => {}
            Ok(Created::AlreadyThere) => {
                return Err(format!("`{key}` existed before the probe wrote it"))
            }
            Err(e) => return Err(format!("cannot write a probe object: {e}")),
        }
        let second = put(body.clone()).await;
        let _ = self.client.delete(&key, None).await;
        match second {
            Ok(Created::AlreadyThere) => {}
            Ok(Created::Yes) => {
                return Err(
                    "a second create-only PUT (If-None-Match: *) replaced the object instead of answering 412".into(),
                )
            }
            Err(e) => return Err(format!("a second create-only PUT failed instead of answering 412: {e}")),
        }
        let bad_key = self.key(&format!(".ds-archive-probe/{stamp}-bad"));
        let bad = NewObject {
            key: &bad_key,
            ..obj
        };
        let mut tampered = body;
        tampered.push(b'!');
        // Same MD5 and SHA-256 as the untampered body: both must be checked.
        let answer = self
            .client
            .put_new(
                &bad,
                &md5,
                Body::Bytes(tampered),
                self.opts.retention.as_ref(),
            )
            .await;
        // Refused with an error status (AWS: 400 BadDigest; some servers
        // fail the body stream with a 5xx) and nothing stored: checked.
        let stored = self.client.head(&bad_key).await.ok().flatten().is_some();
        match answer {
            Err(e) if e.status.is_some_and(|s| s >= 400) && !stored => Ok(()),
            Err(e) if e.status.is_none() => {
                Err(format!("a body with a wrong checksum got no answer: {e}"))
            }
            _ => {
                let _ = self.client.delete(&bad_key, None).await;
                Err("a body whose SHA-256 and MD5 did not match was stored (x-amz-checksum-sha256 and Content-MD5 not checked)".into())
            }
        }
    }
}

fn digests(bytes: &[u8]) -> (String, Vec<u8>) {
    use sha2::Digest as _;
    (
        hex::encode(sha2::Sha256::digest(bytes)),
        md5::Md5::digest(bytes).to_vec(),
    )
}
