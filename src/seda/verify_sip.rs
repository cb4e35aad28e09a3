//! Checking a SEDA SIP zip (ours or anyone's, SEDA 2.1 or 2.2).
//!
//! Collects every problem instead of stopping at the first, each with a
//! stable code a script can match:
//!
//! | code | meaning |
//! | --- | --- |
//! | `E_SIP_OPEN` | not a readable zip |
//! | `E_SIP_LAYOUT` | root is not exactly `manifest.xml` + `Content/`, or an entry name escapes the zip |
//! | `E_SIP_MANIFEST` | manifest.xml is not a parsable SEDA ArchiveTransfer |
//! | `E_SIP_URI` | a BinaryDataObject has no `Uri` (inline `Attachment`) or shares its `Uri` |
//! | `E_SIP_ALGORITHM` | a digest algorithm we cannot compute |
//! | `E_SIP_MISSING` | a declared `Uri` has no file |
//! | `E_SIP_UNDECLARED` | a file under `Content/` no object declares |
//! | `E_SIP_READ` | a file cannot be read to the end (zip CRC error...) |
//! | `E_SIP_SIZE` | `Size` differs from the file's size |
//! | `E_SIP_DIGEST` | `MessageDigest` differs from the file's digest |
//! | `E_SIP_NAME` | a `Content/` name Vitam refuses |
//! | `E_SIP_XSD` | the manifest fails the XSD of its namespace |
//! | `W_SIP_XSD_SKIPPED` | (warning) no XSD check: xmllint missing or unknown SEDA version |

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use quick_xml::events::Event;

use super::names::is_safe_content_name;
use super::xsd::{validate_manifest, XsdOutcome};
use crate::digest::{DigestAlg, MultiHasher};

/// One finding.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SipProblem {
    /// Stable code (`E_SIP_DIGEST`...).
    pub code: &'static str,
    /// The zip entry concerned, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Human explanation.
    pub message: String,
}

/// The result of [`verify_sip`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SipReport {
    /// The zip checked.
    pub path: PathBuf,
    /// SEDA version from the manifest's namespace (`2.1`, `2.2`...).
    pub seda_version: Option<String>,
    /// BinaryDataObjects declared.
    pub objects: usize,
    /// Whether the XSD check ran and passed.
    pub xsd_valid: Option<bool>,
    /// Errors: the SIP is invalid when there is any.
    pub problems: Vec<SipProblem>,
    /// Warnings.
    pub warnings: Vec<SipProblem>,
}

impl SipReport {
    /// No error found.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    fn error(&mut self, code: &'static str, path: Option<&str>, message: impl Into<String>) {
        self.problems.push(SipProblem {
            code,
            path: path.map(str::to_owned),
            message: message.into(),
        });
    }
}

/// A BinaryDataObject as declared.
#[derive(Debug, Default, Clone)]
struct Declared {
    id: String,
    uri: Option<String>,
    algorithm: String,
    digest: String,
    size: Option<String>,
}

