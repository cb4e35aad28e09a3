//! Sending one S3 request: signed (SigV4) for each try, and tried again
//! when no answer came (a dropped or refused connection, a timeout) or the
//! answer was 429, 500, 502, 503 or 504 (S3's `SlowDown`, `InternalError`,
//! a proxy's hiccup): object stores shed load that way and an archiver must
//! ride it out. A retried create-only PUT is safe: if the first try did
//! land, the second gets 412 and the caller compares digests, as for any key
//! already there. The failures become [`S3Error`]s that name the call and
//! the key, never a signature.

use std::path::PathBuf;

use reqwest::Method;

use super::{sigv4, Body, S3Client, S3Error};

/// A body as each try sends it: shared bytes, or the file's path.
enum Resendable {
    Bytes(bytes::Bytes),
    File(PathBuf),
}

impl Resendable {
    /// The body of one try: the bytes shared, or the file opened again.
    async fn open(&self) -> Result<reqwest::Body, SendError> {
        Ok(match self {
            Self::Bytes(b) => reqwest::Body::from(b.clone()),
            Self::File(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| SendError::Body(path.clone(), e))?;
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
pub(super) enum SendError {
    Net(reqwest::Error),
    /// The file to send could not be opened.
    Body(PathBuf, std::io::Error),
}

impl S3Client {
    /// Send one request, signed anew for each try, retrying what is
    /// transient (see the module doc). The last answer or failure is the
    /// caller's.
    pub(super) async fn send(
        &self,
        method: Method,
        key: &str,
        query: &[(String, String)],
        headers: Vec<(String, String)>,
        payload_sha256: &str,
        body: Option<Body>,
    ) -> Result<reqwest::Response, SendError> {
        let body = body.map(|b| match b {
            Body::Bytes(b) => (b.len() as u64, Resendable::Bytes(bytes::Bytes::from(b))),
            Body::File { path, len } => (len, Resendable::File(path)),
        });
        let mut attempt = 1;
        loop {
            let sent = match &body {
                Some((len, b)) => Some((b.open().await?, *len)),
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
}

/// A request that got no answer, as an [`S3Error`].
pub(super) fn net_error(action: &'static str, key: &str, e: &SendError) -> S3Error {
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
pub(super) fn reqwest_error(action: &'static str, key: &str, e: &reqwest::Error) -> S3Error {
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
