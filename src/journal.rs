//! The run state under `<DIR>/.ds-archive/`: a lock, and an append-only
//! journal from which everything else is derived.
//!
//! Every finished step appends one JSON line and fsyncs it before the run goes
//! on, so after a crash (even `kill -9`) the journal says exactly which
//! dossiers are complete: a bundle counts only once its `dossier_done` line is
//! on disk. A last line torn by a crash is cut off when the journal is
//! reopened; any other line that cannot be read stops the run with its line
//! number, since skipping it could forget a dossier or a deletion.
//! The lock is an OS file lock: it disappears with the process holding it, so
//! a stale lock from a dead run never blocks the next one.

use std::collections::BTreeMap;
use std::io::{Seek as _, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::DossierState;

mod tally;
pub use tally::RunTally;

/// Name of the state folder inside the output folder.
pub const STATE_DIR: &str = ".ds-archive";

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
#[derive(Debug, Default, Clone)]
pub struct State {
    /// Every complete version of each dossier, oldest first.
    pub done: BTreeMap<u64, Vec<DoneVersion>>,
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

/// A complete dossier version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneVersion {
    /// Version number.
    pub version: u32,
    /// DS's last modification date of the archived data.
    pub updated_at: String,
    /// Bag folder name.
    pub name: String,
    /// SHA-256 of the zip.
    pub zip_sha256: String,
    /// Payload files.
    pub files: u64,
    /// Payload bytes.
    pub bytes: u64,
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
    /// Last cursor per listing.
    pub cursors: BTreeMap<String, String>,
    /// Finished?
    pub finished_at: Option<String>,
    /// What the run did so far, over all its parts (kept for the last run
    /// only).
    pub tally: RunTally,
}

impl State {
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
                    run.tally.unchanged.extend(unchanged);
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
                self.publishing.remove(name);
                self.failed.remove(number);
                self.done.entry(*number).or_default().push(DoneVersion {
                    version: *version,
                    updated_at: updated_at.clone(),
                    name: name.clone(),
                    zip_sha256: zip_sha256.clone(),
                    files: *files,
                    bytes: *bytes,
                });
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
                    run.tally.deleted.insert(*number);
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
    #[must_use]
    pub fn latest(&self, number: u64) -> Option<&DoneVersion> {
        self.done.get(&number).and_then(|v| v.last())
    }

    /// The run to resume: the last one, if it did not finish.
    #[must_use]
    pub fn unfinished_run(&self) -> Option<&RunInfo> {
        self.last_run.as_ref().filter(|r| r.finished_at.is_none())
    }
}

/// The open journal of an output folder, with its lock held.
#[derive(Debug)]
pub struct Journal {
    path: PathBuf,
    file: std::fs::File,
    // Held for the journal's lifetime; the OS drops the lock with the process.
    _lock: std::fs::File,
    state: State,
}

impl Journal {
    /// Lock `<out>/.ds-archive/` and replay its journal.
    ///
    /// # Errors
    /// [`Error::Locked`] when another live run holds the folder; I/O errors
    /// name the path.
    pub fn open(out: &Path) -> Result<Self> {
        let dir = out.join(STATE_DIR);
        fs_err::create_dir_all(&dir).map_err(|e| Error::io("create state folder", &dir, e))?;
        let lock_path = dir.join("lock");
        let mut lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&lock_path)
            .map_err(|e| Error::io("open lock", &lock_path, e))?;
        if let Err(e) = lock.try_lock() {
            let pid = fs_err::read_to_string(&lock_path)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            return match e {
                std::fs::TryLockError::WouldBlock => Err(Error::Locked {
                    path: lock_path,
                    pid,
                }),
                std::fs::TryLockError::Error(e) => Err(Error::io("lock", &lock_path, e)),
            };
        }
        // The lock is ours (a dead holder's lock vanished with it): record our pid.
        lock.set_len(0)
            .map_err(|e| Error::io("write lock", &lock_path, e))?;
        lock.rewind()
            .map_err(|e| Error::io("write lock", &lock_path, e))?;
        writeln!(lock, "{}", std::process::id())
            .map_err(|e| Error::io("write lock", &lock_path, e))?;

        let path = dir.join("journal.jsonl");
        let state = replay_and_repair(&path)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|e| Error::io("open journal", &path, e))?;
        Ok(Self {
            path,
            file,
            _lock: lock,
            state,
        })
    }

    /// The replayed state.
    #[must_use]
    pub fn state(&self) -> &State {
        &self.state
    }

    /// Append an event and make it durable before returning.
    ///
    /// # Errors
    /// When the journal cannot be written or synced (disk full...).
    pub fn append(&mut self, event: Event) -> Result<()> {
        self.append_all(vec![event])
    }

    /// Append several events with one write and one sync (a group commit):
    /// all are durable when this returns, and only then applied to the state.
    ///
    /// # Errors
    /// When the journal cannot be written or synced (disk full...).
    pub fn append_all(&mut self, events: Vec<Event>) -> Result<()> {
        self.write_all(&events)?;
        self.sync()?;
        for event in &events {
            self.state.apply(event);
        }
        Ok(())
    }

    /// Append events with one write and no sync: they become durable with
    /// the next [`Self::sync`], or with a flush of the whole filesystem the
    /// caller is about to make anyway (a group commit's `syncfs`). Only for
    /// events nothing else relies on until then (`publishing` lines).
    ///
    /// # Errors
    /// When the journal cannot be written (disk full...).
    pub fn append_unsynced(&mut self, events: Vec<Event>) -> Result<()> {
        self.write_all(&events)?;
        for event in &events {
            self.state.apply(event);
        }
        Ok(())
    }

    /// Make every line written so far durable.
    ///
    /// # Errors
    /// When the journal cannot be synced.
    pub fn sync(&mut self) -> Result<()> {
        self.file
            .sync_data()
            .map_err(|e| Error::io("append to journal", &self.path, e))
    }

    fn write_all(&mut self, events: &[Event]) -> Result<()> {
        let mut lines = Vec::new();
        for event in events {
            serde_json::to_writer(&mut lines, event).map_err(|e| {
                Error::io("encode journal event", &self.path, std::io::Error::other(e))
            })?;
            lines.push(b'\n');
        }
        self.file
            .write_all(&lines)
            .map_err(|e| Error::io("append to journal", &self.path, e))
    }
}

