//! Microbenchmarks of the hot paths (criterion): hashing while streaming,
//! zip writing, manifest text, metadata generation. `cargo bench --bench
//! hot_paths`; docs/benchmarks.md has the figures and what they mean.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ds_archive::bag::tags;
use ds_archive::download::{stored_file_digests, stored_file_hasher};
use ds_archive::model::StoredFile;
use ds_archive::{bag_zip, metadata};
use serde_json::Value;

const MIB: usize = 1 << 20;

/// Incompressible bytes (xorshift), like the fake's generated files.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn hashing(c: &mut Criterion) {
    let chunk = noise(MIB, 1);
    let mut g = c.benchmark_group("multihasher_1MiB_chunk");
    g.throughput(Throughput::Bytes(MIB as u64));
    for sha512 in [false, true] {
        let name = if sha512 {
            "md5+sha256+sha512"
        } else {
            "md5+sha256"
        };
        g.bench_function(name, |b| {
            b.iter_batched(
                || stored_file_hasher(sha512),
                |mut h| {
                    h.update(black_box(&chunk));
                    stored_file_digests(h)
                },
                BatchSize::SmallInput,
            );
        });
    }
    g.finish();
}

/// JSON-like text that deflates well.
fn text(len: usize, seed: u64) -> Vec<u8> {
    let line =
        format!("{{\"champ\": \"valeur {seed}\", \"date\": \"2024-03-05T10:12:30+01:00\"}}\n");
    line.into_bytes().into_iter().cycle().take(len).collect()
}

/// A bag folder on disk with `files` files of `size` bytes named
/// `piece-<i>.<ext>`: noise, or text for `json`.
fn bag(root: &Path, files: usize, size: usize, ext: &str) -> PathBuf {
    let dir = root.join(format!("bag-{files}-{size}-{ext}"));
    let data = dir.join("data");
    std::fs::create_dir_all(&data).expect("bag dir");
    for i in 0..files {
        let bytes = if ext == "json" {
            text(size, i as u64)
        } else {
            noise(size, i as u64 + 7)
        };
        std::fs::write(data.join(format!("piece-{i}.{ext}")), bytes).expect("file");
    }
    std::fs::write(dir.join("bagit.txt"), tags::BAGIT_TXT).expect("bagit.txt");
    dir
}

fn zipping(c: &mut Criterion) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "one_64MiB_pdf_stored",
            bag(tmp.path(), 1, 64 * MIB, "pdf"),
            64 * MIB,
        ),
        (
            "one_64MiB_bin_noise_content_test_stores",
            bag(tmp.path(), 1, 64 * MIB, "bin"),
            64 * MIB,
        ),
        (
            "500_text_json_4KiB_deflated",
            bag(tmp.path(), 500, 4096, "json"),
            500 * 4096,
        ),
    ];
    let mut g = c.benchmark_group("zip_bag");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    for (name, dir, bytes) in &cases {
        g.throughput(Throughput::Bytes(*bytes as u64));
        let mut n = 0_u64;
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    n += 1;
                    let zip = tmp.path().join(format!("out-{n}.zip"));
                    let start = Instant::now();
                    let info = bag_zip::zip_bag(dir, "dossier-1", &zip, zip::DateTime::default())
                        .expect("zip_bag");
                    total += start.elapsed();
                    black_box(info);
                    std::fs::remove_file(&zip).expect("remove zip");
                }
                total
            });
        });
    }
    g.finish();
}

fn manifests(c: &mut Criterion) {
    let entries: Vec<(String, String)> = (0..10_000)
        .rev()
        .map(|i| {
            (
                format!("data/pieces/dossier-{i}/piece 100%-{i}.pdf"),
                format!("{i:064x}"),
            )
        })
        .collect();
    c.bench_function("manifest_text_10000_entries", |b| {
        b.iter(|| tags::manifest_text(black_box(&entries)));
    });
}

fn fixture(name: &str) -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/metadata")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(path).expect("fixture")).expect("JSON")
}

fn metadata_gen(c: &mut Criterion) {
    let demarche = fixture("demarche.json");
    let dossier = fixture("dossier-1003-accepte.json");
    let files: Vec<StoredFile> =
        serde_json::from_value(fixture("dossier-1003-accepte.files.json")).expect("files");
    let ctx = metadata::Context {
        demarche: &demarche,
        dossier: &dossier,
        files: &files,
        software: "ds-archive bench",
        archived_at: "2024-05-01T10:00:00+02:00",
    };
    c.bench_function("metadata_build_json_xml", |b| {
        b.iter(|| {
            let m = metadata::build(black_box(&ctx)).expect("metadata");
            (metadata::to_json(&m), metadata::to_xml(&m))
        });
    });
}

criterion_group!(benches, hashing, zipping, manifests, metadata_gen);
criterion_main!(benches);
