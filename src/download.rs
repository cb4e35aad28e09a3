//! Stream one attachment to disk, hashing it on the way.
//!
//! The body goes from the socket to the file in chunks: memory stays bounded
//! whatever the file size. MD5 (to check DS's checksum), SHA-256 and, when
//! asked, SHA-512 (for the manifests) are computed in that same single pass.
//! Hashing and writing happen on a blocking thread per download, so the
//! async threads only move bytes and concurrent downloads use every core.
//! Size and checksum are checked before the caller may count the file as
//! stored; on any failure the partial file is removed, so a file on disk under
//! a final name in a staging bag is always a complete, checked one.
//! The same pass tells the file's format ([`crate::format`]): the writer
//! keeps the first and last bytes and looks for a few markers.
//! Retrying (and refreshing expired URLs) is the caller's job: it knows the
//! dossier and can ask DS for fresh URLs.

use std::path::Path;

use base64::Engine as _;
use futures_util::StreamExt as _;
use std::io::Write as _;

use crate::digest::{DigestAlg, MultiHasher};
use crate::error::redact_url;
use crate::format::{self, Sniffer};
use crate::model::{Attachment, Digests, Format};

/// A downloaded file: what was written, and what format it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Downloaded {
    /// Size and digests of the bytes written.
    pub digests: Digests,
    /// The format the bytes tell.
    pub format: Format,
}

/// Why a download did not give a good file.
#[derive(Debug, thiserror::Error)]
pub enum DownloadError {
    /// The signed URL was refused (expired, 403/404/410): ask DS for a fresh one.
    #[error("file URL refused (HTTP {status}, expired or revoked): {url}")]
    UrlRefused {
        /// HTTP status.
        status: u16,
        /// The URL without its signature.
        url: String,
    },
    /// A failure another try may fix: 5xx, connection reset, body cut.
    #[error("{0}")]
    Transient(String),
    /// The bytes are not what DS declared.
    #[error("{0}")]
    Mismatch(String),
    /// Writing the file failed (disk full, permissions).
    #[error("cannot write `{}`: {source}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// A hasher for what a stored file records: MD5 (to check DS's checksum),
/// SHA-256 and, when `sha512`, SHA-512.
#[must_use]
pub fn stored_file_hasher(sha512: bool) -> MultiHasher {
    let algs: &[DigestAlg] = if sha512 {
        &[DigestAlg::Md5, DigestAlg::Sha256, DigestAlg::Sha512]
    } else {
        &[DigestAlg::Md5, DigestAlg::Sha256]
    };
    MultiHasher::new(algs)
}

/// The [`Digests`] of a [`stored_file_hasher`].
#[must_use]
pub fn stored_file_digests(hasher: MultiHasher) -> Digests {
    let (size, raw) = hasher.finish();
    let hex_of = |alg| raw.get(&alg).map(hex::encode);
    Digests {
        size,
        md5_base64: raw
            .get(&DigestAlg::Md5)
            .map(|d| base64::engine::general_purpose::STANDARD.encode(d))
            .unwrap_or_default(),
        sha256: hex_of(DigestAlg::Sha256).unwrap_or_default(),
        sha512: hex_of(DigestAlg::Sha512),
    }
}

/// Digests of bytes already in memory (our JSON and XML files).
#[must_use]
pub fn hash_bytes(bytes: &[u8], sha512: bool) -> Digests {
    let mut h = stored_file_hasher(sha512);
    h.update(bytes);
    stored_file_digests(h)
}

/// Check what we got against what DS declared.
///
/// # Errors
/// A readable description of the mismatch.
pub fn check_against_ds(att: &Attachment, got: &Digests) -> Result<(), String> {
    if att.is_generated() {
        // Rendered at each download: DS has no size or checksum to give.
        return Ok(());
    }
    if att.byte_size != got.size {
        return Err(format!(
            "size {} bytes, DS declares {} bytes",
            got.size, att.byte_size
        ));
    }
    let declared = att.checksum.trim();
    // DS gives base64 MD5 (ActiveStorage); chunked archive blobs use hex
    // SHA-256; newer Rails may prefix the algorithm. Be tolerant of all three.
    let (alg, value) = match declared.split_once(':') {
        Some((alg, value)) if !value.is_empty() => (alg.to_ascii_lowercase(), value),
        _ => (String::new(), declared),
    };
    let ok = match (alg.as_str(), value.len()) {
        // Refused when the dossier was read; never taken for "nothing to check".
        (_, 0) => return Err("DS declares no checksum for a file it stores".into()),
        ("" | "md5", 24) => value == got.md5_base64,
        ("" | "md5", 32) => value.eq_ignore_ascii_case(&md5_hex(&got.md5_base64)),
        ("" | "sha256", 64) => value.eq_ignore_ascii_case(&got.sha256),
        _ => {
            tracing::warn!(
                file = %att.filename,
                checksum = declared,
                "unknown DS checksum form: only our own digests vouch for this file"
            );
            true
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "checksum {declared} declared by DS, got MD5 {} (SHA-256 {})",
            got.md5_base64, got.sha256
        ))
    }
}

