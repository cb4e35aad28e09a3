//! `ds-archive seda` and `verify_sip` end to end, on synthetic archive folders
//! built by [`fixture`] the way `ds-archive archive` lays them out.

use std::io::Write;
use std::path::{Path, PathBuf};

use ds_archive::seda::{self, verify_sip};

/// Builders for archive folders: BagIt bags `dossier-<N>/` and their zips.
pub mod fixture {
    use std::io::Write;
    use std::path::{Path, PathBuf};

    use serde_json::{json, Value};
    use sha2::{Digest, Sha256, Sha512};

    /// One payload file.
    pub struct FileSpec {
        /// Bag path, `data/...`.
        pub path: String,
        /// Bytes.
        pub bytes: Vec<u8>,
        /// Name the usager uploaded (metadata.json `original_filename`).
        pub original: Option<String>,
        /// Origin kind (champ, message...).
        pub kind: &'static str,
    }

    /// A dossier bundle to write.
    pub struct BundleSpec {
        /// Dossier number.
        pub number: u64,
        /// Legacy state (closed, refused...).
        pub state: &'static str,
        /// Attachments (dossier.json and metadata.json are added).
        pub files: Vec<FileSpec>,
        /// dossier.json "dossier" part.
        pub dossier: Value,
    }

    impl BundleSpec {
        /// A closed dossier with a PJ, a message attachment and a decision PDF.
        pub fn sample(number: u64) -> Self {
            Self {
                number,
                state: "closed",
                files: vec![
                    FileSpec::new(
                        "data/pieces_justificatives/RIB/releve.pdf",
                        b"%PDF-1.4 rib",
                        Some("Relevé d'identité bancaire (copie).pdf"),
                        "champ",
                    ),
                    FileSpec::new(
                        "data/messagerie/2024-04-02/note.txt",
                        b"bonjour",
                        None,
                        "message",
                    ),
                    FileSpec::new(
                        "data/dossier/attestation.pdf",
                        b"%PDF-1.4 att",
                        None,
                        "attestation",
                    ),
                ],
                dossier: sample_dossier(number),
            }
        }
    }

    impl FileSpec {
        /// A file.
        pub fn new(path: &str, bytes: &[u8], original: Option<&str>, kind: &'static str) -> Self {
            Self {
                path: path.to_owned(),
                bytes: bytes.to_vec(),
                original: original.map(str::to_owned),
                kind,
            }
        }
    }

    /// The `dossier` object of dossier.json, with champs, a répétition and
    /// annotations.
    pub fn sample_dossier(number: u64) -> Value {
        json!({
            "__typename": "Dossier", "id": format!("RG9zc2llci0{number}"), "number": number,
            "archived": true, "state": "accepte",
            "usager": {"id": "u1", "email": format!("usager{number}@example.org")},
            "demandeur": {"__typename": "PersonnePhysique", "id": "d1", "civilite": "Mme",
                          "nom": "Dupont", "prenom": "Émilie", "dateDeNaissance": null, "email": null},
            "instructeurs": [{"id": "i1", "email": "a@admin.fr"}, {"id": "i2", "email": "b@admin.fr"}],
            "groupeInstructeur": {"id": "g", "number": 5, "label": "Nord", "closed": false},
            "demarche": {"id": "dm", "number": 42, "title": "Aide aux \"projets\" <locaux>"},
            "champs": [
                {"__typename": "TextChamp", "id": "c1", "champDescriptorId": "d-c1", "label": "Nom du projet",
                 "stringValue": format!("Projet, \"n°{number}\"\nsur deux lignes")},
                {"__typename": "HeaderSectionChamp", "id": "h", "champDescriptorId": "d-h", "label": "Section", "stringValue": null},
                {"__typename": "RepetitionChamp", "id": "r", "champDescriptorId": "d-r", "label": "Membres",
                 "stringValue": null,
                 "rows": [
                    {"id": "row1", "champs": [
                        {"__typename": "TextChamp", "id": "m1", "champDescriptorId": "d-m", "label": "Nom", "stringValue": "Alice"},
                        {"__typename": "IntegerNumberChamp", "id": "a1", "champDescriptorId": "d-a", "label": "Âge", "stringValue": "30"}]},
                    {"id": "row2", "champs": [
                        {"__typename": "TextChamp", "id": "m2", "champDescriptorId": "d-m", "label": "Nom", "stringValue": "Bob"},
                        {"__typename": "IntegerNumberChamp", "id": "a2", "champDescriptorId": "d-a", "label": "Âge", "stringValue": "41"}]}
                 ]},
                {"__typename": "PieceJustificativeChamp", "id": "p", "champDescriptorId": "d-p", "label": "RIB",
                 "stringValue": "releve.pdf", "files": []}
            ],
            "annotations": [
                {"__typename": "TextChamp", "id": "n1", "champDescriptorId": "d-n1", "label": "Avis interne",
                 "stringValue": "favorable"}
            ]
        })
    }

