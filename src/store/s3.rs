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
//! Every call is retried, signed anew each time, when no answer came (a
//! dropped or refused connection, a timeout) or the answer was 429, 500,
//! 502, 503 or 504 (S3's `SlowDown`, `InternalError`, a proxy's hiccup):
//! object stores shed load that way and an archiver must ride it out. A
//! retried create-only PUT is safe: if the first try did land, the second
//! gets 412 and the caller compares digests, as for any key already there.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use reqwest::{Method, StatusCode};

mod multipart;
mod read;

pub use read::Head;

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

/// A body as each try sends it: shared bytes, or the file's path.
enum Resendable {
    Bytes(bytes::Bytes),
    File(PathBuf),
}

impl Resendable {
    async fn open(&self) -> std::io::Result<reqwest::Body> {
        Ok(match self {
            Self::Bytes(b) => reqwest::Body::from(b.clone()),
            Self::File(path) => {
                let file = tokio::fs::File::open(path).await?;
                reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::with_capacity(
                    file,
                    1 << 16,
                ))
            }
        })
    }
}

/// Why a request got no answer.
#[derive(Debug)]
pub(crate) enum SendError {
    Net(reqwest::Error),
    /// The file to send could not be opened.
    Body(PathBuf, std::io::Error),
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

    /// Send one request, signed anew for each try, retrying what is
    /// transient (see the module doc). The last answer or failure is the
    /// caller's.
    async fn send(
        &self,
        method: Method,
        key: &str,
        query: &[(String, String)],
        headers: Vec<(String, String)>,
        payload_sha256: &str,
        body: Option<Body>,
    ) -> Result<reqwest::Response, SendError> {
        let len = body.as_ref().map(|b| match b {
            Body::Bytes(b) => b.len() as u64,
            Body::File { len, .. } => *len,
        });
        let body = body.map(|b| match b {
            Body::Bytes(b) => Resendable::Bytes(bytes::Bytes::from(b)),
            Body::File { path, .. } => Resendable::File(path),
        });
        let mut attempt = 1;
        loop {
            let sent = match &body {
                Some(b) => match b.open().await {
                    Ok(b) => Some((b, len.unwrap_or_default())),
                    Err(e) => {
                        let path = match b {
                            Resendable::File(p) => p.clone(),
                            Resendable::Bytes(_) => PathBuf::new(),
                        };
                        return Err(SendError::Body(path, e));
                    }
                },
                None => None,
            };
            let result = self
                .send_once(
                    method.clone(),
                    key,
                    query,
                    headers.clone(),
                    payload_sha256,
                    sent,
                )
                .await;
            let transient = match &result {
                Ok(resp) => matches!(resp.status().as_u16(), 429 | 500 | 502 | 503 | 504),
                Err(_) => true,
            };
            if !transient || attempt >= self.retry.max_attempts {
                return result.map_err(SendError::Net);
            }
            let what = match &result {
                Ok(resp) => format!("HTTP {}", resp.status().as_u16()),
                Err(e) => net_error_text(e),
            };
            tracing::warn!(
                "S3 {method} `{key}`: {what}; trying again ({attempt}/{})",
                self.retry.max_attempts
            );
            drop(result);
            tokio::time::sleep(self.retry.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// Send one signed request.
    async fn send_once(
        &self,
        method: Method,
        key: &str,
        query: &[(String, String)],
        mut headers: Vec<(String, String)>,
        payload_sha256: &str,
        body: Option<(reqwest::Body, u64)>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        let (url, host, path) = self.cfg.url_for(key);
        let amz_date = time::OffsetDateTime::now_utc()
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap_or_default();
        headers.push(("host".into(), host));
        headers.push(("x-amz-date".into(), amz_date.clone()));
        headers.push(("x-amz-content-sha256".into(), payload_sha256.into()));
        if let Some(token) = &self.cfg.credentials.session_token {
            headers.push(("x-amz-security-token".into(), token.clone()));
        }
        let auth = sigv4::authorization(
            &sigv4::ToSign {
                method: method.as_str(),
                path: &path,
                query,
                headers: &headers,
                payload_sha256,
            },
            &self.cfg.credentials,
            &self.cfg.region,
            &amz_date,
        );
        let query = sigv4::canonical_query(query);
        let url = if query.is_empty() {
            url
        } else {
            format!("{url}?{query}")
        };
        let mut req = self.http.request(method, url).header("authorization", auth);
        for (k, v) in headers {
            if k != "host" {
                req = req.header(k, v);
            }
        }
        if let Some((body, len)) = body {
            req = req.header("content-length", len).body(body);
        }
        req.send().await
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

/// A request that got no answer, as an [`S3Error`].
fn net_error(action: &'static str, key: &str, e: &SendError) -> S3Error {
    match e {
        SendError::Net(e) => reqwest_error(action, key, e),
        SendError::Body(path, e) => S3Error {
            action,
            key: key.to_owned(),
            message: format!("cannot read `{}` to send it: {e}", path.display()),
            status: None,
        },
    }
}

/// A failure of reqwest's (no answer, or a body that broke off).
fn reqwest_error(action: &'static str, key: &str, e: &reqwest::Error) -> S3Error {
    S3Error {
        action,
        key: key.to_owned(),
        message: net_error_text(e),
        status: None,
    }
}

fn net_error_text(e: &reqwest::Error) -> String {
    // reqwest's message names the URL; ours has no secret in it (signatures
    // travel in headers), but keep only the cause.
    let mut message = e.to_string();
    if let Some(url) = e.url() {
        message = message.replace(url.as_str(), &crate::error::redact_url(url.as_str()));
    }
    // The cause (refused, timed out, DNS) is in the source chain.
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        message = format!("{message}: {c}");
        cause = c.source();
    }
    message
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
