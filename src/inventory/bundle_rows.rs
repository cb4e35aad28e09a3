//! The inventory row of one bundle: read from its `metadata.json` and
//! `dossier.json`, or taken from the rows an `archive` run kept, with the
//! zip's name and SHA-256 (from the run's `manifest-sha256.txt` when it
//! lists the zip, computed otherwise).

use std::collections::BTreeMap;
use std::path::Path;

use super::columns;
use super::known::{KnownRow, KnownRows};
use super::row::{dossier_row, DynColumn, Row};
use crate::bagit::bundles::{BagReader, FoundBundle};
use crate::digest::{hash_reader, DigestAlg};

/// The row of bundle `f`, and its `dossier.json` (for the extra sheets).
pub(super) fn read_bundle(
    f: &FoundBundle,
    zip_sums: &BTreeMap<String, String>,
) -> Result<((Row, Vec<DynColumn>), serde_json::Value), String> {
    let mut bag = BagReader::open(&f.location).map_err(|e| format!("unreadable bag: {e}"))?;
    let metadata = bag
        .read_json("data/metadata.json")
        .map_err(|e| format!("data/metadata.json: {e}"))?;
    let dossier = bag
        .read_json("data/dossier.json")
        .map_err(|e| format!("data/dossier.json: {e}"))?;
    let zip = match (&f.zip, zip_name(f)) {
        (Some(zip), Some(name)) => {
            let sum = match zip_sums.get(&name) {
                Some(s) => s.clone(),
                None => sha256_file(zip).map_err(|e| format!("`{name}`: {e}"))?,
            };
            Some((name, sum))
        }
        _ => None,
    };
    Ok((full_row(f.number, &metadata, &dossier, zip), dossier))
}

/// The file name of the bundle's zip, if it has one.
fn zip_name(f: &FoundBundle) -> Option<String> {
    let zip = f.zip.as_ref()?;
    Some(
        zip.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// The row of dossier `number` from its `metadata.json` and `dossier.json`,
/// and its zip's name and SHA-256 when it has one.
fn full_row(
    number: u64,
    metadata: &serde_json::Value,
    dossier: &serde_json::Value,
    zip: Option<(String, String)>,
) -> (Row, Vec<DynColumn>) {
    let (mut row, cols) = dossier_row(metadata, dossier);
    row.entry(columns::fixed_id("id").to_owned())
        .or_insert_with(|| number.to_string());
    if let Some((name, sum)) = zip {
        row.insert(columns::fixed_id("bundle").to_owned(), name);
        row.insert(columns::fixed_id("bundle_sha256").to_owned(), sum);
    }
    (row, cols)
}

/// The row an `archive` run kept for `f`, if it describes `f` as found now
/// (same zip, or still no zip).
pub(super) fn kept_row(known: &mut KnownRows, f: &FoundBundle) -> Option<(Row, Vec<DynColumn>)> {
    let (row, cols) = known.get(f.number, f.version)?.into_parts();
    (row.get(columns::fixed_id("bundle")) == zip_name(f).as_ref()).then_some((row, cols))
}

/// The row [`super::write_inventory`] would read from a bundle whose
/// `metadata.json` and `dossier.json` hold these values, and with this zip
/// (name, SHA-256).
#[must_use]
pub fn row_of_bundle(
    number: u64,
    metadata: &serde_json::Value,
    dossier: &serde_json::Value,
    zip: Option<(String, String)>,
) -> KnownRow {
    let (row, cols) = full_row(number, metadata, dossier, zip);
    KnownRow::new(row, cols)
}

/// `<DIR>/manifest-sha256.txt`, when the archive run wrote one: zip name →
/// lowercase hex.
pub(super) fn read_zip_sums(archive_dir: &Path) -> BTreeMap<String, String> {
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
