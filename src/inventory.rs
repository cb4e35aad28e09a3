//! Inventory of an archive folder (CSV/ODS). Work in progress.
