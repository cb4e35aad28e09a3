//! One front-to-back read of a bundle zip that does all of verify's work on
//! it: every entry decoded to its end (the zip crate checks its CRC-32
//! there), the entries a manifest covers hashed, and the SHA-256 of the whole
//! file (for `manifest-sha256.txt`) computed from the same bytes.
//!
//! Reading entries one by one and then the whole file again cost two reads
//! of every zip: on an archive years old, out of the page cache, that is the
//! disk read twice for half the bytes. This pass reads each byte once. It is
//! the fast path only: it gives up (`None`) at the first thing that is not
//! exactly as the central directory says (an unreadable or corrupt entry,
//! entries out of order, a local name or size that differs, extra data), and
//! the caller then reads the zip entry by entry, which names the problem.

use std::collections::HashMap;
use std::io::{self, BufReader};
use std::path::Path;

use crate::digest::{hash_reader, DigestAlg, HashingReader, HexDigests, BLOCK};

/// What one pass found.
#[derive(Debug)]
pub struct OnePass {
    /// Size and digests of each entry asked for, in the slots asked.
    pub entries: Vec<(u64, HexDigests)>,
    /// Lowercase hex SHA-256 of the whole zip.
    pub sha256: String,
}

/// Read the zip at `path` once. `central` is its central directory (entry
/// names and uncompressed sizes, in order); `asked` maps an entry name to its
/// slot in the result and the algorithms to hash it with. Every slot must be
/// filled for the pass to count.
#[must_use]
pub fn one_pass(
    path: &Path,
    central: &[(String, u64)],
    asked: &HashMap<String, (usize, Vec<DigestAlg>)>,
) -> Option<OnePass> {
    let file = fs_err::File::open(path).ok()?;
    let mut reader =
        BufReader::with_capacity(BLOCK, HashingReader::new(file, &[DigestAlg::Sha256]));
    let mut slots: Vec<Option<(u64, HexDigests)>> = (0..asked.len()).map(|_| None).collect();
    let mut buf = Vec::new();
    for (name, size) in central {
        let mut entry = zip::read::read_zipfile_from_stream(&mut reader).ok()??;
        if super::zipsource::entry_name(entry.name_raw(), entry.name()) != *name
            || entry.size() != *size
        {
            return None;
        }
        let read = match asked.get(name) {
            Some((slot, algs)) => {
                let (n, digests) = hash_reader(&mut entry, algs, &mut buf).ok()?;
                *slots.get_mut(*slot)? = Some((n, digests));
                n
            }
            None => io::copy(&mut entry, &mut io::sink()).ok()?,
        };
        if read != *size {
            return None;
        }
    }
    // Next comes the central directory, then its end record: hashed too.
    if zip::read::read_zipfile_from_stream(&mut reader)
        .ok()?
        .is_some()
    {
        return None;
    }
    io::copy(&mut reader, &mut io::sink()).ok()?;
    let entries = slots.into_iter().collect::<Option<Vec<_>>>()?;
    let (_, mut whole) = reader.into_inner().finish_hex();
    let sha256 = whole.remove(&DigestAlg::Sha256).unwrap_or_default();
    Some(OnePass { entries, sha256 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    const PDF: &[u8] = b"%PDF-1.7 one two three";

    fn bag(root: &Path) -> std::path::PathBuf {
        let bag = root.join("bag");
        fs_err::create_dir_all(bag.join("data")).expect("mkdir");
        fs_err::write(bag.join("bagit.txt"), "BagIt-Version: 1.0\n").expect("write");
        fs_err::write(bag.join("data/a.pdf"), PDF).expect("write");
        bag
    }

    #[test]
    fn one_read_gives_entry_digests_and_the_whole_zip_digest() {
        let dir = tempfile::tempdir().expect("tempdir");
        let zip_path = dir.path().join("b.zip");
        let mtime = zip::DateTime::default();
        crate::bag_zip::zip_bag(&bag(dir.path()), "b", &zip_path, mtime).expect("zip");
        let central = vec![
            ("b/".to_owned(), 0),
            ("b/bagit.txt".to_owned(), 19),
            ("b/data/".to_owned(), 0),
            ("b/data/a.pdf".to_owned(), PDF.len() as u64),
        ];
        let asked = HashMap::from([("b/data/a.pdf".to_owned(), (0, vec![DigestAlg::Sha256]))]);
        let pass = one_pass(&zip_path, &central, &asked).expect("a clean zip reads in one pass");
        let bytes = fs_err::read(&zip_path).expect("read");
        assert_eq!(pass.sha256, hex::encode(sha2::Sha256::digest(&bytes)));
        assert_eq!(pass.entries[0].0, PDF.len() as u64);
        assert_eq!(
            pass.entries[0]
                .1
                .get(&DigestAlg::Sha256)
                .map(String::as_str),
            Some(hex::encode(sha2::Sha256::digest(PDF)).as_str())
        );

        // Wired into the zip source: asked for the whole digest and hashed
        // on one thread, it reads once and keeps the digest.
        let (src, _) = super::super::zipsource::ZipSource::open(&zip_path).expect("open");
        let src = src.with_whole_digest(true);
        let jobs = [("data/a.pdf", 0, vec![DigestAlg::Sha512])];
        let got = super::super::source::Source::hash_files(&src, &jobs, 1);
        assert!(got[0].is_ok());
        assert_eq!(src.whole_sha256().as_deref(), Some(pass.sha256.as_str()));

        // Anything unexpected gives up, for the careful reader to name.
        let mut wrong = central.clone();
        wrong[3].1 += 1;
        assert!(one_pass(&zip_path, &wrong, &asked).is_none());
        assert!(one_pass(&zip_path, &central[..3], &asked).is_none());
        let at = bytes.windows(4).position(|w| w == b"%PDF").expect("stored");
        let mut bad = bytes.clone();
        bad[at + 9] ^= 1;
        fs_err::write(&zip_path, bad).expect("write");
        assert!(one_pass(&zip_path, &central, &asked).is_none());
    }

    #[test]
    fn utf8_names_without_the_utf8_flag_still_read_in_one_pass() {
        let dir = tempfile::tempdir().expect("tempdir");
        let zip_path = dir.path().join("b.zip");
        let mut w = zip::ZipWriter::new(fs_err::File::create(&zip_path).expect("create"));
        w.start_file("b/pièce.pdf", zip::write::SimpleFileOptions::default())
            .expect("start");
        std::io::Write::write_all(&mut w, PDF).expect("write");
        w.finish().expect("finish");
        // As Info-ZIP writes it on Linux: UTF-8 bytes, bit 11 clear.
        let mut bytes = fs_err::read(&zip_path).expect("read");
        let central = bytes
            .windows(4)
            .position(|w| w == b"PK\x01\x02")
            .expect("cd");
        bytes[7] &= !0x08;
        bytes[central + 9] &= !0x08;
        fs_err::write(&zip_path, &bytes).expect("write");

        let central = vec![("b/pièce.pdf".to_owned(), PDF.len() as u64)];
        let asked = HashMap::from([("b/pièce.pdf".to_owned(), (0, vec![DigestAlg::Sha256]))]);
        assert!(one_pass(&zip_path, &central, &asked).is_some());
    }
}
