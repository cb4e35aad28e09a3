//! The démarche's own documents (notice, délibération, logo) and legal
//! metadata: archived once per run in `DIR/demarche/`, listed in the run
//! manifest so `verify` checks them, versioned when DS serves new bytes.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::{text, Fake};
use crate::verify::verify_path;

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn manifest_sum(out: &Path, name: &str) -> Option<String> {
    fs_err::read_to_string(out.join("manifest-sha256.txt"))
        .expect("run manifest")
        .lines()
        .find_map(|l| l.strip_suffix(&format!("  {name}")).map(str::to_owned))
}

#[test]
fn demarche_documents_are_archived_once_verified_and_versioned_on_change() {
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().expect("tmp");
    let out = tmp.path().join("archive");
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let dir = out.join("demarche");
    assert_eq!(
        files(&dir),
        [
            "deliberation.pdf",
            "demarche.json",
            "logo.png",
            "notice.pdf"
        ]
    );
    let notice = fs_err::read(dir.join("notice.pdf")).expect("notice");
    assert!(notice.starts_with(b"%PDF-1.4\n% Notice explicative"));
    // Listed in the run manifest with its SHA-256.
    assert_eq!(
        manifest_sum(&out, "demarche/notice.pdf"),
        Some(hex::encode(Sha256::digest(&notice)))
    );
    // The legal metadata, without signed URLs.
    let json = fs_err::read_to_string(dir.join("demarche.json")).expect("demarche.json");
    assert!(!json.contains("127.0.0.1"), "{json}");
    let meta: serde_json::Value = serde_json::from_str(&json).expect("json");
    assert_eq!(meta["dureeConservationDossiers"], 12);
    assert_eq!(meta["labels"].as_array().map(Vec::len), Some(3));
    assert!(meta["cadreJuridiqueURL"]
        .as_str()
        .is_some_and(|u| u.contains("legifrance")));
    assert_eq!(
        meta["documents"]["deliberation"]["path"],
        "deliberation.pdf"
    );
    assert_eq!(
        meta["documents"]["notice"]["filename"],
        "notice-subvention-quartiers.pdf"
    );
    // Once per run, not in every bag.
    let copies = walkdir::WalkDir::new(&out)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| fs_err::read(e.path()).is_ok_and(|b| b == notice))
        .count();
    assert_eq!(copies, 1);
    let v = verify_path(&out);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);

    // A rerun with nothing new at DS writes nothing new.
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(files(&dir).len(), 4);

    // DS serves a new notice: a new version; the old one stays as it was.
    fake.server
        .dataset()
        .set_demarche_document("notice", "notice-2025.pdf", "%PDF-1.4 revised notice")
        .expect("new notice");
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(
        files(&dir),
        [
            "deliberation.pdf",
            "demarche.json",
            "demarche.v2.json",
            "logo.png",
            "notice.pdf",
            "notice.v2.pdf"
        ]
    );
    assert_eq!(fs_err::read(dir.join("notice.pdf")).expect("old"), notice);
    assert_eq!(
        fs_err::read(dir.join("notice.v2.pdf")).expect("new"),
        b"%PDF-1.4 revised notice"
    );
    let v2: serde_json::Value =
        serde_json::from_slice(&fs_err::read(dir.join("demarche.v2.json")).expect("v2"))
            .expect("json");
    assert_eq!(v2["documents"]["notice"]["path"], "notice.v2.pdf");
    assert!(manifest_sum(&out, "demarche/notice.v2.pdf").is_some());
    let v = verify_path(&out);
    assert_eq!(v.code, 0, "{}\n{}", v.stdout, v.stderr);

    // A notice altered on disk fails `verify`, naming it.
    fs_err::write(dir.join("notice.pdf"), b"%PDF-1.4 forged").expect("tamper");
    let v = verify_path(&out);
    assert_ne!(v.code, 0, "{}\n{}", v.stdout, v.stderr);
    assert!(
        format!("{}{}", v.stdout, v.stderr).contains("demarche/notice.pdf"),
        "{}\n{}",
        v.stdout,
        v.stderr
    );
}
