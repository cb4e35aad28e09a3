//! A BinaryDataObject's `FormatIdentification`, from what `metadata.json`
//! recorded at archive time (src/format.rs): pure, no file is opened again.
//!
//! What the bytes told wins over what DS was told: `FormatLitteral`,
//! `MimeType` and, where the archive recorded one, the PRONOM `FormatId`.
//! For a file whose bytes matched no format, and for bags archived before
//! formats were identified, only a `MimeType` is declared, as before: DS's
//! content type, or one guessed from the extension. Never a `FormatId` that
//! did not come from the bytes: Vitam identifies every object again at
//! ingest and warns on a mismatch.
//!
//! The files ds-archive writes itself (`data/dossier.json`,
//! `data/metadata.json`, `data/metadata.xml`) have no entry in
//! `metadata.json`, but we know what they are: [`generated`] declares them
//! as Siegfried identifies them (JSON fmt/817 — by its extension, PRONOM
//! has no JSON signature —, XML 1.0 fmt/101 by its `<?xml version="1.0"`
//! declaration), with Siegfried's format names; tests/it/formats.rs checks
//! every object of a SIP against Siegfried.

use serde_json::Value;

use super::meta::str_key;
use super::names::clean_text;

/// The format declared for one object; each part is optional in SEDA 2.2.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectFormat {
    /// `FormatLitteral`.
    pub litteral: Option<String>,
    /// `MimeType`.
    pub mime: Option<String>,
    /// `FormatId` (PRONOM PUID).
    pub puid: Option<String>,
}

impl ObjectFormat {
    /// Nothing to declare.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.litteral.is_none() && self.mime.is_none() && self.puid.is_none()
    }
}

/// The format of the file at `bag_path`, from its `metadata.json` entry
/// (`None` for the files we generate, which have none: see [`generated`]).
#[must_use]
pub fn object_format(entry: Option<&Value>, bag_path: &str) -> ObjectFormat {
    if entry.is_none() {
        if let Some(known) = generated(bag_path) {
            return known;
        }
    }
    let identified = entry
        .and_then(|e| e.get("format"))
        .filter(|f| str_key(f, "mime_type").is_some_and(is_known_mime));
    let declared_mime = || {
        entry
            .and_then(|e| str_key(e, "content_type"))
            .filter(|m| is_mime(m))
            .map(str::to_owned)
            .or_else(|| guess_mime(bag_path).map(str::to_owned))
    };
    match identified {
        Some(f) => ObjectFormat {
            litteral: str_key(f, "name").and_then(clean_text),
            mime: str_key(f, "mime_type").map(str::to_owned),
            puid: str_key(f, "puid").filter(|p| is_puid(p)).map(str::to_owned),
        },
        None => ObjectFormat {
            mime: declared_mime(),
            ..ObjectFormat::default()
        },
    }
}

/// The format of a file ds-archive writes into every bag, by its place in
/// the bag (see docs/bundle-format.md): what Siegfried says of it.
#[must_use]
pub fn generated(bag_path: &str) -> Option<ObjectFormat> {
    let (litteral, mime, puid) = match bag_path {
        "data/dossier.json" | "data/metadata.json" => (
            "JSON Data Interchange Format",
            "application/json",
            "fmt/817",
        ),
        // Written by src/metadata/xml.rs, which starts it with the XML 1.0
        // declaration Siegfried's signature reads.
        "data/metadata.xml" => ("Extensible Markup Language", "application/xml", "fmt/101"),
        _ => return None,
    };
    Some(ObjectFormat {
        litteral: Some(litteral.to_owned()),
        mime: Some(mime.to_owned()),
        puid: Some(puid.to_owned()),
    })
}

fn is_known_mime(m: &str) -> bool {
    is_mime(m) && m != "application/octet-stream" && m != "application/x-empty"
}

fn is_mime(m: &str) -> bool {
    m.split_once('/').is_some_and(|(a, b)| {
        !a.is_empty() && !b.is_empty() && !m.contains(char::is_whitespace) && m.is_ascii()
    })
}

/// `fmt/N` or `x-fmt/N`.
fn is_puid(p: &str) -> bool {
    let n = p.strip_prefix("x-").unwrap_or(p).strip_prefix("fmt/");
    n.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// A MIME type from the extension, for files DS did not describe.
#[must_use]
pub fn guess_mime(path: &str) -> Option<&'static str> {
    let ext = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "json" => "application/json",
        "xml" => "application/xml",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        "csv" => "text/csv",
        "html" | "htm" => "text/html",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "geojson" => "application/geo+json",
        "zip" => "application/zip",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_bytes_win_over_what_ds_was_told() {
        let e = json!({"content_type": "application/octet-stream",
                       "format": {"mime_type": "application/pdf", "name": "Portable Document Format 1.7", "puid": "fmt/276"}});
        let f = object_format(Some(&e), "data/x.bin");
        assert_eq!(f.litteral.as_deref(), Some("Portable Document Format 1.7"));
        assert_eq!(f.mime.as_deref(), Some("application/pdf"));
        assert_eq!(f.puid.as_deref(), Some("fmt/276"));
    }

    #[test]
    fn unknown_bytes_and_old_bags_declare_only_a_mime_type() {
        let unknown = json!({"content_type": "application/pdf",
                             "format": {"mime_type": "application/octet-stream", "name": "Arbitrary Binary Data"}});
        let old = json!({"content_type": "application/pdf"});
        for e in [unknown, old] {
            let f = object_format(Some(&e), "data/x.pdf");
            assert_eq!(
                f,
                ObjectFormat {
                    mime: Some("application/pdf".into()),
                    ..ObjectFormat::default()
                }
            );
        }
        let other = object_format(None, "data/notes.xml");
        assert_eq!(
            other,
            ObjectFormat {
                mime: Some("application/xml".into()),
                ..ObjectFormat::default()
            }
        );
        assert!(object_format(None, "data/x.unknown").is_empty());
    }

    #[test]
    fn the_files_we_write_are_declared_in_full() {
        let xml = object_format(None, "data/metadata.xml");
        assert_eq!(xml.puid.as_deref(), Some("fmt/101"));
        assert_eq!(xml.mime.as_deref(), Some("application/xml"));
        assert_eq!(xml.litteral.as_deref(), Some("Extensible Markup Language"));
        for json in ["data/dossier.json", "data/metadata.json"] {
            let f = object_format(None, json);
            assert_eq!(f.puid.as_deref(), Some("fmt/817"), "{json}");
            assert_eq!(f.mime.as_deref(), Some("application/json"), "{json}");
        }
        // An attachment at a look-alike path keeps what its entry says.
        let entry = json!({"content_type": "text/plain"});
        assert_eq!(object_format(Some(&entry), "data/metadata.json").puid, None);
    }

    #[test]
    fn a_malformed_puid_or_name_is_not_declared() {
        let e = json!({"content_type": "application/pdf",
                       "format": {"mime_type": "application/pdf", "name": "\u{1}", "puid": "fmt/ 1"}});
        let f = object_format(Some(&e), "data/x.pdf");
        assert_eq!((f.litteral, f.puid), (None, None));
        assert!(
            is_puid("x-fmt/263") && is_puid("fmt/1") && !is_puid("fmt/") && !is_puid("y-fmt/1")
        );
    }
}
