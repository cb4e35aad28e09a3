use super::*;

#[test]
fn finding_line_has_code_bundle_path() {
    let f = Finding::new(
        Code::Digest,
        "dossier-12",
        "data/a.pdf",
        "sha256 expected 00 got 11",
    );
    assert_eq!(
        f.to_string(),
        "E_DIGEST dossier-12/data/a.pdf: sha256 expected 00 got 11"
    );
    let g = Finding::new(Code::NoManifest, "dossier-1", "", "no payload manifest");
    assert_eq!(
        g.to_string(),
        "E_NO_MANIFEST dossier-1: no payload manifest"
    );
}

#[test]
fn newline_in_name_stays_on_one_line() {
    let f = Finding::new(Code::Missing, "b", "data/a\nb", "missing");
    assert!(!f.to_string().contains('\n'));
}

#[test]
fn warnings_do_not_invalidate() {
    let mut r = Report::new(false);
    r.push(Finding::new(Code::Junk, "b", "data/Thumbs.db", "junk"));
    assert!(r.is_valid());
    r.push(Finding::new(Code::Extra, "b", "data/x", "extra"));
    assert!(!r.is_valid());
    assert_eq!(r.to_json()["summary"]["problems"], 1);
    assert_eq!(r.to_json()["warnings"][0]["code"], "W_JUNK");
}

#[test]
fn json_schema_knows_every_code_and_accepts_reports() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../schemas/verify-report.schema.json")).unwrap();
    let listed = |kind: &str| -> Vec<String> {
        schema["properties"][kind]["items"]["properties"]["code"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    let (warnings, problems): (Vec<Code>, Vec<Code>) =
        Code::ALL.iter().partition(|c| c.is_warning());
    let names = |v: Vec<Code>| {
        v.into_iter()
            .map(|c| c.as_str().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(listed("problems"), names(problems));
    assert_eq!(listed("warnings"), names(warnings));

    let mut r = Report::new(true);
    let summary = BundleSummary {
        name: "dossier-1.zip".into(),
        kind: BundleKind::Zip,
        files: 3,
        bytes: 10,
        problems: 0,
    };
    r.add_bundle(
        summary,
        vec![
            Finding::new(Code::ZipCrc, "dossier-1.zip", "data/a", "crc"),
            Finding::new(Code::CaseTwin, "dossier-1.zip", "data/A", "twin"),
        ],
    );
    r.finish();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let json = r.to_json();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(json["bundles"][0]["valid"], false);
    assert_eq!(json["summary"]["files"], 3);
    // Unlisted: the same totals, no summaries kept.
    let mut u = Report::unlisted(true);
    u.add_bundle(r.bundles[0].clone(), Vec::new());
    assert!(u.bundles().is_empty());
    assert_eq!((u.totals().bundles, u.totals().bytes), (1, 10));
    // A warning code among problems is rejected by the schema.
    let mut bad = json.clone();
    bad["problems"][0]["code"] = "W_JUNK".into();
    assert!(!validator.is_valid(&bad));
}

#[test]
fn json_written_as_it_goes_is_the_json_value_printed() {
    let mut r = Report::new(false);
    for (name, kind) in [
        ("dossier-1", BundleKind::Folder),
        ("dossier-1.zip", BundleKind::Zip),
    ] {
        let summary = BundleSummary {
            name: name.into(),
            kind,
            files: 2,
            bytes: 7,
            problems: 0,
        };
        r.add_bundle(summary, Vec::new());
    }
    r.push(Finding::new(
        Code::Digest,
        "dossier-1.zip",
        "data/a",
        "sha256",
    ));
    r.push(Finding::new(
        Code::Junk,
        "dossier-1",
        "data/.DS_Store",
        "junk",
    ));
    r.finish();
    let whole = serde_json::to_string_pretty(&r.to_json()).unwrap();
    let mut streamed = Vec::new();
    r.write_json(&mut streamed, r.bundles().iter().cloned().map(Ok))
        .unwrap();
    assert_eq!(String::from_utf8(streamed).unwrap(), whole);
    assert!(whole.contains("\"valid\": false"), "{whole}");
    // No bundle listed: `[]` either way.
    let mut empty = Report::unlisted(true);
    empty.finish();
    let mut streamed = Vec::new();
    empty.write_json(&mut streamed, std::iter::empty()).unwrap();
    let whole = serde_json::to_string_pretty(&empty.to_json()).unwrap();
    assert_eq!(String::from_utf8(streamed).unwrap(), whole);
}
