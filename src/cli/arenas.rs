//! Fewer malloc arenas for `archive`, set before the process starts.
//!
//! Why: glibc's allocator gives each thread that allocates an arena of its
//! own, up to eight a core, and an arena's pages stay resident as long as one
//! long-lived block sits among freed ones. A run's threads (tokio's workers,
//! the blocking pool that writes, zips and hashes) each end up with one, and
//! most of `archive`'s peak RSS at 10⁵ dossiers was those arenas, not data
//! (docs/benchmarks.md, "Memory": heap 17 MB, RSS 83 MiB at 2·10⁴). glibc
//! reads `MALLOC_ARENA_MAX` only when the process starts, and `mallopt` would
//! take `unsafe` FFI, which this crate forbids: so the binary executes itself
//! again, once, with the variable set, before any thread exists (the command
//! line has been parsed, nothing else done). The same
//! process id goes on (an `exec`, not a child), so service managers, signals
//! and `kill` see no difference.
//!
//! A value already in the environment, whatever it is, is the user's and is
//! kept. Only glibc on Linux reads the variable; elsewhere nothing happens.
//! `verify` of a folder, `status` and `inventory` are left as they are: at
//! 10⁵ dossiers they peak at 14-26 MiB either way, and `verify`, which
//! hashes on every core, ran no faster with fewer arenas (docs/benchmarks.md,
//! "Eighth round"). `verify s3://…` is limited too: its downloads and checks
//! in flight made its RSS grow by about 1 KiB a dossier with glibc's arenas
//! and not with 2, and it waits on the network, not on the cores
//! (docs/benchmarks.md, "Ninth round").

/// The variable glibc reads.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const VAR: &str = "MALLOC_ARENA_MAX";

/// Arenas: one a core, at least 2 and at most 8 (glibc's own default is
/// eight a core). Measured on 2 cores, quiet: `archive` peaked at 60.7 MiB at
/// 10⁴ dossiers and 60.75 MiB at 10⁵ with 2, against 69 and 77 MiB with
/// glibc's 16; 4 was not flat (63 and 82 MiB, the second under load). The
/// cost: more system time, 1.06× the wall time at 10⁵ in single runs
/// (docs/benchmarks.md, "Eighth round").
#[must_use]
pub fn arenas_for(cores: usize) -> usize {
    cores.clamp(2, 8)
}

/// Execute this binary again with `MALLOC_ARENA_MAX` set, unless it is set
/// already. Returns only when that is not done (already set, not glibc, or
/// the executable cannot be found or run again): the run then goes on with
/// glibc's default arenas.
pub fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::unix::process::CommandExt as _;
        if std::env::var_os(VAR).is_some() {
            return;
        }
        let Ok(exe) = std::env::current_exe() else {
            return;
        };
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let mut args = std::env::args_os();
        let mut again = std::process::Command::new(exe);
        if let Some(arg0) = args.next() {
            again.arg0(arg0);
        }
        // `exec` returns only if it failed.
        let _failed = again
            .args(args)
            .env(VAR, arenas_for(cores).to_string())
            .exec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_arena_a_core_within_bounds() {
        assert_eq!(arenas_for(1), 2);
        assert_eq!(arenas_for(2), 2);
        assert_eq!(arenas_for(6), 6);
        assert_eq!(arenas_for(64), 8);
    }
}
