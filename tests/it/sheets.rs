//! DS's extra sheets in the XLSX and ODS tables ("Avis", one per répétition
//! block), read back by independent readers: openpyxl for the XLSX, odfpy
//! for the ODS (a missing module skips locally, fails in CI).

use std::collections::BTreeMap;
use std::path::Path;

use ds_archive::bagit::bundles::{discover, BagReader};
use ds_archive::inventory::sheets::{dossier_sheets, SheetInfo};
use ds_archive::inventory::{write_inventory, Format};
use serde_json::Value;

use crate::inventory::{have_python_module, read_csv, sample_archive};

/// Sheets in workbook order: (name, rows, header first).
type Book = Vec<(String, Vec<Vec<String>>)>;

const OPENPYXL: &str = r#"
import json, sys, openpyxl
wb = openpyxl.load_workbook(sys.argv[1], read_only=True)
out = []
for ws in wb.worksheets:
    rows = [["" if v is None else v for v in row] for row in ws.iter_rows(values_only=True)]
    assert all(isinstance(v, str) for row in rows for v in row), "every cell is text"
    out.append([ws.title, rows])
json.dump(out, sys.stdout)
"#;

const ODFPY: &str = r#"
import json, sys
from odf.opendocument import load
from odf.table import Table, TableRow, TableCell
from odf.text import P
from odf import teletype
doc = load(sys.argv[1])
out = []
for t in doc.spreadsheet.getElementsByType(Table):
    rows = []
    for r in t.getElementsByType(TableRow):
        cells = []
        for c in r.getElementsByType(TableCell):
            repeat = int(c.getAttribute("numbercolumnsrepeated") or 1)
            cells.extend(["\n".join(teletype.extractText(p) for p in c.getElementsByType(P))] * repeat)
        rows.append(cells)
    out.append([t.getAttribute("name"), rows])
json.dump(out, sys.stdout)
"#;

/// The workbook as `script` reads it, or `None` when `module` is missing.
fn read_with(module: &str, script: &str, path: &Path) -> Option<Book> {
    if !have_python_module(module) {
        return None;
    }
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(path)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let book: Book = serde_json::from_slice(&out.stdout).expect("sheets as JSON");
    Some(
        book.into_iter()
            .map(|(name, rows)| (name, trimmed(rows)))
            .collect(),
    )
}

/// Rows without trailing empty cells (readers stop at the last value).
fn trimmed(rows: Vec<Vec<String>>) -> Vec<Vec<String>> {
    rows.into_iter()
        .map(|mut r| {
            while r.last().is_some_and(String::is_empty) {
                r.pop();
            }
            r
        })
        .collect()
}

/// Our own rows of each extra sheet: the library's extraction over every
/// bag, laid out in the columns the report lists.
fn expected(archive: &Path, sheets: &[SheetInfo]) -> Book {
    let mut by_sheet: BTreeMap<String, Vec<Vec<String>>> = BTreeMap::new();
    for f in discover(archive).expect("bundles") {
        let mut bag = BagReader::open(&f.location).expect("bag");
        let dossier = bag.read_json("data/dossier.json").expect("dossier.json");
        for (key, row) in dossier_sheets(f.number, &dossier).rows {
            let info = sheets
                .iter()
                .find(|s| s.id == key)
                .expect("a sheet per key");
            let cells = info
                .columns
                .iter()
                .map(|c| row.get(&c.id).cloned().unwrap_or_default())
                .collect();
            by_sheet.entry(key).or_default().push(cells);
        }
    }
    sheets
        .iter()
        .map(|s| {
            let mut rows = vec![s.columns.iter().map(|c| c.header.clone()).collect()];
            rows.extend(by_sheet.remove(&s.id).unwrap_or_default());
            (s.name.clone(), trimmed(rows))
        })
        .collect()
}

