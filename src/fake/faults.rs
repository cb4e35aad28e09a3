//! Switches tests flip while the fake runs, and the counters they read back.
//!
//! Every switch is a small piece of shared state behind a mutex or an atomic
//! (the fake serves requests on several tokio threads). "Next N" switches are
//! counters decremented by the request that consumes them, so a test can say
//! "the next 2 GraphQL calls fail with 502" and then check that the client
//! recovered. Faults can also be queued for one operation (`getDemarche`,
//! `getDossier`...), so a test reaches the request it means, the first of a
//! run or one deep inside it, whatever else the client asks in between.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

mod counters;
mod dropped;
mod rate_limit;
pub(crate) use counters::Counters;
pub use counters::Stats;
use dropped::DroppedField;
pub(crate) use rate_limit::RateLimiter;

/// Fault switches of a running fake. Obtain it with `FakeServer::faults`.
#[derive(Debug)]
pub struct Faults {
    state: Mutex<FaultState>,
    rate_limit_per_minute: AtomicU32,
    url_ttl_secs: AtomicU64,
    /// 0: no cap.
    max_complexity: AtomicU64,
}

/// One injected answer to a GraphQL request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphqlFault {
    /// HTTP `status` from the proxy (500: DS's JSON `internal_server_error`
    /// body; 502/503...: an HTML page).
    Status(u16),
    /// The connection drops without a complete response.
    Close,
    /// graphql-ruby's `timeout` error, HTTP 200, with partial data.
    Timeout,
    /// graphql-ruby's `timeout` error, HTTP 200, with `data: null`.
    TimeoutWithoutData,
}

impl GraphqlFault {
    /// Whether the proxy answers it, before DS runs the query.
    pub(crate) fn at_proxy(self) -> bool {
        matches!(self, Self::Status(_) | Self::Close)
    }
}

#[derive(Debug, Default)]
struct FaultState {
    by_operation: HashMap<String, VecDeque<GraphqlFault>>,
    graphql_failures: Vec<u16>,
    graphql_closes: u32,
    timeouts: u32,
    timeout_first_above: Option<u32>,
    download_failures: Vec<u16>,
    download_cuts: u32,
    corrupted: HashSet<(u64, String)>,
    slow_body: Option<Duration>,
    held_dossier: Option<u64>,
    dropped_fields: Vec<DroppedField>,
}

impl Faults {
    pub(crate) fn new(rate_limit_per_minute: u32, url_ttl_secs: u64) -> Self {
        Self {
            state: Mutex::new(FaultState::default()),
            rate_limit_per_minute: AtomicU32::new(rate_limit_per_minute),
            url_ttl_secs: AtomicU64::new(url_ttl_secs),
            max_complexity: AtomicU64::new(crate::api::complexity::DS_MAX_COMPLEXITY),
        }
    }

    fn with<R>(&self, f: impl FnOnce(&mut FaultState) -> R) -> R {
        let mut guard = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        f(&mut guard)
    }

    /// The next `n` GraphQL requests answer HTTP `status` (500, 502, 503...).
    pub fn fail_graphql(&self, n: u32, status: u16) {
        self.with(|s| {
            s.graphql_failures
                .extend(std::iter::repeat_n(status, n as usize))
        });
    }

    /// Queue `faults` for the next requests named `operation` (their
    /// `operationName`), one per request, in order; other operations are not
    /// affected. Proxy faults (status, close) are taken before the rate limit,
    /// timeouts when DS would run the query (after the rate limit and token).
    pub fn fail_operation(&self, operation: &str, faults: impl IntoIterator<Item = GraphqlFault>) {
        self.with(|s| {
            s.by_operation
                .entry(operation.to_owned())
                .or_default()
                .extend(faults);
        });
    }

    /// The next `n` GraphQL requests get their connection dropped without a
    /// complete response.
    pub fn close_graphql_connections(&self, n: u32) {
        self.with(|s| s.graphql_closes += n);
    }

