//! The integrity gate before packaging: a bag goes into a SIP only if every
//! payload manifest matches the bytes, recomputed here.
//!
//! This does not depend on the `verify` module (both read manifests through
//! [`crate::bagit`]): it checks what packaging relies on (bagit.txt present, at least one
//! SHA-256/SHA-512 payload manifest, every payload file listed in every
//! manifest and every listed file present, every digest recomputed, and the
//! two metadata JSON files readable) and, in the same pass, computes the
//! digest the SIP needs. Any failure gives a one-line reason and the dossier is
//! skipped.

use std::collections::BTreeMap;

use serde_json::Value;

use super::error::BagRejected;
use crate::bagit::bundles::{BagReader, FoundBundle};
use crate::bagit::manifest::{self, Defect};
use crate::bagit::tagfile;
use crate::digest::{DigestAlg, MultiHasher};

/// A payload file that passed the check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedFile {
    /// Bag path (`data/...`).
    pub bag_path: String,
    /// Size in bytes.
    pub size: u64,
    /// Lowercase hex digest with the SIP's algorithm.
    pub digest: String,
}

/// A bag that passed the check, with what the SIP needs from it.
#[derive(Debug, Clone)]
pub struct CheckedBundle {
    /// Where it was found.
    pub found: FoundBundle,
    /// `data/metadata.json`.
    pub metadata: Value,
    /// `data/dossier.json`.
    pub dossier: Value,
    /// Payload files, sorted by bag path.
    pub files: Vec<CheckedFile>,
}

impl CheckedBundle {
    /// Total payload bytes.
    #[must_use]
    pub fn payload_size(&self) -> u64 {
        self.files.iter().map(|f| f.size).sum()
    }
}

/// Check a bag and compute the `alg` digest of each payload file.
///
/// # Errors
/// Why the bag cannot be packaged.
pub fn check_bundle(found: &FoundBundle, alg: DigestAlg) -> Result<CheckedBundle, BagRejected> {
    let mut bag = BagReader::open(&found.location).map_err(BagRejected::Unreadable)?;
    let files = bag.files().clone();
    let bagit = files
        .get("bagit.txt")
        .ok_or(BagRejected::NoBagitTxt)
        .and_then(|_| {
            bag.read("bagit.txt")
                .map_err(BagRejected::BagitTxtUnreadable)
        })?;
    // A bag this reader could not parse is judged by verify; here only the
    // declared version matters (manifest paths are percent-encoded from 1.0).
    let encoded = tagfile::parse_bagit_txt(&bagit, &mut Vec::new()).percent_encoded();

    let mut manifests: BTreeMap<DigestAlg, BTreeMap<String, String>> = BTreeMap::new();
    for name in files.keys().filter(|n| !n.contains('/')) {
        let Some(alg_name) = name
            .strip_prefix("manifest-")
            .and_then(|r| r.strip_suffix(".txt"))
        else {
            continue;
        };
        let Some(m_alg) = DigestAlg::from_archive_name(alg_name) else {
            continue;
        };
        let text = bag
            .read(name)
            .map_err(|source| BagRejected::ManifestUnreadable {
                name: name.clone(),
                source,
            })?;
        let parsed =
            parse_manifest(&String::from_utf8_lossy(&text), encoded).map_err(|message| {
                BagRejected::ManifestInvalid {
                    name: name.clone(),
                    message,
                }
            })?;
        manifests.insert(m_alg, parsed);
    }
    if manifests.is_empty() {
        return Err(BagRejected::NoManifest);
    }

    let payload: Vec<(&String, u64)> = files
        .iter()
        .filter(|(p, _)| p.starts_with("data/"))
        .map(|(p, s)| (p, *s))
        .collect();
    for (&m_alg, entries) in &manifests {
        if let Some((p, _)) = payload.iter().find(|(p, _)| !entries.contains_key(*p)) {
            return Err(BagRejected::NotListed {
                path: (*p).clone(),
                alg: m_alg,
            });
        }
        if let Some(p) = entries.keys().find(|p| !files.contains_key(*p)) {
            return Err(BagRejected::Missing {
                path: p.clone(),
                alg: m_alg,
            });
        }
    }

    let mut algs: Vec<DigestAlg> = manifests.keys().copied().collect();
    algs.push(alg);
    let mut checked = Vec::with_capacity(payload.len());
    for (path, _) in payload {
        let mut hasher = MultiHasher::new(&algs);
        let size =
            bag.copy_to(path, &mut hasher)
                .map_err(|source| BagRejected::PayloadUnreadable {
                    path: path.clone(),
                    source,
                })?;
        let (_, mut actual) = hasher.finish_hex();
        for (&m_alg, entries) in &manifests {
            let expected = entries.get(path).map(|s| s.to_ascii_lowercase());
            if expected.as_ref() != actual.get(&m_alg) {
                return Err(BagRejected::Mismatch {
                    path: path.clone(),
                    alg: m_alg,
                });
            }
        }
        let digest = actual.remove(&alg).unwrap_or_default();
        checked.push(CheckedFile {
            bag_path: path.clone(),
            size,
            digest,
        });
    }

    let metadata = bag
        .read_json("data/metadata.json")
        .map_err(|source| BagRejected::Json {
            path: "data/metadata.json",
            source,
        })?;
    let dossier = bag
        .read_json("data/dossier.json")
        .map_err(|source| BagRejected::Json {
            path: "data/dossier.json",
            source,
        })?;
    Ok(CheckedBundle {
        found: found.clone(),
        metadata,
        dossier,
        files: checked,
    })
}

/// Parse a BagIt manifest into path → lowercase hex digest, with the line
/// rules of [`crate::bagit::manifest`]; md5sum `*` and `./` are tolerated as
/// they are by `verify`.
///
/// # Errors
/// The first line that cannot be used: malformed, not a digest, a path
/// escaping the bag, or a path listed twice.
pub fn parse_manifest(
    text: &str,
    percent_encoded: bool,
) -> Result<BTreeMap<String, String>, String> {
    let mut first_error: Option<String> = None;
    let entries = manifest::parse_manifest(text, None, percent_encoded, |n, defect| {
        let msg = match defect {
            Defect::Md5sumStar | Defect::DotSlash => return,
            Defect::NoSeparator => format!("line {n}: no path"),
            Defect::NotDigest { digest } => format!("line {n}: `{digest}` is not a hex digest"),
            Defect::Unsafe { path, reason } => format!("line {n}: `{path}`: {reason}"),
            Defect::Duplicate { path, .. } => format!("`{path}` is listed twice"),
        };
        first_error.get_or_insert(msg);
    });
    match first_error {
        Some(e) => Err(e),
        None => Ok(entries.into_iter().map(|e| (e.path, e.digest)).collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifest_paths_are_percent_decoded() {
        let m = parse_manifest("ABC  data/100%25.pdf\ndef\tdata/a%0Ab\n", true).expect("ok");
        assert_eq!(m.get("data/100%.pdf").map(String::as_str), Some("abc"));
        assert!(m.contains_key("data/a\nb"));
    }

    #[test]
    fn duplicate_manifest_lines_are_rejected() {
        assert!(parse_manifest("a  data/x\nb  data/x\n", true).is_err());
        assert!(parse_manifest("nopath\n", true).is_err());
    }
}
