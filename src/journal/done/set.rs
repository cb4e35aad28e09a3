//! [`DoneSet`]: every complete version, on disk but for the latest
//! additions, so that a run's memory does not grow with the archive.
//!
//! The shape is a small log-structured merge: additions go to a bounded
//! sorted tail in memory; a full tail is written out as a sorted run (see
//! `run`); two runs of about the same size are merged into one, so a set of
//! n versions has about log₂(n / [`TAIL`]) runs and each record is rewritten
//! that many times (at 10⁵ versions: 7 runs at most, 60 MB written over a
//! whole run). A lookup reads one block of each run; a walk merges them.
//! Where keys meet, the newer source wins (a later line of the journal
//! replaces an earlier one), as the in-memory map did.
//!
//! Nothing here outlives the process: the runs are unnamed temporary files,
//! rebuilt from the journal at every start. The journal stays the one source
//! of truth and its crash rules are untouched; a `kill -9` can lose nothing
//! here that the next replay does not rebuild.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::run::{Merged, Run, Source};
use super::{DoneVersion, Key};
use crate::error::{Error, Result};

/// Versions kept in memory before they are written out as a run.
const TAIL: usize = 2048;

/// Every complete version of every dossier.
#[derive(Debug, Default)]
pub struct DoneSet {
    /// Where runs are written (none: the system's temporary folder).
    dir: Option<PathBuf>,
    /// Sorted runs on disk, oldest first.
    runs: Vec<Run>,
    /// Latest compact additions, not yet in a run.
    tail: BTreeMap<Key, DoneVersion>,
    /// Versions a fixed-size record cannot hold (a name this program does
    /// not give, an odd date or digest): few, kept in memory. A key is never
    /// in both `tail` and `odd`; both are newer than every run.
    odd: BTreeMap<Key, DoneVersion>,
    /// Writing runs failed once: keep everything in memory from then on.
    in_memory: bool,
}

/// How many dossiers and versions a set holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    /// Dossiers with at least one version.
    pub dossiers: usize,
    /// Versions of every dossier.
    pub versions: usize,
}

