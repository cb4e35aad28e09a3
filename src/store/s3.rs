//! A small S3 client on our reqwest: the few calls an archiver needs, each
//! with the headers that make a write safe (create-only, checksummed,
//! retained).
//!
//! Why not an SDK: we need full control of a handful of headers
//! (`If-None-Match: *` on PUT and on multipart Complete, a caller-supplied
//! `x-amz-checksum-sha256` and `Content-MD5`, Object Lock) and nothing the
//! SDKs add by default (CRC trailers that several S3-compatible servers
//! reject). Errors carry the key and the server's code, never a signature
//! or a credential.
//!
//! Sending, signing and retrying are in [`send`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use reqwest::{Method, StatusCode};

mod multipart;
mod read;
mod send;

pub use read::Head;
use send::{net_error, reqwest_error};

use super::config::S3Config;
use super::sigv4::{self, EMPTY_SHA256};
use crate::api::RetryPolicy;

/// A failed S3 call: what, on which key, and the server's answer.
#[derive(Debug, thiserror::Error)]
#[error("S3 {action} `{key}`: {message}")]
pub struct S3Error {
    pub action: &'static str,
    pub key: String,
    pub message: String,
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
}

/// Object Lock retention for new objects.
#[derive(Debug, Clone)]
pub struct Retention {
    /// `GOVERNANCE` or `COMPLIANCE`.
    pub mode: String,
    /// RFC 3339 UTC.
    pub until: String,
}

/// A create-only upload of one object.
pub struct NewObject<'a> {
    pub key: &'a str,
    /// Hex SHA-256 of the whole object.
    pub sha256: &'a str,
    /// User metadata (`x-amz-meta-*`), names lowercase.
    pub meta: &'a BTreeMap<String, String>,
    pub content_type: &'a str,
    /// Sign the body's SHA-256 (`x-amz-content-sha256`); `false` sends
    /// `UNSIGNED-PAYLOAD`, so that only the checksum headers vouch for the
    /// body (the probe tests exactly those).
    pub sign_payload: bool,
}

/// Whether a create-only write created the object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Yes,
    /// 412: an object already has this key.
    AlreadyThere,
}

/// A body to send: bytes in memory (small objects, parts) or a file,
/// streamed (opened again for each try).
pub enum Body {
    Bytes(Vec<u8>),
    File { path: PathBuf, len: u64 },
}

/// An S3 bucket at an endpoint, with credentials.
#[derive(Clone)]
pub struct S3Client {
    http: reqwest::Client,
    cfg: S3Config,
    retry: RetryPolicy,
}

impl S3Client {
    /// # Errors
    /// When the HTTP client cannot be built.
    pub fn new(cfg: S3Config) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(20))
            .build()
            .map_err(|e| format!("cannot build the S3 HTTP client: {e}"))?;
        Ok(Self {
            http,
            cfg,
            retry: RetryPolicy::default(),
        })
    }

    /// The same client, retrying transient failures with `retry`.
    #[must_use]
    pub fn with_retry(self, retry: RetryPolicy) -> Self {
        Self { retry, ..self }
    }

    #[must_use]
    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    /// PUT `obj` only if no object has its key, the server checking our
    /// SHA-256 and MD5 of the body.
    ///
    /// # Errors
    /// Any answer but 2xx or 412 (a 400 `BadDigest` means the body changed
    /// on the way), or no answer.
    pub async fn put_new(
        &self,
        obj: &NewObject<'_>,
        md5: &[u8],
        body: Body,
        retention: Option<&Retention>,
    ) -> Result<Created, S3Error> {
        let mut headers = vec![
            ("if-none-match".to_owned(), "*".to_owned()),
            ("content-type".to_owned(), obj.content_type.to_owned()),
            ("content-md5".to_owned(), b64(md5)),
            ("x-amz-checksum-sha256".to_owned(), hex_to_b64(obj.sha256)),
        ];
        headers.extend(meta_headers(obj.meta));
        headers.extend(lock_headers(retention));
        let payload = if obj.sign_payload {
            obj.sha256
        } else {
            "UNSIGNED-PAYLOAD"
        };
        let resp = self
            .send(Method::PUT, obj.key, &[], headers, payload, Some(body))
            .await
            .map_err(|e| net_error("PUT", obj.key, &e))?;
        created(resp, "PUT", obj.key).await
    }

    /// DELETE `key` (used only by the probe on its own objects and by tests
    /// that check a lock holds).
    ///
    /// # Errors
    /// Any answer but 2xx.
    pub async fn delete(&self, key: &str, version: Option<&str>) -> Result<(), S3Error> {
        let query: Vec<(String, String)> = version
            .map(|v| vec![("versionId".to_owned(), v.to_owned())])
            .unwrap_or_default();
        let resp = self
            .send(Method::DELETE, key, &query, Vec::new(), EMPTY_SHA256, None)
            .await
            .map_err(|e| net_error("DELETE", key, &e))?;
        if !resp.status().is_success() {
            return Err(status_error("DELETE", key, resp).await);
        }
        Ok(())
    }
}

async fn created(
    resp: reqwest::Response,
    action: &'static str,
    key: &str,
) -> Result<Created, S3Error> {
    match resp.status() {
        s if s.is_success() => Ok(Created::Yes),
        StatusCode::PRECONDITION_FAILED => Ok(Created::AlreadyThere),
        _ => Err(status_error(action, key, resp).await),
    }
}

async fn status_error(action: &'static str, key: &str, resp: reqwest::Response) -> S3Error {
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    let code = super::xml::error_code(&text);
    let detail = super::xml::element(&text, "Message")
        .map(|m| format!(" ({})", m.chars().take(200).collect::<String>()))
        .unwrap_or_default();
    let message = match code {
        Some(code) => format!("HTTP {} {code}{detail}", status.as_u16()),
        None => format!("HTTP {}", status.as_u16()),
    };
    S3Error {
        action,
        key: key.to_owned(),
        message,
        status: Some(status.as_u16()),
    }
}

fn meta_headers(meta: &BTreeMap<String, String>) -> impl Iterator<Item = (String, String)> + '_ {
    meta.iter()
        .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone()))
}

fn lock_headers(retention: Option<&Retention>) -> Vec<(String, String)> {
    retention
        .map(|r| {
            vec![
                ("x-amz-object-lock-mode".to_owned(), r.mode.clone()),
                (
                    "x-amz-object-lock-retain-until-date".to_owned(),
                    r.until.clone(),
                ),
            ]
        })
        .unwrap_or_default()
}

#[must_use]
pub fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Base64 of the bytes a hex digest spells (S3's checksum headers).
#[must_use]
pub fn hex_to_b64(hex_digest: &str) -> String {
    b64(&hex::decode(hex_digest).unwrap_or_default())
}
