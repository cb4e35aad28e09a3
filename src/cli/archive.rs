//! `archive`, `demo` and `fake-server`: validate arguments, build the client,
//! run the pipeline on a tokio runtime, handle Ctrl-C, print the summary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::fatal;
use crate::api::{ApiClient, Pacer, RetryPolicy, DEFAULT_ENDPOINT};
use crate::digest::DigestAlg;
use crate::error::{exit, Error};
use crate::model::DossierState;
use crate::pipeline::{self, Options};
use crate::progress::Progress;

/// Options of `archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The démarche number.
    #[arg(long)]
    demarche: u64,
    /// Output folder (created if needed; rerun on the same folder to resume or update).
    #[arg(long)]
    out: PathBuf,
    /// The full GraphQL endpoint (also works with www.demarches-simplifiees.fr and forks).
    #[arg(long, env = "DS_API_URL", default_value = DEFAULT_ENDPOINT)]
    api_url: String,
    /// A file holding the API token (else the DS_API_TOKEN environment variable).
    #[arg(long)]
    token_file: Option<PathBuf>,
    #[command(flatten)]
    common: CommonArgs,
}

/// Options shared by `archive` and `demo`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Only dossiers in this state (repeatable): en_construction, en_instruction,
    /// accepte, refuse, sans_suite.
    #[arg(long = "state", value_parser = parse_state)]
    states: Vec<DossierState>,
    /// Only dossiers modified at DS since this date (RFC 3339). Default on a
    /// rerun: the previous run's start, minus 10 minutes.
    #[arg(long)]
    since: Option<String>,
    /// Parallel downloads (dossiers built at once: twice as many).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Manifest digest (repeatable): sha256, sha512. Default: both.
    #[arg(long = "digest", value_parser = parse_digest)]
    digests: Vec<DigestAlg>,
    /// Do not write one zip per dossier.
    #[arg(long)]
    no_zip: bool,
    /// Dossiers per API page (DS caps it at 100; smaller pages time out less).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    page_size: u32,
    /// GraphQL requests per --rate-window (DS allows 400 per token and minute).
    #[arg(long, default_value_t = 360, value_parser = clap::value_parser!(u32).range(1..=400))]
    rate_limit: u32,
    /// Seconds the server counts --rate-limit requests in (DS: 60; shorter for
    /// a server that counts otherwise, such as a test server).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    rate_window: u64,
    /// Tries per request or download before giving up.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=50))]
    retries: u32,
    /// Milliseconds before the first retry (doubled at each next one, capped
    /// at 120 times this and at one minute). Tests set a few ms.
    #[arg(long, env = "DS_ARCHIVE_RETRY_DELAY_MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    retry_delay_ms: u64,
}

/// Options of `demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where to write the bundles.
    #[arg(long, default_value = "demo-archive")]
    out: PathBuf,
}

/// Options of `fake-server`.
#[derive(Debug, Args)]
pub struct FakeServerArgs {
    /// Address to listen on (loopback only by default).
    #[arg(long, default_value = "127.0.0.1:8088")]
    listen: SocketAddr,
    /// The token the fake accepts.
    #[arg(long, default_value = "fake-token")]
    token: String,
    /// Serve generated dossiers instead of the sample: `DOSSIERS:FILES:BYTES`.
    #[arg(long)]
    generated: Option<String>,
    /// Requests per window before 429s.
    #[arg(long, default_value_t = 400)]
    rate_limit: u32,
    /// Length of a rate-limit window in seconds (DS: 60).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    rate_window: u64,
}

fn parse_state(s: &str) -> Result<DossierState, String> {
    DossierState::from_api(s).ok_or_else(|| {
        format!(
            "unknown state `{s}` (en_construction, en_instruction, accepte, refuse, sans_suite)"
        )
    })
}

fn parse_digest(s: &str) -> Result<DigestAlg, String> {
    DigestAlg::from_archive_name(s).ok_or_else(|| format!("unknown digest `{s}` (sha256, sha512)"))
}

fn read_token(args: &ArchiveArgs) -> Result<String, String> {
    let token = match &args.token_file {
        Some(path) => fs_err::read_to_string(path).map_err(|e| e.to_string())?,
        None => std::env::var("DS_API_TOKEN").unwrap_or_default(),
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err("no API token: set DS_API_TOKEN or pass --token-file".into());
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("the API token contains spaces or control characters".into());
    }
    Ok(token)
}

fn options(common: &CommonArgs, out: PathBuf, demarche: u64) -> Result<Options, String> {
    if let Some(since) = &common.since {
        time::OffsetDateTime::parse(since, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                format!(
                    "--since `{since}` is not an RFC 3339 date (e.g. 2024-01-31T00:00:00+01:00)"
                )
            })?;
    }
    let mut digests = common.digests.clone();
    if digests.is_empty() {
        digests = vec![DigestAlg::Sha256, DigestAlg::Sha512];
    }
    digests.sort();
    digests.dedup();
    Ok(Options {
        out,
        demarche,
        states: common.states.clone(),
        since: common.since.clone(),
        concurrency: usize::from(common.concurrency),
        digests,
        zip: !common.no_zip,
        page_size: common.page_size,
    })
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// `archive`.
pub fn run_archive(args: &ArchiveArgs, progress: Progress) -> u8 {
    let token = match read_token(args) {
        Ok(t) => t,
        Err(e) => return fatal(&e, Some("create a token in your DS administrator profile")),
    };
    let opts = match options(&args.common, args.out.clone(), args.demarche) {
        Ok(o) => o,
        Err(e) => return fatal(&e, None),
    };
    let Ok(rt) = runtime() else {
        return fatal("cannot start the async runtime", None);
    };
    rt.block_on(async {
        let client = match client(&args.api_url, &token, &args.common) {
            Ok(c) => c,
            Err(e) => return fatal(&e, None),
        };
        run_pipeline(client, opts, progress).await
    })
}

