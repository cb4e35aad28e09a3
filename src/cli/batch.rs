//! `archive --config FILE` and `archive --demarche A --demarche B`: turn the
//! file or the repeated option into units of work ([`crate::batch`]), run
//! them, write the batch report, print one summary, and give the batch's
//! exit code (0 all complete, 1 some dossiers or démarches failed, 2 nothing
//! could run, 128 + signal when stopped).

use std::path::Path;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use super::archive::{hint, options, runtime, ArchiveArgs};
use super::fatal;
use super::stop::{StopSignal, Watcher};
use crate::batch::{self, config, Client, Ran, TokenSource, Unit};
use crate::console;
use crate::error::exit;
use crate::progress::Progress;

/// The batch behind `archive`, when it names several démarches or a config.
pub(super) fn run(args: &ArchiveArgs, progress: Progress) -> u8 {
    let mode = progress.mode();
    progress.finish();
    let plan = match &args.config {
        Some(path) => from_config(args, path),
        None => from_command_line(args),
    };
    let (units, parallel, report, api_url) = match plan {
        Ok(p) => p,
        Err(e) => return fatal(&e, None),
    };
    let client = Client {
        api_url: api_url.clone(),
        rate_limit: args.common.rate_limit,
        rate_window: Duration::from_secs(args.common.rate_window),
        retries: args.common.retries,
        retry_delay: Duration::from_millis(args.common.retry_delay_ms),
    };
    if !(api_url.starts_with("https://") || api_url.starts_with("http://")) {
        return fatal(
            &format!("--api-url `{api_url}` is not an http(s) URL"),
            None,
        );
    }
    let retry = crate::api::RetryPolicy::with_base_delay(client.retries, client.retry_delay);
    let tsa = match args.tsa.client(retry) {
        Ok(t) => t,
        Err(e) => return fatal(&e, None),
    };
    let Ok(rt) = runtime() else {
        return fatal("cannot start the async runtime", None);
    };
    let started_at = crate::pipeline::now_rfc3339();
    let cancel = CancellationToken::new();
    let result = rt.block_on(async {
        let watcher = Watcher::start(cancel.clone())?;
        let ran = batch::run(&units, &client, parallel, mode, &cancel, hint, tsa.as_ref()).await;
        Ok::<_, std::io::Error>((ran, watcher.stopped_by()))
    });
    let (ran, stopped_by) = match result {
        Ok(r) => r,
        Err(e) => return fatal(&format!("cannot watch for stop signals: {e}"), None),
    };
    let code = batch::exit_code(&ran);
    let lines = batch::report::lines(&units, &ran);
    if let Err(e) = batch::write_report(&report, &lines, code, &started_at) {
        console::warning(
            &format!("cannot write the batch report: {e}"),
            &serde_json::Value::Null,
        );
    }
    print_summary(&lines, &report);
    let interrupted = ran
        .iter()
        .any(|d| matches!(&d.ran, Ran::Archived(s) if s.interrupted));
    if interrupted || cancel.is_cancelled() {
        return stopped_by.map_or(exit::INTERRUPTED, StopSignal::exit_code);
    }
    code
}

type Plan = (Vec<Unit>, usize, std::path::PathBuf, String);

