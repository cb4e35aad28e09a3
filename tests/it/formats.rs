//! Our PRONOM identifiers against Siegfried's (PyPI `pygfried` bundles it),
//! the tool Vitam runs at ingest: for every attachment the sample démarche
//! archives, for every object of the SIPs made from them (the files
//! ds-archive writes included), and for a corpus of real-format files made
//! here, our PUID is Siegfried's or absent, never a different one. Skipped with a notice when
//! pygfried is not installed, a failure under DS_ARCHIVE_REQUIRE_TOOLS=1.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use ds_archive::format::{identify, Sniffer};
use serde_json::Value;

use crate::common::Fake;

/// Whether `python3 -c "import pygfried"` works; fails the test when CI
/// requires the tools.
fn have_pygfried() -> bool {
    let found = Command::new("python3")
        .args(["-c", "import pygfried"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("DS_ARCHIVE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "pygfried is required (DS_ARCHIVE_REQUIRE_TOOLS=1) but not installed: pip install pygfried"
        );
        eprintln!(
            "note: pygfried not installed (pip install pygfried), skipping the Siegfried check"
        );
    }
    found
}

/// Prints Siegfried's first identifier of each file named, as JSON.
const SIEGFRIED: &str = r"
import json, sys, pygfried
def sf(p):
    try:
        return pygfried.identify(p) or 'UNKNOWN'
    except pygfried.EmptySourceError:  # an empty file: nothing to identify
        return 'EMPTY'
print(json.dumps({p: sf(p) for p in sys.argv[1:]}))
";

/// Siegfried's first identifier for each file (`UNKNOWN` when it has none).
fn siegfried(files: &[PathBuf]) -> BTreeMap<PathBuf, String> {
    let out = Command::new("python3")
        .args(["-c", SIEGFRIED])
        .args(files)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ids: BTreeMap<String, String> = serde_json::from_slice(&out.stdout).expect("JSON");
    ids.into_iter()
        .map(|(p, id)| (PathBuf::from(p), id))
        .collect()
}

/// Every disagreement between our PUIDs and Siegfried's, one line each.
fn disagreements(ours: &BTreeMap<PathBuf, Option<String>>) -> Vec<String> {
    let files: Vec<PathBuf> = ours.keys().cloned().collect();
    let theirs = siegfried(&files);
    ours.iter()
        .filter_map(|(path, puid)| {
            let sf = &theirs[path];
            let puid = puid.as_deref()?;
            (puid != sf).then(|| format!("{}: ours {puid}, Siegfried {sf}", path.display()))
        })
        .collect()
}

#[test]
fn the_samples_puids_are_siegfrieds() {
    if !have_pygfried() {
        return;
    }
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archive");
    let run = fake.archive(&out, &["--no-zip"]);
    assert!(run.status.success(), "{}", crate::common::text(&run));
    let mut ours = BTreeMap::new();
    let mut random = 0;
    for entry in fs_err::read_dir(&out).unwrap() {
        let bag = entry.unwrap().path();
        let meta = bag.join("data/metadata.json");
        if !meta.is_file() {
            continue;
        }
        let meta: Value = serde_json::from_slice(&fs_err::read(&meta).unwrap()).unwrap();
        for f in meta["files"].as_array().unwrap() {
            let format = f.get("format").unwrap_or_else(|| panic!("no format: {f}"));
            let path = bag.join(f["path"].as_str().unwrap());
            if f["original_filename"] == "video-presentation.mp4" {
                // Random bytes under a video's name: the name is not the format.
                assert_eq!(format["mime_type"], "application/octet-stream", "{f}");
                assert!(format.get("puid").is_none(), "{f}");
                random += 1;
            }
            ours.insert(path, format["puid"].as_str().map(str::to_owned));
        }
    }
    assert_eq!(random, 1, "the sample's generated video");
    let bad = disagreements(&ours);
    assert!(bad.is_empty(), "{} files:\n{}", bad.len(), bad.join("\n"));
    // The sample's PDFs, images and ODT are real: the check compared
    // something, not only absences.
    let declared: std::collections::BTreeSet<&str> =
        ours.values().flatten().map(String::as_str).collect();
    for expected in ["fmt/18", "fmt/11", "fmt/290"] {
        assert!(
            declared.contains(expected),
            "{expected} not among {declared:?}"
        );
    }
    every_sip_object_has_siegfrieds_puid(&out, dir.path());
}

/// The SIPs of the archive: every BinaryDataObject, the files ds-archive
/// writes (dossier.json, metadata.json, metadata.xml) included, declares a
/// format, and its FormatId is what Siegfried finds in the file as it
/// stands in the SIP's Content/ folder.
fn every_sip_object_has_siegfrieds_puid(archive: &Path, dir: &Path) {
    let config = dir.join("seda.toml");
    fs_err::write(
        &config,
        "archival_agency_identifier = \"A\"\ntransferring_agency_identifier = \"T\"\n\
         archival_agreement = \"IC\"\noriginating_agency_identifier = \"O\"\n",
    )
    .unwrap();
    let sips = dir.join("sips");
    let seda = crate::common::ds_archive()
        .args(["seda", "--no-xsd", "--from"])
        .arg(archive)
        .arg("--out")
        .arg(&sips)
        .arg("--config")
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(
        seda.status.code(),
        Some(0),
        "{}",
        crate::common::text(&seda)
    );
    let content = dir.join("content");
    let mut ours = BTreeMap::new();
    let mut generated = BTreeMap::new();
    for sip in fs_err::read_dir(&sips).unwrap() {
        let sip = sip.unwrap().path();
        let root = crate::seda_units::manifest(&sip);
        let mut zip = zip::ZipArchive::new(fs_err::File::open(&sip).unwrap()).unwrap();
        let stem = sip.file_stem().unwrap().to_string_lossy().into_owned();
        for object in root.find_all("BinaryDataObject") {
            let uri = object.at(&["Uri"]).unwrap();
            let path = content.join(&stem).join(uri);
            fs_err::create_dir_all(path.parent().unwrap()).unwrap();
            let mut file = fs_err::File::create(&path).unwrap();
            std::io::copy(&mut zip.by_name(uri).unwrap(), &mut file).unwrap();
            let format = object
                .child("FormatIdentification")
                .unwrap_or_else(|| panic!("{stem}/{uri}: no FormatIdentification"));
            let puid = format.at(&["FormatId"]).map(str::to_owned);
            let name = object.at(&["FileInfo", "Filename"]).unwrap_or_default();
            if matches!(name, "dossier.json" | "metadata.json" | "metadata.xml") {
                *generated.entry(puid.clone()).or_insert(0) += 1;
                assert!(format.at(&["MimeType"]).is_some(), "{stem}/{uri}");
                assert!(format.at(&["FormatLitteral"]).is_some(), "{stem}/{uri}");
            }
            ours.insert(path, puid);
        }
    }
    // Two JSON and one XML file per dossier, each with its PUID.
    let sip_count = fs_err::read_dir(&sips).unwrap().count();
    assert_eq!(
        generated.get(&Some("fmt/817".to_owned())),
        Some(&(2 * sip_count))
    );
    assert_eq!(generated.get(&Some("fmt/101".to_owned())), Some(&sip_count));
    let bad = disagreements(&ours);
    assert!(bad.is_empty(), "{} objects:\n{}", bad.len(), bad.join("\n"));
}

#[test]
fn a_corpus_of_real_formats_gets_siegfrieds_puids_or_none() {
    if !have_pygfried() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let sample = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/sample/files");
    let mut ours = BTreeMap::new();
    let mut expected = BTreeMap::new();
    for (name, bytes, puid) in corpus() {
        let path = dir.path().join(name);
        fs_err::write(&path, &bytes).unwrap();
        ours.insert(path.clone(), our_puid(&path, name));
        expected.insert(path, puid);
    }
    for entry in fs_err::read_dir(&sample).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        ours.insert(path.clone(), our_puid(&path, &name));
    }
    // What we mean to declare, so a table that declares nothing fails too.
    for (path, puid) in &expected {
        assert_eq!(&ours[path], puid, "{}", path.display());
    }
    let bad = disagreements(&ours);
    assert!(bad.is_empty(), "{} files:\n{}", bad.len(), bad.join("\n"));
}

