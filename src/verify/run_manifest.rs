//! The run manifest (`manifest-sha256.txt`, written by `archive` for
//! `sha256sum -c`) checked against the zips of an archive: every zip listed
//! once with its SHA-256, every listed file present.
//!
//! Why it streams: the check is a join of two lists by name, the manifest's
//! lines and the zips found, each with an entry a dossier. Both are read in
//! name order (the manifest through an on-disk sort, [`crate::spill`]; the
//! zips sorted by the caller) and walked side by side, so memory does not grow
//! with the dossiers (docs/benchmarks.md, "Memory"). Parsing a line is pure.

use std::cmp::Ordering;
use std::io;

use super::codes::Code;
use super::problems::code;
use super::report::Finding;
use crate::bagit::source::ReadError;
use crate::spill::Sorter;

/// The run manifest's file name.
pub const RUN_MANIFEST: &str = "manifest-sha256.txt";

/// A zip's SHA-256 in lowercase hex, or the code and message of why it could
/// not be read; `None` when it was not computed (fast mode).
pub type ZipDigest = Option<Result<String, (Code, String)>>;

/// Parse one line of `sha256sum` output (`<hex>  <name>` or `<hex> *<name>`,
/// and the `\`-escaped form for names holding a newline or backslash):
/// `(name, lowercase hex)`, or a finding about line `n`.
pub fn parse_run_manifest_line(line: &str, n: usize) -> Result<(String, String), Finding> {
    let (escaped, body) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let parsed = body
        .get(..64)
        .zip(body.get(64..66))
        .zip(body.get(66..))
        .filter(|((hex, sep), name)| {
            hex.bytes().all(|b| b.is_ascii_hexdigit())
                && (*sep == "  " || *sep == " *")
                && !name.is_empty()
        });
    let Some(((hex, _), name)) = parsed else {
        return Err(Finding::new(
            Code::RunManifest,
            "",
            RUN_MANIFEST,
            format!("line {n}: not `<sha256>  <file>`"),
        ));
    };
    let name = if escaped {
        name.replace("\\n", "\n").replace("\\\\", "\\")
    } else {
        name.to_owned()
    };
    // A file of this folder, or of `demarche/` (the démarche's own
    // documents, src/pipeline/demarche_docs.rs).
    let file = name.strip_prefix("demarche/").unwrap_or(&name);
    if file.contains('/') || file.contains('\\') || matches!(file, ".." | "." | "") {
        return Err(Finding::new(
            Code::RunManifest,
            "",
            RUN_MANIFEST,
            format!("line {n}: `{name}` is not a file of this folder"),
        ));
    }
    Ok((name, hex.to_ascii_lowercase()))
}

/// Check the run manifest, read line by line from `manifest`, against the
/// zips (`zips` sorted by name, each with its digest at index `i` from
/// `digest`: `None` in fast mode or when it could not be computed);
/// `hash_other` hashes a listed file that is not a zip. The tests' way in:
/// callers stream their zips into [`check_sorted`].
///
/// # Errors
/// When `manifest` cannot be read.
#[cfg(test)]
pub fn check_run_manifest(
    manifest: impl io::BufRead,
    zips: &[String],
    digest: impl Fn(usize) -> Option<Result<String, ReadError>>,
    fast: bool,
    hash_other: impl Fn(&str) -> Option<Result<String, ReadError>>,
) -> io::Result<Vec<Finding>> {
    let zips = zips.iter().enumerate().map(|(i, name)| {
        let d = digest(i).map(|r| r.map_err(|e| (code(e.kind), e.message)));
        Ok((name.clone(), d))
    });
    check_sorted(manifest, zips, fast, hash_other)
}

