//! One dossier: decide whether it needs a new bundle, download its files into
//! a staging bag ([`super::attachments`]), describe it, check it, zip it, and
//! hand it to the commit ([`super::commit`]) that moves bag and zip into place.
//! This module says when each step happens; how the staged bag is written,
//! checked and zipped is [`crate::bag`]'s.
//!
//! A dossier either ends with a `dossier_done` line in the journal and its
//! bundle in the output folder, or with nothing in the output folder at all
//! (failed, interrupted). Expired file URLs are refreshed by asking DS for the
//! dossier again; if the dossier changed at DS meanwhile, it is started over
//! with the new data so the bundle is one consistent version.

use std::sync::Arc;

use serde_json::{json, Value};

use super::attachments;
use super::commit::Staged;
use super::{Ctx, Stop};
use crate::error::{Error, Result};
use crate::inventory::{self, known::KnownRow};
use crate::journal::Event;
use crate::model::{self, Digests, StoredFile};
use crate::progress::Outcome;
use crate::{bag, layout, metadata};

/// How a dossier was handled.
pub(crate) enum Handled {
    Archived { number: u64, version: u32 },
    Unchanged(u64),
    Failed { number: u64, reason: String },
    Abandoned,
    Fatal(Error),
}

/// How many times a dossier is started over because it changed at DS while
/// we were archiving it.
const MAX_RESTARTS: u32 = 3;

pub(crate) async fn handle(ctx: Arc<Ctx>, number: u64, node: Value) -> Handled {
    if ctx.cancel.is_cancelled() {
        return Handled::Abandoned;
    }
    let work = archive_dossier(&ctx, number, node);
    let handled = tokio::select! {
        handled = work => handled,
        () = ctx.cancel.cancelled() => Handled::Abandoned,
    };
    // Shown as soon as the dossier is settled, not when its page is.
    match &handled {
        Handled::Archived { .. } => ctx.progress.dossier(Outcome::Archived),
        Handled::Unchanged(_) => ctx.progress.dossier(Outcome::Unchanged),
        Handled::Failed { .. } => ctx.progress.dossier(Outcome::Failed),
        Handled::Abandoned | Handled::Fatal(_) => {}
    }
    handled
}

/// Read what we act on from a dossier node: a field we rely on that DS did
/// not send fails the dossier, named by its JSON path.
fn read(number: u64, node: &Value) -> Result<model::Dossier, String> {
    let dossier = model::parse_dossier(node).map_err(|e| e.to_string())?;
    if dossier.number != number {
        return Err(format!(
            "DS answered dossier {} when asked for dossier {number}",
            dossier.number
        ));
    }
    Ok(dossier)
}

async fn archive_dossier(ctx: &Ctx, number: u64, mut node: Value) -> Handled {
    let mut dossier = match read(number, &node) {
        Ok(d) => d,
        Err(reason) => return fail(ctx, number, reason).await,
    };
    let latest = match ctx.journal.lock().await.state().latest(number) {
        Ok(latest) => latest,
        Err(e) => return Handled::Fatal(e),
    };
    if let Some(done) = &latest {
        if done.updated_at() == dossier.updated_at {
            return Handled::Unchanged(number);
        }
    }
    let version = latest.map_or(1, |v| v.version + 1);
    let name = bag::bundle_name(number, version);
    for _ in 0..=MAX_RESTARTS {
        let slot = ctx.commits.building().await;
        let result = build(ctx, &dossier, version, &name, &node).await;
        // Given back before waiting for the commit, which flushes sooner
        // when nothing is being built.
        drop(slot);
        match result {
            Ok((staged, row)) => {
                return match ctx.commits.publish(ctx, staged).await {
                    Ok(()) => {
                        ctx.known_rows().add(number, version, &row);
                        Handled::Archived { number, version }
                    }
                    // Ctrl-C while its batch was being committed: the dossier
                    // did not count (no `dossier_done`), the next run cleans up.
                    Err(_) if ctx.cancel.is_cancelled() => Handled::Abandoned,
                    // The name is taken by other content: never replaced.
                    Err(Error::Conflict(reason)) => fail(ctx, number, reason).await,
                    Err(e) => Handled::Fatal(e),
                };
            }
            Err(Stop::Changed(fresh)) => {
                tracing::info!(
                    dossier = number,
                    "dossier changed at DS while archiving: starting over"
                );
                bag::remove(&ctx.staging, &name);
                dossier = match read(number, &fresh) {
                    Ok(d) => d,
                    Err(reason) => return fail(ctx, number, reason).await,
                };
                node = fresh;
            }
            Err(Stop::Failed(reason)) => {
                bag::remove(&ctx.staging, &name);
                return fail(ctx, number, reason).await;
            }
            Err(Stop::Fatal(e)) => return Handled::Fatal(e),
        }
    }
    let reason = format!("changed at DS {MAX_RESTARTS} times while being archived");
    fail(ctx, number, reason).await
}

