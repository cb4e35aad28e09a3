//! The BagIt 1.0 tag files of a bag: `bagit.txt`, `bag-info.txt`,
//! `manifest-<alg>.txt` and `tagmanifest-<alg>.txt` (RFC 8493).
//!
//! Formatting is pure ([`encode_path`], [`manifest_text`], [`BagInfo`]);
//! [`write_bag_tags`] is the one function that touches the disk, writing each
//! file into a bag still in staging with [`crate::fsx::write_staged`] (the
//! caller makes the finished bag durable before it is published). Payload
//! digests come from the download stage (computed while streaming); tag files are hashed from the
//! bytes in memory, never re-read. Parsing and checking bags is
//! [`crate::verify`]'s job.

mod bag_info;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use bag_info::{payload_oxum, BagInfo, DossierContext, InvalidLabel, PAYLOAD_OXUM};

use crate::digest::{hex_digest, DigestAlg};
use crate::error::{Error, Result};
use crate::fsx;
use crate::model::Digests;

/// The bag declaration, byte for byte.
pub const BAGIT_TXT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// Percent-encode a path for a manifest line: `%`, CR and LF only (RFC 8493
/// §2.1.3), so `data/100%.pdf` is written `data/100%25.pdf`.
#[must_use]
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Manifest text from `(path, hex digest)` pairs: `<hex>  <encoded path>`
/// lines sorted by path bytes, LF-terminated (also readable by
/// `sha256sum -c` when no path needs encoding).
#[must_use]
pub fn manifest_text(entries: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = entries.iter().collect();
    sorted.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (path, hex) in sorted {
        out.push_str(hex);
        out.push_str("  ");
        out.push_str(&encode_path(path));
        out.push('\n');
    }
    out
}

/// The payload manifest's file name for `alg`.
#[must_use]
pub fn manifest_name(alg: DigestAlg) -> String {
    format!("manifest-{}.txt", alg.bagit_name())
}

/// The tag manifest's file name for `alg`.
#[must_use]
pub fn tagmanifest_name(alg: DigestAlg) -> String {
    format!("tagmanifest-{}.txt", alg.bagit_name())
}

/// Write the tag files of the bag at `bag_dir` whose payload is `payload`
/// (paths relative to the bag, `data/...`): `bagit.txt`, `bag-info.txt`
/// (`info` plus `Payload-Oxum`), one `manifest-<alg>.txt` per algorithm,
/// then one `tagmanifest-<alg>.txt` per algorithm listing the other three
/// kinds. Creates `data/` if missing (an empty payload is legal). Checks
/// first that the files under `data/` are exactly the listed ones with the
/// listed sizes (a walk, no hashing), and removes manifests of algorithms no
/// longer asked for.
///
/// # Errors
/// [`Error::Io`] (kind `InvalidInput`) when `algs` is empty, a payload path
/// is not a clean `data/...` path, is listed twice, lacks a digest for one
/// of `algs`, or does not match the files on disk; [`Error::Io`] when a
/// write fails.
pub fn write_bag_tags(
    bag_dir: &Path,
    payload: &[(String, Digests)],
    algs: &[DigestAlg],
    info: &BagInfo,
) -> Result<()> {
    let algs: BTreeSet<DigestAlg> = algs.iter().copied().collect();
    if algs.is_empty() {
        return Err(invalid(bag_dir, "no digest algorithm asked for"));
    }
    check_payload(bag_dir, payload, &algs)?;

    let data = bag_dir.join("data");
    fs_err::create_dir_all(&data).map_err(|e| Error::io("create directory", &data, e))?;
    check_payload_on_disk(bag_dir, payload)?;
    remove_stale_manifests(bag_dir, &algs)?;

    let mut info = info.clone();
    info.set(PAYLOAD_OXUM, payload_oxum(payload))
        .map_err(|e| invalid(bag_dir, &e.to_string()))?;

    let mut tag_files: Vec<(String, String)> = vec![
        ("bagit.txt".to_owned(), BAGIT_TXT.to_owned()),
        ("bag-info.txt".to_owned(), info.render()),
    ];
    for &alg in &algs {
        let entries: Vec<(String, String)> = payload
            .iter()
            .filter_map(|(path, d)| Some((path.clone(), d.get(alg)?.to_ascii_lowercase())))
            .collect();
        tag_files.push((manifest_name(alg), manifest_text(&entries)));
    }
    for (name, text) in &tag_files {
        fsx::write_staged(&bag_dir.join(name), text.as_bytes())?;
    }
    for &alg in &algs {
        let entries: Vec<(String, String)> = tag_files
            .iter()
            .map(|(name, text)| (name.clone(), hex_digest(alg, text.as_bytes())))
            .collect();
        let name = tagmanifest_name(alg);
        fsx::write_staged(&bag_dir.join(&name), manifest_text(&entries).as_bytes())?;
    }
    Ok(())
}

