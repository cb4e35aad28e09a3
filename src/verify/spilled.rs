//! What `verify` gathers a bundle at a time and reads back in name order,
//! sorted on disk ([`crate::spill`]) rather than held: the summaries the
//! JSON report lists (one a bundle, sorted by name), and each zip's SHA-256
//! for the run manifest check (a join by name).
//!
//! Why: both grow with the dossiers, and `verify` must not
//! (docs/benchmarks.md, "Memory"). A record is the name as key and a few
//! bytes of value; a failure to spill is kept and told once, at the end.

use std::io;

use super::codes::Code;
use super::jobs::Whole;
use super::problems::code;
use super::report::{BundleKind, BundleSummary};
use super::run_manifest::ZipDigest;
use crate::spill::Sorter;

/// Records sorted by name, and the first error met while spilling them.
#[derive(Debug, Default)]
struct Spilled {
    sorter: Sorter,
    error: Option<io::Error>,
}

impl Spilled {
    fn push(&mut self, name: &str, value: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.sorter.push(name.as_bytes(), value) {
                self.error = Some(e);
            }
        }
    }

    fn into_sorted(self) -> io::Result<impl Iterator<Item = io::Result<(String, Vec<u8>)>>> {
        if let Some(e) = self.error {
            return Err(e);
        }
        Ok(self.sorter.into_sorted()?.map(|r| {
            let (name, value) = r?;
            let name = String::from_utf8(name)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
            Ok((name, value))
        }))
    }
}

fn corrupt() -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, "a spilled record is damaged")
}

/// One summary a bundle, read back sorted by name (bundles of one name in
/// the order they were added).
#[derive(Debug, Default)]
pub(crate) struct BundleList(Spilled);

impl BundleList {
    /// Add a bundle's summary (its problem count is not kept: the report
    /// counts them when it is written).
    pub(crate) fn push(&mut self, s: &BundleSummary) {
        let kind: u8 = match s.kind {
            BundleKind::Folder => 0,
            BundleKind::Zip => 1,
            BundleKind::Archive => 2,
        };
        let mut value = [0_u8; 17];
        value[0] = kind;
        value[1..9].copy_from_slice(&s.files.to_be_bytes());
        value[9..].copy_from_slice(&s.bytes.to_be_bytes());
        self.0.push(&s.name, &value);
    }

    /// The summaries, sorted by name.
    ///
    /// # Errors
    /// Spilling or reading them back failed.
    pub(crate) fn into_sorted(self) -> io::Result<impl Iterator<Item = io::Result<BundleSummary>>> {
        Ok(self.0.into_sorted()?.map(|r| {
            let (name, value) = r?;
            let kind = match value.first() {
                Some(0) => BundleKind::Folder,
                Some(1) => BundleKind::Zip,
                Some(2) => BundleKind::Archive,
                _ => return Err(corrupt()),
            };
            let number = |at: usize| {
                value
                    .get(at..at + 8)
                    .and_then(|b| b.try_into().ok())
                    .map(u64::from_be_bytes)
                    .ok_or_else(corrupt)
            };
            Ok(BundleSummary {
                name,
                kind,
                files: number(1)?,
                bytes: number(9)?,
                problems: 0,
            })
        }))
    }
}

/// Each zip of an archive folder with its SHA-256 when computed.
#[derive(Debug, Default)]
pub(crate) struct ZipDigests(Spilled);

impl ZipDigests {
    /// Add zip `name` and its digest (`None`: not computed).
    pub(crate) fn push(&mut self, name: &str, whole: Option<&Whole>) {
        let mut value = Vec::with_capacity(33);
        match whole {
            None => value.push(0),
            Some(Ok(d)) => {
                value.push(1);
                value.extend_from_slice(d);
            }
            Some(Err(e)) => {
                let c = code(e.kind);
                let i = Code::ALL.iter().position(|x| *x == c).unwrap_or_default();
                value.push(2);
                value.push(u8::try_from(i).unwrap_or_default());
                value.extend_from_slice(e.message.as_bytes());
            }
        }
        self.0.push(name, &value);
    }

    /// The zips sorted by name, as the run manifest check takes them.
    ///
    /// # Errors
    /// Spilling or reading them back failed.
    pub(crate) fn into_sorted(
        self,
    ) -> io::Result<impl Iterator<Item = io::Result<(String, ZipDigest)>>> {
        Ok(self.0.into_sorted()?.map(|r| {
            let (name, value) = r?;
            let digest = match value.split_first() {
                Some((0, [])) => None,
                Some((1, d)) if d.len() == 32 => Some(Ok(hex::encode(d))),
                Some((2, [c, message @ ..])) => {
                    let code = Code::ALL.get(usize::from(*c)).ok_or_else(corrupt)?;
                    let message = String::from_utf8_lossy(message).into_owned();
                    Some(Err((*code, message)))
                }
                _ => return Err(corrupt()),
            };
            Ok((name, digest))
        }))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::bagit::source::{ProblemKind, ReadError};

    #[test]
    fn summaries_and_digests_come_back_sorted_and_whole() {
        let mut list = BundleList::default();
        for (name, kind) in [
            ("dossier-2", BundleKind::Folder),
            ("dossier-10.zip", BundleKind::Zip),
            ("out", BundleKind::Archive),
        ] {
            let files = name.len() as u64;
            let s = BundleSummary {
                name: name.into(),
                kind,
                files,
                bytes: u64::MAX - files,
                problems: 3,
            };
            list.push(&s);
        }
        let back: Vec<BundleSummary> = list.into_sorted().unwrap().map(Result::unwrap).collect();
        let names: Vec<&str> = back.iter().map(|b| b.name.as_str()).collect();
        assert_eq!(names, ["dossier-10.zip", "dossier-2", "out"]);
        assert_eq!(back[0].kind, BundleKind::Zip);
        assert_eq!((back[1].files, back[1].bytes), (9, u64::MAX - 9));
        assert_eq!(back[2].kind, BundleKind::Archive);

        let mut zips = ZipDigests::default();
        let err = ReadError {
            kind: ProblemKind::ZipCorrupt,
            message: "bad zip".into(),
        };
        zips.push("b.zip", Some(&Err(err)));
        zips.push("c.zip", None);
        zips.push("a.zip", Some(&Ok([0xab; 32])));
        let back: Vec<(String, ZipDigest)> =
            zips.into_sorted().unwrap().map(Result::unwrap).collect();
        assert_eq!(
            back,
            [
                ("a.zip".to_owned(), Some(Ok("ab".repeat(32)))),
                (
                    "b.zip".to_owned(),
                    Some(Err((Code::ZipCorrupt, "bad zip".to_owned())))
                ),
                ("c.zip".to_owned(), None),
            ]
        );
    }
}
