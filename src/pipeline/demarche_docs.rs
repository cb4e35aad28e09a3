//! The démarche's own documents — notice, délibération (its legal basis),
//! logo — and its legal metadata (cadre juridique, DPO, retention period
//! `dureeConservationDossiers`, labels vocabulary), archived once per run in
//! `DIR/demarche/` rather than in every bag.
//!
//! Create-only, like the bundles: a document is written under its kind's
//! name (`notice.pdf`); when DS later serves different bytes, the new ones
//! go to the next version (`notice.v2.pdf`) and the old file stays. Same for
//! `demarche.json`. Each file's SHA-256 is listed in the run manifest
//! ([`manifest_lines`]), so `verify` checks them with the zips. Bytes are
//! checked against DS's MD5 and size before they get a final name. A
//! failure here is logged and leaves the dossiers' run alone: the documents
//! are fetched again by the next run.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use crate::fsx;

/// The run-level folder.
pub const DIR: &str = crate::layout::DEMARCHE_DIR;

/// Documents larger than this are not fetched (a notice is a few MB).
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// Fetch the descriptor's documents and write what is new into
/// `out/demarche/`. Returns the paths written, relative to `out`.
///
/// # Errors
/// The reason, naming the document: a download, check or write failed.
pub async fn archive(
    http: &reqwest::Client,
    out: &Path,
    header: &Value,
    descriptor: &Value,
) -> Result<Vec<String>, String> {
    let dir = out.join(DIR);
    fs_err::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    let mut documents = Map::new();
    let previous = latest_json(&dir);
    for kind in ["notice", "deliberation", "logo"] {
        let Some(file) = descriptor.get(kind).filter(|f| f.is_object()) else {
            continue;
        };
        // Unchanged at DS (same MD5 as the version kept): not fetched again.
        let before = &previous["documents"][kind];
        let same = |k: &str| before.get(k).is_some_and(|v| Some(v) == file.get(k));
        let kept = before["path"]
            .as_str()
            .is_some_and(|p| dir.join(p).is_file());
        if kept && same("checksum") && same("byteSizeBigInt") {
            documents.insert(kind.into(), before.clone());
            continue;
        }
        let bytes = fetch(http, file)
            .await
            .map_err(|e| format!("the démarche's {kind}: {e}"))?;
        let ext = extension(file.get("filename").and_then(Value::as_str).unwrap_or(""));
        let name = keep(&dir, kind, &ext, &bytes).map_err(|e| format!("{kind}: {e}"))?;
        if let Some(n) = &name.1 {
            written.push(format!("{DIR}/{n}"));
        }
        let mut meta = file.clone();
        if let Some(m) = meta.as_object_mut() {
            m.remove("url");
            m.insert("path".into(), name.0.into());
        }
        documents.insert(kind.into(), meta);
    }
    let pick = |v: &Value, keys: &[&str]| -> Map<String, Value> {
        keys.iter()
            .filter_map(|k| v.get(*k).map(|x| ((*k).to_owned(), x.clone())))
            .collect()
    };
    let mut doc = pick(header, &["id", "number", "title", "service", "labels"]);
    doc.extend(pick(
        descriptor,
        &[
            "cadreJuridiqueURL",
            "dpoURL",
            "noticeURL",
            "demarcheURL",
            "siteWebURL",
            "dureeConservationDossiers",
            "opendata",
            "tags",
            "zones",
            "dateDepublication",
        ],
    ));
    doc.insert("documents".into(), Value::Object(documents));
    let mut bytes = serde_json::to_vec_pretty(&json!(doc)).map_err(|e| e.to_string())?;
    bytes.push(b'\n');
    let name = keep(&dir, "demarche", "json", &bytes).map_err(|e| format!("demarche.json: {e}"))?;
    if let Some(n) = name.1 {
        written.push(format!("{DIR}/{n}"));
    }
    Ok(written)
}

