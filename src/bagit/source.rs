//! Where a bag's bytes come from: a folder on disk or a zip read in place.
//!
//! Every reader of bags (`verify`'s checks, `seda`'s integrity gate and
//! packager, `inventory`) sees only this interface, which is how a zip is
//! read exactly like the folder it holds, without extracting anything. This
//! file has the interface, the typed problems a reader meets and the folder
//! implementation; the zip one is in `zipsource.rs`. Problems are values, not
//! verdicts: `verify` maps each [`Problem`] kind to its stable finding code,
//! the others decide what they can live with.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::parallel::parallel_map;
use crate::digest::{hash_reader, DigestAlg, HexDigests};

/// What kind of trouble reading a bag ran into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// A file or folder cannot be read (I/O error, no such entry).
    Unreadable,
    /// A file name on disk is not UTF-8.
    NameNotUtf8,
    /// A symbolic link in a bag folder (not followed).
    Symlink,
    /// The zip cannot be opened, or an entry cannot be decompressed.
    ZipCorrupt,
    /// A zip entry's data does not match its CRC-32.
    ZipCrc,
    /// A zip entry name escapes the extraction folder or is a symbolic link.
    ZipUnsafe,
    /// Two zip entries have the same name.
    ZipDuplicate,
    /// The zip does not hold exactly one top-level folder with the bag in it.
    ZipLayout,
}

/// Something odd about a bag's container, found while listing it: the entry
/// it concerns is left out of [`Source::files`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// What went wrong.
    pub kind: ProblemKind,
    /// The bag-relative path (or zip entry name) concerned; empty for the
    /// container as a whole.
    pub path: String,
    /// What happened, in words.
    pub message: String,
}

impl Problem {
    /// A problem of `kind` about `path`.
    pub fn new(kind: ProblemKind, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            kind,
            path: path.into(),
            message: message.into(),
        }
    }
}

/// A regular file of the bag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the bag root, `/`-separated.
    pub path: String,
    /// Size in bytes (uncompressed for a zip entry).
    pub size: u64,
}

/// A read that failed, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// `Unreadable`, `ZipCrc` or `ZipCorrupt`.
    pub kind: ProblemKind,
    /// What happened.
    pub message: String,
}

impl ReadError {
    /// A read that failed for an I/O reason.
    #[must_use]
    pub fn io(e: &io::Error) -> Self {
        Self {
            kind: ProblemKind::Unreadable,
            message: e.to_string(),
        }
    }
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReadError {}

impl From<ReadError> for io::Error {
    fn from(e: ReadError) -> Self {
        let kind = match e.kind {
            ProblemKind::Unreadable => io::ErrorKind::NotFound,
            _ => io::ErrorKind::InvalidData,
        };
        Self::new(kind, e.message)
    }
}

/// Read access to one bag.
pub trait Source: Sync {
    /// The bag's regular files, sorted by path.
    fn files(&self) -> &[SourceFile];
    /// Whether `path` (no trailing `/`) is a folder of the bag.
    fn has_dir(&self, path: &str) -> bool;
    /// Whether entries are checksummed by the container, so every file must be
    /// read to the end even if no manifest covers it (zip CRCs).
    fn read_everything(&self) -> bool;
    /// A reader for one thread (it owns what it needs, so it may outlive
    /// this borrow).
    fn session(&self) -> Result<Box<dyn Session>, ReadError>;