    fn encode_path(p: &str) -> String {
        p.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    }

    /// Write `dossier-<N>/` in `archive_dir`; returns the bag folder.
    pub fn write_bundle(archive_dir: &Path, spec: &BundleSpec) -> PathBuf {
        let n = spec.number;
        let bag = archive_dir.join(format!("dossier-{n}"));
        let files_meta: Vec<Value> = spec
            .files
            .iter()
            .map(|f| {
                json!({
                    "path": f.path,
                    "original_filename": f.original.clone().unwrap_or_else(|| f.path.rsplit('/').next().unwrap_or_default().to_owned()),
                    "content_type": if f.path.ends_with(".pdf") { "application/pdf" } else { "text/plain" },
                    "size": f.bytes.len(),
                    "sha256": hex::encode(Sha256::digest(&f.bytes)),
                    "origin": {"kind": f.kind, "label": "RIB"},
                })
            })
            .collect();
        let metadata = json!({
            "id": n, "created_at": "2024-03-01T09:00:00+01:00", "updated_at": "2024-05-10T12:00:00+02:00",
            "state": spec.state, "ds_state": "accepte",
            "initiated_at": "2024-03-02T10:00:00+01:00", "received_at": "2024-04-01T10:00:00+02:00",
            "processed_at": "2024-05-03T16:00:00+02:00", "motivation": "Dossier complet",
            "email_instructeurs": "a@admin.fr",
            "demarche": {"number": 42, "title": "Aide aux \"projets\" <locaux>"},
            "groupe_instructeur": {"number": 5, "label": "Nord"},
            "files": files_meta,
        });
        let dossier_json = json!({
            "demarche": {"id": "dm", "number": 42, "title": "Aide aux \"projets\" <locaux>", "state": "publiee"},
            "dossier": spec.dossier,
        });
        let mut payload: Vec<(String, Vec<u8>)> = spec
            .files
            .iter()
            .map(|f| (f.path.clone(), f.bytes.clone()))
            .collect();
        payload.push((
            "data/dossier.json".into(),
            serde_json::to_vec_pretty(&dossier_json).unwrap_or_default(),
        ));
        payload.push((
            "data/metadata.json".into(),
            serde_json::to_vec_pretty(&metadata).unwrap_or_default(),
        ));
        payload.push((
            "data/metadata.xml".into(),
            b"<?xml version=\"1.0\"?><dossier/>\n".to_vec(),
        ));
        payload.sort();
        let mut m256 = String::new();
        let mut m512 = String::new();
        for (path, bytes) in &payload {
            let target = bag.join(path);
            fs_err::create_dir_all(target.parent().expect("parent")).expect("mkdir");
            fs_err::write(&target, bytes).expect("write payload");
            m256.push_str(&format!(
                "{}  {}\n",
                hex::encode(Sha256::digest(bytes)),
                encode_path(path)
            ));
            m512.push_str(&format!(
                "{}  {}\n",
                hex::encode(Sha512::digest(bytes)),
                encode_path(path)
            ));
        }
        fs_err::write(
            bag.join("bagit.txt"),
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        )
        .expect("bagit");
        fs_err::write(
            bag.join("bag-info.txt"),
            format!("External-Identifier: dossier-{n}\n"),
        )
        .expect("info");
        fs_err::write(bag.join("manifest-sha256.txt"), &m256).expect("m256");
        fs_err::write(bag.join("manifest-sha512.txt"), &m512).expect("m512");
        let tag = format!(
            "{}  manifest-sha256.txt\n{}  manifest-sha512.txt\n",
            hex::encode(Sha256::digest(m256.as_bytes())),
            hex::encode(Sha256::digest(m512.as_bytes()))
        );
        fs_err::write(bag.join("tagmanifest-sha256.txt"), tag).expect("tag");
        bag
    }

