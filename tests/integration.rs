//! The integration test binary (one link): the real `ds-archive` binary
//! against the project's fake DS API over HTTP, real files, real zips; one
//! module per area under `tests/it/`.

// Tests state their expectations with unwrap: a panic is the failure report.
#![allow(clippy::unwrap_used)]

#[path = "it/common.rs"]
mod common;

#[path = "it/archive.rs"]
mod archive;
#[path = "it/bag.rs"]
mod bag;
#[path = "it/batch.rs"]
mod batch;
#[path = "it/cli.rs"]
mod cli;
#[path = "it/demarche.rs"]
mod demarche;
#[path = "it/deposit.rs"]
mod deposit;
#[path = "it/ds_faults.rs"]
mod ds_faults;
#[path = "it/export.rs"]
mod export;
#[path = "it/fake.rs"]
mod fake;
#[path = "it/formats.rs"]
mod formats;
#[path = "it/inventory.rs"]
mod inventory;
#[path = "it/keep.rs"]
mod keep;
#[path = "it/metadata.rs"]
mod metadata;
#[path = "it/modes.rs"]
mod modes;
#[path = "it/runs.rs"]
mod runs;
#[path = "it/s3.rs"]
mod s3;
#[path = "it/s3_inventory.rs"]
mod s3_inventory;
#[path = "it/s3_moto.rs"]
mod s3_moto;
#[path = "it/s3_pages.rs"]
mod s3_pages;
#[path = "it/s3_readers.rs"]
mod s3_readers;
#[path = "it/s3common.rs"]
mod s3common;
#[path = "it/seda.rs"]
mod seda;
#[path = "it/seda_batch.rs"]
mod seda_batch;
#[path = "it/seda_profile.rs"]
mod seda_profile;
#[path = "it/seda_units.rs"]
mod seda_units;
#[path = "it/sheets.rs"]
mod sheets;
#[path = "it/signals.rs"]
mod signals;
#[path = "it/timestamps.rs"]
mod timestamps;
#[path = "it/verify.rs"]
mod verify;
#[path = "it/verify_others.rs"]
mod verify_others;
