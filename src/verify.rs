//! `ds-archive verify`: check bag folders, bundle zips and archive output
//! folders, and report every problem with a stable code.
//!
//! This module owns the public entry points and the scheduling; the checks
//! live in submodules: [`tagfile`] and [`paths`] (pure parsing rules),
//! `bag` (the BagIt checks), `ours` (our metadata.json) and `archive`
//! (run-level files). Reading a folder or a zip in place, and hashing on all
//! cores, is the shared reader of [`crate::bagit::source`]; `problems` turns
//! what it meets into findings. Verification never writes anything, so
//! `archive` can call [`verify_bag_dir`] and [`verify_zip`] on each new
//! bundle. See docs/verify.md for the codes and exit statuses.

use std::io;
use std::path::{Path, PathBuf};

mod archive;
mod bag;
pub mod codes;
mod command;
mod jobs;
mod ours;
pub mod paths;
mod problems;
mod remote;
mod report;
mod run_manifest;
mod spilled;
pub mod tagfile;
mod timestamp;

pub use codes::Code;
pub use command::{command, VerifyArgs};
pub use report::{BundleKind, BundleSummary, Finding, Report, Totals};

use crate::bagit::parallel;
use crate::progress::Task;
use jobs::{Inputs, Job};
use spilled::{BundleList, ZipDigests};

/// How to verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Skip digests and zip CRCs (completeness and Payload-Oxum only).
    pub fast: bool,
    /// Hashing threads, at least 1.
    pub jobs: usize,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fast: false,
            jobs: parallel::default_jobs(),
        }
    }
}

/// Why verification could not run at all (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path given cannot be read.
    #[error("cannot read `{}`: {source}", path.display())]
    Unreadable {
        /// The path given.
        path: PathBuf,
        /// The cause.
        #[source]
        source: io::Error,
    },
    /// A path given is neither a bag, a zip nor an archive folder.
    #[error("`{}` is not a bag folder, a bundle zip or an archive folder", path.display())]
    NotABag {
        /// The path given.
        path: PathBuf,
    },
    /// No path given.
    #[error("no path to verify")]
    NoPath,
    /// A bucket cannot be listed or read (the message names it).
    #[error("{0}")]
    Remote(String),
    /// The list of bundles could not be sorted on disk (in the temporary
    /// folder) or read back.
    #[error("cannot sort the bundles in the temporary folder: {0}")]
    Spill(#[source] io::Error),
}

/// Verify bag folders, zips and archive folders. Every bundle is checked and
/// every problem reported; `Err` only when a path cannot be used at all.
///
/// # Errors
/// [`Error`] when no path is given or a path is unreadable or not a bag, a
/// zip or an archive folder; nothing is verified then.
pub fn verify_paths(paths: &[PathBuf], opts: &Options) -> Result<Report, Error> {
    verify_paths_with(paths, opts, &Task::hidden())
}

/// [`verify_paths`], counting each bundle checked on `progress`.
///
/// # Errors
/// As [`verify_paths`], and [`Error::Spill`].
pub fn verify_paths_with(
    paths: &[PathBuf],
    opts: &Options,
    progress: &Task,
) -> Result<Report, Error> {
    let (mut report, list) = verify_all(paths, opts, progress, true)?;
    if let Some(list) = list {
        for b in list.into_sorted().map_err(Error::Spill)? {
            report.bundles.push(b.map_err(Error::Spill)?);
        }
        report.list_bundles = true;
        report.finish();
    }
    Ok(report)
}

/// [`verify_paths_with`]: the report keeps totals and findings; with
/// `list_bundles`, the summary of every bundle is in the [`BundleList`]
/// (sorted on disk: the JSON report lists them). Bundles are checked a
/// dossier at a time (folder and zip together) as the archive folders are
/// walked, and folded into the report as they end, so memory does not grow
/// with the number of dossiers (docs/benchmarks.md, "Memory").
pub(crate) fn verify_all(
    paths: &[PathBuf],
    opts: &Options,
    progress: &Task,
    list_bundles: bool,
) -> Result<(Report, Option<BundleList>), Error> {
    if paths.is_empty() {
        return Err(Error::NoPath);
    }
    let mut singles = Vec::new();
    let mut archives = Vec::new();
    let mut sips = Vec::new();
    for path in paths {
        match classify(path)? {
            Target::Bag => singles.push((path.clone(), false)),
            Target::Zip => singles.push((path.clone(), true)),
            Target::Sip => sips.push(path.clone()),
            Target::Archive(plan) => archives.push((path.clone(), plan)),
        }
    }
    let inputs = Inputs {
        singles: &singles,
        archives: &archives,
    };
    let (_, bundles) = jobs::count(&inputs);
    progress.start(bundles + sips.len() as u64);
    let mut report = Report::unlisted(opts.fast);
    let mut list = list_bundles.then(BundleList::default);
    let mut add = |report: &mut Report, summary: BundleSummary, findings| {
        if let Some(list) = list.as_mut() {
            list.push(&summary);
        }
        report.add_bundle(summary, findings);
    };
    let mut digests: Vec<Option<ZipDigests>> = archives
        .iter()
        .map(|(_, plan)| plan.has_run_manifest.then(ZipDigests::default))
        .collect();
    jobs::run(&inputs, opts.jobs, opts.fast, progress, |out| {
        for (summary, findings) in out.bundles {
            add(&mut report, summary, findings);
        }
        report.add_bundle_findings(out.findings);
        if let Some((a, name, whole)) = out.whole {
            if let Some(d) = digests[a].as_mut() {
                d.push(&name, whole.as_ref());
            }
        }
    });
    for ((dir, plan), digests) in archives.iter().zip(digests) {
        let (summary, findings) = check_archive(dir, plan, digests, opts.fast);
        add(&mut report, summary, findings);
    }
    for sip in sips {
        let (summary, findings) = sip_findings(&sip);
        add(&mut report, summary, findings);
        progress.inc();
    }
    report.finish();
    Ok((report, list))
}

