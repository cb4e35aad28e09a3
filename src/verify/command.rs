//! The `verify` subcommand as the CLI runs it: arguments, printing (problems
//! on stdout, warnings and the summary on stderr, or JSON), exit code.

use std::io::{self, Write};
use std::path::PathBuf;

use super::{parallel, verify_paths, Options, Report};
use crate::error::exit;

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
}

/// Run `verify` as the CLI does: print the findings, return the exit code
/// (0 valid, 1 invalid, 2 could not run).
#[must_use]
pub fn command(args: &VerifyArgs) -> u8 {
    let opts = Options {
        fast: args.fast,
        jobs: args
            .jobs
            .map_or_else(parallel::default_jobs, usize::from)
            .max(1),
    };
    let report = match verify_paths(&args.paths, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::FATAL;
        }
    };
    // A closed pipe (`verify ... | head`) is not a reason to change the verdict.
    let _ = print_report(&report, args.json);
    if report.is_valid() {
        exit::OK
    } else {
        exit::FAILURES
    }
}

fn print_report(report: &Report, json: bool) -> io::Result<()> {
    let mut err = io::stderr().lock();
    for w in report.warnings() {
        writeln!(err, "{w}")?;
    }
    let mut out = io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &report.to_json())?;
        writeln!(out)?;
    } else {
        for p in report.problems() {
            writeln!(out, "{p}")?;
        }
    }
    out.flush()?;
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
    writeln!(
        err,
        "{verdict}: {} bundle(s), {files} file(s), {bytes} bytes, {} problem(s), {} warning(s){fast}",
        report.bundles().len(),
        report.problems().len(),
        report.warnings().len(),
    )
}
