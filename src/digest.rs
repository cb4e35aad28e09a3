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
mod tests;
