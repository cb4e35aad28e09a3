//! `ds-archive verify`, end to end: the committed bad and good bag fixtures,
//! zips generated here (corrupt, truncated, zip-slip, duplicate names), NFC
//! twins, archive folders with their run manifest, `--json`, `--fast`, exit
//! code 2, and bags made by bagit-python when it is installed.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use ds_archive::verify::{verify_bag_dir, verify_paths, verify_zip, Options};
use sha2::Digest;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    /// The codes printed on stdout (problems).
    fn problem_codes(&self) -> BTreeSet<String> {
        self.stdout.lines().filter_map(|l| l.split(' ').next()).map(str::to_owned).collect()
    }

    fn has(&self, code: &str, location: &str) -> bool {
        let prefix = format!("{code} {location}:");
        self.stdout.lines().chain(self.stderr.lines()).any(|l| l.starts_with(&prefix))
    }
}

fn verify(args: &[&std::ffi::OsStr]) -> Run {
    let out = Command::cargo_bin("ds-archive").unwrap().arg("verify").args(args).output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn verify_path(p: &Path) -> Run {
    verify(&[p.as_os_str()])
}

fn copy_dir(from: &Path, to: &Path) {
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
fn rebag(dir: &Path) {
    let hash = |alg: &str, b: &[u8]| match alg {
        "sha256" => hex::encode(sha2::Sha256::digest(b)),
        _ => hex::encode(sha2::Sha512::digest(b)),
    };
    let mut payload: Vec<(String, Vec<u8>)> = Vec::new();
    for e in walkdir::WalkDir::new(dir.join("data")).sort_by_file_name() {
        let e = e.unwrap();
        if e.file_type().is_file() {
            let rel = e.path().strip_prefix(dir).unwrap().to_string_lossy().replace('\\', "/");
            payload.push((rel, fs_err::read(e.path()).unwrap()));
        }
    }
    for alg in ["sha256", "sha512"] {
        let m = dir.join(format!("manifest-{alg}.txt"));
        if m.exists() {
            let text: String = payload.iter().map(|(p, b)| format!("{}  {}\n", hash(alg, b), p.replace('%', "%25"))).collect();
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
            .map(|l| if l.starts_with("Payload-Oxum:") { format!("{oxum}\n") } else { format!("{l}\n") })
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
            let text: String =
                names.iter().map(|n| format!("{}  {n}\n", hash(alg, &fs_err::read(dir.join(n)).unwrap()))).collect();
            fs_err::write(t, text).unwrap();
        }
    }
}

/// Zip `bag` under the top-level folder `top`, entries stored (uncompressed)
/// so tests can find and damage their bytes.
fn zip_bag(bag: &Path, top: &str, zip_path: &Path) {
    let file = fs_err::File::create(zip_path).unwrap();
    let mut w = zip::ZipWriter::new(file);
    let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for e in walkdir::WalkDir::new(bag).sort_by_file_name() {
        let e = e.unwrap();
        let rel = e.path().strip_prefix(bag).unwrap().to_string_lossy().replace('\\', "/");
        let name = if rel.is_empty() { format!("{top}/") } else { format!("{top}/{rel}") };
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
    ("E_DIGEST-corrupt-payload", &["E_DIGEST"], "data/avis/rapport.pdf"),
    ("E_MISSING-missing-file", &["E_MISSING", "E_OXUM"], "data/pieces_justificatives/piece.txt"),
    ("E_EXTRA-extra-file", &["E_EXTRA", "E_OXUM"], "data/pieces_justificatives/unlisted.txt"),
    ("E_DUPLICATE-listed-twice-different-digests", &["E_DUPLICATE"], "data/dossier.json"),
    ("E_BAGIT_TXT-space-before-colon", &["E_BAGIT_TXT"], "bagit.txt"),
    ("E_BOM-bagit-txt-bom", &["E_BOM"], "bagit.txt"),
    ("E_UNSAFE_PATH-path-traversal", &["E_UNSAFE_PATH"], "manifest-sha256.txt"),
    ("E_UNSAFE_PATH-fetch-absolute", &["E_UNSAFE_PATH"], "fetch.txt"),
    ("E_OXUM-payload-oxum-mismatch", &["E_OXUM"], "bag-info.txt"),
    ("E_NO_MANIFEST-no-manifest", &["E_NO_MANIFEST"], ""),
    ("E_TAG_DIGEST-bag-info-changed", &["E_TAG_DIGEST"], "bag-info.txt"),
    ("E_MANIFEST_SYNTAX-short-digest", &["E_EXTRA", "E_MANIFEST_SYNTAX"], "manifest-sha256.txt"),
    ("E_ENCODING-latin1-in-utf8-bag", &["E_ENCODING"], "bag-info.txt"),
];

fn location(bundle: &str, path: &str) -> String {
    if path.is_empty() { bundle.to_owned() } else { format!("{bundle}/{path}") }
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
        assert!(run.has(main_code, &location(name, path)), "{name}: {}", run.stdout);
        // The library says the same as the binary.
        let report = verify_bag_dir(&dir.join(name), &Options::default());
        let lib: BTreeSet<String> = report.problems().iter().map(|p| p.code.as_str().to_owned()).collect();
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
        assert_eq!(run.code, 0, "{:?}: {}{}", e.file_name(), run.stdout, run.stderr);
        assert!(run.stdout.is_empty());
    }
    let star = verify_path(&dir.join("v1.0-md5sum-star-warning"));
    assert!(star.stderr.contains("W_MD5SUM_STAR"), "{}", star.stderr);
}

#[test]
fn nfc_twins_warn_and_nfc_only_matches_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = tmp.path().join("W_NFC_TWIN-nfd-nfc-twins");
    copy_dir(&fixtures().join("good-bags/v1.0-sha256-sha512-percent-names"), &bag);
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
        let text = fs_err::read_to_string(bag.join(m)).unwrap().replace(nfc, nfd);
        fs_err::write(bag.join(m), text).unwrap();
    }
    write_tag_manifests(&bag);
    let run = verify_path(&bag);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("W_NFC_MATCH"), "{}", run.stderr);
}
