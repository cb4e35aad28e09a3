//! One deterministic zip per bag.
//!
//! [`zip_bag`] serialises a finished bag folder as `<top>/...` inside one zip:
//! entries sorted by name, directories included, every entry stamped with
//! the same modification time and fixed permissions, Stored or Deflated by
//! extension and, for unlisted extensions, by how well the first 64 KiB
//! compress ([`options`]), ZIP64 only for entries near 4 GiB. The same bag
//! therefore always yields the same bytes. Every zip is checked before it
//! gets its final name: its central directory against what was written,
//! then one sequential pass that checks every entry's CRC (the zip crate's
//! streaming reader) and computes the SHA-256 of the whole zip.
//!
//! A bag of up to [`IN_MEMORY_MAX`] is zipped in memory, checked there, and
//! written with one call: the zip format has each entry's header rewritten
//! once its CRC is known, which on a file means a flush and two seeks per
//! entry, and a small dossier's zip was mostly system calls. A larger bag is
//! streamed from disk to `<zip>.tmp` (bounded memory) and read back once:
//! every byte read once, which matters when zips are tens of GB. Either way
//! the zip is fsynced (by [`zip_bag`]; [`zip_staged`] leaves that to the
//! caller) and moved to its final name, which must not exist yet. Blocking:
//! call it from `spawn_blocking`. Building the bag and checking it against
//! its manifests are other modules' jobs.

pub mod options;

use std::io::{self, BufWriter, Cursor, Read, Seek, Write};
use std::path::{Path, PathBuf};

use zip::result::ZipError;
use zip::{ZipArchive, ZipWriter};

use crate::digest::{DigestAlg, HashingReader};
use crate::error::{Error, Result};
use crate::fsx;

/// What [`zip_bag`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipInfo {
    /// The final zip path.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Lowercase hex SHA-256 of the whole zip file.
    pub sha256: String,
    /// Number of zip entries, directories (including `<top>/`) counted.
    pub entries: usize,
}

/// Bags up to this size (file bytes) are zipped in memory.
pub const IN_MEMORY_MAX: u64 = 8 << 20;

/// One thing to put in the zip.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// Name inside the zip (`top/...`, directories end with `/`).
    name: String,
    /// Source file, `None` for a directory.
    source: Option<(PathBuf, u64)>,
}

impl Entry {
    /// Bytes of data: the file's size, 0 for a directory.
    fn size(&self) -> u64 {
        self.source.as_ref().map_or(0, |(_, size)| *size)
    }
}

/// Zip the bag at `bag_dir` into `zip_path`, under the single top-level
/// folder `top` (e.g. `dossier-12`), every entry dated `mtime`.
///
/// # Errors
/// [`Error::Io`] if `zip_path` already exists (kind `AlreadyExists`), if
/// `top` is not one plain folder name, if the bag holds a symlink, special
/// file or non-UTF-8 name, if reading or writing fails, or if the read-back
/// finds a bad CRC or an unexpected entry. The `.tmp` file is removed on
/// failure.
pub fn zip_bag(
    bag_dir: &Path,
    top: &str,
    zip_path: &Path,
    mtime: zip::DateTime,
) -> Result<ZipInfo> {
    zip_with(bag_dir, top, zip_path, mtime, true, IN_MEMORY_MAX)
}

/// [`zip_bag`] for a bag in a staging area: every check is the same, but
/// nothing is flushed to disk; the caller makes the zip durable together with
/// its bag, and with the other bundles of the same commit, before publishing.
///
/// # Errors
/// As [`zip_bag`].
pub fn zip_staged(
    bag_dir: &Path,
    top: &str,
    zip_path: &Path,
    mtime: zip::DateTime,
) -> Result<ZipInfo> {
    zip_with(bag_dir, top, zip_path, mtime, false, IN_MEMORY_MAX)
}

fn zip_with(
    bag_dir: &Path,
    top: &str,
    zip_path: &Path,
    mtime: zip::DateTime,
    durable: bool,
    in_memory_max: u64,
) -> Result<ZipInfo> {
    if top.is_empty() || top == "." || top == ".." || top.contains(['/', '\\']) {
        return Err(invalid(bag_dir, &format!("`{top}` is not a folder name")));
    }
    if zip_path.symlink_metadata().is_ok() {
        let e = io::Error::new(io::ErrorKind::AlreadyExists, "already exists");
        return Err(Error::io("refuse to overwrite", zip_path, e));
    }
    let entries = collect_entries(bag_dir, top)?;
    let mut tmp_name = zip_path.as_os_str().to_owned();
    tmp_name.push(".tmp");
    let tmp = PathBuf::from(tmp_name);

    let total: u64 = entries.iter().map(Entry::size).sum();
    let checked = if total <= in_memory_max {
        zip_in_memory(&tmp, &entries, total, mtime, durable)
    } else {
        write_zip(&tmp, &entries, total, mtime, durable)
            .and_then(|()| {
                let file = fs_err::File::open(&tmp).map_err(|e| Error::io("open", &tmp, e))?;
                check_directory(file, &tmp, &entries)
            })
            .and_then(|()| {
                let file = fs_err::File::open(&tmp).map_err(|e| Error::io("open", &tmp, e))?;
                read_back(file, buffer_for(total), &tmp, &entries)
            })
    };
    let result = checked.and_then(|(size, sha256)| {
        if durable {
            fsx::persist_new(&tmp, zip_path)?;
        } else {
            fsx::move_file_new(&tmp, zip_path)?;
        }
        Ok(ZipInfo {
            path: zip_path.to_path_buf(),
            size,
            sha256,
            entries: entries.len(),
        })
    });
    if result.is_err() {
        // Best effort: the error being returned is the one that matters.
        let _ = fs_err::remove_file(&tmp);
    }
    result
}

