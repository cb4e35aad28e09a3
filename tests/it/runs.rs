//! Runs that survive: resume after `kill -9` and Ctrl-C, reruns that change
//! nothing, new versions of changed dossiers, deletions, every DS fault, the
//! lock. Always through the real binary against the fake DS API.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant, SystemTime};

use ds_archive::fake::{Dataset, FakeConfig, Faults};
use serde_json::Value;

use crate::common::{ds_archive, text, tree, Fake, LIGHT_FILE_MAX, TOKEN};

fn json(path: &Path) -> Value {
    serde_json::from_slice(
        &std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap()
}

/// Every file outside the state folder, with its bytes and modification time.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, (Vec<u8>, SystemTime)> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file() && !e.path().to_string_lossy().contains(".ds-archive"))
        .map(|e| {
            let meta = e.metadata().unwrap();
            (
                e.path().to_owned(),
                (std::fs::read(e.path()).unwrap(), meta.modified().unwrap()),
            )
        })
        .collect()
}

fn spawn_archive(fake: &Fake, out: &Path, extra: &[&str]) -> Child {
    fake.archive_with(out, extra)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn done_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join(".ds-archive/journal.jsonl"))
        .map(|j| j.matches("\"dossier_done\"").count())
        .unwrap_or(0)
}

/// Wait (bounded) until `cond` holds, polling: the condition is what the
/// test waits for, not a duration.
fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn staging_busy(out: &Path) -> bool {
    std::fs::read_dir(out.join(".ds-archive/staging")).is_ok_and(|mut d| d.next().is_some())
}

/// The archive folder minus what legitimately differs between two runs:
/// the state folder and `report.json` (run ids, durations).
fn comparable(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut t = tree(out, true);
    t.remove("report.json");
    t
}

/// A fake serving more dossiers than one commit batch (32), two small files
/// each: enough that a batch is committed while one dossier is held.
fn crash_fake() -> Fake {
    Fake::with(FakeConfig {
        token: TOKEN.into(),
        rate_limit_window_secs: crate::common::RATE_WINDOW_SECS,
        dataset: Dataset::generated(4243, 40, 2, 4096),
        ..FakeConfig::default()
    })
}

