//! The Markdown report: one table per scenario, figures with their ratios.

use std::fmt::Write as _;

/// One table.
pub struct Table {
    pub title: String,
    pub rows: Vec<[String; 4]>,
}

impl Table {
    pub fn new(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            rows: Vec::new(),
        }
    }

    /// A row: what, figure, what it is compared with, verdict or ratio.
    pub fn row(&mut self, what: &str, value: String, against: String, ratio: String) {
        self.rows.push([what.to_owned(), value, against, ratio]);
    }
}

/// The whole report.
#[derive(Default)]
pub struct Report {
    pub header: Vec<String>,
    pub tables: Vec<Table>,
    pub notes: Vec<String>,
}

impl Report {
    pub fn render(&self) -> String {
        let mut out = String::from("# ds-archive pipeline benchmark\n\n");
        for h in &self.header {
            let _ = writeln!(out, "- {h}");
        }
        for t in &self.tables {
            let _ = write!(
                out,
                "\n## {}\n\n| measure | value | compared with | ratio / target |\n|---|---|---|---|\n",
                t.title
            );
            for [a, b, c, d] in &t.rows {
                let _ = writeln!(out, "| {a} | {b} | {c} | {d} |");
            }
        }
        if !self.notes.is_empty() {
            out.push_str("\n## Notes\n\n");
            for n in &self.notes {
                let _ = writeln!(out, "- {n}");
            }
        }
        out
    }
}

pub fn mbps(bytes_per_sec: f64) -> String {
    format!("{:.0} MB/s", bytes_per_sec / 1e6)
}

pub fn gbps(bytes_per_sec: f64) -> String {
    format!("{:.2} GB/s", bytes_per_sec / 1e9)
}

pub fn mib(kib: Option<u64>) -> String {
    kib.map_or_else(|| "n/a".into(), |k| format!("{:.1} MiB", k as f64 / 1024.0))
}

pub fn secs(s: f64) -> String {
    format!("{s:.2} s")
}

/// `x.xx×` and whether it meets `target` (higher is better).
pub fn ratio(x: f64, target: Option<f64>) -> String {
    match target {
        Some(t) if x >= t => format!("{x:.2}× (target ≥ {t}: met)"),
        Some(t) => format!("{x:.2}× (target ≥ {t}: MISSED)"),
        None => format!("{x:.2}×"),
    }
}
