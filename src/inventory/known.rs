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

use std::io::{BufWriter, Read as _, Seek as _, SeekFrom, Write as _};

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

/// Rows keyed by dossier number and bundle version, spilled to an unnamed
/// temporary file.
#[derive(Debug)]
pub struct KnownRows {
    spill: Option<BufWriter<std::fs::File>>,
    end: u64,
    /// In the order added, until a lookup sorts it by (number, version)
    /// keeping the last addition of each.
    index: Vec<Spilled>,
    sorted: bool,
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
    pub fn in_dir(dir: &std::path::Path) -> Self {
        let spill = tempfile::tempfile_in(dir).ok().map(BufWriter::new);
        Self {
            spill,
            end: 0,
            index: Vec::new(),
            sorted: true,
        }
    }

    /// Keep the row of version `version` of dossier `number`.
    pub fn add(&mut self, number: u64, version: u32, row: &KnownRow) {
        let Some(spill) = self.spill.as_mut() else {
            return;
        };
        let Ok(line) = serde_json::to_vec(row) else {
            return;
        };
        if spill.write_all(&line).is_err() {
            // Every row kept so far may be lost with it: read them all again.
            self.spill = None;
            self.index.clear();
            return;
        }
        let Ok(len) = u32::try_from(line.len()) else {
            // Written but not indexed: read from its bundle instead.
            self.end += line.len() as u64;
            return;
        };
        self.index.push(Spilled {
            number,
            offset: self.end,
            version,
            len,
        });
        self.sorted = false;
        self.end += line.len() as u64;
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

#[cfg(test)]
mod tests {
    // A folder that cannot hold the spill: nothing is kept, nothing fails.
    #[test]
    fn without_a_spill_file_rows_are_simply_not_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut known = KnownRows::in_dir(&dir.path().join("absent"));
        known.add(1, 1, &KnownRow::new(Row::new(), Vec::new()));
        assert!(known.is_empty());
        assert!(known.get(1, 1).is_none());
    }

    use super::*;

    fn row(n: u64, champ: &str) -> KnownRow {
        let mut row = Row::new();
        row.insert("id".into(), n.to_string());
        row.insert("type_de_champ/1".into(), champ.into());
        KnownRow::new(
            row,
            vec![DynColumn {
                id: "type_de_champ/1".into(),
                header: "Nom".into(),
                stable_id: "1".into(),
                annotation: false,
                sub: false,
                rank: (0, 0),
            }],
        )
    }

    #[test]
    fn rows_come_back_as_kept_per_version_and_the_last_one_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut known = KnownRows::in_dir(dir.path());
        assert!(known.get(1, 1).is_none());
        known.add(1, 1, &row(1, "a"));
        known.add(2, 1, &row(2, "b, \"quoted\"\nline"));
        known.add(1, 1, &row(1, "c"));
        known.add(1, 2, &row(1, "v2"));
        assert_eq!(known.len(), 3);
        assert_eq!(known.get(2, 1), Some(row(2, "b, \"quoted\"\nline")));
        assert_eq!(known.get(1, 1), Some(row(1, "c")));
        assert_eq!(known.get(1, 2), Some(row(1, "v2")));
        assert_eq!(known.get(2, 2), None);
        // Reading does not disturb later additions.
        known.add(3, 1, &row(3, "d"));
        assert_eq!(known.get(3, 1), Some(row(3, "d")));
        assert_eq!(known.get(2, 1), Some(row(2, "b, \"quoted\"\nline")));
        let (r, cols) = row(1, "x").into_parts();
        assert_eq!(
            std::fs::read_dir(dir.path()).expect("list").count(),
            0,
            "the spill file has no name"
        );
        assert_eq!(r["type_de_champ/1"], "x");
        assert_eq!(cols[0].header, "Nom");
    }
}
