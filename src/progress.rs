//! Showing a run's progress without the pipeline knowing how.
//!
//! The pipeline reports events to a [`Progress`] handle; what the user sees
//! depends on where stderr goes: live bars on a terminal (indicatif), a log
//! line every few seconds otherwise (CI, `nohup`, systemd), nothing with
//! `--quiet`. Counters live in atomics so reporting never slows the hot path.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Live bars (stderr is a terminal).
    Bars,
    /// A log line every few seconds.
    Log,
    /// Nothing.
    Hidden,
}

/// Counters of a run.
#[derive(Debug, Default)]
pub struct Counters {
    /// Dossiers seen in the listing.
    pub listed: AtomicU64,
    /// Dossiers archived in this run.
    pub archived: AtomicU64,
    /// Dossiers unchanged since their last bundle.
    pub unchanged: AtomicU64,
    /// Dossiers that failed.
    pub failed: AtomicU64,
    /// Attachment bytes downloaded.
    pub bytes: AtomicU64,
    /// Attachment downloads retried.
    pub retries: AtomicU64,
}

/// The progress handle given to the pipeline (cheap to clone).
#[derive(Clone)]
pub struct Progress {
    counters: Arc<Counters>,
    inner: Arc<Inner>,
}

struct Inner {
    mode: Mode,
    started: Instant,
    last_log: Mutex<Instant>,
    ticking: std::sync::atomic::AtomicBool,
    bars: Option<(MultiProgress, ProgressBar, ProgressBar)>,
}

