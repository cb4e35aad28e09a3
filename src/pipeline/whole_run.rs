//! One run, one report: a run stopped (Ctrl-C, SIGTERM, `kill -9`) then
//! resumed with the same command is one run with one id, and its summary and
//! `report.json` must describe all of it. The part that resumes only sees
//! its own work: the bundles the first part made look "unchanged" to it, and
//! the first part's unchanged dossiers are not listed again. So the counts
//! are taken from the journal's tally of the run (`journal::RunTally`), and
//! what only this process knows (failures that left no journal line, its
//! deletions) is added to them. Every list comes out sorted by number.

use std::collections::BTreeMap;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::Summary;
use crate::ds_list::DeletedDossier;
use crate::journal::State;

/// Turn the summary of this part into the summary of the whole run.
/// `part_started` is this part's start by the real clock.
pub(super) fn extend_to_whole_run(summary: &mut Summary, state: &State, part_started: &str) {
    let Some(run) = state.last_run.as_ref() else {
        return;
    };
    let tally = &run.tally;
    let made = |first: bool| {
        tally
            .archived
            .iter()
            .filter(|(_, version)| (*version == 1) == first)
            .map(|(number, _)| number)
            .collect::<Vec<_>>()
    };
    summary.new = made(true);
    summary.updated = made(false);

    // One buffer of numbers, sorted in place (a set of them cost ten times
    // the bytes, in small blocks: docs/benchmarks.md, "Memory").
    let mut unchanged = std::mem::take(&mut summary.unchanged);
    unchanged.extend(tally.unchanged.keys());
    unchanged.retain(|n| !tally.has_archived(*n));
    unchanged.sort_unstable();
    unchanged.dedup();
    summary.unchanged = unchanged;

    let mut failed = tally.failed.clone();
    for (number, reason) in summary.failed.drain(..) {
        if !tally.has_archived(number) {
            failed.insert(number, reason);
        }
    }
    summary.failed = failed.into_iter().collect();

    let mut deleted: BTreeMap<u64, DeletedDossier> = tally
        .deleted
        .keys()
        .filter_map(|n| {
            let (reason, date, pending) = state.deleted.get(&n)?;
            Some((
                n,
                DeletedDossier {
                    number: n,
                    reason: reason.clone(),
                    date: date.clone(),
                    pending: *pending,
                },
            ))
        })
        .collect();
    deleted.extend(summary.deleted.drain(..).map(|d| (d.number, d)));
    summary.deleted = deleted.into_values().collect();

    // The run's first part started at its high-water mark (real clock).
    summary.duration += earlier_parts(&run.high_water, part_started);
    summary.resumed_at.clone_from(&tally.resumed_at);
}

/// The time from the run's first start to this part's start (the earlier
/// parts and the pauses between them); zero for a run never resumed.
fn earlier_parts(first_start: &str, part_started: &str) -> std::time::Duration {
    let parse = |s: &str| OffsetDateTime::parse(s, &Rfc3339).ok();
    match (parse(first_start), parse(part_started)) {
        (Some(a), Some(b)) if b > a => (b - a).unsigned_abs(),
        _ => std::time::Duration::ZERO,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Event;

    #[test]
    fn the_first_parts_bundles_are_new_not_unchanged() {
        let mut state = State::default();
        state.apply(&Event::RunStarted {
            run_id: "r".into(),
            started_at: "2025-01-01T00:00:00Z".into(),
            demarche: 1,
            updated_since: None,
            clock_at: Some("2025-03-01T10:00:00Z".into()),
            states: Vec::new(),
            groupe: None,
        });
        for number in [3, 1] {
            state.apply(&Event::DossierDone {
                number,
                version: 1,
                updated_at: "d".into(),
                name: format!("dossier-{number}"),
                zip_sha256: String::new(),
                files: 0,
                bytes: 0,
                run_id: "r".into(),
            });
        }
        // The resumed part archived 2 and found 1 and 3 already there.
        let mut summary = Summary {
            new: vec![2],
            unchanged: vec![3, 1],
            failed: vec![(5, "gone".into())],
            ..Summary::default()
        };
        state.apply(&Event::DossierDone {
            number: 2,
            version: 1,
            updated_at: "d".into(),
            name: "dossier-2".into(),
            zip_sha256: String::new(),
            files: 0,
            bytes: 0,
            run_id: "r".into(),
        });
        extend_to_whole_run(&mut summary, &state, "2025-03-01T10:30:00Z");
        assert_eq!(summary.new, [1, 2, 3]);
        assert!(summary.unchanged.is_empty());
        assert_eq!(summary.failed, [(5, "gone".to_owned())]);
        assert_eq!(summary.duration.as_secs(), 30 * 60);
    }
}
