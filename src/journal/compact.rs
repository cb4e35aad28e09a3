//! A sorted map of small fixed-size keys and values in one buffer, for the
//! per-dossier sets a run keeps (dossiers seen by the listing, the run's
//! tally): issue #16, memory flat in the number of dossiers.
//!
//! A `BTreeMap<u64, _>` costs 30-40 bytes a dossier in nodes of a few hundred
//! bytes, allocated all through the run on whatever thread handled the
//! dossier: long-lived small blocks among short-lived ones, which keep glibc's
//! arenas from giving pages back (docs/benchmarks.md, "Memory"). Here a
//! dossier costs its key and value (8 or 12 bytes, 16 with padding) in one
//! large `Vec` the allocator maps and unmaps whole, plus a bounded sorted
//! tail of the latest additions that is merged in, from the back and in
//! place, when it fills.

use std::collections::BTreeMap;

/// Additions kept in the tail before it is merged into the sorted part.
const TAIL: usize = 4096;

/// A sorted map from `K` to `V`, one key once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompactMap<K, V> {
    /// Sorted by key, no key twice, none of the tail's.
    sorted: Vec<(K, V)>,
    /// Latest additions whose key is not in `sorted`.
    tail: BTreeMap<K, V>,
}

/// A sorted set of `K`.
pub type CompactSet<K> = CompactMap<K, ()>;

impl<K, V> Default for CompactMap<K, V> {
    fn default() -> Self {
        Self {
            sorted: Vec::new(),
            tail: BTreeMap::new(),
        }
    }
}

impl<K: Ord + Copy, V: Copy> CompactMap<K, V> {
    /// Set `key` to `value`; returns whether the key is new.
    pub fn insert(&mut self, key: K, value: V) -> bool {
        if let Ok(i) = self.sorted.binary_search_by_key(&key, |e| e.0) {
            self.sorted[i].1 = value;
            return false;
        }
        let new = self.tail.insert(key, value).is_none();
        if self.tail.len() >= TAIL {
            self.merge_tail();
        }
        new
    }

    /// Remove `key`; returns whether it was there.
    pub fn remove(&mut self, key: K) -> bool {
        if let Ok(i) = self.sorted.binary_search_by_key(&key, |e| e.0) {
            self.sorted.remove(i);
            return true;
        }
        self.tail.remove(&key).is_some()
    }

    /// The value of `key`.
    #[must_use]
    pub fn get(&self, key: K) -> Option<V> {
        match self.sorted.binary_search_by_key(&key, |e| e.0) {
            Ok(i) => Some(self.sorted[i].1),
            Err(_) => self.tail.get(&key).copied(),
        }
    }

    /// Whether `key` is there.
    #[must_use]
    pub fn contains(&self, key: K) -> bool {
        self.get(key).is_some()
    }

    /// Keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.sorted.len() + self.tail.len()
    }

    /// No key.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key and value, by key.
    pub fn iter(&self) -> impl Iterator<Item = (K, V)> + '_ {
        let mut a = self.sorted.iter().copied().peekable();
        let mut b = self.tail.iter().map(|(k, v)| (*k, *v)).peekable();
        std::iter::from_fn(move || match (a.peek(), b.peek()) {
            (Some(x), Some(y)) if y.0 < x.0 => b.next(),
            (Some(_), _) => a.next(),
            (None, _) => b.next(),
        })
    }

    /// Every key, in order.
    pub fn keys(&self) -> impl Iterator<Item = K> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// Merge the tail into the sorted part, from the back: each element
    /// moves once, and no second buffer is needed.
    fn merge_tail(&mut self) {
        let tail = std::mem::take(&mut self.tail);
        let old = self.sorted.len();
        let Some((&k, &v)) = tail.iter().next() else {
            return;
        };
        self.sorted.resize(old + tail.len(), (k, v));
        let mut i = old; // elements of the old sorted part left: [0, i)
        let mut out = self.sorted.len();
        for (k, v) in tail.into_iter().rev() {
            while i > 0 && self.sorted[i - 1].0 > k {
                out -= 1;
                i -= 1;
                self.sorted[out] = self.sorted[i];
            }
            out -= 1;
            self.sorted[out] = (k, v);
        }
    }
}

impl<K: Ord + Copy> CompactMap<K, ()> {
    /// Add `key`; returns whether it is new.
    pub fn add(&mut self, key: K) -> bool {
        self.insert(key, ())
    }
}

impl<K: Ord + Copy> Extend<K> for CompactMap<K, ()> {
    fn extend<I: IntoIterator<Item = K>>(&mut self, iter: I) {
        for k in iter {
            self.add(k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_like_a_btree_map_across_merges() {
        let mut map = CompactMap::default();
        let mut model = BTreeMap::new();
        // A scrambled order, with repeats and removals, over several merges.
        for i in 0..20_000u64 {
            let k = (i * 7919) % 9_001;
            let v = u32::try_from(i % 13).unwrap();
            assert_eq!(map.insert(k, v), model.insert(k, v).is_none(), "key {k}");
            if i % 97 == 0 {
                let gone = (i * 31) % 9_001;
                assert_eq!(map.remove(gone), model.remove(&gone).is_some());
            }
        }
        assert_eq!(map.len(), model.len());
        assert!(map.iter().eq(model.iter().map(|(k, v)| (*k, *v))));
        for k in [0, 1, 4_500, 9_000, 9_001] {
            assert_eq!(map.get(k), model.get(&k).copied());
        }
    }
}
