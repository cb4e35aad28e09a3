//! How what the shared bag reader meets becomes verify findings.
//!
//! [`crate::bagit::source`] returns typed problems so `seda` and `inventory`
//! can read bags without verify's vocabulary; this table is the one place
//! that gives each kind its stable code (docs/verify.md).

use super::codes::Code;
use super::report::Finding;
use crate::bagit::source::{Problem, ProblemKind};

/// The code a problem of `kind` is reported under.
#[must_use]
pub fn code(kind: ProblemKind) -> Code {
    match kind {
        ProblemKind::Unreadable => Code::Unreadable,
        ProblemKind::NameNotUtf8 => Code::Encoding,
        ProblemKind::Symlink => Code::UnsafePath,
        ProblemKind::ZipCorrupt => Code::ZipCorrupt,
        ProblemKind::ZipCrc => Code::ZipCrc,
        ProblemKind::ZipUnsafe => Code::ZipUnsafe,
        ProblemKind::ZipDuplicate => Code::ZipDuplicate,
        ProblemKind::ZipLayout => Code::ZipLayout,
    }
}

/// A listing problem as a finding (no bundle name yet: the caller adds it).
#[must_use]
pub fn finding(p: Problem) -> Finding {
    Finding::new(code(p.kind), "", p.path, p.message)
}
