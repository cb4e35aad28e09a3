//! What a verification found: findings (problems and warnings), a summary per
//! bundle, and their text and JSON forms.
//!
//! The text form is one finding per line, `CODE bundle/path: message`, so a
//! script can `grep` or `cut` it; the JSON form follows
//! schemas/verify-report.schema.json. Nothing here does I/O but writing the
//! JSON form to the writer it is given.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::io;

use serde::ser::{Error as _, SerializeMap as _, SerializeSeq as _};
use serde::{Serialize, Serializer};
use serde_json::{json, Map, Value};

use super::codes::Code;

/// One problem or warning.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Finding {
    /// The stable code.
    pub code: Code,
    /// The bundle it concerns (`dossier-12`, `dossier-12.zip`) or the archive folder.
    pub bundle: String,
    /// The path inside the bundle, `/`-separated; empty for the bundle itself.
    pub path: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl Finding {
    /// A finding about `path` in `bundle`.
    pub fn new(
        code: Code,
        bundle: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            code,
            bundle: bundle.into(),
            path: path.into(),
            message: message.into(),
        }
    }

    /// `bundle/path`, or `bundle` alone.
    #[must_use]
    pub fn location(&self) -> String {
        if self.path.is_empty() {
            self.bundle.clone()
        } else if self.bundle.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.bundle, self.path)
        }
    }

    fn to_json(&self) -> Value {
        json!({
            "code": self.code.as_str(),
            "bundle": self.bundle,
            "path": self.path,
            "message": self.message,
        })
    }
}

impl fmt::Display for Finding {
    /// `E_DIGEST dossier-12/data/a.pdf: sha256 expected … got …`, on one line
    /// whatever the file name holds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = format!("{} {}: {}", self.code, self.location(), self.message);
        f.write_str(&one_line(&line))
    }
}

/// Escape CR and LF so that one finding is always one line.
fn one_line(s: &str) -> String {
    s.replace('\r', "\\r").replace('\n', "\\n")
}

/// What kind of bundle was verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BundleKind {
    /// A bag folder.
    Folder,
    /// A zip holding one bag folder.
    Zip,
    /// An archive output folder (run-level files only).
    Archive,
}

impl BundleKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Folder => "folder",
            Self::Zip => "zip",
            Self::Archive => "archive",
        }
    }
}

/// Per-bundle summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleSummary {
    /// Name as used in findings.
    pub name: String,
    /// Folder, zip or archive.
    pub kind: BundleKind,
    /// Files seen in the bundle.
    pub files: u64,
    /// Bytes of those files (uncompressed).
    pub bytes: u64,
    /// Problems found in it.
    pub problems: u64,
}

/// Counts over every bundle verified.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    /// Bundles verified.
    pub bundles: u64,
    /// Files seen in them.
    pub files: u64,
    /// Bytes of those files (uncompressed).
    pub bytes: u64,
}

/// The outcome of a verification.
///
/// Findings are kept (there are few in an archive worth the name); bundle
/// summaries only when listed, since the text output needs only the
/// [`Totals`] and an archive may hold 10⁵ bundles.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub(crate) problems: Vec<Finding>,
    pub(crate) warnings: Vec<Finding>,
    pub(crate) bundles: Vec<BundleSummary>,
    pub(crate) totals: Totals,
    pub(crate) list_bundles: bool,
    pub(crate) fast: bool,
}

impl Report {
    /// An empty report that lists its bundles; `fast` records whether
    /// digests were skipped.
    #[must_use]
    pub fn new(fast: bool) -> Self {
        Self {
            fast,
            list_bundles: true,
            ..Self::default()
        }
    }

    /// The same, keeping only the totals of the bundles.
    pub(crate) fn unlisted(fast: bool) -> Self {
        Self {
            list_bundles: false,
            ..Self::new(fast)
        }
    }

