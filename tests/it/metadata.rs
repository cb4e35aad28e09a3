//! data/metadata.json and data/metadata.xml built from realistic dossiers
//! (tests/fixtures/metadata/), checked value by value, for determinism, and
//! against schemas/metadata.schema.json (formats asserted) and
//! schemas/metadata.xsd (xmllint).

use std::path::PathBuf;
use std::process::Command;

use ds_archive::metadata::{self, Context, Demandeur, Metadata, MetadataError};
use ds_archive::model::{Origin, StoredFile};
use serde_json::{json, Value};

const ARCHIVED_AT: &str = "2024-06-01T12:34:56+02:00";
const SOFTWARE: &str = "ds-archive 0.1.0";
const CASES: [&str; 5] = [
    "dossier-1001-en_construction",
    "dossier-1002-en_instruction",
    "dossier-1003-accepte",
    "dossier-1004-refuse",
    "dossier-1005-sans_suite",
];

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metadata")
}

fn read_json(name: &str) -> Value {
    let text = fs_err::read_to_string(fixtures().join(name)).expect("fixture");
    serde_json::from_str(&text).expect("fixture is JSON")
}

/// Spoils a valid metadata document.
type Tamper = fn(&mut Value);

/// Spoils a valid build input.
type Breaker = fn(&mut Case);

struct Case {
    demarche: Value,
    dossier: Value,
    files: Vec<StoredFile>,
}

impl Case {
    fn load(name: &str) -> Self {
        Self {
            demarche: read_json("demarche.json"),
            dossier: read_json(&format!("{name}.json")),
            files: serde_json::from_value(read_json(&format!("{name}.files.json")))
                .expect("files fixture"),
        }
    }

    fn ctx(&self) -> Context<'_> {
        Context {
            demarche: &self.demarche,
            dossier: &self.dossier,
            files: &self.files,
            software: SOFTWARE,
            archived_at: ARCHIVED_AT,
        }
    }

    fn build(&self) -> Result<Metadata, MetadataError> {
        metadata::build(&self.ctx())
    }
}

fn built(name: &str) -> (Metadata, Value) {
    let m = Case::load(name).build().expect("metadata builds");
    let v = serde_json::from_slice(&metadata::to_json(&m)).expect("output is JSON");
    (m, v)
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let schema: Value = serde_json::from_str(metadata::schema_json()).expect("schema is JSON");
    let validator = jsonschema::draft202012::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect()
}

/// `Some(Ok)` valid, `Some(Err(stderr))` invalid, `None` when xmllint is
/// absent and not required.
fn xmllint(xml: &[u8]) -> Option<Result<(), String>> {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("metadata.xml");
    fs_err::write(&path, xml).expect("write xml");
    let xsd = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schemas/metadata.xsd");
    let out = match Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&path)
        .output()
    {
        Ok(out) => out,
        Err(e) if std::env::var("DS_ARCHIVE_REQUIRE_TOOLS").as_deref() == Ok("1") => {
            panic!("xmllint is required (DS_ARCHIVE_REQUIRE_TOOLS=1) but cannot run: {e}")
        }
        Err(e) => {
            eprintln!(
                "skipping XSD validation: xmllint cannot run ({e}); apt-get install libxml2-utils"
            );
            return None;
        }
    };
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

#[test]
fn every_case_validates_against_the_json_schema_and_the_xsd() {
    for name in CASES {
        let (m, v) = built(name);
        let errors = schema_errors(&v);
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        if let Some(result) = xmllint(&metadata::to_xml(&m)) {
            result.unwrap_or_else(|e| panic!("{name}: XSD rejects the XML: {e}"));
        }
    }
}

