use std::path::Path;

use super::descriptor::{ChampInfo, Descriptor};
use super::*;

fn demarche() -> Descriptor {
    let champ = |id, kind: &str, label: &str, parent| ChampInfo {
        stable_id: id,
        label: label.into(),
        kind: kind.into(),
        annotation: false,
        parent,
    };
    Descriptor {
        number: 12345,
        title: "Subvention".into(),
        champs: vec![
            champ(2, "Text", "Nom du projet", None),
            champ(14, "PieceJustificative", "Budget prévisionnel", None),
            champ(28, "Repetition", "Membres", None),
            champ(30, "PieceJustificative", "CV", Some(28)),
        ],
    }
}

fn parse_ok(text: &str) -> Template {
    parse(text, Path::new("t.toml"), &demarche()).unwrap()
}

fn parse_err(text: &str) -> String {
    parse(text, Path::new("t.toml"), &demarche())
        .unwrap_err()
        .to_string()
}

#[test]
fn the_smallest_template_is_ds_defaults_with_everything_on() {
    let t = parse_ok("version = 1\n");
    assert_eq!(t.folder.as_str(), DEFAULT_FOLDER);
    assert_eq!(t.pdf.pattern.as_str(), DEFAULT_PDF);
    assert!(t.pdf.enabled && t.attestation.enabled && t.pj_default.enabled);
    assert!(t.messagerie && t.avis && t.justificatif_motivation && t.company_certificates);
    assert_eq!(t.tabular, None);
}

#[test]
fn a_full_template_is_read() {
    let t = parse_ok(
        r#"version = 1
name = "Juridique"
demarche = 12345
[dossier_folder]
pattern = "{dossier_depose_at}-{dossier_number}-{champ:2}"
[pdf]
enabled = false
[pj_default]
enabled = false
[[pj]]
champ = 14
pattern = "budget-{dossier_number}-{original-filename}"
[[pj]]
champ = "Q2hhbXAtMzA="
[other]
avis = false
[[columns]]
id = "self/id"
header = "Numéro"
[[columns]]
id = "type_de_champ/2"
"#,
    );
    assert_eq!(t.name.as_deref(), Some("Juridique"));
    assert!(!t.pdf.enabled && !t.pj_default.enabled && !t.avis && t.messagerie);
    assert_eq!(
        t.pj(14).pattern.as_str(),
        "budget-{dossier_number}-{original-filename}"
    );
    assert_eq!(t.pj(30).pattern.as_str(), "cv-{dossier_number}");
    assert!(t.pj(30).enabled);
    assert!(!t.pj(99).enabled, "unlisted PJs follow pj_default");
    let cols = t.tabular.unwrap().columns;
    assert_eq!(
        cols[0],
        ColumnSpec {
            id: "self/id".into(),
            header: Some("Numéro".into())
        }
    );
    assert_eq!(cols[1].id, "type_de_champ/2");
}

#[test]
fn errors_name_the_key_and_the_line() {
    let e = parse_err("version = 1\n[pdf]\nenabled = true\npattren = \"x\"\n");
    assert!(e.contains("line 4") && e.contains("pattren"), "{e}");
    let e = parse_err("version = 1\n\n[pdf]\npattern = \"x-{nope}\"\n");
    assert!(
        e.contains("line 4") && e.contains("`pdf.pattern`") && e.contains("{nope}"),
        "{e}"
    );
    let e = parse_err("version = 1\n[dossier_folder]\npattern = \"dossier-{dossier_depose_at}\"\n");
    assert!(
        e.contains("line 3")
            && e.contains("dossier_folder.pattern")
            && e.contains("{dossier_number}"),
        "{e}"
    );
    let e = parse_err("version = 1\n[[pj]]\nchamp = 14\n[[pj]]\nchamp = 77\n");
    assert!(
        e.contains("line 5") && e.contains("`pj[1].champ`") && e.contains("77"),
        "{e}"
    );
    let e = parse_err("version = 1\n[[pj]]\nchamp = 2\n");
    assert!(e.contains("not a pièce justificative"), "{e}");
    let e = parse_err("version = 1\n[pdf]\npattern = \"{champ:30}\"\n");
    assert!(e.contains("line 3") && e.contains("stable id 30"), "{e}");
    let e = parse_err("version = 2\n");
    assert!(e.contains("line 1") && e.contains("`version`"), "{e}");
    let e = parse_err("version = 1\ndemarche = 1\n");
    assert!(e.contains("line 2") && e.contains("12345"), "{e}");
    let e = parse_err("version = 1\n\n\n[[columns]]\nid = \"type_de_champ/99\"\n");
    assert!(e.contains("line 5") && e.contains("`columns[0].id`"), "{e}");
    let e = parse_err("name = \"x\"\n");
    assert!(e.contains("version"), "{e}");
}

#[test]
fn init_text_is_a_valid_template_listing_every_pj() {
    let d = demarche();
    let text = init::init_text(&d);
    let t = parse(&text, Path::new("init.toml"), &d).unwrap();
    assert_eq!(
        t.pjs.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        [14, 30]
    );
    assert_eq!(
        t.pj(14).pattern.as_str(),
        "budget-previsionnel-{dossier_number}"
    );
    let listing = init::listing(&d);
    assert!(listing.contains("{entreprise_siren}") && listing.contains("type_de_champ/14"));
}
