//! Rows of the bundles an `archive` run has just written, kept on the side
//! so the inventory at the end of the run need not open them again.
//!
//! Why: the inventory is rebuilt from every bundle at the end of a run, one
//! bundle after the other, after the last dossier is archived; on 5 000 small
//! dossiers that was half a second of reading back JSON the run had just
//! written. Each archived dossier's row is computed while the dossier is
//! built (from the very values written to its bag, with the same code), and
//! spilled here, one JSON line each; memory holds only the offsets, 24 bytes
//! a row in one buffer (a hash map took about 55 and doubled as it grew: part
//! of `archive`'s growth with the dossiers, docs/benchmarks.md "Memory"). A row
//! that cannot be kept (spill write failed) is simply read from its bundle
//! again: this is a cache, never the only source.
//!
//! An `s3://` run keeps its rows in a file of its work dir instead
//! ([`KnownRows::open`], lines of [`line`]): its bundles are in the bucket,
//! and reading one again means downloading its zip, so the rows outlive the
//! run, and the rows a run adds are uploaded beside its inventory for a
//! run on another machine (docs/storage.md).

mod line;

use std::io::{BufRead, BufReader, BufWriter, Read as _, Seek as _, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::row::{DynColumn, Row};

/// A bundle's row as the inventory would read it from disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownRow {
    /// Cells.
    pub row: Row,
    /// Dynamic columns met in it, in form order.
    pub columns: Vec<DynColumn>,
}

impl KnownRow {
    /// From what [`super::row::dossier_row`] returns.
    #[must_use]
    pub fn new(row: Row, columns: Vec<DynColumn>) -> Self {
        Self { row, columns }
    }

    /// Back into row and columns.
    #[must_use]
    pub fn into_parts(self) -> (Row, Vec<DynColumn>) {
        (self.row, self.columns)
    }
}

/// Rows keyed by dossier number and bundle version, spilled to a file: an
/// unnamed temporary one ([`Self::in_dir`]), or one kept across runs
/// ([`Self::open`], an `s3://` run's work dir, whose bundles are not on
/// local disk to be read again).
#[derive(Debug, Default)]
pub struct KnownRows {
    /// `None`: nothing is kept.
    spill: Option<BufWriter<std::fs::File>>,
    end: u64,
    /// In the order added, until a lookup sorts it by (number, version)
    /// keeping the last addition of each.
    index: Vec<Spilled>,
    sorted: bool,
    /// Whole lines [`Self::add`]ed since this set was made (offset, length):
    /// what [`Self::write_fresh`] copies out.
    fresh: Vec<(u64, u32)>,
}

/// Where a row is in the spill file.
#[derive(Debug, Clone, Copy)]
struct Spilled {
    number: u64,
    offset: u64,
    version: u32,
    len: u32,
}

impl Spilled {
    fn key(&self) -> (u64, u32) {
        (self.number, self.version)
    }
}

impl KnownRows {
    /// An empty set spilling to an unnamed file in `dir` (on the archive's
    /// disk: a run of 10⁵ dossiers spills a few hundred MB, too much for a
    /// `/tmp` in memory); rows are kept only if that file can be made.
    #[must_use]
    pub fn in_dir(dir: &Path) -> Self {
        let spill = tempfile::tempfile_in(dir).ok().map(BufWriter::new);
        Self {
            spill,
            sorted: true,
            ..Self::default()
        }
    }

