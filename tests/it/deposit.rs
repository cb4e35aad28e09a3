//! From DS to a deposit, through the real binary: `archive` the sample
//! démarche, build SEDA SIPs from its bundles for both profiles, and check
//! them with `verify` (digests, sizes, layout, SEDA XSD when xmllint is there).

use std::io::Read as _;

use crate::common::{ds_archive, have_tool, text, Fake};

const CONFIG: &str = r#"
archival_agency_identifier = "FRAN_NP_000002"
transferring_agency_identifier = "FRAN_NP_000001"
archival_agreement = "IC-000001"
originating_agency_identifier = "FRAN_NP_000001"
"#;

fn manifest_of(zip_path: &std::path::Path) -> String {
    let mut zip = zip::ZipArchive::new(std::fs::File::open(zip_path).unwrap()).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.xml")
        .unwrap()
        .read_to_string(&mut manifest)
        .unwrap();
    manifest
}

#[test]
fn archived_bundles_become_valid_sips_for_vitam_and_asalae() {
    have_tool("xmllint");
    let fake = Fake::start();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("archive");
    let run = fake.archive(&out, &["--state", "accepte", "--state", "refuse"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let dossiers = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "zip"))
        .count();
    assert!(dossiers > 0);
    let config = dir.path().join("seda.toml");
    std::fs::write(&config, CONFIG).unwrap();

    for (profile, algorithm) in [("vitam", "SHA-512"), ("asalae", "SHA-256")] {
        let sips = dir.path().join(format!("sips-{profile}"));
        let seda = ds_archive()
            .args(["seda", "--from"])
            .arg(&out)
            .arg("--out")
            .arg(&sips)
            .arg("--config")
            .arg(&config)
            .args(["--profile", profile])
            .output()
            .unwrap();
        assert_eq!(seda.status.code(), Some(0), "{}", text(&seda));
        let zips: Vec<_> = std::fs::read_dir(&sips)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        assert_eq!(zips.len(), dossiers, "one SIP per dossier");
        for zip_path in &zips {
            let manifest = manifest_of(zip_path);
            assert!(
                manifest.contains(&format!("algorithm=\"{algorithm}\"")),
                "{profile}"
            );
            assert!(manifest.contains("fr:gouv:culture:archivesdefrance:seda:v2.2"));
            // Every decided dossier names its demandeur and ends with its
            // decision.
            let root = crate::seda_units::manifest(zip_path);
            let number: u64 = root.find_all("OriginatingAgencyArchiveUnitIdentifier")[0]
                .text
                .parse()
                .unwrap();
            let unit = crate::seda_units::dossier_unit(&root, number);
            let content = unit.child("Content").unwrap();
            assert!(content.child("Sender").is_some(), "{number}: no demandeur");
            let events = content.all("Event");
            assert_eq!(events[0].at(&["EventTypeCode"]), Some("depose"), "{number}");
            let last = events.last().unwrap();
            assert!(
                matches!(last.at(&["Outcome"]), Some("Accepté" | "Refusé")),
                "{number}: {last:?}"
            );
        }
        // Formats identified at archive time reach the SIPs (order and
        // types are the XSD's business, checked by `verify` below).
        let manifests: String = zips.iter().map(|z| manifest_of(z)).collect();
        for declared in [
            "<FormatLitteral>Portable Document Format 1.4</FormatLitteral>",
            "<MimeType>application/pdf</MimeType>",
            "<FormatId>fmt/18</FormatId>",
            "<FormatId>fmt/11</FormatId>",
        ] {
            assert!(manifests.contains(declared), "{profile}: no {declared}");
        }
        let verify = ds_archive().arg("verify").args(&zips).output().unwrap();
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{profile}: {}",
            text(&verify)
        );
        assert!(
            !String::from_utf8_lossy(&verify.stderr).contains("W_SIP_XSD_SKIPPED")
                || !have_tool("xmllint"),
            "the SEDA XSD check must run where xmllint is installed"
        );
    }
}
