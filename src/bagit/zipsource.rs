//! A bag read straight out of its zip: entry names are checked (zip-slip,
//! duplicates, symbolic links, one top-level folder) and entries are streamed
//! through the hashers, which also makes the zip crate check every CRC-32.
//!
//! The zip is opened only if its own end record is at the end of the file
//! (see `zipend`): a truncated bundle is then [`ProblemKind::ZipCorrupt`],
//! never an attachment's inner zip read as the bag. Nothing is extracted to
//! disk. Each hashing thread opens its own handle on the zip, since a zip
//! reader is a cursor over one file.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use zip::ZipArchive;

use super::paths::unsafe_reason;
use super::source::{
    hash_in_parallel, HashJob, HashResult, Problem, ProblemKind, ReadError, Session, Source,
    SourceFile, WriteErrorKeeper,
};
use super::{zipend, zipstream};
use crate::digest::{hash_reader, DigestAlg, HexDigests};

type Archive = ZipArchive<BufReader<fs_err::File>>;

/// A zip holding one bag folder.
#[derive(Debug)]
pub struct ZipSource {
    path: PathBuf,
    files: Vec<SourceFile>,
    index: Arc<HashMap<String, usize>>,
    dirs: BTreeSet<String>,
    /// The bag's folder inside the zip (`dossier-12/`, or empty).
    root: String,
    /// Every entry of the central directory (name, size), in order; `None`
    /// if one of them could not be read (no one-pass reading then).
    central: Option<Vec<(String, u64)>>,
    /// Whether the SHA-256 of the whole zip is wanted too.
    want_whole: bool,
    /// That digest, when the one-pass read computed it.
    whole: Mutex<Option<String>>,
}

fn open_archive(path: &Path) -> Result<Archive, ReadError> {
    let file = fs_err::File::open(path).map_err(|e| ReadError::io(&e))?;
    ZipArchive::new(BufReader::with_capacity(1 << 18, file)).map_err(|e| ReadError {
        kind: ProblemKind::ZipCorrupt,
        message: format!("cannot open zip: {e}"),
    })
}

impl ZipSource {
    /// Open `path` and check its entry names and layout. The error is the
    /// problem that made the zip unusable (unreadable, not a zip, truncated).
    ///
    /// # Errors
    /// The zip cannot be read, or its own end record is not at its end.
    pub fn open(path: &Path) -> Result<(Self, Vec<Problem>), Problem> {
        let corrupt = |message: String| Problem::new(ProblemKind::ZipCorrupt, "", message);
        let own_start = fs_err::File::open(path)
            .map_err(|e| Problem::new(ProblemKind::Unreadable, "", e.to_string()))
            .and_then(|mut f| zipend::central_directory_start(&mut f).map_err(corrupt))?;
        let mut archive = open_archive(path).map_err(|e| Problem::new(e.kind, "", e.message))?;
        if archive.central_directory_start() != own_start {
            return Err(corrupt(format!(
                "the end record at the end of the file puts the central directory at byte \
                 {own_start}, the zip reader found it at byte {}",
                archive.central_directory_start()
            )));
        }
        let mut findings = Vec::new();
        match raw_central_names(path, archive.central_directory_start()) {
            Ok(names) => {
                let mut count: BTreeMap<Vec<u8>, usize> = BTreeMap::new();
                for n in names {
                    *count.entry(n).or_default() += 1;
                }
                for (name, n) in count.into_iter().filter(|(_, n)| *n > 1) {
                    let shown = String::from_utf8_lossy(&name).into_owned();
                    findings.push(Problem::new(
                        ProblemKind::ZipDuplicate,
                        shown,
                        format!("{n} entries have this name"),
                    ));
                }
            }
            Err(e) => findings.push(Problem::new(
                ProblemKind::ZipCorrupt,
                "",
                format!("central directory: {e}"),
            )),
        }
        let mut entries: Vec<(String, usize, bool, u64)> = Vec::new();
        let mut central = Some(Vec::with_capacity(archive.len()));
        for i in 0..archive.len() {
            let entry = match archive.by_index_raw(i) {
                Ok(e) => e,
                Err(e) => {
                    central = None;
                    findings.push(Problem::new(
                        ProblemKind::ZipCorrupt,
                        format!("#{i}"),
                        e.to_string(),
                    ));
                    continue;
                }
            };
            let name = entry_name(entry.name_raw(), entry.name());
            if let Some(c) = &mut central {
                c.push((name.clone(), entry.size()));
            }
            let trimmed = name.trim_end_matches('/');
            let reason = unsafe_reason(trimmed)
                .or_else(|| name.contains('\\').then_some("backslash in entry name"))
                .or_else(|| {
                    entry
                        .enclosed_name()
                        .is_none()
                        .then_some("escapes the extraction folder")
                })
                .or_else(|| entry.is_symlink().then_some("symbolic link"));
            if let Some(reason) = reason {
                findings.push(Problem::new(ProblemKind::ZipUnsafe, name.clone(), reason));
                continue;
            }
            entries.push((trimmed.to_owned(), i, entry.is_dir(), entry.size()));
        }
        let root = choose_root(&entries, &mut findings);
        let mut files = Vec::new();
        let mut index = HashMap::new();
        let mut dirs = BTreeSet::new();
        for (name, i, is_dir, size) in entries {
            let Some(rel) = name.strip_prefix(&root) else {
                continue;
            };
            if rel.is_empty() {
                continue;
            }
            let mut parent = rel;
            while let Some((p, _)) = parent.rsplit_once('/') {
                dirs.insert(p.to_owned());
                parent = p;
            }
            if is_dir {
                dirs.insert(rel.to_owned());
            } else {
                index.insert(rel.to_owned(), i);
                files.push(SourceFile {
                    path: rel.to_owned(),
                    size,
                });
            }
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok((
            Self {
                path: path.to_path_buf(),
                files,
                index: Arc::new(index),
                dirs,
                root,
                central,
                want_whole: false,
                whole: Mutex::new(None),
            },
            findings,
        ))
    }
}

impl ZipSource {
    /// Also compute the SHA-256 of the whole zip, in the same read as the
    /// entries when it can be done in one pass (see [`Self::whole_sha256`]).
    #[must_use]
    pub fn with_whole_digest(mut self, want: bool) -> Self {
        self.want_whole = want;
        self
    }

