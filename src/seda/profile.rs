//! The archiving profile's required elements, checked before a SIP is
//! written.
//!
//! An archiving profile (As@lae "profil d'archives", Vitam "profil
//! d'archivage") makes some optional SEDA elements mandatory; the SAE rejects
//! a whole transfer that lacks one, after upload. The archivist lists them in
//! the configuration (`required_elements`) and ds-archive checks them first:
//! an element the configuration itself must provide (`ArchivalProfile`, a
//! rule) stops the command at start; an element a dossier lacks (no
//! demandeur to name, no dates) skips that dossier with a [`ProfileError`]
//! naming the dossier and the element. Only elements ds-archive can write are
//! accepted, so a requirement it could never meet is refused at start too.

use std::fmt;

use serde::Deserialize;

use super::config::SedaConfig;
use super::plan::DossierUnit;
use super::xml::CODE_LISTS;

/// A SEDA element an archiving profile can make mandatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum RequiredElement {
    /// `ManagementMetadata/ArchivalProfile` (config `archival_profile`).
    ArchivalProfile,
    /// An `AppraisalRule` (config `[appraisal_rule]`).
    AppraisalRule,
    /// An `AccessRule` (config `[access_rule]`).
    AccessRule,
    /// The demandeur, as the dossier unit's `Sender`.
    Sender,
    /// The démarche's service, as the dossier unit's `Addressee`.
    Addressee,
    /// At least one `Event` on the dossier unit.
    Event,
    /// The dossier unit's `StartDate`.
    StartDate,
    /// The dossier unit's `EndDate`.
    EndDate,
    /// At least one `Keyword` on the dossier unit.
    Keyword,
}

impl RequiredElement {
    /// The SEDA element name.
    #[must_use]
    pub fn seda_name(self) -> &'static str {
        match self {
            Self::ArchivalProfile => "ArchivalProfile",
            Self::AppraisalRule => "AppraisalRule",
            Self::AccessRule => "AccessRule",
            Self::Sender => "Sender",
            Self::Addressee => "Addressee",
            Self::Event => "Event",
            Self::StartDate => "StartDate",
            Self::EndDate => "EndDate",
            Self::Keyword => "Keyword",
        }
    }
}

impl fmt::Display for RequiredElement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.seda_name())
    }
}

/// Every element name ds-archive may write in a manifest (src/seda/xml.rs),
/// besides the `CodeListVersions` children xml.rs lists once (`CODE_LISTS`):
/// a profile file may require any of these. Those that depend on the
/// dossier or the configuration and map to a [`RequiredElement`] are
/// checked by [`check_config`] and [`check_dossier`]; the others are either
/// always written or (inside an agent, an event, a rule, an object's format)
/// left to the validation of each manifest against the profile file.
pub const WRITTEN: &[&str] = &[
    "ArchiveTransfer",
    "Comment",
    "Date",
    "MessageIdentifier",
    "ArchivalAgreement",
    "CodeListVersions",
    "DataObjectPackage",
    "DataObjectGroup",
    "BinaryDataObject",
    "DataObjectVersion",
    "Uri",
    "MessageDigest",
    "Size",
    "FormatIdentification",
    "FormatLitteral",
    "MimeType",
    "FormatId",
    "FileInfo",
    "Filename",
    "LastModified",
    "DescriptiveMetadata",
    "ArchiveUnit",
    "Management",
    "AppraisalRule",
    "AccessRule",
    "Rule",
    "StartDate",
    "FinalAction",
    "Content",
    "DescriptionLevel",
    "Title",
    "OriginatingAgencyArchiveUnitIdentifier",
    "Description",
    "Keyword",
    "KeywordContent",
    "KeywordType",
    "Addressee",
    "Transmitter",
    "Sender",
    "FirstName",
    "FullName",
    "GivenName",
    "Corpname",
    "Identifier",
    "Role",
    "EndDate",
    "Event",
    "EventTypeCode",
    "EventType",
    "EventDateTime",
    "EventDetail",
    "Outcome",
    "LinkingAgentIdentifier",
    "LinkingAgentIdentifierType",
    "LinkingAgentIdentifierValue",
    "LinkingAgentRole",
    "DataObjectReference",
    "DataObjectGroupReferenceId",
    "ManagementMetadata",
    "ArchivalProfile",
    "OriginatingAgencyIdentifier",
    "SubmissionAgencyIdentifier",
    "ArchivalAgency",
    "TransferringAgency",
];

