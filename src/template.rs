//! Export templates: a TOML file that says how an export view names and
//! picks a dossier's files (DS's "modèle d'export", zip kind) and which
//! columns a table has (tabular kinds).
//!
//! The bags stay canonical: a template shapes only views derived from them
//! (`ds-archive export`, tabular exports), never a bag. This module owns the
//! file format ([`file`]), its checks against the démarche read from the
//! archive ([`descriptor`], [`columns`]), the tags ([`pattern`]) and their
//! values for one dossier ([`values`]), and the `template check` / `template
//! init` commands ([`init`]). A template is checked completely at load time:
//! an unknown key, tag, stable id or column id is an error naming the key and
//! the line, before any file is written. Format and rules: docs/templates.md.

pub mod columns;
pub mod descriptor;
mod file;
pub mod init;
pub mod pattern;
pub mod values;

use std::path::{Path, PathBuf};

use descriptor::Descriptor;
use file::{RawItem, RawStableId, RawTemplate};
use pattern::{libelle_as_filename, Pattern, Scope};

/// The one `version` this program reads.
pub const VERSION: i64 = 1;

/// DS's default folder pattern.
pub const DEFAULT_FOLDER: &str = "dossier-{dossier_number}";
/// DS's default name of the dossier PDF.
pub const DEFAULT_PDF: &str = "export-{dossier_number}";
/// DS's default name of the attestation.
pub const DEFAULT_ATTESTATION: &str = "attestation-{dossier_number}";
/// The default name of a PJ champ not listed: DS's per-champ default.
pub const DEFAULT_PJ: &str = "{champ_label}-{dossier_number}";

/// A checked template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Its `name`, if any.
    pub name: Option<String>,
    /// The dossier folder pattern (holds `{dossier_number}`).
    pub folder: Pattern,
    /// The dossier PDF.
    pub pdf: Item,
    /// The attestation.
    pub attestation: Item,
    /// PJ champs not listed in `pj` (including later revisions').
    pub pj_default: Item,
    /// PJ champs by stable id.
    pub pjs: Vec<(u64, Item)>,
    /// Messagerie attachments.
    pub messagerie: bool,
    /// Experts' avis attachments.
    pub avis: bool,
    /// The justificatif of the decision.
    pub justificatif_motivation: bool,
    /// API Entreprise certificates (DS leaves them out of template zips).
    pub company_certificates: bool,
    /// The tabular view's columns, when the template lists any.
    pub tabular: Option<TabularSpec>,
}

/// One file item: on or off, and its name pattern (no extension).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// Whether the view includes it.
    pub enabled: bool,
    /// The name pattern.
    pub pattern: Pattern,
}

/// The tabular view's columns, in their pinned order (rendered by the
/// tabular export).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TabularSpec {
    /// The columns.
    pub columns: Vec<ColumnSpec>,
}

/// One column: DS's column id (plain form, `type_de_champ/14`, `self/state`)
/// and a pinned header, if given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSpec {
    /// The column id.
    pub id: String,
    /// The pinned header.
    pub header: Option<String>,
}

impl Template {
    /// The item that applies to PJ champ `stable_id`.
    #[must_use]
    pub fn pj(&self, stable_id: u64) -> &Item {
        self.pjs
            .iter()
            .find(|(id, _)| *id == stable_id)
            .map_or(&self.pj_default, |(_, item)| item)
    }
}

/// Why a template cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, or a key or type the format does not have (toml's message
    /// gives the line and column).
    #[error("`{}`: {message}", path.display())]
    Syntax {
        /// The file.
        path: PathBuf,
        /// What and where.
        message: String,
    },
    /// A value the démarche or the rules refuse.
    #[error("`{}` line {line}: `{key}`: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The line (1-based).
        line: usize,
        /// The key (`pdf.pattern`, `pj[2].champ`).
        key: String,
        /// Why.
        message: String,
    },
}

/// Read and check the template at `path` against démarche `d`.
///
/// # Errors
/// See [`TemplateError`].
pub fn load(path: &Path, d: &Descriptor) -> Result<Template, TemplateError> {
    let text = fs_err::read_to_string(path).map_err(|source| TemplateError::Read {
        path: path.to_owned(),
        source,
    })?;
    parse(&text, path, d)
}