    /// The SHA-256 of the whole zip, if the entries were read in one pass.
    #[must_use]
    pub fn whole_sha256(&self) -> Option<String> {
        self.whole.lock().ok()?.clone()
    }
}

/// An entry's name as unzip and 7-Zip show it: the raw bytes when they are
/// valid UTF-8, else the zip crate's reading (CP437 unless the entry is
/// flagged UTF-8). Info-ZIP on Linux stores UTF-8 names without the UTF-8
/// flag (bit 11), and CP437 would turn `pièces` into `pi├¿ces`. CP437 text
/// that is also valid UTF-8 takes an accented letter followed by box-drawing
/// characters: not what file names are made of.
pub(super) fn entry_name(raw: &[u8], decoded: &str) -> String {
    std::str::from_utf8(raw).map_or_else(|_| decoded.to_owned(), ToOwned::to_owned)
}

/// The prefix (`dossier-12/`) under which the bag lives; reports a layout
/// problem unless every entry sits in one top-level folder.
fn choose_root(entries: &[(String, usize, bool, u64)], findings: &mut Vec<Problem>) -> String {
    let mut tops: BTreeSet<&str> = BTreeSet::new();
    let mut loose: Vec<&str> = Vec::new();
    for (name, _, is_dir, _) in entries {
        match name.split_once('/') {
            Some((top, _)) => {
                tops.insert(top);
            }
            None if *is_dir => {
                tops.insert(name);
            }
            None => loose.push(name),
        }
    }
    if loose.is_empty() && tops.len() == 1 {
        return tops.first().map(|t| format!("{t}/")).unwrap_or_default();
    }
    let has = |p: &str| entries.iter().any(|(n, _, d, _)| !d && n == p);
    let root = tops
        .iter()
        .find(|t| has(&format!("{t}/bagit.txt")))
        .map(|t| format!("{t}/"))
        .or_else(|| has("bagit.txt").then(String::new))
        .or_else(|| tops.first().map(|t| format!("{t}/")))
        .unwrap_or_default();
    let mut outside: Vec<&str> = tops
        .iter()
        .copied()
        .filter(|t| format!("{t}/") != root)
        .collect();
    outside.extend(loose);
    let shown = if root.is_empty() {
        "the zip root".to_owned()
    } else {
        format!("`{root}`")
    };
    let msg = format!(
        "expected one top-level folder; checked the bag in {shown}, ignored: {}",
        outside.join(", ")
    );
    findings.push(Problem::new(ProblemKind::ZipLayout, "", msg));
    root
}

/// The raw names of the central directory, in order, duplicates included
/// (the zip crate keeps only the last entry of a repeated name).
fn raw_central_names(path: &Path, start: u64) -> io::Result<Vec<Vec<u8>>> {
    let mut r = BufReader::new(fs_err::File::open(path)?);
    r.seek(SeekFrom::Start(start))?;
    let mut names = Vec::new();
    let mut header = [0u8; 46];
    loop {
        match r.read_exact(&mut header) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => break,
            Err(e) => return Err(e),
        }
        if header[..4] != [0x50, 0x4b, 0x01, 0x02] {
            break;
        }
        let le16 = |at: usize| u64::from(u16::from_le_bytes([header[at], header[at + 1]]));
        let (name_len, extra_len, comment_len) = (le16(28), le16(30), le16(32));
        let mut name = vec![0u8; usize::try_from(name_len).unwrap_or(0)];
        r.read_exact(&mut name)?;
        r.seek_relative(i64::try_from(extra_len + comment_len).unwrap_or(0))?;
        names.push(name);
    }
    Ok(names)
}

