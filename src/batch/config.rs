//! `archive --config FILE`: the TOML list of démarches, read strictly.
//!
//! An unknown or misspelt key is an error naming the key and its line: a
//! typo such as `stats = ["accepte"]` must not silently archive every state
//! of a démarche every night. Relative paths are taken from the config
//! file's folder, so a scheduler may start the command from anywhere.
//! Tokens are never in the file: a démarche names a token file or an
//! environment variable, and the token is read when the batch starts.
//! The file's TOML shape and line lookup are in `raw`; here, what the values
//! mean.

use std::path::{Path, PathBuf};

use crate::api::DEFAULT_ENDPOINT;
use crate::model::DossierState;
use crate::seda::Profile;

mod raw;

use raw::{demarche_lines, line_of, RawConfig, RawDemarche};

/// Where a démarche's token comes from (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenSource {
    /// A file holding the token.
    File(PathBuf),
    /// An environment variable holding the token.
    Env(String),
}

/// SEDA packages to build after the démarche is archived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SedaStep {
    /// The SEDA configuration file.
    pub config: PathBuf,
    /// Where the SIPs go.
    pub out: PathBuf,
    /// `vitam` or `asalae` (default: the SEDA config's).
    pub profile: Option<Profile>,
}

/// One démarche of the file, validated.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Line of its `[[demarche]]` header.
    pub line: usize,
    /// Démarche number.
    pub number: u64,
    /// Its GraphQL endpoint, when not the file's (another DS instance).
    pub api_url: Option<String>,
    /// Only this groupe instructeur.
    pub groupe: Option<u64>,
    /// Output, as written (a folder; an `s3://` URL passes through).
    pub out: String,
    /// Only these states.
    pub states: Vec<DossierState>,
    /// `--since`, normalised to RFC 3339.
    pub since: Option<String>,
    /// Where the token comes from.
    pub token: TokenSource,
    /// Parallel downloads.
    pub concurrency: Option<usize>,
    /// Dossiers per page.
    pub page_size: Option<u32>,
    /// No zips.
    pub no_zip: bool,
    /// SEDA packaging after the archive.
    pub seda: Option<SedaStep>,
}

/// The validated file.
#[derive(Debug, Clone)]
pub struct Config {
    /// GraphQL endpoint (None: the command line's / default).
    pub api_url: Option<String>,
    /// Démarches at once (≥ 1).
    pub parallel: usize,
    /// The batch report path.
    pub report: PathBuf,
    /// Requests per window and token.
    pub rate_limit: Option<u32>,
    /// Window seconds.
    pub rate_window: Option<u64>,
    /// The démarches, in file order.
    pub demarches: Vec<Entry>,
}

/// Default token variable, as for a single démarche.
pub const DEFAULT_TOKEN_ENV: &str = "DS_API_TOKEN";

/// Read and check `path`.
///
/// # Errors
/// A message naming the file, the line and the key at fault.
pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read the config `{}`: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(""));
    parse(&text, base).map_err(|e| format!("config `{}`: {e}", path.display()))
}

/// Parse the text of a config whose relative paths start at `base`.
///
/// # Errors
/// `line N: what is wrong`.
pub fn parse(text: &str, base: &Path) -> Result<Config, String> {
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(0, |s| line_of(text, s.start));
        format!("line {line}: {}", e.message().trim_end())
    })?;
    let headers = demarche_lines(text);
    let at = |i: usize| headers.get(i).copied().unwrap_or(0);
    if raw.demarche.is_empty() {
        return Err("no [[demarche]] table: nothing to archive".into());
    }
    check_url(raw.api_url.as_deref())?;
    let parallel = raw.parallel.unwrap_or(1);
    if !(1..=64).contains(&parallel) {
        return Err(format!("parallel = {parallel}: between 1 and 64"));
    }
    let default_token = token_source(raw.token_file.as_deref(), raw.token_env.as_deref(), base)
        .map_err(|e| format!("top level: {e}"))?
        .unwrap_or_else(|| TokenSource::Env(DEFAULT_TOKEN_ENV.into()));
    let mut demarches = Vec::with_capacity(raw.demarche.len());
    for (i, d) in raw.demarche.into_iter().enumerate() {
        let line = at(i);
        let entry = entry(d, line, base, &default_token)
            .map_err(|e| format!("line {line}: [[demarche]] {}: {e}", i + 1))?;
        demarches.push(entry);
    }
    check_outputs(&demarches)?;
    Ok(Config {
        api_url: raw.api_url,
        parallel,
        report: raw
            .report
            .map_or_else(|| base.join("batch-report.json"), |r| resolve(base, &r)),
        rate_limit: raw.rate_limit,
        rate_window: raw.rate_window,
        demarches,
    })
}

