//! The PRONOM identifiers (PUIDs) we declare, and when.
//!
//! Each rule says what Siegfried (PRONOM's signatures, as Vitam runs them at
//! ingest) finds in the same bytes, as far as we checked it: the table is
//! tested against Siegfried on a corpus of real-format files
//! (tests/it/formats.rs). Where a version or a variant depends on something
//! we do not read, no PUID is given: a missing one is harmless, a wrong one
//! is a warning at ingest and a false statement in the package.
//!
//! | format | PUID | needs |
//! | --- | --- | --- |
//! | PDF 1.0–1.7, 2.0 | fmt/14–20, fmt/276, fmt/1129 | `%PDF-x.y` header, `%%EOF` in the last 1024 bytes, no PDF/A, /X, /E, /UA, /VT or Illustrator marker |
//! | PNG | fmt/11 (1.0) | ends with `IEND`; no `sRGB`, `iCCP`, `sPLT`, `iTXt` bytes (PNG 1.1/1.2) |
//! | JPEG (JFIF 1.00, 1.01, 1.02) | fmt/42, fmt/43, fmt/44 | JFIF segment first, ends with `FFD9` |
//! | GIF 87a, 89a | fmt/3, fmt/4 | ends with `;` |
//! | DOCX, XLSX, PPTX | fmt/412, fmt/214, fmt/215 | the main part's content type in `[Content_Types].xml` (not macro-enabled, not a template) |
//! | ODT, ODS, ODP 1.0/1.1, 1.2, 1.3 | fmt/290, 291, 1756; fmt/294, 295, 1755; fmt/292, 293, 1754 | `manifest:version` in `META-INF/manifest.xml` |
//! | ZIP | x-fmt/263 | a zip that is none of the above |
//! | XML 1.0 | fmt/101 | starts with `<?xml version="1.0"` (after a UTF-8 BOM) |
//! | plain text | x-fmt/111 | UTF-8 text named `.txt` or without extension (Siegfried names text by its extension: `.csv`, `.md`…) |
//!
//! Not given: TIFF (PRONOM has TIFF variants told by tags we do not read),
//! DOC/XLS (told by streams inside the CFB container), JPEG with Exif.

use file_format::FileFormat;

/// What the rules look at.
pub(super) struct Evidence<'a> {
    /// First bytes of the file.
    pub head: &'a [u8],
    /// Last bytes of the file (at most 1024).
    pub tail: &'a [u8],
    /// A marker of a PDF or PNG variant occurs in the file.
    pub marker_seen: bool,
    /// The file name's extension, lowercase.
    pub extension: Option<&'a str>,
    /// The container member named by [`member_to_read`], when read.
    pub member: Option<&'a [u8]>,
}

/// The zip member that settles the PUID of a format, if any.
pub(super) fn member_to_read(ff: FileFormat) -> Option<&'static str> {
    use FileFormat as F;
    match ff {
        F::OfficeOpenXmlDocument | F::OfficeOpenXmlSpreadsheet | F::OfficeOpenXmlPresentation => {
            Some("[Content_Types].xml")
        }
        F::OpendocumentText | F::OpendocumentSpreadsheet | F::OpendocumentPresentation => {
            Some("META-INF/manifest.xml")
        }
        _ => None,
    }
}

