//! `seda --from s3://…` and `inventory s3://…`, through the binary, against
//! s3s-fs in the test process: a bucket archive gives the same SIPs and the
//! same inventory as the same archive in a local folder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use crate::common::{ds_archive, text, tree, zip_entries, Fake, TOKEN};
use crate::s3common::{files_containing, s3_env, verify, S3s, BUCKET, SECRET_KEY};

const DATE: &str = "2024-06-01T10:00:00+02:00";

fn archive_s3(fake: &Fake, s3: &S3s, prefix: &str, work: &Path) -> Output {
    let url = format!("s3://{BUCKET}/{prefix}");
    let mut cmd = fake.archive_with(Path::new(&url), &["--work-dir"]);
    cmd.arg(work);
    s3_env(&mut cmd, &s3.endpoint);
    cmd.output().unwrap()
}

fn seda_config(dir: &Path) -> PathBuf {
    let path = dir.join("seda.toml");
    std::fs::write(
        &path,
        "archival_agency_identifier = \"FRAN_NP_000002\"\n\
         transferring_agency_identifier = \"FRAN_NP_000001\"\n\
         archival_agreement = \"IC-000001\"\n\
         originating_agency_identifier = \"FRAN_NP_000001\"\n",
    )
    .unwrap();
    path
}

/// `ds-archive ARGS` with the S3 environment of `endpoint`, and `tmp` as
/// the temporary folder (so that what it leaves there can be checked).
fn run(endpoint: &str, tmp: &Path, args: &[&str]) -> Output {
    let mut cmd = ds_archive();
    cmd.args(args).env("TMPDIR", tmp);
    s3_env(&mut cmd, endpoint);
    cmd.output().unwrap()
}

fn seda(endpoint: &str, tmp: &Path, from: &str, out: &Path, config: &Path) -> Output {
    let (out, config) = (out.to_str().unwrap(), config.to_str().unwrap());
    let args = [
        "seda", "--from", from, "--out", out, "--config", config, "--date", DATE, "--batch",
        "--no-xsd",
    ];
    run(endpoint, tmp, &args)
}

/// The names of the zips of a local archive folder.
fn local_zip_names(dir: &Path) -> Vec<String> {
    tree(dir, true)
        .into_keys()
        .filter(|k| k.ends_with(".zip") && !k.contains('/'))
        .collect()
}

/// How many times each bundle zip was downloaded (GET), by name.
fn zip_gets(requests: &[String]) -> BTreeMap<String, usize> {
    let mut gets = BTreeMap::new();
    for r in requests {
        let Some(key) = r.strip_prefix(&format!("GET /{BUCKET}/")) else {
            continue;
        };
        if let Some(name) = key.rsplit('/').next().filter(|n| n.ends_with(".zip")) {
            *gets.entry(name.to_owned()).or_insert(0) += 1;
        }
    }
    gets
}

