//! Writing one SIP zip a dossier at a time, with memory that does not grow
//! with the SIP.
//!
//! Each dossier added (planned once, when it was admitted) has its part of
//! manifest.xml rendered at once: its objects to one unnamed temporary file, its units to another
//! ([`super::xml::ObjectsPart`], [`super::xml::UnitsPart`]), the files to copy
//! to a third ([`super::copies`]); then its checked bundle is dropped. What
//! stays in memory is the dossier numbers (8 bytes each, the SIP's report and
//! skip list) and a few counters. When the SIP is closed its header is
//! rendered (it names the first and last dossiers), the manifest is the
//! pieces end to end, checked whole by xmllint from a temporary file, and the
//! zip is written as [`super::package`] describes: `manifest.xml` first,
//! then every `Content/` file, each hashed again as it is copied.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use zip::write::SimpleFileOptions;

use super::blocks::FixedBlocks;
use super::config::SedaConfig;
use super::copies::{Copies, Copy};
use super::error::SipError;
use super::package::{zip_time, WrittenSip};
use super::plan::PlannedDossier;
use super::xml::{render_header, ObjectsPart, SipHeader, UnitsPart};
use super::xsd::{validate_manifest_in, validate_relaxng_in, XsdOutcome, MANIFEST};
use crate::bagit::bundles::BagReader;
use crate::digest::{DigestAlg, HashingWriter};

type Part = BufWriter<File>;

/// A SIP being filled.
pub(super) struct SipBuilder {
    /// Numbers of the dossiers added, in order.
    dossiers: Vec<u64>,
    /// The démarche of the first dossier, when known.
    demarche: Option<u64>,
    objects: usize,
    bytes: u64,
    /// The pieces, or why the SIP already failed (its dossiers are skipped).
    parts: Result<Parts, SipError>,
}

struct Parts {
    objects: ObjectsPart<Part>,
    units: UnitsPart<Part>,
    copies: Copies,
}

impl SipBuilder {
    /// An empty SIP whose temporary files go to `dir`.
    pub(super) fn new(dir: &Path, alg: DigestAlg) -> Self {
        let temp = || {
            tempfile::tempfile_in(dir)
                .map(BufWriter::new)
                .map_err(|source| SipError::TempFile {
                    dir: dir.to_owned(),
                    source,
                })
        };
        let parts = (|| {
            Ok(Parts {
                objects: ObjectsPart::new(temp()?, alg).map_err(SipError::Render)?,
                units: UnitsPart::new(temp()?).map_err(SipError::Render)?,
                copies: Copies::new_in(dir).map_err(|source| SipError::TempFile {
                    dir: dir.to_owned(),
                    source,
                })?,
            })
        })();
        Self {
            dossiers: Vec::new(),
            demarche: None,
            objects: 0,
            bytes: 0,
            parts,
        }
    }

    /// Dossiers added so far.
    pub(super) fn dossiers(&self) -> &[u64] {
        &self.dossiers
    }

    /// The démarche of the first dossier, when known.
    pub(super) fn demarche(&self) -> Option<u64> {
        self.demarche
    }

    /// Add a dossier (admitted: it carries the elements the archiving
    /// profile requires); a failure to write its part fails the whole SIP.
    pub(super) fn add(&mut self, dossier: &PlannedDossier) {
        let (unit, objects) = (&dossier.unit, &dossier.objects);
        if self.dossiers.is_empty() {
            self.demarche = unit.demarche_number;
        }
        // Ids are unique because each carries its dossier's number and the
        // numbers rise (the XSD check reads a stream, which does not compare
        // ids: `xsd::validate_manifest_in`); held, not assumed.
        if let Some(&after) = self.dossiers.last() {
            if unit.number <= after && self.parts.is_ok() {
                self.parts = Err(SipError::OutOfOrder {
                    dossier: unit.number,
                    after,
                });
            }
        }
        self.dossiers.push(unit.number);
        self.objects += objects.len();
        self.bytes += objects.iter().map(|o| o.size).sum::<u64>();
        let Ok(parts) = self.parts.as_mut() else {
            return;
        };
        let added = (|| {
            parts.units.push(unit)?;
            for o in objects {
                parts.objects.push(o)?;
                parts.copies.push(&Copy {
                    dossier: unit.number,
                    location: dossier.checked.found.location.clone(),
                    bag_path: o.bag_path.clone(),
                    content_name: o.content_name.clone(),
                    size: o.size,
                    digest: o.digest.clone(),
                })?;
            }
            Ok(())
        })()
        .map_err(SipError::Render);
        if let Err(e) = added {
            self.parts = Err(e);
        }
    }

    /// Write the SIP into `out_dir` under `header`; with `check_xsd`, the
    /// manifest must pass the SEDA 2.2 XSD, and the archiving profile file
    /// when the configuration names one (both through xmllint, which the
    /// caller found installed).
    ///
    /// # Errors
    /// Why the dossiers of this SIP are skipped (a required element missing,
    /// I/O, a bag that changed, an invalid manifest).
    pub(super) fn finish(
        self,
        out_dir: &Path,
        header: &SipHeader,
        config: &SedaConfig,
        check_xsd: bool,
    ) -> Result<WrittenSip, SipError> {
        let parts = self.parts?;
        let head = render_header(header, config).map_err(SipError::Render)?;
        let rewound = |w: Part| -> io::Result<BufReader<File>> {
            let mut file = w.into_inner().map_err(io::IntoInnerError::into_error)?;
            file.seek(SeekFrom::Start(0))?;
            Ok(BufReader::new(file))
        };
        let objects = parts.objects.finish().and_then(rewound);
        let units = parts.units.finish(config).and_then(rewound);
        let manifest = io::Cursor::new(head)
            .chain(objects.map_err(SipError::Render)?)
            .chain(units.map_err(SipError::Render)?);
        let final_path = out_dir.join(format!("{}.zip", header.message_identifier));
        // The checked copy of the manifest, in a temporary folder as xmllint
        // needs a file: the zip then takes its bytes from there.
        if check_xsd {
            let dir = check_manifest(manifest, header, config)?;
            let file = File::open(dir.path().join(MANIFEST)).map_err(SipError::Render)?;
            write_zip(
                out_dir,
                &final_path,
                header,
                BufReader::new(file),
                parts.copies,
            )?;
        } else {
            write_zip(out_dir, &final_path, header, manifest, parts.copies)?;
        }
        Ok(WrittenSip {
            path: final_path,
            message_identifier: header.message_identifier.clone(),
            dossiers: self.dossiers,
            objects: self.objects,
            bytes: self.bytes,
        })
    }
}