    /// Zip `dossier-<N>/` into `dossier-<N>.zip` (one top folder), optionally
    /// removing the folder; returns the zip path.
    pub fn zip_bundle(archive_dir: &Path, number: u64, remove_folder: bool) -> PathBuf {
        let name = format!("dossier-{number}");
        let dir = archive_dir.join(&name);
        let zip_path = archive_dir.join(format!("{name}.zip"));
        let mut zip = zip::ZipWriter::new(fs_err::File::create(&zip_path).expect("zip"));
        let options = zip::write::SimpleFileOptions::default();
        for entry in walkdir::WalkDir::new(&dir).sort_by_file_name() {
            let entry = entry.expect("walk");
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(&dir)
                .expect("rel")
                .to_string_lossy()
                .replace('\\', "/");
            zip.start_file(format!("{name}/{rel}"), options)
                .expect("entry");
            zip.write_all(&fs_err::read(entry.path()).expect("read"))
                .expect("write");
        }
        zip.finish().expect("finish");
        if remove_folder {
            fs_err::remove_dir_all(&dir).expect("rm");
        }
        zip_path
    }

    /// A minimal valid SEDA config.
    pub fn write_config(dir: &Path, extra: &str) -> PathBuf {
        let path = dir.join("seda.toml");
        fs_err::write(
            &path,
            format!(
                "archival_agency_identifier = \"FRAN_NP_000002\"\n\
                 transferring_agency_identifier = \"FRAN_NP_000001\"\n\
                 archival_agreement = \"IC-000001\"\n\
                 originating_agency_identifier = \"FRAN_NP_000001\"\n{extra}"
            ),
        )
        .expect("config");
        path
    }
}

use crate::common::{seda_args, zip_entries};
use fixture::{write_bundle, write_config, zip_bundle, BundleSpec, FileSpec};

fn have_xmllint() -> bool {
    crate::common::have_tool("xmllint")
}

fn manifest_of(path: &Path) -> String {
    let entries = zip_entries(path);
    let (_, bytes) = entries
        .iter()
        .find(|(n, _)| n == "manifest.xml")
        .expect("manifest.xml");
    String::from_utf8(bytes.clone()).expect("utf-8")
}

