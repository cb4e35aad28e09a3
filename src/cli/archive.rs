//! `archive`: validate arguments, build the client, run the pipeline on a
//! tokio runtime, stop it on a signal (`stop`), print the summary. `demo`
//! runs the same against the fake DS API ([`super::demo`]).

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use tokio_util::sync::CancellationToken;

use super::fatal;
use super::stop::{StopSignal, Watcher};
use crate::api::{ApiClient, Pacer, RetryPolicy, DEFAULT_ENDPOINT};
use crate::console;
use crate::digest::DigestAlg;
use crate::error::{exit, Error};
use crate::model::DossierState;
use crate::pipeline::{self, Keep, Options};
use crate::progress::Progress;
use crate::timestamp::TsaArgs;

/// Options of `archive`.
#[derive(Debug, Args)]
pub struct ArchiveArgs {
    /// The démarche number (repeatable: each démarche then goes into
    /// OUT/demarche-N).
    #[arg(long, required_unless_present = "config")]
    pub(super) demarche: Vec<u64>,
    /// Output folder (created if needed; rerun on the same folder to resume or update).
    #[arg(long, required_unless_present = "config")]
    pub(super) out: Option<PathBuf>,
    /// Only this groupe instructeur's dossiers (one --demarche only).
    #[arg(long)]
    pub(super) groupe: Option<u64>,
    /// A TOML list of démarches to archive, each with its own options
    /// (docs/deploy.md); the command line's options are their defaults.
    #[arg(long, value_name = "FILE",
          conflicts_with_all = ["demarche", "out", "groupe", "token_file", "allow_other_demarche"])]
    pub(super) config: Option<PathBuf>,
    /// Only the N-th [[demarche]] of --config (from 0): one per worker, e.g.
    /// `--entry "$JOB_COMPLETION_INDEX"` in a Kubernetes Indexed Job.
    #[arg(long, value_name = "N", requires = "config")]
    pub(super) entry: Option<usize>,
    /// The full GraphQL endpoint (also works with www.demarches-simplifiees.fr and forks).
    #[arg(long, env = "DS_API_URL", default_value = DEFAULT_ENDPOINT)]
    pub(super) api_url: String,
    /// A file holding the API token (else the DS_API_TOKEN environment variable).
    #[arg(long)]
    pub(super) token_file: Option<PathBuf>,
    /// Archive into an --out folder that already holds another démarche's
    /// archive (refused otherwise: one folder, one démarche, is what the run
    /// manifest, the inventory and `seda` expect).
    #[arg(long)]
    allow_other_demarche: bool,
    #[command(flatten)]
    pub(super) common: CommonArgs,
    #[command(flatten)]
    pub(super) tsa: TsaArgs,
    #[command(flatten)]
    pub(super) storage: super::storage_args::StorageArgs,
}

/// Options shared by `archive` and `demo`.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Only dossiers in this state (repeatable): en_construction, en_instruction,
    /// accepte, refuse, sans_suite.
    #[arg(long = "state", value_parser = parse_state)]
    pub(super) states: Vec<DossierState>,
    /// Only dossiers modified at DS since this date: 2024-01-31 (midnight,
    /// Paris time, as DS shows dates) or RFC 3339 (2024-01-31T08:00:00+01:00).
    /// Default on a rerun: the previous run's start, minus 10 minutes.
    #[arg(long, value_parser = crate::option_values::parse_since)]
    pub(super) since: Option<String>,
    /// Parallel downloads (dossiers built at once: twice as many).
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub(super) concurrency: u16,
    /// Manifest digest (repeatable): sha256, sha512. Default: both.
    #[arg(long = "digest", value_parser = parse_digest)]
    pub(super) digests: Vec<DigestAlg>,
    /// What the output folder keeps of each dossier's bag: both (the bag
    /// folder and its zip), zips (the folder is removed once its zip is
    /// checked: half the bytes), or folders (no zip). Every command reads
    /// either form.
    #[arg(long, value_enum, default_value_t = Keep::Both)]
    pub(super) keep: Keep,
    /// The same as --keep folders.
    #[arg(long, conflicts_with = "keep")]
    pub(super) no_zip: bool,
    /// Dossiers per API page (DS caps it at 100; smaller pages time out less).
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub(super) page_size: u32,
    /// GraphQL requests per --rate-window (DS allows 400 per token and minute).
    #[arg(long, default_value_t = 360, value_parser = clap::value_parser!(u32).range(1..=400))]
    pub(super) rate_limit: u32,
    /// Seconds the server counts --rate-limit requests in (DS: 60; shorter for
    /// a server that counts otherwise, such as a test server).
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub(super) rate_window: u64,
    /// Tries per request or download before giving up.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=50))]
    pub(super) retries: u32,
    /// Milliseconds before the first retry (doubled at each next one, capped
    /// at 120 times this and at one minute). Tests set a few ms.
    #[arg(long, env = "DS_ARCHIVE_RETRY_DELAY_MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub(super) retry_delay_ms: u64,
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