#[test]
fn extra_sheets_read_back_by_openpyxl_and_odfpy_hold_our_rows() {
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = sample_archive(tmp.path());
    let xlsx = tmp.path().join("dossiers.xlsx");
    let report = write_inventory(&archive, Format::Xlsx, &xlsx).expect("xlsx");
    let ods = tmp.path().join("t.ods");
    let ods_report = write_inventory(&archive, Format::Ods, &ods).expect("ods");
    assert_eq!(report.sheets, ods_report.sheets);

    // Avis first, then the blocks: the form's before the annotations'.
    let names: Vec<&str> = report.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "Avis");
    assert!(names[1].ends_with(") Membres de l'équipe"), "{names:?}");
    assert!(names[2].ends_with(") Visites sur site"), "{names:?}");
    let groups: Vec<&str> = report.sheets.iter().map(|s| s.group.as_str()).collect();
    assert_eq!(groups, ["avis", "champ", "annotation"]);
    for s in &report.sheets[1..] {
        let stable = s.stable_id.as_deref().expect("a block's stable id");
        assert_eq!(s.id, format!("type_de_champ/{stable}"));
        assert!(s.name.starts_with(&format!("({stable}) ")), "{}", s.name);
    }
    // Every dossier's avis has a row (half the sample's dossiers have one).
    assert_eq!(report.sheets[0].rows, 12);

    // columns.json covers every sheet.
    let sidecar: Value =
        serde_json::from_slice(&fs_err::read(tmp.path().join("dossiers.columns.json")).unwrap())
            .unwrap();
    assert_eq!(
        sidecar["sheets"],
        serde_json::to_value(&report.sheets).unwrap()
    );

    let ours = expected(&archive, &report.sheets);
    for (what, book) in [
        ("openpyxl", read_with("openpyxl", OPENPYXL, &xlsx)),
        ("odfpy", read_with("odf", ODFPY, &ods)),
    ] {
        let Some(book) = book else { continue };
        let read: Vec<&str> = book.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(read[0], "Dossiers", "{what}");
        assert_eq!(read[1..], names[..], "{what}");
        assert_eq!(book[1..], ours[..], "{what} reads other cells than ours");
    }

    // Another path to the same values: a block's column joined per dossier
    // is the main table's flattened cell.
    let (header, rows) = read_csv(&archive.join("dossiers.csv"));
    let membres = &report.sheets[1];
    let col = membres
        .columns
        .iter()
        .position(|c| c.header == "Nom et prénom")
        .expect("Nom et prénom");
    let flat = header
        .iter()
        .position(|h| h == "Membres de l'équipe / Nom et prénom")
        .expect("flattened column");
    let (_, sheet_rows) = &ours[1];
    for row in &rows {
        let joined: Vec<&str> = sheet_rows[1..]
            .iter()
            .filter(|r| r[0] == row[0])
            .map(|r| r.get(col).map_or("", String::as_str))
            .collect();
        assert_eq!(joined.join(" | "), row[flat], "dossier {}", row[0]);
    }
}

#[test]
fn a_csv_has_no_sheets_and_its_columns_json_none() {
    let tmp = tempfile::tempdir().expect("tmp");
    let archive = sample_archive(tmp.path());
    let csv = tmp.path().join("d.csv");
    let report = write_inventory(&archive, Format::Csv, &csv).expect("csv");
    assert!(report.sheets.is_empty());
    let sidecar: Value =
        serde_json::from_slice(&fs_err::read(tmp.path().join("d.columns.json")).unwrap()).unwrap();
    assert!(sidecar.get("sheets").is_none(), "{sidecar}");
    // No sibling files either.
    let names: Vec<String> = fs_err::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("d"))
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn sheet_cells_lose_control_characters_and_hostile_labels_make_valid_names() {
    use crate::seda::fixture::{write_bundle, BundleSpec};
    let tmp = tempfile::tempdir().expect("tmp");
    let mut spec = BundleSpec::sample(1);
    let block = &mut spec.dossier["champs"][2];
    block["label"] = "Membres: [équipe]/*?\\ avec un nom bien trop long pour Excel".into();
    block["rows"][0]["champs"][0]["stringValue"] = "Al\u{1b}[31mice\u{7}".into();
    write_bundle(tmp.path(), &spec);
    let ods = tmp.path().join("d.ods");
    let report = write_inventory(tmp.path(), Format::Ods, &ods).expect("ods");
    let sheet = report
        .sheets
        .iter()
        .find(|s| s.group == "champ")
        .expect("the block's sheet");
    assert!(sheet.name.chars().count() <= 31, "{}", sheet.name);
    assert!(
        !sheet.name.contains(['[', ']', ':', '*', '?', '/', '\\']),
        "{}",
        sheet.name
    );
    let mut z = zip::ZipArchive::new(fs_err::File::open(&ods).unwrap()).unwrap();
    let mut content = String::new();
    std::io::Read::read_to_string(&mut z.by_name("content.xml").unwrap(), &mut content).unwrap();
    assert!(!content.contains('\u{1b}') && !content.contains('\u{7}'));
    assert!(content.contains("<text:p>Al[31mice</text:p>"), "{content}");
    // Excel's own rules, as rust_xlsxwriter enforces them, accept the name.
    let xlsx = tmp.path().join("d.xlsx");
    write_inventory(tmp.path(), Format::Xlsx, &xlsx).expect("xlsx");
    if let Some(book) = read_with("openpyxl", OPENPYXL, &xlsx) {
        assert!(book.iter().any(|(n, _)| *n == sheet.name), "{book:?}");
    }
}

