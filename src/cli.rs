//! Command line (placeholder until the pipeline lands).

use std::process::ExitCode;

/// Entry point used by `main.rs`.
#[must_use]
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
