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

use std::io::{BufRead, Seek as _, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

mod compact;
mod done;
mod state;
mod tally;
pub use compact::{CompactMap, CompactSet};
pub use done::{Counts, DoneSet, DoneVersion, Key};
pub use state::{Event, RunInfo, State};
pub use tally::RunTally;

/// Name of the state folder inside the output folder.
pub const STATE_DIR: &str = ".ds-archive";

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
        let state = replay_and_repair(&path, &dir)?;
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
    let dir = out.join(STATE_DIR);
    let path = dir.join("journal.jsonl");
    let file = match std::fs::File::open(&path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io("read journal", &path, e)),
    };
    Ok(Some(replay(std::io::BufReader::new(file), &path, &dir)?.0))
}

/// Replay the journal's lines as they are read (the journal itself is never
/// held in memory: it grows by a few lines a dossier). Returns the state and
/// the length of the part that was read: all of it, or all but a torn last
/// line.
///
/// A line we wrote is acknowledged only once it is whole and synced, so the
/// only line a crash can leave unreadable is the last one (cut short, or
/// blocks the filesystem had not written yet). Any other unreadable line is
/// damage, and an error: skipping it could forget a dossier or a deletion.
fn replay(mut reader: impl BufRead, path: &Path, dir: &Path) -> Result<(State, u64)> {
    let read_error = |e| Error::io("read journal", path, e);
    let mut state = State::in_dir(dir);
    let mut good_len = 0;
    let mut line = Vec::new();
    for number in 1.. {
        line.clear();
        let len = reader.read_until(b'\n', &mut line).map_err(read_error)?;
        if len == 0 {
            break;
        }
        let whole = line.ends_with(b"\n");
        let is_last = !whole || reader.fill_buf().map_err(read_error)?.is_empty();
        match serde_json::from_slice::<Event>(&line) {
            Ok(event) if whole => state.apply(&event),
            Err(e) if !is_last => {
                return Err(Error::Journal {
                    path: path.to_owned(),
                    line: number,
                    message: e.to_string(),
                })
            }
            // The last line, cut short (never acknowledged) or unreadable.
            _ => break,
        }
        good_len += len as u64;
    }
    Ok((state, good_len))
}

/// Replay the journal and cut a torn last line, so new lines start clean.
fn replay_and_repair(path: &Path, dir: &Path) -> Result<State> {
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::in_dir(dir)),
        Err(e) => return Err(Error::io("read journal", path, e)),
    };
    let len = file
        .metadata()
        .map_err(|e| Error::io("read journal", path, e))?
        .len();
    let (state, good_len) = replay(std::io::BufReader::new(file), path, dir)?;
    if good_len != len {
        tracing::warn!(journal = %path.display(), "cutting a journal line torn by a crash");
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(|e| Error::io("repair journal", path, e))?;
        f.set_len(good_len)
            .and_then(|()| f.sync_all())
            .map_err(|e| Error::io("repair journal", path, e))?;
    }
    Ok(state)
}

#[cfg(test)]
mod tests;
