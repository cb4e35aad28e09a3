//! The shape of `data/metadata.json`, one Rust type per JSON object.
//!
//! Field order here is the key order of the JSON (serde keeps declaration
//! order) and the element order of the XML, so this file is the single
//! source of the documented layout (docs/metadata.md). `Option` fields that
//! are not marked `skip_serializing_if` are written as `null`: an archivist
//! reading the file must see that DS had no value, not wonder whether we
//! forgot the key. Types also deserialize (unknown keys refused) so `verify`
//! and the SEDA generator can read a bag's metadata back.

use serde::{Deserialize, Serialize};

use crate::model::{Format, Origin};

/// The metadata of one dossier, as written to `data/metadata.json` and
/// `data/metadata.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The `$id` of the JSON Schema this document follows ([`super::SCHEMA_VERSION`]).
    pub schema: String,
    /// The dossier number (`Dossier.number`).
    pub id: u64,
    /// `Dossier.dateDepot`: the API does not expose the draft's creation date.
    pub created_at: String,
    /// `Dossier.dateDerniereModification`.
    pub updated_at: String,
    /// `Dossier.archived` (DS's "à archiver" flag).
    pub archived: bool,
    /// `Dossier.usager.email`: the account that filed the dossier.
    pub email: String,
    /// Legacy state name (`initiated`, `received`, `closed`, `refused`, `without_continuation`).
    pub state: String,
    /// `Dossier.dateDepot`.
    pub initiated_at: String,
    /// `Dossier.datePassageEnInstruction`.
    pub received_at: Option<String>,
    /// `Dossier.dateTraitement`.
    pub processed_at: Option<String>,
    /// `Dossier.motivation`.
    pub motivation: Option<String>,
    /// `Dossier.instructeurs[].email`: the instructeurs following the dossier.
    pub email_instructeurs: Vec<String>,
    /// The v2 state name (`en_construction`, ...).
    pub ds_state: String,
    /// The French label DS shows for the state.
    pub ds_state_label: String,
    /// The démarche the dossier belongs to.
    pub demarche: DemarcheInfo,
    /// The instructor group handling the dossier.
    pub groupe_instructeur: GroupeInstructeurInfo,
    /// Who the dossier is for.
    pub demandeur: Demandeur,
    /// `Dossier.deposeParUnTiers`.
    pub deposited_by_third_party: Option<bool>,
    /// The third party who filed the dossier, when DS names one.
    pub mandataire: Option<Mandataire>,
    /// `emailAgentTraitant` of the decision in force (terminal states only).
    pub deciding_agent: Option<String>,
    /// `Dossier.traitements`, in DS's order.
    pub traitements: Vec<TraitementInfo>,
    /// `Dossier.labels`.
    pub labels: Vec<LabelInfo>,
    /// `Dossier.dateExpiration`.
    pub date_expiration: Option<String>,
    /// When the bag was made (RFC 3339).
    pub archived_at: String,
    /// The program that made it, e.g. `ds-archive 0.1.0`.
    pub software: String,
    /// Every file of the bag's payload except the metadata files, sorted by path.
    pub files: Vec<FileEntry>,
}

/// The démarche, from the run's démarche header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemarcheInfo {
    /// `Demarche.number`.
    pub number: u64,
    /// `Demarche.title`.
    pub title: String,
    /// `Demarche.service`, when the démarche has one.
    pub service: Option<ServiceInfo>,
}

/// The administration that runs the démarche.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceInfo {
    /// `Service.nom`.
    pub nom: String,
    /// `Service.organisme`.
    pub organisme: String,
    /// `Service.typeOrganisme` (API enum value).
    pub type_organisme: Option<String>,
    /// `Service.siret`.
    pub siret: Option<String>,
}

/// `Dossier.groupeInstructeur`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupeInstructeurInfo {
    /// `GroupeInstructeur.number`.
    pub number: u64,
    /// `GroupeInstructeur.label`.
    pub label: String,
}

