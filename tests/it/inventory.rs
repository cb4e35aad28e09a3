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

pub(crate) fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
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
        s3: Default::default(),
        concurrency: 4,
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
        s3: Default::default(),
        concurrency: 4,
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
            // The first sheet, "Dossiers" (DS's extra sheets follow).
            quick_xml::events::Event::End(e) if e.name().as_ref() == b"table:table" => break,
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
    formats_are_the_last_columns(&out, &header, &rows);
}

/// The formats `archive` identified reach the inventory: two columns
/// appended after every older one, the PUIDs of the sample's PDFs and
/// images, and the count of files without a PUID (the sample's random
/// bytes named `.mp4`) as the bags' metadata.json record it.
fn formats_are_the_last_columns(out: &Path, header: &[String], rows: &[Vec<String>]) {
    assert_eq!(
        header[header.len() - 4..],
        [
            "bundle",
            "bundle_sha256",
            "file_formats",
            "files_without_puid"
        ]
    );
    let ids: Vec<String> = columns_json(&out.join("dossiers.columns.json"))
        .iter()
        .map(|c| c["id"].as_str().expect("id").to_owned())
        .collect();
    assert_eq!(
        ids[ids.len() - 2..],
        ["ds-archive/file_formats", "ds-archive/files_without_puid"]
    );
    let mut expected_without = 0;
    for entry in fs_err::read_dir(out).expect("archive") {
        let meta = entry.expect("entry").path().join("data/metadata.json");
        if let Ok(bytes) = fs_err::read(&meta) {
            let meta: serde_json::Value = serde_json::from_slice(&bytes).expect("JSON");
            expected_without += meta["files"]
                .as_array()
                .expect("files")
                .iter()
                .filter(|f| f["format"].get("puid").is_none())
                .count();
        }
    }
    let mut without = 0;
    let mut all = std::collections::BTreeSet::new();
    for row in rows {
        without += cell(header, row, "files_without_puid")
            .parse::<usize>()
            .expect("a count in every row");
        all.extend(
            cell(header, row, "file_formats")
                .split(" | ")
                .map(str::to_owned),
        );
    }
    assert!(expected_without > 0, "the sample has unidentified files");
    assert_eq!(without, expected_without);
    for puid in ["fmt/18", "fmt/11", "application/octet-stream"] {
        assert!(all.contains(puid), "{puid} not in {all:?}");
    }
}

/// Whether python3 can import `module`; fails when CI requires tools.
pub(crate) fn have_python_module(module: &str) -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var("DS_ARCHIVE_REQUIRE_TOOLS").as_deref() != Ok("1"),
            "python3 module {module} is required (DS_ARCHIVE_REQUIRE_TOOLS=1) but not installed"
        );
        eprintln!("notice: python3 module {module} not installed, skipping that check");
    }
    found
}

/// The archive of the light sample démarche (both revisions, hostile names).
pub(crate) fn sample_archive(dir: &Path) -> std::path::PathBuf {
    let fake = crate::common::Fake::start_light();
    let out = dir.join("archive");
    let run = fake.archive(&out, &[]);
    assert_eq!(run.status.code(), Some(0), "{}", crate::common::text(&run));
    out
}

fn columns_json(path: &Path) -> Vec<serde_json::Value> {
    let doc: serde_json::Value =
        serde_json::from_slice(&fs_err::read(path).expect("columns.json")).expect("json");
    assert_eq!(doc["version"], 1);
    doc["columns"].as_array().expect("columns").clone()
}

#[test]
fn xlsx_read_by_openpyxl_has_the_cells_of_the_csv() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = sample_archive(tmp.path());
    let xlsx = tmp.path().join("dossiers.xlsx");
    let args = InventoryArgs {
        dir: out.clone(),
        format: Format::Xlsx,
        out: Some(xlsx.clone()),
        s3: Default::default(),
        concurrency: 4,
    };
    assert_eq!(inventory::command(&args), 0);
    // The same columns, listed beside each file.
    assert_eq!(
        columns_json(&tmp.path().join("dossiers.columns.json")),
        columns_json(&out.join("dossiers.columns.json"))
    );
    if !have_python_module("openpyxl") {
        return;
    }
    let script = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