    /// True when no problem was found (warnings allowed).
    #[must_use]
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }

    /// The problems, sorted by bundle, path and code.
    #[must_use]
    pub fn problems(&self) -> &[Finding] {
        &self.problems
    }

    /// The warnings, sorted like the problems.
    #[must_use]
    pub fn warnings(&self) -> &[Finding] {
        &self.warnings
    }

    /// One summary per verified bundle (empty when the report does not
    /// list them: see [`Report::totals`]).
    #[must_use]
    pub fn bundles(&self) -> &[BundleSummary] {
        &self.bundles
    }

    /// Bundles, files and bytes verified.
    #[must_use]
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Whether digests were skipped (`--fast`).
    #[must_use]
    pub fn is_fast(&self) -> bool {
        self.fast
    }

    /// Add a finding where it belongs.
    pub(crate) fn push(&mut self, finding: Finding) {
        if finding.code.is_warning() {
            self.warnings.push(finding);
        } else {
            self.problems.push(finding);
        }
    }

    /// Add a bundle's findings and summary.
    pub(crate) fn add_bundle(&mut self, summary: BundleSummary, findings: Vec<Finding>) {
        self.add_bundle_findings(findings);
        self.totals.bundles += 1;
        self.totals.files += summary.files;
        self.totals.bytes += summary.bytes;
        if self.list_bundles {
            self.bundles.push(summary);
        }
    }

    /// Add findings about bundles summarised elsewhere.
    pub(crate) fn add_bundle_findings(&mut self, findings: Vec<Finding>) {
        for f in findings {
            self.push(f);
        }
    }

    /// Merge another report into this one.
    pub(crate) fn merge(&mut self, other: Report) {
        self.problems.extend(other.problems);
        self.warnings.extend(other.warnings);
        if self.list_bundles {
            self.bundles.extend(other.bundles);
        }
        self.totals.bundles += other.totals.bundles;
        self.totals.files += other.totals.files;
        self.totals.bytes += other.totals.bytes;
    }

    /// Sort and deduplicate, so output does not depend on thread timing.
    pub(crate) fn finish(&mut self) {
        for list in [&mut self.problems, &mut self.warnings] {
            list.sort_by(|a, b| {
                (&a.bundle, &a.path, a.code, &a.message)
                    .cmp(&(&b.bundle, &b.path, b.code, &b.message))
            });
            list.dedup();
        }
        self.bundles.sort_by(|a, b| a.name.cmp(&b.name));
        let mut per_bundle: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &self.problems {
            *per_bundle.entry(p.bundle.as_str()).or_default() += 1;
        }
        for b in &mut self.bundles {
            b.problems = per_bundle.get(b.name.as_str()).copied().unwrap_or(0);
        }
    }

    /// The machine-readable form (schemas/verify-report.schema.json).
    #[must_use]
    pub fn to_json(&self) -> Value {
        let mut doc = self.json_head();
        let bundles: Vec<Value> = self
            .bundles
            .iter()
            .map(|b| bundle_json(b, b.problems))
            .collect();
        doc.insert("bundles".into(), bundles.into());
        Value::Object(doc)
    }

    /// [`Report::to_json`] pretty-printed to `out`, its `bundles` drawn from
    /// `bundles` (sorted by name) as they are written rather than held: an
    /// archive of 10⁵ dossiers lists 2·10⁵ (docs/benchmarks.md, "Memory").
    /// The same bytes as printing [`Report::to_json`] of a report holding
    /// them.
    ///
    /// # Errors
    /// Writing to `out` or reading `bundles` failed.
    pub(crate) fn write_json(
        &self,
        out: &mut dyn io::Write,
        bundles: impl Iterator<Item = io::Result<BundleSummary>>,
    ) -> io::Result<()> {
        let mut problems: BTreeMap<&str, u64> = BTreeMap::new();
        for p in &self.problems {
            *problems.entry(p.bundle.as_str()).or_default() += 1;
        }
        let doc = Streamed {
            head: self.json_head(),
            bundles: RefCell::new(Some(bundles)),
            problems: &problems,
        };
        serde_json::to_writer_pretty(out, &doc).map_err(io::Error::from)
    }

    /// Every key of the JSON form but `bundles`, in order.
    fn json_head(&self) -> Map<String, Value> {
        let head = json!({
            "report_version": 1,
            "valid": self.is_valid(),
            "fast": self.fast,
            "summary": {
                "bundles": self.totals.bundles,
                "files": self.totals.files,
                "bytes": self.totals.bytes,
                "problems": self.problems.len(),
                "warnings": self.warnings.len(),
            },
            "problems": self.problems.iter().map(Finding::to_json).collect::<Vec<_>>(),
            "warnings": self.warnings.iter().map(Finding::to_json).collect::<Vec<_>>(),
        });
        match head {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}

fn bundle_json(b: &BundleSummary, problems: u64) -> Value {
    json!({
        "name": b.name,
        "kind": b.kind.as_str(),
        "files": b.files,
        "bytes": b.bytes,
        "valid": problems == 0,
    })
}

/// The JSON report with its bundles written one at a time.
struct Streamed<'a, I> {
    head: Map<String, Value>,
    /// Taken when serialized (`serialize` has `&self`).
    bundles: RefCell<Option<I>>,
    /// Problems a bundle name.
    problems: &'a BTreeMap<&'a str, u64>,
}

impl<I: Iterator<Item = io::Result<BundleSummary>>> Serialize for Streamed<'_, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in &self.head {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("bundles", &Bundles(self))?;
        map.end()
    }
}

struct Bundles<'s, 'a, I>(&'s Streamed<'a, I>);

impl<I: Iterator<Item = io::Result<BundleSummary>>> Serialize for Bundles<'_, '_, I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        let bundles = self.0.bundles.borrow_mut().take();
        for b in bundles.into_iter().flatten() {
            let b = b.map_err(S::Error::custom)?;
            let problems = self.0.problems.get(b.name.as_str()).copied().unwrap_or(0);
            seq.serialize_element(&bundle_json(&b, problems))?;
        }
        seq.end()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
