//! The small thread pool that spreads the bag reader's hashing (`verify`'s)
//! across cores.
//!
//! Every file is read once, in large blocks, and fed to every algorithm its
//! manifests use (`crate::digest::hash_reader`). Work is shared through an
//! atomic index over a list sorted biggest first, so one large file does not
//! end up last on a busy core.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Map `f` over `items` on `jobs` threads; each thread builds its own state
/// with `init` (e.g. its own zip reader). Results keep the items' order.
pub fn parallel_map<T, S, R>(
    items: &[T],
    jobs: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    // One mechanism: results come back in any order, each put in its place.
    let indexed: Vec<(usize, &T)> = items.iter().enumerate().collect();
    let mut results: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    parallel_for_each(
        &indexed,
        jobs,
        init,
        |state, &(i, item)| (i, f(state, item)),
        |(i, r)| results[i] = Some(r),
    );
    results.into_iter().flatten().collect()
}

/// Run `f` over `items` on `jobs` threads (each with its own state from
/// `init`) and hand each result to `sink` as soon as it is ready, in no set
/// order: unlike [`parallel_map`], nothing is held for all the items, so a
/// caller that folds the results as they come (`verify` of an archive of
/// 10⁵ dossiers) stays flat in memory.
pub fn parallel_for_each<T, S, R>(
    items: &[T],
    jobs: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
    mut sink: impl FnMut(R) + Send,
) where
    T: Sync,
{
    let jobs = jobs.max(1).min(items.len());
    if jobs <= 1 {
        let mut state = init();
        for item in items {
            sink(f(&mut state, item));
        }
        return;
    }
    let next = AtomicUsize::new(0);
    let sink = Mutex::new(sink);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(&mut state, item);
                    let mut sink = sink
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    sink(r);
                }
            });
        }
    });
}

/// [`parallel_for_each`] over items drawn from an iterator as threads free
/// up (a folder being walked), so that the items are never all held.
pub fn parallel_for_each_iter<T, S, R>(
    items: impl Iterator<Item = T> + Send,
    jobs: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, T) -> R + Sync,
    mut sink: impl FnMut(R) + Send,
) {
    if jobs <= 1 {
        let mut state = init();
        for item in items {
            sink(f(&mut state, item));
        }
        return;
    }
    let items = Mutex::new(items);
    let sink = Mutex::new(sink);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut state = init();
                loop {
                    let item = items
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .next();
                    let Some(item) = item else { break };
                    let r = f(&mut state, item);
                    let mut sink = sink
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    sink(r);
                }
            });
        }
    });
}

/// The default `--jobs`: the cores this process may use.
#[must_use]
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_map_keeps_order_and_uses_state() {
        let items: Vec<u32> = (0..100).collect();
        let out = parallel_map(&items, 4, || 1u32, |k, x| x * 2 + *k);
        assert_eq!(out, items.iter().map(|x| x * 2 + 1).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u32], 4, || (), |(), x| *x).is_empty());
    }

    #[test]
    fn parallel_for_each_hands_every_result_once() {
        let items: Vec<u32> = (0..1000).collect();
        for jobs in [1, 3] {
            let mut seen = Vec::new();
            parallel_for_each(&items, jobs, || (), |(), x| x * 2, |r| seen.push(r));
            seen.sort_unstable();
            assert_eq!(seen, items.iter().map(|x| x * 2).collect::<Vec<_>>());
            let mut drawn = Vec::new();
            parallel_for_each_iter(items.iter(), jobs, || (), |(), x| x * 2, |r| drawn.push(r));
            drawn.sort_unstable();
            assert_eq!(drawn, seen);
        }
    }
}
