//! An external sort of byte records: what `verify` and `inventory` use to
//! put an archive's entries in order without holding one entry a dossier in
//! memory (issue #16, docs/benchmarks.md "Memory").
//!
//! Why: a folder lists its entries in no useful order (the file system's
//! hash order), while reports and inventories are sorted, and checking the
//! run manifest is a join of two lists by name. Sorting in memory costs a
//! few hundred bytes a dossier; here records fill a buffer of fixed size,
//! which is sorted and written out as a run to an unnamed temporary file
//! when full, and the runs are merged when read. Memory is the buffer plus
//! one record and one read buffer a run, whatever the number of records.
//!
//! A record is a key and a value; records are ordered by key bytes, records
//! of equal keys in the order they were pushed (the sort is stable), so a
//! caller encodes its order in the key (big-endian numbers sort as numbers,
//! UTF-8 names as `str` does). When no temporary file can be made, records
//! stay in memory: slower to fail than to grow.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Bytes of records held before a run is written out.
const BUDGET: usize = 1 << 20;

/// Records pushed in any order, read back sorted.
#[derive(Debug)]
pub struct Sorter {
    /// Records one after the other: key length, value length (u32 LE), key, value.
    buf: Vec<u8>,
    /// Where each record of `buf` starts.
    starts: Vec<usize>,
    budget: usize,
    runs: Vec<File>,
    /// No temporary file could be made: everything stays in `buf`.
    in_memory: bool,
    len: u64,
}

impl Default for Sorter {
    fn default() -> Self {
        Self::with_budget(BUDGET)
    }
}

impl Sorter {
    /// An empty sorter holding about `budget` bytes of records in memory.
    #[must_use]
    pub fn with_budget(budget: usize) -> Self {
        Self {
            buf: Vec::new(),
            starts: Vec::new(),
            budget: budget.max(1),
            runs: Vec::new(),
            in_memory: false,
            len: 0,
        }
    }

    /// How many records were pushed.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether no record was pushed.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Add a record.
    ///
    /// # Errors
    /// A run could not be written to its temporary file.
    pub fn push(&mut self, key: &[u8], value: &[u8]) -> io::Result<()> {
        let too_long = |_| io::Error::new(io::ErrorKind::InvalidInput, "record over 4 GiB");
        let klen = u32::try_from(key.len()).map_err(too_long)?;
        let vlen = u32::try_from(value.len()).map_err(too_long)?;
        self.starts.push(self.buf.len());
        self.buf.extend_from_slice(&klen.to_le_bytes());
        self.buf.extend_from_slice(&vlen.to_le_bytes());
        self.buf.extend_from_slice(key);
        self.buf.extend_from_slice(value);
        self.len += 1;
        if self.buf.len() >= self.budget && !self.in_memory {
            self.write_run()?;
        }
        Ok(())
    }

    /// Sort the buffer and write it as a run (or keep it, without a file).
    fn write_run(&mut self) -> io::Result<()> {
        let Ok(file) = tempfile::tempfile() else {
            self.in_memory = true;
            return Ok(());
        };
        self.sort_buffer();
        let mut out = BufWriter::new(file);
        for &start in &self.starts {
            out.write_all(&self.buf[start..start + record_len(&self.buf, start)])?;
        }
        let mut file = out.into_inner().map_err(io::IntoInnerError::into_error)?;
        file.seek(SeekFrom::Start(0))?;
        self.runs.push(file);
        self.buf.clear();
        self.starts.clear();
        Ok(())
    }

    fn sort_buffer(&mut self) {
        let buf = &self.buf;
        // Stable: equal keys keep the order they were pushed in.
        self.starts
            .sort_by(|&a, &b| key_at(buf, a).cmp(key_at(buf, b)));
    }

    /// Every record, sorted.
    ///
    /// # Errors
    /// The last run could not be written.
    pub fn into_sorted(mut self) -> io::Result<Sorted> {
        if !self.runs.is_empty() && !self.starts.is_empty() {
            self.write_run()?;
        }
        if self.runs.is_empty() {
            self.sort_buffer();
            return Ok(Sorted {
                source: Source::Memory {
                    buf: self.buf,
                    starts: self.starts.into_iter(),
                },
            });
        }
        let mut readers: Vec<BufReader<File>> = self.runs.into_iter().map(BufReader::new).collect();
        let mut heap = BinaryHeap::new();
        for (i, r) in readers.iter_mut().enumerate() {
            if let Some((key, value)) = read_record(r)? {
                heap.push(Reverse((key, i, value)));
            }
        }
        Ok(Sorted {
            source: Source::Runs { readers, heap },
        })
    }
}