/// [`check_run_manifest`] against the zips as a stream sorted by name (each
/// name once): the manifest's entries are sorted on disk and joined with it.
/// Findings come in no set order (the report sorts them).
///
/// # Errors
/// When `manifest` or `zips` cannot be read, or the sort cannot spill.
pub fn check_sorted(
    manifest: impl io::BufRead,
    zips: impl Iterator<Item = io::Result<(String, ZipDigest)>>,
    fast: bool,
    hash_other: impl Fn(&str) -> Option<Result<String, ReadError>>,
) -> io::Result<Vec<Finding>> {
    let mut out = Vec::new();
    let Some(entries) = sorted_entries(manifest, &mut out)? else {
        let f = Finding::new(Code::RunManifest, "", RUN_MANIFEST, "not UTF-8");
        return Ok(vec![f]);
    };
    let mut zips = zips;
    let mut head = zips.next().transpose()?;
    let not_listed = |name: &str| {
        let msg = format!("not listed in {RUN_MANIFEST}");
        Finding::new(Code::RunManifest, "", name, msg)
    };
    let mut previous: Option<String> = None;
    for entry in entries {
        let (name, want) = entry?;
        if previous.as_ref() == Some(&name) {
            let msg = format!("listed twice in {RUN_MANIFEST}");
            out.push(Finding::new(Code::RunManifest, "", name, msg));
            continue;
        }
        previous = Some(name.clone());
        // Zips before this name are not listed; the one of this name is.
        let mut zip = None;
        while let Some((z, _)) = &head {
            match z.as_str().cmp(name.as_str()) {
                Ordering::Less => out.push(not_listed(z)),
                Ordering::Equal => zip = head.take().map(|(_, d)| d),
                Ordering::Greater => break,
            }
            head = zips.next().transpose()?;
            if zip.is_some() {
                break;
            }
        }
        let got = match zip {
            Some(d) => d,
            None => match hash_other(&name) {
                None => {
                    let msg = format!("listed in {RUN_MANIFEST} but missing");
                    out.push(Finding::new(Code::RunManifest, "", name, msg));
                    continue;
                }
                Some(r) => Some(r.map_err(|e| (code(e.kind), e.message))),
            },
        };
        match got {
            _ if fast => {}
            Some(Ok(got)) if got != want => {
                let msg = format!("sha256 expected {want} got {got} ({RUN_MANIFEST})");
                out.push(Finding::new(Code::RunManifest, "", name, msg));
            }
            Some(Err((code, message))) => out.push(Finding::new(code, "", name, message)),
            _ => {}
        }
    }
    while let Some((z, _)) = head {
        out.push(not_listed(&z));
        head = zips.next().transpose()?;
    }
    Ok(out)
}

