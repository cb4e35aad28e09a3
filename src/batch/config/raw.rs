//! The config file as written: its TOML shape, every key known (serde's
//! `deny_unknown_fields` turns a misspelt key into an error naming it), and
//! where things are in the text, so that errors name a line. What the
//! values mean and how they are checked is the parent module's.

use serde::Deserialize;

use crate::seda::Profile;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    /// GraphQL endpoint for every démarche.
    pub api_url: Option<String>,
    /// Démarches archived at once (`concurrency` is the per-démarche
    /// download count, as on the command line).
    pub parallel: Option<usize>,
    /// Where the batch report goes.
    pub report: Option<String>,
    /// Requests per window and token.
    pub rate_limit: Option<u32>,
    /// The window, in seconds.
    pub rate_window: Option<u64>,
    /// Defaults for every démarche.
    pub token_file: Option<String>,
    pub token_env: Option<String>,
    #[serde(default)]
    pub demarche: Vec<RawDemarche>,
}

/// One `[[demarche]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDemarche {
    pub number: u64,
    pub api_url: Option<String>,
    pub out: String,
    pub groupe: Option<u64>,
    #[serde(default)]
    pub states: Vec<String>,
    pub since: Option<String>,
    pub token_file: Option<String>,
    pub token_env: Option<String>,
    pub concurrency: Option<usize>,
    pub page_size: Option<u32>,
    #[serde(default)]
    pub no_zip: bool,
    pub seda: Option<RawSeda>,
}

/// `seda = { config = "...", out = "...", profile = "vitam" }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSeda {
    pub config: String,
    pub out: String,
    pub profile: Option<Profile>,
}

/// 1-based line of byte offset `at`.
pub(super) fn line_of(text: &str, at: usize) -> usize {
    text.get(..at).unwrap_or(text).matches('\n').count() + 1
}

/// Lines of the `[[demarche]]` headers, in order.
pub(super) fn demarche_lines(text: &str) -> Vec<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| {
            let l = l.trim_start();
            l.starts_with("[[") && l[2..].trim_start().starts_with("demarche")
        })
        .map(|(i, _)| i + 1)
        .collect()
}
