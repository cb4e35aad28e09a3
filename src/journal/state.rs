//! What the journal holds: its lines ([`Event`]) and the [`State`] they
//! replay into: which versions of which dossiers are done, which failed,
//! which were deleted at DS, and the runs with their cursors. Pure: reading
//! and appending lines is the journal's, deciding what to archive the
//! pipeline's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::done::{DoneSet, DoneVersion};
use super::tally::RunTally;
use crate::model::DossierState;

/// One line of the journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// A run began (or resumed an unfinished one: same `run_id`).
    RunStarted {
        /// Identifies the run across resumes.
        run_id: String,
        /// When the run first started (RFC 3339, UTC).
        started_at: String,
        /// The démarche.
        demarche: u64,
        /// The `updatedSince` the listing uses, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        updated_since: Option<String>,
        /// The real clock at the start (`started_at` may be pinned by
        /// `SOURCE_DATE_EPOCH`); the next run's high-water mark.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        clock_at: Option<String>,
        /// The states listed (empty: all of them).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        states: Vec<DossierState>,
        /// The groupe instructeur listed (none: the whole démarche).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        groupe: Option<u64>,
    },
    /// Every dossier of the listing up to this cursor was handled.
    Cursor {
        /// The run.
        run_id: String,
        /// Which listing (the state filter, or `all`).
        listing: String,
        /// DS's `endCursor`.
        cursor: String,
        /// Dossiers found unchanged on the pages this cursor settles (their
        /// bundles are not written again, so no other line names them).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        unchanged: Vec<u64>,
    },
    /// A dossier's bag and zip are about to be moved into the output folder.
    /// If no `dossier_done` follows (crash), the next run removes what was
    /// moved: only names announced here are ever removed.
    Publishing {
        /// Dossier number.
        number: u64,
        /// The bag folder's name.
        name: String,
    },
    /// A dossier version is complete: bag, zip and checks.
    DossierDone {
        /// Dossier number.
        number: u64,
        /// 1 for the first bundle of this dossier, then 2, 3...
        version: u32,
        /// DS's `dateDerniereModification` of the archived data.
        updated_at: String,
        /// The bag folder's name (`dossier-N` or `dossier-N.vK`).
        name: String,
        /// SHA-256 of the zip.
        zip_sha256: String,
        /// Payload files in the bag.
        files: u64,
        /// Payload bytes in the bag.
        bytes: u64,
        /// The run that made it.
        run_id: String,
    },
    /// A dossier could not be archived in this run.
    DossierFailed {
        /// Dossier number.
        number: u64,
        /// Why.
        reason: String,
        /// The run.
        run_id: String,
    },
    /// DS lists the dossier as deleted (or in its trash).
    Deleted {
        /// Dossier number.
        number: u64,
        /// DS's reason.
        reason: String,
        /// DS's `dateSupression`.
        date: String,
        /// Still restorable in DS's trash.
        pending: bool,
        /// The run that saw it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        run_id: Option<String>,
    },
    /// A run reached its end (not interrupted).
    RunFinished {
        /// The run.
        run_id: String,
        /// When it finished.
        finished_at: String,
    },
}

/// What the journal says, replayed.
#[derive(Debug, Default)]
pub struct State {
    /// Every complete version of each dossier (on disk, see `DoneSet`).
    pub done: DoneSet,
    /// The latest failure of dossiers not done since.
    pub failed: BTreeMap<u64, String>,
    /// Deleted dossiers.
    pub deleted: BTreeMap<u64, (String, String, bool)>,
    /// Bundle names announced for publishing and not (yet) done.
    pub publishing: BTreeMap<String, u64>,
    /// The last run started, and whether it finished.
    pub last_run: Option<RunInfo>,
    /// Runs that finished, with their start times (oldest first).
    pub finished_runs: Vec<RunInfo>,
}