#[test]
fn kill_9_at_any_point_then_rerun_gives_what_a_clean_run_gives() {
    // Generated PDFs embed their render time: freeze it so two runs can be
    // compared byte for byte.
    ds_archive::fake::freeze_render_time(1_735_689_600);
    let fake = crash_fake();
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean");
    let run = fake.archive(&clean, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let expected = comparable(&clean);

    // One dossier's PDF is held until the kill: the run cannot finish
    // first, however fast the machine. Bundles are committed in batches of
    // up to 32, so "after a batch" is the first point with dossiers done.
    let held = *fake.server.dataset().dossier_numbers().last().unwrap();
    fake.server
        .faults()
        .set_slow_body(Some(Duration::from_millis(2)));
    type KillPoint = (&'static str, Box<dyn Fn(&Path) -> bool>);
    let points: Vec<KillPoint> = vec![
        (
            "mid-download, nothing committed yet",
            Box::new(|o: &Path| staging_busy(o) && done_lines(o) == 0),
        ),
        (
            "after a commit batch, the rest staged or mid-download",
            Box::new(|o: &Path| done_lines(o) >= 1 && staging_busy(o)),
        ),
    ];
    let total = fake.server.dataset().dossier_numbers().len();
    for (i, (name, point)) in points.iter().enumerate() {
        let out = dir.path().join(format!("killed-{i}"));
        fake.server.faults().hold_dossier_pdf(Some(held));
        let mut child = spawn_archive(&fake, &out, &["--concurrency", "2"]);
        wait_until(name, || point(&out));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        fake.server.faults().hold_dossier_pdf(None);
        assert!(
            done_lines(&out) < total,
            "{name}: the run finished before the kill"
        );

        let rerun = fake.archive(&out, &[]);
        assert_eq!(rerun.status.code(), Some(0), "{name}: {}", text(&rerun));
        let got = comparable(&out);
        let missing: Vec<_> = expected.keys().filter(|k| !got.contains_key(*k)).collect();
        let extra: Vec<_> = got.keys().filter(|k| !expected.contains_key(*k)).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{name}: missing {missing:?}, extra {extra:?}"
        );
        let differ: Vec<&String> = expected
            .iter()
            .filter(|(p, b)| got[*p] != **b)
            .map(|(p, _)| p)
            .collect();
        assert!(
            differ.is_empty(),
            "{name}: differ from the clean run: {differ:?}"
        );
        assert!(!staging_busy(&out), "{name}: staging left behind");
    }
    fake.server.faults().clear();
}

#[test]
fn ctrl_c_stops_cleanly_with_130_and_the_rerun_resumes() {
    let fake = crash_fake();
    fake.server
        .faults()
        .set_slow_body(Some(Duration::from_millis(1)));
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    // The last dossier's PDF is held until the signal: the run cannot
    // end before it, however fast the machine.
    let last = fake.server.dataset().dossier_numbers().into_iter().max();
    fake.server.faults().hold_dossier_pdf(last);
    let child = spawn_archive(&fake, &out, &[]);
    wait_until("a first dossier", || done_lines(&out) >= 1);
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    fake.server.faults().hold_dossier_pdf(None);
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(130), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("resume"), "{stderr}");
    fake.server.faults().clear();

    let before = done_lines(&out);
    let rerun = fake.archive(&out, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    let total = fake.server.dataset().dossier_numbers().len();
    assert_eq!(
        done_lines(&out),
        total,
        "each dossier done exactly once (had {before})"
    );
    let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn a_rerun_with_nothing_changed_lists_only_and_rewrites_nothing() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let first = fake.archive(&out, &[]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let before = snapshot(&out);
    let stats = fake.server.stats();

    let second = fake.archive(&out, &[]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let after_stats = fake.server.stats();
    assert_eq!(
        after_stats.file_requests, stats.file_requests,
        "a file was downloaded again"
    );
    let dossier_requests = after_stats
        .graphql_by_operation
        .get("getDossier")
        .copied()
        .unwrap_or(0);
    assert_eq!(
        dossier_requests,
        stats
            .graphql_by_operation
            .get("getDossier")
            .copied()
            .unwrap_or(0)
    );
    assert_eq!(snapshot(&out), before, "a file was rewritten");
    assert!(String::from_utf8_lossy(&second.stderr).contains("0 new, 0 updated"));
}

#[test]
fn a_dossier_changed_at_ds_gets_a_new_version_and_the_old_one_stays() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    assert_eq!(fake.archive(&out, &[]).status.code(), Some(0));
    let number = fake.server.dataset().dossier_numbers()[4];
    let v1 = snapshot(&out);

    let changed = fake
        .server
        .dataset()
        .update_dossier(number, |d| {
            d["motivation"] = "Motivation revue après recours".into()
        })
        .unwrap();
    assert!(changed);
    let rerun = fake.archive(&out, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));

    // Version 1 untouched, byte for byte and in time.
    let now = snapshot(&out);
    for (path, old) in &v1 {
        if path.ends_with("report.json")
            || path.ends_with("manifest-sha256.txt")
            || path.ends_with("dossiers.csv")
        {
            continue;
        }
        assert_eq!(now.get(path), Some(old), "{} changed", path.display());
    }
    let v2 = out.join(format!("dossier-{number}.v2"));
    assert!(v2.join("bagit.txt").is_file());
    assert!(out.join(format!("dossier-{number}.v2.zip")).is_file());
    let meta = json(&v2.join("data/metadata.json"));
    assert_eq!(meta["motivation"], "Motivation revue après recours");
    let report = json(&out.join("report.json"));
    assert_eq!(report["updated"], serde_json::json!([number]));
    let manifest = std::fs::read_to_string(out.join("manifest-sha256.txt")).unwrap();
    assert!(
        manifest.contains(&format!("dossier-{number}.zip"))
            && manifest.contains(&format!("dossier-{number}.v2.zip"))
    );

    let status = ds_archive()
        .args(["status", "--json"])
        .arg(&out)
        .output()
        .unwrap();
    let status: Value = serde_json::from_slice(&status.stdout).unwrap();
    let entry = status["dossiers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["number"] == number)
        .unwrap();
    assert_eq!(entry["versions"].as_array().unwrap().len(), 2);
    let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    // What describes the dossier now is its latest version: the inventory
    // row, and the SIP built for a deposit.
    let mut csv = csv::Reader::from_path(out.join("dossiers.csv")).unwrap();
    let header = csv.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let row = rows
        .iter()
        .find(|r| r[col("id")] == number.to_string())
        .unwrap();
    assert_eq!(&row[col("motivation")], "Motivation revue après recours");
    assert_eq!(&row[col("bundle")], format!("dossier-{number}.v2.zip"));
    assert_eq!(rows.len(), fake.server.dataset().dossier_numbers().len());

    let config = dir.path().join("seda.toml");
    std::fs::write(
        &config,
        "archival_agency_identifier = \"A\"\ntransferring_agency_identifier = \"T\"\n\
         archival_agreement = \"IC-1\"\noriginating_agency_identifier = \"T\"\n",
    )
    .unwrap();
    let sips = dir.path().join("sips");
    let seda = ds_archive()
        .args(["seda", "--no-xsd", "--from"])
        .arg(&out)
        .arg("--out")
        .arg(&sips)
        .arg("--config")
        .arg(&config)
        .args(["--dossier", &number.to_string()])
        .output()
        .unwrap();
    assert_eq!(seda.status.code(), Some(0), "{}", text(&seda));
    let sip = std::fs::read_dir(&sips)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&sip).unwrap()).unwrap();
    let mut names = Vec::new();
    let mut found = false;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        names.push(entry.name().to_owned());
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut bytes).unwrap();
        found |= String::from_utf8_lossy(&bytes).contains("Motivation revue après recours");
    }
    assert!(
        found,
        "the SIP holds version 1 of dossier {number}: {names:?}"
    );
}

