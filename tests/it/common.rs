//! Test harness: a fake DS API running in the test process, the real binary,
//! and checks shared by the tests.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use ds_archive::fake::{Dataset, FakeConfig, FakeServer};

/// A distinctive token: no output, log or file may ever contain it.
pub const TOKEN: &str = "tok-Zq7SECRET-3f9a1c";

/// The rate-limit window of the tests' fakes and runs, in seconds: DS's is a
/// minute, which no test should ever wait out.
pub const RATE_WINDOW_SECS: u64 = 1;

/// The first retry's wait in every command the tests run (the default is
/// 500 ms, doubled at each next try).
pub const RETRY_DELAY_MS: &str = "2";

/// Largest generated file of [`Fake::start_light`]: still several 64 KiB
/// chunks, so streaming, slow bodies and cut bodies work as with big files.
pub const LIGHT_FILE_MAX: u64 = 256 * 1024;

/// A fake DS API on 127.0.0.1 with its own runtime, alive as long as this value.
pub struct Fake {
    pub server: FakeServer,
    rt: tokio::runtime::Runtime,
}

impl Fake {
    pub fn start() -> Self {
        Self::with(FakeConfig {
            token: TOKEN.into(),
            rate_limit_window_secs: RATE_WINDOW_SECS,
            ..FakeConfig::default()
        })
    }

    /// Like [`Fake::start`], with the sample's three large generated files
    /// (38 MiB of its 38.1) cut to [`LIGHT_FILE_MAX`]: for tests about runs,
    /// faults and resumption rather than file size, which then move a few
    /// hundred KiB per run instead of 40 MB.
    pub fn start_light() -> Self {
        Self::with(FakeConfig {
            token: TOKEN.into(),
            rate_limit_window_secs: RATE_WINDOW_SECS,
            dataset: Dataset::sample().with_generated_files_capped(LIGHT_FILE_MAX),
            ..FakeConfig::default()
        })
    }

    pub fn with(config: FakeConfig) -> Self {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = rt
            .block_on(FakeServer::start(config))
            .expect("fake DS API starts");
        Self { server, rt }
    }

    pub fn url(&self) -> String {
        self.server.graphql_url()
    }

    pub fn demarche(&self) -> u64 {
        self.server.dataset().demarche_number()
    }

    /// `ds-archive archive --demarche <ours> --out <out>`, with neither the
    /// API URL nor a token: for tests about how those are given.
    pub fn archive_command(&self, out: &Path) -> std::process::Command {
        let mut cmd = ds_archive();
        cmd.args([
            "archive",
            "--demarche",
            &self.demarche().to_string(),
            "--out",
        ])
        .arg(out);
        cmd
    }

    /// The `archive` command against this fake (URL, token) into `out`,
    /// with extra args, ready to run or spawn.
    pub fn archive_with(&self, out: &Path, extra: &[&str]) -> std::process::Command {
        let mut cmd = self.archive_command(out);
        cmd.args(["--api-url", &self.url(), "--rate-limit", "400"])
            .args(["--rate-window", &RATE_WINDOW_SECS.to_string()])
            .args(extra)
            .env("DS_API_TOKEN", TOKEN);
        cmd
    }

    /// `ds-archive archive` against this fake into `out`, with extra args.
    /// Make every download of `number`'s first attachment fail its MD5
    /// check; returns that file's name.
    pub fn corrupt_first_file(&self, number: u64) -> String {
        let (name, _) = self
            .server
            .dataset()
            .file_contents(number)
            .into_iter()
            .next()
            .expect("the dossier has an attachment");
        self.server.faults().corrupt_file(number, &name);
        name
    }

    pub fn archive(&self, out: &Path, extra: &[&str]) -> Output {
        self.archive_with(out, extra)
            .output()
            .expect("ds-archive runs")
    }
}

pub fn ds_archive() -> std::process::Command {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("ds-archive"));
    cmd.env_remove("DS_API_TOKEN")
        .env_remove("DS_API_URL")
        .env("SOURCE_DATE_EPOCH", "1735689600")
        .env("NO_COLOR", "1")
        // Retries a few ms apart rather than from half a second up: the
        // tries are counted, never timed, by the tests. A test's own
        // `--retry-delay-ms` or env still wins.
        .env("DS_ARCHIVE_RETRY_DELAY_MS", RETRY_DELAY_MS)
        .env("DS_ARCHIVE_S3_RETRY_DELAY_MS", RETRY_DELAY_MS);
    cmd
}

/// Whether an external tool is there; fails the test when CI requires tools.
pub fn have_tool(name: &str) -> bool {
    let found = std::process::Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("DS_ARCHIVE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "{name} is required (DS_ARCHIVE_REQUIRE_TOOLS=1) but not installed"
        );
        eprintln!("note: {name} not installed, skipping that check");
    }
    found
}

pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every regular file under `dir` (relative path → bytes), optionally
/// skipping the state folder.
pub fn tree(dir: &Path, skip_state: bool) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let entry = entry.expect("walk");
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("prefix")
            .to_string_lossy()
            .replace('\\', "/");
        if skip_state && rel.starts_with(".ds-archive") {
            continue;
        }
        if entry.file_type().is_file() {
            out.insert(rel, std::fs::read(entry.path()).expect("read"));
        }
    }
    out
}

/// Files of a bag's `data/` folder with their bytes.
pub fn bag_files(bag: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    walkdir::WalkDir::new(bag.join("data"))
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| (e.path().to_owned(), std::fs::read(e.path()).expect("read")))
        .collect()
}

pub fn dataset() -> Dataset {
    Dataset::sample()
}

/// `seda` arguments from `from` into `out` with `config`: the default
/// profile, one SIP for all, a fixed date (byte-stable SIPs), XSD checked.
pub fn seda_args(from: &Path, out: &Path, config: &Path) -> ds_archive::seda::SedaArgs {
    ds_archive::seda::SedaArgs {
        from: from.to_owned(),
        out: out.to_owned(),
        config: config.to_owned(),
        profile: None,
        per_dossier: false,
        batch: false,
        max_objects: None,
        max_size: None,
        dossiers: Vec::new(),
        date: Some("2024-06-01T10:00:00+02:00".to_owned()),
        no_xsd: false,
        s3: Default::default(),
    }
}

/// The entries of a zip, name and bytes, in the zip's order.
pub fn zip_entries(path: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(path).expect("open")).expect("zip");
    (0..archive.len())
        .map(|i| {
            let mut f = archive.by_index(i).expect("entry");
            let mut buf = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut buf).expect("read");
            (f.name().to_owned(), buf)
        })
        .collect()
}
