//! The machine's limits, measured in the same run as ds-archive: sequential
//! disk write (`dd ... conv=fdatasync`), cold read when the page cache can be
//! dropped, single-core digest speed (`openssl speed`, else `sha256sum` on a
//! cached file), and `sha256sum` over a list of files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context as _, Result};

use super::run::{have, sync};

/// Bytes per second of each thing measured; `None` when the tool is absent.
#[derive(Debug, Default, Clone)]
pub struct Limits {
    pub cores: usize,
    pub dd_write: Option<f64>,
    pub cold_read: Option<f64>,
    /// Single-core openssl rates, by algorithm name (`md5`, `sha256`, `sha512`).
    pub openssl: BTreeMap<String, f64>,
    /// Single-core rates of the digest crates ds-archive is built with
    /// (`md-5`, `sha2`), by the same names: what its own hashing can reach;
    /// and `crc32`, the zip's checksum (crc32fast, through flate2).
    pub crates: BTreeMap<String, f64>,
    /// `sha256sum` of a file in the page cache, one core.
    pub sha256sum_cached: Option<f64>,
    pub notes: Vec<String>,
}

impl Limits {
    /// One core hashing every byte with all of `algs` (rates add as times).
    pub fn combined(&self, algs: &[&str]) -> Option<f64> {
        let mut secs_per_byte = 0.0;
        for a in algs {
            secs_per_byte += 1.0 / self.openssl.get(*a)?;
        }
        Some(1.0 / secs_per_byte)
    }

    /// Seconds of one core that the work no implementation can skip costs
    /// for `payload` bytes zipped into `zipped` bytes, at the crates' rates:
    /// the three digests (MD5 against DS, SHA-256 and SHA-512 for the
    /// manifests) and the zip's CRC-32 twice (written, then checked by the
    /// read-back) of every payload byte, and the read-back's SHA-256 of the
    /// zips. Deflating is the caller's to add: it depends on the content.
    pub fn required_cpu(&self, payload: u64, zipped: u64) -> Option<f64> {
        let three = self.combined_crates(&["md5", "sha256", "sha512"])?;
        let (crc, sha256) = (self.crates.get("crc32")?, self.crates.get("sha256")?);
        Some(payload as f64 * (1.0 / three + 2.0 / crc) + zipped as f64 / sha256)
    }

    /// The same with the crates' rates.
    pub fn combined_crates(&self, algs: &[&str]) -> Option<f64> {
        let mut secs_per_byte = 0.0;
        for a in algs {
            secs_per_byte += 1.0 / self.crates.get(*a)?;
        }
        Some(1.0 / secs_per_byte)
    }
}

pub fn measure(scratch: &Path, dd_mib: u64) -> Result<Limits> {
    let mut limits = Limits {
        cores: std::thread::available_parallelism().map_or(1, usize::from),
        ..Limits::default()
    };
    let file = scratch.join("dd.bin");
    if have("dd") {
        sync();
        let start = Instant::now();
        let ok = Command::new("dd")
            .args(["if=/dev/zero", "bs=1M", "conv=fdatasync"])
            .arg(format!("of={}", file.display()))
            .arg(format!("count={dd_mib}"))
            .stderr(Stdio::null())
            .status()
            .context("run dd")?
            .success();
        let secs = start.elapsed().as_secs_f64();
        if ok {
            limits.dd_write = Some((dd_mib << 20) as f64 / secs);
            limits.cold_read = cold_read(&file, dd_mib, &mut limits.notes);
            limits.sha256sum_cached =
                sha256sum_rate(std::slice::from_ref(&file)).map(|(b, s)| b as f64 / s);
        }
    } else {
        limits.notes.push("dd absent: no disk write limit".into());
    }
    let _ = std::fs::remove_file(&file);
    limits.crates = crate_speed();
    if have("openssl") {
        limits.openssl = openssl_speed()?;
    } else {
        limits
            .notes
            .push("openssl absent: hashing limit from sha256sum only".into());
    }
    Ok(limits)
}

/// Write back dirty pages, then drop the page cache: false where that is
/// refused (not root, some containers).
pub fn drop_page_cache() -> bool {
    sync();
    std::fs::write("/proc/sys/vm/drop_caches", "3\n").is_ok()
}

