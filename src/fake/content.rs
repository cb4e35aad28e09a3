//! File bodies served by the fake: fixture bytes or a deterministic generator.
//!
//! A fixture `File` node names its content with a short spec string (see
//! docs/fake-api.md): `file:<path under fixtures/sample/files>`,
//! `text:<literal>` or `gen:<seed>:<size>`. Generated content comes from a
//! seeded xorshift and is produced chunk by chunk, so a 128 MB file never sits
//! in memory; its MD5 is computed once, lazily, and cached.

use std::sync::{Arc, OnceLock};

use base64::Engine as _;
use md5::{Digest as _, Md5};

/// Size of the chunks streamed to clients and fed to MD5.
pub(crate) const CHUNK: usize = 64 * 1024;

/// Why a content spec could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    /// The spec does not start with a known scheme.
    #[error("unknown content spec `{0}` (expected file:, text: or gen:)")]
    UnknownSpec(String),
    /// A `file:` spec names a file that is not in the embedded fixtures.
    #[error("content spec `{0}` names a fixture file that does not exist")]
    MissingFixture(String),
    /// A `gen:` spec is not `gen:<seed>:<size>`.
    #[error("bad generator spec `{0}` (expected gen:<seed>:<size>)")]
    BadGenerator(String),
}

/// The bytes of one stored file.
#[derive(Debug, Clone)]
pub(crate) enum Content {
    /// Bytes held in memory (fixture files, literals).
    Bytes(Arc<[u8]>),
    /// `size` bytes from the xorshift generator seeded with `seed`.
    Generated { seed: u64, size: u64 },
}

impl Content {
    /// Resolve a spec; `fixture` looks a `file:` path up in the embedded files.
    pub(crate) fn from_spec(
        spec: &str,
        fixture: impl Fn(&str) -> Option<&'static [u8]>,
    ) -> Result<Self, ContentError> {
        if let Some(path) = spec.strip_prefix("file:") {
            let bytes = fixture(path).ok_or_else(|| ContentError::MissingFixture(spec.into()))?;
            return Ok(Self::Bytes(Arc::from(bytes)));
        }
        if let Some(text) = spec.strip_prefix("text:") {
            return Ok(Self::Bytes(Arc::from(text.as_bytes())));
        }
        if let Some(rest) = spec.strip_prefix("gen:") {
            let bad = || ContentError::BadGenerator(spec.into());
            let (seed, size) = rest.split_once(':').ok_or_else(bad)?;
            return Ok(Self::Generated {
                seed: seed.parse().map_err(|_| bad())?,
                size: size.parse().map_err(|_| bad())?,
            });
        }
        Err(ContentError::UnknownSpec(spec.into()))
    }

    /// Length in bytes.
    pub(crate) fn len(&self) -> u64 {
        match self {
            Self::Bytes(b) => b.len() as u64,
            Self::Generated { size, .. } => *size,
        }
    }

    /// A reader that yields the content in chunks of at most [`CHUNK`] bytes.
    pub(crate) fn chunks(&self) -> Chunks {
        match self {
            Self::Bytes(b) => Chunks::Bytes {
                bytes: b.clone(),
                pos: 0,
            },
            Self::Generated { seed, size } => Chunks::Generated {
                gen: XorShift::new(*seed),
                remaining: *size,
            },
        }
    }

    /// All bytes at once (tests and small files only).
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::try_from(self.len()).unwrap_or(0));
        let mut chunks = self.chunks();
        while let Some(c) = chunks.next_chunk() {
            out.extend_from_slice(&c);
        }
        out
    }

    /// Base64 of the MD5 of the bytes, DS's `checksum`.
    pub(crate) fn md5_base64(&self) -> String {
        let mut md5 = Md5::new();
        let mut chunks = self.chunks();
        while let Some(c) = chunks.next_chunk() {
            md5.update(&c);
        }
        base64::engine::general_purpose::STANDARD.encode(md5.finalize())
    }
}

/// A stored file: its content and the checksum, computed on first use.
#[derive(Debug)]
pub(crate) struct StoredBlob {
    pub(crate) content: Content,
    md5: OnceLock<String>,
}

