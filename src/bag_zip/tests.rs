//! Unit tests of [`super::zip_bag`].

use std::io::Read;
use std::time::{Duration, SystemTime};

use sha2::Digest as _;
use zip::CompressionMethod;

use super::*;

fn mtime() -> zip::DateTime {
    zip::DateTime::from_date_and_time(2024, 5, 17, 14, 30, 12).expect("valid date")
}

/// A small bag-like tree with a text file, a PDF, an empty file and an empty dir.
fn sample_bag(root: &Path) -> PathBuf {
    let bag = root.join("bag");
    fs_err::create_dir_all(bag.join("data/dossier")).expect("mkdir");
    fs_err::create_dir_all(bag.join("data/vide")).expect("mkdir");
    fs_err::write(bag.join("bagit.txt"), "BagIt-Version: 1.0\n").expect("write");
    fs_err::write(bag.join("data/dossier.json"), "{\"a\":1}".repeat(300)).expect("write");
    fs_err::write(bag.join("data/dossier/100% sûr.pdf"), b"%PDF-1.7 x").expect("write");
    fs_err::write(bag.join("data/empty.txt"), b"").expect("write");
    bag
}

fn read_all(zip: &Path) -> Vec<(String, Vec<u8>, CompressionMethod, Option<u32>)> {
    let mut archive = ZipArchive::new(fs_err::File::open(zip).expect("open")).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("entry");
            let mut bytes = Vec::new();
            f.read_to_end(&mut bytes).expect("read");
            assert_eq!(f.last_modified(), Some(mtime()), "{}", f.name());
            (f.name().to_owned(), bytes, f.compression(), f.unix_mode())
        })
        .collect()
}

#[test]
fn zip_holds_the_bag_under_top_sorted_with_fixed_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    let out = dir.path().join("dossier-12.zip");
    let info = zip_bag(&bag, "dossier-12", &out, mtime()).expect("zip");

    let entries = read_all(&out);
    let names: Vec<&str> = entries.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(
        names,
        [
            "dossier-12/",
            "dossier-12/bagit.txt",
            "dossier-12/data/",
            "dossier-12/data/dossier.json",
            "dossier-12/data/dossier/",
            "dossier-12/data/dossier/100% sûr.pdf",
            "dossier-12/data/empty.txt",
            "dossier-12/data/vide/",
        ]
    );
    assert_eq!(info.entries, entries.len());
    for (name, bytes, method, mode) in &entries {
        if let Some(rel) = name
            .strip_prefix("dossier-12/")
            .filter(|r| !r.is_empty() && !r.ends_with('/'))
        {
            assert_eq!(bytes, &fs_err::read(bag.join(rel)).expect("src"), "{name}");
            assert_eq!(mode.map(|m| m & 0o7777), Some(0o644), "{name}");
        } else {
            assert_eq!(mode.map(|m| m & 0o7777), Some(0o755), "{name}");
        }
        let tiny = bytes.len() < 1024;
        let want = if name.ends_with(".pdf") || name.ends_with('/') || tiny {
            CompressionMethod::Stored
        } else {
            CompressionMethod::Deflated
        };
        assert_eq!(*method, want, "{name}");
    }
    assert!(
        entries.iter().any(|e| e.2 == CompressionMethod::Deflated),
        "text of 1 KiB or more is deflated"
    );
    let bytes = fs_err::read(&out).expect("read zip");
    // General purpose bit 11 (UTF-8) in the local header of the non-ASCII name.
    let name = "dossier-12/data/dossier/100% sûr.pdf".as_bytes();
    let at = bytes
        .windows(name.len())
        .position(|w| w == name)
        .expect("name in zip");
    let header = &bytes[at - 30..];
    assert_eq!(&header[..4], b"PK\x03\x04");
    assert_ne!(
        u16::from_le_bytes([header[6], header[7]]) & 0x0800,
        0,
        "UTF-8 flag"
    );
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(
        info.sha256,
        crate::digest::hex_digest(crate::digest::DigestAlg::Sha256, &bytes)
    );
    assert!(!dir.path().join("dossier-12.zip.tmp").exists());
}

#[test]
fn same_bag_same_bytes_whatever_the_file_times() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    let a = zip_bag(&bag, "d", &dir.path().join("a.zip"), mtime()).expect("zip a");
    let f = fs_err::OpenOptions::new()
        .write(true)
        .open(bag.join("data/dossier.json"))
        .expect("open");
    f.file()
        .set_modified(SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000))
        .expect("set mtime");
    let b = zip_bag(&bag, "d", &dir.path().join("b.zip"), mtime()).expect("zip b");
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(
        fs_err::read(&a.path).expect("a"),
        fs_err::read(&b.path).expect("b")
    );
}

