//! A bag built from hostile file names through `layout`, `bag::tags` and
//! `bag_zip`, then checked with the tools archivists use: `bagit.py
//! --validate` on the folder and on the unzipped zip, `unzip -t`, plus
//! byte-for-byte and reproducibility checks of the zip.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::Command;

use ds_archive::bag::tags::{write_bag_tags, BagInfo};
use ds_archive::bag_zip::zip_bag;
use ds_archive::digest::{hex_digest, DigestAlg};
use ds_archive::layout::{dossier_dir_name, plan};
use ds_archive::model::{Attachment, ChampRef, Digests, Origin};

use crate::common::have_tool;

fn champ(descriptor: &str, label: &str) -> Origin {
    Origin::Champ(ChampRef {
        champ_id: format!("c-{descriptor}"),
        champ_descriptor_id: descriptor.to_owned(),
        label: label.to_owned(),
        row: None,
        row_id: None,
        repetition_label: None,
    })
}

fn att(origin: Origin, filename: &str) -> Attachment {
    Attachment {
        origin,
        index: 0,
        filename: filename.to_owned(),
        content_type: "application/octet-stream".to_owned(),
        checksum: String::new(),
        byte_size: 0,
        url: String::new(),
        json_path: String::new(),
        created_at: None,
        virus_scan_result: None,
    }
}

fn digests(bytes: &[u8]) -> Digests {
    Digests {
        size: bytes.len() as u64,
        md5_base64: String::new(),
        sha256: hex_digest(DigestAlg::Sha256, bytes),
        sha512: Some(hex_digest(DigestAlg::Sha512, bytes)),
    }
}

/// Hostile names.
fn hostile_attachments() -> Vec<Attachment> {
    vec![
        att(
            champ("d1", "Justificatif: domicile / <EDF>"),
            "facture  été .pdf ",
        ),
        att(
            champ("d1", "Justificatif: domicile / <EDF>"),
            "cafe\u{301}.pdf",
        ),
        att(
            champ("d1", "Justificatif: domicile / <EDF>"),
            "caf\u{e9}.pdf",
        ),
        att(champ("d2", "Pièces"), "scan.pdf"),
        att(champ("d2", "Pièces"), "SCAN.pdf"),
        att(champ("d2", "Pièces"), ""),
        att(champ("d2", "Pièces"), "CON.txt"),
        att(champ("d2", "Pièces"), "facture\u{202E}fdp.exe"),
        att(champ("d2", "Pièces"), "a\tb\nc.txt"),
        att(champ("d2", "Pièces"), "vide.json"),
        att(
            Origin::Message {
                message_id: "Q29tbWVudGFpcmUtOTk=".into(),
                email: "usager@example.fr".into(),
                created_at: "2024-02-29T23:59:59+01:00".into(),
            },
            "réponse n°2 (final).docx",
        ),
        att(Origin::DossierPdf, "dossier-12.pdf"),
    ]
}

/// Build `dossier-12/` under `root` from `list`; return its path.
fn build_bag(root: &Path, list: &[Attachment]) -> std::path::PathBuf {
    let paths = plan(list);
    let bag = root.join(dossier_dir_name(12));
    let mut payload = Vec::new();
    for (i, path) in paths.iter().enumerate() {
        let bytes: Vec<u8> = if list[i].filename == "vide.json" {
            Vec::new()
        } else {
            format!("contenu {i} de {path}\n")
                .repeat(i + 1)
                .into_bytes()
        };
        let file = bag.join(path);
        fs_err::create_dir_all(file.parent().expect("parent")).expect("mkdir");
        fs_err::write(&file, &bytes).expect("write payload");
        payload.push((path.clone(), digests(&bytes)));
    }
    let mut info = BagInfo::new();
    info.push("Source-Organization", "Préfecture de test")
        .and_then(|i| i.push("External-Identifier", "dossier-12"))
        .and_then(|i| i.push("External-Description", "ligne 1\nligne 2"))
        .expect("labels");
    write_bag_tags(
        &bag,
        &payload,
        &[DigestAlg::Sha256, DigestAlg::Sha512],
        &info,
    )
    .expect("tag files");
    bag
}

fn mtime() -> zip::DateTime {
    zip::DateTime::from_date_and_time(2024, 3, 1, 12, 0, 0).expect("date")
}

/// Every file under `dir`, relative path → bytes.
fn files_of(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).expect("prefix");
            let rel = rel.to_str().expect("utf-8").to_owned();
            (rel, fs_err::read(e.path()).expect("read"))
        })
        .collect()
}