fn md5_hex(b64: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(b64)
        .map(hex::encode)
        .unwrap_or_default()
}

/// Download `att` into `dest` (which must not exist), hashing as it streams,
/// and check it against DS. On error nothing is left at `dest`.
///
/// # Errors
/// See [`DownloadError`].
pub async fn download(
    http: &reqwest::Client,
    att: &Attachment,
    dest: &Path,
    sha512: bool,
    on_bytes: &(dyn Fn(u64) + Send + Sync),
) -> Result<Downloaded, DownloadError> {
    let result = stream_to(http, att, dest, sha512, on_bytes)
        .await
        .and_then(|got| {
            check_against_ds(att, &got.digests).map_err(DownloadError::Mismatch)?;
            Ok(got)
        });
    if result.is_err() {
        // Never leave bytes DS does not vouch for (cut, refused, mismatched)
        // under a final name. Best effort: the error that matters is ours.
        let _ = tokio::fs::remove_file(dest).await;
    }
    result
}

async fn stream_to(
    http: &reqwest::Client,
    att: &Attachment,
    dest: &Path,
    sha512: bool,
    on_bytes: &(dyn Fn(u64) + Send + Sync),
) -> Result<Downloaded, DownloadError> {
    let io = |source| DownloadError::Io {
        path: dest.to_owned(),
        source,
    };
    let resp = http
        .get(&att.url)
        .send()
        .await
        .map_err(|e| DownloadError::Transient(crate::api::describe_reqwest(&e)))?;
    let status = resp.status().as_u16();
    match status {
        200 => {}
        401 | 403 | 404 | 410 => {
            return Err(DownloadError::UrlRefused {
                status,
                url: redact_url(&att.url),
            })
        }
        _ => {
            return Err(DownloadError::Transient(format!(
                "HTTP {status} from {}",
                redact_url(&att.url)
            )))
        }
    }
    let announced = resp.content_length();
    // Creating the file, hashing (MD5 + SHA-256 + SHA-512: about 2.4 ns a
    // byte) and writing run on one blocking thread per download, fed through
    // a short queue: the async threads only move bytes from the sockets,
    // several downloads hash on several cores, and a small file costs one
    // hand-over to a blocking thread, not three.
    let (tx, rx) = tokio::sync::mpsc::channel(QUEUE_CHUNKS);
    let buffer = write_buffer(att.byte_size);
    let path = dest.to_owned();
    let name = att.filename.clone();
    let writer = tokio::task::spawn_blocking(move || {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let (digests, sniffed) = hash_and_write(file, rx, sha512, buffer)?;
        // Still on the writer's thread: a zip's directory is read back
        // from the page cache, not from the network.
        let format = format::identify(&sniffed, &path, &name);
        Ok(Downloaded { digests, format })
    });
    let mut body = resp.bytes_stream();
    let mut received = Ok(());
    while let Some(chunk) = body.next().await {
        match chunk {
            Ok(chunk) => {
                on_bytes(chunk.len() as u64);
                if tx.send(Piece::Data(chunk)).await.is_err() {
                    break; // The writer failed: its error is below.
                }
            }
            Err(e) => {
                received = Err(DownloadError::Transient(crate::api::describe_reqwest(&e)));
                break;
            }
        }
    }
    if received.is_ok() {
        // The writer may be gone already; its result says why.
        let _ = tx.send(Piece::End).await;
    }
    drop(tx);
    let written = writer
        .await
        .map_err(|e| io(std::io::Error::other(format!("writer task: {e}"))));
    received?;
    let got = written?.map_err(io)?;
    if let Some(n) = announced {
        if n != got.digests.size {
            return Err(DownloadError::Transient(format!(
                "body cut: got {} of {n} bytes from {}",
                got.digests.size,
                redact_url(&att.url)
            )));
        }
    }
    Ok(got)
}

