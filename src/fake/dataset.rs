//! The data the fake serves: one démarche, its dossiers, deleted dossiers and
//! file contents.
//!
//! Dossiers are kept as the JSON objects a full query would return, with
//! schema field names; File nodes carry a content spec (see [`super::content`])
//! that is swapped for an internal storage key when the dossier is loaded. The
//! resolver projects these objects onto each query's selection set and fills
//! the File fields DS computes (checksum, size, signed URL) at query time.
//! [`DatasetHandle`] is the shared, mutable view a running server uses, with
//! the mutations incremental-run tests need.

mod generated;
mod handle;
mod sample;

pub use handle::{DatasetHandle, DELETION_REASONS};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;

use super::clock;
use super::content::{Content, ContentError, StoredBlob, XorShift};

/// Why a dataset could not be built or changed.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    /// A fixture file is not valid JSON.
    #[error("fixture `{path}` is not valid JSON: {source}")]
    Json {
        /// The fixture path.
        path: String,
        /// The cause.
        #[source]
        source: serde_json::Error,
    },
    /// A fixture or added dossier lacks a field the fake needs.
    #[error("{what}: missing or invalid `{field}`")]
    Field {
        /// Which object.
        what: String,
        /// The field.
        field: &'static str,
    },
    /// A File node's content spec is unusable.
    #[error("dossier {dossier}: {source}")]
    Content {
        /// The dossier number (0 for the démarche).
        dossier: u64,
        /// The cause.
        #[source]
        source: ContentError,
    },
}

/// A stored file and who owns it.
#[derive(Debug)]
pub(crate) struct BlobEntry {
    pub(crate) blob: StoredBlob,
    /// Dossier number, 0 for démarche-level files.
    pub(crate) dossier: u64,
    pub(crate) filename: String,
    pub(crate) content_type: String,
}

/// Sort keys of a dossier, in nanoseconds since the epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SortKeys {
    pub(crate) depose: i128,
    pub(crate) updated: i128,
}

/// Everything the fake serves.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub(crate) demarche: Value,
    pub(crate) dossiers: BTreeMap<u64, Value>,
    pub(crate) keys: BTreeMap<u64, SortKeys>,
    pub(crate) pending_deleted: Vec<Value>,
    pub(crate) deleted: Vec<Value>,
    pub(crate) blobs: HashMap<String, Arc<BlobEntry>>,
    next_blob: u64,
}

impl Dataset {
    /// The bundled sample démarche (number 12345) from `fixtures/sample/`.
    ///
    /// # Panics
    /// Never in a released build: the embedded fixtures are checked by the
    /// unit tests (see [`Dataset::try_sample`]).
    #[must_use]
    pub fn sample() -> Dataset {
        match sample::load() {
            Ok(d) => d,
            Err(e) => panic!("the embedded sample fixtures are broken: {e}"),
        }
    }

    /// The bundled sample, reporting broken fixtures instead of panicking.
    ///
    /// # Errors
    /// When a fixture is not valid JSON or names missing content.
    pub fn try_sample() -> Result<Dataset, DatasetError> {
        sample::load()
    }

    /// A synthetic démarche for benchmarks: `dossiers` dossiers, each with
    /// `files_per_dossier` generated files of `file_size` bytes.
    #[must_use]
    pub fn generated(
        demarche: u64,
        dossiers: usize,
        files_per_dossier: usize,
        file_size: u64,
    ) -> Dataset {
        generated::build(demarche, dossiers, files_per_dossier, file_size)
    }

    /// The same démarche with every generated file cut to at most `max_size`
    /// bytes (same seed, so the same leading bytes; checksums and sizes
    /// follow). For tests whose point is not file size: the sample's three
    /// large files are almost all of its bytes.
    #[must_use]
    pub fn with_generated_files_capped(mut self, max_size: u64) -> Dataset {
        for entry in self.blobs.values_mut() {
            if let Content::Generated { seed, size } = entry.blob.content {
                if size > max_size {
                    *entry = Arc::new(BlobEntry {
                        blob: StoredBlob::new(Content::Generated {
                            seed,
                            size: max_size,
                        }),
                        dossier: entry.dossier,
                        filename: entry.filename.clone(),
                        content_type: entry.content_type.clone(),
                    });
                }
            }
        }
        self
    }

    pub(crate) fn new(demarche: Value) -> Self {
        Self {
            demarche,
            ..Self::default()
        }
    }

    /// The démarche number.
    #[must_use]
    pub fn demarche_number(&self) -> u64 {
        self.demarche
            .get("number")
            .and_then(Value::as_u64)
            .unwrap_or(0)
    }

