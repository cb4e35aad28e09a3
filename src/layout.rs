//! Where each attachment of a dossier goes inside its bag.
//!
//! Pure: a list of [`Attachment`]s in, one bag-relative path per attachment
//! out (`data/<section>/...`), in the same order. The layout mirrors DS's own
//! zips (sections named by [`Origin::section`]) with one folder per holder
//! (champ, repetition row, message, avis) so an instructeur finds files where
//! they expect them. Every component is sanitised ([`sanitize_component`]),
//! paths are unique even on case-insensitive or normalising filesystems, and
//! the whole path fits a budget that keeps extraction on Windows possible.
//! The full rules are in `docs/bundle-format.md`. Downloading and writing the
//! files is not this module's job; neither are the metadata files that live
//! directly under `data/` (they never clash: planned paths always have a
//! section folder).

mod namespace;
mod sanitize;

use base64::Engine as _;

pub use namespace::{fold, Namespace};
pub use sanitize::{is_windows_reserved, sanitize_component, split_ext, FALLBACK};

use crate::model::{Attachment, ChampRef, Origin};

/// The run-level folder of the démarche's own documents (notice,
/// délibération, logo, `demarche.json`), beside the dossier bundles.
pub const DEMARCHE_DIR: &str = "demarche";

/// Budget for a planned path (`data/...`), in UTF-8 bytes. With the bag
/// folder `dossier-<N>/` (at most 29 bytes) a path inside an extracted zip
/// stays under 210 bytes, leaving 50 for the folder it is extracted into
/// before Windows' 260-character `MAX_PATH` (UTF-8 bytes ≥ UTF-16 units).
pub const BAG_PATH_MAX_BYTES: usize = 180;

/// Cap of a repetition row folder (`<block label>-<row>`).
const ROW_DIR_MAX: usize = 40;
/// Cap of a champ folder (the champ label).
const CHAMP_DIR_MAX: usize = 60;
/// Cap of a message or avis folder.
const HOLDER_DIR_MAX: usize = 40;
/// Cap of any file name (filesystems' limit).
const FILE_NAME_MAX: usize = 255;

/// The bag folder of a dossier: `dossier-<N>`, as in DS's exports.
#[must_use]
pub fn dossier_dir_name(number: u64) -> String {
    format!("dossier-{number}")
}

/// The bag path (`data/<section>/.../<file>`) of each attachment, same order.
///
/// Deterministic: the same list gives the same paths; within a clash the
/// earlier attachment keeps the plain name.
#[must_use]
pub fn plan(attachments: &[Attachment]) -> Vec<String> {
    let mut ns = Namespace::default();
    attachments
        .iter()
        .map(|a| {
            let mut dir = format!("data/{}", a.origin.section());
            for spec in holder_dirs(&a.origin) {
                let wanted = spec.wanted;
                let name = ns.dir(&dir, &spec.key, &wanted, spec.max);
                dir = format!("{dir}/{name}");
            }
            let room = BAG_PATH_MAX_BYTES
                .saturating_sub(dir.len() + 1)
                .min(FILE_NAME_MAX);
            let wanted = sanitize_component(&file_name(a), room);
            let name = ns.file(&dir, &wanted, room);
            format!("{dir}/{name}")
        })
        .collect()
}

/// One folder level between the section and the file.
struct DirSpec {
    /// Identity of the holder, so two holders with the same label get two
    /// folders and one holder always gets the same folder.
    key: String,
    /// Sanitised wanted name, at most `max` bytes.
    wanted: String,
    max: usize,
}

