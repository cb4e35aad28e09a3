//! The archiving profile file (`archival_profile_file`, As@lae's RelaxNG
//! "profil d'archives"): its required elements are read in Rust and checked
//! per dossier before a SIP is written, a requirement ds-archive can never
//! meet stops the command at start, and each finished manifest is validated
//! against the file with xmllint. On the sample démarche archived from the
//! fake DS API, with the test profiles in tests/fixtures/profiles/.

use std::path::{Path, PathBuf};
use std::process::Command;

use ds_archive::seda::{self, profile, SedaArgs, SedaConfig};

use crate::common::{have_tool, seda_args, text, Fake};
use crate::seda::fixture::{write_bundle, write_config, BundleSpec};

const PROFILES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/profiles");
/// The optional `Sender` of the test profile, on one line to be swapped.
const OPTIONAL_SENDER: &str = r#"<rng:optional><rng:element name="Sender"><rng:ref name="any-content"/></rng:element></rng:optional>"#;

fn profile_text(name: &str) -> String {
    fs_err::read_to_string(Path::new(PROFILES).join(name)).unwrap()
}

/// `seda` with the As@lae profile.
fn args(from: &Path, out: &Path, config: &Path) -> SedaArgs {
    SedaArgs {
        profile: Some(seda::Profile::Asalae),
        ..seda_args(from, out, config)
    }
}

/// A configuration naming `rng` (written beside it, named relatively).
fn config_with_profile(dir: &Path, rng: &str, extra: &str) -> PathBuf {
    fs_err::write(dir.join("profil.rng"), rng).unwrap();
    write_config(
        dir,
        &format!(
            "archival_profile = \"PR-DS-TEST\"\narchival_profile_file = \"profil.rng\"\n{extra}"
        ),
    )
}

fn manifest_bytes(sip: &Path) -> Vec<u8> {
    use std::io::Read as _;
    let mut zip = zip::ZipArchive::new(fs_err::File::open(sip).unwrap()).unwrap();
    let mut xml = Vec::new();
    zip.by_name("manifest.xml")
        .unwrap()
        .read_to_end(&mut xml)
        .unwrap();
    xml
}

