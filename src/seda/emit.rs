//! One SIP from a batch of dossiers: a [`SipBuilder`] they are added to one
//! at a time, then its MessageIdentifier and Comment, named after the
//! démarche and the dossiers it holds, and [`SipBuilder::finish`]; a SIP that
//! cannot be written puts its dossiers on the skip list rather than stopping
//! the run.

use super::config::SedaConfig;
use super::sip::SipBuilder;
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
    /// Print each SIP's path as it is written instead of keeping it.
    pub(super) print: bool,
}

impl Ctx<'_> {
    /// An empty SIP.
    pub(super) fn open(&self) -> SipBuilder {
        SipBuilder::new(&self.args.out, self.alg)
    }

    /// Write the SIP `sip` (nothing if it holds no dossier), or skip its
    /// dossiers with the reason.
    pub(super) fn emit(&self, sip: SipBuilder, outcome: &mut SedaOutcome) {
        if sip.dossiers().is_empty() {
            return;
        }
        let header = self.header(sip.dossiers(), sip.demarche());
        let dossiers = sip.dossiers().to_vec();
        match sip.finish(&self.args.out, &header, self.config, self.xsd) {
            Ok(sip) => {
                outcome.sip_count += 1;
                outcome.dossier_count += sip.dossiers.len();
                if self.print {
                    crate::console::out(sip.path.display());
                } else {
                    outcome.sips.push(sip);
                }
            }
            Err(reason) => outcome
                .skipped
                .extend(dossiers.into_iter().map(|dossier| Skipped {
                    dossier,
                    reason: reason.to_string(),
                })),
        }
    }

    /// The header of a SIP of `numbers`, the first one's démarche `demarche`.
    fn header(&self, numbers: &[u64], demarche: Option<u64>) -> SipHeader {
        let (first, last) = (numbers.first(), numbers.last());
        let demarche = demarche.map(|d| d.to_string());
        let mut parts: Vec<String> = vec![self.prefix.to_owned()];
        parts.extend(demarche.clone());
        match (first, last) {
            (Some(f), Some(l)) if numbers.len() > 1 => {
                parts.push("dossiers".to_owned());
                parts.push(f.to_string());
                parts.push(l.to_string());
            }
            (Some(f), _) => {
                parts.push("dossier".to_owned());
                parts.push(f.to_string());
            }
            _ => {}
        }
        let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
        let message_identifier = names::message_identifier(&refs);
        let comment = self.config.comment.clone().unwrap_or_else(|| {
            let which = match (first, last) {
                (Some(f), Some(l)) if numbers.len() > 1 => {
                    format!("Dossiers {f} à {l} ({} dossiers)", numbers.len())
                }
                (Some(f), _) => format!("Dossier {f}"),
                _ => "Dossiers".to_owned(),
            };
            match demarche {
                Some(d) => format!("{which} de la démarche {d} de demarches-simplifiees.fr"),
                None => format!("{which} de demarches-simplifiees.fr"),
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
