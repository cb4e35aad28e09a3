//! The BagIt checks, run over any [`Source`] (folder or zip): declaration,
//! manifests, completeness, Payload-Oxum, tag manifests, digests, name
//! oddities, then our own metadata when the bag is one of our bundles.
//!
//! Every check runs even after an earlier one failed, and anything that
//! cannot be read or parsed is a problem: the bag is never declared valid on
//! partial evidence.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::codes::Code;
use super::ours;
use super::paths::{is_junk, nfc, twins};
use super::problems::code;
use super::report::Finding;
use super::tagfile::{self, Declaration, Entry};
use crate::bagit::source::Source;
use crate::digest::{DigestAlg, HexDigests};

/// How to check one bag.
#[derive(Debug, Clone, Copy)]
pub struct BagOptions {
    /// Skip digests (and zip CRCs): completeness and Payload-Oxum only.
    pub fast: bool,
    /// Hashing threads.
    pub jobs: usize,
    /// Also compute SHA-256 of every file, to compare a folder with its zip.
    pub sha256_all: bool,
}

/// What checking one bag produced.
#[derive(Debug, Default)]
pub struct BagOutcome {
    /// Findings, bundle name not yet filled in.
    pub findings: Vec<Finding>,
    /// Files in the bag.
    pub files: u64,
    /// Their bytes.
    pub bytes: u64,
    /// Per file: size and the digests computed (empty in fast mode).
    pub facts: BTreeMap<String, (u64, HexDigests)>,
}

struct Manifest {
    name: String,
    alg: Option<DigestAlg>,
    tag: bool,
    entries: Vec<Entry>,
}

fn f(code: Code, path: &str, message: impl Into<String>) -> Finding {
    Finding::new(code, "", path, message)
}

