//! Many démarches in one command: `archive --config FILE` and a repeated
//! `--demarche`.
//!
//! Each démarche (or groupe instructeur) is a unit of work with its own
//! output folder and its own run of the pipeline; a unit that cannot run (bad
//! number, bad token, locked folder) is recorded and the others go on. Units
//! run one after another, or `parallel` at once. DS limits requests per
//! token, so every unit on one token (same endpoint, same token) shares one
//! pacer: two démarches on a token never send more than the one limit
//! between them. No coordinator beyond that: fanning out to other machines
//! is the scheduler's job (docs/deploy.md).

pub mod config;
pub mod report;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

use crate::api::{ApiClient, Pacer, RetryPolicy};
use crate::error::Error;
use crate::pipeline::{self, Options, Summary};
use crate::progress::{Mode, Progress};
pub use config::{SedaStep, TokenSource};
pub use report::{exit_code, write_report, UnitReport};

/// One démarche (or one groupe of it) to archive.
#[derive(Debug, Clone)]
pub struct Unit {
    /// The config line of its `[[demarche]]` table (None: command line).
    pub line: Option<usize>,
    /// The output as the user wrote it (a folder, or a URL).
    pub out: String,
    /// What to archive; `opts.out` is the folder.
    pub opts: Options,
    /// Where its token comes from.
    pub token: TokenSource,
    /// Its GraphQL endpoint (None: the batch's).
    pub api_url: Option<String>,
    /// SEDA packages to build once archived.
    pub seda: Option<SedaStep>,
    /// How to reach the bucket of an `s3://` output (SEDA packages are
    /// built from it: the work dir keeps no bundle).
    pub s3: crate::cli::storage_args::S3Args,
}

impl Unit {
    /// "démarche 12" or "démarche 12, groupe 71".
    #[must_use]
    pub fn label(&self) -> String {
        match self.opts.groupe {
            Some(g) => format!("démarche {}, groupe {g}", self.opts.demarche),
            None => format!("démarche {}", self.opts.demarche),
        }
    }
}

/// How the units talk to DS: the default endpoint, and per-token pacing.
#[derive(Debug, Clone)]
pub struct Client {
    /// GraphQL endpoint of the units that name none.
    pub api_url: String,
    /// Requests per window and token.
    pub rate_limit: u32,
    /// Window length.
    pub rate_window: Duration,
    /// Tries per request.
    pub retries: u32,
    /// First retry delay.
    pub retry_delay: Duration,
}

/// What became of one unit: its archive run, then its SEDA packages.
#[derive(Debug)]
pub struct Done {
    /// The archive run.
    pub ran: Ran,
    /// SEDA packaging, when asked for and the run finished: SIPs written
    /// and dossiers skipped, or why it could not run.
    pub seda: Option<Result<(usize, usize), String>>,
    /// With `--tsa-url`: whether the run manifest got its RFC 3161 token.
    pub stamped: Option<bool>,
}

impl Done {
    /// Every dossier archived, and packaged when asked.
    #[must_use]
    pub fn complete(&self) -> bool {
        matches!(&self.ran, Ran::Archived(s) if s.complete())
            && self.seda.as_ref().is_none_or(|r| matches!(r, Ok((_, 0))))
            && self.stamped != Some(false)
    }
}

/// What became of one unit's archive run.
#[derive(Debug)]
pub enum Ran {
    /// The run finished (its summary says whether every dossier made it).
    Archived(Box<Summary>),
    /// The run could not start or stopped on a run-level error.
    Failed {
        /// What went wrong.
        error: String,
        /// What to do about it.
        hint: Option<String>,
    },
}

/// Run every unit, `parallel` at once, until done or `cancel`.
/// `hint` turns a run-level error into advice (the CLI's).
pub async fn run(
    units: &[Unit],
    client: &Client,
    parallel: usize,
    mode: Mode,
    cancel: &CancellationToken,
    hint: fn(&Error, &str) -> Option<String>,
    tsa: Option<&crate::timestamp::TsaClient>,
) -> Vec<Done> {
    let clients = clients(units, client);
    let permits = Arc::new(Semaphore::new(parallel.max(1)));
    // Bars of several runs would overwrite each other: log lines instead.
    let mode = if mode == Mode::Bars { Mode::Log } else { mode };
    let mut tasks = Vec::with_capacity(units.len());
    for (unit, api) in units.iter().zip(clients) {
        let mut unit = unit.clone();
        unit.opts.tsa = tsa.cloned();
        let permits = Arc::clone(&permits);
        let cancel = cancel.clone();
        let url = unit
            .api_url
            .clone()
            .unwrap_or_else(|| client.api_url.clone());
        tasks.push(tokio::spawn(async move {
            let ran = archive_unit(&unit, api, permits, cancel, &url, hint, mode).await;
            // The pipeline timestamps the run manifest before publishing it.
            let stamped = match &ran {
                Ran::Archived(s) => s.stamped,
                Ran::Failed { .. } => None,
            };
            let seda = match (&ran, &unit.seda) {
                (Ran::Archived(s), Some(step)) if !s.interrupted => {
                    Some(package(&unit, step.clone()).await)
                }
                _ => None,
            };
            Done { ran, seda, stamped }
        }));
    }
    let mut done = Vec::with_capacity(tasks.len());
    for task in tasks {
        done.push(task.await.unwrap_or_else(|e| Done {
            ran: failed(
                format!("internal error: the démarche's task failed: {e}"),
                None,
            ),
            seda: None,
            stamped: None,
        }));
    }
    done
}