/// Read every file once, into nothing: brings them into the page cache.
///
/// # Errors
/// A file cannot be read.
pub fn read_all(files: &[PathBuf]) -> Result<()> {
    for f in files {
        let mut file = std::fs::File::open(f).with_context(|| format!("open {}", f.display()))?;
        std::io::copy(&mut file, &mut std::io::sink())
            .with_context(|| format!("read {}", f.display()))?;
    }
    Ok(())
}

/// Drop the page cache (root only; refused in some containers) and read
/// `file` back with dd.
fn cold_read(file: &Path, mib: u64, notes: &mut Vec<String>) -> Option<f64> {
    if !drop_page_cache() {
        notes.push("page cache cannot be dropped here: no cold read figure".into());
        return None;
    }
    let start = Instant::now();
    let ok = Command::new("dd")
        .arg(format!("if={}", file.display()))
        .args(["of=/dev/null", "bs=1M"])
        .stderr(Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then(|| (mib << 20) as f64 / start.elapsed().as_secs_f64())
}

/// `openssl speed -bytes 1048576` for md5, sha256 and sha512: bytes/s.
fn openssl_speed() -> Result<BTreeMap<String, f64>> {
    let out = Command::new("openssl")
        .args([
            "speed", "-seconds", "2", "-bytes", "1048576", "md5", "sha256", "sha512",
        ])
        .stderr(Stdio::null())
        .output()
        .context("run openssl speed")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut rates = BTreeMap::new();
    // Result lines: `sha256   2108444.36k` (1000s of bytes per second).
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let (Some(alg), Some(rate)) = (words.next(), words.next()) else {
            continue;
        };
        if let Some(k) = rate.strip_suffix('k').and_then(|r| r.parse::<f64>().ok()) {
            if ["md5", "sha256", "sha512"].contains(&alg) {
                rates.insert(alg.to_owned(), k * 1000.0);
            }
        }
    }
    Ok(rates)
}

/// One core hashing 256 MiB (in memory, after a warm-up) with each digest
/// crate ds-archive uses, and the zip's CRC-32 (crc32fast, through flate2):
/// bytes/s, keyed like `openssl speed`.
fn crate_speed() -> BTreeMap<String, f64> {
    fn digest<D: sha2::Digest>(buf: &[u8]) -> f64 {
        let mut h = D::new();
        let r = rate(buf, |c| h.update(c));
        std::hint::black_box(h.finalize());
        r
    }
    let mut x = 0x9e37_79b9_7f4a_7c15_u64;
    let buf: Vec<u8> = (0..256 << 20)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    let mut crc = flate2::Crc::new();
    let crc32 = rate(&buf, |c| crc.update(c));
    std::hint::black_box(crc.sum());
    BTreeMap::from([
        ("md5".to_owned(), digest::<md5::Md5>(&buf)),
        ("sha256".to_owned(), digest::<sha2::Sha256>(&buf)),
        ("sha512".to_owned(), digest::<sha2::Sha512>(&buf)),
        ("crc32".to_owned(), crc32),
    ])
}

/// One core feeding `buf` to `update` in 1 MiB pieces, after an eighth of
/// it as a warm-up: bytes/s.
fn rate(buf: &[u8], mut update: impl FnMut(&[u8])) -> f64 {
    update(&buf[..buf.len() / 8]);
    let start = Instant::now();
    for chunk in buf.chunks(1 << 20) {
        update(chunk);
    }
    buf.len() as f64 / start.elapsed().as_secs_f64()
}

/// `sha256sum` over `files` in one process: (bytes, seconds).
pub fn sha256sum_rate(files: &[PathBuf]) -> Option<(u64, f64)> {
    if !have("sha256sum") || files.is_empty() {
        return None;
    }
    let bytes: u64 = files
        .iter()
        .filter_map(|f| f.metadata().ok())
        .map(|m| m.len())
        .sum();
    let start = Instant::now();
    let ok = Command::new("sha256sum")
        .args(files)
        .stdout(Stdio::null())
        .status()
        .ok()?
        .success();
    ok.then(|| (bytes, start.elapsed().as_secs_f64()))
}
