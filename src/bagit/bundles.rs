//! Finding and reading the bundles that `ds-archive archive` wrote
//! (used by `seda` and `inventory`).
//!
//! An archive folder holds `dossier-<N>/` (a BagIt bag) and/or
//! `dossier-<N>.zip` (the same bag under one top folder). The folder is read
//! when present, the zip otherwise. [`BagReader`] hides the difference: it lists
//! the bag's files and streams any of them. Nothing here judges a bag; see
//! `seda`'s integrity gate and `verify`.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Where a dossier's bag lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BundleLocation {
    /// An unpacked bag folder.
    Dir(PathBuf),
    /// A zip of the bag.
    Zip(PathBuf),
}

impl BundleLocation {
    /// The path on disk.
    #[must_use]
    pub fn path(&self) -> &Path {
        match self {
            Self::Dir(p) | Self::Zip(p) => p,
        }
    }
}

/// One dossier bundle found in the archive folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundBundle {
    /// The dossier number (from the name `dossier-<N>`).
    pub number: u64,
    /// Its version: 1 for `dossier-<N>`, K for `dossier-<N>.v<K>`.
    pub version: u32,
    /// Folder or zip.
    pub location: BundleLocation,
    /// The zip next to the folder, if any (the inventory reports it).
    pub zip: Option<PathBuf>,
}

/// List the bundles of an archive folder, sorted by dossier number: for each
/// dossier, its latest version (a dossier changed at DS gets `dossier-N.v2`,
/// `.v3`... beside the earlier ones, which are kept but describe the past).
///
/// # Errors
/// The folder cannot be listed.
pub fn discover(archive_dir: &Path) -> std::io::Result<Vec<FoundBundle>> {
    let mut dirs = BTreeMap::new();
    let mut zips = BTreeMap::new();
    for entry in fs_err::read_dir(archive_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if let Some(key) = name.strip_suffix(".zip").and_then(parse_bundle_name) {
            if path.is_file() {
                zips.insert(key, path);
            }
        } else if let Some(key) = parse_bundle_name(name) {
            if path.is_dir() {
                dirs.insert(key, path);
            }
        }
    }
    // (number, version) keys in order: the last one of each number wins.
    let mut latest: BTreeMap<u64, u32> = BTreeMap::new();
    for &(n, v) in dirs.keys().chain(zips.keys()) {
        let best = latest.entry(n).or_insert(v);
        *best = (*best).max(v);
    }
    Ok(latest
        .into_iter()
        .filter_map(|(n, v)| {
            let zip = zips.get(&(n, v)).cloned();
            let location = match dirs.get(&(n, v)) {
                Some(d) => BundleLocation::Dir(d.clone()),
                None => BundleLocation::Zip(zip.clone()?),
            };
            Some(FoundBundle {
                number: n,
                version: v,
                location,
                zip,
            })
        })
        .collect())
}

/// `dossier-123` → 123.
#[must_use]
pub fn parse_dossier_name(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("dossier-")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// `dossier-123` → (123, 1); `dossier-123.v2` → (123, 2). Versions start at
/// 2 (`.v1`, `.v02` are not names `archive` writes).
#[must_use]
pub fn parse_bundle_name(name: &str) -> Option<(u64, u32)> {
    let Some((base, version)) = name.split_once(".v") else {
        return parse_dossier_name(name).map(|n| (n, 1));
    };
    let number = parse_dossier_name(base)?;
    let ok = version.bytes().all(|b| b.is_ascii_digit()) && !version.starts_with('0');
    let version: u32 = version.parse().ok().filter(|v| ok && *v >= 2)?;
    Some((number, version))
}

/// Streams the files of one bag, folder or zip alike. Paths are bag-relative
/// with `/` separators (`bagit.txt`, `data/x.pdf`).
pub struct BagReader {
    inner: Inner,
    files: BTreeMap<String, u64>,
}

enum Inner {
    Dir(PathBuf),
    Zip {
        archive: Box<zip::ZipArchive<fs_err::File>>,
        prefix: String,
    },
}

impl BagReader {
    /// Open a bag.
    ///
    /// # Errors
    /// The folder cannot be walked or the zip cannot be read.
    pub fn open(location: &BundleLocation) -> std::io::Result<Self> {
        match location {
            BundleLocation::Dir(dir) => {
                let mut files = BTreeMap::new();
                for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
                    let entry = entry.map_err(std::io::Error::other)?;
                    if !entry.file_type().is_file() {
                        continue;
                    }
                    let rel = entry
                        .path()
                        .strip_prefix(dir)
                        .map_err(std::io::Error::other)?;
                    let rel: Vec<String> = rel
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect();
                    let size = entry.metadata().map_err(std::io::Error::other)?.len();
                    files.insert(rel.join("/"), size);
                }
                Ok(Self {
                    inner: Inner::Dir(dir.clone()),
                    files,
                })
            }
            BundleLocation::Zip(path) => {
                let file = fs_err::File::open(path)?;
                let mut archive = zip::ZipArchive::new(file).map_err(std::io::Error::other)?;
                let prefix = bag_prefix(&archive);
                let mut files = BTreeMap::new();
                for i in 0..archive.len() {
                    let entry = archive.by_index(i).map_err(std::io::Error::other)?;
                    if entry.is_dir() {
                        continue;
                    }
                    let Some(rel) = entry.name().strip_prefix(&prefix) else {
                        continue;
                    };
                    files.insert(rel.to_owned(), entry.size());
                }
                Ok(Self {
                    inner: Inner::Zip {
                        archive: Box::new(archive),
                        prefix,
                    },
                    files,
                })
            }
        }
    }

    /// Every file of the bag with its size, sorted by path.
    #[must_use]
    pub fn files(&self) -> &BTreeMap<String, u64> {
        &self.files
    }

    /// Copy one file into `out`; returns the byte count.
    ///
    /// # Errors
    /// The file is absent or unreadable (zip CRC errors included).
    pub fn copy_to(&mut self, rel: &str, out: &mut dyn Write) -> std::io::Result<u64> {
        match &mut self.inner {
            Inner::Dir(dir) => {
                let mut f = fs_err::File::open(dir.join(rel))?;
                std::io::copy(&mut f, out)
            }
            Inner::Zip { archive, prefix } => {
                let mut entry = archive
                    .by_name(&format!("{prefix}{rel}"))
                    .map_err(std::io::Error::other)?;
                std::io::copy(&mut entry, out)
            }
        }
    }

    /// Read a whole (small) file.
    ///
    /// # Errors
    /// As [`Self::copy_to`].
    pub fn read(&mut self, rel: &str) -> std::io::Result<Vec<u8>> {
        let mut buf = Vec::new();
        self.copy_to(rel, &mut buf)?;
        Ok(buf)
    }

    /// Read and parse a JSON file of the bag.
    ///
    /// # Errors
    /// Unreadable, or not JSON.
    pub fn read_json(&mut self, rel: &str) -> std::io::Result<Value> {
        let bytes = self.read(rel)?;
        serde_json::from_slice(&bytes).map_err(|e| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{rel}: {e}"))
        })
    }
}

