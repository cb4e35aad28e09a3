//! The SHA-256 of each zip as the run manifest (`manifest-sha256.txt`)
//! records it, so that the inventory need not hash every zip again.
//!
//! Why compact: the manifest has a line a dossier, and the inventory is
//! rebuilt at the end of every `archive` run that changed something, so what
//! this holds is part of `archive`'s peak (issue #16, docs/benchmarks.md
//! "Memory"). The manifest is read line by line, the names go into one shared
//! buffer and each digest is kept as 32 bytes: about 60 bytes a zip and no
//! small allocation, where a map of two `String`s took about 170.

use std::io::BufRead as _;
use std::path::Path;

/// Zip name → SHA-256, from a run manifest.
#[derive(Debug, Default)]
pub(crate) struct ZipSums {
    /// Every name, one after the other.
    names: String,
    /// (start of the name in `names`, its length, digest), sorted by name.
    entries: Vec<(u32, u32, [u8; 32])>,
}

impl ZipSums {
    /// The digests of `<archive_dir>/manifest-sha256.txt`; empty when it
    /// cannot be read. Lines that are not `<64 hex digits> <name>` are left
    /// out (their zips are hashed instead).
    pub(crate) fn read(archive_dir: &Path) -> Self {
        let mut sums = Self::default();
        let Ok(file) = fs_err::File::open(archive_dir.join("manifest-sha256.txt")) else {
            return sums;
        };
        for line in std::io::BufReader::new(file).lines().map_while(Result::ok) {
            sums.add_line(&line);
        }
        sums.entries.sort_unstable_by(|a, b| {
            let names = &sums.names;
            name_of(names, a).cmp(name_of(names, b))
        });
        // A name twice: the manifest's last line for it wins, as a map's
        // insert did.
        sums.entries.dedup_by(|later, earlier| {
            let same = name_of(&sums.names, later) == name_of(&sums.names, earlier);
            if same {
                *earlier = *later;
            }
            same
        });
        sums
    }

    fn add_line(&mut self, line: &str) {
        let Some((sum, name)) = line.split_once(char::is_whitespace) else {
            return;
        };
        let name = name
            .trim_start()
            .trim_start_matches('*')
            .trim_start_matches("./");
        let mut digest = [0; 32];
        if sum.len() != 64 || hex::decode_to_slice(sum, &mut digest).is_err() {
            return;
        }
        let (Ok(start), Ok(len)) = (u32::try_from(self.names.len()), u32::try_from(name.len()))
        else {
            return;
        };
        self.names.push_str(name);
        self.entries.push((start, len, digest));
    }

    /// The digest of zip `name`, as lowercase hex.
    pub(crate) fn get(&self, name: &str) -> Option<String> {
        let i = self
            .entries
            .binary_search_by(|e| name_of(&self.names, e).cmp(name))
            .ok()?;
        Some(hex::encode(self.entries[i].2))
    }
}

fn name_of<'a>(names: &'a str, (start, len, _): &(u32, u32, [u8; 32])) -> &'a str {
    let start = *start as usize;
    names.get(start..start + *len as usize).unwrap_or_default()
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
        let sums = ZipSums::read(dir.path());
        assert_eq!(sums.get("dossier-1.zip"), Some("cd".repeat(32)));
        assert_eq!(sums.get("dossier-2.zip"), Some(c), "the last line wins");
        assert_eq!(sums.get("short.zip"), None);
        assert_eq!(sums.get("dossier-3.zip"), None);
        assert_eq!(
            ZipSums::read(&dir.path().join("none")).get("dossier-1.zip"),
            None
        );
    }
}