/// Check a SIP zip: layout, every declared object's size and digest, no
/// missing or undeclared file, and the manifest against its XSD when xmllint
/// is available.
#[must_use]
pub fn verify_sip(zip_path: &Path) -> SipReport {
    let mut report = SipReport {
        path: zip_path.to_owned(),
        seda_version: None,
        objects: 0,
        xsd_valid: None,
        problems: Vec::new(),
        warnings: Vec::new(),
    };
    let archive = fs_err::File::open(zip_path)
        .map_err(|e| e.to_string())
        .and_then(|f| zip::ZipArchive::new(f).map_err(|e| e.to_string()));
    let mut archive = match archive {
        Ok(a) => a,
        Err(e) => {
            report.error("E_SIP_OPEN", None, format!("not a readable zip: {e}"));
            return report;
        }
    };

    // Layout: entry names, root content.
    let mut content: BTreeMap<String, usize> = BTreeMap::new();
    let mut has_manifest = false;
    for i in 0..archive.len() {
        let Ok(entry) = archive.by_index_raw(i) else {
            report.error("E_SIP_OPEN", None, format!("entry {i} is unreadable"));
            continue;
        };
        let name = entry.name().to_owned();
        if entry.enclosed_name().is_none() || name.contains('\\') {
            report.error("E_SIP_LAYOUT", Some(&name), "unsafe entry name");
            continue;
        }
        if name == "manifest.xml" {
            has_manifest = true;
        } else if let Some(rest) = name.strip_prefix("Content/") {
            if !entry.is_dir() {
                if !rest.split('/').all(is_safe_content_name) {
                    report.error(
                        "E_SIP_NAME",
                        Some(&name),
                        "name must match ^[a-zA-Z0-9_@-]+(\\.[a-zA-Z0-9_@-]+)*$",
                    );
                }
                content.insert(name, i);
            }
        } else if name != "Content/" {
            report.error(
                "E_SIP_LAYOUT",
                Some(&name),
                "only manifest.xml and Content/ may sit at the root",
            );
        }
    }
    if !has_manifest {
        report.error("E_SIP_LAYOUT", None, "no manifest.xml at the root");
        return report;
    }
    let mut manifest = Vec::new();
    let read = archive
        .by_name("manifest.xml")
        .map_err(|e| e.to_string())
        .and_then(|mut f| f.read_to_end(&mut manifest).map_err(|e| e.to_string()));
    if let Err(e) = read {
        report.error("E_SIP_READ", Some("manifest.xml"), e);
        return report;
    }
    let declared = match parse_objects(&manifest) {
        Ok(d) => d,
        Err(e) => {
            report.error("E_SIP_MANIFEST", Some("manifest.xml"), e);
            return report;
        }
    };
    report.objects = declared.len();

    let mut seen_uris = BTreeSet::new();
    for obj in &declared {
        let Some(uri) = &obj.uri else {
            report.error(
                "E_SIP_URI",
                None,
                format!(
                    "object `{}` has no Uri (inline Attachment is not accepted)",
                    obj.id
                ),
            );
            continue;
        };
        let uri = uri.trim_start_matches("./").to_owned();
        if !seen_uris.insert(uri.clone()) {
            report.error(
                "E_SIP_URI",
                Some(&uri),
                format!("object `{}` reuses a Uri", obj.id),
            );
            continue;
        }
        let Some(&index) = content.get(&uri) else {
            report.error(
                "E_SIP_MISSING",
                Some(&uri),
                format!("declared by `{}` but absent", obj.id),
            );
            continue;
        };
        check_object(&mut report, &mut archive, index, &uri, obj);
    }
    for name in content.keys().filter(|n| !seen_uris.contains(*n)) {
        report.error(
            "E_SIP_UNDECLARED",
            Some(name),
            "no BinaryDataObject declares this file",
        );
    }

    check_xsd(&mut report, &manifest);
    report
}

fn check_object(
    report: &mut SipReport,
    archive: &mut zip::ZipArchive<fs_err::File>,
    index: usize,
    uri: &str,
    obj: &Declared,
) {
    let Some(alg) = DigestAlg::from_seda_name(&obj.algorithm) else {
        report.error(
            "E_SIP_ALGORITHM",
            Some(uri),
            format!("cannot check algorithm `{}`", obj.algorithm),
        );
        return;
    };
    let mut hasher = MultiHasher::new(&[alg]);
    let copied = archive
        .by_index(index)
        .map_err(|e| e.to_string())
        .and_then(|mut f| std::io::copy(&mut f, &mut hasher).map_err(|e| e.to_string()));
    let size = match copied {
        Ok(n) => n,
        Err(e) => {
            report.error("E_SIP_READ", Some(uri), e);
            return;
        }
    };
    if let Some(declared) = &obj.size {
        if declared.trim().parse::<u64>().ok() != Some(size) {
            report.error(
                "E_SIP_SIZE",
                Some(uri),
                format!("declared Size {declared}, file has {size} bytes"),
            );
        }
    }
    let actual = hasher.finish().1.remove(&alg).unwrap_or_default();
    if !digest_matches(&obj.digest, &actual) {
        report.error(
            "E_SIP_DIGEST",
            Some(uri),
            format!(
                "{} declared {}, file has {}",
                obj.algorithm,
                obj.digest.trim(),
                hex::encode(&actual)
            ),
        );
    }
}

