//! The DS GraphQL client: one POST per request, the bearer token, DS's rate
//! limit respected from the client side, and retries for what is transient.
//!
//! What this module owns: turning an operation and its variables into the
//! `data` object of a successful response, or into an [`ApiError`] that says
//! what happened and whether trying again can help. Pacing is shared by every
//! task of a run (one [`ApiClient`] per token), so concurrency never means
//! more than the configured requests per minute. File downloads use the same
//! HTTP client but never carry the token (storage URLs are signed; the token
//! must not travel to another host).

mod answer;
pub mod complexity;
mod query;
mod retry;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use answer::{classify_graphql, first_error_message, snippet, Outcome};
pub use query::Operation;
pub use retry::{burst_for, Pacer, RetryPolicy};

use crate::error::redact_url;

/// The public DS endpoint (the platform's current name).
pub const DEFAULT_ENDPOINT: &str = "https://demarche.numerique.gouv.fr/api/v2/graphql";

/// What can go wrong with a GraphQL request.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401/403: the token is wrong, expired, revoked or used from another network.
    #[error("the DS API refused the token (HTTP {status}): {message}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// DS's message.
        message: String,
    },
    /// `not_found` or `unauthorized` on the root object.
    #[error("{message}")]
    NotFound {
        /// DS's message.
        message: String,
    },
    /// DS aborted the query after 30 s (`extensions.code = "timeout"`), or
    /// refused a page as too complex, on every try: `attempts` in a row.
    /// From [`ApiClient::query_page`], one such answer (`attempts: 1`): the
    /// caller asks for a smaller page.
    #[error("`{operation}`: DS timed out {attempts} time(s) in a row")]
    Timeout {
        /// The operation.
        operation: &'static str,
        /// Timeouts in a row.
        attempts: u32,
    },
    /// Still failing after every retry (5xx, connection errors).
    #[error("`{operation}` failed after {attempts} attempts: {message}")]
    Exhausted {
        /// The operation.
        operation: &'static str,
        /// How many tries.
        attempts: u32,
        /// The last failure.
        message: String,
    },
    /// A GraphQL error DS says is final, or a response we cannot read.
    #[error("`{operation}` failed: {message}")]
    Fatal {
        /// The operation.
        operation: &'static str,
        /// What DS said.
        message: String,
    },
    /// DS answered, but the answer lacks what an archive needs (a required
    /// field, a null node): read strictly, it is an error naming the
    /// culprit, never a shorter listing.
    #[error("`{operation}` answered data that cannot be archived: {message}")]
    Malformed {
        /// The operation.
        operation: &'static str,
        /// The culprit and what is wrong with it.
        message: String,
    },
}

/// Counters a run reports.
#[derive(Debug, Default)]
pub struct ApiStats {
    /// GraphQL requests sent (including retries).
    pub requests: AtomicU64,
    /// Retries after a transient failure.
    pub retries: AtomicU64,
    /// 429 answers received.
    pub rate_limited: AtomicU64,
}

/// A GraphQL client bound to one endpoint and token.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    endpoint: String,
    token: Arc<str>,
    pacer: Arc<Pacer>,
    retry: RetryPolicy,
    stats: Arc<ApiStats>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token.
        f.debug_struct("ApiClient")
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