/// The folder inside a bag zip that holds `bagit.txt` (`dossier-N/`), or ""
/// when the bag sits at the zip's root.
fn bag_prefix<R: Read + std::io::Seek>(archive: &zip::ZipArchive<R>) -> String {
    archive
        .file_names()
        .filter_map(|n| n.strip_suffix("bagit.txt"))
        .filter(|p| p.is_empty() || (p.ends_with('/') && p.matches('/').count() == 1))
        .min_by_key(|p| p.len())
        .unwrap_or("")
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dossier_names() {
        assert_eq!(parse_dossier_name("dossier-42"), Some(42));
        assert_eq!(parse_dossier_name("dossier-"), None);
        assert_eq!(parse_dossier_name("dossier-4a"), None);
        assert_eq!(parse_dossier_name("report.json"), None);
    }

    #[test]
    fn bundle_names_and_versions() {
        assert_eq!(parse_bundle_name("dossier-42"), Some((42, 1)));
        assert_eq!(parse_bundle_name("dossier-42.v2"), Some((42, 2)));
        assert_eq!(parse_bundle_name("dossier-42.v13"), Some((42, 13)));
        for bad in [
            "dossier-42.v1",
            "dossier-42.v02",
            "dossier-42.v",
            "dossier-42.vx",
            "dossier-.v2",
        ] {
            assert_eq!(parse_bundle_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn discover_keeps_the_latest_version_of_each_dossier() {
        let tmp = tempfile::tempdir().expect("tmp");
        for d in ["dossier-3", "dossier-3.v2", "dossier-3.v10", "dossier-5"] {
            fs_err::create_dir(tmp.path().join(d)).expect("dir");
        }
        fs_err::write(tmp.path().join("dossier-3.v10.zip"), b"z").expect("zip");
        fs_err::write(tmp.path().join("dossier-5.zip"), b"z").expect("zip");
        // Only a zip for the latest version of 5: the zip it is.
        fs_err::write(tmp.path().join("dossier-5.v2.zip"), b"z").expect("zip");
        let found = discover(tmp.path()).expect("list");
        assert_eq!(found.len(), 2);
        assert_eq!((found[0].number, found[0].version), (3, 10));
        assert_eq!(
            found[0].location,
            BundleLocation::Dir(tmp.path().join("dossier-3.v10"))
        );
        assert_eq!(found[0].zip, Some(tmp.path().join("dossier-3.v10.zip")));
        assert_eq!((found[1].number, found[1].version), (5, 2));
        assert_eq!(
            found[1].location,
            BundleLocation::Zip(tmp.path().join("dossier-5.v2.zip"))
        );
    }

    #[test]
    fn discover_prefers_folders_and_falls_back_to_zips() {
        let tmp = tempfile::tempdir().expect("tmp");
        fs_err::create_dir(tmp.path().join("dossier-2")).expect("dir");
        fs_err::write(tmp.path().join("dossier-2.zip"), b"z").expect("zip");
        fs_err::write(tmp.path().join("dossier-10.zip"), b"z").expect("zip");
        fs_err::create_dir(tmp.path().join(".ds-archive")).expect("state");
        fs_err::write(tmp.path().join("report.json"), b"{}").expect("report");
        let found = discover(tmp.path()).expect("list");
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].number, 2);
        assert!(matches!(found[0].location, BundleLocation::Dir(_)));
        assert!(found[0].zip.is_some());
        assert_eq!(found[1].number, 10);
        assert!(matches!(found[1].location, BundleLocation::Zip(_)));
    }
}
