//! One dossier → one inventory row (pure).
//!
//! Cells are keyed by column id ([`super::columns`]) and shown under a header:
//! - the seed metadata, named as in DS's own exports (`id`, `created_at`,
//!   `updated_at`, `archived`, `email`, `state`, `initiated_at`,
//!   `received_at`, `processed_at`, `motivation`, `email_instructeurs`);
//! - the demandeur's identity (`demandeur_*`, `mandataire_*`) and
//!   `groupe_instructeur`;
//! - one column per champ, headed by its label, keyed by
//!   `type_de_champ/<stable_id>` (from its `champDescriptorId`), plus DS's
//!   sub-columns (`Champ.columns`) for callers that select them;
//! - répétitions: one column per (block, sub-champ), headed
//!   `<block label> / <sub-champ label>`, the rows' values joined with
//!   [`JOIN`] in row order (an empty value keeps its place);
//! - one column per annotation, headed `annotation: <label>`;
//! - `instructeurs` (all instructeurs' e-mails), `bundle` (zip name) and
//!   `bundle_sha256`, added by the caller;
//! - `file_formats` and `files_without_puid`, from the formats `archive`
//!   recorded in `metadata.json` (see `row/formats.rs`).
//!
//! Sections and explanations (no value) are left out. Multi-valued fields
//! (files, lists, e-mails) are joined with [`JOIN`] as well.

mod formats;

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

pub use super::columns::DynColumn;
use super::columns::{column_id, fixed_id, stable_id, Rank};

/// Separator of multiple values in one cell.
pub const JOIN: &str = " | ";

/// A row: column id → cell text.
pub type Row = BTreeMap<String, String>;

/// Build the row of one dossier from `metadata.json` and `dossier.json`, and
/// list its dynamic columns in form order.
#[must_use]
pub fn dossier_row(metadata: &Value, dossier_json: &Value) -> (Row, Vec<DynColumn>) {
    let dossier = dossier_json.get("dossier").unwrap_or(dossier_json);
    let mut row = Row::new();
    let mut set = |header: &str, v: String| {
        if !v.is_empty() {
            row.insert(fixed_id(header).to_owned(), v);
        }
    };
    for key in [
        "id",
        "created_at",
        "updated_at",
        "state",
        "initiated_at",
        "received_at",
        "processed_at",
        "motivation",
        "email_instructeurs",
    ] {
        set(key, text(metadata.get(key)));
    }
    set("archived", text(dossier.get("archived")));
    set("email", text(dossier.pointer("/usager/email")));
    let demandeur = dossier.get("demandeur");
    let d = |k: &str| text(demandeur.and_then(|d| d.get(k)));
    set("demandeur_type", d("__typename"));
    set("demandeur_civilite", d("civilite"));
    set("demandeur_nom", d("nom"));
    set("demandeur_prenom", d("prenom"));
    set("demandeur_date_de_naissance", d("dateDeNaissance"));
    set("demandeur_siret", d("siret"));
    set(
        "demandeur_raison_sociale",
        text(demandeur.and_then(|d| d.pointer("/entreprise/raisonSociale"))),
    );
    set("mandataire_nom", text(dossier.get("nomMandataire")));
    set("mandataire_prenom", text(dossier.get("prenomMandataire")));
    let groupe = metadata
        .pointer("/groupe_instructeur/label")
        .or_else(|| dossier.pointer("/groupeInstructeur/label"));
    set("groupe_instructeur", text(groupe));
    let instructeurs: Vec<String> = dossier
        .get("instructeurs")
        .and_then(Value::as_array)
        .map(|a| a.iter().map(|i| text(i.get("email"))).collect())
        .unwrap_or_default();
    set("instructeurs", instructeurs.join(JOIN));
    let (file_formats, without_puid) = formats::file_formats(metadata);
    set("file_formats", file_formats);
    set("files_without_puid", without_puid);

    let ranks = revision_ranks(dossier_json.get("demarche"));
    let mut out = Out {
        row: &mut row,
        columns: Vec::new(),
        ranks: &ranks,
    };
    out.champs(dossier.get("champs"), false, "");
    out.champs(dossier.get("annotations"), true, "annotation: ");
    let columns = out.columns;
    (row, columns)
}

