//! What a run leaves beside the bundles: `manifest-sha256.txt` (one line per
//! zip, checkable with `sha256sum -c`) and `report.json`;
//! plus the cleaning of a crashed run's leftovers.
//!
//! Run-level files are rewritten only when their content changes, so a rerun
//! that finds nothing new leaves every byte and modification time of the
//! output folder as it was (but the `report.json` of a run that was not
//! complete is always replaced). Every run's report is also kept in the state
//! folder (`.ds-archive/runs/<run>.json`).

use std::path::Path;

use serde_json::{json, Value};
use time::format_description::well_known::Rfc3339;

use super::{Ctx, Summary};
use crate::error::{Error, Result};
use crate::inventory::known::KnownRows;
use crate::journal::{State, STATE_DIR};
use crate::{fsx, model};

/// Now, RFC 3339 in UTC.
#[must_use]
pub fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// The start time of a new run: now, or `SOURCE_DATE_EPOCH` when set (the
/// reproducible-builds convention), so two runs over the same DS data can
/// produce byte-identical bundles (`Bagging-Date`, `archived_at`).
#[must_use]
pub fn run_start_time() -> String {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.trim().parse::<i64>().ok())
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(now_rfc3339)
}

/// `date` minus `secs`, RFC 3339; None when `date` does not parse.
#[must_use]
pub fn minus_secs(date: &str, secs: i64) -> Option<String> {
    let t = time::OffsetDateTime::parse(date, &Rfc3339).ok()?;
    (t - time::Duration::seconds(secs)).format(&Rfc3339).ok()
}

/// Remove what a crashed run left: the staging area, and the bundles it had
/// started to move into the output folder without finishing (announced by a
/// `publishing` line with no `dossier_done` after it). Nothing else in the
/// output folder is ever removed: an unknown `dossier-N` there makes the run
/// stop with an error rather than replace it.
pub(crate) fn clean_leftovers(out: &Path, staging: &Path, state: &State) -> Result<()> {
    if staging.exists() {
        fs_err::remove_dir_all(staging).map_err(|e| Error::io("clean staging", staging, e))?;
    }
    fs_err::create_dir_all(staging).map_err(|e| Error::io("create staging", staging, e))?;
    // Temporary files of atomic writes (run manifest, report, inventory)
    // that a kill left behind: their prefix says they are ours.
    let entries = fs_err::read_dir(out).map_err(|e| Error::io("list output folder", out, e))?;
    for entry in entries.flatten() {
        if entry
            .file_name()
            .to_string_lossy()
            .starts_with(fsx::TEMP_PREFIX)
        {
            let path = entry.path();
            fs_err::remove_file(&path).map_err(|e| Error::io("remove temporary file", &path, e))?;
        }
    }
    for name in state.publishing.keys() {
        let dir = out.join(name);
        let zip = out.join(format!("{name}.zip"));
        if dir.exists() {
            tracing::warn!(path = %dir.display(), "removing a bundle an interrupted run left half-published");
            fs_err::remove_dir_all(&dir)
                .map_err(|e| Error::io("remove incomplete bundle", &dir, e))?;
        }
        if zip.exists() {
            fs_err::remove_file(&zip)
                .map_err(|e| Error::io("remove incomplete bundle", &zip, e))?;
        }
    }
    Ok(())
}

/// The lines of the run manifest at `path` about the démarche's documents
/// (`<sha256>  demarche/<file>`), read line by line.
fn demarche_lines(path: &Path) -> String {
    use std::io::BufRead as _;
    let Ok(file) = fs_err::File::open(path) else {
        return String::new();
    };
    std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.contains("  demarche/"))
        .map(|l| l + "\n")
        .collect()
}

/// The run-level manifest's line (`<sha256>  <name>.zip`) of each version
/// in `keys` (every version with a zip, in zip-name order: see
/// [`crate::journal::DoneSet::in_zip_order`]), read back one at a time from
/// where the state keeps them: only the keys are held, 16 bytes a version
/// (issue #16: memory flat in the number of dossiers).
fn run_manifest_lines<'a>(
    state: &'a State,
    keys: &'a [crate::journal::Key],
) -> impl Iterator<Item = Result<String>> + 'a {
    keys.iter().filter_map(|&(number, version)| {
        state
            .done
            .get(number, version)
            .transpose()
            .map(|v| v.map(|v| format!("{}  {}.zip", v.zip_sha256(), v.name())))
    })
}

