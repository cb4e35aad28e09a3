//! Finding the bundles of an archive folder: for each dossier, its newest
//! version, folder or zip, in the order of the dossier numbers.
//!
//! Why through a sort on disk ([`crate::spill`]): the folder lists its
//! entries in no useful order, and a list of every bundle (two paths each)
//! was what made `inventory` grow with the dossiers (docs/benchmarks.md,
//! "Memory"). Each entry that names a bundle becomes a record keyed by
//! number and version (big-endian, so bytes sort as numbers); the sorted
//! records are grouped into one bundle a dossier, which are sorted again
//! (already in order: a sequential write) so that their count is known
//! before the first is read. A bucket's listing goes through the same
//! [`BundleNames`] (`crate::store::bucket`), so both follow one rule.

use std::io;
use std::path::{Path, PathBuf};

use super::{parse_bundle_name, BundleLocation, FoundBundle};
use crate::spill::Sorter;

/// The bundles of an archive folder, read back one at a time in the order
/// of the dossier numbers.
pub struct Discovered {
    /// How many bundles (dossiers) there are.
    pub count: u64,
    bundles: Box<dyn Iterator<Item = io::Result<FoundBundle>> + Send>,
}

impl Iterator for Discovered {
    type Item = io::Result<FoundBundle>;

    fn next(&mut self) -> Option<Self::Item> {
        self.bundles.next()
    }
}

/// List the bundles of an archive folder, sorted by dossier number: for each
/// dossier, its latest version (a dossier changed at DS gets `dossier-N.v2`,
/// `.v3`... beside the earlier ones, which are kept but describe the past).
///
/// # Errors
/// The folder cannot be listed.
pub fn discover(archive_dir: &Path) -> io::Result<Vec<FoundBundle>> {
    discover_sorted(archive_dir)?.collect()
}

/// [`discover`], the bundles read back as they are used rather than held.
///
/// # Errors
/// The folder cannot be listed, or the sort cannot spill to the temporary
/// folder.
pub fn discover_sorted(archive_dir: &Path) -> io::Result<Discovered> {
    let mut names = BundleNames::default();
    for entry in fs_err::read_dir(archive_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        if let Some(key) = name.strip_suffix(".zip").and_then(parse_bundle_name) {
            if path.is_file() {
                names.push(key, ZIP, name)?;
            }
        } else if let Some(key) = parse_bundle_name(name) {
            if path.is_dir() {
                names.push(key, DIR, name)?;
            }
        }
    }
    names.newest(archive_dir)
}

const DIR: u8 = 0;
const ZIP: u8 = 1;

/// Bundle names gathered in any order (a folder's entries, a bucket's
/// keys), sorted on disk by dossier number and version, then grouped into
/// the newest bundle of each dossier: the one rule of which bundle
/// describes a dossier now, for a folder and a bucket alike.
#[derive(Debug, Default)]
pub struct BundleNames {
    entries: Sorter,
}

impl BundleNames {
    /// Add `name` if it is a bundle zip's (`dossier-3.v2.zip`); whether it is.
    ///
    /// # Errors
    /// The sort cannot spill to the temporary folder.
    pub fn push_zip(&mut self, name: &str) -> io::Result<bool> {
        match name.strip_suffix(".zip").and_then(parse_bundle_name) {
            Some(key) => self.push(key, ZIP, name).map(|()| true),
            None => Ok(false),
        }
    }

    fn push(&mut self, key: (u64, u32), kind: u8, name: &str) -> io::Result<()> {
        let mut value = vec![kind];
        value.extend_from_slice(name.as_bytes());
        self.entries.push(&entry_key(key), &value)
    }

    /// The newest bundle of each dossier, as paths in `dir`, in the order of
    /// the dossier numbers.
    ///
    /// # Errors
    /// The sort cannot spill or read back its runs.
    pub fn newest(self, dir: &Path) -> io::Result<Discovered> {
        // One bundle a dossier: the newest version, its folder and zip (the
        // entry listed last when two names give the same number and version).
        let mut bundles = Sorter::default();
        let mut current: Option<Group> = None;
        for record in self.entries.into_sorted()? {
            let (key, value) = record?;
            let ((number, version), (kind, name)) = (parse_key(&key)?, split_value(&value)?);
            let group = match current.as_mut() {
                Some(g) if g.number == number => g,
                _ => {
                    if let Some(done) = current.take() {
                        done.push_to(&mut bundles)?;
                    }
                    current.insert(Group::new(number))
                }
            };
            if version > group.version {
                *group = Group::new(number);
                group.version = version;
            }
            let slot = if kind == ZIP {
                &mut group.zip
            } else {
                &mut group.dir
            };
            *slot = Some(name.to_owned());
        }
        if let Some(done) = current {
            done.push_to(&mut bundles)?;
        }
        let count = bundles.len();
        let dir = dir.to_path_buf();
        let found = bundles.into_sorted()?.map(move |r| {
            let (key, value) = r?;
            decode(&dir, &key, &value)
        });
        Ok(Discovered {
            count,
            bundles: Box::new(found),
        })
    }
}

