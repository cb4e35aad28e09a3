//! The archivist's SEDA configuration (`--config FILE`, TOML) and the target
//! profiles.
//!
//! Everything an SAE checks against its referentials (agency identifiers,
//! ingest contract, rule ids) comes from this file, never from guesses. The
//! file is parsed strictly (unknown keys are errors: a typo must not silently
//! drop a rule). Documented in `docs/seda-config.example.toml`.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::names::clean_token;
use super::profile::RequiredElement;
use super::rules::placement;
pub use super::rules::{AppraisalRuleConfig, RuleConfig, RuleStart};
use crate::digest::DigestAlg;

/// The SAE a SIP is meant for; it picks the default digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Vitam: SHA-512 (what Vitam stores; other algorithms are re-hashed).
    Vitam,
    /// As@lae: SHA-256 (As@lae rejects SHA-512 in its default setup).
    Asalae,
}

impl Profile {
    /// The profile's digest algorithm.
    #[must_use]
    pub fn default_digest(self) -> DigestAlg {
        match self {
            Self::Vitam => DigestAlg::Sha512,
            Self::Asalae => DigestAlg::Sha256,
        }
    }
}

/// The parsed configuration file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SedaConfig {
    /// `ArchivalAgency/Identifier`: the archive service receiving the SIP.
    pub archival_agency_identifier: String,
    /// `TransferringAgency/Identifier`: the service sending it.
    pub transferring_agency_identifier: String,
    /// `ArchivalAgreement`: the ingest contract id.
    pub archival_agreement: String,
    /// `ManagementMetadata/OriginatingAgencyIdentifier`: the producer.
    pub originating_agency_identifier: String,
    /// `ManagementMetadata/SubmissionAgencyIdentifier` (default: the
    /// transferring agency).
    #[serde(default)]
    pub submission_agency_identifier: Option<String>,
    /// `Comment` of the transfer (default: generated from the dossiers).
    #[serde(default)]
    pub comment: Option<String>,
    /// Default profile when `--profile` is not given (default `vitam`).
    #[serde(default)]
    pub profile: Option<Profile>,
    /// Digest override: `SHA-256` or `SHA-512` (default: the profile's).
    #[serde(default)]
    pub digest_algorithm: Option<String>,
    /// First part of every MessageIdentifier (default `DS`).
    #[serde(default)]
    pub message_identifier_prefix: Option<String>,
    /// Fixed `Date` of the transfers (RFC 3339); `--date` wins over it.
    #[serde(default)]
    pub date: Option<String>,
    /// Optional `AccessRule`.
    #[serde(default)]
    pub access_rule: Option<RuleConfig>,
    /// Optional `AppraisalRule`.
    #[serde(default)]
    pub appraisal_rule: Option<AppraisalRuleConfig>,
    /// `ManagementMetadata/ArchivalProfile`: the archiving profile (As@lae
    /// "profil d'archives", Vitam "profil d'archivage") the SIPs follow.
    #[serde(default)]
    pub archival_profile: Option<String>,
    /// Elements the archiving profile makes mandatory, checked on every
    /// dossier before its SIP is written.
    #[serde(default)]
    pub required_elements: Vec<RequiredElement>,
    /// The archiving profile file itself (RelaxNG, as As@lae exports it),
    /// relative to the configuration file: its required elements join
    /// `required_elements`, and each manifest is validated against it.
    #[serde(default)]
    pub archival_profile_file: Option<PathBuf>,
    /// The profile file as read by [`SedaConfig::load`].
    #[serde(skip)]
    pub profile_rng: Option<ProfileRng>,
    /// Name the demandeur when it is a person, and the mandataire (default
    /// true); false also leaves out the instructeurs' e-mails.
    #[serde(default = "yes")]
    pub personal_names: bool,
    /// Name the instructeur who made each decision, by e-mail (default true).
    #[serde(default = "yes")]
    pub instructeur_email: bool,
}

fn yes() -> bool {
    true
}

/// An archiving profile file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileRng {
    /// Where it was read (for messages).
    pub path: PathBuf,
    /// Its text, given to xmllint for each manifest.
    pub text: String,
}