    /// The rows kept in the file `path` (made if absent), to which new ones
    /// are appended. Only the keys are read now. A last line cut short (a
    /// run killed while writing it) is cut off; any other line that is not
    /// ours is skipped.
    ///
    /// # Errors
    /// The file cannot be opened, read or cut.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut file = fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let mut index = Vec::new();
        let mut end = 0u64;
        let mut reader = BufReader::new(&mut file);
        let mut line = Vec::new();
        loop {
            line.clear();
            let n = reader.read_until(b'\n', &mut line)?;
            if n == 0 || line.last() != Some(&b'\n') {
                break;
            }
            if let Some(spilled) = indexed(&line, end) {
                index.push(spilled);
            }
            end += n as u64;
        }
        drop(reader);
        // Torn last line: gone, so that the next line starts on its own.
        file.set_len(end)?;
        file.seek(SeekFrom::Start(end))?;
        Ok(Self {
            spill: Some(BufWriter::new(file.into_parts().0)),
            end,
            sorted: index.is_empty(),
            index,
            fresh: Vec::new(),
        })
    }

    /// Keep the row of version `version` of dossier `number`.
    pub fn add(&mut self, number: u64, version: u32, row: &KnownRow) {
        let Some((line, start)) = line::frame(number, version, row) else {
            return;
        };
        let offset = self.end;
        if self.append(&line, Some((number, version, start))) {
            if let Ok(len) = u32::try_from(line.len()) {
                self.fresh.push((offset, len));
            }
        }
    }

    /// Append the lines of `rows` (a rows file of another run, as
    /// [`Self::write_fresh`] writes them); lines that are not whole lines of
    /// ours are skipped. How many were kept.
    ///
    /// # Errors
    /// `rows` cannot be read.
    pub fn import(&mut self, mut rows: impl BufRead) -> std::io::Result<usize> {
        let mut line = Vec::new();
        let mut kept = 0;
        loop {
            line.clear();
            if rows.read_until(b'\n', &mut line)? == 0 {
                return Ok(kept);
            }
            if let Some((number, version, span)) = line::key(&line) {
                if self.append(&line, Some((number, version, span.start))) {
                    kept += 1;
                }
            }
        }
    }

    /// Write the lines [`Self::add`]ed since this set was made to `to` (the
    /// rows a run uploads beside its inventory); how many.
    ///
    /// # Errors
    /// The spill file cannot be read or `to` written.
    pub fn write_fresh(&mut self, to: &mut dyn Write) -> std::io::Result<usize> {
        let Some(spill) = self.spill.as_mut() else {
            return Ok(0);
        };
        spill.flush()?;
        let file = spill.get_mut();
        let mut line = Vec::new();
        for (offset, len) in &self.fresh {
            line.resize(*len as usize, 0);
            file.seek(SeekFrom::Start(*offset))?;
            file.read_exact(&mut line)?;
            to.write_all(&line)?;
        }
        file.seek(SeekFrom::End(0))?;
        Ok(self.fresh.len())
    }

    /// Make what was added durable (a file kept across runs).
    ///
    /// # Errors
    /// The flush or the sync failed.
    pub fn sync(&mut self) -> std::io::Result<()> {
        match self.spill.as_mut() {
            Some(spill) => {
                spill.flush()?;
                spill.get_ref().sync_data()
            }
            None => Ok(()),
        }
    }

    /// Write a whole `line` at the end and index it; false if not kept.
    fn append(&mut self, line: &[u8], key: Option<(u64, u32, usize)>) -> bool {
        let Some(spill) = self.spill.as_mut() else {
            return false;
        };
        if spill.write_all(line).is_err() {
            // Every row kept so far may be lost with it: read them all again.
            self.spill = None;
            self.index.clear();
            self.fresh.clear();
            return false;
        }
        let offset = self.end;
        self.end += line.len() as u64;
        let Some((number, version, start)) = key else {
            return true;
        };
        // The row's JSON: between the key and the closing `}\n`.
        let Ok(len) = u32::try_from(line.len() - start - 2) else {
            // Written but not indexed: read from its bundle instead.
            return false;
        };
        self.index.push(Spilled {
            number,
            offset: offset + start as u64,
            version,
            len,
        });
        self.sorted = false;
        true
    }

    /// The row kept for version `version` of dossier `number`, if any.
    pub fn get(&mut self, number: u64, version: u32) -> Option<KnownRow> {
        if !self.sorted {
            // Stable: of a key added twice, the later stays after.
            self.index.sort_by_key(Spilled::key);
            self.index.dedup_by(|later, earlier| {
                let same = later.key() == earlier.key();
                if same {
                    *earlier = *later;
                }
                same
            });
            self.sorted = true;
        }
        let i = self
            .index
            .binary_search_by_key(&(number, version), Spilled::key)
            .ok()?;
        let (offset, len) = (self.index[i].offset, self.index[i].len as usize);
        let spill = self.spill.as_mut()?;
        spill.flush().ok()?;
        let file = spill.get_mut();
        file.seek(SeekFrom::Start(offset)).ok()?;
        let mut bytes = vec![0; len];
        file.read_exact(&mut bytes).ok()?;
        file.seek(SeekFrom::End(0)).ok()?;
        serde_json::from_slice(&bytes).ok()
    }

    /// How many rows are kept (sorts a copy of the index: for tests and
    /// diagnostics).
    #[must_use]
    pub fn len(&self) -> usize {
        let mut keys: Vec<(u64, u32)> = self.index.iter().map(Spilled::key).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len()
    }

    /// Whether no row is kept.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }
}

/// The index entry of a whole `line` found at `offset` of the file.
fn indexed(line: &[u8], offset: u64) -> Option<Spilled> {
    let (number, version, span) = line::key(line)?;
    Some(Spilled {
        number,
        offset: offset + span.start as u64,
        version,
        len: u32::try_from(span.len()).ok()?,
    })
}

#[cfg(test)]
mod tests;