/// Read the state of an output folder without locking it (for `status`).
///
/// # Errors
/// When the journal exists but cannot be read, or a line before its last is
/// damaged.
pub fn read_state(out: &Path) -> Result<Option<State>> {
    let path = out.join(STATE_DIR).join("journal.jsonl");
    if !path.exists() {
        return Ok(None);
    }
    let bytes = fs_err::read(&path).map_err(|e| Error::io("read journal", &path, e))?;
    Ok(Some(replay(&bytes, &path)?.0))
}

/// Replay the journal's lines. Returns the state and the length of the part
/// that was read: all of it, or all but a torn last line.
///
/// A line we wrote is acknowledged only once it is whole and synced, so the
/// only line a crash can leave unreadable is the last one (cut short, or
/// blocks the filesystem had not written yet). Any other unreadable line is
/// damage, and an error: skipping it could forget a dossier or a deletion.
fn replay(bytes: &[u8], path: &Path) -> Result<(State, usize)> {
    let mut state = State::default();
    let mut good_len = 0;
    for (i, line) in bytes.split_inclusive(|b| *b == b'\n').enumerate() {
        let whole = line.ends_with(b"\n");
        let is_last = good_len + line.len() == bytes.len();
        match serde_json::from_slice::<Event>(line) {
            Ok(event) if whole => state.apply(&event),
            Err(e) if !is_last => {
                return Err(Error::Journal {
                    path: path.to_owned(),
                    line: i + 1,
                    message: e.to_string(),
                })
            }
            // The last line, cut short (never acknowledged) or unreadable.
            _ => break,
        }
        good_len += line.len();
    }
    Ok((state, good_len))
}

/// Replay the journal and cut a torn last line, so new lines start clean.
fn replay_and_repair(path: &Path) -> Result<State> {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::default()),
        Err(e) => return Err(Error::io("read journal", path, e)),
    };
    let (state, good_len) = replay(&bytes, path)?;
    if good_len != bytes.len() {
        tracing::warn!(journal = %path.display(), "cutting a journal line torn by a crash");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io("repair journal", path, e))?;
        f.set_len(good_len as u64)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("repair journal", path, e))?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests;