/// Why a configuration cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the SEDA configuration `{}`: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML for this schema.
    #[error("invalid SEDA configuration `{}`: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The archiving profile file cannot be read or used.
    #[error("archiving profile `{}`: {message}", path.display())]
    Profile {
        /// The profile file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
}

impl SedaConfig {
    /// Read and check a configuration file.
    ///
    /// # Errors
    /// The file is unreadable, not TOML, has unknown keys or bad values.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = fs_err::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
        })?;
        let mut config = Self::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
        })?;
        if let Some(file) = &config.archival_profile_file {
            let profile = path.parent().unwrap_or(Path::new("")).join(file);
            config
                .use_profile_file(&profile)
                .map_err(|message| ConfigError::Profile {
                    path: profile,
                    message,
                })?;
        }
        Ok(config)
    }

    /// Read the archiving profile file at `path`: its requirements join
    /// `required_elements` and are checked against this configuration.
    fn use_profile_file(&mut self, path: &Path) -> Result<(), String> {
        let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
        let required = super::profile_rng::required_elements(&text)?;
        for element in super::profile::from_profile_file(&required)? {
            if !self.required_elements.contains(&element) {
                self.required_elements.push(element);
            }
        }
        super::profile::check_config(self).map_err(|e| e.to_string())?;
        self.profile_rng = Some(ProfileRng {
            path: path.to_owned(),
            text,
        });
        Ok(())
    }

    /// Parse and check a configuration text.
    ///
    /// # Errors
    /// A message saying which key is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        let config: Self = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        config.check()?;
        Ok(config)
    }

    fn check(&self) -> Result<(), String> {
        let required = [
            (
                "archival_agency_identifier",
                &self.archival_agency_identifier,
            ),
            (
                "transferring_agency_identifier",
                &self.transferring_agency_identifier,
            ),
            ("archival_agreement", &self.archival_agreement),
            (
                "originating_agency_identifier",
                &self.originating_agency_identifier,
            ),
        ];
        for (key, value) in required {
            check_token(key, value)?;
        }
        if let Some(v) = &self.submission_agency_identifier {
            check_token("submission_agency_identifier", v)?;
        }
        self.digest_override()?;
        if let Some(rule) = &self.access_rule {
            check_token("access_rule.rule", &rule.rule)?;
            check_date("access_rule.start_date", rule.start_date.as_deref())?;
            placement("access_rule", rule.start_date.as_deref(), rule.start)?;
        }
        if let Some(rule) = &self.appraisal_rule {
            check_token("appraisal_rule.rule", &rule.rule)?;
            check_date("appraisal_rule.start_date", rule.start_date.as_deref())?;
            placement("appraisal_rule", rule.start_date.as_deref(), rule.start)?;
            if !matches!(rule.final_action.as_str(), "Keep" | "Destroy") {
                return Err(format!(
                    "appraisal_rule.final_action must be `Keep` or `Destroy`, not `{}`",
                    rule.final_action
                ));
            }
        }
        if let Some(date) = &self.date {
            parse_transfer_date(date).map_err(|e| format!("date: {e}"))?;
        }
        if let Some(v) = &self.archival_profile {
            check_token("archival_profile", v)?;
        }
        super::profile::check_config(self).map_err(|e| e.to_string())
    }

    /// The digest algorithm asked for by `digest_algorithm`, if any.
    ///
    /// # Errors
    /// An algorithm other than SHA-256 and SHA-512.
    pub fn digest_override(&self) -> Result<Option<DigestAlg>, String> {
        let Some(name) = &self.digest_algorithm else {
            return Ok(None);
        };
        match name.to_ascii_uppercase().replace('_', "-").as_str() {
            "SHA-256" | "SHA256" => Ok(Some(DigestAlg::Sha256)),
            "SHA-512" | "SHA512" => Ok(Some(DigestAlg::Sha512)),
            _ => Err(format!(
                "digest_algorithm must be `SHA-256` or `SHA-512`, not `{name}`"
            )),
        }
    }

    /// The digest algorithm for `profile` once the override is applied.
    #[must_use]
    pub fn digest_for(&self, profile: Profile) -> DigestAlg {
        self.digest_override()
            .ok()
            .flatten()
            .unwrap_or_else(|| profile.default_digest())
    }
}

