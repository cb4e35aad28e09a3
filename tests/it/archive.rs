//! `archive` end to end: a full démarche, the bundles' content against the
//! source, the zips against the folders, standard tools, bad input.

use std::collections::BTreeMap;
use std::io::Read as _;

use crate::common::{bag_files, ds_archive, have_tool, text, tree, Fake, TOKEN};

#[test]
fn archives_the_whole_sample_demarche() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archive");
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    let dataset = fake.server.dataset();
    let numbers = dataset.dossier_numbers();
    assert!(numbers.len() >= 30);
    for n in &numbers {
        let bag = out.join(format!("dossier-{n}"));
        assert!(bag.join("bagit.txt").is_file(), "no bag for dossier {n}");
        assert!(
            out.join(format!("dossier-{n}.zip")).is_file(),
            "no zip for dossier {n}"
        );

        // Every file DS holds for the dossier is in the bag, byte for byte
        // (names may be sanitised: compare contents, as a multiset).
        let mut in_bag: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
        for (_, bytes) in bag_files(&bag) {
            *in_bag.entry(bytes).or_default() += 1;
        }
        for (name, bytes) in dataset.file_contents(*n) {
            let count = in_bag.get_mut(&bytes);
            assert!(
                count.as_ref().is_some_and(|c| **c > 0),
                "dossier {n}: `{name}` ({} bytes) missing from the bag",
                bytes.len()
            );
            if let Some(c) = count {
                *c -= 1;
            }
        }

        // metadata.json tells the truth about the dossier.
        let meta: serde_json::Value =
            serde_json::from_slice(&std::fs::read(bag.join("data/metadata.json")).unwrap())
                .unwrap();
        let source = dataset.dossier_json(*n).unwrap();
        assert_eq!(meta["id"], serde_json::json!(n));
        let legacy = match source["state"].as_str().unwrap() {
            "en_construction" => "initiated",
            "en_instruction" => "received",
            "accepte" => "closed",
            "refuse" => "refused",
            "sans_suite" => "without_continuation",
            other => panic!("state {other}"),
        };
        assert_eq!(meta["state"], legacy, "dossier {n}");
        for f in meta["files"].as_array().unwrap() {
            let path = bag.join(f["path"].as_str().unwrap());
            let bytes = std::fs::read(&path)
                .unwrap_or_else(|_| panic!("{} listed but absent", path.display()));
            assert_eq!(f["size"], serde_json::json!(bytes.len()));
        }
    }

    // Every metadata.xml against its XSD.
    if have_tool("xmllint") {
        let xmls: Vec<String> = numbers
            .iter()
            .map(|n| {
                out.join(format!("dossier-{n}/data/metadata.xml"))
                    .display()
                    .to_string()
            })
            .collect();
        let check = std::process::Command::new("xmllint")
            .args(["--noout", "--nonet", "--schema"])
            .arg(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/metadata.xsd"))
            .args(&xmls)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", text(&check));
    }

    // bagit-python accepts every bag, hostile names included.
    if have_tool("bagit.py") {
        let bags: Vec<_> = numbers
            .iter()
            .map(|n| out.join(format!("dossier-{n}")))
            .collect();
        let check = std::process::Command::new("bagit.py")
            .arg("--validate")
            .args(&bags)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", text(&check));
    }

    // Our own verify, on the whole archive folder (metadata.json against its
    // JSON Schema included).
    let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    // Hostile names stay inside data/ and are portable.
    for (path, _) in tree(&out, true) {
        assert!(
            !path
                .split('/')
                .any(|c| c == ".." || c == "." || c.is_empty()),
            "{path}"
        );
        assert!(!path.chars().any(char::is_control), "{path:?}");
        for component in path.split('/') {
            assert!(component.len() <= 255, "{path}");
            let stem = component
                .split('.')
                .next()
                .unwrap_or_default()
                .to_ascii_uppercase();
            assert!(
                !["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str()),
                "{path}"
            );
        }
    }
}

#[test]
fn zips_hold_the_same_bytes_as_the_folders_and_standard_tools_agree() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = fake.archive(&out, &["--state", "accepte"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    let zips: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "zip"))
        .collect();
    assert!(!zips.is_empty());
    for zip_path in &zips {
        let stem = zip_path.file_stem().unwrap().to_str().unwrap().to_owned();
        let folder = tree(&out.join(&stem), false);
        let mut archive = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
        let mut in_zip = BTreeMap::new();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_owned();
            let rel = name
                .strip_prefix(&format!("{stem}/"))
                .unwrap_or_else(|| panic!("{name} outside {stem}/"))
                .to_owned();
            let mut bytes = Vec::new();
            entry.read_to_end(&mut bytes).unwrap();
            in_zip.insert(rel, bytes);
        }
        assert_eq!(
            in_zip,
            folder,
            "{} differs from its folder",
            zip_path.display()
        );
    }

    if have_tool("sha256sum") {
        let check = std::process::Command::new("sha256sum")
            .args(["-c", "manifest-sha256.txt"])
            .current_dir(&out)
            .output()
            .unwrap();
        assert!(check.status.success(), "{}", text(&check));
    }
    if have_tool("unzip") {
        for zip_path in &zips {
            let t = std::process::Command::new("unzip")
                .arg("-tq")
                .arg(zip_path)
                .output()
                .unwrap();
            assert!(t.status.success(), "{}", text(&t));
        }
    }
    if have_tool("bagit.py") {
        for zip_path in &zips {
            let bag = out.join(zip_path.file_stem().unwrap());
            let v = std::process::Command::new("bagit.py")
                .arg("--validate")
                .arg(&bag)
                .output()
                .unwrap();
            assert!(v.status.success(), "{}", text(&v));
        }
    }
}

