//! `ds-archive verify`, end to end: the committed bad and good bag fixtures,
//! zips generated here (corrupt, truncated, zip-slip, duplicate names), NFC
//! twins, archive folders with their run manifest, `--json`, `--fast`, exit
//! code 2, and bags made by bagit-python when it is installed.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ds_archive::verify::{verify_bag_dir, verify_paths, verify_zip, Options};
use sha2::Digest;

pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// The codes printed on stdout (problems).
    pub(crate) fn problem_codes(&self) -> BTreeSet<String> {
        self.stdout
            .lines()
            .filter_map(|l| l.split(' ').next())
            .map(str::to_owned)
            .collect()
    }

    pub(crate) fn has(&self, code: &str, location: &str) -> bool {
        let prefix = format!("{code} {location}:");
        self.stdout
            .lines()
            .chain(self.stderr.lines())
            .any(|l| l.starts_with(&prefix))
    }
}

pub(crate) fn verify(args: &[&std::ffi::OsStr]) -> Run {
    let out = Command::cargo_bin("ds-archive")
        .unwrap()
        .arg("verify")
        .args(args)
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn verify_path(p: &Path) -> Run {
    verify(&[p.as_os_str()])
}

pub(crate) fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            fs_err::create_dir_all(&dest).unwrap();
        } else {
            fs_err::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Rewrite the payload and tag manifests of a bag (sha256/sha512) from what is on disk.
pub(crate) fn rebag(dir: &Path) {
    let hash = |alg: &str, b: &[u8]| match alg {
        "sha256" => hex::encode(sha2::Sha256::digest(b)),
        _ => hex::encode(sha2::Sha512::digest(b)),
    };
    let mut payload: Vec<(String, Vec<u8>)> = Vec::new();
    for e in walkdir::WalkDir::new(dir.join("data")).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            payload.push((rel, fs_err::read(e.path()).unwrap()));
        }
    }
    for alg in ["sha256", "sha512"] {
        let m = dir.join(format!("manifest-{alg}.txt"));
        if m.exists() {
            let text: String = payload
                .iter()
                .map(|(p, b)| format!("{}  {}\n", hash(alg, b), p.replace('%', "%25")))
                .collect();
            fs_err::write(m, text).unwrap();
        }
    }
    let info = dir.join("bag-info.txt");
    if info.exists() {
        let bytes: usize = payload.iter().map(|(_, b)| b.len()).sum();
        let oxum = format!("Payload-Oxum: {bytes}.{}", payload.len());
        let text: String = fs_err::read_to_string(&info)
            .unwrap()
            .lines()
            .map(|l| {
                if l.starts_with("Payload-Oxum:") {
                    format!("{oxum}\n")
                } else {
                    format!("{l}\n")
                }
            })
            .collect();
        fs_err::write(info, text).unwrap();
    }
    write_tag_manifests(dir);
}

/// Rewrite the tag manifests (sha256/sha512) of a bag from what is on disk.
fn write_tag_manifests(dir: &Path) {
    let hash = |alg: &str, b: &[u8]| match alg {
        "sha256" => hex::encode(sha2::Sha256::digest(b)),
        _ => hex::encode(sha2::Sha512::digest(b)),
    };
    for alg in ["sha256", "sha512"] {
        let t = dir.join(format!("tagmanifest-{alg}.txt"));
        if t.exists() {
            let mut names: Vec<String> = fs_err::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| !n.starts_with("tagmanifest-") && dir.join(n).is_file())
                .collect();
            names.sort();
            let text: String = names
                .iter()
                .map(|n| format!("{}  {n}\n", hash(alg, &fs_err::read(dir.join(n)).unwrap())))
                .collect();
            fs_err::write(t, text).unwrap();
        }
    }
}

/// Zip `bag` under the top-level folder `top`, entries stored (uncompressed)
/// so tests can find and damage their bytes.
pub(crate) fn zip_bag(bag: &Path, top: &str, zip_path: &Path) {
    let file = fs_err::File::create(zip_path).unwrap();
    let mut w = zip::ZipWriter::new(file);
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for e in walkdir::WalkDir::new(bag).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(bag)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let name = if rel.is_empty() {
            format!("{top}/")
        } else {
            format!("{top}/{rel}")
        };
        if e.file_type().is_dir() {
            w.add_directory(name, opts).unwrap();
        } else {
            w.start_file(name, opts).unwrap();
            w.write_all(&fs_err::read(e.path()).unwrap()).unwrap();
        }
    }
    w.finish().unwrap();
}