fn check_payload(
    bag_dir: &Path,
    payload: &[(String, Digests)],
    algs: &BTreeSet<DigestAlg>,
) -> Result<()> {
    let mut seen = BTreeSet::new();
    for (path, digests) in payload {
        let clean = path.strip_prefix("data/").is_some_and(|rest| {
            rest.split('/')
                .all(|c| !c.is_empty() && c != "." && c != "..")
        });
        if !clean || path.contains('\\') {
            return Err(invalid(
                &bag_dir.join(path),
                "not a clean `data/...` payload path",
            ));
        }
        if !seen.insert(path.as_str()) {
            return Err(invalid(&bag_dir.join(path), "listed twice in the payload"));
        }
        if let Some(alg) = algs.iter().find(|a| digests.get(**a).is_none()) {
            let msg = format!("no {} digest for this payload file", alg.bagit_name());
            return Err(invalid(&bag_dir.join(path), &msg));
        }
    }
    Ok(())
}

/// The files under `data/` must be exactly the listed ones, with the listed
/// sizes: a bag written otherwise would be invalid, so fail now, naming the
/// file, rather than at verification time.
fn check_payload_on_disk(bag_dir: &Path, payload: &[(String, Digests)]) -> Result<()> {
    let mut listed: BTreeMap<&str, u64> =
        payload.iter().map(|(p, d)| (p.as_str(), d.size)).collect();
    for item in walkdir::WalkDir::new(bag_dir.join("data")).min_depth(1) {
        let item = item.map_err(|e| {
            let path = e.path().unwrap_or(bag_dir).to_path_buf();
            Error::io("walk the payload of", path, e.into())
        })?;
        if item.file_type().is_dir() {
            continue;
        }
        let rel = item
            .path()
            .strip_prefix(bag_dir)
            .ok()
            .and_then(|r| {
                r.components()
                    .map(|c| c.as_os_str().to_str())
                    .collect::<Option<Vec<_>>>()
            })
            .map(|parts| parts.join("/"))
            .ok_or_else(|| invalid(item.path(), "payload name is not UTF-8"))?;
        let Some(size) = listed.remove(rel.as_str()) else {
            return Err(invalid(
                item.path(),
                "payload file not in the manifest list",
            ));
        };
        let actual = item
            .metadata()
            .map_err(|e| Error::io("stat", item.path(), e.into()))?
            .len();
        if actual != size || !item.file_type().is_file() {
            let msg = format!("on disk: {actual} bytes, listed: {size} bytes");
            return Err(invalid(item.path(), &msg));
        }
    }
    match listed.keys().next() {
        Some(missing) => Err(invalid(&bag_dir.join(missing), "listed but not on disk")),
        None => Ok(()),
    }
}

/// Remove `manifest-*.txt` / `tagmanifest-*.txt` left by an earlier write
/// with other algorithms: a stale manifest would make the bag invalid.
fn remove_stale_manifests(bag_dir: &Path, algs: &BTreeSet<DigestAlg>) -> Result<()> {
    let keep: BTreeSet<String> = algs
        .iter()
        .flat_map(|a| [manifest_name(*a), tagmanifest_name(*a)])
        .collect();
    let entries = fs_err::read_dir(bag_dir).map_err(|e| Error::io("list", bag_dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io("list", bag_dir, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let is_manifest = (name.starts_with("manifest-") || name.starts_with("tagmanifest-"))
            && name.ends_with(".txt");
        if is_manifest && !keep.contains(&name) {
            fs_err::remove_file(entry.path()).map_err(|e| Error::io("remove", entry.path(), e))?;
        }
    }
    Ok(())
}

fn invalid(path: &Path, msg: &str) -> Error {
    Error::io(
        "write bag manifests for",
        path,
        std::io::Error::new(std::io::ErrorKind::InvalidInput, msg.to_owned()),
    )
}

#[cfg(test)]
mod tests;
