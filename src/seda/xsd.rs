//! XSD validation of SEDA manifests with xmllint, fully offline.
//!
//! The official SEDA 2.1 and 2.2 XSDs, the two W3C schemas they import and
//! the catalog that maps the imports' http URLs to local copies are embedded
//! in the binary (`schemas/`, see its README for provenance) and written to a
//! temporary folder for each check, so validation never depends on the
//! current directory or the network. xmllint (libxml2-utils) is an optional
//! tool: when it is missing the check reports [`XsdOutcome::Unavailable`] and
//! callers decide whether that is acceptable.

use std::path::Path;
use std::process::Command;

use include_dir::{include_dir, Dir};
use quick_xml::events::Event;

static SEDA_21: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas/seda-2.1");
static SEDA_22: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas/seda-2.2");
static W3C: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/schemas/w3c");
static CATALOG: &[u8] = include_bytes!("../../schemas/catalog.xml");

/// Result of one validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XsdOutcome {
    /// The manifest is valid against the schema of its namespace.
    Valid {
        /// The SEDA version checked (`2.1`, `2.2`).
        version: &'static str,
    },
    /// xmllint rejected it.
    Invalid {
        /// The SEDA version checked.
        version: &'static str,
        /// xmllint's messages (first lines).
        message: String,
    },
    /// The root namespace is not a SEDA version we ship a schema for.
    UnknownNamespace(String),
    /// xmllint is not installed or could not run.
    Unavailable(String),
}

/// Whether `xmllint` can be run.
#[must_use]
pub fn xmllint_available() -> bool {
    Command::new("xmllint")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The namespace URI of the root element, if the document parses that far
/// (read from the start of `xml`, only as far as the root element).
#[must_use]
pub fn root_namespace(xml: impl std::io::BufRead) -> Option<String> {
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.name();
                let wanted = match name.prefix() {
                    Some(p) => format!("xmlns:{}", String::from_utf8_lossy(p.as_ref())),
                    None => "xmlns".to_owned(),
                };
                return e.attributes().flatten().find_map(|a| {
                    (a.key.as_ref() == wanted.as_bytes())
                        .then(|| String::from_utf8_lossy(&a.value).into_owned())
                });
            }
            Event::Eof => return None,
            _ => {}
        }
        buf.clear();
    }
}

/// The SEDA version of a namespace we can validate.
#[must_use]
pub fn seda_version(namespace: &str) -> Option<&'static str> {
    match namespace {
        "fr:gouv:culture:archivesdefrance:seda:v2.1" => Some("2.1"),
        "fr:gouv:culture:archivesdefrance:seda:v2.2" => Some("2.2"),
        _ => None,
    }
}

/// Validate a manifest against the SEDA XSD of its root namespace.
#[must_use]
pub fn validate_manifest(xml: &[u8]) -> XsdOutcome {
    let written = tempfile::tempdir().and_then(|tmp| {
        fs_err::write(tmp.path().join(MANIFEST), xml)?;
        Ok(tmp)
    });
    match written {
        Ok(tmp) => validate_at(tmp.path(), false),
        Err(e) => XsdOutcome::Unavailable(format!("cannot write a temporary manifest: {e}")),
    }
}

/// The name [`validate_manifest_in`] and [`validate_relaxng_in`] read in
/// their folder.
pub const MANIFEST: &str = "manifest.xml";

/// [`validate_manifest`] of the [`MANIFEST`] file of `dir`, a temporary
/// folder of the caller's (the schemas are written beside it, and xmllint's
/// messages name files relative to it), read as a stream (`xmllint
/// --stream`): a manifest of any size is checked whole in a few MiB, where
/// the document tree takes about 7.6 times the file (460 MB for a 60 MB
/// manifest). What the stream does not check is that no two `id`s are the
/// same (`xs:ID`), which SIPs built by `seda` ensure by construction (ids
/// carry the dossier number, each dossier once); SIPs from elsewhere are
/// checked with [`validate_manifest`], tree and all.
#[must_use]
pub fn validate_manifest_in(dir: &Path) -> XsdOutcome {
    validate_at(dir, true)
}

fn validate_at(dir: &Path, stream: bool) -> XsdOutcome {
    let namespace = fs_err::File::open(dir.join(MANIFEST))
        .ok()
        .and_then(|f| root_namespace(std::io::BufReader::new(f)))
        .unwrap_or_default();
    let Some(version) = seda_version(&namespace) else {
        return XsdOutcome::UnknownNamespace(namespace);
    };
    match run_xmllint(dir, version, stream) {
        Ok(None) => XsdOutcome::Valid { version },
        Ok(Some(message)) => XsdOutcome::Invalid { version, message },
        Err(e) => XsdOutcome::Unavailable(e),
    }
}

