//! Find every file a dossier holds.
//!
//! DS hides files in many places: form champs and
//! their repetition rows, private annotations, SIRET champs and the demandeur
//! (company certificates), messages, avis, the decision's justificatif, the
//! attestation and the generated dossier PDF. Missing one is the worst failure
//! an archiver can have, so this walk goes over the strictly parsed dossier
//! ([`super::ds`]): a place that should hold files and is not in DS's answer
//! fails the dossier instead of giving fewer files. Each file keeps its JSON
//! path, which the pipeline's census of `File` nodes checks against.

use serde_json::Value;

use super::ds::{self, Champ, DossierNode, FileNode, PersonneMorale, Stored};
use super::{Attachment, ChampRef, Origin, ParseError};

/// The parts of a dossier the pipeline acts on.
#[derive(Debug, Clone)]
pub struct Dossier {
    /// `Dossier.number`.
    pub number: u64,
    /// `dateDerniereModification`: tells a changed dossier from an archived one.
    pub updated_at: String,
    /// Every file, in a stable order: champs, annotations, demandeur
    /// certificates, messages, avis, motivation, attestation, dossier PDF.
    pub attachments: Vec<Attachment>,
}

/// Read a dossier node (a `DossierFragment`, found at `dossier` in
/// `dossier.json`) strictly.
///
/// # Errors
/// A field we rely on is missing or mistyped; the error names its JSON path.
pub fn parse_dossier(node: &Value) -> Result<Dossier, ParseError> {
    let d: DossierNode = ds::parse(node, "dossier")?;
    let mut out = Vec::new();
    for (key, is_annotation) in [("champs", false), ("annotations", true)] {
        let champs = if is_annotation {
            &d.annotations
        } else {
            &d.champs
        };
        for (i, champ) in champs.iter().enumerate() {
            let at = format!("dossier.{key}[{i}]");
            walk_champ(champ, &at, is_annotation, None, &mut out);
        }
    }
    if let Some(company) = &d.demandeur.company {
        company_certificates(company, "dossier.demandeur", None, &mut out);
    }
    for (i, message) in d.messages.iter().enumerate() {
        let origin = Origin::Message {
            message_id: message.id.clone(),
            email: message.email.clone(),
            created_at: message.created_at.clone(),
        };
        let at = format!("dossier.messages[{i}].attachments");
        push_list(&message.attachments, &at, &origin, &mut out);
    }
    for (i, avis) in d.avis.iter().enumerate() {
        let origin = Origin::Avis {
            avis_id: avis.id.clone(),
            expert: avis.expert.as_ref().map(|e| e.email.clone()),
        };
        let at = format!("dossier.avis[{i}].attachments");
        push_list(&avis.attachments, &at, &origin, &mut out);
    }
    for (key, file, origin) in [
        (
            "motivationAttachment",
            &d.motivation_attachment,
            Origin::Motivation,
        ),
        ("attestation", &d.attestation, Origin::Attestation),
    ] {
        if let Some(Stored(file)) = file {
            out.push(attachment(file, origin, 0, format!("dossier.{key}")));
        }
    }
    if let Some(pdf) = &d.pdf {
        out.push(attachment(pdf, Origin::DossierPdf, 0, "dossier.pdf".into()));
    }
    Ok(Dossier {
        number: d.number,
        updated_at: d.date_derniere_modification,
        attachments: out,
    })
}

/// The row context of a champ inside a repetition block.
struct Row<'a> {
    number: u32,
    id: &'a str,
    repetition_label: &'a str,
}

fn walk_champ(
    champ: &Champ,
    at: &str,
    is_annotation: bool,
    row: Option<&Row<'_>>,
    out: &mut Vec<Attachment>,
) {
    let champ_ref = ChampRef {
        champ_id: champ.id.clone(),
        champ_descriptor_id: champ.champ_descriptor_id.clone(),
        label: champ.label.clone(),
        row: row.map(|r| r.number),
        row_id: row.map(|r| r.id.to_owned()),
        repetition_label: row.map(|r| r.repetition_label.to_owned()),
    };
    let origin = if is_annotation {
        Origin::Annotation(champ_ref.clone())
    } else {
        Origin::Champ(champ_ref.clone())
    };
    push_list(&champ.files, &format!("{at}.files"), &origin, out);
    if let Some(etablissement) = &champ.etablissement {
        let at = format!("{at}.etablissement");
        company_certificates(etablissement, &at, Some(&champ_ref), out);
    }
    for (i, r) in champ.rows.iter().enumerate() {
        let row = Row {
            number: u32::try_from(i + 1).unwrap_or(u32::MAX),
            id: &r.id,
            repetition_label: &champ.label,
        };
        for (k, sub) in r.champs.iter().enumerate() {
            let at = format!("{at}.rows[{i}].champs[{k}]");
            walk_champ(sub, &at, is_annotation, Some(&row), out);
        }
    }
}

