//! The RFC 3161 token of an archive folder's run manifest: does it cover the
//! manifest as it is now (imprint, the stored request's nonce and policy),
//! and, when the user gives the TSA's root (`--tsa-ca`), does
//! `openssl ts -verify` accept its signature and chain.
//!
//! The in-process checks are [`crate::timestamp::check_stored`]'s; the
//! signature is left to OpenSSL on purpose (docs/timestamps.md): it is the
//! check an auditor reruns without us. A folder without a token has nothing
//! to check here: timestamps are optional.

use std::path::Path;
use std::process::Command;

use super::codes::Code;
use super::report::Finding;
use crate::timestamp::{check_stored, MANIFEST, TSR};

/// Findings about `dir`'s token, named after `bundle`; with the token's
/// `genTime` and policy when it covers the manifest.
#[must_use]
pub fn findings(dir: &Path, bundle: &str) -> (Vec<Finding>, Option<(String, String)>) {
    match check_stored(dir) {
        None => (Vec::new(), None),
        Some(Ok(token)) => (Vec::new(), Some((token.gen_time, token.policy))),
        Some(Err(problems)) => (
            problems
                .into_iter()
                .map(|p| Finding::new(Code::Timestamp, bundle, TSR, p))
                .collect(),
            None,
        ),
    }
}

/// `openssl ts -verify` of `dir`'s token against the roots in `ca`: `None`
/// when it prints `Verification: OK`, else the finding.
#[must_use]
pub fn openssl_finding(dir: &Path, bundle: &str, ca: &Path) -> Option<Finding> {
    let output = Command::new("openssl")
        .args(["ts", "-verify", "-data"])
        .arg(dir.join(MANIFEST))
        .arg("-in")
        .arg(dir.join(TSR))
        .arg("-CAfile")
        .arg(ca)
        .output();
    let message = match output {
        Err(e) => format!("`openssl ts -verify` could not run: {e}"),
        Ok(out) => {
            let stdout = String::from_utf8_lossy(&out.stdout);
            if out.status.success() && stdout.contains("Verification: OK") {
                return None;
            }
            let stderr = String::from_utf8_lossy(&out.stderr);
            // OpenSSL's reason is on its first lines; the rest is a trace.
            let why: Vec<&str> = stdout
                .lines()
                .chain(stderr.lines())
                .filter(|l| !l.trim().is_empty())
                .take(3)
                .collect();
            format!(
                "`openssl ts -verify` refused the token: {}",
                why.join(" / ")
            )
        }
    };
    Some(Finding::new(Code::TimestampSignature, bundle, TSR, message))
}
