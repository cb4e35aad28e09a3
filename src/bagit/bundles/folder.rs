//! An archive folder's bundles listed compactly (issue #16: memory flat in
//! the number of dossiers): what [`super::discover`] finds, as 16 bytes a
//! dossier instead of two paths.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{parse_bundle_name, BundleLocation, FoundBundle};

/// The bundles of an archive folder as [`super::discover`] finds them, held as 16
/// bytes a dossier (number, version, folder and zip there or not) and made
/// into [`FoundBundle`]s one at a time: an archive of 10⁵ dossiers listed
/// with two paths each held 45 MB (issue #16, docs/benchmarks.md "Memory").
#[derive(Debug)]
pub struct FolderBundles {
    dir: PathBuf,
    /// The newest version of each dossier, by number.
    newest: Vec<Listed>,
    /// Paths whose name is not the one [`crate::bag::bundle_name`] gives for
    /// their number and version (`dossier-007`: never written by `archive`).
    odd: BTreeMap<(u64, u32, bool), PathBuf>,
}

/// A bundle's number, version, and whether its folder and zip are there.
#[derive(Debug, Clone, Copy)]
struct Listed {
    number: u64,
    version: u32,
    dir: bool,
    zip: bool,
}

impl FolderBundles {
    /// List `archive_dir`.
    ///
    /// # Errors
    /// The folder cannot be listed.
    pub fn list(archive_dir: &Path) -> std::io::Result<Self> {
        let mut all = Vec::new();
        let mut odd = BTreeMap::new();
        for entry in fs_err::read_dir(archive_dir)? {
            let entry = entry?;
            let name = entry.file_name();
            let Some(name) = name.to_str() else { continue };
            let (key, zip) = match name.strip_suffix(".zip").and_then(parse_bundle_name) {
                Some(key) => (key, true),
                None => match parse_bundle_name(name) {
                    Some(key) => (key, false),
                    None => continue,
                },
            };
            let path = entry.path();
            if !(if zip { path.is_file() } else { path.is_dir() }) {
                continue;
            }
            let usual = crate::bag::bundle_name(key.0, key.1);
            if name.strip_suffix(".zip").unwrap_or(name) != usual {
                odd.insert((key.0, key.1, zip), path);
            }
            all.push(Listed {
                number: key.0,
                version: key.1,
                dir: !zip,
                zip,
            });
        }
        // By number then version; the last of each number is its newest.
        all.sort_unstable_by_key(|l| (l.number, l.version));
        let mut newest: Vec<Listed> = Vec::new();
        for l in all {
            match newest.last_mut() {
                Some(last) if last.number == l.number && last.version == l.version => {
                    last.dir |= l.dir;
                    last.zip |= l.zip;
                }
                Some(last) if last.number == l.number => *last = l,
                _ => newest.push(l),
            }
        }
        newest.shrink_to_fit();
        Ok(Self {
            dir: archive_dir.to_owned(),
            newest,
            odd,
        })
    }

    /// Dossiers found.
    #[must_use]
    pub fn len(&self) -> usize {
        self.newest.len()
    }

    /// None found.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.newest.is_empty()
    }

    /// The newest bundle of each dossier, by number.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = FoundBundle> + '_ {
        self.newest.iter().map(|l| {
            let path = |zip: bool| match self.odd.get(&(l.number, l.version, zip)) {
                Some(p) => p.clone(),
                None => {
                    let name = crate::bag::bundle_name(l.number, l.version);
                    self.dir
                        .join(if zip { format!("{name}.zip") } else { name })
                }
            };
            let zip = l.zip.then(|| path(true));
            let location = match (l.dir, &zip) {
                (true, _) | (false, None) => BundleLocation::Dir(path(false)),
                (false, Some(z)) => BundleLocation::Zip(z.clone()),
            };
            FoundBundle {
                number: l.number,
                version: l.version,
                location,
                zip,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_the_paths_found_newest_version_first_choice() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::create_dir(dir.join("dossier-3")).unwrap();
        std::fs::write(dir.join("dossier-3.zip"), b"z").unwrap();
        std::fs::write(dir.join("dossier-3.v2.zip"), b"z").unwrap();
        // A name `archive` never writes, and a file where a folder belongs.
        std::fs::create_dir(dir.join("dossier-007")).unwrap();
        std::fs::write(dir.join("dossier-9"), b"not a bag").unwrap();
        let found: Vec<FoundBundle> = FolderBundles::list(dir).unwrap().iter().collect();
        assert_eq!(
            found,
            [
                FoundBundle {
                    number: 3,
                    version: 2,
                    location: BundleLocation::Zip(dir.join("dossier-3.v2.zip")),
                    zip: Some(dir.join("dossier-3.v2.zip")),
                },
                FoundBundle {
                    number: 7,
                    version: 1,
                    location: BundleLocation::Dir(dir.join("dossier-007")),
                    zip: None,
                },
            ]
        );
    }
}
