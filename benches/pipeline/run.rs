//! Running a child process and measuring it: wall time, peak RSS, CPU time
//! and bytes written. Uses GNU `/usr/bin/time` when present (exact peak from
//! the kernel's rusage), else polls `/proc/<pid>/status` and `/proc/<pid>/io`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};

/// What one child run cost.
#[derive(Debug, Clone, Default)]
pub struct Measured {
    pub wall: Duration,
    /// Peak resident set, KiB (the largest process for a script).
    pub max_rss_kib: Option<u64>,
    /// User + system CPU seconds, children included.
    pub cpu_secs: Option<f64>,
    /// Bytes written to the filesystem (rusage blocks × 512, or /proc io).
    pub written: Option<u64>,
}

impl Measured {
    pub fn secs(&self) -> f64 {
        self.wall.as_secs_f64()
    }
}

/// A command line to measure.
pub struct Job<'a> {
    pub program: &'a Path,
    pub args: Vec<OsString>,
    pub env: Vec<(&'static str, String)>,
    pub cwd: Option<&'a Path>,
}

const GNU_TIME: &str = "/usr/bin/time";

pub fn have_gnu_time() -> bool {
    Path::new(GNU_TIME).exists()
}

/// Run `job` to completion, fail on a non-zero exit (with its stderr).
pub fn measure(job: &Job<'_>, scratch: &Path) -> Result<Measured> {
    // Dirty pages left by the previous step must not be flushed on our clock.
    sync();
    if have_gnu_time() {
        measure_with_time(job, scratch)
    } else {
        measure_polling(job)
    }
}

fn command(program: &Path, job: &Job<'_>) -> Command {
    let mut cmd = Command::new(program);
    for (k, v) in &job.env {
        cmd.env(k, v);
    }
    if let Some(dir) = job.cwd {
        cmd.current_dir(dir);
    }
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

fn measure_with_time(job: &Job<'_>, scratch: &Path) -> Result<Measured> {
    let out: PathBuf = scratch.join("time.out");
    let mut cmd = command(Path::new(GNU_TIME), job);
    cmd.args(["-f", "%M %U %S %O", "-o"])
        .arg(&out)
        .arg(job.program)
        .args(&job.args);
    let start = Instant::now();
    let output = cmd
        .output()
        .with_context(|| format!("run {}", job.program.display()))?;
    let wall = start.elapsed();
    check_status(job, output.status, &output.stderr)?;
    keep_log(job, &output.stderr)?;
    let text = std::fs::read_to_string(&out).context("read /usr/bin/time output")?;
    // The last line holds the figures (a failing command adds one before).
    let line = text.lines().last().unwrap_or_default();
    let f: Vec<f64> = line
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    let [rss, user, sys, blocks] = f[..] else {
        bail!("unexpected /usr/bin/time output `{text}`");
    };
    Ok(Measured {
        wall,
        max_rss_kib: Some(rss as u64),
        cpu_secs: Some(user + sys),
        written: Some(blocks as u64 * 512),
    })
}

fn measure_polling(job: &Job<'_>) -> Result<Measured> {
    let mut cmd = command(job.program, job);
    cmd.args(&job.args).stderr(Stdio::null());
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("run {}", job.program.display()))?;
    let pid = child.id();
    let (mut rss, mut written) = (0_u64, 0_u64);
    let status = loop {
        rss = rss.max(proc_field(pid, "status", "VmHWM:").unwrap_or(0));
        written = written.max(proc_field(pid, "io", "write_bytes:").unwrap_or(0));
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let wall = start.elapsed();
    check_status(job, status, b"(stderr not kept when polling /proc)")?;
    Ok(Measured {
        wall,
        max_rss_kib: Some(rss),
        cpu_secs: None,
        written: Some(written),
    })
}

/// Where `BENCH_LOG` asks the runs' logs to be kept, if it does.
pub fn log_dir() -> Option<PathBuf> {
    std::env::var_os("BENCH_LOG").map(PathBuf::from)
}

/// With `BENCH_LOG=DIR`, keep a run's stderr as `DIR/NNN-<subcommand>.log`,
/// numbered in the order the runs were made (the timelines of the runs
/// measured: `archive` logs at debug level, as JSON, then).
fn keep_log(job: &Job<'_>, stderr: &[u8]) -> Result<()> {
    static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let Some(dir) = log_dir() else {
        return Ok(());
    };
    let n = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let what = job.args.first().map_or_else(
        || job.program.to_string_lossy().into_owned(),
        |a| a.to_string_lossy().into_owned(),
    );
    let name = format!("{n:03}-{}.log", what.replace(['/', '.'], "_"));
    std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
    std::fs::write(dir.join(&name), stderr).with_context(|| format!("write {name}"))
}

fn proc_field(pid: u32, file: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].split_whitespace().next()?.parse().ok()
}

fn check_status(job: &Job<'_>, status: std::process::ExitStatus, stderr: &[u8]) -> Result<()> {
    if status.success() {
        return Ok(());
    }
    bail!(
        "{} {:?} failed ({status}):\n{}",
        job.program.display(),
        job.args,
        String::from_utf8_lossy(stderr)
    )
}

/// Flush dirty pages (best effort).
pub fn sync() {
    let _ = Command::new("sync").status();
}

/// Whether `tool` is on the PATH.
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// Every regular file under `dir` (sorted), skipping folders named `skip`.
pub fn tree_files(dir: &Path, skip: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_entry(|e| e.file_name() != skip)
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(walkdir::DirEntry::into_path)
        .collect();
    files.sort();
    files
}

/// This process's own CPU time (user + system), from `/proc/self/stat`;
/// `None` where there is no such file. Clock ticks are taken as 100 a
/// second, Linux's `USER_HZ` on every architecture it runs on.
pub fn own_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: f64 = fields.next()?.parse().ok()?;
    let stime: f64 = fields.next()?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Remove a folder if it exists.
pub fn clean(dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir).with_context(|| format!("remove {}", dir.display()))?;
    }
    Ok(())
}
