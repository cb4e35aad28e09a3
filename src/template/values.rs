//! The values of the tags for one dossier, read from its bag's
//! `dossier.json` (the API's answer, as archived).
//!
//! Dates render as `YYYY-MM-DD`: the date part of the Paris-time value DS
//! gave, as DS's own templates do (a `03/06/2024` once made sub-folders).
//! Values are raw here; making them a safe path segment is
//! [`super::pattern::fit`]'s job.

use serde_json::Value;

use super::descriptor::stable_id;
use super::pattern::{libelle_as_filename, Tag};

/// What a file item adds to the dossier's values.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileContext<'a> {
    /// The original file name (DS's), whose stem `{original-filename}` is.
    pub original_filename: &'a str,
    /// The champ label, for `{champ_label}`.
    pub champ_label: &'a str,
}

/// One dossier's tag values.
#[derive(Debug, Clone)]
pub struct DossierValues<'a> {
    demarche: &'a Value,
    dossier: &'a Value,
}

impl<'a> DossierValues<'a> {
    /// From a bag's `dossier.json` (`{"demarche": …, "dossier": …}`).
    #[must_use]
    pub fn new(dossier_json: &'a Value) -> Self {
        Self {
            demarche: &dossier_json["demarche"],
            dossier: &dossier_json["dossier"],
        }
    }

    /// The dossier number.
    #[must_use]
    pub fn number(&self) -> u64 {
        self.dossier["number"].as_u64().unwrap_or_default()
    }

    /// The value of `tag` (empty when the dossier has none).
    #[must_use]
    pub fn get(&self, tag: &Tag, file: FileContext<'_>) -> String {
        let d = self.dossier;
        let text = |v: &Value| match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        let who = &d["demandeur"];
        let company = &who["entreprise"];
        match tag {
            Tag::DossierNumber => self.number().to_string(),
            Tag::Champ(id) => champ_value(d, *id),
            Tag::Named(name) => match *name {
                "dossier_depose_at" => date(&d["dateDepot"]),
                "dossier_last_champ_updated_at" => date(&d["dateDerniereModificationChamps"]),
                "dossier_processed_at" => date(&d["dateTraitement"]),
                "dossier_state" => text(&d["state"]),
                "dossier_procedure_libelle" => text(&self.demarche["title"]),
                "dossier_service_name" | "dossier_contact_information_name" => {
                    text(&self.demarche["service"]["nom"])
                }
                "dossier_groupe_instructeur" => text(&d["groupeInstructeur"]["label"]),
                "individual_gender" => text(&who["civilite"]),
                "individual_last_name" => text(&who["nom"]),
                "individual_first_name" => text(&who["prenom"]),
                "entreprise_siren" => text(&company["siren"]),
                "entreprise_raison_sociale" => text(&company["raisonSociale"]),
                "entreprise_siret_siege_social" => text(&company["siretSiegeSocial"]),
                "entreprise_numero_tva_intracommunautaire" => {
                    text(&company["numeroTvaIntracommunautaire"])
                }
                "entreprise_adresse" => text(&who["address"]["label"]),
                "original-filename" => stem(file.original_filename).to_owned(),
                "champ_label" => libelle_as_filename(file.champ_label),
                _ => String::new(),
            },
        }
    }
}

/// A file name without its extension, when it has a real one (`scan.pdf`
/// → `scan`; `../x` has none).
fn stem(name: &str) -> &str {
    let (stem, ext) = crate::layout::split_ext(name);
    let real = ext.len() > 1 && ext[1..].bytes().all(|b| b.is_ascii_alphanumeric());
    if real {
        stem
    } else {
        name
    }
}

/// `2024-01-15T11:03:00+01:00` → `2024-01-15`; anything else → empty.
fn date(v: &Value) -> String {
    let s = v.as_str().unwrap_or_default();
    let day = s.get(..10).unwrap_or_default();
    let ok = day.len() == 10
        && day.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if ok {
        day.to_owned()
    } else {
        String::new()
    }
}

/// The display value (`stringValue`) of the root champ or annotation with
/// this stable id; empty when the dossier's revision lacks it.
fn champ_value(dossier: &Value, id: u64) -> String {
    ["champs", "annotations"]
        .iter()
        .flat_map(|k| dossier[*k].as_array().map_or(&[][..], Vec::as_slice))
        .find(|c| c["id"].as_str().and_then(stable_id) == Some(id))
        .and_then(|c| c["stringValue"].as_str())
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_read_the_archived_answer() {
        let json = json!({
            "demarche": {"title": "Subvention", "service": {"nom": "DVA"}},
            "dossier": {
                "number": 42, "state": "accepte",
                "dateDepot": "2024-01-15T11:03:00+01:00",
                "dateTraitement": null,
                "groupeInstructeur": {"label": "Bretagne"},
                "demandeur": {"__typename": "PersonnePhysique", "civilite": "Mme", "nom": "Garnier", "prenom": "Élodie"},
                "champs": [{"id": "Q2hhbXAtMg==", "stringValue": "Atelier / vélo"}],
                "annotations": []
            }
        });
        let v = DossierValues::new(&json);
        let get = |t: Tag| {
            v.get(
                &t,
                FileContext {
                    original_filename: "scan.final.pdf",
                    champ_label: "Budget prévisionnel",
                },
            )
        };
        assert_eq!(get(Tag::DossierNumber), "42");
        assert_eq!(get(Tag::Named("dossier_depose_at")), "2024-01-15");
        assert_eq!(get(Tag::Named("dossier_processed_at")), "");
        assert_eq!(get(Tag::Named("dossier_state")), "accepte");
        assert_eq!(get(Tag::Named("dossier_contact_information_name")), "DVA");
        assert_eq!(get(Tag::Named("individual_first_name")), "Élodie");
        assert_eq!(get(Tag::Named("entreprise_siren")), "");
        assert_eq!(get(Tag::Named("original-filename")), "scan.final");
        assert_eq!(get(Tag::Named("champ_label")), "budget-previsionnel");
        assert_eq!(get(Tag::Champ(2)), "Atelier / vélo");
        assert_eq!(get(Tag::Champ(3)), "");
    }
}
