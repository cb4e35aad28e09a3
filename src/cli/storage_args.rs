//! The storage options of `archive` (and `verify`): `--out` as a folder or
//! an `s3://BUCKET/PREFIX`, and how to write to the bucket. Kept apart from
//! `archive.rs` so the output side grows without touching the run options.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;

use crate::store::bucket::BucketBundles;
use crate::store::config::{Given, S3Config};
use crate::store::s3::{Retention, S3Client};
use crate::store::{Local, S3Options, S3Target, Target};

/// How to reach a bucket (any command that reads or writes s3://).
#[derive(Debug, Args, Clone, Default)]
pub struct S3Args {
    /// S3 endpoint URL (else AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, then AWS's for AWS_REGION).
    #[arg(long, value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Path-style addressing (endpoint/bucket/key), as AWS_S3_FORCE_PATH_STYLE=true;
    /// automatic for an endpoint given as an IP address or localhost.
    #[arg(long)]
    s3_force_path_style: bool,
    /// Tries per S3 request before giving up (default 6): no answer, 429 and
    /// 5xx (S3's SlowDown) are tried again.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=50))]
    s3_retries: Option<u32>,
    /// Milliseconds before the first S3 retry (default 500; doubled at each
    /// next one, capped at a minute). Tests set a few ms.
    #[arg(long, value_name = "MS", env = "DS_ARCHIVE_S3_RETRY_DELAY_MS",
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    s3_retry_delay_ms: Option<u64>,
}

/// Object storage options (used when --out is s3://BUCKET/PREFIX).
#[derive(Debug, Args, Clone, Default)]
pub struct StorageArgs {
    #[command(flatten)]
    s3: S3Args,
    /// Local folder for the journal and staging of an s3:// run (default: a
    /// folder per bucket and prefix under the system temp dir).
    #[arg(long, value_name = "DIR")]
    work_dir: Option<PathBuf>,
    /// Object Lock: keep every object created until this date (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", conflicts_with = "retain_days")]
    retain_until: Option<String>,
    /// Object Lock: keep every object created for N days.
    #[arg(long, value_name = "N")]
    retain_days: Option<u32>,
    /// Object Lock mode with --retain-until/--retain-days: governance or compliance.
    #[arg(long, value_name = "MODE", default_value = "governance",
          value_parser = ["governance", "compliance"])]
    lock_mode: String,
    /// Use a target that failed the startup probe (create-only writes and
    /// checksum checks); a warning goes to the log and report.json.
    #[arg(long)]
    trust_target: bool,
    /// Zips larger than this many bytes are uploaded in parts.
    #[arg(long, value_name = "BYTES", default_value_t = 256 << 20)]
    s3_multipart_threshold: u64,
    /// Part size of multipart uploads, in bytes (S3: 5 MiB to 5 GiB).
    #[arg(long, value_name = "BYTES", default_value_t = 64 << 20,
          value_parser = clap::value_parser!(u64).range((5u64 << 20)..=(5u64 << 30)))]
    s3_part_size: u64,
}

impl StorageArgs {
    /// How to reach the bucket.
    #[must_use]
    pub fn s3(&self) -> &S3Args {
        &self.s3
    }
}

/// Whether `out` names a bucket rather than a folder.
#[must_use]
pub fn is_s3(out: &Path) -> bool {
    out.to_str().is_some_and(|s| s.starts_with("s3://"))
}

/// The S3 client for `url`, from the environment and flags.
///
/// # Errors
/// A message saying what is missing (never a secret).
pub fn s3_client(url: &str, args: &S3Args) -> Result<S3Client, String> {
    let given = Given {
        endpoint: args.s3_endpoint.clone(),
        force_path_style: args.s3_force_path_style,
    };
    let retry = crate::api::RetryPolicy::with_base_delay(
        args.s3_retries.unwrap_or(6),
        std::time::Duration::from_millis(args.s3_retry_delay_ms.unwrap_or(500)),
    );
    Ok(S3Client::new(S3Config::from_env(url, &given)?)?.with_retry(retry))
}

/// The bucket archive at `url`, for the commands that read one (`seda
/// --from`, `inventory`).
///
/// # Errors
/// A message naming the bucket and what failed (never a secret).
pub fn bucket_bundles(url: &Path, args: &S3Args) -> Result<BucketBundles, String> {
    BucketBundles::open(s3_client(&url.to_string_lossy(), args)?)
}

/// The local folder the pipeline writes in and the target it publishes to.
///
/// # Errors
/// A message for a bad URL, missing credentials or a bad date.
pub fn target(
    out: &Path,
    args: &StorageArgs,
    concurrency: usize,
    zip: bool,
) -> Result<(PathBuf, Arc<dyn Target>), String> {
    if !is_s3(out) {
        return Ok((
            out.to_path_buf(),
            Arc::new(Local {
                out: out.to_path_buf(),
            }),
        ));
    }
    let url = out.to_string_lossy().into_owned();
    if !zip {
        return Err(
            "--no-zip cannot be used with an s3:// --out: the zip is the bundle there".into(),
        );
    }
    let client = s3_client(&url, &args.s3)?;
    let cfg = client.config().clone();
    let work = args.work_dir.clone().unwrap_or_else(|| {
        let place = format!("{}/{}", cfg.bucket, cfg.prefix)
            .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "_");
        std::env::temp_dir().join("ds-archive-work").join(place)
    });
    let opts = S3Options {
        retention: retention(args)?,
        multipart_threshold: args.s3_multipart_threshold,
        part_size: args.s3_part_size,
        trust_target: args.trust_target,
        concurrency,
    };
    Ok((work, Arc::new(S3Target::new(client, opts))))
}

fn retention(args: &StorageArgs) -> Result<Option<Retention>, String> {
    use time::{Date, Duration, OffsetDateTime, Time};
    let until = match (&args.retain_until, args.retain_days) {
        (Some(d), _) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            let date = Date::parse(d, fmt)
                .map_err(|e| format!("--retain-until `{d}`: expected YYYY-MM-DD ({e})"))?;
            date.with_time(Time::MIDNIGHT).assume_utc()
        }
        (None, Some(days)) => OffsetDateTime::now_utc() + Duration::days(i64::from(days)),
        (None, None) => return Ok(None),
    };
    if until <= OffsetDateTime::now_utc() {
        return Err("the retention date is in the past".into());
    }
    let until = until
        .replace_nanosecond(0)
        .unwrap_or(until)
        .format(&time::format_description::well_known::Rfc3339)
        .map_err(|e| e.to_string())?;
    Ok(Some(Retention {
        mode: args.lock_mode.to_ascii_uppercase(),
        until,
    }))
}

/// What a bucket archive holds, read back from its objects' metadata (the
/// archived bundles and their versions; failures, deletions and runs are in
/// the work dir's journal).
///
/// # Errors
/// A message naming the bucket and the failure.
pub fn bucket_state(url: &str, args: &S3Args) -> Result<crate::journal::State, String> {
    let client = s3_client(url, args)?;
    let target = S3Target::new(
        client,
        S3Options {
            retention: None,
            multipart_threshold: u64::MAX,
            part_size: 5 << 20,
            trust_target: false,
            concurrency: 8,
        },
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    // Applied as they are read: the done versions sort themselves, and a
    // list of every event would grow with the bucket.
    let mut state = crate::journal::State::default();
    rt.block_on(target.each_recorded(&|_| Ok(false), &mut |e| state.apply(&e)))
        .map_err(|e| e.to_string())?;
    Ok(state)
}