async fn fetch(http: &reqwest::Client, file: &Value) -> Result<Vec<u8>, String> {
    let url = file.get("url").and_then(Value::as_str).unwrap_or("");
    let resp = http
        .get(url)
        .send()
        .await
        .map_err(|e| crate::api::describe_reqwest(&e))?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(format!(
            "HTTP {status} from {}",
            crate::error::redact_url(url)
        ));
    }
    if resp.content_length().is_some_and(|n| n > MAX_BYTES) {
        return Err(format!("larger than {MAX_BYTES} bytes"));
    }
    let bytes = resp
        .bytes()
        .await
        .map_err(|e| crate::api::describe_reqwest(&e))?;
    let size = file
        .get("byteSizeBigInt")
        .and_then(Value::as_str)
        .and_then(|s| s.parse::<u64>().ok());
    if size.is_some_and(|s| s != bytes.len() as u64) {
        return Err(format!("size {} differs from DS's {size:?}", bytes.len()));
    }
    let want = file.get("checksum").and_then(Value::as_str).unwrap_or("");
    let got = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(md5::Md5::digest(&bytes))
    };
    if !want.is_empty() && want != got {
        return Err(format!("MD5 {got} differs from DS's {want}"));
    }
    Ok(bytes.to_vec())
}

/// The latest `demarche[.vN].json` kept, or `Null`.
fn latest_json(dir: &Path) -> Value {
    let mut latest = None;
    let mut v = 1;
    loop {
        let name = if v == 1 {
            "demarche.json".to_owned()
        } else {
            format!("demarche.v{v}.json")
        };
        if !dir.join(&name).is_file() {
            break;
        }
        latest = Some(name);
        v += 1;
    }
    latest
        .and_then(|n| fs_err::read(dir.join(n)).ok())
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null)
}

/// A short, safe extension from DS's file name (`bin` when none).
fn extension(filename: &str) -> String {
    let ext = filename.rsplit_once('.').map_or("", |(_, e)| e);
    if !ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()) {
        ext.to_ascii_lowercase()
    } else {
        "bin".into()
    }
}

/// Keep `bytes` as the latest version of `<stem>.<ext>` in `dir`: nothing
/// is written when the latest version already holds them. Returns the
/// current name and, when written, the new name.
fn keep(
    dir: &Path,
    stem: &str,
    ext: &str,
    bytes: &[u8],
) -> std::io::Result<(String, Option<String>)> {
    let name = |v: u32| {
        if v == 1 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}.v{v}.{ext}")
        }
    };
    let mut latest = 0;
    while dir.join(name(latest + 1)).exists() {
        latest += 1;
    }
    if latest > 0 && fs_err::read(dir.join(name(latest)))? == bytes {
        return Ok((name(latest), None));
    }
    let new = name(latest + 1);
    let mut tmp = fsx::published_tempfile(dir, ".demarche.", ".tmp")?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    fsx::persist_new(tmp.path(), &dir.join(&new))
        .map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok((new.clone(), Some(new)))
}

/// The run-manifest lines of `out/demarche/`: each file's SHA-256 as the
/// previous manifest (`previous`) recorded it — a file is never hashed
/// again once listed, so a later change shows in `verify` — or computed
/// now for files this run wrote.
#[must_use]
pub fn manifest_lines(out: &Path, previous: &str) -> Vec<(String, String)> {
    let known: BTreeMap<&str, &str> = previous
        .lines()
        .filter_map(|l| {
            let (sum, name) = l.split_once("  ")?;
            name.starts_with(&format!("{DIR}/")).then_some((name, sum))
        })
        .collect();
    let Ok(entries) = fs_err::read_dir(out.join(DIR)) else {
        return Vec::new();
    };
    let mut lines: Vec<(String, String)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| {
            let file = e.file_name().to_string_lossy().into_owned();
            if file.starts_with('.') {
                return None;
            }
            let rel = format!("{DIR}/{file}");
            let sum = match known.get(rel.as_str()) {
                Some(s) => (*s).to_owned(),
                None => hex::encode(Sha256::digest(fs_err::read(e.path()).ok()?)),
            };
            Some((rel, sum))
        })
        .collect();
    lines.sort();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_document_gets_a_new_version_and_the_old_one_stays() {
        let tmp = tempfile::tempdir().expect("tmp");
        let d = tmp.path();
        assert_eq!(
            keep(d, "notice", "pdf", b"a").expect("1"),
            ("notice.pdf".into(), Some("notice.pdf".into()))
        );
        assert_eq!(
            keep(d, "notice", "pdf", b"a").expect("same"),
            ("notice.pdf".into(), None)
        );
        assert_eq!(
            keep(d, "notice", "pdf", b"b").expect("2").1.as_deref(),
            Some("notice.v2.pdf")
        );
        assert_eq!(fs_err::read(d.join("notice.pdf")).expect("old"), b"a");
        assert_eq!(keep(d, "notice", "pdf", b"b").expect("same").1, None);
        assert_eq!(extension("Délibération.PDF"), "pdf");
        assert_eq!(extension("../x"), "bin");
    }
}