impl Progress {
    /// A handle showing progress in `mode`.
    #[must_use]
    pub fn new(mode: Mode) -> Self {
        let bars = (mode == Mode::Bars).then(|| {
            let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let dossiers = mp.add(ProgressBar::new_spinner());
            dossiers.set_style(
                ProgressStyle::with_template("{spinner} {elapsed_precise} dossiers {msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            let bytes = mp.add(ProgressBar::new_spinner());
            bytes.set_style(
                ProgressStyle::with_template("  {bytes} downloaded, {bytes_per_sec}")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            (mp, dossiers, bytes)
        });
        Self {
            counters: Arc::new(Counters::default()),
            inner: Arc::new(Inner {
                mode,
                started: Instant::now(),
                last_log: Mutex::new(Instant::now()),
                ticking: std::sync::atomic::AtomicBool::new(false),
                bars,
            }),
        }
    }

    /// How progress is shown.
    #[must_use]
    pub fn mode(&self) -> Mode {
        self.inner.mode
    }

    /// The counters (read by the final report).
    #[must_use]
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The bars, so log lines can be printed above them.
    #[must_use]
    pub fn multi(&self) -> Option<MultiProgress> {
        self.inner.bars.as_ref().map(|(mp, _, _)| mp.clone())
    }

    /// Dossiers listed by DS so far.
    pub fn listed(&self, n: u64) {
        self.counters.listed.fetch_add(n, Ordering::Relaxed);
        self.refresh();
    }

    /// A dossier ended: `archived`, `unchanged` or `failed`.
    pub fn dossier(&self, outcome: Outcome) {
        let c = match outcome {
            Outcome::Archived => &self.counters.archived,
            Outcome::Unchanged => &self.counters.unchanged,
            Outcome::Failed => &self.counters.failed,
        };
        c.fetch_add(1, Ordering::Relaxed);
        self.refresh();
    }

    /// Bytes downloaded.
    pub fn bytes(&self, n: u64) {
        self.counters.bytes.fetch_add(n, Ordering::Relaxed);
        if let Some((_, _, b)) = &self.inner.bars {
            b.inc(n);
        }
    }

    /// A download is tried again.
    pub fn retry(&self) {
        self.counters.retries.fetch_add(1, Ordering::Relaxed);
    }

    fn line(&self) -> String {
        let c = &self.counters;
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        format!(
            "{} listed, {} archived, {} unchanged, {} failed, {} MB, {} retries",
            get(&c.listed),
            get(&c.archived),
            get(&c.unchanged),
            get(&c.failed),
            get(&c.bytes) / 1_000_000,
            get(&c.retries),
        )
    }

    fn refresh(&self) {
        match self.inner.mode {
            Mode::Hidden => {}
            Mode::Bars => {
                if let Some((_, d, _)) = &self.inner.bars {
                    // Start ticking at the first event, after the start-up
                    // messages have been printed.
                    if !self.inner.ticking.swap(true, Ordering::Relaxed) {
                        d.enable_steady_tick(Duration::from_millis(200));
                    }
                    // Bytes have their own bar below.
                    let c = &self.counters;
                    let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
                    d.set_message(format!(
                        "{} listed, {} archived, {} unchanged, {} failed, {} retries",
                        get(&c.listed),
                        get(&c.archived),
                        get(&c.unchanged),
                        get(&c.failed),
                        get(&c.retries),
                    ));
                }
            }
            Mode::Log => {
                let Ok(mut last) = self.inner.last_log.lock() else {
                    return;
                };
                if last.elapsed() >= Duration::from_secs(10) {
                    *last = Instant::now();
                    tracing::info!(
                        elapsed_secs = self.inner.started.elapsed().as_secs(),
                        "progress: {}",
                        self.line()
                    );
                }
            }
        }
    }

    /// Clear the bars at the end of the run.
    pub fn finish(&self) {
        if let Some((mp, d, b)) = &self.inner.bars {
            d.finish_and_clear();
            b.finish_and_clear();
            let _ = mp.clear();
        }
    }
}

/// How a dossier ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A new bundle (or a new version) was made.
    Archived,
    /// Already archived and unchanged at DS.
    Unchanged,
    /// Failed in this run.
    Failed,
}

/// Progress of a command that works through a known list (`verify`,
/// `seda`, `inventory`): one bar on a terminal, a log line every 10 s
/// otherwise, nothing with `--quiet`. Cheap to clone; safe to tick from
/// several threads.
#[derive(Clone)]
pub struct Task {
    inner: Arc<TaskInner>,
}

struct TaskInner {
    mode: Mode,
    label: &'static str,
    done: AtomicU64,
    total: AtomicU64,
    started: Instant,
    last_log: Mutex<Instant>,
    bar: Option<(MultiProgress, ProgressBar)>,
}

impl Task {
    /// A task counting `label` (e.g. "bundles verified"), shown in `mode`.
    #[must_use]
    pub fn new(mode: Mode, label: &'static str) -> Self {
        let bar = (mode == Mode::Bars).then(|| {
            let mp = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let bar = mp.add(ProgressBar::new(0));
            let template = format!(
                "{{spinner}} {{elapsed_precise}} [{{bar:30}}] {{pos}}/{{len}} {label} {{msg}}"
            );
            bar.set_style(
                ProgressStyle::with_template(&template)
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            (mp, bar)
        });
        Self {
            inner: Arc::new(TaskInner {
                mode,
                label,
                done: AtomicU64::new(0),
                total: AtomicU64::new(0),
                started: Instant::now(),
                last_log: Mutex::new(Instant::now()),
                bar,
            }),
        }
    }

    /// A task that shows nothing (library callers, tests).
    #[must_use]
    pub fn hidden() -> Self {
        Self::new(Mode::Hidden, "")
    }

    /// The bar, so log lines can be printed above it.
    #[must_use]
    pub fn multi(&self) -> Option<MultiProgress> {
        self.inner.bar.as_ref().map(|(mp, _)| mp.clone())
    }

    /// How many items there are; shows the bar.
    pub fn start(&self, total: u64) {
        self.inner.total.store(total, Ordering::Relaxed);
        if let Some((_, bar)) = &self.inner.bar {
            bar.set_length(total);
            bar.enable_steady_tick(Duration::from_millis(200));
        }
    }

    /// One more item done.
    pub fn inc(&self) {
        let done = self.inner.done.fetch_add(1, Ordering::Relaxed) + 1;
        match (&self.inner.mode, &self.inner.bar) {
            (Mode::Bars, Some((_, bar))) => bar.inc(1),
            (Mode::Log, _) => {
                let Ok(mut last) = self.inner.last_log.lock() else {
                    return;
                };
                if last.elapsed() >= Duration::from_secs(10) {
                    *last = Instant::now();
                    tracing::info!(
                        done,
                        total = self.inner.total.load(Ordering::Relaxed),
                        elapsed_secs = self.inner.started.elapsed().as_secs(),
                        "progress: {done}/{} {}",
                        self.inner.total.load(Ordering::Relaxed),
                        self.inner.label
                    );
                }
            }
            _ => {}
        }
    }

    /// Clear the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some((mp, bar)) = &self.inner.bar {
            bar.finish_and_clear();
            let _ = mp.clear();
        }
    }
}

/// A `tracing` writer that prints above the progress bars instead of
/// tearing them.
#[derive(Clone)]
pub struct LogWriter {
    multi: Option<MultiProgress>,
}

impl LogWriter {
    /// Write logs to stderr, above `multi`'s bars if any.
    #[must_use]
    pub fn new(multi: Option<MultiProgress>) -> Self {
        Self { multi }
    }
}

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match &self.multi {
            Some(mp) if !mp.is_hidden() => {
                // tracing hands over whole events; print each line above the
                // bars so they are redrawn below it, not torn.
                let text = String::from_utf8_lossy(buf);
                for line in text.trim_end_matches('\n').split('\n') {
                    mp.println(line)?;
                }
            }
            _ => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
