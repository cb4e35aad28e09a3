//! One sorted run of done records on disk: fixed-size records in an unnamed
//! temporary file, sorted by (number, version), with the first number of
//! each block of [`BLOCK`] records kept in memory (one `u64` for 64 records)
//! so that a lookup reads one block. Runs are written once, read with
//! positional reads (so lookups need only `&self`), merged into larger runs,
//! and vanish with the process.

use std::fs::File;
use std::io::{BufWriter, Write as _};
use std::os::unix::fs::FileExt as _;
use std::path::Path;

use super::{DoneVersion, Key, REC};

/// Records in a block: what a lookup reads (6 KiB).
const BLOCK: usize = 64;

/// Records a sequential reader asks for at once (96 KiB).
const CHUNK: usize = 1024;

/// A sorted run on disk.
#[derive(Debug)]
pub(super) struct Run {
    file: File,
    records: u64,
    /// The number of the first record of each block.
    firsts: Vec<u64>,
}

impl Run {
    /// Write `versions` (sorted by key, no key twice, all compact) into a new
    /// unnamed file in `dir`.
    pub(super) fn write(
        dir: &Path,
        versions: impl Iterator<Item = std::io::Result<DoneVersion>>,
    ) -> std::io::Result<Self> {
        let file = tempfile::tempfile_in(dir)?;
        let mut out = BufWriter::with_capacity(CHUNK * REC, &file);
        let mut records = 0u64;
        let mut firsts = Vec::new();
        let mut rec = [0u8; REC];
        for v in versions {
            let v = v?;
            if records.is_multiple_of(BLOCK as u64) {
                firsts.push(v.number);
            }
            v.encode(&mut rec);
            out.write_all(&rec)?;
            records += 1;
        }
        out.flush()?;
        drop(out);
        Ok(Self {
            file,
            records,
            firsts,
        })
    }

    /// Records in the run.
    pub(super) fn len(&self) -> u64 {
        self.records
    }

    /// Versions of `number` in this run, oldest first.
    pub(super) fn versions_of(&self, number: u64) -> std::io::Result<Vec<DoneVersion>> {
        // The last block starting at or before `number` holds its last
        // version; earlier versions may start in the blocks before.
        let end = self.firsts.partition_point(|&f| f <= number);
        let Some(last) = end.checked_sub(1) else {
            return Ok(Vec::new());
        };
        let first = if self.firsts[last] < number {
            // The records of one number are contiguous: all in `last`.
            last
        } else {
            // Blocks starting with `number`: its first version may end the
            // block before them.
            self.firsts
                .partition_point(|&f| f < number)
                .saturating_sub(1)
        };
        let mut found = Vec::new();
        for block in first..=last {
            for v in self.read_block(block)? {
                if v.number == number {
                    found.push(v);
                }
            }
        }
        Ok(found)
    }

    /// The records of block `block`.
    fn read_block(&self, block: usize) -> std::io::Result<Vec<DoneVersion>> {
        let start = (block * BLOCK) as u64;
        let count = (self.records - start).min(BLOCK as u64);
        self.read_records(start, count)
    }

    fn read_records(&self, start: u64, count: u64) -> std::io::Result<Vec<DoneVersion>> {
        let len = usize::try_from(count).map_err(std::io::Error::other)? * REC;
        let mut bytes = vec![0u8; len];
        self.file.read_exact_at(&mut bytes, start * REC as u64)?;
        bytes.chunks_exact(REC).map(DoneVersion::decode).collect()
    }

    /// Every record, in order.
    pub(super) fn reader(&self) -> Reader<'_> {
        Reader {
            run: self,
            next: 0,
            chunk: Vec::new().into_iter(),
        }
    }
}

/// A run read in order, a chunk at a time.
pub(super) struct Reader<'a> {
    run: &'a Run,
    /// The record after the current chunk.
    next: u64,
    chunk: std::vec::IntoIter<DoneVersion>,
}

impl Reader<'_> {
    /// The key of the next record, without taking it.
    pub(super) fn peek_key(&mut self) -> std::io::Result<Option<Key>> {
        if self.chunk.as_slice().is_empty() && self.next < self.run.records {
            let count = (self.run.records - self.next).min(CHUNK as u64);
            self.chunk = self.run.read_records(self.next, count)?.into_iter();
            self.next += count;
        }
        Ok(self.chunk.as_slice().first().map(DoneVersion::key))
    }
}

impl Iterator for Reader<'_> {
    type Item = std::io::Result<DoneVersion>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.peek_key() {
            Err(e) => Some(Err(e)),
            Ok(_) => self.chunk.next().map(Ok),
        }
    }
}

/// One sorted source of versions.
pub(super) enum Source<'a> {
    Disk(Reader<'a>),
    Memory(std::iter::Peekable<std::collections::btree_map::Values<'a, Key, DoneVersion>>),
}

impl Source<'_> {
    fn peek_key(&mut self) -> std::io::Result<Option<Key>> {
        match self {
            Self::Disk(r) => r.peek_key(),
            Self::Memory(m) => Ok(m.peek().map(|v| v.key())),
        }
    }

    fn take(&mut self) -> Option<std::io::Result<DoneVersion>> {
        match self {
            Self::Disk(r) => r.next(),
            Self::Memory(m) => m.next().cloned().map(Ok),
        }
    }
}

/// Sorted sources as one, oldest source first: where keys meet, the last
/// source holding the key gives the version, the others' are skipped.
pub(super) struct Merged<'a> {
    pub(super) sources: Vec<Source<'a>>,
}

impl Iterator for Merged<'_> {
    type Item = std::io::Result<DoneVersion>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut heads = Vec::with_capacity(self.sources.len());
        for source in &mut self.sources {
            match source.peek_key() {
                Ok(key) => heads.push(key),
                Err(e) => return Some(Err(e)),
            }
        }
        let min = heads.iter().flatten().min().copied()?;
        let mut chosen = None;
        for (source, key) in self.sources.iter_mut().zip(heads) {
            if key == Some(min) {
                chosen = source.take();
            }
        }
        chosen
    }
}
