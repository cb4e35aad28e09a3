//! Where each file of one dossier's bag goes in an export view: pure, from
//! the template, the bag's `metadata.json` (files, origins, digests) and
//! `dossier.json` (tag values, file order inside a champ).
//!
//! DS's template zip layout: the dossier folder holds the PDF, the
//! attestation and the PJs, each named by its pattern, then `-RR` (the
//! repetition row, 1-based, two digits) when the champ sits in a block, then
//! `-NN` (the file's place in its champ, always, as DS does), then the
//! original extension. Messagerie, avis and the justificatif de motivation
//! keep their original names under `messagerie/`, `avis/`, `dossier/`, and
//! company certificates their bag names under `pieces_justificatives/`.
//! Every segment is sanitised and fitted by [`pattern::fit`]; clashes get
//! `-2`, `-3` through the bags' own [`Namespace`].

use std::collections::HashMap;

use serde_json::Value;

use crate::layout::{sanitize_component, split_ext, Namespace};
use crate::template::descriptor::stable_id;
use crate::template::pattern::{self, Pattern};
use crate::template::values::{DossierValues, FileContext};
use crate::template::Template;

/// Cap of a dossier folder name, in bytes.
pub const FOLDER_MAX: usize = 60;
/// Cap of a file name, in bytes. With the folder and the longest section
/// (`pieces_justificatives/`) a view path stays under 195 bytes.
pub const FILE_MAX: usize = 110;

/// One file of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewFile {
    /// Path inside the dossier folder (`export-12.pdf`, `messagerie/a.pdf`).
    pub path: String,
    /// The bag path it is a copy of (`data/...`).
    pub bag_path: String,
    /// Its SHA-256 (lowercase hex) as the bag's metadata records it.
    pub sha256: String,
}

/// One dossier's part of the view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DossierPlan {
    /// The dossier folder's name.
    pub folder: String,
    /// Its files, in the order they were named.
    pub files: Vec<ViewFile>,
}

/// Plan dossier `number`'s folder; `folders` keeps folder names unique
/// across the view.
///
/// # Errors
/// `metadata.json` lacks its `files` list or an entry lacks a key.
pub fn plan_dossier(
    t: &Template,
    metadata: &Value,
    dossier_json: &Value,
    folders: &mut Namespace,
) -> Result<DossierPlan, String> {
    let values = DossierValues::new(dossier_json);
    let number = metadata["id"].as_u64().unwrap_or_else(|| values.number());
    let render = |p: &Pattern, file: FileContext<'_>| {
        p.render(&|tag| {
            if *tag == crate::template::pattern::Tag::DossierNumber {
                number.to_string()
            } else {
                values.get(tag, file)
            }
        })
    };
    let wanted = pattern::fit(&render(&t.folder, FileContext::default()), FOLDER_MAX);
    let folder = folders.dir("", &format!("dossier:{number}"), &wanted, FOLDER_MAX);

    let files = metadata["files"]
        .as_array()
        .ok_or("`data/metadata.json` has no `files` list")?;
    let mut entries: Vec<(u8, &Value)> = files.iter().map(|f| (rank(f), f)).collect();
    entries.sort_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| a.1["path"].as_str().cmp(&b.1["path"].as_str()))
    });
    let mut order = FileOrder::default();
    let mut names = Namespace::default();
    let mut certificates = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (_, f) in entries {
        let field = |k: &str| {
            f[k].as_str()
                .ok_or_else(|| format!("`data/metadata.json`: a file entry has no `{k}`"))
        };
        let (bag_path, sha256, original) = (
            field("path")?,
            field("sha256")?,
            field("original_filename")?,
        );
        let origin = &f["origin"];
        let bag_name = bag_path.rsplit('/').next().unwrap_or(bag_path);
        let ext = extension(original)
            .or_else(|| extension(bag_name))
            .unwrap_or_default();
        let ctx = |label: &'static str| FileContext {
            original_filename: original,
            champ_label: label,
        };
        // A name with nothing readable left (a company's address for a
        // person, alone in its pattern) falls back to DS's default name.
        let named =
            |item: &crate::template::Item, ctx: FileContext<'_>, suffix: &str, default: String| {
                let budget = FILE_MAX.saturating_sub(suffix.len() + ext.len());
                let mut parts = render(&item.pattern, ctx);
                if !parts
                    .iter()
                    .any(|(t, _)| t.chars().any(char::is_alphanumeric))
                {
                    parts = vec![(default, false)];
                }
                format!("{}{suffix}{ext}", pattern::fit(&parts, budget))
            };
        let (section, name) = match origin["kind"].as_str().unwrap_or_default() {
            "dossier_pdf" if t.pdf.enabled => {
                ("", named(&t.pdf, ctx(""), "", format!("export-{number}")))
            }
            "attestation" if t.attestation.enabled => (
                "",
                named(&t.attestation, ctx(""), "", format!("attestation-{number}")),
            ),
            "champ" | "annotation" => {
                let id = origin["champ_descriptor_id"].as_str().and_then(stable_id);
                let Some(item) = id.map(|id| t.pj(id)).filter(|i| i.enabled) else {
                    continue;
                };
                let label = origin["label"].as_str().unwrap_or_default();
                let mut suffix = String::new();
                if let Some(row) = origin["row"].as_u64() {
                    suffix.push_str(&format!("-{row:02}"));
                }
                let champ_id = origin["champ_id"].as_str().unwrap_or_default();
                let index =
                    order.index(dossier_json, champ_id, original, f["ds_checksum"].as_str());
                suffix.push_str(&format!("-{index:02}"));
                let ctx = FileContext {
                    original_filename: original,
                    champ_label: label,
                };
                let default = format!("{}-{number}", pattern::libelle_as_filename(label));
                ("", named(item, ctx, &suffix, default))
            }
            "message" if t.messagerie => ("messagerie", sanitize_component(original, FILE_MAX)),
            "avis" if t.avis => ("avis", sanitize_component(original, FILE_MAX)),
            "motivation" if t.justificatif_motivation => {
                ("dossier", sanitize_component(original, FILE_MAX))
            }
            "company_certificate" if t.company_certificates => {
                // The demandeur's company and a SIRET champ naming the same
                // one carry the same certificate: one copy in the view.
                let name = sanitize_component(bag_name, FILE_MAX);
                if !certificates.insert((name.clone(), sha256.to_owned())) {
                    continue;
                }
                ("pieces_justificatives", name)
            }
            _ => continue,
        };
        let path = if section.is_empty() {
            names.file("", &name, FILE_MAX)
        } else {
            let dir = names.dir("", &format!("section:{section}"), section, FILE_MAX);
            format!("{dir}/{}", names.file(&dir, &name, FILE_MAX))
        };
        out.push(ViewFile {
            path,
            bag_path: bag_path.to_owned(),
            sha256: sha256.to_owned(),
        });
    }
    Ok(DossierPlan { folder, files: out })
}

