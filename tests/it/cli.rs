//! How the commands behave at their edges: folders that are not archives,
//! output folders of another démarche, closed pipes, JSON logs, messages,
//! progress on a terminal, the values people type.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ds_archive::fake::{Dataset, FakeConfig};
use serde_json::Value;

use crate::common::{ds_archive, have_tool, text, tree, Fake, TOKEN};
use crate::seda::fixture::write_config;

/// A fake serving démarche `demarche` with three small dossiers: quick to
/// archive, verify and package.
fn tiny(demarche: u64) -> Fake {
    Fake::with(FakeConfig {
        token: TOKEN.into(),
        dataset: Dataset::generated(demarche, 3, 1, 1000),
        ..FakeConfig::default()
    })
}

/// `archive` into `out`, which must succeed.
fn small_archive(fake: &Fake, out: &Path, extra: &[&str]) -> Output {
    let run = fake.archive(out, extra);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    run
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `seda --from <archive> --out <sip> --config <config> --no-xsd`.
fn seda_args<'a>(archive: &'a str, sip: &'a Path, config: &'a Path) -> Vec<&'a str> {
    vec![
        "seda",
        "--from",
        archive,
        "--out",
        sip.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--no-xsd",
    ]
}

#[test]
fn seda_and_inventory_refuse_a_folder_that_holds_no_bundle_and_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let config = write_config(tmp.path(), "");
    let empty = tmp.path().join("empty");
    let random = tmp.path().join("random");
    std::fs::create_dir_all(&empty).unwrap();
    std::fs::create_dir_all(random.join("photos")).unwrap();
    std::fs::write(random.join("notes.txt"), b"not an archive").unwrap();
    for dir in [&empty, &random] {
        let before = entries(dir);
        let run = ds_archive().arg("inventory").arg(dir).output().unwrap();
        assert_eq!(run.status.code(), Some(2), "{}", text(&run));
        let expected = format!("`{}` holds no dossier bundle", dir.display());
        assert!(stderr(&run).contains(&expected), "{}", text(&run));
        assert_eq!(
            entries(dir),
            before,
            "inventory wrote into {}",
            dir.display()
        );

        let sip = tmp.path().join("sip");
        let run = ds_archive()
            .args(["seda", "--from"])
            .arg(dir)
            .arg("--out")
            .arg(&sip)
            .arg("--config")
            .arg(&config)
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(2), "{}", text(&run));
        assert!(stderr(&run).contains(&expected), "{}", text(&run));
        assert!(!sip.exists(), "seda created its --out for nothing");
        assert_eq!(entries(dir), before);
    }
}

#[test]
fn an_out_folder_of_another_demarche_is_refused_unless_allowed() {
    let first = tiny(777);
    let other = tiny(778);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&first, &out, &[]);
    let before = tree(&out, true);

    let run = other.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = stderr(&run);
    assert!(err.contains("démarche 777, not 778"), "{err}");
    assert!(err.contains("--allow-other-demarche"), "{err}");
    assert_eq!(tree(&out, true), before, "nothing changed in the folder");

    let run = other.archive(&out, &["--allow-other-demarche"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    for n in other.server.dataset().dossier_numbers() {
        assert!(out.join(format!("dossier-{n}")).is_dir(), "dossier {n}");
    }
}

#[test]
fn an_out_that_is_a_file_is_named_as_such() {
    let fake = Fake::start();
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("archive.zip");
    std::fs::write(&file, b"x").unwrap();
    let run = fake.archive(&file, &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = stderr(&run);
    assert!(err.contains("is a file"), "{err}");
    assert!(!err.contains("free some space"), "{err}");
    // A file on the way to --out.
    let run = fake.archive(&file.join("sub"), &[]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = stderr(&run);
    assert!(err.contains("archive.zip"), "{err}");
    assert!(err.contains("a part of the path is a file"), "{err}");
    assert!(!err.contains("free some space"), "{err}");
}

#[test]
fn no_zip_leaves_no_empty_run_manifest() {
    let fake = tiny(777);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &["--no-zip"]);
    // No zip line; the démarche's own files (DIR/demarche/) are still
    // listed, so the manifest is never empty.
    let manifest = fs_err::read_to_string(out.join("manifest-sha256.txt")).unwrap_or_default();
    assert!(
        manifest.lines().all(|l| l.contains("  demarche/")),
        "an empty manifest-sha256.txt makes `sha256sum -c` fail: {manifest:?}"
    );
    let run = ds_archive().arg("verify").arg(&out).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
}

/// A pipe whose reader is already gone, as after `| head -1`.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

#[test]
fn a_closed_stdout_ends_every_command_quietly() {
    let fake = tiny(777);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &[]);
    let config = write_config(tmp.path(), "");
    let sip = tmp.path().join("sip");
    let o = out.to_str().unwrap();
    let runs: Vec<(Vec<&str>, i32)> = vec![
        (vec!["status", o], 0),
        (vec!["status", "--json", o], 0),
        (vec!["verify", "--json", o], 0),
        (vec!["inventory", o], 0),
        (seda_args(o, &sip, &config), 0),
    ];
    for (args, code) in runs {
        let run = ds_archive()
            .args(&args)
            .stdout(closed_pipe())
            .output()
            .unwrap();
        assert_eq!(run.status.code(), Some(code), "{args:?}: {}", text(&run));
        assert!(
            !stderr(&run).contains("panicked"),
            "{args:?}: {}",
            text(&run)
        );
    }
}

fn json_lines(run: &Output) -> Vec<Value> {
    let err = stderr(run);
    assert!(!err.trim().is_empty(), "no log at all");
    err.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l:?}\n{err}")))
        .collect()
}

