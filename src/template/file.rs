//! The template file as written (TOML), before it is checked against the
//! démarche. Every table refuses unknown keys, and every value that can be
//! wrong keeps its place in the file ([`Spanned`]) so errors give the line.

use serde::Deserialize;
use toml::Spanned;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTemplate {
    pub version: Spanned<i64>,
    pub name: Option<String>,
    pub demarche: Option<Spanned<u64>>,
    pub dossier_folder: Option<RawFolder>,
    pub pdf: Option<RawItem>,
    pub attestation: Option<RawItem>,
    pub pj_default: Option<RawItem>,
    #[serde(default)]
    pub pj: Vec<RawPj>,
    pub other: Option<RawOther>,
    #[serde(default)]
    pub columns: Vec<RawColumn>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFolder {
    pub pattern: Spanned<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawItem {
    pub enabled: Option<bool>,
    pub pattern: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPj {
    pub champ: Spanned<RawStableId>,
    pub enabled: Option<bool>,
    pub pattern: Option<Spanned<String>>,
}

/// A stable id as a number (`14`) or as DS's champ descriptor id
/// (`"Q2hhbXAtMTQ="`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(super) enum RawStableId {
    Number(u64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawOther {
    pub messagerie: Option<bool>,
    pub avis: Option<bool>,
    pub justificatif_motivation: Option<bool>,
    pub company_certificates: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawColumn {
    pub id: Spanned<String>,
    pub header: Option<String>,
}