/// Chunks queued between a socket and its writer (hyper hands out up to a
/// few hundred KiB at a time): bounds memory per download.
const QUEUE_CHUNKS: usize = 4;

/// The write buffer for a file DS says is `byte_size` long: 256 KiB, or less
/// for a smaller file (a buffer of 256 KiB for each 20 KB file was a
/// noticeable share of the CPU spent on small dossiers, in `malloc`).
fn write_buffer(byte_size: u64) -> usize {
    const MAX: u64 = 256 * 1024;
    usize::try_from(byte_size.clamp(8 * 1024, MAX)).unwrap_or(256 * 1024)
}

/// What the socket side hands the writer.
enum Piece<B> {
    Data(B),
    /// The body is complete: flush.
    End,
}

/// Hash, sniff and write the pieces until [`Piece::End`], then flush. A
/// queue closed before `End` (download failed or cancelled) is an error.
fn hash_and_write<B: AsRef<[u8]>>(
    file: std::fs::File,
    mut rx: tokio::sync::mpsc::Receiver<Piece<B>>,
    sha512: bool,
    buffer: usize,
) -> std::io::Result<(Digests, Sniffer)> {
    let mut out = std::io::BufWriter::with_capacity(buffer, file);
    let mut hasher = stored_file_hasher(sha512);
    let mut sniffer = Sniffer::new();
    while let Some(piece) = rx.blocking_recv() {
        match piece {
            Piece::Data(bytes) => {
                hasher.update(bytes.as_ref());
                sniffer.update(bytes.as_ref());
                out.write_all(bytes.as_ref())?;
            }
            Piece::End => {
                // Flushed to the kernel only: the whole staged bag is
                // fsynced once before it is published (`fsx::sync_tree`), so
                // a download slot never waits on the disk.
                out.flush()?;
                return Ok((stored_file_digests(hasher), sniffer));
            }
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::Interrupted,
        "download stopped before its end",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Origin;

    fn att(checksum: &str, size: u64) -> Attachment {
        generated_or_not(checksum, size, Origin::Motivation)
    }

    fn generated_or_not(checksum: &str, size: u64, origin: Origin) -> Attachment {
        Attachment {
            origin,
            index: 0,
            filename: "x".into(),
            content_type: "text/plain".into(),
            checksum: checksum.into(),
            byte_size: size,
            url: String::new(),
            json_path: String::new(),
            created_at: None,
            virus_scan_result: None,
        }
    }

    #[test]
    fn md5_base64_is_checked() {
        let d = hash_bytes(b"hello", false);
        assert_eq!(d.md5_base64, "XUFAKrxLKna5cZ2REBfFkg==");
        assert!(check_against_ds(&att("XUFAKrxLKna5cZ2REBfFkg==", 5), &d).is_ok());
        assert!(check_against_ds(&att("AAAAKrxLKna5cZ2REBfFkg==", 5), &d).is_err());
        assert!(check_against_ds(&att("XUFAKrxLKna5cZ2REBfFkg==", 6), &d).is_err());
    }

    #[test]
    fn other_checksum_forms_are_checked() {
        let d = hash_bytes(b"hello", true);
        let sha = d.sha256.clone();
        assert!(check_against_ds(&att(&sha, 5), &d).is_ok());
        assert!(check_against_ds(&att(&format!("sha256:{sha}"), 5), &d).is_ok());
        assert!(check_against_ds(&att(&format!("sha256:{}", "0".repeat(64)), 5), &d).is_err());
        assert!(check_against_ds(&att("5d41402abc4b2a76b9719d911017c592", 5), &d).is_ok());
        assert_eq!(d.sha512.as_deref().map(str::len), Some(128));
    }

    #[test]
    fn only_the_generated_pdf_has_nothing_to_check() {
        let d = hash_bytes(b"%PDF-1.4 whatever", false);
        let pdf = generated_or_not("", 0, Origin::DossierPdf);
        assert!(check_against_ds(&pdf, &d).is_ok());
        // A stored file with an empty checksum and size is not waved through.
        let e = check_against_ds(&att("", 0), &d).unwrap_err();
        assert!(e.contains("size"), "{e}");
        let e = check_against_ds(&att("", 17), &d).unwrap_err();
        assert!(e.contains("no checksum"), "{e}");
    }
}