/// Check the template `text` (from `path`, for messages) against `d`.
///
/// # Errors
/// See [`TemplateError`].
pub fn parse(text: &str, path: &Path, d: &Descriptor) -> Result<Template, TemplateError> {
    let raw: RawTemplate = toml::from_str(text).map_err(|e| TemplateError::Syntax {
        path: path.to_owned(),
        message: e.to_string().trim_end().to_owned(),
    })?;
    let invalid =
        |span: std::ops::Range<usize>, key: &str, message: String| TemplateError::Invalid {
            path: path.to_owned(),
            line: text[..span.start.min(text.len())].matches('\n').count() + 1,
            key: key.to_owned(),
            message,
        };
    if *raw.version.get_ref() != VERSION {
        return Err(invalid(
            raw.version.span(),
            "version",
            format!("this program reads version {VERSION} only"),
        ));
    }
    if let Some(n) = &raw.demarche {
        if *n.get_ref() != d.number {
            return Err(invalid(
                n.span(),
                "demarche",
                format!(
                    "the template is for démarche {}, the archive holds démarche {}",
                    n.get_ref(),
                    d.number
                ),
            ));
        }
    }
    let pattern = |p: &toml::Spanned<String>, key: &str, scope| {
        let parsed = Pattern::parse(p.get_ref(), scope).map_err(|m| invalid(p.span(), key, m))?;
        for id in parsed.champ_ids() {
            let known = d.champ(id).is_some_and(|c| c.parent.is_none());
            if !known {
                return Err(invalid(
                    p.span(),
                    key,
                    format!("`{{champ:{id}}}`: no root champ or annotation has stable id {id}"),
                ));
            }
        }
        Ok(parsed)
    };
    let folder = match &raw.dossier_folder {
        Some(f) => {
            let p = pattern(&f.pattern, "dossier_folder.pattern", Scope::Folder)?;
            if !p.has_dossier_number() {
                return Err(invalid(
                    f.pattern.span(),
                    "dossier_folder.pattern",
                    "must contain `{dossier_number}` (as in DS): folders must be unique".into(),
                ));
            }
            p
        }
        None => Pattern::parse(DEFAULT_FOLDER, Scope::Folder).map_err(internal)?,
    };
    let item = |raw: Option<&RawItem>, key: &str, default: &str, scope| {
        let raw_default = RawItem::default();
        let raw = raw.unwrap_or(&raw_default);
        let pattern = match &raw.pattern {
            Some(p) => pattern(p, &format!("{key}.pattern"), scope)?,
            None => Pattern::parse(default, scope).map_err(internal)?,
        };
        Ok::<_, TemplateError>(Item {
            enabled: raw.enabled.unwrap_or(true),
            pattern,
        })
    };
    let pdf = item(raw.pdf.as_ref(), "pdf", DEFAULT_PDF, Scope::File)?;
    let attestation = item(
        raw.attestation.as_ref(),
        "attestation",
        DEFAULT_ATTESTATION,
        Scope::File,
    )?;
    let pj_default = item(raw.pj_default.as_ref(), "pj_default", DEFAULT_PJ, Scope::Pj)?;
    let mut pjs: Vec<(u64, Item)> = Vec::new();
    for (i, pj) in raw.pj.iter().enumerate() {
        let key = format!("pj[{i}].champ");
        let id = match pj.champ.get_ref() {
            RawStableId::Number(n) => Some(*n),
            RawStableId::Text(t) => descriptor::stable_id(t).or_else(|| t.parse().ok()),
        };
        let Some(id) = id else {
            return Err(invalid(
                pj.champ.span(),
                &key,
                "a stable id is a number (`14`) or a champ descriptor id (`Q2hhbXAtMTQ=`)".into(),
            ));
        };
        match d.champ(id) {
            Some(c) if c.is_pj() => {}
            Some(c) => {
                return Err(invalid(
                    pj.champ.span(),
                    &key,
                    format!("champ {id} (`{}`) is a {} champ, not a pièce justificative", c.label, c.kind),
                ))
            }
            None => {
                return Err(invalid(
                    pj.champ.span(),
                    &key,
                    format!("no champ has stable id {id} in démarche {} (`ds-archive template check` lists them)", d.number),
                ))
            }
        }
        if pjs.iter().any(|(known, _)| *known == id) {
            return Err(invalid(
                pj.champ.span(),
                &key,
                format!("champ {id} is listed twice"),
            ));
        }
        let pattern = match &pj.pattern {
            Some(p) => pattern(p, &format!("pj[{i}].pattern"), Scope::Pj)?,
            None => {
                let label = d
                    .champ(id)
                    .map(|c| libelle_as_filename(&c.label))
                    .unwrap_or_default();
                Pattern::parse(&format!("{label}-{{dossier_number}}"), Scope::Pj)
                    .map_err(internal)?
            }
        };
        pjs.push((
            id,
            Item {
                enabled: pj.enabled.unwrap_or(true),
                pattern,
            },
        ));
    }
    let other = raw.other.unwrap_or_default();
    let mut columns = Vec::new();
    for (i, c) in raw.columns.iter().enumerate() {
        let id = columns::check_column(c.id.get_ref(), d)
            .map_err(|m| invalid(c.id.span(), &format!("columns[{i}].id"), m))?;
        if columns.iter().any(|k: &ColumnSpec| k.id == id) {
            return Err(invalid(
                c.id.span(),
                &format!("columns[{i}].id"),
                format!("column `{id}` is listed twice"),
            ));
        }
        columns.push(ColumnSpec {
            id,
            header: c.header.clone(),
        });
    }
    Ok(Template {
        name: raw.name,
        folder,
        pdf,
        attestation,
        pj_default,
        pjs,
        messagerie: other.messagerie.unwrap_or(true),
        avis: other.avis.unwrap_or(true),
        justificatif_motivation: other.justificatif_motivation.unwrap_or(true),
        company_certificates: other.company_certificates.unwrap_or(true),
        tabular: (!columns.is_empty()).then_some(TabularSpec { columns }),
    })
}

/// A built-in default pattern that does not parse: a bug, reported as such.
fn internal(message: String) -> TemplateError {
    TemplateError::Syntax {
        path: PathBuf::from("<built-in default>"),
        message,
    }
}

#[cfg(test)]
mod tests;
