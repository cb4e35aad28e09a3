//! What format each attachment is, told by its bytes, once, at archive time.
//!
//! An electronic archive service wants every object's format (SEDA
//! `FormatIdentification`): the MIME type, a name, and the PRONOM identifier
//! (PUID) that Vitam's ingest checks with Siegfried. DS's own content type
//! is what the usager's browser claimed; the file name's extension is
//! whatever the usager typed. So the format is read from the bytes as they
//! stream to disk ([`Sniffer`], fed by the download's single pass) and
//! recorded in `metadata.json`, where `seda` and the inventory read it
//! offline, years later, without opening the files again.
//!
//! Signatures come from the `file-format` crate (MIME type and name for
//! several hundred formats, with readers that look inside zip and CFB
//! containers to tell DOCX from ODT from a plain zip). No Rust crate knows
//! PRONOM, so the PUID comes from a small table ([`puid`]) of the formats DS
//! users upload, each entry checked against Siegfried in the test suite. A
//! PUID is declared only when the bytes settle it; an unknown or uncertain
//! format gets none, because a missing PUID costs nothing at Vitam's ingest
//! and a wrong one a warning.
//!
//! Cost: the first 64 KiB and the last 1 KiB of each file are kept while it
//! streams; PDF and PNG files are also searched for a few byte markers (a
//! memchr search, small next to the hashing). Zip and CFB files are read
//! again after the download, from the page cache, for their directory: the
//! crate's readers stop at 1024 zip entries or a few CFB sectors. ODF and
//! OOXML files then have one small member read (at most 256 KiB) for their
//! version, through the `zip` crate, which reads their whole directory.

mod puid;
mod sniff;

pub use sniff::Sniffer;

use std::io::Read as _;
use std::path::Path;

use file_format::FileFormat;

use crate::model::Format;

/// The largest container member read to tell a format's version (ODF's
/// `META-INF/manifest.xml`, OOXML's `[Content_Types].xml`): a few KB in
/// practice.
const MEMBER_LIMIT: u64 = 256 * 1024;

/// Identify a file from what a [`Sniffer`] saw of it while it was written
/// to `path`. `name` is the usager's file name: only plain text needs it
/// (Siegfried names a text file by its extension, so a PUID is given only
/// when that extension is `.txt` or absent). Never fails: a container that
/// cannot be re-read is identified from its first bytes alone.
#[must_use]
pub fn identify(sniffed: &Sniffer, path: &Path, name: &str) -> Format {
    let head = sniffed.head();
    let ff = if sniffed.is_empty() {
        FileFormat::Empty
    } else if is_container(head) {
        // Zip and CFB keep their directory away from the start: the readers
        // seek in the file, each bounded by the crate.
        FileFormat::from_file(path).unwrap_or_else(|_| FileFormat::from_bytes(head))
    } else {
        // Every other reader enabled looks at most 64 KiB from the start.
        FileFormat::from_bytes(head)
    };
    let member = puid::member_to_read(ff).and_then(|m| read_member(path, m));
    let extension = Path::new(name)
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let evidence = puid::Evidence {
        head,
        tail: sniffed.tail(),
        marker_seen: sniffed.marker_seen(),
        extension: extension.as_deref(),
        member: member.as_deref(),
    };
    Format {
        mime_type: ff.media_type().to_owned(),
        name: literal(ff, head),
        puid: puid::puid(ff, &evidence).map(str::to_owned),
    }
}

/// The name for `FormatLitteral`: the crate's, with the PDF version.
fn literal(ff: FileFormat, head: &[u8]) -> String {
    match (ff, puid::pdf_version(head)) {
        (FileFormat::PortableDocumentFormat, Some(v)) => format!("{} {v}", ff.name()),
        _ => ff.name().to_owned(),
    }
}

fn is_container(head: &[u8]) -> bool {
    head.starts_with(b"PK\x03\x04")
        || head.starts_with(b"PK\x05\x06")
        || head.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
}

/// One member of a zip, at most [`MEMBER_LIMIT`] bytes; `None` when the
/// zip or the member cannot be read (then no PUID is declared).
fn read_member(path: &Path, member: &str) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut zip = zip::ZipArchive::new(std::io::BufReader::new(file)).ok()?;
    let entry = zip.by_name(member).ok()?;
    let mut out = Vec::new();
    entry.take(MEMBER_LIMIT).read_to_end(&mut out).ok()?;
    Some(out)
}

#[cfg(test)]
mod tests;
