//! What a template is checked against: the démarche's champs (every
//! revision), read from the archive's own bags.
//!
//! Every bag's `data/dossier.json` carries the démarche header with all its
//! revisions as they were when the bag was made, so the bag made last knows
//! every champ the others know. Finding it reads each `bag-info.txt`
//! (`Bagging-Date`), a few hundred bytes, then one `dossier.json`.

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::bagit::bundles::{discover, BagReader, FoundBundle};

/// One champ or annotation descriptor, merged over the revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChampInfo {
    /// DS's stable id (`Champ-<id>`).
    pub stable_id: u64,
    /// The label of the latest revision that has it.
    pub label: String,
    /// The descriptor type without `ChampDescriptor` (`PieceJustificative`).
    pub kind: String,
    /// A private annotation rather than a champ of the form.
    pub annotation: bool,
    /// The repetition block holding it, if any.
    pub parent: Option<u64>,
}

impl ChampInfo {
    /// A pièce justificative champ (what a `[[pj]]` entry names).
    #[must_use]
    pub fn is_pj(&self) -> bool {
        self.kind == "PieceJustificative"
    }
}

/// The démarche as the archive knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Descriptor {
    /// The démarche number.
    pub number: u64,
    /// Its title.
    pub title: String,
    /// Champs then annotations, in form order, first appearance kept.
    pub champs: Vec<ChampInfo>,
}

/// The stable id inside a GraphQL champ id: `Q2hhbXAtMTQ=` (`Champ-14`) → 14,
/// `Champ-30|<row>` → 30.
#[must_use]
pub fn stable_id(graphql_id: &str) -> Option<u64> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(graphql_id)
        .ok()?;
    let text = String::from_utf8(raw).ok()?;
    let rest = text.strip_prefix("Champ-")?;
    rest.split('|').next()?.parse().ok()
}

impl Descriptor {
    /// Read from a démarche header (`dossier.json`'s `demarche`).
    #[must_use]
    pub fn from_header(header: &Value) -> Self {
        let mut d = Self {
            number: header["number"].as_u64().unwrap_or_default(),
            title: header["title"].as_str().unwrap_or_default().to_owned(),
            champs: Vec::new(),
        };
        let revisions = header["revisions"]
            .as_array()
            .map_or(&[][..], Vec::as_slice);
        for key in ["champDescriptors", "annotationDescriptors"] {
            for rev in revisions {
                for c in rev[key].as_array().map_or(&[][..], Vec::as_slice) {
                    d.add(c, key == "annotationDescriptors", None);
                }
            }
        }
        d
    }

    fn add(&mut self, c: &Value, annotation: bool, parent: Option<u64>) {
        let Some(id) = c["id"].as_str().and_then(stable_id) else {
            return;
        };
        let info = ChampInfo {
            stable_id: id,
            label: c["label"].as_str().unwrap_or_default().to_owned(),
            kind: c["__typename"]
                .as_str()
                .unwrap_or_default()
                .trim_end_matches("ChampDescriptor")
                .to_owned(),
            annotation,
            parent,
        };
        match self.champs.iter_mut().find(|k| k.stable_id == id) {
            Some(known) => known.label = info.label,
            None => self.champs.push(info),
        }
        for child in c["champDescriptors"]
            .as_array()
            .map_or(&[][..], Vec::as_slice)
        {
            self.add(child, annotation, Some(id));
        }
    }

    /// The champ with this stable id.
    #[must_use]
    pub fn champ(&self, stable_id: u64) -> Option<&ChampInfo> {
        self.champs.iter().find(|c| c.stable_id == stable_id)
    }

    /// The pièce justificative champs, in form order.
    pub fn pjs(&self) -> impl Iterator<Item = &ChampInfo> {
        self.champs.iter().filter(|c| c.is_pj())
    }
}

