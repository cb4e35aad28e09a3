//! The bag's describing documents: `data/metadata.json` and `data/metadata.xml`.
//!
//! This module owns the mapping from DS's API answer (démarche header +
//! dossier JSON + the files written in the bag) to the metadata an archivist
//! reads: DS's own export keys first (`id`, `created_at`, ..., `email_instructeurs`,
//! with the legacy state vocabulary), then what DS's export leaves out (v2
//! state, démarche, demandeur, decisions, files with their digests and
//! origin). The mapping is written down field by field in docs/metadata.md and
//! enforced by schemas/metadata.schema.json and schemas/metadata.xsd, which
//! ship with the crate ([`schema_json`], [`schema_xsd`]) so `verify` can
//! re-check a bag years later.
//!
//! Everything here is pure: bytes in, bytes out, no clock and no filesystem
//! (the caller passes `archived_at`). Output is deterministic: same input,
//! same bytes, whatever order the downloads finished in.
//!
//! `from_api` builds [`Metadata`] from the API's JSON, reading it through
//! `json_fields` (typed field access whose errors name the dossier and the
//! JSON path); `types` is the document, `check` its value rules and `xml` its
//! XML form.

mod check;
mod from_api;
mod json_fields;
mod types;
mod xml;

pub use types::{
    Demandeur, DemarcheInfo, FileEntry, GroupeInstructeurInfo, LabelInfo, Mandataire, Metadata,
    PersonneMorale, PersonnePhysique, ServiceInfo, TraitementInfo,
};

use serde::Serialize;

use crate::model::StoredFile;

/// The `$id` of schemas/metadata.schema.json, written as `schema` in every
/// metadata JSON so a reader knows which schema applies. A change to the
/// document's shape gets a new id.
pub const SCHEMA_VERSION: &str = "urn:ds-archive:schema:metadata:1.0";

/// The namespace of `data/metadata.xml` (the XSD's `targetNamespace`).
pub const XML_NAMESPACE: &str = "urn:ds-archive:metadata:1";

/// Bag path of the JSON document.
pub const JSON_PATH: &str = "data/metadata.json";

/// Bag path of the XML document.
pub const XML_PATH: &str = "data/metadata.xml";

/// What a dossier's metadata is built from.
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    /// The `demarche` object of the getDemarche answer (src/api/queries/demarche.graphql).
    pub demarche: &'a serde_json::Value,
    /// One dossier node as returned by `DossierFragment`.
    pub dossier: &'a serde_json::Value,
    /// The files written in the bag (not the metadata files themselves).
    pub files: &'a [StoredFile],
    /// The program that made the bag, e.g. `ds-archive 0.1.0`.
    pub software: &'a str,
    /// When the bag was made, RFC 3339.
    pub archived_at: &'a str,
}

/// Why a dossier's metadata could not be built. Every variant names the
/// dossier (its number, or its global id when the number itself is missing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MetadataError {
    /// A field the DS schema declares non-null is absent or null.
    #[error("dossier {dossier}: field `{field}` is missing from the API answer")]
    Missing {
        /// Dossier number or id.
        dossier: String,
        /// JSON path of the field, e.g. `usager.email`.
        field: String,
    },
    /// A field has a value the metadata schema cannot hold.
    #[error("dossier {dossier}: field `{field}` is invalid: {reason} (got {found})")]
    Invalid {
        /// Dossier number or id.
        dossier: String,
        /// JSON path of the field.
        field: String,
        /// What was expected.
        reason: String,
        /// The value, as JSON, shortened.
        found: String,
    },
    /// A stored file cannot be listed.
    #[error("dossier {dossier}: file `{path}` cannot be listed in metadata: {reason}")]
    File {
        /// Dossier number or id.
        dossier: String,
        /// The file's bag path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
}

/// Build the metadata of one dossier.
///
/// # Errors
///
/// A [`MetadataError`] naming the dossier and the field when a non-null DS
/// field is missing, a value has the wrong type, a date is not RFC 3339, the
/// state or demandeur type is unknown, the dossier's démarche differs from the
/// header's, or a stored file has a bad path, a bad digest or a duplicate path.
pub fn build(ctx: &Context) -> Result<Metadata, MetadataError> {
    from_api::build(ctx)
}

/// The JSON document: pretty-printed (two spaces), keys in documented order,
/// UTF-8 unescaped, trailing newline.
#[must_use]
pub fn to_json(m: &Metadata) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::pretty(&mut out);
    // Writing plain structs with string keys into a Vec cannot fail.
    m.serialize(&mut ser)
        .expect("serialising metadata into memory is infallible");
    out.push(b'\n');
    out
}

/// The XML document: UTF-8 declaration, namespace [`XML_NAMESPACE`],
/// two-space indentation, trailing newline.
#[must_use]
pub fn to_xml(m: &Metadata) -> Vec<u8> {
    // The writer's only error source is the Vec, which cannot fail.
    xml::render(m).expect("writing XML into memory is infallible")
}

/// schemas/metadata.schema.json, the JSON Schema (draft 2020-12) of [`to_json`]'s output.
#[must_use]
pub fn schema_json() -> &'static str {
    include_str!("../schemas/metadata.schema.json")
}

/// schemas/metadata.xsd, the XML Schema of [`to_xml`]'s output.
#[must_use]
pub fn schema_xsd() -> &'static str {
    include_str!("../schemas/metadata.xsd")
}