impl ApiClient {
    /// A client for `endpoint` with `token`, pacing at `pacer`'s rate.
    ///
    /// # Errors
    /// When the HTTP client cannot be built (TLS set-up).
    pub fn new(
        endpoint: &str,
        token: &str,
        pacer: Pacer,
        retry: RetryPolicy,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .user_agent(concat!("ds-archive/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(20))
            // Idle reads: a stalled body is cut and retried instead of hanging.
            .read_timeout(Duration::from_secs(120))
            .build()?;
        Ok(Self {
            http,
            endpoint: endpoint.to_owned(),
            token: Arc::from(token),
            pacer: Arc::new(pacer),
            retry,
            stats: Arc::new(ApiStats::default()),
        })
    }

    /// A client on the same token, endpoint and pacer, counting its own
    /// requests: two runs on one token share DS's per-token limit, and
    /// each still reports what it sent.
    #[must_use]
    pub fn sharing_pacer(&self) -> Self {
        Self {
            stats: Arc::new(ApiStats::default()),
            ..self.clone()
        }
    }

    /// The shared HTTP client (for file downloads, without the token).
    #[must_use]
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Run statistics.
    #[must_use]
    pub fn stats(&self) -> &ApiStats {
        &self.stats
    }

    /// The retry policy (downloads use it too).
    #[must_use]
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.retry
    }

    /// Send `op` with `variables`; return the `data` object.
    ///
    /// DS times out under load on any query: a `timeout` answer is retried
    /// like a 5xx, with the same backoff and the same number of tries.
    ///
    /// # Errors
    /// See [`ApiError`]: transient failures are retried here first.
    pub async fn query(&self, op: Operation, variables: Value) -> Result<Value, ApiError> {
        self.send(op, variables, false).await
    }

    /// Like [`ApiClient::query`], for a page: a `timeout` (or a query DS finds
    /// too complex) comes back at once as [`ApiError::Timeout`], so the
    /// caller can ask again with a smaller page.
    ///
    /// # Errors
    /// See [`ApiError`].
    pub async fn query_page(&self, op: Operation, variables: Value) -> Result<Value, ApiError> {
        self.send(op, variables, true).await
    }

    async fn send(&self, op: Operation, variables: Value, page: bool) -> Result<Value, ApiError> {
        let body = json!({
            "query": op.document(),
            "variables": variables,
            "operationName": op.name(),
        });
        let mut attempt = 0u32;
        let mut timeouts = 0u32;
        loop {
            attempt += 1;
            self.pacer.wait().await;
            self.stats.requests.fetch_add(1, Ordering::Relaxed);
            tracing::debug!(operation = op.name(), attempt, "GraphQL request");
            let sent = self
                .http
                .post(&self.endpoint)
                .bearer_auth(&*self.token)
                .json(&body)
                .timeout(Duration::from_secs(180))
                .send()
                .await;
            let outcome = match sent {
                Ok(resp) => self.read_response(op, resp).await,
                Err(e) => Outcome::Transient(describe_reqwest(&e)),
            };
            let message = match outcome {
                Outcome::Data(data) => {
                    tracing::debug!(operation = op.name(), "GraphQL answer");
                    return Ok(data);
                }
                Outcome::Failed(e) => return Err(e),
                Outcome::TimedOut(_) | Outcome::TooLarge(_) if page => {
                    return Err(ApiError::Timeout {
                        operation: op.name(),
                        attempts: 1,
                    })
                }
                // Asking the same thing again cannot make it simpler.
                Outcome::TooLarge(message) => {
                    return Err(ApiError::Fatal {
                        operation: op.name(),
                        message: format!("DS finds the query too large: {message}"),
                    })
                }
                Outcome::RateLimited(wait) => {
                    self.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        operation = op.name(),
                        wait_secs = wait.as_secs_f32(),
                        "DS rate limit reached (HTTP 429): waiting for the next window"
                    );
                    self.pacer.pause_for(wait).await;
                    // A 429 is DS telling us to wait, not a failure: it does not use
                    // up an attempt (but the pacer keeps us from hammering).
                    attempt -= 1;
                    continue;
                }
                Outcome::TimedOut(message) => {
                    timeouts += 1;
                    format!("DS timed out: {message}")
                }
                Outcome::Transient(message) => {
                    timeouts = 0;
                    message
                }
            };
            if attempt >= self.retry.max_attempts {
                return Err(if timeouts == attempt {
                    ApiError::Timeout {
                        operation: op.name(),
                        attempts: attempt,
                    }
                } else {
                    ApiError::Exhausted {
                        operation: op.name(),
                        attempts: attempt,
                        message,
                    }
                });
            }
            self.stats.retries.fetch_add(1, Ordering::Relaxed);
            let delay = self.retry.backoff(attempt);
            tracing::warn!(
                operation = op.name(),
                attempt,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                "transient DS API failure, retrying: {message}"
            );
            tokio::time::sleep(delay).await;
        }
    }

    async fn read_response(&self, op: Operation, resp: reqwest::Response) -> Outcome {
        let status = resp.status().as_u16();
        if status == 429 {
            return Outcome::RateLimited(retry::rate_limit_wait(resp.headers()));
        }
        let text = match resp.text().await {
            Ok(t) => t,
            Err(e) => return Outcome::Transient(describe_reqwest(&e)),
        };
        let body: Option<Value> = serde_json::from_str(&text).ok();
        let message = body
            .as_ref()
            .and_then(first_error_message)
            .unwrap_or_else(|| snippet(&text));
        match status {
            200 => {}
            401 | 403 => return Outcome::Failed(ApiError::Auth { status, message }),
            408 | 500..=599 => return Outcome::Transient(format!("HTTP {status}: {message}")),
            _ => {
                return Outcome::Failed(ApiError::Fatal {
                    operation: op.name(),
                    message: format!("HTTP {status}: {message}"),
                })
            }
        }
        let Some(body) = body else {
            return Outcome::Transient(format!("unreadable JSON response: {}", snippet(&text)));
        };
        classify_graphql(op, body)
    }
}

/// Describe a transport error without leaking a signed URL's query string.
#[must_use]
pub fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut msg = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else if e.is_body() || e.is_decode() {
        "response body interrupted".to_owned()
    } else if let Some(status) = e.status() {
        format!("HTTP {status}")
    } else {
        "request failed".to_owned()
    };
    if let Some(url) = e.url() {
        msg = format!("{msg} ({})", redact_url(url.as_str()));
    }
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}