/// Validate with the repository's schemas/ and catalog, as a user would.
fn xmllint_repo_schema(manifest: &str) {
    let tmp = tempfile::tempdir().expect("tmp");
    let file = tmp.path().join("manifest.xml");
    fs_err::write(&file, manifest).expect("write");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("xmllint")
        .env("XML_CATALOG_FILES", root.join("schemas/catalog.xml"))
        .args(["--nonet", "--noout", "--schema"])
        .arg(root.join("schemas/seda-2.2/seda-2.2-main.xsd"))
        .arg(&file)
        .output()
        .expect("xmllint");
    assert!(
        out.status.success(),
        "manifest fails SEDA 2.2 XSD:\n{}\n{manifest}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every check a produced SIP must pass.
fn assert_good_sip(path: &Path, algorithm: &str) {
    let report = verify_sip(path);
    assert!(report.is_valid(), "{path:?}: {:#?}", report.problems);
    let entries = zip_entries(path);
    assert_eq!(entries[0].0, "manifest.xml", "manifest first");
    for (name, _) in &entries[1..] {
        let rest = name
            .strip_prefix("Content/")
            .expect("only Content/ beside manifest.xml");
        assert!(
            seda::names::is_safe_content_name(rest),
            "unsafe name {name}"
        );
    }
    let manifest = manifest_of(path);
    assert!(manifest.contains(&format!("algorithm=\"{algorithm}\"")));
    assert!(!manifest.contains("<Size>0</Size>"));
    assert!(!manifest.contains("<!--"));
    if have_xmllint() {
        assert_eq!(report.xsd_valid, Some(true));
        xmllint_repo_schema(&manifest);
    }
}

#[test]
fn per_dossier_vitam_sips_are_valid_and_keep_original_names() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (archive, out) = (tmp.path().join("archive"), tmp.path().join("sips"));
    fs_err::create_dir_all(&archive).expect("mkdir");
    let mut hostile = BundleSpec::sample(7);
    hostile.files.push(FileSpec::new(
        "data/pieces_justificatives/Pièce/_#<!--évil--> name (1).PDF",
        b"pdf",
        Some("_#<!--évil--> name (1).PDF"),
        "champ",
    ));
    hostile.files.push(FileSpec::new(
        "data/avis/vide.txt",
        b"",
        Some("vide.txt"),
        "avis",
    ));
    write_bundle(&archive, &hostile);
    write_bundle(&archive, &BundleSpec::sample(12));
    zip_bundle(&archive, 12, true); // only the zip is left for 12
    let config = write_config(tmp.path(), "");

    let outcome = seda::run(&seda_args(&archive, &out, &config)).expect("run");
    assert!(outcome.skipped.is_empty(), "{:?}", outcome.skipped);
    let names: Vec<String> = outcome
        .sips
        .iter()
        .map(|s| {
            s.path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(names, ["DS-42-dossier-7.zip", "DS-42-dossier-12.zip"]);
    for sip in &outcome.sips {
        assert_good_sip(&sip.path, "SHA-512");
    }
    let m7 = manifest_of(&outcome.sips[0].path);
    assert!(m7.contains("<MessageIdentifier>DS-42-dossier-7</MessageIdentifier>"));
    assert!(m7.contains("<Filename>Relevé d'identité bancaire (copie).pdf</Filename>"));
    assert!(
        m7.contains("<Title>Aide aux \"projets\" ‹locaux› - dossier 7</Title>"),
        "{m7}"
    );
    // The hostile name is kept, minus what Vitam refuses.
    assert!(m7.contains("‹!--évil--› name (1).PDF"), "{m7}");
    // 3 attachments + 2 hostile/empty + dossier.json, metadata.json/xml = 8 objects.
    assert_eq!(outcome.sips[0].objects, 8);
    assert!(m7.contains(
        "<OriginatingAgencyArchiveUnitIdentifier>7</OriginatingAgencyArchiveUnitIdentifier>"
    ));
    assert!(m7.contains("<StartDate>2024-03-02</StartDate>"));
    assert!(m7.contains("<EndDate>2024-05-03</EndDate>"));
    // The empty file is declared without Size.
    let empty = m7
        .split("<BinaryDataObject")
        .find(|b| b.contains("vide.txt"))
        .expect("empty obj");
    assert!(!empty.contains("<Size>"), "{empty}");
}

#[test]
fn asalae_profile_uses_sha256() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (archive, out) = (tmp.path().join("a"), tmp.path().join("o"));
    fs_err::create_dir_all(&archive).expect("mkdir");
    write_bundle(&archive, &BundleSpec::sample(3));
    let config = write_config(
        tmp.path(),
        "[access_rule]\nrule = \"ACC-00002\"\nstart_date = \"2024-01-01\"\n\
         [appraisal_rule]\nrule = \"APP-00001\"\nfinal_action = \"Destroy\"\n",
    );
    let mut a = seda_args(&archive, &out, &config);
    a.profile = Some(seda::Profile::Asalae);
    let outcome = seda::run(&a).expect("run");
    assert_eq!(outcome.sips.len(), 1);
    assert_good_sip(&outcome.sips[0].path, "SHA-256");
    let m = manifest_of(&outcome.sips[0].path);
    assert!(
        m.contains("<Rule>ACC-00002</Rule>") && m.contains("<FinalAction>Destroy</FinalAction>")
    );
}

#[test]
fn batches_split_under_max_objects() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (archive, out) = (tmp.path().join("a"), tmp.path().join("o"));
    fs_err::create_dir_all(&archive).expect("mkdir");
    for n in [1, 2, 3] {
        write_bundle(&archive, &BundleSpec::sample(n));
    }
    let config = write_config(tmp.path(), "");
    // One sample dossier weighs 1 + 4 groups + 6 items + 6 objects = 17.
    let mut a = seda_args(&archive, &out, &config);
    a.max_objects = Some(40);
    let outcome = seda::run(&a).expect("run");
    let groups: Vec<Vec<u64>> = outcome.sips.iter().map(|s| s.dossiers.clone()).collect();
    assert_eq!(groups, [vec![1, 2], vec![3]]);
    assert!(outcome.sips[0].path.ends_with("DS-42-dossiers-1-2.zip"));
    for sip in &outcome.sips {
        assert_good_sip(&sip.path, "SHA-512");
    }
    // Size limit: one dossier per SIP.
    let mut b = seda_args(&archive, &tmp.path().join("o2"), &config);
    b.max_size = Some(10);
    assert_eq!(seda::run(&b).expect("run").sips.len(), 3);
}

#[test]
fn a_tampered_or_incomplete_bundle_is_skipped() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (archive, out) = (tmp.path().join("a"), tmp.path().join("o"));
    fs_err::create_dir_all(&archive).expect("mkdir");
    let bag = write_bundle(&archive, &BundleSpec::sample(1));
    fs_err::write(bag.join("data/dossier/attestation.pdf"), b"changed").expect("tamper");
    let bag2 = write_bundle(&archive, &BundleSpec::sample(2));
    fs_err::remove_file(bag2.join("data/messagerie/2024-04-02/note.txt")).expect("rm");
    write_bundle(&archive, &BundleSpec::sample(3));
    let config = write_config(tmp.path(), "");
    let mut a = seda_args(&archive, &out, &config);
    a.dossiers = vec![1, 2, 3, 99];
    let outcome = seda::run(&a).expect("run");
    assert_eq!(outcome.sips.len(), 1);
    assert_eq!(outcome.sips[0].dossiers, [3]);
    let skipped: Vec<(u64, &str)> = outcome
        .skipped
        .iter()
        .map(|s| (s.dossier, s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert!(skipped[0].1.contains("attestation.pdf"), "{skipped:?}");
    assert!(skipped[1].1.contains("note.txt"), "{skipped:?}");
    assert_eq!(skipped[2].0, 99);
    assert_eq!(seda::command(&a), 1);
    // No SIP or temp file for the bad dossiers.
    let names: Vec<String> = fs_err::read_dir(&out)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["DS-42-dossier-3.zip"]);
}

#[test]
fn same_input_and_date_give_identical_sips() {
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = tmp.path().join("a");
    fs_err::create_dir_all(&archive).expect("mkdir");
    write_bundle(&archive, &BundleSpec::sample(5));
    let config = write_config(tmp.path(), "");
    let one = seda::run(&seda_args(&archive, &tmp.path().join("o1"), &config)).expect("run");
    let two = seda::run(&seda_args(&archive, &tmp.path().join("o2"), &config)).expect("run");
    assert_eq!(
        fs_err::read(&one.sips[0].path).expect("read"),
        fs_err::read(&two.sips[0].path).expect("read")
    );
}

#[test]
fn bad_config_is_fatal() {
    let tmp = tempfile::tempdir().expect("tmp");
    let config = write_config(tmp.path(), "digest_algorithm = \"MD5\"\n");
    let a = seda_args(tmp.path(), &tmp.path().join("o"), &config);
    assert_eq!(seda::command(&a), 2);
}

/// Vitam's test SIP `OK_468` (SEDA 2.1), vendored in `schemas/examples/`.
fn example_sip() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schemas/examples/vitam-sedatools-OK_468/OK_468.zip");
    assert!(p.is_file(), "{p:?} is part of the repository");
    Some(p)
}

