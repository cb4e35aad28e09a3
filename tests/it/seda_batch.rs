//! `seda --batch` with several SIPs: each SIP is written a dossier at a time
//! (manifest pieces and the files to copy in temporary files), so these
//! check that what comes out is whole: every dossier once, in the SIP the
//! batching put it in, with exactly its own files, and a manifest that
//! validates.

use std::collections::BTreeMap;
use std::path::Path;

use ds_archive::seda::{self, verify_sip};

use crate::common::{have_tool, seda_args, zip_entries};
use crate::seda::fixture::{write_bundle, write_config, zip_bundle, BundleSpec};

/// The payload files of a bag folder: bag path → bytes.
fn payload(bag: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(bag.join("data"))
        .into_iter()
        .map(|e| e.expect("walk"))
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(bag).expect("rel");
            (
                rel.to_string_lossy().into_owned(),
                fs_err::read(e.path()).expect("read"),
            )
        })
        .collect()
}

/// The text of every `<element>` of `xml`, in order.
fn values(xml: &str, element: &str) -> Vec<String> {
    let open = format!("<{element}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|s| {
            s.split_once(&format!("</{element}>"))
                .map(|(v, _)| v.to_owned())
        })
        .collect()
}

#[test]
fn batched_sips_hold_every_dossier_once_with_exactly_its_files() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (archive, out) = (tmp.path().join("a"), tmp.path().join("o"));
    fs_err::create_dir_all(&archive).expect("mkdir");
    let mut expected: BTreeMap<u64, BTreeMap<String, Vec<u8>>> = BTreeMap::new();
    for n in 1..=9 {
        let bag = write_bundle(&archive, &BundleSpec::sample(n));
        expected.insert(n, payload(&bag));
        if n == 5 {
            // Changed after bagging: skipped alone, its SIP goes on.
            fs_err::write(bag.join("data/dossier/attestation.pdf"), b"changed").expect("tamper");
        }
        if n == 4 || n == 7 {
            zip_bundle(&archive, n, true);
        }
    }
    let config = write_config(tmp.path(), "");
    // A sample dossier weighs 17 (1 + 4 groups + 6 items + 6 objects).
    let mut args = seda_args(&archive, &out, &config);
    args.max_objects = Some(40);
    let outcome = seda::run(&args).expect("run");

    let skipped: Vec<u64> = outcome.skipped.iter().map(|s| s.dossier).collect();
    assert_eq!(skipped, [5], "{:?}", outcome.skipped);
    let groups: Vec<&[u64]> = outcome.sips.iter().map(|s| s.dossiers.as_slice()).collect();
    assert_eq!(groups, [&[1, 2][..], &[3, 4], &[6, 7], &[8, 9]]);

    for sip in &outcome.sips {
        // Every declared object is in the zip with its digest and size, no
        // file is undeclared, and the manifest passes the SEDA 2.2 XSD.
        let report = verify_sip(&sip.path);
        assert!(report.is_valid(), "{:?}: {:#?}", sip.path, report.problems);
        if have_tool("xmllint") {
            assert_eq!(report.xsd_valid, Some(true), "{:?}", sip.path);
        }
        let zipped = zip_entries(&sip.path);
        assert_eq!(zipped[0].0, "manifest.xml");
        let manifest = String::from_utf8(zipped[0].1.clone()).expect("utf-8");
        let numbers: Vec<String> = sip.dossiers.iter().map(u64::to_string).collect();
        assert_eq!(
            values(&manifest, "OriginatingAgencyArchiveUnitIdentifier"),
            numbers
        );
        let uris = values(&manifest, "Uri");
        let names: Vec<&str> = zipped[1..].iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(uris, names, "objects in manifest order, one entry each");
        assert_eq!(sip.objects, names.len());
        // Each dossier's entries are its bag's payload files, byte for byte.
        for n in &sip.dossiers {
            let prefix = format!("Content/BDO-{n}-");
            let mut got: Vec<&[u8]> = zipped
                .iter()
                .filter(|(name, _)| name.starts_with(&prefix))
                .map(|(_, b)| b.as_slice())
                .collect();
            let mut want: Vec<&[u8]> = expected[n].values().map(Vec::as_slice).collect();
            got.sort_unstable();
            want.sort_unstable();
            assert_eq!(got, want, "dossier {n} in {:?}", sip.path);
        }
        let total: usize = sip.dossiers.iter().map(|n| expected[n].len()).sum();
        assert_eq!(names.len(), total, "no file of another dossier");
    }
    // Only the SIPs are left: the temporary pieces are gone.
    let mut left: Vec<String> = fs_err::read_dir(&out)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            "DS-42-dossiers-1-2.zip",
            "DS-42-dossiers-3-4.zip",
            "DS-42-dossiers-6-7.zip",
            "DS-42-dossiers-8-9.zip"
        ]
    );
}