/// The PUID of a file `file-format` identified as `ff`, when the rules
/// above settle it.
pub(super) fn puid(ff: FileFormat, e: &Evidence<'_>) -> Option<&'static str> {
    use FileFormat as F;
    match ff {
        F::PortableDocumentFormat => pdf(e),
        F::PortableNetworkGraphics => png(e),
        F::JointPhotographicExpertsGroup => jpeg(e),
        F::GraphicsInterchangeFormat => gif(e),
        F::OfficeOpenXmlDocument => ooxml(e, "wordprocessingml.document.main+xml", "fmt/412"),
        F::OfficeOpenXmlSpreadsheet => ooxml(e, "spreadsheetml.sheet.main+xml", "fmt/214"),
        F::OfficeOpenXmlPresentation => ooxml(e, "presentationml.presentation.main+xml", "fmt/215"),
        F::OpendocumentText => odf(e, ["fmt/290", "fmt/291", "fmt/1756"]),
        F::OpendocumentSpreadsheet => odf(e, ["fmt/294", "fmt/295", "fmt/1755"]),
        F::OpendocumentPresentation => odf(e, ["fmt/292", "fmt/293", "fmt/1754"]),
        F::Zip => Some("x-fmt/263"),
        F::ExtensibleMarkupLanguage => xml(e),
        F::PlainText => text(e),
        _ => None,
    }
}

/// The version in a `%PDF-x.y` header.
pub(super) fn pdf_version(head: &[u8]) -> Option<&str> {
    let v = head.strip_prefix(b"%PDF-")?.get(..3)?;
    let ok = v[0].is_ascii_digit() && v[1] == b'.' && v[2].is_ascii_digit();
    ok.then(|| std::str::from_utf8(v).ok()).flatten()
}

fn pdf(e: &Evidence<'_>) -> Option<&'static str> {
    // The tail is the last 1024 bytes: where Siegfried looks for `%%EOF`.
    if e.marker_seen || !contains(e.tail, b"%%EOF") {
        return None;
    }
    Some(match pdf_version(e.head)? {
        "1.0" => "fmt/14",
        "1.1" => "fmt/15",
        "1.2" => "fmt/16",
        "1.3" => "fmt/17",
        "1.4" => "fmt/18",
        "1.5" => "fmt/19",
        "1.6" => "fmt/20",
        "1.7" => "fmt/276",
        "2.0" => "fmt/1129",
        _ => return None,
    })
}

fn png(e: &Evidence<'_>) -> Option<&'static str> {
    let ends_with_iend = e.tail.ends_with(b"\0\0\0\0IEND\xAE\x42\x60\x82");
    (ends_with_iend && !e.marker_seen).then_some("fmt/11")
}

fn jpeg(e: &Evidence<'_>) -> Option<&'static str> {
    // SOI, then an APP0 segment of any length holding `JFIF\0` and the version.
    let h = e.head;
    if h.len() < 13 || !h.starts_with(b"\xFF\xD8\xFF\xE0") || &h[6..11] != b"JFIF\0" {
        return None;
    }
    if !e.tail.ends_with(b"\xFF\xD9") || contains(h, b"Exif\0") {
        return None;
    }
    match (h[11], h[12]) {
        (1, 0) => Some("fmt/42"),
        (1, 1) => Some("fmt/43"),
        (1, 2) => Some("fmt/44"),
        _ => None,
    }
}

fn gif(e: &Evidence<'_>) -> Option<&'static str> {
    if !e.tail.ends_with(b";") {
        return None;
    }
    if e.head.starts_with(b"GIF87a") {
        Some("fmt/3")
    } else if e.head.starts_with(b"GIF89a") {
        Some("fmt/4")
    } else {
        None
    }
}

fn ooxml(e: &Evidence<'_>, main: &str, puid: &'static str) -> Option<&'static str> {
    let types = e.member?;
    let main = format!("application/vnd.openxmlformats-officedocument.{main}");
    let variant = contains(types, b"macroEnabled") || contains(types, b".template.main+xml");
    (contains(types, main.as_bytes()) && !variant).then_some(puid)
}

fn odf(e: &Evidence<'_>, [v1, v12, v13]: [&'static str; 3]) -> Option<&'static str> {
    let manifest = e.member?;
    let root = memchr::memmem::find(manifest, b"<manifest:manifest")?;
    let root = &manifest[root..];
    let root = &root[..memchr::memchr(b'>', root)?];
    if contains(root, b"manifest:version=\"1.3\"") {
        Some(v13)
    } else if contains(root, b"manifest:version=\"1.2\"") {
        Some(v12)
    } else if contains(root, b"manifest:version=") {
        None
    } else {
        Some(v1)
    }
}

fn xml(e: &Evidence<'_>) -> Option<&'static str> {
    let h = e.head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(e.head);
    (h.starts_with(b"<?xml version=\"1.0\"") || h.starts_with(b"<?xml version='1.0'"))
        .then_some("fmt/101")
}

fn text(e: &Evidence<'_>) -> Option<&'static str> {
    matches!(e.extension, None | Some("txt")).then_some("x-fmt/111")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}