fn record_len(buf: &[u8], start: usize) -> usize {
    let (klen, vlen) = lens(buf, start);
    8 + klen + vlen
}

fn lens(buf: &[u8], start: usize) -> (usize, usize) {
    let word = |at: usize| {
        let mut w = [0; 4];
        w.copy_from_slice(&buf[at..at + 4]);
        u32::from_le_bytes(w) as usize
    };
    (word(start), word(start + 4))
}

fn key_at(buf: &[u8], start: usize) -> &[u8] {
    let (klen, _) = lens(buf, start);
    &buf[start + 8..start + 8 + klen]
}

/// One record of a run, or `None` at its end.
fn read_record(r: &mut impl Read) -> io::Result<Option<(Vec<u8>, Vec<u8>)>> {
    let mut head = [0; 8];
    match r.read_exact(&mut head[..1]) {
        Ok(()) => r.read_exact(&mut head[1..])?,
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let (klen, vlen) = lens(&head, 0);
    let mut key = vec![0; klen];
    r.read_exact(&mut key)?;
    let mut value = vec![0; vlen];
    r.read_exact(&mut value)?;
    Ok(Some((key, value)))
}

/// The next record of a run: key, run index, value.
type Head = (Vec<u8>, usize, Vec<u8>);

/// The records of a [`Sorter`] in order: `(key, value)`.
pub struct Sorted {
    source: Source,
}

enum Source {
    Memory {
        buf: Vec<u8>,
        starts: std::vec::IntoIter<usize>,
    },
    Runs {
        readers: Vec<BufReader<File>>,
        /// The next record of each run not yet read to its end; the run's
        /// index breaks ties, so equal keys come out in push order.
        heap: BinaryHeap<Reverse<Head>>,
    },
}

impl Iterator for Sorted {
    type Item = io::Result<(Vec<u8>, Vec<u8>)>;

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Memory { buf, starts } => {
                let start = starts.next()?;
                let (klen, vlen) = lens(buf, start);
                let key = buf[start + 8..start + 8 + klen].to_vec();
                let value = buf[start + 8 + klen..start + 8 + klen + vlen].to_vec();
                Some(Ok((key, value)))
            }
            Source::Runs { readers, heap } => {
                let Reverse((key, run, value)) = heap.pop()?;
                match read_record(&mut readers[run]) {
                    Ok(Some((k, v))) => heap.push(Reverse((k, run, v))),
                    Ok(None) => {}
                    Err(e) => {
                        heap.clear();
                        return Some(Err(e));
                    }
                }
                Some(Ok((key, value)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(budget: usize, records: &[(Vec<u8>, Vec<u8>)]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut s = Sorter::with_budget(budget);
        for (k, v) in records {
            s.push(k, v).expect("push");
        }
        assert_eq!(s.len(), records.len() as u64);
        s.into_sorted()
            .expect("sorted")
            .collect::<io::Result<_>>()
            .expect("read")
    }

    #[test]
    fn sorts_by_key_keeping_push_order_in_memory_and_through_runs() {
        // Keys with many duplicates, values numbering the pushes.
        let records: Vec<(Vec<u8>, Vec<u8>)> = (0..5000_u32)
            .map(|i| {
                let key = format!("dossier-{}", (i * 7919) % 613).into_bytes();
                (key, i.to_be_bytes().to_vec())
            })
            .collect();
        let mut want = records.clone();
        want.sort_by(|a, b| a.0.cmp(&b.0));
        // All in memory, then runs of a few records, then one record a run.
        for budget in [1 << 20, 300, 1] {
            assert_eq!(sorted(budget, &records), want, "budget {budget}");
        }
        assert!(sorted(10, &[]).is_empty());
    }

    #[test]
    fn big_endian_keys_sort_as_numbers() {
        let records: Vec<(Vec<u8>, Vec<u8>)> = [300_u64, 2, 1 << 40, 10]
            .iter()
            .map(|n| (n.to_be_bytes().to_vec(), Vec::new()))
            .collect();
        let keys: Vec<u64> = sorted(16, &records)
            .into_iter()
            .map(|(k, _)| u64::from_be_bytes(k.try_into().expect("8 bytes")))
            .collect();
        assert_eq!(keys, [2, 10, 300, 1 << 40]);
    }
}
