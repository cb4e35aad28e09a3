//! `ds-archive inventory` on synthetic archive folders (built with the SEDA
//! tests' fixture, which lays bundles out as `ds-archive archive` does).

use std::io::Read;
use std::path::Path;

use ds_archive::inventory::{self, write_inventory, Format, InventoryArgs};
use sha2::{Digest, Sha256};

use crate::seda::fixture::{write_bundle, zip_bundle, BundleSpec};

fn archive_with_three(dir: &Path) {
    write_bundle(dir, &BundleSpec::sample(1));
    zip_bundle(dir, 1, false);
    let mut two = BundleSpec::sample(2);
    // A different champ (new descriptor) under the same label.
    two.dossier["champs"][0]["champDescriptorId"] = "d-new".into();
    write_bundle(dir, &two);
    write_bundle(dir, &BundleSpec::sample(3));
    zip_bundle(dir, 3, true);
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut r = csv::Reader::from_path(path).expect("csv");
    let header = r
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    let rows = r
        .records()
        .map(|rec| rec.expect("record").iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn cell<'a>(header: &[String], row: &'a [String], name: &str) -> &'a str {
    let i = header
        .iter()
        .position(|h| h == name)
        .unwrap_or_else(|| panic!("no column {name}: {header:?}"));
    &row[i]
}

#[test]
fn csv_has_one_row_per_dossier_with_champs_and_bundle_digest() {
    let tmp = tempfile::tempdir().expect("tmp");
    archive_with_three(tmp.path());
    // An archive-level manifest gives the sum for dossier-1.zip (deliberately
    // fake, to prove it is read rather than recomputed).
    fs_err::write(
        tmp.path().join("manifest-sha256.txt"),
        format!("{}  dossier-1.zip\n", "ab".repeat(32)),
    )
    .expect("manifest");
    let out = tmp.path().join("dossiers.csv");
    let report = write_inventory(tmp.path(), Format::Csv, &out).expect("inventory");
    assert_eq!(report.rows, 3);
    assert!(report.skipped.is_empty());

    let (header, rows) = read_csv(&out);
    assert_eq!(
        &header[..11],
        [
            "id",
            "created_at",
            "updated_at",
            "archived",
            "email",
            "state",
            "initiated_at",
            "received_at",
            "processed_at",
            "motivation",
            "email_instructeurs"
        ]
    );
    assert_eq!(rows.len(), 3);
    let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(ids, ["1", "2", "3"]);
    let r1 = &rows[0];
    assert_eq!(cell(&header, r1, "email"), "usager1@example.org");
    assert_eq!(cell(&header, r1, "state"), "closed");
    assert_eq!(cell(&header, r1, "demandeur_prenom"), "Émilie");
    // Quotes, commas and a newline survive the round trip.
    assert_eq!(
        cell(&header, r1, "Nom du projet"),
        "Projet, \"n°1\"\nsur deux lignes"
    );
    assert_eq!(cell(&header, r1, "Membres / Nom"), "Alice | Bob");
    assert_eq!(cell(&header, r1, "Membres / Âge"), "30 | 41");
    assert_eq!(cell(&header, r1, "annotation: Avis interne"), "favorable");
    assert_eq!(cell(&header, r1, "instructeurs"), "a@admin.fr | b@admin.fr");
    assert_eq!(cell(&header, r1, "bundle"), "dossier-1.zip");
    assert_eq!(cell(&header, r1, "bundle_sha256"), "ab".repeat(32));
    // Dossier 2 has no zip; dossier 3's sum is computed from its zip.
    assert_eq!(cell(&header, &rows[1], "bundle"), "");
    let zip3 = fs_err::read(tmp.path().join("dossier-3.zip")).expect("zip");
    assert_eq!(
        cell(&header, &rows[2], "bundle_sha256"),
        hex::encode(Sha256::digest(&zip3))
    );
    // Dossier 2's champ has another descriptor: its own, numbered column.
    assert_eq!(
        cell(&header, &rows[1], "Nom du projet (2)"),
        "Projet, \"n°2\"\nsur deux lignes"
    );
    assert_eq!(cell(&header, &rows[1], "Nom du projet"), "");
    assert_eq!(cell(&header, &rows[2], "Nom du projet (2)"), "");
    assert!(
        !header.iter().any(|h| h == "Section"),
        "sections are not columns"
    );
}

