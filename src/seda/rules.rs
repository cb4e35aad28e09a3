//! Management rules (`AppraisalRule`, `AccessRule`) and when they start.
//!
//! A retention period (DUA) or an access delay runs from an event of the
//! dossier's life, usually its decision, so one fixed `StartDate` for a whole
//! transfer is wrong for every dossier but one. A rule configured with a fixed
//! `start_date` keeps applying to the whole transfer (written in
//! `ManagementMetadata`); a rule configured with `start` (or with neither, then
//! `start = "decision"`) is written in each dossier unit's `Management` with
//! that dossier's own date. Pure: configuration and dates in, rules out. The
//! rule ids themselves are the SAE's, checked by the SAE.

use serde::Deserialize;

/// Which date of a dossier a rule starts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RuleStart {
    /// The decision date (`processed_at`), else the last modification for a
    /// dossier not decided yet.
    Decision,
    /// The deposit date (`initiated_at`).
    Deposit,
    /// The last modification (`updated_at`).
    LastModification,
}

/// A management rule given by the archivist (checked by the SAE against its
/// rule referential).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// The rule id in the SAE's referential (e.g. `ACC-00001`, `APP-00002`).
    pub rule: String,
    /// A fixed start date, `YYYY-MM-DD`, for every dossier of the transfer.
    #[serde(default)]
    pub start_date: Option<String>,
    /// The dossier date the rule starts from (default `decision` when no
    /// `start_date` is given).
    #[serde(default)]
    pub start: Option<RuleStart>,
}

/// The appraisal rule: a rule plus what happens at its end.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppraisalRuleConfig {
    /// The rule id.
    pub rule: String,
    /// A fixed start date, `YYYY-MM-DD`.
    #[serde(default)]
    pub start_date: Option<String>,
    /// The dossier date the rule starts from.
    #[serde(default)]
    pub start: Option<RuleStart>,
    /// `Keep` or `Destroy` (default `Keep`).
    #[serde(default = "default_final_action")]
    pub final_action: String,
}

fn default_final_action() -> String {
    "Keep".to_owned()
}

/// Where a configured rule goes and with which start date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement<'a> {
    /// In `ManagementMetadata`, for the whole transfer, with this fixed date.
    Transfer(&'a str),
    /// In each dossier unit, starting from this dossier date.
    PerDossier(RuleStart),
}

/// Where a rule with these `start_date` / `start` keys goes.
///
/// # Errors
/// Both keys are given (the archivist must say which one applies).
pub fn placement<'a>(
    key: &str,
    start_date: Option<&'a str>,
    start: Option<RuleStart>,
) -> Result<Placement<'a>, String> {
    match (start_date, start) {
        (Some(_), Some(_)) => Err(format!(
            "`{key}`: give either `start_date` (one date for the whole transfer) or `start` \
             (a date of each dossier), not both"
        )),
        (Some(d), None) => Ok(Placement::Transfer(d)),
        (None, s) => Ok(Placement::PerDossier(s.unwrap_or(RuleStart::Decision))),
    }
}

/// The dates of one dossier a rule can start from, `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DossierDates {
    /// Deposit.
    pub deposit: Option<String>,
    /// Decision, when decided.
    pub decision: Option<String>,
    /// Last modification.
    pub last_modification: Option<String>,
}

impl DossierDates {
    /// The start date of a rule that starts at `start`.
    #[must_use]
    pub fn start_of(&self, start: RuleStart) -> Option<String> {
        match start {
            RuleStart::Decision => self
                .decision
                .clone()
                .or_else(|| self.last_modification.clone()),
            RuleStart::Deposit => self.deposit.clone(),
            RuleStart::LastModification => self.last_modification.clone(),
        }
    }
}

/// A rule as written in one dossier unit's `Management`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRule {
    /// The rule id.
    pub rule: String,
    /// Its start date, `YYYY-MM-DD`, when the dossier has that date.
    pub start_date: Option<String>,
    /// `FinalAction` (appraisal rule only).
    pub final_action: Option<String>,
}

/// The rules of one dossier unit (empty: no `Management` element).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitRules {
    /// `AppraisalRule`.
    pub appraisal: Option<UnitRule>,
    /// `AccessRule`.
    pub access: Option<UnitRule>,
}

impl UnitRules {
    /// The per-dossier rules of `appraisal` / `access` for a dossier with
    /// these dates; rules with a fixed date are left to the transfer.
    #[must_use]
    pub fn for_dossier(
        appraisal: Option<&AppraisalRuleConfig>,
        access: Option<&RuleConfig>,
        dates: &DossierDates,
    ) -> Self {
        let appraisal = appraisal.and_then(|r| {
            per_dossier(r.start_date.as_deref(), r.start).map(|s| UnitRule {
                rule: r.rule.clone(),
                start_date: dates.start_of(s),
                final_action: Some(r.final_action.clone()),
            })
        });
        let access = access.and_then(|r| {
            per_dossier(r.start_date.as_deref(), r.start).map(|s| UnitRule {
                rule: r.rule.clone(),
                start_date: dates.start_of(s),
                final_action: None,
            })
        });
        Self { appraisal, access }
    }

    /// Whether the unit carries no rule.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.appraisal.is_none() && self.access.is_none()
    }
}

fn per_dossier(start_date: Option<&str>, start: Option<RuleStart>) -> Option<RuleStart> {
    match placement("", start_date, start) {
        Ok(Placement::PerDossier(s)) => Some(s),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dates(decision: Option<&str>) -> DossierDates {
        DossierDates {
            deposit: Some("2024-03-02".into()),
            decision: decision.map(str::to_owned),
            last_modification: Some("2024-05-10".into()),
        }
    }

    #[test]
    fn decision_start_falls_back_to_last_modification() {
        assert_eq!(
            dates(Some("2024-05-03"))
                .start_of(RuleStart::Decision)
                .as_deref(),
            Some("2024-05-03")
        );
        assert_eq!(
            dates(None).start_of(RuleStart::Decision).as_deref(),
            Some("2024-05-10")
        );
        assert_eq!(
            dates(None).start_of(RuleStart::Deposit).as_deref(),
            Some("2024-03-02")
        );
    }

    #[test]
    fn a_fixed_date_stays_on_the_transfer_and_both_keys_are_refused() {
        let fixed = RuleConfig {
            rule: "ACC-1".into(),
            start_date: Some("2024-01-01".into()),
            start: None,
        };
        let per = AppraisalRuleConfig {
            rule: "APP-1".into(),
            start_date: None,
            start: None,
            final_action: "Destroy".into(),
        };
        let rules = UnitRules::for_dossier(Some(&per), Some(&fixed), &dates(Some("2024-05-03")));
        assert_eq!(rules.access, None);
        let appraisal = rules.appraisal.expect("per dossier");
        assert_eq!(appraisal.start_date.as_deref(), Some("2024-05-03"));
        assert_eq!(appraisal.final_action.as_deref(), Some("Destroy"));
        assert!(placement("access_rule", Some("2024-01-01"), Some(RuleStart::Deposit)).is_err());
    }
}