/// The manifest's entries `(name, lowercase hex)` sorted by name, the lines
/// of one name in the manifest's order; lines that do not parse become
/// findings in `out`. `None` when a line is not UTF-8.
fn sorted_entries(
    mut manifest: impl io::BufRead,
    out: &mut Vec<Finding>,
) -> io::Result<Option<impl Iterator<Item = io::Result<(String, String)>>>> {
    let mut sorter = Sorter::default();
    let mut bytes = Vec::new();
    for n in 1.. {
        bytes.clear();
        if manifest.read_until(b'\n', &mut bytes)? == 0 {
            break;
        }
        // As `str::lines`: the line ending is `\n` or `\r\n`.
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
        }
        let Ok(line) = std::str::from_utf8(&bytes) else {
            return Ok(None);
        };
        if line.is_empty() {
            continue;
        }
        match parse_run_manifest_line(line, n) {
            Ok((name, hex)) => sorter.push(name.as_bytes(), hex.as_bytes())?,
            Err(finding) => out.push(finding),
        }
    }
    let text = |b: Vec<u8>| {
        String::from_utf8(b).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    };
    Ok(Some(sorter.into_sorted()?.map(move |r| {
        r.and_then(|(k, v)| Ok((text(k)?, text(v)?)))
    })))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    /// Sorted: the check gives its findings in no set order.
    fn codes(f: &[Finding]) -> Vec<(&str, &str)> {
        let mut v: Vec<_> = f
            .iter()
            .map(|f| (f.code.as_str(), f.path.as_str()))
            .collect();
        v.sort_unstable();
        v
    }

    fn check(
        text: &str,
        zips: &[String],
        digests: &BTreeMap<usize, Result<String, ReadError>>,
        fast: bool,
    ) -> Vec<Finding> {
        let digest = |i: usize| digests.get(&i).cloned();
        check_run_manifest(text.as_bytes(), zips, digest, fast, |_| None).unwrap()
    }

    #[test]
    fn run_manifest_lines() {
        let a = "a".repeat(64);
        let text = format!(
            "{a}  dossier-1.zip\n{a} *dossier-2.zip\nbad line\n{a}  ../x.zip\n{a}  dossier-1.zip\n"
        );
        let zips = vec!["dossier-1.zip".to_owned(), "dossier-2.zip".to_owned()];
        let out = check(&text, &zips, &BTreeMap::new(), true);
        assert_eq!(
            codes(&out),
            [
                ("E_RUN_MANIFEST", "dossier-1.zip"),
                ("E_RUN_MANIFEST", RUN_MANIFEST),
                ("E_RUN_MANIFEST", RUN_MANIFEST)
            ]
        );
        let line = format!("\\{a}  a\\nb");
        assert_eq!(parse_run_manifest_line(&line, 1).unwrap().0, "a\nb");
        let crlf = format!("{a}  dossier-1.zip\r\n{a}  dossier-2.zip\r\n");
        assert!(check(&crlf, &zips, &BTreeMap::new(), true).is_empty());
        let bad = b"\xff\n".as_slice();
        let out = check_run_manifest(bad, &zips, |_| None, true, |_| None).unwrap();
        assert_eq!(out[0].message, "not UTF-8");
    }

    #[test]
    fn run_manifest_against_zips() {
        let a = "a".repeat(64);
        let b = "b".repeat(64);
        let text = format!("{a}  dossier-1.zip\n{a}  dossier-2.zip\n{a}  dossier-9.zip\n");
        let zips = vec![
            "dossier-1.zip".to_owned(),
            "dossier-2.zip".to_owned(),
            "dossier-3.zip".to_owned(),
        ];
        let digests: BTreeMap<usize, Result<String, ReadError>> =
            [(0, Ok(a.clone())), (1, Ok(b))].into();
        let out = check(&text, &zips, &digests, false);
        assert_eq!(
            codes(&out),
            [
                ("E_RUN_MANIFEST", "dossier-2.zip"),
                ("E_RUN_MANIFEST", "dossier-3.zip"),
                ("E_RUN_MANIFEST", "dossier-9.zip")
            ]
        );
        let fast = check(&text, &zips, &BTreeMap::new(), true);
        assert_eq!(
            codes(&fast),
            [
                ("E_RUN_MANIFEST", "dossier-3.zip"),
                ("E_RUN_MANIFEST", "dossier-9.zip")
            ]
        );
    }

    #[test]
    fn a_manifest_larger_than_the_sort_buffer_is_joined_in_full() {
        // 2·10⁴ zips listed in reverse order (1.7 MB of lines: the sort
        // spills runs to disk): one zip not listed, one listed name that is
        // no zip, one listed three times (its first line wrong), one digest
        // wrong.
        let n = 20_000;
        let digest = |i: usize| format!("{i:064x}");
        let zips: Vec<String> = {
            let mut z: Vec<String> = (0..n).map(|i| format!("dossier-{i}.zip")).collect();
            z.sort();
            z
        };
        let mut lines: Vec<String> = (0..n)
            .rev()
            .filter(|i| *i != 7)
            .map(|i| {
                let d = if i == 11 { digest(0) } else { digest(i) };
                format!("{d}  dossier-{i}.zip")
            })
            .collect();
        lines.insert(5, format!("{}  dossier-99.zip", digest(1)));
        lines.push(format!("{}  dossier-99.zip", digest(99)));
        lines.push(format!("{}  dossier-{n}.zip", digest(n)));
        let text = lines.join("\n");
        assert!(text.len() > 1 << 20);
        let digests = |i: usize| {
            let number: usize = zips[i]["dossier-".len()..zips[i].len() - 4]
                .parse()
                .unwrap();
            Some(Ok(digest(number)))
        };
        let out = check_run_manifest(text.as_bytes(), &zips, digests, false, |_| None).unwrap();
        let mut found: Vec<String> = out
            .iter()
            .map(|f| format!("{}: {}", f.path, f.message))
            .collect();
        found.sort();
        let (d0, d1, d11) = (digest(0), digest(1), digest(11));
        assert_eq!(
            found,
            [
                format!("dossier-11.zip: sha256 expected {d0} got {d11} ({RUN_MANIFEST})"),
                format!("dossier-20000.zip: listed in {RUN_MANIFEST} but missing"),
                format!("dossier-7.zip: not listed in {RUN_MANIFEST}"),
                format!("dossier-99.zip: listed twice in {RUN_MANIFEST}"),
                format!("dossier-99.zip: listed twice in {RUN_MANIFEST}"),
                format!(
                    "dossier-99.zip: sha256 expected {d1} got {} ({RUN_MANIFEST})",
                    digest(99)
                ),
            ]
        );
    }
}