/// A zip whose root holds a SEDA manifest rather than one bag folder.
fn is_sip(path: &Path) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(zip) = zip::ZipArchive::new(file) else {
        return false;
    };
    let found = zip
        .file_names()
        .any(|n| n == "manifest.xml" || (!n.contains('/') && n.ends_with("_manifest.xml")));
    found
}

/// Verify a SEDA SIP (digests and sizes against `Content/`, layout, XSD) and
/// express its problems as findings with stable codes.
fn sip_findings(path: &Path) -> (BundleSummary, Vec<Finding>) {
    let sip = crate::seda::verify_sip(path);
    let name = display_name(path);
    let to_finding = |p: &crate::seda::SipProblem| {
        let code = Code::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == p.code)
            .unwrap_or(Code::SipManifest);
        Finding::new(
            code,
            name.clone(),
            p.path.clone().unwrap_or_default(),
            p.message.clone(),
        )
    };
    let findings: Vec<Finding> = sip
        .problems
        .iter()
        .chain(sip.warnings.iter())
        .map(to_finding)
        .collect();
    let summary = BundleSummary {
        name: name.clone(),
        kind: BundleKind::Zip,
        files: sip.objects as u64,
        bytes: fs_err::metadata(path).map_or(0, |m| m.len()),
        problems: 0,
    };
    (summary, findings)
}

/// Verify one bag folder (used by `archive` after writing a bag).
#[must_use]
pub fn verify_bag_dir(dir: &Path, opts: &Options) -> Report {
    verify_one(Job::new(dir.to_path_buf(), display_name(dir), false), opts)
}

/// Verify one bundle zip, in place (used by `archive` after zipping a bag).
#[must_use]
pub fn verify_zip(zip: &Path, opts: &Options) -> Report {
    verify_one(Job::new(zip.to_path_buf(), display_name(zip), true), opts)
}

fn verify_one(job: Job, opts: &Options) -> Report {
    let result = jobs::run_job(&job, opts.jobs, opts.fast);
    let mut report = Report::new(opts.fast);
    let (summary, findings) = job.summary(result.outcome);
    report.add_bundle(summary, findings);
    report.finish();
    report
}

enum Target {
    Bag,
    Zip,
    /// A SEDA submission package (manifest.xml and Content/ at its root).
    Sip,
    Archive(archive::Plan),
}

fn classify(path: &Path) -> Result<Target, Error> {
    let meta = fs_err::metadata(path).map_err(|source| Error::Unreadable {
        path: path.to_path_buf(),
        source,
    })?;
    let name = display_name(path);
    if meta.is_file() {
        return if archive::is_zip_name(&name) {
            Ok(if is_sip(path) {
                Target::Sip
            } else {
                Target::Zip
            })
        } else {
            Err(Error::NotABag {
                path: path.to_path_buf(),
            })
        };
    }
    if archive::looks_like_bag(path) {
        return Ok(Target::Bag);
    }
    match archive::plan(path).map_err(|source| Error::Unreadable {
        path: path.to_path_buf(),
        source,
    })? {
        Some(plan) => Ok(Target::Archive(plan)),
        // Fail closed: a dossier folder that lost everything is an invalid bag.
        None if name.starts_with("dossier-") => Ok(Target::Bag),
        None => Err(Error::NotABag {
            path: path.to_path_buf(),
        }),
    }
}

/// The name findings use: the last path component (`dossier-12`, `x.zip`).
fn display_name(path: &Path) -> String {
    match path.file_name() {
        Some(n) => n.to_string_lossy().into_owned(),
        None => path
            .canonicalize()
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| path.display().to_string()),
    }
}

fn named(findings: Vec<Finding>, bundle: &str) -> Vec<Finding> {
    findings
        .into_iter()
        .map(|f| Finding {
            bundle: bundle.to_owned(),
            ..f
        })
        .collect()
}

/// Run-level findings of one archive folder (its run manifest against the
/// zips' digests, `digests`, present when it has a run manifest), and its
/// summary.
fn check_archive(
    dir: &Path,
    plan: &archive::Plan,
    digests: Option<ZipDigests>,
    fast: bool,
) -> (BundleSummary, Vec<Finding>) {
    let name = display_name(dir);
    let mut findings = plan.findings.clone();
    let manifest_path = dir.join(archive::RUN_MANIFEST);
    if let Some(digests) = digests {
        let hash_other = |n: &str| {
            dir.join(n)
                .is_file()
                .then(|| jobs::sha256_file(&dir.join(n)))
        };
        let checked = digests.into_sorted().and_then(|zips| {
            let manifest = io::BufReader::new(fs_err::File::open(&manifest_path)?);
            run_manifest::check_sorted(manifest, zips, fast, hash_other)
        });
        match checked {
            Ok(found) => findings.extend(found),
            Err(e) => findings.push(Finding::new(
                Code::Unreadable,
                "",
                archive::RUN_MANIFEST,
                e.to_string(),
            )),
        }
        findings.extend(timestamp::findings(dir, &name).0);
    } else if plan.zips > 0 {
        findings.push(Finding::new(
            Code::NoRunManifest,
            "",
            archive::RUN_MANIFEST,
            "missing: zips not checked as a set",
        ));
    }
    let summary = BundleSummary {
        name: name.clone(),
        kind: BundleKind::Archive,
        files: 0,
        bytes: 0,
        problems: 0,
    };
    (summary, named(findings, &name))
}
