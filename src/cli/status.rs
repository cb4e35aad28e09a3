//! `status <DIR>`: what an archive folder holds, from its journal, without
//! touching DS or locking the folder.

use std::path::PathBuf;

use clap::Args;
use serde::ser::{Serialize, SerializeMap as _, SerializeSeq as _, Serializer};
use serde_json::{json, Value};

use super::fatal;
use crate::console;
use crate::error::exit;
use crate::journal;

/// Options of `status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The archive folder or s3://BUCKET/PREFIX (`--out` of `archive`).
    dir: PathBuf,
    /// Print JSON on stdout.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    s3: super::storage_args::S3Args,
}

/// `status`.
pub fn run(args: &StatusArgs) -> u8 {
    let state = if super::storage_args::is_s3(&args.dir) {
        // The bucket records the bundles; the rest is in the work dir.
        match super::storage_args::bucket_state(&args.dir.to_string_lossy(), &args.s3) {
            Ok(s) => Ok(Some(s)),
            Err(e) => return fatal(&e, None),
        }
    } else {
        journal::read_state(&args.dir)
    };
    let state = match state {
        Ok(Some(s)) => s,
        Ok(None) => {
            return fatal(
                &format!(
                    "`{}` is not a ds-archive output folder (no journal)",
                    args.dir.display()
                ),
                None,
            )
        }
        Err(e) => return fatal(&e.to_string(), None),
    };
    let counts = match state.done.counts() {
        Ok(c) => c,
        Err(e) => return fatal(&e.to_string(), None),
    };
    let versions = counts.versions;
    let last = state.last_run.as_ref();
    if args.json {
        // Everything but the list of dossiers, which is written as it is
        // read from the state: the output grows with the archive, the
        // memory must not (docs/benchmarks.md, "Memory").
        let head = json!({
            "archived": counts.dossiers,
            "versions": versions,
            "failed": state.failed.iter().map(|(n, r)| json!({"number": n, "reason": r})).collect::<Vec<_>>(),
            "deleted": state.deleted.iter().map(|(n, (reason, date, pending))| json!({
                "number": n, "reason": reason, "date": date, "pending": pending})).collect::<Vec<_>>(),
            "last_run": last.map(|r| json!({
                "run_id": r.run_id,
                "demarche": r.demarche,
                "started_at": r.started_at,
                "finished_at": r.finished_at,
                "updated_since": r.updated_since,
                "pending": r.finished_at.is_none(),
            })),
            "high_water_mark": state.finished_runs.last().map(|r| &r.high_water),
        });
        let doc = StatusJson {
            head: &head,
            done: &state.done,
        };
        console::out_with(|w| serde_json::to_writer_pretty(w, &doc).map_err(std::io::Error::from));
    } else {
        console::out(format!(
            "archived dossiers: {} ({versions} bundle versions)",
            counts.dossiers
        ));
        console::out(format!("failed: {}", state.failed.len()));
        for (n, r) in &state.failed {
            console::out(format!("  dossier {n}: {r}"));
        }
        console::out(format!("deleted at DS: {}", state.deleted.len()));
        for (n, (reason, date, pending)) in &state.deleted {
            let kind = if *pending { "in DS's trash" } else { "purged" };
            console::out(format!("  dossier {n}: {reason} on {date} ({kind})"));
        }
        for several in state.done.several() {
            let (n, v) = match several {
                Ok(several) => several,
                Err(e) => return fatal(&e.to_string(), None),
            };
            let names: Vec<String> = v.iter().map(|x| x.name().into_owned()).collect();
            console::out(format!(
                "  dossier {n}: {} versions: {}",
                v.len(),
                names.join(", ")
            ));
        }
        if let Some(r) = last {
            let status = r.finished_at.as_deref().map_or_else(
                || "unfinished: rerun to resume".to_owned(),
                |f| format!("finished {f}"),
            );
            console::out(format!(
                "last run: {} started {} ({status})",
                r.run_id, r.started_at
            ));
        }
        if let Some(r) = state.finished_runs.last() {
            console::out(format!(
                "high-water mark: {} (next run lists dossiers modified since, minus 10 minutes)",
                r.started_at
            ));
        }
    }
    if state.failed.is_empty() {
        exit::OK
    } else {
        exit::FAILURES
    }
}

/// `status --json`: the keys of `head`, then `dossiers`, one entry a dossier
/// made as it is written.
struct StatusJson<'a> {
    head: &'a Value,
    done: &'a journal::DoneSet,
}

impl Serialize for StatusJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(None)?;
        for (key, value) in self.head.as_object().into_iter().flatten() {
            map.serialize_entry(key, value)?;
        }
        map.serialize_entry("dossiers", &Dossiers(self.done))?;
        map.end()
    }
}

struct Dossiers<'a>(&'a journal::DoneSet);

impl Serialize for Dossiers<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for dossier in self.0.by_dossier() {
            let (n, v) = dossier.map_err(serde::ser::Error::custom)?;
            seq.serialize_element(&json!({
                "number": n,
                "versions": v.iter().map(|x| json!({"version": x.version, "name": x.name(), "updated_at": x.updated_at()})).collect::<Vec<_>>(),
            }))?;
        }
        seq.end()
    }
}