#[test]
fn refuses_to_overwrite_an_existing_zip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    let out = dir.path().join("x.zip");
    fs_err::write(&out, b"old").expect("write");
    let err = zip_bag(&bag, "d", &out, mtime()).expect_err("exists");
    assert!(err.to_string().contains("refuse to overwrite"), "{err}");
    assert_eq!(fs_err::read(&out).expect("read"), b"old");
}

#[test]
fn rejects_bad_top_and_leaves_no_temp_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    for top in ["", "..", "a/b"] {
        assert!(zip_bag(&bag, top, &dir.path().join("x.zip"), mtime()).is_err());
    }
    assert!(!dir.path().join("x.zip").exists());
    assert!(!dir.path().join("x.zip.tmp").exists());
}

#[cfg(unix)]
#[test]
fn rejects_symlinks_in_the_bag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    std::os::unix::fs::symlink("/etc/passwd", bag.join("data/link")).expect("symlink");
    let out = dir.path().join("x.zip");
    let err = zip_bag(&bag, "d", &out, mtime()).expect_err("symlink");
    assert!(err.to_string().contains("only files and folders"), "{err}");
    assert!(!out.exists() && !dir.path().join("x.zip.tmp").exists());
}

/// Writes a 4 GiB + 1 byte (sparse) file and zips it: slow and disk hungry,
/// run with `cargo test --lib bundle -- --ignored`.
#[test]
#[ignore = "writes more than 4 GiB"]
fn entries_over_4_gib_round_trip_with_zip64() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = dir.path().join("bag");
    fs_err::create_dir_all(bag.join("data")).expect("mkdir");
    let big = fs_err::File::create(bag.join("data/big.zip")).expect("create");
    big.set_len(u64::from(u32::MAX) + 2).expect("set_len");
    drop(big);
    let out = dir.path().join("big-bag.zip");
    let info = zip_bag(&bag, "d", &out, mtime()).expect("zip");
    assert!(info.size > u64::from(u32::MAX));
    let mut archive = ZipArchive::new(fs_err::File::open(&out).expect("open")).expect("zip");
    let f = archive.by_name("d/data/big.zip").expect("entry");
    assert_eq!(f.size(), u64::from(u32::MAX) + 2);
}

#[test]
fn read_back_hashes_the_whole_file_and_catches_a_flipped_byte() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    let out = dir.path().join("dossier-12.zip");
    let info = zip_bag(&bag, "dossier-12", &out, mtime()).expect("zip");
    let bytes = fs_err::read(&out).expect("read");
    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.sha256, hex::encode(sha2::Sha256::digest(&bytes)));

    // The stored PDF's bytes, flipped in a copy: the one-pass read-back
    // must refuse it (CRC), as it would a bad write.
    let entries = collect_entries(&bag, "dossier-12").expect("entries");
    let at = bytes
        .windows(8)
        .position(|w| w == b"%PDF-1.7")
        .expect("the PDF is stored");
    let mut bad = bytes.clone();
    bad[at + 2] ^= 0x20;
    let err = read_back(&bad[..], 8192, &out, &entries).expect_err("a flipped byte is caught");
    assert!(err.to_string().contains("CRC"), "{err}");
    let file = fs_err::File::open(&out).expect("open");
    assert!(read_back(file, 8192, &out, &entries).is_ok());
}

#[test]
fn small_and_large_bags_give_the_same_bytes_either_way() {
    // A small bag is zipped in memory, a large one streamed through a file:
    // the same bag must give the same zip whichever way it goes.
    let dir = tempfile::tempdir().expect("tempdir");
    let bag = sample_bag(dir.path());
    let in_memory = dir.path().join("memory.zip");
    let streamed = dir.path().join("streamed.zip");
    let a = zip_with(&bag, "d", &in_memory, mtime(), false, IN_MEMORY_MAX).expect("zip");
    let b = zip_with(&bag, "d", &streamed, mtime(), false, 0).expect("zip");
    assert_eq!(a.sha256, b.sha256);
    assert_eq!(a.size, b.size);
    assert_eq!(
        fs_err::read(&in_memory).expect("read"),
        fs_err::read(&streamed).expect("read")
    );
}
