//! The complete dossier versions a journal replays into (issue #16: memory
//! flat in the number of dossiers).
//!
//! A heap profile of `archive` on 2·10⁴ generated dossiers (docs/benchmarks.md,
//! "Memory") put the largest per-dossier holder here: a `BTreeMap` of a `Vec`
//! of versions, each with three `String`s, about 540 heap bytes and five small
//! allocations a dossier. A version is now one fixed-size record in the usual
//! case ([`REC`] bytes: the zip's SHA-256 as 32 bytes, DS's date inline, the
//! bag name left out when it is the one [`crate::bag::bundle_name`] gives),
//! and the records live on disk ([`DoneSet`], in `set`). What a line said is
//! given back exactly: dates, names and digests that do not fit the record
//! are kept as written, in memory (this program never writes such lines).

use std::borrow::Cow;

mod run;
mod set;
pub use set::{Counts, DoneSet};

/// A version's place: (dossier number, version).
pub type Key = (u64, u32);

/// Bytes of a version's record on disk.
const REC: usize = 96;

/// A complete dossier version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneVersion {
    /// Dossier number.
    pub number: u64,
    /// Version number.
    pub version: u32,
    /// Payload files.
    pub files: u64,
    /// Payload bytes.
    pub bytes: u64,
    updated_at: Short,
    /// `None`: the usual name for `number` and `version`.
    name: Option<Box<str>>,
    zip_sha256: Sha,
}

impl DoneVersion {
    /// A version as a `dossier_done` line gives it.
    #[must_use]
    pub fn new(
        number: u64,
        version: u32,
        updated_at: &str,
        name: &str,
        zip_sha256: &str,
        files: u64,
        bytes: u64,
    ) -> Self {
        let usual = crate::bag::bundle_name(number, version) == name;
        Self {
            number,
            version,
            files,
            bytes,
            updated_at: Short::new(updated_at),
            name: (!usual).then(|| name.into()),
            zip_sha256: Sha::new(zip_sha256),
        }
    }

    /// DS's last modification date of the archived data.
    #[must_use]
    pub fn updated_at(&self) -> &str {
        self.updated_at.as_str()
    }

    /// The bag folder's name.
    #[must_use]
    pub fn name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(crate::bag::bundle_name(self.number, self.version)),
        }
    }

    /// SHA-256 of the zip as the journal wrote it (empty: no zip).
    #[must_use]
    pub fn zip_sha256(&self) -> Cow<'_, str> {
        self.zip_sha256.as_str()
    }

    /// Whether the version has a zip.
    #[must_use]
    pub fn has_zip(&self) -> bool {
        !matches!(self.zip_sha256, Sha::None)
    }

    /// (number, version).
    #[must_use]
    pub fn key(&self) -> Key {
        (self.number, self.version)
    }

    /// Whether the version fits a fixed-size record.
    fn is_compact(&self) -> bool {
        self.name.is_none()
            && matches!(self.updated_at, Short::Inline(..))
            && !matches!(self.zip_sha256, Sha::Other(_))
    }

    /// The record of a compact version: number, version, files, bytes
    /// (little-endian), the date's length and bytes, whether there is a zip
    /// and its digest.
    fn encode(&self, rec: &mut [u8; REC]) {
        rec.fill(0);
        rec[0..8].copy_from_slice(&self.number.to_le_bytes());
        rec[8..12].copy_from_slice(&self.version.to_le_bytes());
        rec[12..20].copy_from_slice(&self.files.to_le_bytes());
        rec[20..28].copy_from_slice(&self.bytes.to_le_bytes());
        if let Short::Inline(len, bytes) = &self.updated_at {
            rec[28] = *len;
            rec[29..29 + INLINE].copy_from_slice(bytes);
        }
        if let Sha::Bytes(sha) = &self.zip_sha256 {
            rec[59] = 1;
            rec[60..92].copy_from_slice(sha);
        }
    }

    /// A record [`Self::encode`] wrote.
    fn decode(rec: &[u8]) -> std::io::Result<Self> {
        let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "damaged done record");
        let u64_at = |at: usize| -> std::io::Result<u64> {
            Ok(u64::from_le_bytes(
                rec.get(at..at + 8)
                    .ok_or_else(bad)?
                    .try_into()
                    .map_err(|_| bad())?,
            ))
        };
        let version = u32::from_le_bytes(
            rec.get(8..12)
                .ok_or_else(bad)?
                .try_into()
                .map_err(|_| bad())?,
        );
        let len = *rec.get(28).ok_or_else(bad)?;
        let date = rec.get(29..29 + usize::from(len)).ok_or_else(bad)?;
        let date = std::str::from_utf8(date).map_err(|_| bad())?;
        let zip_sha256 = match rec.get(59) {
            Some(0) => Sha::None,
            Some(1) => Sha::Bytes(
                rec.get(60..92)
                    .ok_or_else(bad)?
                    .try_into()
                    .map_err(|_| bad())?,
            ),
            _ => return Err(bad()),
        };
        Ok(Self {
            number: u64_at(0)?,
            version,
            files: u64_at(12)?,
            bytes: u64_at(20)?,
            updated_at: Short::new(date),
            name: None,
            zip_sha256,
        })
    }
}

