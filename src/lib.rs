//! ds-archive: archive the dossiers of a demarches-simplifiees.fr démarche as
//! bundles that last.
//!
//! The pipeline's stages are modules, each owning one job:
//! [`api`] (GraphQL over HTTP, pacing, retries) → [`ds_list`] (pages of
//! dossiers, single dossiers, deleted ones) → [`model`] (what a dossier
//! holds) → [`layout`] (where each file goes in the bag) → [`download`]
//! (stream, hash, check, and tell each file's [`format`] on the way) →
//! [`metadata`] (what describes the dossier) → [`bag`] (the staged bag: its
//! folder, generated files, tag files, check and zip, the zip format being
//! [`bag_zip`]'s) → [`verify`]. [`journal`] makes
//! runs resumable, [`progress`] shows them,
//! [`pipeline`] wires the stages and [`cli`] is the command line. [`fake`] is a
//! DS API look-alike used by `demo`, the tests and the benchmarks. [`seda`]
//! and [`inventory`] turn an archive folder into deposit packages for an
//! electronic archive service and a one-row-per-dossier table;
//! [`timestamp`] has a TSA date the run manifest (RFC 3161); [`template`]
//! reads DS-style export templates and [`export`] derives views from the
//! bags with them (the bags stay the source of truth). Two modules
//! are shared so those stages need not lean on each other: [`digest`] is the
//! one place that hashes (algorithms, single-pass multi-hashing, hashing
//! reader and writer) and [`bagit`] the one place that reads bags (path
//! rules, manifest lines, the one folder-or-zip reader with its typed
//! problems, finding archived bundles), used by `verify`, `seda` and
//! `inventory`. `verify` also checks SEDA SIPs through `seda`; `seda`
//! depends on neither `verify` nor `inventory`. [`console`] (what every
//! command prints, text or JSON) and [`option_values`] (sizes and dates as
//! typed on the command line) sit below [`cli`], so the commands that `cli`
//! calls never import it back.

pub mod api;
pub mod bag;
pub mod bag_zip;
pub mod bagit;
pub mod batch;
pub mod cli;
pub mod console;
pub mod digest;
pub mod download;
pub mod ds_list;
pub mod error;
pub mod export;
pub mod fake;
pub mod format;
pub mod fsx;
pub mod inventory;
pub mod journal;
pub mod layout;
pub mod metadata;
pub mod model;
pub mod option_values;
pub mod pipeline;
pub mod progress;
pub mod seda;
pub mod spill;
pub mod store;
pub mod template;
pub mod timestamp;
pub mod verify;
