//! The naive pipeline ds-archive is compared with: the file URLs are listed
//! from the fake's GraphQL (one POST per page of 100, done by the harness,
//! untimed: it is also what warms the fake's cached MD5s), then a shell
//! script downloads them one by one with `curl`, writes `sha256sum`
//! manifests, makes one `zip -0` per dossier and ends with `sync` (ds-archive
//! fsyncs its files; the baseline must pay for durability too).

use std::ffi::OsString;
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use serde_json::{json, Value};

use super::run::{self, have, Job, Measured};

/// One file to fetch: dossier number, file name, signed URL.
pub type FileUrl = (u64, String, String);

/// Asks for `checksum` too, though the baseline does not check it: the fake
/// computes a file's MD5 only when a query selects it, then caches it, and
/// this listing runs untimed before every measured run precisely so that no
/// run is charged for the fake's checksums.
const LIST_QUERY: &str = "query list($n: Int!, $after: String) { demarche(number: $n) { \
    dossiers(first: 100, after: $after) { pageInfo { hasNextPage endCursor } \
    nodes { number champs { ... on PieceJustificativeChamp { files { filename url checksum } } } } } } }";

/// Every attachment URL of démarche `demarche`, page by page.
pub async fn list_urls(graphql: &str, token: &str, demarche: u64) -> Result<Vec<FileUrl>> {
    let http = reqwest::Client::new();
    let mut after = Value::Null;
    let mut urls = Vec::new();
    loop {
        let body = json!({"query": LIST_QUERY, "operationName": "list",
                          "variables": {"n": demarche, "after": after}});
        let resp: Value = http
            .post(graphql)
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .context("GraphQL listing")?
            .json()
            .await
            .context("GraphQL listing body")?;
        let conn = &resp["data"]["demarche"]["dossiers"];
        let Some(nodes) = conn["nodes"].as_array() else {
            bail!("unexpected GraphQL answer: {resp}");
        };
        for node in nodes {
            let number = node["number"].as_u64().unwrap_or(0);
            let champs = node["champs"].as_array().into_iter().flatten();
            for file in champs.filter_map(|c| c["files"].as_array()).flatten() {
                let name = file["filename"].as_str().unwrap_or_default().to_owned();
                let url = file["url"].as_str().unwrap_or_default().to_owned();
                urls.push((number, name, url));
            }
        }
        if conn["pageInfo"]["hasNextPage"].as_bool() != Some(true) {
            return Ok(urls);
        }
        after = conn["pageInfo"]["endCursor"].clone();
    }
}

const SCRIPT: &str = r#"#!/bin/bash
# Naive archiving: curl, sha256sum, zip -0, one dossier folder at a time.
set -euo pipefail
while IFS=$'\t' read -r dossier name url; do
  mkdir -p "dossier-$dossier/data"
  curl -sS --fail -o "dossier-$dossier/data/$name" "$url"
done < urls.tsv
for d in dossier-*/; do
  d=${d%/}
  (cd "$d" && sha256sum data/* > manifest-sha256.txt)
  zip -0 -q -r "$d.zip" "$d"
done
sync
"#;

/// Tools the baseline needs that are absent.
pub fn missing_tools() -> Vec<&'static str> {
    ["curl", "sha256sum", "zip", "bash"]
        .into_iter()
        .filter(|t| !have(t))
        .collect()
}

/// Run the baseline in `dir` (created empty) over `urls`.
pub fn run(dir: &Path, urls: &[FileUrl], scratch: &Path) -> Result<Measured> {
    run::clean(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let tsv: String = urls
        .iter()
        .map(|(n, name, url)| format!("{n}\t{name}\t{url}\n"))
        .collect();
    std::fs::write(dir.join("urls.tsv"), tsv).context("write urls.tsv")?;
    let script = scratch.join("baseline.sh");
    std::fs::write(&script, SCRIPT).context("write baseline.sh")?;
    let job = Job {
        program: Path::new("bash"),
        args: vec![OsString::from(script)],
        env: Vec::new(),
        cwd: Some(dir),
    };
    run::measure(&job, scratch)
}
