//! What goes into a SIP, decided from checked bundles: pure functions, no I/O.
//!
//! Each dossier becomes one `File`-level ArchiveUnit with child `RecordGrp`
//! units (one per bag section: pièces justificatives, annotations, messagerie,
//! avis, decision documents, metadata), each file an `Item` unit pointing to a
//! DataObjectGroup with one BinaryDataObject. Ids embed the dossier number and
//! the file's rank in sorted bag-path order (`AU-12-3`, `DOG-12-3`,
//! `BDO-12-3`), so they are NCNames, unique within a batch, and the same on
//! every run. The dossier unit also says who ([`super::people`]), what
//! happened ([`super::events`]) and, when the configuration asks for rules
//! that start per dossier, its `Management` ([`super::rules`]).

use serde_json::Value;

use super::config::SedaConfig;
use super::events::{events, SipEvent};
use super::formats::{object_format, ObjectFormat};
use super::integrity::CheckedBundle;
use super::meta::{date_part, file_entry, path_str, path_u64, state_label, str_key};
use super::names::{base_name, clean_text, clean_text_or, content_name};
use super::people::{parties, Parties};
use super::rules::{DossierDates, UnitRules};

/// One file of the SIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipObject {
    /// Path in the bag.
    pub bag_path: String,
    /// `DataObjectGroup/@id`.
    pub group_id: String,
    /// `BinaryDataObject/@id`.
    pub object_id: String,
    /// Name under `Content/`.
    pub content_name: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex digest.
    pub digest: String,
    /// `FormatIdentification`.
    pub format: ObjectFormat,
    /// The user's file name (cleaned for XML).
    pub filename: String,
    /// `LastModified`, RFC 3339.
    pub last_modified: Option<String>,
}

/// An `Item` unit for one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemUnit {
    /// `ArchiveUnit/@id`.
    pub id: String,
    /// Title (the original file name).
    pub title: String,
    /// Where the file came from in the dossier.
    pub description: Option<String>,
    /// The DataObjectGroup it references.
    pub group_ref: String,
}

/// A `RecordGrp` unit for one section of the bag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupUnit {
    /// `ArchiveUnit/@id`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Its files.
    pub items: Vec<ItemUnit>,
}

/// The `File` unit of one dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierUnit {
    /// Dossier number.
    pub number: u64,
    /// Démarche number, when known.
    pub demarche_number: Option<u64>,
    /// `ArchiveUnit/@id`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Keywords: (content, KeywordType).
    pub keywords: Vec<(String, &'static str)>,
    /// `StartDate`, YYYY-MM-DD.
    pub start_date: Option<String>,
    /// `EndDate`, YYYY-MM-DD, never before the start.
    pub end_date: Option<String>,
    /// Demandeur, mandataire and service.
    pub parties: Parties,
    /// `Event`s, oldest first.
    pub events: Vec<SipEvent>,
    /// The rules that start per dossier (`Management`).
    pub rules: UnitRules,
    /// Section units, in a fixed order, empty ones left out.
    pub groups: Vec<GroupUnit>,
}

impl DossierUnit {
    /// ArchiveUnits this dossier adds to a SIP.
    #[must_use]
    pub fn unit_count(&self) -> u64 {
        1 + self.groups.len() as u64
            + self
                .groups
                .iter()
                .map(|g| g.items.len() as u64)
                .sum::<u64>()
    }
}

/// Sections of a bag: (first folder under `data/`, id suffix, title).
/// `""` is the files right under `data/` (dossier.json, metadata.json/xml).
const SECTIONS: &[(&str, &str, &str)] = &[
    ("pieces_justificatives", "pj", "Pièces justificatives"),
    ("annotations", "annotations", "Annotations privées"),
    ("messagerie", "messagerie", "Messagerie"),
    ("avis", "avis", "Avis"),
    (
        "dossier",
        "decision",
        "Documents du dossier et de la décision",
    ),
    ("", "metadonnees", "Métadonnées du dossier"),
];
const OTHER_SECTION: (&str, &str) = ("autres", "Autres documents");

/// A dossier on its way into a SIP: its checked bundle and its plan, made
/// once (the profile check, the batch's weight and the SIP all read it).
#[derive(Debug)]
pub struct PlannedDossier {
    /// The bundle, as checked.
    pub checked: CheckedBundle,
    /// Its `File` unit.
    pub unit: DossierUnit,
    /// Its files.
    pub objects: Vec<SipObject>,
}

impl PlannedDossier {
    /// Plan `checked`.
    #[must_use]
    pub fn new(checked: CheckedBundle, config: &SedaConfig) -> Self {
        let (unit, objects) = plan_dossier(&checked, config);
        Self {
            checked,
            unit,
            objects,
        }
    }