/// Replace every occurrence of `from` by `to` (same length) in a file.
fn patch(path: &Path, from: &[u8], to: &[u8]) {
    assert_eq!(from.len(), to.len());
    let mut bytes = fs_err::read(path).unwrap();
    let mut hits = 0;
    let mut i = 0;
    while i + from.len() <= bytes.len() {
        if &bytes[i..i + from.len()] == from {
            bytes[i..i + from.len()].copy_from_slice(to);
            hits += 1;
            i += from.len();
        } else {
            i += 1;
        }
    }
    assert!(hits > 0, "pattern not found in {}", path.display());
    fs_err::write(path, bytes).unwrap();
}

/// Each bad-bag fixture: the exact set of problem codes, and the
/// `CODE bundle/path` line that must be printed.
const BAD: &[(&str, &[&str], &str)] = &[
    (
        "E_DIGEST-corrupt-payload",
        &["E_DIGEST"],
        "data/avis/rapport.pdf",
    ),
    (
        "E_MISSING-missing-file",
        &["E_MISSING", "E_OXUM"],
        "data/pieces_justificatives/piece.txt",
    ),
    (
        "E_EXTRA-extra-file",
        &["E_EXTRA", "E_OXUM"],
        "data/pieces_justificatives/unlisted.txt",
    ),
    (
        "E_DUPLICATE-listed-twice-different-digests",
        &["E_DUPLICATE"],
        "data/dossier.json",
    ),
    (
        "E_BAGIT_TXT-space-before-colon",
        &["E_BAGIT_TXT"],
        "bagit.txt",
    ),
    ("E_BOM-bagit-txt-bom", &["E_BOM"], "bagit.txt"),
    (
        "E_UNSAFE_PATH-path-traversal",
        &["E_UNSAFE_PATH"],
        "manifest-sha256.txt",
    ),
    (
        "E_UNSAFE_PATH-fetch-absolute",
        &["E_UNSAFE_PATH"],
        "fetch.txt",
    ),
    ("E_OXUM-payload-oxum-mismatch", &["E_OXUM"], "bag-info.txt"),
    ("E_NO_MANIFEST-no-manifest", &["E_NO_MANIFEST"], ""),
    (
        "E_TAG_DIGEST-bag-info-changed",
        &["E_TAG_DIGEST"],
        "bag-info.txt",
    ),
    (
        "E_MANIFEST_SYNTAX-short-digest",
        &["E_EXTRA", "E_MANIFEST_SYNTAX"],
        "manifest-sha256.txt",
    ),
    (
        "E_ENCODING-latin1-in-utf8-bag",
        &["E_ENCODING"],
        "bag-info.txt",
    ),
];

fn location(bundle: &str, path: &str) -> String {
    if path.is_empty() {
        bundle.to_owned()
    } else {
        format!("{bundle}/{path}")
    }
}

#[test]
fn bad_bag_fixtures_fail_with_their_code_and_path() {
    let dir = fixtures().join("bad-bags");
    let on_disk: BTreeSet<String> = fs_err::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let tabled: BTreeSet<String> = BAD.iter().map(|b| b.0.to_owned()).collect();
    assert_eq!(on_disk, tabled, "every fixture needs an expectation");
    for (name, codes, path) in BAD {
        let run = verify_path(&dir.join(name));
        assert_eq!(run.code, 1, "{name}: {}{}", run.stdout, run.stderr);
        let want: BTreeSet<String> = codes.iter().map(|c| (*c).to_owned()).collect();
        assert_eq!(run.problem_codes(), want, "{name}: {}", run.stdout);
        let main_code = name.split('-').next().unwrap();
        assert!(
            run.has(main_code, &location(name, path)),
            "{name}: {}",
            run.stdout
        );
        // The library says the same as the binary.
        let report = verify_bag_dir(&dir.join(name), &Options::default());
        let lib: BTreeSet<String> = report
            .problems()
            .iter()
            .map(|p| p.code.as_str().to_owned())
            .collect();
        assert_eq!(lib, want, "{name}");
    }
}

