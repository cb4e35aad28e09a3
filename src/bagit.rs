//! Reading BagIt bags, shared by `verify`, `seda` and `inventory` so none of
//! them depends on another to read a bag.
//!
//! [`paths`] holds the path rules (what escapes a bag, BagIt 1.0
//! percent-decoding), [`manifest`] the one reader of manifest lines and
//! [`tagfile`] of `bagit.txt` and `bag-info.txt` (typed defects, judged by
//! the caller). [`source`] is the one folder-or-zip bag
//! reader: [`source::DirSource`] and [`zipsource::ZipSource`] list a bag
//! and stream its files, the zip read in place with every anomaly of a zip
//! someone else made (a truncated file whose end record is not its own, see
//! `zipend`; duplicates, zip-slip, symbolic links, CRCs) returned as a typed
//! [`source::Problem`], and a clean zip hashed in one front-to-back pass
//! (`zipstream`) on the threads of [`parallel`]. `verify` maps those
//! problems to its stable finding codes. [`bundles`] finds the dossier
//! bundles of an archive folder and wraps that reader as
//! [`bundles::BagReader`], the simple per-file access `seda` and `inventory`
//! need.

pub mod bundles;
pub mod manifest;
pub mod parallel;
pub mod paths;
pub mod source;
pub mod tagfile;
mod zipend;
pub mod zipsource;
mod zipstream;