    /// ArchiveUnits + BinaryDataObjects that it adds to a SIP.
    #[must_use]
    pub fn weight(&self) -> u64 {
        self.unit.unit_count() + self.objects.len() as u64
    }
}

/// Plan one checked bundle.
#[must_use]
pub fn plan_dossier(checked: &CheckedBundle, config: &SedaConfig) -> (DossierUnit, Vec<SipObject>) {
    let n = checked.found.number;
    let meta = &checked.metadata;
    let dossier = checked.dossier.get("dossier").unwrap_or(&checked.dossier);
    let demarche_title = path_str(meta, &["demarche", "title"])
        .or_else(|| path_str(&checked.dossier, &["demarche", "title"]))
        .or_else(|| path_str(dossier, &["demarche", "title"]));
    let demarche_number = path_u64(meta, &["demarche", "number"])
        .or_else(|| path_u64(&checked.dossier, &["demarche", "number"]))
        .or_else(|| path_u64(dossier, &["demarche", "number"]));
    let state = state_label(meta, dossier);
    let groupe = path_str(meta, &["groupe_instructeur", "label"])
        .or_else(|| path_str(dossier, &["groupeInstructeur", "label"]));

    let title = match demarche_title.and_then(clean_text) {
        Some(t) => format!("{t} - dossier {n}"),
        None => format!("Dossier {n}"),
    };
    let mut description = format!("Dossier n° {n}");
    if let Some(t) = demarche_title.and_then(clean_text) {
        description.push_str(&format!(" de la démarche « {t} »"));
    }
    if let Some(d) = demarche_number {
        description.push_str(&format!(" (démarche n° {d})"));
    }
    description.push_str(" sur demarches-simplifiees.fr");
    if let Some(s) = state {
        description.push_str(&format!(", état : {s}"));
    }
    if let Some(g) = groupe.and_then(clean_text) {
        description.push_str(&format!(", groupe instructeur : {g}"));
    }
    description.push('.');
    let mut keywords = Vec::new();
    if let Some(s) = state {
        keywords.push((s.to_owned(), "subject"));
    }
    if let Some(g) = groupe.and_then(clean_text) {
        keywords.push((g, "corpname"));
    }

    let dates = DossierDates {
        deposit: date_part(str_key(meta, "initiated_at"))
            .or_else(|| date_part(str_key(meta, "created_at"))),
        decision: date_part(str_key(meta, "processed_at")),
        last_modification: date_part(str_key(meta, "updated_at")),
    };
    let rules = UnitRules::for_dossier(
        config.appraisal_rule.as_ref(),
        config.access_rule.as_ref(),
        &dates,
    );
    let start = dates.deposit.clone();
    let end = dates.decision.clone().or(dates.last_modification);
    let (start_date, end_date) = match (start, end) {
        (Some(s), Some(e)) if e < s => (Some(s.clone()), Some(s)),
        (Some(s), None) => (Some(s.clone()), Some(s)),
        (None, Some(e)) => (Some(e.clone()), Some(e)),
        other => other,
    };

    let mut groups: Vec<GroupUnit> = Vec::new();
    let mut objects = Vec::with_capacity(checked.files.len());
    for (i, file) in checked.files.iter().enumerate() {
        let rank = i + 1;
        let entry = file_entry(meta, &file.bag_path);
        let original = entry
            .and_then(|e| str_key(e, "original_filename"))
            .unwrap_or_else(|| base_name(&file.bag_path));
        let filename = clean_text_or(original, base_name(&file.bag_path));
        let object_id = format!("BDO-{n}-{rank}");
        let group_id = format!("DOG-{n}-{rank}");
        let format = object_format(entry, &file.bag_path);
        let last_modified = entry
            .and_then(|e| str_key(e, "created_at").or_else(|| str_key(e, "createdAt")))
            .filter(|d| super::config::parse_transfer_date(d).is_ok())
            .map(str::to_owned);
        let (suffix, group_title) = section_of(&file.bag_path);
        let group_unit_id = format!("AU-{n}-{suffix}");
        let item = ItemUnit {
            id: format!("AU-{n}-{rank}"),
            title: filename.clone(),
            description: origin_description(entry, &file.bag_path),
            group_ref: group_id.clone(),
        };
        match groups.iter_mut().find(|g| g.id == group_unit_id) {
            Some(g) => g.items.push(item),
            None => groups.push(GroupUnit {
                id: group_unit_id,
                title: group_title.to_owned(),
                items: vec![item],
            }),
        }
        objects.push(SipObject {
            bag_path: file.bag_path.clone(),
            content_name: content_name(&object_id, original),
            group_id,
            object_id,
            size: file.size,
            digest: file.digest.clone(),
            format,
            filename,
            last_modified,
        });
    }
    groups.sort_by_key(|g| section_rank(&g.id));

    let unit = DossierUnit {
        number: n,
        demarche_number,
        id: format!("AU-{n}"),
        title,
        description,
        keywords,
        start_date,
        end_date,
        parties: parties(meta, config.personal_names),
        events: events(
            meta,
            dossier,
            config.personal_names && config.instructeur_email,
        ),
        rules,
        groups,
    };
    (unit, objects)
}

