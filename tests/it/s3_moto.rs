//! Against moto's S3 server (Object Lock, `If-None-Match`, but bodies with
//! wrong checksums are stored): the probe must refuse it, and with
//! `--trust-target` the retention we ask for holds.

use std::path::Path;

use crate::common::{text, Fake};
use crate::s3common::{s3_env, Moto};

fn archive_moto(
    fake: &Fake,
    moto: &Moto,
    url: &str,
    work: &Path,
    extra: &[&str],
) -> std::process::Output {
    let mut cmd = fake.archive_with(Path::new(url), &["--work-dir"]);
    cmd.arg(work).args(extra);
    s3_env(&mut cmd, &moto.endpoint);
    cmd.output().unwrap()
}

#[test]
fn the_probe_refuses_a_server_that_stores_a_body_with_a_wrong_checksum() {
    let Some(moto) = Moto::start() else { return };
    moto.bucket("plain", false);
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let run = archive_moto(&fake, &moto, "s3://plain/x", &dir.path().join("w"), &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let shown = String::from_utf8_lossy(&run.stderr);
    assert!(
        shown.contains("probe") && shown.contains("did not match was stored"),
        "{shown}"
    );
    assert!(shown.contains("--trust-target"), "{shown}");
    // Nothing archived.
    let listed = moto.boto("print(c.list_objects_v2(Bucket='plain').get('KeyCount', 0))");
    assert_eq!(listed.trim(), "0");
}

#[test]
fn trusted_with_a_retention_every_object_is_locked() {
    let Some(moto) = Moto::start() else { return };
    moto.bucket("locked", true);
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("w");
    let run = archive_moto(
        &fake,
        &moto,
        "s3://locked/d",
        &work,
        &[
            "--trust-target",
            "--retain-days",
            "3",
            "--lock-mode",
            "governance",
        ],
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    // The probe's failure is a warning in the log and in report.json.
    assert!(String::from_utf8_lossy(&run.stderr).contains("trusted anyway"));
    let report = std::fs::read_to_string(work.join("report.json")).unwrap();
    assert!(report.contains("trusted anyway"), "{report}");

    let number = fake.server.dataset().dossier_numbers()[0];
    let key = format!("d/dossier-{number}.zip");
    let retention = moto.boto(&format!(
        "h = c.head_object(Bucket='locked', Key='{key}'); print(h['ObjectLockMode'], h['Metadata']['sha256'])"
    ));
    assert!(retention.starts_with("GOVERNANCE "), "{retention}");
    // Deleting that version is refused while the retention lasts.
    let deleted = moto.boto(&format!(
        "v = c.head_object(Bucket='locked', Key='{key}')['VersionId']\n\
         try:\n    c.delete_object(Bucket='locked', Key='{key}', VersionId=v); print('deleted')\n\
         except botocore.exceptions.ClientError as e:\n    print('refused', e.response['Error']['Code'])"
    ));
    assert!(deleted.starts_with("refused"), "{deleted}");

    // A create-only rerun from a fresh work dir changes nothing (412s, same content).
    let rerun = archive_moto(
        &fake,
        &moto,
        "s3://locked/d",
        &dir.path().join("w2"),
        &["--trust-target"],
    );
    assert_eq!(rerun.status.code(), Some(0), "{}", text(&rerun));
    let versions = moto.boto(&format!(
        "print(len(c.list_object_versions(Bucket='locked', Prefix='{key}')['Versions']))"
    ));
    assert_eq!(versions.trim(), "1", "the zip was written once");
}
