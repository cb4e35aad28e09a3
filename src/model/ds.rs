//! Typed views of DS's answers: the parts we act on, with every field we rely
//! on required.
//!
//! A field DS's schema declares non-null can still be missing from an answer:
//! a query that stops selecting it, a DS change, a proxy that rewrites JSON.
//! Read leniently, such an answer shrinks an archive without a word (a file
//! without `url` left out of the bag, a missing checksum skipping the check).
//! Here it is an error that names the culprit by its JSON path, so the
//! dossier (or the page) fails with a reason. Fields we do not act on stay
//! untyped: the raw JSON is what `dossier.json` keeps.
//!
//! A nullable field is still required to be *present* ([`nullable`]): `null`
//! says "DS has none", absence says "nobody asked", and only the first is an
//! answer.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// An answer from DS that cannot be acted on: where, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unexpected DS answer at `{path}`: {message}")]
pub struct ParseError {
    /// JSON path of the culprit (`dossier.champs[2].files[0]`).
    pub path: String,
    /// What is wrong with it (`missing field \`checksum\``).
    pub message: String,
}

/// Deserialize `value` (found at JSON path `at`) into `T`; an error carries
/// the full path of the culprit.
///
/// # Errors
/// A missing or mistyped field, with its path.
pub fn parse<T: DeserializeOwned>(value: &Value, at: &str) -> Result<T, ParseError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = match inner.as_str() {
            "." => at.to_owned(),
            p if p.starts_with('[') || at.is_empty() => format!("{at}{p}"),
            p => format!("{at}.{p}"),
        };
        ParseError {
            path,
            message: e.into_inner().to_string(),
        }
    })
}

/// A key that must be present, with `null` allowed: serde's own `Option`
/// handling would take a missing key for `null`.
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

/// With `default`: `None` when the key is absent, `Some(None)` when null.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A `BigInt` (DS sends it as a string of digits; a number is taken too).
fn big_int<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Number(u64),
    }
    match Raw::deserialize(d) {
        Ok(Raw::Number(n)) => Ok(n),
        Ok(Raw::Text(s)) => s
            .trim()
            .parse()
            .map_err(|_| D::Error::custom(format!("`{s}` is not a byte count"))),
        Err(_) => Err(D::Error::custom("expected a byte count (BigInt string)")),
    }
}

/// One `File` node, every field of `FileFragment` required.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FileNode {
    pub filename: String,
    pub content_type: String,
    /// Empty only for files DS generates (see [`Stored`]).
    pub checksum: String,
    #[serde(deserialize_with = "big_int")]
    pub byte_size_big_int: u64,
    pub url: String,
    pub created_at: String,
    pub virus_scan_result: String,
}

/// A `File` DS stores (an upload, a certificate, an attestation): its
/// checksum is DS's word on the bytes, so an empty one is an error. Only the
/// dossier PDF, rendered at each download, has none; it is a bare
/// [`FileNode`], decided by where it sits, not by its empty checksum.
#[derive(Debug, Clone)]
pub(crate) struct Stored(pub FileNode);

impl<'de> Deserialize<'de> for Stored {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let file = FileNode::deserialize(d)?;
        if file.checksum.trim().is_empty() {
            return Err(D::Error::custom(format!(
                "`{}` has an empty checksum: only the dossier PDF DS generates may lack one",
                file.filename
            )));
        }
        Ok(Self(file))
    }
}

/// The dossier fields the pipeline acts on.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DossierNode {
    pub number: u64,
    pub date_derniere_modification: String,
    pub champs: Vec<Champ>,
    pub annotations: Vec<Champ>,
    pub demandeur: Demandeur,
    pub messages: Vec<Message>,
    pub avis: Vec<Avis>,
    #[serde(deserialize_with = "nullable")]
    pub motivation_attachment: Option<Stored>,
    #[serde(deserialize_with = "nullable")]
    pub attestation: Option<Stored>,
    #[serde(deserialize_with = "nullable")]
    pub pdf: Option<FileNode>,
}

/// A champ: its identity, and whatever holds files in it. Which parts must
/// be there depends on its `__typename`.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawChamp")]
pub(crate) struct Champ {
    pub id: String,
    pub champ_descriptor_id: String,
    pub label: String,
    pub files: Vec<Stored>,
    pub etablissement: Option<PersonneMorale>,
    pub rows: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawChamp {
    #[serde(rename = "__typename")]
    typename: String,
    id: String,
    champ_descriptor_id: String,
    label: String,
    #[serde(default)]
    files: Option<Vec<Stored>>,
    #[serde(default, deserialize_with = "present")]
    etablissement: Option<Option<PersonneMorale>>,
    #[serde(default)]
    rows: Option<Vec<Row>>,
}

impl TryFrom<RawChamp> for Champ {
    type Error = String;