fn section_of(bag_path: &str) -> (&'static str, &'static str) {
    let rest = bag_path.strip_prefix("data/").unwrap_or(bag_path);
    let folder = match rest.split_once('/') {
        Some((first, _)) => first,
        None => "",
    };
    SECTIONS
        .iter()
        .find(|(f, _, _)| *f == folder)
        .map_or(OTHER_SECTION, |(_, id, title)| (*id, *title))
}

fn section_rank(unit_id: &str) -> usize {
    SECTIONS
        .iter()
        .position(|(_, suffix, _)| unit_id.ends_with(&format!("-{suffix}")))
        .unwrap_or(SECTIONS.len())
}

fn origin_description(entry: Option<&Value>, bag_path: &str) -> Option<String> {
    let origin = entry.and_then(|e| e.get("origin"));
    let kind = origin.and_then(|o| str_key(o, "kind"));
    let label = origin
        .and_then(|o| str_key(o, "label"))
        .and_then(clean_text);
    let what = match kind {
        Some("champ") => "Pièce justificative",
        Some("annotation") => "Annotation privée",
        Some("message") => "Pièce jointe d'un message",
        Some("avis") => "Pièce jointe d'un avis",
        Some("motivation") => "Justificatif de la décision",
        Some("attestation") => "Attestation",
        Some("dossier_pdf") => "Dossier au format PDF",
        Some("company_certificate") => "Attestation d'entreprise",
        _ => "Fichier",
    };
    let mut text = match label {
        Some(l) => format!("{what} « {l} »"),
        None => what.to_owned(),
    };
    text.push_str(&format!(" ; chemin dans le paquet BagIt : {bag_path}"));
    clean_text(&text)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bagit::bundles::{BundleLocation, FoundBundle};
    use crate::seda::integrity::CheckedFile;

    fn config() -> SedaConfig {
        SedaConfig::parse(
            "archival_agency_identifier = \"A\"\ntransferring_agency_identifier = \"T\"\n\
             archival_agreement = \"IC\"\noriginating_agency_identifier = \"O\"\n",
        )
        .expect("config")
    }

    fn bundle(meta: Value, paths: &[&str]) -> CheckedBundle {
        CheckedBundle {
            found: FoundBundle {
                number: 12,
                version: 1,
                location: BundleLocation::Dir("x".into()),
                zip: None,
            },
            metadata: meta,
            dossier: json!({"demarche": {"title": "Aide", "number": 3}, "dossier": {}}),
            files: paths
                .iter()
                .map(|p| CheckedFile {
                    bag_path: (*p).to_owned(),
                    size: 1,
                    digest: "ab".into(),
                })
                .collect(),
        }
    }

    #[test]
    fn dates_never_end_before_start() {
        let b = bundle(
            json!({"initiated_at": "2024-05-02T23:30:00+02:00", "processed_at": "2024-04-01T00:00:00Z"}),
            &[],
        );
        let (u, _) = plan_dossier(&b, &config());
        assert_eq!(u.start_date.as_deref(), Some("2024-05-02"));
        assert_eq!(u.end_date.as_deref(), Some("2024-05-02"));
    }

    #[test]
    fn files_are_grouped_by_section_with_stable_ids() {
        let meta = json!({
            "state": "closed",
            "groupe_instructeur": {"label": "Nord"},
            "files": [{"path": "data/pieces_justificatives/a.pdf", "original_filename": "Relevé (1).PDF",
                       "content_type": "application/pdf", "origin": {"kind": "champ", "label": "RIB"}}]
        });
        let b = bundle(
            meta,
            &[
                "data/dossier.json",
                "data/messagerie/m.txt",
                "data/pieces_justificatives/a.pdf",
                "data/weird/x",
            ],
        );
        let (u, objects) = plan_dossier(&b, &config());
        let ids: Vec<&str> = u.groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "AU-12-pj",
                "AU-12-messagerie",
                "AU-12-metadonnees",
                "AU-12-autres"
            ]
        );
        assert_eq!(u.title, "Aide - dossier 12");
        assert!(u.keywords.contains(&("Accepté".to_owned(), "subject")));
        let pj = &objects[2];
        assert_eq!(pj.object_id, "BDO-12-3");
        assert_eq!(pj.content_name, "BDO-12-3.pdf");
        assert_eq!(pj.filename, "Relevé (1).PDF");
        assert_eq!(objects[0].format.mime.as_deref(), Some("application/json"));
        assert_eq!(u.unit_count(), 1 + 4 + 4);
    }
}
