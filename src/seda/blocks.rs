//! A writer that hands its bytes on in blocks of one fixed size, whatever
//! sizes it is given them in.
//!
//! Why: a deflate stream depends on how its input was cut into writes, not
//! only on the bytes (the compressor decides when to slide its window and
//! emit a block by what it holds). A SIP takes each file from a bag folder
//! (whole reads of a file) or from a bag's zip (whatever the inflater yields
//! each time), so the same bag gave SIPs that differed in a deflated entry by
//! a byte or two depending on where it was read from. Cut into the same
//! blocks, the same bytes always deflate the same: a SIP is a function of the
//! bags' contents, wherever they are read from.

use std::io::{self, Write};

/// Block size: large enough that the compressor is not called more often
/// than with a plain copy.
const BLOCK: usize = 64 * 1024;

/// Buffers writes to `inner` into blocks of [`BLOCK`] bytes; call
/// [`FixedBlocks::finish`] to hand on the last, shorter one.
pub(super) struct FixedBlocks<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> FixedBlocks<W> {
    pub(super) fn new(inner: W) -> Self {
        Self {
            inner,
            buf: Vec::with_capacity(BLOCK),
        }
    }

    /// Write what is left, and give the inner writer back.
    pub(super) fn finish(mut self) -> io::Result<W> {
        if !self.buf.is_empty() {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(self.inner)
    }
}

impl<W: Write> Write for FixedBlocks<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let take = data.len().min(BLOCK - self.buf.len());
        self.buf.extend_from_slice(&data[..take]);
        if self.buf.len() == BLOCK {
            self.inner.write_all(&self.buf)?;
            self.buf.clear();
        }
        Ok(take)
    }

    /// Blocks are only handed on whole: a flush keeps the partial one (it
    /// goes with [`FixedBlocks::finish`]), so no caller's flush can change
    /// how the bytes are cut.
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `inner` was given, write by write.
    #[derive(Default)]
    struct Calls(Vec<usize>);

    impl Write for Calls {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.push(data.len());
            Ok(data.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn cut_as(pieces: &[usize]) -> Vec<usize> {
        let total: usize = pieces.iter().sum();
        let bytes = vec![7u8; total];
        let mut w = FixedBlocks::new(Calls::default());
        let mut at = 0;
        for &p in pieces {
            w.write_all(&bytes[at..at + p]).unwrap();
            w.flush().unwrap();
            at += p;
        }
        w.finish().unwrap().0
    }

    #[test]
    fn the_same_bytes_are_handed_on_the_same_way_however_they_come() {
        let whole = cut_as(&[200_000]);
        assert_eq!(whole, vec![BLOCK, BLOCK, BLOCK, 200_000 - 3 * BLOCK]);
        assert_eq!(cut_as(&[1, 8191, 3, 100_000, 91_805]), whole);
        assert_eq!(cut_as(&[BLOCK, BLOCK, BLOCK, 200_000 - 3 * BLOCK]), whole);
        assert_eq!(cut_as(&[]), Vec::<usize>::new());
    }
}