fn holder_dirs(origin: &Origin) -> Vec<DirSpec> {
    match origin {
        Origin::Champ(c) | Origin::Annotation(c) => champ_dirs(c),
        Origin::CompanyCertificate { champ, .. } => {
            champ.as_ref().map(champ_dirs).unwrap_or_default()
        }
        Origin::Message {
            message_id,
            created_at,
            ..
        } => {
            let wanted = format!("{}-{}", date_part(created_at), short_id(message_id));
            vec![DirSpec {
                key: format!("message:{message_id}"),
                wanted: sanitize_component(&wanted, HOLDER_DIR_MAX),
                max: HOLDER_DIR_MAX,
            }]
        }
        Origin::Avis { avis_id, .. } => vec![DirSpec {
            key: format!("avis:{avis_id}"),
            wanted: sanitize_component(&format!("avis-{}", short_id(avis_id)), HOLDER_DIR_MAX),
            max: HOLDER_DIR_MAX,
        }],
        Origin::Motivation | Origin::Attestation | Origin::DossierPdf => Vec::new(),
    }
}

/// `[<block label>-<row>/]<champ label>`.
fn champ_dirs(c: &ChampRef) -> Vec<DirSpec> {
    let mut dirs = Vec::with_capacity(2);
    if c.row.is_some() || c.repetition_label.is_some() || c.row_id.is_some() {
        let block = c.repetition_label.as_deref().unwrap_or("repetition");
        let row = c.row.map_or_else(|| "0".to_owned(), |r| format!("{r:02}"));
        let label = sanitize_component(block, ROW_DIR_MAX - row.len() - 1);
        let row_key = c.row_id.clone().unwrap_or_else(|| row.clone());
        dirs.push(DirSpec {
            key: format!("row:{block}:{row_key}"),
            wanted: sanitize_component(&format!("{label}-{row}"), ROW_DIR_MAX),
            max: ROW_DIR_MAX,
        });
    }
    let id = if c.champ_descriptor_id.is_empty() {
        &c.champ_id
    } else {
        &c.champ_descriptor_id
    };
    dirs.push(DirSpec {
        key: format!("champ:{id}"),
        wanted: sanitize_component(&c.label, CHAMP_DIR_MAX),
        max: CHAMP_DIR_MAX,
    });
    dirs
}

/// The file name before sanitising: the usager's name, prefixed for the
/// decision files, replaced for company certificates.
fn file_name(a: &Attachment) -> String {
    let prefixed = |prefix: &str| {
        let lower = a.filename.to_lowercase();
        if lower.starts_with(prefix) {
            a.filename.clone()
        } else {
            format!("{prefix}-{}", a.filename)
        }
    };
    match &a.origin {
        Origin::Motivation => prefixed("motivation"),
        Origin::Attestation => prefixed("attestation"),
        Origin::CompanyCertificate {
            certificate, siret, ..
        } => {
            let (_, ext) = split_ext(&a.filename);
            format!("{certificate}-{siret}{ext}")
        }
        _ => a.filename.clone(),
    }
}

/// `2024-03-05T10:20:30+01:00` → `2024-03-05_10-20-30` (local time of the
/// API's answer, which is what DS shows); anything unexpected → `message`.
fn date_part(created_at: &str) -> String {
    let head: String = created_at.chars().take(19).collect();
    let b = head.as_bytes();
    let looks_like_date = b.len() == 19
        && b.iter().enumerate().all(|(i, ch)| match i {
            4 | 7 => *ch == b'-',
            10 => *ch == b'T' || *ch == b' ',
            13 | 16 => *ch == b':',
            _ => ch.is_ascii_digit(),
        });
    if looks_like_date {
        head.replace(['T', ' '], "_").replace(':', "-")
    } else {
        "message".to_owned()
    }
}

/// A short readable form of a GraphQL id: DS ids are base64 of
/// `<Type>-<number>`, so the number; otherwise the last 12 characters.
fn short_id(id: &str) -> String {
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(id)
        .ok()
        .and_then(|b| String::from_utf8(b).ok());
    if let Some(num) = decoded
        .as_deref()
        .and_then(|d| d.rsplit_once('-'))
        .map(|(_, n)| n)
        .filter(|n| !n.is_empty() && n.len() <= 20 && n.bytes().all(|b| b.is_ascii_digit()))
    {
        return num.to_owned();
    }
    let chars: Vec<char> = id.chars().collect();
    chars[chars.len().saturating_sub(12)..].iter().collect()
}

#[cfg(test)]
mod tests;
