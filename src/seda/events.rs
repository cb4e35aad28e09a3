//! What happened to a dossier, as SEDA `Event`s: its deposit, its passage en
//! instruction, its decision (and any return to an earlier state).
//!
//! DS records each transition in `traitements` (event, date, the instructeur's
//! e-mail, the motivation); metadata.json keeps them in order, and they become
//! one `Event` each: `EventTypeCode` is DS's event name (stable, for
//! machines), `EventType` its French label, `EventDateTime` the full date-time,
//! `EventDetail` the motivation and `Outcome` the resulting state for a
//! decision. The instructeur is a `LinkingAgentIdentifier` (type `email`,
//! role `instructeur`) when the policy allows it. A bag without `traitements`
//! (older ds-archive versions) gets the same events from its dates
//! (`initiated_at`, `received_at`, `processed_at`). Pure.

use serde_json::Value;

use super::meta::{date_time, state, str_key};
use super::names::clean_text;
use crate::model::DossierState;

/// One `Event` of a dossier unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipEvent {
    /// `EventTypeCode`: DS's event name (`depose`, `accepte`, ...).
    pub code: String,
    /// `EventType`: its French label.
    pub label: String,
    /// `EventDateTime`, RFC 3339.
    pub date_time: String,
    /// `EventDetail`: the motivation, for a decision.
    pub detail: Option<String>,
    /// `Outcome`: the state a decision led to (`Accepté`, ...).
    pub outcome: Option<&'static str>,
    /// The instructeur's e-mail, when known and allowed.
    pub agent_email: Option<String>,
}

/// DS event name → (French label, state it decides).
fn describe(code: &str) -> (&str, Option<DossierState>) {
    match code {
        "depose" => ("Dépôt du dossier", None),
        "depose_correction_usager" => ("Dépôt d'une correction par l'usager", None),
        "passe_en_instruction" => ("Passage en instruction", None),
        "repasse_en_construction" => ("Retour en construction", None),
        "repasse_en_instruction" => ("Retour en instruction", None),
        "accepte" => ("Décision : acceptation", Some(DossierState::Accepte)),
        "accepte_automatiquement" => (
            "Décision : acceptation automatique",
            Some(DossierState::Accepte),
        ),
        "refuse" => ("Décision : refus", Some(DossierState::Refuse)),
        "refuse_automatiquement" => ("Décision : refus automatique", Some(DossierState::Refuse)),
        "classe_sans_suite" => (
            "Décision : classement sans suite",
            Some(DossierState::SansSuite),
        ),
        other => (other, None),
    }
}

fn event(
    code: &str,
    date: Option<&str>,
    agent: Option<&str>,
    motivation: Option<&str>,
    with_email: bool,
) -> Option<SipEvent> {
    let code = clean_text(code)?;
    let (label, decides) = describe(&code);
    Some(SipEvent {
        label: label.to_owned(),
        date_time: date_time(date)?,
        detail: motivation.and_then(clean_text),
        outcome: decides.map(DossierState::label_fr),
        agent_email: agent.filter(|_| with_email).and_then(clean_text),
        code,
    })
}

/// The events of a dossier, oldest first. `with_email` lets the
/// instructeurs' e-mails through.
#[must_use]
pub fn events(meta: &Value, dossier: &Value, with_email: bool) -> Vec<SipEvent> {
    let traitements = meta
        .get("traitements")
        .and_then(Value::as_array)
        .filter(|t| !t.is_empty());
    if let Some(list) = traitements {
        return list
            .iter()
            .filter_map(|t| {
                event(
                    str_key(t, "event")?,
                    str_key(t, "date"),
                    str_key(t, "agent"),
                    str_key(t, "motivation"),
                    with_email,
                )
            })
            .collect();
    }
    let decision = state(meta, dossier).and_then(|s| match s {
        DossierState::Accepte => Some("accepte"),
        DossierState::Refuse => Some("refuse"),
        DossierState::SansSuite => Some("classe_sans_suite"),
        _ => None,
    });
    let deciding_agent = str_key(meta, "deciding_agent");
    [
        event(
            "depose",
            str_key(meta, "initiated_at"),
            None,
            None,
            with_email,
        ),
        event(
            "passe_en_instruction",
            str_key(meta, "received_at"),
            None,
            None,
            with_email,
        ),
        decision.and_then(|code| {
            event(
                code,
                str_key(meta, "processed_at"),
                deciding_agent,
                str_key(meta, "motivation"),
                with_email,
            )
        }),
    ]
    .into_iter()
    .flatten()
    .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn traitements_become_events_with_the_decision_outcome() {
        let meta = json!({"traitements": [
            {"event": "depose", "date": "2024-03-02T10:00:00+01:00", "agent": null, "motivation": null},
            {"event": "passe_en_instruction", "date": "2024-04-01T10:00:00+02:00", "agent": "a@admin.fr", "motivation": null},
            {"event": "refuse", "date": "2024-05-03T16:00:00+02:00", "agent": "a@admin.fr", "motivation": "Hors\ndélai"},
            {"event": "accepte", "date": "not a date", "agent": null, "motivation": null}
        ]});
        let e = events(&meta, &json!({}), true);
        let codes: Vec<&str> = e.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["depose", "passe_en_instruction", "refuse"]);
        assert_eq!(e[2].outcome, Some("Refusé"));
        assert_eq!(e[2].detail.as_deref(), Some("Hors délai"));
        assert_eq!(e[2].agent_email.as_deref(), Some("a@admin.fr"));
        assert_eq!(e[0].outcome, None);
        assert!(events(&meta, &json!({}), false)
            .iter()
            .all(|e| e.agent_email.is_none()));
    }

    #[test]
    fn older_bags_get_events_from_their_dates() {
        let meta = json!({"state": "closed", "initiated_at": "2024-03-02T10:00:00+01:00",
                          "received_at": null, "processed_at": "2024-05-03T16:00:00+02:00",
                          "deciding_agent": "b@admin.fr", "motivation": "ok"});
        let e = events(&meta, &json!({}), true);
        let codes: Vec<&str> = e.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(codes, ["depose", "accepte"]);
        assert_eq!(e[1].label, "Décision : acceptation");
        assert_eq!(e[1].agent_email.as_deref(), Some("b@admin.fr"));
    }
}