#[test]
fn deletions_at_ds_are_recorded_and_bundles_stay() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    assert_eq!(fake.archive(&out, &[]).status.code(), Some(0));
    let number = fake.server.dataset().dossier_numbers()[0];
    assert!(fake
        .server
        .dataset()
        .delete_dossier(number, "user_request", true));
    let rerun = fake.archive(&out, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    let report = json(&out.join("report.json"));
    let deleted = report["deleted"].as_array().unwrap();
    assert!(
        deleted.iter().any(|d| d["number"] == number
            && d["reason"] == "user_request"
            && d["pending"] == true),
        "{deleted:?}"
    );
    assert!(
        out.join(format!("dossier-{number}.zip")).is_file(),
        "the bundle of a deleted dossier stays"
    );
    let status = ds_archive().args(["status"]).arg(&out).output().unwrap();
    assert!(String::from_utf8_lossy(&status.stdout)
        .contains(&format!("dossier {number}: user_request")));
}

fn with_faults(
    setup: impl FnOnce(&Faults),
    extra: &[&str],
) -> (Fake, tempfile::TempDir, std::process::Output) {
    let fake = Fake::start_light();
    setup(&fake.server.faults());
    let dir = tempfile::tempdir().unwrap();
    let run = fake.archive(&dir.path().join("a"), extra);
    (fake, dir, run)
}

