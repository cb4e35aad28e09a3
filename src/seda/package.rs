//! Writing one SIP zip from checked bundles, and splitting dossiers into
//! batches.
//!
//! A SIP zip holds `manifest.xml` then `Content/<safe name>` for every object,
//! with no wrapping folder (Vitam's rule). It is written to a temporary file in
//! the output folder and renamed only once complete, so a final name always
//! means a whole SIP. Entries carry a fixed time (the transfer date) and fixed
//! permissions so the same input, configuration and `--date` give the same
//! bytes. Each file is hashed again while it is copied: a bag that changed
//! between the integrity check and the copy fails the SIP instead of shipping
//! a wrong digest.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zip::write::SimpleFileOptions;

use super::blocks::FixedBlocks;
use super::config::SedaConfig;
use super::error::SipError;
use super::integrity::CheckedBundle;
use super::plan::{plan_dossier, DossierUnit, SipObject};
use super::profile::check_dossier;
use super::xml::{render_manifest, SipHeader};
use super::xsd::{validate_manifest, XsdOutcome};
use crate::bagit::bundles::BagReader;
use crate::digest::HashingWriter;

/// What a written SIP holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct WrittenSip {
    /// The zip's path.
    pub path: PathBuf,
    /// Its MessageIdentifier.
    pub message_identifier: String,
    /// The dossier numbers inside.
    pub dossiers: Vec<u64>,
    /// BinaryDataObject count.
    pub objects: usize,
    /// Payload bytes.
    pub bytes: u64,
}

/// Plan every bundle of a SIP.
#[must_use]
pub fn plan_sip(
    bundles: &[CheckedBundle],
    config: &SedaConfig,
) -> (Vec<DossierUnit>, Vec<SipObject>) {
    let mut units = Vec::with_capacity(bundles.len());
    let mut objects = Vec::new();
    for (i, b) in bundles.iter().enumerate() {
        let (u, o) = plan_dossier(b, i, config);
        units.push(u);
        objects.extend(o);
    }
    (units, objects)
}

/// ArchiveUnits + BinaryDataObjects that a bundle adds to a SIP.
#[must_use]
pub fn weight(bundle: &CheckedBundle, config: &SedaConfig) -> u64 {
    let (unit, objects) = plan_dossier(bundle, 0, config);
    unit.unit_count() + objects.len() as u64
}

/// Write one SIP into `out_dir`. Every dossier must carry the elements the
/// archiving profile requires; with `check_xsd`, the manifest must pass the
/// SEDA 2.2 XSD, and the archiving profile file when the configuration names
/// one (both through xmllint, which the caller found installed).
///
/// # Errors
/// Why the dossiers of this SIP are skipped (a required element missing, I/O,
/// a bag that changed, an invalid manifest).
pub fn write_sip(
    out_dir: &Path,
    header: &SipHeader,
    config: &SedaConfig,
    bundles: &[CheckedBundle],
    check_xsd: bool,
) -> Result<WrittenSip, SipError> {
    let (units, objects) = plan_sip(bundles, config);
    // The archiving profile is checked before anything is written.
    for unit in &units {
        check_dossier(unit, config)?;
    }
    let manifest = render_manifest(header, config, &units, &objects).map_err(SipError::Render)?;
    if check_xsd {
        // xmllint was found at start; should it fail to run now (killed, no
        // room for its temporary files), the SIP is still written, as when
        // it is not installed, but never without a word naming it.
        let sip = &header.message_identifier;
        match validate_manifest(&manifest) {
            XsdOutcome::Invalid { message, .. } => return Err(SipError::InvalidManifest(message)),
            XsdOutcome::Unavailable(why) | XsdOutcome::UnknownNamespace(why) => {
                tracing::warn!(sip = %sip, "manifest not checked against the SEDA XSD: {why}");
            }
            XsdOutcome::Valid { .. } => {}
        }
        if let Some(rng) = &config.profile_rng {
            match super::xsd::validate_relaxng(&manifest, &rng.text) {
                Ok(None) => {}
                Ok(Some(message)) => {
                    return Err(SipError::ProfileInvalid {
                        path: rng.path.clone(),
                        message,
                    })
                }
                Err(why) => tracing::warn!(
                    sip = %sip,
                    "manifest not validated against the archiving profile `{}`: {why}",
                    rng.path.display()
                ),
            }
        }
    }
    let final_path = out_dir.join(format!("{}.zip", header.message_identifier));
    let tmp = crate::fsx::published_tempfile(
        out_dir,
        &format!(".{}.", header.message_identifier),
        ".zip.tmp",
    )
    .map_err(|source| SipError::TempFile {
        dir: out_dir.to_owned(),
        source,
    })?;
    let file = tmp.as_file().try_clone().map_err(SipError::TempHandle)?;
    let mut zip = zip::ZipWriter::new(io::BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(&header.date))
        .unix_permissions(0o644);
    let zerr = |source| SipError::Zip {
        path: final_path.clone(),
        source,
    };
    let werr = |source| SipError::Write {
        path: final_path.clone(),
        source,
    };
    zip.start_file("manifest.xml", options).map_err(zerr)?;
    zip.write_all(&manifest).map_err(werr)?;

    let mut reader: Option<(usize, BagReader)> = None;
    for o in &objects {
        if reader.as_ref().is_none_or(|(i, _)| *i != o.bundle) {
            let r = BagReader::open(&bundles[o.bundle].found.location).map_err(|source| {
                SipError::Reopen {
                    dossier: bundles[o.bundle].found.number,
                    source,
                }
            })?;
            reader = Some((o.bundle, r));
        }
        let Some((_, bag)) = reader.as_mut() else {
            continue;
        };
        let opts = options.large_file(o.size >= u64::from(u32::MAX));
        zip.start_file(format!("Content/{}", o.content_name), opts)
            .map_err(zerr)?;
        // Cut into fixed blocks: the deflated bytes then depend on the
        // file's bytes only, not on whether a folder or a zip gave them.
        let mut blocks = FixedBlocks::new(HashingWriter::new(&mut zip, &[header.alg]));
        let copied = bag
            .copy_to(&o.bag_path, &mut blocks)
            .map_err(|source| SipError::Copy {
                bag_path: o.bag_path.clone(),
                source,
            })?;
        let hashing = blocks.finish().map_err(werr)?;
        let digest = hashing
            .finish_hex()
            .1
            .remove(&header.alg)
            .unwrap_or_default();
        if copied != o.size || digest != o.digest {
            return Err(SipError::Changed {
                dossier: bundles[o.bundle].found.number,
                bag_path: o.bag_path.clone(),
            });
        }
    }
    let mut inner = zip.finish().map_err(zerr)?;
    inner.flush().map_err(werr)?;
    drop(inner);
    tmp.as_file().sync_all().map_err(|source| SipError::Sync {
        path: final_path.clone(),
        source,
    })?;
    tmp.persist(&final_path).map_err(|e| SipError::Rename {
        path: final_path.clone(),
        source: e.error,
    })?;
    Ok(WrittenSip {
        path: final_path,
        message_identifier: header.message_identifier.clone(),
        dossiers: units.iter().map(|u| u.number).collect(),
        objects: objects.len(),
        bytes: objects.iter().map(|o| o.size).sum(),
    })
}

