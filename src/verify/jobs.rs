//! What `verify` checks, unit by unit, and how the units are spread over
//! threads without keeping their results.
//!
//! A unit is one bundle given on the command line, or in an archive folder
//! one dossier: its bag folder and its zip together, so that the two can be
//! compared file by file (SHA-256) as soon as both are read and the per-file
//! facts dropped at once. Each unit's summaries and findings go to a sink as
//! the unit ends. Units are drawn from a walk of each archive folder as
//! threads free up (`archive::units`), and each zip's SHA-256 goes to the
//! caller, which sorts them on disk for the run manifest check: nothing is
//! kept a dossier, so `verify` of an archive of 10⁵ dossiers stays flat
//! (docs/benchmarks.md, "Memory").

use std::io;
use std::path::{Path, PathBuf};

use super::archive::{self, ArchiveUnit, Plan};
use super::problems::finding;
use super::report::{BundleKind, BundleSummary, Finding};
use super::{bag, display_name, named, Code};
use crate::bagit::parallel::parallel_for_each_iter;
use crate::bagit::source::{DirSource, ProblemKind, ReadError};
use crate::bagit::zipsource::ZipSource;
use crate::digest::{hash_reader, DigestAlg};
use crate::progress::Task;

/// The SHA-256 of a whole zip (for the run manifest), or why it is unknown.
pub(super) type Whole = Result<[u8; 32], ReadError>;

/// What the units are drawn from.
pub(super) struct Inputs<'a> {
    /// Bag folders and zips given on the command line (`true`: a zip).
    pub singles: &'a [(PathBuf, bool)],
    /// Archive folders and what they hold.
    pub archives: &'a [(PathBuf, Plan)],
}

/// One unit of work.
#[derive(Debug)]
pub(super) enum Unit {
    /// A bundle given on the command line, by index into [`Inputs`].
    Single(usize),
    /// A bag folder of an archive with its zip, or a zip alone.
    Archived { archive: usize, unit: ArchiveUnit },
    /// The walk of an archive folder failed partway.
    WalkFailed { archive: usize, error: String },
}

/// What one unit produced.
pub(super) struct UnitOutput {
    /// Each bundle's summary and findings.
    pub bundles: Vec<(BundleSummary, Vec<Finding>)>,
    /// Findings about a folder and its zip disagreeing.
    pub findings: Vec<Finding>,
    /// A zip of an archive with a run manifest: (archive, zip name, its
    /// digest when computed).
    pub whole: Option<(usize, String, Option<Whole>)>,
}

/// How many units `inputs` hold, and how many bundles.
pub(super) fn count(inputs: &Inputs<'_>) -> (u64, u64) {
    let singles = inputs.singles.len() as u64;
    inputs
        .archives
        .iter()
        .fold((singles, singles), |(units, bundles), (_, plan)| {
            (units + plan.units, bundles + plan.folders + plan.zips)
        })
}

/// Every unit of `inputs`, drawn as the archive folders are walked.
fn units<'a>(inputs: &'a Inputs<'a>) -> impl Iterator<Item = Unit> + Send + 'a {
    let singles = (0..inputs.singles.len()).map(Unit::Single);
    let archived = inputs
        .archives
        .iter()
        .enumerate()
        .flat_map(|(a, (dir, _))| {
            let walk: Box<dyn Iterator<Item = io::Result<ArchiveUnit>> + Send> =
                match archive::units(dir) {
                    Ok(walk) => Box::new(walk),
                    Err(e) => Box::new(std::iter::once(Err(e))),
                };
            walk.map(move |u| match u {
                Ok(unit) => Unit::Archived { archive: a, unit },
                Err(e) => Unit::WalkFailed {
                    archive: a,
                    error: e.to_string(),
                },
            })
        });
    singles.chain(archived)
}

/// Run every unit, handing each output to `sink` as it ends (in no set
/// order). Many units: one per thread; one unit: its files over threads.
pub(super) fn run(
    inputs: &Inputs<'_>,
    jobs: usize,
    fast: bool,
    progress: &Task,
    sink: impl FnMut(UnitOutput) + Send,
) {
    let (count, _) = count(inputs);
    let threads = if count > 1 && jobs > 1 { 1 } else { jobs };
    let pool = if count > 1 { jobs } else { 1 };
    parallel_for_each_iter(
        units(inputs),
        pool,
        || (),
        |(), unit| run_unit(inputs, unit, threads, fast, progress),
        sink,
    );
}

