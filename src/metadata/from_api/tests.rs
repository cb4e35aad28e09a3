use super::*;

fn t(event: &str, date: &str, agent: &str) -> TraitementInfo {
    TraitementInfo {
        event: event.to_owned(),
        date: date.to_owned(),
        agent: Some(agent.to_owned()),
        motivation: None,
    }
}

#[test]
fn latest_decision_is_compared_as_an_instant_not_as_text() {
    // 01:00+02:00 is 23:00Z, before 23:30Z, though it sorts after as text.
    let ts = [
        t("refuse", "2024-03-31T23:30:00+00:00", "later@x.fr"),
        t("accepte", "2024-04-01T01:00:00+02:00", "earlier@x.fr"),
    ];
    assert_eq!(
        deciding_agent(DossierState::Refuse, &ts).as_deref(),
        Some("later@x.fr")
    );
}

#[test]
fn no_deciding_agent_once_a_decision_is_undone() {
    let ts = [
        t("accepte", "2024-04-01T10:00:00+02:00", "a@x.fr"),
        t(
            "repasse_en_instruction",
            "2024-04-02T10:00:00+02:00",
            "b@x.fr",
        ),
    ];
    assert_eq!(deciding_agent(DossierState::EnInstruction, &ts), None);
    assert_eq!(
        deciding_agent(DossierState::Accepte, &ts).as_deref(),
        Some("a@x.fr")
    );
    let not_decisions = [t(
        "passe_en_instruction",
        "2024-04-02T10:00:00+02:00",
        "b@x.fr",
    )];
    assert_eq!(
        deciding_agent(DossierState::SansSuite, &not_decisions),
        None
    );
}

#[test]
fn wrong_types_are_errors_not_nulls() {
    let r = Reader { dossier: "7" };
    let v = serde_json::json!({"archived": "yes", "labels": {}, "motivation": null});
    assert!(matches!(
        r.opt_bool(&v, "archived", ""),
        Err(MetadataError::Invalid { .. })
    ));
    assert!(r.list(&v, "labels").is_err());
    assert_eq!(r.opt_str(&v, "motivation", "").ok(), Some(None));
    assert!(r.list(&v, "absent").is_ok_and(<[Value]>::is_empty));
}
