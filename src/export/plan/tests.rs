use std::path::Path;

use serde_json::{json, Value};

use super::*;
use crate::template::descriptor::Descriptor;

fn header() -> Value {
    json!({"number": 5, "title": "T", "service": {"nom": "S"}, "revisions": [{
        "champDescriptors": [
            {"__typename": "TextChampDescriptor", "id": "Q2hhbXAtMg==", "label": "Nom"},
            {"__typename": "PieceJustificativeChampDescriptor", "id": "Q2hhbXAtMTQ=", "label": "Budget prévisionnel"},
            {"__typename": "RepetitionChampDescriptor", "id": "Q2hhbXAtMjg=", "label": "Membres",
             "champDescriptors": [{"__typename": "PieceJustificativeChampDescriptor", "id": "Q2hhbXAtMzA=", "label": "CV"}]}
        ], "annotationDescriptors": []}]})
}

fn file(path: &str, original: &str, sum: &str, origin: Value) -> Value {
    json!({"path": path, "original_filename": original, "sha256": sum, "ds_checksum": sum, "origin": origin})
}

fn sample() -> (Value, Value) {
    let pj = |champ_id: &str| json!({"kind": "champ", "champ_id": champ_id, "champ_descriptor_id": "Q2hhbXAtMTQ=", "label": "Budget prévisionnel"});
    let cv = json!({"kind": "champ", "champ_id": "cv-row2", "champ_descriptor_id": "Q2hhbXAtMzA=", "label": "CV", "row": 2});
    let metadata = json!({"id": 7, "files": [
        file("data/dossier/dossier-7.pdf", "dossier-7.pdf", "p", json!({"kind": "dossier_pdf"})),
        file("data/pieces_justificatives/Budget prévisionnel/b.pdf", "b.pdf", "b", pj("Q2hhbXAtMTQ=")),
        file("data/pieces_justificatives/Budget prévisionnel/a.pdf", "a.pdf", "a", pj("Q2hhbXAtMTQ=")),
        file("data/pieces_justificatives/Membres-02/CV/.._x", "../x", "c", cv),
        file("data/messagerie/m-1/a b.pdf", "a/b.pdf", "m", json!({"kind": "message"})),
        file("data/dossier/attestation_fiscale-1.pdf", "attestation_fiscale.pdf", "f", json!({"kind": "company_certificate"})),
    ]});
    let dossier = json!({"demarche": header(), "dossier": {"number": 7, "state": "accepte",
        "champs": [
            {"id": "Q2hhbXAtMg==", "stringValue": "Vélo / atelier: été"},
            {"id": "Q2hhbXAtMTQ=", "files": [{"filename": "a.pdf", "checksum": "a"}, {"filename": "b.pdf", "checksum": "b"}]},
            {"id": "Q2hhbXAtMjg=", "rows": [{"champs": []}, {"champs": [{"id": "cv-row2", "files": [{"filename": "../x", "checksum": "c"}]}]}]}
        ], "annotations": []}});
    (metadata, dossier)
}

fn template(text: &str) -> Template {
    let (_, dossier) = sample();
    let d = Descriptor::from_header(&dossier["demarche"]);
    crate::template::parse(text, Path::new("t.toml"), &d).unwrap()
}

fn paths(t: &Template) -> (String, Vec<String>) {
    let (metadata, dossier) = sample();
    let plan = plan_dossier(t, &metadata, &dossier, &mut Namespace::default()).unwrap();
    (
        plan.folder,
        plan.files
            .into_iter()
            .map(|f| format!("{} <- {}", f.path, f.bag_path))
            .collect(),
    )
}

#[test]
fn ds_defaults_number_rows_and_files_like_ds() {
    let (folder, files) = paths(&template("version = 1\n"));
    assert_eq!(folder, "dossier-7");
    assert_eq!(
        files,
        [
            "export-7.pdf <- data/dossier/dossier-7.pdf",
            "budget-previsionnel-7-01.pdf <- data/pieces_justificatives/Budget prévisionnel/a.pdf",
            "budget-previsionnel-7-02.pdf <- data/pieces_justificatives/Budget prévisionnel/b.pdf",
            "cv-7-02-01 <- data/pieces_justificatives/Membres-02/CV/.._x",
            "pieces_justificatives/attestation_fiscale-1.pdf <- data/dossier/attestation_fiscale-1.pdf",
            "messagerie/a_b.pdf <- data/messagerie/m-1/a b.pdf",
        ]
    );
}

#[test]
fn values_never_make_folders_and_switches_leave_files_out() {
    let t = template(
        "version = 1\n[dossier_folder]\npattern = \"{champ:2}-{dossier_number}\"\n\
         [pj_default]\npattern = \"{original-filename}\"\n[pdf]\nenabled = false\n\
         [other]\nmessagerie = false\ncompany_certificates = false\n",
    );
    let (folder, files) = paths(&t);
    assert_eq!(folder, "Vélo _ atelier_ été-7");
    assert_eq!(
        files,
        [
            "a-01.pdf <- data/pieces_justificatives/Budget prévisionnel/a.pdf",
            "b-02.pdf <- data/pieces_justificatives/Budget prévisionnel/b.pdf",
            ".._x-02-01 <- data/pieces_justificatives/Membres-02/CV/.._x",
        ]
    );
}

#[test]
fn equal_names_get_numbered_and_long_values_keep_the_number() {
    let t = template(
        "version = 1\n[dossier_folder]\npattern = \"{champ:2}{champ:2}{champ:2}{champ:2}-{dossier_number}\"\n\
         [pdf]\npattern = \"same\"\n[pj_default]\npattern = \"same\"\n",
    );
    let (folder, files) = paths(&t);
    assert!(
        folder.len() <= FOLDER_MAX && folder.ends_with("-7"),
        "{folder}"
    );
    assert!(files[0].starts_with("same.pdf <-"), "{files:?}");
    assert!(files[1].starts_with("same-01.pdf <-"), "{files:?}");
}
