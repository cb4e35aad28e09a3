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
