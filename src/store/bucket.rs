//! A bucket archive read back: what `archive --out s3://…` left under a
//! prefix, for the commands that read an archive (`verify`, `seda --from`,
//! `inventory`).
//!
//! [`Listing`] sorts the keys into what the archive holds (bundle zips, run
//! manifests, the démarche's documents) and ignores the rest (probe
//! objects, anything foreign). It reads the listing a page at a time and
//! puts the zips' names in a sort on disk ([`crate::spill`]): a name a
//! dossier in memory was what made the bucket readers grow with the archive
//! (docs/benchmarks.md, "Memory", ninth round); the run manifests and the
//! démarche's documents are a few a run and stay in memory.
//! [`BucketBundles`] gives `seda` and `inventory`, which are synchronous
//! and read bags from local files, the newest version of each dossier
//! ([`BundleNames`], the rule a folder follows too) and brings their zips
//! to local disk. Nothing here writes to the bucket.

use std::io;
use std::path::Path;

use super::s3::{S3Client, S3Error};
use crate::bagit::bundles::{parse_bundle_name, BundleNames, Discovered};
use crate::spill::Sorter;

mod bundles;

pub use bundles::{BucketBundles, Fetched, ReadAhead};

/// Where a run's manifest sits under the prefix:
/// `runs/<UTC stamp>-<run id>/manifest-sha256.txt`.
const RUN_MANIFEST: &str = "manifest-sha256.txt";

/// The archive's objects under a prefix, by kind.
#[derive(Debug, Default)]
pub struct Listing {
    /// `PREFIX/` (empty for a whole bucket).
    pub prefix: String,
    /// Bundle zips, names relative to the prefix (`dossier-3.v2.zip`),
    /// sorted on disk; read once, by [`Self::zip_names`] or
    /// [`Self::newest_in`].
    zips: Sorter,
    /// Run manifests, full keys, sorted: the last one is the newest run's
    /// (the folder name starts with its UTC stamp).
    pub manifests: Vec<String>,
    /// The démarche's documents, names relative to the prefix
    /// (`demarche/notice.pdf`), sorted.
    pub documents: Vec<String>,
}

impl Listing {
    /// List the prefix of `client`'s URL, a page at a time.
    ///
    /// # Errors
    /// The bucket cannot be listed, or the names cannot be spilled to the
    /// temporary folder (the error names the prefix and cause).
    pub async fn read(client: &S3Client) -> Result<Self, S3Error> {
        let prefix = client.config().key("");
        let mut listing = Self::default();
        client
            .list_each(&prefix, |key, _| {
                listing.add(&prefix, key).map_err(|e| S3Error {
                    action: "LIST",
                    key: prefix.clone(),
                    message: format!("cannot keep the listing in a temporary file: {e}"),
                    status: None,
                })
            })
            .await?;
        listing.prefix = prefix;
        listing.manifests.sort();
        listing.documents.sort();
        Ok(listing)
    }

    /// File `key` (listed under `prefix`) by kind.
    fn add(&mut self, prefix: &str, key: String) -> io::Result<()> {
        let Some(rel) = key.strip_prefix(prefix) else {
            return Ok(());
        };
        if bundle_of_zip(rel).is_some() {
            self.zips.push(rel.as_bytes(), &[])?;
        } else if rel.starts_with("runs/") && rel.ends_with(&format!("/{RUN_MANIFEST}")) {
            self.manifests.push(key);
        } else if rel
            .strip_prefix(crate::layout::DEMARCHE_DIR)
            .is_some_and(|r| r.starts_with('/'))
        {
            self.documents.push(rel.to_owned());
        }
        Ok(())
    }

    /// How many bundle zips (every version of every dossier).
    #[must_use]
    pub fn zip_count(&self) -> u64 {
        self.zips.len()
    }

    /// The newest run manifest's key.
    #[must_use]
    pub fn newest_manifest(&self) -> Option<&str> {
        self.manifests.last().map(String::as_str)
    }

