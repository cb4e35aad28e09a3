//! Filesystem helpers shared by every stage: atomic writes, directory
//! fsync, no-clobber renames, whole-filesystem flushes.
//!
//! The rule they enforce: a final name always means a
//! complete file. Everything is first written under a temporary name in the
//! *same directory* (so the rename cannot cross filesystems), flushed to disk,
//! then renamed; the directory itself is fsynced so that the rename survives a
//! power cut. A staged bag is the one exception, as a whole: its files are
//! written in place inside a staging folder no reader sees
//! ([`write_staged`]), and the folder is flushed and renamed into place once
//! complete ([`sync_filesystem`] or [`sync_tree`], then [`move_dir_new`]).
//! This module owns no policy about *what* is written where; it only makes
//! each step durable and reports the path of any failure.
//!
//! What we publish is read by other accounts (an auditor running
//! `sha256sum -c`, `unzip`, `verify`): every temporary file that becomes a
//! published file is created through [`published_tempfile`], so it gets the
//! mode a plain `fs::write` would (`0666` minus the umask), like the bags,
//! and not the owner-only `0600` of a default temporary file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Prefix of the temporary files [`write_atomic`] creates, so that a
/// leftover from a crash is recognisable.
pub const TEMP_PREFIX: &str = ".ds-archive-tmp-";

/// Write `bytes` to `path` atomically: temp file in the same directory,
/// fsync, rename over `path` (replacing it), fsync the directory.
///
/// # Errors
/// [`Error::Io`] naming the path when any step fails; the temp file is
/// removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(path);
    let mut tmp = published_tempfile(&dir, TEMP_PREFIX, "")
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| Error::io("write", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename a temporary file to", path, e.error))?;
    fsync_dir(&dir)
}

/// Write what `write` produces to `path` atomically as [`write_atomic`]
/// does, but only if it differs from what `path` holds (a no-op rerun keeps
/// the file and its mtime). The content goes through a temporary file and is
/// compared with the old one block by block, so neither is ever held in
/// memory: run-level files grow with the number of dossiers. Returns whether
/// `path` was replaced.
///
/// # Errors
/// [`Error::Io`] naming the path when any step fails, or `write`'s own error
/// against the temporary file; the temp file is removed on failure.
pub fn write_atomic_if_changed(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<bool> {
    let dir = parent_dir(path);
    let mut tmp = published_tempfile(&dir, TEMP_PREFIX, "")
        .map_err(|e| Error::io("create a temporary file in", &dir, e))?;
    let mut out = std::io::BufWriter::new(tmp.as_file_mut());
    write(&mut out)
        .and_then(|()| out.flush())
        .map_err(|e| Error::io("write", path, e))?;
    drop(out);
    if same_content(tmp.path(), path) {
        return Ok(false);
    }
    tmp.as_file()
        .sync_all()
        .map_err(|e| Error::io("write", tmp.path(), e))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename a temporary file to", path, e.error))?;
    fsync_dir(&dir)?;
    Ok(true)
}

/// Whether two files hold the same bytes (false when either is unreadable).
fn same_content(a: &Path, b: &Path) -> bool {
    use std::io::Read as _;
    let open = |p: &Path| std::fs::File::open(p).map(std::io::BufReader::new);
    let (Ok(mut a), Ok(mut b)) = (open(a), open(b)) else {
        return false;
    };
    let (mut x, mut y) = (vec![0_u8; 64 * 1024], vec![0_u8; 64 * 1024]);
    loop {
        let Ok(n) = a.read(&mut x) else { return false };
        if n == 0 {
            return b.read(&mut y[..1]).is_ok_and(|m| m == 0);
        }
        if b.read_exact(&mut y[..n]).is_err() || x[..n] != y[..n] {
            return false;
        }
    }
}

/// A temporary file in `dir` (named `<prefix>…<suffix>`) that is to be
/// renamed to a published name: its mode is what the umask allows, as for
/// any file the user creates (`0644` under umask `022`), where a default
/// temporary file is `0600` and the rename would keep it unreadable to
/// everyone else.
///
/// # Errors
/// The creation's I/O error (the caller names the folder).
pub fn published_tempfile(
    dir: &Path,
    prefix: &str,
    suffix: &str,
) -> std::io::Result<tempfile::NamedTempFile> {
    let mut builder = tempfile::Builder::new();
    builder.prefix(prefix).suffix(suffix);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        // open(2) applies the umask to this mode, as it does for fs::write.
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(dir)
}

/// Write `bytes` to `path` inside a staging folder: a plain write, no
/// temporary name, nothing flushed. Only for folders no reader sees until they
/// are renamed into place whole (a staged bag): a crash leaves them in the
/// staging area, which the next run removes, and their durability is the
/// caller's, once for all the bags of a commit ([`sync_filesystem`]) or per
/// bag ([`sync_tree`]).
///
/// # Errors
/// [`Error::Io`] naming the path.
pub fn write_staged(path: &Path, bytes: &[u8]) -> Result<()> {
    fs_err::write(path, bytes).map_err(|e| Error::io("write", path, e))
}

/// Flush a directory's entries (creations, renames) to disk.
///
/// On platforms where a directory cannot be opened for syncing (Windows),
/// this is a no-op: there the rename itself is what NTFS journals.
///
/// # Errors
/// [`Error::Io`] naming the directory.
pub fn fsync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        let f = fs_err::File::open(dir).map_err(|e| Error::io("open directory", dir, e))?;
        f.sync_all()
            .map_err(|e| Error::io("fsync directory", dir, e))?;
    }
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

