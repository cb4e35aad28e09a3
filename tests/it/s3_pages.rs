//! The bucket readers (`verify`, `inventory`, `status` of `s3://…`) on a
//! listing of several pages, against s3s-fs in the test process: they read
//! the listing a page at a time into sorts on disk (docs/benchmarks.md,
//! "Memory", ninth round), and must say exactly what they said of the same
//! bundles listed in one page, with one zip or several in flight. A
//! tampered zip is still the one `verify` reports, in the same report.

use std::path::Path;
use std::process::Output;

use crate::common::{ds_archive, text, Fake};
use crate::s3common::{s3_env, S3s, BUCKET};

/// s3s-fs, as S3, answers at most 1 000 keys a page.
const PAGE: usize = 1_000;

fn run(endpoint: &str, args: &[&str]) -> Output {
    let mut cmd = ds_archive();
    cmd.args(args);
    s3_env(&mut cmd, endpoint);
    cmd.output().unwrap()
}

/// How many LIST requests were served (`GET /BUCKET` with no key).
fn lists(requests: &[String]) -> usize {
    let bucket = format!("GET /{BUCKET}");
    requests
        .iter()
        .filter(|r| r.trim_end_matches('/') == bucket)
        .count()
}

/// What the readers say of the bucket: `verify --json` at `--jobs`, `status
/// --json`, the inventory's CSV at `--concurrency`, `jobs` zips in flight.
fn readings(s3: &S3s, url: &str, out: &Path, jobs: &str) -> [String; 3] {
    let verified = run(&s3.endpoint, &["verify", url, "--json", "--jobs", jobs]);
    assert_eq!(verified.status.code(), Some(0), "{}", text(&verified));
    let status = run(&s3.endpoint, &["status", url, "--json"]);
    assert_eq!(status.status.code(), Some(0), "{}", text(&status));
    let csv = out.join(format!("inventory-{jobs}.csv"));
    let inventory = run(
        &s3.endpoint,
        &[
            "inventory",
            url,
            "--concurrency",
            jobs,
            "--out",
            csv.to_str().unwrap(),
        ],
    );
    assert_eq!(inventory.status.code(), Some(0), "{}", text(&inventory));
    [
        String::from_utf8(verified.stdout).unwrap(),
        String::from_utf8(status.stdout).unwrap(),
        std::fs::read_to_string(&csv).unwrap(),
    ]
}

#[test]
fn readers_of_a_bucket_listed_in_several_pages_say_what_one_page_says() {
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("s3://{BUCKET}/p");
    let mut cmd = fake.archive_with(Path::new(&url), &["--work-dir"]);
    cmd.arg(dir.path().join("work"));
    s3_env(&mut cmd, &s3.endpoint);
    let archived = cmd.output().unwrap();
    assert_eq!(archived.status.code(), Some(0), "{}", text(&archived));
    let mut zips: Vec<String> = std::fs::read_dir(s3.object("p"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".zip"))
        .collect();
    zips.sort();
    assert!(zips.len() >= 4, "{zips:?}");

    s3.take_requests();
    let one_page = readings(&s3, &url, dir.path(), "1");
    assert!(one_page[0].contains("\"valid\": true"), "{}", one_page[0]);
    for z in &zips {
        assert!(one_page[0].contains(&format!("\"{z}\"")), "{z}");
    }
    assert!(lists(&s3.take_requests()) >= 3);

    // Keys that are no bundle (the readers skip them) sorted among the
    // zips: after the first three, 700 each, so that page ends fall between
    // zips and in the middle of the rest.
    for zip in &zips[..3] {
        for i in 0..700 {
            std::fs::write(s3.object(&format!("p/{zip}~{i:04}")), b"x").unwrap();
        }
    }
    let pages = readings(&s3, &url, dir.path(), "3");
    assert_eq!(pages, one_page);
    // Each reader listed the prefix in several pages.
    let per_reader = 3 * 700 / PAGE + 1;
    assert!(lists(&s3.take_requests()) >= 3 * per_reader);

    // One zip among the others changed in the bucket: reported by name at
    // any number of zips in flight, in the same report.
    let tampered = &zips[zips.len() / 2];
    let object = s3.object(&format!("p/{tampered}"));
    let mut bytes = std::fs::read(&object).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&object, &bytes).unwrap();
    let verify = |jobs: &str, json: &str| {
        let out = run(&s3.endpoint, &["verify", &url, "--jobs", jobs, json]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(verify("1", "--json"), verify("4", "--json"));
    let (serial, parallel) = (verify("1", "--quiet"), verify("4", "--quiet"));
    assert_eq!(serial, parallel);
    assert!(
        parallel.contains(&format!("E_RUN_MANIFEST {tampered}")),
        "{parallel}"
    );
    for z in zips.iter().filter(|z| *z != tampered) {
        assert!(!parallel.contains(z.as_str()), "{z}: {parallel}");
    }
}
