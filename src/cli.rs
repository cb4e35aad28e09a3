//! The command line: argument structs (clap), their validation into pipeline
//! options, and the mapping of outcomes to exit codes.
//!
//! Exit codes (README): 0 all done and valid; 1 the run finished but some
//! dossiers failed (or `verify` found problems); 2 fatal (bad arguments, bad
//! token, unknown démarche, unwritable output, locked folder); 128 + the
//! signal that stopped a run (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).
//! stdout carries data only (paths, JSON); messages and logs go to stderr.

mod archive;
mod status;
mod stop;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};

use crate::error::exit;
use crate::progress::{LogWriter, Mode, Progress};

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

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Archive a démarche: one BagIt bundle and one zip per dossier.
    Archive(archive::ArchiveArgs),
    /// Archive the bundled sample démarche from a fake DS API started on 127.0.0.1.
    Demo(archive::DemoArgs),
    /// Check bundles, zips, SEDA SIPs or a whole archive folder; list every problem.
    Verify(crate::verify::VerifyArgs),
    /// Show what an archive folder holds: archived, failed, deleted, versions.
    Status(status::StatusArgs),
    /// Build SEDA 2.2 submission packages (Vitam, As@lae) from an archive folder.
    Seda(crate::seda::SedaArgs),
    /// Rebuild the one-row-per-dossier inventory (CSV or ODS) of an archive folder.
    Inventory(crate::inventory::InventoryArgs),
    /// Run the fake DS API until Ctrl-C (for trying the tool and for benchmarks).
    #[command(hide = true)]
    FakeServer(archive::FakeServerArgs),
}

/// Entry point used by `main.rs`.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = if cli.quiet {
        Mode::Hidden
    } else if std::io::stderr().is_terminal() {
        Mode::Bars
    } else {
        Mode::Log
    };
    let progress = Progress::new(mode);
    init_logging(&cli, &progress);
    let code = match cli.command {
        Command::Archive(args) => archive::run_archive(&args, progress),
        Command::Demo(args) => archive::run_demo(&args, progress),
        Command::FakeServer(args) => archive::run_fake_server(&args),
        Command::Verify(args) => crate::verify::command(&args),
        Command::Status(args) => status::run(&args),
        Command::Seda(args) => crate::seda::command(&args),
        Command::Inventory(args) => crate::inventory::command(&args),
    };
    ExitCode::from(code)
}

fn init_logging(cli: &Cli, progress: &Progress) {
    let default = match (cli.quiet, cli.verbose) {
        (true, _) => "error",
        (false, 0) => "info",
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("DS_ARCHIVE_LOG").unwrap_or_else(|_| {
            tracing_subscriber::EnvFilter::new(format!("ds_archive={default},warn"))
        });
    let writer = LogWriter::new(progress.multi());
    let ansi = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(ansi)
        .with_target(false);
    let _ = match cli.log_format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.without_time().try_init(),
    };
}

/// Print `error: ...` (and an optional hint) on stderr; return exit code 2.
pub(crate) fn fatal(message: &str, hint: Option<&str>) -> u8 {
    eprintln!("error: {message}");
    if let Some(h) = hint {
        eprintln!("\nhint: {h}");
    }
    exit::FATAL
}
