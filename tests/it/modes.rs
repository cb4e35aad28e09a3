//! Files other accounts can read: everything `archive`, `inventory` and
//! `seda` publish gets the mode the umask gives (`0644` under `022`), like
//! the bags, so an auditor's account can run `sha256sum -c`, `unzip` and
//! `verify` on them. Only the hidden state folder may stay private.

#![cfg(unix)]

use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output};

use crate::common::{ds_archive, text, Fake};

const CONFIG: &str = r#"
archival_agency_identifier = "FRAN_NP_000002"
transferring_agency_identifier = "FRAN_NP_000001"
archival_agreement = "IC-000001"
originating_agency_identifier = "FRAN_NP_000001"
"#;

/// Run `cmd` with the given umask (through `sh`, which sets it for the
/// program it then `exec`s).
fn run_with_umask(umask: &str, cmd: &Command) -> Output {
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(format!("umask {umask} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => sh.env(key, v),
            None => sh.env_remove(key),
        };
    }
    sh.output().expect("ds-archive runs")
}

/// Every file and folder under `root` whose mode is not the expected one,
/// outside the state folder.
fn wrong_modes(root: &Path, file_mode: u32, dir_mode: u32) -> Vec<String> {
    walkdir::WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| e.file_name() != ".ds-archive")
        .map(Result::unwrap)
        .filter_map(|e| {
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            let want = if e.file_type().is_dir() {
                dir_mode
            } else {
                file_mode
            };
            (mode != want).then(|| format!("{} is {mode:o}", e.path().display()))
        })
        .collect()
}

fn publish_everything(
    fake: &Fake,
    dir: &Path,
    umask: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    let out = dir.join(format!("archive-{umask}"));
    let run = run_with_umask(
        umask,
        &fake.archive_with(&out, &["--state", "accepte", "--state", "refuse"]),
    );
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let mut ods = ds_archive();
    ods.args(["inventory", "--format", "ods"]).arg(&out);
    let ods = run_with_umask(umask, &ods);
    assert_eq!(ods.status.code(), Some(0), "{}", text(&ods));

    let config = dir.join("seda.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let sips = dir.join(format!("sips-{umask}"));
    let mut seda = ds_archive();
    seda.args(["seda", "--no-xsd", "--from"])
        .arg(&out)
        .arg("--out")
        .arg(&sips)
        .arg("--config")
        .arg(&config);
    let seda = run_with_umask(umask, &seda);
    assert_eq!(seda.status.code(), Some(0), "{}", text(&seda));
    (out, sips)
}

#[test]
fn every_published_file_follows_the_umask_like_the_bags() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    for (umask, file_mode, dir_mode) in [("022", 0o644, 0o755), ("027", 0o640, 0o750)] {
        let (out, sips) = publish_everything(&fake, dir.path(), umask);
        for name in [
            "manifest-sha256.txt",
            "report.json",
            "dossiers.csv",
            "dossiers.ods",
        ] {
            assert!(out.join(name).is_file(), "{name} was not written");
        }
        assert!(std::fs::read_dir(&sips).unwrap().next().is_some(), "no SIP");
        let wrong: Vec<String> = wrong_modes(&out, file_mode, dir_mode)
            .into_iter()
            .chain(wrong_modes(&sips, file_mode, dir_mode))
            .collect();
        assert!(
            wrong.is_empty(),
            "under umask {umask}, expected files {file_mode:o} and folders {dir_mode:o}: {wrong:#?}"
        );
    }
}