impl Source for ZipSource {
    fn files(&self) -> &[SourceFile] {
        &self.files
    }

    fn has_dir(&self, path: &str) -> bool {
        self.dirs.contains(path)
    }

    fn read_everything(&self) -> bool {
        true
    }

    fn hash_files(&self, files: &[HashJob<'_>], threads: usize) -> Vec<HashResult> {
        // One thread per bundle (an archive folder): read the zip once, front
        // to back, for the entries and the whole-file digest together.
        if let (true, 1, Some(central)) = (self.want_whole, threads, &self.central) {
            let asked = files
                .iter()
                .enumerate()
                .map(|(slot, (path, _, algs))| {
                    (format!("{}{path}", self.root), (slot, algs.clone()))
                })
                .collect();
            if let Some(pass) = zipstream::one_pass(&self.path, central, &asked) {
                if let Ok(mut whole) = self.whole.lock() {
                    *whole = Some(pass.sha256);
                }
                return pass.entries.into_iter().map(Ok).collect();
            }
        }
        hash_in_parallel(self, files, threads)
    }

    fn session(&self) -> Result<Box<dyn Session>, ReadError> {
        Ok(Box::new(ZipSession {
            archive: open_archive(&self.path)?,
            index: Arc::clone(&self.index),
        }))
    }
}

struct ZipSession {
    archive: Archive,
    index: Arc<HashMap<String, usize>>,
}

fn entry_error(e: &io::Error) -> ReadError {
    // The zip crate's CRC reader reports a mismatch as InvalidData "Invalid checksum".
    if e.kind() == io::ErrorKind::InvalidData && e.to_string().contains("checksum") {
        ReadError {
            kind: ProblemKind::ZipCrc,
            message: "entry data does not match its CRC-32".into(),
        }
    } else {
        ReadError {
            kind: ProblemKind::ZipCorrupt,
            message: format!("cannot decompress entry: {e}"),
        }
    }
}

impl ZipSession {
    fn with_entry<T>(
        &mut self,
        path: &str,
        f: impl FnOnce(&mut dyn Read) -> io::Result<T>,
    ) -> Result<(T, u64), ReadError> {
        let i = *self.index.get(path).ok_or_else(|| ReadError {
            kind: ProblemKind::Unreadable,
            message: "no such entry".into(),
        })?;
        let mut entry = self.archive.by_index(i).map_err(|e| ReadError {
            kind: ProblemKind::ZipCorrupt,
            message: format!("cannot read entry: {e}"),
        })?;
        let size = entry.size();
        let out = f(&mut entry).map_err(|e| entry_error(&e))?;
        Ok((out, size))
    }
}

impl Session for ZipSession {
    fn hash(
        &mut self,
        path: &str,
        algs: &[DigestAlg],
        buf: &mut Vec<u8>,
    ) -> Result<(u64, HexDigests), ReadError> {
        let ((n, digests), size) = self.with_entry(path, |r| hash_reader(r, algs, buf))?;
        if n != size {
            let message = format!("entry holds {n} bytes, its header says {size}");
            return Err(ReadError {
                kind: ProblemKind::ZipCorrupt,
                message,
            });
        }
        Ok((n, digests))
    }

    fn read_all(&mut self, path: &str) -> Result<Vec<u8>, ReadError> {
        let (bytes, _) = self.with_entry(path, |r| {
            let mut v = Vec::new();
            r.read_to_end(&mut v).map(|_| v)
        })?;
        Ok(bytes)
    }

    fn copy_to(&mut self, path: &str, out: &mut dyn Write) -> Result<u64, ReadError> {
        // A failed write is not the zip's fault: report it as what it is.
        let mut keeper = WriteErrorKeeper { out, error: None };
        let result = self.with_entry(path, |r| io::copy(r, &mut keeper));
        match keeper.error {
            Some(e) => Err(ReadError::io(&e)),
            None => result.map(|(n, _)| n),
        }
    }
}
