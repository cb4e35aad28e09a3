//! One listing of the démarche (all dossiers, or one state), archived as a
//! continuous stream of dossiers.
//!
//! Pages are asked for by a task of their own, one page ahead, so the pause
//! the rate limit imposes between two requests is spent archiving. Dossiers
//! are tasks (their work runs on every core) with a bounded number in flight
//! that does not drain at page boundaries: with a barrier per page, the last
//! dossiers of each page left cores idle while the next page waited for them.
//! A page's cursor is still saved only once every dossier of that page and of
//! the pages before it is settled ([`Settled`]), which is what makes a killed
//! run resume without skipping anything.

use std::collections::VecDeque;
use std::sync::Arc;

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio_util::task::AbortOnDropHandle;

use super::{dossier, run_error, tally, Ctx, Summary};
use crate::ds_list::{self, Listing, Pager};
use crate::error::{Error, Result};
use crate::journal::{CompactSet, Event};

/// A page as handed over by the page task: its dossiers and the cursor to
/// resume after it.
type Fetched = Result<Option<(ds_list::Page, Option<String>)>>;

pub(super) async fn list_and_archive(
    ctx: &Arc<Ctx>,
    listing: Listing,
    seen: &mut CompactSet<u64>,
    summary: &mut Summary,
) -> Result<()> {
    let key = listing.key();
    let cursor = {
        let j = ctx.journal.lock().await;
        j.state()
            .last_run
            .as_ref()
            .and_then(|r| r.cursors.get(&key).cloned())
    };
    let pager = Pager::new(listing, cursor, ctx.opts.page_size);
    // Capacity 1: with the page being fetched, at most two pages ahead.
    let (tx, mut pages) = mpsc::channel::<Fetched>(1);
    let _pager_task = AbortOnDropHandle::new(tokio::spawn(fetch_pages(Arc::clone(ctx), pager, tx)));

    let limit = dossiers_in_flight(&ctx.opts);
    let mut settled = Settled::default();
    let mut queue: VecDeque<(u64, ds_list::Listed)> = VecDeque::new();
    // A task left behind by an error is aborted when `running` is dropped.
    let mut running = FuturesUnordered::new();
    let mut listed_all = false;
    loop {
        while running.len() < limit && !ctx.cancel.is_cancelled() {
            let Some((page, listed)) = queue.pop_front() else {
                break;
            };
            let work = dossier::handle(Arc::clone(ctx), listed.number, listed.node);
            let task = AbortOnDropHandle::new(tokio::spawn(work));
            running.push(async move { (page, task.await) });
        }
        let want_page = !listed_all && queue.len() < limit && !ctx.cancel.is_cancelled();
        if running.is_empty() && !want_page {
            // Everything listed is settled, or the run was cancelled.
            return Ok(());
        }
        tokio::select! {
            Some((page, joined)) = running.next(), if !running.is_empty() => {
                let handled = joined.unwrap_or_else(|e| {
                    dossier::Handled::Fatal(Error::Internal(format!("a dossier task failed: {e}")))
                });
                let unchanged = match handled {
                    dossier::Handled::Unchanged(number) => Some(number),
                    _ => None,
                };
                tally(handled, summary)?;
                settled.dossier_done(page, unchanged);
            }
            fetched = pages.recv(), if want_page => match fetched {
                None | Some(Ok(None)) => listed_all = true,
                // A page that cannot be read in full ends this listing, not
                // the run: the dossiers already under way are settled (their
                // pages' cursors saved), and the run reports itself incomplete.
                Some(Err(e @ Error::Malformed { .. })) => {
                    tracing::error!("the listing stopped: {e}");
                    summary.listing_error = Some(e.to_string());
                    listed_all = true;
                }
                Some(Err(e)) => return Err(e),
                Some(Ok(Some((page, cursor)))) => {
                    ctx.progress.listed(page.nodes.len() as u64);
                    // The listing may return a dossier twice (overlap, updates
                    // during the run): handle each number once per run.
                    let nodes: Vec<ds_list::Listed> = page
                        .nodes
                        .into_iter()
                        .filter(|l| seen.add(l.number))
                        .collect();
                    let seq = settled.page(nodes.len(), cursor);
                    queue.extend(nodes.into_iter().map(|n| (seq, n)));
                }
            },
        }
        // A cancelled run may have abandoned dossiers: no cursor vouches for
        // them. Of the pages settled at once, the last cursor says it all.
        if !ctx.cancel.is_cancelled() {
            if let Some(cursor) = settled.take().pop() {
                ctx.journal.lock().await.append(Event::Cursor {
                    run_id: ctx.run_id.clone(),
                    listing: key.clone(),
                    cursor,
                    unchanged: std::mem::take(&mut settled.unchanged),
                })?;
            }
        }
    }
}

