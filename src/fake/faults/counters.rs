//! What the fake served, counted as it serves: tests read a [`Stats`]
//! snapshot to check how many requests a run made and of which kind.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A snapshot of what the fake served.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Every POST to the GraphQL endpoint, whatever its outcome.
    pub graphql_requests: u64,
    /// GraphQL requests by `operationName` (`""` when none was given).
    pub graphql_by_operation: BTreeMap<String, u64>,
    /// GET requests for files (storage and generated PDF/GeoJSON), whatever their outcome.
    pub file_requests: u64,
    /// File GETs that carried an `Authorization` header: file URLs are
    /// signed, and a client that sent the API token with them would hand it
    /// to whatever host serves the files.
    pub file_requests_with_credentials: u64,
    /// HTTP 429 answers.
    pub rate_limited: u64,
}

/// Counters behind [`Stats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    by_operation: Mutex<BTreeMap<String, u64>>,
    graphql: AtomicU64,
    files: AtomicU64,
    files_with_credentials: AtomicU64,
    rate_limited: AtomicU64,
}

impl Counters {
    pub(crate) fn graphql(&self, operation: &str) {
        self.graphql.fetch_add(1, Ordering::SeqCst);
        let mut map = self
            .by_operation
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *map.entry(operation.to_owned()).or_default() += 1;
    }

    pub(crate) fn file(&self, with_credentials: bool) {
        self.files.fetch_add(1, Ordering::SeqCst);
        if with_credentials {
            self.files_with_credentials.fetch_add(1, Ordering::SeqCst);
        }
    }

    pub(crate) fn rate_limited(&self) {
        self.rate_limited.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn snapshot(&self) -> Stats {
        Stats {
            graphql_requests: self.graphql.load(Ordering::SeqCst),
            graphql_by_operation: self
                .by_operation
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .clone(),
            file_requests: self.files.load(Ordering::SeqCst),
            file_requests_with_credentials: self.files_with_credentials.load(Ordering::SeqCst),
            rate_limited: self.rate_limited.load(Ordering::SeqCst),
        }
    }
}
