//! The columns of the tabular exports: their ids, headers and order, the
//! `columns.json` sidecar, and [`select`] for callers that pick columns.
//!
//! Why ids: DS warns that its manual exports are unstable ("Attention à la
//! stabilité des exports manuels"): columns move when the form changes. Here
//! every column has an id that never changes — DS's own column id where DS
//! has one (`self/state`, `individual/nom`, `type_de_champ/<stable_id>`,
//! sub-columns as `Champ.columns` names them), `ds-archive/<name>` for ours —
//! and `columns.json` maps each header to its id and stable id, so scripts
//! address columns by id rather than by position or label.
//!
//! Why this order: champ columns are ordered by the revision that introduced
//! them, then by their place in that revision's form, so a champ added by a
//! later revision is appended after every older champ column (never inserted
//! among them), and annotations stay a block of their own after the champs.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Fixed leading columns: (header, id).
pub const FIXED: &[(&str, &str)] = &[
    ("id", "self/id"),
    ("created_at", "self/created_at"),
    ("updated_at", "self/updated_at"),
    ("archived", "self/archived"),
    ("email", "self/user_email_for_display"),
    ("state", "self/state"),
    ("initiated_at", "self/en_construction_at"),
    ("received_at", "self/en_instruction_at"),
    ("processed_at", "self/processed_at"),
    ("motivation", "self/motivation"),
    ("email_instructeurs", "ds-archive/email_instructeurs"),
    ("demandeur_type", "ds-archive/demandeur_type"),
    ("demandeur_civilite", "individual/gender"),
    ("demandeur_nom", "individual/nom"),
    ("demandeur_prenom", "individual/prenom"),
    (
        "demandeur_date_de_naissance",
        "ds-archive/demandeur_date_de_naissance",
    ),
    ("demandeur_siret", "ds-archive/demandeur_siret"),
    (
        "demandeur_raison_sociale",
        "ds-archive/demandeur_raison_sociale",
    ),
    ("mandataire_nom", "ds-archive/mandataire_nom"),
    ("mandataire_prenom", "ds-archive/mandataire_prenom"),
    ("groupe_instructeur", "groupe_instructeur/id"),
];

/// Fixed trailing columns: (header, id).
pub const TRAILING: &[(&str, &str)] = &[
    ("instructeurs", "ds-archive/instructeurs"),
    ("bundle", "ds-archive/bundle"),
    ("bundle_sha256", "ds-archive/bundle_sha256"),
    // Appended after the columns above so that none of them moves.
    ("file_formats", "ds-archive/file_formats"),
    ("files_without_puid", "ds-archive/files_without_puid"),
];

/// The id of the fixed column headed `header` (the header itself if none).
#[must_use]
pub fn fixed_id(header: &str) -> &str {
    FIXED
        .iter()
        .chain(TRAILING)
        .find(|(h, _)| *h == header)
        .map_or(header, |(_, id)| id)
}

/// Where a champ column comes from in the démarche's history: (revision
/// rank, place in that revision's form). Columns met in no revision rank
/// last, in the order they were met.
pub type Rank = (u32, u32);

/// A champ, annotation or sub-column met in some dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DynColumn {
    /// Column id (`type_de_champ/<stable_id>`, or a DS sub-column id).
    pub id: String,
    /// Header before de-duplication.
    pub header: String,
    /// The champ's stable id.
    pub stable_id: String,
    /// A private annotation (in the annotation block).
    pub annotation: bool,
    /// A DS sub-column (`Champ.columns`): not in the standard table, only
    /// written when [`select`]ed.
    pub sub: bool,
    /// Order key.
    pub rank: Rank,
}

/// The dynamic columns of a whole table, gathered dossier after dossier.
#[derive(Debug, Default)]
pub struct Gathered {
    columns: Vec<DynColumn>,
    index: HashMap<String, usize>,
}

impl Gathered {
    /// Add the columns of one dossier; a column already met keeps its first
    /// header and the smallest rank.
    pub fn add(&mut self, cols: impl IntoIterator<Item = DynColumn>) {
        for c in cols {
            match self.index.get(&c.id) {
                Some(&i) => {
                    let known = &mut self.columns[i];
                    known.rank = known.rank.min(c.rank);
                }
                None => {
                    self.index.insert(c.id.clone(), self.columns.len());
                    self.columns.push(c);
                }
            }
        }
    }