/// Archive one unit once a permit is free.
async fn archive_unit(
    unit: &Unit,
    api: Result<ApiClient, String>,
    permits: Arc<Semaphore>,
    cancel: CancellationToken,
    url: &str,
    hint: fn(&Error, &str) -> Option<String>,
    mode: Mode,
) -> Ran {
    let Ok(_permit) = permits.acquire_owned().await else {
        return failed("the batch stopped before this démarche".into(), None);
    };
    if cancel.is_cancelled() {
        return failed("stopped before it started".into(), None);
    }
    let api = match api {
        Ok(api) => api,
        Err(e) => return failed(e, None),
    };
    tracing::info!("{}: archiving into {}", unit.label(), unit.out);
    let progress = Progress::new(mode);
    let result = pipeline::archive(api, unit.opts.clone(), progress.clone(), cancel).await;
    progress.finish();
    match result {
        Ok(summary) => {
            tracing::info!(
                "{}: {}",
                unit.label(),
                summary.render(&unit.opts.out).trim_end()
            );
            Ran::Archived(Box::new(summary))
        }
        Err(e) => {
            tracing::error!("{}: {e}", unit.label());
            failed(e.to_string(), hint(&e, url))
        }
    }
}

fn failed(error: String, hint: Option<String>) -> Ran {
    Ran::Failed { error, hint }
}

/// One client per unit; units on one token (and endpoint) share its pacer.
/// A unit whose token cannot be read, or whose output is not a folder, gets
/// the reason.
fn clients(units: &[Unit], client: &Client) -> Vec<Result<ApiClient, String>> {
    let mut by_token: HashMap<(String, String), ApiClient> = HashMap::new();
    units
        .iter()
        .map(|unit| {
            if config::is_url(&unit.out) && !unit.out.starts_with("s3://") {
                return Err(format!(
                    "out `{}`: only folders and s3:// URLs can be archived into",
                    unit.out
                ));
            }
            let url = unit.api_url.as_deref().unwrap_or(&client.api_url);
            let key = (url.to_owned(), read_token(&unit.token)?);
            if let Some(shared) = by_token.get(&key) {
                return Ok(shared.sharing_pacer());
            }
            let pacer = Pacer::per_window(client.rate_limit, client.rate_window);
            let retry = RetryPolicy::with_base_delay(client.retries, client.retry_delay);
            let api = ApiClient::new(url, &key.1, pacer, retry)
                .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
            by_token.insert(key, api.clone());
            Ok(api)
        })
        .collect()
}

/// Build the unit's SEDA packages from its archive folder, off the async
/// threads (packaging hashes and zips).
async fn package(unit: &Unit, step: SedaStep) -> Result<(usize, usize), String> {
    let from = if crate::cli::storage_args::is_s3(Path::new(&unit.out)) {
        PathBuf::from(&unit.out)
    } else {
        unit.opts.out.clone()
    };
    let args = crate::seda::SedaArgs {
        from,
        out: step.out,
        config: step.config,
        profile: step.profile,
        per_dossier: false,
        batch: false,
        max_objects: None,
        max_size: None,
        dossiers: Vec::new(),
        date: None,
        no_xsd: false,
        s3: unit.s3.clone(),
    };
    let label = unit.label();
    let packaged = tokio::task::spawn_blocking(move || {
        crate::seda::run_with(&args, &crate::progress::Task::hidden())
    })
    .await
    .map_err(|e| format!("internal error: SEDA packaging failed: {e}"))?;
    match packaged {
        Ok(outcome) => {
            for s in &outcome.skipped {
                tracing::warn!("{label}: SEDA: dossier {} skipped: {}", s.dossier, s.reason);
            }
            Ok((outcome.sip_count, outcome.skipped.len()))
        }
        Err(e) => {
            tracing::error!("{label}: SEDA packages: {e}");
            Err(e.to_string())
        }
    }
}

/// The token from its source; errors name the file or variable, never the
/// token.
///
/// # Errors
/// Unreadable file, unset variable, empty or malformed token.
pub fn read_token(source: &TokenSource) -> Result<String, String> {
    let (token, from) = match source {
        TokenSource::File(path) => (
            std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read the token file `{}`: {e}", path.display()))?,
            format!("token file `{}`", path.display()),
        ),
        TokenSource::Env(var) => (
            std::env::var(var).unwrap_or_default(),
            format!("environment variable {var}"),
        ),
    };
    let token = token.trim().to_owned();
    if token.is_empty() {
        return Err(format!("no API token: {from} is empty or unset"));
    }
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(format!(
            "the API token in {from} contains spaces or control characters"
        ));
    }
    Ok(token)
}

/// The folder of each démarche when `--demarche` is repeated:
/// `OUT/demarche-N` (the object-storage key layout's prefix too), so two
/// démarches never share an archive folder.
#[must_use]
pub fn subfolder(out: &std::path::Path, demarche: u64) -> PathBuf {
    out.join(format!("demarche-{demarche}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_errors_name_the_source_never_the_token() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t");
        std::fs::write(&path, "secret value\n").unwrap();
        let e = read_token(&TokenSource::File(path.clone())).unwrap_err();
        assert!(e.contains("token file") && !e.contains("secret"), "{e}");
        std::fs::write(&path, "  s3cr3t\n").unwrap();
        assert_eq!(read_token(&TokenSource::File(path)).unwrap(), "s3cr3t");
        let e = read_token(&TokenSource::Env("DS_ARCHIVE_TEST_UNSET_VAR".into())).unwrap_err();
        assert!(e.contains("DS_ARCHIVE_TEST_UNSET_VAR"), "{e}");
    }
}