#[test]
fn good_bag_fixtures_are_valid() {
    let dir = fixtures().join("good-bags");
    for e in fs_err::read_dir(&dir).unwrap() {
        let e = e.unwrap();
        if !e.path().is_dir() {
            continue;
        }
        let run = verify_path(&e.path());
        assert_eq!(
            run.code,
            0,
            "{:?}: {}{}",
            e.file_name(),
            run.stdout,
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
    let star = verify_path(&dir.join("v1.0-md5sum-star-warning"));
    assert!(star.stderr.contains("W_MD5SUM_STAR"), "{}", star.stderr);
}

#[test]
fn nfc_twins_warn_and_nfc_only_matches_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = tmp.path().join("W_NFC_TWIN-nfd-nfc-twins");
    copy_dir(
        &fixtures().join("good-bags/v1.0-sha256-sha512-percent-names"),
        &bag,
    );
    let nfc = "data/N\u{fa}\u{f1}ez.txt";
    let nfd = "data/Nu\u{301}n\u{303}ez.txt";
    fs_err::write(bag.join(nfc), b"precomposed").unwrap();
    fs_err::write(bag.join(nfd), b"decomposed").unwrap();
    rebag(&bag);
    let run = verify_path(&bag);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("W_NFC_TWIN"), "{}", run.stderr);

    // The manifest spells a name in NFD, the disk holds it in NFC: a warning, not E_MISSING.
    fs_err::remove_file(bag.join(nfd)).unwrap();
    rebag(&bag);
    for m in ["manifest-sha256.txt", "manifest-sha512.txt"] {
        let text = fs_err::read_to_string(bag.join(m))
            .unwrap()
            .replace(nfc, nfd);
        fs_err::write(bag.join(m), text).unwrap();
    }
    write_tag_manifests(&bag);
    let run = verify_path(&bag);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("W_NFC_MATCH"), "{}", run.stderr);
}

/// A copy of the good "our bundle" fixture at `dir/name`.
pub(crate) fn our_bag(dir: &Path, name: &str) -> PathBuf {
    let bag = dir.join(name);
    copy_dir(&fixtures().join("good-bags/dossier-7"), &bag);
    bag
}

#[test]
fn zip_of_a_good_bag_is_valid_and_damage_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = our_bag(tmp.path(), "dossier-7");
    let good = tmp.path().join("dossier-7.zip");
    zip_bag(&bag, "dossier-7", &good);
    let run = verify_path(&good);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(verify_zip(&good, &Options::default()).is_valid());

    // One flipped byte inside a stored entry: the CRC catches it, and so does the manifest.
    let crc = tmp.path().join("dossier-7-crc.zip");
    fs_err::copy(&good, &crc).unwrap();
    patch(&crc, b"Bonjour, voici", b"Bonjour, voicX");
    let run = verify_path(&crc);
    assert_eq!(run.code, 1);
    let path = "dossier-7-crc.zip/data/messagerie/2024-05-01/message.txt";
    assert!(run.has("E_ZIP_CRC", path), "{}", run.stdout);

    // Truncated: a problem, not a crash, and not "could not run".
    let cut = tmp.path().join("dossier-7-cut.zip");
    let bytes = fs_err::read(&good).unwrap();
    fs_err::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let run = verify_path(&cut);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.has("E_ZIP_CORRUPT", "dossier-7-cut.zip"),
        "{}",
        run.stdout
    );
}