/// A run as the journal knows it.
#[derive(Debug, Clone, Default)]
pub struct RunInfo {
    /// Run id.
    pub run_id: String,
    /// Start time.
    pub started_at: String,
    /// Démarche.
    pub demarche: u64,
    /// Listing filter.
    pub updated_since: Option<String>,
    /// When the run started by the real clock: dossiers modified at DS
    /// after this (minus an overlap) are what the next run must list.
    pub high_water: String,
    /// The states the run listed (empty: all).
    pub states: Vec<DossierState>,
    /// The groupe instructeur the run listed (none: the whole démarche).
    pub groupe: Option<u64>,
    /// Last cursor per listing.
    pub cursors: BTreeMap<String, String>,
    /// Finished?
    pub finished_at: Option<String>,
    /// What the run did so far, over all its parts (kept for the last run
    /// only).
    pub tally: RunTally,
}

impl State {
    /// An empty state whose done versions are written aside in `dir`.
    #[must_use]
    pub fn in_dir(dir: &std::path::Path) -> Self {
        Self {
            done: DoneSet::in_dir(dir),
            ..Self::default()
        }
    }

    /// Apply one event.
    pub fn apply(&mut self, event: &Event) {
        match event {
            Event::RunStarted {
                run_id,
                started_at,
                demarche,
                updated_since,
                clock_at,
                states,
                groupe,
            } => {
                if let Some(run) = self.last_run.as_mut().filter(|r| r.run_id == *run_id) {
                    // The same run resumed: one more part.
                    run.tally.resumed_at.extend(clock_at.clone());
                } else {
                    self.last_run = Some(RunInfo {
                        run_id: run_id.clone(),
                        started_at: started_at.clone(),
                        demarche: *demarche,
                        updated_since: updated_since.clone(),
                        high_water: clock_at.clone().unwrap_or_else(|| started_at.clone()),
                        states: states.clone(),
                        groupe: *groupe,
                        ..RunInfo::default()
                    });
                }
            }
            Event::Cursor {
                run_id,
                listing,
                cursor,
                unchanged,
            } => {
                if let Some(run) = self.last_run.as_mut().filter(|r| r.run_id == *run_id) {
                    run.cursors.insert(listing.clone(), cursor.clone());
                    run.tally.unchanged.extend(unchanged.iter().copied());
                }
            }
            Event::Publishing { number, name } => {
                self.publishing.insert(name.clone(), *number);
            }
            Event::DossierDone {
                number,
                version,
                updated_at,
                name,
                zip_sha256,
                files,
                bytes,
                run_id,
            } => {
                if let Some(run) = self.this_run(run_id) {
                    run.tally.archived(*number, *version);
                }
                if !self.publishing.is_empty() {
                    self.publishing.remove(name);
                }
                if !self.failed.is_empty() {
                    self.failed.remove(number);
                }
                self.done.insert(DoneVersion::new(
                    *number, *version, updated_at, name, zip_sha256, *files, *bytes,
                ));
            }
            Event::DossierFailed {
                number,
                reason,
                run_id,
            } => {
                if let Some(run) = self.this_run(run_id) {
                    run.tally.failed(*number, reason);
                }
                self.failed.insert(*number, reason.clone());
            }
            Event::Deleted {
                number,
                reason,
                date,
                pending,
                run_id,
            } => {
                if let Some(run) = run_id.as_deref().and_then(|id| self.this_run(id)) {
                    run.tally.deleted.add(*number);
                }
                self.deleted
                    .insert(*number, (reason.clone(), date.clone(), *pending));
            }
            Event::RunFinished {
                run_id,
                finished_at,
            } => {
                if let Some(run) = self.last_run.as_mut().filter(|r| r.run_id == *run_id) {
                    run.finished_at = Some(finished_at.clone());
                    self.finished_runs.push(RunInfo {
                        tally: RunTally::default(),
                        ..run.clone()
                    });
                }
            }
        }
    }

    /// The last run, if `run_id` is it.
    fn this_run(&mut self, run_id: &str) -> Option<&mut RunInfo> {
        self.last_run.as_mut().filter(|r| r.run_id == run_id)
    }

    /// The latest complete version of a dossier.
    ///
    /// # Errors
    /// When the versions written aside cannot be read back.
    pub fn latest(&self, number: u64) -> crate::error::Result<Option<DoneVersion>> {
        self.done.latest(number)
    }

    /// The run to resume: the last one, if it did not finish.
    #[must_use]
    pub fn unfinished_run(&self) -> Option<&RunInfo> {
        self.last_run.as_ref().filter(|r| r.finished_at.is_none())
    }
}
