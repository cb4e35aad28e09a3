//! Synthetic démarches for benchmarks: many small dossiers whose files are
//! generator specs, so building 10^5 dossiers costs JSON only and file bytes
//! are produced while they are streamed.

use serde_json::{json, Value};

use super::Dataset;
use crate::fake::clock;

fn gid(kind: &str, n: impl std::fmt::Display) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("{kind}-{n}"))
}

const STATES: [&str; 5] = [
    "en_construction",
    "en_instruction",
    "accepte",
    "refuse",
    "sans_suite",
];

pub(super) fn build(
    demarche: u64,
    dossiers: usize,
    files_per_dossier: usize,
    file_size: u64,
) -> Dataset {
    let revision = json!({
        "id": gid("ProcedureRevision", demarche),
        "dateCreation": "2024-01-02T09:00:00+01:00",
        "datePublication": "2024-01-03T09:00:00+01:00",
        "champDescriptors": [
            {"__typename": "TextChampDescriptor", "id": gid("Champ", 1), "label": "Objet de la demande",
             "description": null, "required": true, "type": "text", "champDescriptors": null},
            {"__typename": "PieceJustificativeChampDescriptor", "id": gid("Champ", 2), "label": "Pièces jointes",
             "description": null, "required": false, "type": "piece_justificative", "champDescriptors": null,
             "fileTemplate": null}
        ],
        "annotationDescriptors": []
    });
    // Two groupes instructeurs, the dossiers alternating between them.
    let groupes: Vec<Value> = [(1, "défaut"), (2, "second groupe")]
        .iter()
        .map(|(n, label)| json!({"id": gid("GroupeInstructeur", *n), "number": n, "label": label, "closed": false, "instructeurs": []}))
        .collect();
    let header = json!({
        "__typename": "Demarche", "id": gid("Procedure", demarche), "number": demarche,
        "title": format!("Démarche de test n° {demarche}"), "description": "Démarche générée pour les mesures de performance.",
        "state": "publiee", "declarative": null,
        "dateCreation": "2024-01-02T09:00:00+01:00", "datePublication": "2024-01-03T09:00:00+01:00",
        "dateDepublication": null, "dateFermeture": null, "dateDerniereModification": "2024-01-03T09:00:00+01:00",
        "service": {"id": gid("Service", 1), "nom": "Service de test", "organisme": "Ministère des tests",
                    "typeOrganisme": "administration_centrale", "siret": null},
        "groupeInstructeurs": groupes.clone(), "labels": [], "administrateurs": [],
        "activeRevision": revision.clone(), "publishedRevision": revision.clone(), "draftRevision": revision.clone(),
        "revisions": [revision.clone()],
        "champDescriptors": revision["champDescriptors"].clone(), "annotationDescriptors": [],
        "dureeConservationDossiers": 12, "opendata": false, "tags": [], "zones": []
    });
    let mut data = Dataset::new(header);
    // 2024-01-08 09:00 Paris, one dossier every 10 minutes.
    let start: i64 = 1_704_700_800;
    for i in 0..dossiers {
        let number = 1_000_000 + i as u64;
        let offset = i64::try_from(i).unwrap_or(i64::MAX / 1200) * 600;
        let depot = clock::format_paris(start + offset);
        let modified = clock::format_paris(start + offset + 86_400);
        let files: Vec<Value> = (0..files_per_dossier)
            .map(|f| {
                json!({"__typename": "File", "filename": format!("piece-{}.bin", f + 1),
                       "contentType": "application/octet-stream", "createdAt": depot.clone(),
                       "content": format!("gen:{}:{file_size}", number * 1000 + f as u64)})
            })
            .collect();
        let state = STATES[i % STATES.len()];
        let mut dossier = json!({
            "__typename": "Dossier", "id": gid("Dossier", number), "number": number, "archived": false,
            "prefilled": false, "state": state, "dateDepot": depot, "datePassageEnConstruction": depot,
            "datePassageEnInstruction": null, "dateTraitement": null,
            "dateDerniereModification": modified, "dateDerniereModificationChamps": depot,
            "dateDerniereModificationAnnotations": depot, "dateDerniereCorrectionEnAttente": null,
            "dateExpiration": null, "dateSuppressionParUsager": null, "dateSuppressionParAdministration": null,
            "motivation": null, "motivationAttachment": null, "attestation": null,
            "connectionUsager": "password", "deposeParUnTiers": false, "prenomMandataire": null, "nomMandataire": null,
            "labels": [], "instructeurs": [], "annotations": [], "avis": [], "messages": []
        });
        let more = json!({
            "usager": {"id": gid("User", number), "email": format!("usager{number}@exemple.fr")},
            "groupeInstructeur": groupes[i % groupes.len()], "revision": {"id": revision["id"].clone()},
            "traitements": [{"id": gid("Traitement", number), "event": "depose", "state": "en_construction",
                             "dateTraitement": depot, "emailAgentTraitant": null, "motivation": null,
                             "revision": {"id": revision["id"].clone()}}],
            "demandeur": {"__typename": "PersonnePhysique", "id": gid("Individual", number), "civilite": "Mme",
                          "nom": "Dupont", "prenom": "Marie", "dateDeNaissance": null, "email": null}
        });
        let champs = json!([
            {"__typename": "TextChamp", "id": gid("Champ", 1), "champDescriptorId": gid("Champ", 1),
             "label": "Objet de la demande", "stringValue": "Demande générée", "value": "Demande générée",
             "updatedAt": depot, "prefilled": false, "columns": []},
            {"__typename": "PieceJustificativeChamp", "id": gid("Champ", 2), "champDescriptorId": gid("Champ", 2),
             "label": "Pièces jointes", "stringValue": "", "updatedAt": depot, "prefilled": false,
             "columns": [], "files": files}
        ]);
        if let (Value::Object(map), Value::Object(extra)) = (&mut dossier, more) {
            map.extend(extra);
            map.insert("champs".into(), champs);
        }
        // Generated specs and dates are well-formed by construction.
        if let Err(e) = data.put_dossier(dossier) {
            tracing::error!("generated dossier {number} rejected: {e}");
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_requested_shape() {
        let data = build(777, 12, 3, 1000);
        assert_eq!(data.demarche_number(), 777);
        assert_eq!(data.dossier_numbers().len(), 12);
        let first = data.dossier_numbers()[0];
        let files = data.file_contents(first);
        assert_eq!(files.len(), 3);
        assert!(files.iter().all(|(_, b)| b.len() == 1000));
        // Different files, different bytes.
        assert_ne!(files[0].1, files[1].1);
    }
}
