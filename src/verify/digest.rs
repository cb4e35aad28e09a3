//! Digest algorithms, single-pass multi-algorithm hashing, and the small
//! thread pool that spreads hashing across cores.
//!
//! Every file is read once, in large blocks, and fed to every algorithm its
//! manifests use. Work is shared through an atomic index over a list sorted
//! biggest first, so one large file does not end up last on a busy core.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use sha2::digest::DynDigest;

/// Read block size: large enough for sequential throughput on disks and
/// network filesystems, small enough to keep one per thread.
pub const BLOCK: usize = 1 << 20;

/// A manifest algorithm verify can compute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Algorithm {
    /// MD5 (BagIt compatibility only).
    Md5,
    /// SHA-1 (BagIt compatibility only).
    Sha1,
    /// SHA-224.
    Sha224,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// Parse the algorithm part of `manifest-<alg>.txt`, case-insensitively,
    /// ignoring non-alphanumerics (`SHA-256` = `sha256`).
    #[must_use]
    pub fn from_bagit_name(name: &str) -> Option<Self> {
        let norm: String = name
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_lowercase();
        Some(match norm.as_str() {
            "md5" => Self::Md5,
            "sha1" => Self::Sha1,
            "sha224" => Self::Sha224,
            "sha256" => Self::Sha256,
            "sha384" => Self::Sha384,
            "sha512" => Self::Sha512,
            _ => return None,
        })
    }

    /// The BagIt name.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Md5 => "md5",
            Self::Sha1 => "sha1",
            Self::Sha224 => "sha224",
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Length of the hex digest.
    #[must_use]
    pub fn hex_len(self) -> usize {
        match self {
            Self::Md5 => 32,
            Self::Sha1 => 40,
            Self::Sha224 => 56,
            Self::Sha256 => 64,
            Self::Sha384 => 96,
            Self::Sha512 => 128,
        }
    }

    fn hasher(self) -> Box<dyn DynDigest> {
        match self {
            Self::Md5 => Box::new(md5::Md5::default()),
            Self::Sha1 => Box::new(sha1::Sha1::default()),
            Self::Sha224 => Box::new(sha2::Sha224::default()),
            Self::Sha256 => Box::new(sha2::Sha256::default()),
            Self::Sha384 => Box::new(sha2::Sha384::default()),
            Self::Sha512 => Box::new(sha2::Sha512::default()),
        }
    }
}

/// Lowercase hex digests by algorithm.
pub type Digests = BTreeMap<Algorithm, String>;

/// Read `reader` to its end once, feeding every algorithm; returns the byte
/// count and the digests. `buf` is reused between calls.
pub fn hash_reader(
    reader: &mut dyn Read,
    algs: &[Algorithm],
    buf: &mut Vec<u8>,
) -> io::Result<(u64, Digests)> {
    buf.resize(BLOCK, 0);
    let mut hashers: Vec<(Algorithm, Box<dyn DynDigest>)> =
        algs.iter().map(|&a| (a, a.hasher())).collect();
    let mut total = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        total += n as u64;
        for (_, h) in &mut hashers {
            h.update(&buf[..n]);
        }
    }
    let digests = hashers
        .into_iter()
        .map(|(a, h)| (a, hex::encode(h.finalize())))
        .collect();
    Ok((total, digests))
}

/// Map `f` over `items` on `jobs` threads; each thread builds its own state
/// with `init` (e.g. its own zip reader). Results keep the items' order.
pub fn parallel_map<T, S, R>(
    items: &[T],
    jobs: usize,
    init: impl Fn() -> S + Sync,
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R>
where
    T: Sync,
    R: Send,
{
    let jobs = jobs.max(1).min(items.len());
    if jobs <= 1 {
        let mut state = init();
        return items.iter().map(|item| f(&mut state, item)).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| {
                let mut state = init();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(&mut state, item);
                    if let Ok(mut all) = results.lock() {
                        all[i] = Some(r);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .flatten()
        .collect()
}

/// The default `--jobs`: the cores this process may use.
#[must_use]
pub fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        let mut buf = Vec::new();
        let all = [
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha256,
            Algorithm::Sha512,
        ];
        let (n, d) = hash_reader(&mut &b"abc"[..], &all, &mut buf).unwrap();
        assert_eq!(n, 3);
        assert_eq!(d[&Algorithm::Md5], "900150983cd24fb0d6963f7d28e17f72");
        assert_eq!(
            d[&Algorithm::Sha1],
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(
            d[&Algorithm::Sha256],
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(d[&Algorithm::Sha512].starts_with("ddaf35a193617aba"));
        for a in all {
            assert_eq!(d[&a].len(), a.hex_len());
        }
    }

    #[test]
    fn names_round_trip() {
        for a in [
            Algorithm::Md5,
            Algorithm::Sha1,
            Algorithm::Sha224,
            Algorithm::Sha256,
            Algorithm::Sha384,
            Algorithm::Sha512,
        ] {
            assert_eq!(Algorithm::from_bagit_name(a.name()), Some(a));
        }
        assert_eq!(
            Algorithm::from_bagit_name("SHA-256"),
            Some(Algorithm::Sha256)
        );
        assert_eq!(Algorithm::from_bagit_name("blake2b"), None);
    }

    #[test]
    fn parallel_map_keeps_order_and_uses_state() {
        let items: Vec<u32> = (0..100).collect();
        let out = parallel_map(&items, 4, || 1u32, |k, x| x * 2 + *k);
        assert_eq!(out, items.iter().map(|x| x * 2 + 1).collect::<Vec<_>>());
        assert!(parallel_map(&[] as &[u32], 4, || (), |(), x| *x).is_empty());
    }
}
