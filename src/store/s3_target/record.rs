//! What each zip object records in its metadata (our SHA-256 and the
//! `dossier_done` facts), read back to resume from the bucket and to decide
//! what a 412 means.

use std::collections::BTreeMap;

use crate::journal::Event;
use crate::store::s3::Head;
use crate::store::Outcome;

pub(super) const META_SHA256: &str = "sha256";
pub(super) const META_DOSSIER: &str = "ds-dossier";
pub(super) const META_VERSION: &str = "ds-version";
pub(super) const META_UPDATED: &str = "ds-updated-at";
pub(super) const META_FILES: &str = "ds-files";
pub(super) const META_BYTES: &str = "ds-bytes";
pub(super) const META_RUN: &str = "ds-run";

/// A 412 on our key: archived already, or a conflict.
pub(super) fn already_there(
    key: &str,
    ours: &Event,
    number: u64,
    updated_at: &str,
    sha256: &str,
    head: &Head,
) -> Outcome {
    if head.meta.get(META_SHA256).map(String::as_str) == Some(sha256) {
        return Outcome::Done(ours.clone());
    }
    let name = key
        .rsplit('/')
        .next()
        .unwrap_or(key)
        .trim_end_matches(".zip");
    let same_dossier = head.meta.get(META_DOSSIER) == Some(&number.to_string())
        && head.meta.get(META_UPDATED).map(String::as_str) == Some(updated_at);
    if same_dossier {
        if let Some(theirs) = done_event(name, &head.meta) {
            tracing::info!(
                dossier = number,
                "`{key}` already holds this version of the dossier: kept"
            );
            return Outcome::Done(theirs);
        }
    }
    Outcome::Conflict(format!(
        "`{key}` already exists with other content (sha256 {}, DS modification date {}); ours: sha256 {sha256}, {updated_at}; not overwritten",
        head.meta.get(META_SHA256).map_or("unknown", String::as_str),
        head.meta.get(META_UPDATED).map_or("unknown", String::as_str),
    ))
}

pub(super) fn done_meta(done: &Event) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    if let Event::DossierDone {
        number,
        version,
        updated_at,
        zip_sha256,
        files,
        bytes,
        run_id,
        ..
    } = done
    {
        m.insert(META_SHA256.into(), zip_sha256.clone());
        m.insert(META_DOSSIER.into(), number.to_string());
        m.insert(META_VERSION.into(), version.to_string());
        m.insert(META_UPDATED.into(), updated_at.clone());
        m.insert(META_FILES.into(), files.to_string());
        m.insert(META_BYTES.into(), bytes.to_string());
        m.insert(META_RUN.into(), run_id.clone());
    }
    m
}

/// The `dossier_done` event an object's metadata records.
pub(super) fn done_event(name: &str, meta: &BTreeMap<String, String>) -> Option<Event> {
    let get = |k: &str| meta.get(k).cloned();
    Some(Event::DossierDone {
        number: get(META_DOSSIER)?.parse().ok()?,
        version: get(META_VERSION)?.parse().ok()?,
        updated_at: get(META_UPDATED)?,
        name: name.to_owned(),
        zip_sha256: get(META_SHA256)?,
        files: get(META_FILES)?.parse().ok()?,
        bytes: get(META_BYTES)?.parse().ok()?,
        run_id: get(META_RUN).unwrap_or_default(),
    })
}