/// Bytes of text held inline (DS dates are 20 to 29).
const INLINE: usize = 30;

/// A short string held inline, a longer one on the heap.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Short {
    Inline(u8, [u8; INLINE]),
    Heap(Box<str>),
}

impl Short {
    fn new(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Self::Inline(len, bytes)
            }
            _ => Self::Heap(s.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Inline(len, bytes) => {
                // Built from a whole `&str`: always valid UTF-8.
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Self::Heap(s) => s,
        }
    }
}

/// A zip digest: 32 bytes when the line held 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sha {
    None,
    Bytes([u8; 32]),
    Other(Box<str>),
}

impl Sha {
    fn new(hex: &str) -> Self {
        if hex.is_empty() {
            return Self::None;
        }
        let lower = hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut out = [0; 32];
        if lower && hex.len() == 64 && hex::decode_to_slice(hex, &mut out).is_ok() {
            Self::Bytes(out)
        } else {
            Self::Other(hex.into())
        }
    }

    fn as_str(&self) -> Cow<'_, str> {
        match self {
            Self::None => Cow::Borrowed(""),
            Self::Bytes(b) => Cow::Owned(hex::encode(b)),
            Self::Other(s) => Cow::Borrowed(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gives_back_what_the_line_said() {
        let sha = "ab".repeat(32);
        let odd_date = "2024-01-01T00:00:00.123456789+01:00 (and more)";
        for (name, sha, date) in [
            ("dossier-7", sha.as_str(), "2024-01-01T00:00:00+01:00"),
            ("dossier-7-renamed", "00", odd_date),
            ("dossier-7", &sha.to_uppercase(), ""),
        ] {
            let d = DoneVersion::new(7, 1, date, name, sha, 3, 4);
            assert_eq!(
                (d.name().as_ref(), d.zip_sha256().as_ref(), d.updated_at()),
                (name, sha, date)
            );
        }
        assert!(!DoneVersion::new(7, 1, "", "dossier-7", "", 0, 0).has_zip());
    }

    #[test]
    fn a_record_gives_back_the_version() {
        let sha = "0f".repeat(32);
        for v in [
            DoneVersion::new(
                u64::MAX,
                u32::MAX,
                "2024-01-01T00:00:00.123+01:00",
                "x",
                "",
                0,
                0,
            ),
            DoneVersion::new(
                7,
                2,
                "2024-01-01T00:00:00+01:00",
                "dossier-7.v2",
                &sha,
                3,
                u64::MAX,
            ),
            DoneVersion::new(7, 1, "", "dossier-7", "", 0, 0),
        ] {
            let v = DoneVersion { name: None, ..v };
            assert!(v.is_compact());
            let mut rec = [0; REC];
            v.encode(&mut rec);
            assert_eq!(DoneVersion::decode(&rec).unwrap(), v);
        }
    }
}
