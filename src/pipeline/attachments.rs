//! The attachments of one dossier: every file downloaded into its staging
//! bag, with retries for what is transient and fresh URLs when DS's signed
//! ones have expired (they last an hour; a large dossier may outlive them).
//!
//! Apart from [`super::dossier`] because it is the one part of a dossier's
//! work that talks to DS again, and decides when the dossier must be started
//! over: if the dossier changed at DS while its files were being fetched, its
//! bundle would mix two versions.

use std::path::Path;

use futures_util::StreamExt as _;
use serde_json::Value;

use super::{Ctx, Stop};
use crate::digest::DigestAlg;
use crate::download::{self, DownloadError, Downloaded};
use crate::ds_list;
use crate::error::Error;
use crate::model::{self, Attachment};

/// Download every attachment, refreshing expired URLs from DS as needed.
pub(super) async fn download_all(
    ctx: &Ctx,
    number: u64,
    node: &mut Value,
    attachments: &mut [Attachment],
    paths: &[String],
    staging: &Path,
) -> Result<Vec<Downloaded>, Stop> {
    let mut results: Vec<Option<Downloaded>> = vec![None; attachments.len()];
    let mut refreshes = 0;
    loop {
        let pending: Vec<usize> = (0..attachments.len())
            .filter(|&i| results[i].is_none())
            .collect();
        if pending.is_empty() {
            break;
        }
        let pending_len = pending.len();
        let outcomes: Vec<(usize, Result<Downloaded, DownloadError>)> =
            futures_util::stream::iter(pending)
                .map(|i| {
                    let dest = staging.join(&paths[i]);
                    let att = &attachments[i];
                    async move { (i, download_with_retry(ctx, att, &dest).await) }
                })
                // Every file of the dossier queues for a download slot at
                // once: the slots are handed out first come, first served,
                // so the dossiers started first finish first and are zipped
                // and committed while later ones download. Polling only
                // `concurrency` of them sent a dossier's fifth file to the
                // back of the queue, behind every other dossier's first
                // four: all the bags then finished together at the end.
                .buffer_unordered(pending_len.max(1))
                .collect()
                .await;
        let mut refused = false;
        for (i, outcome) in outcomes {
            match outcome {
                Ok(d) => results[i] = Some(d),
                Err(DownloadError::UrlRefused { .. }) => refused = true,
                Err(e @ DownloadError::Io { .. }) => {
                    return Err(Stop::Fatal(Error::Io {
                        action: "write attachment",
                        path: staging.join(&paths[i]),
                        source: std::io::Error::other(e.to_string()),
                    }))
                }
                Err(e) => {
                    return Err(Stop::Failed(format!(
                        "`{}` ({}): {e}",
                        attachments[i].filename, paths[i]
                    )))
                }
            }
        }
        if refused {
            refreshes += 1;
            if refreshes > 3 {
                return Err(Stop::Failed(
                    "file URLs still refused after asking DS for fresh ones 3 times".into(),
                ));
            }
            tracing::info!(
                dossier = number,
                "file URLs expired: asking DS for fresh ones"
            );
            let fresh = ds_list::dossier(&ctx.client, number)
                .await
                .map_err(|e| Stop::Failed(format!("cannot refresh file URLs: {e}")))?;
            let moved = model::str_field(&fresh, "dateDerniereModification")
                != model::str_field(node, "dateDerniereModification");
            let fresh_atts = model::parse_dossier(&fresh)
                .map_err(|e| Stop::Failed(format!("cannot refresh file URLs: {e}")))?
                .attachments;
            let same_files = fresh_atts.len() == attachments.len()
                && fresh_atts
                    .iter()
                    .zip(attachments.iter())
                    .all(|(a, b)| a.filename == b.filename && a.json_path == b.json_path);
            if moved || !same_files {
                return Err(Stop::Changed(fresh));
            }
            for (att, f) in attachments.iter_mut().zip(fresh_atts) {
                att.url = f.url;
            }
            *node = fresh;
        }
    }
    Ok(results.into_iter().flatten().collect())
}

async fn download_with_retry(
    ctx: &Ctx,
    att: &Attachment,
    dest: &Path,
) -> Result<Downloaded, DownloadError> {
    let policy = ctx.client.retry_policy().clone();
    let sha512 = ctx.opts.digests.contains(&DigestAlg::Sha512);
    let progress = ctx.progress.clone();
    let on_bytes = move |n| progress.bytes(n);
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = {
            let _permit = ctx
                .downloads
                .acquire()
                .await
                .map_err(|_| DownloadError::Transient("shutting down".into()))?;
            download::download(ctx.client.http(), att, dest, sha512, &on_bytes).await
        };
        match result {
            Err(e @ (DownloadError::Transient(_) | DownloadError::Mismatch(_)))
                if attempt < policy.max_attempts =>
            {
                ctx.progress.retry();
                let delay = policy.backoff(attempt);
                tracing::warn!(file = %att.filename, attempt, "download failed, retrying: {e}");
                tokio::time::sleep(delay).await;
            }
            other => return other,
        }
    }
}
