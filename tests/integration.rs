//! Integration tests.

#[path = "it/verify.rs"]
mod verify;
