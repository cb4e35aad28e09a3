//! What a run keeps of each dossier's bag: the folder, the zip, or both.
//!
//! Why a choice: the folder and the zip hold the same bytes, so keeping both
//! doubles what is written and what `verify` reads. Every reader of an
//! archive (`verify`, `seda`, `inventory`, `status`, later runs) takes a bag
//! from its folder or, when there is none, from its zip
//! ([`crate::bagit::bundles`]), so a zips-only archive is a full archive.
//! With [`Keep::Zips`] the bag folder is built in staging as usual, checked,
//! zipped, the zip read back, and the folder removed before the commit
//! flushes; that flush syncs large zips one by one rather than the whole
//! filesystem ([`super::commit`]), so the folder's bytes are mostly never
//! written to disk at all (unless the kernel's own write-back, driven by
//! everything else dirty on the machine, takes them first).

use clap::ValueEnum;

/// `--keep`: which form of each bag the output folder gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub enum Keep {
    /// The bag folder and its zip (the layout of every release so far).
    #[default]
    Both,
    /// Only the zip; the folder is staging, removed once the zip is checked.
    Zips,
    /// Only the bag folder, no zip (what `--no-zip` asks for).
    Folders,
}

impl Keep {
    /// Whether a zip is written.
    #[must_use]
    pub fn zip(self) -> bool {
        self != Self::Folders
    }

    /// Whether the bag folder is published.
    #[must_use]
    pub fn folder(self) -> bool {
        self != Self::Zips
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_choice_keeps_at_least_one_form() {
        for keep in [Keep::Both, Keep::Zips, Keep::Folders] {
            assert!(keep.zip() || keep.folder(), "{keep:?}");
        }
        assert!(Keep::Both.zip() && Keep::Both.folder());
        assert!(Keep::Zips.zip() && !Keep::Zips.folder());
        assert!(!Keep::Folders.zip() && Keep::Folders.folder());
        assert_eq!(Keep::default(), Keep::Both);
    }
}
