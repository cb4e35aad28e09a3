//! What a SIP's dossier unit says: the demandeur, the mandataire, the
//! lifecycle as Events, management rules that start per dossier, the
//! archiving profile check, and text free of control characters. Manifests
//! are parsed (a small tree over quick-xml) and compared with each bag's own
//! metadata.json, on the sample démarche archived from the fake DS API.

use std::path::{Path, PathBuf};

use ds_archive::seda::{self, verify_sip};
use serde_json::Value;

use crate::common::{have_tool, seda_args, text, Fake};
use crate::seda::fixture::{write_bundle, write_config, BundleSpec, FileSpec};

/// One XML element: local name, `id` attribute, its own text, children in order.
#[derive(Debug, Default)]
pub struct Node {
    pub name: String,
    pub id: Option<String>,
    pub text: String,
    pub children: Vec<Node>,
}

fn node(e: &quick_xml::events::BytesStart) -> Node {
    Node {
        name: String::from_utf8(e.local_name().as_ref().to_vec()).unwrap(),
        id: e
            .try_get_attribute("id")
            .unwrap()
            .map(|a| String::from_utf8(a.value.to_vec()).unwrap()),
        ..Node::default()
    }
}

impl Node {
    pub fn parse(xml: &str) -> Node {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack = vec![Node::default()];
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) => stack.push(node(&e)),
                Event::Empty(e) => stack.last_mut().unwrap().children.push(node(&e)),
                Event::Text(t) => stack.last_mut().unwrap().text += &t.unescape().unwrap(),
                Event::End(_) => {
                    let done = stack.pop().unwrap();
                    stack.last_mut().unwrap().children.push(done);
                }
                Event::Eof => break,
                _ => {}
            }
        }
        stack.pop().unwrap().children.pop().unwrap()
    }

    /// Direct children named `name`.
    pub fn all(&self, name: &str) -> Vec<&Node> {
        self.children.iter().filter(|c| c.name == name).collect()
    }

    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&str> {
        path.iter()
            .try_fold(self, |n, p| n.child(p))
            .map(|n| n.text.trim())
    }

    pub fn walk<'a>(&'a self, out: &mut Vec<&'a Node>) {
        out.push(self);
        for c in &self.children {
            c.walk(out);
        }
    }

    /// Every descendant (and self) named `name`.
    pub fn find_all(&self, name: &str) -> Vec<&Node> {
        let mut all = Vec::new();
        self.walk(&mut all);
        all.into_iter().filter(|n| n.name == name).collect()
    }
}

pub fn manifest(zip_path: &Path) -> Node {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(fs_err::File::open(zip_path).unwrap()).unwrap();
    let mut xml = String::new();
    zip.by_name("manifest.xml")
        .unwrap()
        .read_to_string(&mut xml)
        .unwrap();
    Node::parse(&xml)
}

/// The dossier unit (`AU-<n>`) of a manifest.
pub fn dossier_unit(root: &Node, n: u64) -> &Node {
    let id = format!("AU-{n}");
    root.find_all("ArchiveUnit")
        .into_iter()
        .find(|u| u.id.as_deref() == Some(id.as_str()))
        .unwrap_or_else(|| panic!("no unit {id}"))
}