pub(crate) fn write_run_files(
    out: &Path,
    ctx: &Ctx,
    state: &State,
    summary: &Summary,
) -> Result<()> {
    // No zip (--no-zip), no manifest: an empty one makes `sha256sum -c` fail.
    let manifest_path = out.join("manifest-sha256.txt");
    let zips = state.done.in_zip_order()?;
    // The démarche's documents (DIR/demarche/), with the SHA-256 recorded
    // when they were first listed: only their lines of the old manifest are
    // read, the rest grows with the dossiers.
    let docs = super::demarche_docs::manifest_lines(out, &demarche_lines(&manifest_path));
    let write = |w: &mut dyn std::io::Write| {
        for line in run_manifest_lines(state, &zips) {
            writeln!(w, "{}", line.map_err(std::io::Error::other)?)?;
        }
        docs.iter()
            .try_for_each(|(name, sum)| writeln!(w, "{sum}  {name}"))
    };
    let empty = zips.is_empty() && docs.is_empty();
    // A manifest with a token keeps it: the old pair moves aside first. Only
    // then is the whole manifest held in memory, to compare it.
    if out.join(crate::timestamp::TSR).exists() {
        let mut bytes = Vec::new();
        write(&mut bytes).map_err(|e| Error::io("write", &manifest_path, e))?;
        crate::timestamp::set_aside(out, (!empty).then_some(bytes.as_slice()))?;
    }
    if empty {
        if manifest_path.exists() {
            fs_err::remove_file(&manifest_path)
                .map_err(|e| Error::io("remove empty run manifest", &manifest_path, e))?;
        }
    } else {
        fsx::write_atomic_if_changed(&manifest_path, write)?;
    }
    drop(zips);
    let report = report_json(ctx, state, summary)?;
    let mut bytes = serde_json::to_vec_pretty(&report).unwrap_or_default();
    bytes.push(b'\n');
    let runs = out.join(STATE_DIR).join("runs");
    fs_err::create_dir_all(&runs).map_err(|e| Error::io("create runs folder", &runs, e))?;
    fsx::write_atomic(&runs.join(format!("{}.json", ctx.run_id)), &bytes)?;
    if summary.changed_anything() || !last_report_complete(out) {
        fsx::write_atomic(&out.join("report.json"), &bytes)?;
    }
    let csv = out.join("dossiers.csv");
    let sidecar = crate::inventory::columns::sidecar_path(&csv);
    // A bucket's bundles are not here: its inventory is made from the
    // bucket (`bucket_inventory`).
    let here = ctx.opts.target.bucket().is_none();
    if here && (summary.changed_anything() || !csv.exists() || !sidecar.exists()) {
        write_inventory(out, &csv, &mut ctx.known_rows())?;
    }
    Ok(())
}

/// Whether `report.json` exists and tells of a complete run: one that did
/// not would stay wrong after a rerun that completes it without changes.
fn last_report_complete(out: &Path) -> bool {
    fs_err::read(out.join("report.json"))
        .ok()
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .is_some_and(|r| r["complete"] == true)
}

/// Rebuild `dossiers.csv` and `dossiers.columns.json` beside the bundles (only when the archive changed:
/// it reads every bundle's `dossier.json`).
fn write_inventory(out: &Path, csv: &Path, known: &mut KnownRows) -> Result<()> {
    let tmp = out.join(STATE_DIR).join("dossiers.csv.new");
    let csv_format = crate::inventory::Format::Csv;
    match crate::inventory::write_inventory_with(out, csv_format, &tmp, Some(known)) {
        Ok(report) => {
            for (n, why) in &report.skipped {
                tracing::warn!(dossier = n, "not in dossiers.csv: {why}");
            }
            // Copied, not read whole: the CSV grows with the dossiers.
            let copied = fs_err::File::open(&tmp)
                .map_err(|e| Error::io("read inventory", &tmp, e))
                .and_then(|mut rows| {
                    fsx::write_atomic_if_changed(csv, |w| std::io::copy(&mut rows, w).map(drop))
                });
            let _ = fs_err::remove_file(&tmp);
            copied?;
            // Its columns' ids: `dossiers.columns.json`.
            let sidecar = crate::inventory::columns::sidecar_path(csv);
            let columns = crate::inventory::columns::sidecar_json(&report.columns);
            fsx::write_atomic_if_changed(&sidecar, |w| w.write_all(&columns)).map(drop)
        }
        Err(e) => {
            // The bundles are what matters; an inventory problem is reported.
            tracing::warn!("dossiers.csv not written: {e}");
            Ok(())
        }
    }
}

