//! A bucket archive read back: what `archive --out s3://…` left under a
//! prefix, for the commands that read an archive (`verify`, `seda --from`,
//! `inventory`).
//!
//! [`Listing`] sorts the keys into what the archive holds (bundle zips, run
//! manifests, the démarche's documents) and ignores the rest (probe
//! objects, anything foreign). [`BucketBundles`] gives `seda` and
//! `inventory`, which are synchronous and read bags from local files, the
//! newest version of each dossier ([`newest_versions`], the rule a folder
//! follows too) and brings one zip at a time to a temporary file through
//! [`S3Client::download`] (streamed, hashed on the way); the file is removed
//! when its [`Fetched`] is dropped, so local disk holds what the caller
//! keeps, not the archive. Nothing here writes to the bucket.

use std::path::{Path, PathBuf};

use super::s3::{S3Client, S3Error};
use crate::bagit::bundles::{newest_versions, parse_bundle_name, BundleLocation, FoundBundle};

/// Where a run's manifest sits under the prefix:
/// `runs/<UTC stamp>-<run id>/manifest-sha256.txt`.
const RUN_MANIFEST: &str = "manifest-sha256.txt";

/// The archive's objects under a prefix, by kind.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// `PREFIX/` (empty for a whole bucket).
    pub prefix: String,
    /// Bundle zips, names relative to the prefix (`dossier-3.v2.zip`), sorted.
    pub zips: Vec<String>,
    /// Run manifests, full keys, sorted: the last one is the newest run's
    /// (the folder name starts with its UTC stamp).
    pub manifests: Vec<String>,
    /// The démarche's documents, names relative to the prefix
    /// (`demarche/notice.pdf`), sorted.
    pub documents: Vec<String>,
}

impl Listing {
    /// List the prefix of `client`'s URL.
    ///
    /// # Errors
    /// The bucket cannot be listed (the error names the prefix and cause).
    pub async fn read(client: &S3Client) -> Result<Self, S3Error> {
        let prefix = client.config().key("");
        let keys = client.list(&prefix).await?;
        let mut listing = Self::default();
        for (key, _) in keys {
            let Some(rel) = key.strip_prefix(&prefix) else {
                continue;
            };
            if bundle_of_zip(rel).is_some() {
                listing.zips.push(rel.to_owned());
            } else if rel.starts_with("runs/") && rel.ends_with(&format!("/{RUN_MANIFEST}")) {
                listing.manifests.push(key.clone());
            } else if rel
                .strip_prefix(crate::layout::DEMARCHE_DIR)
                .is_some_and(|r| r.starts_with('/'))
            {
                listing.documents.push(rel.to_owned());
            }
        }
        listing.prefix = prefix;
        listing.zips.sort();
        listing.manifests.sort();
        listing.documents.sort();
        Ok(listing)
    }

    /// The newest run manifest's key.
    #[must_use]
    pub fn newest_manifest(&self) -> Option<&str> {
        self.manifests.last().map(String::as_str)
    }

    /// The zip of the newest version of each dossier, by dossier number:
    /// (number, version, name).
    #[must_use]
    pub fn newest_zips(&self) -> Vec<(u64, u32, String)> {
        let names: std::collections::BTreeMap<(u64, u32), &String> = self
            .zips
            .iter()
            .filter_map(|z| Some((bundle_of_zip(z)?, z)))
            .collect();
        newest_versions(names.keys().copied())
            .into_iter()
            .filter_map(|(n, v)| Some((n, v, names.get(&(n, v))?.to_string())))
            .collect()
    }

    /// [`Listing::newest_zips`] as bundles whose zips are to be downloaded
    /// into `spool` under their own names.
    #[must_use]
    pub fn newest_in(&self, spool: &Path) -> Vec<FoundBundle> {
        self.newest_zips()
            .into_iter()
            .map(|(number, version, name)| {
                let path = spool.join(name);
                FoundBundle {
                    number,
                    version,
                    location: BundleLocation::Zip(path.clone()),
                    zip: Some(path),
                }
            })
            .collect()
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

/// A bucket archive for the synchronous readers: its newest bundles, and
/// each zip brought to local disk when asked.
pub struct BucketBundles {
    rt: tokio::runtime::Runtime,
    client: S3Client,
    prefix: String,
    spool: tempfile::TempDir,
    found: Vec<FoundBundle>,
}

/// A zip brought to local disk: removed when dropped.
#[derive(Debug)]
pub struct Fetched {
    path: PathBuf,
    /// Hex SHA-256 of the bytes downloaded.
    pub sha256: String,
}

impl Drop for Fetched {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

impl BucketBundles {
    /// List the archive at `client`'s URL.
    ///
    /// # Errors
    /// The runtime or the temporary folder cannot be made, or the bucket
    /// cannot be listed; the message names the bucket and the cause.
    pub fn open(client: S3Client) -> Result<Self, String> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the async runtime: {e}"))?;
        let listing = rt
            .block_on(Listing::read(&client))
            .map_err(|e| format!("{}: {e}", client.config().display()))?;
        let spool = tempfile::Builder::new()
            .prefix("ds-archive-bucket.")
            .tempdir()
            .map_err(|e| format!("cannot create a temporary folder: {e}"))?;
        let found = listing.newest_in(spool.path());
        Ok(Self {
            rt,
            client,
            prefix: listing.prefix,
            spool,
            found,
        })
    }

    /// `s3://bucket/prefix`, for messages.
    #[must_use]
    pub fn display(&self) -> String {
        self.client.config().display()
    }

    /// The newest bundle of each dossier, by number. Each is a zip at a path
    /// in a temporary folder where [`Self::fetch`] puts it; nothing is there
    /// before.
    #[must_use]
    pub fn found(&self) -> &[FoundBundle] {
        &self.found
    }

    /// Download `f`'s zip to its path (one GET, hashed on the way).
    ///
    /// # Errors
    /// `f` is not one of [`Self::found`], or the download failed; the message
    /// names the key and the cause.
    pub fn fetch(&self, f: &FoundBundle) -> Result<Fetched, String> {
        let path = f.location.path();
        if path.parent() != Some(self.spool.path()) {
            return Err(format!("`{}` is not a zip of this bucket", path.display()));
        }
        let name = file_name(path);
        let key = format!("{}{name}", self.prefix);
        // Made first: a download that fails half-way leaves no file behind.
        let mut fetched = Fetched {
            path: path.to_owned(),
            sha256: String::new(),
        };
        fetched.sha256 = self
            .rt
            .block_on(self.client.download(&key, path))
            .map_err(|e| format!("{}: {e}", self.display()))?;
        Ok(fetched)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newest_zip_of_each_dossier_as_for_a_folder() {
        let listing = Listing {
            zips: [
                "dossier-3.v10.zip",
                "dossier-3.v2.zip",
                "dossier-3.zip",
                "dossier-5.zip",
                "dossier-12.v2.zip",
            ]
            .map(str::to_owned)
            .to_vec(),
            ..Listing::default()
        };
        assert_eq!(
            listing.newest_zips(),
            [
                (3, 10, "dossier-3.v10.zip".to_owned()),
                (5, 1, "dossier-5.zip".to_owned()),
                (12, 2, "dossier-12.v2.zip".to_owned()),
            ]
        );
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
