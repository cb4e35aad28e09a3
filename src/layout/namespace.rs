//! Allocation of unique names inside one bag.
//!
//! Two names clash when they are equal after NFC and lowercasing, because
//! that is what a case-insensitive (Windows, macOS) or normalising (macOS)
//! filesystem would merge. A folder and a file clash too. The first claimant
//! of a name keeps it; later ones get `-2`, `-3`... in the order they are
//! asked for, so the outcome depends only on the order of the requests.

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

use super::sanitize::with_suffix;

/// The comparison key of a name or path: NFC, then lowercase, then NFC again
/// (lowercasing may produce decomposed sequences).
#[must_use]
pub fn fold(s: &str) -> String {
    let nfc: String = s.nfc().collect();
    nfc.to_lowercase().nfc().collect()
}

#[derive(Debug, PartialEq, Eq)]
enum Owner {
    /// A folder, with the caller's identity for it (e.g. `champ:<id>`).
    Dir(String),
    /// A file.
    File,
}

/// Names taken so far, per folder.
#[derive(Debug, Default)]
pub struct Namespace {
    /// (folded parent path, folded child name) → who holds it.
    taken: HashMap<(String, String), Owner>,
    /// (folded parent path, folder identity) → the name it got.
    dirs: HashMap<(String, String), String>,
}

impl Namespace {
    /// The name of the folder identified by `key` inside `parent`: `wanted`
    /// if free, else `wanted-N`. Asking again with the same `key` gives the
    /// same name. `wanted` must be sanitised and at most `max` bytes.
    pub fn dir(&mut self, parent: &str, key: &str, wanted: &str, max: usize) -> String {
        let parent = fold(parent);
        if let Some(name) = self.dirs.get(&(parent.clone(), key.to_owned())) {
            return name.clone();
        }
        let name = self.claim(&parent, wanted, max, false, || Owner::Dir(key.to_owned()));
        self.dirs.insert((parent, key.to_owned()), name.clone());
        name
    }

    /// A fresh file name inside `parent`: `wanted` if free, else `stem-N.ext`.
    pub fn file(&mut self, parent: &str, wanted: &str, max: usize) -> String {
        self.claim(&fold(parent), wanted, max, true, || Owner::File)
    }

    fn claim(
        &mut self,
        parent: &str,
        wanted: &str,
        max: usize,
        keep_ext: bool,
        owner: impl Fn() -> Owner,
    ) -> String {
        let mut n = 1;
        loop {
            let candidate = if n == 1 {
                wanted.to_owned()
            } else {
                with_suffix(wanted, n, max, keep_ext)
            };
            let slot = (parent.to_owned(), fold(&candidate));
            if let std::collections::hash_map::Entry::Vacant(e) = self.taken.entry(slot) {
                e.insert(owner());
                return candidate;
            }
            n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_keeps_name_then_suffixes() {
        let mut ns = Namespace::default();
        assert_eq!(ns.file("d", "scan.pdf", 100), "scan.pdf");
        assert_eq!(ns.file("d", "SCAN.pdf", 100), "SCAN-2.pdf");
        assert_eq!(ns.file("d", "scan-2.pdf", 100), "scan-2-2.pdf");
        assert_eq!(
            ns.file("D", "scan.pdf", 100),
            "scan-3.pdf",
            "parent folds too"
        );
        assert_eq!(ns.file("e", "scan.pdf", 100), "scan.pdf");
    }

    #[test]
    fn nfc_twins_clash() {
        let mut ns = Namespace::default();
        assert_eq!(ns.file("d", "caf\u{e9}.pdf", 100), "caf\u{e9}.pdf");
        assert_eq!(ns.file("d", "CAFE\u{301}.pdf", 100), "CAFE\u{301}-2.pdf");
    }

    #[test]
    fn dirs_are_stable_per_key_and_clash_with_files() {
        let mut ns = Namespace::default();
        assert_eq!(ns.dir("p", "champ:1", "Justificatif", 60), "Justificatif");
        assert_eq!(ns.dir("p", "champ:2", "justificatif", 60), "justificatif-2");
        assert_eq!(ns.dir("p", "champ:1", "Justificatif", 60), "Justificatif");
        assert_eq!(ns.file("p", "Justificatif", 60), "Justificatif-3");
    }
}
