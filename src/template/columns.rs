//! DS's column ids (the ids DS's tabular export templates store), and
//! which of them a démarche has.
//!
//! A champ column is `type_de_champ/<stable_id>`, a sub-column adds
//! `-<jsonpath>` or `.<path>` (an address's département...). Dossier columns
//! are DS's fixed list (`self/state`...). DS's base64 form
//! (`Column-type_de_champ/…` encoded) and the pre-2025 `->` separator are
//! accepted and normalised. Sub-column names are not checked: the bags do
//! not record `Champ.columns` yet, so only the champ part is.

use base64::Engine as _;

use super::descriptor::Descriptor;

/// DS's dossier columns ("Informations usager", "Informations dossier").
pub const DOSSIER_COLUMNS: &[&str] = &[
    "self/id",
    "self/user_email_for_display",
    "self/user_from_france_connect?",
    "individual/gender",
    "individual/nom",
    "individual/prenom",
    "self/for_tiers",
    "self/mandataire_first_name",
    "self/mandataire_last_name",
    "etablissement/siret",
    "etablissement/entreprise_raison_sociale",
    "etablissement/entreprise_siren",
    "etablissement/entreprise_numero_tva_intracommunautaire",
    "etablissement/entreprise_forme_juridique",
    "etablissement/naf",
    "etablissement/libelle_naf",
    "etablissement/adresse",
    "self/state",
    "self/archived",
    "self/created_at",
    "self/updated_at",
    "self/last_champ_updated_at",
    "self/depose_at",
    "self/en_construction_at",
    "self/en_instruction_at",
    "self/processed_at",
    "self/expired_at",
    "self/motivation",
    "self/sva_svr_decision_on",
    "groupe_instructeur/id",
    "followers_instructeurs/email",
    "dossier_labels/label_id",
];

/// `id` in DS's plain form, or why it names no column of `d`.
///
/// # Errors
/// Neither a known dossier column nor `type_de_champ/<id>` of a champ the
/// démarche has (or had).
pub fn check_column(id: &str, d: &Descriptor) -> Result<String, String> {
    let plain = decode(id).unwrap_or_else(|| id.trim().replace("->", "."));
    if DOSSIER_COLUMNS.contains(&plain.as_str()) {
        return Ok(plain);
    }
    let Some(rest) = plain.strip_prefix("type_de_champ/") else {
        return Err(format!(
            "unknown column id `{id}` (`ds-archive template check` lists them)"
        ));
    };
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let tail = &rest[digits.len()..];
    let known = digits.parse::<u64>().ok().and_then(|n| d.champ(n));
    match known {
        Some(c) if c.parent.is_none() && (tail.is_empty() || tail.starts_with(['-', '.'])) => {
            Ok(plain)
        }
        Some(_) if !tail.is_empty() && !tail.starts_with(['-', '.']) => {
            Err(format!("malformed column id `{id}`"))
        }
        Some(_) => Err(format!(
            "column `{id}`: champs of a repetition block have no column of their own"
        )),
        None => Err(format!(
            "column `{id}`: no champ has stable id `{digits}` in this démarche"
        )),
    }
}

/// DS's base64 column id (`Column-type_de_champ/12`), decoded.
fn decode(id: &str) -> Option<String> {
    if id.contains('/') {
        return None;
    }
    let raw = base64::engine::general_purpose::STANDARD
        .decode(id.trim())
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    Some(text.strip_prefix("Column-")?.replace("->", "."))
}

/// The columns a template can list for `d`: dossier columns, then one per
/// root champ and annotation (headers, explanations and blocks left out).
#[must_use]
pub fn available(d: &Descriptor) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = DOSSIER_COLUMNS
        .iter()
        .map(|c| ((*c).to_owned(), String::new()))
        .collect();
    for c in &d.champs {
        let skip = matches!(
            c.kind.as_str(),
            "HeaderSection" | "Explication" | "Repetition"
        );
        if c.parent.is_none() && !skip {
            out.push((format!("type_de_champ/{}", c.stable_id), c.label.clone()));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::descriptor::ChampInfo;

    fn demarche() -> Descriptor {
        let champ = |id, parent| ChampInfo {
            stable_id: id,
            label: format!("c{id}"),
            kind: "Text".into(),
            annotation: false,
            parent,
        };
        Descriptor {
            number: 1,
            title: "T".into(),
            champs: vec![champ(15, None), champ(29, Some(28))],
        }
    }

    #[test]
    fn champ_and_dossier_columns_are_recognised() {
        let d = demarche();
        assert_eq!(check_column("self/state", &d).unwrap(), "self/state");
        assert_eq!(
            check_column("type_de_champ/15", &d).unwrap(),
            "type_de_champ/15"
        );
        assert_eq!(
            check_column("type_de_champ/15->departement", &d).unwrap(),
            "type_de_champ/15.departement"
        );
        let b64 = base64::engine::general_purpose::STANDARD.encode("Column-type_de_champ/15");
        assert_eq!(check_column(&b64, &d).unwrap(), "type_de_champ/15");
    }

    #[test]
    fn unknown_columns_are_refused() {
        let d = demarche();
        assert!(check_column("self/nope", &d)
            .unwrap_err()
            .contains("unknown column"));
        assert!(check_column("type_de_champ/99", &d)
            .unwrap_err()
            .contains("`99`"));
        assert!(check_column("type_de_champ/29", &d)
            .unwrap_err()
            .contains("repetition"));
        assert!(check_column("type_de_champ/15x", &d)
            .unwrap_err()
            .contains("malformed"));
    }
}
