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

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

mod archive;
mod bag;
pub mod codes;
mod command;
mod ours;
pub mod paths;
mod problems;
mod remote;
mod report;
pub mod tagfile;
mod timestamp;

pub use codes::Code;
pub use command::{command, VerifyArgs};
pub use report::{BundleKind, BundleSummary, Finding, Report};

use crate::bagit::parallel::{self, parallel_map};
use crate::bagit::source::{DirSource, ProblemKind, ReadError};
use crate::bagit::zipsource::ZipSource;
use crate::digest::{hash_reader, DigestAlg, HexDigests};
use crate::progress::Task;
use problems::finding;

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
/// As [`verify_paths`].
pub fn verify_paths_with(
    paths: &[PathBuf],
    opts: &Options,
    progress: &Task,
) -> Result<Report, Error> {
    if paths.is_empty() {
        return Err(Error::NoPath);
    }
    let mut jobs = Vec::new();
    let mut archives = Vec::new();
    let mut sips = Vec::new();
    for path in paths {
        match classify(path)? {
            Target::Bag => jobs.push(Job::new(path.to_path_buf(), display_name(path), false)),
            Target::Zip => jobs.push(Job::new(path.to_path_buf(), display_name(path), true)),
            Target::Sip => sips.push(path.clone()),
            Target::Archive(plan) => {
                let first = jobs.len();
                let pairs = plan.pairs();
                for name in &plan.folders {
                    let mut job = Job::new(path.join(name), name.clone(), false);
                    job.sha256_all = pairs.iter().any(|(d, _)| d == name);
                    jobs.push(job);
                }
                for name in &plan.zips {
                    let mut job = Job::new(path.join(name), name.clone(), true);
                    job.sha256_all = pairs.iter().any(|(_, z)| z == name);
                    job.whole_digest = plan.has_run_manifest;
                    jobs.push(job);
                }
                archives.push((path.clone(), plan, first..jobs.len()));
            }
        }
    }
    progress.start((jobs.len() + sips.len()) as u64);
    let results = run_jobs(&jobs, opts, progress);
    let mut report = Report::new(opts.fast);
    for (dir, plan, range) in archives {
        report.merge(check_archive(
            &dir,
            &plan,
            &jobs[range.clone()],
            &results[range],
            opts.fast,
        ));
    }
    for (job, result) in jobs.iter().zip(results) {
        let summary = BundleSummary {
            name: job.name.clone(),
            kind: if job.zip {
                BundleKind::Zip
            } else {
                BundleKind::Folder
            },
            files: result.outcome.files,
            bytes: result.outcome.bytes,
            problems: 0,
        };
        report.add_bundle(summary, named(result.outcome.findings, &job.name));
    }
    for sip in sips {
        let (summary, findings) = sip_findings(&sip);
        report.add_bundle(summary, findings);
        progress.inc();
    }
    report.finish();
    Ok(report)
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
    let result = run_job(&job, opts.jobs, opts.fast);
    let mut report = Report::new(opts.fast);
    let kind = if job.zip {
        BundleKind::Zip
    } else {
        BundleKind::Folder
    };
    let summary = BundleSummary {
        name: job.name.clone(),
        kind,
        files: result.outcome.files,
        bytes: result.outcome.bytes,
        problems: 0,
    };
    report.add_bundle(summary, named(result.outcome.findings, &job.name));
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

struct Job {
    path: PathBuf,
    name: String,
    zip: bool,
    sha256_all: bool,
    whole_digest: bool,
}

impl Job {
    fn new(path: PathBuf, name: String, zip: bool) -> Self {
        Self {
            path,
            name,
            zip,
            sha256_all: false,
            whole_digest: false,
        }
    }
}

struct JobResult {
    outcome: bag::BagOutcome,
    whole_sha256: Option<Result<String, ReadError>>,
}

/// Many bundles: one per thread. One bundle: its files spread over threads.
fn run_jobs(jobs: &[Job], opts: &Options, progress: &Task) -> Vec<JobResult> {
    let run = |job: &Job, threads: usize| {
        let result = run_job(job, threads, opts.fast);
        progress.inc();
        result
    };
    if jobs.len() > 1 && opts.jobs > 1 {
        parallel_map(jobs, opts.jobs, || (), |(), job| run(job, 1))
    } else {
        jobs.iter().map(|job| run(job, opts.jobs)).collect()
    }
}

fn run_job(job: &Job, jobs: usize, fast: bool) -> JobResult {
    let bag_opts = bag::BagOptions {
        fast,
        jobs,
        sha256_all: job.sha256_all,
    };
    let want_whole = job.whole_digest && !fast;
    let mut whole = None;
    let outcome = if job.zip {
        match ZipSource::open(&job.path) {
            Ok((src, problems)) => {
                let src = src.with_whole_digest(want_whole);
                let findings = problems.into_iter().map(finding).collect();
                let outcome = bag::check(&src, &bag_opts, findings);
                whole = src.whole_sha256();
                outcome
            }
            Err(problem) => bag::BagOutcome {
                findings: vec![finding(problem)],
                ..bag::BagOutcome::default()
            },
        }
    } else if job.path.is_dir() {
        let (src, problems) = DirSource::open(&job.path);
        bag::check(&src, &bag_opts, problems.into_iter().map(finding).collect())
    } else {
        let finding = Finding::new(
            crate::verify::Code::Unreadable,
            "",
            "",
            "not a readable folder",
        );
        bag::BagOutcome {
            findings: vec![finding],
            ..bag::BagOutcome::default()
        }
    };
    // Computed while the entries were read when that pass went through;
    // otherwise read the zip once more for it.
    let whole_sha256 = want_whole.then(|| whole.map_or_else(|| sha256_file(&job.path), Ok));
    JobResult {
        outcome,
        whole_sha256,
    }
}

fn sha256_file(path: &Path) -> Result<String, ReadError> {
    let unreadable = |e: io::Error| ReadError::io(&e);
    let mut file = fs_err::File::open(path).map_err(unreadable)?;
    let (_, mut d) =
        hash_reader(&mut file, &[DigestAlg::Sha256], &mut Vec::new()).map_err(unreadable)?;
    d.remove(&DigestAlg::Sha256).ok_or_else(|| ReadError {
        kind: ProblemKind::Unreadable,
        message: "no digest".into(),
    })
}

/// Run-level findings of one archive folder, plus its summary.
fn check_archive(
    dir: &Path,
    plan: &archive::Plan,
    jobs: &[Job],
    results: &[JobResult],
    fast: bool,
) -> Report {
    let name = display_name(dir);
    let mut findings = plan.findings.clone();
    let manifest_path = dir.join(archive::RUN_MANIFEST);
    if plan.has_run_manifest {
        match fs_err::read(&manifest_path).map(String::from_utf8) {
            Ok(Ok(text)) => {
                let digests: BTreeMap<String, Result<String, ReadError>> = jobs
                    .iter()
                    .zip(results)
                    .filter_map(|(j, r)| Some((j.name.clone(), r.whole_sha256.clone()?)))
                    .collect();
                let hash_other = |n: &str| dir.join(n).is_file().then(|| sha256_file(&dir.join(n)));
                findings.extend(archive::check_run_manifest(
                    &text, &plan.zips, &digests, fast, hash_other,
                ));
            }
            Ok(Err(_)) => findings.push(Finding::new(
                Code::RunManifest,
                "",
                archive::RUN_MANIFEST,
                "not UTF-8",
            )),
            Err(e) => findings.push(Finding::new(
                Code::Unreadable,
                "",
                archive::RUN_MANIFEST,
                e.to_string(),
            )),
        }
        findings.extend(timestamp::findings(dir, &name).0);
    } else if !plan.zips.is_empty() {
        findings.push(Finding::new(
            Code::NoRunManifest,
            "",
            archive::RUN_MANIFEST,
            "missing: zips not checked as a set",
        ));
    }
    let facts: BTreeMap<&str, &BTreeMap<String, (u64, HexDigests)>> = jobs
        .iter()
        .zip(results)
        .map(|(j, r)| (j.name.as_str(), &r.outcome.facts))
        .collect();
    let mut report = Report::new(fast);
    for (folder, zip) in plan.pairs() {
        if let (Some(a), Some(b)) = (facts.get(folder.as_str()), facts.get(zip.as_str())) {
            report.add_bundle_findings(named(archive::compare_pair(a, b), &zip));
        }
    }
    let summary = BundleSummary {
        name: name.clone(),
        kind: BundleKind::Archive,
        files: 0,
        bytes: 0,
        problems: 0,
    };
    report.add_bundle(summary, named(findings, &name));
    report
}
