//! DS failing on any request, not only on pages of dossiers: `timeout`
//! errors (with or without partial data), 5xx and dropped connections in a
//! row on `getDemarche`, `getDossiers`, `getDossier` and
//! `getDeletedDossiers`. A run either ends in a complete archive or says
//! which operation failed, and never looks complete when it is not.

use std::path::Path;
use std::process::Output;

use ds_archive::fake::GraphqlFault::{Close, Status, Timeout, TimeoutWithoutData};
use serde_json::Value;

use crate::common::{ds_archive, text, Fake};

/// `archive` with retries a few ms apart instead of seconds (the knob is an
/// environment variable so that the same test runs, slowly, on a binary
/// that does not know it).
fn archive(fake: &Fake, out: &Path, extra: &[&str]) -> Output {
    fake.archive_with(out, extra)
        .env("DS_ARCHIVE_RETRY_DELAY_MS", "2")
        .output()
        .expect("ds-archive runs")
}

fn report(out: &Path) -> Value {
    let bytes = std::fs::read(out.join("report.json")).expect("report.json");
    serde_json::from_slice(&bytes).expect("report.json is JSON")
}

fn requests(fake: &Fake, operation: &str) -> u64 {
    let stats = fake.server.stats();
    stats
        .graphql_by_operation
        .get(operation)
        .copied()
        .unwrap_or(0)
}

/// Every dossier DS lists has its zip, and `verify` finds the archive valid.
fn assert_complete(fake: &Fake, out: &Path, run: &Output) {
    assert_eq!(run.status.code(), Some(0), "{}", text(run));
    for n in fake.server.dataset().dossier_numbers() {
        assert!(
            out.join(format!("dossier-{n}.zip")).is_file(),
            "dossier {n} missing: {}",
            text(run)
        );
    }
    assert_eq!(report(out)["complete"], true);
    let verify = ds_archive().arg("verify").arg(out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));
}

#[test]
fn the_first_request_of_a_run_may_time_out_and_fail_several_times() {
    let fake = Fake::start_light();
    let faults = fake.server.faults();
    faults.fail_operation(
        "getDemarche",
        [Timeout, Status(502), TimeoutWithoutData, Status(500), Close],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = archive(&fake, &out, &[]);
    assert_complete(&fake, &out, &run);
    assert_eq!(
        requests(&fake, "getDemarche"),
        6,
        "five failures, then the answer"
    );
}

#[test]
fn a_page_of_one_dossier_that_times_out_is_asked_again_after_a_backoff() {
    let fake = Fake::start_light();
    fake.server.faults().fail_operation(
        "getDossiers",
        [Timeout, TimeoutWithoutData, Status(503), Timeout],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = archive(&fake, &out, &["--page-size", "1", "--state", "refuse"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let listed = report(&out)["new"].as_array().unwrap().len();
    let refused = fake
        .server
        .dataset()
        .dossier_numbers()
        .into_iter()
        .filter(|n| out.join(format!("dossier-{n}.zip")).is_file())
        .count();
    assert!(listed > 0 && listed == refused, "{}", text(&run));
    let retries = report(&out)["requests"]["retries"].as_u64().unwrap();
    assert!(retries >= 4, "every failed try is a retry: {retries}");
}

#[test]
fn refreshing_expired_file_urls_survives_timeouts_and_server_errors() {
    let fake = Fake::start_light();
    let faults = fake.server.faults();
    // The first file download is refused: its dossier is asked again for
    // fresh URLs, and that request meets DS under load.
    faults.fail_downloads(1, 403);
    faults.fail_operation(
        "getDossier",
        [Timeout, Status(503), TimeoutWithoutData, Close],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = archive(&fake, &out, &[]);
    assert_complete(&fake, &out, &run);
    assert_eq!(requests(&fake, "getDossier"), 5, "{}", text(&run));
}

#[test]
fn the_deleted_dossiers_listing_survives_timeouts_and_server_errors() {
    let fake = Fake::start_light();
    let number = fake.server.dataset().dossier_numbers()[0];
    assert!(fake
        .server
        .dataset()
        .delete_dossier(number, "expired", false));
    fake.server.faults().fail_operation(
        "getDeletedDossiers",
        [Timeout, TimeoutWithoutData, Status(502), Timeout, Close],
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = archive(&fake, &out, &[]);
    let deleted = report(&out)["deleted"].clone();
    assert!(
        deleted
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["number"] == number && d["reason"] == "expired"),
        "{deleted}\n{}",
        text(&run)
    );
    assert_complete(&fake, &out, &run);
}

#[test]
fn a_deleted_listing_that_keeps_failing_fails_the_run_and_the_rerun_lists_it() {
    let fake = Fake::start_light();
    let number = fake.server.dataset().dossier_numbers()[0];
    assert!(fake
        .server
        .dataset()
        .delete_dossier(number, "user_request", true));
    fake.server
        .faults()
        .fail_operation("getDeletedDossiers", [Timeout; 20]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    let run = archive(&fake, &out, &["--retries", "2"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("getDeletedDossiers")
            && stderr.contains("deleted at DS could not be listed")
            && stderr.contains("not complete"),
        "{stderr}"
    );
    let failed = report(&out);
    assert_eq!(failed["complete"], false, "{failed}");
    assert!(
        failed["deletions_error"]
            .as_str()
            .is_some_and(|e| e.contains("getDeletedDossiers") && e.contains("timed out")),
        "{failed}"
    );
    // The dossiers themselves are archived and valid.
    for n in fake.server.dataset().dossier_numbers() {
        assert!(out.join(format!("dossier-{n}.zip")).is_file());
    }
    let verify = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", text(&verify));

    // Once DS answers, the rerun lists the deletions the failed run missed.
    fake.server.faults().clear();
    let rerun = archive(&fake, &out, &[]);
    assert_complete(&fake, &out, &rerun);
    let done = report(&out);
    assert!(
        done["deleted"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["number"] == number && d["pending"] == true),
        "{done}"
    );
    assert_eq!(done["deletions_error"], Value::Null);
}

#[test]
fn when_the_tries_run_out_the_error_names_the_operation() {
    let fake = Fake::start_light();
    fake.server
        .faults()
        .fail_operation("getDemarche", [TimeoutWithoutData, Timeout, Timeout]);
    let dir = tempfile::tempdir().unwrap();
    let run = archive(&fake, &dir.path().join("a"), &["--retries", "3"]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("`getDemarche`") && stderr.contains("timed out 3 times"),
        "{stderr}"
    );

    // A refresh of file URLs that keeps timing out fails its dossier only,
    // with a reason that says which request.
    fake.server.faults().clear();
    fake.server.faults().fail_downloads(1, 403);
    fake.server
        .faults()
        .fail_operation("getDossier", [Timeout, TimeoutWithoutData, Timeout]);
    let out = dir.path().join("b");
    let run = archive(&fake, &out, &["--retries", "3", "--concurrency", "1"]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let failed = report(&out)["failed"].clone();
    assert_eq!(failed.as_array().unwrap().len(), 1, "{failed}");
    let reason = failed[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("getDossier") && reason.contains("timed out 3 time"),
        "{reason}"
    );
}
