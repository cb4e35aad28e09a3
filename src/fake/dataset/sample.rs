//! The bundled sample démarche, embedded from `fixtures/sample/` (written by
//! `fixtures/generate_sample.py`; layout in docs/fake-api.md).

use include_dir::{include_dir, Dir};
use serde_json::Value;

use super::{Dataset, DatasetError};

static SAMPLE: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/fixtures/sample");

/// The bytes of `fixtures/sample/files/<path>`, for `file:` content specs.
pub(crate) fn fixture_file(path: &str) -> Option<&'static [u8]> {
    SAMPLE
        .get_file(format!("files/{path}"))
        .map(include_dir::File::contents)
}

fn json(path: &str) -> Result<Value, DatasetError> {
    let file = SAMPLE.get_file(path).ok_or_else(|| DatasetError::Field {
        what: format!("fixture `{path}`"),
        field: "file",
    })?;
    serde_json::from_slice(file.contents()).map_err(|source| DatasetError::Json {
        path: path.to_owned(),
        source,
    })
}

fn list(value: &Value, field: &'static str) -> Result<Vec<Value>, DatasetError> {
    value
        .get(field)
        .and_then(Value::as_array)
        .cloned()
        .ok_or(DatasetError::Field {
            what: "fixture `deleted.json`".into(),
            field,
        })
}

pub(super) fn load() -> Result<Dataset, DatasetError> {
    let mut demarche = json("demarche.json")?;
    let mut data = Dataset::new(Value::Null);
    data.register_files(0, &mut demarche)?;
    data.demarche = demarche;
    let dir = SAMPLE.get_dir("dossiers").ok_or(DatasetError::Field {
        what: "fixtures/sample".into(),
        field: "dossiers/",
    })?;
    let mut paths: Vec<_> = dir
        .files()
        .filter_map(|f| f.path().to_str())
        .filter(|p| p.ends_with(".json"))
        .collect();
    paths.sort_unstable();
    for path in paths {
        data.put_dossier(json(path)?)?;
    }
    let deleted = json("deleted.json")?;
    data.pending_deleted = list(&deleted, "pendingDeletedDossiers")?;
    data.deleted = list(&deleted, "deletedDossiers")?;
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fake::content::Content;

    #[test]
    fn sample_loads_with_every_state_and_deletions() {
        let data = load().expect("sample fixtures load");
        assert_eq!(data.demarche_number(), 12345);
        assert!(data.dossiers.len() >= 30);
        for state in [
            "en_construction",
            "en_instruction",
            "accepte",
            "refuse",
            "sans_suite",
        ] {
            assert!(
                data.dossiers.values().any(|d| d["state"] == state),
                "no dossier in state {state}"
            );
        }
        assert!(!data.pending_deleted.is_empty());
        assert!(!data.deleted.is_empty());
    }

    #[test]
    fn hostile_names_and_large_files_are_present() {
        let data = load().expect("sample fixtures load");
        let names: Vec<String> = data.blobs.values().map(|b| b.filename.clone()).collect();
        for wanted in [
            "../../etc/passwd",
            "a/b\\c.pdf",
            "CON.txt",
            "aux",
            "vide.txt",
            "100% conforme.pdf",
        ] {
            assert!(names.iter().any(|n| n == wanted), "missing {wanted}");
        }
        assert!(names.iter().any(|n| n.len() == 300));
        assert!(names.iter().any(|n| n.chars().any(char::is_control)));
        let large = data
            .blobs
            .values()
            .filter(|b| b.blob.content.len() > 5_000_000)
            .count();
        assert!(large >= 2);
        assert!(data.blobs.values().any(|b| b.blob.content.len() == 0));
    }

    #[test]
    fn file_contents_match_fixture_bytes() {
        let data = load().expect("sample fixtures load");
        let first = data.dossier_numbers()[0];
        let files = data.file_contents(first);
        let (_, budget) = files
            .iter()
            .find(|(name, _)| name.starts_with("budget-"))
            .expect("budget file");
        assert_eq!(
            Some(budget.as_slice()),
            fixture_file("budget-previsionnel.pdf")
        );
        assert!(budget.starts_with(b"%PDF-1.4"));
    }

    #[test]
    fn capping_cuts_only_large_generated_files_and_keeps_their_start() {
        let full = load().expect("sample fixtures load");
        let capped = load()
            .expect("sample fixtures load")
            .with_generated_files_capped(1000);
        assert_eq!(full.blobs.len(), capped.blobs.len());
        let mut cut = 0;
        for (key, entry) in &full.blobs {
            let small = &capped.blobs[key].blob.content;
            let bytes = entry.blob.content.to_vec();
            let generated = matches!(entry.blob.content, Content::Generated { .. });
            if generated && bytes.len() > 1000 {
                cut += 1;
                assert_eq!(small.to_vec(), bytes[..1000]);
            } else {
                assert_eq!(small.to_vec(), bytes, "{} changed", entry.filename);
            }
        }
        assert!(cut >= 2, "the large files were not cut");
        let first = capped.dossier_numbers()[0];
        assert_eq!(capped.file_contents(first), full.file_contents(first));
    }
}
