//! Digest algorithms and hashing: the one place that knows how to hash.
//!
//! Archiving, `verify`, `seda` and the bundle writer all hash bytes while
//! they move them (download to disk, zip read-back, bag to SIP copy, manifest
//! checks). They share one algorithm type, [`DigestAlg`], with its BagIt and
//! SEDA spellings, and one [`MultiHasher`] that feeds every algorithm asked
//! for in a single pass over the bytes; [`HashingReader`] and
//! [`HashingWriter`] wrap it around a stream so a file is hashed by whoever
//! reads or writes it, never read twice. Which algorithms exist here is wider
//! than what `archive` writes (SHA-256, SHA-512): `verify` also checks other
//! people's bags (MD5, SHA-1, SHA-224, SHA-384) and SIPs.

use std::collections::BTreeMap;
use std::io::{self, Read, Write};

use serde::{Deserialize, Serialize};
use sha2::digest::DynDigest;

/// Read block size: large enough for sequential throughput on disks and
/// network filesystems, small enough to keep one per thread.
pub const BLOCK: usize = 1 << 20;

/// A digest algorithm of BagIt manifests and SEDA `MessageDigest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DigestAlg {
    /// MD5 (BagIt compatibility only; also DS's own checksum).
    Md5,
    /// SHA-1 (BagIt compatibility only).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512 (BagIt 1.0 and Vitam's default).
    Sha512,
}

impl DigestAlg {
    /// The algorithms `archive` can write manifests with.
    pub const ARCHIVE: [Self; 2] = [Self::Sha256, Self::Sha512];

