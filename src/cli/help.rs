//! The end of each command's `--help`: an example to copy and the exit
//! codes a script can test (README "Exit codes" says the same).

/// `archive --help`.
pub const ARCHIVE: &str = "\
Example:
  DS_API_TOKEN=... ds-archive archive --demarche 12345 --out archive-12345 --since 2024-01-01
  ds-archive archive --demarche 12345 --groupe 71 --out archive-12345-g71
  ds-archive archive --demarche 12345 --demarche 678 --out archives   # archives/demarche-N
  ds-archive archive --config archive.toml        # many démarches (docs/deploy.md)

Exit codes:
  0    every dossier archived and verified
  1    the run finished but some dossiers failed, or the dossiers deleted at DS
       could not be listed (rerun to retry them), or no TSA gave a timestamp
       (--tsa-url; `ds-archive timestamp` asks again); several démarches: some
       dossiers or démarches failed
  2    fatal: bad arguments or token, unknown démarche, unusable --out, locked folder;
       several démarches: none could run, or a bad --config
  130  interrupted (Ctrl-C): rerun the same command to resume
  143  stopped by SIGTERM (systemd, timeout, Kubernetes): rerun to resume
  129  stopped by SIGHUP: rerun to resume";

/// `demo --help`.
pub const DEMO: &str = "\
Example:
  ds-archive demo --out demo-archive && ds-archive verify demo-archive

Exit codes:
  0    the sample démarche was archived and verified
  1    some dossiers failed, or no TSA gave a timestamp (--tsa-url)
  2    fatal: the fake API or the output folder could not be used
  130  interrupted (Ctrl-C); 143 by SIGTERM; 129 by SIGHUP";

/// `verify --help`.
pub const VERIFY: &str = "\
Example:
  ds-archive verify archive-12345 --json > verify-report.json
  ds-archive verify vue-12345 --against archive-12345     (an export view)

Exit codes:
  0    everything checked is valid
  1    problems were found (listed on stdout)
  2    nothing could be checked: a path is missing, unreadable or not a bundle";

/// `timestamp --help`.
pub const TIMESTAMP: &str = "\
Example:
  ds-archive timestamp archive-12345 --tsa-url https://tsa.example/tsp --tsa-auth-file tsa-auth

Writes manifest-sha256.txt.tsq and .tsr beside the manifest; a manifest whose
token already covers it is left alone. docs/timestamps.md: choosing a TSA and
checking a token with openssl.

Exit codes:
  0    the manifest has a token covering it (new or already there)
  1    no TSA gave a token, or the stored token does not cover the manifest
  2    bad arguments, no manifest-sha256.txt, locked folder";

/// `status --help`.
pub const STATUS: &str = "\
Example:
  ds-archive status archive-12345 --json | jq .failed

Exit codes:
  0    no dossier is failed
  1    some dossiers are failed (rerun `archive` to retry them)
  2    the folder is not a ds-archive output folder or cannot be read";

/// `seda --help`.
pub const SEDA: &str = "\
Example:
  ds-archive seda --from archive-12345 --out sip --config seda.toml --profile vitam --max-size 1G
  ds-archive seda --from s3://archives/demarche-12345 --out sip --config seda.toml

Exit codes:
  0    every dossier packaged
  1    some dossiers skipped (listed on stderr)
  2    fatal: bad configuration or options, --from holds no dossier bundle or its bucket
       cannot be read, unwritable --out";

/// `inventory --help`.
pub const INVENTORY: &str = "\
Example:
  ds-archive inventory archive-12345 --format ods --out dossiers-12345.ods
  ds-archive inventory s3://archives/demarche-12345 --out dossiers-12345.csv

Exit codes:
  0    every bundle listed
  1    some bundles could not be read (left out, listed on stderr)
  2    fatal: DIR holds no dossier bundle, its bucket cannot be read, or the output
       cannot be written";

/// `export --help`.
pub const EXPORT: &str = "\
Example:
  ds-archive template init --from archive-12345 > export.toml
  ds-archive export archive-12345 --template export.toml --out vue-12345
  ds-archive verify vue-12345 --against archive-12345

Exit codes:
  0    every dossier exported (paths.csv maps each file to its bag path and SHA-256)
  1    some dossiers could not be read (left out, listed on stderr)
  2    fatal: bad template, no bundle in DIR, or VIEW exists and is not an earlier view";

/// `template --help`.
pub const TEMPLATE: &str = "\
Example:
  ds-archive template init --from archive-12345 > export.toml
  ds-archive template check export.toml --from archive-12345

Exit codes:
  0    the template is valid (check) or was printed (init)
  2    the template is invalid (the key and line are named) or DIR holds no bundle";