/// Record that the dossier failed in this run, and why.
async fn fail(ctx: &Ctx, number: u64, reason: String) -> Handled {
    let event = Event::DossierFailed {
        number,
        reason: reason.clone(),
        run_id: ctx.run_id.clone(),
    };
    match ctx.journal.lock().await.append(event) {
        Ok(()) => Handled::Failed { number, reason },
        Err(e) => Handled::Fatal(e),
    }
}

/// Build the bundle in staging, zip and check it; the commit publishes it.
/// Also returns the bundle's inventory row.
async fn build(
    ctx: &Ctx,
    dossier: &model::Dossier,
    version: u32,
    name: &str,
    node: &Value,
) -> Result<(Staged, KnownRow), Stop> {
    let number = dossier.number;
    let clock = std::time::Instant::now();
    let staging = bag::create(&ctx.staging, name)?;

    let mut node = node.clone();
    let mut attachments = dossier.attachments.clone();
    let paths = layout::plan(&attachments);
    let downloaded =
        attachments::download_all(ctx, number, &mut node, &mut attachments, &paths, &staging)
            .await?;
    let downloaded_at = clock.elapsed();

    let files: Vec<StoredFile> = attachments
        .into_iter()
        .zip(paths)
        .zip(downloaded)
        .map(|((attachment, bag_path), got)| StoredFile {
            bag_path,
            attachment,
            digests: got.digests,
            format: got.format,
        })
        .collect();

    // The dossier as DS returned it, minus the signed URLs: they expire within
    // the hour, change at every request and would make two archives of the
    // same data differ.
    let mut stored_node = node.clone();
    strip_urls(&mut stored_node);
    let dossier_json = json!({ "demarche": ctx.demarche, "dossier": stored_node });
    let mut dossier_bytes = serde_json::to_vec_pretty(&dossier_json)
        .map_err(|e| Stop::Failed(format!("cannot encode dossier.json: {e}")))?;
    dossier_bytes.push(b'\n');
    // Every `File` node of dossier.json is in the bag or left out on purpose.
    super::census::check(&dossier_json, &files).map_err(Stop::Failed)?;

    let software = concat!("ds-archive ", env!("CARGO_PKG_VERSION"));
    let meta = metadata::build(&metadata::Context {
        demarche: &ctx.demarche,
        dossier: &node,
        files: &files,
        software,
        archived_at: &ctx.started_at,
    })
    .map_err(|e| Stop::Failed(e.to_string()))?;
    let generated = [
        ("data/dossier.json".to_owned(), dossier_bytes),
        (metadata::JSON_PATH.to_owned(), metadata::to_json(&meta)),
        (metadata::XML_PATH.to_owned(), metadata::to_xml(&meta)),
    ];
    let mut payload: Vec<(String, Digests)> = files
        .iter()
        .map(|f| (f.bag_path.clone(), f.digests.clone()))
        .collect();
    bag::place_generated(&staging, &generated, &ctx.opts.digests, &mut payload)?;

    let bag_context = bag::tags::DossierContext {
        demarche: &ctx.demarche,
        demarche_number: ctx.opts.demarche,
        run_started_at: &ctx.started_at,
    };
    let info = bag::tags::BagInfo::for_dossier(bag_context, &node, number)
        .map_err(|e| Stop::Failed(format!("bag-info.txt: {e}")))?;
    bag::tags::write_bag_tags(&staging, &payload, &ctx.opts.digests, &info)?;

    bag::check(&staging).map_err(Stop::Failed)?;
    let described_at = clock.elapsed();

    let staged_zip = bag::zip_path(&ctx.staging, name);
    let zip_sha256 = if ctx.opts.keep.zip() {
        let updated_at = dossier.updated_at.clone();
        let (dir, top, zip_path) = (staging.clone(), name.to_owned(), staged_zip.clone());
        tokio::task::spawn_blocking(move || bag::zip(&dir, &top, &zip_path, &updated_at))
            .await
            .map_err(|e| Stop::Failed(format!("zip task failed: {e}")))??
            .sha256
    } else {
        String::new()
    };
    // A large bundle's bytes go to the disk now, while the next dossiers
    // download, rather than all at the commit's flush (small ones are left
    // to the group commit: a hint per file would cost more than it saves).
    let bytes: u64 = payload.iter().map(|(_, d)| d.size).sum();
    let large = bytes >= WRITEBACK_FROM;
    let zipped_at = clock.elapsed();
    if large && ctx.opts.keep.zip() {
        let zip = staged_zip.clone();
        let _ = tokio::task::spawn_blocking(move || crate::fsx::start_writeback(&zip)).await;
    }
    let zip = ctx
        .opts
        .keep
        .zip()
        .then(|| (format!("{name}.zip"), zip_sha256.clone()));
    // The values just written as `metadata.json` and `dossier.json`.
    let meta_json = serde_json::to_value(&meta)
        .map_err(|e| Stop::Failed(format!("cannot encode metadata.json: {e}")))?;
    let row = inventory::row_of_bundle(number, &meta_json, &dossier_json, zip);
    // Attachments were only handed to the kernel as they arrived: the commit
    // makes bag and zip durable, with those of other dossiers, then publishes.
    // --keep zips: the folder was staging only; its zip is read back.
    let bag = if ctx.opts.keep.folder() {
        if large {
            let dir = staging.clone();
            let _ = tokio::task::spawn_blocking(move || start_writeback_tree(&dir)).await;
        }
        Some(staging)
    } else {
        let dir = staging.clone();
        tokio::task::spawn_blocking(move || bag::remove_folder(&dir))
            .await
            .map_err(|e| Stop::Failed(format!("remove task failed: {e}")))??;
        None
    };
    // Where a dossier's time goes, for an operator's `-v` and for traces
    // of a run (each stage from the end of the previous one).
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    tracing::debug!(
        dossier = number,
        files = payload.len(),
        bytes,
        download_ms = ms(downloaded_at),
        describe_check_ms = ms(described_at - downloaded_at),
        zip_ms = ms(zipped_at - described_at),
        stage_ms = ms(clock.elapsed() - zipped_at),
        "dossier built, handed to the commit"
    );
    let staged = Staged {
        name: name.to_owned(),
        bag,
        zip: ctx.opts.keep.zip().then_some(staged_zip),
        done: Event::DossierDone {
            number,
            version,
            updated_at: dossier.updated_at.clone(),
            name: name.to_owned(),
            zip_sha256,
            files: payload.len() as u64,
            bytes,
            run_id: ctx.run_id.clone(),
        },
    };
    Ok((staged, row))
}

