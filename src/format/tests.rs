//! Identification of real-format files written to disk, as the download
//! stage leaves them. Siegfried's verdicts on the same kinds of files are
//! checked in tests/it/formats.rs.

use std::io::Write as _;

use super::*;

/// Write `bytes` as `name` in a temporary folder, feed them to a sniffer
/// in uneven pieces, as a download does, and identify the file.
fn id(name: &str, bytes: &[u8]) -> Format {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, bytes).unwrap();
    let mut s = Sniffer::new();
    for piece in bytes.chunks(4093) {
        s.update(piece);
    }
    identify(&s, &path, name)
}

fn puid_of(name: &str, bytes: &[u8]) -> Option<String> {
    id(name, bytes).puid
}

fn pdf(version: &str, body: &str, trailing: usize) -> Vec<u8> {
    let mut b = format!("%PDF-{version}\n1 0 obj\n<<>>\nendobj\n{body}\ntrailer\n<<>>\n%%EOF\n")
        .into_bytes();
    b.extend(std::iter::repeat_n(b'\n', trailing));
    b
}

fn zip(entries: &[(&str, &str)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in entries {
        let method = if *name == "mimetype" {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let opts = zip::write::SimpleFileOptions::default().compression_method(method);
        w.start_file(*name, opts).unwrap();
        w.write_all(body.as_bytes()).unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn pdf_puid_follows_the_header_version() {
    let f = id("whatever.bin", &pdf("1.7", "", 0));
    assert_eq!(f.mime_type, "application/pdf");
    assert_eq!(f.name, "Portable Document Format 1.7");
    assert_eq!(f.puid.as_deref(), Some("fmt/276"));
    for (v, p) in [("1.4", "fmt/18"), ("1.5", "fmt/19"), ("2.0", "fmt/1129")] {
        assert_eq!(puid_of("x.pdf", &pdf(v, "", 0)).as_deref(), Some(p), "{v}");
    }
}

#[test]
fn no_pdf_puid_without_a_trailer_or_with_a_variant_marker() {
    // Siegfried needs `%%EOF` near the end; a PDF/A has its own PUIDs.
    assert_eq!(puid_of("x.pdf", b"%PDF-1.4\nno trailer\n"), None);
    assert_eq!(puid_of("x.pdf", &pdf("1.4", "", 2000)), None);
    let pdfa = pdf("1.4", "<pdfaid:part>1</pdfaid:part>", 0);
    assert_eq!(puid_of("x.pdf", &pdfa), None);
    let mut late = pdf("1.7", "", 0);
    late.splice(20..20, std::iter::repeat_n(b' ', 200_000));
    late.splice(150_000..150_000, b"pdfaid:part=\"2\"".iter().copied());
    assert_eq!(puid_of("x.pdf", &late), None);
    // Still called a PDF: only the PUID is withheld.
    assert_eq!(id("x.pdf", &pdfa).mime_type, "application/pdf");
}

#[test]
fn random_bytes_named_pdf_are_unknown() {
    let mut rng = fastrand::Rng::with_seed(7);
    let bytes: Vec<u8> = std::iter::repeat_with(|| rng.u8(..))
        .take(100_000)
        .collect();
    let f = id("rapport.pdf", &bytes);
    assert_eq!(
        (f.mime_type.as_str(), f.puid.as_deref()),
        (Format::UNKNOWN_MIME, None)
    );
    assert!(!f.is_known());
}

#[test]
fn office_documents_by_their_content_types_and_manifest_version() {
    const CT: &str = "application/vnd.openxmlformats-officedocument.";
    let docx = |main: &str| {
        let types = format!(
            "<Types><Override PartName=\"/word/document.xml\" ContentType=\"{main}\"/></Types>"
        );
        zip(&[
            ("[Content_Types].xml", &types),
            ("word/document.xml", "<w/>"),
        ])
    };
    let f = id(
        "lettre.docx",
        &docx(&format!("{CT}wordprocessingml.document.main+xml")),
    );
    assert_eq!(f.mime_type, format!("{CT}wordprocessingml.document"));
    assert_eq!(f.puid.as_deref(), Some("fmt/412"));
    let docm = docx("application/vnd.ms-word.document.macroEnabled.main+xml");
    assert_eq!(puid_of("lettre.docx", &docm), None);

    let odt = |root_attrs: &str| {
        let manifest = format!(
            "<?xml version=\"1.0\"?><manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"{root_attrs}></manifest:manifest>"
        );
        zip(&[
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("META-INF/manifest.xml", &manifest),
            ("content.xml", "<x/>"),
        ])
    };
    assert_eq!(puid_of("a.odt", &odt("")).as_deref(), Some("fmt/290"));
    let v12 = odt(" manifest:version=\"1.2\"");
    assert_eq!(puid_of("a.odt", &v12).as_deref(), Some("fmt/291"));
    let v13 = odt(" manifest:version=\"1.3\"");
    assert_eq!(puid_of("a.odt", &v13).as_deref(), Some("fmt/1756"));
    assert_eq!(puid_of("a.odt", &odt(" manifest:version=\"9\"")), None);

    let plain = zip(&[("a.txt", "hello")]);
    let f = id("archive.zip", &plain);
    assert_eq!(
        (f.mime_type.as_str(), f.puid.as_deref()),
        ("application/zip", Some("x-fmt/263"))
    );
}

#[test]
fn text_gets_a_puid_only_under_a_name_siegfried_reads_as_text() {
    assert_eq!(
        puid_of("note.txt", b"hello\n").as_deref(),
        Some("x-fmt/111")
    );
    assert_eq!(
        puid_of("NOTE.TXT", "héllo\n".as_bytes()).as_deref(),
        Some("x-fmt/111")
    );
    assert_eq!(puid_of("aux", b"hello\n").as_deref(), Some("x-fmt/111"));
    // Siegfried calls these CSV and Markdown by their extension alone.
    assert_eq!(puid_of("t.csv", b"a,b\n"), None);
    assert_eq!(puid_of("t.md", b"# t\n"), None);
    assert_eq!(id("t.csv", b"a,b\n").mime_type, "text/plain");
}

#[test]
fn xml_needs_its_declaration() {
    let decl = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a/>\n";
    assert_eq!(puid_of("a.xml", decl).as_deref(), Some("fmt/101"));
    let bom = [&b"\xEF\xBB\xBF"[..], decl].concat();
    assert_eq!(puid_of("a.xml", &bom).as_deref(), Some("fmt/101"));
    assert_eq!(puid_of("a.xml", b"<a/>"), None);
}

#[test]
fn images() {
    let png_end = b"\0\0\0\0IEND\xAE\x42\x60\x82";
    let png = [&b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR"[..], &[0; 17], png_end].concat();
    assert_eq!(puid_of("p.png", &png).as_deref(), Some("fmt/11"));
    let png11 = [&png[..33], b"\0\0\0\x01sRGB\0\0\0\0\0", &png[33..]].concat();
    assert_eq!(puid_of("p.png", &png11), None);
    let jfif = |minor: u8| {
        let mut j = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01".to_vec();
        j.extend([minor, 0, 0, 1, 0, 1, 0, 0, 0xFF, 0xD9]);
        j
    };
    assert_eq!(puid_of("j.jpg", &jfif(1)).as_deref(), Some("fmt/43"));
    assert_eq!(puid_of("j.jpg", &jfif(2)).as_deref(), Some("fmt/44"));
    let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
    assert_eq!(puid_of("g.gif", gif).as_deref(), Some("fmt/4"));
    assert_eq!(puid_of("g.gif", &gif[..gif.len() - 1]), None);
}

#[test]
fn an_empty_file_is_empty() {
    let f = id("vide.pdf", b"");
    assert_eq!(
        (f.mime_type.as_str(), f.puid),
        ("application/x-empty", None)
    );
}