    /// Parse the algorithm part of `manifest-<alg>.txt` in someone else's
    /// bag, leniently: case-insensitive, ignoring non-alphanumerics
    /// (`SHA-256` = `sha256`).
    #[must_use]
    pub fn from_bagit_name(name: &str) -> Option<Self> {
        let norm: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match norm.as_str() {
            "md5" => Self::Md5,
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// Parse one of the [`ARCHIVE`](Self::ARCHIVE) algorithms by its BagIt
    /// name (`sha256`, `sha512`), case-insensitively; anything else is `None`.
    #[must_use]
    pub fn from_archive_name(name: &str) -> Option<Self> {
        let name = name.to_ascii_lowercase();
        Self::ARCHIVE.into_iter().find(|a| a.bagit_name() == name)
    }

    /// Parse a SEDA `MessageDigest/@algorithm` we can check (`MD5`,
    /// `SHA-256`, `SHA-384`, `SHA-512`), case-insensitively, trimmed.
    #[must_use]
    pub fn from_seda_name(name: &str) -> Option<Self> {
        Some(match name.trim().to_ascii_uppercase().as_str() {
            "MD5" => Self::Md5,
            "SHA-256" => Self::Sha256,
            "SHA-384" => Self::Sha384,
            "SHA-512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The BagIt name (`manifest-<name>.txt`).
    #[must_use]
    pub fn bagit_name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// The SEDA spelling of the algorithm attribute.
    #[must_use]
    pub fn seda_name(self) -> &'static str {
        match self {
            Self::Md5 => "MD5",
            Self::Sha1 => "SHA-1",
            Self::Sha224 => "SHA-224",
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        }
    }

    /// Length of the hex digest.
    #[must_use]
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha224 => 56,
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }

    fn hasher(self) -> Box<dyn DynDigest + Send> {
        match self {
            Self::Md5 => Box::new(md5::Md5::default()),
            Self::Sha1 => Box::new(sha1::Sha1::default()),
            Self::Sha224 => Box::new(sha2::Sha224::default()),
            Self::Sha256 => Box::new(sha2::Sha256::default()),
            Self::Sha384 => Box::new(sha2::Sha384::default()),
            Self::Sha512 => Box::new(sha2::Sha512::default()),
        }
    }
}

/// Lowercase hex digests by algorithm.
pub type HexDigests = BTreeMap<DigestAlg, String>;

/// Lowercase hex digest of bytes already in memory.
#[must_use]
pub fn hex_digest(alg: DigestAlg, bytes: &[u8]) -> String {
    let mut h = MultiHasher::new(&[alg]);
    h.update(bytes);
    h.finish_hex().1.remove(&alg).unwrap_or_default()
}

/// Every algorithm asked for, fed in one pass, and the byte count.
pub struct MultiHasher {
    hashers: Vec<(DigestAlg, Box<dyn DynDigest + Send>)>,
    size: u64,
}

impl MultiHasher {
    /// A hasher for `algs` (an algorithm listed twice is hashed once).
    #[must_use]
    pub fn new(algs: &[DigestAlg]) -> Self {
        let mut hashers: Vec<(DigestAlg, Box<dyn DynDigest + Send>)> = Vec::new();
        for &a in algs {
            if hashers.iter().all(|(b, _)| *b != a) {
                hashers.push((a, a.hasher()));
            }
        }
        Self { hashers, size: 0 }
    }

    /// Feed bytes.
    pub fn update(&mut self, bytes: &[u8]) {
        for (_, h) in &mut self.hashers {
            h.update(bytes);
        }
        self.size += bytes.len() as u64;
    }

    /// Bytes fed so far.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The byte count and the raw digests.
    #[must_use]
    pub fn finish(self) -> (u64, BTreeMap<DigestAlg, Vec<u8>>) {
        let digests = self
            .hashers
            .into_iter()
            .map(|(a, h)| (a, h.finalize().into_vec()))
            .collect();
        (self.size, digests)
    }

    /// The byte count and the lowercase hex digests.
    #[must_use]
    pub fn finish_hex(self) -> (u64, HexDigests) {
        let (size, raw) = self.finish();
        (
            size,
            raw.into_iter().map(|(a, d)| (a, hex::encode(d))).collect(),
        )
    }
}

/// A sink that only hashes: `io::copy` a reader into it.
impl Write for MultiHasher {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Hashes every byte read through it, in order: the digest of a whole file
/// computed by whoever reads it front to back.
pub struct HashingReader<R> {
    inner: R,
    hasher: MultiHasher,
}

impl<R> HashingReader<R> {
    /// Wrap `inner`, hashing with `algs`.
    pub fn new(inner: R, algs: &[DigestAlg]) -> Self {
        Self {
            inner,
            hasher: MultiHasher::new(algs),
        }
    }

    /// Bytes read and their lowercase hex digests.
    #[must_use]
    pub fn finish_hex(self) -> (u64, HexDigests) {
        self.hasher.finish_hex()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Passes bytes through to `inner` while hashing exactly those written.
pub struct HashingWriter<W> {
    inner: W,
    hasher: MultiHasher,
}

impl<W> HashingWriter<W> {
    /// Wrap `inner`, hashing with `algs`.
    pub fn new(inner: W, algs: &[DigestAlg]) -> Self {
        Self {
            inner,
            hasher: MultiHasher::new(algs),
        }
    }

    /// Bytes written and their lowercase hex digests.
    #[must_use]
    pub fn finish_hex(self) -> (u64, HexDigests) {
        self.hasher.finish_hex()
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Read `reader` to its end once, in [`BLOCK`]s, feeding every algorithm;
/// returns the byte count and the hex digests. `buf` is reused between calls.
///
/// # Errors
/// The reader's error (interrupted reads are retried).
pub fn hash_reader(
    reader: &mut dyn Read,
    algs: &[DigestAlg],
    buf: &mut Vec<u8>,
) -> io::Result<(u64, HexDigests)> {
    if buf.len() != BLOCK {
        // One zeroed allocation: `resize` fills byte by byte in a debug
        // build, milliseconds per call for callers that pass a new Vec.
        *buf = vec![0; BLOCK];
    }
    let mut hasher = MultiHasher::new(algs);
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finish_hex())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ALL: [DigestAlg; 6] = [
        DigestAlg::Md5,
        DigestAlg::Sha1,
        DigestAlg::Sha224,
        DigestAlg::Sha256,
        DigestAlg::Sha384,
        DigestAlg::Sha512,
    ];

    #[test]
    fn known_digests() {
        let mut buf = Vec::new();
        let (n, d) = hash_reader(&mut &b"abc"[..], &ALL, &mut buf).unwrap();
        assert_eq!(n, 3);
        assert_eq!(d[&DigestAlg::Md5], "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            d[&DigestAlg::Sha1],
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            d[&DigestAlg::Sha256],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d[&DigestAlg::Sha512].starts_with("ddaf35a193617aba"));
        for a in ALL {
            assert_eq!(d[&a].len(), a.hex_len());
            assert_eq!(hex_digest(a, b"abc"), d[&a]);
        }
    }

    #[test]
    fn names_round_trip() {
        for a in ALL {
            assert_eq!(DigestAlg::from_bagit_name(a.bagit_name()), Some(a));
        }
        assert_eq!(
            DigestAlg::from_bagit_name("SHA-256"),
            Some(DigestAlg::Sha256)
        );
        assert_eq!(DigestAlg::from_bagit_name("blake2b"), None);
        for a in [
            DigestAlg::Md5,
            DigestAlg::Sha256,
            DigestAlg::Sha384,
            DigestAlg::Sha512,
        ] {
            assert_eq!(DigestAlg::from_seda_name(a.seda_name()), Some(a));
        }
        assert_eq!(
            DigestAlg::from_seda_name(" sha-512 "),
            Some(DigestAlg::Sha512)
        );
        assert_eq!(DigestAlg::from_seda_name("SHA-1"), None);
    }

    #[test]
    fn archive_names_are_only_sha256_and_sha512() {
        assert_eq!(
            DigestAlg::from_archive_name("SHA512"),
            Some(DigestAlg::Sha512)
        );
        assert_eq!(
            DigestAlg::from_archive_name("sha256"),
            Some(DigestAlg::Sha256)
        );
        assert_eq!(DigestAlg::from_archive_name("md5"), None);
        assert_eq!(DigestAlg::from_archive_name("sha-256"), None);
    }

    #[test]
    fn reader_and_writer_hash_exactly_what_passes() {
        let algs = [DigestAlg::Sha256, DigestAlg::Sha512, DigestAlg::Sha256];
        let mut r = HashingReader::new(&b"hello world"[..], &algs);
        let mut out = Vec::new();
        let mut w = HashingWriter::new(&mut out, &algs);
        io::copy(&mut r, &mut w).unwrap();
        let (wn, wd) = w.finish_hex();
        let (rn, rd) = r.finish_hex();
        assert_eq!(out, b"hello world");
        assert_eq!((rn, wn), (11, 11));
        assert_eq!(rd, wd);
        assert_eq!(rd.len(), 2, "an algorithm asked twice is hashed once");
        assert_eq!(
            rd[&DigestAlg::Sha256],
            hex_digest(DigestAlg::Sha256, b"hello world")
        );
    }

    #[test]
    fn multihasher_counts_bytes_across_updates() {
        let mut h = MultiHasher::new(&[DigestAlg::Md5]);
        h.update(b"hel");
        h.write_all(b"lo").unwrap();
        assert_eq!(h.size(), 5);
        let (n, raw) = h.finish();
        assert_eq!(n, 5);
        assert_eq!(
            hex::encode(&raw[&DigestAlg::Md5]),
            "5d41402abc4b2a76b9719d911017c592"
        );
    }
}
