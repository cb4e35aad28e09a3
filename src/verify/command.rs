//! The `verify` subcommand as the CLI runs it: arguments, printing (problems
//! on stdout, warnings and the summary on stderr, or JSON), exit code.

use std::path::PathBuf;

use std::io;

use super::spilled::BundleList;
use super::{parallel, verify_all, Error, Options, Report};
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
    /// Hashing threads [default: available cores]; for s3:// also the zips
    /// downloaded and checked at once.
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// Also check the timestamp token's signature and chain with
    /// `openssl ts -verify`, trusting the roots in this PEM file.
    #[arg(long, value_name = "FILE")]
    pub tsa_ca: Option<PathBuf>,
    /// For export views (folders with `paths.csv`): also check each file's SHA-256 against the
    /// manifests of the bags in this archive folder.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    #[command(flatten)]
    pub s3: crate::cli::storage_args::S3Args,
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
    let (views, paths): (Vec<PathBuf>, Vec<PathBuf>) = args
        .paths
        .iter()
        .cloned()
        .partition(|p| crate::export::check::is_view(p));
    if views.is_empty() && args.against.is_some() {
        return console::fatal(
            "--against applies to export views only (folders with paths.csv)",
            Some("give the view folder written by `ds-archive export`"),
        );
    }
    let views_ok = match verify_views(&views, args.against.as_deref(), args.json) {
        Ok(ok) => ok,
        Err(code) => return code,
    };
    if paths.is_empty() {
        progress.finish();
        return if views_ok { exit::OK } else { exit::FAILURES };
    }
    let remote = paths.iter().any(|p| crate::cli::storage_args::is_s3(p));
    let report = if remote {
        super::remote::verify_s3_paths(&paths, &args.s3, &opts, progress).map(|r| (r, None))
    } else {
        // Only the JSON report lists every bundle; the text one needs totals.
        verify_all(&paths, &opts, progress, args.json)
    };
    progress.finish();
    let (mut report, list) = match report {
        Ok(r) => r,
        Err(e) => return console::fatal(&e.to_string(), None),
    };
    timestamps(args, &mut report);
    // A closed pipe (`verify ... | head`) is not a reason to change the verdict.
    if let Err(e) = print_report(&report, list, args.json) {
        return console::fatal(&e.to_string(), None);
    }
    if report.is_valid() && views_ok {
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

/// Print the report; `list` holds the bundles of the JSON report when the
/// report does not (sorted on disk).
fn print_report(report: &Report, list: Option<BundleList>, json: bool) -> Result<(), Error> {
    for w in report.warnings() {
        let fields = serde_json::json!({
            "code": w.code.as_str(), "bundle": w.bundle, "path": w.path,
        });
        console::message("WARN", &w.to_string(), &fields);
    }
    if json {
        // Written as it is made, the bundles read back from their sort.
        let mut failed = None;
        match list {
            Some(list) => {
                let bundles = list.into_sorted().map_err(Error::Spill)?;
                console::out_with(|w| {
                    report.write_json(w, bundles).inspect_err(|e| {
                        failed = (e.kind() != io::ErrorKind::BrokenPipe).then(|| e.to_string());
                    })
                });
            }
            None => {
                let bundles = report.bundles().iter().cloned().map(Ok);
                console::out_with(|w| report.write_json(w, bundles));
            }
        }
        if let Some(e) = failed {
            return Err(Error::Spill(io::Error::other(e)));
        }
    } else {
        for p in report.problems() {
            console::out(p);
        }
    }
    let totals = report.totals();
    let (files, bytes) = (totals.files, totals.bytes);
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
        totals.bundles,
        report.problems().len(),
        report.warnings().len(),
    );
    let fields = serde_json::json!({
        "valid": report.is_valid(),
        "bundles": totals.bundles,
        "files": files,
        "bytes": bytes,
        "problems": report.problems().len(),
        "warnings": report.warnings().len(),
        "fast": report.is_fast(),
    });
    console::summary(&text, &fields);
    Ok(())
}

/// Check export views (docs/templates.md): problems on stdout, a summary
/// per view; `Ok(false)` when one has problems, `Err(code)` when one cannot
/// be checked at all.
fn verify_views(
    views: &[PathBuf],
    against: Option<&std::path::Path>,
    json: bool,
) -> Result<bool, u8> {
    let mut ok = true;
    for view in views {
        let report = crate::export::check::verify_view(view, against)
            .map_err(|e| console::fatal(&e, None))?;
        if json {
            let doc = serde_json::json!({
                "view": view.display().to_string(), "valid": report.problems.is_empty(),
                "files": report.files, "problems": report.problems, "against": against.is_some(),
            });
            console::out(serde_json::to_string_pretty(&doc).unwrap_or_default());
        } else {
            for p in &report.problems {
                console::out(format!("{}: {p}", view.display()));
            }
        }
        let verdict = if report.problems.is_empty() {
            "valid"
        } else {
            "INVALID"
        };
        let text = format!(
            "{verdict}: view `{}`, {} file(s), {} problem(s){}",
            view.display(),
            report.files,
            report.problems.len(),
            if against.is_some() {
                ", checked against the bags"
            } else {
                ""
            },
        );
        let fields = serde_json::json!({
            "valid": report.problems.is_empty(), "view": view.display().to_string(),
            "files": report.files, "problems": report.problems.len(), "against": against.is_some(),
        });
        console::summary(&text, &fields);
        ok &= report.problems.is_empty();
    }
    Ok(ok)
}
