//! Who a dossier is about: the demandeur, the mandataire who filed it for
//! them, and the administration it was addressed to, as SEDA `AgentType`s.
//!
//! A DS dossier is a request sent to an administration, so the SEDA audience
//! elements fit it as they fit a letter: the demandeur is the `Sender`
//! (expéditeur), a mandataire who filed on their behalf is the `Transmitter`
//! (émetteur: who actually sent it), and the démarche's service is the
//! `Addressee` (destinataire pour action). Vitam's unit model keeps all three
//! as agents, so an archivist finds a dossier by the demandeur's name or
//! SIRET; it also refuses an agent that is both a person and an organisation,
//! so `Corpname` never comes with the person fields. A person is named with
//! `FirstName` (prénom), `GivenName` (SEDA's "nom d'usage": DS asks for the
//! name in use, not the birth name) and `FullName` (civilité, prénom, nom, as
//! DS shows it); SEDA has no civilité element and `Gender` is not a civilité.
//! A company is `Corpname` (raison sociale, else nom commercial or association
//! title) and `Identifier` (SIRET, bare). When the policy leaves personal
//! names out, a demandeur who is a person and the mandataire are not described
//! at all; companies and the service still are. Pure: metadata in, agents out.

use serde_json::Value;

use super::meta::str_key;
use super::names::clean_text;

/// A person or an organisation, in the order of SEDA's `AgentType`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Agent {
    /// `FirstName`: prénom.
    pub first_name: Option<String>,
    /// `FullName`: civilité, prénom and nom.
    pub full_name: Option<String>,
    /// `GivenName`: the nom in use.
    pub given_name: Option<String>,
    /// `Corpname`: an organisation's name (never with the person fields).
    pub corpname: Option<String>,
    /// `Identifier`s: the SIRET.
    pub identifiers: Vec<String>,
    /// `Role`: what the agent is to the dossier.
    pub role: &'static str,
}

impl Agent {
    /// Whether the agent carries a name or an identifier (a bare role says
    /// nothing worth archiving).
    #[must_use]
    pub fn names_someone(&self) -> bool {
        self.first_name.is_some()
            || self.full_name.is_some()
            || self.given_name.is_some()
            || self.corpname.is_some()
            || !self.identifiers.is_empty()
    }
}

/// The agents of one dossier unit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    /// The demandeur (`Sender`).
    pub sender: Option<Agent>,
    /// The mandataire (`Transmitter`).
    pub transmitter: Option<Agent>,
    /// The démarche's service (`Addressee`).
    pub addressee: Option<Agent>,
}

/// Read the parties from a bag's metadata.json; with `personal_names` false,
/// persons are left out.
#[must_use]
pub fn parties(meta: &Value, personal_names: bool) -> Parties {
    let sender = meta
        .get("demandeur")
        .and_then(|d| demandeur(d, personal_names));
    let transmitter = if personal_names {
        meta.get("mandataire").and_then(mandataire)
    } else {
        None
    };
    let addressee = meta
        .get("demarche")
        .and_then(|d| d.get("service"))
        .and_then(service);
    Parties {
        sender,
        transmitter,
        addressee,
    }
}

fn text(v: &Value, key: &str) -> Option<String> {
    str_key(v, key).and_then(clean_text)
}

fn person(civilite: Option<String>, prenom: Option<String>, nom: Option<String>) -> Agent {
    let full: Vec<&str> = [&civilite, &prenom, &nom]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    Agent {
        full_name: (!full.is_empty()).then(|| full.join(" ")),
        first_name: prenom,
        given_name: nom,
        ..Agent::default()
    }
}

/// The SIRET as is: an archivist searches an `Identifier` by exact value.
fn siret(v: &Value) -> Vec<String> {
    text(v, "siret").into_iter().collect()
}

fn demandeur(d: &Value, personal_names: bool) -> Option<Agent> {
    let agent = match str_key(d, "type")? {
        "personne_physique" if personal_names => Agent {
            role: "Demandeur",
            ..person(text(d, "civilite"), text(d, "prenom"), text(d, "nom"))
        },
        "personne_physique" => return None,
        "personne_morale" | "personne_morale_incomplete" => Agent {
            corpname: ["raison_sociale", "nom_commercial", "association_titre"]
                .iter()
                .find_map(|k| text(d, k)),
            identifiers: siret(d),
            role: "Demandeur",
            ..Agent::default()
        },
        _ => return None,
    };
    agent.names_someone().then_some(agent)
}

fn mandataire(m: &Value) -> Option<Agent> {
    let agent = person(None, text(m, "prenom"), text(m, "nom"));
    agent.full_name.is_some().then_some(Agent {
        role: "Mandataire (dépôt pour le compte du demandeur)",
        ..agent
    })
}

fn service(s: &Value) -> Option<Agent> {
    let name = match (text(s, "nom"), text(s, "organisme")) {
        (Some(n), Some(o)) if n != o => Some(format!("{n} ({o})")),
        (n, o) => n.or(o),
    };
    name.map(|corpname| Agent {
        corpname: Some(corpname),
        identifiers: siret(s),
        role: "Service instructeur de la démarche",
        ..Agent::default()
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_person_is_named_unless_the_policy_says_no() {
        let meta = json!({
            "demandeur": {"type": "personne_physique", "civilite": "Mme", "nom": "Dupont",
                          "prenom": "Émilie\t", "email": "e@example.org"},
            "mandataire": {"prenom": "Luc", "nom": "Mercier"},
            "demarche": {"service": {"nom": "DGCL", "organisme": "Ministère", "siret": "11000101300017"}}
        });
        let p = parties(&meta, true);
        let s = p.sender.expect("sender");
        assert_eq!(s.full_name.as_deref(), Some("Mme Émilie Dupont"));
        assert_eq!(
            (s.first_name.as_deref(), s.given_name.as_deref()),
            (Some("Émilie"), Some("Dupont"))
        );
        assert_eq!(
            p.transmitter.and_then(|t| t.full_name).as_deref(),
            Some("Luc Mercier")
        );
        let a = p.addressee.expect("service");
        assert_eq!(a.corpname.as_deref(), Some("DGCL (Ministère)"));
        assert_eq!(a.identifiers, ["11000101300017"]);

        let hidden = parties(&meta, false);
        assert_eq!((hidden.sender, hidden.transmitter), (None, None));
        assert!(hidden.addressee.is_some());
    }

    #[test]
    fn a_company_is_named_by_raison_sociale_and_siret_even_without_names() {
        let meta = json!({"demandeur": {"type": "personne_morale", "siret": "41816609600069",
                                        "raison_sociale": "OCTO TECHNOLOGY", "nom_commercial": null}});
        let s = parties(&meta, false).sender.expect("company");
        assert_eq!(s.corpname.as_deref(), Some("OCTO TECHNOLOGY"));
        assert_eq!(s.identifiers, ["41816609600069"]);
        assert_eq!(s.full_name, None);
        let incomplete = json!({"demandeur": {"type": "personne_morale_incomplete", "siret": "1"}});
        let s = parties(&incomplete, true).sender.expect("siret only");
        assert_eq!((s.corpname, s.identifiers), (None, vec!["1".to_owned()]));
        assert_eq!(parties(&json!({}), true), Parties::default());
    }
}
