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

/// Clear the UTF-8 flag (bit 11) of every entry, local and central headers,
/// as Info-ZIP's `zip` leaves UTF-8 names on Linux.
fn clear_utf8_flags(zip_path: &std::path::Path) {
    let mut bytes = fs_err::read(zip_path).unwrap();
    let le16 = |b: &[u8], at: usize| usize::from(u16::from_le_bytes([b[at], b[at + 1]]));
    let le32 = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().unwrap()) as usize;
    let eocd = bytes.len() - 22;
    let (count, mut at) = (le16(&bytes, eocd + 10), le32(&bytes, eocd + 16));
    for _ in 0..count {
        assert_eq!(&bytes[at..at + 4], b"PK\x01\x02");
        let local = le32(&bytes, at + 42);
        bytes[at + 9] &= !0x08;
        bytes[local + 7] &= !0x08;
        at += 46 + le16(&bytes, at + 28) + le16(&bytes, at + 30) + le16(&bytes, at + 32);
    }
    fs_err::write(zip_path, bytes).unwrap();
}

#[test]
fn utf8_names_without_the_utf8_flag_are_read_as_utf8() {
    let tmp = tempfile::tempdir().unwrap();
    let bag = our_bag(tmp.path(), "dossier-10");
    let pieces = bag.join("data/pieces_justificatives/2-Pièces jointes");
    fs_err::create_dir_all(&pieces).unwrap();
    fs_err::write(pieces.join("Reçu n°1 Ñandú.txt"), b"re\xc3\xa7u").unwrap();
    rebag(&bag);
    let crafted = tmp.path().join("dossier-10.zip");
    zip_bag(&bag, "dossier-10", &crafted);
    clear_utf8_flags(&crafted);
    let run = verify_path(&crafted);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    // The same bag zipped by Info-ZIP itself, when installed.
    if crate::common::have_tool("zip") {
        let made = tmp.path().join("made-by-zip.zip");
        let st = std::process::Command::new("zip")
            .current_dir(tmp.path())
            .args(["-qr", "made-by-zip.zip", "dossier-10"])
            .env("LC_ALL", "C.UTF-8")
            .status()
            .unwrap();
        assert!(st.success());
        let run = verify_path(&made);
        assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    }

    // Names that are not UTF-8 are still CP437 (DOS-era zips): 0x82 is `é`.
    let cp437 = tmp.path().join("cp437.zip");
    {
        let mut w = zip::ZipWriter::new(fs_err::File::create(&cp437).unwrap());
        let opts = zip::write::SimpleFileOptions::default();
        w.start_file("b/bagit.txt", opts).unwrap();
        w.write_all(b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
            .unwrap();
        w.start_file("b/manifest-sha256.txt", opts).unwrap();
        w.start_file("b/data/r\u{e9}sum\u{e9}.txt", opts).unwrap();
        w.write_all(b"x").unwrap();
        w.finish().unwrap();
    }
    clear_utf8_flags(&cp437);
    let mut bytes = fs_err::read(&cp437).unwrap();
    // `é` is two bytes in UTF-8 and one in CP437: pad with `_`, keep lengths.
    for at in (0..bytes.len() - 3).rev() {
        if bytes[at..at + 2] == [0xc3, 0xa9] {
            bytes[at] = 0x82;
            bytes[at + 1] = b'_';
        }
    }
    fs_err::write(&cp437, bytes).unwrap();
    let run = verify_path(&cp437);
    assert!(
        run.has("E_EXTRA", "cp437.zip/data/r\u{e9}_sum\u{e9}_.txt"),
        "{}",
        run.stdout
    );
}

/// The Library of Congress BagIt conformance suite, v0.97 and v1.0, as a
/// folder and as a zip: valid bags pass (warnings allowed), invalid ones fail.
#[test]
fn the_bagit_conformance_suite_passes() {
    let suite = crate::verify::fixtures().join("bagit-conformance");
    let tmp = tempfile::tempdir().unwrap();
    let mut seen = BTreeSet::new();
    for version in ["v0.97", "v1.0"] {
        for category in ["valid", "warning", "invalid", "linux-only", "windows-only"] {
            let dir = suite.join(version).join(category);
            if !dir.is_dir() {
                continue;
            }
            let want = if matches!(category, "valid" | "warning") {
                0
            } else {
                1
            };
            for bag in fs_err::read_dir(&dir).unwrap() {
                let bag = bag.unwrap().path();
                let name = bag.file_name().unwrap().to_string_lossy().into_owned();
                let case = format!("{version}/{category}/{name}");
                let run = verify_path(&bag);
                assert_eq!(run.code, want, "{case}: {}{}", run.stdout, run.stderr);
                if want == 0 {
                    assert!(run.stdout.is_empty(), "{case}: {}", run.stdout);
                }
                if category == "warning" {
                    let warned = run.stderr.lines().any(|l| l.starts_with("W_"));
                    assert!(warned, "{case}: {}", run.stderr);
                }
                let zip = tmp.path().join(format!("{name}.zip"));
                zip_bag(&bag, &name, &zip);
                let run = verify_path(&zip);
                assert_eq!(run.code, want, "{case}.zip: {}{}", run.stdout, run.stderr);
                seen.insert(case);
            }
        }
    }
    assert!(seen.contains("v1.0/valid/basicBag"), "{seen:?}");
    assert!(seen.contains("v0.97/valid/uncommon-metadata-separators"));
    assert_eq!(seen.len(), 42, "a vendored bag went missing: {seen:?}");
    let spaced = verify_path(&suite.join("v0.97/valid/uncommon-metadata-separators"));
    assert!(
        spaced.has(
            "W_BAG_INFO_LABEL",
            "uncommon-metadata-separators/bag-info.txt"
        ),
        "{}",
        spaced.stderr
    );
}