impl DoneSet {
    /// An empty set writing its runs into `dir` (the archive's state folder:
    /// on the archive's disk, not in a `/tmp` that may be memory).
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        Self {
            dir: Some(dir.to_owned()),
            ..Self::default()
        }
    }

    /// Record a version; one with the same number and version replaces it.
    pub fn insert(&mut self, v: DoneVersion) {
        let key = v.key();
        if v.is_compact() {
            self.odd.remove(&key);
            self.tail.insert(key, v);
            if self.tail.len() >= TAIL && !self.in_memory {
                self.spill();
            }
        } else {
            self.tail.remove(&key);
            self.odd.insert(key, v);
        }
    }

    /// Write the tail out as a run, then merge runs of about the same size.
    fn spill(&mut self) {
        let tail = std::mem::take(&mut self.tail);
        let written = self.try_dirs(|dir| Run::write(dir, tail.values().cloned().map(Ok)));
        match written {
            Ok(run) => self.runs.push(run),
            Err(e) => {
                tracing::warn!("done versions kept in memory (cannot write a run: {e})");
                self.tail = tail;
                self.in_memory = true;
                return;
            }
        }
        while let [.., older, newer] = &self.runs[..] {
            if older.len() > newer.len() {
                break;
            }
            let merge = |dir: &Path| {
                let sources = vec![Source::Disk(older.reader()), Source::Disk(newer.reader())];
                Run::write(dir, Merged { sources })
            };
            match self.try_dirs(merge) {
                Ok(merged) => {
                    self.runs.truncate(self.runs.len() - 2);
                    self.runs.push(merged);
                }
                Err(e) => {
                    // Both runs stay: lookups read one more block.
                    tracing::warn!("done versions not merged: {e}");
                    break;
                }
            }
        }
    }

    /// `write` in the set's folder, or else in the system's temporary one
    /// (`status` may read a folder it cannot write).
    fn try_dirs(&self, write: impl Fn(&Path) -> std::io::Result<Run>) -> std::io::Result<Run> {
        let tmp = std::env::temp_dir();
        match &self.dir {
            Some(dir) => write(dir).or_else(|_| write(&tmp)),
            None => write(&tmp),
        }
    }

    fn error(&self, e: std::io::Error) -> Error {
        let dir = self.dir.clone().unwrap_or_else(std::env::temp_dir);
        Error::io("read the done versions written aside", dir, e)
    }

    /// The highest version of a dossier.
    ///
    /// # Errors
    /// When a run cannot be read back.
    pub fn latest(&self, number: u64) -> Result<Option<DoneVersion>> {
        Ok(self.versions_of(number)?.pop())
    }

    /// One version of a dossier.
    ///
    /// # Errors
    /// When a run cannot be read back.
    pub fn get(&self, number: u64, version: u32) -> Result<Option<DoneVersion>> {
        let versions = self.versions_of(number)?;
        Ok(versions.into_iter().find(|v| v.version == version))
    }

    /// Whether a version has the bag name `name`.
    ///
    /// # Errors
    /// When a run cannot be read back.
    pub fn contains_name(&self, name: &str) -> Result<bool> {
        if let Some((number, version)) = crate::bagit::bundles::parse_bundle_name(name) {
            if self.get(number, version)?.is_some_and(|v| v.name() == name) {
                return Ok(true);
            }
        }
        Ok(self.odd.values().any(|v| v.name() == name))
    }

    /// Every version of a dossier, oldest first.
    fn versions_of(&self, number: u64) -> Result<Vec<DoneVersion>> {
        let mut found: BTreeMap<u32, DoneVersion> = BTreeMap::new();
        for run in &self.runs {
            // Oldest run first: a newer one replaces the same version.
            for v in run.versions_of(number).map_err(|e| self.error(e))? {
                found.insert(v.version, v);
            }
        }
        for map in [&self.tail, &self.odd] {
            for v in map.range((number, 0)..=(number, u32::MAX)).map(|(_, v)| v) {
                found.insert(v.version, v.clone());
            }
        }
        Ok(found.into_values().collect())
    }

    /// Every version, by number then version.
    pub fn iter(&self) -> impl Iterator<Item = Result<DoneVersion>> + '_ {
        let mut sources: Vec<Source<'_>> =
            self.runs.iter().map(|r| Source::Disk(r.reader())).collect();
        sources.push(Source::Memory(self.tail.values().peekable()));
        sources.push(Source::Memory(self.odd.values().peekable()));
        Merged { sources }.map(|v| v.map_err(|e| self.error(e)))
    }

    /// Every dossier with its versions (oldest first), by number.
    pub fn by_dossier(&self) -> impl Iterator<Item = Result<(u64, Vec<DoneVersion>)>> + '_ {
        let mut all = self.iter().peekable();
        std::iter::from_fn(move || {
            let first = match all.next()? {
                Ok(v) => v,
                Err(e) => return Some(Err(e)),
            };
            let number = first.number;
            let mut versions = vec![first];
            while let Some(next) = all.next_if(|v| v.as_ref().is_ok_and(|v| v.number == number)) {
                versions.extend(next.ok());
            }
            Some(Ok((number, versions)))
        })
    }

    /// Dossiers with more than one version, by number.
    pub fn several(&self) -> impl Iterator<Item = Result<(u64, Vec<DoneVersion>)>> + '_ {
        self.by_dossier()
            .filter(|d| d.as_ref().map_or(true, |(_, v)| v.len() > 1))
    }

    /// Dossiers and versions, counted by one walk.
    ///
    /// # Errors
    /// When a run cannot be read back.
    pub fn counts(&self) -> Result<Counts> {
        let mut counts = Counts::default();
        let mut last = None;
        for v in self.iter() {
            let v = v?;
            counts.versions += 1;
            if last != Some(v.number) {
                counts.dossiers += 1;
                last = Some(v.number);
            }
        }
        Ok(counts)
    }

    /// The versions with a zip, in the order of their zips' names (the run
    /// manifest's): `dossier-1.v2.zip` before `dossier-1.zip`, `dossier-10`
    /// after both. Keys only, 16 bytes a version; [`Self::get`] gives each.
    ///
    /// # Errors
    /// When a run cannot be read back.
    pub fn in_zip_order(&self) -> Result<Vec<Key>> {
        let mut keys = Vec::new();
        for v in self.iter() {
            let v = v?;
            if v.has_zip() {
                keys.push(v.key());
            }
        }
        let zip_name = |(number, version): &Key| -> String {
            let name = match self.odd.get(&(*number, *version)) {
                Some(v) => v.name().into_owned(),
                None => crate::bag::bundle_name(*number, *version),
            };
            name + ".zip"
        };
        keys.sort_by_key(zip_name);
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version as a journal line would give it: compact, or with a name
    /// this program does not give (kept in memory).
    fn v(number: u64, version: u32, odd: bool, mark: u64) -> DoneVersion {
        let name = if odd {
            format!("imported-{number}-{version}")
        } else {
            crate::bag::bundle_name(number, version)
        };
        let sha = if number.is_multiple_of(5) {
            String::new()
        } else {
            format!("{mark:064x}")
        };
        DoneVersion::new(
            number,
            version,
            "2024-01-01T00:00:00+01:00",
            &name,
            &sha,
            1,
            mark,
        )
    }

    #[test]
    fn behaves_like_the_map_it_replaces_across_runs_and_merges() {
        let dir = tempfile::tempdir().unwrap();
        let mut set = DoneSet::in_dir(dir.path());
        let mut model: BTreeMap<Key, DoneVersion> = BTreeMap::new();
        // Scrambled numbers, new versions, the same key again (replaced), and
        // odd versions among them: far more than one tail, so several runs
        // are written and merged.
        for i in 0..20_000u64 {
            let number = (i * 7919) % 6_007;
            let version = u32::try_from(i % 3).unwrap() + 1;
            let version = if i % 11 == 0 { 1 } else { version };
            let d = v(number, version, i % 1_000 == 3, i);
            model.insert(d.key(), d.clone());
            set.insert(d);
        }
        assert!(
            set.runs.len() > 1,
            "written out and merged: {}",
            set.runs.len()
        );
        let all: Vec<DoneVersion> = set.iter().map(Result::unwrap).collect();
        assert!(all.iter().eq(model.values()), "same versions, same order");
        let counts = set.counts().unwrap();
        let dossiers = model
            .keys()
            .map(|k| k.0)
            .collect::<std::collections::BTreeSet<_>>();
        assert_eq!(
            (counts.dossiers, counts.versions),
            (dossiers.len(), model.len())
        );
        for number in [0, 1, 17, 3_000, 6_006, 6_007, 9_999] {
            let latest = model.range((number, 0)..=(number, u32::MAX)).next_back();
            assert_eq!(
                set.latest(number).unwrap().as_ref(),
                latest.map(|(_, v)| v),
                "dossier {number}"
            );
            assert_eq!(
                set.get(number, 2).unwrap().as_ref(),
                model.get(&(number, 2))
            );
        }
        let several = set.several().map(Result::unwrap).count();
        let model_several = dossiers
            .iter()
            .filter(|n| model.range((**n, 0)..=(**n, u32::MAX)).count() > 1)
            .count();
        assert_eq!(several, model_several);
        // The run manifest's order: by zip name, as the old code sorted.
        let mut by_name: Vec<&DoneVersion> = model.values().filter(|v| v.has_zip()).collect();
        by_name.sort_by_key(|v| format!("{}.zip", v.name()));
        let keys: Vec<Key> = by_name.iter().map(|v| v.key()).collect();
        assert_eq!(set.in_zip_order().unwrap(), keys);
        // By name, as a bucket's listing asks.
        for d in model.values().step_by(97) {
            assert!(set.contains_name(&d.name()).unwrap(), "{}", d.name());
        }
        assert!(!set.contains_name("dossier-6007").unwrap());
        assert!(!set.contains_name("imported-3-9").unwrap());
    }

    #[test]
    fn a_folder_it_cannot_write_is_no_obstacle() {
        let mut set = DoneSet::in_dir(Path::new("/nonexistent/ds-archive-test"));
        for n in 0..5_000 {
            set.insert(v(n, 1, false, n));
        }
        assert!(
            !set.runs.is_empty(),
            "written to the system's temporary folder"
        );
        assert_eq!(set.counts().unwrap().dossiers, 5_000);
        assert_eq!(set.latest(4_321).unwrap().map(|v| v.bytes), Some(4_321));
    }
}
