//! The SHA-256 of each zip as the run manifest (`manifest-sha256.txt`)
//! records it, so that the inventory need not hash every zip again.
//!
//! Why a sort on disk and a cursor: the manifest has a line a dossier, and
//! the inventory is rebuilt at the end of every `archive` run that changed
//! something, so what this holds is part of `archive`'s peak and of
//! `inventory`'s (issue #16, docs/benchmarks.md "Memory"). The lines are
//! sorted by dossier number and version ([`crate::spill`]), the order in
//! which the inventory asks for the zips (`bagit::bundles::discover_sorted`),
//! and read forward as it asks: memory holds the sort's buffer and the
//! lines of one dossier, whatever the number of dossiers. A zip asked for
//! out of that order is not found, and is hashed instead: slower, same row.

use std::io::{self, BufRead as _};
use std::iter::Peekable;
use std::path::Path;

use crate::bagit::bundles::parse_bundle_name;
use crate::spill::Sorter;

type Records = Box<dyn Iterator<Item = io::Result<(Vec<u8>, Vec<u8>)>>>;

/// The lines of one dossier version: (zip name, digest).
type Lines = Vec<(Vec<u8>, [u8; 32])>;

/// Zip name → SHA-256, from a run manifest, asked in dossier order.
#[derive(Default)]
pub(crate) struct ZipSums {
    /// The lines (key: number and version; value: digest, then the name),
    /// sorted, from the next one not yet asked for.
    records: Option<Peekable<Records>>,
    /// The lines of the dossier version asked for last.
    last: Option<([u8; 12], Lines)>,
}

impl ZipSums {
    /// The digests of `<archive_dir>/manifest-sha256.txt`; empty when it
    /// cannot be read or sorted. Lines that are not `<64 hex digits> <name>`
    /// of a bundle zip are left out (their zips are hashed instead).
    pub(crate) fn read(archive_dir: &Path) -> Self {
        let Ok(file) = fs_err::File::open(archive_dir.join("manifest-sha256.txt")) else {
            return Self::default();
        };
        let mut sorter = Sorter::default();
        for line in io::BufReader::new(file).lines().map_while(Result::ok) {
            if add_line(&mut sorter, &line).is_err() {
                return Self::default();
            }
        }
        let Ok(sorted) = sorter.into_sorted() else {
            return Self::default();
        };
        let records: Records = Box::new(sorted);
        Self {
            records: Some(records.peekable()),
            last: None,
        }
    }

    /// The digest of zip `name`, as lowercase hex. A name the manifest has
    /// twice: its last line wins.
    pub(crate) fn get(&mut self, name: &str) -> Option<String> {
        let key = key_of(name)?;
        if self.last.as_ref().is_none_or(|(k, _)| *k != key) {
            self.last = Some((key, self.advance_to(key)));
        }
        let (_, lines) = self.last.as_ref()?;
        let (_, digest) = lines.iter().rev().find(|(n, _)| n == name.as_bytes())?;
        Some(hex::encode(digest))
    }

    /// The lines of `key`, skipping those before it.
    fn advance_to(&mut self, key: [u8; 12]) -> Lines {
        let mut lines = Vec::new();
        let Some(records) = self.records.as_mut() else {
            return lines;
        };
        while let Some(Ok((k, _))) = records.peek() {
            if k.as_slice() > key.as_slice() {
                break;
            }
            let Some(Ok((k, value))) = records.next() else {
                break;
            };
            if k.as_slice() == key.as_slice() && value.len() >= 32 {
                let mut digest = [0; 32];
                digest.copy_from_slice(&value[..32]);
                lines.push((value[32..].to_vec(), digest));
            }
        }
        lines
    }
}

/// Number and version, big-endian: sorted as the inventory reads them.
fn key_of(name: &str) -> Option<[u8; 12]> {
    let (number, version) = parse_bundle_name(name.strip_suffix(".zip")?)?;
    let mut key = [0; 12];
    key[..8].copy_from_slice(&number.to_be_bytes());
    key[8..].copy_from_slice(&version.to_be_bytes());
    Some(key)
}

fn add_line(sorter: &mut Sorter, line: &str) -> io::Result<()> {
    let Some((sum, name)) = line.split_once(char::is_whitespace) else {
        return Ok(());
    };
    let name = name
        .trim_start()
        .trim_start_matches('*')
        .trim_start_matches("./");
    let mut digest = [0; 32];
    if sum.len() != 64 || hex::decode_to_slice(sum, &mut digest).is_err() {
        return Ok(());
    }
    let Some(key) = key_of(name) else {
        return Ok(());
    };
    let mut value = digest.to_vec();
    value.extend_from_slice(name.as_bytes());
    sorter.push(&key, &value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_digests_a_manifest_records() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = ("ab".repeat(32), "CD".repeat(32), "ef".repeat(32));
        std::fs::write(
            dir.path().join("manifest-sha256.txt"),
            format!(
                "{a}  dossier-2.zip\n{b} *./dossier-1.zip\nnot a line\n12  short.zip\n{c}  dossier-2.zip\n"
            ),
        )
        .unwrap();
        let mut sums = ZipSums::read(dir.path());
        assert_eq!(sums.get("dossier-1.zip"), Some("cd".repeat(32)));
        assert_eq!(
            sums.get("dossier-2.zip"),
            Some(c.clone()),
            "the last line wins"
        );
        assert_eq!(sums.get("dossier-2.zip"), Some(c), "asked twice");
        assert_eq!(sums.get("short.zip"), None);
        assert_eq!(sums.get("dossier-3.zip"), None);
        assert_eq!(
            ZipSums::read(&dir.path().join("none")).get("dossier-1.zip"),
            None
        );
    }

    #[test]
    fn many_lines_are_read_forward_in_dossier_order() {
        // More lines than the sort holds in memory, in reverse order, and a
        // name that gives the same number as another (`dossier-007`).
        let dir = tempfile::tempdir().unwrap();
        let n = 20_000_u64;
        let sum = |i: u64| format!("{i:064x}");
        let mut text: String = (1..=n)
            .rev()
            .map(|i| format!("{}  dossier-{i}.zip\n", sum(i)))
            .collect();
        text.push_str(&format!("{}  dossier-007.zip\n", sum(70)));
        std::fs::write(dir.path().join("manifest-sha256.txt"), text).unwrap();
        let mut sums = ZipSums::read(dir.path());
        for i in 1..=n {
            assert_eq!(sums.get(&format!("dossier-{i}.zip")), Some(sum(i)), "{i}");
            if i == 7 {
                assert_eq!(sums.get("dossier-007.zip"), Some(sum(70)));
            }
        }
        // Behind the cursor: not found (the caller hashes the zip).
        assert_eq!(sums.get("dossier-3.zip"), None);
    }
}
