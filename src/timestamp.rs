//! Trusted timestamps (RFC 3161) of the run manifest.
//!
//! The run manifest (`manifest-sha256.txt`) lists the SHA-256 of every zip,
//! so one token on it dates every bundle of the archive: one request per run
//! manifest, not per dossier, because qualified TSAs are paid per token. The
//! token proves the checksums existed at `genTime` without trusting our own
//! files; `verify` checks it covers the manifest, `openssl ts -verify` checks
//! its signature and chain (docs/timestamps.md).
//!
//! Files, beside the manifest: `manifest-sha256.txt.tsq` (our request, whose
//! nonce the reply must echo) and `manifest-sha256.txt.tsr` (the TSA's reply,
//! with its certificate chain since we ask for it). The reply is written
//! create-only and last, so a `.tsr` always comes with its `.tsq`; a `.tsq`
//! alone is a leftover and is replaced. A manifest that already has a token
//! covering it is never stamped again. When a later run rewrites the
//! manifest, the old manifest and its token move to
//! `.ds-archive/timestamps/<n>/` first ([`set_aside`]): the new manifest
//! gets its own token, the earlier evidence is kept.
//!
//! A TSA that fails does not fail the run: the archive is complete, the
//! summary and `report.json` say the token is missing, the exit status is 1,
//! and `ds-archive timestamp DIR` asks again later.

mod client;
mod command;
pub mod token;

use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

pub use client::TsaClient;
pub use command::{after_run, command, TimestampArgs, TsaArgs};
use token::Token;

use crate::error::{Error, Result};
use crate::fsx;

/// The file timestamped.
pub const MANIFEST: &str = "manifest-sha256.txt";
/// Our request, beside it.
pub const TSQ: &str = "manifest-sha256.txt.tsq";
/// The TSA's reply, beside it.
pub const TSR: &str = "manifest-sha256.txt.tsr";
/// Where superseded manifests and their tokens are kept.
pub const HISTORY: &str = ".ds-archive/timestamps";

/// What [`stamp`] did.
#[derive(Debug)]
pub enum Stamped {
    /// A new token, from this TSA.
    New(Token, String),
    /// The manifest already had a token covering it; nothing was asked.
    AlreadyValid(Token),
}

