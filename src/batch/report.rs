//! The batch report: one JSON file for the whole batch, listing each
//! démarche's outcome and where its own `report.json` is, and the batch's
//! exit code (0 every démarche complete, 1 some dossiers or démarches
//! failed, 2 nothing could run). Written whole (tempfile + rename), so a
//! monitoring job never reads half a report.

use std::path::Path;

use serde::Serialize;

use super::{Done, Ran, Unit};
use crate::error::{exit, Result};

/// One démarche's line of the batch report.
#[derive(Debug, Serialize)]
pub struct UnitReport {
    /// Démarche number.
    pub demarche: u64,
    /// Groupe instructeur, when only one was archived.
    pub groupe: Option<u64>,
    /// Line of its `[[demarche]]` table in the config.
    pub line: Option<usize>,
    /// Output, as configured.
    pub out: String,
    /// `complete`, `failures` (some dossiers failed), `interrupted` or
    /// `failed` (the run could not start or stopped).
    pub status: &'static str,
    /// The démarche's `report.json`, when its run wrote one.
    pub report: Option<String>,
    /// Why the run failed.
    pub error: Option<String>,
    /// What to do about it.
    pub hint: Option<String>,
    /// Dossiers archived for the first time.
    pub new: usize,
    /// Dossiers archived again (changed at DS).
    pub updated: usize,
    /// Dossiers failed.
    pub failed: usize,
    /// Dossiers recorded as deleted at DS.
    pub deleted: usize,
    /// GraphQL requests sent.
    pub requests: u64,
    /// 429 answers received.
    pub rate_limited: u64,
    /// With `--tsa-url`: whether the run manifest got its RFC 3161 token.
    pub timestamped: Option<bool>,
    /// SEDA packaging, when the config asks for it: `{"sips": N,
    /// "skipped": N}` or `{"error": "..."}`.
    pub seda: Option<serde_json::Value>,
}

/// The report lines of a finished batch.
#[must_use]
pub fn lines(units: &[Unit], done: &[Done]) -> Vec<UnitReport> {
    units
        .iter()
        .zip(done)
        .map(|(unit, done)| {
            let mut line = UnitReport {
                demarche: unit.opts.demarche,
                groupe: unit.opts.groupe,
                line: unit.line,
                out: unit.out.clone(),
                status: "failed",
                report: None,
                error: None,
                hint: None,
                new: 0,
                updated: 0,
                failed: 0,
                deleted: 0,
                requests: 0,
                rate_limited: 0,
                timestamped: done.stamped,
                seda: done.seda.as_ref().map(|r| match r {
                    Ok((sips, skipped)) => serde_json::json!({"sips": sips, "skipped": skipped}),
                    Err(e) => serde_json::json!({ "error": e }),
                }),
            };
            match &done.ran {
                Ran::Archived(s) => {
                    line.status = if s.interrupted {
                        "interrupted"
                    } else if done.complete() {
                        "complete"
                    } else {
                        "failures"
                    };
                    let report = unit.opts.out.join("report.json");
                    line.report = report.exists().then(|| report.display().to_string());
                    line.new = s.new.len();
                    line.updated = s.updated.len();
                    line.failed = s.failed.len();
                    line.deleted = s.deleted.len();
                    line.requests = s.requests;
                    line.rate_limited = s.rate_limited;
                }
                Ran::Failed { error, hint } => {
                    line.error = Some(error.clone());
                    line.hint.clone_from(hint);
                }
            }
            line
        })
        .collect()
}

/// 0 when every démarche is complete, 2 when none could run, else 1.
#[must_use]
pub fn exit_code(done: &[Done]) -> u8 {
    let archived = done
        .iter()
        .filter(|d| matches!(d.ran, Ran::Archived(_)))
        .count();
    let complete = done.iter().filter(|d| d.complete()).count();
    if complete == done.len() {
        exit::OK
    } else if archived == 0 {
        exit::FATAL
    } else {
        exit::FAILURES
    }
}

/// Write the batch report at `path` (created or replaced whole).
///
/// # Errors
/// The report cannot be written.
pub fn write_report(path: &Path, lines: &[UnitReport], code: u8, started_at: &str) -> Result<()> {
    let complete = lines.iter().filter(|l| l.status == "complete").count();
    let body = serde_json::json!({
        "started_at": started_at,
        "finished_at": crate::pipeline::now_rfc3339(),
        "exit_code": code,
        "demarches_total": lines.len(),
        "demarches_complete": complete,
        "demarches": lines,
    });
    let mut bytes = serde_json::to_vec_pretty(&body)
        .map_err(|e| crate::error::Error::Internal(format!("batch report: {e}")))?;
    bytes.push(b'\n');
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::create_dir_all(dir)
            .map_err(|e| crate::error::Error::io("create the batch report folder", dir, e))?;
    }
    crate::fsx::write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::Summary;

    #[test]
    fn exit_code_is_two_only_when_nothing_ran() {
        let done = |ran| Done {
            ran,
            seda: None,
            stamped: None,
        };
        let bad = || {
            done(Ran::Failed {
                error: "x".into(),
                hint: None,
            })
        };
        let good = || done(Ran::Archived(Box::default()));
        let partial = || {
            let mut s = Summary::default();
            s.failed.push((1, "boom".into()));
            done(Ran::Archived(Box::new(s)))
        };
        let unpackaged = || Done {
            ran: Ran::Archived(Box::default()),
            seda: Some(Err("no config".into())),
            stamped: None,
        };
        assert_eq!(exit_code(&[good(), unpackaged()]), exit::FAILURES);
        assert_eq!(exit_code(&[good(), good()]), exit::OK);
        assert_eq!(exit_code(&[good(), bad()]), exit::FAILURES);
        assert_eq!(exit_code(&[partial()]), exit::FAILURES);
        assert_eq!(exit_code(&[bad(), bad()]), exit::FATAL);
    }
}
