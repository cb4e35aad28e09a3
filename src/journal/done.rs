//! The complete dossier versions a journal replays into, held compactly
//! (issue #16: memory flat in the number of dossiers).
//!
//! A heap profile of `archive` on 2·10⁴ generated dossiers (docs/benchmarks.md,
//! "Memory") put the largest per-dossier holder here: a `BTreeMap` of a `Vec`
//! of versions, each with three `String`s, about 540 heap bytes and five small
//! allocations a dossier. Small long-lived allocations interleaved with the
//! run's short-lived ones also keep the allocator from giving pages back, so
//! they cost more RSS than their bytes.
//!
//! Here a version is one fixed-size record with no allocation of its own in
//! the usual case: the zip's SHA-256 as 32 bytes, DS's date inline, the bag
//! name left out when it is the one [`crate::bag::bundle_name`] gives. The
//! records live in one `Vec` sorted by (number, version), with a short
//! unsorted tail for the latest additions that is sorted in when it fills:
//! lookups stay a binary search, and the one large buffer is handed back to
//! the system whole when it moves. What a line said is given back exactly
//! (dates, names and digests that do not fit the compact forms are kept as
//! written).

use std::borrow::Cow;

/// Additions kept unsorted before they are sorted into the rest.
const TAIL: usize = 1024;

/// A complete dossier version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoneVersion {
    /// Dossier number.
    pub number: u64,
    /// Version number.
    pub version: u32,
    /// Payload files.
    pub files: u64,
    /// Payload bytes.
    pub bytes: u64,
    updated_at: Short,
    /// `None`: the usual name for `number` and `version`.
    name: Option<Box<str>>,
    zip_sha256: Sha,
}

impl DoneVersion {
    /// A version as a `dossier_done` line gives it.
    #[must_use]
    pub fn new(
        number: u64,
        version: u32,
        updated_at: &str,
        name: &str,
        zip_sha256: &str,
        files: u64,
        bytes: u64,
    ) -> Self {
        let usual = crate::bag::bundle_name(number, version) == name;
        Self {
            number,
            version,
            files,
            bytes,
            updated_at: Short::new(updated_at),
            name: (!usual).then(|| name.into()),
            zip_sha256: Sha::new(zip_sha256),
        }
    }

    /// DS's last modification date of the archived data.
    #[must_use]
    pub fn updated_at(&self) -> &str {
        self.updated_at.as_str()
    }

    /// The bag folder's name.
    #[must_use]
    pub fn name(&self) -> Cow<'_, str> {
        match &self.name {
            Some(name) => Cow::Borrowed(name),
            None => Cow::Owned(crate::bag::bundle_name(self.number, self.version)),
        }
    }

    /// SHA-256 of the zip as the journal wrote it (empty: no zip).
    #[must_use]
    pub fn zip_sha256(&self) -> Cow<'_, str> {
        self.zip_sha256.as_str()
    }

    /// Whether the version has a zip.
    #[must_use]
    pub fn has_zip(&self) -> bool {
        !matches!(self.zip_sha256, Sha::None)
    }

    fn key(&self) -> (u64, u32) {
        (self.number, self.version)
    }
}

/// Every complete version of every dossier.
#[derive(Debug, Default, Clone)]
pub struct DoneSet {
    /// Sorted by (number, version), no key twice.
    sorted: Vec<DoneVersion>,
    /// Latest additions, not in `sorted`, no key twice.
    tail: Vec<DoneVersion>,
    dossiers: usize,
    versions: usize,
}

impl DoneSet {
    /// Record a version; one with the same number and version replaces it.
    pub fn insert(&mut self, v: DoneVersion) {
        let key = v.key();
        if let Ok(i) = self.sorted.binary_search_by_key(&key, DoneVersion::key) {
            self.sorted[i] = v;
            return;
        }
        if let Some(old) = self.tail.iter_mut().find(|t| t.key() == key) {
            *old = v;
            return;
        }
        if self.latest(v.number).is_none() {
            self.dossiers += 1;
        }
        self.versions += 1;
        self.tail.push(v);
        if self.tail.len() >= TAIL {
            self.sorted.append(&mut self.tail);
            // Two sorted runs, or nearly sorted: in place, no second buffer.
            self.sorted.sort_unstable_by_key(DoneVersion::key);
        }
    }

    /// The highest version of a dossier.
    #[must_use]
    pub fn latest(&self, number: u64) -> Option<&DoneVersion> {
        let end = self.sorted.partition_point(|v| v.number <= number);
        let sorted = end
            .checked_sub(1)
            .map(|i| &self.sorted[i])
            .filter(|v| v.number == number);
        let tail = self
            .tail
            .iter()
            .filter(|v| v.number == number)
            .max_by_key(|v| v.version);
        match (sorted, tail) {
            (Some(a), Some(b)) => Some(if b.version > a.version { b } else { a }),
            (a, b) => a.or(b),
        }
    }

    /// Version `version` of dossier `number`.
    #[must_use]
    pub fn get(&self, number: u64, version: u32) -> Option<&DoneVersion> {
        let key = (number, version);
        match self.sorted.binary_search_by_key(&key, DoneVersion::key) {
            Ok(i) => Some(&self.sorted[i]),
            Err(_) => self.tail.iter().find(|v| v.key() == key),
        }
    }

    /// Dossiers with at least one version.
    #[must_use]
    pub fn len(&self) -> usize {
        self.dossiers
    }

