//! What an archive output folder holds for `verify`: its bundles, walked
//! a dossier at a time (a bag folder with the zip of the same name), the
//! files it skips or warns about, and the agreement between a bundle folder
//! and its zip. The run manifest's check is in `run_manifest`.
//!
//! Why a walk and no list: a list of the names takes memory a dossier, and
//! `verify` must stay flat at 10⁵ dossiers and more (docs/benchmarks.md,
//! "Memory"). The folder is read twice in the file system's order: once to
//! count (progress, threads) and gather the few warnings, once to hand out
//! the work; a folder finds its zip, and a zip its folder, by name on disk.
//! Nothing here needs the names in order: the report is sorted at the end.
//!
//! The walk does I/O; comparing a folder with its zip is pure.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

use super::codes::Code;
use super::paths::is_junk;
use super::report::Finding;
pub use super::run_manifest::RUN_MANIFEST;
use crate::digest::{DigestAlg, HexDigests};

/// The state folder of `archive`, never verified.
const STATE_DIR: &str = ".ds-archive";

/// What an archive folder holds, counted.
#[derive(Debug, Default)]
pub struct Plan {
    /// Bundle folders.
    pub folders: u64,
    /// Bundle zips: every `*.zip` directly in the folder.
    pub zips: u64,
    /// Units of work: folders, and zips without a folder of their name.
    pub units: u64,
    /// Whether `manifest-sha256.txt` exists.
    pub has_run_manifest: bool,
    /// Warnings found while listing (junk, skipped folders).
    pub findings: Vec<Finding>,
}

/// One unit of work of an archive folder (names, not paths).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArchiveUnit {
    /// A bag folder, with the zip of its name when there is one.
    Folder { name: String, zip: Option<String> },
    /// A zip without a bag folder of its name.
    Zip { name: String },
}

/// What an entry of an archive folder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Entry {
    State,
    /// The démarche's documents: checked through the run manifest.
    Demarche,
    Folder,
    /// A folder that is not a bag.
    Skipped,
    Zip,
    RunManifest,
    Junk,
    Other,
}

fn entry(name: &str, path: &Path) -> Entry {
    if path.is_dir() {
        if name == STATE_DIR {
            Entry::State
        } else if name == "demarche" {
            Entry::Demarche
        } else if name.starts_with("dossier-") || looks_like_bag(path) {
            Entry::Folder
        } else if !name.starts_with('.') {
            Entry::Skipped
        } else {
            Entry::Other
        }
    } else if is_zip_name(name) {
        Entry::Zip
    } else if name == RUN_MANIFEST {
        Entry::RunManifest
    } else if is_junk(name) {
        Entry::Junk
    } else {
        Entry::Other
    }
}

/// The zip paired with folder `name`: `<name>.zip`, when it is a zip entry.
fn zip_of_folder(dir: &Path, name: &str) -> Option<String> {
    let zip = format!("{name}.zip");
    let path = dir.join(&zip);
    let exists = fs_err::symlink_metadata(&path).is_ok();
    (exists && entry(&zip, &path) == Entry::Zip).then_some(zip)
}

/// Whether zip `name` belongs to a bag folder of its name (then the folder's
/// unit checks it).
fn zip_has_folder(dir: &Path, name: &str) -> bool {
    name.strip_suffix(".zip")
        .is_some_and(|stem| entry(stem, &dir.join(stem)) == Entry::Folder)
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

/// Count what an archive folder holds. `Ok(None)` when nothing in it looks
/// like ours.
pub fn plan(dir: &Path) -> io::Result<Option<Plan>> {
    let mut plan = Plan::default();
    let mut state = false;
    for e in fs_err::read_dir(dir)? {
        let e = e?;
        let name = e.file_name().to_string_lossy().into_owned();
        match entry(&name, &e.path()) {
            Entry::State => state = true,
            Entry::Folder => {
                plan.folders += 1;
                plan.units += 1;
            }
            Entry::Skipped => plan.findings.push(Finding::new(
                Code::Skipped,
                "",
                name,
                "not a bag, not verified",
            )),
            Entry::Zip => {
                plan.zips += 1;
                plan.units += u64::from(!zip_has_folder(dir, &name));
            }
            Entry::RunManifest => plan.has_run_manifest = true,
            Entry::Junk => plan.findings.push(Finding::new(
                Code::Junk,
                "",
                name,
                "operating-system junk file",
            )),
            Entry::Demarche | Entry::Other => {}
        }
    }
    let ours = state || plan.has_run_manifest || plan.folders > 0 || plan.zips > 0;
    Ok(ours.then_some(plan))
}

/// The units of work of an archive folder, as its entries are read.
///
/// # Errors
/// The folder cannot be listed (an entry that cannot be read is an `Err`
/// item).
pub fn units(dir: &Path) -> io::Result<impl Iterator<Item = io::Result<ArchiveUnit>> + '_> {
    Ok(fs_err::read_dir(dir)?.filter_map(move |e| {
        let e = match e {
            Ok(e) => e,
            Err(err) => return Some(Err(err)),
        };
        let name = e.file_name().to_string_lossy().into_owned();
        match entry(&name, &e.path()) {
            Entry::Folder => {
                let zip = zip_of_folder(dir, &name);
                Some(Ok(ArchiveUnit::Folder { name, zip }))
            }
            Entry::Zip if !zip_has_folder(dir, &name) => Some(Ok(ArchiveUnit::Zip { name })),
            _ => None,
        }
    }))
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
    fn the_walk_pairs_folders_with_their_zips_by_name() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        for d in ["dossier-1", "dossier-2", "notes", ".ds-archive", "demarche"] {
            fs_err::create_dir(dir.join(d)).unwrap();
        }
        // A bag by its content, whatever its name.
        fs_err::create_dir_all(dir.join("odd/data")).unwrap();
        for f in [
            "dossier-1.zip",
            "dossier-3.zip",
            "dossier-2.ZIP",
            "odd.zip",
            "Thumbs.db",
        ] {
            fs_err::write(dir.join(f), b"z").unwrap();
        }
        fs_err::write(dir.join(RUN_MANIFEST), b"").unwrap();
        let plan = plan(dir).unwrap().unwrap();
        assert_eq!((plan.folders, plan.zips, plan.units), (3, 4, 5));
        assert!(plan.has_run_manifest);
        let mut found: Vec<_> = plan
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect();
        found.sort_unstable();
        assert_eq!(found, [("W_JUNK", "Thumbs.db"), ("W_SKIPPED", "notes")]);
        let mut units: Vec<ArchiveUnit> = units(dir).unwrap().map(Result::unwrap).collect();
        units.sort_by_key(|u| format!("{u:?}"));
        let folder = |name: &str, zip: Option<&str>| ArchiveUnit::Folder {
            name: name.into(),
            zip: zip.map(Into::into),
        };
        let zip = |name: &str| ArchiveUnit::Zip { name: name.into() };
        assert_eq!(
            units,
            [
                folder("dossier-1", Some("dossier-1.zip")),
                folder("dossier-2", None),
                folder("odd", Some("odd.zip")),
                zip("dossier-2.ZIP"),
                zip("dossier-3.zip"),
            ]
        );
        assert!(plan_of_nothing_ours());
    }

    fn plan_of_nothing_ours() -> bool {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::write(tmp.path().join("readme.txt"), b"x").unwrap();
        plan(tmp.path()).unwrap().is_none()
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