/// A copy of `from` with one byte of the example's PDF flipped.
fn flip_a_pdf_byte(from: &Path, to: &Path) {
    rewrite_zip(
        from,
        to,
        |n, mut b| {
            if n == "Content/cad_2005_010_BATI.pdf" {
                b[100] ^= 1;
            }
            Some(b)
        },
        &[],
    );
}

/// Rewrite a zip, changing entries with `edit` (None drops the entry) and
/// appending `extra`.
fn rewrite_zip(
    from: &Path,
    to: &Path,
    edit: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>,
    extra: &[(&str, &[u8])],
) {
    let mut w = zip::ZipWriter::new(fs_err::File::create(to).expect("create"));
    for (name, bytes) in zip_entries(from) {
        if name.ends_with('/') {
            continue;
        }
        if let Some(b) = edit(&name, bytes) {
            w.start_file(name, zip::write::SimpleFileOptions::default())
                .expect("start");
            w.write_all(&b).expect("write");
        }
    }
    for (name, bytes) in extra {
        w.start_file(*name, zip::write::SimpleFileOptions::default())
            .expect("start");
        w.write_all(bytes).expect("write");
    }
    w.finish().expect("finish");
}

#[test]
fn example_seda_21_sip_verifies_and_tampered_copies_do_not() {
    let Some(example) = example_sip() else { return };
    let report = verify_sip(&example);
    assert!(report.is_valid(), "{:#?}", report.problems);
    assert_eq!(report.objects, 2);
    assert_eq!(report.seda_version.as_deref(), Some("2.1"));
    if have_xmllint() {
        assert_eq!(report.xsd_valid, Some(true));
    }

    let tmp = tempfile::tempdir().expect("tmp");
    let codes =
        |p: &Path| -> Vec<&'static str> { verify_sip(p).problems.iter().map(|p| p.code).collect() };

    let flipped = tmp.path().join("flipped.zip");
    flip_a_pdf_byte(&example, &flipped);
    assert_eq!(codes(&flipped), ["E_SIP_DIGEST"]);

    let truncated = tmp.path().join("truncated.zip");
    rewrite_zip(
        &example,
        &truncated,
        |n, b| {
            Some(if n.ends_with("BATI.pdf") {
                b[..10].to_vec()
            } else {
                b
            })
        },
        &[],
    );
    assert_eq!(codes(&truncated), ["E_SIP_SIZE", "E_SIP_DIGEST"]);

    let layout = tmp.path().join("layout.zip");
    rewrite_zip(
        &example,
        &layout,
        |n, b| (!n.ends_with("documentation_prop_batie.pdf")).then_some(b),
        &[("Content/extra.pdf", b"x"), ("README.txt", b"x")],
    );
    let mut c = codes(&layout);
    c.sort_unstable();
    assert_eq!(c, ["E_SIP_LAYOUT", "E_SIP_MISSING", "E_SIP_UNDECLARED"]);

    if have_xmllint() {
        let bad_xml = tmp.path().join("badxml.zip");
        rewrite_zip(
            &example,
            &bad_xml,
            |n, b| {
                Some(if n == "manifest.xml" {
                    String::from_utf8_lossy(&b)
                        .replace("<Date>", "<Dat>")
                        .replace("</Date>", "</Dat>")
                        .into_bytes()
                } else {
                    b
                })
            },
            &[],
        );
        assert_eq!(codes(&bad_xml), ["E_SIP_XSD"]);
    }
}