fn our_puid(path: &Path, name: &str) -> Option<String> {
    let bytes = fs_err::read(path).unwrap();
    let mut s = Sniffer::new();
    for piece in bytes.chunks(16 * 1024) {
        s.update(piece);
    }
    identify(&s, path, name).puid
}

type Case = (&'static str, Vec<u8>, Option<String>);

/// Files of each format the PUID table covers, and near misses it must not
/// claim, with the PUID we mean to give.
fn corpus() -> Vec<Case> {
    let some = |p: &str| Some(p.to_owned());
    let mut rng = fastrand::Rng::with_seed(13);
    let random: Vec<u8> = std::iter::repeat_with(|| rng.u8(..)).take(50_000).collect();
    vec![
        ("v14.pdf", pdf("1.4", ""), some("fmt/18")),
        ("v17.pdf", pdf("1.7", ""), some("fmt/276")),
        ("v20.pdf", pdf("2.0", ""), some("fmt/1129")),
        ("no-extension", pdf("1.5", ""), some("fmt/19")),
        ("pdfa.pdf", pdf("1.4", PDFA), None),
        ("pdfx.pdf", pdf("1.3", "/GTS_PDFXVersion (PDF/X-1:2001)"), None),
        ("pdfua.pdf", pdf("1.7", PDFUA), None),
        ("word.pdf", pdf("1.7", WORD_XMP), some("fmt/276")),
        ("cut.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\n".to_vec(), None),
        ("random.pdf", random, None),
        ("p.png", png(b""), some("fmt/11")),
        ("p11.png", png(b"sRGB"), None),
        ("j.jpg", jfif(1), some("fmt/43")),
        ("j102.jpeg", jfif(2), some("fmt/44")),
        ("g.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec(), some("fmt/4")),
        ("lettre.docx", ooxml("word/document.xml", "wordprocessingml.document"), some("fmt/412")),
        ("tableau.xlsx", ooxml("xl/workbook.xml", "spreadsheetml.sheet"), some("fmt/214")),
        ("diapos.pptx", ooxml("ppt/presentation.xml", "presentationml.presentation"), some("fmt/215")),
        ("rapport.odt", odf("text", "1.2"), some("fmt/291")),
        ("rapport13.odt", odf("text", "1.3"), some("fmt/1756")),
        ("calc.ods", odf("spreadsheet", "1.2"), some("fmt/295")),
        ("show.odp", odf("presentation", "1.3"), some("fmt/1754")),
        ("pieces.zip", zip(&[("a.txt", "bonjour")]), some("x-fmt/263")),
        ("data.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<a>b</a>\n".to_vec(), some("fmt/101")),
        ("nodecl.xml", b"<a>b</a>\n".to_vec(), None),
        ("note.txt", "Visite du local : conforme, été.\n".as_bytes().to_vec(), some("x-fmt/111")),
        ("table.csv", b"a;b\n1;2\n".to_vec(), None),
        ("readme.md", b"# Titre\n".to_vec(), None),
    ]
}

const PDFA: &str = "<x:xmpmeta><rdf:Description xmlns:pdfaid=\"http://www.aiim.org/pdfa/ns/id/\">\
                    <pdfaid:part>1</pdfaid:part><pdfaid:conformance>B</pdfaid:conformance>\
                    </rdf:Description></x:xmpmeta>";

const PDFUA: &str = "<rdf:Description xmlns:pdfuaid=\"http://www.aiim.org/pdfua/ns/id/\">\
                     <pdfuaid:part>1</pdfuaid:part></rdf:Description>";

/// The XMP namespace Word writes in a plain PDF: no PDF/X for all its name.
const WORD_XMP: &str = "<rdf:Description xmlns:pdfx=\"http://ns.adobe.com/pdfx/1.3/\">\
                        <pdfx:SourceModified>D:20240101</pdfx:SourceModified></rdf:Description>";

fn pdf(version: &str, metadata: &str) -> Vec<u8> {
    format!(
        "%PDF-{version}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n\
         2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n\
         3 0 obj\n<< /Type /Metadata /Subtype /XML >>\nstream\n{metadata}\nendstream\nendobj\n\
         trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )
    .into_bytes()
}

/// A 1×1 PNG; `extra` names an ancillary chunk to add after IHDR. CRCs
/// are not checked by either identifier.
fn png(extra: &[u8]) -> Vec<u8> {
    let chunk = |kind: &[u8], data: &[u8]| {
        let mut c = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0; 4]);
        c
    };
    let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
    p.extend(chunk(b"IHDR", &[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
    if !extra.is_empty() {
        p.extend(chunk(extra, &[0]));
    }
    p.extend(chunk(
        b"IDAT",
        b"\x78\x9c\x63\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00",
    ));
    p.extend(b"\0\0\0\0IEND\xAE\x42\x60\x82");
    p
}

/// A JFIF 1.0`minor` JPEG: SOI, APP0, a quantisation table, a frame, a
/// scan, EOI.
fn jfif(minor: u8) -> Vec<u8> {
    let mut j = b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01".to_vec();
    j.extend([minor, 0, 0, 1, 0, 1, 0, 0]);
    j.extend(b"\xFF\xDB\x00\x43\x00");
    j.extend(0..64u8);
    j.extend(b"\xFF\xC0\x00\x0B\x08\x00\x01\x00\x01\x01\x01\x11\x00");
    j.extend(b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00\x00\x00\xFF\xD9");
    j
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

fn ooxml(part: &str, kind: &str) -> Vec<u8> {
    let types = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/{part}\" ContentType=\"application/vnd.openxmlformats-officedocument.{kind}.main+xml\"/></Types>"
    );
    let rels = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
         <Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
         <Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"{part}\"/></Relationships>"
    );
    zip(&[
        ("[Content_Types].xml", &types),
        ("_rels/.rels", &rels),
        (part, "<?xml version=\"1.0\"?><x/>"),
    ])
}

fn odf(kind: &str, version: &str) -> Vec<u8> {
    let media = format!("application/vnd.oasis.opendocument.{kind}");
    let manifest = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"{version}\">\
         <manifest:file-entry manifest:full-path=\"/\" manifest:version=\"{version}\" manifest:media-type=\"{media}\"/>\
         <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/></manifest:manifest>"
    );
    let content = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" office:version=\"{version}\">\
         <office:body><office:{kind}/></office:body></office:document-content>"
    );
    zip(&[
        ("mimetype", &media),
        ("META-INF/manifest.xml", &manifest),
        ("content.xml", &content),
    ])
}
