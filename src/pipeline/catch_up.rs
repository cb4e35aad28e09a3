//! What a listing of changes alone would miss, asked for after it: the
//! dossiers that failed in an earlier run and have not changed since (an
//! incremental listing does not return them), and the dossiers deleted at
//! DS, recorded in the journal so that the archive says what became of them.

use std::sync::Arc;

use super::{dossier, runs, tally, Ctx, Summary};
use crate::ds_list;
use crate::error::Result;
use crate::journal::{CompactSet, Event};
use crate::model::{self, DossierState};

/// Dossiers that failed in an earlier run and were not listed in this one
/// (an incremental listing only returns what changed): ask DS for each again.
pub(super) async fn retry_failed(
    ctx: &Arc<Ctx>,
    seen: &CompactSet<u64>,
    summary: &mut Summary,
) -> Result<()> {
    let failed: Vec<u64> = {
        let j = ctx.journal.lock().await;
        j.state()
            .failed
            .keys()
            .copied()
            .filter(|n| !seen.contains(*n))
            .collect()
    };
    for number in failed {
        if ctx.cancel.is_cancelled() {
            break;
        }
        let node = match ds_list::dossier(&ctx.client, number).await {
            Ok(node) => node,
            Err(e) => {
                summary
                    .failed
                    .push((number, format!("cannot fetch it again: {e}")));
                continue;
            }
        };
        if runs::moved_out(&node, ctx.opts.groupe) {
            // Now another groupe's: that groupe's runs archive it.
            continue;
        }
        if !ctx.opts.states.is_empty() {
            let state = model::str_field(&node, "state").and_then(DossierState::from_api);
            if !state.is_some_and(|s| ctx.opts.states.contains(&s)) {
                continue;
            }
        }
        let handled = dossier::handle(Arc::clone(ctx), number, node).await;
        tally(handled, summary)?;
    }
    Ok(())
}

pub(super) async fn record_deletions(
    ctx: &Arc<Ctx>,
    since: Option<&str>,
    summary: &mut Summary,
) -> Result<()> {
    let deleted =
        match ds_list::deleted(&ctx.client, ctx.opts.demarche, ctx.opts.groupe, since).await {
            Ok(d) => d,
            Err(e) => {
                // The dossiers themselves are archived; a deletion list we could
                // not read fails the run (exit code 1), it does not stop it.
                tracing::error!("could not list the dossiers deleted at DS: {e}");
                summary.deletions_error = Some(e.to_string());
                return Ok(());
            }
        };
    let mut journal = ctx.journal.lock().await;
    for d in deleted {
        let known = journal.state().deleted.get(&d.number);
        let entry = (d.reason.clone(), d.date.clone(), d.pending);
        if known != Some(&entry) {
            journal.append(Event::Deleted {
                number: d.number,
                reason: d.reason.clone(),
                date: d.date.clone(),
                pending: d.pending,
                run_id: Some(ctx.run_id.clone()),
            })?;
            summary.deleted.push(d);
        }
    }
    Ok(())
}
