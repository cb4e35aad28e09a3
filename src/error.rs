//! Error policy.
//!
//! Every stage returns its own error type carrying what a user needs to act:
//! the dossier number, the path, the (redacted) URL and the cause. Whether
//! retrying helps is decided where the retry happens (the API client's and the
//! downloader's own error types say so); an error that reaches this type has
//! stopped the run, with [`Error::exit_code`]. A per-dossier error
//! fails that dossier only; a run-level error (bad token, unknown démarche,
//! unwritable output) stops the run with exit code 2.

use std::path::PathBuf;

/// Exit codes, as documented in the README.
pub mod exit {
    /// Everything done and verified.
    pub const OK: u8 = 0;
    /// The run finished but something failed or was invalid.
    pub const FAILURES: u8 = 1;
    /// Fatal: bad arguments, bad token, unknown démarche, unwritable output.
    pub const FATAL: u8 = 2;
    /// Interrupted by Ctrl-C (SIGINT); other stop signals give 128 + their
    /// number (`cli::stop`).
    pub const INTERRUPTED: u8 = 130;
}

/// Errors that stop a run or fail a dossier.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API refused the token.
    #[error("the DS API refused the token (HTTP {status}): {message}")]
    Auth {
        /// HTTP status.
        status: u16,
        /// The API's message.
        message: String,
    },
    /// The démarche does not exist or the token cannot see it.
    #[error("démarche {number} not found or not visible with this token: {message}")]
    UnknownDemarche {
        /// The démarche number asked for.
        number: u64,
        /// The API's message.
        message: String,
    },
    /// `--groupe` names no groupe instructeur of the démarche.
    #[error("groupe instructeur {groupe} is not one of démarche {demarche}'s groupes ({known})")]
    UnknownGroupe {
        /// The démarche.
        demarche: u64,
        /// The groupe asked for.
        groupe: u64,
        /// The démarche's groupes, listed.
        known: String,
    },
    /// A GraphQL request failed for good.
    #[error("the DS API did not answer `{operation}`: {message}")]
    Api {
        /// Operation name.
        operation: String,
        /// What went wrong.
        message: String,
    },
    /// DS answered a request with data that lacks what an archive needs.
    #[error("the DS API answered `{operation}` with data that cannot be archived: {message}")]
    Malformed {
        /// Operation name.
        operation: String,
        /// The culprit (its JSON path) and what is wrong with it.
        message: String,
    },
    /// A filesystem operation failed.
    #[error("{action} `{}`: {source}", path.display())]
    Io {
        /// What we were doing.
        action: &'static str,
        /// The path involved.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Another run holds the output folder.
    #[error("`{}` is locked by another ds-archive run (pid {pid})", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
        /// The holder's pid.
        pid: u32,
    },
    /// A journal line before the last cannot be read: not a write torn by a
    /// crash (only the last line can be), so the record of what is archived
    /// is damaged and nothing may be resumed from it.
    #[error(
        "line {line} of the journal `{}` cannot be read ({message}); only a last line torn by a \
         crash is dropped: repair or remove that line (keep a copy), then run again",
        path.display()
    )]
    Journal {
        /// The journal.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Why it cannot be read.
        message: String,
    },
    /// The output folder already archives another démarche.
    #[error("`{}` already holds the archive of démarche {found}, not {asked}", path.display())]
    OtherDemarche {
        /// The output folder.
        path: PathBuf,
        /// The démarche its journal records.
        found: u64,
        /// The démarche asked for.
        asked: u64,
    },
    /// A bag or zip is about to be published under a name that is taken by
    /// something this output folder's journal does not know: it may be the
    /// user's, so it is never replaced.
    #[error(
        "`{}` already exists and this folder's journal does not know it: refusing to replace it \
         (move it away, or archive into another folder)",
        path.display()
    )]
    Unrecorded {
        /// The name that is taken.
        path: PathBuf,
    },
    /// A failure of ds-archive itself, not of the user's input, DS or the
    /// disk: a worker task that panicked or was cancelled mid-commit.
    /// The object storage refused or failed a call (the message names the
    /// key and the server's answer, never a credential).
    #[error("object storage: {0}")]
    Storage(String),
    /// A bundle's key is taken by other content: nothing was replaced, the
    /// dossier fails.
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// The process exit code for a run that dies of this error: every error
    /// that stops a run is fatal (an interrupted run is not an error, it ends
    /// with a summary and exit code 128 + the signal, 130 for Ctrl-C).
    #[must_use]
    pub fn exit_code(&self) -> u8 {
        exit::FATAL
    }

    /// Wrap an I/O error with the action and path.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Drop the query string and fragment of a URL: signed file URLs carry their
/// signature there, and nothing secret may reach a log.
#[must_use]
pub fn redact_url(url: &str) -> String {
    let end = url.find(['?', '#']).unwrap_or(url.len());
    url[..end].to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_drops_signature() {
        assert_eq!(
            redact_url("https://s3.example/blob/abc?X-Amz-Signature=secret"),
            "https://s3.example/blob/abc"
        );
        assert_eq!(redact_url("http://h/p"), "http://h/p");
    }
}