/// The token, or the message and hint that say what to fix. Only a missing
/// token gets the "create a token" hint: a bad --token-file is a path to fix.
fn read_token(args: &ArchiveArgs) -> Result<String, (String, Option<&'static str>)> {
    let token = match &args.token_file {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                let hint = (e.kind() == std::io::ErrorKind::NotFound)
                    .then_some("check the --token-file path");
                (
                    format!("cannot read the token file `{}`: {e}", path.display()),
                    hint,
                )
            })?;
            let token = text.trim().to_owned();
            if token.is_empty() {
                return Err((
                    format!("token file `{}` is empty", path.display()),
                    Some("write the token from your DS administrator profile into it"),
                ));
            }
            token
        }
        None => std::env::var("DS_API_TOKEN")
            .unwrap_or_default()
            .trim()
            .to_owned(),
    };
    if token.is_empty() {
        return Err((
            "no API token: set DS_API_TOKEN or pass --token-file".into(),
            Some("create a token in your DS administrator profile"),
        ));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err((
            "the API token contains spaces or control characters".into(),
            None,
        ));
    }
    Ok(token)
}

pub(super) fn options(
    common: &CommonArgs,
    storage: &super::storage_args::StorageArgs,
    out: PathBuf,
    demarche: u64,
) -> Result<Options, String> {
    if out.exists() && !out.is_dir() {
        return Err(format!(
            "--out `{}` is a file: it must name a folder (created if needed)",
            out.display()
        ));
    }
    let mut digests = common.digests.clone();
    if digests.is_empty() {
        digests = vec![DigestAlg::Sha256, DigestAlg::Sha512];
    }
    digests.sort();
    digests.dedup();
    let (out, target) = super::storage_args::target(
        &out,
        storage,
        usize::from(common.concurrency),
        !common.no_zip,
    )?;
    Ok(Options {
        out,
        target,
        demarche,
        states: common.states.clone(),
        since: common.since.clone(),
        concurrency: usize::from(common.concurrency),
        digests,
        keep: if common.no_zip {
            Keep::Folders
        } else {
            common.keep
        },
        page_size: common.page_size,
        allow_other_demarche: false,
        groupe: None,
        tsa: None,
    })
}

pub(super) fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// The runtime of one `archive` run, its blocking pool sized to the run.
///
/// Tokio's pool of blocking threads grows to 512 by default, and each thread
/// that allocates gets an arena of glibc's allocator whose pages stay
/// resident (docs/benchmarks.md, "Memory"). What runs there at once is known:
/// a download writer per download slot, a zip per dossier being built (two
/// per slot), and a few commits and removals; more threads than that only
/// wait.
fn runtime_for(concurrency: usize) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(blocking_threads(concurrency))
        .build()
}

/// Blocking threads for a run of `concurrency` parallel downloads.
fn blocking_threads(concurrency: usize) -> usize {
    concurrency.max(1) * 3 + 4
}

/// `archive`.
pub fn run_archive(args: &ArchiveArgs, progress: Progress) -> u8 {
    let (Some(out), [demarche]) = (&args.out, &args.demarche[..]) else {
        return super::batch::run(args, progress);
    };
    let token = match read_token(args) {
        Ok(t) => t,
        Err((e, hint)) => return fatal(&e, hint),
    };
    let opts = match options(&args.common, &args.storage, out.clone(), *demarche) {
        Ok(o) => Options {
            allow_other_demarche: args.allow_other_demarche,
            groupe: args.groupe,
            ..o
        },
        Err(e) => return fatal(&e, None),
    };
    let Ok(rt) = runtime_for(opts.concurrency) else {
        return fatal("cannot start the async runtime", None);
    };
    rt.block_on(async {
        let client = match client(&args.api_url, &token, &args.common) {
            Ok(c) => c,
            Err(e) => return fatal(&e, None),
        };
        let tsa = match args.tsa.client(client.retry_policy().clone()) {
            Ok(t) => t,
            Err(e) => return fatal(&e, None),
        };
        run_pipeline(client, Options { tsa, ..opts }, progress, &args.api_url).await
    })
}