    /// Every column in table order: champs, then annotations, each block by
    /// rank (first met for equal ranks); sub-columns last.
    #[must_use]
    pub fn ordered(mut self) -> Vec<DynColumn> {
        // A stable sort: equal ranks (columns met in no revision) stay in the
        // order they were met.
        self.columns.sort_by_key(|c| (c.sub, c.annotation, c.rank));
        self.columns
    }
}

/// One column of a table as written, as listed in `columns.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnInfo {
    /// 1-based position in the table.
    pub index: usize,
    /// The header written.
    pub header: String,
    /// The column id.
    pub id: String,
    /// The champ's stable id (champ, annotation and sub-columns).
    pub stable_id: Option<String>,
    /// `dossier`, `champ`, `annotation` or `archive`.
    pub group: String,
}

/// The standard table: fixed columns, every champ then annotation column
/// with unique headers (`Label`, `Label (2)`...), trailing columns.
#[must_use]
pub fn standard(dynamic: &[DynColumn]) -> Vec<ColumnInfo> {
    let mut used: BTreeMap<String, u32> = FIXED
        .iter()
        .chain(TRAILING)
        .map(|(h, _)| ((*h).to_owned(), 1))
        .collect();
    let mut out: Vec<ColumnInfo> = FIXED
        .iter()
        .map(|(h, id)| info(h, id, None, "dossier"))
        .collect();
    for c in dynamic.iter().filter(|c| !c.sub) {
        let n = used.entry(c.header.clone()).or_insert(0);
        *n += 1;
        let header = if *n == 1 {
            c.header.clone()
        } else {
            format!("{} ({n})", c.header)
        };
        let group = if c.annotation { "annotation" } else { "champ" };
        out.push(info(&header, &c.id, Some(&c.stable_id), group));
    }
    let archive = |id: &str| {
        if id == "ds-archive/instructeurs" {
            "dossier"
        } else {
            "archive"
        }
    };
    out.extend(
        TRAILING
            .iter()
            .map(|(h, id)| info(h, id, None, archive(id))),
    );
    number(out)
}

/// The columns `specs` asks for, in that order: each is a column id and an
/// optional header (the known header, else the id, when `None`). An id no
/// dossier has (a champ nobody filled yet, a typo) gives an empty column and
/// is listed in the second value, so the caller can warn.
///
/// This is the entry point for export templates: they pin the order and the
/// headers of their columns; [`super::write_selected`] writes the table.
#[must_use]
pub fn select(
    available: &[ColumnInfo],
    dynamic: &[DynColumn],
    specs: &[(String, Option<String>)],
) -> (Vec<ColumnInfo>, Vec<String>) {
    let mut unknown = Vec::new();
    let out = specs
        .iter()
        .map(|(id, header)| {
            let known = available.iter().find(|c| c.id == *id).cloned().or_else(|| {
                dynamic.iter().find(|c| c.id == *id).map(|c| {
                    let group = if c.annotation { "annotation" } else { "champ" };
                    info(&c.header, &c.id, Some(&c.stable_id), group)
                })
            });
            let mut col = known.unwrap_or_else(|| {
                unknown.push(id.clone());
                info(id, id, None, "unknown")
            });
            if let Some(h) = header {
                col.header.clone_from(h);
            }
            col
        })
        .collect();
    (number(out), unknown)
}

fn info(header: &str, id: &str, stable_id: Option<&str>, group: &str) -> ColumnInfo {
    ColumnInfo {
        index: 0,
        header: header.to_owned(),
        id: id.to_owned(),
        stable_id: stable_id.map(str::to_owned),
        group: group.to_owned(),
    }
}

fn number(mut cols: Vec<ColumnInfo>) -> Vec<ColumnInfo> {
    for (i, c) in cols.iter_mut().enumerate() {
        c.index = i + 1;
    }
    cols
}

/// The `columns.json` beside `out`: `dossiers.csv` → `dossiers.columns.json`.
#[must_use]
pub fn sidecar_path(out: &std::path::Path) -> std::path::PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}.columns.json"))
}

