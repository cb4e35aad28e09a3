//! What identification needs of a file, gathered while it streams: its
//! first bytes, its last bytes, its length, and whether a marker that
//! changes its PRONOM identity occurs anywhere in it.
//!
//! PRONOM tells some versions apart by a string anywhere in the file (a PDF/A
//! declaration in the XMP metadata, a PNG 1.1 or 1.2 chunk after the image
//! data), so those files are searched as they pass; the search starts once
//! the first 64 KiB say which family the file is, and only PDF and PNG
//! files are searched.

use memchr::memmem;

/// Bytes kept from the start: the most any enabled `file-format` reader
/// looks at outside containers (its plain-text reader's limit).
pub(super) const HEAD: usize = 64 * 1024;

/// Bytes kept from the end: PRONOM's PDF signatures look for `%%EOF` in
/// the last 1024 bytes.
pub(super) const TAIL: usize = 1024;

/// Markers after which a PDF is a PDF/A, /X, /E, /UA or /VT, or an
/// Illustrator file, each with other PUIDs: a PDF holding one gets none.
/// (Not the bare `pdfx:` XMP namespace, which Word writes in plain PDFs.)
const PDF_MARKERS: &[&[u8]] = &[
    b"pdfaid",
    b"pdfxid",
    b"GTS_PDFX",
    b"pdfe:",
    b"pdfeid",
    b"pdfuaid",
    b"pdfvtid",
    b"AIPrivateData",
];

/// Chunk names of PNG 1.1 and 1.2: Siegfried finds them as bytes anywhere
/// (even inside a text chunk), and then says PNG 1.1 or 1.2, not 1.0.
const PNG_MARKERS: &[&[u8]] = &[b"sRGB", b"iCCP", b"sPLT", b"iTXt"];

/// Longest marker, less one: the bytes kept between two writes so that a
/// marker split across them is found.
const CARRY: usize = 12;

/// Fed every byte of a file once, in order; see [`super::identify`].
#[derive(Debug, Default)]
pub struct Sniffer {
    head: Vec<u8>,
    tail: Vec<u8>,
    len: u64,
    /// Markers to search past the head: decided when the head is full.
    markers: Option<&'static [&'static [u8]]>,
    carry: Vec<u8>,
    marker_seen: bool,
}

impl Sniffer {
    /// A sniffer that has seen nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The next bytes of the file.
    pub fn update(&mut self, bytes: &[u8]) {
        self.len += bytes.len() as u64;
        self.keep_tail(bytes);
        let room = HEAD - self.head.len();
        let (to_head, rest) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(to_head);
        if rest.is_empty() || self.marker_seen {
            return;
        }
        let markers = *self.markers.get_or_insert_with(|| {
            let markers = markers_for(&self.head);
            self.marker_seen = contains_any(&self.head, markers);
            let from = self.head.len().saturating_sub(CARRY);
            self.carry = self.head[from..].to_vec();
            markers
        });
        if markers.is_empty() || self.marker_seen {
            return;
        }
        // A marker across the previous write and this one, then in this one.
        let mut seam = std::mem::take(&mut self.carry);
        seam.extend_from_slice(&rest[..rest.len().min(CARRY)]);
        self.marker_seen = contains_any(&seam, markers) || contains_any(rest, markers);
        let from = seam.len().saturating_sub(CARRY);
        self.carry = if rest.len() >= CARRY {
            rest[rest.len() - CARRY..].to_vec()
        } else {
            seam[from..].to_vec()
        };
    }

    /// The first bytes (up to 64 KiB).
    #[must_use]
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The last bytes (up to 1 KiB).
    #[must_use]
    pub fn tail(&self) -> &[u8] {
        &self.tail
    }

    /// Bytes seen.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Nothing seen yet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether a marker of the file's family occurs anywhere in it.
    #[must_use]
    pub fn marker_seen(&self) -> bool {
        self.marker_seen
            || (self.markers.is_none() && contains_any(&self.head, markers_for(&self.head)))
    }

    fn keep_tail(&mut self, bytes: &[u8]) {
        if bytes.len() >= TAIL {
            self.tail.clear();
            self.tail.extend_from_slice(&bytes[bytes.len() - TAIL..]);
        } else {
            let excess = (self.tail.len() + bytes.len()).saturating_sub(TAIL);
            self.tail.drain(..excess);
            self.tail.extend_from_slice(bytes);
        }
    }
}

fn markers_for(head: &[u8]) -> &'static [&'static [u8]] {
    if head.starts_with(b"%PDF-") {
        PDF_MARKERS
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        PNG_MARKERS
    } else {
        &[]
    }
}

fn contains_any(haystack: &[u8], markers: &[&[u8]]) -> bool {
    markers.iter().any(|m| memmem::find(haystack, m).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fed_in(bytes: &[u8], piece: usize) -> Sniffer {
        let mut s = Sniffer::new();
        for chunk in bytes.chunks(piece) {
            s.update(chunk);
        }
        s
    }

    #[test]
    fn head_tail_and_length_whatever_the_pieces() {
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for piece in [1, 7, 1000, 65_536, 200_000] {
            let s = fed_in(&bytes, piece);
            assert_eq!(s.head(), &bytes[..HEAD], "piece {piece}");
            assert_eq!(s.tail(), &bytes[bytes.len() - TAIL..], "piece {piece}");
            assert_eq!(s.len(), 200_000);
        }
        let s = fed_in(b"short", 2);
        assert_eq!((s.head(), s.tail()), (&b"short"[..], &b"short"[..]));
    }

    #[test]
    fn a_pdf_a_marker_is_found_anywhere_even_split_across_writes() {
        let mut pdf = b"%PDF-1.4\n".to_vec();
        pdf.resize(300_000, b' ');
        pdf.extend_from_slice(b"<pdfaid:part>1</pdfaid:part>");
        pdf.extend_from_slice(&[b' '; 5000]);
        for piece in [1, 3, 1000, 4096, 65_536, 400_000] {
            assert!(fed_in(&pdf, piece).marker_seen(), "piece {piece}");
        }
        // In the head too, and only in files of the family it belongs to.
        assert!(fed_in(b"%PDF-1.4 pdfaid", 4).marker_seen());
        assert!(!fed_in(b"plain text pdfaid", 4).marker_seen());
        let mut plain = b"%PDF-1.7\n".to_vec();
        plain.resize(300_000, b'x');
        assert!(!fed_in(&plain, 1000).marker_seen());
    }
}