#[test]
fn seda_and_inventory_of_a_bucket_equal_those_of_the_same_archive_in_a_folder() {
    // Generated PDFs embed their render time: frozen, the folder's zips and
    // the bucket's are the same bytes.
    ds_archive::fake::freeze_render_time(1_735_689_600);
    let fake = Fake::start_light();
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let local = dir.path().join("local");
    let work = dir.path().join("work");
    let url = format!("s3://{BUCKET}/r");
    let changed = fake.server.dataset().dossier_numbers()[3];
    for round in 0..2 {
        if round == 1 {
            // A changed dossier: both archives get its v2 beside the first.
            assert!(fake
                .server
                .dataset()
                .update_dossier(changed, |d| d["motivation"] = "Motivation revue".into())
                .unwrap());
        }
        // Zips only, as in a bucket: the same bundles, read the same way.
        let run = fake.archive(&local, &["--keep", "zips"]);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
        let run = archive_s3(&fake, &s3, "r", &work);
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    }
    let v2 = format!("dossier-{changed}.v2.zip");
    assert!(s3.object(&format!("r/{v2}")).is_file());
    assert!(s3.object(&format!("r/dossier-{changed}.zip")).is_file());

    let config = seda_config(dir.path());
    let tmp = dir.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let (sips_local, sips_bucket) = (dir.path().join("sips-local"), dir.path().join("sips-s3"));
    let made = seda(
        &s3.endpoint,
        &tmp,
        local.to_str().unwrap(),
        &sips_local,
        &config,
    );
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    let newest: BTreeMap<String, usize> = local_zip_names(&local)
        .into_iter()
        .filter(|n| *n != format!("dossier-{changed}.zip"))
        .map(|n| (n, 1))
        .collect();
    s3.take_requests();
    let made = seda(&s3.endpoint, &tmp, &url, &sips_bucket, &config);
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    // One download of the newest zip of each dossier, none of the older.
    assert_eq!(zip_gets(&s3.take_requests()), newest);
    let (a, b) = (tree(&sips_local, false), tree(&sips_bucket, false));
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    assert!(!a.is_empty());
    for name in a.keys() {
        let (ea, eb) = (
            zip_entries(&sips_local.join(name)),
            zip_entries(&sips_bucket.join(name)),
        );
        let names = |e: &[(String, Vec<u8>)]| e.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        assert_eq!(names(&ea), names(&eb), "{name}");
        for ((entry, x), (_, y)) in ea.iter().zip(&eb) {
            assert!(x == y, "{name}: {entry} differs");
        }
        assert!(a[name] == b[name], "{name}: the SIP zips differ");
    }
    // The newest version of the changed dossier is the one packaged.
    let sips: Vec<_> = a.keys().map(|n| zip_entries(&sips_local.join(n))).collect();
    assert!(sips
        .iter()
        .flatten()
        .any(|(_, bytes)| String::from_utf8_lossy(bytes).contains("Motivation revue")));

    let (csv_local, csv_bucket) = (dir.path().join("local.csv"), dir.path().join("s3.csv"));
    for (from, out) in [(local.to_str().unwrap(), &csv_local), (&url, &csv_bucket)] {
        let listed = run(
            &s3.endpoint,
            &tmp,
            &["inventory", from, "--out", out.to_str().unwrap()],
        );
        assert_eq!(listed.status.code(), Some(0), "{}", text(&listed));
        if from == url {
            assert_eq!(zip_gets(&s3.take_requests()), newest);
        }
        let shown = text(&listed);
        for secret in [TOKEN, SECRET_KEY] {
            assert!(!shown.contains(secret), "{secret} shown");
        }
    }
    let csv = std::fs::read_to_string(&csv_bucket).unwrap();
    assert_eq!(csv, std::fs::read_to_string(&csv_local).unwrap());
    assert_eq!(
        std::fs::read(dir.path().join("s3.columns.json")).unwrap(),
        std::fs::read(dir.path().join("local.columns.json")).unwrap()
    );
    // One row per dossier; the changed one's is its v2.
    let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(csv.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let total = fake.server.dataset().dossier_numbers().len();
    assert_eq!(rows.len(), total);
    let bundles: Vec<&str> = rows
        .iter()
        .filter_map(|r| {
            r.iter()
                .find(|c| c.starts_with(&format!("dossier-{changed}.")))
        })
        .collect();
    assert_eq!(bundles, [v2.as_str()]);

    // verify reads every zip, each once: the digest is taken on the way in.
    let checked = verify(&s3.endpoint, &url);
    assert_eq!(checked.status.code(), Some(0), "{}", text(&checked));
    let mut all = newest.clone();
    all.insert(format!("dossier-{changed}.zip"), 1);
    assert_eq!(zip_gets(&s3.take_requests()), all);

    // Each zip was brought to the temporary folder and removed; the secret
    // was written nowhere.
    let left: Vec<_> = walkdir::WalkDir::new(&tmp)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(files_containing(dir.path(), SECRET_KEY).is_empty());
}

#[test]
fn a_bucket_that_cannot_be_read_stops_seda_and_inventory_naming_it() {
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let config = seda_config(dir.path());
    let out = dir.path().join("out");
    let url = format!("s3://{BUCKET}/nothing-here");
    // A port nobody listens on: bound, read, released.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let csv = dir.path().join("d.csv");
    let inventory = ["inventory", &url, "--out", csv.to_str().unwrap()];
    for (endpoint, why) in [
        (closed.as_str(), "error sending request"),
        (s3.endpoint.as_str(), "holds no dossier bundle"),
    ] {
        let made = seda(endpoint, dir.path(), &url, &out, &config);
        let listed = run(endpoint, dir.path(), &inventory);
        for got in [made, listed] {
            let shown = text(&got);
            assert_eq!(got.status.code(), Some(2), "{shown}");
            assert!(shown.contains(&url) && shown.contains(why), "{shown}");
            assert!(!shown.contains(SECRET_KEY), "{shown}");
        }
    }
    assert!(!out.exists() && !csv.exists(), "nothing written");

    // Wrong credentials: the server's refusal, and no secret shown.
    let mut cmd = ds_archive();
    cmd.args(inventory);
    s3_env(&mut cmd, &s3.endpoint);
    let wrong = "wr0ng-secret-Kq2";
    let refused = cmd.env("AWS_SECRET_ACCESS_KEY", wrong).output().unwrap();
    let shown = text(&refused);
    assert_eq!(refused.status.code(), Some(2), "{shown}");
    assert!(shown.contains(&url) && shown.contains("403"), "{shown}");
    assert!(
        !shown.contains(wrong) && !shown.contains(SECRET_KEY),
        "{shown}"
    );

    // The inventory of a bucket is a local file: --out is required.
    let listed = run(&s3.endpoint, dir.path(), &["inventory", &url]);
    assert_eq!(listed.status.code(), Some(2), "{}", text(&listed));
    assert!(text(&listed).contains("--out"), "{}", text(&listed));
}

#[test]
fn a_batch_into_a_bucket_builds_its_seda_packages_from_the_bucket() {
    use ds_archive::fake::{Dataset, FakeConfig};
    let fake = Fake::with(FakeConfig {
        token: TOKEN.into(),
        rate_limit_window_secs: crate::common::RATE_WINDOW_SECS,
        dataset: Dataset::generated(4242, 5, 1, 2000),
        ..FakeConfig::default()
    });
    let s3 = S3s::start();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("archive.toml");
    std::fs::write(
        &config,
        format!(
            "[[demarche]]\nnumber = 4242\nout = \"s3://{BUCKET}/b\"\napi_url = \"{}\"\n\
             seda = {{ config = \"{}\", out = \"sips\", profile = \"asalae\" }}\n",
            fake.url(),
            seda_config(dir.path()).display()
        ),
    )
    .unwrap();
    let mut cmd = ds_archive();
    cmd.args(["archive", "--config"])
        .arg(&config)
        .args(["--work-dir"])
        .arg(dir.path().join("work"))
        .env("DS_API_TOKEN", TOKEN);
    s3_env(&mut cmd, &s3.endpoint);
    let run = cmd.output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let sips: Vec<String> = tree(&dir.path().join("sips"), false).into_keys().collect();
    assert_eq!(sips.len(), 5, "one SIP per dossier: {sips:?}");
    let gets = zip_gets(&s3.take_requests());
    assert!(
        gets.len() == 5 && gets.values().all(|n| *n == 1),
        "{gets:?}"
    );
}
