//! Reading BagIt bags, shared by `verify`, `seda` and `inventory` so none of
//! them depends on another to read a bag.
//!
//! [`paths`] holds the path rules (what escapes a bag, BagIt 1.0
//! percent-decoding), [`manifest`] the one reader of manifest lines (typed
//! defects, judged by the caller), and [`bundles`] finds the dossier bundles
//! of an archive folder and streams the files of one, folder or zip alike.
//! `verify` adds its own zip reader on top of these rules because it must
//! report every anomaly of a zip someone else made (duplicates, zip-slip,
//! CRCs) with a stable code; `seda` and `inventory` read bundles `archive`
//! wrote, through [`bundles::BagReader`].

pub mod bundles;
pub mod manifest;
pub mod paths;
