//! Which run this is: the unfinished one resumed, or a new one, and the
//! `updatedSince` a new one lists from. A run vouches for what was not
//! modified since it started only over what it listed: the states it asked
//! for, and its groupe instructeur (a whole-démarche run covers every groupe;
//! a groupe's run covers that groupe only), and what belongs to a groupe.

use serde_json::Value;

use super::{report, Options, OVERLAP_SECS};
use crate::error::{Error, Result};
use crate::journal::{Journal, RunInfo};
use crate::model::DossierState;

/// A démarche other than `asked` that a run recorded in this folder.
pub(super) fn other_demarche(state: &crate::journal::State, asked: u64) -> Option<u64> {
    state
        .finished_runs
        .iter()
        .chain(state.last_run.as_ref())
        .map(|r| r.demarche)
        .find(|d| *d != asked)
}

/// Continue the unfinished run of this démarche, or start a new one.
pub(super) fn choose_run(
    journal: &Journal,
    opts: &Options,
) -> (String, String, Option<String>, bool) {
    let state = journal.state();
    let same_states = |run: &RunInfo| {
        let mut a = run.states.clone();
        let mut b = opts.states.clone();
        a.sort_by_key(|s| s.api_name());
        b.sort_by_key(|s| s.api_name());
        a.dedup();
        b.dedup();
        a == b
    };
    if let Some(run) = state.unfinished_run() {
        let same_since = opts.since.is_none() || opts.since == run.updated_since;
        let same = run.demarche == opts.demarche && run.groupe == opts.groupe;
        if same && same_since && same_states(run) {
            return (
                run.run_id.clone(),
                run.started_at.clone(),
                run.updated_since.clone(),
                true,
            );
        }
    }
    let started_at = report::run_start_time();
    // Unique even when SOURCE_DATE_EPOCH pins the start time.
    let run_id = format!(
        "run-{}-{}",
        report::now_rfc3339().replace([':', '-'], ""),
        std::process::id()
    );
    let since = opts.since.clone().or_else(|| {
        state
            .finished_runs
            .iter()
            .rev()
            // Only a run that listed every state asked for now vouches for
            // what was not modified since it started.
            .find(|r| {
                r.demarche == opts.demarche
                    && covers(&r.states, &opts.states)
                    && (r.groupe.is_none() || r.groupe == opts.groupe)
            })
            .and_then(|r| report::minus_secs(&r.high_water, OVERLAP_SECS))
    });
    (run_id, started_at, since, false)
}

/// Whether a run that listed `done` (empty: all states) covers `wanted`.
fn covers(done: &[DossierState], wanted: &[DossierState]) -> bool {
    done.is_empty() || (!wanted.is_empty() && wanted.iter().all(|s| done.contains(s)))
}

/// Whether a dossier is now in a groupe other than the one archived.
pub(super) fn moved_out(node: &Value, groupe: Option<u64>) -> bool {
    groupe.is_some_and(|g| {
        node.pointer("/groupeInstructeur/number")
            .and_then(Value::as_u64)
            .is_some_and(|n| n != g)
    })
}

/// `--groupe N` must name one of the démarche's groupes instructeurs: DS's
/// `groupeInstructeur(number)` would list another démarche's dossiers.
pub(super) fn check_groupe(demarche: &Value, number: u64, groupe: u64) -> Result<()> {
    let groupes = demarche
        .get("groupeInstructeurs")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let known: Vec<u64> = groupes
        .iter()
        .filter_map(|g| g.get("number").and_then(Value::as_u64))
        .collect();
    if known.contains(&groupe) {
        return Ok(());
    }
    let listed: Vec<String> = known.iter().map(u64::to_string).collect();
    Err(Error::UnknownGroupe {
        demarche: number,
        groupe,
        known: listed.join(", "),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_filtered_run_only_vouches_for_its_states() {
        use DossierState::{Accepte, Refuse};
        assert!(covers(&[], &[]));
        assert!(covers(&[], &[Refuse]));
        assert!(covers(&[Accepte, Refuse], &[Refuse]));
        assert!(!covers(&[Accepte], &[Refuse]));
        assert!(
            !covers(&[Accepte], &[]),
            "a run over accepte says nothing of the others"
        );
    }
}