    /// Hash `files` (path, size, algorithms) on up to `threads` threads;
    /// results in the same order. A source may do it its own way (a zip in
    /// one sequential pass).
    fn hash_files(&self, files: &[HashJob<'_>], threads: usize) -> Vec<HashResult> {
        hash_in_parallel(self, files, threads)
    }
}

/// A file to hash: path, size (for scheduling), algorithms.
pub type HashJob<'a> = (&'a str, u64, Vec<DigestAlg>);

/// Bytes read and digests, or why the file could not be read.
pub type HashResult = Result<(u64, HexDigests), ReadError>;

/// Spread `files` over `threads`, each with its own session.
pub fn hash_in_parallel<S: Source + ?Sized>(
    source: &S,
    files: &[HashJob<'_>],
    threads: usize,
) -> Vec<HashResult> {
    parallel_map(
        files,
        threads,
        || (source.session(), Vec::new()),
        |(session, buf), (path, _, algs)| match session {
            Ok(s) => s.hash(path, algs, buf),
            Err(e) => Err(e.clone()),
        },
    )
}

/// One thread's reader.
pub trait Session {
    /// Read `path` to its end, hashing it with `algs`.
    fn hash(
        &mut self,
        path: &str,
        algs: &[DigestAlg],
        buf: &mut Vec<u8>,
    ) -> Result<(u64, HexDigests), ReadError>;

    /// Read a whole (small) file, e.g. a tag file.
    fn read_all(&mut self, path: &str) -> Result<Vec<u8>, ReadError>;

    /// Stream `path` to its end into `out`; returns the byte count. A write
    /// to `out` that fails is `Unreadable` too, with its message.
    fn copy_to(&mut self, path: &str, out: &mut dyn Write) -> Result<u64, ReadError>;
}

/// A bag folder on disk.
#[derive(Debug)]
pub struct DirSource {
    root: PathBuf,
    files: Vec<SourceFile>,
    dirs: Vec<String>,
}

impl DirSource {
    /// List the folder. Entries that cannot be listed, symbolic links and
    /// non-UTF-8 names become problems and are left out.
    #[must_use]
    pub fn open(root: &Path) -> (Self, Vec<Problem>) {
        let mut findings = Vec::new();
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for entry in walkdir::WalkDir::new(root).follow_links(false).min_depth(1) {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    let rel = e.path().map(|p| relative(root, p)).unwrap_or_default();
                    findings.push(Problem::new(ProblemKind::Unreadable, rel, e.to_string()));
                    continue;
                }
            };
            let Ok(rel_path) = entry.path().strip_prefix(root) else {
                continue;
            };
            let Some(rel) = rel_path
                .to_str()
                .map(|s| s.replace(std::path::MAIN_SEPARATOR, "/"))
            else {
                let lossy = relative(root, entry.path());
                findings.push(Problem::new(
                    ProblemKind::NameNotUtf8,
                    lossy,
                    "file name is not UTF-8",
                ));
                continue;
            };
            let ft = entry.file_type();
            if ft.is_symlink() {
                findings.push(Problem::new(
                    ProblemKind::Symlink,
                    rel,
                    "symbolic link (not followed)",
                ));
            } else if ft.is_dir() {
                dirs.push(rel);
            } else {
                match entry.metadata() {
                    Ok(m) => files.push(SourceFile {
                        path: rel,
                        size: m.len(),
                    }),
                    Err(e) => {
                        findings.push(Problem::new(ProblemKind::Unreadable, rel, e.to_string()));
                    }
                }
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        dirs.sort();
        (
            Self {
                root: root.to_path_buf(),
                files,
                dirs,
            },
            findings,
        )
    }
}

fn relative(root: &Path, p: &Path) -> String {
    p.strip_prefix(root)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

fn io_error(e: &io::Error) -> ReadError {
    ReadError::io(e)
}

impl Source for DirSource {
    fn files(&self) -> &[SourceFile] {
        &self.files
    }

    fn has_dir(&self, path: &str) -> bool {
        self.dirs.binary_search_by(|d| d.as_str().cmp(path)).is_ok()
    }

    fn read_everything(&self) -> bool {
        false
    }

    fn session(&self) -> Result<Box<dyn Session>, ReadError> {
        Ok(Box::new(DirSession {
            root: self.root.clone(),
        }))
    }
}

struct DirSession {
    root: PathBuf,
}

impl Session for DirSession {
    fn hash(
        &mut self,
        path: &str,
        algs: &[DigestAlg],
        buf: &mut Vec<u8>,
    ) -> Result<(u64, HexDigests), ReadError> {
        let mut file = fs_err::File::open(self.root.join(path)).map_err(|e| io_error(&e))?;
        hash_reader(&mut file, algs, buf).map_err(|e| io_error(&e))
    }

    fn read_all(&mut self, path: &str) -> Result<Vec<u8>, ReadError> {
        fs_err::read(self.root.join(path)).map_err(|e| io_error(&e))
    }

    fn copy_to(&mut self, path: &str, out: &mut dyn Write) -> Result<u64, ReadError> {
        let mut file = fs_err::File::open(self.root.join(path)).map_err(|e| io_error(&e))?;
        io::copy(&mut file, out).map_err(|e| io_error(&e))
    }
}

/// Passes writes through and keeps the first error, so it is not taken for
/// a decompression error.
pub(super) struct WriteErrorKeeper<'a> {
    pub(super) out: &'a mut dyn Write,
    pub(super) error: Option<io::Error>,
}

impl Write for WriteErrorKeeper<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.out.write(buf).inspect_err(|e| {
            self.error
                .get_or_insert_with(|| io::Error::new(e.kind(), e.to_string()));
        })
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_and_dirs_relative() {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(tmp.path().join("data/sub")).unwrap();
        fs_err::write(tmp.path().join("data/sub/a.txt"), b"abc").unwrap();
        fs_err::write(tmp.path().join("bagit.txt"), b"x").unwrap();
        let (src, findings) = DirSource::open(tmp.path());
        assert!(findings.is_empty());
        let paths: Vec<_> = src
            .files()
            .iter()
            .map(|f| (f.path.as_str(), f.size))
            .collect();
        assert_eq!(paths, [("bagit.txt", 1), ("data/sub/a.txt", 3)]);
        assert!(src.has_dir("data") && src.has_dir("data/sub") && !src.has_dir("dat"));
        let mut s = src.session().unwrap();
        assert_eq!(s.read_all("data/sub/a.txt").unwrap(), b"abc");
        assert_eq!(
            s.read_all("nope").unwrap_err().kind,
            ProblemKind::Unreadable
        );
        let mut out = Vec::new();
        assert_eq!(s.copy_to("data/sub/a.txt", &mut out).unwrap(), 3);
        assert_eq!(out, b"abc");
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_reported_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(tmp.path().join("data")).unwrap();
        std::os::unix::fs::symlink("/etc/hostname", tmp.path().join("data/link")).unwrap();
        let (src, findings) = DirSource::open(tmp.path());
        assert!(src.files().is_empty());
        assert_eq!(findings[0].kind, ProblemKind::Symlink);
        assert_eq!(findings[0].path, "data/link");
    }
}
