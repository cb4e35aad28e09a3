//! The inventory row of one bundle: made from its `metadata.json` and
//! `dossier.json` (read by [`super::read`]), or taken from the rows an
//! `archive` run kept, with the zip's name and SHA-256.

use super::columns;
use super::known::{KnownRow, KnownRows};
use super::row::{dossier_row, DynColumn, Row};
use crate::bagit::bundles::FoundBundle;

/// The file name of the bundle's zip, if it has one.
pub(super) fn zip_name(f: &FoundBundle) -> Option<String> {
    let zip = f.zip.as_ref()?;
    Some(
        zip.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    )
}

/// The row of dossier `number` from its `metadata.json` and `dossier.json`,
/// and its zip's name and SHA-256 when it has one.
pub(super) fn full_row(
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

/// The row kept in `known` for the zip `f` whose SHA-256 is `sha256`, if
/// it describes that very zip (same name, same digest): a row made for
/// other bytes under the same name (another worker's upload won) is not it.
pub fn kept_row_of_zip(known: &mut KnownRows, f: &FoundBundle, sha256: &str) -> Option<KnownRow> {
    let kept = known.get(f.number, f.version)?;
    let same = kept.row.get(columns::fixed_id("bundle")) == zip_name(f).as_ref()
        && kept
            .row
            .get(columns::fixed_id("bundle_sha256"))
            .map(String::as_str)
            == Some(sha256);
    same.then_some(kept)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bagit::bundles::BundleLocation;

    #[test]
    fn a_kept_row_counts_only_for_the_zip_it_was_made_from() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut known = KnownRows::in_dir(dir.path());
        let zip = dir.path().join("dossier-7.v2.zip");
        let found = FoundBundle {
            number: 7,
            version: 2,
            location: BundleLocation::Zip(zip.clone()),
            zip: Some(zip),
        };
        let zip_of = |name: &str, sha: &str| Some((name.to_owned(), sha.to_owned()));
        let (meta, dossier) = (serde_json::json!({}), serde_json::json!({}));
        let ours = row_of_bundle(7, &meta, &dossier, zip_of("dossier-7.v2.zip", "aa"));
        known.add(7, 2, &ours);
        assert_eq!(kept_row_of_zip(&mut known, &found, "aa"), Some(ours));
        // Other bytes under that name (another worker's upload won).
        assert_eq!(kept_row_of_zip(&mut known, &found, "bb"), None);
        // A row made for another name.
        known.add(
            7,
            2,
            &row_of_bundle(7, &meta, &dossier, zip_of("dossier-7.zip", "aa")),
        );
        assert_eq!(kept_row_of_zip(&mut known, &found, "aa"), None);
    }
}
