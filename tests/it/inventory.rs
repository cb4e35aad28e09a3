//! Inventory tests (in progress).
