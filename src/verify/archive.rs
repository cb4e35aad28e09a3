//! Run-level checks of an archive output folder: which bundles it holds, the
//! `manifest-sha256.txt` that `archive` writes for `sha256sum -c`, and the
//! agreement between a bundle folder and its zip.
//!
//! The listing does I/O; parsing the run manifest and comparing a folder with
//! its zip are pure.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

use super::codes::Code;
use super::paths::is_junk;
use super::problems::code;
use super::report::Finding;
use crate::bagit::source::ReadError;
use crate::digest::{DigestAlg, HexDigests};

/// The run manifest's file name.
pub const RUN_MANIFEST: &str = "manifest-sha256.txt";

/// The state folder of `archive`, never verified.
const STATE_DIR: &str = ".ds-archive";

/// What an archive folder holds.
#[derive(Debug, Default)]
pub struct Plan {
    /// Bundle folders (names).
    pub folders: Vec<String>,
    /// Bundle zips (names), every `*.zip` directly in the folder.
    pub zips: Vec<String>,
    /// Whether `manifest-sha256.txt` exists.
    pub has_run_manifest: bool,
    /// Warnings found while listing (junk, skipped folders).
    pub findings: Vec<Finding>,
}

impl Plan {
    /// The index of the zip named `name` (`zips` is sorted).
    #[must_use]
    pub fn zip_index(&self, name: &str) -> Option<usize> {
        self.zips.binary_search_by(|z| z.as_str().cmp(name)).ok()
    }
}

/// Whether `dir` looks like a bag folder (a `bagit.txt` or a `data/` folder).
#[must_use]
pub fn looks_like_bag(dir: &Path) -> bool {
    dir.join("bagit.txt").is_file() || dir.join("data").is_dir()
}

/// Whether `name` is a zip by its extension.
#[must_use]
pub fn is_zip_name(name: &str) -> bool {
    name.len() > 4
        && name.is_char_boundary(name.len() - 4)
        && name[name.len() - 4..].eq_ignore_ascii_case(".zip")
}

/// List an archive folder. `Ok(None)` when nothing in it looks like ours.
pub fn plan(dir: &Path) -> io::Result<Option<Plan>> {
    let mut plan = Plan::default();
    let mut entries: Vec<(String, PathBuf)> = fs_err::read_dir(dir)?
        .map(|e| e.map(|e| (e.file_name().to_string_lossy().into_owned(), e.path())))
        .collect::<io::Result<_>>()?;
    entries.sort();
    let mut state = false;
    for (name, path) in entries {
        if path.is_dir() {
            if name == STATE_DIR {
                state = true;
            } else if name == "demarche" {
                // The démarche's documents: checked through the run manifest.
            } else if looks_like_bag(&path) || name.starts_with("dossier-") {
                plan.folders.push(name);
            } else if !name.starts_with('.') {
                plan.findings.push(Finding::new(
                    Code::Skipped,
                    "",
                    name,
                    "not a bag, not verified",
                ));
            }
        } else if is_zip_name(&name) {
            plan.zips.push(name);
        } else if name == RUN_MANIFEST {
            plan.has_run_manifest = true;
        } else if is_junk(&name) {
            plan.findings.push(Finding::new(
                Code::Junk,
                "",
                name,
                "operating-system junk file",
            ));
        }
    }
    let ours = state || plan.has_run_manifest || !plan.folders.is_empty() || !plan.zips.is_empty();
    Ok(ours.then_some(plan))
}

/// Parse one line of `sha256sum` output (`<hex>  <name>` or `<hex> *<name>`,
/// and the `\`-escaped form for names holding a newline or backslash):
/// `(name, lowercase hex)`, or a finding about line `n`.
pub fn parse_run_manifest_line(line: &str, n: usize) -> Result<(String, String), Finding> {
    let (escaped, body) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let parsed = body
        .get(..64)
        .zip(body.get(64..66))
        .zip(body.get(66..))
        .filter(|((hex, sep), name)| {
            hex.bytes().all(|b| b.is_ascii_hexdigit())
                && (*sep == "  " || *sep == " *")
                && !name.is_empty()
        });
    let Some(((hex, _), name)) = parsed else {
        return Err(Finding::new(
            Code::RunManifest,
            "",
            RUN_MANIFEST,
            format!("line {n}: not `<sha256>  <file>`"),
        ));
    };
    let name = if escaped {
        name.replace("\\n", "\n").replace("\\\\", "\\")
    } else {
        name.to_owned()
    };
    // A file of this folder, or of `demarche/` (the démarche's own
    // documents, src/pipeline/demarche_docs.rs).
    let file = name.strip_prefix("demarche/").unwrap_or(&name);
    if file.contains('/') || file.contains('\\') || matches!(file, ".." | "." | "") {
        return Err(Finding::new(
            Code::RunManifest,
            "",
            RUN_MANIFEST,
            format!("line {n}: `{name}` is not a file of this folder"),
        ));
    }
    Ok((name, hex.to_ascii_lowercase()))
}