#[test]
fn zip_slip_duplicates_and_layout_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = our_bag(tmp.path(), "dossier-7");
    fs_err::write(bag.join("zzslip-target.txt"), b"x").unwrap();
    let zip = tmp.path().join("slip.zip");
    zip_bag(&bag, "dossier-7", &zip);
    // `dossier-7/zzslip-target.txt` becomes `../../../../../../evil2.txt` (same length).
    patch(
        &zip,
        b"dossier-7/zzslip-target.txt",
        b"../../../../../../evil2.txt",
    );
    let run = verify_path(&zip);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.has("E_ZIP_UNSAFE", "slip.zip/../../../../../../evil2.txt"),
        "{}",
        run.stdout
    );
    assert_eq!(
        run.problem_codes(),
        BTreeSet::from(["E_ZIP_UNSAFE".to_owned()])
    );

    // Two entries with one name.
    let bag2 = our_bag(tmp.path(), "dossier-8");
    fs_err::write(bag2.join("data/dup-a.txt"), b"a").unwrap();
    fs_err::write(bag2.join("data/dup-b.txt"), b"b").unwrap();
    let dup = tmp.path().join("dup.zip");
    zip_bag(&bag2, "dossier-8", &dup);
    patch(&dup, b"data/dup-b.txt", b"data/dup-a.txt");
    let run = verify_path(&dup);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_ZIP_DUPLICATE", "dup.zip/dossier-8/data/dup-a.txt"),
        "{}",
        run.stdout
    );

    // Two top-level folders.
    let two = tmp.path().join("two.zip");
    {
        let mut w = zip::ZipWriter::new(fs_err::File::create(&two).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("a/bagit.txt", opts).unwrap();
        w.write_all(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
            .unwrap();
        w.start_file("b/stray.txt", opts).unwrap();
        w.finish().unwrap();
    }
    let run = verify_path(&two);
    assert_eq!(run.code, 1);
    assert!(run.has("E_ZIP_LAYOUT", "two.zip"), "{}", run.stdout);
}

#[test]
fn a_zip_verifies_like_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad");
    copy_dir(&fixtures().join("bad-bags/E_DIGEST-corrupt-payload"), &bad);
    let zip = tmp.path().join("dossier-12.zip");
    zip_bag(&bad, "dossier-12", &zip);
    let run = verify_path(&zip);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_DIGEST", "dossier-12.zip/data/avis/rapport.pdf"),
        "{}",
        run.stdout
    );
    assert_eq!(run.problem_codes(), BTreeSet::from(["E_DIGEST".to_owned()]));
}

/// An archive output folder as `archive` leaves it: folder + zip of dossier 7,
/// zip of dossier 8, the run manifest, the state folder and run files.
fn archive_dir(root: &Path) -> PathBuf {
    let out = root.join("out");
    fs_err::create_dir_all(out.join(".ds-archive")).unwrap();
    fs_err::write(out.join(".ds-archive/journal.jsonl"), b"{}\n").unwrap();
    fs_err::write(out.join("report.json"), b"{}").unwrap();
    fs_err::write(out.join("dossiers.csv"), b"number\n7\n8\n").unwrap();
    let seven = our_bag(&out, "dossier-7");
    zip_bag(&seven, "dossier-7", &out.join("dossier-7.zip"));
    let tmp8 = our_bag(root, "dossier-8");
    zip_bag(&tmp8, "dossier-8", &out.join("dossier-8.v2.zip"));
    write_run_manifest(&out);
    out
}

fn write_run_manifest(out: &Path) {
    let text: String = ["dossier-7.zip", "dossier-8.v2.zip"]
        .iter()
        .filter(|z| out.join(z).exists())
        .map(|z| format!("{}  {z}\n", sha256_hex(&fs_err::read(out.join(z)).unwrap())))
        .collect();
    fs_err::write(out.join("manifest-sha256.txt"), text).unwrap();
}

