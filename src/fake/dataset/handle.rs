//! [`DatasetHandle`]: the dataset of a running server, shared with its
//! request handlers, plus the mutations incremental-run tests need (update,
//! add, delete a dossier while the server runs).

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{json, Value};

use super::{Dataset, DatasetError};
use crate::fake::clock;

/// Why a deleted dossier left the list (`DeletedDossier.reason`).
pub const DELETION_REASONS: [&str; 7] = [
    "user_request",
    "manager_request",
    "user_removed",
    "procedure_removed",
    "expired",
    "instructeur_request",
    "user_expired",
];

/// The dataset of a running fake, shared with its request handlers.
#[derive(Debug, Clone)]
pub struct DatasetHandle {
    inner: Arc<RwLock<Dataset>>,
}

impl DatasetHandle {
    pub(crate) fn new(dataset: Dataset) -> Self {
        Self {
            inner: Arc::new(RwLock::new(dataset)),
        }
    }

    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Dataset> {
        self.inner
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, Dataset> {
        self.inner
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A copy of the current data.
    #[must_use]
    pub fn snapshot(&self) -> Dataset {
        self.read().clone()
    }

    /// Apply `change` to a dossier's stored JSON, then set
    /// `dateDerniereModification` to now. File nodes added with a `content`
    /// spec are registered. Returns false when no such dossier is listed.
    ///
    /// # Errors
    /// When the changed dossier lost its number or dates, or names bad content.
    pub fn update_dossier(
        &self,
        number: u64,
        change: impl FnOnce(&mut Value),
    ) -> Result<bool, DatasetError> {
        let mut data = self.write();
        let Some(mut value) = data.dossiers.get(&number).cloned() else {
            return Ok(false);
        };
        change(&mut value);
        value["dateDerniereModification"] = clock::paris_now().into();
        data.put_dossier(value)?;
        Ok(true)
    }

    /// Add (or replace) a dossier given as full JSON with a `number`,
    /// `dateDepot` and `dateDerniereModification`. Returns its number.
    ///
    /// # Errors
    /// When a needed field is missing or a content spec is bad.
    pub fn add_dossier(&self, dossier: Value) -> Result<u64, DatasetError> {
        self.write().put_dossier(dossier)
    }

    /// Replace one of the démarche's own documents (`notice`,
    /// `deliberation`, `logo`) with a file `filename` holding `text`.
    ///
    /// # Errors
    /// When the content cannot be registered.
    pub fn set_demarche_document(
        &self,
        field: &str,
        filename: &str,
        text: &str,
    ) -> Result<(), DatasetError> {
        let mut data = self.write();
        let mut file = json!({"__typename": "File", "filename": filename,
            "contentType": "application/octet-stream", "createdAt": clock::paris_now(),
            "content": format!("text:{text}")});
        data.register_files(0, &mut file)?;
        data.demarche[field] = file;
        Ok(())
    }

    /// Remove a dossier from the listed ones and record it as deleted now:
    /// in `pendingDeletedDossiers` when `pending`, else in `deletedDossiers`.
    /// `reason` should be one of [`DELETION_REASONS`]. Returns false when no
    /// such dossier is listed.
    pub fn delete_dossier(&self, number: u64, reason: &str, pending: bool) -> bool {
        let mut data = self.write();
        let Some(value) = data.dossiers.remove(&number) else {
            return false;
        };
        data.keys.remove(&number);
        let tombstone = json!({
            "id": value.get("id").cloned().unwrap_or(Value::Null),
            "number": number,
            "state": value.get("state").cloned().unwrap_or(Value::Null),
            "reason": reason,
            "dateSupression": clock::paris_now(),
            // Not served: which groupe's deleted lists show it.
            "__groupe": value.pointer("/groupeInstructeur/number").cloned().unwrap_or(Value::Null),
        });
        if pending {
            data.pending_deleted.push(tombstone);
        } else {
            data.deleted.push(tombstone);
        }
        true
    }

    /// See [`Dataset::demarche_number`].
    #[must_use]
    pub fn demarche_number(&self) -> u64 {
        self.read().demarche_number()
    }

    /// See [`Dataset::dossier_numbers`].
    #[must_use]
    pub fn dossier_numbers(&self) -> Vec<u64> {
        self.read().dossier_numbers()
    }

    /// See [`Dataset::file_contents`].
    #[must_use]
    pub fn file_contents(&self, dossier: u64) -> Vec<(String, Vec<u8>)> {
        self.read().file_contents(dossier)
    }

    /// See [`Dataset::dossier_json`].
    #[must_use]
    pub fn dossier_json(&self, number: u64) -> Option<Value> {
        self.read().dossier_json(number)
    }
}
