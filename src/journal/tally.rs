//! What the journal says one run did, across every part of it: a run stopped
//! (Ctrl-C, SIGTERM, `kill -9`) then resumed is one run, and its report must
//! count the dossiers the first part archived as archived by the run, not as
//! "unchanged" because the second part found their bundles already there.
//!
//! Everything here is replayed from journal lines that carry the run id, so
//! it survives `kill -9` as well as an orderly stop. The per-dossier parts
//! are compact sorted buffers (`super::compact`): 8 to 16 bytes a dossier,
//! no small allocation of their own.

use std::collections::BTreeMap;

use super::compact::{CompactMap, CompactSet};

/// The dossiers one run settled so far, from its journal lines.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTally {
    /// Dossiers this run archived: number → version made (1: new).
    pub archived: CompactMap<u64, u32>,
    /// Dossiers that failed in this run and were not archived since (few:
    /// a map of their reasons).
    pub failed: BTreeMap<u64, String>,
    /// Dossiers found unchanged on pages whose cursor was saved.
    pub unchanged: CompactSet<u64>,
    /// Deletions this run recorded.
    pub deleted: CompactSet<u64>,
    /// When each later part started (real clock), oldest first: empty for a
    /// run that was never resumed.
    pub resumed_at: Vec<String>,
}

impl RunTally {
    /// A dossier version was archived by this run.
    pub(super) fn archived(&mut self, number: u64, version: u32) {
        self.archived.insert(number, version);
        if !self.failed.is_empty() {
            self.failed.remove(&number);
        }
    }

    /// A dossier failed in this run.
    pub(super) fn failed(&mut self, number: u64, reason: &str) {
        self.failed.insert(number, reason.to_owned());
    }

    /// Whether this run archived `number` (in any of its parts).
    #[must_use]
    pub fn has_archived(&self, number: u64) -> bool {
        self.archived.contains(number)
    }
}

#[cfg(test)]
mod tests {
    use crate::journal::tests::done_in as done;
    use crate::journal::{Event, State};

    fn started(run: &str, clock: &str) -> Event {
        Event::RunStarted {
            run_id: run.into(),
            started_at: "2025-01-01T00:00:00Z".into(),
            demarche: 1,
            updated_since: None,
            clock_at: Some(clock.into()),
            states: Vec::new(),
            groupe: None,
        }
    }

    #[test]
    fn a_resumed_run_keeps_what_its_first_part_did() {
        let mut s = State::default();
        s.apply(&started("old", "2025-01-01T00:00:00Z"));
        s.apply(&done(9, 1, "old"));
        s.apply(&Event::RunFinished {
            run_id: "old".into(),
            finished_at: "2025-01-01T00:01:00Z".into(),
        });
        s.apply(&started("r", "2025-02-01T10:00:00Z"));
        s.apply(&done(1, 1, "r"));
        s.apply(&Event::DossierFailed {
            number: 2,
            reason: "md5".into(),
            run_id: "r".into(),
        });
        s.apply(&Event::Cursor {
            run_id: "r".into(),
            listing: "all".into(),
            cursor: "c1".into(),
            unchanged: vec![9],
        });
        // Killed here; the same command again.
        s.apply(&started("r", "2025-02-01T11:30:00Z"));
        s.apply(&done(2, 1, "r"));
        s.apply(&done(9, 2, "r"));
        let run = s.last_run.as_ref().unwrap();
        assert_eq!(
            run.high_water, "2025-02-01T10:00:00Z",
            "the first part's start"
        );
        let t = &run.tally;
        assert_eq!(
            t.archived.iter().collect::<Vec<_>>(),
            [(1, 1), (2, 1), (9, 2)]
        );
        assert!(t.failed.is_empty(), "dossier 2 made it in the second part");
        assert_eq!(t.unchanged.keys().collect::<Vec<_>>(), [9]);
        assert_eq!(t.resumed_at, ["2025-02-01T11:30:00Z"]);
        assert!(
            s.finished_runs[0].tally.archived.is_empty(),
            "a finished run keeps no tally"
        );
    }
}
