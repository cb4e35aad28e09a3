//! Finding and reading the bundles that `ds-archive archive` wrote
//! (used by `seda` and `inventory`).
//!
//! An archive folder holds `dossier-<N>/` (a BagIt bag) and/or
//! `dossier-<N>.zip` (the same bag under one top folder). The folder is read
//! when present, the zip otherwise. [`BagReader`] hides the difference: it lists
//! the bag's files and streams any of them, through the one folder-or-zip
//! reader of [`super::source`] that `verify` uses too. Nothing here judges a
//! bag; see `seda`'s integrity gate and `verify`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::source::{DirSource, Problem, ProblemKind, ReadError, Session, Source};
use super::zipsource::ZipSource;
pub use found::{discover, discover_sorted, BundleNames, Discovered};

mod found;

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

/// Streams the files of one bag, folder or zip alike, through the shared
/// reader ([`DirSource`], [`ZipSource`]). Paths are bag-relative with `/`
/// separators (`bagit.txt`, `data/x.pdf`).
pub struct BagReader {
    session: Box<dyn Session>,
    files: BTreeMap<String, u64>,
    problems: Vec<Problem>,
}

impl BagReader {
    /// Open a bag.
    ///
    /// # Errors
    /// The folder cannot be walked or the zip cannot be read (not a zip,
    /// truncated, an entry of its central directory unreadable).
    pub fn open(location: &BundleLocation) -> std::io::Result<Self> {
        let (source, problems): (Box<dyn Source>, _) = match location {
            BundleLocation::Dir(dir) => {
                let (source, problems) = DirSource::open(dir);
                (Box::new(source), problems)
            }
            BundleLocation::Zip(path) => {
                let (source, problems) = ZipSource::open(path).map_err(problem_error)?;
                (Box::new(source), problems)
            }
        };
        // A bag that cannot be listed in full is not read at all; other
        // oddities (a duplicate or unsafe zip entry, left out of the files)
        // are for the caller to judge.
        if let Some(p) = problems
            .iter()
            .find(|p| matches!(p.kind, ProblemKind::Unreadable | ProblemKind::ZipCorrupt))
        {
            return Err(problem_error(p.clone()));
        }
        let files = source
            .files()
            .iter()
            .map(|f| (f.path.clone(), f.size))
            .collect();
        Ok(Self {
            session: source.session()?,
            files,
            problems,
        })
    }

    /// Every file of the bag with its size, sorted by path.
    #[must_use]
    pub fn files(&self) -> &BTreeMap<String, u64> {
        &self.files
    }

    /// What the reader met that did not stop it (entries left out of
    /// [`Self::files`]: symbolic links, unsafe or duplicate zip names...).
    #[must_use]
    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }

    /// Copy one file into `out`; returns the byte count.
    ///
    /// # Errors
    /// The file is absent or unreadable (zip CRC errors included).
    pub fn copy_to(&mut self, rel: &str, out: &mut dyn Write) -> std::io::Result<u64> {
        Ok(self.session.copy_to(rel, out)?)
    }

    /// Read a whole (small) file.
    ///
    /// # Errors
    /// As [`Self::copy_to`].
    pub fn read(&mut self, rel: &str) -> std::io::Result<Vec<u8>> {
        Ok(self.session.read_all(rel)?)
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

    /// The bag's `data/metadata.json` and `data/dossier.json`: what the
    /// readers of an archive (inventory, export) start from.
    ///
    /// # Errors
    /// Either file is unreadable or not JSON; the message names the file.
    pub fn read_metadata_and_dossier(&mut self) -> Result<(Value, Value), String> {
        let mut json = |rel: &str| self.read_json(rel).map_err(|e| format!("{rel}: {e}"));
        Ok((json("data/metadata.json")?, json("data/dossier.json")?))
    }
}

/// A problem that stops reading, as an I/O error naming where it is.
fn problem_error(p: Problem) -> std::io::Error {
    let message = if p.path.is_empty() {
        p.message
    } else {
        format!("{}: {}", p.path, p.message)
    };
    ReadError {
        kind: p.kind,
        message,
    }
    .into()
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

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for (name, data) in files {
            w.start_file(*name, opts).expect("start");
            std::io::Write::write_all(&mut w, data).expect("write");
        }
        w.finish().expect("finish").into_inner()
    }

    #[test]
    fn folder_and_zip_read_alike_through_the_shared_reader() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("dossier-1");
        fs_err::create_dir_all(dir.join("data")).expect("dir");
        fs_err::write(dir.join("bagit.txt"), b"BagIt-Version: 1.0\n").expect("write");
        fs_err::write(dir.join("data/a.json"), br#"{"n":1}"#).expect("write");
        let zip = tmp.path().join("dossier-1.zip");
        fs_err::write(
            &zip,
            zip_of(&[
                ("dossier-1/bagit.txt", b"BagIt-Version: 1.0\n"),
                ("dossier-1/data/a.json", br#"{"n":1}"#),
            ]),
        )
        .expect("zip");
        for location in [BundleLocation::Dir(dir), BundleLocation::Zip(zip)] {
            let mut bag = BagReader::open(&location).expect("open");
            let files: Vec<_> = bag.files().iter().map(|(p, n)| (p.as_str(), *n)).collect();
            assert_eq!(
                files,
                [("bagit.txt", 19), ("data/a.json", 7)],
                "{location:?}"
            );
            assert_eq!(bag.read_json("data/a.json").expect("json")["n"], 1);
            let mut out = Vec::new();
            assert_eq!(bag.copy_to("bagit.txt", &mut out).expect("copy"), 19);
            assert!(bag.read("data/none").is_err());
            assert!(bag.problems().is_empty());
        }
    }

    #[test]
    fn a_truncated_bundle_is_refused_not_read_as_its_attachment() {
        // A bundle cut right after a stored DOCX ends with the DOCX's own end
        // record: a plain zip reader opens the DOCX as if it were the bag.
        let docx = zip_of(&[("word/document.xml", b"<w/>")]);
        let whole = zip_of(&[
            ("dossier-1/bagit.txt", b"BagIt-Version: 1.0\n"),
            ("dossier-1/data/a.docx", &docx),
        ]);
        let at = whole
            .windows(docx.len())
            .position(|w| w == docx.as_slice())
            .expect("stored");
        let tmp = tempfile::tempdir().expect("tmp");
        let zip = tmp.path().join("dossier-1.zip");
        fs_err::write(&zip, &whole[..at + docx.len()]).expect("write");
        let err = BagReader::open(&BundleLocation::Zip(zip))
            .err()
            .expect("a truncated bundle is not a bag");
        assert!(
            err.to_string().contains("end-of-central-directory"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn symbolic_links_are_left_out_and_told() {
        let tmp = tempfile::tempdir().expect("tmp");
        fs_err::create_dir_all(tmp.path().join("data")).expect("dir");
        fs_err::write(tmp.path().join("bagit.txt"), b"x").expect("write");
        std::os::unix::fs::symlink("/etc/hostname", tmp.path().join("data/link")).expect("link");
        let bag = BagReader::open(&BundleLocation::Dir(tmp.path().to_path_buf())).expect("open");
        assert_eq!(bag.files().keys().collect::<Vec<_>>(), ["bagit.txt"]);
        assert_eq!(bag.problems()[0].kind, ProblemKind::Symlink);
        assert_eq!(bag.problems()[0].path, "data/link");
    }
}