pub(super) fn client(url: &str, token: &str, common: &CommonArgs) -> Result<ApiClient, String> {
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

pub(super) async fn run_pipeline(
    client: ApiClient,
    opts: Options,
    progress: Progress,
    url: &str,
) -> u8 {
    let cancel = CancellationToken::new();
    let watcher = match Watcher::start(cancel.clone()) {
        Ok(w) => w,
        Err(e) => return fatal(&format!("cannot watch for stop signals: {e}"), None),
    };
    let out = opts.out.clone();
    let result = pipeline::archive(client, opts, progress.clone(), cancel).await;
    let stopped_by = watcher.stopped_by();
    drop(watcher);
    progress.finish();
    match result {
        Ok(summary) => {
            // The summary is also in report.json: a stderr that is gone (after
            // SIGHUP, a closed terminal) is not fatal.
            console::summary(&summary.render(&out), &summary_fields(&summary, &out));
            if summary.interrupted {
                return stopped_by.map_or(exit::INTERRUPTED, StopSignal::exit_code);
            }
            if summary.complete() && summary.stamped != Some(false) {
                exit::OK
            } else {
                exit::FAILURES
            }
        }
        Err(e) => {
            let hint = hint(&e, url);
            console::fatal(&e.to_string(), hint.as_deref())
        }
    }
}

/// What to do about a run-level error.
pub(super) fn hint(e: &Error, url: &str) -> Option<String> {
    let text = match e {
        Error::Auth { .. } => "check the token, its expiry and its allowed networks (tokens made since July 2026 are bound to IP ranges)",
        Error::UnknownDemarche { .. } => "check the démarche number and that the token's administrator can see it",
        Error::UnknownGroupe { .. } => "--groupe takes the number of one of the groupes listed",
        Error::Locked { .. } => "wait for the other run to finish, or point --out at another folder",
        Error::OtherDemarche { .. } => "point --out at another folder, or pass --allow-other-demarche to keep both démarches in this one",
        Error::Io { source, .. }
            if matches!(
                source.kind(),
                std::io::ErrorKind::NotADirectory | std::io::ErrorKind::AlreadyExists
            ) =>
        {
            "a part of the path is a file: --out must name a folder"
        }
        Error::Io { .. } => "free some space or fix permissions, then run the same command again: it resumes",
        Error::Api { message, .. } if message.starts_with("HTTP 404") => {
            return Some(format!(
                "`{url}` answered 404: is it the GraphQL endpoint, ending in /api/v2/graphql (e.g. {DEFAULT_ENDPOINT})?"
            ))
        }
        Error::Api { .. } => "check --api-url and the network, then run the same command again: it resumes",
        Error::Malformed { .. } => "check that --api-url is DS's GraphQL endpoint and not a proxy that rewrites answers, then run the same command again: it resumes",
        Error::Storage(_) => "check the endpoint, the bucket and the credentials, then run the same command again: it resumes",
        // Their messages say what to do already.
        Error::Journal { .. } | Error::Unrecorded { .. } | Error::Conflict(_) => return None,
        Error::Internal(_) => return None,
    };
    Some(text.to_owned())
}

/// The counts of the summary, for `--log-format json`.
pub(super) fn summary_fields(s: &pipeline::Summary, out: &std::path::Path) -> serde_json::Value {
    serde_json::json!({
        "new": s.new.len(),
        "updated": s.updated.len(),
        "unchanged": s.unchanged.len(),
        "failed": s.failed.len(),
        "deleted": s.deleted.len(),
        "warnings": s.warnings.len(),
        "bytes": s.bytes,
        "requests": s.requests,
        "rate_limited": s.rate_limited,
        "api_retries": s.api_retries,
        "duration_secs": s.duration.as_secs_f64(),
        "archive_dossiers": s.archive_dossiers,
        "updated_since": s.updated_since,
        "interrupted": s.interrupted,
        "complete": s.complete(),
        "listing_error": s.listing_error,
        "deletions_error": s.deletions_error,
        "out": out.display().to_string(),
    })
}
