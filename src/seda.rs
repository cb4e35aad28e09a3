//! `ds-archive seda`: turn the verified dossier bundles of an archive folder
//! into SEDA 2.2 SIPs (Submission Information Packages) for Vitam or As@lae.
//!
//! This module owns the command: option resolution, the walk over bundles,
//! the skip list and the summary. The work is split in submodules:
//! [`config`] (the archivist's TOML), `source` (the archive folder or bucket
//! the bundles come from), [`integrity`] (the digest gate a bag must pass before packaging),
//! [`plan`] (pure: dossier → archive units and objects) with [`people`] (the
//! demandeur, mandataire and service), [`events`] (the dossier's lifecycle),
//! [`formats`] (each object's `FormatIdentification`, from `metadata.json`)
//! and [`rules`] (management rules that start per dossier), [`profile`] (the
//! archiving profile's required elements) with [`profile_rng`] (reading them
//! from the profile's RelaxNG file), `emit` (naming and writing each SIP),
//! [`names`] (ids, safe
//! `Content/` names, text rules), [`xml`] (pure: manifest.xml,
//! piece by piece), [`package`] (what a SIP zip is, batching), `sip`
//! (writing one a dossier at a time, atomically, with `copies`, the files
//! it will hold, on disk, so that memory does not grow with the SIP), [`xsd`] (offline xmllint check
//! with the embedded XSDs), [`error`] (what fails, typed) and `verify_sip` (checking any SIP zip, used by
//! `verify`). Bags are read, folder or zip alike, through
//! [`crate::bagit`]. It fetches nothing from DS and never modifies the bundles
//! (a bucket's are only read).
//! User documentation: `docs/seda.md`.

mod blocks;
pub mod config;
mod copies;
mod emit;
pub mod error;
pub mod events;
pub mod formats;
pub mod integrity;
mod meta;
pub mod names;
pub mod package;
pub mod people;
pub mod plan;
pub mod profile;
pub mod profile_rng;
pub mod rules;
mod sip;
mod source;
pub mod verify_sip;
pub mod xml;
pub mod xsd;

use std::path::PathBuf;

pub use config::{Profile, SedaConfig};
pub use error::{BagRejected, SedaError, SipError};
pub use verify_sip::{verify_sip, SipProblem, SipReport};

use serde_json::json;

use crate::console;
use crate::error::exit;
use crate::progress::Task;
use emit::Ctx;
use integrity::check_bundle;
use package::{Batcher, WrittenSip};
use plan::PlannedDossier;

/// Default `--max-objects`: Vitam's advice (units + objects per SIP).
pub const DEFAULT_MAX_OBJECTS: u64 = 100_000;
/// Default `--max-size`: 1 GB of payload, Vitam's limit for an HTTPS upload.
pub const DEFAULT_MAX_SIZE: u64 = 1_000_000_000;

/// `ds-archive seda` options.
#[derive(Debug, Clone, clap::Args)]
pub struct SedaArgs {
    /// The archive folder written by `ds-archive archive`, or its
    /// s3://BUCKET/PREFIX (zips downloaded one at a time to a temp folder).
    #[arg(long, value_name = "ARCHIVE-DIR|URL")]
    pub from: PathBuf,
    /// Where to write the SIP zips (created if needed).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// The SEDA configuration (TOML; see docs/seda-config.example.toml).
    #[arg(long, value_name = "FILE")]
    pub config: PathBuf,
    /// Target SAE; picks the digest (vitam: SHA-512, asalae: SHA-256).
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// One SIP per dossier (the default).
    #[arg(long, conflicts_with_all = ["batch", "max_objects", "max_size"])]
    pub per_dossier: bool,
    /// Group dossiers into SIPs within --max-objects and --max-size.
    #[arg(long)]
    pub batch: bool,
    /// Most ArchiveUnits + objects per SIP (implies --batch).
    #[arg(long, value_name = "N")]
    pub max_objects: Option<u64>,
    /// Most payload bytes per SIP (implies --batch): a number of bytes or a
    /// size such as 500M, 1G, 1.5GB (K/M/G/T: powers of 1000, as Vitam's 1 GB
    /// limit) or 2GiB (KiB/MiB/GiB/TiB: powers of 1024) [default: 1G].
    #[arg(long, value_name = "SIZE", value_parser = crate::option_values::parse_size)]
    pub max_size: Option<u64>,
    /// Only these dossier numbers (repeatable).
    #[arg(long = "dossier", value_name = "N")]
    pub dossiers: Vec<u64>,
    /// The transfers' Date (RFC 3339, e.g. 2024-05-02T10:15:00+02:00); default:
    /// `date` from the config, else now. Fix it to get byte-identical SIPs.
    #[arg(long)]
    pub date: Option<String>,
    /// Do not check each manifest against the XSD, nor against the archiving
    /// profile file (faster on huge runs).
    #[arg(long)]
    pub no_xsd: bool,
    /// How to reach the bucket of an s3:// --from.
    #[command(flatten)]
    pub s3: crate::cli::storage_args::S3Args,
}