/// Whether ds-archive may write an element of this name in a manifest
/// ([`WRITTEN`] and the `CodeListVersions` children).
#[must_use]
pub fn is_written(name: &str) -> bool {
    WRITTEN.contains(&name) || CODE_LISTS.contains(&name)
}

/// The [`RequiredElement`]s a profile file's requirements (see
/// [`super::profile_rng`]) call for: an element maps to one by its name and
/// the element it sits in (`ArchivalProfile` in `ManagementMetadata`, a
/// rule in `ManagementMetadata` or `Management`, `Sender`, `Addressee`,
/// `Event`, `StartDate`, `EndDate`, `Keyword` in an archive unit's
/// `Content`). Any other element ds-archive writes needs no check here.
///
/// # Errors
/// The elements ds-archive never writes, with where the profile wants them:
/// no SIP could satisfy the profile.
pub fn from_profile_file(
    required: &[super::profile_rng::Required],
) -> Result<Vec<RequiredElement>, String> {
    use RequiredElement as R;
    let mut out = Vec::new();
    let mut never = Vec::new();
    for r in required {
        let element = match (r.parent(), r.name.as_str()) {
            ("ManagementMetadata", "ArchivalProfile") => Some(R::ArchivalProfile),
            ("ManagementMetadata" | "Management", "AppraisalRule") => Some(R::AppraisalRule),
            ("ManagementMetadata" | "Management", "AccessRule") => Some(R::AccessRule),
            ("Content", "Sender") => Some(R::Sender),
            ("Content", "Addressee") => Some(R::Addressee),
            ("Content", "Event") => Some(R::Event),
            ("Content", "StartDate") => Some(R::StartDate),
            ("Content", "EndDate") => Some(R::EndDate),
            ("Content", "Keyword") => Some(R::Keyword),
            (_, name) if is_written(name) => None,
            _ => {
                never.push(format!("`{}` (at {})", r.name, r.path));
                None
            }
        };
        if let Some(e) = element.filter(|e| !out.contains(e)) {
            out.push(e);
        }
    }
    if never.is_empty() {
        Ok(out)
    } else {
        Err(format!(
            "it requires what ds-archive never writes: {}",
            never.join(", ")
        ))
    }
}

/// A required element that is missing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProfileError {
    /// The configuration does not provide it.
    #[error("the archiving profile requires `{element}` but the configuration has no `{key}`")]
    Config {
        /// The element.
        element: RequiredElement,
        /// The configuration key that would provide it.
        key: &'static str,
    },
    /// One dossier cannot provide it.
    #[error("dossier {dossier}: the archiving profile requires `{element}`, {why}")]
    Dossier {
        /// The dossier number.
        dossier: u64,
        /// The element.
        element: RequiredElement,
        /// Why this dossier has none.
        why: &'static str,
    },
}

/// Check the elements the configuration must provide.
///
/// # Errors
/// The first required element the configuration lacks.
pub fn check_config(config: &SedaConfig) -> Result<(), ProfileError> {
    for &element in &config.required_elements {
        let (present, key) = match element {
            RequiredElement::ArchivalProfile => {
                (config.archival_profile.is_some(), "archival_profile")
            }
            RequiredElement::AppraisalRule => (config.appraisal_rule.is_some(), "[appraisal_rule]"),
            RequiredElement::AccessRule => (config.access_rule.is_some(), "[access_rule]"),
            _ => continue,
        };
        if !present {
            return Err(ProfileError::Config { element, key });
        }
    }
    Ok(())
}

