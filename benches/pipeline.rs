//! End-to-end benchmark of `ds-archive archive` and `verify` against the
//! naive pipeline (curl + sha256sum + zip -0) and the machine's limits.
//!
//! `cargo bench --bench pipeline` builds the release binary (Cargo passes its
//! path as `CARGO_BIN_EXE_ds-archive`) and runs it as a child process, so its
//! wall time, CPU time, peak RSS and bytes written are its own. The fake DS
//! API runs in this harness process (a tokio runtime here), which lets us
//! read its request counters; on a 2-core machine it shares the cores with
//! ds-archive exactly as DS's network would not, so the figures are a floor.
//!
//! Environment: `BENCH_SCALE` (default 1.0) shrinks sizes and counts for
//! quick runs; `BENCH_ONLY=large,mixed,small,memory,dossiers` picks scenarios
//! (`large` includes verify and `--keep zips`, `mixed` compares with
//! bagit-python, `small` the rerun; `dossiers`, not run by default, the peak
//! RSS of archive, verify and status at `BENCH_DOSSIERS` dossiers, default
//! 10 000 and 100 000, without measuring the machine's limits); `BENCH_LOG=DIR`
//! keeps every measured run's stderr there, the large and mixed scenarios'
//! `archive` runs at debug level as JSON (a timeline of each dossier's
//! stages and of the commits; logging costs a little time). Prints a Markdown report and writes
//! it to `<target dir>/bench-report.md`. docs/benchmarks.md explains it.

#[path = "pipeline/baseline.rs"]
mod baseline;
#[path = "pipeline/limits.rs"]
mod limits;
#[path = "pipeline/mixed.rs"]
mod mixed;
#[path = "pipeline/report.rs"]
mod report;
#[path = "pipeline/run.rs"]
mod run;
#[path = "pipeline/scenarios.rs"]
mod scenarios;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, Result};

use report::Report;

/// What `BENCH_ONLY` may name (the default runs all but `dossiers`).
const SCENARIOS: [&str; 5] = ["large", "mixed", "small", "memory", "dossiers"];

/// Shared by the scenarios.
pub struct Bench {
    pub bin: PathBuf,
    pub work: PathBuf,
    pub scale: f64,
    /// Turns the baseline and ds-archive take on large files (`BENCH_REPEAT`).
    pub repeat: usize,
    pub rt: tokio::runtime::Runtime,
    pub limits: limits::Limits,
    pub report: Report,
}

impl Bench {
    /// `n` scaled by `BENCH_SCALE`, at least `min`.
    pub fn scaled(&self, n: u64, min: u64) -> u64 {
        ((n as f64 * self.scale) as u64).max(min)
    }
}

fn main() -> Result<()> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_ds-archive"));
    let target = bin
        .parent()
        .and_then(Path::parent)
        .context("binary outside a target dir")?
        .to_path_buf();
    let scale: f64 = match std::env::var("BENCH_SCALE") {
        Err(_) => 1.0,
        Ok(s) => s
            .parse()
            .ok()
            .filter(|s: &f64| s.is_finite() && *s > 0.0)
            .with_context(|| format!("BENCH_SCALE=`{s}`: expected a number above 0"))?,
    };
    let repeat: usize = match std::env::var("BENCH_REPEAT") {
        Err(_) => 2,
        Ok(s) => s
            .parse()
            .ok()
            .filter(|r: &usize| *r >= 1)
            .with_context(|| format!("BENCH_REPEAT=`{s}`: expected a whole number above 0"))?,
    };
    let only = std::env::var("BENCH_ONLY").unwrap_or_else(|_| "large,mixed,small,memory".into());
    // Checked before the minute spent measuring the machine's limits.
    if let Some(bad) = only
        .split(',')
        .map(str::trim)
        .find(|n| !SCENARIOS.contains(n))
    {
        anyhow::bail!(
            "BENCH_ONLY: unknown scenario `{bad}` ({})",
            SCENARIOS.join(", ")
        );
    }
    let needs_limits = only
        .split(',')
        .any(|n| ["large", "mixed", "small"].contains(&n.trim()));
    let work = target.join("bench-work");
    run::clean(&work)?;
    std::fs::create_dir_all(&work).context("create bench-work")?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("tokio runtime")?;
    // As many bytes as the large scenario writes (bag + zip of 8 × 4 × 128
    // MiB): a virtual disk may absorb a short burst far faster than it
    // sustains (a 2 GiB dd gave 0.5 to 2.7 GB/s in successive runs here), and
    // the limit that matters is the one for a run of that size.
    let limits = if needs_limits {
        eprintln!("measuring the machine's limits...");
        limits::measure(&work, (8192.0 * scale).max(256.0) as u64)?
    } else {
        limits::Limits::default()
    };
    let mut bench = Bench {
        bin,
        work: work.clone(),
        scale,
        repeat,
        rt,
        report: Report::default(),
        limits,
    };
    bench.report.header = machine(&work, scale);
    if needs_limits {
        scenarios::limits_table(&mut bench);
    }
    for name in only.split(',').map(str::trim) {
        eprintln!("scenario `{name}`...");
        match name {
            "large" => scenarios::large(&mut bench)?,
            "mixed" => mixed::mixed(&mut bench)?,
            "small" => scenarios::small(&mut bench)?,
            "memory" => scenarios::memory(&mut bench)?,
            "dossiers" => scenarios::dossiers(&mut bench)?,
            _ => unreachable!("scenario names are checked above"),
        }
    }
    let notes = bench.limits.notes.clone();
    bench.report.notes.extend(notes);
    if !run::have_gnu_time() {
        bench
            .report
            .notes
            .push("/usr/bin/time absent: peak RSS polled from /proc every 10 ms".into());
    }
    let text = bench.report.render();
    println!("{text}");
    let path = target.join("bench-report.md");
    std::fs::write(&path, &text).with_context(|| format!("write {}", path.display()))?;
    eprintln!("report written to {}", path.display());
    run::clean(&work)
}

/// What the figures came from.
fn machine(work: &Path, scale: f64) -> Vec<String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            let kb: f64 = t.lines().next()?.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB RAM", kb / 1024.0 / 1024.0))
        })
        .unwrap_or_default();
    let disk = Command::new("df")
        .args(["--output=source,fstype"])
        .arg(work)
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .nth(1)
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "unknown".into());
    vec![
        format!("CPU: {cpu}, {cores} cores, {mem}"),
        format!("disk: {disk} (work folder {})", work.display()),
        format!(
            "ds-archive {}, BENCH_SCALE={scale}",
            env!("CARGO_PKG_VERSION")
        ),
    ]
}
