//! A look-alike of the DS GraphQL API v2, served over real HTTP.
//!
//! `ds-archive demo`, the integration tests and the benchmarks start it on
//! 127.0.0.1 and point the real client at it. It executes queries for real
//! against the vendored DS schema (`graphql`, `resolve`), pages dossiers
//! like DS (`pagination`), serves files behind signed, expiring URLs
//! (`files`, `signing`), rate-limits like DS's rack-attack rule, and
//! lets tests inject failures and change the data while it runs
//! ([`Faults`], [`DatasetHandle`]). docs/fake-api.md describes it all.

mod clock;
mod content;
mod dataset;
mod faults;
mod files;
mod graphql;
mod pagination;
mod resolve;
mod schema;
mod signing;
mod timeout;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use clock::freeze_render_time;
pub use content::ContentError;
pub use dataset::{Dataset, DatasetError, DatasetHandle, DELETION_REASONS};
pub use faults::{Faults, GraphqlFault, Stats};

use faults::{Counters, RateLimiter};
use signing::Signer;

/// How to run a fake.
#[derive(Debug, Clone)]
pub struct FakeConfig {
    /// The only token accepted.
    pub token: String,
    /// GraphQL POSTs allowed per window and `Authorization` value.
    pub rate_limit_per_minute: u32,
    /// Length of a rate-limit window in seconds, windows aligned on the
    /// epoch: 60 like DS; tests use a second or two so that waiting a window
    /// out costs no real minute.
    pub rate_limit_window_secs: u64,
    /// Lifetime of the signed file URLs.
    pub url_ttl_secs: u64,
    /// What to serve.
    pub dataset: Dataset,
}

impl Default for FakeConfig {
    fn default() -> Self {
        Self {
            token: "fake-token".into(),
            rate_limit_per_minute: 400,
            rate_limit_window_secs: 60,
            url_ttl_secs: 3600,
            dataset: Dataset::sample(),
        }
    }
}

/// State shared by the request handlers.
pub(crate) struct AppState {
    token: String,
    base_url: String,
    signer: Signer,
    dataset: DatasetHandle,
    faults: Arc<Faults>,
    counters: Counters,
    limiter: Mutex<RateLimiter>,
}

impl AppState {
    fn limiter(&self) -> MutexGuard<'_, RateLimiter> {
        self.limiter
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/api/v2/graphql", post(graphql::handle))
        .route("/storage/{key}", get(files::storage))
        .route("/api/v2/dossiers/{kind}/{id}", get(files::generated))
        .with_state(state)
}

/// A running fake server.
pub struct FakeServer {
    addr: SocketAddr,
    state: Arc<AppState>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl FakeServer {
    /// Start on 127.0.0.1 with a random free port.
    ///
    /// # Errors
    /// When the socket cannot be bound.
    pub async fn start(config: FakeConfig) -> std::io::Result<FakeServer> {
        Self::start_on(config, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Start on `addr`.
    ///
    /// # Errors
    /// When the socket cannot be bound.
    pub async fn start_on(config: FakeConfig, addr: SocketAddr) -> std::io::Result<FakeServer> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(AppState {
            token: config.token,
            base_url: format!("http://{addr}"),
            signer: Signer::random(),
            dataset: DatasetHandle::new(config.dataset),
            faults: Arc::new(Faults::new(
                config.rate_limit_per_minute,
                config.url_ttl_secs,
            )),
            counters: Counters::default(),
            limiter: Mutex::new(RateLimiter::new(config.rate_limit_window_secs)),
        });
        let (stop, stopped) = oneshot::channel::<()>();
        let app = router(state.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(FakeServer {
            addr,
            state,
            stop,
            task,
        })
    }

    /// The bound address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (what `--base-url` style options take).
    #[must_use]
    pub fn base_url(&self) -> String {
        self.state.base_url.clone()
    }

    /// `http://127.0.0.1:PORT/api/v2/graphql`
    #[must_use]
    pub fn graphql_url(&self) -> String {
        format!("{}/api/v2/graphql", self.state.base_url)
    }

    /// The token the server accepts.
    #[must_use]
    pub fn token(&self) -> &str {
        &self.state.token
    }

    /// Fault switches, usable while the server runs.
    #[must_use]
    pub fn faults(&self) -> Arc<Faults> {
        self.state.faults.clone()
    }

    /// A snapshot of the counters.
    #[must_use]
    pub fn stats(&self) -> Stats {
        self.state.counters.snapshot()
    }

    /// The live dataset, to inspect or change it.
    #[must_use]
    pub fn dataset(&self) -> DatasetHandle {
        self.state.dataset.clone()
    }

    /// Stop accepting, let in-flight requests end (at most 5 s), then return.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let mut task = self.task;
        if tokio::time::timeout(Duration::from_secs(5), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Run a fake until Ctrl-C (for `ds-archive fake-server`): prints the GraphQL
/// URL and the token on stdout.
///
/// # Errors
/// When the socket cannot be bound or Ctrl-C cannot be listened for.
pub async fn serve_forever(config: FakeConfig, addr: SocketAddr) -> std::io::Result<()> {
    let demarche = config.dataset.demarche_number();
    let server = FakeServer::start_on(config, addr).await?;
    println!("fake DS API listening on {}", server.graphql_url());
    println!("token: {}", server.token());
    println!("démarche: {demarche}");
    let result = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    result
}
