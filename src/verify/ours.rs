//! Checks that apply only to our own bundles: a bag whose `data/metadata.json`
//! is a JSON object with a `"schema"` key. Its metadata must be valid against
//! schemas/metadata.schema.json (compiled into the binary, so a verifier years
//! later needs nothing else), and every file it describes must be in the bag
//! with the size and digests it states.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::Value;

use super::codes::Code;
use super::report::Finding;
use crate::digest::{DigestAlg, HexDigests};

/// Where our metadata lives in a bag.
pub const METADATA_PATH: &str = "data/metadata.json";

const SCHEMA: &str = include_str!("../../schemas/metadata.schema.json");

/// At most this many schema errors are listed per bundle.
const MAX_SCHEMA_ERRORS: usize = 20;

fn validator() -> Result<&'static jsonschema::Validator, &'static str> {
    static VALIDATOR: OnceLock<Result<jsonschema::Validator, String>> = OnceLock::new();
    VALIDATOR
        .get_or_init(|| {
            let schema: Value =
                serde_json::from_str(SCHEMA).map_err(|e| format!("schema is not JSON: {e}"))?;
            jsonschema::options()
                .should_validate_formats(true)
                .build(&schema)
                .map_err(|e| format!("schema does not compile: {e}"))
        })
        .as_ref()
        .map_err(String::as_str)
}

/// The metadata, if these bytes are ours (a JSON object with `"schema"`).
#[must_use]
pub fn parse(bytes: &[u8]) -> Option<Value> {
    let value: Value = serde_json::from_slice(bytes).ok()?;
    value.get("schema").is_some().then_some(value)
}

fn f(code: Code, path: &str, message: impl Into<String>) -> Finding {
    Finding::new(code, "", path, message)
}

/// Check `meta` against the schema and against the bag's files (`facts`:
/// size and computed digests per path; digests are empty in fast mode).
pub fn check(
    meta: &Value,
    facts: &BTreeMap<String, (u64, HexDigests)>,
    fast: bool,
    out: &mut Vec<Finding>,
) {
    match validator() {
        Ok(v) => {
            for err in v.iter_errors(meta).take(MAX_SCHEMA_ERRORS) {
                let at = err.instance_path().to_string();
                let at = if at.is_empty() { "/".to_owned() } else { at };
                out.push(f(
                    Code::MetadataSchema,
                    METADATA_PATH,
                    format!("{at}: {err}"),
                ));
            }
        }
        Err(e) => out.push(f(Code::MetadataSchema, METADATA_PATH, e)),
    }
    let Some(items) = meta.get("files").and_then(Value::as_array) else {
        out.push(f(Code::MetadataSchema, METADATA_PATH, "no `files` array"));
        return;
    };
    for (i, item) in items.iter().enumerate() {
        let Some(path) = item.get("path").and_then(Value::as_str) else {
            out.push(f(
                Code::MetadataSchema,
                METADATA_PATH,
                format!("/files/{i}: no `path`"),
            ));
            continue;
        };
        let in_bag = if path.starts_with("data/") {
            path.to_owned()
        } else {
            format!("data/{path}")
        };
        let Some((size, digests)) = facts.get(&in_bag) else {
            out.push(f(
                Code::MetadataFile,
                &in_bag,
                format!("described in {METADATA_PATH} (files[{i}]) but not in the bag"),
            ));
            continue;
        };
        if let Some(want) = item.get("size").and_then(Value::as_u64) {
            if want != *size {
                out.push(f(
                    Code::MetadataFile,
                    &in_bag,
                    format!("size {want} in {METADATA_PATH}, {size} in the bag"),
                ));
            }
        }
        if fast {
            continue;
        }
        for (key, alg) in [("sha256", DigestAlg::Sha256), ("sha512", DigestAlg::Sha512)] {
            let (Some(want), Some(got)) =
                (item.get(key).and_then(Value::as_str), digests.get(&alg))
            else {
                continue;
            };
            if !want.eq_ignore_ascii_case(got) {
                out.push(f(
                    Code::MetadataFile,
                    &in_bag,
                    format!("{key} in {METADATA_PATH} is {want}, the file's is {got}"),
                ));
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn bundled_schema_compiles() {
        assert!(validator().is_ok(), "{:?}", validator().err());
    }

    #[test]
    fn only_objects_with_schema_are_ours() {
        assert!(parse(br#"{"schema": "x", "files": []}"#).is_some());
        assert!(parse(br#"{"files": []}"#).is_none());
        assert!(parse(b"not json").is_none());
    }

    #[test]
    fn files_must_match_the_bag() {
        let sha = "ab".repeat(32);
        let meta: Value = serde_json::json!({
            "schema": "x",
            "files": [
                {"path": "data/a.pdf", "size": 3, "sha256": sha},
                {"path": "data/gone.pdf", "size": 1, "sha256": sha},
                {"path": "data/b.pdf", "size": 5, "sha256": sha},
            ]
        });
        let mut facts = BTreeMap::new();
        facts.insert(
            "data/a.pdf".to_owned(),
            (3, HexDigests::from([(DigestAlg::Sha256, sha.clone())])),
        );
        facts.insert(
            "data/b.pdf".to_owned(),
            (4, HexDigests::from([(DigestAlg::Sha256, "00".repeat(32))])),
        );
        let mut out = Vec::new();
        check(&meta, &facts, false, &mut out);
        let file_findings: Vec<(&str, &str)> = out
            .iter()
            .filter(|f| f.code == Code::MetadataFile)
            .map(|f| (f.path.as_str(), f.message.split(' ').next().unwrap_or("")))
            .collect();
        assert_eq!(
            file_findings,
            [
                ("data/gone.pdf", "described"),
                ("data/b.pdf", "size"),
                ("data/b.pdf", "sha256")
            ]
        );
    }
}
