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
    /// `(folder, zip)` pairs holding the same dossier (`dossier-N/` and `dossier-N.zip`).
    #[must_use]
    pub fn pairs(&self) -> Vec<(String, String)> {
        let zips: BTreeSet<&str> = self.zips.iter().map(String::as_str).collect();
        self.folders
            .iter()
            .filter_map(|d| {
                let z = format!("{d}.zip");
                zips.contains(z.as_str()).then_some((d.clone(), z))
            })
            .collect()
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

/// Parse `sha256sum` output lines (`<hex>  <name>` or `<hex> *<name>`, and
/// the `\`-escaped form for names holding a newline or backslash).
pub fn parse_run_manifest(text: &str, out: &mut Vec<Finding>) -> Vec<(String, String)> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.is_empty() {
            continue;
        }
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
            out.push(Finding::new(
                Code::RunManifest,
                "",
                RUN_MANIFEST,
                format!("line {n}: not `<sha256>  <file>`"),
            ));
            continue;
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
            out.push(Finding::new(
                Code::RunManifest,
                "",
                RUN_MANIFEST,
                format!("line {n}: `{name}` is not a file of this folder"),
            ));
            continue;
        }
        if entries.iter().any(|(e, _)| *e == name) {
            out.push(Finding::new(
                Code::RunManifest,
                "",
                name,
                format!("listed twice in {RUN_MANIFEST}"),
            ));
            continue;
        }
        entries.push((name, hex.to_ascii_lowercase()));
    }
    entries
}

/// Check the run manifest against the zips. `digests` holds the SHA-256 of
/// each zip (absent in fast mode); `hash_other` hashes a listed file that is
/// not a zip.
pub fn check_run_manifest(
    text: &str,
    zips: &[String],
    digests: &BTreeMap<String, Result<String, ReadError>>,
    fast: bool,
    hash_other: impl Fn(&str) -> Option<Result<String, ReadError>>,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let entries = parse_run_manifest(text, &mut out);
    for (name, want) in &entries {
        let got = match digests.get(name) {
            Some(r) => Some(r.clone()),
            None if zips.contains(name) => None,
            None => match hash_other(name) {
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
            Some(Ok(got)) if got != *want => {
                let msg = format!("sha256 expected {want} got {got} ({RUN_MANIFEST})");
                out.push(Finding::new(Code::RunManifest, "", name, msg));
            }
            Some(Err(e)) => out.push(Finding::new(code(e.kind), "", name, e.message)),
            _ => {}
        }
    }
    for zip in zips {
        if !entries.iter().any(|(n, _)| n == zip) {
            out.push(Finding::new(
                Code::RunManifest,
                "",
                zip,
                format!("not listed in {RUN_MANIFEST}"),
            ));
        }
    }
    out
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

    #[test]
    fn run_manifest_lines() {
        let a = "a".repeat(64);
        let text = format!(
            "{a}  dossier-1.zip\n{a} *dossier-2.zip\nbad line\n{a}  ../x.zip\n{a}  dossier-1.zip\n"
        );
        let mut out = Vec::new();
        let e = parse_run_manifest(&text, &mut out);
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].0, "dossier-2.zip");
        assert_eq!(
            codes(&out),
            [
                ("E_RUN_MANIFEST", RUN_MANIFEST),
                ("E_RUN_MANIFEST", RUN_MANIFEST),
                ("E_RUN_MANIFEST", "dossier-1.zip")
            ]
        );
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
        let digests: BTreeMap<String, Result<String, ReadError>> = [
            ("dossier-1.zip".to_owned(), Ok(a.clone())),
            ("dossier-2.zip".to_owned(), Ok(b)),
        ]
        .into();
        let out = check_run_manifest(&text, &zips, &digests, false, |_| None);
        assert_eq!(
            codes(&out),
            [
                ("E_RUN_MANIFEST", "dossier-2.zip"),
                ("E_RUN_MANIFEST", "dossier-9.zip"),
                ("E_RUN_MANIFEST", "dossier-3.zip")
            ]
        );
        let fast = check_run_manifest(&text, &zips, &BTreeMap::new(), true, |_| None);
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