    /// The bundle zips' names, sorted (as `str` sorts), read back from the
    /// sort on disk; the listing keeps none after.
    ///
    /// # Errors
    /// The sort cannot spill or read back its runs.
    pub fn zip_names(&mut self) -> io::Result<impl Iterator<Item = io::Result<String>> + Send> {
        let zips = std::mem::take(&mut self.zips).into_sorted()?;
        Ok(zips.map(|r| {
            let (name, _) = r?;
            String::from_utf8(name).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
        }))
    }

    /// The zip of the newest version of each dossier, by dossier number, as
    /// bundles whose zips are to be downloaded into `spool` under their own
    /// names; the listing keeps no zip after.
    ///
    /// # Errors
    /// The sort cannot spill or read back its runs.
    pub fn newest_in(&mut self, spool: &Path) -> io::Result<Discovered> {
        let mut names = BundleNames::default();
        for name in self.zip_names()? {
            names.push_zip(&name?)?;
        }
        names.newest(spool)
    }
}

/// The keys of the run files named `file` under the prefix of `client`'s
/// URL (`PREFIX/runs/<UTC stamp>-<run id>/FILE`), sorted: oldest run first.
///
/// # Errors
/// The bucket cannot be listed (the error names the prefix and cause).
pub async fn run_files(client: &S3Client, file: &str) -> Result<Vec<String>, S3Error> {
    let runs = client.config().key("runs/");
    let mut keys: Vec<String> = client
        .list(&runs)
        .await?
        .into_iter()
        .map(|(key, _)| key)
        .filter(|key| {
            key.strip_prefix(&runs)
                .and_then(|rel| rel.split_once('/'))
                .is_some_and(|(dir, name)| !dir.is_empty() && name == file)
        })
        .collect();
    keys.sort();
    Ok(keys)
}

/// `dossier-3.v2.zip` → (3, 2); `None` for any other name (a zip in a
/// sub-folder included: bundles sit right under the prefix).
fn bundle_of_zip(rel: &str) -> Option<(u64, u32)> {
    rel.strip_suffix(".zip").and_then(parse_bundle_name)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn newest_zip_of_each_dossier_as_for_a_folder() {
        let mut listing = Listing::default();
        for key in [
            "p/dossier-3.v10.zip",
            "p/dossier-3.v2.zip",
            "p/dossier-3.zip",
            "p/dossier-5.zip",
            "p/runs/20261203T000000Z-r1/manifest-sha256.txt",
            "p/dossier-12.v2.zip",
            "p/demarche/notice.pdf",
            "p/.probe",
        ] {
            listing.add("p/", key.to_owned()).expect("add");
        }
        assert_eq!(listing.zip_count(), 5);
        assert_eq!(listing.manifests.len(), 1);
        assert_eq!(listing.documents, ["demarche/notice.pdf"]);
        let spool = Path::new("/spool");
        let newest: Vec<(u64, u32, PathBuf)> = listing
            .newest_in(spool)
            .expect("sorted")
            .map(|f| {
                let f = f.expect("read back");
                assert_eq!(f.zip.as_deref(), Some(f.location.path()));
                (f.number, f.version, f.location.path().to_owned())
            })
            .collect();
        assert_eq!(
            newest,
            [
                (3, 10, spool.join("dossier-3.v10.zip")),
                (5, 1, spool.join("dossier-5.zip")),
                (12, 2, spool.join("dossier-12.v2.zip")),
            ]
        );
        assert_eq!(listing.zip_count(), 0, "the names are read once");
    }

    #[test]
    fn only_bundle_names_right_under_the_prefix_are_bundles() {
        assert_eq!(bundle_of_zip("dossier-4.zip"), Some((4, 1)));
        for other in [
            "dossier-4",
            "runs/x/dossier-4.zip",
            "dossier-4.v1.zip",
            "notice.zip",
        ] {
            assert_eq!(bundle_of_zip(other), None, "{other}");
        }
    }
}
