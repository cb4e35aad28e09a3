//! Command line (placeholder until the pipeline lands).
//!
//! TEMPORARY wiring from the `verify` branch so the integration tests can run
//! `ds-archive verify ...`; the lead replaces this file with the real CLI and
//! adds `Verify(VerifyArgs)` to it.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ds-archive.
#[derive(Parser, Debug)]
#[command(name = "ds-archive", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check bags, bundle zips and archive folders.
    Verify(crate::verify::VerifyArgs),
}

/// Entry point used by `main.rs`.
#[must_use]
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Verify(args) => ExitCode::from(crate::verify::command(&args)),
    }
}
