//! The inventory an `archive --out s3://…` run uploads beside its run files
//! (`runs/<stamp>-<run>/dossiers.csv` and `dossiers.columns.json`), through
//! the binary against s3s-fs in the test process: the very bytes
//! `inventory s3://… --out` gives for the same bucket, made without
//! downloading the zips the work dir (or an earlier run's uploaded rows)
//! already knows.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use crate::common::{ds_archive, text, tree, Fake, TOKEN};
use crate::s3common::{files_containing, s3_env, S3s, BUCKET, SECRET_KEY};

fn archive_s3(fake: &Fake, s3: &S3s, prefix: &str, work: &Path) -> Output {
    let url = format!("s3://{BUCKET}/{prefix}");
    let mut cmd = fake.archive_with(Path::new(&url), &["--work-dir"]);
    cmd.arg(work);
    s3_env(&mut cmd, &s3.endpoint);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    out
}

/// `inventory s3://BUCKET/PREFIX --out DIR/NAME.csv`: the CSV and its
/// `columns.json`.
fn inventory_of_bucket(s3: &S3s, prefix: &str, dir: &Path, name: &str) -> (Vec<u8>, Vec<u8>) {
    let csv = dir.join(format!("{name}.csv"));
    let mut cmd = ds_archive();
    cmd.args(["inventory", &format!("s3://{BUCKET}/{prefix}"), "--out"])
        .arg(&csv);
    s3_env(&mut cmd, &s3.endpoint);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    (
        std::fs::read(&csv).unwrap(),
        std::fs::read(dir.join(format!("{name}.columns.json"))).unwrap(),
    )
}

/// The run folders under `prefix` that hold an inventory, oldest first,
/// with their files (name → bytes).
fn uploaded_inventories(s3: &S3s, prefix: &str) -> Vec<BTreeMap<String, Vec<u8>>> {
    let mut runs: BTreeMap<String, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for (key, bytes) in tree(&s3.object(&format!("{prefix}/runs")), false) {
        let (run, file) = key.split_once('/').unwrap();
        runs.entry(run.to_owned())
            .or_default()
            .insert(file.to_owned(), bytes);
    }
    runs.into_values()
        .filter(|files| files.contains_key("dossiers.csv"))
        .collect()
}

/// How many bundle zips were downloaded (GET) among `requests`.
fn zip_downloads(requests: &[String]) -> Vec<String> {
    requests
        .iter()
        .filter(|r| r.starts_with("GET ") && r.ends_with(".zip"))
        .cloned()
        .collect()
}

/// The values of the `bundle` column.
fn bundles(csv: &[u8]) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(csv);
    let at = reader
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "bundle")
        .unwrap();
    reader
        .records()
        .map(|r| r.unwrap()[at].to_owned())
        .collect()
}

#[test]
fn an_s3_run_uploads_the_inventory_of_the_bucket_without_downloading_a_zip() {
    ds_archive::fake::freeze_render_time(1_735_689_600);
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    let numbers = fake.server.dataset().dossier_numbers();

    let run = archive_s3(&fake, &s3, "inv", &work);
    // The zips are not read back: each row was kept when its dossier was built.
    assert_eq!(zip_downloads(&s3.take_requests()), Vec::<String>::new());
    let uploaded = uploaded_inventories(&s3, "inv");
    assert_eq!(uploaded.len(), 1);
    let first = uploaded[0].clone();
    let (csv, columns) = inventory_of_bucket(&s3, "inv", dir.path(), "first");
    assert!(uploaded[0]["dossiers.csv"] == csv, "dossiers.csv differs");
    assert_eq!(
        String::from_utf8_lossy(&uploaded[0]["dossiers.columns.json"]),
        String::from_utf8_lossy(&columns)
    );
    assert_eq!(bundles(&csv).len(), numbers.len());
    // The same as a local run's of the same zips (`--keep zips`, as a bucket).
    let local = dir.path().join("local");
    let made = fake.archive(&local, &["--keep", "zips"]);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    assert!(std::fs::read(local.join("dossiers.csv")).unwrap() == csv);
    assert!(std::fs::read(local.join("dossiers.columns.json")).unwrap() == columns);

    // A run that changes nothing uploads no new inventory.
    archive_s3(&fake, &s3, "inv", &work);
    assert_eq!(uploaded_inventories(&s3, "inv").len(), 1);

    // A changed dossier: a new inventory lists its v2, still without
    // downloading a zip.
    let changed = numbers[3];
    assert!(fake
        .server
        .dataset()
        .update_dossier(changed, |d| d["motivation"] = "Motivation revue".into())
        .unwrap());
    s3.take_requests();
    let run2 = archive_s3(&fake, &s3, "inv", &work);
    assert_eq!(zip_downloads(&s3.take_requests()), Vec::<String>::new());
    let uploaded = uploaded_inventories(&s3, "inv");
    assert_eq!(uploaded.len(), 2);
    let (csv, columns) = inventory_of_bucket(&s3, "inv", dir.path(), "second");
    assert!(uploaded[1]["dossiers.csv"] == csv, "dossiers.csv differs");
    assert!(uploaded[1]["dossiers.columns.json"] == columns);
    let listed = bundles(&csv);
    assert!(
        listed.contains(&format!("dossier-{changed}.v2.zip")),
        "{listed:?}"
    );
    assert!(!listed.contains(&format!("dossier-{changed}.zip")));
    // The earlier inventory is left as it was, beside the new one.
    assert!(uploaded[0] == first);
    assert!(uploaded[1]["dossiers.csv"] != first["dossiers.csv"]);

    for secret in [TOKEN, SECRET_KEY] {
        for out in [&run, &run2] {
            assert!(!text(out).contains(secret), "{secret} shown");
        }
        assert!(files_containing(&work, secret).is_empty());
        assert!(files_containing(s3.root.path(), secret).is_empty());
    }
}

