use serde_json::{json, Value};

use super::*;

/// A dossier of a démarche with two revisions: revision 2 added the
/// sub-champ "Âge" to the block "Membres".
fn dossier(number: u64, rows: Value, avis: Value) -> Value {
    json!({
        "demarche": {"revisions": [
            {"id": "r2", "datePublication": "2024-06-01T00:00:00+02:00", "champDescriptors": [
                {"id": "Q2hhbXAtMTA=", "champDescriptors": [{"id": "Q2hhbXAtMTE="}, {"id": "Q2hhbXAtMTI="}]}]},
            {"id": "r1", "datePublication": "2024-01-01T00:00:00+01:00", "champDescriptors": [
                {"id": "Q2hhbXAtMTA=", "champDescriptors": [{"id": "Q2hhbXAtMTE="}]}]}
        ]},
        "dossier": {"number": number, "champs": [
            {"__typename": "TextChamp", "champDescriptorId": "Q2hhbXAtMQ==", "label": "Nom", "stringValue": "x"},
            {"__typename": "RepetitionChamp", "champDescriptorId": "Q2hhbXAtMTA=", "label": "Membres", "rows": rows}
        ], "avis": avis}
    })
}

fn sub(id: &str, label: &str, value: &str) -> Value {
    json!({"__typename": "TextChamp", "champDescriptorId": id, "label": label, "stringValue": value})
}

#[test]
fn one_row_per_repetition_row_and_per_avis() {
    let rows = json!([
        {"champs": [sub("Q2hhbXAtMTE=", "Nom", "Alice"), sub("Q2hhbXAtMTI=", "Âge", "41")]},
        {"champs": [sub("Q2hhbXAtMTE=", "Nom", "Bob"),
                    {"__typename": "HeaderSectionChamp", "champDescriptorId": "h", "label": "Titre"}]}
    ]);
    let avis = json!([{"question": "Avis ?", "reponse": "Favorable", "questionAnswer": true,
        "dateQuestion": "2024-02-01T10:00:00+01:00", "claimant": {"email": "i@x"},
        "expert": {"email": "e@x"}, "attachments": [{"filename": "avis.pdf"}, {"filename": "annexe.pdf"}]}]);
    let d = dossier_sheets(7, &dossier(7, rows, avis));
    assert_eq!(d.blocks.len(), 1);
    assert_eq!(d.blocks[0].id, "type_de_champ/10");
    assert_eq!(d.blocks[0].stable_id, "10");
    let keys: Vec<&str> = d.rows.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(keys, ["type_de_champ/10", "type_de_champ/10", "avis"]);
    let first = &d.rows[0].1;
    assert_eq!(first["self/id"], "7");
    assert_eq!(first["ds-archive/row"], "1");
    assert_eq!(first["type_de_champ/11"], "Alice");
    assert_eq!(first["type_de_champ/12"], "41");
    assert_eq!(d.rows[1].1["ds-archive/row"], "2");
    assert!(!d.rows[1].1.contains_key("type_de_champ/12"));
    let a = &d.rows[2].1;
    assert_eq!(a["avis/question"], "Avis ?");
    assert_eq!(a["avis/questionAnswer"], "true");
    assert_eq!(a["avis/claimant"], "i@x");
    assert_eq!(a["avis/expert"], "e@x");
    assert_eq!(a["ds-archive/avis_attachments"], "avis.pdf | annexe.pdf");
    assert!(!a.contains_key("avis/dateReponse"));
}

#[test]
fn a_sub_champ_added_by_a_revision_is_appended_and_sheets_come_in_order() {
    let tmp = tempfile::tempdir().expect("tmp");
    let mut c = Collector::new(tmp.path());
    // The newer sub-champ is met first; revision order still puts it last.
    let newer = json!([{"champs": [sub("Q2hhbXAtMTI=", "Âge", "41"), sub("Q2hhbXAtMTE=", "Nom", "Alice")]}]);
    c.add(dossier_sheets(1, &dossier(1, newer, json!([]))))
        .expect("add");
    let older = json!([{"champs": [sub("Q2hhbXAtMTE=", "Nom", "Bob")]}]);
    c.add(dossier_sheets(
        2,
        &dossier(2, older, json!([{"question": "?"}])),
    ))
    .expect("add");
    // A block without rows makes no sheet.
    c.add(dossier_sheets(3, &dossier(3, json!([]), json!([]))))
        .expect("add");
    let sheets = c.finish().expect("finish");
    let names: Vec<&str> = sheets.iter().map(|s| s.info.name.as_str()).collect();
    assert_eq!(names, ["Avis", "(10) Membres"]);
    let block = &sheets[1];
    assert_eq!(block.header(), ["Dossier ID", "Ligne", "Nom", "Âge"]);
    assert_eq!(block.info.rows, 2);
    assert_eq!(block.info.columns[3].id, "type_de_champ/12");
    assert_eq!(block.info.columns[3].index, 4);
    let rows: Vec<Vec<String>> = block
        .rows()
        .expect("rows")
        .collect::<Result<_, _>>()
        .expect("read back");
    assert_eq!(rows, [["1", "1", "Alice", "41"], ["2", "1", "Bob", ""]]);
    assert_eq!(sheets[0].info.columns[0].group, "dossier");
    assert_eq!(sheets[0].info.columns[1].group, "avis");
}