#[test]
fn characters_xml_forbids_never_reach_an_ods_or_xlsx() {
    // U+FFFE and U+FFFF are valid in dossier.json (JSON) but not in XML
    // 1.0: a cell or sheet name holding one makes the whole workbook
    // unreadable (LibreOffice reports a format error, openpyxl and odfpy
    // stop on the parse error).
    use crate::seda::fixture::{write_bundle, BundleSpec};
    let tmp = tempfile::tempdir().expect("tmp");
    let mut spec = BundleSpec::sample(1);
    let block = &mut spec.dossier["champs"][2];
    block["label"] = "Membres\u{ffff}".into();
    block["rows"][0]["champs"][0]["stringValue"] = "Al\u{fffe}ice\u{ffff}".into();
    write_bundle(tmp.path(), &spec);
    let ods = tmp.path().join("d.ods");
    write_inventory(tmp.path(), Format::Ods, &ods).expect("ods");
    let mut z = zip::ZipArchive::new(fs_err::File::open(&ods).unwrap()).unwrap();
    let mut content = String::new();
    std::io::Read::read_to_string(&mut z.by_name("content.xml").unwrap(), &mut content).unwrap();
    assert!(!content.contains(['\u{fffe}', '\u{ffff}']), "{content}");
    assert!(content.contains("<text:p>Alice</text:p>"), "{content}");
    let xlsx = tmp.path().join("d.xlsx");
    write_inventory(tmp.path(), Format::Xlsx, &xlsx).expect("xlsx");
    let mut z = zip::ZipArchive::new(fs_err::File::open(&xlsx).unwrap()).unwrap();
    for i in 0..z.len() {
        let mut part = z.by_index(i).unwrap();
        let mut text = String::new();
        std::io::Read::read_to_string(&mut part, &mut text).unwrap();
        assert!(!text.contains(['\u{fffe}', '\u{ffff}']), "{}", part.name());
    }
    let (Some(from_ods), Some(from_xlsx)) = (
        read_with("odf", ODFPY, &ods),
        read_with("openpyxl", OPENPYXL, &xlsx),
    ) else {
        return;
    };
    for book in [from_ods, from_xlsx] {
        let rows: Vec<&String> = book.iter().flat_map(|(_, r)| r).flatten().collect();
        assert!(rows.iter().any(|c| *c == "Alice"), "{book:?}");
    }
}

/// A bundle folder with only what the inventory reads.
fn bundle(dir: &Path, number: u64, revisions: &Value, rows: &Value) {
    let data = dir.join(format!("dossier-{number}/data"));
    fs_err::create_dir_all(&data).unwrap();
    let dossier = serde_json::json!({
        "demarche": {"number": 42, "revisions": revisions},
        "dossier": {"number": number, "champs": [{"__typename": "RepetitionChamp",
            "champDescriptorId": "Q2hhbXAtMTA=", "label": "Membres", "rows": rows}]}
    });
    fs_err::write(data.join("dossier.json"), dossier.to_string()).unwrap();
    fs_err::write(data.join("metadata.json"), format!("{{\"id\": {number}}}")).unwrap();
}

#[test]
fn a_sub_champ_added_by_a_revision_is_appended_to_its_blocks_sheet() {
    use serde_json::json;
    let r1 = json!({"id": "r1", "datePublication": "2024-01-01T00:00:00+01:00", "champDescriptors": [
        {"id": "Q2hhbXAtMTA=", "champDescriptors": [{"id": "Q2hhbXAtMTE="}]}]});
    let r2 = json!({"id": "r2", "datePublication": "2024-06-01T00:00:00+02:00", "champDescriptors": [
        {"id": "Q2hhbXAtMTA=", "champDescriptors": [{"id": "Q2hhbXAtMTI="}, {"id": "Q2hhbXAtMTE="}]}]});
    let nom =
        |v: &str| json!({"champDescriptorId": "Q2hhbXAtMTE=", "label": "Nom", "stringValue": v});
    let age = json!({"champDescriptorId": "Q2hhbXAtMTI=", "label": "Âge", "stringValue": "41"});
    let tmp = tempfile::tempdir().unwrap();
    let (before, after) = (tmp.path().join("before"), tmp.path().join("after"));
    let alice = json!([{"champs": [nom("Alice")]}]);
    bundle(&before, 2, &json!([r1]), &alice);
    bundle(&after, 2, &json!([r1]), &alice);
    // Revision 2 puts the new sub-champ first in its form, and its dossier
    // is read first: the new column still comes last.
    let bob = json!([{"champs": [age, nom("Bob")]}]);
    bundle(&after, 1, &json!([r2, r1]), &bob);
    let ids = |dir: &Path| -> Vec<String> {
        let out = dir.join("d.xlsx");
        let report = write_inventory(dir, Format::Xlsx, &out).unwrap();
        assert_eq!(report.sheets.len(), 1, "{:?}", report.sheets);
        report.sheets[0]
            .columns
            .iter()
            .map(|c| c.id.clone())
            .collect()
    };
    let (old, new) = (ids(&before), ids(&after));
    assert_eq!(old, ["self/id", "ds-archive/row", "type_de_champ/11"]);
    assert_eq!(
        new[..old.len()],
        old[..],
        "the old columns stay where they were"
    );
    assert_eq!(new[old.len()..], ["type_de_champ/12"]);
    if let Some(book) = read_with("openpyxl", OPENPYXL, &after.join("d.xlsx")) {
        assert_eq!(
            book[1].1,
            [
                vec!["Dossier ID", "Ligne", "Nom", "Âge"],
                vec!["1", "1", "Bob", "41"],
                vec!["2", "1", "Alice"]
            ]
        );
    }
}