#[test]
fn output_bytes_do_not_depend_on_run_or_file_order() {
    for name in CASES {
        let case = Case::load(name);
        let a = case.build().expect("builds");
        let mut shuffled = Case::load(name);
        shuffled.files.reverse();
        let half = shuffled.files.len() / 2;
        shuffled.files.rotate_left(half);
        let b = shuffled.build().expect("builds");
        assert_eq!(metadata::to_json(&a), metadata::to_json(&b), "{name}");
        assert_eq!(metadata::to_xml(&a), metadata::to_xml(&b), "{name}");
        let json = metadata::to_json(&a);
        let xml = metadata::to_xml(&a);
        assert!(json.ends_with(b"}\n") && xml.ends_with(b"</metadata>\n"));
        assert!(xml.starts_with(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<metadata xmlns=\"urn:ds-archive:metadata:1\">"));
        let paths: Vec<&str> = a.files.iter().map(|f| f.path.as_str()).collect();
        let mut sorted = paths.clone();
        sorted.sort_unstable();
        assert_eq!(paths, sorted, "{name}: files sorted by path");
    }
}

#[test]
fn keys_come_in_the_documented_order() {
    let (_, v) = built("dossier-1003-accepte");
    let keys: Vec<&str> = v
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        [
            "schema",
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
            "ds_state",
            "ds_state_label",
            "demarche",
            "groupe_instructeur",
            "demandeur",
            "deposited_by_third_party",
            "mandataire",
            "deciding_agent",
            "traitements",
            "labels",
            "date_expiration",
            "archived_at",
            "software",
            "files",
        ]
    );
    assert_eq!(v["schema"], metadata::SCHEMA_VERSION);
    assert_eq!(v["archived_at"], ARCHIVED_AT);
    assert_eq!(v["software"], SOFTWARE);
}