/// Check the run manifest, read line by line from `manifest`, against the
/// zips (`zips` sorted, as [`plan`] lists them). `digest` gives the SHA-256
/// of the zip at an index (`None` in fast mode or when it could not be
/// computed); `hash_other` hashes a listed file that is not a zip.
///
/// Streams: what it keeps is one flag a zip, and the names of listed files
/// that are not zips (none in an archive `archive` wrote).
///
/// # Errors
/// When `manifest` cannot be read.
pub fn check_run_manifest(
    mut manifest: impl io::BufRead,
    zips: &[String],
    digest: impl Fn(usize) -> Option<Result<String, ReadError>>,
    fast: bool,
    hash_other: impl Fn(&str) -> Option<Result<String, ReadError>>,
) -> io::Result<Vec<Finding>> {
    let mut out = Vec::new();
    let mut listed = vec![false; zips.len()];
    let mut others: BTreeSet<String> = BTreeSet::new();
    let mut bytes = Vec::new();
    for n in 1.. {
        bytes.clear();
        if manifest.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        // As `str::lines`: the line ending is `\n` or `\r\n`.
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            let f = Finding::new(Code::RunManifest, "", RUN_MANIFEST, "not UTF-8");
            return Ok(vec![f]);
        };
        if line.is_empty() {
            continue;
        }
        let (name, want) = match parse_run_manifest_line(line, n) {
            Ok(entry) => entry,
            Err(finding) => {
                out.push(finding);
                continue;
            }
        };
        let zip = zips.binary_search(&name).ok();
        let first = match zip {
            Some(i) => !std::mem::replace(&mut listed[i], true),
            None => others.insert(name.clone()),
        };
        if !first {
            let msg = format!("listed twice in {RUN_MANIFEST}");
            out.push(Finding::new(Code::RunManifest, "", name, msg));
            continue;
        }
        let got = match zip {
            Some(i) => digest(i),
            None => match hash_other(&name) {
                None => {
                    out.push(Finding::new(
                        Code::RunManifest,
                        "",
                        name,
                        format!("listed in {RUN_MANIFEST} but missing"),
                    ));
                    continue;
                }
                some => some,
            },
        };
        match got {
            _ if fast => {}
            Some(Ok(got)) if got != want => {
                let msg = format!("sha256 expected {want} got {got} ({RUN_MANIFEST})");
                out.push(Finding::new(Code::RunManifest, "", name, msg));
            }
            Some(Err(e)) => out.push(Finding::new(code(e.kind), "", name, e.message)),
            _ => {}
        }
    }
    for (zip, _) in zips.iter().zip(&listed).filter(|(_, l)| !**l) {
        out.push(Finding::new(
            Code::RunManifest,
            "",
            zip,
            format!("not listed in {RUN_MANIFEST}"),
        ));
    }
    Ok(out)
}