#[test]
fn the_token_never_leaves_the_process() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    // Text and JSON logs, at the most verbose level.
    for (name, format) in [("a", "text"), ("b", "json")] {
        let out = dir.path().join(name);
        let run = fake.archive(&out, &["-vv", "--log-format", format, "--state", "refuse"]);
        assert!(run.status.success(), "{}", text(&run));
        let all = text(&run);
        assert!(!all.contains(TOKEN), "token printed ({format} logs)");
        for (path, bytes) in tree(&out, false) {
            let found = bytes.windows(TOKEN.len()).any(|w| w == TOKEN.as_bytes());
            assert!(!found, "token written to {path}");
        }
    }
    // Nor sent along with the file downloads, whose URLs are signed and may
    // point at another host than the API.
    let stats = fake.server.stats();
    assert!(stats.file_requests > 0);
    assert_eq!(stats.file_requests_with_credentials, 0);
}

#[test]
fn a_bad_token_is_fatal_and_writes_no_bundle() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = fake
        .archive_command(&out)
        .args(["--api-url", &fake.url()])
        .env("DS_API_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("refused the token"), "{stderr}");
    assert!(!stderr.contains("not-the-token"));
    let bundles: Vec<_> = tree(&out, true).into_keys().collect();
    assert!(bundles.is_empty(), "{bundles:?}");
}

#[test]
fn an_unknown_demarche_is_fatal() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let run = ds_archive()
        .args(["archive", "--demarche", "999999", "--out"])
        .arg(dir.path().join("a"))
        .args(["--api-url", &fake.url()])
        .env("DS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("999999"));
}

#[test]
fn a_missing_token_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = ds_archive()
        .args(["archive", "--demarche", "1", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("DS_API_TOKEN"));
}

#[test]
fn an_unwritable_output_is_fatal() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"x").unwrap();
    let run = fake.archive(&file.join("sub"), &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("plain-file"));
}

#[test]
fn token_file_and_api_url_from_the_environment_work() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{TOKEN}\n")).unwrap();
    let out = dir.path().join("a");
    let run = fake
        .archive_command(&out)
        .arg("--token-file")
        .arg(&token_file)
        .args(["--state", "refuse", "--digest", "sha512", "--no-zip"])
        .env("DS_API_URL", fake.url())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(!text(&run).contains(TOKEN));
    let files = tree(&out, true);
    assert!(files.keys().any(|k| k.ends_with("/manifest-sha512.txt")));
    assert!(
        !files.keys().any(|k| k.ends_with("/manifest-sha256.txt")),
        "only the asked digest"
    );
    assert!(!files.keys().any(|k| k.ends_with(".zip")), "--no-zip");
}

#[test]
fn a_foreign_bundle_in_the_output_folder_is_never_replaced() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let number = fake.server.dataset().dossier_numbers()[0];
    let foreign = out.join(format!("dossier-{number}"));
    std::fs::create_dir_all(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"someone else's work").unwrap();
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("refusing to replace"),
        "{}",
        text(&run)
    );
    assert_eq!(
        std::fs::read(foreign.join("notes.txt")).unwrap(),
        b"someone else's work"
    );
    // A rerun does not remove it either.
    let again = fake.archive(&out, &[]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert!(foreign.join("notes.txt").is_file());
}
