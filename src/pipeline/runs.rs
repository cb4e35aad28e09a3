//! Which run this is: the unfinished one resumed, or a new one, and the
//! `updatedSince` a new one lists from. A run vouches for what was not
//! modified since it started only over what it listed: the states it asked
//! for, and its groupe instructeur (a whole-démarche run covers every groupe;
//! a groupe's run covers that groupe only).

use super::{report, Options, OVERLAP_SECS};
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
