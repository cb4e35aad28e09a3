//! The `ds-archive` binary: parse the command line, run, turn the outcome into
//! an exit code. Everything else lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    ds_archive::cli::main()
}