/// Every directory and file of the bag, as zip entries sorted by name.
fn collect_entries(bag_dir: &Path, top: &str) -> Result<Vec<Entry>> {
    let mut entries = vec![Entry {
        name: format!("{top}/"),
        source: None,
    }];
    for item in walkdir::WalkDir::new(bag_dir)
        .min_depth(1)
        .follow_links(false)
    {
        let item = item.map_err(|e| {
            let path = e.path().unwrap_or(bag_dir).to_path_buf();
            Error::io("walk the bag", path, e.into())
        })?;
        let rel = zip_relative_name(bag_dir, item.path())?;
        let kind = item.file_type();
        if kind.is_dir() {
            entries.push(Entry {
                name: format!("{top}/{rel}/"),
                source: None,
            });
        } else if kind.is_file() {
            let size = item
                .metadata()
                .map_err(|e| Error::io("stat", item.path(), e.into()))?
                .len();
            entries.push(Entry {
                name: format!("{top}/{rel}"),
                source: Some((item.path().to_path_buf(), size)),
            });
        } else {
            return Err(invalid(
                item.path(),
                "a bag may hold only files and folders",
            ));
        }
    }
    entries.sort_by(|a, b| a.name.as_bytes().cmp(b.name.as_bytes()));
    Ok(entries)
}

/// `a/b/c` for `<bag_dir>/a/b/c`; names must be UTF-8 and free of `\\`
/// (a separator for Windows unzippers).
fn zip_relative_name(bag_dir: &Path, path: &Path) -> Result<String> {
    let rel = path
        .strip_prefix(bag_dir)
        .map_err(|_| invalid(path, "outside the bag"))?;
    let mut parts = Vec::new();
    for c in rel.components() {
        match c.as_os_str().to_str() {
            Some(s) if !s.contains('\\') => parts.push(s),
            _ => return Err(invalid(path, "name is not UTF-8 or contains `\\`")),
        }
    }
    Ok(parts.join("/"))
}

/// An I/O buffer for `bytes` of data: 1 MiB for large files (sequential
/// throughput), just enough for small ones (a bag of small files would
/// otherwise pay for allocating megabytes it never fills).
fn buffer_for(bytes: u64) -> usize {
    usize::try_from(bytes.saturating_add(8 * 1024).min(1 << 20)).unwrap_or(1 << 20)
}

/// Zip, check and write a small bag (`total` bytes of files): one write
/// for the whole zip.
fn zip_in_memory(
    tmp: &Path,
    entries: &[Entry],
    total: u64,
    mtime: zip::DateTime,
    durable: bool,
) -> Result<(u64, String)> {
    // Headers and central directory: about 150 bytes an entry.
    let capacity = usize::try_from(total).unwrap_or(0) + 160 * entries.len();
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
    add_entries(&mut zip, tmp, entries, mtime)?;
    let bytes = zip
        .finish()
        .map_err(|e| zip_err("finish", tmp, e))?
        .into_inner();
    check_directory(Cursor::new(&bytes[..]), tmp, entries)?;
    let checked = read_back(&bytes[..], 64 * 1024, tmp, entries)?;
    let mut file = fs_err::File::create(tmp).map_err(|e| Error::io("create", tmp, e))?;
    file.write_all(&bytes)
        .map_err(|e| Error::io("write", tmp, e))?;
    if durable {
        file.sync_all().map_err(|e| Error::io("fsync", tmp, e))?;
    }
    Ok(checked)
}

/// Stream a large bag (`total` bytes of files) into `tmp`.
fn write_zip(
    tmp: &Path,
    entries: &[Entry],
    total: u64,
    mtime: zip::DateTime,
    durable: bool,
) -> Result<()> {
    let file = fs_err::File::create(tmp).map_err(|e| Error::io("create", tmp, e))?;
    let mut zip = ZipWriter::new(BufWriter::with_capacity(buffer_for(total), file));
    add_entries(&mut zip, tmp, entries, mtime)?;
    let mut buf = zip.finish().map_err(|e| zip_err("finish", tmp, e))?;
    buf.flush().map_err(|e| Error::io("write", tmp, e))?;
    let file = buf
        .into_inner()
        .map_err(|e| Error::io("write", tmp, e.into_error()))?;
    if durable {
        file.sync_all().map_err(|e| Error::io("fsync", tmp, e))?;
    }
    Ok(())
}