    /// Numbers of the listed (not deleted) dossiers, ascending.
    #[must_use]
    pub fn dossier_numbers(&self) -> Vec<u64> {
        self.dossiers.keys().copied().collect()
    }

    /// Every non-generated file of a dossier (champs, annotations, messages,
    /// avis, motivation, attestation, company certificates) in document order:
    /// (original filename, content bytes). The dossier PDF is not included.
    #[must_use]
    pub fn file_contents(&self, dossier: u64) -> Vec<(String, Vec<u8>)> {
        let Some(value) = self.dossiers.get(&dossier) else {
            return Vec::new();
        };
        let mut keys = Vec::new();
        collect_keys(value, &mut keys);
        keys.iter()
            .filter_map(|k| self.blobs.get(k))
            .map(|e| (e.filename.clone(), e.blob.content.to_vec()))
            .collect()
    }

    /// The stored dossier, with File nodes completed with `checksum`,
    /// `byteSizeBigInt`, `byteSize` and `virusScanResult` (no URL: URLs are
    /// minted per query).
    #[must_use]
    pub fn dossier_json(&self, number: u64) -> Option<Value> {
        let mut value = self.dossiers.get(&number)?.clone();
        self.fill_files(&mut value);
        Some(value)
    }

    fn fill_files(&self, value: &mut Value) {
        match value {
            Value::Object(map) => {
                if let Some(entry) = map
                    .get("__key")
                    .and_then(Value::as_str)
                    .and_then(|k| self.blobs.get(k))
                {
                    let size = entry.blob.content.len();
                    map.insert("checksum".into(), entry.blob.checksum().into());
                    map.insert("byteSizeBigInt".into(), size.to_string().into());
                    map.insert("byteSize".into(), size.into());
                    map.entry("virusScanResult")
                        .or_insert_with(|| "safe".into());
                    map.remove("__key");
                }
                map.values_mut().for_each(|v| self.fill_files(v));
            }
            Value::Array(items) => items.iter_mut().for_each(|v| self.fill_files(v)),
            _ => {}
        }
    }

    /// Insert or replace a dossier: registers its File contents and sort keys.
    pub(crate) fn put_dossier(&mut self, mut value: Value) -> Result<u64, DatasetError> {
        let number =
            value
                .get("number")
                .and_then(Value::as_u64)
                .ok_or_else(|| DatasetError::Field {
                    what: "dossier".into(),
                    field: "number",
                })?;
        let keys = sort_keys(&value, number)?;
        self.register_files(number, &mut value)?;
        self.keys.insert(number, keys);
        self.dossiers.insert(number, value);
        Ok(number)
    }

    /// Swap every File node's `content` spec for a storage key.
    pub(crate) fn register_files(
        &mut self,
        owner: u64,
        value: &mut Value,
    ) -> Result<(), DatasetError> {
        match value {
            Value::Object(map) => {
                if let Some(Value::String(spec)) = map.remove("content") {
                    let content =
                        Content::from_spec(&spec, sample::fixture_file).map_err(|source| {
                            DatasetError::Content {
                                dossier: owner,
                                source,
                            }
                        })?;
                    self.next_blob += 1;
                    let n = self.next_blob;
                    let key = format!("{:016x}{n:x}", XorShift::new(n).next_u64());
                    let text = |k: &str| {
                        map.get(k)
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned()
                    };
                    let entry = BlobEntry {
                        blob: StoredBlob::new(content),
                        dossier: owner,
                        filename: text("filename"),
                        content_type: text("contentType"),
                    };
                    self.blobs.insert(key.clone(), Arc::new(entry));
                    map.insert("__key".into(), key.into());
                }
                for v in map.values_mut() {
                    self.register_files(owner, v)?;
                }
            }
            Value::Array(items) => {
                for v in items {
                    self.register_files(owner, v)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
}

fn collect_keys(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(k) = map.get("__key").and_then(Value::as_str) {
                out.push(k.to_owned());
            }
            map.values().for_each(|v| collect_keys(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_keys(v, out)),
        _ => {}
    }
}

fn sort_keys(value: &Value, number: u64) -> Result<SortKeys, DatasetError> {
    let date = |field: &'static str| {
        value
            .get(field)
            .and_then(Value::as_str)
            .and_then(clock::parse_instant)
            .ok_or_else(|| DatasetError::Field {
                what: format!("dossier {number}"),
                field,
            })
    };
    Ok(SortKeys {
        depose: date("dateDepot")?,
        updated: date("dateDerniereModification")?,
    })
}
