//! Fuzz the zip reader and the bag checks over it: arbitrary bytes written as
//! a `.zip` must give a report (usually E_ZIP_CORRUPT), never a panic, and a
//! zip with any problem must not be reported valid.

#![no_main]

use std::io::Write;

use ds_archive::verify::{verify_zip, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut file) = tempfile::Builder::new().suffix(".zip").tempfile() else { return };
    if file.write_all(data).and_then(|()| file.flush()).is_err() {
        return;
    }
    let fast = data.first().is_some_and(|b| b & 1 == 1);
    let report = verify_zip(file.path(), &Options { fast, jobs: 1 });
    assert_eq!(report.is_valid(), report.problems().is_empty());
    // An empty or random file is never a valid bag.
    if data.len() < 22 {
        assert!(!report.is_valid());
    }
});