/// A dossier left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Skipped {
    /// Dossier number.
    pub dossier: u64,
    /// Why.
    pub reason: String,
}

/// What a run produced.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct SedaOutcome {
    /// SIPs written, in order ([`run`]; the command prints each as it is
    /// written instead, so that a run of a million SIPs keeps none).
    pub sips: Vec<WrittenSip>,
    /// How many SIPs were written.
    pub sip_count: usize,
    /// How many dossiers they hold.
    pub dossier_count: usize,
    /// Dossiers left out.
    pub skipped: Vec<Skipped>,
}

/// Run the command; returns the exit code (0 ok, 1 some dossiers skipped, 2 fatal).
#[must_use]
pub fn command(args: &SedaArgs) -> u8 {
    command_with(args, &Task::hidden())
}

/// [`command`], showing progress on `progress`.
#[must_use]
pub fn command_with(args: &SedaArgs, progress: &Task) -> u8 {
    let result = run_inner(args, progress, true);
    progress.finish();
    match result {
        Ok(outcome) => {
            for s in &outcome.skipped {
                console::warning(
                    &format!("dossier {} skipped: {}", s.dossier, s.reason),
                    &json!({ "dossier": s.dossier, "reason": s.reason }),
                );
            }
            let text = format!(
                "{} SIP(s) written to `{}`, {} dossier(s) skipped",
                outcome.sip_count,
                args.out.display(),
                outcome.skipped.len()
            );
            let fields = json!({
                "sips": outcome.sip_count,
                "dossiers": outcome.dossier_count,
                "skipped": outcome.skipped.len(),
            });
            console::summary(&text, &fields);
            if outcome.skipped.is_empty() {
                exit::OK
            } else {
                exit::FAILURES
            }
        }
        Err(e) => console::fatal(&e.to_string(), None),
    }
}

/// Build the SIPs. Errors are fatal (bad config or options, unreadable
/// archive folder, unwritable output); per-dossier problems end in
/// [`SedaOutcome::skipped`].
///
/// # Errors
/// Why the command cannot run.
pub fn run(args: &SedaArgs) -> Result<SedaOutcome, SedaError> {
    run_with(args, &Task::hidden())
}

/// [`run`], counting each dossier on `progress`.
///
/// # Errors
/// As [`run`].
pub fn run_with(args: &SedaArgs, progress: &Task) -> Result<SedaOutcome, SedaError> {
    run_inner(args, progress, false)
}

