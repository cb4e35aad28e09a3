//! The timestamp options of `archive` and `demo`, the `timestamp` command,
//! and what both tell the user: a line on stderr and a `timestamp` object in
//! `report.json`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use super::{stamp, StampError, Stamped, TsaClient, MANIFEST, TSR};
use crate::api::RetryPolicy;
use crate::console;
use crate::error::exit;
use crate::fsx;

/// `--tsa-url` and `--tsa-auth-file`, shared by `archive`, `demo` and `timestamp`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct TsaArgs {
    /// After the run, timestamp manifest-sha256.txt with this RFC 3161 TSA
    /// (repeatable: the next one is asked when one fails).
    #[arg(long = "tsa-url", value_name = "URL")]
    pub urls: Vec<String>,
    /// A file holding `user:password` for the TSA's HTTP basic auth.
    #[arg(long, value_name = "PATH")]
    pub tsa_auth_file: Option<PathBuf>,
}

impl TsaArgs {
    /// The client, or `None` when no TSA was given.
    ///
    /// # Errors
    /// A message for a bad URL or an unreadable or malformed auth file.
    pub fn client(&self, retry: RetryPolicy) -> Result<Option<TsaClient>, String> {
        if self.urls.is_empty() {
            return if self.tsa_auth_file.is_some() {
                Err("--tsa-auth-file needs a --tsa-url".into())
            } else {
                Ok(None)
            };
        }
        let auth = self.tsa_auth_file.as_deref().map(read_auth).transpose()?;
        TsaClient::new(self.urls.clone(), auth, retry).map(Some)
    }
}

/// `user:password` on the file's first line.
fn read_auth(path: &Path) -> Result<(String, String), String> {
    let text =
        fs_err::read_to_string(path).map_err(|e| format!("cannot read the TSA auth file: {e}"))?;
    let line = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    match line.split_once(':') {
        Some((user, password)) if !user.is_empty() => Ok((user.to_owned(), password.to_owned())),
        // Never echo the line: it is a password.
        _ => Err(format!(
            "the TSA auth file `{}` must hold `user:password` on its first line",
            path.display()
        )),
    }
}

/// Options of `ds-archive timestamp`.
#[derive(Debug, clap::Args)]
pub struct TimestampArgs {
    /// The archive folder (the `--out` of `archive`).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    #[command(flatten)]
    tsa: TsaArgs,
    /// Tries per TSA before the next one.
    #[arg(long, default_value_t = 6, value_parser = clap::value_parser!(u32).range(1..=50))]
    retries: u32,
    /// Milliseconds before the first retry (doubled at each next one).
    #[arg(long, env = "DS_ARCHIVE_RETRY_DELAY_MS", default_value_t = 500,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    retry_delay_ms: u64,
}

/// `ds-archive timestamp DIR`: 0 stamped (or already), 1 no TSA gave a
/// token or the stored one does not cover the manifest, 2 bad arguments.
#[must_use]
pub fn command(args: &TimestampArgs) -> u8 {
    if args.tsa.urls.is_empty() {
        return console::fatal("no TSA: give --tsa-url", None);
    }
    let retry =
        RetryPolicy::with_base_delay(args.retries, Duration::from_millis(args.retry_delay_ms));
    let client = match args.tsa.client(retry) {
        Ok(Some(c)) => c,
        Ok(None) => return exit::FATAL,
        Err(e) => return console::fatal(&e, None),
    };
    if !args.dir.join(MANIFEST).is_file() {
        return console::fatal(
            &StampError::NoManifest(args.dir.clone()).to_string(),
            Some("run `archive` first (without --no-zip)"),
        );
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return console::fatal("cannot start the async runtime", None);
    };
    // Hold the folder's lock, as `archive` does, when it is an archive folder.
    let _journal = if args.dir.join(crate::journal::STATE_DIR).is_dir() {
        match crate::journal::Journal::open(&args.dir) {
            Ok(j) => Some(j),
            Err(e) => return console::fatal(&e.to_string(), None),
        }
    } else {
        None
    };
    rt.block_on(after_run(&args.dir, &client))
}

/// Timestamp `out`'s manifest after a run (or for `timestamp`), tell the
/// user, record it in `report.json`; the exit status it calls for.
pub async fn after_run(out: &Path, tsa: &TsaClient) -> u8 {
    let result = stamp(out, tsa).await;
    let (code, record) = match &result {
        Ok(Stamped::New(token, url)) => {
            console::message(
                "INFO",
                &format!(
                    "timestamp: {MANIFEST} stamped at {} by {url} ({TSR})",
                    token.gen_time
                ),
                &json!({ "tsa": url, "gen_time": token.gen_time }),
            );
            (exit::OK, token_json("stamped", token, Some(url)))
        }
        Ok(Stamped::AlreadyValid(token)) => {
            console::message(
                "INFO",
                &format!(
                    "timestamp: {MANIFEST} already has a token covering it ({TSR}, {})",
                    token.gen_time
                ),
                &json!({ "gen_time": token.gen_time }),
            );
            (exit::OK, token_json("already_stamped", token, None))
        }
        Err(StampError::NoManifest(_)) => {
            console::warning(
                &format!("timestamp: no {MANIFEST} to timestamp (no zip in the archive)"),
                &Value::Null,
            );
            return exit::OK;
        }
        Err(e) => {
            let hint = match e {
                StampError::Stale(_) => "run `ds-archive verify` on the folder: the manifest changed after it was timestamped".to_owned(),
                _ => format!(
                    "the archive is complete; ask again later with `ds-archive timestamp {} --tsa-url URL`",
                    out.display()
                ),
            };
            let what = format!("timestamp of {MANIFEST} failed: {e}");
            if console::is_json() {
                console::message("ERROR", &what, &json!({ "hint": hint }));
            } else {
                console::message(
                    "ERROR",
                    &format!("error: {what}\n\nhint: {hint}"),
                    &Value::Null,
                );
            }
            let failures = match e {
                StampError::NoToken(f) | StampError::Stale(f) => f.clone(),
                other => vec![other.to_string()],
            };
            let record = json!({ "status": "failed", "file": TSR, "errors": failures });
            (exit::FAILURES, record)
        }
    };
    record_in_report(out, record);
    code
}

fn token_json(status: &str, token: &super::token::Token, tsa: Option<&String>) -> Value {
    json!({
        "status": status,
        "file": TSR,
        "tsa": tsa,
        "gen_time": token.gen_time,
        "policy": token.policy,
        "serial": token.serial,
        "certificates": token.certificates,
    })
}

/// Set `report.json`'s `timestamp` to `record` (when there is a report).
fn record_in_report(out: &Path, record: Value) {
    let path = out.join("report.json");
    let Some(mut report) = fs_err::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
    else {
        return;
    };
    let Some(object) = report.as_object_mut() else {
        return;
    };
    let old = object.get("timestamp");
    // A rerun that finds the token already there leaves the report as it was.
    let same_token = record["status"] == "already_stamped"
        && old.is_some_and(|o| o["serial"] == record["serial"] && o["status"] != "failed");
    if old == Some(&record) || same_token {
        return;
    }
    object.insert("timestamp".to_owned(), record);
    let mut bytes = serde_json::to_vec_pretty(&report).unwrap_or_default();
    bytes.push(b'\n');
    if let Err(e) = fsx::write_atomic(&path, &bytes) {
        tracing::warn!("report.json not updated with the timestamp: {e}");
    }
}
