//! The `archive` run: list the démarche, archive every dossier that is new or
//! changed, record deletions, write the run-level files.
//!
//! This module owns the order of things and the rules that make a run safe to
//! kill and rerun: the lock and journal are taken first; leftovers of a crashed
//! run are removed before anything is built; a dossier counts as archived only
//! once its `dossier_done` line is durable; the listing cursor is saved only
//! after every dossier of its page is settled. The per-dossier work is in
//! `dossier`, the run-level files in `report`, what a listing of changes
//! misses (earlier failures, deletions) in `catch_up`.

mod attachments;
mod bucket_inventory;
mod catch_up;
mod census;
mod commit;
pub mod demarche_docs;
mod dossier;
mod keep;
mod listing;
mod report;
mod runs;
mod summary;
mod whole_run;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{Mutex, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::api::{ApiClient, ApiError};
use crate::digest::DigestAlg;
use crate::ds_list::{self, Listing};
use crate::error::{Error, Result};
use crate::inventory::known::KnownRows;
use crate::journal::{Event, Journal, STATE_DIR};
use crate::model::DossierState;
use crate::progress::Progress;

pub use keep::Keep;
pub use report::now_rfc3339;
pub use summary::Summary;

/// What `archive` was asked to do (validated by the CLI).
#[derive(Debug, Clone)]
pub struct Options {
    /// Output folder.
    pub out: PathBuf,
    /// Démarche number.
    pub demarche: u64,
    /// Only these states (empty: all).
    pub states: Vec<DossierState>,
    /// Only dossiers modified since (RFC 3339); default on a rerun: the
    /// previous run's start, minus an overlap.
    pub since: Option<String>,
    /// Parallel downloads (dossiers built at once: twice as many).
    pub concurrency: usize,
    /// Manifest algorithms.
    pub digests: Vec<DigestAlg>,
    /// Bag folders, zips, or both.
    pub keep: Keep,
    /// Dossiers per page (≤ 100).
    pub page_size: u32,
    /// Accept an output folder whose journal records another démarche.
    pub allow_other_demarche: bool,
    /// Only this groupe instructeur's dossiers (none: the whole démarche).
    pub groupe: Option<u64>,
    /// Where finished bundles are published: `out` itself, or a bucket
    /// (then `out` is the local work dir: journal, staging, run files).
    pub target: Arc<dyn crate::store::Target>,
    /// The TSAs that timestamp the run manifest before the run files are
    /// published (none: no timestamp).
    pub tsa: Option<crate::timestamp::TsaClient>,
}

/// Overlap subtracted from the previous run's start when a rerun picks up
/// changes: DS orders by nanosecond timestamps but prints seconds, and our
/// clock is not DS's.
const OVERLAP_SECS: i64 = 600;

/// Shared by the dossier tasks of a run.
pub(crate) struct Ctx {
    pub client: ApiClient,
    pub opts: Options,
    pub demarche: Value,
    pub run_id: String,
    pub started_at: String,
    pub staging: PathBuf,
    pub downloads: Semaphore,
    pub journal: Mutex<Journal>,
    pub commits: commit::Committer,
    pub progress: Progress,
    pub cancel: CancellationToken,
    /// Inventory rows of the bundles this run wrote.
    pub known_rows: std::sync::Mutex<KnownRows>,
}

/// Why building a dossier stopped. Here, beside [`Ctx`], because both the
/// dossier and its attachments stop with it and `dossier` calls `attachments`,
/// never the other way round.
enum Stop {
    /// The dossier fails; the run goes on.
    Failed(String),
    /// DS has a newer version of the dossier: start over with it.
    Changed(Value),
    /// The run must stop (disk full, unwritable output...).
    Fatal(Error),
}

impl From<Error> for Stop {
    fn from(e: Error) -> Self {
        Self::Fatal(e)
    }
}

impl Ctx {
    fn known_rows(&self) -> std::sync::MutexGuard<'_, KnownRows> {
        self.known_rows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Archive the démarche into `opts.out`.
///
/// # Errors
/// Run-level failures (exit code 2): bad token, unknown démarche, unwritable
/// output, another run holding the folder. Per-dossier failures are in the
/// returned [`Summary`].
pub async fn archive(
    client: ApiClient,
    opts: Options,
    progress: Progress,
    cancel: CancellationToken,
) -> Result<Summary> {
    let clock = Instant::now();
    fs_err::create_dir_all(&opts.out)
        .map_err(|e| Error::io("create output folder", &opts.out, e))?;
    let mut journal = Journal::open(&opts.out)?;
    if !opts.allow_other_demarche {
        if let Some(found) = runs::other_demarche(journal.state(), opts.demarche) {
            return Err(Error::OtherDemarche {
                path: opts.out.clone(),
                found,
                asked: opts.demarche,
            });
        }
    }

    // Check the token, the démarche and the storage before touching
    // anything else.
    let (demarche, descriptor) = ds_list::demarche(&client, opts.demarche)
        .await
        .map_err(|e| run_error(e, opts.demarche))?;
    if let Some(g) = opts.groupe {
        runs::check_groupe(&demarche, opts.demarche, g)?;
    }
    let target_warnings = opts.target.probe().await?;
    // What the target holds that this journal does not know (a run on
    // another machine, or killed between upload and journal line).
    let done = &journal.state().done;
    let found = opts
        .target
        .recorded(&|name| done.contains_name(name))
        .await?;
    if !found.is_empty() {
        tracing::info!(
            bundles = found.len(),
            "{} holds bundles this journal did not know: recorded",
            opts.target.describe()
        );
        journal.append_all(found)?;
    }

    let (run_id, started_at, updated_since, resumed) = runs::choose_run(&journal, &opts);
    if resumed {
        tracing::info!(run = %run_id, "resuming the unfinished run");
    }
    let part_started = report::now_rfc3339();
    journal.append(Event::RunStarted {
        run_id: run_id.clone(),
        started_at: started_at.clone(),
        demarche: opts.demarche,
        updated_since: updated_since.clone(),
        clock_at: Some(part_started.clone()),
        states: opts.states.clone(),
        groupe: opts.groupe,
    })?;
    let state_dir = opts.out.join(STATE_DIR);
    let staging = state_dir.join("staging");
    report::clean_leftovers(&opts.out, &staging, journal.state())?;
    let commits = commit::Committer::new(&staging, listing::builders(&opts))?;
    match demarche_docs::archive(client.http(), &opts.out, &demarche, &descriptor).await {
        Ok(written) => {
            for path in written {
                tracing::info!(path, "démarche document archived");
            }
        }
        // The dossiers matter more; the next run fetches the documents again.
        Err(e) => tracing::warn!("démarche documents not archived: {e}"),
    }

    // Signed URLs expire within the hour and change at every request: they
    // are kept out of every file we write.
    let mut demarche = demarche;
    dossier::strip_urls(&mut demarche);
    let known_rows = bucket_inventory::kept_rows(&state_dir, opts.target.bucket().is_some());
    let ctx = Arc::new(Ctx {
        downloads: Semaphore::new(opts.concurrency.max(1)),
        client,
        opts,
        demarche,
        run_id,
        started_at,
        staging,
        journal: Mutex::new(journal),
        commits,
        progress,
        cancel,
        known_rows: std::sync::Mutex::new(known_rows),
    });

    let mut summary = Summary {
        warnings: target_warnings,
        ..Summary::default()
    };
    let listings: Vec<Option<DossierState>> = if ctx.opts.states.is_empty() {
        vec![None]
    } else {
        ctx.opts.states.iter().copied().map(Some).collect()
    };
    let mut seen = crate::journal::CompactSet::default();
    for state in listings {
        let listing = Listing {
            demarche: ctx.opts.demarche,
            state,
            updated_since: updated_since.clone(),
            groupe: ctx.opts.groupe,
        };
        listing::list_and_archive(&ctx, listing, &mut seen, &mut summary).await?;
        if ctx.cancel.is_cancelled() {
            break;
        }
    }

    if !ctx.cancel.is_cancelled() {
        catch_up::retry_failed(&ctx, &seen, &mut summary).await?;
    }
    if !ctx.cancel.is_cancelled() {
        catch_up::record_deletions(&ctx, updated_since.as_deref(), &mut summary).await?;
    }
    summary.interrupted = ctx.cancel.is_cancelled();
    summary.duration = clock.elapsed();
    let stats = ctx.client.stats();
    summary.requests = stats.requests.load(Ordering::Relaxed);
    summary.rate_limited = stats.rate_limited.load(Ordering::Relaxed);
    summary.api_retries = stats.retries.load(Ordering::Relaxed);
    summary.bytes = ctx.progress.counters().bytes.load(Ordering::Relaxed);
    summary.updated_since = updated_since;
    let mut journal = ctx.journal.lock().await;
    whole_run::extend_to_whole_run(&mut summary, journal.state(), &part_started);
    summary.archive_dossiers = journal.state().done.counts()?.dossiers;
    // A run that could not list every dossier or the deletions stays
    // unfinished: the next run resumes it from its last saved cursor and with
    // the same `deletedSince`, instead of starting after it and never hearing
    // of what changed or was deleted in between.
    if !summary.interrupted && summary.deletions_error.is_none() && summary.listing_error.is_none()
    {
        journal.append(Event::RunFinished {
            run_id: ctx.run_id.clone(),
            finished_at: report::now_rfc3339(),
        })?;
    }
    report::write_run_files(&ctx.opts.out, &ctx, journal.state(), &summary)?;
    // What was archived gets its token even when some dossiers failed, and
    // before the run files are published: the token travels with the
    // manifest it covers (into the bucket too), and report.json says how
    // the timestamp went.
    if let (Some(tsa), false) = (&ctx.opts.tsa, summary.interrupted) {
        let code = crate::timestamp::after_run(&ctx.opts.out, tsa).await;
        summary.stamped = Some(code == crate::error::exit::OK);
    }
    // A bucket's inventory, from what the bucket holds (a folder's was
    // written with the run files).
    let inventory = match ctx.opts.target.bucket() {
        Some(client) => {
            let mut known = std::mem::take(&mut *ctx.known_rows());
            let state = journal.state();
            bucket_inventory::make(
                &ctx.opts.out,
                client,
                &mut known,
                state,
                &summary,
                ctx.opts.concurrency,
            )
            .await
        }
        None => Vec::new(),
    };
    ctx.opts
        .target
        .publish_run_files(&ctx.opts.out, &ctx.run_id, &inventory)
        .await?;
    Ok(summary)
}

/// Count a handled dossier in the summary; a fatal error stops the run.
fn tally(handled: dossier::Handled, summary: &mut Summary) -> Result<()> {
    match handled {
        dossier::Handled::Archived { number, version } => {
            if version > 1 {
                summary.updated.push(number);
            } else {
                summary.new.push(number);
            }
        }
        dossier::Handled::Unchanged(number) => {
            summary.unchanged.push(number);
        }
        dossier::Handled::Failed { number, reason } => {
            tracing::error!(dossier = number, "dossier failed: {reason}");
            summary.failed.push((number, reason));
        }
        dossier::Handled::Abandoned => {}
        dossier::Handled::Fatal(e) => return Err(e),
    }
    Ok(())
}

/// A listing failure ends the run: say what it means for the user.
fn run_error(e: ApiError, demarche: u64) -> Error {
    match e {
        ApiError::Auth { status, message } => Error::Auth { status, message },
        ApiError::NotFound { message } => Error::UnknownDemarche {
            number: demarche,
            message,
        },
        ApiError::Exhausted {
            operation,
            attempts,
            message,
        } => Error::Api {
            operation: operation.into(),
            message: format!("still failing after {attempts} attempts: {message}"),
        },
        ApiError::Timeout {
            operation,
            attempts,
        } => Error::Api {
            operation: operation.into(),
            message: format!(
                "DS timed out {attempts} times in a row (retried with backoff, and smaller pages where there are pages)"
            ),
        },
        ApiError::Fatal { operation, message } => Error::Api {
            operation: operation.into(),
            message,
        },
        ApiError::Malformed { operation, message } => Error::Malformed {
            operation: operation.into(),
            message,
        },
    }
}
