//! Which end-of-central-directory record is the zip's own.
//!
//! A zip is read from its end: the last record (EOCD) says where the central
//! directory starts. Readers such as the zip crate search backwards for the
//! record's signature and take the first one that parses. A bundle holding a
//! stored zip-based attachment (DOCX, XLSX, ODT: common in DS dossiers)
//! holds that attachment's own EOCD verbatim; once the bundle is truncated,
//! the search lands on it and the attachment is read as if it were the bag,
//! which buries the one true finding (a truncated zip) under a page of layout
//! and completeness errors.
//!
//! The zip's own record sits at the very end: its comment runs to the last
//! byte of the file, and the central directory it points to ends exactly
//! where the record (or, for ZIP64, the ZIP64 end record) begins. Anything
//! else is not this zip's end, and the zip is corrupt.

use std::io::{self, Read, Seek, SeekFrom};

const EOCD: [u8; 4] = *b"PK\x05\x06";
const EOCD_LEN: u64 = 22;
const LOCATOR64: [u8; 4] = *b"PK\x06\x07";
const LOCATOR64_LEN: u64 = 20;
const EOCD64: [u8; 4] = *b"PK\x06\x06";
const EOCD64_LEN: u64 = 56;
const MAX_COMMENT: u64 = u16::MAX as u64;

fn le16(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 2)
        .map_or(0, |s| u64::from(u16::from_le_bytes([s[0], s[1]])))
}

fn le32(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 4).map_or(0, |s| {
        u64::from(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    })
}

fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8).map_or(0, |s| {
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        u64::from_le_bytes(a)
    })
}

fn read_at<R: Read + Seek>(r: &mut R, at: u64, len: u64) -> io::Result<Vec<u8>> {
    r.seek(SeekFrom::Start(at))?;
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(0)];
    r.read_exact(&mut buf)?;
    Ok(buf)
}

/// The offset of the central directory named by the zip's own end record,
/// or why there is none (the message names what is missing).
pub fn central_directory_start<R: Read + Seek>(r: &mut R) -> Result<u64, String> {
    let io_err = |e: io::Error| format!("cannot read the end of the zip: {e}");
    let file_len = r.seek(SeekFrom::End(0)).map_err(io_err)?;
    let tail_len = file_len.min(EOCD_LEN + MAX_COMMENT);
    let tail_start = file_len - tail_len;
    let tail = read_at(r, tail_start, tail_len).map_err(io_err)?;
    // Backwards: the record nearest the end first.
    for at in (0..tail.len().saturating_sub(3)).rev() {
        if tail[at..at + 4] != EOCD {
            continue;
        }
        let pos = tail_start + at as u64;
        if pos + EOCD_LEN + le16(&tail, at + 20) != file_len {
            continue;
        }
        let (size, offset) = (le32(&tail, at + 12), le32(&tail, at + 16));
        if offset + size == pos {
            return Ok(offset);
        }
        if let Some(start) = zip64_start(r, pos).map_err(io_err)? {
            return Ok(start);
        }
    }
    Err("no end-of-central-directory record at the end of the file \
         (truncated, or not a zip)"
        .to_owned())
}