/// [`run_with`]; with `print`, each SIP's path goes to stdout as it is
/// written and none is kept in [`SedaOutcome::sips`].
fn run_inner(args: &SedaArgs, progress: &Task, print: bool) -> Result<SedaOutcome, SedaError> {
    let config = SedaConfig::load(&args.config)?;
    let profile = args.profile.or(config.profile).unwrap_or(Profile::Vitam);
    let alg = config.digest_for(profile);
    let date = match args.date.as_deref().or(config.date.as_deref()) {
        Some(d) => {
            config::parse_transfer_date(d).map_err(SedaError::Date)?;
            d.to_owned()
        }
        None => now_rfc3339(),
    };
    let batch = args.batch || args.max_objects.is_some() || args.max_size.is_some();
    let max_objects = args.max_objects.unwrap_or(DEFAULT_MAX_OBJECTS);
    let max_size = args.max_size.unwrap_or(DEFAULT_MAX_SIZE);
    if max_objects == 0 || max_size == 0 {
        return Err(SedaError::Limits);
    }
    // Listed before --out is created: a mistyped or unmounted --from
    // leaves nothing behind.
    let (bundles, found, skipped) = source::Bundles::open(args)?;
    fs_err::create_dir_all(&args.out).map_err(|source| SedaError::CreateOutput {
        path: args.out.clone(),
        source,
    })?;
    let mut outcome = SedaOutcome {
        skipped,
        ..SedaOutcome::default()
    };
    let xsd = !args.no_xsd && xsd::xmllint_available();
    if !args.no_xsd && !xsd {
        tracing::warn!(
            "xmllint is not installed: the SIP manifests will not be checked against the SEDA XSD \
             (install libxml2-utils, or pass --no-xsd to skip the check knowingly)"
        );
    }
    if let (false, Some(rng)) = (xsd, &config.profile_rng) {
        tracing::warn!(
            "the SIP manifests will not be validated against the archiving profile `{}` \
             (only its required elements are checked): that takes xmllint, {}",
            rng.path.display(),
            if args.no_xsd {
                "which --no-xsd turns off"
            } else {
                "which is not installed"
            }
        );
    }
    let prefix = config
        .message_identifier_prefix
        .clone()
        .unwrap_or_else(|| "DS".to_owned());
    let ctx = Ctx {
        args,
        config: &config,
        date: &date,
        alg,
        xsd,
        prefix: &prefix,
        print,
    };

    // Bundles are listed, checked and packed as a stream: a SIP's dossiers
    // go to temporary files as they come (`sip`), and from a bucket only the
    // current SIP's zips are on local disk.
    let mut sip = None;
    let mut fetched = Vec::new();
    let mut batcher = Batcher::new(max_objects, max_size);
    progress.start(bundles.count);
    for f in found {
        let f = f.map_err(|source| SedaError::ListArchive {
            path: args.from.clone(),
            source,
        })?;
        progress.inc();
        let admitted = bundles
            .fetch(&f)
            .and_then(|zip| Ok((admit(&f, alg, &config)?, zip)));
        let (dossier, zip) = match admitted {
            Ok(c) => c,
            Err(reason) => {
                outcome.skipped.push(Skipped {
                    dossier: f.number,
                    reason,
                });
                continue;
            }
        };
        if !batch {
            let mut one = ctx.open();
            one.add(&dossier);
            ctx.emit(one, &mut outcome);
            continue;
        }
        if batcher.push(dossier.weight(), dossier.checked.payload_size()) {
            if let Some(full) = sip.take() {
                ctx.emit(full, &mut outcome);
            }
            fetched.clear();
        }
        sip.get_or_insert_with(|| ctx.open()).add(&dossier);
        fetched.extend(zip);
    }
    if let Some(last) = sip {
        ctx.emit(last, &mut outcome);
    }
    drop(fetched);
    outcome.skipped.sort_by_key(|s| s.dossier);
    Ok(outcome)
}

/// A bundle that passes the integrity gate and, checked here so that it is
/// skipped alone rather than with its whole batch, the archiving profile;
/// planned once for the SIP.
fn admit(
    found: &crate::bagit::bundles::FoundBundle,
    alg: crate::digest::DigestAlg,
    config: &SedaConfig,
) -> Result<PlannedDossier, String> {
    let checked = check_bundle(found, alg).map_err(|e| e.to_string())?;
    let dossier = PlannedDossier::new(checked, config);
    profile::check_dossier(&dossier.unit, config).map_err(|e| e.to_string())?;
    Ok(dossier)
}

fn now_rfc3339() -> String {
    let now = time::OffsetDateTime::now_utc().replace_nanosecond(0);
    now.ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "1980-01-01T00:00:00Z".to_owned())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        seda: SedaArgs,
    }

    fn parse(extra: &[&str]) -> Result<SedaArgs, clap::Error> {
        let base = ["x", "--from", "a", "--out", "o", "--config", "c.toml"];
        Cli::try_parse_from(base.iter().chain(extra)).map(|c| c.seda)
    }

    #[test]
    fn options_parse_and_conflict() {
        let a = parse(&["--profile", "asalae", "--dossier", "3", "--dossier", "5"]).expect("ok");
        assert_eq!(a.profile, Some(Profile::Asalae));
        assert_eq!(a.dossiers, [3, 5]);
        assert!(parse(&["--per-dossier", "--max-size", "10"]).is_err());
        assert!(parse(&["--per-dossier", "--batch"]).is_err());
        assert!(parse(&["--profile", "other"]).is_err());
    }

    #[test]
    fn bad_date_is_fatal() {
        let tmp = tempfile::tempdir().expect("tmp");
        let config = tmp.path().join("c.toml");
        fs_err::write(
            &config,
            "archival_agency_identifier = \"A\"\ntransferring_agency_identifier = \"T\"\n\
             archival_agreement = \"IC\"\noriginating_agency_identifier = \"O\"\n",
        )
        .expect("write");
        let mut a = parse(&[]).expect("ok");
        a.config = config;
        a.from = tmp.path().to_owned();
        a.out = tmp.path().join("out");
        a.date = Some("2024-06-01".to_owned());
        assert!(run(&a).expect_err("fatal").to_string().contains("--date"));
        a.date = None;
        a.max_objects = Some(0);
        assert!(run(&a).is_err());
    }
}