/// Each champ descriptor's [`Rank`]: revisions in publication order (drafts
/// last), descriptors in form order, répétition sub-champs after their block.
pub(super) fn revision_ranks(demarche: Option<&Value>) -> HashMap<String, Rank> {
    let mut revisions: Vec<(Option<time::OffsetDateTime>, &Value)> = demarche
        .and_then(|d| d.get("revisions"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|r| {
            let published = r
                .get("datePublication")
                .and_then(Value::as_str)
                .and_then(|s| {
                    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                        .ok()
                });
            (published, r)
        })
        .collect();
    // Stable: unparsable or unpublished revisions keep their list order, last.
    revisions.sort_by_key(|(p, _)| (p.is_none(), *p));
    let mut ranks = HashMap::new();
    for (i, (_, revision)) in revisions.iter().enumerate() {
        let mut place = 0u32;
        for list in ["champDescriptors", "annotationDescriptors"] {
            let mut stack: Vec<&Value> = revision
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .rev()
                .collect();
            while let Some(desc) = stack.pop() {
                let id = text(desc.get("id"));
                let rank = (u32::try_from(i).unwrap_or(u32::MAX), place);
                ranks.entry(id).or_insert(rank);
                place += 1;
                if let Some(subs) = desc.get("champDescriptors").and_then(Value::as_array) {
                    stack.extend(subs.iter().rev());
                }
            }
        }
    }
    ranks
}

/// The dynamic part of a row being built.
struct Out<'a> {
    row: &'a mut Row,
    columns: Vec<DynColumn>,
    ranks: &'a HashMap<String, Rank>,
}

impl Out<'_> {
    fn column(&mut self, descriptor: &str, header: String, annotation: bool) -> String {
        let stable = stable_id(descriptor);
        let id = format!("type_de_champ/{stable}");
        self.columns.push(DynColumn {
            id: id.clone(),
            header,
            stable_id: stable,
            annotation,
            sub: false,
            rank: self
                .ranks
                .get(descriptor)
                .copied()
                .unwrap_or((u32::MAX, u32::MAX)),
        });
        id
    }

    fn put(&mut self, id: String, value: String) {
        if !value.is_empty() {
            self.row.insert(id, value);
        }
    }

    fn champs(&mut self, champs: Option<&Value>, annotation: bool, prefix: &str) {
        for champ in champs.and_then(Value::as_array).into_iter().flatten() {
            let typename = champ
                .get("__typename")
                .and_then(Value::as_str)
                .unwrap_or("");
            if matches!(typename, "HeaderSectionChamp" | "ExplicationChamp") {
                continue;
            }
            let descriptor = descriptor_id(champ);
            let label = text(champ.get("label"));
            if let Some(rows) = champ.get("rows").and_then(Value::as_array) {
                self.repetition(rows, &label, annotation, prefix);
                continue;
            }
            let id = self.column(&descriptor, format!("{prefix}{label}"), annotation);
            self.put(id.clone(), champ_value(champ));
            self.sub_columns(champ, &id, &label, annotation, prefix);
        }
    }

    /// DS's own split of a champ (`Champ.columns`: an address's commune,
    /// département...): selectable by id, not in the standard table.
    fn sub_columns(
        &mut self,
        champ: &Value,
        id: &str,
        label: &str,
        annotation: bool,
        prefix: &str,
    ) {
        for c in champ
            .get("columns")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let sub_id = column_id(&text(c.get("id")));
            if sub_id.is_empty() || sub_id == id {
                continue;
            }
            let sub_label = text(c.get("label"));
            self.columns.push(DynColumn {
                id: sub_id.clone(),
                header: format!("{prefix}{label} / {sub_label}"),
                stable_id: id.trim_start_matches("type_de_champ/").to_owned(),
                annotation,
                sub: true,
                rank: (u32::MAX, u32::MAX),
            });
            self.put(sub_id, text(c.get("stringValue")));
        }
    }

    fn repetition(&mut self, rows: &[Value], label: &str, annotation: bool, prefix: &str) {
        // Sub-champ columns in first-seen order, each with one value per row.
        let mut subs: Vec<(String, String, Vec<String>)> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            for sub in r
                .get("champs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let sub_id = descriptor_id(sub);
                let pos = match subs.iter().position(|(k, _, _)| *k == sub_id) {
                    Some(p) => p,
                    None => {
                        subs.push((sub_id, text(sub.get("label")), Vec::new()));
                        subs.len() - 1
                    }
                };
                let values = &mut subs[pos].2;
                values.resize(i, String::new());
                values.push(champ_value(sub));
            }
        }
        for (sub_id, sub_label, mut values) in subs {
            values.resize(rows.len(), String::new());
            let id = self.column(
                &sub_id,
                format!("{prefix}{label} / {sub_label}"),
                annotation,
            );
            if values.iter().any(|v| !v.is_empty()) {
                self.put(id, values.join(JOIN));
            }
        }
    }
}

