//! `verify` on what others wrote or damaged: bundle zips holding zip-based
//! attachments (DOCX, ODT) then truncated, zips made by Info-ZIP with UTF-8
//! names but no UTF-8 flag, and the Library of Congress BagIt conformance
//! suite (vendored under tests/fixtures/bagit-conformance).

use std::collections::BTreeSet;
use std::io::Write;

use crate::verify::{our_bag, rebag, verify_path, zip_bag};

/// A small office document as Word or LibreOffice write it: a zip of its
/// own, deflated parts (ODT's `mimetype` stored first, as its spec asks).
fn office_document(first: (&str, bool), parts: &[&str]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let (name, is_stored) = first;
    w.start_file(name, if is_stored { stored } else { deflated })
        .unwrap();
    w.write_all(b"application/vnd.oasis.opendocument.text")
        .unwrap();
    for part in parts {
        w.start_file(*part, deflated).unwrap();
        w.write_all(format!("<xml>{part} {}</xml>", "texte ".repeat(40)).as_bytes())
            .unwrap();
    }
    w.finish().unwrap().into_inner()
}

#[test]
fn a_truncated_zip_holding_office_documents_is_corrupt_and_nothing_else() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = our_bag(tmp.path(), "dossier-9");
    let pieces = bag.join("data/pieces_justificatives/1-Justificatif");
    let docx = office_document(
        ("[Content_Types].xml", false),
        &["_rels/.rels", "word/document.xml"],
    );
    let odt = office_document(
        ("mimetype", true),
        &["content.xml", "META-INF/manifest.xml"],
    );
    fs_err::write(pieces.join("contrat.docx"), &docx).unwrap();
    fs_err::write(pieces.join("deliberation.odt"), &odt).unwrap();
    rebag(&bag);
    let good = tmp.path().join("dossier-9.zip");
    zip_bag(&bag, "dossier-9", &good);
    let run = verify_path(&good);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // Where the cut falls: the inner documents' own end records must never
    // be taken for the bundle's.
    let bytes = fs_err::read(&good).unwrap();
    let end_of = |inner: &[u8]| {
        let at = bytes
            .windows(inner.len())
            .position(|w| w == inner)
            .expect("attachment stored as is");
        at + inner.len()
    };
    // The bundle's own central directory, from its end record (no comment).
    let eocd = bytes.len() - 22;
    assert_eq!(&bytes[eocd..eocd + 4], b"PK\x05\x06");
    let central = u32::from_le_bytes(bytes[eocd + 16..eocd + 20].try_into().unwrap()) as usize;
    let cuts = [
        ("just after the stored .docx", end_of(&docx)),
        ("just after the stored .odt", end_of(&odt)),
        ("just after the .odt's end record", end_of(&odt) - 5),
        ("half way", bytes.len() / 2),
        ("inside the central directory", central + 60),
        ("one byte short", bytes.len() - 1),
    ];
    for (what, at) in cuts {
        let cut = tmp.path().join("dossier-9-cut.zip");
        fs_err::write(&cut, &bytes[..at]).unwrap();
        let run = verify_path(&cut);
        assert_eq!(run.code, 1, "{what}: {}{}", run.stdout, run.stderr);
        assert_eq!(
            run.problem_codes(),
            BTreeSet::from(["E_ZIP_CORRUPT".to_owned()]),
            "{what}: {}",
            run.stdout
        );
        assert_eq!(run.stdout.lines().count(), 1, "{what}: {}", run.stdout);
        assert!(
            run.has("E_ZIP_CORRUPT", "dossier-9-cut.zip"),
            "{what}: {}",
            run.stdout
        );
    }
}