/// The newest version of one dossier seen so far.
struct Group {
    number: u64,
    version: u32,
    dir: Option<String>,
    zip: Option<String>,
}

impl Group {
    fn new(number: u64) -> Self {
        Self {
            number,
            version: 0,
            dir: None,
            zip: None,
        }
    }

    /// Record: key the number and version; value the folder's name length
    /// (u32 big-endian, `u32::MAX` for none), the folder's name, the zip's.
    fn push_to(self, sorter: &mut Sorter) -> io::Result<()> {
        let dir = self.dir.unwrap_or_default();
        let dir_len = if dir.is_empty() {
            u32::MAX
        } else {
            u32::try_from(dir.len()).unwrap_or(u32::MAX)
        };
        let mut value = dir_len.to_be_bytes().to_vec();
        value.extend_from_slice(dir.as_bytes());
        value.extend_from_slice(self.zip.unwrap_or_default().as_bytes());
        sorter.push(&entry_key((self.number, self.version)), &value)
    }
}

fn entry_key((number, version): (u64, u32)) -> [u8; 12] {
    let mut key = [0; 12];
    key[..8].copy_from_slice(&number.to_be_bytes());
    key[8..].copy_from_slice(&version.to_be_bytes());
    key
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a sorted record is damaged")
}

fn parse_key(key: &[u8]) -> io::Result<(u64, u32)> {
    let number = key.get(..8).and_then(|b| b.try_into().ok());
    let version = key.get(8..12).and_then(|b| b.try_into().ok());
    match (number, version) {
        (Some(n), Some(v)) => Ok((u64::from_be_bytes(n), u32::from_be_bytes(v))),
        _ => Err(corrupt()),
    }
}

fn split_value(value: &[u8]) -> io::Result<(u8, &str)> {
    let (kind, name) = value.split_first().ok_or_else(corrupt)?;
    Ok((*kind, std::str::from_utf8(name).map_err(|_| corrupt())?))
}

fn decode(dir: &Path, key: &[u8], value: &[u8]) -> io::Result<FoundBundle> {
    let (number, version) = parse_key(key)?;
    let len = value.get(..4).and_then(|b| b.try_into().ok());
    let len = u32::from_be_bytes(len.ok_or_else(corrupt)?);
    let rest = &value[4..];
    let (folder, zip) = if len == u32::MAX {
        (None, rest)
    } else {
        let len = len as usize;
        let folder = rest.get(..len).ok_or_else(corrupt)?;
        (Some(folder), &rest[len..])
    };
    let path = |name: &[u8]| -> io::Result<PathBuf> {
        Ok(dir.join(std::str::from_utf8(name).map_err(|_| corrupt())?))
    };
    let zip = if zip.is_empty() {
        None
    } else {
        Some(path(zip)?)
    };
    let location = match folder {
        Some(f) => BundleLocation::Dir(path(f)?),
        None => BundleLocation::Zip(zip.clone().ok_or_else(corrupt)?),
    };
    Ok(FoundBundle {
        number,
        version,
        location,
        zip,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn many_bundles_come_back_in_number_order_through_the_sort_on_disk() {
        // Enough entries for the sort to write runs (about 40 bytes each,
        // 1 MiB held): numbers in no order, every third with a newer version.
        let tmp = tempfile::tempdir().expect("tmp");
        let n = 30_000_u64;
        for i in 0..n {
            let number = (i * 7_919) % n + 1;
            fs_err::write(tmp.path().join(format!("dossier-{number}.zip")), b"").expect("zip");
            if number.is_multiple_of(3) {
                let name = format!("dossier-{number}.v2.zip");
                fs_err::write(tmp.path().join(name), b"").expect("zip");
            }
        }
        let found = discover_sorted(tmp.path()).expect("list");
        assert_eq!(found.count, n);
        let mut next = 1;
        for f in found {
            let f = f.expect("read back");
            assert_eq!(f.number, next);
            let want = if next.is_multiple_of(3) { 2 } else { 1 };
            assert_eq!(f.version, want);
            let name = if want == 2 {
                format!("dossier-{next}.v2.zip")
            } else {
                format!("dossier-{next}.zip")
            };
            assert_eq!(f.location, BundleLocation::Zip(tmp.path().join(&name)));
            next += 1;
        }
        assert_eq!(next, n + 1);
    }

    #[test]
    fn gives_the_paths_found_newest_version_first_choice() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path();
        std::fs::create_dir(dir.join("dossier-3")).expect("dir");
        std::fs::write(dir.join("dossier-3.zip"), b"z").expect("zip");
        std::fs::write(dir.join("dossier-3.v2.zip"), b"z").expect("zip");
        // A name `archive` never writes, and a file where a folder belongs.
        std::fs::create_dir(dir.join("dossier-007")).expect("dir");
        std::fs::write(dir.join("dossier-9"), b"not a bag").expect("file");
        let found = discover(dir).expect("list");
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