#[test]
fn file_entries_carry_exactly_the_contract_keys() {
    let (_, v) = built("dossier-1003-accepte");
    let files = v["files"].as_array().expect("files");
    assert_eq!(files.len(), 6);
    for f in files {
        let keys: Vec<&str> = f
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        let mut expected = vec![
            "path",
            "original_filename",
            "content_type",
            "size",
            "ds_checksum",
            "sha256",
        ];
        if f.get("sha512").is_some() {
            expected.push("sha512");
        }
        if f.get("created_at").is_some() {
            expected.push("created_at");
        }
        expected.extend(["origin", "format"]);
        assert_eq!(keys, expected, "{f}");
        assert!(f["format"]["mime_type"].is_string(), "{f}");
        assert!(f["format"]["name"].is_string(), "{f}");
    }
    // The PUID is left out when the bytes did not settle it.
    let (_, v4) = built("dossier-1004-refuse");
    let photo = &v4["files"][0];
    assert_eq!(photo["format"]["mime_type"], "image/jpeg", "{photo}");
    assert!(photo["format"].get("puid").is_none(), "{photo}");
    // sha512 and created_at are left out, not null, when unknown.
    let (_, v1) = built("dossier-1001-en_construction");
    assert!(v1["files"][0].get("sha512").is_none());
    let (_, v4) = built("dossier-1004-refuse");
    let annotation = v4["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["origin"]["kind"] == "annotation")
        .expect("annotation file");
    assert!(annotation.get("created_at").is_none());
}

#[test]
fn the_five_states_map_to_ds_legacy_names_and_french_labels() {
    let expected = [
        (
            "dossier-1001-en_construction",
            "initiated",
            "en_construction",
            "En construction",
        ),
        (
            "dossier-1002-en_instruction",
            "received",
            "en_instruction",
            "En instruction",
        ),
        ("dossier-1003-accepte", "closed", "accepte", "Accepté"),
        ("dossier-1004-refuse", "refused", "refuse", "Refusé"),
        (
            "dossier-1005-sans_suite",
            "without_continuation",
            "sans_suite",
            "Classé sans suite",
        ),
    ];
    for (name, legacy, v2, label) in expected {
        let (m, _) = built(name);
        assert_eq!(
            (
                m.state.as_str(),
                m.ds_state.as_str(),
                m.ds_state_label.as_str()
            ),
            (legacy, v2, label),
            "{name}"
        );
    }
}

#[test]
fn a_fresh_dossier_has_null_instruction_and_decision_dates() {
    let case = Case::load("dossier-1001-en_construction");
    let (_, v) = built("dossier-1001-en_construction");
    assert_eq!(v["id"], 1001);
    assert_eq!(v["created_at"], case.dossier["dateDepot"]);
    assert_eq!(v["initiated_at"], "2024-02-12T14:03:27+01:00");
    assert_eq!(v["updated_at"], case.dossier["dateDerniereModification"]);
    for key in [
        "received_at",
        "processed_at",
        "motivation",
        "deciding_agent",
        "date_expiration",
        "mandataire",
    ] {
        assert_eq!(v[key], Value::Null, "{key}");
        assert!(
            v.as_object().expect("object").contains_key(key),
            "{key} written as null"
        );
    }
    assert_eq!(v["email"], "usager@example.org");
    assert_eq!(v["email_instructeurs"], json!([]));
    assert_eq!(v["archived"], false);
    assert_eq!(
        v["demandeur"],
        json!({"type": "personne_physique", "civilite": "Mme", "nom": "Lefèvre", "prenom": "Anaïs",
               "email": "anais.lefevre@example.org", "date_de_naissance": "1984-06-29"})
    );
    assert_eq!(
        v["demarche"],
        json!({"number": 4242, "title": "Subvention « Équipements sportifs » 2024",
               "service": {"nom": "Direction des sports", "organisme": "Préfecture du Rhône",
                           "type_organisme": "service_deconcentre_de_l_etat", "siret": "17690001700017"}})
    );
    assert_eq!(
        v["traitements"],
        json!([{"event": "depose", "date": "2024-02-12T14:03:27+01:00", "agent": null, "motivation": null}])
    );
    assert_eq!(
        v["files"][0]["ds_checksum"], "",
        "generated PDF has no DS checksum"
    );
    assert_eq!(v["files"][0]["origin"], json!({"kind": "dossier_pdf"}));
}

#[test]
fn a_dossier_filed_by_a_third_party_names_the_mandataire_and_followers() {
    let (_, v) = built("dossier-1002-en_instruction");
    assert_eq!(v["received_at"], "2024-03-04T09:30:00+01:00");
    assert_eq!(v["processed_at"], Value::Null);
    assert_eq!(v["deposited_by_third_party"], true);
    assert_eq!(
        v["mandataire"],
        json!({"prenom": "Hélène", "nom": "Dubois-Ørsted"})
    );
    assert_eq!(v["demandeur"]["email"], "beneficiaire@example.net");
    assert_eq!(v["demandeur"]["date_de_naissance"], Value::Null);
    assert_eq!(
        v["email_instructeurs"],
        json!(["instructeur.b@rhone.gouv.fr", "instructeur.a@rhone.gouv.fr"])
    );
    assert_eq!(v["deciding_agent"], Value::Null, "no decision yet");
    assert_eq!(
        v["labels"],
        json!([{"name": "Urgent", "color": "pink_macaron"}, {"name": "Pièces à compléter", "color": "yellow_tournesol"}])
    );
    assert_eq!(v["files"], json!([]));
}

#[test]
fn a_company_dossier_keeps_its_identity_repetition_rows_and_decision() {
    let case = Case::load("dossier-1003-accepte");
    let m = case.build().expect("builds");
    let Demandeur::PersonneMorale(pm) = &m.demandeur else {
        panic!("expected personne morale, got {:?}", m.demandeur)
    };
    assert_eq!(pm.siret, "41816609600069");
    assert_eq!(
        pm.raison_sociale.as_deref(),
        Some("ASSOCIATION SPORTIVE LYON GERLAND")
    );
    assert_eq!(pm.siren.as_deref(), Some("418166096"));
    assert_eq!(pm.code_insee.as_deref(), Some("69381"));
    assert_eq!(pm.association_rna.as_deref(), Some("W691234567"));
    assert_eq!(pm.siege_social, Some(true));
    assert!(m.archived);
    assert_eq!(m.processed_at.as_deref(), Some("2024-04-18T17:22:05+02:00"));
    assert_eq!(
        m.date_expiration.as_deref(),
        Some("2025-04-18T17:22:05+02:00")
    );
    // Refused by B, reopened, then accepted by A: A decided.
    assert_eq!(
        m.deciding_agent.as_deref(),
        Some("instructeur.a@rhone.gouv.fr")
    );
    let events: Vec<&str> = m.traitements.iter().map(|t| t.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "depose",
            "passe_en_instruction",
            "refuse",
            "repasse_en_instruction",
            "accepte"
        ]
    );
    assert_eq!(
        m.traitements[2].motivation.as_deref(),
        Some("Pièce manquante")
    );

    let rows: Vec<(Option<u32>, Option<&str>)> = m
        .files
        .iter()
        .filter_map(|f| match &f.origin {
            Origin::Champ(c) if c.label == "Devis" => Some((c.row, c.repetition_label.as_deref())),
            _ => None,
        })
        .collect();
    assert_eq!(
        rows,
        [
            (Some(1), Some("Équipements demandés")),
            (Some(2), Some("Équipements demandés"))
        ]
    );

    // Digests and DS checksum are those of the stored file, not recomputed or reformatted.
    let budget = m
        .files
        .iter()
        .find(|f| f.original_filename == "budget.pdf")
        .expect("budget");
    let ds_file = &case.dossier["champs"][0]["files"][0];
    assert_eq!(
        budget.ds_checksum,
        ds_file["checksum"].as_str().expect("checksum")
    );
    assert_eq!(
        budget.size.to_string(),
        ds_file["byteSizeBigInt"].as_str().expect("size")
    );
    let stored = case
        .files
        .iter()
        .find(|f| f.bag_path == budget.path)
        .expect("stored");
    assert_eq!(budget.sha256, stored.digests.sha256);
    assert_eq!(budget.sha512, stored.digests.sha512);
    let cert = m
        .files
        .iter()
        .find(|f| matches!(f.origin, Origin::CompanyCertificate { .. }))
        .expect("certificate");
    assert_eq!(
        cert.path,
        "data/dossier/attestation_sociale-41816609600069.pdf"
    );
}