/// Write `manifest` whole to a temporary folder and check it there.
fn check_manifest(
    mut manifest: impl Read,
    header: &SipHeader,
    config: &SedaConfig,
) -> Result<tempfile::TempDir, SipError> {
    let dir = tempfile::tempdir().map_err(SipError::TempHandle)?;
    let mut file =
        BufWriter::new(File::create(dir.path().join(MANIFEST)).map_err(SipError::Render)?);
    io::copy(&mut manifest, &mut file).map_err(SipError::Render)?;
    file.flush().map_err(SipError::Render)?;
    drop(file);
    // xmllint was found at start; should it fail to run now (killed, no
    // room for its temporary files), the SIP is still written, as when it is
    // not installed, but never without a word naming it.
    let sip = &header.message_identifier;
    match validate_manifest_in(dir.path()) {
        XsdOutcome::Invalid { message, .. } => return Err(SipError::InvalidManifest(message)),
        XsdOutcome::Unavailable(why) | XsdOutcome::UnknownNamespace(why) => {
            tracing::warn!(sip = %sip, "manifest not checked against the SEDA XSD: {why}");
        }
        XsdOutcome::Valid { .. } => {}
    }
    if let Some(rng) = &config.profile_rng {
        match validate_relaxng_in(dir.path(), &rng.text) {
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
    Ok(dir)
}

/// Write the zip to a temporary file in `out_dir`, renamed to `final_path`
/// once complete and synced.
fn write_zip(
    out_dir: &Path,
    final_path: &Path,
    header: &SipHeader,
    manifest: impl Read,
    copies: Copies,
) -> Result<(), SipError> {
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
    let mut zip = zip::ZipWriter::new(BufWriter::new(file));
    let options = SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .last_modified_time(zip_time(&header.date))
        .unix_permissions(0o644);
    let zerr = |source| SipError::Zip {
        path: final_path.to_owned(),
        source,
    };
    let werr = |source| SipError::Write {
        path: final_path.to_owned(),
        source,
    };
    zip.start_file("manifest.xml", options).map_err(zerr)?;
    super::blocks::write_as_one(manifest, &mut zip).map_err(werr)?;

    let mut reader: Option<(u64, BagReader)> = None;
    for copy in copies.into_iter().map_err(werr)? {
        let o = copy.map_err(werr)?;
        let bag = match reader.take() {
            Some((dossier, bag)) if dossier == o.dossier => bag,
            _ => BagReader::open(&o.location).map_err(|source| SipError::Reopen {
                dossier: o.dossier,
                source,
            })?,
        };
        let (_, bag) = reader.insert((o.dossier, bag));
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
                dossier: o.dossier,
                bag_path: o.bag_path.clone(),
            });
        }
    }
    let mut inner = zip.finish().map_err(zerr)?;
    inner.flush().map_err(werr)?;
    drop(inner);
    tmp.as_file().sync_all().map_err(|source| SipError::Sync {
        path: final_path.to_owned(),
        source,
    })?;
    tmp.persist(final_path).map_err(|e| SipError::Rename {
        path: final_path.to_owned(),
        source: e.error,
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::bagit::bundles::{BundleLocation, FoundBundle};
    use crate::seda::integrity::CheckedBundle;

    fn dossier(number: u64) -> CheckedBundle {
        CheckedBundle {
            found: FoundBundle {
                number,
                version: 1,
                location: BundleLocation::Dir(format!("dossier-{number}").into()),
                zip: None,
            },
            metadata: json!({}),
            dossier: json!({"dossier": {}}),
            files: Vec::new(),
        }
    }

    #[test]
    fn a_dossier_out_of_order_fails_its_sip_before_anything_is_written() {
        let tmp = tempfile::tempdir().expect("tmp");
        let config = SedaConfig::parse(
            "archival_agency_identifier = \"A\"\ntransferring_agency_identifier = \"T\"\n\
             archival_agreement = \"IC\"\noriginating_agency_identifier = \"O\"\n",
        )
        .expect("config");
        let mut sip = SipBuilder::new(tmp.path(), DigestAlg::Sha512);
        for n in [3, 5, 5] {
            sip.add(&PlannedDossier::new(dossier(n), &config));
        }
        assert_eq!(sip.dossiers(), [3, 5, 5]);
        let header = SipHeader {
            message_identifier: "S".to_owned(),
            comment: "c".to_owned(),
            date: "2024-05-02T10:15:00Z".to_owned(),
            alg: DigestAlg::Sha512,
        };
        let err = sip
            .finish(tmp.path(), &header, &config, false)
            .expect_err("refused");
        assert!(
            matches!(
                err,
                SipError::OutOfOrder {
                    dossier: 5,
                    after: 5
                }
            ),
            "{err}"
        );
        assert_eq!(fs_err::read_dir(tmp.path()).expect("ls").count(), 0);
    }
}
