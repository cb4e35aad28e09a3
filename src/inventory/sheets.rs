//! DS's extra sheets in the XLSX and ODS tables, beside "Dossiers": one
//! "Avis" sheet (one row per avis) and one sheet per répétition block (one
//! row per repetition row: dossier number, row index, then the block's
//! sub-champs as columns), as DS's own spreadsheet exports have them
//! (`ProcedureExportService#to_xlsx`).
//!
//! Why: the main sheet flattens a block into one cell per sub-champ (rows
//! joined with ` | `), which a reader cannot filter or count; a sheet of its
//! own has one row per repetition row. A CSV cannot hold sheets and gets
//! none (the main table already carries every value).
//!
//! Same rules as the main sheet: sub-champ columns ordered by the revision
//! that introduced them (a sub-champ added later is appended), keyed by
//! `type_de_champ/<stable_id>`, cells cleaned by the writers, and every
//! sheet listed in `columns.json` ([`SheetInfo`]). What a dossier brings is
//! decided here (pure); [`Collector`] spills the rows of the whole archive
//! sheet by sheet and names the sheets ([`names`]).

mod names;
mod spill;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::columns::{stable_id, ColumnInfo, DynColumn, Rank};
use super::row::{champ_value, descriptor_id, revision_ranks, text, Row, JOIN};
pub use spill::{Collector, Sheet};

/// The key of the avis sheet (its id in `columns.json`).
pub const AVIS: &str = "avis";

/// Leading columns of a répétition sheet: (header, id), DS's headers.
pub const REPETITION_FIXED: &[(&str, &str)] =
    &[("Dossier ID", "self/id"), ("Ligne", "ds-archive/row")];

/// The avis sheet's columns: (header, id), DS's headers and order
/// (`Avis#spreadsheet_columns`), then the answer's file names.
pub const AVIS_COLUMNS: &[(&str, &str)] = &[
    ("Dossier ID", "self/id"),
    ("Introduction", "avis/question"),
    ("Réponse", "avis/reponse"),
    ("Question", "avis/questionLabel"),
    ("Réponse oui/non", "avis/questionAnswer"),
    ("Créé le", "avis/dateQuestion"),
    ("Répondu le", "avis/dateReponse"),
    ("Instructeur", "avis/claimant"),
    ("Expert", "avis/expert"),
    ("Pièces jointes", "ds-archive/avis_attachments"),
];

/// A sheet beside "Dossiers", as written and listed in `columns.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetInfo {
    /// The sheet's name in the workbook.
    pub name: String,
    /// [`AVIS`], or the répétition block's column id
    /// (`type_de_champ/<stable_id>`).
    pub id: String,
    /// The block's stable id (répétition sheets).
    pub stable_id: Option<String>,
    /// `avis`, `champ` or `annotation` (a block of private annotations).
    pub group: String,
    /// Data rows (the header excluded).
    pub rows: usize,
    /// The sheet's columns, in order.
    pub columns: Vec<ColumnInfo>,
}

/// One sheet as the XLSX and ODS writers take it: a name, a header, rows.
pub struct Tab<'a> {
    /// The sheet's name (valid for Excel: see [`names`]).
    pub name: String,
    /// The header row.
    pub header: Vec<String>,
    /// The data rows.
    pub rows: Box<dyn Iterator<Item = Vec<String>> + 'a>,
}