/// Fetch pages until the listing ends, fails or the run is cancelled.
async fn fetch_pages(ctx: Arc<Ctx>, mut pager: Pager, tx: mpsc::Sender<Fetched>) {
    loop {
        let page = if ctx.cancel.is_cancelled() {
            Ok(None)
        } else {
            tokio::select! {
                page = pager.next(&ctx.client) => page.map_err(|e| run_error(e, ctx.opts.demarche)),
                () = ctx.cancel.cancelled() => Ok(None),
            }
        };
        let more = matches!(page, Ok(Some(_)));
        let item = page.map(|p| p.map(|p| (p, pager.cursor().map(str::to_owned))));
        if tx.send(item).await.is_err() || !more {
            return;
        }
    }
}

/// Dossiers built at once: twice the parallel downloads, so that while some
/// dossiers are zipped or checked, others keep every download slot busy
/// (downloads stay bounded by `--concurrency`).
pub(super) fn builders(opts: &super::Options) -> usize {
    opts.concurrency.max(1) * 2
}

/// Dossier tasks at once: those being built, and up to two commit batches
/// waiting to be made durable (they hold no build slot).
fn dossiers_in_flight(opts: &super::Options) -> usize {
    builders(opts) + 2 * super::commit::BATCH
}

/// Which pages are settled, in listing order: a page's cursor may be saved
/// once its dossiers and those of every earlier page are settled.
#[derive(Debug, Default)]
struct Settled {
    /// Sequence number of the first page in `pending`.
    first: u64,
    /// Per page still pending: dossiers not settled yet, its cursor, and
    /// the dossiers of it found unchanged.
    pending: VecDeque<(usize, Option<String>, Vec<u64>)>,
    /// Dossiers found unchanged on settled pages, for the next saved cursor
    /// to record (a resumed run does not list those pages again).
    unchanged: Vec<u64>,
}

impl Settled {
    /// A page of `dossiers` was listed; returns its sequence number.
    fn page(&mut self, dossiers: usize, cursor: Option<String>) -> u64 {
        self.pending.push_back((dossiers, cursor, Vec::new()));
        self.first + self.pending.len() as u64 - 1
    }

    /// One dossier of page `seq` is settled (found `unchanged`, maybe).
    fn dossier_done(&mut self, seq: u64, unchanged: Option<u64>) {
        let Some(index) = seq.checked_sub(self.first) else {
            return;
        };
        if let Some((left, _, same)) = usize::try_from(index)
            .ok()
            .and_then(|i| self.pending.get_mut(i))
        {
            *left = left.saturating_sub(1);
            same.extend(unchanged);
        }
    }

    /// The cursors of the pages now settled, oldest first (pages that had
    /// none, such as an empty last page, give nothing to save).
    fn take(&mut self) -> Vec<String> {
        let mut cursors = Vec::new();
        while let Some((0, _, _)) = self.pending.front() {
            if let Some((_, cursor, unchanged)) = self.pending.pop_front() {
                cursors.extend(cursor);
                self.unchanged.extend(unchanged);
            }
            self.first += 1;
        }
        cursors
    }
}

#[cfg(test)]
mod tests {
    use super::Settled;

    fn c(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn a_cursor_waits_for_its_page_and_every_page_before() {
        let mut s = Settled::default();
        let p0 = s.page(2, c("a"));
        let p1 = s.page(1, c("b"));
        s.dossier_done(p1, None);
        assert!(s.take().is_empty(), "page 1 is done but page 0 is not");
        s.dossier_done(p0, None);
        assert!(
            s.take().is_empty(),
            "one dossier of page 0 is still running"
        );
        s.dossier_done(p0, None);
        assert_eq!(s.take(), vec!["a".to_owned(), "b".to_owned()]);
        assert!(s.take().is_empty(), "a cursor is given once");
    }

    #[test]
    fn empty_pages_settle_at_once_in_order() {
        let mut s = Settled::default();
        let p0 = s.page(1, c("a"));
        s.page(0, c("b"));
        assert!(s.take().is_empty());
        s.dossier_done(p0, None);
        assert_eq!(s.take(), vec!["a".to_owned(), "b".to_owned()]);
        s.page(0, None);
        assert!(s.take().is_empty(), "a page without cursor saves nothing");
        let p3 = s.page(1, c("d"));
        assert_eq!(p3, 3);
        s.dossier_done(p3, None);
        assert_eq!(s.take(), vec!["d".to_owned()]);
    }

    #[test]
    fn unchanged_dossiers_wait_for_their_page_to_settle() {
        let mut s = Settled::default();
        let p0 = s.page(2, c("a"));
        s.dossier_done(p0, Some(7));
        assert!(s.take().is_empty() && s.unchanged.is_empty());
        s.dossier_done(p0, None);
        assert_eq!(s.take(), vec!["a".to_owned()]);
        assert_eq!(s.unchanged, [7]);
    }
}