    /// The next `n` GraphQL requests answer a GraphQL `timeout` error with
    /// partial data (connection `nodes`/`edges` null, or `data` null for a
    /// single-dossier query).
    pub fn timeout_graphql(&self, n: u32) {
        self.with(|s| {
            s.timeouts += n;
            s.timeout_first_above = None;
        });
    }

    /// Like [`Faults::timeout_graphql`], but only requests whose dossier
    /// connection asks for more than `first_above` nodes time out (and consume
    /// the counter): a client that shrinks its pages gets through.
    pub fn timeout_graphql_when_first_above(&self, n: u32, first_above: u32) {
        self.with(|s| {
            s.timeouts += n;
            s.timeout_first_above = Some(first_above);
        });
    }

    /// Change the rate limit (requests per epoch minute per `Authorization`).
    pub fn set_rate_limit_per_minute(&self, limit: u32) {
        self.rate_limit_per_minute.store(limit, Ordering::SeqCst);
    }

    /// Change the lifetime of signed URLs minted from now on (0: already expired).
    pub fn set_url_ttl_secs(&self, secs: u64) {
        self.url_ttl_secs.store(secs, Ordering::SeqCst);
    }

    /// The next `n` downloads of dossier files (storage and dossier PDF; not
    /// the démarche's own documents) answer HTTP `status`.
    pub fn fail_downloads(&self, n: u32, status: u16) {
        self.with(|s| {
            s.download_failures
                .extend(std::iter::repeat_n(status, n as usize))
        });
    }

    /// The next `n` file downloads send the full `Content-Length`, half the
    /// body, then drop the connection.
    pub fn cut_downloads(&self, n: u32) {
        self.with(|s| s.download_cuts += n);
    }

    /// Always serve this file (dossier number, original filename) with one
    /// byte flipped: its MD5 never matches `checksum`.
    pub fn corrupt_file(&self, dossier: u64, filename: &str) {
        self.with(|s| s.corrupted.insert((dossier, filename.to_owned())));
    }

    /// Pause this long before each 64 KiB chunk of a file body (`None`: off).
    pub fn set_slow_body(&self, delay: Option<Duration>) {
        self.with(|s| s.slow_body = delay);
    }

    /// Hold the body of this dossier's PDF before its first byte until the
    /// hold is lifted (`None`, or [`Faults::clear`]): a run can then not
    /// finish, whatever the speed of the machine, which crash tests rely on.
    pub fn hold_dossier_pdf(&self, dossier: Option<u64>) {
        self.with(|s| s.held_dossier = dossier);
    }

    /// Turn every "next N" switch, corruption and slowness off (rate limit and
    /// TTL keep their values).
    pub fn clear(&self) {
        self.with(|s| *s = FaultState::default());
    }

    /// DS's query complexity cap (60 000 by default, as DS since GH#13549;
    /// `None`: no cap, as DS before). Documents over it are refused with
    /// graphql-ruby's message, before they run.
    pub fn set_max_complexity(&self, cap: Option<u64>) {
        self.max_complexity
            .store(cap.unwrap_or(0), Ordering::SeqCst);
    }

    pub(crate) fn max_complexity(&self) -> Option<u64> {
        Some(self.max_complexity.load(Ordering::SeqCst)).filter(|c| *c > 0)
    }

    pub(crate) fn rate_limit(&self) -> u32 {
        self.rate_limit_per_minute.load(Ordering::SeqCst)
    }

    pub(crate) fn url_ttl(&self) -> u64 {
        self.url_ttl_secs.load(Ordering::SeqCst)
    }

    /// The next queued fault for `operation` if it is taken at `stage`
    /// (`at_proxy`: before the rate limit; else when the query runs).
    pub(crate) fn take_operation_fault(
        &self,
        operation: &str,
        at_proxy: bool,
    ) -> Option<GraphqlFault> {
        self.with(|s| {
            let queue = s.by_operation.get_mut(operation)?;
            if queue.front()?.at_proxy() == at_proxy {
                queue.pop_front()
            } else {
                None
            }
        })
    }