/// The text of `columns.json` for a table with extra sheets: that of
/// [`super::columns::sidecar_json`], plus `"sheets": [...]` (no such key
/// without sheets, as for a CSV).
#[must_use]
pub fn sidecar_json(columns: &[ColumnInfo], sheets: &[SheetInfo]) -> Vec<u8> {
    if sheets.is_empty() {
        return super::columns::sidecar_json(columns);
    }
    let doc = serde_json::json!({ "version": 1, "columns": columns, "sheets": sheets });
    let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// A répétition block met in a dossier, with the sub-champs its rows hold.
#[derive(Debug, Clone)]
pub struct Block {
    /// `type_de_champ/<stable_id>`: the sheet's key.
    pub id: String,
    /// The block's stable id.
    pub stable_id: String,
    /// The block's label.
    pub label: String,
    /// A block of private annotations.
    pub annotation: bool,
    /// Where the block comes from in the démarche's history.
    pub rank: Rank,
    /// Its sub-champ columns, as met.
    pub columns: Vec<DynColumn>,
}

/// What one dossier brings to the extra sheets.
#[derive(Debug, Default)]
pub struct DossierSheets {
    /// The répétition blocks of its form, rows or not.
    pub blocks: Vec<Block>,
    /// (sheet key, row), in order.
    pub rows: Vec<(String, Row)>,
}

/// The extra-sheet rows of dossier `number` from its `dossier.json`.
#[must_use]
pub fn dossier_sheets(number: u64, dossier_json: &Value) -> DossierSheets {
    let dossier = dossier_json.get("dossier").unwrap_or(dossier_json);
    let ranks = revision_ranks(dossier_json.get("demarche"));
    let rank_of = |descriptor: &str| {
        ranks
            .get(descriptor)
            .copied()
            .unwrap_or((u32::MAX, u32::MAX))
    };
    let number = number.to_string();
    let mut out = DossierSheets::default();
    for (list, annotation) in [("champs", false), ("annotations", true)] {
        for champ in items(dossier.get(list)) {
            let Some(rows) = champ.get("rows").and_then(Value::as_array) else {
                continue;
            };
            let descriptor = descriptor_id(champ);
            let stable = stable_id(&descriptor);
            let id = format!("type_de_champ/{stable}");
            let mut columns = Vec::new();
            for (i, r) in rows.iter().enumerate() {
                let mut cells = Row::new();
                cells.insert("self/id".to_owned(), number.clone());
                cells.insert("ds-archive/row".to_owned(), (i + 1).to_string());
                for sub in items(r.get("champs")) {
                    if has_no_value(sub) {
                        continue;
                    }
                    let sub_descriptor = descriptor_id(sub);
                    let sub_stable = stable_id(&sub_descriptor);
                    let sub_id = format!("type_de_champ/{sub_stable}");
                    columns.push(DynColumn {
                        id: sub_id.clone(),
                        header: text(sub.get("label")),
                        stable_id: sub_stable,
                        annotation,
                        sub: false,
                        rank: rank_of(&sub_descriptor),
                    });
                    let value = champ_value(sub);
                    if !value.is_empty() {
                        cells.insert(sub_id, value);
                    }
                }
                out.rows.push((id.clone(), cells));
            }
            out.blocks.push(Block {
                id,
                stable_id: stable,
                label: text(champ.get("label")),
                annotation,
                rank: rank_of(&descriptor),
                columns,
            });
        }
    }
    for avis in items(dossier.get("avis")) {
        let mut cells = Row::new();
        cells.insert("self/id".to_owned(), number.clone());
        for (field, id) in [
            ("question", "avis/question"),
            ("reponse", "avis/reponse"),
            ("questionLabel", "avis/questionLabel"),
            ("questionAnswer", "avis/questionAnswer"),
            ("dateQuestion", "avis/dateQuestion"),
            ("dateReponse", "avis/dateReponse"),
        ] {
            put(&mut cells, id, text(avis.get(field)));
        }
        put(
            &mut cells,
            "avis/claimant",
            text(avis.pointer("/claimant/email")),
        );
        put(
            &mut cells,
            "avis/expert",
            text(avis.pointer("/expert/email")),
        );
        let files: Vec<String> = items(avis.get("attachments"))
            .map(|f| text(f.get("filename")))
            .collect();
        put(&mut cells, "ds-archive/avis_attachments", files.join(JOIN));
        out.rows.push((AVIS.to_owned(), cells));
    }
    out
}

fn items(v: Option<&Value>) -> impl Iterator<Item = &Value> {
    v.and_then(Value::as_array).into_iter().flatten()
}

fn put(cells: &mut Row, id: &str, value: String) {
    if !value.is_empty() {
        cells.insert(id.to_owned(), value);
    }
}

/// Sections and explanations: no value, no column.
fn has_no_value(champ: &Value) -> bool {
    matches!(
        champ.get("__typename").and_then(Value::as_str),
        Some("HeaderSectionChamp" | "ExplicationChamp")
    )
}

#[cfg(test)]
mod tests;