fn company_certificates(
    personne: &PersonneMorale,
    at: &str,
    champ: Option<&ChampRef>,
    out: &mut Vec<Attachment>,
) {
    let Some(entreprise) = &personne.entreprise else {
        return;
    };
    for (key, file, certificate) in [
        (
            "attestationFiscaleAttachment",
            &entreprise.attestation_fiscale_attachment,
            "attestation_fiscale",
        ),
        (
            "attestationSocialeAttachment",
            &entreprise.attestation_sociale_attachment,
            "attestation_sociale",
        ),
    ] {
        let Some(Stored(file)) = file else { continue };
        let origin = Origin::CompanyCertificate {
            certificate: certificate.to_owned(),
            siret: personne.siret.clone(),
            champ: champ.cloned(),
        };
        out.push(attachment(
            file,
            origin,
            0,
            format!("{at}.entreprise.{key}"),
        ));
    }
}

fn push_list(files: &[Stored], at: &str, origin: &Origin, out: &mut Vec<Attachment>) {
    for (i, Stored(file)) in files.iter().enumerate() {
        let index = u32::try_from(i).unwrap_or(u32::MAX);
        out.push(attachment(
            file,
            origin.clone(),
            index,
            format!("{at}[{i}]"),
        ));
    }
}

fn attachment(file: &FileNode, origin: Origin, index: u32, json_path: String) -> Attachment {
    Attachment {
        origin,
        index,
        filename: file.filename.clone(),
        content_type: file.content_type.clone(),
        checksum: file.checksum.clone(),
        byte_size: file.byte_size_big_int,
        url: file.url.clone(),
        json_path,
        created_at: Some(file.created_at.clone()),
        virus_scan_result: Some(file.virus_scan_result.clone()),
    }
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

    fn pj(id: &str, files: Value) -> Value {
        json!({"__typename": "PieceJustificativeChamp", "id": id, "champDescriptorId": "d",
               "label": "Pièce", "files": files})
    }

    /// A dossier with every place a file can hide.
    fn full() -> Value {
        json!({
            "number": 7,
            "dateDerniereModification": "2024-02-01T10:00:00+01:00",
            "champs": [
                {"__typename": "PieceJustificativeChamp", "id": "c1", "champDescriptorId": "d1",
                 "label": "Justificatif", "files": [file("a.pdf"), file("a.pdf")]},
                {"__typename": "RepetitionChamp", "id": "r", "champDescriptorId": "dr", "label": "Bloc",
                 "rows": [{"id": "row1", "champs": [pj("c2", json!([file("b.pdf")]))]},
                          {"id": "row2", "champs": [
                    {"__typename": "SiretChamp", "id": "c3", "champDescriptorId": "d3", "label": "SIRET",
                     "etablissement": {"siret": "123", "entreprise": {
                        "attestationFiscaleAttachment": file("fisc.pdf"),
                        "attestationSocialeAttachment": null}}}]}]}
            ],
            "annotations": [{"__typename": "PieceJustificativeChamp", "id": "a1",
                             "champDescriptorId": "da", "label": "Note", "files": [file("n.pdf")]}],
            "demandeur": {"__typename": "PersonneMorale", "siret": "999",
                          "entreprise": {"attestationFiscaleAttachment": null,
                                         "attestationSocialeAttachment": file("soc.pdf")}},
            "messages": [{"id": "m1", "email": "x@y", "createdAt": "t", "attachments": [file("m.pdf")]}],
            "avis": [{"id": "v1", "expert": {"email": "e@x"}, "attachments": [file("v.pdf")]}],
            "motivationAttachment": file("motif.pdf"),
            "attestation": null,
            "pdf": {"filename": "dossier-7.pdf", "contentType": "application/pdf", "checksum": "",
                    "byteSizeBigInt": "0", "url": "http://h/pdf", "createdAt": "t",
                    "virusScanResult": "pending"}
        })
    }

    #[test]
    fn finds_files_everywhere() {
        let found = parse_dossier(&full()).unwrap();
        assert_eq!(
            (found.number, found.updated_at.as_str()),
            (7, "2024-02-01T10:00:00+01:00")
        );
        let found = found.attachments;
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
        assert!(found[..9].iter().all(|a| !a.is_generated()));
        let paths: Vec<&str> = found.iter().map(|a| a.json_path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "dossier.champs[0].files[0]",
                "dossier.champs[0].files[1]",
                "dossier.champs[1].rows[0].champs[0].files[0]",
                "dossier.champs[1].rows[1].champs[0].etablissement.entreprise.attestationFiscaleAttachment",
                "dossier.annotations[0].files[0]",
                "dossier.demandeur.entreprise.attestationSocialeAttachment",
                "dossier.messages[0].attachments[0]",
                "dossier.avis[0].attachments[0]",
                "dossier.motivationAttachment",
                "dossier.pdf",
            ]
        );
    }

    /// Remove `key` from the object at JSON pointer `at`.
    fn without(at: &str, key: &str) -> Value {
        let mut d = full();
        d.pointer_mut(at)
            .and_then(Value::as_object_mut)
            .unwrap()
            .remove(key)
            .unwrap();
        d
    }

    #[test]
    fn a_file_without_name_url_checksum_or_size_fails_the_dossier() {
        for key in [
            "filename",
            "url",
            "checksum",
            "byteSizeBigInt",
            "contentType",
        ] {
            let e = parse_dossier(&without("/champs/0/files/1", key)).unwrap_err();
            assert_eq!(e.path, "dossier.champs[0].files[1]", "{key}: {e}");
            assert!(e.message.contains(&format!("`{key}`")), "{e}");
        }
        let e = parse_dossier(&without(
            "/champs/1/rows/1/champs/0/etablissement/entreprise/attestationFiscaleAttachment",
            "url",
        ))
        .unwrap_err();
        assert_eq!(
            e.path,
            "dossier.champs[1].rows[1].champs[0].etablissement.entreprise.attestationFiscaleAttachment"
        );
        let e = parse_dossier(&without("/pdf", "checksum")).unwrap_err();
        assert_eq!(
            e.path, "dossier.pdf",
            "the PDF's checksum may be empty, not absent"
        );
    }

    #[test]
    fn only_the_dossier_pdf_may_have_an_empty_checksum() {
        let mut d = full();
        d["messages"][0]["attachments"][0]["checksum"] = json!("");
        let e = parse_dossier(&d).unwrap_err();
        assert_eq!(e.path, "dossier.messages[0].attachments[0]");
        assert!(
            e.message.contains("m.pdf") && e.message.contains("checksum"),
            "{e}"
        );
        // A file DS stores that came with a checksum is checked, whatever its size.
        let mut d = full();
        d["pdf"]["checksum"] = json!("1B2M2Y8AsgTpgAmY7PhCfg==");
        assert!(parse_dossier(&d).unwrap().attachments[9].is_generated());
    }

    #[test]
    fn a_place_for_files_missing_from_the_answer_fails_the_dossier() {
        for (at, key, path) in [
            ("", "number", "dossier"),
            ("", "dateDerniereModification", "dossier"),
            ("", "champs", "dossier"),
            ("", "avis", "dossier"),
            ("", "messages", "dossier"),
            ("", "pdf", "dossier"),
            ("", "attestation", "dossier"),
            ("/champs/0", "files", "dossier.champs[0]"),
            ("/champs/1", "rows", "dossier.champs[1]"),
            (
                "/champs/1/rows/1/champs/0",
                "etablissement",
                "dossier.champs[1].rows[1].champs[0]",
            ),
            ("/demandeur", "entreprise", "dossier.demandeur"),
            (
                "/demandeur/entreprise",
                "attestationFiscaleAttachment",
                "dossier.demandeur.entreprise",
            ),
            ("/messages/0", "attachments", "dossier.messages[0]"),
        ] {
            let e = parse_dossier(&without(at, key)).unwrap_err();
            assert_eq!(e.path, path, "{at}/{key}: {e}");
            assert!(e.message.contains(key), "{e}");
        }
        // Null where DS may say "none" is an answer, not a loss.
        let mut d = full();
        d["pdf"] = Value::Null;
        d["demandeur"]["entreprise"] = Value::Null;
        assert_eq!(parse_dossier(&d).unwrap().attachments.len(), 8);
    }
}
