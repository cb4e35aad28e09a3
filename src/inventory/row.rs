//! One dossier → one inventory row (pure).
//!
//! Columns are identified by a stable key and shown under a header:
//! - the seed metadata, named as in DS's own exports (`id`, `created_at`,
//!   `updated_at`, `archived`, `email`, `state`, `initiated_at`,
//!   `received_at`, `processed_at`, `motivation`, `email_instructeurs`);
//! - the demandeur's identity (`demandeur_*`, `mandataire_*`) and
//!   `groupe_instructeur`;
//! - one column per champ, headed by its label, keyed by its
//!   `champDescriptorId` (labels can repeat; headers are made unique with a
//!   ` (2)`, ` (3)` suffix);
//! - répétitions: one column per (block, sub-champ), headed
//!   `<block label> / <sub-champ label>`, the rows' values joined with
//!   [`JOIN`] in row order (an empty value keeps its place);
//! - one column per annotation, headed `annotation: <label>`;
//! - `instructeurs` (all instructeurs' e-mails), `bundle` (zip name) and
//!   `bundle_sha256`, added by the caller.
//!
//! Sections and explanations (no value) are left out. Multi-valued fields
//! (files, lists, e-mails) are joined with [`JOIN`] as well.

use std::collections::BTreeMap;

use serde_json::Value;

/// Separator of multiple values in one cell.
pub const JOIN: &str = " | ";

/// Fixed leading columns: (key = header).
pub const FIXED: &[&str] = &[
    "id",
    "created_at",
    "updated_at",
    "archived",
    "email",
    "state",
    "initiated_at",
    "received_at",
    "processed_at",
    "motivation",
    "email_instructeurs",
    "demandeur_type",
    "demandeur_civilite",
    "demandeur_nom",
    "demandeur_prenom",
    "demandeur_date_de_naissance",
    "demandeur_siret",
    "demandeur_raison_sociale",
    "mandataire_nom",
    "mandataire_prenom",
    "groupe_instructeur",
];

/// Fixed trailing columns.
pub const TRAILING: &[&str] = &["instructeurs", "bundle", "bundle_sha256"];

/// A dynamic column met in some dossier: its key and header label.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DynColumn {
    /// Stable key (`champ:<descriptor>`, `annotation:<descriptor>`...).
    pub key: String,
    /// Header before de-duplication.
    pub header: String,
}

/// A row: key → cell text.
pub type Row = BTreeMap<String, String>;

/// Build the row of one dossier from `metadata.json` and `dossier.json`, and
/// list its dynamic columns in form order.
#[must_use]
pub fn dossier_row(metadata: &Value, dossier_json: &Value) -> (Row, Vec<DynColumn>) {
    let dossier = dossier_json.get("dossier").unwrap_or(dossier_json);
    let mut row = Row::new();
    let mut set = |k: &str, v: String| {
        if !v.is_empty() {
            row.insert(k.to_owned(), v);
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

    let mut columns = Vec::new();
    add_champs(dossier.get("champs"), "champ", "", &mut row, &mut columns);
    add_champs(
        dossier.get("annotations"),
        "annotation",
        "annotation: ",
        &mut row,
        &mut columns,
    );
    (row, columns)
}

fn add_champs(
    champs: Option<&Value>,
    kind: &str,
    header_prefix: &str,
    row: &mut Row,
    columns: &mut Vec<DynColumn>,
) {
    for champ in champs.and_then(Value::as_array).into_iter().flatten() {
        let typename = champ
            .get("__typename")
            .and_then(Value::as_str)
            .unwrap_or("");
        if matches!(typename, "HeaderSectionChamp" | "ExplicationChamp") {
            continue;
        }
        let id = descriptor_id(champ);
        let label = text(champ.get("label"));
        if let Some(rows) = champ.get("rows").and_then(Value::as_array) {
            add_repetition(rows, &id, &label, kind, header_prefix, row, columns);
            continue;
        }
        let key = format!("{kind}:{id}");
        columns.push(DynColumn {
            key: key.clone(),
            header: format!("{header_prefix}{label}"),
        });
        let value = champ_value(champ);
        if !value.is_empty() {
            row.insert(key, value);
        }
    }
}

fn add_repetition(
    rows: &[Value],
    id: &str,
    label: &str,
    kind: &str,
    header_prefix: &str,
    row: &mut Row,
    columns: &mut Vec<DynColumn>,
) {
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
        let key = format!("{kind}:{id}/{sub_id}");
        columns.push(DynColumn {
            key: key.clone(),
            header: format!("{header_prefix}{label} / {sub_label}"),
        });
        if values.iter().any(|v| !v.is_empty()) {
            row.insert(key, values.join(JOIN));
        }
    }
}

fn descriptor_id(champ: &Value) -> String {
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
fn champ_value(champ: &Value) -> String {
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

/// Turn the dynamic columns into unique headers, in first-seen order.
#[must_use]
pub fn unique_headers(columns: &[DynColumn]) -> Vec<(String, String)> {
    let mut used: BTreeMap<String, u32> = FIXED
        .iter()
        .chain(TRAILING)
        .map(|h| ((*h).to_owned(), 1))
        .collect();
    columns
        .iter()
        .map(|c| {
            let n = used.entry(c.header.clone()).or_insert(0);
            *n += 1;
            let header = if *n == 1 {
                c.header.clone()
            } else {
                format!("{} ({n})", c.header)
            };
            (c.key.clone(), header)
        })
        .collect()
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
        assert_eq!(row["champ:r/n"], "Alice | Bob | Chloé");
        assert_eq!(row["champ:r/a"], " | 41 | ");
    }

    #[test]
    fn duplicate_labels_get_numbered_headers() {
        let cols = [
            DynColumn {
                key: "champ:a".into(),
                header: "Nom".into(),
            },
            DynColumn {
                key: "champ:b".into(),
                header: "Nom".into(),
            },
            DynColumn {
                key: "champ:c".into(),
                header: "email".into(),
            },
        ];
        let h: Vec<String> = unique_headers(&cols).into_iter().map(|(_, h)| h).collect();
        assert_eq!(h, ["Nom", "Nom (2)", "email (2)"]);
    }

    #[test]
    fn seed_fields_come_from_metadata_and_dossier() {
        let meta = json!({"id": 12, "state": "closed", "email_instructeurs": ["a@x", "b@x"], "motivation": null});
        let dossier = json!({"demarche": {}, "dossier": {"archived": false, "usager": {"email": "u@x"},
            "demandeur": {"__typename": "PersonneMorale", "siret": "123", "entreprise": {"raisonSociale": "ACME"}},
            "annotations": [{"champDescriptorId": "z", "label": "Suivi", "stringValue": "ok"}]}});
        let (row, cols) = dossier_row(&meta, &dossier);
        assert_eq!(row["id"], "12");
        assert_eq!(row["archived"], "false");
        assert_eq!(row["email"], "u@x");
        assert_eq!(row["email_instructeurs"], "a@x | b@x");
        assert_eq!(row["demandeur_raison_sociale"], "ACME");
        assert!(!row.contains_key("motivation"));
        assert_eq!(cols[0].header, "annotation: Suivi");
        assert_eq!(row["annotation:z"], "ok");
    }
}