/// Check the elements a dossier unit must carry.
///
/// # Errors
/// The first required element the unit lacks.
pub fn check_dossier(unit: &DossierUnit, config: &SedaConfig) -> Result<(), ProfileError> {
    for &element in &config.required_elements {
        let missing = match element {
            RequiredElement::Sender if unit.parties.sender.is_none() => {
                Some(if config.personal_names {
                    "and the bag's metadata names no demandeur"
                } else {
                    "and `personal_names = false` leaves a demandeur who is a person unnamed"
                })
            }
            RequiredElement::Addressee if unit.parties.addressee.is_none() => {
                Some("and the bag's metadata names no service for the démarche")
            }
            RequiredElement::Event if unit.events.is_empty() => {
                Some("and the bag's metadata has no dated event")
            }
            RequiredElement::StartDate if unit.start_date.is_none() => {
                Some("and the bag's metadata has no deposit date")
            }
            RequiredElement::EndDate if unit.end_date.is_none() => {
                Some("and the bag's metadata has no decision or modification date")
            }
            RequiredElement::Keyword if unit.keywords.is_empty() => {
                Some("and the bag's metadata has no state or groupe instructeur")
            }
            _ => None,
        };
        if let Some(why) = missing {
            return Err(ProfileError::Dossier {
                dossier: unit.number,
                element,
                why,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "archival_agency_identifier = \"A\"\ntransferring_agency_identifier = \"T\"\n\
                           archival_agreement = \"IC\"\noriginating_agency_identifier = \"O\"\n";

    #[test]
    fn a_profile_files_elements_map_by_name_and_place() {
        use crate::seda::profile_rng::Required;
        let at = |path: &str| Required {
            name: path.rsplit('/').next().unwrap_or(path).to_owned(),
            path: path.to_owned(),
        };
        let unit = "ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit";
        let required = [
            at("ArchiveTransfer/DataObjectPackage/ManagementMetadata/ArchivalProfile"),
            at(&format!("{unit}/Content/Sender")),
            at(&format!("{unit}/Content/Sender/FullName")),
            at(&format!("{unit}/Content/Keyword")),
            at(&format!("{unit}/Management/AccessRule")),
            // A rule's StartDate is not the unit's.
            at(&format!("{unit}/Management/AccessRule/StartDate")),
            at(&format!("{unit}/Content/Keyword")),
            // Written by xml.rs from its own list, not WRITTEN.
            at("ArchiveTransfer/CodeListVersions/ReplyCodeListVersion"),
        ];
        assert_eq!(
            from_profile_file(&required),
            Ok(vec![
                RequiredElement::ArchivalProfile,
                RequiredElement::Sender,
                RequiredElement::Keyword,
                RequiredElement::AccessRule,
            ])
        );
        let never = [
            at(&format!("{unit}/Content/OriginatingSystemId")),
            at(&format!("{unit}/Content/Title")),
            at(&format!("{unit}/Content/Sender/BirthName")),
        ];
        let err = from_profile_file(&never).expect_err("never written");
        assert!(
            err.contains(&format!(
                "`OriginatingSystemId` (at {unit}/Content/OriginatingSystemId)"
            )) && err.contains("`BirthName`")
                && !err.contains("`Title`"),
            "{err}"
        );
    }

    #[test]
    fn elements_the_configuration_must_give_are_named() {
        let mut config = SedaConfig::parse(MINIMAL).expect("config");
        config.required_elements = vec![RequiredElement::Sender, RequiredElement::ArchivalProfile];
        assert_eq!(
            check_config(&config),
            Err(ProfileError::Config {
                element: RequiredElement::ArchivalProfile,
                key: "archival_profile"
            })
        );
        config.archival_profile = Some("PR-1".into());
        assert_eq!(check_config(&config), Ok(()));
        let text = format!("{MINIMAL}required_elements = [\"AccessRule\"]\n");
        let err = SedaConfig::parse(&text).expect_err("no access rule");
        assert!(
            err.contains("`AccessRule`") && err.contains("[access_rule]"),
            "{err}"
        );
        let err = SedaConfig::parse(&format!("{MINIMAL}required_elements = [\"Signature\"]\n"))
            .expect_err("unknown element");
        assert!(err.contains("Signature") && err.contains("Sender"), "{err}");
    }
}