/// DS's order inside a dossier: PDF, attestation, champs, annotations,
/// certificates, messagerie, avis, justificatif; then by bag path.
fn rank(f: &Value) -> u8 {
    match f["origin"]["kind"].as_str().unwrap_or_default() {
        "dossier_pdf" => 0,
        "attestation" => 1,
        "champ" => 2,
        "annotation" => 3,
        "company_certificate" => 4,
        "message" => 5,
        "avis" => 6,
        _ => 7,
    }
}

/// An extension worth keeping: a dot and 1-15 ASCII letters or digits
/// (`.pdf`, `.tar`), else none (`../../etc/passwd` has none).
fn extension(name: &str) -> Option<String> {
    let (_, ext) = split_ext(name);
    let tail = ext.strip_prefix('.')?;
    (!tail.is_empty() && tail.bytes().all(|b| b.is_ascii_alphanumeric())).then(|| ext.to_owned())
}

/// The place (1-based) of each file inside its champ, in DS's order (the
/// champ's `files` in `dossier.json`), matched by name and checksum.
#[derive(Default)]
struct FileOrder {
    taken: HashMap<String, Vec<bool>>,
    fallback: HashMap<String, usize>,
}

impl FileOrder {
    fn index(
        &mut self,
        dossier_json: &Value,
        champ_id: &str,
        name: &str,
        checksum: Option<&str>,
    ) -> usize {
        let files = find_champ(&dossier_json["dossier"], champ_id)
            .and_then(|c| c["files"].as_array())
            .map_or(&[][..], Vec::as_slice);
        let taken = self
            .taken
            .entry(champ_id.to_owned())
            .or_insert_with(|| vec![false; files.len()]);
        let hit = files.iter().enumerate().position(|(i, f)| {
            !taken[i] && f["filename"].as_str() == Some(name) && f["checksum"].as_str() == checksum
        });
        if let Some(i) = hit {
            taken[i] = true;
            return i + 1;
        }
        // Not found (a shape we do not know): after the ones found.
        let n = self
            .fallback
            .entry(champ_id.to_owned())
            .or_insert(files.len());
        *n += 1;
        *n
    }
}

/// The champ with GraphQL id `id`, anywhere in the dossier (rows included).
fn find_champ<'a>(dossier: &'a Value, id: &str) -> Option<&'a Value> {
    fn walk<'a>(champs: &'a Value, id: &str) -> Option<&'a Value> {
        for c in champs.as_array().map_or(&[][..], Vec::as_slice) {
            if c["id"].as_str() == Some(id) {
                return Some(c);
            }
            for row in c["rows"].as_array().map_or(&[][..], Vec::as_slice) {
                if let Some(found) = walk(&row["champs"], id) {
                    return Some(found);
                }
            }
        }
        None
    }
    walk(&dossier["champs"], id).or_else(|| walk(&dossier["annotations"], id))
}

#[cfg(test)]
mod tests;