/// Why the démarche could not be read from an archive folder.
#[derive(Debug, thiserror::Error)]
pub enum DescriptorError {
    /// The folder cannot be listed.
    #[error("cannot list `{}`: {source}", path.display())]
    List {
        /// The folder.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// No `dossier-N` bundle in it.
    #[error("`{}` holds no dossier bundle (no dossier-N folder or dossier-N.zip)", .0.display())]
    NoBundle(std::path::PathBuf),
    /// The newest bundle's `dossier.json` cannot be read.
    #[error("dossier {number}: `data/dossier.json` of `{}`: {message}", path.display())]
    Unreadable {
        /// The dossier.
        number: u64,
        /// The bundle.
        path: std::path::PathBuf,
        /// Why.
        message: String,
    },
}

/// The archive's bundles (latest version of each dossier) and the démarche
/// as the most recently made bag describes it.
///
/// # Errors
/// The folder cannot be listed, has no bundle, or the newest bag's
/// `dossier.json` cannot be read.
pub fn from_archive(dir: &Path) -> Result<(Descriptor, Vec<FoundBundle>), DescriptorError> {
    let found = discover(dir).map_err(|source| DescriptorError::List {
        path: dir.to_owned(),
        source,
    })?;
    let newest = found
        .iter()
        .max_by_key(|f| (bagging_date(f), f.number))
        .ok_or_else(|| DescriptorError::NoBundle(dir.to_owned()))?;
    let unreadable = |message: String| DescriptorError::Unreadable {
        number: newest.number,
        path: newest.location.path().to_owned(),
        message,
    };
    let mut bag = BagReader::open(&newest.location).map_err(|e| unreadable(e.to_string()))?;
    let json = bag
        .read_json("data/dossier.json")
        .map_err(|e| unreadable(e.to_string()))?;
    Ok((Descriptor::from_header(&json["demarche"]), found))
}

/// `Bagging-Date` of a bundle (RFC 3339 sorts as text within one offset;
/// a bag without one sorts first).
fn bagging_date(f: &FoundBundle) -> String {
    let Ok(mut bag) = BagReader::open(&f.location) else {
        return String::new();
    };
    let text = bag.read("bag-info.txt").unwrap_or_default();
    String::from_utf8_lossy(&text)
        .lines()
        .find_map(|l| l.strip_prefix("Bagging-Date:"))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stable_ids_come_from_graphql_ids() {
        assert_eq!(stable_id("Q2hhbXAtMTQ="), Some(14));
        assert_eq!(
            stable_id("Q2hhbXAtMzB8VW05M0xURXdNekF3TURJdE1RPT0="),
            Some(30)
        );
        assert_eq!(stable_id("nope"), None);
    }

    #[test]
    fn revisions_merge_keeping_order_and_latest_label() {
        let header = json!({"number": 7, "title": "T", "revisions": [
            {"champDescriptors": [
                {"__typename": "PieceJustificativeChampDescriptor", "id": "Q2hhbXAtMTQ=", "label": "Old"},
                {"__typename": "RepetitionChampDescriptor", "id": "Q2hhbXAtMjg=", "label": "Rows",
                 "champDescriptors": [{"__typename": "PieceJustificativeChampDescriptor", "id": "Q2hhbXAtMzA=", "label": "CV"}]}
            ], "annotationDescriptors": []},
            {"champDescriptors": [
                {"__typename": "TextChampDescriptor", "id": "Q2hhbXAtMg==", "label": "Nom"},
                {"__typename": "PieceJustificativeChampDescriptor", "id": "Q2hhbXAtMTQ=", "label": "New"}
            ], "annotationDescriptors": [
                {"__typename": "PieceJustificativeChampDescriptor", "id": "Q2hhbXAtMTAz", "label": "Rapport"}
            ]}
        ]});
        let d = Descriptor::from_header(&header);
        let ids: Vec<u64> = d.champs.iter().map(|c| c.stable_id).collect();
        assert_eq!(ids, [14, 28, 30, 2, 103]);
        assert_eq!(d.champ(14).unwrap().label, "New");
        assert_eq!(d.champ(30).unwrap().parent, Some(28));
        assert!(d.champ(103).unwrap().annotation);
        assert_eq!(d.pjs().count(), 3);
    }
}