#[test]
fn unreadable_bundle_is_left_out_and_reported() {
    let tmp = tempfile::tempdir().expect("tmp");
    write_bundle(tmp.path(), &BundleSpec::sample(1));
    let bad = write_bundle(tmp.path(), &BundleSpec::sample(2));
    fs_err::write(bad.join("data/metadata.json"), b"{not json").expect("corrupt");
    let args = InventoryArgs {
        dir: tmp.path().to_owned(),
        format: Format::Csv,
        out: None,
    };
    assert_eq!(inventory::command(&args), 1);
    let (_, rows) = read_csv(&tmp.path().join("dossiers.csv"));
    assert_eq!(rows.len(), 1);
}

#[test]
fn ods_is_a_valid_opendocument_zip() {
    let tmp = tempfile::tempdir().expect("tmp");
    archive_with_three(tmp.path());
    let args = InventoryArgs {
        dir: tmp.path().to_owned(),
        format: Format::Ods,
        out: None,
    };
    assert_eq!(inventory::command(&args), 0);
    let path = tmp.path().join("dossiers.ods");
    let mut z = zip::ZipArchive::new(fs_err::File::open(&path).expect("open")).expect("zip");
    {
        let mut first = z.by_index(0).expect("first");
        assert_eq!(first.name(), "mimetype");
        assert_eq!(first.compression(), zip::CompressionMethod::Stored);
        let mut m = String::new();
        first.read_to_string(&mut m).expect("read");
        assert_eq!(m, "application/vnd.oasis.opendocument.spreadsheet");
    }
    assert!(z.by_name("META-INF/manifest.xml").is_ok());
    let mut content = String::new();
    z.by_name("content.xml")
        .expect("content")
        .read_to_string(&mut content)
        .expect("read");
    let mut reader = quick_xml::Reader::from_str(&content);
    let mut rows = 0;
    loop {
        match reader.read_event().expect("well-formed content.xml") {
            quick_xml::events::Event::Start(e) if e.name().as_ref() == b"table:table-row" => {
                rows += 1
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(rows, 4, "header + 3 dossiers");
    assert!(content.contains("<text:p>usager2@example.org</text:p>"));

    if which("libreoffice") {
        let conv = std::process::Command::new("libreoffice")
            .args(["--headless", "--convert-to", "csv", "--outdir"])
            .arg(tmp.path().join("lo"))
            .arg(&path)
            .output()
            .expect("libreoffice");
        assert!(conv.status.success());
        let text = fs_err::read_to_string(tmp.path().join("lo/dossiers.csv")).expect("converted");
        assert!(text.contains("usager2@example.org"));
    } else {
        eprintln!("notice: libreoffice not installed, ODS open check skipped");
    }
}

fn which(tool: &str) -> bool {
    std::process::Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_runs_inventory_is_what_the_inventory_command_reads_from_the_bundles() {
    // `archive` keeps the rows of the bundles it writes rather than reading
    // them back at the end: the CSV must be the same as one made from disk.
    let fake = crate::common::Fake::start_light();
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("archive");
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", crate::common::text(&run));
    let from_disk = dir.path().join("from-disk.csv");
    write_inventory(&out, Format::Csv, &from_disk).expect("inventory");
    let written = fs_err::read(out.join("dossiers.csv")).expect("the run wrote dossiers.csv");
    let (header, rows) = read_csv(&out.join("dossiers.csv"));
    assert_eq!(rows.len(), fake.server.dataset().dossier_numbers().len());
    assert!(header.iter().any(|h| h == "bundle_sha256"));
    assert_eq!(
        String::from_utf8_lossy(&written),
        String::from_utf8_lossy(&fs_err::read(&from_disk).expect("read"))
    );
}
