//! Integration tests.

#[path = "it/bag.rs"]
mod bag;
