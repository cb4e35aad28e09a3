//! Integration tests.

#[path = "it/fake.rs"]
mod fake;