pub(super) fn descriptor_id(champ: &Value) -> String {
    let id = text(champ.get("champDescriptorId"));
    if id.is_empty() {
        // Older payloads: the champ id without the repetition row suffix.
        text(champ.get("id"))
            .split('|')
            .next()
            .unwrap_or("")
            .to_owned()
    } else {
        id
    }
}

/// The display value of a champ: DS's `stringValue`, or the file names.
pub(super) fn champ_value(champ: &Value) -> String {
    let s = text(champ.get("stringValue"));
    if !s.is_empty() {
        return s;
    }
    champ
        .get("files")
        .and_then(Value::as_array)
        .map(|files| {
            files
                .iter()
                .map(|f| text(f.get("filename")))
                .collect::<Vec<_>>()
                .join(JOIN)
        })
        .unwrap_or_default()
}

/// A JSON value as cell text (arrays joined, null empty).
#[must_use]
pub fn text(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| text(Some(i)))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(JOIN),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn repetitions_flatten_to_one_column_per_sub_champ() {
        let dossier = json!({"dossier": {"champs": [
            {"__typename": "RepetitionChamp", "champDescriptorId": "r", "label": "Membres", "rows": [
                {"champs": [{"champDescriptorId": "n", "label": "Nom", "stringValue": "Alice"}]},
                {"champs": [{"champDescriptorId": "a", "label": "Âge", "stringValue": "41"},
                            {"champDescriptorId": "n", "label": "Nom", "stringValue": "Bob"}]},
                {"champs": [{"champDescriptorId": "n", "label": "Nom", "stringValue": "Chloé"}]}
            ]},
            {"__typename": "HeaderSectionChamp", "champDescriptorId": "h", "label": "Titre"}
        ]}});
        let (row, cols) = dossier_row(&json!({}), &dossier);
        let headers: Vec<&str> = cols.iter().map(|c| c.header.as_str()).collect();
        assert_eq!(headers, ["Membres / Nom", "Membres / Âge"]);
        assert_eq!(row["type_de_champ/n"], "Alice | Bob | Chloé");
        assert_eq!(row["type_de_champ/a"], " | 41 | ");
    }

    #[test]
    fn seed_fields_come_from_metadata_and_dossier() {
        let meta = json!({"id": 12, "state": "closed", "email_instructeurs": ["a@x", "b@x"], "motivation": null});
        let dossier = json!({"demarche": {}, "dossier": {"archived": false, "usager": {"email": "u@x"},
            "demandeur": {"__typename": "PersonneMorale", "siret": "123", "entreprise": {"raisonSociale": "ACME"}},
            "annotations": [{"champDescriptorId": "z", "label": "Suivi", "stringValue": "ok"}]}});
        let (row, cols) = dossier_row(&meta, &dossier);
        assert_eq!(row["self/id"], "12");
        assert_eq!(row["self/archived"], "false");
        assert_eq!(row["self/user_email_for_display"], "u@x");
        assert_eq!(row["ds-archive/email_instructeurs"], "a@x | b@x");
        assert_eq!(row["ds-archive/demandeur_raison_sociale"], "ACME");
        assert!(!row.contains_key("self/motivation"));
        assert_eq!(cols[0].header, "annotation: Suivi");
        assert_eq!(row["type_de_champ/z"], "ok");
    }
}