#[test]
fn a_non_zip_is_reported_not_panicked() {
    let tmp = tempfile::tempdir().expect("tmp");
    let p = tmp.path().join("x.zip");
    fs_err::write(&p, b"not a zip").expect("write");
    let r = verify_sip(&p);
    assert_eq!(r.problems[0].code, "E_SIP_OPEN");
}

/// `ds-archive verify` recognises a SEDA SIP zip and checks it as one.
#[test]
fn the_verify_command_checks_sips() {
    let Some(example) = example_sip() else { return };
    let ok = crate::common::ds_archive()
        .arg("verify")
        .arg(&example)
        .output()
        .expect("verify");
    assert_eq!(ok.status.code(), Some(0), "{}", crate::common::text(&ok));

    let tmp = tempfile::tempdir().expect("tmp");
    let flipped = tmp.path().join("flipped.zip");
    flip_a_pdf_byte(&example, &flipped);
    let bad = crate::common::ds_archive()
        .arg("verify")
        .arg(&flipped)
        .output()
        .expect("verify");
    assert_eq!(bad.status.code(), Some(1), "{}", crate::common::text(&bad));
    let stdout = String::from_utf8_lossy(&bad.stdout);
    assert!(
        stdout.contains("E_SIP_DIGEST flipped.zip/Content/cad_2005_010_BATI.pdf"),
        "{stdout}"
    );
}
