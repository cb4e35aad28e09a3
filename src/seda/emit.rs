//! One SIP from a batch of checked bundles: its MessageIdentifier and
//! Comment, named after the démarche and the dossiers it holds, then
//! [`super::package::write_sip`]; a SIP that cannot be written puts its
//! dossiers on the skip list rather than stopping the run.

use super::config::SedaConfig;
use super::integrity::CheckedBundle;
use super::package::{self, write_sip};
use super::xml::SipHeader;
use super::{names, SedaArgs, SedaOutcome, Skipped};

/// What every SIP of a run shares.
pub(super) struct Ctx<'a> {
    pub(super) args: &'a SedaArgs,
    pub(super) config: &'a SedaConfig,
    pub(super) date: &'a str,
    pub(super) alg: crate::digest::DigestAlg,
    pub(super) xsd: bool,
    pub(super) prefix: &'a str,
}

impl Ctx<'_> {
    /// Write one SIP of `bundles`, or skip them all with the reason.
    pub(super) fn emit(&self, bundles: Vec<CheckedBundle>, outcome: &mut SedaOutcome) {
        let header = self.header(&bundles);
        match write_sip(&self.args.out, &header, self.config, &bundles, self.xsd) {
            Ok(sip) => outcome.sips.push(sip),
            Err(reason) => outcome.skipped.extend(bundles.iter().map(|b| Skipped {
                dossier: b.found.number,
                reason: reason.to_string(),
            })),
        }
    }

    fn header(&self, bundles: &[CheckedBundle]) -> SipHeader {
        let (units, _) = package::plan_sip(bundles, self.config);
        let first = units.first();
        let last = units.last();
        let demarche = first.and_then(|u| u.demarche_number).map(|d| d.to_string());
        let mut parts: Vec<String> = vec![self.prefix.to_owned()];
        parts.extend(demarche.clone());
        match (first, last) {
            (Some(f), Some(l)) if units.len() > 1 => {
                parts.push("dossiers".to_owned());
                parts.push(f.number.to_string());
                parts.push(l.number.to_string());
            }
            (Some(f), _) => {
                parts.push("dossier".to_owned());
                parts.push(f.number.to_string());
            }
            _ => {}
        }
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let message_identifier = names::message_identifier(&refs);
        let comment = self.config.comment.clone().unwrap_or_else(|| {
            let numbers = match (first, last) {
                (Some(f), Some(l)) if units.len() > 1 => format!(
                    "Dossiers {} à {} ({} dossiers)",
                    f.number,
                    l.number,
                    units.len()
                ),
                (Some(f), _) => format!("Dossier {}", f.number),
                _ => "Dossiers".to_owned(),
            };
            match demarche {
                Some(d) => format!("{numbers} de la démarche {d} de demarches-simplifiees.fr"),
                None => format!("{numbers} de demarches-simplifiees.fr"),
            }
        });
        SipHeader {
            message_identifier,
            comment,
            date: self.date.to_owned(),
            alg: self.alg,
        }
    }
}