#[test]
fn archive_folder_valid_then_each_run_level_defect() {
    let tmp = tempfile::tempdir().unwrap();
    let out = archive_dir(tmp.path());
    let run = verify_path(&out);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("3 bundle(s)") || run.stderr.contains("4 bundle(s)"),
        "{}",
        run.stderr
    );

    // The run manifest is what `sha256sum -c` reads.
    if crate::common::have_tool("sha256sum") {
        let st = std::process::Command::new("sha256sum")
            .arg("-c")
            .arg("manifest-sha256.txt")
            .current_dir(&out)
            .output()
            .unwrap();
        assert!(st.status.success());
    }

    // A zip rewritten after the manifest: digest mismatch (the zip itself is still a valid bag).
    let z8 = out.join("dossier-8.v2.zip");
    zip_bag(&our_bag(tmp.path(), "dossier-8b"), "dossier-8", &z8);
    let mut bytes = fs_err::read(&z8).unwrap();
    bytes.extend_from_slice(b"");
    fs_err::write(&z8, [bytes.as_slice(), b"trailing"].concat()).unwrap();
    let run = verify_path(&out);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_RUN_MANIFEST", "out/dossier-8.v2.zip"),
        "{}",
        run.stdout
    );

    // A zip the manifest does not list, and a listed zip that is gone.
    write_run_manifest(&out);
    fs_err::copy(out.join("dossier-7.zip"), out.join("dossier-9.zip")).unwrap();
    fs_err::remove_file(&z8).unwrap();
    let manifest = fs_err::read_to_string(out.join("manifest-sha256.txt")).unwrap();
    assert!(manifest.contains("dossier-8.v2.zip"));
    let run = verify_path(&out);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_RUN_MANIFEST", "out/dossier-9.zip"),
        "{}",
        run.stdout
    );
    assert!(
        run.has("E_RUN_MANIFEST", "out/dossier-8.v2.zip"),
        "{}",
        run.stdout
    );
}

#[test]
fn damage_inside_an_archive_folder_zip_is_named_entry_and_zip() {
    // In an archive folder each zip is read once for its entries and its
    // whole-file digest together; damage must still be named precisely.
    let tmp = tempfile::tempdir().unwrap();
    let out = archive_dir(tmp.path());
    fs_err::remove_dir_all(out.join("dossier-7")).unwrap();
    let run = verify_path(&out);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    patch(
        &out.join("dossier-7.zip"),
        b"Bonjour, voici",
        b"Bonjour, voicX",
    );
    let run = verify_path(&out);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let entry = "dossier-7.zip/data/messagerie/2024-05-01/message.txt";
    assert!(run.has("E_ZIP_CRC", entry), "{}", run.stdout);
    assert!(
        run.has("E_RUN_MANIFEST", "out/dossier-7.zip"),
        "{}",
        run.stdout
    );
    assert!(
        !run.has("E_RUN_MANIFEST", "out/dossier-8.v2.zip"),
        "{}",
        run.stdout
    );
}

#[test]
fn folder_and_zip_of_one_dossier_must_agree() {
    let tmp = tempfile::tempdir().unwrap();
    let out = archive_dir(tmp.path());
    // An unlisted tag file differs: each bag alone is valid, the pair is not.
    fs_err::write(out.join("dossier-7/notes.txt"), b"folder version").unwrap();
    let run = verify_path(&out);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        run.problem_codes(),
        BTreeSet::from(["E_ZIP_FOLDER_MISMATCH".to_owned()])
    );
    assert!(
        run.has("E_ZIP_FOLDER_MISMATCH", "dossier-7.zip/notes.txt"),
        "{}",
        run.stdout
    );
}

#[test]
fn our_metadata_is_checked_against_schema_and_files() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = our_bag(tmp.path(), "dossier-7");
    let meta_path = bag.join("data/metadata.json");
    let mut meta: serde_json::Value =
        serde_json::from_slice(&fs_err::read(&meta_path).unwrap()).unwrap();
    meta["files"][0]["size"] = serde_json::json!(999);
    meta["files"][1]["sha256"] = serde_json::json!("0".repeat(64));
    fs_err::write(&meta_path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    rebag(&bag);
    let run = verify_path(&bag);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.problem_codes(),
        BTreeSet::from(["E_METADATA_FILE".to_owned()])
    );
    assert!(
        run.has(
            "E_METADATA_FILE",
            "dossier-7/data/messagerie/2024-05-01/message.txt"
        ),
        "{}",
        run.stdout
    );
    assert!(
        run.has(
            "E_METADATA_FILE",
            "dossier-7/data/pieces_justificatives/1-Justificatif/attestation.pdf"
        ),
        "{}",
        run.stdout
    );

    meta.as_object_mut().unwrap().remove("files");
    fs_err::write(&meta_path, serde_json::to_vec_pretty(&meta).unwrap()).unwrap();
    rebag(&bag);
    let run = verify_path(&bag);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_METADATA_SCHEMA", "dossier-7/data/metadata.json"),
        "{}",
        run.stdout
    );
}

