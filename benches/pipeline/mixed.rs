//! Mixed content: what a real démarche's attachments look like to the zip
//! step. Compressible text (CSV, JSON, prose), already-compressed formats
//! (PDF, JPEG, DOCX: random bytes, which is what their compressed streams
//! look like to a compressor) and random bytes under a text name (`.txt`),
//! against the naive pipeline and bagit-python on the same files in the same
//! run, and against the larger of two floors: the disk's (the bytes
//! ds-archive writes at `dd`'s rate) and the CPU's (every digest of every
//! byte, the zip's CRC-32s and read-back, deflating and inflating the text,
//! spread over the cores).

use std::ffi::OsString;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, Result};
use serde_json::{json, Value};

use crate::baseline;
use crate::report::{mbps, mib, ratio, secs, Table};
use crate::run::{self, have, Job, Measured};
use crate::scenarios::{archive, start_fake, warm};
use crate::Bench;

const MIB: u64 = 1 << 20;
const DOSSIERS: u64 = 4;

/// Makes `len` bytes of text from a seed.
type TextGen = fn(usize, u64) -> String;

/// The files of one dossier: name, size in units, text generator (None:
/// random bytes).
const FILES: &[(&str, u64, Option<TextGen>)] = &[
    ("export.csv", 2, Some(csv)),
    ("donnees.json", 1, Some(json_lines)),
    ("notes.txt", 1, Some(prose)),
    ("piece.pdf", 2, None),
    ("photo.jpg", 1, None),
    ("annexe.docx", 1, None),
    ("releve.txt", 1, None),
];

/// xorshift, for deterministic text.
fn next(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

const NAMES: &[&str] = &[
    "Dupont", "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois",
    "Moreau", "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux",
];
const TOWNS: &[&str] = &[
    "Paris",
    "Lyon",
    "Marseille",
    "Toulouse",
    "Nice",
    "Nantes",
    "Strasbourg",
    "Bordeaux",
    "Lille",
];
const STATES: &[&str] = &["accepte", "refuse", "en_instruction", "en_construction"];

fn pick<'a>(x: &mut u64, from: &[&'a str]) -> &'a str {
    from[(next(x) % from.len() as u64) as usize]
}

/// A DS-like CSV export of `len` bytes.
fn csv(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    let mut s = String::from("numero;nom;date_depot;etat;montant;code_postal;ville;commentaire\n");
    while s.len() < len {
        let n = next(&mut x);
        s += &format!(
            "{};{};2024-{:02}-{:02}T{:02}:{:02}:00+01:00;{};{}.{:02};{:05};{};{}\n",
            100_000 + n % 900_000,
            pick(&mut x, NAMES),
            n % 12 + 1,
            n % 28 + 1,
            n % 24,
            n % 60,
            pick(&mut x, STATES),
            n % 100_000,
            n % 100,
            1000 + n % 94_000,
            pick(&mut x, TOWNS),
            if n.is_multiple_of(2) {
                "RAS"
            } else {
                "pièces vérifiées"
            }
        );
    }
    s.truncate(len);
    s
}

/// JSON records, one a line, of `len` bytes.
fn json_lines(len: usize, seed: u64) -> String {
    let mut x = seed | 1;
    let mut s = String::new();
    while s.len() < len {
        let n = next(&mut x);
        let rec = json!({"id": n % 1_000_000_000, "usager": {"email": format!("{}.{}@exemple.fr",
            pick(&mut x, NAMES).to_lowercase(), n % 1000)},
            "champs": [{"label": "Montant demandé", "stringValue": (n % 99_999).to_string()},
                       {"label": "Commune", "stringValue": pick(&mut x, TOWNS)}],
            "state": pick(&mut x, STATES)});
        s += &rec.to_string();
        s.push('\n');
    }
    s.truncate(len);
    s
}

/// Sentences from a small vocabulary, `len` bytes.
fn prose(len: usize, seed: u64) -> String {
    const WORDS: &[&str] = &[
        "le",
        "dossier",
        "demande",
        "pièce",
        "justificative",
        "instruction",
        "commission",
        "subvention",
        "association",
        "projet",
        "montant",
        "avis",
        "favorable",
        "après",
        "examen",
        "des",
        "éléments",
        "fournis",
        "par",
        "usager",
        "service",
        "décision",
        "motivée",
        "selon",
        "règlement",
        "budget",
        "annuel",
        "quartier",
        "action",
        "culturelle",
    ];
    let mut x = seed | 1;
    let mut s = String::new();
    while s.len() < len {
        for i in 0..(8 + next(&mut x) % 12) {
            if i > 0 {
                s.push(' ');
            }
            s += pick(&mut x, WORDS);
        }
        s += ".\n";
    }
    s.truncate(len);
    s
}

