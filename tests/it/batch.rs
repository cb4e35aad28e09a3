//! Many démarches in one command (`archive --config`, repeated `--demarche`)
//! and one groupe instructeur (`--groupe`), through the binary against fake
//! DS APIs on 127.0.0.1.

use std::path::Path;

use ds_archive::fake::{Dataset, FakeConfig};
use serde_json::Value;

use crate::common::{ds_archive, text, Fake, LIGHT_FILE_MAX, RATE_WINDOW_SECS, TOKEN};

fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap()
}

/// Numbers of the dossiers whose zip is in `dir`.
fn zipped(dir: &Path) -> Vec<u64> {
    let mut numbers: Vec<u64> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_prefix("dossier-")?
                .strip_suffix(".zip")?
                .parse()
                .ok()
        })
        .collect();
    numbers.sort_unstable();
    numbers
}

/// `ds-archive archive --config FILE` with the tests' rate window.
fn run_config(config: &Path, envs: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = ds_archive();
    cmd.args(["archive", "--config"])
        .arg(config)
        .args(["--rate-limit", "400", "--rate-window"])
        .arg(RATE_WINDOW_SECS.to_string())
        .envs(envs.iter().copied());
    cmd.output().unwrap()
}

fn groupe_of(bag: &Path) -> u64 {
    let dossier = json(&bag.join("data/dossier.json"));
    dossier
        .pointer("/dossier/groupeInstructeur/number")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no groupe in {}", bag.display()))
}

