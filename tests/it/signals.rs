//! Runs stopped by a service manager (SIGTERM), a closed terminal (SIGHUP)
//! or Ctrl-C, then run again: the stop is orderly, the exit code says which
//! signal it was, and the resumed run reports the whole run as one.
//! Signals are sent to the real binary at an observable point (a dossier is
//! done, a log line is out), never after a guessed delay.

#![cfg(unix)]

use std::io::BufRead as _;
use std::path::Path;
use std::process::{Child, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ds_archive::fake::{Dataset, FakeConfig, Faults};
use serde_json::Value;

use crate::common::{ds_archive, text, Fake, TOKEN};

/// A running `archive` whose stderr is collected as it comes.
struct Running {
    child: Child,
    /// The fake's faults: the last dossier's PDF is held until the
    /// first signal, so the run cannot end before it, however fast.
    faults: Arc<Faults>,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

impl Running {
    fn spawn(fake: &Fake, out: &Path, extra: &[&str]) -> Self {
        let faults = fake.server.faults();
        let last = fake.server.dataset().dossier_numbers().into_iter().max();
        faults.hold_dossier_pdf(last);
        let mut child = fake
            .archive_with(out, extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let pipe = child.stderr.take().unwrap();
        let reader = {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(pipe).lines() {
                    let Ok(line) = line else { return };
                    let mut s = stderr.lock().unwrap();
                    s.push_str(&line);
                    s.push('\n');
                }
            })
        };
        Self {
            child,
            faults,
            stderr,
            reader: Some(reader),
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn signal(&self, name: &str) {
        let sent = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(sent.success(), "kill -{name}");
        self.faults.hold_dossier_pdf(None);
    }

    /// Wait for the exit (bounded); the exit code and all of stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        let deadline = Instant::now() + Duration::from_secs(120);
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "the run did not stop: {}",
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        };
        if let Some(reader) = self.reader.take() {
            reader.join().unwrap();
        }
        (status.code(), self.stderr())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // A failed assertion must not leave the run behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Wait (bounded) until `cond` holds, polling.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn journal(out: &Path) -> String {
    std::fs::read_to_string(out.join(".ds-archive/journal.jsonl")).unwrap_or_default()
}

fn done_lines(out: &Path) -> usize {
    journal(out).matches("\"dossier_done\"").count()
}

fn report(out: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap()
}

fn numbers(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .collect()
}

/// A fake serving `dossiers` generated dossiers of two small files each,
/// their downloads slowed (50 ms per file) so that a run can be caught in
/// the middle.
fn slow_fake(dossiers: usize) -> Fake {
    let fake = Fake::with(FakeConfig {
        token: TOKEN.into(),
        dataset: Dataset::generated(4242, dossiers, 2, 2048),
        ..FakeConfig::default()
    });
    fake.server
        .faults()
        .set_slow_body(Some(Duration::from_millis(50)));
    fake
}

fn rerun(fake: &Fake, out: &Path, extra: &[&str]) -> Output {
    fake.server.faults().hold_dossier_pdf(None);
    let run = fake.archive(out, extra);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    run
}

#[test]
fn sigterm_and_sighup_stop_like_ctrl_c_with_128_plus_the_signal() {
    let fake = slow_fake(48);
    let total = fake.server.dataset().dossier_numbers().len();
    let dir = tempfile::tempdir().unwrap();
    for (signal, code) in [("TERM", 143), ("HUP", 129)] {
        let out = dir.path().join(signal);
        let run = Running::spawn(&fake, &out, &["--concurrency", "2"]);
        wait_until("a first dossier", || done_lines(&out) >= 1);
        run.signal(signal);
        let (status, stderr) = run.finish();
        assert_eq!(status, Some(code), "SIG{signal}: {stderr}");
        assert!(
            stderr.contains(&format!("SIG{signal} received")),
            "{stderr}"
        );
        assert!(stderr.contains("run the same command again"), "{stderr}");
        assert!(
            done_lines(&out) < total,
            "SIG{signal} came after the end: {} of {total} {stderr}",
            done_lines(&out)
        );
        // The orderly path: journal and run files written, staging left
        // for the next run, the run not marked finished.
        assert!(!journal(&out).contains("run_finished"), "SIG{signal}");
        assert_eq!(report(&out)["interrupted"], true, "SIG{signal}");
        assert!(out.join("manifest-sha256.txt").is_file());

        rerun(&fake, &out, &[]);
        assert_eq!(done_lines(&out), total, "SIG{signal}: each dossier once");
        let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
        assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    }
}

#[test]
fn a_second_signal_quits_at_once() {
    let fake = slow_fake(48);
    let total = fake.server.dataset().dossier_numbers().len();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    std::fs::create_dir_all(&out).unwrap();
    // A named pipe where the run manifest goes stands for a hung network
    // filesystem: the orderly stop blocks on it, forever.
    let manifest = out.join("manifest-sha256.txt");
    let made = std::process::Command::new("mkfifo")
        .arg(&manifest)
        .status()
        .unwrap();
    assert!(made.success());
    let run = Running::spawn(&fake, &out, &["--concurrency", "2"]);
    wait_until("a first dossier", || done_lines(&out) >= 1);
    run.signal("HUP");
    wait_until("the first signal's log line", || {
        run.stderr().contains("SIGHUP received")
    });
    run.signal("TERM");
    let (status, stderr) = run.finish();
    assert_eq!(status, Some(143), "{stderr}");
    assert!(!stderr.contains("bundles in"), "no summary: {stderr}");

    // The journal was consistent at every line: the rerun completes.
    std::fs::remove_file(&manifest).unwrap();
    rerun(&fake, &out, &[]);
    assert_eq!(done_lines(&out), total, "each dossier once");
}

/// The run ids of the journal's `run_started` lines, in order.
fn run_ids(out: &Path) -> Vec<String> {
    journal(out)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["event"] == "run_started")
        .map(|e| e["run_id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_run_stopped_then_resumed_reports_as_one_run() {
    let fake = slow_fake(40);
    let mut all = fake.server.dataset().dossier_numbers();
    all.sort_unstable();
    let dir = tempfile::tempdir().unwrap();
    for stop in ["TERM", "KILL"] {
        let out = dir.path().join(stop);
        let started = Instant::now();
        let run = Running::spawn(&fake, &out, &["--concurrency", "2"]);
        wait_until("a few dossiers", || done_lines(&out) >= 4);
        // The first part lasted at least until its fourth dossier was
        // journaled, even when killed before it could say more.
        let first_part_at_least = started.elapsed().as_secs_f64();
        run.signal(stop);
        let (status, stderr) = run.finish();
        assert_ne!(status, Some(0), "{stop}: the run was not stopped: {stderr}");
        let first_part = done_lines(&out);
        assert!(first_part < all.len(), "{stop} came after the end");

        let resume_started = Instant::now();
        let resumed = rerun(&fake, &out, &[]);
        let second_part = resume_started.elapsed().as_secs_f64();
        let whole = started.elapsed().as_secs_f64();
        let ids = run_ids(&out);
        assert_eq!(ids.len(), 2, "{stop}: {ids:?}");
        assert_eq!(ids[0], ids[1], "{stop}: the same run continued");

        let stderr = String::from_utf8_lossy(&resumed.stderr);
        let expected = format!("{} new, 0 updated, 0 unchanged, 0 failed", all.len());
        assert!(
            stderr.contains(&expected),
            "{stop} after {first_part} dossiers: want `{expected}`: {stderr}"
        );
        assert!(stderr.contains("one run in 2 parts"), "{stderr}");
        let report = report(&out);
        assert_eq!(report["run_id"], ids[0].as_str(), "{stop}");
        assert_eq!(report["counts"]["new"], all.len(), "{stop}");
        assert_eq!(
            numbers(&report["new"]),
            all,
            "{stop}: every dossier, sorted"
        );
        assert_eq!(report["unchanged"], serde_json::json!([]), "{stop}");
        assert_eq!(report["resumed_at"].as_array().unwrap().len(), 1, "{stop}");
        let secs = report["duration_secs"].as_f64().unwrap();
        // Both parts added up, within the test's own measure of each (dates
        // in the journal are to the second, hence the 1 s slack per part).
        let at_least = first_part_at_least + second_part - 2.0;
        assert!(
            secs >= at_least && secs <= whole + 1.0,
            "{stop}: {secs} s for a run of {whole:.1} s whose first part took at least \
             {first_part_at_least:.1} s and second {second_part:.1} s"
        );

        // A run that ended normally is not continued: the next is a new run.
        let next = rerun(&fake, &out, &[]);
        let ids = run_ids(&out);
        assert_ne!(ids[2], ids[1], "{stop}: a finished run starts a new id");
        let stderr = String::from_utf8_lossy(&next.stderr);
        assert!(stderr.contains("0 new, 0 updated"), "{stop}: {stderr}");
        assert!(!stderr.contains("parts"), "{stop}: {stderr}");
    }
}