#[test]
fn an_automatic_refusal_has_no_deciding_agent() {
    let (m, v) = built("dossier-1004-refuse");
    assert_eq!(m.deciding_agent, None);
    assert_eq!(
        v["demandeur"],
        json!({"type": "personne_morale_incomplete", "siret": "13002526500013"})
    );
    assert_eq!(
        v["groupe_instructeur"],
        json!({"number": 502, "label": "Métropole de Lyon"})
    );
    let avis = m
        .files
        .iter()
        .find(|f| f.path.starts_with("data/avis/"))
        .expect("avis file");
    assert!(
        matches!(&avis.origin, Origin::Avis { expert: Some(e), .. } if e == "expert@cerema.fr")
    );
}

#[test]
fn hostile_strings_survive_json_exactly_and_xml_safely() {
    let case = Case::load("dossier-1005-sans_suite");
    let m = case.build().expect("builds");
    let hostile = case.dossier["motivation"].as_str().expect("motivation");
    assert!(hostile.contains('\u{1}') && hostile.contains('\r') && hostile.contains("<script>"));

    let v: Value = serde_json::from_slice(&metadata::to_json(&m)).expect("JSON");
    assert_eq!(v["motivation"], hostile);
    assert_eq!(v["demandeur"]["prenom"], "Zoë\u{0}\"");
    assert_eq!(v["labels"][0]["name"], "</label><evil/>");
    assert_eq!(v["traitements"][2]["agent"], "agent.é@rhone.gouv.fr");
    assert!(
        String::from_utf8(metadata::to_json(&m))
            .expect("UTF-8")
            .contains("中文"),
        "non-ASCII is not \\u-escaped"
    );

    let xml = metadata::to_xml(&m);
    assert!(
        xml.iter().all(|&b| b >= 0x20 || b == b'\n' || b == b'\t'),
        "no raw control character in the XML"
    );
    let expected_xml_text: String = hostile
        .chars()
        .map(|c| {
            if c.is_control() && !matches!(c, '\t' | '\n' | '\r') && (c as u32) < 0x20 {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect();
    assert_eq!(
        xml_text(&xml, "metadata", "motivation"),
        expected_xml_text,
        "CR kept, controls replaced"
    );
    assert_eq!(xml_text(&xml, "personne_physique", "nom"), "O'Brien <&>");
    // Sorted by path: data/dossier/motivation.pdf comes before data/messagerie/.
    assert_eq!(
        xml_text(&xml, "files", "original_filename"),
        "motivation <&>.pdf"
    );
    assert_eq!(xml_text(&xml, "message", "email"), "usager@example.org");
    assert_eq!(
        v["files"][1]["original_filename"],
        "pièce \"jointe\" <1>.png"
    );
}

/// The unescaped text of the first element named `name` that comes after
/// the start of an element named `after`.
fn xml_text(xml: &[u8], after: &str, name: &str) -> String {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let (mut seen_after, mut inside) = (false, false);
    loop {
        match reader.read_event_into(&mut buf).expect("well-formed XML") {
            Event::Start(e) if e.name().as_ref() == after.as_bytes() => seen_after = true,
            Event::Start(e) if seen_after && e.name().as_ref() == name.as_bytes() => inside = true,
            Event::Text(t) if inside => return t.unescape().expect("valid escapes").into_owned(),
            Event::End(_) if inside => return String::new(),
            Event::Eof => panic!("no <{name}> element"),
            _ => {}
        }
        buf.clear();
    }
}

#[test]
fn metadata_json_reads_back_into_the_same_value() {
    for name in CASES {
        let (m, _) = built(name);
        let back: Metadata = serde_json::from_slice(&metadata::to_json(&m)).expect("reads back");
        assert_eq!(back, m, "{name}");
    }
}

#[test]
fn documents_from_before_format_identification_still_validate_and_read() {
    for name in CASES {
        let (mut m, mut v) = built(name);
        for f in v["files"].as_array_mut().expect("files") {
            f.as_object_mut().expect("obj").remove("format");
        }
        for f in &mut m.files {
            f.format = None;
        }
        assert!(
            schema_errors(&v).is_empty(),
            "{name}: {:#?}",
            schema_errors(&v)
        );
        let back: Metadata = serde_json::from_value(v).expect("reads");
        assert_eq!(back, m, "{name}");
        if let Some(result) = xmllint(&metadata::to_xml(&m)) {
            result.unwrap_or_else(|e| panic!("{name}: XSD rejects the XML: {e}"));
        }
    }
}

#[test]
fn tampered_documents_fail_the_json_schema() {
    let (_, good) = built("dossier-1003-accepte");
    assert!(schema_errors(&good).is_empty());
    let tampers: [(&str, Tamper); 13] = [
        ("uppercase sha256", |v| {
            v["files"][0]["sha256"] = json!("A".repeat(64))
        }),
        ("short sha512", |v| {
            v["files"][0]["sha512"] = json!("ab".repeat(32))
        }),
        ("unknown state", |v| v["state"] = json!("archived")),
        ("state disagrees with ds_state", |v| {
            v["ds_state"] = json!("refuse")
        }),
        ("extra top-level key", |v| v["extra"] = json!(1)),
        ("extra file key", |v| {
            v["files"][0]["url"] = json!("https://x")
        }),
        ("missing file key", |v| {
            v["files"][0].as_object_mut().expect("obj").remove("sha256");
        }),
        ("impossible date (format asserted)", |v| {
            v["created_at"] = json!("2024-02-30T10:00:00+01:00")
        }),
        ("date without offset", |v| {
            v["updated_at"] = json!("2024-02-12T14:03:27")
        }),
        ("PUID that is not PRONOM's", |v| {
            v["files"][0]["format"]["puid"] = json!("pdf")
        }),
        ("format without its name", |v| {
            v["files"][0]["format"]
                .as_object_mut()
                .expect("obj")
                .remove("name");
        }),
        ("unknown origin kind", |v| {
            v["files"][0]["origin"] = json!({"kind": "geojson"})
        }),
        ("extra key in a champ origin", |v| {
            assert_eq!(v["files"][3]["origin"]["kind"], "champ");
            v["files"][3]["origin"]["url"] = json!("https://x");
        }),
    ];
    for (what, tamper) in tampers {
        let mut v = good.clone();
        tamper(&mut v);
        assert!(!schema_errors(&v).is_empty(), "schema accepted: {what}");
    }
}

#[test]
fn tampered_xml_fails_the_xsd() {
    let (m, _) = built("dossier-1003-accepte");
    let xml = String::from_utf8(metadata::to_xml(&m)).expect("UTF-8");
    let sha = &m.files[0].sha256;
    let tampers = [
        (
            "bad sha256",
            xml.replacen(sha.as_str(), &sha.to_uppercase(), 1),
        ),
        (
            "unknown state",
            xml.replacen("<state>closed</state>", "<state>archived</state>", 1),
        ),
        (
            "extra element",
            xml.replacen("<software>", "<extra>1</extra>\n  <software>", 1),
        ),
        (
            "date without offset",
            xml.replacen(
                "<archived_at>2024-06-01T12:34:56+02:00",
                "<archived_at>2024-06-01T12:34:56",
                1,
            ),
        ),
    ];
    for (what, bad) in tampers {
        assert_ne!(bad, xml, "{what}: tamper applied");
        if let Some(result) = xmllint(bad.as_bytes()) {
            assert!(result.is_err(), "XSD accepted: {what}");
        }
    }
}

#[test]
fn build_errors_name_the_dossier_and_the_field() {
    let cases: [(&str, Breaker, &str); 8] = [
        (
            "missing dateDepot",
            |c| {
                c.dossier.as_object_mut().expect("obj").remove("dateDepot");
            },
            "dossier 1003: field `dateDepot` is missing",
        ),
        (
            "unknown state",
            |c| c.dossier["state"] = json!("brouillon"),
            "dossier 1003: field `state` is invalid: unknown dossier state",
        ),
        (
            "null usager email",
            |c| c.dossier["usager"]["email"] = Value::Null,
            "dossier 1003: field `usager.email` is missing",
        ),
        (
            "bad traitement date",
            |c| c.dossier["traitements"][1]["dateTraitement"] = json!("10/03/2024"),
            "dossier 1003: field `traitements[1].dateTraitement` is invalid",
        ),
        (
            "other démarche",
            |c| c.demarche["number"] = json!(99),
            "dossier 1003: field `demarche.number` is invalid",
        ),
        (
            "metadata file listed",
            |c| c.files[0].bag_path = metadata::JSON_PATH.to_owned(),
            "dossier 1003: file `data/metadata.json` cannot be listed",
        ),
        (
            "duplicate path",
            |c| {
                let p = c.files[0].bag_path.clone();
                c.files[1].bag_path = p;
            },
            "listed twice",
        ),
        (
            "bad sha256",
            |c| c.files[2].digests.sha256 = "xyz".to_owned(),
            "its sha256 is not 64 lowercase hex digits",
        ),
    ];
    for (what, break_it, expected) in cases {
        let mut case = Case::load("dossier-1003-accepte");
        break_it(&mut case);
        let err = case.build().expect_err(what).to_string();
        assert!(err.contains(expected), "{what}: {err}");
    }
    let case = Case::load("dossier-1003-accepte");
    let ctx = Context {
        software: " ",
        ..case.ctx()
    };
    let err = metadata::build(&ctx)
        .expect_err("empty software")
        .to_string();
    assert!(err.contains("dossier 1003: field `software`"), "{err}");
    let ctx = Context {
        archived_at: "2024-06-01 12:34:56",
        ..case.ctx()
    };
    let err = metadata::build(&ctx)
        .expect_err("bad archived_at")
        .to_string();
    assert!(err.contains("dossier 1003: field `archived_at`"), "{err}");

    let mut nameless = Case::load("dossier-1003-accepte");
    nameless
        .dossier
        .as_object_mut()
        .expect("obj")
        .remove("number");
    let err = nameless.build().expect_err("no number").to_string();
    assert!(
        err.contains("\"RG9zc2llci0xMDAz\"") && err.contains("`number` is missing"),
        "{err}"
    );
}

#[test]
fn shipped_schemas_carry_the_published_identifiers() {
    let schema: Value = serde_json::from_str(metadata::schema_json()).expect("JSON");
    assert_eq!(schema["$id"], metadata::SCHEMA_VERSION);
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(
        schema["properties"]["schema"]["const"],
        metadata::SCHEMA_VERSION
    );
    assert!(jsonschema::draft202012::meta::is_valid(&schema));
    let xsd = metadata::schema_xsd();
    assert!(xsd.contains(&format!("targetNamespace=\"{}\"", metadata::XML_NAMESPACE)));
    assert!(xsd.contains(&format!("fixed=\"{}\"", metadata::SCHEMA_VERSION)));
}