/// Repeated `--demarche`: each into `OUT/demarche-N`, one after another,
/// all on the command line's token; the batch report in `OUT`.
fn from_command_line(args: &ArchiveArgs) -> Result<Plan, String> {
    let Some(out) = &args.out else {
        return Err("--out is required with --demarche".into());
    };
    if args.groupe.is_some() {
        return Err("--groupe archives a groupe of one démarche: give one --demarche".into());
    }
    // In the order given, each once.
    let mut numbers: Vec<u64> = Vec::with_capacity(args.demarche.len());
    for n in &args.demarche {
        if !numbers.contains(n) {
            numbers.push(*n);
        }
    }
    let token = args.token_file.as_ref().map_or_else(
        || TokenSource::Env(config::DEFAULT_TOKEN_ENV.into()),
        |p| TokenSource::File(p.clone()),
    );
    let units = numbers
        .into_iter()
        .map(|n| {
            let dir = batch::subfolder(out, n);
            let opts = options(&args.common, &args.storage, dir.clone(), n)?;
            Ok(Unit {
                line: None,
                out: dir.display().to_string(),
                opts,
                token: token.clone(),
                api_url: None,
                seda: None,
                s3: args.storage.s3().clone(),
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok((
        units,
        1,
        out.join("batch-report.json"),
        args.api_url.clone(),
    ))
}

/// `--config FILE`: the file's démarches, the command line's options as
/// their defaults.
fn from_config(args: &ArchiveArgs, path: &Path) -> Result<Plan, String> {
    let mut config = config::load(path)?;
    if let Some(i) = args.entry {
        let total = config.demarches.len();
        if i >= total {
            return Err(format!(
                "--entry {i}: `{}` has {total} [[demarche]] tables (0 to {})",
                path.display(),
                total - 1
            ));
        }
        config.demarches = vec![config.demarches.swap_remove(i)];
        // Each worker reports on its own entry.
        let stem = config.report.with_extension("");
        config.report = std::path::PathBuf::from(format!("{}-{i}.json", stem.display()));
    }
    let mut units = Vec::with_capacity(config.demarches.len());
    for entry in &config.demarches {
        let mut common_out = std::path::PathBuf::from(&entry.out);
        if config::is_url(&entry.out) && !super::storage_args::is_s3(&common_out) {
            // Checked per unit when the batch runs: such a URL fails that unit only.
            common_out = std::path::PathBuf::new();
        }
        let mut opts = options(&args.common, &args.storage, common_out, entry.number)
            .map_err(|e| format!("config line {}: {e}", entry.line))?;
        opts.groupe = entry.groupe;
        if !entry.states.is_empty() {
            opts.states.clone_from(&entry.states);
        }
        if entry.since.is_some() {
            opts.since.clone_from(&entry.since);
        }
        if let Some(c) = entry.concurrency {
            opts.concurrency = c;
        }
        if let Some(p) = entry.page_size {
            opts.page_size = p;
        }
        if entry.no_zip {
            opts.keep = crate::pipeline::Keep::Folders;
        }
        units.push(Unit {
            line: Some(entry.line),
            out: entry.out.clone(),
            opts,
            token: entry.token.clone(),
            api_url: entry.api_url.clone(),
            seda: entry.seda.clone(),
            s3: args.storage.s3().clone(),
        });
    }
    let api_url = config::endpoint(&config, Some(&args.api_url)).to_owned();
    Ok((units, config.parallel, config.report, api_url))
}

fn print_summary(lines: &[batch::UnitReport], report: &Path) {
    for l in lines {
        let what = match l.status {
            "failed" => format!(
                "FAILED: {}{}",
                l.error.as_deref().unwrap_or("?"),
                l.hint
                    .as_deref()
                    .map(|h| format!(" (hint: {h})"))
                    .unwrap_or_default()
            ),
            status => format!(
                "{status}: {} new, {} updated, {} failed, {} deleted at DS, {} API requests",
                l.new, l.updated, l.failed, l.deleted, l.requests
            ),
        };
        let name = match l.groupe {
            Some(g) => format!("démarche {}, groupe {g}", l.demarche),
            None => format!("démarche {}", l.demarche),
        };
        let fields = serde_json::json!({
            "demarche": l.demarche,
            "groupe": l.groupe,
            "status": l.status,
            "out": l.out,
        });
        console::summary(&format!("{name} → {}: {what}", l.out), &fields);
    }
    let complete = lines.iter().filter(|l| l.status == "complete").count();
    console::summary(
        &format!(
            "batch: {complete} of {} démarches complete; report {}",
            lines.len(),
            report.display()
        ),
        &serde_json::json!({
            "demarches_total": lines.len(),
            "demarches_complete": complete,
            "batch_report": report.display().to_string(),
        }),
    );
}