/// The central directory start from the ZIP64 records before the EOCD at
/// `pos`, if they are there and consistent: locator right before the EOCD,
/// ZIP64 end record right before the locator, central directory right
/// before that.
fn zip64_start<R: Read + Seek>(r: &mut R, pos: u64) -> io::Result<Option<u64>> {
    let Some(locator_at) = pos.checked_sub(LOCATOR64_LEN) else {
        return Ok(None);
    };
    let locator = read_at(r, locator_at, LOCATOR64_LEN)?;
    if locator[..4] != LOCATOR64 {
        return Ok(None);
    }
    let record_at = le64(&locator, 8);
    if record_at
        .checked_add(EOCD64_LEN)
        .is_none_or(|end| end > locator_at)
    {
        return Ok(None);
    }
    let record = read_at(r, record_at, EOCD64_LEN)?;
    let record_end = le64(&record, 4).checked_add(12 + record_at);
    if record[..4] != EOCD64 || record_end != Some(locator_at) {
        return Ok(None);
    }
    let (size, offset) = (le64(&record, 40), le64(&record, 48));
    Ok((offset.checked_add(size) == Some(record_at)).then_some(offset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn zip_of(files: &[(&str, &[u8])], comment: &str, large: bool) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(large);
        for (name, data) in files {
            w.start_file(*name, opts).expect("start");
            w.write_all(data).expect("write");
        }
        w.set_comment(comment);
        w.finish().expect("finish").into_inner()
    }

    fn start(bytes: &[u8]) -> Result<u64, String> {
        central_directory_start(&mut Cursor::new(bytes))
    }

    fn crate_says(bytes: &[u8]) -> u64 {
        zip::ZipArchive::new(Cursor::new(bytes))
            .expect("a whole zip opens")
            .central_directory_start()
    }

    #[test]
    fn whole_zips_agree_with_the_zip_crate() {
        let inner = zip_of(&[("word/document.xml", b"<w/>")], "", false);
        for (comment, large) in [("", false), ("made by us", false), ("", true)] {
            let outer = zip_of(&[("b/a.docx", &inner), ("b/x", b"x")], comment, large);
            assert_eq!(start(&outer), Ok(crate_says(&outer)), "{comment} {large}");
        }
        let empty = zip_of(&[], "", false);
        assert_eq!(start(&empty), Ok(0));
    }

    #[test]
    fn an_inner_zips_end_record_is_never_taken() {
        let inner = zip_of(&[("word/document.xml", b"<w/>")], "", false);
        let outer = zip_of(&[("b/a.docx", &inner), ("b/x", b"x")], "", false);
        let at = outer
            .windows(inner.len())
            .position(|w| w == inner.as_slice())
            .expect("stored");
        // Cut right after the attachment: its EOCD now ends the file, and its
        // offsets are relative to where it starts, not to the bundle.
        let cut = &outer[..at + inner.len()];
        assert!(zip::ZipArchive::new(Cursor::new(cut)).is_ok(), "the trap");
        assert!(start(cut).is_err());
        for len in [outer.len() - 1, outer.len() / 2, 0, 3] {
            assert!(start(&outer[..len]).is_err(), "{len}");
        }
        // A comment that does not reach the end (bytes appended) is not ours.
        let mut appended = outer.clone();
        appended.extend_from_slice(b"junk");
        assert!(start(&appended).is_err());
    }

    /// The same zip with ZIP64 end records, as a writer adds them past
    /// 65 535 entries or 4 GiB: the 32-bit fields then hold only sentinels.
    fn as_zip64(zip: &[u8]) -> Vec<u8> {
        let eocd = zip.len() - 22;
        let (entries, size, offset) = (
            le16(zip, eocd + 10),
            le32(zip, eocd + 12),
            le32(zip, eocd + 16),
        );
        let record_at = offset + size;
        let mut out = zip[..usize::try_from(record_at).expect("small")].to_vec();
        out.extend_from_slice(&EOCD64);
        out.extend_from_slice(&44u64.to_le_bytes());
        out.extend_from_slice(&[45, 0, 45, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        for v in [entries, entries, size, offset] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(&LOCATOR64);
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&record_at.to_le_bytes());
        out.extend_from_slice(&1u32.to_le_bytes());
        out.extend_from_slice(&EOCD);
        out.extend_from_slice(&[0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
        out.extend_from_slice(&[0xff; 8]);
        out.extend_from_slice(&[0, 0]);
        out
    }

    #[test]
    fn zip64_records_must_chain_up_to_the_end() {
        let zip64 = as_zip64(&zip_of(&[("b/x", b"x"), ("b/y", b"yy")], "", false));
        assert_eq!(start(&zip64), Ok(crate_says(&zip64)));
        // Damage the ZIP64 end record's signature, or cut inside it: the
        // central directory no longer ends where an end record begins.
        let mut bad = zip64.clone();
        let at = bad.windows(4).rposition(|w| w == EOCD64).expect("written");
        bad[at] = b'Q';
        assert!(start(&bad).is_err());
        assert!(start(&zip64[..at + 30]).is_err());
    }
}