#[test]
fn json_report_follows_its_schema() {
    let bad = fixtures().join("bad-bags/E_DIGEST-corrupt-payload");
    let good = fixtures().join("good-bags/v1.0-md5sum-star-warning");
    let run = verify(&[
        std::ffi::OsStr::new("--json"),
        bad.as_os_str(),
        good.as_os_str(),
    ]);
    assert_eq!(run.code, 1);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let schema: serde_json::Value = serde_json::from_slice(
        &fs_err::read(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/verify-report.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&report)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(report["valid"], false);
    assert_eq!(report["problems"][0]["code"], "E_DIGEST");
    assert_eq!(report["problems"][0]["path"], "data/avis/rapport.pdf");
    assert_eq!(report["warnings"][0]["code"], "W_MD5SUM_STAR");
    assert_eq!(report["summary"]["bundles"], 2);
}

#[test]
fn fast_skips_digests_but_not_completeness() {
    let corrupt = fixtures().join("bad-bags/E_DIGEST-corrupt-payload");
    let run = verify(&[std::ffi::OsStr::new("--fast"), corrupt.as_os_str()]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let missing = fixtures().join("bad-bags/E_MISSING-missing-file");
    let run = verify(&[std::ffi::OsStr::new("--fast"), missing.as_os_str()]);
    assert_eq!(run.code, 1);
    let jobs1 = verify(&[
        std::ffi::OsStr::new("--jobs"),
        std::ffi::OsStr::new("1"),
        corrupt.as_os_str(),
    ]);
    assert_eq!(jobs1.code, 1);
}

#[test]
fn unusable_paths_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(verify_path(&tmp.path().join("nope")).code, 2);
    let plain = tmp.path().join("notes.txt");
    fs_err::write(&plain, b"x").unwrap();
    assert_eq!(verify_path(&plain).code, 2);
    let empty = tmp.path().join("empty");
    fs_err::create_dir(&empty).unwrap();
    let run = verify_path(&empty);
    assert_eq!(run.code, 2);
    assert!(run.stderr.starts_with("error:"), "{}", run.stderr);
    assert!(verify_paths(&[empty], &Options::default()).is_err());
    // A dossier folder that lost everything is an invalid bag, not "not a bag".
    let lost = tmp.path().join("dossier-5");
    fs_err::create_dir(&lost).unwrap();
    let run = verify_path(&lost);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_BAGIT_TXT", "dossier-5/bagit.txt") && run.has("E_NO_MANIFEST", "dossier-5"),
        "{}",
        run.stdout
    );
}

#[test]
fn bags_made_by_bagit_python_are_valid() {
    if !crate::common::have_tool("bagit.py") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let bag = tmp.path().join("made-by-bagit-py");
    fs_err::create_dir_all(bag.join("sous dossier")).unwrap();
    fs_err::write(bag.join("rapport.pdf"), b"%PDF-1.4 contenu").unwrap();
    fs_err::write(bag.join("sous dossier/100% conforme.txt"), b"oui").unwrap();
    fs_err::write(bag.join("sous dossier/Ñandú.txt"), b"nfc").unwrap();
    fs_err::write(bag.join("vide.txt"), b"").unwrap();
    let st = std::process::Command::new("bagit.py")
        .args(["--sha256", "--sha512", "--contact-name", "Archives test"])
        .arg(&bag)
        .output()
        .unwrap();
    assert!(
        st.status.success(),
        "{}",
        String::from_utf8_lossy(&st.stderr)
    );
    let run = verify_path(&bag);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let zip = tmp.path().join("made-by-bagit-py.zip");
    zip_bag(&bag, "made-by-bagit-py", &zip);
    assert_eq!(verify_path(&zip).code, 0);

    // And what bagit.py rejects, we reject.
    fs_err::write(bag.join("data/rapport.pdf"), b"%PDF-1.4 contenX").unwrap();
    let run = verify_path(&bag);
    assert_eq!(run.code, 1);
    assert!(
        run.has("E_DIGEST", "made-by-bagit-py/data/rapport.pdf"),
        "{}",
        run.stdout
    );
    let theirs = std::process::Command::new("bagit.py")
        .arg("--validate")
        .arg(&bag)
        .output()
        .unwrap();
    assert!(!theirs.status.success());
}
