//! Where an inventory row comes from when no `archive` run kept it: the
//! bundle's `metadata.json` and `dossier.json`, read in place in a folder or
//! from a zip downloaded from a bucket, and its zip's name and SHA-256 (from
//! the folder's run manifest when it has one, else hashed; from a bucket,
//! the digest of the bytes downloaded).

use std::path::Path;

use super::bundle_rows::{full_row, zip_name};
use super::known::KnownRow;
use super::row::{DynColumn, Row};
use super::zip_sums::ZipSums;
use crate::bagit::bundles::{BagReader, FoundBundle};
use crate::digest::{hash_reader, DigestAlg};
use crate::store::bucket::BucketBundles;

/// A row and its dynamic columns, with the bundle's `dossier.json` (for the
/// extra sheets), or why the bundle is left out.
pub(super) type Read = Result<((Row, Vec<DynColumn>), serde_json::Value), String>;

/// The reader of the bundles of the folder `archive_dir`.
pub(super) fn in_folder(archive_dir: &Path) -> impl FnMut(&FoundBundle) -> Read {
    let mut zip_sums = ZipSums::read(archive_dir);
    move |f| read_bundle(f, &mut zip_sums, None)
}

/// The reader of the bundles of `bucket`: each zip downloaded (or its
/// download started ahead waited for), read, and removed.
pub(super) fn from_bucket(bucket: &BucketBundles) -> impl FnMut(&FoundBundle) -> Read + '_ {
    let mut none = ZipSums::default();
    move |f| {
        let zip = bucket.fetch(f)?;
        read_bundle(f, &mut none, Some(&zip.sha256))
    }
}

/// The row of the zip `f` downloaded from a bucket, whose bytes have the
/// SHA-256 `sha256`: the row `inventory s3://…` makes of it.
///
/// # Errors
/// The zip cannot be read as a bundle; the message says why.
pub fn row_of_zip(f: &FoundBundle, sha256: &str) -> Result<KnownRow, String> {
    let ((row, columns), _) = read_bundle(f, &mut ZipSums::default(), Some(sha256))?;
    Ok(KnownRow::new(row, columns))
}

fn read_bundle(f: &FoundBundle, zip_sums: &mut ZipSums, downloaded: Option<&str>) -> Read {
    let mut bag = BagReader::open(&f.location).map_err(|e| format!("unreadable bag: {e}"))?;
    let (metadata, dossier) = bag.read_metadata_and_dossier()?;
    let zip = match (&f.zip, zip_name(f)) {
        (Some(zip), Some(name)) => {
            let sum = match (zip_sums.get(&name), downloaded) {
                (Some(s), _) => s,
                (None, Some(s)) => s.to_owned(),
                (None, None) => sha256_file(zip).map_err(|e| format!("`{name}`: {e}"))?,
            };
            Some((name, sum))
        }
        _ => None,
    };
    Ok((full_row(f.number, &metadata, &dossier, zip), dossier))
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = fs_err::File::open(path)?;
    let (_, mut d) = hash_reader(&mut f, &[DigestAlg::Sha256], &mut Vec::new())?;
    Ok(d.remove(&DigestAlg::Sha256).unwrap_or_default())
}