fn check_xsd(report: &mut SipReport, manifest: &[u8]) {
    match validate_manifest(manifest) {
        XsdOutcome::Valid { version } => {
            report.seda_version = Some(version.to_owned());
            report.xsd_valid = Some(true);
        }
        XsdOutcome::Invalid { version, message } => {
            report.seda_version = Some(version.to_owned());
            report.xsd_valid = Some(false);
            report.error("E_SIP_XSD", Some("manifest.xml"), message);
        }
        XsdOutcome::UnknownNamespace(ns) => {
            report.seda_version = ns
                .strip_prefix("fr:gouv:culture:archivesdefrance:seda:v")
                .map(str::to_owned);
            report.warnings.push(SipProblem {
                code: "W_SIP_XSD_SKIPPED",
                path: Some("manifest.xml".to_owned()),
                message: format!("no schema shipped for namespace `{ns}`"),
            });
        }
        XsdOutcome::Unavailable(why) => {
            report.seda_version = super::xsd::root_namespace(manifest)
                .and_then(|ns| super::xsd::seda_version(&ns))
                .map(str::to_owned);
            report.warnings.push(SipProblem {
                code: "W_SIP_XSD_SKIPPED",
                path: Some("manifest.xml".to_owned()),
                message: format!("XSD not checked: {why} (install libxml2-utils)"),
            });
        }
    }
}

/// Hex (any case) or base64, compared as bytes.
fn digest_matches(declared: &str, actual: &[u8]) -> bool {
    let declared = declared.trim();
    if let Ok(bytes) = hex::decode(declared) {
        if bytes == actual {
            return true;
        }
    }
    base64::engine::general_purpose::STANDARD
        .decode(declared)
        .is_ok_and(|b| b == actual)
}

/// Collect the BinaryDataObjects of a manifest (namespace prefixes ignored).
fn parse_objects(xml: &[u8]) -> Result<Vec<Declared>, String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    reader.config_mut().trim_text(true);
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut current: Option<Declared> = None;
    let mut out = Vec::new();
    let mut root_seen = false;
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| format!("XML error at byte {}: {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if !root_seen {
                    root_seen = true;
                    if name != "ArchiveTransfer" {
                        return Err(format!("root element is `{name}`, not ArchiveTransfer"));
                    }
                }
                if name == "BinaryDataObject" {
                    let id = attr(&e, b"id").unwrap_or_default();
                    current = Some(Declared {
                        id,
                        ..Declared::default()
                    });
                } else if name == "MessageDigest" {
                    if let Some(c) = current.as_mut() {
                        c.algorithm = attr(&e, b"algorithm").unwrap_or_default();
                    }
                }
                stack.push(name);
            }
            Event::End(_) => {
                let closed = stack.pop();
                if closed.as_deref() == Some("BinaryDataObject") {
                    out.extend(current.take());
                }
            }
            Event::Text(t) => {
                let text = t.unescape().map_err(|e| e.to_string())?.into_owned();
                let parent = stack.get(stack.len().wrapping_sub(2)).map(String::as_str);
                if let (Some(c), Some(field), Some("BinaryDataObject")) =
                    (current.as_mut(), stack.last(), parent)
                {
                    match field.as_str() {
                        "Uri" => c.uri = Some(text),
                        "MessageDigest" => c.digest = text,
                        "Size" => c.size = Some(text),
                        _ => {}
                    }
                }
            }
            Event::Empty(e) if !root_seen => {
                root_seen = true;
                if e.local_name().as_ref() != b"ArchiveTransfer" {
                    return Err("root element is not ArchiveTransfer".to_owned());
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if !root_seen {
        return Err("no root element".to_owned());
    }
    Ok(out)
}

fn attr(e: &quick_xml::events::BytesStart<'_>, key: &[u8]) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == key)
        .and_then(|a| a.unescape_value().ok().map(|v| v.into_owned()))
}

/// The digest algorithms SEDA names and we can compute.
#[cfg(test)]
mod tests;