ws = wb["Dossiers"]
rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
assert all(isinstance(v, str) for row in rows for v in row), "every cell is text"
json.dump(rows, sys.stdout)
"#;
    let read = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&xlsx)
        .output()
        .expect("python3");
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let from_xlsx: Vec<Vec<String>> = serde_json::from_slice(&read.stdout).expect("rows");
    let (header, rows) = read_csv(&out.join("dossiers.csv"));
    // The CSV's formula guard (a leading `'`) is the only difference.
    let unguard = |v: &String| match v.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest.to_owned(),
        _ => v.clone(),
    };
    let mut from_csv = vec![header];
    from_csv.extend(rows);
    let from_csv: Vec<Vec<String>> = from_csv
        .iter()
        .map(|r| r.iter().map(unguard).collect())
        .collect();
    assert_eq!(from_xlsx.len(), from_csv.len());
    for (x, c) in from_xlsx.iter().zip(&from_csv) {
        // openpyxl stops a row at its last non-empty cell.
        let mut x = x.clone();
        x.resize(c.len(), String::new());
        assert_eq!(&x, c);
    }
}

#[test]
fn columns_stay_put_when_a_revision_adds_a_champ() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = sample_archive(tmp.path());
    // The archive as it was before revision 2: only the dossiers on
    // revision 1 (zips alone: the inventory reads them when no folder).
    let before = tmp.path().join("before");
    fs_err::create_dir(&before).expect("mkdir");
    let mut kept = 0;
    for entry in fs_err::read_dir(&out).expect("list") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "zip") {
            let mut z = zip::ZipArchive::new(fs_err::File::open(&path).expect("zip")).expect("zip");
            let name = (0..z.len())
                .map(|i| z.by_index(i).expect("entry").name().to_owned())
                .find(|n| n.ends_with("data/dossier.json"))
                .expect("dossier.json");
            let mut json = String::new();
            z.by_name(&name)
                .expect("dossier.json")
                .read_to_string(&mut json)
                .expect("read");
            let d: serde_json::Value = serde_json::from_str(&json).expect("json");
            if d["dossier"]["demarche"]["revision"]["id"] == "UHJvY2VkdXJlUmV2aXNpb24tNTAx" {
                fs_err::copy(&path, before.join(path.file_name().expect("name"))).expect("copy");
                kept += 1;
            }
        }
    }
    assert!(kept > 0, "some dossiers are on revision 1");
    write_inventory(&before, Format::Csv, &before.join("dossiers.csv")).expect("inventory");
    let old = columns_json(&before.join("dossiers.columns.json"));
    let new = columns_json(&out.join("dossiers.columns.json"));
    let ids = |cols: &[serde_json::Value], group: &str| -> Vec<String> {
        cols.iter()
            .filter(|c| c["group"] == group)
            .map(|c| c["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let (old_champs, new_champs) = (ids(&old, "champ"), ids(&new, "champ"));
    // Every column of the old export is where it was; revision 2's champs
    // (RNF, engagement juridique) come after them, not among them.
    assert_eq!(new_champs[..old_champs.len()], old_champs[..]);
    let added: Vec<&str> = new
        .iter()
        .filter(|c| c["group"] == "champ")
        .skip(old_champs.len())
        .map(|c| c["header"].as_str().expect("header"))
        .collect();
    assert_eq!(
        added,
        ["Fondation partenaire (RNF)", "Engagement juridique"]
    );
    for (o, n) in old.iter().zip(&new).take(old_champs.len() + 21) {
        assert_eq!(o["index"], n["index"]);
        assert_eq!(o["id"], n["id"], "column {} moved", o["header"]);
    }
    // Annotations stay a block after every champ.
    let first_annotation = new.iter().position(|c| c["group"] == "annotation");
    let last_champ = new.iter().rposition(|c| c["group"] == "champ");
    assert!(first_annotation > last_champ, "{new:?}");
    // The header maps to the id and the stable id (DS's `type_de_champ/<n>`).
    let nom = new
        .iter()
        .find(|c| c["header"] == "Nom du projet")
        .expect("Nom du projet");
    assert_eq!(nom["id"], "type_de_champ/2");
    assert_eq!(nom["stable_id"], "2");
    let (header, _) = read_csv(&out.join("dossiers.csv"));
    let listed: Vec<&str> = new
        .iter()
        .map(|c| c["header"].as_str().expect("h"))
        .collect();
    assert_eq!(header, listed);
}

#[test]
fn csv_cells_are_neither_formulas_nor_control_characters() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut spec = BundleSpec::sample(1);
    spec.dossier["champs"][0]["stringValue"] = "=HYPERLINK(\"http://evil\",\"clic\")".into();
    spec.dossier["champs"][2]["rows"][0]["champs"][0]["stringValue"] =
        "Al\u{1b}[31mice\u{7}".into();
    write_bundle(tmp.path(), &spec);
    let out = tmp.path().join("dossiers.csv");
    write_inventory(tmp.path(), Format::Csv, &out).expect("inventory");
    let (header, rows) = read_csv(&out);
    assert_eq!(
        cell(&header, &rows[0], "Nom du projet"),
        "'=HYPERLINK(\"http://evil\",\"clic\")"
    );
    assert_eq!(cell(&header, &rows[0], "Membres / Nom"), "Al[31mice | Bob");
    // ODS keeps the value as text, unquoted (a text cell is never run).
    let ods = tmp.path().join("dossiers.ods");
    write_inventory(tmp.path(), Format::Ods, &ods).expect("ods");
    let mut z = zip::ZipArchive::new(fs_err::File::open(&ods).expect("open")).expect("zip");
    let mut content = String::new();
    z.by_name("content.xml")
        .expect("content")
        .read_to_string(&mut content)
        .expect("read");
    assert!(content.contains("<text:p>=HYPERLINK("), "{content}");
}

#[test]
fn selected_columns_come_in_the_given_order_with_pinned_headers() {
    let tmp = tempfile::tempdir().expect("tmp");
    archive_with_three(tmp.path());
    let out = tmp.path().join("picked.csv");
    let specs = vec![
        ("type_de_champ/d-c1".to_owned(), Some("Projet".to_owned())),
        ("self/id".to_owned(), None),
        ("type_de_champ/nope".to_owned(), None),
    ];
    let report = inventory::write_selected(tmp.path(), Format::Csv, &out, &specs).expect("write");
    assert_eq!(report.unknown_columns, ["type_de_champ/nope"]);
    let (header, rows) = read_csv(&out);
    assert_eq!(header, ["Projet", "id", "type_de_champ/nope"]);
    assert_eq!(rows[0], ["Projet, \"n°1\"\nsur deux lignes", "1", ""]);
    assert_eq!(
        columns_json(&tmp.path().join("picked.columns.json")).len(),
        3
    );
}

#[test]
fn champ_columns_are_stored_without_signed_urls_and_selectable_by_ds_id() {
    let tmp = tempfile::tempdir().expect("tmp");
    let out = sample_archive(tmp.path());
    let mut attachments = 0;
    let mut sva_fields = 0;
    for entry in fs_err::read_dir(&out).expect("list") {
        let path = entry.expect("entry").path().join("data/dossier.json");
        let Ok(text) = fs_err::read_to_string(&path) else {
            continue;
        };
        assert!(
            !text.contains("127.0.0.1"),
            "a signed URL is stored in {path:?}"
        );
        let d: serde_json::Value = serde_json::from_str(&text).expect("json");
        let dossier = &d["dossier"];
        if dossier.get("datePrevisionnelleDecisionSVASVR").is_some()
            && dossier.get("dateTraitementSVASVR").is_some()
        {
            sva_fields += 1;
        }
        for champ in dossier["champs"].as_array().expect("champs") {
            for c in champ["columns"].as_array().expect("columns") {
                if c["__typename"] == "AttachmentsColumn" {
                    attachments += 1;
                    assert_eq!(c["stringValue"], serde_json::Value::Null);
                }
            }
        }
    }
    assert!(sva_fields > 0, "the SVA/SVR dates are selected");
    assert!(attachments > 0, "attachment columns are stored");
    // A DS sub-column (the address's département code) by its DS id.
    let picked = tmp.path().join("picked.csv");
    let specs = vec![
        ("self/id".to_owned(), None),
        ("type_de_champ/15.department_code".to_owned(), None),
    ];
    let report = inventory::write_selected(&out, Format::Csv, &picked, &specs).expect("write");
    assert!(
        report.unknown_columns.is_empty(),
        "{:?}",
        report.unknown_columns
    );
    let (header, rows) = read_csv(&picked);
    assert_eq!(header, ["id", "Adresse du projet / Code département"]);
    assert!(rows.iter().any(|r| r[1] == "35"), "{rows:?}");
}