/// Compare a bundle folder with its zip, file by file (SHA-256, or size in
/// fast mode). Findings are about `zip`.
pub fn compare_pair(
    folder: &BTreeMap<String, (u64, HexDigests)>,
    zip: &BTreeMap<String, (u64, HexDigests)>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let mismatch = |path: &str, msg: String| Finding::new(Code::ZipFolderMismatch, "", path, msg);
    for (path, (size, digests)) in folder {
        let Some((zsize, zdigests)) = zip.get(path) else {
            out.push(mismatch(path, "in the folder, not in the zip".into()));
            continue;
        };
        if size != zsize {
            out.push(mismatch(
                path,
                format!("{size} bytes in the folder, {zsize} in the zip"),
            ));
            continue;
        }
        if let (Some(a), Some(b)) = (
            digests.get(&DigestAlg::Sha256),
            zdigests.get(&DigestAlg::Sha256),
        ) {
            if a != b {
                out.push(mismatch(
                    path,
                    format!("sha256 {a} in the folder, {b} in the zip"),
                ));
            }
        }
    }
    for path in zip.keys().filter(|p| !folder.contains_key(*p)) {
        out.push(mismatch(path, "in the zip, not in the folder".into()));
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn codes(f: &[Finding]) -> Vec<(&str, &str)> {
        f.iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect()
    }

    fn check(
        text: &str,
        zips: &[String],
        digests: &BTreeMap<usize, Result<String, ReadError>>,
        fast: bool,
    ) -> Vec<Finding> {
        let digest = |i: usize| digests.get(&i).cloned();
        check_run_manifest(text.as_bytes(), zips, digest, fast, |_| None).unwrap()
    }

    #[test]
    fn run_manifest_lines() {
        let a = "a".repeat(64);
        let text = format!(
            "{a}  dossier-1.zip\n{a} *dossier-2.zip\nbad line\n{a}  ../x.zip\n{a}  dossier-1.zip\n"
        );
        let zips = vec!["dossier-1.zip".to_owned(), "dossier-2.zip".to_owned()];
        let out = check(&text, &zips, &BTreeMap::new(), true);
        assert_eq!(
            codes(&out),
            [
                ("E_RUN_MANIFEST", RUN_MANIFEST),
                ("E_RUN_MANIFEST", RUN_MANIFEST),
                ("E_RUN_MANIFEST", "dossier-1.zip")
            ]
        );
        let line = format!("\\{a}  a\\nb");
        assert_eq!(parse_run_manifest_line(&line, 1).unwrap().0, "a\nb");
        let crlf = format!("{a}  dossier-1.zip\r\n{a}  dossier-2.zip\r\n");
        assert!(check(&crlf, &zips, &BTreeMap::new(), true).is_empty());
        let bad = b"\xff\n".as_slice();
        let out = check_run_manifest(bad, &zips, |_| None, true, |_| None).unwrap();
        assert_eq!(out[0].message, "not UTF-8");
    }

    #[test]
    fn run_manifest_against_zips() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let text = format!("{a}  dossier-1.zip\n{a}  dossier-2.zip\n{a}  dossier-9.zip\n");
        let zips = vec![
            "dossier-1.zip".to_owned(),
            "dossier-2.zip".to_owned(),
            "dossier-3.zip".to_owned(),
        ];
        let digests: BTreeMap<usize, Result<String, ReadError>> =
            [(0, Ok(a.clone())), (1, Ok(b))].into();
        let out = check(&text, &zips, &digests, false);
        assert_eq!(
            codes(&out),
            [
                ("E_RUN_MANIFEST", "dossier-2.zip"),
                ("E_RUN_MANIFEST", "dossier-9.zip"),
                ("E_RUN_MANIFEST", "dossier-3.zip")
            ]
        );
        let fast = check(&text, &zips, &BTreeMap::new(), true);
        assert_eq!(
            codes(&fast),
            [
                ("E_RUN_MANIFEST", "dossier-9.zip"),
                ("E_RUN_MANIFEST", "dossier-3.zip")
            ]
        );
    }

    #[test]
    fn pair_comparison() {
        let d = |s: &str| HexDigests::from([(DigestAlg::Sha256, s.to_owned())]);
        let folder = BTreeMap::from([
            ("a".to_owned(), (1, d("x"))),
            ("b".to_owned(), (1, d("x"))),
            ("c".to_owned(), (1, d("x"))),
        ]);
        let zip = BTreeMap::from([
            ("a".to_owned(), (1, d("x"))),
            ("b".to_owned(), (1, d("y"))),
            ("z".to_owned(), (1, d("x"))),
        ]);
        let out = compare_pair(&folder, &zip);
        assert_eq!(
            codes(&out),
            [
                ("E_ZIP_FOLDER_MISMATCH", "b"),
                ("E_ZIP_FOLDER_MISMATCH", "c"),
                ("E_ZIP_FOLDER_MISMATCH", "z")
            ]
        );
    }

    #[test]
    fn zip_names() {
        assert!(is_zip_name("dossier-1.zip") && is_zip_name("dossier-1.v2.ZIP"));
        assert!(!is_zip_name(".zip") && !is_zip_name("dossier-1.zipx"));
    }
}
