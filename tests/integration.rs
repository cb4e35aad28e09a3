//! Integration tests: one binary, one module per area under tests/it/.

#[path = "it/metadata.rs"]
mod metadata;
