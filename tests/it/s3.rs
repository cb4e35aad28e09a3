//! Archiving into S3-compatible object storage, through the binary, against
//! s3s-fs running in the test process (a real S3 server over HTTP that checks
//! signatures and checksums; the bucket is a folder we can read and damage).

use std::path::Path;

use crate::common::{text, tree, Fake, TOKEN};
use crate::s3common::{files_containing, s3_env, verify, S3s, BUCKET, SECRET_KEY};

fn archive_s3(
    fake: &Fake,
    s3: &S3s,
    prefix: &str,
    work: &Path,
    extra: &[&str],
) -> std::process::Output {
    let url = format!("s3://{BUCKET}/{prefix}");
    let mut cmd = fake.archive_with(Path::new(&url), &["--work-dir"]);
    cmd.arg(work).args(extra);
    s3_env(&mut cmd, &s3.endpoint);
    cmd.output().unwrap()
}

/// The zips of a local archive folder, name → bytes.
fn local_zips(out: &Path) -> Vec<(String, Vec<u8>)> {
    tree(out, true)
        .into_iter()
        .filter(|(k, _)| k.ends_with(".zip") && !k.contains('/'))
        .collect()
}

#[test]
fn the_sample_goes_to_the_bucket_as_the_local_zips_and_verifies() {
    ds_archive::fake::freeze_render_time(1_735_689_600);
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let run = fake.archive(&local, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    let work = dir.path().join("work");
    let run = archive_s3(&fake, &s3, "ds/sample", &work, &["-v"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));

    // Every zip of a local run, byte for byte, under the same names.
    let zips = local_zips(&local);
    assert!(zips.len() > 20);
    for (name, bytes) in &zips {
        let object = s3.object(&format!("ds/sample/{name}"));
        let got = std::fs::read(&object).unwrap_or_default();
        assert!(got == *bytes, "{name} differs or is missing in the bucket");
    }
    // No bag folders in the bucket; the run files under runs/, the
    // démarche's documents under demarche/ as in the local folder.
    let in_bucket = tree(&s3.object("ds/sample"), false);
    assert!(
        in_bucket
            .keys()
            .all(|k| k.ends_with(".zip") || k.starts_with("runs/") || k.starts_with("demarche/")),
        "{:?}",
        in_bucket.keys()
    );
    for (name, bytes) in tree(&local.join("demarche"), false) {
        assert_eq!(
            in_bucket.get(&format!("demarche/{name}")),
            Some(&bytes),
            "demarche/{name}"
        );
    }
    let manifest: Vec<_> = in_bucket
        .iter()
        .filter(|(k, _)| k.ends_with("/manifest-sha256.txt"))
        .collect();
    assert_eq!(manifest.len(), 1);
    assert_eq!(
        manifest[0].1,
        &std::fs::read(local.join("manifest-sha256.txt")).unwrap()
    );
    // Staging is gone once the zips are confirmed.
    let staging = work.join(".ds-archive/staging");
    assert!(std::fs::read_dir(&staging).unwrap().next().is_none());

    // Neither the DS token nor the S3 secret anywhere.
    let shown = text(&run);
    for secret in [TOKEN, SECRET_KEY] {
        assert!(!shown.contains(secret), "{secret} shown");
        assert!(
            files_containing(&work, secret).is_empty(),
            "{secret} in the work dir"
        );
        assert!(
            files_containing(s3.root.path(), secret).is_empty(),
            "{secret} in the bucket"
        );
    }

    let checked = verify(&s3.endpoint, &format!("s3://{BUCKET}/ds/sample"));
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));
}

/// Every object under `prefix` of the s3s bucket, key → bytes.
fn objects(s3: &S3s, prefix: &str) -> std::collections::BTreeMap<String, Vec<u8>> {
    tree(&s3.object(prefix), false)
}

