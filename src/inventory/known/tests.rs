//! Tests of the kept rows: in an unnamed file, in a file kept across runs,
//! and passed from one run to another.

use std::io::Write as _;

use super::*;

// A folder that cannot hold the spill: nothing is kept, nothing fails.
#[test]
fn without_a_spill_file_rows_are_simply_not_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut known = KnownRows::in_dir(&dir.path().join("absent"));
    known.add(1, 1, &KnownRow::new(Row::new(), Vec::new()));
    assert!(known.is_empty());
    assert!(known.get(1, 1).is_none());
}

fn row(n: u64, champ: &str) -> KnownRow {
    let mut row = Row::new();
    row.insert("id".into(), n.to_string());
    row.insert("type_de_champ/1".into(), champ.into());
    KnownRow::new(
        row,
        vec![DynColumn {
            id: "type_de_champ/1".into(),
            header: "Nom".into(),
            stable_id: "1".into(),
            annotation: false,
            sub: false,
            rank: (0, 0),
        }],
    )
}

#[test]
fn rows_come_back_as_kept_per_version_and_the_last_one_wins() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut known = KnownRows::in_dir(dir.path());
    assert!(known.get(1, 1).is_none());
    known.add(1, 1, &row(1, "a"));
    known.add(2, 1, &row(2, "b, \"quoted\"\nline"));
    known.add(1, 1, &row(1, "c"));
    known.add(1, 2, &row(1, "v2"));
    assert_eq!(known.len(), 3);
    assert_eq!(known.get(2, 1), Some(row(2, "b, \"quoted\"\nline")));
    assert_eq!(known.get(1, 1), Some(row(1, "c")));
    assert_eq!(known.get(1, 2), Some(row(1, "v2")));
    assert_eq!(known.get(2, 2), None);
    // Reading does not disturb later additions.
    known.add(3, 1, &row(3, "d"));
    assert_eq!(known.get(3, 1), Some(row(3, "d")));
    assert_eq!(known.get(2, 1), Some(row(2, "b, \"quoted\"\nline")));
    let (r, cols) = row(1, "x").into_parts();
    assert_eq!(
        std::fs::read_dir(dir.path()).expect("list").count(),
        0,
        "the spill file has no name"
    );
    assert_eq!(r["type_de_champ/1"], "x");
    assert_eq!(cols[0].header, "Nom");
}

#[test]
fn rows_kept_in_a_file_outlive_the_run_and_a_torn_last_line_is_cut() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rows.jsonl");
    let mut known = KnownRows::open(&path).expect("open");
    known.add(1, 1, &row(1, "a"));
    known.add(2, 1, &row(2, "b"));
    known.add(1, 1, &row(1, "c"));
    known.sync().expect("sync");
    drop(known);
    // A run killed in the middle of a line.
    let whole = std::fs::read(&path).expect("read");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .expect("append");
    file.write_all(b"{\"number\":3,\"version\":1,\"known\":{\"ro")
        .expect("write");
    drop(file);

    let mut known = KnownRows::open(&path).expect("reopen");
    assert_eq!(known.len(), 2);
    assert_eq!(known.get(1, 1), Some(row(1, "c")));
    assert_eq!(known.get(2, 1), Some(row(2, "b")));
    assert_eq!(known.get(3, 1), None);
    assert_eq!(
        std::fs::read(&path).expect("read"),
        whole,
        "the torn line is cut"
    );
    // The next row starts a line of its own.
    known.add(3, 1, &row(3, "d"));
    drop(known);
    let mut known = KnownRows::open(&path).expect("reopen");
    assert_eq!(known.get(3, 1), Some(row(3, "d")));
    assert_eq!(known.get(1, 1), Some(row(1, "c")));
}

#[test]
fn the_rows_added_since_opening_go_to_another_run_which_imports_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut a = KnownRows::open(&dir.path().join("a.jsonl")).expect("open");
    a.add(1, 1, &row(1, "old"));
    drop(a);
    let mut a = KnownRows::open(&dir.path().join("a.jsonl")).expect("open");
    a.add(2, 1, &row(2, "new"));
    a.add(1, 2, &row(1, "v2"));
    let mut fresh = Vec::new();
    assert_eq!(a.write_fresh(&mut fresh).expect("fresh"), 2);
    // Reading does not disturb later additions.
    a.add(4, 1, &row(4, "later"));
    assert_eq!(a.get(4, 1), Some(row(4, "later")));

    let mut b = KnownRows::open(&dir.path().join("b.jsonl")).expect("open");
    b.add(2, 1, &row(2, "b's own"));
    fresh.extend_from_slice(b"not a row\n{\"number\":9,");
    assert_eq!(b.import(fresh.as_slice()).expect("import"), 2);
    assert_eq!(b.get(1, 2), Some(row(1, "v2")));
    assert_eq!(b.get(2, 1), Some(row(2, "new")), "the later line wins");
    assert_eq!((b.get(1, 1), b.get(9, 1)), (None, None));
    // Imported rows are not b's to upload again.
    let mut again = Vec::new();
    assert_eq!(b.write_fresh(&mut again).expect("fresh"), 1);
    assert!(String::from_utf8_lossy(&again).contains("b's own"));
}
