//! The command line: argument structs (clap), their validation into pipeline
//! options, and the mapping of outcomes to exit codes.
//!
//! Exit codes (README): 0 all done and valid; 1 the run finished but some
//! dossiers failed (or `verify` found problems); 2 fatal (bad arguments, bad
//! token, unknown démarche, unwritable output, locked folder); 128 + the
//! signal that stopped a run (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
//! stdout carries data only (paths, JSON); messages and logs go to stderr.

mod archive;
pub mod arenas;
mod batch;
mod demo;
mod help;
mod status;
mod stop;
pub mod storage_args;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use indicatif::MultiProgress;

use crate::console;
use crate::error::exit;
use crate::progress::{LogWriter, Mode, Progress, Task};

/// Archive the dossiers of a demarches-simplifiees.fr démarche as verified
/// BagIt bundles, zips and SEDA packages.
#[derive(Debug, Parser)]
#[command(name = "ds-archive", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    /// No progress display; errors and the final summary only.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// More log detail (repeat for more).
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

pub use crate::console::LogFormat;

#[derive(Debug, Subcommand)]
enum Command {
    /// Archive a démarche: one BagIt bundle and one zip per dossier.
    #[command(after_help = help::ARCHIVE)]
    Archive(Box<archive::ArchiveArgs>),
    /// Archive the bundled sample démarche from a fake DS API started on 127.0.0.1.
    #[command(after_help = help::DEMO)]
    Demo(demo::DemoArgs),
    /// Check bundles, zips, SEDA SIPs or a whole archive folder; list every problem.
    #[command(after_help = help::VERIFY)]
    Verify(crate::verify::VerifyArgs),
    /// Show what an archive folder holds: archived, failed, deleted, versions.
    #[command(after_help = help::STATUS)]
    Status(status::StatusArgs),
    /// Build SEDA 2.2 submission packages (Vitam, As@lae) from an archive folder.
    #[command(after_help = help::SEDA)]
    Seda(crate::seda::SedaArgs),
    /// Rebuild the one-row-per-dossier inventory (CSV or ODS) of an archive folder.
    #[command(after_help = help::INVENTORY)]
    Inventory(crate::inventory::InventoryArgs),
    /// Timestamp an archive folder's manifest-sha256.txt with an RFC 3161 TSA
    /// (when `archive --tsa-url` could not, or was not asked to).
    #[command(after_help = help::TIMESTAMP)]
    Timestamp(crate::timestamp::TimestampArgs),
    /// Build a DS-like view (folders or zips) of an archive, shaped by an export template.
    #[command(after_help = help::EXPORT)]
    Export(crate::export::ExportArgs),
    /// Check an export template against an archive, or print one to start from.
    #[command(after_help = help::TEMPLATE)]
    Template(crate::template::init::TemplateArgs),
    /// Run the fake DS API until Ctrl-C (for trying the tool and for benchmarks).
    #[command(hide = true)]
    FakeServer(demo::FakeServerArgs),
}

/// Entry point used by `main.rs`.
#[must_use]
pub fn main() -> ExitCode {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let cli = match Cli::try_parse_from(&raw) {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(usage_error(&e, &raw)),
    };
    // `archive` (and `demo`, which runs it) lives long among many threads
    // that allocate, and so does `verify` of a bucket (downloads and checks
    // in flight); the other readers gain nothing measurable.
    let of_bucket = |paths: &[std::path::PathBuf]| paths.iter().any(|p| storage_args::is_s3(p));
    if matches!(&cli.command, Command::Archive(_) | Command::Demo(_))
        || matches!(&cli.command, Command::Verify(v) if of_bucket(&v.paths))
    {
        arenas::limit_malloc_arenas();
    }
    console::set_format(cli.log_format);
    let mode = if cli.quiet {
        Mode::Hidden
    } else if std::io::stderr().is_terminal() && cli.log_format == LogFormat::Text {
        Mode::Bars
    } else {
        Mode::Log
    };
    let logs = (cli.quiet, cli.verbose, cli.log_format);
    let code = match cli.command {
        Command::Archive(args) => {
            let progress = Progress::new(mode);
            init_logging(logs, progress.multi());
            archive::run_archive(&args, progress)
        }
        Command::Demo(args) => {
            let progress = Progress::new(mode);
            init_logging(logs, progress.multi());
            demo::run_demo(&args, progress)
        }
        Command::FakeServer(args) => {
            init_logging(logs, None);
            demo::run_fake_server(&args)
        }
        Command::Timestamp(args) => {
            init_logging(logs, None);
            crate::timestamp::command(&args)
        }
        Command::Status(args) => {
            init_logging(logs, None);
            status::run(&args)
        }
        Command::Verify(args) => {
            let task = Task::new(mode, "bundles verified");
            init_logging(logs, task.multi());
            crate::verify::command(&args, &task)
        }
        Command::Seda(args) => {
            let task = Task::new(mode, "dossiers packaged");
            init_logging(logs, task.multi());
            crate::seda::command_with(&args, &task)
        }
        Command::Export(args) => {
            init_logging(logs, None);
            crate::export::command(&args)
        }
        Command::Template(args) => {
            init_logging(logs, None);
            crate::template::init::command(&args)
        }
        Command::Inventory(args) => {
            let task = Task::new(mode, "dossiers listed");
            init_logging(logs, task.multi());
            crate::inventory::command_with(&args, &task)
        }
    };
    ExitCode::from(code)
}

/// clap refused the command line: help and version print as usual; an
/// error is a JSON line when JSON logs were asked for.
fn usage_error(e: &clap::Error, raw: &[std::ffi::OsString]) -> u8 {
    use clap::error::ErrorKind;
    let informational = matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    );
    if informational || !console::json_requested(raw) {
        let _ = e.print();
        return if e.use_stderr() {
            exit::FATAL
        } else {
            exit::OK
        };
    }
    console::set_format(LogFormat::Json);
    // clap's first line holds the whole complaint; the rest is usage.
    let full = e.to_string();
    let text = full
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    console::fatal(text, None)
}

fn init_logging(logs: (bool, u8, LogFormat), multi: Option<MultiProgress>) {
    let (quiet, verbose, format) = logs;
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("DS_ARCHIVE_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!("ds_archive={default},warn"))
        });
    let writer = LogWriter::new(multi);
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder.json().with_ansi(false).try_init(),
        LogFormat::Text => builder.with_ansi(ansi).without_time().try_init(),
    };
}

/// Print `error: ...` (and an optional hint) on stderr; return exit code 2.
pub(crate) fn fatal(message: &str, hint: Option<&str>) -> u8 {
    console::fatal(message, hint)
}