/// `Dossier.demandeur`, by its GraphQL type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Demandeur {
    /// A person (`PersonnePhysique`).
    PersonnePhysique(PersonnePhysique),
    /// A company or association with its API Entreprise data (`PersonneMorale`).
    PersonneMorale(Box<PersonneMorale>),
    /// A SIRET whose company data DS has not fetched yet (`PersonneMoraleIncomplete`).
    PersonneMoraleIncomplete {
        /// `PersonneMoraleIncomplete.siret`.
        siret: String,
    },
}

impl Demandeur {
    /// The discriminator written as `type` (JSON) or as the child element name (XML).
    #[must_use]
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::PersonnePhysique(_) => "personne_physique",
            Self::PersonneMorale(_) => "personne_morale",
            Self::PersonneMoraleIncomplete { .. } => "personne_morale_incomplete",
        }
    }
}

/// Identity of a demandeur who is a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonnePhysique {
    /// `civilite` (`M`, `Mme`).
    pub civilite: Option<String>,
    /// `nom`.
    pub nom: String,
    /// `prenom`.
    pub prenom: String,
    /// `email`: the beneficiary's e-mail, may differ from the account's.
    pub email: Option<String>,
    /// `dateDeNaissance` (`YYYY-MM-DD`).
    pub date_de_naissance: Option<String>,
}

/// Identity of a demandeur who is a company, an association or an administration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonneMorale {
    /// `siret`.
    pub siret: String,
    /// `siegeSocial`.
    pub siege_social: Option<bool>,
    /// `naf`.
    pub naf: Option<String>,
    /// `libelleNaf`.
    pub libelle_naf: Option<String>,
    /// `address.label`.
    pub adresse: Option<String>,
    /// `address.postalCode`.
    pub code_postal: Option<String>,
    /// `address.cityName`.
    pub commune: Option<String>,
    /// `address.cityCode` (INSEE code).
    pub code_insee: Option<String>,
    /// `entreprise.siren`.
    pub siren: Option<String>,
    /// `entreprise.raisonSociale`.
    pub raison_sociale: Option<String>,
    /// `entreprise.nomCommercial`.
    pub nom_commercial: Option<String>,
    /// `entreprise.formeJuridique`.
    pub forme_juridique: Option<String>,
    /// `entreprise.numeroTvaIntracommunautaire`.
    pub numero_tva_intracommunautaire: Option<String>,
    /// `entreprise.etatAdministratif`.
    pub etat_administratif: Option<String>,
    /// `association.rna`.
    pub association_rna: Option<String>,
    /// `association.titre`.
    pub association_titre: Option<String>,
}

/// The person who filed the dossier on the demandeur's behalf.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mandataire {
    /// `prenomMandataire`.
    pub prenom: Option<String>,
    /// `nomMandataire`.
    pub nom: Option<String>,
}

/// One entry of `Dossier.traitements`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraitementInfo {
    /// `event` (`depose`, `passe_en_instruction`, `accepte`, ...).
    pub event: String,
    /// `dateTraitement`.
    pub date: String,
    /// `emailAgentTraitant`; null for automatic transitions and the usager's own.
    pub agent: Option<String>,
    /// `motivation`.
    pub motivation: Option<String>,
}

/// One entry of `Dossier.labels`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelInfo {
    /// `name`.
    pub name: String,
    /// `color` (API enum value).
    pub color: Option<String>,
}

/// One file of the bag. `verify` and the SEDA generator rely on these exact keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    /// Path in the bag, `data/...`.
    pub path: String,
    /// The name the usager uploaded (or DS gave), raw.
    pub original_filename: String,
    /// The MIME type DS recorded.
    pub content_type: String,
    /// Bytes written.
    pub size: u64,
    /// DS's base64 MD5; empty for generated files (dossier PDF).
    pub ds_checksum: String,
    /// Lowercase hex SHA-256 of the bytes written.
    pub sha256: String,
    /// Lowercase hex SHA-512, when computed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
    /// DS's blob creation time, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    /// Where the file was found in the dossier.
    pub origin: Origin,
    /// The format its bytes tell, identified at archive time; absent in
    /// bags archived before ds-archive identified formats.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<Format>,
}