/// One core deflating `text` at ds-archive's level, then inflating it back
/// (the zip's read-back): the CPU price of a text byte in its zip, as
/// (deflate, inflate) rates in bytes of text a second.
fn deflate_rates(text: &[u8]) -> (f64, f64) {
    let level = u32::try_from(ds_archive::bag_zip::options::DEFLATE_LEVEL).unwrap_or(2);
    let start = Instant::now();
    let mut enc = flate2::write::DeflateEncoder::new(
        Vec::with_capacity(text.len() / 2),
        flate2::Compression::new(level),
    );
    let packed = enc.write_all(text).and_then(|()| enc.finish());
    let deflate = text.len() as f64 / start.elapsed().as_secs_f64();
    let Ok(packed) = packed else {
        return (deflate, f64::INFINITY);
    };
    let start = Instant::now();
    let mut dec = flate2::write::DeflateDecoder::new(std::io::sink());
    let _ = dec
        .write_all(&packed)
        .and_then(|()| dec.finish().map(|_| ()));
    (deflate, text.len() as f64 / start.elapsed().as_secs_f64())
}

/// bagit-python on the same files: curl them, `bagit.py` make (SHA-256 and
/// SHA-512 manifests, as ds-archive) and validate, then `sync`.
const BAGIT_SCRIPT: &str = r#"#!/bin/bash
set -euo pipefail
while IFS=$'\t' read -r dossier name url; do
  mkdir -p "dossier-$dossier"
  curl -sS --fail -o "dossier-$dossier/$name" "$url"
done < urls.tsv
for d in dossier-*/; do
  bagit.py --quiet --sha256 --sha512 "$d"
  bagit.py --quiet --validate "$d"
done
sync
"#;

fn bagit_python(dir: &Path, urls: &[baseline::FileUrl], scratch: &Path) -> Result<Measured> {
    run::clean(dir)?;
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let tsv: String = urls
        .iter()
        .map(|(n, name, url)| format!("{n}\t{name}\t{url}\n"))
        .collect();
    std::fs::write(dir.join("urls.tsv"), tsv).context("write urls.tsv")?;
    let script = scratch.join("bagit-python.sh");
    std::fs::write(&script, BAGIT_SCRIPT).context("write bagit-python.sh")?;
    let job = Job {
        program: Path::new("bash"),
        args: vec![OsString::from(script)],
        env: Vec::new(),
        cwd: Some(dir),
    };
    run::measure(&job, scratch)
}

fn faster(kept: Option<Measured>, new: Measured) -> Measured {
    match kept {
        Some(k) if k.wall <= new.wall => k,
        _ => new,
    }
}

