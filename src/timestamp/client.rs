//! Asking TSAs for a token over HTTP (RFC 3161 §3.4): POST the DER request
//! as `application/timestamp-query`, read a `application/timestamp-reply`.
//!
//! The TSAs are tried in the order given; each one with the run's retry
//! policy (timeouts, dropped connections, 408/429/5xx are retried, other
//! answers are not), and a reply that is not a token for *our* request
//! (garbage, a refusal, another imprint or nonce) moves on to the next TSA.
//! The basic-auth password and any user:password in a URL never reach a
//! message: URLs are shown without user info and query.

use std::time::Duration;

use super::token::{self, Request, Token};
use crate::api::{describe_reqwest, RetryPolicy};

/// The TSAs to ask, and how.
#[derive(Clone)]
pub struct TsaClient {
    http: reqwest::Client,
    urls: Vec<String>,
    auth: Option<(String, String)>,
    retry: RetryPolicy,
}

impl std::fmt::Debug for TsaClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the credentials.
        f.debug_struct("TsaClient")
            .field(
                "urls",
                &self.urls.iter().map(|u| shown(u)).collect::<Vec<_>>(),
            )
            .field("auth", &self.auth.is_some())
            .finish_non_exhaustive()
    }
}

/// A URL as it may be shown: no user info, no query, no fragment.
#[must_use]
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        }
        Err(_) => crate::error::redact_url(url),
    }
}

/// One try's failure: retry the same TSA, or give up on it.
enum Failure {
    Transient(String),
    Final(String),
}

impl TsaClient {
    /// A client for `urls` (fallback order), with optional basic auth.
    ///
    /// # Errors
    /// When a URL is not http(s) or the HTTP client cannot be built.
    pub fn new(
        urls: Vec<String>,
        auth: Option<(String, String)>,
        retry: RetryPolicy,
    ) -> Result<Self, String> {
        for url in &urls {
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(format!("--tsa-url `{}` is not an http(s) URL", shown(url)));
            }
        }
        let http = reqwest::Client::builder()
            .user_agent(concat!("ds-archive/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Self {
            http,
            urls,
            auth,
            retry,
        })
    }

    /// The TSA URLs, in fallback order.
    #[must_use]
    pub fn urls(&self) -> &[String] {
        &self.urls
    }

    /// A token for `request` on a file whose SHA-256 is `digest`, from the
    /// first TSA that gives a good one, with that TSA's URL (as shown).
    ///
    /// # Errors
    /// One line per TSA saying why it gave none.
    pub async fn stamp(
        &self,
        request: &Request,
        digest: &[u8],
    ) -> Result<(Token, String), Vec<String>> {
        let mut failures = Vec::new();
        for url in &self.urls {
            match self.ask(url, request, digest).await {
                Ok(token) => return Ok((token, shown(url))),
                Err(why) => {
                    tracing::warn!(tsa = %shown(url), "no timestamp from this TSA: {why}");
                    failures.push(format!("{}: {why}", shown(url)));
                }
            }
        }
        Err(failures)
    }

    async fn ask(&self, url: &str, request: &Request, digest: &[u8]) -> Result<Token, String> {
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            let message = match self.post(url, &request.der).await {
                Ok(body) => {
                    let token = token::parse_reply(&body)?;
                    let problems = token::mismatches(&token, request, digest);
                    if problems.is_empty() {
                        return Ok(token);
                    }
                    return Err(problems.join("; "));
                }
                Err(Failure::Final(message)) => return Err(message),
                Err(Failure::Transient(message)) => message,
            };
            if attempt >= self.retry.max_attempts {
                return Err(format!("{message} (after {attempt} tries)"));
            }
            let delay = self.retry.backoff(attempt);
            tracing::debug!(tsa = %shown(url), attempt, "TSA failure, retrying: {message}");
            tokio::time::sleep(delay).await;
        }
    }

    async fn post(&self, url: &str, der: &[u8]) -> Result<Vec<u8>, Failure> {
        let mut req = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/timestamp-query")
            .header(reqwest::header::ACCEPT, "application/timestamp-reply")
            .body(der.to_vec());
        if let Some((user, password)) = &self.auth {
            req = req.basic_auth(user, Some(password));
        }
        let resp = req
            .send()
            .await
            .map_err(|e| Failure::Transient(describe_reqwest(&e)))?;
        let status = resp.status().as_u16();
        let body = resp
            .bytes()
            .await
            .map_err(|e| Failure::Transient(describe_reqwest(&e)))?;
        match status {
            200 => Ok(body.to_vec()),
            408 | 429 | 500..=599 => Err(Failure::Transient(format!("HTTP {status}"))),
            401 | 403 => Err(Failure::Final(format!(
                "HTTP {status}: check --tsa-auth-file"
            ))),
            _ => Err(Failure::Final(format!("HTTP {status}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_never_show() {
        assert_eq!(
            shown("https://user:secret@tsa.example/tsp?key=abc#x"),
            "https://tsa.example/tsp"
        );
        assert_eq!(shown("not a url?key=1"), "not a url");
    }
}