/// `Ok(None)` valid, `Ok(Some(msg))` invalid, `Err` could not run.
fn run_xmllint(dir: &Path, version: &'static str, stream: bool) -> Result<Option<String>, String> {
    write_schemas(dir).map_err(|e| format!("cannot write the schemas: {e}"))?;
    let xsd = dir
        .join(format!("seda-{version}"))
        .join(format!("seda-{version}-main.xsd"));
    let output = Command::new("xmllint")
        .env("XML_CATALOG_FILES", dir.join("catalog.xml"))
        .arg("--nonet")
        .arg("--noout")
        .args(stream.then_some("--stream"))
        .arg("--schema")
        .arg(&xsd)
        .arg(dir.join(MANIFEST))
        .output()
        .map_err(|e| format!("xmllint cannot run: {e}"))?;
    failures(&output, dir)
}

/// Validate the [`MANIFEST`] file of `dir` (as [`validate_manifest_in`])
/// against an archiving profile's RelaxNG schema (`xmllint --relaxng`),
/// offline: `Ok(None)` valid, `Ok(Some(msg))` invalid with xmllint's
/// messages, `Err` when xmllint could not run.
///
/// # Errors
/// xmllint cannot run, or the profile cannot be written beside the manifest.
pub fn validate_relaxng_in(dir: &Path, rng: &str) -> Result<Option<String>, String> {
    let profile = dir.join("profile.rng");
    fs_err::write(&profile, rng).map_err(|e| e.to_string())?;
    let output = Command::new("xmllint")
        .arg("--nonet")
        .arg("--noout")
        .arg("--relaxng")
        .arg(&profile)
        .arg(dir.join(MANIFEST))
        .output()
        .map_err(|e| format!("xmllint cannot run: {e}"))?;
    failures(&output, dir)
}

/// xmllint's verdict: `Ok(None)` when it succeeded, else its first messages
/// with the temporary folder's path removed.
fn failures(output: &std::process::Output, tmp: &Path) -> Result<Option<String>, String> {
    if output.status.success() {
        return Ok(None);
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tmp_prefix = format!("{}/", tmp.display());
    let message: Vec<String> = stderr
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.ends_with("fails to validate"))
        .take(20)
        .map(|l| l.replace(&tmp_prefix, ""))
        .collect();
    if message.is_empty() && output.status.code().is_none() {
        return Err("xmllint was killed".to_owned());
    }
    Ok(Some(message.join("\n")))
}

/// Write the embedded schemas and catalog under `dir`.
///
/// # Errors
/// The folder is not writable.
pub fn write_schemas(dir: &Path) -> std::io::Result<()> {
    for (name, tree) in [
        ("seda-2.1", &SEDA_21),
        ("seda-2.2", &SEDA_22),
        ("w3c", &W3C),
    ] {
        let sub = dir.join(name);
        fs_err::create_dir_all(&sub)?;
        for file in tree.files() {
            fs_err::write(sub.join(file.path()), file.contents())?;
        }
    }
    fs_err::write(dir.join("catalog.xml"), CATALOG)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_are_read_with_or_without_prefix() {
        let plain = br#"<?xml version="1.0"?><!-- c --><ArchiveTransfer xmlns="fr:gouv:culture:archivesdefrance:seda:v2.1"/>"#;
        assert_eq!(
            root_namespace(&plain[..]).as_deref(),
            Some("fr:gouv:culture:archivesdefrance:seda:v2.1")
        );
        let prefixed = br#"<s:ArchiveTransfer xmlns:s="fr:gouv:culture:archivesdefrance:seda:v2.2"></s:ArchiveTransfer>"#;
        assert_eq!(
            seda_version(&root_namespace(&prefixed[..]).unwrap_or_default()),
            Some("2.2")
        );
        assert_eq!(root_namespace(&b"not xml <"[..]), None);
    }

    #[test]
    fn embedded_schemas_are_complete() {
        assert_eq!(SEDA_22.files().count(), 6);
        assert_eq!(SEDA_21.files().count(), 6);
        let tmp = tempfile::tempdir().expect("tmp");
        write_schemas(tmp.path()).expect("write");
        assert!(tmp.path().join("seda-2.2/seda-2.2-main.xsd").is_file());
        assert!(tmp.path().join("w3c/xml.xsd").is_file());
    }
}