fn client(url: &str, token: &str, common: &CommonArgs) -> Result<ApiClient, String> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(format!("--api-url `{url}` is not an http(s) URL"));
    }
    let retry = RetryPolicy::with_base_delay(
        common.retries,
        std::time::Duration::from_millis(common.retry_delay_ms),
    );
    let pacer = Pacer::per_window(common.rate_limit, Duration::from_secs(common.rate_window));
    ApiClient::new(url, token, pacer, retry)
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

async fn run_pipeline(client: ApiClient, opts: Options, progress: Progress) -> u8 {
    let cancel = CancellationToken::new();
    let watcher = {
        let cancel = cancel.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                tracing::warn!("interrupted: finishing the journal (Ctrl-C again to quit at once)");
                cancel.cancel();
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(i32::from(exit::INTERRUPTED));
                }
            }
        })
    };
    let out = opts.out.clone();
    let result = pipeline::archive(client, opts, progress.clone(), cancel).await;
    watcher.abort();
    progress.finish();
    match result {
        Ok(summary) => {
            eprintln!("{}", summary.render(&out));
            if summary.interrupted {
                exit::INTERRUPTED
            } else if summary.complete() {
                exit::OK
            } else {
                exit::FAILURES
            }
        }
        Err(e) => {
            let hint = match &e {
                Error::Auth { .. } => Some("check the token, its expiry and its allowed networks (tokens made since July 2026 are bound to IP ranges)"),
                Error::UnknownDemarche { .. } => Some("check the démarche number and that the token's administrator can see it"),
                Error::Locked { .. } => Some("wait for the other run to finish, or point --out at another folder"),
                Error::Io { .. } => Some("free some space or fix permissions, then run the same command again: it resumes"),
                Error::Api { .. } => Some("check --api-url and the network, then run the same command again: it resumes"),
                _ => None,
            };
            eprintln!("error: {e}");
            if let Some(h) = hint {
                eprintln!("\nhint: {h}");
            }
            e.exit_code()
        }
    }
}

/// `demo`.
pub fn run_demo(args: &DemoArgs, progress: Progress) -> u8 {
    let Ok(rt) = runtime() else {
        return fatal("cannot start the async runtime", None);
    };
    rt.block_on(async {
        let config = crate::fake::FakeConfig::default();
        let token = config.token.clone();
        let server = match crate::fake::FakeServer::start(config).await {
            Ok(s) => s,
            Err(e) => return fatal(&format!("cannot start the fake DS API: {e}"), None),
        };
        let demarche = crate::fake::Dataset::sample().demarche_number();
        tracing::info!(
            "fake DS API listening on {} (démarche {demarche})",
            server.graphql_url()
        );
        let common = CommonArgs {
            states: Vec::new(),
            since: None,
            concurrency: 4,
            digests: Vec::new(),
            no_zip: false,
            page_size: 10,
            rate_limit: 400,
            rate_window: 60,
            retries: 6,
            retry_delay_ms: 500,
        };
        let opts = match options(&common, args.out.clone(), demarche) {
            Ok(o) => o,
            Err(e) => return fatal(&e, None),
        };
        let client = match client(&server.graphql_url(), &token, &common) {
            Ok(c) => c,
            Err(e) => return fatal(&e, None),
        };
        let code = run_pipeline(client, opts, progress).await;
        server.shutdown().await;
        if code == exit::OK {
            println!("{}", args.out.display());
            eprintln!("check it: ds-archive verify {}", args.out.display());
        }
        code
    })
}

/// `fake-server`.
pub fn run_fake_server(args: &FakeServerArgs) -> u8 {
    let dataset = match &args.generated {
        None => crate::fake::Dataset::sample(),
        Some(spec) => {
            let parts: Vec<u64> = spec.split(':').filter_map(|p| p.parse().ok()).collect();
            let [dossiers, files, bytes] = parts[..] else {
                return fatal(
                    &format!("--generated `{spec}`: expected DOSSIERS:FILES:BYTES"),
                    None,
                );
            };
            crate::fake::Dataset::generated(
                1,
                usize::try_from(dossiers).unwrap_or(0),
                usize::try_from(files).unwrap_or(0),
                bytes,
            )
        }
    };
    let config = crate::fake::FakeConfig {
        token: args.token.clone(),
        rate_limit_per_minute: args.rate_limit,
        rate_limit_window_secs: args.rate_window,
        dataset,
        ..crate::fake::FakeConfig::default()
    };
    let Ok(rt) = runtime() else {
        return fatal("cannot start the async runtime", None);
    };
    match rt.block_on(crate::fake::serve_forever(config, args.listen)) {
        Ok(()) => exit::OK,
        Err(e) => fatal(&format!("fake DS API: {e}"), None),
    }
}
