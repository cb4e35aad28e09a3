//! `--keep zips|folders|both`: what the output folder keeps of each bag, and
//! every command working on an archive that has only zips. Through the real
//! binary against the fake DS API.

use std::path::Path;
use std::process::Output;

use serde_json::Value;

use crate::common::{ds_archive, text, Fake};
use crate::seda::fixture::write_config;

/// Names in `dir` (no state folder), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != ".ds-archive")
        .collect();
    names.sort();
    names
}

fn run(args: &[&str], dir: &Path) -> Output {
    ds_archive().args(args).arg(dir).output().unwrap()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(out)))
}

#[test]
fn a_zips_only_archive_is_written_verified_packaged_and_updated() {
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let first = fake.archive(&out, &["--keep", "zips"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let numbers = fake.server.dataset().dossier_numbers();

    // One zip a dossier, no bag folder, nothing left in staging.
    let listed = names(&out);
    for n in &numbers {
        assert!(listed.contains(&format!("dossier-{n}.zip")), "{listed:?}");
        assert!(!out.join(format!("dossier-{n}")).exists(), "{listed:?}");
    }
    let staging: Vec<_> = std::fs::read_dir(out.join(".ds-archive/staging"))
        .map(|d| d.collect())
        .unwrap_or_default();
    assert!(staging.is_empty(), "staging left: {staging:?}");
    let manifest = std::fs::read_to_string(out.join("manifest-sha256.txt")).unwrap();
    // One line a zip, beside the démarche's own documents.
    let zips = manifest.lines().filter(|l| l.ends_with(".zip")).count();
    assert_eq!(zips, numbers.len(), "{manifest}");

    // status, verify, inventory and seda read the zips.
    let status = run(&["status", "--json"], &out);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    assert_eq!(json_of(&status)["archived"], numbers.len());
    let verify = run(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    let inventory = run(&["inventory"], &out);
    assert_eq!(inventory.status.code(), Some(0), "{}", text(&inventory));
    let csv = std::fs::read_to_string(out.join("dossiers.csv")).unwrap();
    let rows = csv::Reader::from_reader(csv.as_bytes()).records().count();
    assert_eq!(rows, numbers.len(), "{csv}");
    for n in &numbers {
        assert!(csv.contains(&format!("dossier-{n}.zip")), "{csv}");
    }
    let config = write_config(tmp.path(), "");
    let sip = tmp.path().join("sip");
    let seda = ds_archive()
        .args(["seda", "--from"])
        .arg(&out)
        .arg("--out")
        .arg(&sip)
        .arg("--config")
        .arg(&config)
        .arg("--no-xsd")
        .output()
        .unwrap();
    assert_eq!(seda.status.code(), Some(0), "{}", text(&seda));
    assert!(sip.exists(), "no SIP written: {}", text(&seda));

    // An incremental run adds the new version as a zip, and only that.
    let number = numbers[2];
    let changed = fake
        .server
        .dataset()
        .update_dossier(number, |d| d["motivation"] = "Revu après recours".into())
        .unwrap();
    assert!(changed);
    let rerun = fake.archive(&out, &["--keep", "zips"]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert!(out.join(format!("dossier-{number}.v2.zip")).is_file());
    assert!(!out.join(format!("dossier-{number}.v2")).exists());
    assert!(!names(&out)
        .iter()
        .any(|n| !n.ends_with(".zip") && n.starts_with("dossier-")));
    let verify = run(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    // verify reads the zips' bytes: one flipped byte in a stored payload is
    // found.
    let zip = out.join(format!("dossier-{}.zip", numbers[0]));
    let mut bytes = std::fs::read(&zip).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&zip, bytes).unwrap();
    let verify = run(&["verify"], &out);
    assert_ne!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn keep_folders_is_no_zip_and_both_cannot_be_given() {
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let first = fake.archive(&out, &["--keep", "folders"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let listed = names(&out);
    assert!(!listed.iter().any(|n| n.ends_with(".zip")), "{listed:?}");
    for n in fake.server.dataset().dossier_numbers() {
        assert!(out.join(format!("dossier-{n}/bagit.txt")).is_file());
    }
    let verify = run(&["verify"], &out);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    let both = fake.archive(&tmp.path().join("b"), &["--keep", "zips", "--no-zip"]);
    assert_eq!(both.status.code(), Some(2), "{}", text(&both));
    assert!(!tmp.path().join("b").exists());
}

/// The SIP files under `dir`, by name.
fn sips(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "zip"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

#[test]
fn sips_from_bag_folders_and_from_the_same_bags_zips_are_the_same_bytes() {
    // A SIP is a function of the bags' contents: an archivist who rebuilds
    // one from the zips (the folders gone, or a bucket) gets the very bytes
    // built earlier from the folders, so its digests still match a deposit.
    let fake = Fake::start_light();
    let tmp = tempfile::tempdir().unwrap();
    let both = tmp.path().join("both");
    let run_both = fake.archive(&both, &["--keep", "both"]);
    assert_eq!(run_both.status.code(), Some(0), "{}", text(&run_both));
    let zips = tmp.path().join("zips");
    std::fs::create_dir(&zips).unwrap();
    for name in names(&both).iter().filter(|n| n.ends_with(".zip")) {
        std::fs::copy(both.join(name), zips.join(name)).unwrap();
    }
    let config = write_config(tmp.path(), "");
    let seda = |from: &Path, to: &Path| {
        let out = ds_archive()
            .args(["seda", "--from"])
            .arg(from)
            .arg("--out")
            .arg(to)
            .arg("--config")
            .arg(&config)
            .args(["--no-xsd", "--date", "2026-01-01T00:00:00Z"])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        sips(to)
    };
    let from_folders = seda(&both, &tmp.path().join("sip-folders"));
    let from_zips = seda(&zips, &tmp.path().join("sip-zips"));
    assert_eq!(
        from_folders.len(),
        fake.server.dataset().dossier_numbers().len()
    );
    assert_eq!(
        from_folders.keys().collect::<Vec<_>>(),
        from_zips.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &from_folders {
        assert!(bytes == &from_zips[name], "{name} differs");
    }
}

/// Entries whose bytes depend on when the run happened (`archived_at`, the
/// bagging date, the dossier's PDF, which DS makes at each request, and
/// `dossier.json` and the manifests, which list its date or their digests).
fn dated(name: &str) -> bool {
    let file = name.rsplit('/').next().unwrap_or(name);
    file == "bag-info.txt"
        || file == "dossier.json"
        || name.contains("/data/dossier/")
        || file.starts_with("metadata.")
        || file.starts_with("manifest-")
        || file.starts_with("tagmanifest-")
}

#[test]
fn keep_zips_writes_the_zips_keep_both_writes() {
    use ds_archive::fake::{Dataset, FakeConfig};
    // Two dossiers of two 9 MiB files (large enough for the streamed zip and
    // for flushing zip by zip), one of them text, so that Stored and
    // Deflated entries are both compared.
    let fake = crate::common::Fake::with(FakeConfig {
        token: crate::common::TOKEN.into(),
        rate_limit_window_secs: crate::common::RATE_WINDOW_SECS,
        dataset: Dataset::generated(1, 2, 2, 9 << 20),
        ..FakeConfig::default()
    });
    let numbers = fake.server.dataset().dossier_numbers();
    let mut csv = String::from("numero;ville;montant\n");
    for i in 0..300_000_u64 {
        csv += &format!(
            "{};Ville {};{}.{:02}\n",
            100_000 + i,
            i % 97,
            i * 7 % 9973,
            i % 100
        );
    }
    fake.server
        .dataset()
        .update_dossier(numbers[0], move |d| {
            d["champs"][1]["files"][1]["filename"] = "export.csv".into();
            d["champs"][1]["files"][1]["content"] = format!("text:{csv}").into();
        })
        .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (both, zips) = (tmp.path().join("both"), tmp.path().join("zips"));
    for (out, keep) in [(&both, "both"), (&zips, "zips")] {
        let run = fake.archive(out, &["--keep", keep]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    }

    let mut deflated = 0;
    for n in &numbers {
        let open = |dir: &Path| {
            let file = std::fs::File::open(dir.join(format!("dossier-{n}.zip"))).unwrap();
            zip::ZipArchive::new(file).unwrap()
        };
        let (mut a, mut b) = (open(&both), open(&zips));
        assert_eq!(a.len(), b.len(), "dossier {n}");
        for i in 0..a.len() {
            let mut ea = a.by_index_raw(i).unwrap();
            let mut eb = b.by_index_raw(i).unwrap();
            let name = ea.name().to_owned();
            assert_eq!(name, eb.name(), "dossier {n}, entry {i}");
            assert_eq!(ea.compression(), eb.compression(), "{name}");
            if dated(&name) {
                continue;
            }
            assert_eq!(ea.crc32(), eb.crc32(), "{name}");
            assert_eq!(ea.last_modified(), eb.last_modified(), "{name}");
            assert_eq!(ea.unix_mode(), eb.unix_mode(), "{name}");
            let (mut ra, mut rb) = (Vec::new(), Vec::new());
            std::io::Read::read_to_end(&mut ea, &mut ra).unwrap();
            std::io::Read::read_to_end(&mut eb, &mut rb).unwrap();
            assert!(ra == rb, "{name}: stored bytes differ");
            if ea.compression() == zip::CompressionMethod::Deflated && ea.size() > 1 << 20 {
                deflated += 1;
            }
        }
    }
    assert_eq!(deflated, 1, "the CSV export is deflated in both");
    let verify = run(&["verify"], &zips);
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}