fn metadata(archive: &Path, n: u64) -> Value {
    let bytes = fs_err::read(archive.join(format!("dossier-{n}/data/metadata.json"))).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

fn sip_of(out: &seda::SedaOutcome, n: u64) -> PathBuf {
    out.sips
        .iter()
        .find(|s| s.dossiers == [n])
        .unwrap_or_else(|| panic!("no SIP for {n}"))
        .path
        .clone()
}

fn assert_xsd_valid(sip: &Path) {
    let report = verify_sip(sip);
    assert!(report.is_valid(), "{sip:?}: {:#?}", report.problems);
    if have_tool("xmllint") {
        assert_eq!(report.xsd_valid, Some(true), "{sip:?}");
    }
}

const MANDATAIRE: u64 = 1_030_009; // accepté, filed by a mandataire
const COMPANY: u64 = 1_030_002; // en instruction, a personne morale

#[test]
fn sample_sips_say_who_what_and_when() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let run = fake.archive(
        &archive,
        &[
            "--state",
            "accepte",
            "--state",
            "en_instruction",
            "--no-zip",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let config = write_config(
        dir.path(),
        "archival_profile = \"PR-DS-1\"\n\
         required_elements = [\"Sender\", \"Event\", \"AppraisalRule\"]\n\
         [appraisal_rule]\nrule = \"APP-00001\"\nstart = \"decision\"\n\
         [access_rule]\nrule = \"ACC-00001\"\nstart = \"deposit\"\n",
    );

    for profile in [seda::Profile::Vitam, seda::Profile::Asalae] {
        let mut a = seda_args(&archive, &dir.path().join(format!("{profile:?}")), &config);
        a.profile = Some(profile);
        a.dossiers = vec![MANDATAIRE, COMPANY];
        let out = seda::run(&a).unwrap();
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);

        // A person filed by a mandataire, decided.
        let sip = sip_of(&out, MANDATAIRE);
        assert_xsd_valid(&sip);
        let root = manifest(&sip);
        let mm = root
            .child("DataObjectPackage")
            .unwrap()
            .child("ManagementMetadata")
            .unwrap();
        assert_eq!(mm.children[0].name, "ArchivalProfile");
        assert_eq!(mm.children[0].text, "PR-DS-1");
        assert!(
            mm.child("AppraisalRule").is_none(),
            "rules start per dossier"
        );
        let meta = metadata(&archive, MANDATAIRE);
        let unit = dossier_unit(&root, MANDATAIRE);
        let d = &meta["demandeur"];
        let sender = unit.at(&["Content", "Sender", "FullName"]).unwrap();
        let expected = format!(
            "{} {} {}",
            d["civilite"].as_str().unwrap(),
            d["prenom"].as_str().unwrap(),
            d["nom"].as_str().unwrap()
        );
        assert_eq!(sender, expected);
        assert_eq!(
            unit.at(&["Content", "Sender", "GivenName"]),
            d["nom"].as_str()
        );
        let m = &meta["mandataire"];
        assert_eq!(
            unit.at(&["Content", "Transmitter", "GivenName"]),
            m["nom"].as_str()
        );
        let events = unit.child("Content").unwrap().all("Event");
        let codes: Vec<&str> = events
            .iter()
            .map(|e| e.at(&["EventTypeCode"]).unwrap())
            .collect();
        assert_eq!(codes, ["depose", "passe_en_instruction", "accepte"]);
        let decision = events[2];
        assert_eq!(
            decision.at(&["EventDateTime"]),
            meta["processed_at"].as_str()
        );
        assert_eq!(decision.at(&["Outcome"]), Some("Accepté"));
        assert_eq!(decision.at(&["EventDetail"]), meta["motivation"].as_str());
        assert_eq!(
            decision.at(&["LinkingAgentIdentifier", "LinkingAgentIdentifierValue"]),
            meta["deciding_agent"].as_str()
        );
        assert_eq!(
            events[0].at(&["EventDateTime"]),
            meta["initiated_at"].as_str()
        );
        let management = unit.child("Management").unwrap();
        assert_eq!(
            management.at(&["AppraisalRule", "StartDate"]),
            Some(&meta["processed_at"].as_str().unwrap()[..10])
        );
        assert_eq!(
            management.at(&["AccessRule", "StartDate"]),
            Some(&meta["initiated_at"].as_str().unwrap()[..10])
        );

        // A company, not decided yet: the appraisal rule starts at its last
        // modification, and there is no decision event.
        let sip = sip_of(&out, COMPANY);
        assert_xsd_valid(&sip);
        let root = manifest(&sip);
        let meta = metadata(&archive, COMPANY);
        let unit = dossier_unit(&root, COMPANY);
        let d = &meta["demandeur"];
        assert_eq!(d["type"], "personne_morale");
        assert_eq!(
            unit.at(&["Content", "Sender", "Corpname"]),
            d["raison_sociale"].as_str()
        );
        assert_eq!(
            unit.at(&["Content", "Sender", "Identifier"]),
            d["siret"].as_str()
        );
        assert!(unit.at(&["Content", "Transmitter"]).is_none());
        assert!(unit
            .child("Content")
            .unwrap()
            .all("Event")
            .iter()
            .all(|e| e.child("Outcome").is_none()));
        assert_eq!(
            unit.at(&["Management", "AppraisalRule", "StartDate"]),
            Some(&meta["updated_at"].as_str().unwrap()[..10])
        );
    }

    // The policy switch: no person named, no instructeur e-mail; the company
    // still is.
    let names_off = write_config(
        dir.path(),
        "personal_names = false\n[appraisal_rule]\nrule = \"APP-00001\"\n",
    );
    let mut a = seda_args(&archive, &dir.path().join("anonymous"), &names_off);
    a.dossiers = vec![MANDATAIRE, COMPANY];
    let out = seda::run(&a).unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let sip = sip_of(&out, MANDATAIRE);
    assert_xsd_valid(&sip);
    let root = manifest(&sip);
    let meta = metadata(&archive, MANDATAIRE);
    let unit = dossier_unit(&root, MANDATAIRE);
    assert!(unit.at(&["Content", "Sender"]).is_none());
    assert!(unit.at(&["Content", "Transmitter"]).is_none());
    assert!(root.find_all("LinkingAgentIdentifier").is_empty());
    assert_eq!(unit.child("Content").unwrap().all("Event").len(), 3);
    let mut all = Vec::new();
    root.walk(&mut all);
    for name in [&meta["demandeur"]["nom"], &meta["mandataire"]["nom"]] {
        let name = name.as_str().unwrap();
        assert!(
            all.iter().all(|n| !n.text.contains(name)),
            "{name} appears in the manifest"
        );
    }
    let company = manifest(&sip_of(&out, COMPANY));
    assert!(dossier_unit(&company, COMPANY)
        .at(&["Content", "Sender", "Corpname"])
        .is_some());
}

#[test]
fn control_characters_and_non_xml_ones_never_reach_titles_or_descriptions() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    fs_err::create_dir_all(&archive).unwrap();
    let mut spec = BundleSpec::sample(4);
    spec.files.push(FileSpec::new(
        "data/pieces_justificatives/RIB/tab.pdf",
        b"%PDF-1.4 tab",
        // U+FFFE and U+FFFF: valid in JSON, forbidden in XML.
        Some("Relevé\tbancaire\n(copie)\r\n\u{7}\u{fffe}\u{ffff}.pdf"),
        "champ",
    ));
    write_bundle(&archive, &spec);
    let config = write_config(dir.path(), "");
    let out = seda::run(&seda_args(&archive, &dir.path().join("sips"), &config)).unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    let sip = &out.sips[0].path;
    assert_xsd_valid(sip);
    let root = manifest(sip);
    let titles: Vec<&str> = root
        .find_all("Title")
        .iter()
        .map(|t| t.text.as_str())
        .collect();
    assert!(
        titles.contains(&"Relevé bancaire (copie) .pdf"),
        "{titles:?}"
    );
    for element in ["Title", "Description", "Filename"] {
        for node in root.find_all(element) {
            assert!(
                !node
                    .text
                    .chars()
                    .any(|c| c.is_control() || c == '\u{fffe}' || c == '\u{ffff}'),
                "{element} {:?}",
                node.text
            );
        }
    }
}

