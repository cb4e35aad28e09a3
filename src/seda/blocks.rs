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

/// Bytes of a stream [`write_as_one`] holds.
const WINDOW: usize = 6 << 20;
/// [`write_as_one`] tops its window up when less than this is left to write.
const LOW: usize = 4 << 20;

/// Copy `input` to `out` as `out.write_all` of all of `input` at once would,
/// with [`WINDOW`] bytes of memory: each call to `out.write` is offered the
/// rest of the stream, or at least [`LOW`] bytes of it.
///
/// Why: a deflate stream depends on how much input the compressor is offered
/// at each call (module docs), and a SIP's manifest.xml was deflated from one
/// buffer. A compressor consumes at most what fills its output buffer per
/// call (32 KiB for flate2's writer) and looks at most 64 KiB ahead, so with
/// 4 MiB offered it meets the end of the window only on input that deflates
/// more than a hundredfold; a manifest, with a digest of hex digits per
/// object, deflates about fifteenfold (60 MB to 3.9 MB for 7 142 generated
/// dossiers). It is then the same bytes as from one
/// buffer, without holding a manifest of tens of megabytes.
///
/// # Errors
/// Reading `input` or writing `out` failed.
pub(super) fn write_as_one(mut input: impl io::Read, out: &mut impl Write) -> io::Result<u64> {
    let mut buf = vec![0u8; WINDOW];
    let (mut start, mut end, mut eof, mut total) = (0, 0, false, 0u64);
    loop {
        if !eof && end - start < LOW {
            buf.copy_within(start..end, 0);
            end -= start;
            start = 0;
            while end < WINDOW && !eof {
                match input.read(&mut buf[end..]) {
                    Ok(0) => eof = true,
                    Ok(n) => end += n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if start == end {
            return Ok(total);
        }
        match out.write(&buf[start..end]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                start += n;
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
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

    /// A consumer taking up to 300 000 bytes a call, noting what it could
    /// see of what it was offered (as a compressor, up to [`LOW`]).
    #[derive(Default)]
    struct Sees(Vec<usize>, Vec<u8>);

    impl Write for Sees {
        fn write(&mut self, data: &[u8]) -> io::Result<usize> {
            self.0.push(data.len().min(LOW));
            let take = data.len().min(300_000);
            self.1.extend_from_slice(&data[..take]);
            Ok(take)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_stream_is_offered_as_one_buffer_would_be() {
        let bytes: Vec<u8> = (0..15_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut whole = Sees::default();
        whole.write_all(&bytes).unwrap();
        // Read back in odd pieces, as from chained files.
        let input = io::Read::chain(&bytes[..1_234_567], &bytes[1_234_567..]);
        let mut streamed = Sees::default();
        assert_eq!(write_as_one(input, &mut streamed).unwrap(), 15_000_000);
        assert_eq!(streamed.0, whole.0);
        assert!(streamed.1 == bytes);
    }

    /// A zip with one deflated entry, fed by `feed`.
    fn zipped(feed: impl FnOnce(&mut zip::ZipWriter<io::Cursor<Vec<u8>>>)) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(zip::DateTime::default());
        zip.start_file("manifest.xml", options).unwrap();
        feed(&mut zip);
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn a_manifest_bigger_than_the_window_deflates_as_from_one_buffer() {
        // Manifest-like text (tags, ids, a 128-digit digest each) of 3
        // windows, cut in pieces as the temporary files give it.
        let mut text = Vec::new();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut i = 0u64;
        while text.len() < 3 * WINDOW {
            let mut hex = String::new();
            for _ in 0..8 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                hex.push_str(&format!("{seed:016x}"));
            }
            text.extend_from_slice(
                format!(
                    "    <DataObjectGroup id=\"DOG-{i}-1\">\n      <BinaryDataObject id=\"BDO-{i}-1\">\n        \
                     <Uri>Content/BDO-{i}-1.pdf</Uri>\n        <MessageDigest algorithm=\"SHA-512\">{hex}\
                     </MessageDigest>\n      </BinaryDataObject>\n    </DataObjectGroup>\n"
                )
                .as_bytes(),
            );
            i += 1;
        }
        let whole = zipped(|z| z.write_all(&text).unwrap());
        let (a, b) = text.split_at(WINDOW + 12_345);
        let streamed = zipped(|z| {
            write_as_one(io::Read::chain(a, b), z).unwrap();
        });
        assert!(streamed == whole, "the deflated bytes differ");
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
