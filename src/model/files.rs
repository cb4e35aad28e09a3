//! Find every file a dossier holds.
//!
//! DS hides files in many places: form champs and
//! their repetition rows, private annotations, SIRET champs and the demandeur
//! (company certificates), messages, avis, the decision's justificatif, the
//! attestation and the generated dossier PDF. Missing one is the worst failure
//! an archiver can have, so this walk is written against the schema's shape,
//! not against our fixtures, and tolerates absent or null parts.

use serde_json::Value;

use super::{attachment_from_file, str_field, Attachment, ChampRef, Origin};

/// Every attachment of `dossier` (a `DossierFragment` node), in a stable order:
/// champs, annotations, demandeur certificates, messages, avis, motivation,
/// attestation, dossier PDF.
#[must_use]
pub fn attachments(dossier: &Value) -> Vec<Attachment> {
    let mut out = Vec::new();
    for (key, is_annotation) in [("champs", false), ("annotations", true)] {
        for champ in array(dossier, key) {
            walk_champ(champ, is_annotation, None, &mut out);
        }
    }
    if let Some(demandeur) = dossier.get("demandeur") {
        company_certificates(demandeur, None, &mut out);
    }
    for message in array(dossier, "messages") {
        let origin = Origin::Message {
            message_id: str_field(message, "id").unwrap_or_default().to_owned(),
            email: str_field(message, "email").unwrap_or_default().to_owned(),
            created_at: str_field(message, "createdAt")
                .unwrap_or_default()
                .to_owned(),
        };
        files_of(message, &["attachments", "attachment"], &origin, &mut out);
    }
    for avis in array(dossier, "avis") {
        let origin = Origin::Avis {
            avis_id: str_field(avis, "id").unwrap_or_default().to_owned(),
            expert: avis
                .get("expert")
                .and_then(|e| str_field(e, "email"))
                .map(str::to_owned),
        };
        files_of(avis, &["attachments", "attachment"], &origin, &mut out);
    }
    for (key, origin) in [
        ("motivationAttachment", Origin::Motivation),
        ("attestation", Origin::Attestation),
        ("pdf", Origin::DossierPdf),
    ] {
        files_of(dossier, &[key], &origin, &mut out);
    }
    out
}

/// The row context of a champ inside a repetition block.
struct Row<'a> {
    number: u32,
    id: Option<&'a str>,
    repetition_label: &'a str,
}

fn walk_champ(
    champ: &Value,
    is_annotation: bool,
    row: Option<&Row<'_>>,
    out: &mut Vec<Attachment>,
) {
    let champ_ref = ChampRef {
        champ_id: str_field(champ, "id").unwrap_or_default().to_owned(),
        champ_descriptor_id: str_field(champ, "champDescriptorId")
            .unwrap_or_default()
            .to_owned(),
        label: str_field(champ, "label").unwrap_or_default().to_owned(),
        row: row.map(|r| r.number),
        row_id: row.and_then(|r| r.id).map(str::to_owned),
        repetition_label: row.map(|r| r.repetition_label.to_owned()),
    };
    let origin = if is_annotation {
        Origin::Annotation(champ_ref.clone())
    } else {
        Origin::Champ(champ_ref.clone())
    };
    // `files` is the current field; `file` is the deprecated single-file one.
    files_of(champ, &["files", "file"], &origin, out);
    if let Some(etablissement) = champ.get("etablissement") {
        company_certificates(etablissement, Some(&champ_ref), out);
    }
    // Repetition blocks: `rows` (current) or the deprecated flat `champs`.
    let label = str_field(champ, "label").unwrap_or_default();
    for (i, r) in array(champ, "rows").enumerate() {
        let row = Row {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            id: str_field(r, "id"),
            repetition_label: label,
        };
        for sub in array(r, "champs") {
            walk_champ(sub, is_annotation, Some(&row), out);
        }
    }
}

fn company_certificates(personne: &Value, champ: Option<&ChampRef>, out: &mut Vec<Attachment>) {
    let Some(entreprise) = personne.get("entreprise").filter(|e| e.is_object()) else {
        return;
    };
    let siret = str_field(personne, "siret").unwrap_or_default();
    for (key, certificate) in [
        ("attestationFiscaleAttachment", "attestation_fiscale"),
        ("attestationSocialeAttachment", "attestation_sociale"),
    ] {
        let origin = Origin::CompanyCertificate {
            certificate: certificate.to_owned(),
            siret: siret.to_owned(),
            champ: champ.cloned(),
        };
        files_of(entreprise, &[key], &origin, out);
    }
}

