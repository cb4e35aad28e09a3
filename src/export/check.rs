//! `verify` of an export view: every file `paths.csv` lists is there with
//! its SHA-256, nothing else is, and (with `--against DIR`) each SHA-256 is
//! the one the bag's own manifest holds for the bag path, so a view proves
//! it is a faithful copy of the archive, not merely of itself.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use super::write::{PATHS_CSV, PATHS_HEADER};
use crate::bagit::bundles::{discover, BagReader, BundleLocation};
use crate::digest::{hash_reader, DigestAlg};

/// Whether `path` is an export view (a folder with `paths.csv`, not a bag).
#[must_use]
pub fn is_view(path: &Path) -> bool {
    path.join(PATHS_CSV).is_file() && !path.join("bagit.txt").exists()
}

/// What checking a view found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ViewReport {
    /// Files checked.
    pub files: usize,
    /// One line per problem, naming the view path (and bag path).
    pub problems: Vec<String>,
}

/// Check the view at `view`; with `against`, also against the archive's
/// bag manifests.
///
/// # Errors
/// `paths.csv` cannot be read or has another header, or `against` cannot be
/// listed: the view cannot be checked at all.
pub fn verify_view(view: &Path, against: Option<&Path>) -> Result<ViewReport, String> {
    let csv_path = view.join(PATHS_CSV);
    let mut r =
        csv::Reader::from_path(&csv_path).map_err(|e| format!("`{}`: {e}", csv_path.display()))?;
    let header: Vec<String> = r
        .headers()
        .map_err(|e| format!("`{}`: {e}", csv_path.display()))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header != PATHS_HEADER {
        return Err(format!(
            "`{}`: not an export mapping (header {header:?})",
            csv_path.display()
        ));
    }
    let mut rows = Vec::new();
    for rec in r.records() {
        let rec = rec.map_err(|e| format!("`{}`: {e}", csv_path.display()))?;
        rows.push(rec.iter().map(str::to_owned).collect::<Vec<_>>());
    }
    let mut report = ViewReport::default();
    let mut listed: BTreeSet<String> = BTreeSet::new();
    let mut zips: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for row in &rows {
        let [view_path, entry, _, bag_path, sha256] = &row[..] else {
            continue;
        };
        report.files += 1;
        let inside = Path::new(view_path)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !inside {
            report
                .problems
                .push(format!("{view_path}: not a path inside the view"));
            continue;
        }
        let got = if entry.is_empty() {
            listed.insert(view_path.clone());
            hash_file(&view.join(view_path))
        } else {
            listed.insert(view_path.clone());
            zips.entry(view_path.clone())
                .or_default()
                .insert(entry.clone());
            hash_entry(&view.join(view_path), entry)
        };
        let shown = if entry.is_empty() {
            view_path.clone()
        } else {
            format!("{view_path}:{entry}")
        };
        match got {
            Ok(sum) if sum == *sha256 => {}
            Ok(_) => report.problems.push(format!(
                "{shown}: content differs from {bag_path} (SHA-256 in paths.csv)"
            )),
            Err(e) => report
                .problems
                .push(format!("{shown}: missing or unreadable: {e}")),
        }
    }
    for extra in extra_files(view, &listed) {
        report
            .problems
            .push(format!("{extra}: not listed in paths.csv"));
    }
    for (zip, entries) in &zips {
        for extra in zip_entries(&view.join(zip)).difference(entries) {
            report
                .problems
                .push(format!("{zip}:{extra}: not listed in paths.csv"));
        }
    }
    if let Some(dir) = against {
        check_against(dir, &rows, &mut report)?;
    }
    Ok(report)
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut f = fs_err::File::open(path)?;
    let (_, mut d) = hash_reader(&mut f, &[DigestAlg::Sha256], &mut Vec::new())?;
    Ok(d.remove(&DigestAlg::Sha256).unwrap_or_default())
}

fn hash_entry(zip: &Path, entry: &str) -> std::io::Result<String> {
    let mut archive =
        zip::ZipArchive::new(fs_err::File::open(zip)?).map_err(std::io::Error::other)?;
    let mut file = archive.by_name(entry).map_err(std::io::Error::other)?;
    // Reading to the end also checks the entry's CRC.
    let (_, mut d) = hash_reader(&mut file, &[DigestAlg::Sha256], &mut Vec::new())?;
    Ok(d.remove(&DigestAlg::Sha256).unwrap_or_default())
}

fn zip_entries(zip: &Path) -> BTreeSet<String> {
    let Ok(file) = fs_err::File::open(zip) else {
        return BTreeSet::new();
    };
    let Ok(archive) = zip::ZipArchive::new(file) else {
        return BTreeSet::new();
    };
    archive
        .file_names()
        .filter(|n| !n.ends_with('/'))
        .map(str::to_owned)
        .collect()
}

/// Files of the view (relative, `/`-separated) that `paths.csv` does not list.
fn extra_files(view: &Path, listed: &BTreeSet<String>) -> Vec<String> {
    walkdir::WalkDir::new(view)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| !e.file_type().is_dir())
        .filter_map(|e| {
            let rel = e.path().strip_prefix(view).ok()?;
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            (rel != PATHS_CSV && !listed.contains(&rel)).then_some(rel)
        })
        .collect()
}

/// Each row's SHA-256 against the `manifest-sha256.txt` of the bag it names.
fn check_against(dir: &Path, rows: &[Vec<String>], report: &mut ViewReport) -> Result<(), String> {
    let found = discover(dir).map_err(|e| format!("cannot list `{}`: {e}", dir.display()))?;
    let mut manifests: HashMap<String, Result<HashMap<String, String>, String>> = HashMap::new();
    for row in rows {
        let [view_path, _, bag, bag_path, sha256] = &row[..] else {
            continue;
        };
        let manifest = manifests
            .entry(bag.clone())
            .or_insert_with(|| read_manifest(dir, &found, bag));
        match manifest {
            Err(e) => report.problems.push(format!("{view_path}: bag `{bag}`: {e}")),
            Ok(m) => match m.get(bag_path) {
                Some(s) if s == sha256 => {}
                Some(_) => report.problems.push(format!(
                    "{view_path}: paths.csv's SHA-256 differs from `{bag}/{bag_path}` in the bag's manifest"
                )),
                None => report.problems.push(format!("{view_path}: `{bag}/{bag_path}` is not in the bag's manifest")),
            },
        }
    }
    Ok(())
}

fn read_manifest(
    dir: &Path,
    found: &[crate::bagit::bundles::FoundBundle],
    bag: &str,
) -> Result<HashMap<String, String>, String> {
    let location = found
        .iter()
        .map(|f| &f.location)
        .find(|l| {
            l.path()
                .file_name()
                .is_some_and(|n| n.to_string_lossy().trim_end_matches(".zip") == bag)
        })
        .cloned()
        .or_else(|| {
            // An older version than the latest is still a bag of the archive.
            let d = dir.join(bag);
            let z = dir.join(format!("{bag}.zip"));
            if d.is_dir() {
                Some(BundleLocation::Dir(d))
            } else {
                z.is_file().then_some(BundleLocation::Zip(z))
            }
        })
        .ok_or("not in the archive folder")?;
    let mut reader = BagReader::open(&location).map_err(|e| e.to_string())?;
    let text = reader
        .read("manifest-sha256.txt")
        .map_err(|e| e.to_string())?;
    Ok(String::from_utf8_lossy(&text)
        .lines()
        .filter_map(|l| {
            let (sum, path) = l.split_once(char::is_whitespace)?;
            Some((path.trim_start().to_owned(), sum.to_ascii_lowercase()))
        })
        .collect())
}
