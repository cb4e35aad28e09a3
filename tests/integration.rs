//! The integration test binary: the real `ds-archive` binary against the
//! project's fake DS API over HTTP, real files, real zips.

#[path = "it/common.rs"]
mod common;

#[path = "it/archive.rs"]
mod archive;