    pub(crate) fn take_graphql_failure(&self) -> Option<u16> {
        self.with(|s| (!s.graphql_failures.is_empty()).then(|| s.graphql_failures.remove(0)))
    }

    pub(crate) fn take_graphql_close(&self) -> bool {
        self.with(|s| take_one(&mut s.graphql_closes))
    }

    /// A request-level timeout (no `first` threshold armed).
    pub(crate) fn take_request_timeout(&self) -> bool {
        self.with(|s| s.timeout_first_above.is_none() && take_one(&mut s.timeouts))
    }

    /// A connection-level timeout for a page of `first` nodes.
    pub(crate) fn take_page_timeout(&self, first: u32) -> bool {
        self.with(|s| match s.timeout_first_above {
            Some(limit) if first > limit => take_one(&mut s.timeouts),
            _ => false,
        })
    }

    pub(crate) fn take_download_failure(&self) -> Option<u16> {
        self.with(|s| (!s.download_failures.is_empty()).then(|| s.download_failures.remove(0)))
    }

    pub(crate) fn take_download_cut(&self) -> bool {
        self.with(|s| take_one(&mut s.download_cuts))
    }

    pub(crate) fn is_corrupted(&self, dossier: u64, filename: &str) -> bool {
        self.with(|s| s.corrupted.contains(&(dossier, filename.to_owned())))
    }

    pub(crate) fn slow_body(&self) -> Option<Duration> {
        self.with(|s| s.slow_body)
    }

    pub(crate) fn is_held(&self, dossier: u64) -> bool {
        self.with(|s| s.held_dossier == Some(dossier))
    }
}

fn take_one(counter: &mut u32) -> bool {
    if *counter > 0 {
        *counter -= 1;
        true
    } else {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_n_switches_are_consumed() {
        let f = Faults::new(400, 3600);
        f.fail_graphql(2, 502);
        assert_eq!(f.take_graphql_failure(), Some(502));
        assert_eq!(f.take_graphql_failure(), Some(502));
        assert_eq!(f.take_graphql_failure(), None);
        f.timeout_graphql_when_first_above(1, 10);
        assert!(!f.take_request_timeout());
        assert!(!f.take_page_timeout(10));
        assert!(f.take_page_timeout(11));
        assert!(!f.take_page_timeout(11));
        f.corrupt_file(3, "a.pdf");
        assert!(f.is_corrupted(3, "a.pdf"));
        f.fail_operation(
            "getDossier",
            [GraphqlFault::Status(502), GraphqlFault::Timeout],
        );
        f.clear();
        assert!(!f.is_corrupted(3, "a.pdf"));
        assert_eq!(f.take_operation_fault("getDossier", true), None);
    }

    #[test]
    fn operation_faults_wait_for_their_operation_and_stage() {
        use GraphqlFault::{Close, Status, Timeout, TimeoutWithoutData};
        let f = Faults::new(400, 3600);
        f.fail_operation(
            "getDossier",
            [Timeout, Status(503), Close, TimeoutWithoutData],
        );
        assert_eq!(f.take_operation_fault("getDemarche", true), None);
        assert_eq!(
            f.take_operation_fault("getDossier", true),
            None,
            "a timeout is DS's, not the proxy's"
        );
        assert_eq!(f.take_operation_fault("getDossier", false), Some(Timeout));
        assert_eq!(f.take_operation_fault("getDossier", false), None);
        assert_eq!(
            f.take_operation_fault("getDossier", true),
            Some(Status(503))
        );
        assert_eq!(f.take_operation_fault("getDossier", true), Some(Close));
        assert_eq!(
            f.take_operation_fault("getDossier", false),
            Some(TimeoutWithoutData)
        );
        assert_eq!(f.take_operation_fault("getDossier", false), None);
    }
}