/// Bundles of at least this many bytes have their staged files' write-back
/// started as soon as they are zipped ([`crate::fsx::start_writeback`]).
const WRITEBACK_FROM: u64 = 8 << 20;

/// [`crate::fsx::start_writeback`] for every file of a staged bag (`--keep
/// both|folders`: it is published). Best effort.
fn start_writeback_tree(dir: &std::path::Path) {
    for item in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if item.file_type().is_file() {
            crate::fsx::start_writeback(item.path());
        }
    }
}

/// Remove `url` from every `File` object: signed, short-lived, and different
/// at each request. An `AttachmentsColumn`'s `stringValue` joins the same
/// signed URLs: it becomes null.
pub(crate) fn strip_urls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            if map.get("__typename").and_then(Value::as_str) == Some("AttachmentsColumn") {
                if let Some(s) = map.get_mut("stringValue") {
                    *s = Value::Null;
                }
            }
            let is_file = map.get("__typename").and_then(Value::as_str) == Some("File")
                || (map.contains_key("filename") && map.contains_key("checksum"));
            if is_file {
                map.remove("url");
            }
            for child in map.values_mut() {
                strip_urls(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_urls),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_stripped_from_files_only() {
        let mut v = json!({"url": "keep", "pdf": {"__typename": "File", "filename": "a", "url": "http://x?sig"},
                           "columns": [{"__typename": "AttachmentsColumn", "id": "c", "label": "PJ",
                                        "stringValue": "http://x?sig"}],
                           "champs": [{"files": [{"filename": "b", "checksum": "c", "url": "u"}]}]});
        strip_urls(&mut v);
        assert_eq!(v["url"], "keep");
        assert!(v["pdf"].get("url").is_none());
        assert!(v["champs"][0]["files"][0].get("url").is_none());
        assert_eq!(v["columns"][0]["stringValue"], Value::Null);
        assert_eq!(v["columns"][0]["label"], "PJ");
    }
}