#[test]
fn json_logs_make_every_stderr_line_an_object_with_counts() {
    let fake = tiny(777);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let run = fake.archive(&out, &["--log-format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let lines = json_lines(&run);
    let last = &lines.last().unwrap()["fields"];
    assert!(last["new"].as_u64().unwrap() > 0, "{last}");
    assert_eq!(last["failed"], 0);
    assert!(last["archive_dossiers"].as_u64().unwrap() > 0, "{last}");

    // A fatal error, with its hint.
    let run = ds_archive()
        .args(["archive", "--demarche", "999999", "--log-format", "json"])
        .arg("--out")
        .arg(tmp.path().join("b"))
        .args(["--api-url", &fake.url()])
        .env("DS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let lines = json_lines(&run);
    let last = lines.last().unwrap();
    assert_eq!(last["level"], "ERROR");
    assert!(last["fields"]["message"]
        .as_str()
        .unwrap()
        .contains("999999"));
    assert!(last["fields"]["hint"].is_string(), "{last}");

    // A command line clap refuses.
    let run = ds_archive()
        .args(["archive", "--log-format", "json", "--demarche", "x"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert_eq!(json_lines(&run).last().unwrap()["level"], "ERROR");

    // The other commands' summaries.
    let run = ds_archive()
        .args(["verify", "--log-format", "json"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let last = json_lines(&run).pop().unwrap();
    assert_eq!(last["fields"]["valid"], true);
    assert!(last["fields"]["bundles"].as_u64().unwrap() > 0, "{last}");
    let run = ds_archive()
        .args(["inventory", "--log-format", "json"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        json_lines(&run).pop().unwrap()["fields"]["rows"]
            .as_u64()
            .unwrap()
            > 0
    );
    let run = ds_archive()
        .args(["inventory", "--log-format", "json"])
        .arg(tmp.path())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert_eq!(json_lines(&run).pop().unwrap()["level"], "ERROR");

    // seda's summary, and status (whose report is on stdout) logs nothing
    // that is not JSON.
    let config = write_config(tmp.path(), "");
    let sip = tmp.path().join("sip");
    let mut args = seda_args(out.to_str().unwrap(), &sip, &config);
    args.extend(["--log-format", "json"]);
    let run = ds_archive().args(&args).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        json_lines(&run).pop().unwrap()["fields"]["sips"]
            .as_u64()
            .unwrap()
            > 0
    );
    let run = ds_archive()
        .args(["status", "--log-format", "json"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    for line in stderr(&run).lines() {
        serde_json::from_str::<Value>(line).unwrap_or_else(|_| panic!("not JSON: {line:?}"));
    }

    // A run with a failed dossier: exit 1, and the summary says it is not
    // complete.
    let number = fake.server.dataset().dossier_numbers()[0];
    fake.corrupt_first_file(number);
    let run = fake.archive(
        &tmp.path().join("c"),
        &["--log-format", "json", "--retries", "2"],
    );
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    let last = &json_lines(&run).pop().unwrap()["fields"];
    assert_eq!(last["failed"], 1, "{last}");
    assert_eq!(last["complete"], false, "{last}");
}

#[test]
fn token_file_and_api_url_mistakes_say_what_is_wrong() {
    let fake = Fake::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let empty = tmp.path().join("token");
    std::fs::write(&empty, b"\n").unwrap();
    let run = fake
        .archive_command(&out)
        .args(["--api-url", &fake.url(), "--token-file"])
        .arg(&empty)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = stderr(&run);
    assert!(
        err.contains(&format!("token file `{}` is empty", empty.display())),
        "{err}"
    );

    let missing = tmp.path().join("no-such-token");
    let run = fake
        .archive_command(&out)
        .args(["--api-url", &fake.url(), "--token-file"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = stderr(&run);
    assert!(err.contains("no-such-token"), "{err}");
    assert!(!err.contains("create a token"), "{err}");

    let wrong = fake.url().replace("/graphql", "");
    let run = fake
        .archive_command(&out)
        .args(["--api-url", &wrong])
        .env("DS_API_TOKEN", TOKEN)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    let err = stderr(&run);
    assert!(err.contains("404"), "{err}");
    assert!(err.contains("is it the GraphQL endpoint"), "{err}");
    assert!(err.contains("/api/v2/graphql"), "{err}");
}

/// Run `args` under a pseudo-terminal (`script`), as a person would.
fn on_a_terminal(args: &[&str]) -> String {
    let bin = assert_cmd::cargo::cargo_bin("ds-archive");
    let line = std::iter::once(bin.to_string_lossy().into_owned())
        .chain(args.iter().map(|a| (*a).to_owned()))
        .map(|a| format!("'{a}'"))
        .collect::<Vec<_>>()
        .join(" ");
    let run = Command::new("script")
        .args(["-qec", &line, "/dev/null"])
        .env("TERM", "xterm")
        .env_remove("NO_COLOR")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    String::from_utf8_lossy(&run.stdout).into_owned()
}

#[test]
fn verify_seda_and_inventory_show_progress_on_a_terminal_only() {
    if !have_tool("script") {
        return;
    }
    let fake = tiny(777);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &[]);
    let bundles = ds_archive().args(["status", "--json"]).arg(&out).output();
    let status: Value = serde_json::from_slice(&bundles.unwrap().stdout).unwrap();
    let n = status["archived"].as_u64().unwrap();
    let config = write_config(tmp.path(), "");
    let o = out.to_str().unwrap();
    let sip = tmp.path().join("sip");
    let cases: [(Vec<&str>, String); 3] = [
        (vec!["verify", o], format!("/{} bundles verified", 2 * n)),
        (vec!["inventory", o], format!("/{n} dossiers listed")),
        (
            seda_args(o, &sip, &config),
            format!("/{n} dossiers packaged"),
        ),
    ];
    for (args, bar) in &cases {
        let screen = on_a_terminal(args);
        assert!(
            screen.contains(bar.as_str()),
            "{args:?}: no `{bar}` in {screen:?}"
        );
        // Not a terminal: no bar in the output.
        let run = ds_archive().args(args).output().unwrap();
        assert!(!text(&run).contains(bar.as_str()), "{}", text(&run));
        // --quiet on a terminal: no bar either.
        let mut quiet = args.clone();
        quiet.push("--quiet");
        assert!(!on_a_terminal(&quiet).contains(bar.as_str()));
    }
}

#[test]
fn every_help_ends_with_an_example_and_the_exit_codes() {
    for command in [
        "archive",
        "demo",
        "verify",
        "status",
        "seda",
        "inventory",
        "timestamp",
    ] {
        let run = ds_archive().args([command, "--help"]).output().unwrap();
        assert_eq!(run.status.code(), Some(0), "{}", text(&run));
        let help = String::from_utf8_lossy(&run.stdout);
        let example = help.find("Example:").unwrap_or_else(|| panic!("{help}"));
        let codes = help.find("Exit codes:").unwrap_or_else(|| panic!("{help}"));
        assert!(example < codes, "{help}");
        let tail = &help[codes..];
        for code in ["  0 ", "  1 ", "  2 "] {
            assert!(tail.contains(code), "{command}: {tail}");
        }
        assert!(help.contains(&format!("ds-archive {command} ")), "{help}");
        // The commands that take a run stop on signals like Ctrl-C.
        if matches!(command, "archive" | "demo") {
            for code in ["130", "143", "129"] {
                assert!(tail.contains(code), "{command}: {tail}");
            }
        }
    }
}

#[test]
fn since_takes_a_bare_date_as_paris_midnight() {
    let fake = tiny(777);
    let tmp = tempfile::tempdir().unwrap();
    for (date, sent) in [
        ("2024-01-01", "2024-01-01T00:00:00+01:00"),
        ("2024-07-01", "2024-07-01T00:00:00+02:00"),
    ] {
        let out = tmp.path().join(date);
        let run = small_archive(&fake, &out, &["--since", date]);
        assert!(
            stderr(&run).contains(&format!("modified at DS since {sent}")),
            "{}",
            text(&run)
        );
    }
    let run = fake.archive(&tmp.path().join("x"), &["--since", "last week"]);
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(stderr(&run).contains("last week"), "{}", text(&run));
}

#[test]
fn seda_max_size_takes_units() {
    let fake = tiny(777);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &[]);
    let config = write_config(tmp.path(), "");
    let sip = |name: &str, size: &str| -> (Output, PathBuf) {
        let dir = tmp.path().join(name);
        let run = ds_archive()
            .args(["seda", "--from"])
            .arg(&out)
            .arg("--out")
            .arg(&dir)
            .arg("--config")
            .arg(&config)
            .args([
                "--no-xsd",
                "--date",
                "2024-05-02T10:15:00+02:00",
                "--max-size",
                size,
            ])
            .output()
            .unwrap();
        (run, dir)
    };
    let (run, dir) = sip("one", "1G");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert_eq!(entries(&dir).len(), 1, "all dossiers in one 1 GB batch");
    let (run, dir) = sip("tiny", "1KiB");
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(entries(&dir).len() > 1, "1 KiB splits: {:?}", entries(&dir));
    let (run, _) = sip("bad", "1 parsec");
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
}

#[test]
fn explications_are_typed_and_left_out_of_the_inventory() {
    let fake = Fake::start();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &["--state", "refuse"]);
    let mut header = csv::Reader::from_path(out.join("dossiers.csv")).unwrap();
    let header: Vec<String> = header
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert!(
        !header.iter().any(|h| h.contains("Pièces à fournir")),
        "an explication has no value: {header:?}"
    );
    assert!(
        header.iter().any(|h| h.contains("Nom du projet")),
        "{header:?}"
    );
    let dossier = tree(&out, true)
        .into_iter()
        .find(|(k, _)| k.ends_with("/data/dossier.json"))
        .unwrap()
        .1;
    let dossier: Value = serde_json::from_slice(&dossier).unwrap();
    let explication = dossier["dossier"]["champs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["label"] == "Pièces à fournir")
        .unwrap();
    assert_eq!(explication["__typename"], "ExplicationChamp");
    let run = ds_archive().arg("inventory").arg(&out).output().unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let csv = std::fs::read_to_string(out.join("dossiers.csv")).unwrap();
    assert!(!csv.lines().next().unwrap().contains("Pièces à fournir"));
}

#[test]
fn seda_says_when_it_cannot_check_the_xsd() {
    let fake = tiny(778);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &[]);
    let config = write_config(tmp.path(), "");
    // No xmllint on this PATH (nor anything else): the SIPs are still made,
    // and the run says their manifests were not checked.
    let empty = tmp.path().join("empty-path");
    std::fs::create_dir(&empty).unwrap();
    let sip = tmp.path().join("sip");
    let mut args = seda_args(out.to_str().unwrap(), &sip, &config);
    args.retain(|a| *a != "--no-xsd");
    let run = ds_archive()
        .args(&args)
        .env("PATH", &empty)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(
        stderr(&run).contains("xmllint is not installed"),
        "{}",
        text(&run)
    );
    // Asked not to check, it does not warn.
    let sip = tmp.path().join("sip2");
    let run = ds_archive()
        .args(seda_args(out.to_str().unwrap(), &sip, &config))
        .env("PATH", &empty)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    assert!(!stderr(&run).contains("xmllint"), "{}", text(&run));
}

#[test]
fn seda_names_the_sip_whose_manifest_xmllint_could_not_check() {
    let fake = tiny(779);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    small_archive(&fake, &out, &[]);
    let config = write_config(tmp.path(), "");
    // An xmllint found at start (it answers --version) that is killed on
    // every real check: the SIP is made, and the run says which one went
    // unchecked instead of passing it off as validated.
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let script = bin.join("xmllint");
    std::fs::write(
        &script,
        "#!/bin/sh\n[ \"$1\" = --version ] && exit 0\nkill -9 $$\n",
    )
    .unwrap();
    let mut perms = std::fs::metadata(&script).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&script, perms).unwrap();
    let path = format!("{}:/usr/bin:/bin", bin.display());
    let sip = tmp.path().join("sip");
    let mut args = seda_args(out.to_str().unwrap(), &sip, &config);
    args.retain(|a| *a != "--no-xsd");
    let run = ds_archive()
        .args(&args)
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let made: Vec<String> = std::fs::read_dir(&sip)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".zip"))
        .collect();
    assert!(!made.is_empty(), "{}", text(&run));
    let err = stderr(&run);
    assert!(
        err.contains("not checked against the SEDA XSD"),
        "{}",
        text(&run)
    );
    for name in &made {
        let id = name.trim_end_matches(".zip");
        assert!(err.contains(id), "{id} not named: {}", text(&run));
    }
}

/// The environment of a running `ds-archive archive`, read by the test
/// from /proc while the run waits for an API that accepted its connection
/// and never answers, with `env` added to its start.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn environ_of_running(env: &[(&str, &str)]) -> Vec<String> {
    environ_of(false, env)
}

/// The environment of a running `archive` (or of `verify s3://…` when
/// `bucket`), taken once it has connected to the server it was given.
fn environ_of(bucket: bool, env: &[(&str, &str)]) -> Vec<String> {
    let api = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", api.local_addr().unwrap());
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = ds_archive();
    if bucket {
        cmd.args(["verify", "--quiet", "s3://b/p"])
            .env("AWS_ACCESS_KEY_ID", "k")
            .env("AWS_SECRET_ACCESS_KEY", "s")
            .env("AWS_REGION", "us-east-1")
            .env("AWS_ENDPOINT_URL", &url);
    } else {
        cmd.args(["archive", "--quiet", "--demarche", "1", "--api-url"])
            .arg(format!("{url}/api/v2/graphql"))
            .arg("--out")
            .arg(tmp.path().join("a"))
            .env("DS_API_TOKEN", "t");
    }
    cmd.env_remove("MALLOC_ARENA_MAX")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    // Connected: the process we started is the one running the command.
    let (_held, _) = api.accept().unwrap();
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    environ
        .split(|&b| b == 0)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn verify_of_a_bucket_runs_with_few_malloc_arenas() {
    // Its downloads and checks in flight grew glibc's arenas by about 1 KiB a
    // dossier (docs/benchmarks.md, "Ninth round").
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let ours = format!(
        "MALLOC_ARENA_MAX={}",
        ds_archive::cli::arenas::arenas_for(cores)
    );
    let env = environ_of(true, &[]);
    assert!(env.contains(&ours), "{env:?}");
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn archive_runs_with_few_malloc_arenas_unless_told_otherwise() {
    // glibc's arenas were most of archive's memory at 10^5 dossiers: the
    // binary sets MALLOC_ARENA_MAX for itself before it starts any thread.
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    let ours = format!(
        "MALLOC_ARENA_MAX={}",
        ds_archive::cli::arenas::arenas_for(cores)
    );
    let env = environ_of_running(&[]);
    assert!(env.contains(&ours), "{env:?}");
    // A value the user set is theirs.
    let env = environ_of_running(&[("MALLOC_ARENA_MAX", "5")]);
    assert!(env.contains(&"MALLOC_ARENA_MAX=5".to_owned()), "{env:?}");
    assert!(!env.contains(&ours) || ours.ends_with("=5"), "{env:?}");
}