#[test]
fn a_config_of_three_demarches_with_one_failing_archives_the_other_two() {
    let a = Fake::start_light();
    let b = Fake::with(FakeConfig {
        token: TOKEN.into(),
        rate_limit_window_secs: RATE_WINDOW_SECS,
        dataset: Dataset::generated(4242, 5, 1, 2000),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("archive.toml");
    let text_config = format!(
        r#"# nightly archive
parallel = 2
report = "reports/batch.json"

[[demarche]]
number = {a_num}
out = "a"
api_url = "{a_url}"

[[demarche]]
number = 999999
out = "unknown"
api_url = "{a_url}"

[[demarche]]
number = 4242
out = "b"
api_url = "{b_url}"
token_env = "DS_TOKEN_B"
seda = {{ config = "{seda}", out = "sips-b", profile = "asalae" }}
"#,
        a_num = a.demarche(),
        a_url = a.url(),
        b_url = b.url(),
        seda = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/seda-config.example.toml"),
    );
    std::fs::write(&config, text_config).unwrap();
    let run = run_config(&config, &[("DS_API_TOKEN", TOKEN), ("DS_TOKEN_B", TOKEN)]);
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let all = text(&run);
    assert!(!all.contains(TOKEN), "the token leaked: {all}");

    // The two good démarches are complete, in their own folders.
    assert_eq!(zipped(&dir.path().join("a")).len(), 36, "{all}");
    assert_eq!(
        zipped(&dir.path().join("b")),
        (1_000_000..1_000_005).collect::<Vec<_>>()
    );
    for out in ["a", "b"] {
        let report = json(&dir.path().join(out).join("report.json"));
        assert_eq!(report["complete"], true, "{out}: {report}");
    }

    // The batch report says which one failed, and why.
    let path = dir.path().join("reports/batch.json");
    let batch = json(&path);
    assert!(!std::fs::read_to_string(&path).unwrap().contains(TOKEN));
    assert_eq!(batch["exit_code"], 1);
    assert_eq!(batch["demarches_complete"], 2);
    let lines = batch["demarches"].as_array().unwrap();
    let status: Vec<(u64, &str, u64)> = lines
        .iter()
        .map(|l| {
            (
                l["demarche"].as_u64().unwrap(),
                l["status"].as_str().unwrap(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        status,
        vec![
            (a.demarche(), "complete", 5),
            (999_999, "failed", 10),
            (4242, "complete", 15)
        ]
    );
    let a_report = dir.path().join("a/report.json");
    assert_eq!(lines[0]["report"], a_report.display().to_string());
    assert_eq!(lines[0]["new"], 36);
    assert!(lines[1]["report"].is_null());
    let error = lines[1]["error"].as_str().unwrap();
    assert!(error.contains("999999"), "{error}");
    assert!(lines[1]["hint"].as_str().is_some());
    assert_eq!(lines[2]["new"], 5);
    // Démarche b asked for SEDA packages: one SIP per dossier.
    assert_eq!(
        lines[2]["seda"],
        serde_json::json!({"sips": 5, "skipped": 0}),
        "{all}"
    );
    let sips = std::fs::read_dir(dir.path().join("sips-b"))
        .unwrap()
        .count();
    assert_eq!(sips, 5);
    assert!(lines[0]["seda"].is_null());
}

#[test]
fn a_batch_where_nothing_could_run_exits_2_and_still_reports() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("archive.toml");
    let body = format!(
        "api_url = \"{url}\"\n\n[[demarche]]\nnumber = {n}\nout = \"a\"\ntoken_file = \"missing-token\"\n\n[[demarche]]\nnumber = 999999\nout = \"b\"\n",
        url = fake.url(),
        n = fake.demarche()
    );
    std::fs::write(&config, body).unwrap();
    let run = run_config(&config, &[("DS_API_TOKEN", TOKEN)]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let batch = json(&dir.path().join("batch-report.json"));
    assert_eq!(batch["exit_code"], 2);
    let error = batch["demarches"][0]["error"].as_str().unwrap();
    assert!(error.contains("missing-token"), "{error}");
    assert!(!dir.path().join("a").exists(), "nothing ran for it");
}

#[test]
fn bad_config_errors_name_the_key_and_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("archive.toml");
    let cases = [
        (
            "[[demarche]]\nnumber = 1\nout = \"a\"\nstats = [\"accepte\"]\n",
            &["line 4", "`stats`"][..],
        ),
        ("parralel = 2\n", &["line 1", "`parralel`"]),
        (
            "[[demarche]]\nnumber = 1\nout = \"a\"\n\n[[demarche]]\nnumber = 2\nout = \"b\"\nsince = \"yesterday\"\n",
            &["line 5", "since", "yesterday"],
        ),
        ("[[demarche]]\nnumber = \"x\"\nout = \"a\"\n", &["line 2"]),
    ];
    for (body, wanted) in cases {
        std::fs::write(&config, body).unwrap();
        let run = run_config(&config, &[("DS_API_TOKEN", TOKEN)]);
        assert_eq!(run.status.code(), Some(2), "{body}\n{}", text(&run));
        let stderr = String::from_utf8_lossy(&run.stderr);
        for w in wanted {
            assert!(stderr.contains(w), "`{w}` not in:\n{stderr}");
        }
        assert!(stderr.contains("archive.toml"), "{stderr}");
        assert!(!dir.path().join("a").exists(), "nothing may run");
    }
    // --entry N runs the N-th [[demarche]] only (one per worker).
    let body = "[[demarche]]\nnumber = 999999\nout = \"a\"\napi_url = \"http://127.0.0.1:9/x\"\n\n[[demarche]]\nnumber = 999998\nout = \"b\"\ntoken_file = \"no-such-token\"\n";
    std::fs::write(&config, body).unwrap();
    let run = ds_archive()
        .args(["archive", "--entry", "1", "--config"])
        .arg(&config)
        .env("DS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let batch = json(&dir.path().join("batch-report-1.json"));
    let lines = batch["demarches"].as_array().unwrap();
    assert_eq!(lines.len(), 1, "{batch}");
    assert_eq!(lines[0]["demarche"], 999_998);
    assert_eq!(lines[0]["line"], 6);
    let run = ds_archive()
        .args(["archive", "--entry", "2", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("--entry 2"));

    // --config and --demarche do not mix.
    let run = ds_archive()
        .args(["archive", "--demarche", "1", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
}

#[test]
fn repeated_demarche_archives_each_into_its_own_subfolder() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archives");
    let n = fake.demarche();
    let run = fake.archive(
        &out,
        &["--demarche", "999999", "--demarche", &n.to_string()],
    );
    // One démarche failed (unknown), the other is complete: exit 1.
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let own = out.join(format!("demarche-{n}"));
    assert_eq!(zipped(&own).len(), 36);
    assert!(zipped(&out).is_empty(), "nothing archived in OUT itself");
    assert!(own.join("manifest-sha256.txt").is_file());
    let batch = json(&out.join("batch-report.json"));
    let lines = batch["demarches"].as_array().unwrap();
    assert_eq!(lines.len(), 2);
    // In the order given (the harness gives ours first), each once.
    assert_eq!(lines[0]["demarche"], n);
    assert_eq!(lines[0]["status"], "complete");
    assert_eq!(lines[1]["demarche"], 999_999);
    assert_eq!(lines[1]["status"], "failed");
    assert_eq!(
        lines[0]["report"],
        own.join("report.json").display().to_string()
    );
    // --groupe names a groupe of one démarche.
    let run = fake.archive(&out, &["--demarche", "1", "--groupe", "71"]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
}

#[test]
fn groupe_archives_only_that_groupes_dossiers_and_a_moved_dossier_is_not_deleted() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("g71");
    let run = fake.archive(&out, &["--groupe", "71"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let numbers = zipped(&out);
    assert_eq!(numbers.len(), 18, "{}", text(&run));
    for n in &numbers {
        assert_eq!(groupe_of(&out.join(format!("dossier-{n}"))), 71);
    }
    // Only the groupe's deleted dossiers (the sample has two in 71, one in 72).
    let report = json(&out.join("report.json"));
    let mut deleted: Vec<u64> = report["deleted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_u64().unwrap())
        .collect();
    deleted.sort_unstable();
    assert_eq!(deleted, vec![1_029_990, 1_029_999]);

    // A dossier moves to groupe 72: the next run of groupe 71 neither
    // re-archives nor records it as deleted; groupe 72's run archives it.
    let moved = numbers[0];
    let data = fake.server.dataset();
    let other = data.dossier_json(numbers[0]).unwrap()["groupeInstructeur"].clone();
    assert_eq!(other["number"], 71);
    let groupe_72 = serde_json::json!({"id": "R3JvdXBlSW5zdHJ1Y3RldXItNzI=", "number": 72, "label": "Bretagne", "closed": false});
    assert!(data
        .update_dossier(moved, |d| d["groupeInstructeur"] = groupe_72)
        .unwrap());
    let again = fake.archive(&out, &["--groupe", "71"]);
    assert_eq!(again.status.code(), Some(0), "{}", text(&again));
    let report = json(&out.join("report.json"));
    let state = &report["archive"];
    assert_eq!(state["dossiers"], 18, "{report}");
    let deleted_at_ds: Vec<u64> = state["deleted_at_ds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["number"].as_u64().unwrap())
        .collect();
    assert!(!deleted_at_ds.contains(&moved), "{report}");
    assert!(out.join(format!("dossier-{moved}.zip")).is_file());
    assert!(!out.join(format!("dossier-{moved}.v2.zip")).exists());

    let out72 = dir.path().join("g72");
    let run = fake.archive(&out72, &["--groupe", "72"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let numbers72 = zipped(&out72);
    assert_eq!(numbers72.len(), 19);
    assert!(numbers72.contains(&moved));

    // A groupe of another démarche (or none) is refused before anything runs.
    let run = fake.archive(&dir.path().join("g9"), &["--groupe", "9"]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(String::from_utf8_lossy(&run.stderr).contains("groupe instructeur 9"));
}

#[test]
fn two_demarches_on_one_token_share_its_rate_limit() {
    // The fake allows 6 requests a second per token; each run paces itself
    // at 5. Two runs at once with a pacer each would send up to 10 a second
    // (a run on unchanged dossiers sends about 4 a second against the fake
    // in a debug build: one alone stays under 6, two together do not).
    let fake = Fake::with(FakeConfig {
        token: TOKEN.into(),
        rate_limit_per_minute: 6,
        rate_limit_window_secs: 1,
        dataset: Dataset::sample().with_generated_files_capped(LIGHT_FILE_MAX),
        ..FakeConfig::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("archive.toml");
    let n = fake.demarche();
    // One page per dossier, every dossier listed again on the second run.
    let unit = |g: u64| {
        format!("\n[[demarche]]\nnumber = {n}\ngroupe = {g}\nout = \"g{g}\"\npage_size = 1\nsince = \"2020-01-01\"\n")
    };
    let body = format!(
        "api_url = \"{url}\"\nparallel = 2\n{}{}",
        unit(71),
        unit(72),
        url = fake.url()
    );
    std::fs::write(&config, body).unwrap();
    let run = || {
        ds_archive()
            .args(["archive", "--config"])
            .arg(&config)
            .args(["--rate-limit", "5", "--rate-window", "1"])
            .env("DS_API_TOKEN", TOKEN)
            .output()
            .unwrap()
    };
    let first = run();
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert_eq!(zipped(&dir.path().join("g71")).len(), 18);
    assert_eq!(zipped(&dir.path().join("g72")).len(), 18);
    // The second run finds every dossier unchanged: nothing slows its
    // requests down but the pacing, so both runs ask as fast as allowed.
    let second = run();
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    let stats = fake.server.stats();
    assert!(
        stats.graphql_requests >= 80,
        "too few requests to test the limit: {stats:?}"
    );
    assert_eq!(stats.rate_limited, 0, "{stats:?}\n{}", text(&second));
}