#[test]
fn the_archiving_profile_is_checked_before_any_sip_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    fs_err::create_dir_all(&archive).unwrap();
    // The synthetic bag's metadata names no demandeur.
    write_bundle(&archive, &BundleSpec::sample(5));
    let config = write_config(dir.path(), "required_elements = [\"Sender\", \"Event\"]\n");
    let sips = dir.path().join("sips");
    let out = seda::run(&seda_args(&archive, &sips, &config)).unwrap();
    assert!(out.sips.is_empty());
    assert_eq!(out.skipped.len(), 1);
    let reason = &out.skipped[0].reason;
    assert!(
        reason.contains("dossier 5") && reason.contains("`Sender`"),
        "{reason}"
    );
    assert_eq!(
        fs_err::read_dir(&sips).unwrap().count(),
        0,
        "nothing written"
    );
    assert_eq!(seda::command(&seda_args(&archive, &sips, &config)), 1);

    // An element only the configuration can give stops the command first.
    let config = write_config(dir.path(), "required_elements = [\"ArchivalProfile\"]\n");
    let err = seda::run(&seda_args(&archive, &dir.path().join("o2"), &config)).unwrap_err();
    assert!(matches!(err, seda::SedaError::Config(_)), "{err:?}");
    assert!(err.to_string().contains("`ArchivalProfile`"), "{err}");
    assert!(!dir.path().join("o2").exists());
    assert_eq!(
        seda::command(&seda_args(&archive, &dir.path().join("o2"), &config)),
        2
    );
}