fn report_json(ctx: &Ctx, state: &State, s: &Summary) -> Result<Value> {
    // Only dossiers with several versions: the full list is `status --json`'s
    // job, and the report must stay small on a 10^5-dossier archive.
    let counts = state.done.counts()?;
    let versions: Vec<Value> = state
        .done
        .several()
        .map(|several| {
            let (number, versions) = several?;
            Ok(json!({
                "number": number,
                "versions": versions.iter().map(|v| json!({
                    "version": v.version,
                    "name": v.name(),
                    "zip": v.has_zip().then(|| format!("{}.zip", v.name())),
                    "zip_sha256": v.has_zip().then(|| v.zip_sha256()),
                    "updated_at": v.updated_at(),
                    "files": v.files,
                    "bytes": v.bytes,
                })).collect::<Vec<_>>(),
            }))
        })
        .collect::<Result<_>>()?;
    Ok(json!({
        "software": concat!("ds-archive ", env!("CARGO_PKG_VERSION")),
        "run_id": ctx.run_id,
        "demarche": {
            "number": ctx.opts.demarche,
            "title": model::str_field(&ctx.demarche, "title"),
        },
        "started_at": ctx.started_at,
        "finished_at": now_rfc3339(),
        "duration_secs": s.duration.as_secs_f64(),
        "resumed_at": s.resumed_at,
        "interrupted": s.interrupted,
        "complete": s.complete(),
        "counts": {
            "new": s.new.len(),
            "updated": s.updated.len(),
            "unchanged": s.unchanged.len(),
            "failed": s.failed.len(),
            "deleted": s.deleted.len(),
        },
        "new": s.new,
        "updated": s.updated,
        "unchanged": s.unchanged,
        "failed": s.failed.iter().map(|(n, r)| json!({"number": n, "reason": r})).collect::<Vec<_>>(),
        "deleted": s.deleted.iter().map(|d| json!({
            "number": d.number, "reason": d.reason, "date": d.date, "pending": d.pending,
        })).collect::<Vec<_>>(),
        "deletions_error": s.deletions_error,
        "listing_error": s.listing_error,
        "warnings": s.warnings,
        "bytes_downloaded": s.bytes,
        "requests": {"graphql": s.requests, "retries": s.api_retries, "rate_limited": s.rate_limited},
        "archive": {
            "dossiers": counts.dossiers,
            "failed": state.failed.iter().map(|(n, r)| json!({"number": n, "reason": r})).collect::<Vec<_>>(),
            "deleted_at_ds": state.deleted.iter().map(|(n, (reason, date, pending))| json!({
                "number": n, "reason": reason, "date": date, "pending": pending,
            })).collect::<Vec<_>>(),
            "versions": counts.versions,
            "dossiers_with_several_versions": versions,
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_half_published_bundles_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        for name in ["dossier-1", "dossier-2"] {
            std::fs::create_dir_all(out.join(name).join("data")).unwrap();
            std::fs::write(out.join(format!("{name}.zip")), b"zip").unwrap();
        }
        let tmp = out.join(format!("{}report", fsx::TEMP_PREFIX));
        std::fs::write(&tmp, b"half").unwrap();
        let mut state = State::default();
        state.apply(&crate::journal::Event::Publishing {
            number: 1,
            name: "dossier-1".into(),
        });
        clean_leftovers(out, &out.join(".ds-archive/staging"), &state).unwrap();
        assert!(!out.join("dossier-1").exists() && !out.join("dossier-1.zip").exists());
        assert!(out.join("dossier-2/data").is_dir() && out.join("dossier-2.zip").is_file());
        assert!(out.join(".ds-archive/staging").is_dir());
        assert!(!tmp.exists());
    }

    #[test]
    fn overlap_goes_back_in_time() {
        assert_eq!(
            minus_secs("2024-01-01T00:05:00Z", 600).as_deref(),
            Some("2023-12-31T23:55:00Z")
        );
    }
}
