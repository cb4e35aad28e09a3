//! The formats of a dossier's files, for the inventory (pure).
//!
//! `archive` identifies each attachment's format from its bytes and records
//! it in `metadata.json` (`files[].format`: MIME type, name, PRONOM PUID when
//! the bytes settle it). An archivist preparing a transfer wants to see, per
//! dossier, what formats it holds and how many files an SAE will not
//! recognise, without opening the bags: two cells.
//!
//! - `file_formats`: the distinct formats of the dossier's files, each as its
//!   PUID (`fmt/18`), or as the MIME type the bytes gave when there is no
//!   PUID (`application/octet-stream` for bytes no signature matched),
//!   sorted, joined with [`JOIN`].
//! - `files_without_puid`: how many files have no PUID (a number, `0`
//!   included).
//!
//! Only the files listed in `metadata.json` count (attachments, DS's PDF,
//! message files); the files ds-archive writes itself (`dossier.json`,
//! `metadata.json`, `metadata.xml`) are the same in every bag and left out.
//! A bag archived before formats were identified records none: both cells
//! stay empty there, so "unknown" never reads as "0".

use std::collections::BTreeSet;

use serde_json::Value;

use super::JOIN;

/// `(file_formats, files_without_puid)` of a dossier from its
/// `metadata.json`; both empty when the bag recorded no format.
#[must_use]
pub fn file_formats(metadata: &Value) -> (String, String) {
    let files: Vec<&Value> = metadata
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    if !files.is_empty() && files.iter().all(|f| f.get("format").is_none()) {
        return (String::new(), String::new());
    }
    let mut formats = BTreeSet::new();
    let mut without = 0usize;
    for format in files.iter().map(|f| f.get("format")) {
        let key = |k: &str| {
            format
                .and_then(|f| f.get(k))
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        };
        match key("puid") {
            Some(puid) => {
                formats.insert(puid.to_owned());
            }
            None => {
                without += 1;
                if let Some(mime) = key("mime_type") {
                    formats.insert(mime.to_owned());
                }
            }
        }
    }
    let formats: Vec<String> = formats.into_iter().collect();
    (formats.join(JOIN), without.to_string())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn puids_or_mime_types_and_a_count_of_files_without_puid() {
        let meta = json!({"files": [
            {"path": "data/a.pdf", "format": {"mime_type": "application/pdf", "name": "PDF 1.4", "puid": "fmt/18"}},
            {"path": "data/b.pdf", "format": {"mime_type": "application/pdf", "name": "PDF 1.4", "puid": "fmt/18"}},
            {"path": "data/c.mp4", "format": {"mime_type": "application/octet-stream", "name": "Arbitrary Binary Data"}},
            {"path": "data/d.png", "format": {"mime_type": "image/png", "name": "PNG", "puid": "fmt/11"}},
            {"path": "data/e.tif", "format": {"mime_type": "image/tiff", "name": "TIFF"}}
        ]});
        assert_eq!(
            file_formats(&meta),
            (
                "application/octet-stream | fmt/11 | fmt/18 | image/tiff".to_owned(),
                "2".to_owned()
            )
        );
    }

    #[test]
    fn no_file_is_zero_and_a_bag_without_formats_is_unknown() {
        assert_eq!(
            file_formats(&json!({"files": []})),
            (String::new(), "0".to_owned())
        );
        let old = json!({"files": [{"path": "data/a.pdf", "content_type": "application/pdf"}]});
        assert_eq!(file_formats(&old), (String::new(), String::new()));
    }
}