pub fn mixed(b: &mut Bench) -> Result<()> {
    let unit = b.scaled(8 * MIB, 64 * 1024);
    let server = start_fake(b, DOSSIERS, 1, 1)?;
    let (mut total, mut text_bytes) = (0u64, 0u64);
    let mut sample_text = Vec::new();
    for (d, number) in server.dataset().dossier_numbers().into_iter().enumerate() {
        let mut files = Vec::new();
        for (f, (name, units, gen)) in FILES.iter().enumerate() {
            let size = unit * units;
            let seed = number * 100 + f as u64;
            let content = match gen {
                Some(g) => {
                    let text = g(size as usize, seed);
                    if d == 0 {
                        sample_text.extend_from_slice(text.as_bytes());
                    }
                    text_bytes += size;
                    format!("text:{text}")
                }
                None => format!("gen:{seed}:{size}"),
            };
            total += size;
            files.push(json!({"__typename": "File", "filename": name,
                "contentType": "application/octet-stream", "createdAt": "2024-01-08T09:00:00+01:00",
                "content": content}));
        }
        let files = Value::Array(files);
        server
            .dataset()
            .update_dossier(number, move |v| v["champs"][1]["files"] = files)
            .context("mixed dossier")?;
    }
    let urls = warm(b, &server)?;
    let (deflate, inflate) = deflate_rates(&sample_text);
    drop(sample_text);
    let mut t = Table::new(&format!(
        "Mixed content: {DOSSIERS} dossiers × {} files = {:.2} GB ({:.0} % text), SHA-256 + SHA-512 manifests",
        FILES.len(),
        total as f64 / 1e9,
        100.0 * text_bytes as f64 / total as f64
    ));

    let missing = baseline::missing_tools();
    let bagit = have("bagit.py") && missing.is_empty();
    if !bagit {
        b.report
            .notes
            .push("mixed: bagit-python column skipped (bagit.py, curl or bash absent)".into());
    }
    let (base_dir, py_dir) = (b.work.join("mixed-naive"), b.work.join("mixed-bagit"));
    let (both_dir, zips_dir) = (b.work.join("mixed-both"), b.work.join("mixed-zips"));
    let (mut base, mut py, mut both, mut zips) = (None, None, None, None);
    let mut fake_cpu = None;
    for _ in 0..b.repeat {
        if missing.is_empty() {
            base = Some(faster(base, baseline::run(&base_dir, &urls, &b.work)?));
            run::clean(&base_dir)?;
        }
        if bagit {
            py = Some(faster(py, bagit_python(&py_dir, &urls, &b.work)?));
            run::clean(&py_dir)?;
        }
        run::clean(&both_dir)?;
        let cpu_before = run::own_cpu_secs();
        let m = archive(b, &server, &both_dir, &[])?;
        // The fake runs in this process: what serving the files cost it.
        if both.as_ref().is_none_or(|k: &Measured| m.wall < k.wall) {
            fake_cpu = run::own_cpu_secs()
                .zip(cpu_before)
                .map(|(after, before)| after - before);
        }
        both = Some(faster(both, m));
        run::clean(&zips_dir)?;
        zips = Some(faster(
            zips,
            archive(b, &server, &zips_dir, &["--keep", "zips"])?,
        ));
    }
    let both = both.context("at least one run")?;
    let zips = zips.context("at least one run")?;
    let zip_sizes: u64 = std::fs::read_dir(&zips_dir)
        .context("list the zips")?
        .filter_map(|e| e.ok()?.metadata().ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    run::clean(&both_dir)?;
    run::clean(&zips_dir)?;

    // Floors: the disk's for the bytes the run wrote; the CPU's for the
    // work no implementation can skip, over the cores: what every byte
    // needs (`Limits::required_cpu`), and the text deflated and inflated
    // back.
    let cores = b.limits.cores.max(1) as f64;
    let cpu_floor = b
        .limits
        .required_cpu(total, zip_sizes)
        .map(|required| (required + text_bytes as f64 * (1.0 / deflate + 1.0 / inflate)) / cores);
    for (label, m) in [("--keep both", &both), ("--keep zips", &zips)] {
        // Bytes that must reach the disk: all written with `both`; only the
        // zips with `zips` (the count of bytes written includes the staged
        // bags, deleted before the kernel had to write them).
        let must_write = if label == "--keep zips" {
            Some(zip_sizes)
        } else {
            m.written
        };
        let disk_floor = must_write
            .zip(b.limits.dd_write)
            .map(|(w, dd)| w as f64 / dd);
        let floor = match (disk_floor, cpu_floor) {
            (Some(d), Some(c)) => Some(d.max(c)),
            (d, c) => d.or(c),
        };
        t.row(
            &format!("ds-archive {label}: wall time"),
            secs(m.secs()),
            floor.map_or_else(String::new, |f| {
                format!(
                    "floor {} (disk {}, CPU {})",
                    secs(f),
                    disk_floor.map_or("n/a".into(), secs),
                    cpu_floor.map_or("n/a".into(), secs)
                )
            }),
            floor.map_or_else(String::new, |f| {
                format!("{:.2}× the floor (target ≤ 1.25)", m.secs() / f)
            }),
        );
        t.row(
            &format!("ds-archive {label}: CPU, peak RSS, bytes written"),
            format!(
                "{}, {}, {:.2} GB",
                m.cpu_secs.map_or("n/a".into(), secs),
                mib(m.max_rss_kib),
                m.written.unwrap_or(0) as f64 / 1e9
            ),
            String::new(),
            String::new(),
        );
        for (name, other) in [("the naive pipeline", &base), ("bagit-python", &py)] {
            if let Some(o) = other {
                t.row(
                    &format!("ds-archive {label} against {name}"),
                    secs(m.secs()),
                    format!("{name} {}", secs(o.secs())),
                    ratio(m.secs() / o.secs(), None),
                );
            }
        }
    }
    t.row(
        "zips' size",
        format!("{:.2} GB", zip_sizes as f64 / 1e9),
        format!("payload {:.2} GB", total as f64 / 1e9),
        ratio(zip_sizes as f64 / total as f64, None),
    );
    t.row(
        "deflate at ds-archive's level, 1 core (text of this scenario)",
        mbps(deflate),
        String::new(),
        String::new(),
    );
    t.row(
        "inflate of the same, 1 core (the zip's read-back)",
        mbps(inflate),
        String::new(),
        String::new(),
    );
    if let Some(cpu) = fake_cpu {
        t.row(
            "the fake DS's CPU while serving the `--keep both` run (same cores)",
            secs(cpu),
            String::new(),
            format!("{:.0}% of one core", 100.0 * cpu / both.secs()),
        );
    }
    b.report.tables.push(t);
    b.rt.block_on(server.shutdown());
    Ok(())
}