/// The zip entry time for an RFC 3339 transfer date (1980-01-01 when out of
/// the zip range).
fn zip_time(date: &str) -> zip::DateTime {
    super::config::parse_transfer_date(date)
        .ok()
        .and_then(|d| {
            zip::DateTime::from_date_and_time(
                u16::try_from(d.year()).ok()?,
                u8::from(d.month()),
                d.day(),
                d.hour(),
                d.minute(),
                d.second(),
            )
            .ok()
        })
        .unwrap_or_default()
}

/// Greedy batching: consecutive items go together while both limits hold;
/// an item too big for any batch travels alone.
#[derive(Debug, Clone)]
pub struct Batcher {
    max_objects: u64,
    max_size: u64,
    objects: u64,
    size: u64,
    len: usize,
}

impl Batcher {
    /// A batcher with these limits.
    #[must_use]
    pub fn new(max_objects: u64, max_size: u64) -> Self {
        Self {
            max_objects,
            max_size,
            objects: 0,
            size: 0,
            len: 0,
        }
    }

    /// Add an item; returns true when the current batch must be closed
    /// *before* this item (which then starts the next one).
    pub fn push(&mut self, objects: u64, size: u64) -> bool {
        let close = self.len > 0
            && (self.objects + objects > self.max_objects || self.size + size > self.max_size);
        if close {
            self.objects = 0;
            self.size = 0;
            self.len = 0;
        }
        self.objects += objects;
        self.size += size;
        self.len += 1;
        close
    }
}

/// The batches [`Batcher`] makes of `items` (objects, bytes).
#[must_use]
pub fn split_batches(
    items: &[(u64, u64)],
    max_objects: u64,
    max_size: u64,
) -> Vec<std::ops::Range<usize>> {
    let mut batcher = Batcher::new(max_objects, max_size);
    let mut out = Vec::new();
    let mut start = 0;
    for (i, (o, s)) in items.iter().enumerate() {
        if batcher.push(*o, *s) {
            out.push(start..i);
            start = i;
        }
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_respect_both_limits() {
        let items = [(3, 10), (3, 10), (3, 10), (1, 95), (2, 1)];
        assert_eq!(split_batches(&items, 6, 100), vec![0..2, 2..3, 3..5]);
        assert_eq!(split_batches(&items, 100, 1000), vec![0..5]);
        // An item over the limits on its own still gets a batch.
        assert_eq!(split_batches(&[(50, 1)], 10, 10), vec![0..1]);
        assert!(split_batches(&[], 10, 10).is_empty());
    }

    #[test]
    fn zip_time_follows_the_transfer_date() {
        let t = zip_time("2024-05-02T10:15:00+02:00");
        assert_eq!((t.year(), t.month(), t.day(), t.hour()), (2024, 5, 2, 10));
        assert_eq!(zip_time("1970-01-01T00:00:00Z"), zip::DateTime::default());
    }
}
