//! Unit tests of the journal: replay, torn lines, locking, group commits.

use super::*;

fn done(number: u64, version: u32) -> Event {
    done_in(number, version, "r1")
}

/// A `dossier_done` line of run `run` (also used by the tally's tests).
pub(super) fn done_in(number: u64, version: u32, run: &str) -> Event {
    Event::DossierDone {
        number,
        version,
        updated_at: "2024-01-01T00:00:00+01:00".into(),
        name: format!("dossier-{number}"),
        zip_sha256: "00".into(),
        files: 1,
        bytes: 2,
        run_id: run.into(),
    }
}

#[test]
fn replays_and_survives_a_torn_line() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut j = Journal::open(dir.path()).unwrap();
        j.append(done(1, 1)).unwrap();
        j.append(done(2, 1)).unwrap();
    }
    let path = dir.path().join(STATE_DIR).join("journal.jsonl");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"{\"event\":\"dossier_done\",\"num").unwrap();
    drop(f);
    let mut j = Journal::open(dir.path()).unwrap();
    assert_eq!(j.state().done.counts().unwrap().dossiers, 2);
    j.append(done(3, 1)).unwrap();
    drop(j);
    let j = Journal::open(dir.path()).unwrap();
    assert_eq!(
        j.state()
            .done
            .iter()
            .map(|v| v.unwrap().number)
            .collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
}

fn journal_path(dir: &Path) -> PathBuf {
    dir.join(STATE_DIR).join("journal.jsonl")
}

#[test]
fn an_unreadable_last_line_is_torn_and_cut_even_with_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    Journal::open(dir.path())
        .unwrap()
        .append(done(1, 1))
        .unwrap();
    let path = journal_path(dir.path());
    let good = std::fs::read(&path).unwrap();
    // Blocks the filesystem had not written when the machine died read as zeros.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&[0; 40]).unwrap();
    f.write_all(b"\n").unwrap();
    drop(f);
    let j = Journal::open(dir.path()).unwrap();
    assert_eq!(j.state().done.counts().unwrap().dossiers, 1);
    drop(j);
    assert_eq!(std::fs::read(&path).unwrap(), good, "the torn line is cut");
}

#[test]
fn an_unreadable_line_before_the_last_stops_with_its_number() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut j = Journal::open(dir.path()).unwrap();
        j.append(done(1, 1)).unwrap();
        j.append(done(2, 1)).unwrap();
        j.append(done(3, 1)).unwrap();
    }
    let path = journal_path(dir.path());
    let text = std::fs::read_to_string(&path).unwrap();
    let damaged = text.replacen("\"number\":2", "\"number\":\"two\"", 1);
    assert_ne!(damaged, text);
    std::fs::write(&path, &damaged).unwrap();
    let e = Journal::open(dir.path()).unwrap_err();
    assert!(
        matches!(&e, Error::Journal { line: 2, path: p, .. } if *p == path),
        "{e}"
    );
    assert!(e.to_string().contains("line 2"), "{e}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        damaged,
        "a damaged journal is left as it is"
    );
    let e = read_state(dir.path()).unwrap_err();
    assert!(matches!(e, Error::Journal { line: 2, .. }), "{e}");
}

#[test]
fn a_group_commit_is_one_write_replayed_line_by_line() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut j = Journal::open(dir.path()).unwrap();
        let publishing = |n: u64| Event::Publishing {
            number: n,
            name: format!("dossier-{n}"),
        };
        j.append_all(vec![publishing(1), publishing(2)]).unwrap();
        assert_eq!(j.state().publishing.len(), 2);
        j.append_all(vec![done(1, 1), done(2, 1)]).unwrap();
        assert!(j.state().publishing.is_empty());
    }
    let text = std::fs::read_to_string(dir.path().join(STATE_DIR).join("journal.jsonl")).unwrap();
    assert_eq!(text.lines().count(), 4, "{text}");
    let j = Journal::open(dir.path()).unwrap();
    assert_eq!(
        j.state()
            .done
            .iter()
            .map(|v| v.unwrap().number)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert!(j.state().publishing.is_empty());
}

#[test]
fn a_second_journal_on_the_same_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Journal::open(dir.path()).unwrap();
    let second = Journal::open(dir.path());
    assert!(matches!(second, Err(Error::Locked { pid, .. }) if pid == std::process::id()));
}

#[test]
fn failure_is_cleared_by_a_later_success() {
    let mut s = State::default();
    s.apply(&Event::DossierFailed {
        number: 4,
        reason: "md5".into(),
        run_id: "r".into(),
    });
    assert!(s.failed.contains_key(&4));
    s.apply(&done(4, 1));
    assert!(s.failed.is_empty());
    assert_eq!(s.latest(4).unwrap().map(|v| v.version), Some(1));
}

/// A `dossier_done` line with a zip digest that marks the line.
fn done_marked(number: u64, version: u32, mark: u64) -> Event {
    Event::DossierDone {
        number,
        version,
        updated_at: "2024-01-01T00:00:00+01:00".into(),
        name: crate::bag::bundle_name(number, version),
        zip_sha256: format!("{mark:064x}"),
        files: 1,
        bytes: mark,
        run_id: "r1".into(),
    }
}

#[test]
fn versions_written_aside_are_rebuilt_from_the_journal_and_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    // Far more versions than the set keeps in memory: several runs on disk,
    // merged; some dossiers get a second version much later.
    {
        let mut j = Journal::open(dir.path()).unwrap();
        let first: Vec<Event> = (0..9_000).rev().map(|n| done_marked(n, 1, n)).collect();
        j.append_all(first).unwrap();
        let second: Vec<Event> = (0..9_000)
            .step_by(9)
            .map(|n| done_marked(n, 2, n + 1))
            .collect();
        j.append_all(second).unwrap();
        let counts = j.state().done.counts().unwrap();
        assert_eq!((counts.dossiers, counts.versions), (9_000, 10_000));
    }
    // Killed while writing a line: the torn line is cut, the rest replayed.
    let path = journal_path(dir.path());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(b"{\"event\":\"dossier_done\",\"number\":18,\"vers")
        .unwrap();
    drop(f);
    for reopened in 0..2 {
        let j = Journal::open(dir.path()).unwrap();
        let state = j.state();
        let counts = state.done.counts().unwrap();
        assert_eq!(
            (counts.dossiers, counts.versions),
            (9_000, 10_000),
            "reopened {reopened}"
        );
        let latest = |n| state.latest(n).unwrap().map(|v| (v.version, v.bytes));
        assert_eq!(
            latest(18),
            Some((2, 19)),
            "the torn line's version is not there"
        );
        assert_eq!(latest(19), Some((1, 19)));
        assert_eq!(latest(8_991), Some((2, 8_992)));
        assert_eq!(latest(8_999), Some((1, 8_999)));
        assert_eq!(latest(9_000), None);
        let status = read_state(dir.path()).unwrap().unwrap();
        assert_eq!(
            status.done.counts().unwrap(),
            counts,
            "status reads the same"
        );
        // The runs are unnamed files: nothing in the state folder outlives
        // the process, so no stale copy can ever be read instead of the
        // journal.
        let mut names: Vec<String> = std::fs::read_dir(dir.path().join(STATE_DIR))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["journal.jsonl", "lock"]);
    }
}
