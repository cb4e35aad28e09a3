//! The extra sheets of a whole archive: rows spilled to one temporary file
//! per sheet as the dossiers are read (memory stays flat however many rows),
//! columns gathered across dossiers, and at the end the sheets in order
//! with their names and columns.
//!
//! Order, as DS's exports: "Avis", then the répétition blocks, champs before
//! annotations, each by the revision that introduced it. A sheet exists only
//! when some dossier has rows for it (DS does the same).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use super::names::Namer;
use super::{
    dossier_sheets, Block, DossierSheets, SheetInfo, AVIS, AVIS_COLUMNS, REPETITION_FIXED,
};
use crate::bagit::bundles::{BagReader, FoundBundle};
use crate::inventory::columns::{ColumnInfo, Gathered, Rank};
use crate::inventory::row::Row;

/// A sheet being gathered.
struct Pending {
    key: String,
    label: String,
    stable_id: Option<String>,
    annotation: bool,
    rank: Rank,
    columns: Gathered,
    spill: Option<(NamedTempFile, BufWriter<std::fs::File>)>,
    rows: usize,
}

/// Gathers the extra sheets, dossier after dossier.
pub struct Collector {
    dir: PathBuf,
    sheets: Vec<Pending>,
    index: HashMap<String, usize>,
}

/// An extra sheet, ready to write.
pub struct Sheet {
    /// Its name, id and columns (as listed in `columns.json`).
    pub info: SheetInfo,
    spill: NamedTempFile,
}

