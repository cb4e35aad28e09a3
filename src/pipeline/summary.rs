//! The outcome of an `archive` run, as counted while it runs, and the
//! summary printed on stderr. Whether the run is complete is decided here,
//! once, for the exit code and for `report.json` alike.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::ds_list::DeletedDossier;

/// The outcome of an `archive` run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Dossiers archived for the first time.
    pub new: Vec<u64>,
    /// Dossiers that got a new version.
    pub updated: Vec<u64>,
    /// Dossiers unchanged since their last bundle.
    pub unchanged: Vec<u64>,
    /// Dossiers that failed, with the reason.
    pub failed: Vec<(u64, String)>,
    /// Deletions newly seen at DS.
    pub deleted: Vec<DeletedDossier>,
    /// Why DS's lists of deleted dossiers could not be read (the run is then
    /// not complete: its deletions are listed again by the next run).
    pub deletions_error: Option<String>,
    /// Why a listing stopped on a page DS answered with data that cannot be
    /// archived (the run is then not complete: the next run resumes after the
    /// last page whose dossiers were all archived).
    pub listing_error: Option<String>,
    /// Things worth telling that did not fail a dossier.
    pub warnings: Vec<String>,
    /// Attachment bytes downloaded.
    pub bytes: u64,
    /// GraphQL requests.
    pub requests: u64,
    /// 429 answers.
    pub rate_limited: u64,
    /// GraphQL retries.
    pub api_retries: u64,
    /// Wall time, from the run's first start when it was resumed.
    pub duration: Duration,
    /// When each later part of a resumed run started (empty: one part).
    pub resumed_at: Vec<String>,
    /// Stopped by Ctrl-C.
    pub interrupted: bool,
    /// The run manifest's timestamp: asked for and got (`Some(true)`), asked
    /// for and failed (`Some(false)`), not asked for.
    pub stamped: Option<bool>,
    /// Dossiers the archive folder holds after the run.
    pub archive_dossiers: usize,
    /// Incremental run: only dossiers modified at DS since this date were listed.
    pub updated_since: Option<String>,
}

impl Summary {
    /// Whether the run changed the archive (or has a failure to report).
    #[must_use]
    pub fn changed_anything(&self) -> bool {
        !(self.new.is_empty()
            && self.updated.is_empty()
            && self.failed.is_empty()
            && self.deleted.is_empty()
            && self.deletions_error.is_none()
            && self.listing_error.is_none())
    }

    /// Whether the run did all it had to: every dossier listed and archived
    /// and the deletions at DS listed, without being interrupted.
    #[must_use]
    pub fn complete(&self) -> bool {
        !self.interrupted
            && self.failed.is_empty()
            && self.deletions_error.is_none()
            && self.listing_error.is_none()
    }

    /// The readable summary printed on stderr.
    #[must_use]
    pub fn render(&self, out: &Path) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} new, {} updated, {} unchanged, {} failed, {} deleted at DS; {:.1} MB downloaded, {} API requests in {:.1} s",
            self.new.len(),
            self.updated.len(),
            self.unchanged.len(),
            self.failed.len(),
            self.deleted.len(),
            self.bytes as f64 / 1e6,
            self.requests,
            self.duration.as_secs_f64()
        );
        if !self.resumed_at.is_empty() {
            let _ = writeln!(
                s,
                "one run in {} parts (resumed at {}), counted as a whole",
                self.resumed_at.len() + 1,
                self.resumed_at.join(", ")
            );
        }
        if let Some(since) = &self.updated_since {
            let _ = writeln!(s, "listed only dossiers modified at DS since {since}");
        }
        let _ = writeln!(s, "the archive holds {} dossiers", self.archive_dossiers);
        for (n, reason) in &self.failed {
            let _ = writeln!(s, "failed: dossier {n}: {reason}");
        }
        if let Some(e) = &self.listing_error {
            let _ = writeln!(
                s,
                "failed: the listing of dossiers stopped ({e}): the run is not complete, run the same command again once DS answers in full"
            );
        }
        if let Some(e) = &self.deletions_error {
            let _ = writeln!(
                s,
                "failed: the dossiers deleted at DS could not be listed ({e}): the run is not complete, run the same command again to list them"
            );
        }
        for w in &self.warnings {
            let _ = writeln!(s, "warning: {w}");
        }
        if self.interrupted {
            let _ = writeln!(s, "interrupted: run the same command again to resume");
        }
        let _ = write!(s, "bundles in `{}`", out.display());
        s
    }
}