    /// No version at all.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.dossiers == 0
    }

    /// Versions of every dossier.
    #[must_use]
    pub fn versions(&self) -> usize {
        self.versions
    }

    /// Every version, by number then version.
    pub fn iter(&self) -> impl Iterator<Item = &DoneVersion> + '_ {
        let mut tail: Vec<&DoneVersion> = self.tail.iter().collect();
        tail.sort_unstable_by_key(|v| v.key());
        Merge {
            a: self.sorted.iter().peekable(),
            b: tail.into_iter().peekable(),
        }
    }

    /// Every dossier with its versions (oldest first), by number.
    pub fn by_dossier(&self) -> impl Iterator<Item = (u64, Vec<&DoneVersion>)> + '_ {
        let mut all = self.iter().peekable();
        std::iter::from_fn(move || {
            let first = all.next()?;
            let mut versions = vec![first];
            while let Some(v) = all.next_if(|v| v.number == first.number) {
                versions.push(v);
            }
            Some((first.number, versions))
        })
    }

    /// Dossiers with more than one version, by number.
    pub fn several(&self) -> impl Iterator<Item = (u64, Vec<&DoneVersion>)> + '_ {
        self.by_dossier().filter(|(_, v)| v.len() > 1)
    }
}

/// Two sorted iterators as one.
struct Merge<'a, A: Iterator<Item = &'a DoneVersion>, B: Iterator<Item = &'a DoneVersion>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<'a, A: Iterator<Item = &'a DoneVersion>, B: Iterator<Item = &'a DoneVersion>> Iterator
    for Merge<'a, A, B>
{
    type Item = &'a DoneVersion;
    fn next(&mut self) -> Option<Self::Item> {
        match (self.a.peek(), self.b.peek()) {
            (Some(a), Some(b)) if b.key() < a.key() => self.b.next(),
            (Some(_), _) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

/// Bytes of text held inline (DS dates are 20 to 29).
const INLINE: usize = 30;

/// A short string held inline, a longer one on the heap.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Short {
    Inline(u8, [u8; INLINE]),
    Heap(Box<str>),
}

impl Short {
    fn new(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= INLINE => {
                let mut bytes = [0; INLINE];
                bytes[..s.len()].copy_from_slice(s.as_bytes());
                Self::Inline(len, bytes)
            }
            _ => Self::Heap(s.into()),
        }
    }

    fn as_str(&self) -> &str {
        match self {
            Self::Inline(len, bytes) => {
                // Built from a whole `&str`: always valid UTF-8.
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Self::Heap(s) => s,
        }
    }
}

/// A zip digest: 32 bytes when the line held 64 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sha {
    None,
    Bytes([u8; 32]),
    Other(Box<str>),
}

impl Sha {
    fn new(hex: &str) -> Self {
        if hex.is_empty() {
            return Self::None;
        }
        let lower = hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        let mut out = [0; 32];
        if lower && hex.len() == 64 && hex::decode_to_slice(hex, &mut out).is_ok() {
            Self::Bytes(out)
        } else {
            Self::Other(hex.into())
        }
    }

    fn as_str(&self) -> Cow<'_, str> {
        match self {
            Self::None => Cow::Borrowed(""),
            Self::Bytes(b) => Cow::Owned(hex::encode(b)),
            Self::Other(s) => Cow::Borrowed(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(number: u64, version: u32) -> DoneVersion {
        let name = crate::bag::bundle_name(number, version);
        DoneVersion::new(
            number,
            version,
            "2024-01-01T00:00:00+01:00",
            &name,
            "",
            1,
            2,
        )
    }

    #[test]
    fn gives_back_what_the_line_said() {
        let sha = "ab".repeat(32);
        let odd_date = "2024-01-01T00:00:00.123456789+01:00 (and more)";
        for (name, sha, date) in [
            ("dossier-7", sha.as_str(), "2024-01-01T00:00:00+01:00"),
            ("dossier-7-renamed", "00", odd_date),
            ("dossier-7", &sha.to_uppercase(), ""),
        ] {
            let d = DoneVersion::new(7, 1, date, name, sha, 3, 4);
            assert_eq!(
                (d.name().as_ref(), d.zip_sha256().as_ref(), d.updated_at()),
                (name, sha, date)
            );
        }
        assert!(!DoneVersion::new(7, 1, "", "dossier-7", "", 0, 0).has_zip());
    }

    #[test]
    fn finds_the_latest_version_across_the_sorted_part_and_the_tail() {
        let mut set = DoneSet::default();
        // Descending numbers: every addition lands before the sorted part.
        for n in (0..3000u64).rev() {
            set.insert(v(n, 1));
        }
        for n in (0..3000u64).step_by(7) {
            set.insert(v(n, 2));
        }
        set.insert(v(14, 3));
        assert_eq!(set.len(), 3000);
        assert_eq!(set.versions(), 3000 + 429 + 1);
        assert_eq!(set.latest(14).map(|v| v.version), Some(3));
        assert_eq!(set.latest(7).map(|v| v.version), Some(2));
        assert_eq!(set.latest(8).map(|v| v.version), Some(1));
        assert!(set.latest(3000).is_none());
        // A given version, in the sorted part or in the tail.
        assert_eq!(set.get(14, 3).map(|v| v.version), Some(3));
        assert_eq!(set.get(7, 1).map(|v| (v.number, v.version)), Some((7, 1)));
        assert!(set.get(8, 2).is_none() && set.get(3000, 1).is_none());
        let keys: Vec<(u64, u32)> = set.iter().map(DoneVersion::key).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(keys, sorted, "iteration is by number then version");
        assert_eq!(set.several().count(), 429);
        let (n, versions) = set.several().find(|(n, _)| *n == 14).unwrap();
        assert_eq!(
            (n, versions.iter().map(|v| v.version).collect::<Vec<_>>()),
            (14, vec![1, 2, 3])
        );
        // The same version again replaces it, counts nothing new.
        set.insert(v(14, 3));
        assert_eq!((set.len(), set.versions()), (3000, 3430));
    }
}