impl Collector {
    /// A collector spilling into `dir` (the output's folder).
    #[must_use]
    pub fn new(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            sheets: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Add the extra-sheet rows of bundle `f` (from its `data/dossier.json`).
    ///
    /// # Errors
    /// The bundle or its `dossier.json` cannot be read, or a row cannot be
    /// spilled: a message naming what failed.
    pub fn read_bundle(&mut self, f: &FoundBundle) -> Result<(), String> {
        let mut bag = BagReader::open(&f.location).map_err(|e| format!("unreadable bag: {e}"))?;
        let dossier = bag
            .read_json("data/dossier.json")
            .map_err(|e| format!("data/dossier.json: {e}"))?;
        self.add_dossier(f.number, &dossier)
    }

    /// Add the extra-sheet rows of dossier `number`, from its `dossier.json`.
    ///
    /// # Errors
    /// A row cannot be spilled: a message naming the folder.
    pub fn add_dossier(&mut self, number: u64, dossier: &serde_json::Value) -> Result<(), String> {
        self.add(dossier_sheets(number, dossier))
            .map_err(|e| format!("cannot spill a sheet row in `{}`: {e}", self.dir.display()))
    }

    /// Add what one dossier brings.
    ///
    /// # Errors
    /// A row cannot be spilled.
    pub fn add(&mut self, d: DossierSheets) -> io::Result<()> {
        for block in d.blocks {
            let i = self.pending(&block.id, Some(&block));
            let p = &mut self.sheets[i];
            p.rank = p.rank.min(block.rank);
            p.columns.add(block.columns);
        }
        for (key, row) in d.rows {
            let i = self.pending(&key, None);
            let dir = self.dir.clone();
            let p = &mut self.sheets[i];
            if p.spill.is_none() {
                let file = tempfile::Builder::new()
                    .prefix(".sheet.")
                    .suffix(".rows")
                    .tempfile_in(&dir)?;
                let out = BufWriter::new(file.as_file().try_clone()?);
                p.spill = Some((file, out));
            }
            if let Some((_, out)) = p.spill.as_mut() {
                serde_json::to_writer(&mut *out, &row)?;
                out.write_all(b"\n")?;
                p.rows += 1;
            }
        }
        Ok(())
    }

    fn pending(&mut self, key: &str, block: Option<&Block>) -> usize {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let p = Pending {
            key: key.to_owned(),
            label: block.map_or_else(|| "Avis".to_owned(), |b| b.label.clone()),
            stable_id: block.map(|b| b.stable_id.clone()),
            annotation: block.is_some_and(|b| b.annotation),
            rank: block.map_or((u32::MAX, u32::MAX), |b| b.rank),
            columns: Gathered::default(),
            spill: None,
            rows: 0,
        };
        self.index.insert(key.to_owned(), self.sheets.len());
        self.sheets.push(p);
        self.sheets.len() - 1
    }

    /// The sheets with rows, in order, named and with their columns.
    ///
    /// # Errors
    /// A spill file cannot be flushed.
    pub fn finish(self) -> io::Result<Vec<Sheet>> {
        let mut pending: Vec<Pending> = self.sheets.into_iter().filter(|p| p.rows > 0).collect();
        // Stable: blocks of equal rank stay in the order met.
        pending.sort_by_key(|p| (p.key != AVIS, p.annotation, p.rank));
        let mut namer = Namer::new(["Dossiers"]);
        pending
            .into_iter()
            .filter_map(|p| {
                let (file, mut out) = p.spill?;
                Some(out.flush().map(|()| {
                    let avis = p.key == AVIS;
                    let name = if avis {
                        namer.name("Avis")
                    } else {
                        namer.name(&format!(
                            "({}) {}",
                            p.stable_id.as_deref().unwrap_or(""),
                            p.label
                        ))
                    };
                    let group = match (avis, p.annotation) {
                        (true, _) => "avis",
                        (false, true) => "annotation",
                        (false, false) => "champ",
                    };
                    let columns = if avis {
                        fixed(AVIS_COLUMNS, "avis")
                    } else {
                        block_columns(p.columns, group)
                    };
                    Sheet {
                        info: SheetInfo {
                            name,
                            id: p.key,
                            stable_id: p.stable_id,
                            group: group.to_owned(),
                            rows: p.rows,
                            columns,
                        },
                        spill: file,
                    }
                }))
            })
            .collect()
    }
}

/// Fixed columns; the dossier number's column is in group `dossier`.
fn fixed(columns: &[(&str, &str)], group: &str) -> Vec<ColumnInfo> {
    columns
        .iter()
        .enumerate()
        .map(|(i, (header, id))| ColumnInfo {
            index: i + 1,
            header: (*header).to_owned(),
            id: (*id).to_owned(),
            stable_id: None,
            group: if *id == "self/id" { "dossier" } else { group }.to_owned(),
        })
        .collect()
}

/// A répétition sheet's columns: dossier and row, then the sub-champs by
/// revision, with unique headers (`Label`, `Label (2)`...).
fn block_columns(gathered: Gathered, group: &str) -> Vec<ColumnInfo> {
    let mut out = fixed(REPETITION_FIXED, "dossier");
    let mut used: BTreeMap<String, u32> = REPETITION_FIXED
        .iter()
        .map(|(h, _)| ((*h).to_owned(), 1))
        .collect();
    for c in gathered.ordered() {
        let n = used.entry(c.header.clone()).or_insert(0);
        *n += 1;
        let header = if *n == 1 {
            c.header.clone()
        } else {
            format!("{} ({n})", c.header)
        };
        out.push(ColumnInfo {
            index: out.len() + 1,
            header,
            id: c.id,
            stable_id: Some(c.stable_id),
            group: group.to_owned(),
        });
    }
    out
}

impl Sheet {
    /// The temporary file its rows are spilled to.
    #[must_use]
    pub fn spill_path(&self) -> &Path {
        self.spill.path()
    }

    /// The sheet's header.
    #[must_use]
    pub fn header(&self) -> Vec<String> {
        self.info.columns.iter().map(|c| c.header.clone()).collect()
    }

    /// Its rows, read back from the spill file, cells in column order.
    ///
    /// # Errors
    /// The spill file cannot be opened; a line that cannot be read back is
    /// an error item.
    pub fn rows(&self) -> io::Result<impl Iterator<Item = io::Result<Vec<String>>> + '_> {
        let file = std::fs::File::open(self.spill.path())?;
        Ok(BufReader::new(file).lines().map(move |line| {
            let row: Row = serde_json::from_str(&line?)?;
            Ok(self
                .info
                .columns
                .iter()
                .map(|c| row.get(&c.id).cloned().unwrap_or_default())
                .collect())
        }))
    }
}