fn assert_complete(fake: &Fake, out: &Path) {
    for n in fake.server.dataset().dossier_numbers() {
        assert!(
            out.join(format!("dossier-{n}.zip")).is_file(),
            "dossier {n} missing"
        );
    }
    let verify = ds_archive().arg("verify").arg(out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn server_errors_and_dropped_connections_are_retried() {
    let (fake, dir, run) = with_faults(
        |f| {
            f.fail_graphql(2, 502);
            f.close_graphql_connections(1);
            f.fail_downloads(3, 503);
        },
        &["--state", "accepte"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let out = dir.path().join("a");
    let report = json(&out.join("report.json"));
    assert!(
        report["requests"]["retries"].as_u64().unwrap() >= 3,
        "{report}"
    );
    let _ = fake;
}

#[test]
fn cut_bodies_are_never_kept() {
    let (fake, dir, run) = with_faults(|f| f.cut_downloads(4), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_complete(&fake, &dir.path().join("a"));
}

/// A run of pages of 40 that DS refuses as set by `faults`: it asks for
/// smaller pages, says so, and loses nothing.
fn smaller_pages_lose_nothing(faults: impl FnOnce(&Faults)) {
    let (fake, dir, run) = with_faults(faults, &["--page-size", "40"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("smaller page"),
        "{}",
        text(&run)
    );
    assert_complete(&fake, &dir.path().join("a"));
}

#[test]
fn graphql_timeouts_shrink_the_page_and_lose_nothing() {
    smaller_pages_lose_nothing(|f| f.timeout_graphql_when_first_above(3, 10));
}

#[test]
fn pages_over_ds_complexity_cap_are_asked_smaller_and_lose_nothing() {
    // A full dossier page costs about 361 per dossier (api::complexity): a
    // cap of 10 000 refuses pages of 40, takes pages of 20.
    smaller_pages_lose_nothing(|f| f.set_max_complexity(Some(10_000)));
}

#[test]
fn refused_file_urls_are_refreshed_from_ds() {
    let (fake, dir, run) = with_faults(|f| f.fail_downloads(2, 403), &["--state", "refuse"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        fake.server
            .stats()
            .graphql_by_operation
            .get("getDossier")
            .copied()
            .unwrap_or(0)
            >= 1
    );
    let _ = dir;
}

#[test]
fn urls_that_stay_expired_fail_their_dossiers_without_bundles() {
    let (_fake, dir, run) = with_faults(|f| f.set_url_ttl_secs(0), &["--state", "sans_suite"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("refused"),
        "{}",
        text(&run)
    );
    let bundles: Vec<_> = tree(&dir.path().join("a"), true)
        .into_keys()
        .filter(|k| k.starts_with("dossier-"))
        .collect();
    assert!(bundles.is_empty(), "{bundles:?}");
}

#[test]
fn a_file_that_never_matches_its_md5_fails_only_its_dossier() {
    let fake = Fake::start_light();
    let number = fake.server.dataset().dossier_numbers()[0];
    fake.corrupt_first_file(number);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = fake.archive(&out, &["--retries", "2"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("dossier {number}")) && stderr.contains("checksum"),
        "{stderr}"
    );
    assert!(!out.join(format!("dossier-{number}")).exists());
    assert!(!out.join(format!("dossier-{number}.zip")).exists());
    let report = json(&out.join("report.json"));
    assert_eq!(report["failed"][0]["number"], number);
    let others = fake.server.dataset().dossier_numbers().len() - 1;
    assert_eq!(done_lines(&out), others);
    let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(
        verify.status.code(),
        Some(0),
        "what is there is valid: {}",
        text(&verify)
    );

    // Once DS serves the right bytes, the rerun completes the archive.
    fake.server.faults().clear();
    let rerun = fake.archive(&out, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert!(out.join(format!("dossier-{number}.zip")).is_file());
}

#[test]
fn a_file_without_its_checksum_fails_its_dossier_naming_the_field() {
    let fake = Fake::start_light();
    let number = fake.server.dataset().dossier_numbers()[0];
    assert!(!fake.server.dataset().file_contents(number).is_empty());
    // A query that stops selecting `checksum`, or a proxy that drops it: the
    // old reading skipped the size and checksum checks of those files.
    fake.server
        .faults()
        .drop_field_in_dossier(number, "File", "checksum");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(&format!("dossier {number}"))
            && stderr.contains("missing field `checksum`"),
        "{stderr}"
    );
    assert!(!out.join(format!("dossier-{number}")).exists());
    assert!(!out.join(format!("dossier-{number}.zip")).exists());
    let report = json(&out.join("report.json"));
    assert_eq!(report["failed"][0]["number"], number);
    let reason = report["failed"][0]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with("unexpected DS answer at `dossier.") && reason.contains("checksum"),
        "{reason}"
    );
    let others = fake.server.dataset().dossier_numbers().len() - 1;
    assert_eq!(done_lines(&out), others);

    fake.server.faults().clear();
    let rerun = fake.archive(&out, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert!(out.join(format!("dossier-{number}.zip")).is_file());
}

#[test]
fn a_page_without_has_next_page_or_a_dossier_without_number_fails_the_run() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let all = fake.server.dataset().dossier_numbers().len();
    for (on, field, culprit) in [
        ("pageInfo", "hasNextPage", "`demarche.dossiers.pageInfo`"),
        ("Dossier", "number", "`demarche.dossiers.nodes[0]`"),
    ] {
        fake.server.faults().clear();
        fake.server.faults().drop_field(on, field);
        let out = dir.path().join(field);
        // Small pages: the old reading ended the listing after the first.
        let run = fake.archive(&out, &["--page-size", "5"]);
        // Exit 1, like a failed dossier: the run ends in order, with its
        // report, and says it is not complete.
        assert_eq!(run.status.code(), Some(1), "{}", text(&run));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains(culprit) && stderr.contains(&format!("missing field `{field}`")),
            "{stderr}"
        );
        assert!(stderr.contains("the run is not complete"), "{stderr}");
        let report = json(&out.join("report.json"));
        assert_eq!(report["complete"], false, "{report}");
        let reason = report["listing_error"].as_str().unwrap();
        assert!(reason.contains(culprit), "{reason}");
        let journal = std::fs::read_to_string(out.join(".ds-archive/journal.jsonl")).unwrap();
        assert!(
            !journal.contains("\"cursor\""),
            "no page is vouched for: {journal}"
        );
        assert!(
            !journal.contains("\"run_finished\""),
            "the run stays unfinished: {journal}"
        );

        // Once DS answers in full, the same command completes the archive.
        fake.server.faults().clear();
        let rerun = fake.archive(&out, &["--page-size", "5"]);
        assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
        assert_eq!(done_lines(&out), all);
    }
}

#[test]
fn a_damaged_journal_line_stops_the_run_with_its_number() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    std::fs::create_dir_all(out.join(".ds-archive")).unwrap();
    let deleted = |n: u64| {
        format!(
            "{{\"event\":\"deleted\",\"number\":{n},\"reason\":\"expired\",\
             \"date\":\"2024-01-01T00:00:00+01:00\",\"pending\":false}}\n"
        )
    };
    let journal = format!("{}{{\"event\":\"dossier_d\n{}", deleted(1), deleted(2));
    let path = out.join(".ds-archive/journal.jsonl");
    std::fs::write(&path, &journal).unwrap();
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("line 2 of the journal"), "{stderr}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), journal);
    assert_eq!(fake.server.stats().graphql_requests, 0);
}

#[test]
fn ds_rate_limit_is_waited_out() {
    // DS counts in epoch minutes; this fake in 2-second windows, so waiting
    // one out costs seconds.
    let fake = Fake::with(FakeConfig {
        token: TOKEN.into(),
        rate_limit_per_minute: 3,
        rate_limit_window_secs: 2,
        dataset: Dataset::sample().with_generated_files_capped(LIGHT_FILE_MAX),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    // Use up the current window first (epoch-aligned, like DS's), so the
    // run below meets the limit whatever moment it starts at: it makes more
    // than 3 requests, far less than a window apart.
    while fake.server.stats().graphql_requests < 3 {
        let drain = ds_archive()
            .args(["archive", "--demarche", "999999", "--out"])
            .arg(dir.path().join("drain"))
            .args(["--api-url", &fake.url()])
            .env("DS_API_TOKEN", TOKEN)
            .output()
            .unwrap();
        assert_eq!(drain.status.code(), Some(2), "{}", text(&drain));
    }
    let run = fake.archive(
        &dir.path().join("a"),
        &["--state", "refuse", "--page-size", "2"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        fake.server.stats().rate_limited >= 1,
        "the test never hit the limit"
    );
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("429"),
        "{}",
        text(&run)
    );
}

#[test]
fn a_second_run_on_the_same_folder_is_refused() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let held = ds_archive::journal::Journal::open(&out).unwrap();
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("locked"),
        "{}",
        text(&run)
    );
    drop(held);
    // A lock whose holder is gone (here: dropped) is taken over.
    let run = fake.archive(&out, &["--state", "refuse"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
}

/// A write that fails mid-run (here a file-size limit, as a full disk would)
/// stops the run with an error naming the path, keeps the journal intact and
/// leaves nothing half-written; the next run completes the archive.
#[test]
fn a_failing_disk_stops_the_run_cleanly_and_the_rerun_resumes() {
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let bin = assert_cmd::cargo::cargo_bin("ds-archive");
    // 4 MiB per file: the sample's large attachments cannot be written.
    // SIGXFSZ is ignored so the write fails with EFBIG instead of killing us.
    let script = format!(
        "trap '' XFSZ; ulimit -f 4096; exec '{}' archive --demarche {} --out '{}' --api-url '{}' --rate-limit 400",
        bin.display(),
        fake.demarche(),
        out.display(),
        fake.url()
    );
    let run = ds_archive_env(std::process::Command::new("sh").args(["-c", &script]))
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains(".ds-archive/staging/dossier-"),
        "the error names the file: {stderr}"
    );
    assert!(
        stderr.contains("rerun") || stderr.contains("run the same command"),
        "{stderr}"
    );

    // Whatever is in the output folder is complete and valid.
    let partial = done_lines(&out);
    let total = fake.server.dataset().dossier_numbers().len();
    assert!(partial < total);
    if partial > 0 {
        let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
        assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
    }

    let rerun = fake.archive(&out, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    assert_eq!(done_lines(&out), total);
    let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

fn ds_archive_env(cmd: &mut std::process::Command) -> &mut std::process::Command {
    cmd.env("DS_API_TOKEN", TOKEN)
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .env_remove("DS_API_URL")
}

/// A run limited to some states says nothing about the others: a later run
/// over other states (or all) must still list them in full.
#[test]
fn a_state_filtered_run_does_not_hide_other_states_from_later_runs() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let first = fake.archive(&out, &["--state", "accepte"]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    let after_first = done_lines(&out);
    let second = fake.archive(&out, &["--state", "refuse"]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    assert!(
        done_lines(&out) > after_first,
        "the refuse dossiers were skipped"
    );
    let all = fake.archive(&out, &[]);
    assert_eq!(all.status.code(), Some(0), "{}", text(&all));
    assert_eq!(
        done_lines(&out),
        fake.server.dataset().dossier_numbers().len()
    );
}