/// Check the bag in `source`; `findings` holds what opening the source found.
pub fn check(source: &dyn Source, opts: &BagOptions, findings: Vec<Finding>) -> BagOutcome {
    let mut out = BagOutcome {
        findings,
        ..BagOutcome::default()
    };
    let files = source.files();
    out.files = files.len() as u64;
    out.bytes = files.iter().map(|f| f.size).sum();
    let sizes: HashMap<&str, u64> = files.iter().map(|f| (f.path.as_str(), f.size)).collect();
    let mut session = match source.session() {
        Ok(s) => s,
        Err(e) => {
            out.findings.push(f(code(e.kind), "", e.message));
            return out;
        }
    };
    let mut read = |path: &str, out: &mut Vec<Finding>| -> Option<Vec<u8>> {
        session
            .read_all(path)
            .map_err(|e| out.push(f(code(e.kind), path, e.message)))
            .ok()
    };

    let decl = if sizes.contains_key("bagit.txt") {
        let bytes = read("bagit.txt", &mut out.findings).unwrap_or_default();
        tagfile::parse_bagit_txt(&bytes, &mut out.findings)
    } else {
        out.findings.push(f(Code::BagitTxt, "bagit.txt", "missing"));
        Declaration {
            version: (1, 0),
            encoding: tagfile::TagEncoding::Utf8,
        }
    };
    if !((0, 97)..=(1, 0)).contains(&decl.version) {
        let (a, b) = decl.version;
        out.findings.push(f(
            Code::BagitVersion,
            "bagit.txt",
            format!("BagIt-Version {a}.{b}"),
        ));
    }
    if !source.has_dir("data") && !files.iter().any(|f| f.path.starts_with("data/")) {
        out.findings
            .push(f(Code::NoDataDir, "data", "the bag has no data/ folder"));
    }
    let mut text = |path: &str, out: &mut Vec<Finding>| -> Option<String> {
        let bytes = read(path, out)?;
        tagfile::decode(&bytes, decl.encoding)
            .map_err(|(code, msg)| out.push(f(code, path, msg)))
            .ok()
    };

    let mut manifests = Vec::new();
    for file in files.iter().filter(|f| !f.path.contains('/')) {
        let name = file.path.as_str();
        let (tag, alg_name) = if let Some(a) = name.strip_prefix("manifest-") {
            (false, a)
        } else if let Some(a) = name.strip_prefix("tagmanifest-") {
            (true, a)
        } else {
            continue;
        };
        let Some(alg_name) = alg_name.strip_suffix(".txt") else {
            continue;
        };
        let alg = DigestAlg::from_bagit_name(alg_name);
        if alg.is_none() {
            out.findings.push(f(
                Code::UnknownAlgorithm,
                name,
                format!("algorithm `{alg_name}` not supported"),
            ));
        }
        let Some(body) = text(name, &mut out.findings) else {
            continue;
        };
        let mut entries = tagfile::parse_manifest(&body, name, alg, &decl, &mut out.findings);
        entries.retain(|e| {
            let wrong = if tag {
                e.path.starts_with("data/") || e.path.starts_with("tagmanifest-")
            } else {
                !e.path.starts_with("data/")
            };
            if wrong {
                let what = if tag {
                    "tag manifest lists a payload file or a tag manifest"
                } else {
                    "payload manifest lists a file outside data/"
                };
                out.findings.push(f(
                    Code::ManifestScope,
                    &e.path,
                    format!("{what} ({name} line {})", e.line),
                ));
            }
            !wrong
        });
        manifests.push(Manifest {
            name: name.to_owned(),
            alg,
            tag,
            entries,
        });
    }
    let payload: Vec<&Manifest> = manifests.iter().filter(|m| !m.tag).collect();
    let payload_names: BTreeSet<&str> = files
        .iter()
        .filter(|f| !f.path.contains('/') && f.path.starts_with("manifest-"))
        .map(|f| f.path.as_str())
        .collect();
    if payload_names.is_empty() {
        out.findings.push(f(
            Code::NoManifest,
            "",
            "no payload manifest (manifest-<alg>.txt)",
        ));
    } else if !payload.iter().any(|m| m.alg.is_some()) && !payload.is_empty() {
        out.findings.push(f(
            Code::UnsupportedAlgorithm,
            "",
            "no payload manifest uses a supported algorithm",
        ));
    }

    let mut oxum = None;
    if sizes.contains_key("bag-info.txt") {
        if let Some(body) = text("bag-info.txt", &mut out.findings) {
            let info = tagfile::parse_bag_info(&body, &mut out.findings);
            oxum = tagfile::payload_oxum(&info, &mut out.findings);
        }
    }
    let fetch: Vec<String> = if sizes.contains_key("fetch.txt") {
        text("fetch.txt", &mut out.findings)
            .map(|body| tagfile::parse_fetch(&body, &decl, &mut out.findings))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let metadata = if sizes.contains_key(ours::METADATA_PATH) {
        read(ours::METADATA_PATH, &mut out.findings)
    } else {
        None
    };

    // Resolve manifest paths to files: exactly, or else by NFC equality.
    let mut by_nfc: HashMap<String, Vec<&str>> = HashMap::new();
    for file in files {
        by_nfc.entry(nfc(&file.path)).or_default().push(&file.path);
    }
    let resolve = |path: &str, findings: &mut Vec<Finding>| -> Option<String> {
        if sizes.contains_key(path) {
            return Some(path.to_owned());
        }
        match by_nfc.get(&nfc(path)).map(Vec::as_slice) {
            Some([only]) => {
                findings.push(f(
                    Code::NfcMatch,
                    path,
                    format!("matches `{only}` only after Unicode normalisation"),
                ));
                Some((*only).to_owned())
            }
            _ => None,
        }
    };

    // Completeness, and what each file's digests must be.
    let mut expected: BTreeMap<String, Vec<(DigestAlg, String, String, bool)>> = BTreeMap::new();
    let mut missing: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut listed_in: HashMap<String, BTreeSet<&str>> = HashMap::new();
    for m in &manifests {
        for e in &m.entries {
            match resolve(&e.path, &mut out.findings) {
                Some(file) => {
                    if let Some(alg) = m.alg {
                        expected.entry(file.clone()).or_default().push((
                            alg,
                            e.digest.clone(),
                            m.name.clone(),
                            m.tag,
                        ));
                    }
                    listed_in.entry(file).or_default().insert(&m.name);
                }
                None => missing.entry(e.path.clone()).or_default().push(&m.name),
            }
        }
    }
    let fetch_set: HashSet<&str> = fetch.iter().map(String::as_str).collect();
    for (path, in_manifests) in &missing {
        let mut msg = format!("listed in {} but not in the bag", in_manifests.join(", "));
        if fetch_set.contains(path.as_str()) {
            msg.push_str(" (only in fetch.txt: the bag is incomplete)");
        }
        out.findings.push(f(Code::Missing, path, msg));
    }
    let listed_anywhere: HashSet<&str> = payload
        .iter()
        .flat_map(|m| m.entries.iter().map(|e| e.path.as_str()))
        .collect();
    for path in &fetch {
        if !listed_anywhere.contains(path.as_str()) {
            out.findings.push(f(
                Code::FetchUnlisted,
                path,
                "in fetch.txt but in no payload manifest",
            ));
        }
    }
    let mut payload_bytes = 0u64;
    let mut payload_count = 0u64;
    for file in files {
        if is_junk(&file.path) {
            out.findings
                .push(f(Code::Junk, &file.path, "operating-system junk file"));
        }
        if !file.path.starts_with("data/") {
            continue;
        }
        payload_bytes += file.size;
        payload_count += 1;
        let lacking: Vec<&str> = payload
            .iter()
            .filter(|m| {
                !listed_in
                    .get(&file.path)
                    .is_some_and(|s| s.contains(m.name.as_str()))
            })
            .map(|m| m.name.as_str())
            .collect();
        if !lacking.is_empty() && !is_junk(&file.path) {
            out.findings.push(f(
                Code::Extra,
                &file.path,
                format!("not listed in {}", lacking.join(", ")),
            ));
        }
    }
    if let Some((bytes, count)) = oxum {
        if (bytes, count) != (payload_bytes, payload_count) {
            let msg = format!(
                "Payload-Oxum says {bytes} bytes in {count} files, the payload has {payload_bytes} bytes in {payload_count} files"
            );
            out.findings.push(f(Code::Oxum, "bag-info.txt", msg));
        }
    }
    if manifests.iter().any(|m| m.tag) {
        for name in &payload_names {
            if !manifests
                .iter()
                .any(|m| m.tag && m.entries.iter().any(|e| e.path == *name))
            {
                out.findings
                    .push(f(Code::TagUnlisted, name, "not listed in any tag manifest"));
            }
        }
    }
    let all_names = files.iter().map(|f| f.path.as_str()).chain(
        manifests
            .iter()
            .flat_map(|m| m.entries.iter().map(|e| e.path.as_str())),
    );
    for (code, group) in twins(all_names) {
        out.findings.push(f(
            code,
            &group[0],
            format!(
                "same name as `{}` up to {}",
                group[1..].join("`, `"),
                if code == Code::NfcTwin {
                    "Unicode normalisation"
                } else {
                    "letter case"
                }
            ),
        ));
    }

    let ours = metadata.as_deref().and_then(ours::parse);
    if !opts.fast {
        hash_and_compare(source, opts, ours.is_some(), &expected, &mut out);
    } else {
        out.facts = files
            .iter()
            .map(|f| (f.path.clone(), (f.size, HexDigests::new())))
            .collect();
    }
    if let Some(meta) = ours {
        ours::check(&meta, &out.facts, opts.fast, &mut out.findings);
    }
    out
}

/// Hash every file that needs it (in parallel) and compare with the manifests.
fn hash_and_compare(
    source: &dyn Source,
    opts: &BagOptions,
    ours: bool,
    expected: &BTreeMap<String, Vec<(DigestAlg, String, String, bool)>>,
    out: &mut BagOutcome,
) {
    let mut jobs: Vec<(&str, u64, Vec<DigestAlg>)> = Vec::new();
    for file in source.files() {
        let mut algs: BTreeSet<DigestAlg> = expected
            .get(&file.path)
            .into_iter()
            .flatten()
            .map(|e| e.0)
            .collect();
        if opts.sha256_all || (ours && file.path.starts_with("data/")) {
            algs.insert(DigestAlg::Sha256);
        }
        if !algs.is_empty() || source.read_everything() {
            jobs.push((&file.path, file.size, algs.into_iter().collect()));
        }
    }
    jobs.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let results = source.hash_files(&jobs, opts.jobs);
    for ((path, _, _), result) in jobs.iter().zip(results) {
        match result {
            Ok((size, digests)) => {
                for (alg, want, manifest, tag) in expected.get(*path).into_iter().flatten() {
                    let got = digests.get(alg).map_or("", String::as_str);
                    if got != want {
                        let code = if *tag { Code::TagDigest } else { Code::Digest };
                        let msg = format!(
                            "{} expected {want} got {got} ({manifest})",
                            alg.bagit_name()
                        );
                        out.findings.push(f(code, path, msg));
                    }
                }
                out.facts.insert((*path).to_owned(), (size, digests));
            }
            Err(e) => out.findings.push(f(code(e.kind), path, e.message)),
        }
    }
    for file in source.files() {
        out.facts
            .entry(file.path.clone())
            .or_insert_with(|| (file.size, HexDigests::new()));
    }
}