fn entry(
    d: RawDemarche,
    line: usize,
    base: &Path,
    default_token: &TokenSource,
) -> Result<Entry, String> {
    let states = d
        .states
        .iter()
        .map(|s| {
            DossierState::from_api(s).ok_or_else(|| {
                format!("states: unknown state `{s}` (en_construction, en_instruction, accepte, refuse, sans_suite)")
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let since = d
        .since
        .as_deref()
        .map(crate::option_values::parse_since)
        .transpose()
        .map_err(|e| format!("since: {e}"))?;
    if d.concurrency.is_some_and(|c| !(1..=64).contains(&c)) {
        return Err("concurrency: between 1 and 64".into());
    }
    if d.page_size.is_some_and(|p| !(1..=100).contains(&p)) {
        return Err("page_size: between 1 and 100".into());
    }
    check_url(d.api_url.as_deref())?;
    let token = token_source(d.token_file.as_deref(), d.token_env.as_deref(), base)?
        .unwrap_or_else(|| default_token.clone());
    let out = if is_url(&d.out) {
        d.out
    } else {
        resolve(base, &d.out).display().to_string()
    };
    Ok(Entry {
        line,
        number: d.number,
        api_url: d.api_url,
        groupe: d.groupe,
        out,
        states,
        since,
        token,
        concurrency: d.concurrency,
        page_size: d.page_size,
        no_zip: d.no_zip,
        seda: d.seda.map(|s| SedaStep {
            config: resolve(base, &s.config),
            out: resolve(base, &s.out),
            profile: s.profile,
        }),
    })
}

/// Two démarches writing into one folder would be refused by the second
/// run, after the first one wrote: say it before anything runs. Two groupes
/// of one démarche may share a folder (one archive of that démarche).
fn check_outputs(demarches: &[Entry]) -> Result<(), String> {
    for (i, a) in demarches.iter().enumerate() {
        for b in &demarches[..i] {
            if a.out == b.out && a.number != b.number {
                return Err(format!(
                    "line {}: démarche {} has the same out `{}` as démarche {} (line {}): one folder per démarche",
                    a.line, a.number, a.out, b.number, b.line
                ));
            }
            if a.out == b.out && a.groupe == b.groupe {
                return Err(format!(
                    "line {}: démarche {} is listed twice for out `{}` (line {})",
                    a.line, a.number, a.out, b.line
                ));
            }
        }
    }
    Ok(())
}

fn check_url(url: Option<&str>) -> Result<(), String> {
    match url {
        Some(u) if !(u.starts_with("https://") || u.starts_with("http://")) => {
            Err(format!("api_url `{u}` is not an http(s) URL"))
        }
        _ => Ok(()),
    }
}

fn token_source(
    file: Option<&str>,
    env: Option<&str>,
    base: &Path,
) -> Result<Option<TokenSource>, String> {
    match (file, env) {
        (Some(_), Some(_)) => Err("token_file and token_env: give one of them".into()),
        (Some(f), None) => Ok(Some(TokenSource::File(resolve(base, f)))),
        (None, Some(v)) if v.is_empty() || v.contains('=') => {
            Err(format!("token_env `{v}` is not a variable name"))
        }
        (None, Some(v)) => Ok(Some(TokenSource::Env(v.to_owned()))),
        (None, None) => Ok(None),
    }
}

/// Whether an output is a URL (`s3://…`) rather than a folder.
#[must_use]
pub fn is_url(out: &str) -> bool {
    out.contains("://")
}

fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

/// The endpoint a config's démarches use: the file's, else the command line's.
#[must_use]
pub fn endpoint<'a>(config: &'a Config, cli: Option<&'a str>) -> &'a str {
    config
        .api_url
        .as_deref()
        .or(cli)
        .unwrap_or(DEFAULT_ENDPOINT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Config {
        parse(text, Path::new("/etc/ds")).unwrap()
    }

    #[test]
    fn a_full_config_reads_with_paths_from_the_file_folder() {
        let c = parse_ok(
            r#"
parallel = 2
token_env = "DS_TOKEN_A"

[[demarche]]
number = 12
out = "d-12"
states = ["accepte", "refuse"]
since = "2024-01-31"

[[demarche]]
number = 13
groupe = 71
out = "s3://bucket/prefix"
token_file = "/run/secrets/b"
seda = { config = "seda.toml", out = "sips/13", profile = "vitam" }
"#,
        );
        assert_eq!(c.parallel, 2);
        assert_eq!(c.report, Path::new("/etc/ds/batch-report.json"));
        let [a, b] = &c.demarches[..] else {
            panic!("{c:?}")
        };
        assert_eq!((a.line, a.out.as_str()), (5, "/etc/ds/d-12"));
        assert_eq!(a.token, TokenSource::Env("DS_TOKEN_A".into()));
        assert_eq!(a.states, vec![DossierState::Accepte, DossierState::Refuse]);
        assert!(a
            .since
            .as_deref()
            .is_some_and(|s| s.starts_with("2024-01-3")));
        assert_eq!((b.line, b.groupe), (11, Some(71)));
        assert_eq!(b.out, "s3://bucket/prefix", "a URL passes through");
        assert_eq!(b.token, TokenSource::File("/run/secrets/b".into()));
        let seda = b.seda.as_ref().unwrap();
        assert_eq!(seda.out, Path::new("/etc/ds/sips/13"));
    }

    #[test]
    fn mistakes_name_the_key_and_the_line() {
        let text = "[[demarche]]\nnumber = 1\nout = \"a\"\nstats = [\"accepte\"]\n";
        let e = parse(text, Path::new("")).unwrap_err();
        assert!(e.starts_with("line 4:") && e.contains("`stats`"), "{e}");
        let e = parse("paralel = 2\n", Path::new("")).unwrap_err();
        assert!(e.starts_with("line 1:") && e.contains("`paralel`"), "{e}");
        let text = "[[demarche]]\nnumber = 1\nout = \"a\"\n\n[[demarche]]\nnumber = 2\nout = \"b\"\nstates = [\"fini\"]\n";
        let e = parse(text, Path::new("")).unwrap_err();
        assert!(e.starts_with("line 5:") && e.contains("fini"), "{e}");
        let text = "[[demarche]]\nnumber = 1\nout = \"a\"\n[[demarche]]\nnumber = 2\nout = \"a\"\n";
        let e = parse(text, Path::new("")).unwrap_err();
        assert!(
            e.contains("line 4") && e.contains("one folder per démarche"),
            "{e}"
        );
        let e = parse("", Path::new("")).unwrap_err();
        assert!(e.contains("no [[demarche]]"), "{e}");
        let text = "[[demarche]]\nnumber = 1\nout = \"a\"\ntoken_file = \"t\"\ntoken_env = \"T\"\n";
        let e = parse(text, Path::new("")).unwrap_err();
        assert!(e.contains("give one of them"), "{e}");
    }
}
