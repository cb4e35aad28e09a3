//! Where an inventory row comes from when no `archive` run kept it: the
//! bundle's `metadata.json` and `dossier.json`, read in place in a folder or
//! from a zip downloaded from a bucket, and its zip's name and SHA-256 (from
//! the folder's run manifest when it has one, else hashed; from a bucket,
//! the digest of the bytes downloaded).

use std::collections::BTreeMap;
use std::path::Path;

use super::bundle_rows::{full_row, zip_name};
use super::row::{DynColumn, Row};
use crate::bagit::bundles::{BagReader, FoundBundle};
use crate::digest::{hash_reader, DigestAlg};
use crate::store::bucket::BucketBundles;

/// A row and its dynamic columns, with the bundle's `dossier.json` (for the
/// extra sheets), or why the bundle is left out.
pub(super) type Read = Result<((Row, Vec<DynColumn>), serde_json::Value), String>;

/// The reader of the bundles of the folder `archive_dir`.
pub(super) fn in_folder(archive_dir: &Path) -> impl FnMut(&FoundBundle) -> Read {
    let zip_sums = read_zip_sums(archive_dir);
    move |f| read_bundle(f, &zip_sums, None)
}

/// The reader of the bundles of `bucket`: each zip downloaded, read, and
/// removed before the next.
pub(super) fn from_bucket(bucket: &BucketBundles) -> impl FnMut(&FoundBundle) -> Read + '_ {
    let none = BTreeMap::new();
    move |f| {
        let zip = bucket.fetch(f)?;
        read_bundle(f, &none, Some(&zip.sha256))
    }
}

fn read_bundle(
    f: &FoundBundle,
    zip_sums: &BTreeMap<String, String>,
    downloaded: Option<&str>,
) -> Read {
    let mut bag = BagReader::open(&f.location).map_err(|e| format!("unreadable bag: {e}"))?;
    let (metadata, dossier) = bag.read_metadata_and_dossier()?;
    let zip = match (&f.zip, zip_name(f)) {
        (Some(zip), Some(name)) => {
            let sum = match (zip_sums.get(&name), downloaded) {
                (Some(s), _) => s.clone(),
                (None, Some(s)) => s.to_owned(),
                (None, None) => sha256_file(zip).map_err(|e| format!("`{name}`: {e}"))?,
            };
            Some((name, sum))
        }
        _ => None,
    };
    Ok((full_row(f.number, &metadata, &dossier, zip), dossier))
}

/// `<DIR>/manifest-sha256.txt`, when the archive run wrote one: zip name →
/// lowercase hex.
fn read_zip_sums(archive_dir: &Path) -> BTreeMap<String, String> {
    let Ok(text) = fs_err::read_to_string(archive_dir.join("manifest-sha256.txt")) else {
        return BTreeMap::new();
    };
    text.lines()
        .filter_map(|l| {
            let (sum, name) = l.split_once(char::is_whitespace)?;
            let name = name
                .trim_start()
                .trim_start_matches('*')
                .trim_start_matches("./");
            (sum.len() == 64 && sum.bytes().all(|b| b.is_ascii_hexdigit()))
                .then(|| (name.to_owned(), sum.to_ascii_lowercase()))
        })
        .collect()
}

fn sha256_file(path: &Path) -> std::io::Result<String> {
    let mut f = fs_err::File::open(path)?;
    let (_, mut d) = hash_reader(&mut f, &[DigestAlg::Sha256], &mut Vec::new())?;
    Ok(d.remove(&DigestAlg::Sha256).unwrap_or_default())
}