/// Push the files found under the first of `keys` present on `holder`
/// (a list of `File`, or a single `File`).
fn files_of(holder: &Value, keys: &[&str], origin: &Origin, out: &mut Vec<Attachment>) {
    let Some(found) = keys
        .iter()
        .find_map(|k| holder.get(*k).filter(|v| !v.is_null()))
    else {
        return;
    };
    let files: Vec<&Value> = match found {
        Value::Array(items) => items.iter().collect(),
        single @ Value::Object(_) => vec![single],
        _ => Vec::new(),
    };
    for (i, file) in files.into_iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        if let Some(att) = attachment_from_file(file, origin.clone(), index) {
            out.push(att);
        }
    }
}

fn array<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter())
        .into_iter()
        .flatten()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn file(name: &str) -> Value {
        json!({"__typename": "File", "filename": name, "contentType": "application/pdf",
               "checksum": "1B2M2Y8AsgTpgAmY7PhCfg==", "byteSizeBigInt": "0",
               "url": format!("http://h/{name}"), "createdAt": "2024-01-01T00:00:00+01:00",
               "virusScanResult": "safe"})
    }

    #[test]
    fn finds_files_everywhere() {
        let d = json!({
            "number": 7,
            "champs": [
                {"__typename": "PieceJustificativeChamp", "id": "c1", "champDescriptorId": "d1",
                 "label": "Justificatif", "files": [file("a.pdf"), file("a.pdf")]},
                {"__typename": "RepetitionChamp", "id": "r", "champDescriptorId": "dr", "label": "Bloc",
                 "rows": [{"id": "row1", "champs": [
                    {"__typename": "PieceJustificativeChamp", "id": "c2", "champDescriptorId": "d2",
                     "label": "Pièce", "files": [file("b.pdf")]}]},
                          {"id": "row2", "champs": [
                    {"__typename": "SiretChamp", "id": "c3", "champDescriptorId": "d3", "label": "SIRET",
                     "etablissement": {"siret": "123", "entreprise": {
                        "attestationFiscaleAttachment": file("fisc.pdf"),
                        "attestationSocialeAttachment": null}}}]}]}
            ],
            "annotations": [{"__typename": "PieceJustificativeChamp", "id": "a1",
                             "champDescriptorId": "da", "label": "Note", "files": [file("n.pdf")]}],
            "demandeur": {"__typename": "PersonneMorale", "siret": "999",
                          "entreprise": {"attestationSocialeAttachment": file("soc.pdf")}},
            "messages": [{"id": "m1", "email": "x@y", "createdAt": "t", "attachments": [file("m.pdf")]}],
            "avis": [{"id": "v1", "expert": {"email": "e@x"}, "attachments": [file("v.pdf")]}],
            "motivationAttachment": file("motif.pdf"),
            "attestation": null,
            "pdf": {"filename": "dossier-7.pdf", "contentType": "application/pdf", "checksum": "",
                    "byteSizeBigInt": "0", "url": "http://h/pdf"}
        });
        let found = attachments(&d);
        let names: Vec<(&str, &str)> = found
            .iter()
            .map(|a| (a.origin.section(), a.filename.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("pieces_justificatives", "a.pdf"),
                ("pieces_justificatives", "a.pdf"),
                ("pieces_justificatives", "b.pdf"),
                ("pieces_justificatives", "fisc.pdf"),
                ("annotations", "n.pdf"),
                ("dossier", "soc.pdf"),
                ("messagerie", "m.pdf"),
                ("avis", "v.pdf"),
                ("dossier", "motif.pdf"),
                ("dossier", "dossier-7.pdf"),
            ]
        );
        assert_eq!(found[1].index, 1);
        let Origin::Champ(c) = &found[2].origin else {
            panic!("not a champ")
        };
        assert_eq!(c.row, Some(1));
        assert_eq!(c.repetition_label.as_deref(), Some("Bloc"));
        assert!(found[9].is_generated());
    }
}