    fn try_from(raw: RawChamp) -> Result<Self, String> {
        // The part that holds files in each champ type that has one.
        let absent = match raw.typename.as_str() {
            "PieceJustificativeChamp" => raw.files.is_none().then_some("files"),
            "SiretChamp" => raw.etablissement.is_none().then_some("etablissement"),
            "RepetitionChamp" => raw.rows.is_none().then_some("rows"),
            _ => None,
        };
        if let Some(field) = absent {
            return Err(format!(
                "a {} without `{field}` (champ `{}`, \"{}\")",
                raw.typename, raw.id, raw.label
            ));
        }
        Ok(Self {
            id: raw.id,
            champ_descriptor_id: raw.champ_descriptor_id,
            label: raw.label,
            files: raw.files.unwrap_or_default(),
            etablissement: raw.etablissement.flatten(),
            rows: raw.rows.unwrap_or_default(),
        })
    }
}

/// A row of a repetition block.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Row {
    pub id: String,
    pub champs: Vec<Champ>,
}

/// A company (SIRET champ, or the demandeur): its API Entreprise certificates.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PersonneMorale {
    pub siret: String,
    #[serde(deserialize_with = "nullable")]
    pub entreprise: Option<Entreprise>,
}

/// The certificates of a company, null until API Entreprise provides them.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entreprise {
    #[serde(deserialize_with = "nullable")]
    pub attestation_fiscale_attachment: Option<Stored>,
    #[serde(deserialize_with = "nullable")]
    pub attestation_sociale_attachment: Option<Stored>,
}

/// The demandeur: only a company (`PersonneMorale`) holds files.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawDemandeur")]
pub(crate) struct Demandeur {
    pub company: Option<PersonneMorale>,
}

#[derive(Deserialize)]
struct RawDemandeur {
    #[serde(rename = "__typename")]
    typename: String,
    #[serde(default)]
    siret: Option<String>,
    #[serde(default, deserialize_with = "present")]
    entreprise: Option<Option<Entreprise>>,
}

impl TryFrom<RawDemandeur> for Demandeur {
    type Error = String;

    fn try_from(raw: RawDemandeur) -> Result<Self, String> {
        if raw.typename != "PersonneMorale" {
            return Ok(Self { company: None });
        }
        let (Some(siret), Some(entreprise)) = (raw.siret, raw.entreprise) else {
            return Err("a PersonneMorale demandeur without `siret` or `entreprise`".into());
        };
        Ok(Self {
            company: Some(PersonneMorale { siret, entreprise }),
        })
    }
}

/// A message of the messagerie.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Message {
    pub id: String,
    pub email: String,
    pub created_at: String,
    pub attachments: Vec<Stored>,
}

/// An expert's avis.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Avis {
    pub id: String,
    #[serde(deserialize_with = "nullable")]
    pub expert: Option<Profile>,
    pub attachments: Vec<Stored>,
}

/// A DS account.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Profile {
    pub email: String,
}

/// The cursor part of a connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    pub has_next_page: bool,
    #[serde(deserialize_with = "nullable")]
    pub end_cursor: Option<String>,
}

/// A connection: its nodes stay raw (each is parsed on its own, so a
/// dossier's own data can fail that dossier rather than its page).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Connection {
    pub page_info: PageInfo,
    pub nodes: Vec<Value>,
}

/// What a listed dossier must have before it can be handled at all.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ListedNode {
    pub number: u64,
}

/// A deleted dossier, every field required.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DeletedNode {
    pub number: u64,
    pub reason: String,
    pub date_supression: String,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn errors_name_the_full_json_path() {
        let v = json!({"pageInfo": {"endCursor": "x"}, "nodes": []});
        let e = parse::<Connection>(&v, "demarche.dossiers").unwrap_err();
        assert_eq!(e.path, "demarche.dossiers.pageInfo");
        assert!(e.message.contains("hasNextPage"), "{e}");
        let v = json!({"pageInfo": {"hasNextPage": null, "endCursor": "x"}, "nodes": []});
        let e = parse::<Connection>(&v, "demarche.dossiers").unwrap_err();
        assert_eq!(e.path, "demarche.dossiers.pageInfo.hasNextPage");
        let e = parse::<Vec<ListedNode>>(&json!([{"number": 1}, {"id": "x"}]), "n").unwrap_err();
        assert_eq!(e.path, "n[1]");
        assert!(e.message.contains("number"), "{e}");
    }

    #[test]
    fn a_nullable_key_must_still_be_there() {
        let v = json!({"pageInfo": {"hasNextPage": false}, "nodes": []});
        let e = parse::<Connection>(&v, "c").unwrap_err();
        assert!(e.message.contains("endCursor"), "{e}");
        let v = json!({"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []});
        assert!(parse::<Connection>(&v, "c")
            .unwrap()
            .page_info
            .end_cursor
            .is_none());
    }

    #[test]
    fn sizes_are_byte_counts() {
        let file = |size: Value| {
            json!({"filename": "a", "contentType": "t", "checksum": "c", "byteSizeBigInt": size,
                   "url": "u", "createdAt": "d", "virusScanResult": "safe"})
        };
        assert_eq!(
            parse::<FileNode>(&file(json!("12")), "f")
                .unwrap()
                .byte_size_big_int,
            12
        );
        assert_eq!(
            parse::<FileNode>(&file(json!(12)), "f")
                .unwrap()
                .byte_size_big_int,
            12
        );
        let e = parse::<FileNode>(&file(json!("douze")), "f").unwrap_err();
        assert_eq!(e.path, "f.byteSizeBigInt");
        assert!(parse::<FileNode>(&file(json!(null)), "f").is_err());
    }
}