impl StoredBlob {
    pub(crate) fn new(content: Content) -> Self {
        Self {
            content,
            md5: OnceLock::new(),
        }
    }

    /// The cached base64 MD5.
    pub(crate) fn checksum(&self) -> &str {
        self.md5.get_or_init(|| self.content.md5_base64())
    }
}

/// Sequential chunk reader over a [`Content`].
pub(crate) enum Chunks {
    Bytes { bytes: Arc<[u8]>, pos: usize },
    Generated { gen: XorShift, remaining: u64 },
}

impl Chunks {
    /// The next chunk, or `None` at the end.
    pub(crate) fn next_chunk(&mut self) -> Option<Vec<u8>> {
        match self {
            Self::Bytes { bytes, pos } => {
                if *pos >= bytes.len() {
                    return None;
                }
                let end = (*pos + CHUNK).min(bytes.len());
                let out = bytes[*pos..end].to_vec();
                *pos = end;
                Some(out)
            }
            Self::Generated { gen, remaining } => {
                if *remaining == 0 {
                    return None;
                }
                let n = usize::try_from((*remaining).min(CHUNK as u64)).unwrap_or(CHUNK);
                let mut out = vec![0_u8; n];
                gen.fill(&mut out);
                *remaining -= n as u64;
                Some(out)
            }
        }
    }
}

/// xorshift64*: fast, deterministic, good enough to make incompressible bytes.
#[derive(Debug, Clone)]
pub(crate) struct XorShift {
    state: u64,
}

impl XorShift {
    pub(crate) fn new(seed: u64) -> Self {
        // A zero state would stay zero forever.
        Self {
            state: seed ^ 0x9E37_79B9_7F4A_7C15,
        }
        .nonzero()
    }

    fn nonzero(mut self) -> Self {
        if self.state == 0 {
            self.state = 1;
        }
        self
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Fill `buf`; chunk sizes are multiples of 8 except the last, so the
    /// byte sequence does not depend on how it is cut.
    fn fill(&mut self, buf: &mut [u8]) {
        for piece in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            piece.copy_from_slice(&word[..piece.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_fixture(_: &str) -> Option<&'static [u8]> {
        None
    }

    #[test]
    fn specs_parse() {
        let c = Content::from_spec("text:bonjour", no_fixture).expect("text");
        assert_eq!(c.to_vec(), b"bonjour");
        let g = Content::from_spec("gen:7:100", no_fixture).expect("gen");
        assert_eq!(g.len(), 100);
        assert!(matches!(
            Content::from_spec("file:nope.pdf", no_fixture),
            Err(ContentError::MissingFixture(_))
        ));
        assert!(Content::from_spec("gen:x:1", no_fixture).is_err());
        assert!(Content::from_spec("blob:1", no_fixture).is_err());
    }

    #[test]
    fn generator_is_deterministic_and_chunked() {
        let size = (CHUNK as u64) * 2 + 13;
        let a = Content::Generated { seed: 42, size };
        let b = Content::Generated { seed: 42, size };
        let c = Content::Generated { seed: 43, size };
        let bytes = a.to_vec();
        assert_eq!(bytes.len() as u64, size);
        assert_eq!(bytes, b.to_vec());
        assert_ne!(bytes, c.to_vec());
        let mut chunks = a.chunks();
        let mut sizes = Vec::new();
        while let Some(ch) = chunks.next_chunk() {
            sizes.push(ch.len());
        }
        assert_eq!(sizes, vec![CHUNK, CHUNK, 13]);
    }

    #[test]
    fn checksum_is_base64_md5() {
        let blob = StoredBlob::new(Content::Bytes(Arc::from(&b""[..])));
        // MD5 of the empty string.
        assert_eq!(blob.checksum(), "1B2M2Y8AsgTpgAmY7PhCfg==");
        let gen = Content::Generated {
            seed: 1,
            size: 300_000,
        };
        let direct = base64::engine::general_purpose::STANDARD.encode(Md5::digest(gen.to_vec()));
        assert_eq!(StoredBlob::new(gen).checksum(), direct);
    }
}
