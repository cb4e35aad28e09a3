//! The staged bag of one dossier: its folder in staging, the files placed in
//! it, its BagIt tag files ([`tags`]), the check that it is complete, and its
//! zip.
//!
//! One home for writing a bag, so the pipeline says *when* (after the
//! downloads, before the commit) and this module says *how*. Reading and
//! checking bags that are already archived is [`crate::bagit`]'s and
//! [`crate::verify`]'s; the zip format itself is [`crate::bag_zip`]'s; the
//! attachments are streamed into `data/` by [`crate::download`].
//!
//! A staged bag lives at `<staging>/<name>/` and its zip at
//! `<staging>/<name>.zip`, where `name` is [`bundle_name`]; nothing here
//! publishes (that is the pipeline's commit) or makes files durable.

pub mod tags;

use std::path::{Path, PathBuf};

use crate::digest::DigestAlg;
use crate::error::{Error, Result};
use crate::model::Digests;
use crate::{bag_zip, download, fsx, layout};

/// `dossier-N` for the first bundle of a dossier, `dossier-N.vK` after.
pub(crate) fn bundle_name(number: u64, version: u32) -> String {
    let base = layout::dossier_dir_name(number);
    if version <= 1 {
        base
    } else {
        format!("{base}.v{version}")
    }
}

/// The staged zip of the bag `name`.
pub(crate) fn zip_path(staging: &Path, name: &str) -> PathBuf {
    staging.join(format!("{name}.zip"))
}

/// Remove what a previous attempt left of the bag `name` and its zip.
pub(crate) fn remove(staging: &Path, name: &str) {
    let _ = std::fs::remove_dir_all(staging.join(name));
    let _ = std::fs::remove_file(zip_path(staging, name));
}

/// Remove a staged bag folder whose zip has been written and read back
/// (`--keep zips`).
pub(crate) fn remove_folder(bag: &Path) -> Result<()> {
    fs_err::remove_dir_all(bag).map_err(|e| Error::io("remove the staged bag", bag, e))
}

/// Start the bag `name` afresh: leftovers removed, `data/` created. Returns
/// the bag folder.
pub(crate) fn create(staging: &Path, name: &str) -> Result<PathBuf> {
    let bag = staging.join(name);
    remove(staging, name);
    fs_err::create_dir_all(bag.join("data"))
        .map_err(|e| Error::io("create staging bag", &bag, e))?;
    Ok(bag)
}

/// Write the files ds-archive generates (`dossier.json`, the metadata) into
/// the bag and add each, with its digests, to `payload`.
pub(crate) fn place_generated(
    bag: &Path,
    generated: &[(String, Vec<u8>)],
    digests: &[DigestAlg],
    payload: &mut Vec<(String, Digests)>,
) -> Result<()> {
    let sha512 = digests.contains(&DigestAlg::Sha512);
    for (path, bytes) in generated {
        fsx::write_staged(&bag.join(path), bytes)?;
        payload.push((path.clone(), download::hash_bytes(bytes, sha512)));
    }
    Ok(())
}

/// Completeness before anything is published (digests were computed while
/// the bytes were written; the zip is read back when it is made): the
/// verifier's problems, joined, when the bag does not verify.
pub(crate) fn check(bag: &Path) -> Result<(), String> {
    let fast = crate::verify::Options {
        fast: true,
        jobs: 1,
    };
    let check = crate::verify::verify_bag_dir(bag, &fast);
    if check.is_valid() {
        return Ok(());
    }
    let problems: Vec<String> = check.problems().iter().map(ToString::to_string).collect();
    Err(format!(
        "the staged bag does not verify: {}",
        problems.join("; ")
    ))
}

/// Zip the bag as `<top>/...` into `zip`, stamped with the dossier's last
/// modification at DS. Blocking.
pub(crate) fn zip(bag: &Path, top: &str, zip: &Path, updated_at: &str) -> Result<bag_zip::ZipInfo> {
    bag_zip::zip_staged(bag, top, zip, zip_time(Some(updated_at)))
}

/// The zip entries' timestamp: the dossier's last modification at DS, so the
/// same data always gives the same zip bytes.
fn zip_time(date: Option<&str>) -> zip::DateTime {
    let parsed = date.and_then(|d| {
        time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok()
    });
    parsed
        .and_then(|t| {
            zip::DateTime::from_date_and_time(
                u16::try_from(t.year()).ok()?,
                t.month() as u8,
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_get_their_own_names() {
        assert_eq!(bundle_name(12, 1), "dossier-12");
        assert_eq!(bundle_name(12, 3), "dossier-12.v3");
    }

    #[test]
    fn zip_time_follows_the_dossier() {
        let t = zip_time(Some("2024-03-05T10:12:30+01:00"));
        assert_eq!(
            (t.year(), t.month(), t.day(), t.hour(), t.minute()),
            (2024, 3, 5, 10, 12)
        );
        assert_eq!(zip_time(None), zip::DateTime::default());
    }
}