/// Flush a whole tree to disk: every file's data, then every directory's
/// entries. Used on a staged bag just before it is published, so downloads
/// need not each wait for their own fsync while holding a download slot.
///
/// # Errors
/// [`Error::Io`] naming the first path that cannot be opened or flushed.
pub fn sync_tree(root: &Path) -> Result<()> {
    let mut dirs = Vec::new();
    for item in walkdir::WalkDir::new(root).follow_links(false) {
        let item = item.map_err(|e| {
            let path = e.path().unwrap_or(root).to_path_buf();
            Error::io("walk", path, e.into())
        })?;
        if item.file_type().is_dir() {
            dirs.push(item.into_path());
        } else if item.file_type().is_file() {
            let f =
                fs_err::File::open(item.path()).map_err(|e| Error::io("open", item.path(), e))?;
            f.sync_all()
                .map_err(|e| Error::io("fsync", item.path(), e))?;
        }
    }
    dirs.iter().rev().try_for_each(|d| fsync_dir(d))
}

/// Rename a fully built directory (`staging`) to its final name, failing if
/// `final_dir` already exists. The parent is not fsynced: the caller moves
/// several bundles into one folder, then fsyncs it once ([`fsync_dir`]).
///
/// The existence check and the rename are two steps; this is safe because an
/// output folder is held by one run at a time (lock file).
///
/// # Errors
/// [`Error::Io`] with kind `AlreadyExists` if `final_dir` exists, or the
/// rename's own error.
pub fn move_dir_new(staging: &Path, final_dir: &Path) -> Result<()> {
    refuse_existing(final_dir)?;
    fs_err::rename(staging, final_dir)
        .map_err(|e| Error::io("rename directory into place", final_dir, e))
}

/// Move a complete file (`tmp`) to `final_path` without ever replacing an
/// existing file, then fsync the directory.
///
/// # Errors
/// [`Error::Io`] with kind `AlreadyExists` if `final_path` exists.
pub fn persist_new(tmp: &Path, final_path: &Path) -> Result<()> {
    move_file_new(tmp, final_path)?;
    fsync_dir(&parent_dir(final_path))
}

/// [`persist_new`] without the folder's fsync.
///
/// A hard link is tried first: it fails atomically when the target exists.
/// Where hard links are unsupported, it falls back to check-then-rename.
///
/// # Errors
/// [`Error::Io`] with kind `AlreadyExists` if `final_path` exists.
pub fn move_file_new(tmp: &Path, final_path: &Path) -> Result<()> {
    match fs_err::hard_link(tmp, final_path) {
        Ok(()) => fs_err::remove_file(tmp).map_err(|e| Error::io("remove", tmp, e)),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(Error::io("refuse to overwrite", final_path, e))
        }
        Err(_) => {
            refuse_existing(final_path)?;
            fs_err::rename(tmp, final_path)
                .map_err(|e| Error::io("rename into place", final_path, e))
        }
    }
}

