//! Integration tests.
#[path = "it/inventory.rs"]
mod inventory;
#[path = "it/seda.rs"]
mod seda;