/// The text of `columns.json`: `{"version": 1, "columns": [...]}`.
#[must_use]
pub fn sidecar_json(columns: &[ColumnInfo]) -> Vec<u8> {
    let doc = serde_json::json!({ "version": 1, "columns": columns });
    let mut bytes = serde_json::to_vec_pretty(&doc).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The stable id of a champ from its descriptor id: DS's ids are
/// `base64("Champ-<stable_id>")`; anything else is kept as it is.
#[must_use]
pub fn stable_id(descriptor_id: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(descriptor_id)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (kind, n) = s.split_once('-')?;
            (matches!(kind, "Champ" | "TypeDeChamp") && !n.is_empty()).then(|| n.to_owned())
        })
        .unwrap_or_else(|| descriptor_id.to_owned())
}

/// A DS column id from `Champ.columns[].id` (`base64("Column-<id>")`),
/// decoded; anything else is kept as it is.
#[must_use]
pub fn column_id(raw: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("Column-").map(str::to_owned))
        .unwrap_or_else(|| raw.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(id: &str, header: &str, annotation: bool, rank: Rank) -> DynColumn {
        DynColumn {
            id: id.into(),
            header: header.into(),
            stable_id: id.trim_start_matches("type_de_champ/").into(),
            annotation,
            sub: false,
            rank,
        }
    }

    #[test]
    fn later_revisions_append_champs_after_older_ones_and_before_annotations() {
        let mut g = Gathered::default();
        // A dossier on revision 2 (which inserted champ 9 between 1 and 2)
        // met first, then one on revision 1.
        g.add([
            col("type_de_champ/1", "A", false, (0, 0)),
            col("type_de_champ/9", "New", false, (1, 1)),
            col("type_de_champ/2", "B", false, (0, 1)),
            col("type_de_champ/50", "Suivi", true, (0, 0)),
        ]);
        g.add([col(
            "type_de_champ/7",
            "Unknown",
            false,
            (u32::MAX, u32::MAX),
        )]);
        let cols = standard(&g.ordered());
        let dynamic: Vec<&str> = cols
            .iter()
            .filter(|c| c.stable_id.is_some())
            .map(|c| c.header.as_str())
            .collect();
        assert_eq!(dynamic, ["A", "B", "New", "Unknown", "Suivi"]);
        assert_eq!(cols[0].id, "self/id");
        assert_eq!(cols.last().map(|c| c.index), Some(cols.len()));
    }

    #[test]
    fn duplicate_labels_get_numbered_headers() {
        let mut g = Gathered::default();
        g.add([
            col("type_de_champ/1", "Nom", false, (0, 0)),
            col("type_de_champ/2", "Nom", false, (0, 1)),
            col("type_de_champ/3", "email", false, (0, 2)),
        ]);
        let h: Vec<String> = standard(&g.ordered())
            .into_iter()
            .filter(|c| c.group == "champ")
            .map(|c| c.header)
            .collect();
        assert_eq!(h, ["Nom", "Nom (2)", "email (2)"]);
    }

    #[test]
    fn select_pins_order_and_headers_and_reports_unknown_ids() {
        let dynamic = vec![col("type_de_champ/2", "Nom", false, (0, 0))];
        let all = standard(&dynamic);
        let specs = vec![
            (
                "type_de_champ/2".to_owned(),
                Some("Nom du projet".to_owned()),
            ),
            ("self/state".to_owned(), None),
            ("type_de_champ/404".to_owned(), None),
        ];
        let (cols, unknown) = select(&all, &dynamic, &specs);
        let got: Vec<(usize, &str, &str)> = cols
            .iter()
            .map(|c| (c.index, c.header.as_str(), c.id.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (1, "Nom du projet", "type_de_champ/2"),
                (2, "state", "self/state"),
                (3, "type_de_champ/404", "type_de_champ/404")
            ]
        );
        assert_eq!(unknown, ["type_de_champ/404"]);
    }

    #[test]
    fn ids_decode_from_ds_global_ids() {
        assert_eq!(stable_id("Q2hhbXAtMTIz"), "123");
        assert_eq!(stable_id("d-new"), "d-new");
        // base64("Column-type_de_champ/15.departement")
        assert_eq!(
            column_id("Q29sdW1uLXR5cGVfZGVfY2hhbXAvMTUuZGVwYXJ0ZW1lbnQ="),
            "type_de_champ/15.departement"
        );
        assert_eq!(
            sidecar_path(std::path::Path::new("/a/dossiers.csv")),
            std::path::Path::new("/a/dossiers.columns.json")
        );
    }
}