/// Ask the kernel to start writing `path` back to disk now, without
/// waiting (best effort: `posix_fadvise(DONTNEED)` on Linux, which starts
/// the write-back of its dirty pages and drops those already clean; nothing
/// elsewhere). For staged files that are complete and will be flushed by the
/// next commit: the disk then works while the next dossiers download,
/// instead of receiving every byte at the commit's flush (below the kernel's
/// background threshold, nothing is written until then).
pub fn start_writeback(path: &Path) {
    #[cfg(target_os = "linux")]
    if let Ok(file) = std::fs::File::open(path) {
        let _ = rustix::fs::fadvise(&file, 0, None, rustix::fs::Advice::DontNeed);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = path;
}

/// Flush everything written to the filesystem that holds `dir_handle` (an
/// open folder) in one call, where the platform can (`syncfs(2)` on Linux):
/// one writeback and one disk cache flush for many staged bags, where
/// [`sync_tree`] issues one of each per file and folder. Returns `false`
/// where the platform cannot, and the caller must then [`sync_tree`] what it
/// needs.
///
/// `syncfs` reports a write-back error that happened on the filesystem since
/// `dir_handle` was opened (Linux ≥ 5.8): open it before writing anything
/// that must be covered.
///
/// # Errors
/// [`Error::Io`] naming `dir` when the flush or an earlier write-back failed.
pub fn sync_filesystem(dir_handle: &std::fs::File, dir: &Path) -> Result<bool> {
    #[cfg(target_os = "linux")]
    {
        rustix::fs::syncfs(dir_handle)
            .map_err(|e| Error::io("flush the filesystem (syncfs) of", dir, e.into()))?;
        Ok(true)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (dir_handle, dir);
        Ok(false)
    }
}

fn refuse_existing(path: &Path) -> Result<()> {
    if path.symlink_metadata().is_ok() {
        return Err(Error::io(
            "refuse to overwrite",
            path,
            std::io::Error::new(std::io::ErrorKind::AlreadyExists, "already exists"),
        ));
    }
    Ok(())
}

/// The directory holding `path` (`.` for a bare file name).
pub(crate) fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_replaces_and_leaves_no_temp() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("a.txt");
        write_atomic(&p, b"one").expect("first write");
        write_atomic(&p, b"two").expect("second write");
        assert_eq!(fs_err::read(&p).expect("read"), b"two");
        let names: Vec<_> = fs_err::read_dir(dir.path())
            .expect("readdir")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("a.txt")]);
    }

    #[cfg(unix)]
    #[test]
    fn write_if_changed_keeps_an_identical_file_and_replaces_a_different_one() {
        use std::os::unix::fs::MetadataExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("m.txt");
        let lines =
            |n: u32| move |w: &mut dyn Write| (0..n).try_for_each(|i| writeln!(w, "line {i}"));
        assert!(write_atomic_if_changed(&p, lines(20_000)).expect("first"));
        let inode = fs_err::metadata(&p).expect("meta").ino();
        assert!(!write_atomic_if_changed(&p, lines(20_000)).expect("same"));
        assert_eq!(fs_err::metadata(&p).expect("meta").ino(), inode);
        // One line fewer: a prefix of the old content is a change.
        assert!(write_atomic_if_changed(&p, lines(19_999)).expect("shorter"));
        assert_ne!(fs_err::metadata(&p).expect("meta").ino(), inode);
        let text = fs_err::read_to_string(&p).expect("read");
        assert!(text.ends_with("line 19998\n"));
        assert_eq!(fs_err::read_dir(dir.path()).expect("readdir").count(), 1);
        let failing = |_: &mut dyn Write| Err(std::io::Error::other("no"));
        assert!(write_atomic_if_changed(&p, failing).is_err());
        assert_eq!(fs_err::read_dir(dir.path()).expect("readdir").count(), 1);
    }

    #[test]
    fn sync_tree_flushes_a_bag_and_names_what_it_cannot_open() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bag = dir.path().join("bag");
        fs_err::create_dir_all(bag.join("data/sub")).expect("mkdir");
        fs_err::write(bag.join("bagit.txt"), b"x").expect("write");
        fs_err::write(bag.join("data/sub/a.pdf"), b"y").expect("write");
        sync_tree(&bag).expect("a readable tree syncs");
        let err = sync_tree(&dir.path().join("gone")).expect_err("missing tree");
        assert!(err.to_string().contains("gone"), "{err}");
    }

    #[test]
    fn a_whole_filesystem_flush_is_available_on_linux() {
        let dir = tempfile::tempdir().expect("tempdir");
        let handle = std::fs::File::open(dir.path()).expect("open dir");
        fs_err::write(dir.path().join("a"), b"x").expect("write");
        let flushed = sync_filesystem(&handle, dir.path()).expect("flush");
        assert_eq!(flushed, cfg!(target_os = "linux"));
    }

    #[test]
    fn write_atomic_names_the_path_on_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("missing-dir").join("a.txt");
        let err = write_atomic(&p, b"x").expect_err("no parent");
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }

    #[test]
    fn move_dir_new_refuses_existing_target() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        fs_err::create_dir(&a).expect("mkdir a");
        fs_err::create_dir(&b).expect("mkdir b");
        let err = move_dir_new(&a, &b).expect_err("b exists");
        assert!(err.to_string().contains("refuse to overwrite"), "{err}");
        fs_err::remove_dir(&b).expect("rmdir b");
        move_dir_new(&a, &b).expect("now free");
        assert!(b.is_dir() && !a.exists());
    }

    #[test]
    fn persist_new_never_clobbers() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tmp, fin) = (dir.path().join("z.tmp"), dir.path().join("z"));
        fs_err::write(&tmp, b"new").expect("write tmp");
        fs_err::write(&fin, b"old").expect("write final");
        assert!(persist_new(&tmp, &fin).is_err());
        assert_eq!(fs_err::read(&fin).expect("read"), b"old");
        fs_err::remove_file(&fin).expect("rm");
        persist_new(&tmp, &fin).expect("persist");
        assert_eq!(fs_err::read(&fin).expect("read"), b"new");
        assert!(!tmp.exists());
    }
}