/// Why [`stamp`] gave no token.
#[derive(Debug, thiserror::Error)]
pub enum StampError {
    /// Nothing to timestamp.
    #[error("`{}` has no {MANIFEST} (a run with zips writes it)", .0.display())]
    NoManifest(PathBuf),
    /// A token is there but does not cover the manifest: evidence of a
    /// change, never replaced.
    #[error("the existing `{TSR}` does not cover `{MANIFEST}`: {}", .0.join("; "))]
    Stale(Vec<String>),
    /// Every TSA failed.
    #[error("no TSA gave a token: {}", .0.join("; "))]
    NoToken(Vec<String>),
    /// Reading or writing a file failed.
    #[error(transparent)]
    Io(#[from] Error),
}

/// The stored token of `dir`'s manifest: `None` when there is none,
/// `Some(Err(problems))` when it does not cover the manifest as it is now.
#[must_use]
pub fn check_stored(dir: &Path) -> Option<std::result::Result<Token, Vec<String>>> {
    let tsr = fs_err::read(dir.join(TSR)).ok()?;
    Some(check_bytes(dir, &tsr))
}

fn check_bytes(dir: &Path, tsr: &[u8]) -> std::result::Result<Token, Vec<String>> {
    let token = token::parse_reply(tsr).map_err(|e| vec![e])?;
    let request = match fs_err::read(dir.join(TSQ)) {
        Ok(der) => token::parse_request(&der).map_err(|e| vec![format!("{TSQ}: {e}")])?,
        Err(e) => return Err(vec![format!("{TSQ}, the request, cannot be read: {e}")]),
    };
    let manifest = fs_err::read(dir.join(MANIFEST))
        .map_err(|e| vec![format!("{MANIFEST} cannot be read: {e}")])?;
    let problems = token::mismatches(&token, &request, &Sha256::digest(&manifest));
    if problems.is_empty() {
        Ok(token)
    } else {
        Err(problems)
    }
}

/// Timestamp `dir`'s run manifest unless a token already covers it.
///
/// # Errors
/// [`StampError`]: no manifest, a stale token, every TSA failed, or I/O.
pub async fn stamp(dir: &Path, tsa: &TsaClient) -> std::result::Result<Stamped, StampError> {
    let manifest_path = dir.join(MANIFEST);
    let Ok(manifest) = fs_err::read(&manifest_path) else {
        return Err(StampError::NoManifest(dir.to_path_buf()));
    };
    match check_stored(dir) {
        Some(Ok(token)) => return Ok(Stamped::AlreadyValid(token)),
        Some(Err(problems)) => return Err(StampError::Stale(problems)),
        None => {}
    }
    let digest = Sha256::digest(&manifest);
    let request = token::build_request(&digest, fastrand::u64(..))
        .map_err(|e| Error::Internal(format!("timestamp request: {e}")))?;
    let (token, url) = tsa
        .stamp(&request, &digest)
        .await
        .map_err(StampError::NoToken)?;
    // The manifest must not have changed while the TSA answered (a run
    // holds the folder's lock; a hand edit does not).
    let now = fs_err::read(&manifest_path).map_err(|e| Error::io("read", &manifest_path, e))?;
    if now != manifest {
        return Err(StampError::NoToken(vec![format!(
            "{MANIFEST} changed while the TSA answered"
        )]));
    }
    fsx::write_atomic(&dir.join(TSQ), &request.der)?;
    let tmp = dir.join(format!("{}tsr", fsx::TEMP_PREFIX));
    fsx::write_atomic(&tmp, &token.der)?;
    fsx::persist_new(&tmp, &dir.join(TSR))?;
    Ok(Stamped::New(token, url))
}

/// Before a run replaces (`Some(new)`) or removes (`None`) the run manifest:
/// if it has a token, move the old manifest, request and reply to the next
/// `.ds-archive/timestamps/<n>/`, so the new manifest can get its own token
/// and the old proof is kept. Nothing happens when the bytes stay the same.
///
/// # Errors
/// I/O errors, naming the path.
pub fn set_aside(out: &Path, new: Option<&[u8]>) -> Result<()> {
    let tsr = out.join(TSR);
    if !tsr.exists() {
        return Ok(());
    }
    let manifest = out.join(MANIFEST);
    let old = fs_err::read(&manifest).ok();
    if old.is_some() && old.as_deref() == new {
        return Ok(());
    }
    let history = out.join(HISTORY);
    fs_err::create_dir_all(&history).map_err(|e| Error::io("create", &history, e))?;
    let next = fs_err::read_dir(&history)
        .map_err(|e| Error::io("list", &history, e))?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u64>().ok())
        .max()
        .unwrap_or(0)
        + 1;
    let dest = history.join(next.to_string());
    fs_err::create_dir(&dest).map_err(|e| Error::io("create", &dest, e))?;
    if let Some(old) = old {
        fsx::write_atomic(&dest.join(MANIFEST), &old)?;
    }
    for name in [TSQ, TSR] {
        let from = out.join(name);
        if from.exists() {
            fs_err::rename(&from, dest.join(name)).map_err(|e| Error::io("move", &from, e))?;
        }
    }
    tracing::info!(
        path = %dest.display(),
        "the run manifest changes: its earlier version and timestamp token are kept"
    );
    fsx::fsync_dir(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_manifest_moves_its_token_aside_once() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        std::fs::write(out.join(MANIFEST), b"a  dossier-1.zip\n").unwrap();
        std::fs::write(out.join(TSQ), b"q").unwrap();
        std::fs::write(out.join(TSR), b"r").unwrap();
        // Same bytes: the token stays.
        set_aside(out, Some(b"a  dossier-1.zip\n")).unwrap();
        assert!(out.join(TSR).exists());
        set_aside(out, Some(b"new")).unwrap();
        let kept = out.join(HISTORY).join("1");
        assert_eq!(
            std::fs::read(kept.join(MANIFEST)).unwrap(),
            b"a  dossier-1.zip\n"
        );
        assert_eq!(std::fs::read(kept.join(TSR)).unwrap(), b"r");
        assert!(!out.join(TSR).exists() && !out.join(TSQ).exists());
        // No token now: nothing more to keep.
        set_aside(out, Some(b"newer")).unwrap();
        assert!(!out.join(HISTORY).join("2").exists());
    }

    #[test]
    fn no_token_means_nothing_to_check() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(MANIFEST), b"x").unwrap();
        assert!(check_stored(dir.path()).is_none());
        std::fs::write(dir.path().join(TSR), b"junk").unwrap();
        assert!(check_stored(dir.path()).unwrap().is_err());
    }
}
