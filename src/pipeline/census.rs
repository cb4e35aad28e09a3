//! The census of a dossier's files: every `File` node in `dossier.json` must
//! be a file of the bag, or one we leave out on purpose.
//!
//! The walk that decides what to download ([`crate::model::parse_dossier`])
//! knows where DS puts files; this one knows nothing of DS's schema and
//! looks at every object of the JSON. If DS starts putting files somewhere new
//! (a new champ type, a field our walk does not follow), the two disagree and
//! the dossier fails with the paths of the files nobody would have archived,
//! instead of a bag that silently lacks them.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::model::StoredFile;

/// Where the deliberately left-out `File` nodes are: the démarche header's
/// (the blank models its revisions offer, `fileTemplate`), which belong to
/// the démarche, not to this dossier.
const LEFT_OUT: &str = "demarche";

/// Check that the `File` nodes of `dossier_json` (`{"demarche", "dossier"}`)
/// are exactly the bag's files plus those left out on purpose.
///
/// # Errors
/// The counts, and the paths on either side that do not match.
pub(crate) fn check(dossier_json: &Value, files: &[StoredFile]) -> Result<(), String> {
    let mut found = Vec::new();
    file_nodes(dossier_json, String::new(), &mut found);
    let (left_out, in_dossier): (Vec<String>, Vec<String>) = found
        .into_iter()
        .partition(|p| p == LEFT_OUT || p.starts_with(&format!("{LEFT_OUT}.")));
    let in_dossier: BTreeSet<&str> = in_dossier.iter().map(String::as_str).collect();
    let bagged: BTreeSet<&str> = files
        .iter()
        .map(|f| f.attachment.json_path.as_str())
        .collect();
    let not_bagged: Vec<&str> = in_dossier.difference(&bagged).copied().collect();
    let unknown: Vec<&str> = bagged.difference(&in_dossier).copied().collect();
    let total = in_dossier.len() + left_out.len();
    if not_bagged.is_empty() && unknown.is_empty() && total == files.len() + left_out.len() {
        return Ok(());
    }
    let mut message = format!(
        "dossier.json holds {total} File nodes, but the bag has {} files, plus {} left out on \
         purpose (démarche models)",
        files.len(),
        left_out.len()
    );
    if !not_bagged.is_empty() {
        message.push_str(&format!("; not in the bag: {}", not_bagged.join(", ")));
    }
    if !unknown.is_empty() {
        message.push_str(&format!(
            "; in the bag but not in dossier.json: {}",
            unknown.join(", ")
        ));
    }
    Err(message)
}

/// Whether an object is a `File` node: by its `__typename`, or by its shape
/// (a name and one of the fields only files have) when the type is not there.
fn is_file(map: &serde_json::Map<String, Value>) -> bool {
    match map.get("__typename").and_then(Value::as_str) {
        Some(t) => t == "File",
        None => {
            map.contains_key("filename")
                && ["checksum", "byteSizeBigInt", "byteSize", "contentType"]
                    .iter()
                    .any(|k| map.contains_key(*k))
        }
    }
}

/// Push the JSON path of every `File` node under `v` (found at `at`).
fn file_nodes(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(map) if is_file(map) => out.push(at),
        Value::Object(map) => {
            for (key, child) in map {
                let path = if at.is_empty() {
                    key.clone()
                } else {
                    format!("{at}.{key}")
                };
                file_nodes(child, path, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                file_nodes(item, format!("{at}[{i}]"), out);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Attachment, Digests, Format, Origin};

    fn stored(json_path: &str) -> StoredFile {
        StoredFile {
            bag_path: format!("data/{json_path}"),
            attachment: Attachment {
                origin: Origin::Motivation,
                index: 0,
                filename: "f".into(),
                content_type: "application/pdf".into(),
                checksum: "c".into(),
                byte_size: 1,
                url: String::new(),
                json_path: json_path.into(),
                created_at: None,
                virus_scan_result: None,
            },
            digests: Digests {
                size: 1,
                md5_base64: String::new(),
                sha256: String::new(),
                sha512: None,
            },
            format: Format {
                mime_type: "application/pdf".into(),
                name: "Portable Document Format".into(),
                puid: None,
            },
        }
    }

    fn file() -> Value {
        json!({"__typename": "File", "filename": "a.pdf", "checksum": "c"})
    }

    fn dossier_json() -> Value {
        json!({
            "demarche": {"revisions": [{"champDescriptors": [{"fileTemplate": file()}]}]},
            "dossier": {"number": 1, "champs": [{"files": [file(), file()]}], "pdf": file(),
                        "motivationAttachment": null}
        })
    }

    #[test]
    fn every_file_node_is_bagged_or_left_out_on_purpose() {
        let bag = [
            stored("dossier.champs[0].files[0]"),
            stored("dossier.champs[0].files[1]"),
            stored("dossier.pdf"),
        ];
        assert_eq!(check(&dossier_json(), &bag), Ok(()));
    }

    #[test]
    fn a_file_in_a_place_nobody_walks_fails_with_counts_and_paths() {
        let mut d = dossier_json();
        // A file DS puts somewhere new, without its type name.
        d["dossier"]["champs"][0]["columns"] =
            json!([{"value": [{"filename": "b.pdf", "contentType": "application/pdf"}]}]);
        let bag = [
            stored("dossier.champs[0].files[0]"),
            stored("dossier.champs[0].files[1]"),
            stored("dossier.pdf"),
        ];
        let e = check(&d, &bag).unwrap_err();
        assert!(e.contains("holds 5 File nodes"), "{e}");
        assert!(e.contains("the bag has 3 files, plus 1 left out"), "{e}");
        assert!(
            e.contains("not in the bag: dossier.champs[0].columns[0].value[0]"),
            "{e}"
        );
    }

    #[test]
    fn a_bagged_file_without_its_node_is_named() {
        let bag = [
            stored("dossier.champs[0].files[0]"),
            stored("dossier.champs[0].files[1]"),
            stored("dossier.pdf"),
            stored("dossier.attestation"),
        ];
        let e = check(&dossier_json(), &bag).unwrap_err();
        assert!(
            e.contains("in the bag but not in dossier.json: dossier.attestation"),
            "{e}"
        );
    }
}