#[test]
fn verify_s3_finds_a_corrupted_object_and_a_missing_one() {
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let run = archive_s3(&fake, &s3, "v", &dir.path().join("w"), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let numbers = fake.server.dataset().dossier_numbers();
    let (damaged, gone) = (numbers[2], numbers[5]);

    // Behind the server's back: one byte changed, one object removed.
    let path = s3.object(&format!("v/dossier-{damaged}.zip"));
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x55;
    std::fs::write(&path, bytes).unwrap();
    std::fs::remove_file(s3.object(&format!("v/dossier-{gone}.zip"))).unwrap();

    let checked = verify(&s3.endpoint, &format!("s3://{BUCKET}/v"));
    assert_eq!(checked.status.code(), Some(1), "{}", text(&checked));
    let out = String::from_utf8_lossy(&checked.stdout);
    assert!(
        out.lines().any(|l| l.starts_with("E_RUN_MANIFEST")
            && l.contains(&format!("dossier-{damaged}.zip"))
            && l.contains("expected")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(&format!("dossier-{gone}.zip")) && l.contains("missing")),
        "{out}"
    );
    // Only those two are named.
    assert!(
        out.lines()
            .all(|l| l.contains(&format!("dossier-{damaged}"))
                || l.contains(&format!("dossier-{gone}"))),
        "{out}"
    );
}

#[test]
fn a_changed_dossier_adds_a_version_and_leaves_every_object_as_it_was() {
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("w");
    assert_eq!(
        archive_s3(&fake, &s3, "c", &work, &[]).status.code(),
        Some(0)
    );
    let before = objects(&s3, "c");
    let number = fake.server.dataset().dossier_numbers()[4];
    assert!(fake
        .server
        .dataset()
        .update_dossier(number, |d| d["motivation"] = "Motivation revue".into())
        .unwrap());

    let rerun = archive_s3(&fake, &s3, "c", &work, &[]);
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    let after = objects(&s3, "c");
    for (key, bytes) in &before {
        assert_eq!(after.get(key), Some(bytes), "{key} changed");
    }
    let added: Vec<&String> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    let v2 = format!("dossier-{number}.v2.zip");
    assert!(added.iter().any(|k| **k == v2), "{added:?}");
    assert!(
        added.iter().all(|k| **k == v2 || k.starts_with("runs/")),
        "only the new version and run files: {added:?}"
    );
    let checked = verify(&s3.endpoint, &format!("s3://{BUCKET}/c"));
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));

    // `status` reads the same back from the bucket alone.
    let mut cmd = crate::common::ds_archive();
    cmd.args(["status", &format!("s3://{BUCKET}/c"), "--json"]);
    s3_env(&mut cmd, &s3.endpoint);
    let status = cmd.output().unwrap();
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let total = fake.server.dataset().dossier_numbers().len();
    assert_eq!(status["archived"], total);
    assert_eq!(status["versions"], total + 1);
}