#[test]
fn sips_follow_the_profile_file_or_their_dossiers_are_skipped_saying_why() {
    let fake = Fake::start_light();
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    let run = fake.archive(&archive, &["--no-zip"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run));
    let dossiers = fake.server.dataset().dossier_numbers().len();

    // The profile the sample satisfies: its requirements join the config's.
    let good = profile_text("asalae-dossier.rng");
    let config = config_with_profile(dir.path(), &good, "");
    let loaded = SedaConfig::load(&config).unwrap();
    for element in ["ArchivalProfile", "Keyword", "Addressee"] {
        assert!(
            loaded
                .required_elements
                .iter()
                .any(|e| e.seda_name() == element),
            "{element}: {:?}",
            loaded.required_elements
        );
    }
    let sips = dir.path().join("sips");
    let out = seda::run(&args(&archive, &sips, &config)).unwrap();
    assert!(out.skipped.is_empty(), "{:?}", out.skipped);
    assert_eq!(out.sips.len(), dossiers);
    let xmllint = have_tool("xmllint");
    for sip in &out.sips {
        let xml = manifest_bytes(&sip.path);
        // Every element we write is one a profile file may require.
        let root = crate::seda_units::Node::parse(std::str::from_utf8(&xml).unwrap());
        let mut all = Vec::new();
        root.walk(&mut all);
        for n in all {
            assert!(
                profile::is_written(&n.name),
                "{} not known as written",
                n.name
            );
        }
        if xmllint {
            // The same check as seda's, run here on its own.
            let manifest = dir.path().join("manifest.xml");
            fs_err::write(&manifest, &xml).unwrap();
            let check = Command::new("xmllint")
                .args(["--noout", "--relaxng"])
                .arg(dir.path().join("profil.rng"))
                .arg(&manifest)
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{}",
                String::from_utf8_lossy(&check.stderr)
            );
        }
    }

    // Sender made mandatory, persons left unnamed: those dossiers are
    // skipped before anything is written, companies still get their SIP.
    let sender = good.replace(
        OPTIONAL_SENDER,
        r#"<rng:element name="Sender"><rng:ref name="any-content"/></rng:element>"#,
    );
    assert_ne!(sender, good);
    let config = config_with_profile(dir.path(), &sender, "personal_names = false\n");
    let sips = dir.path().join("sips-sender");
    let out = seda::run(&args(&archive, &sips, &config)).unwrap();
    assert!(!out.skipped.is_empty() && !out.sips.is_empty(), "{out:?}");
    assert_eq!(out.sips.len() + out.skipped.len(), dossiers);
    for s in &out.skipped {
        assert!(
            s.reason.contains(&format!("dossier {}", s.dossier))
                && s.reason.contains("`Sender`")
                && s.reason.contains("personal_names"),
            "{s:?}"
        );
    }
    assert_eq!(fs_err::read_dir(&sips).unwrap().count(), out.sips.len());
    assert_eq!(
        seda::command(&args(&archive, &dir.path().join("s2"), &config)),
        1
    );

    // A value the profile pins and the SIP does not have: only xmllint
    // sees it, and its message says where.
    if xmllint {
        let other = good.replace(
            "<rng:value>IC-000001</rng:value>",
            "<rng:value>IC-000099</rng:value>",
        );
        let config = config_with_profile(dir.path(), &other, "");
        let sips = dir.path().join("sips-other");
        let out = seda::run(&args(&archive, &sips, &config)).unwrap();
        assert!(out.sips.is_empty(), "{:?}", out.sips);
        assert_eq!(out.skipped.len(), dossiers);
        let reason = &out.skipped[0].reason;
        assert!(
            reason.contains("does not follow the archiving profile")
                && reason.contains("profil.rng")
                && reason.contains("ArchivalAgreement"),
            "{reason}"
        );
        assert_eq!(
            fs_err::read_dir(&sips).unwrap().count(),
            0,
            "nothing written"
        );
    }
}

#[test]
fn a_profile_requiring_what_ds_archive_never_writes_stops_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let archive = dir.path().join("archive");
    fs_err::create_dir_all(&archive).unwrap();
    write_bundle(&archive, &BundleSpec::sample(5));
    let config = write_config(
        dir.path(),
        &format!(
            "archival_profile = \"PR-DS-TEST-2\"\narchival_profile_file = \"{PROFILES}/asalae-dossier-system-id.rng\"\n"
        ),
    );
    let sips = dir.path().join("sips");
    let err = seda::run(&args(&archive, &sips, &config)).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, seda::SedaError::Config(_)), "{err:?}");
    assert!(
        message.contains("asalae-dossier-system-id.rng")
            && message.contains("`OriginatingSystemId` (at ArchiveTransfer/DataObjectPackage/DescriptiveMetadata/ArchiveUnit/Content/OriginatingSystemId)"),
        "{message}"
    );
    assert!(!sips.exists());
    assert_eq!(seda::command(&args(&archive, &sips, &config)), 2);

    // The profile requires ArchivalProfile: a configuration without it
    // stops too, naming the key; an unreadable file names the file.
    let config = write_config(
        dir.path(),
        &format!("archival_profile_file = \"{PROFILES}/asalae-dossier.rng\"\n"),
    );
    let err = seda::run(&args(&archive, &sips, &config))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("`ArchivalProfile`") && err.contains("archival_profile"),
        "{err}"
    );
    let config = write_config(dir.path(), "archival_profile_file = \"missing.rng\"\n");
    let err = seda::run(&args(&archive, &sips, &config))
        .unwrap_err()
        .to_string();
    assert!(err.contains("missing.rng"), "{err}");
    assert!(!sips.exists());
}
