//! The `verify` subcommand as the CLI runs it: arguments, printing (problems
//! on stdout, warnings and the summary on stderr, or JSON), exit code.

use std::path::PathBuf;

use super::{parallel, verify_paths_with, Options, Report};
use crate::console;
use crate::error::exit;
use crate::progress::Task;

/// Command-line arguments of `ds-archive verify`.
#[derive(clap::Args, Debug, Clone)]
pub struct VerifyArgs {
    /// Bag folders (`dossier-<N>/`), bundle zips (`dossier-<N>.zip`), SEDA SIP zips or archive
    /// output folders.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Print a machine-readable report on stdout (schemas/verify-report.schema.json).
    #[arg(long)]
    pub json: bool,
    /// Check completeness and Payload-Oxum only: no digests, no zip CRCs.
    #[arg(long)]
    pub fast: bool,
    /// Hashing threads [default: available cores].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Also check the timestamp token's signature and chain with
    /// `openssl ts -verify`, trusting the roots in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
}

/// Run `verify` as the CLI does: print the findings, return the exit code
/// (0 valid, 1 invalid, 2 could not run). `progress` counts the bundles.
#[must_use]
pub fn command(args: &VerifyArgs, progress: &Task) -> u8 {
    let opts = Options {
        fast: args.fast,
        jobs: args
            .jobs
            .map_or_else(parallel::default_jobs, usize::from)
            .max(1),
    };
    let report = verify_paths_with(&args.paths, &opts, progress);
    progress.finish();
    let mut report = match report {
        Ok(r) => r,
        Err(e) => return console::fatal(&e.to_string(), None),
    };
    timestamps(args, &mut report);
    // A closed pipe (`verify ... | head`) is not a reason to change the verdict.
    print_report(&report, args.json);
    if report.is_valid() {
        exit::OK
    } else {
        exit::FAILURES
    }
}

/// Say when each archive folder's manifest was timestamped, and check the
/// tokens' signatures with OpenSSL when `--tsa-ca` is given.
fn timestamps(args: &VerifyArgs, report: &mut Report) {
    use crate::timestamp::{MANIFEST, TSR};
    for dir in args.paths.iter().filter(|p| p.join(TSR).is_file()) {
        let bundle = super::display_name(dir);
        let (_, token) = super::timestamp::findings(dir, &bundle);
        if let Some((gen_time, policy)) = &token {
            console::message(
                "INFO",
                &format!(
                    "{bundle}: {MANIFEST} timestamped at {gen_time} under TSA policy {policy} ({TSR})"
                ),
                &serde_json::json!({ "bundle": bundle, "gen_time": gen_time, "policy": policy }),
            );
        }
        if let Some(ca) = &args.tsa_ca {
            if let Some(f) = super::timestamp::openssl_finding(dir, &bundle, ca) {
                report.push(f);
            }
        }
    }
    report.finish();
}

fn print_report(report: &Report, json: bool) {
    for w in report.warnings() {
        let fields = serde_json::json!({
            "code": w.code.as_str(), "bundle": w.bundle, "path": w.path,
        });
        console::message("WARN", &w.to_string(), &fields);
    }
    if json {
        let text = serde_json::to_string_pretty(&report.to_json()).unwrap_or_default();
        console::out(text);
    } else {
        for p in report.problems() {
            console::out(p);
        }
    }
    let files: u64 = report.bundles().iter().map(|b| b.files).sum();
    let bytes: u64 = report.bundles().iter().map(|b| b.bytes).sum();
    let verdict = if report.is_valid() {
        "valid"
    } else {
        "INVALID"
    };
    let fast = if report.is_fast() {
        " (fast: digests not checked)"
    } else {
        ""
    };
    let text = format!(
        "{verdict}: {} bundle(s), {files} file(s), {bytes} bytes, {} problem(s), {} warning(s){fast}",
        report.bundles().len(),
        report.problems().len(),
        report.warnings().len(),
    );
    let fields = serde_json::json!({
        "valid": report.is_valid(),
        "bundles": report.bundles().len(),
        "files": files,
        "bytes": bytes,
        "problems": report.problems().len(),
        "warnings": report.warnings().len(),
        "fast": report.is_fast(),
    });
    console::summary(&text, &fields);
}