fn run_unit(
    inputs: &Inputs<'_>,
    unit: Unit,
    threads: usize,
    fast: bool,
    progress: &Task,
) -> UnitOutput {
    let mut out = UnitOutput {
        bundles: Vec::new(),
        findings: Vec::new(),
        whole: None,
    };
    let one = |job: Job| {
        let result = run_job(&job, threads, fast);
        progress.inc();
        (job, result)
    };
    match unit {
        Unit::Single(i) => {
            let (path, zip) = &inputs.singles[i];
            let (job, result) = one(Job::new(path.clone(), display_name(path), *zip));
            out.bundles.push(job.summary(result.outcome));
        }
        Unit::Archived {
            archive,
            unit: ArchiveUnit::Folder { name, zip },
        } => {
            let (dir, plan) = &inputs.archives[archive];
            let mut fjob = Job::new(dir.join(&name), name, false);
            fjob.sha256_all = zip.is_some();
            let (fjob, fresult) = one(fjob);
            if let Some(z) = zip {
                let (zjob, zresult) = one(archive_zip(dir, plan, z, true));
                out.findings = named(
                    archive::compare_pair(&fresult.outcome.facts, &zresult.outcome.facts),
                    &zjob.name,
                );
                out.whole = plan
                    .has_run_manifest
                    .then(|| (archive, zjob.name.clone(), compact(zresult.whole_sha256)));
                out.bundles.push(zjob.summary(zresult.outcome));
            }
            out.bundles.push(fjob.summary(fresult.outcome));
        }
        Unit::Archived {
            archive,
            unit: ArchiveUnit::Zip { name },
        } => {
            let (dir, plan) = &inputs.archives[archive];
            let (zjob, zresult) = one(archive_zip(dir, plan, name, false));
            out.whole = plan
                .has_run_manifest
                .then(|| (archive, zjob.name.clone(), compact(zresult.whole_sha256)));
            out.bundles.push(zjob.summary(zresult.outcome));
        }
        Unit::WalkFailed { archive, error } => {
            let (dir, _) = &inputs.archives[archive];
            let name = display_name(dir);
            let msg = format!("listing stopped: {error}");
            out.findings = vec![Finding::new(Code::Unreadable, name, "", msg)];
        }
    }
    out
}

fn archive_zip(dir: &Path, plan: &Plan, name: String, paired: bool) -> Job {
    let mut job = Job::new(dir.join(&name), name, true);
    job.sha256_all = paired;
    job.whole_digest = plan.has_run_manifest;
    job
}

/// 32 bytes instead of a 64-character string: one is spilled per zip.
fn compact(digest: Option<Result<String, ReadError>>) -> Option<Whole> {
    digest.map(compact_one)
}

pub(super) fn compact_one(digest: Result<String, ReadError>) -> Whole {
    let hex = digest?;
    let mut bytes = [0_u8; 32];
    hex::decode_to_slice(&hex, &mut bytes).map_err(|e| ReadError {
        kind: ProblemKind::Unreadable,
        message: format!("digest `{hex}`: {e}"),
    })?;
    Ok(bytes)
}

pub(super) struct Job {
    path: PathBuf,
    pub name: String,
    zip: bool,
    sha256_all: bool,
    whole_digest: bool,
}

impl Job {
    pub fn new(path: PathBuf, name: String, zip: bool) -> Self {
        Self {
            path,
            name,
            zip,
            sha256_all: false,
            whole_digest: false,
        }
    }

    /// The bundle's summary and its findings, named after it.
    pub fn summary(&self, outcome: bag::BagOutcome) -> (BundleSummary, Vec<Finding>) {
        let summary = BundleSummary {
            name: self.name.clone(),
            kind: if self.zip {
                BundleKind::Zip
            } else {
                BundleKind::Folder
            },
            files: outcome.files,
            bytes: outcome.bytes,
            problems: 0,
        };
        (summary, named(outcome.findings, &self.name))
    }
}

pub(super) struct JobResult {
    pub outcome: bag::BagOutcome,
    whole_sha256: Option<Result<String, ReadError>>,
}

pub(super) fn run_job(job: &Job, jobs: usize, fast: bool) -> JobResult {
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
        let finding = Finding::new(Code::Unreadable, "", "", "not a readable folder");
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

pub(super) fn sha256_file(path: &Path) -> Result<String, ReadError> {
    let unreadable = |e: io::Error| ReadError::io(&e);
    let mut file = fs_err::File::open(path).map_err(unreadable)?;
    let (_, mut d) =
        hash_reader(&mut file, &[DigestAlg::Sha256], &mut Vec::new()).map_err(unreadable)?;
    d.remove(&DigestAlg::Sha256).ok_or_else(|| ReadError {
        kind: ProblemKind::Unreadable,
        message: "no digest".into(),
    })
}