fn check_token(key: &str, value: &str) -> Result<(), String> {
    match clean_token(value) {
        Some(clean) if clean == value => Ok(()),
        _ => Err(format!(
            "`{key}` must be a non-empty identifier without surrounding spaces, \
             control characters, `<`, `>` or a leading `_`/`#` (got `{value}`)"
        )),
    }
}

fn check_date(key: &str, value: Option<&str>) -> Result<(), String> {
    let Some(value) = value else { return Ok(()) };
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(value, &format)
        .map(|_| ())
        .map_err(|_| format!("`{key}` must be a date YYYY-MM-DD (got `{value}`)"))
}

/// Parse the transfer `Date` (RFC 3339 with offset).
///
/// # Errors
/// Not an RFC 3339 date-time.
pub fn parse_transfer_date(s: &str) -> Result<time::OffsetDateTime, String> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map_err(|e| format!("`{s}` is not an RFC 3339 date-time with offset: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
archival_agency_identifier = "FRAN_NP_000002"
transferring_agency_identifier = "FRAN_NP_000001"
archival_agreement = "IC-000001"
originating_agency_identifier = "FRAN_NP_000001"
"#;

    #[test]
    fn minimal_config_uses_profile_digest() {
        let c = SedaConfig::parse(MINIMAL).expect("valid");
        assert_eq!(c.digest_for(Profile::Vitam), DigestAlg::Sha512);
        assert_eq!(c.digest_for(Profile::Asalae), DigestAlg::Sha256);
    }

    #[test]
    fn documented_example_parses_and_so_does_it_uncommented() {
        let example = include_str!("../../docs/seda-config.example.toml");
        SedaConfig::parse(example).expect("example as shipped");
        let uncommented: String = example
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(rest) if rest.contains(" = ") || rest.starts_with('[') => rest,
                _ => l,
            })
            .collect::<Vec<_>>()
            .join("\n");
        let c = SedaConfig::parse(&uncommented).expect("every documented key");
        assert_eq!(c.access_rule.map(|r| r.rule).as_deref(), Some("ACC-00001"));
        assert_eq!(
            c.appraisal_rule.map(|r| r.final_action).as_deref(),
            Some("Keep")
        );
        assert!(c.comment.is_some() && c.date.is_some());
        assert_eq!(c.archival_profile.as_deref(), Some("PR-DS-0001"));
        assert_eq!(c.required_elements.len(), 5);
        assert!(!c.personal_names && !c.instructeur_email);
        let shipped = SedaConfig::parse(example).expect("example as shipped");
        assert!(shipped.personal_names && shipped.instructeur_email);
    }

    #[test]
    fn override_wins_over_profile() {
        let c = SedaConfig::parse(&format!("{MINIMAL}digest_algorithm = \"SHA-256\"\n"))
            .expect("valid");
        assert_eq!(c.digest_for(Profile::Vitam), DigestAlg::Sha256);
    }

    #[test]
    fn bad_values_are_rejected_with_the_key() {
        let cases = [
            (
                format!("{MINIMAL}digest_algorithm = \"MD5\"\n"),
                "digest_algorithm",
            ),
            (format!("{MINIMAL}unknown_key = 1\n"), "unknown"),
            (MINIMAL.replace("IC-000001", "_IC"), "archival_agreement"),
            (
                format!("{MINIMAL}[access_rule]\nrule = \"ACC-1\"\nstart_date = \"2024-13-01\"\n"),
                "access_rule.start_date",
            ),
            (
                format!("{MINIMAL}[appraisal_rule]\nrule = \"APP-1\"\nfinal_action = \"Burn\"\n"),
                "final_action",
            ),
            (format!("{MINIMAL}date = \"yesterday\"\n"), "date"),
        ];
        for (text, needle) in cases {
            let err = SedaConfig::parse(&text).expect_err(needle);
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
    }
}