#[test]
fn a_fresh_work_dir_still_uploads_the_whole_inventory() {
    ds_archive::fake::freeze_render_time(1_735_689_600);
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let numbers = fake.server.dataset().dossier_numbers();
    archive_s3(&fake, &s3, "m", &dir.path().join("machine-a"));
    let revise = |n: u64, text: &str| {
        assert!(fake
            .server
            .dataset()
            .update_dossier(n, |d| d["motivation"] = text.into())
            .unwrap());
    };

    // Machine B, a fresh work dir: the rows machine A uploaded are enough.
    revise(numbers[1], "Revue par B");
    s3.take_requests();
    archive_s3(&fake, &s3, "m", &dir.path().join("machine-b"));
    assert_eq!(zip_downloads(&s3.take_requests()), Vec::<String>::new());
    let uploaded = uploaded_inventories(&s3, "m");
    assert_eq!(uploaded.len(), 2);
    let (csv, columns) = inventory_of_bucket(&s3, "m", dir.path(), "b");
    assert!(uploaded[1]["dossiers.csv"] == csv, "dossiers.csv differs");
    assert!(uploaded[1]["dossiers.columns.json"] == columns);
    assert_eq!(bundles(&csv).len(), numbers.len());

    // Machine C, fresh too, and the uploaded rows gone: C downloads the
    // zips of the dossiers it did not build, only those, and still uploads
    // the whole inventory.
    for run in std::fs::read_dir(s3.object("m/runs")).unwrap() {
        let rows = run.unwrap().path().join("dossiers.rows.jsonl");
        if rows.exists() {
            std::fs::remove_file(rows).unwrap();
        }
    }
    revise(numbers[2], "Revue par C");
    s3.take_requests();
    archive_s3(&fake, &s3, "m", &dir.path().join("machine-c"));
    let mut got = zip_downloads(&s3.take_requests());
    got.sort();
    let (csv, columns) = inventory_of_bucket(&s3, "m", dir.path(), "c");
    let mut expected: Vec<String> = bundles(&csv)
        .into_iter()
        .filter(|b| *b != format!("dossier-{}.v2.zip", numbers[2]))
        .map(|b| format!("GET /{BUCKET}/m/{b}"))
        .collect();
    expected.sort();
    assert_eq!(got, expected);
    let uploaded = uploaded_inventories(&s3, "m");
    assert_eq!(uploaded.len(), 3);
    assert!(uploaded[2]["dossiers.csv"] == csv, "dossiers.csv differs");
    assert!(uploaded[2]["dossiers.columns.json"] == columns);
    assert_eq!(bundles(&csv).len(), numbers.len());
    for n in [numbers[1], numbers[2]] {
        assert!(bundles(&csv).contains(&format!("dossier-{n}.v2.zip")));
    }
}