fn bagit_validate(bag: &Path) -> std::process::Output {
    Command::new("bagit.py")
        .arg("--validate")
        .arg(bag)
        .output()
        .expect("run bagit.py")
}

#[test]
fn bag_with_hostile_names_is_valid_and_zips_reproducibly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let bag = build_bag(tmp.path(), &hostile_attachments());

    let manifest = fs_err::read_to_string(bag.join("manifest-sha256.txt")).expect("manifest");
    assert!(manifest.contains("/caf\u{e9}-2.pdf\n"), "{manifest}");
    assert!(manifest.contains("/_CON.txt\n"), "{manifest}");

    let zip_a = tmp.path().join("a.zip");
    let info = zip_bag(&bag, "dossier-12", &zip_a, mtime()).expect("zip");
    let zip_b = tmp.path().join("b.zip");
    zip_bag(&bag, "dossier-12", &zip_b, mtime()).expect("zip again");
    let bytes_a = fs_err::read(&zip_a).expect("read a");
    assert_eq!(
        bytes_a,
        fs_err::read(&zip_b).expect("read b"),
        "not reproducible"
    );
    assert_eq!(info.sha256, hex_digest(DigestAlg::Sha256, &bytes_a));

    // The zip's files are the folder's files, byte for byte.
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(&bytes_a)).expect("open zip");
    let mut in_zip = BTreeMap::new();
    for i in 0..archive.len() {
        let mut f = archive.by_index(i).expect("entry");
        if f.is_dir() {
            continue;
        }
        let name = f
            .name()
            .strip_prefix("dossier-12/")
            .expect("top")
            .to_owned();
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).expect("read entry");
        in_zip.insert(name, bytes);
    }
    assert_eq!(in_zip, files_of(&bag));

    if have_tool("unzip") {
        let out = Command::new("unzip")
            .arg("-t")
            .arg(&zip_a)
            .output()
            .expect("unzip -t");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    if have_tool("sha256sum") {
        let out = Command::new("sha256sum")
            .args(["--check", "--strict", "manifest-sha256.txt"])
            .current_dir(&bag)
            .output()
            .expect("sha256sum");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }

    if have_tool("bagit.py") {
        let out = bagit_validate(&bag);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // The unzipped copy is a valid bag too.
        let extracted = tmp.path().join("extracted");
        archive.extract(&extracted).expect("extract");
        let out = bagit_validate(&extracted.join("dossier-12"));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );

        // Control: the validator does notice a changed payload byte.
        let victim = bag.join("data/dossier/dossier-12.pdf");
        let mut bytes = fs_err::read(&victim).expect("read");
        bytes[0] ^= 1;
        fs_err::write(&victim, bytes).expect("write");
        assert!(
            !bagit_validate(&bag).status.success(),
            "corruption not caught"
        );
    }
}

/// RFC 8493 wants `%` written `%25` in manifests, but bagit-python (1.9,
/// issue #157) and `sha256sum -c` do not decode it: our names never carry a
/// `%`, so every tool reads our manifests the same way.
#[test]
fn percent_in_names_never_reaches_a_manifest() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let list = vec![
        att(champ("d1", "Taux 100%"), "100% sûr.pdf"),
        att(champ("d1", "Taux 100%"), "%0A%25.txt"),
    ];
    let bag = build_bag(tmp.path(), &list);
    let manifest = fs_err::read_to_string(bag.join("manifest-sha512.txt")).expect("manifest");
    let paths: Vec<&str> = manifest.lines().map(|l| &l[130..]).collect();
    assert_eq!(
        paths,
        [
            "data/pieces_justificatives/Taux 100_/100_ sûr.pdf",
            "data/pieces_justificatives/Taux 100_/_0A_25.txt",
        ]
    );
    assert!(bag
        .join("data/pieces_justificatives/Taux 100_/100_ sûr.pdf")
        .is_file());
    if have_tool("bagit.py") {
        assert!(bagit_validate(&bag).status.success());
    }

    let zip_path = tmp.path().join("p.zip");
    zip_bag(&bag, "dossier-12", &zip_path, mtime()).expect("zip");
    let mut archive =
        zip::ZipArchive::new(fs_err::File::open(&zip_path).expect("open")).expect("zip");
    assert!(archive
        .by_name("dossier-12/data/pieces_justificatives/Taux 100_/100_ sûr.pdf")
        .is_ok());
    if have_tool("unzip") {
        let out = Command::new("unzip")
            .arg("-t")
            .arg(&zip_path)
            .output()
            .expect("unzip -t");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
}