/// Every entry, in order, each file read once from the bag.
fn add_entries<W: Write + Seek>(
    zip: &mut ZipWriter<W>,
    tmp: &Path,
    entries: &[Entry],
    mtime: zip::DateTime,
) -> Result<()> {
    for entry in entries {
        match &entry.source {
            None => zip
                .add_directory(entry.name.as_str(), options::dir_options(mtime))
                .map_err(|e| zip_err("add a directory to", tmp, e))?,
            Some((src, size)) => {
                let mut input = fs_err::File::open(src).map_err(|e| Error::io("open", src, e))?;
                // The first bytes choose Stored or Deflated; they are then
                // written first, so the file is still read once.
                let mut sample = Vec::with_capacity(buffer_for(*size).min(options::SAMPLE_LEN));
                (&mut input)
                    .take(options::SAMPLE_LEN as u64)
                    .read_to_end(&mut sample)
                    .map_err(|e| Error::io("read", src, e))?;
                let opts = options::file_options(&entry.name, *size, &sample, mtime);
                zip.start_file(entry.name.as_str(), opts)
                    .map_err(|e| zip_err("add a file to", tmp, e))?;
                zip.write_all(&sample)
                    .map_err(|e| Error::io("copy into the zip", src, e))?;
                let copied = sample.len() as u64
                    + io::copy(&mut input, zip)
                        .map_err(|e| Error::io("copy into the zip", src, e))?;
                if copied != *size {
                    return Err(invalid(src, "file changed size while being zipped"));
                }
            }
        }
    }
    Ok(())
}

/// The central directory (what `unzip` and every SAE reads) lists exactly
/// the entries written, in order, with their sizes. Reads no entry data.
fn check_directory<R: Read + Seek>(zip: R, tmp: &Path, entries: &[Entry]) -> Result<()> {
    let mut archive = ZipArchive::new(zip).map_err(|e| zip_err("read back", tmp, e))?;
    if archive.len() != entries.len() {
        return Err(invalid(tmp, "entry count differs from what was written"));
    }
    for (i, expected) in entries.iter().enumerate() {
        let zf = archive
            .by_index_raw(i)
            .map_err(|e| zip_err("read back", tmp, e))?;
        if zf.name() != expected.name || zf.size() != expected.size() {
            let msg = format!(
                "central directory entry {i} is not `{}` as written",
                expected.name
            );
            return Err(invalid(tmp, &msg));
        }
    }
    Ok(())
}

/// Read the zip once, front to back: every local entry is decoded to its end
/// (the zip crate checks its CRC-32 there) and must be the one written; every
/// byte, headers and central directory included, goes through the SHA-256.
fn read_back<R: Read>(
    zip: R,
    buffer: usize,
    tmp: &Path,
    entries: &[Entry],
) -> Result<(u64, String)> {
    let mut reader =
        io::BufReader::with_capacity(buffer, HashingReader::new(zip, &[DigestAlg::Sha256]));
    for (i, expected) in entries.iter().enumerate() {
        let mut zf = zip::read::read_zipfile_from_stream(&mut reader)
            .map_err(|e| zip_err("read back", tmp, e))?
            .ok_or_else(|| invalid(tmp, &format!("entry {i} is missing")))?;
        let read = io::copy(&mut zf, &mut io::sink())
            .map_err(|e| Error::io("check the CRC of an entry of", tmp, e))?;
        if zf.name() != expected.name || read != expected.size() {
            let msg = format!("entry {i} is not `{}` as written", expected.name);
            return Err(invalid(tmp, &msg));
        }
    }
    if zip::read::read_zipfile_from_stream(&mut reader)
        .map_err(|e| zip_err("read back", tmp, e))?
        .is_some()
    {
        return Err(invalid(tmp, "more entries than were written"));
    }
    // The rest of the central directory and its end record.
    io::copy(&mut reader, &mut io::sink()).map_err(|e| Error::io("read", tmp, e))?;
    let (size, mut whole) = reader.into_inner().finish_hex();
    Ok((size, whole.remove(&DigestAlg::Sha256).unwrap_or_default()))
}

fn zip_err(action: &'static str, path: &Path, e: ZipError) -> Error {
    let source = match e {
        ZipError::Io(io) => io,
        other => io::Error::other(other),
    };
    Error::io(action, path, source)
}

fn invalid(path: &Path, msg: &str) -> Error {
    Error::io(
        "zip",
        path,
        io::Error::new(io::ErrorKind::InvalidInput, msg.to_owned()),
    )
}

#[cfg(test)]
mod tests;