#[test]
fn a_key_taken_by_other_content_is_reported_and_never_overwritten() {
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let number = fake.server.dataset().dossier_numbers()[1];
    let squatter = s3.object(&format!("t/dossier-{number}.zip"));
    std::fs::create_dir_all(squatter.parent().unwrap()).unwrap();
    std::fs::write(&squatter, b"not ours").unwrap();

    let run = archive_s3(&fake, &s3, "t", &dir.path().join("w"), &[]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let shown = text(&run);
    assert!(
        shown.contains(&format!("dossier-{number}.zip")) && shown.contains("not overwritten"),
        "{shown}"
    );
    assert_eq!(std::fs::read(&squatter).unwrap(), b"not ours");
    // The others are archived.
    let zips = objects(&s3, "t")
        .keys()
        .filter(|k| k.ends_with(".zip"))
        .count();
    assert_eq!(zips, fake.server.dataset().dossier_numbers().len());
}

#[test]
fn large_zips_go_up_in_parts_and_read_back_the_same() {
    ds_archive::fake::freeze_render_time(1_735_689_600);
    // The full sample: its large files make zips of several 5 MiB parts
    // (S3's smallest part but for the last; s3s-fs enforces it).
    let fake = Fake::start();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    assert_eq!(fake.archive(&local, &[]).status.code(), Some(0));
    let run = archive_s3(
        &fake,
        &s3,
        "m",
        &dir.path().join("w"),
        &[
            "--s3-multipart-threshold",
            "6000000",
            "--s3-part-size",
            "5242880",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let zips = local_zips(&local);
    assert!(
        zips.iter().any(|(_, b)| b.len() > 200_000),
        "some zips take several parts"
    );
    for (name, bytes) in &zips {
        let got = std::fs::read(s3.object(&format!("m/{name}"))).unwrap_or_default();
        assert!(got == *bytes, "{name} differs or is missing in the bucket");
    }
}

#[test]
fn killed_mid_run_then_resumed_from_a_fresh_work_dir_gives_a_clean_runs_bucket() {
    use ds_archive::fake::{Dataset, FakeConfig};
    use std::process::Stdio;
    // Generated PDFs embed their render time: frozen, two runs compare byte
    // for byte.
    ds_archive::fake::freeze_render_time(1_735_689_600);
    let fake = Fake::with(FakeConfig {
        token: TOKEN.into(),
        rate_limit_window_secs: crate::common::RATE_WINDOW_SECS,
        dataset: Dataset::generated(4243, 40, 2, 4096),
        ..FakeConfig::default()
    });
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("clean");
    assert_eq!(fake.archive(&local, &[]).status.code(), Some(0));
    let expected = local_zips(&local);

    // Machine A: one dossier's PDF is held, so the run cannot finish before
    // the kill; killed once some zips are in the bucket.
    let held = *fake.server.dataset().dossier_numbers().last().unwrap();
    fake.server.faults().hold_dossier_pdf(Some(held));
    let url = format!("s3://{BUCKET}/k");
    let mut cmd = fake.archive_with(Path::new(&url), &["--concurrency", "2", "--work-dir"]);
    cmd.arg(dir.path().join("machine-a"));
    s3_env(&mut cmd, &s3.endpoint);
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let zips_in_bucket = || {
        std::fs::read_dir(s3.object("k")).map_or(0, |d| {
            d.filter_map(Result::ok)
                .filter(|e| e.file_name().to_string_lossy().ends_with(".zip"))
                .count()
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    while zips_in_bucket() == 0 {
        assert!(std::time::Instant::now() < deadline, "no zip uploaded");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    // What S3 had received in full is stored, metadata and all.
    s3.settle();
    fake.server.faults().hold_dossier_pdf(None);
    let uploaded = zips_in_bucket();
    assert!(
        uploaded < expected.len(),
        "the run finished before the kill"
    );

    // Machine B: nothing of A's work dir.
    let run = archive_s3(&fake, &s3, "k", &dir.path().join("machine-b"), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    // B learnt from the bucket what A uploaded: it built only the rest.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("machine-b/report.json")).unwrap())
            .unwrap();
    assert_eq!(
        report["new"].as_array().map(Vec::len),
        Some(expected.len() - uploaded),
        "{report}"
    );
    let got: Vec<(String, Vec<u8>)> = objects(&s3, "k")
        .into_iter()
        .filter(|(k, _)| k.ends_with(".zip"))
        .collect();
    let names = |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&got), names(&expected));
    for ((name, a), (_, b)) in got.iter().zip(&expected) {
        assert!(a == b, "{name} differs from the clean run's");
    }
    let checked = verify(&s3.endpoint, &url);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));
    fake.server.faults().clear();
}

#[test]
fn a_store_shedding_load_is_ridden_out_and_one_that_keeps_failing_is_named() {
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let tmp = tempfile::tempdir().unwrap();
    // The probe's writes and the first uploads meet 503 SlowDown: each is
    // tried again, and the archive is whole.
    s3.shed_next(5);
    let run = archive_s3(&fake, &s3, "p", &tmp.path().join("w1"), &[]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let served = s3.take_requests();
    assert_eq!(served.iter().filter(|l| l.starts_with("503 ")).count(), 5);
    assert!(
        text(&run).contains("SlowDown") || text(&run).contains("HTTP 503"),
        "{}",
        text(&run)
    );
    let checked = verify(&s3.endpoint, &format!("s3://{BUCKET}/p"));
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));

    // A store that never recovers: the run stops at the probe, naming the
    // answer, after the tries it was given and no more.
    s3.take_requests();
    s3.shed_next(1_000);
    let down = archive_s3(
        &fake,
        &s3,
        "q",
        &tmp.path().join("w2"),
        &["--s3-retries", "3"],
    );
    assert_eq!(down.status.code(), Some(2), "{}", text(&down));
    let said = text(&down);
    assert!(said.contains("503") && said.contains("SlowDown"), "{said}");
    let tries = s3.take_requests();
    assert_eq!(tries.len(), 3, "{tries:#?}");
    assert!(!said.contains(SECRET_KEY));
    s3.shed_next(0);
}
