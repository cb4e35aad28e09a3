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
    // No bag folders in the bucket; the run files under runs/.
    let in_bucket = tree(&s3.object("ds/sample"), false);
    assert!(
        in_bucket
            .keys()
            .all(|k| k.ends_with(".zip") || k.starts_with("runs/")),
        "{:?}",
        in_bucket.keys()
    );
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
