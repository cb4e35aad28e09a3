//! `ds-archive template` and `ds-archive export` on the sample démarche,
//! archived once from the fake DS API: the views' trees, DS's naming,
//! template errors, and `verify` of a view.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use crate::common::{ds_archive, text, Fake};

/// The sample démarche archived once for every test of this file (read
/// only: each test writes its views elsewhere).
fn archive() -> &'static Path {
    static ARCHIVE: OnceLock<PathBuf> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("export-sample-archive");
        let _ = fs_err::remove_dir_all(&dir);
        let fake = Fake::start_light();
        let out = fake.archive(&dir, &["--quiet"]);
        assert!(out.status.success(), "{}", text(&out));
        dir
    })
}

fn run(args: &[&str]) -> std::process::Output {
    ds_archive().args(args).output().expect("ds-archive runs")
}

/// `export <sample archive> --template T --out VIEW`.
fn export_to(template: &Path, view: &Path) -> std::process::Output {
    run(&[
        "export",
        archive().to_str().unwrap(),
        "--template",
        template.to_str().unwrap(),
        "--out",
        view.to_str().unwrap(),
    ])
}

fn export(template: &str, extra: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("t.toml");
    fs_err::write(&t, template).unwrap();
    let view = tmp.path().join("view");
    let mut args = vec![
        "export",
        archive().to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
        "--out",
        view.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = run(&args);
    assert!(out.status.success(), "{}", text(&out));
    (tmp, view)
}

/// Files under `dir/folder`, relative to it.
fn files_of(dir: &Path, folder: &str) -> BTreeSet<String> {
    let root = dir.join(folder);
    walkdir::WalkDir::new(&root)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_ds_style_default_template_reproduces_ds_naming() {
    let (_tmp, view) = export("version = 1\n", &[]);
    assert_eq!(
        files_of(&view, "dossier-1030002"),
        set(&[
            "export-1030002.pdf",
            "budget-previsionnel-1030002-01.pdf",
            "cv-1030002-01-01.pdf",
            "cv-1030002-02-01.pdf",
            "autres-pieces-1030002-01.png",
            "autres-pieces-1030002-02.txt",
            "rapport-d-instruction-1030002-01.odt",
            "compte-rendu-1030002-01-01.txt",
            "messagerie/lettre-de-motivation.pdf",
            "pieces_justificatives/attestation_fiscale-80145678900017.pdf",
            "pieces_justificatives/attestation_sociale-80145678900017.pdf",
        ])
    );
    let accepted = files_of(&view, "dossier-1030003");
    assert!(accepted.contains("attestation-1030003.pdf"), "{accepted:?}");
    assert!(
        accepted.contains("dossier/justificatif-decision.pdf"),
        "{accepted:?}"
    );
    assert!(accepted.contains("avis/avis-expert.pdf"), "{accepted:?}");
    // The copies are the bags' bytes.
    assert_eq!(
        fs_err::read(view.join("dossier-1030002/export-1030002.pdf")).unwrap(),
        fs_err::read(archive().join("dossier-1030002/data/dossier/dossier-1030002.pdf")).unwrap()
    );
}

const EVERY_TAG: &str = r#"version = 1
name = "Every tag"
demarche = 12345
[dossier_folder]
pattern = "{dossier_depose_at}_{dossier_number}_{dossier_state}"
[pdf]
pattern = "{dossier_service_name}-{dossier_groupe_instructeur}-{dossier_number}"
[attestation]
pattern = "{dossier_processed_at}-{dossier_contact_information_name}-{dossier_procedure_libelle}"
[pj_default]
pattern = "{champ_label}-{entreprise_numero_tva_intracommunautaire}-{dossier_last_champ_updated_at}"
[[pj]]
champ = 14
pattern = "{entreprise_siren}{individual_gender}-{entreprise_raison_sociale}{individual_last_name}-{individual_first_name}"
[[pj]]
champ = 31
pattern = "{original-filename}"
[[pj]]
champ = 30
pattern = "{champ:2}-{entreprise_siret_siege_social}"
[[pj]]
champ = 106
pattern = "{entreprise_adresse}"
[other]
messagerie = false
avis = false
company_certificates = false
"#;

#[test]
fn a_template_with_every_tag_renders_the_expected_tree() {
    let (_tmp, view) = export(EVERY_TAG, &[]);
    // A company (personne morale), in instruction.
    assert_eq!(
        files_of(&view, "2024-01-15_1030002_en_instruction"),
        set(&[
            "Direction de la vie associative-Bretagne-1030002.pdf",
            "801456789-ASSOCIATION LES AMIS DU QUARTIER 1--01.pdf",
            "Atelier vélo solidaire-80145678900017-01-01.pdf",
            "Atelier vélo solidaire-80145678900017-02-01.pdf",
            "photo-1-01.png",
            "notes-02.txt",
            "rapport-d-instruction-FR01801456789-2024-01-15-01.odt",
            "4 avenue Jean Jaurès 29200 Brest-01-01.txt",
        ])
    );
    // A person, accepted, with hostile file names: `/` and `\` never make
    // folders, `..` never climbs, an empty company address falls back to
    // DS's default name.
    assert_eq!(
        files_of(&view, "2024-01-22_1030003_accepte"),
        set(&[
            "Direction de la vie associative-défaut-1030003.pdf",
            "2024-02-15-Direction de la vie associative-Subvention aux projets associatifs de quartier.pdf",
            "Mme-Garnier-Élodie-01.pdf",
            "Festival de quartier Maurepas--01-01.pdf",
            "Festival de quartier Maurepas--02-01.pdf",
            "photo-2-01.png",
            "notes-02.txt",
            ".._.._etc_passwd-03",
            "a_b_c-04.pdf",
            "rapport-d-instruction--2024-01-22-01.odt",
            "compte-rendu-1030003-01-01.txt",
            "dossier/justificatif-decision.pdf",
        ])
    );
    // Windows device names, percent signs and emoji stay safe.
    let hostile = files_of(&view, "2024-02-12_1030006_accepte");
    for name in [
        "_CON-03.txt",
        "100_ conforme-08.pdf",
        "📎 pièce jointe 🎉-09.png",
    ] {
        assert!(hostile.contains(name), "{name} not in {hostile:?}");
    }
}

#[test]
fn errors_on_bad_templates_name_the_key_and_the_line() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [
        (
            "version = 1\n[pdf]\nenabled = true\nnom = \"x\"\n",
            &["line 4", "nom"][..],
        ),
        (
            "version = 1\n\n[[pj]]\nchamp = 999\n",
            &["line 4", "`pj[0].champ`", "999"][..],
        ),
        (
            "version = 1\n[attestation]\npattern = \"{dossier_numero}\"\n",
            &["line 3", "`attestation.pattern`", "{dossier_numero}"][..],
        ),
        (
            "version = 1\n[dossier_folder]\npattern = \"{champ:2}\"\n",
            &["line 3", "dossier_folder.pattern", "{dossier_number}"][..],
        ),
    ];
    for (template, wanted) in cases {
        let t = tmp.path().join("bad.toml");
        fs_err::write(&t, template).unwrap();
        let out = run(&[
            "template",
            "check",
            t.to_str().unwrap(),
            "--from",
            archive().to_str().unwrap(),
        ]);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        let stderr = String::from_utf8_lossy(&out.stderr);
        for w in wanted {
            assert!(stderr.contains(w), "{w:?} not in {stderr}");
        }
        let view = tmp.path().join("never");
        let out = export_to(&t, &view);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(!view.exists(), "nothing is written for a bad template");
    }
}

#[test]
fn init_prints_a_template_that_check_accepts_and_lists_the_demarche() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(&["template", "init", "--from", archive().to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let init = String::from_utf8(out.stdout).unwrap();
    for pj in [
        "champ = 14",
        "champ = 30",
        "champ = 31",
        "champ = 103",
        "champ = 106",
    ] {
        assert!(init.contains(pj), "{pj} missing from\n{init}");
    }
    let t = tmp.path().join("init.toml");
    fs_err::write(&t, &init).unwrap();
    let out = run(&[
        "template",
        "check",
        t.to_str().unwrap(),
        "--from",
        archive().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let listing = String::from_utf8(out.stdout).unwrap();
    for item in [
        "{dossier_number}",
        "{entreprise_siren}",
        "type_de_champ/22",
        "self/state",
    ] {
        assert!(listing.contains(item), "{item} missing from\n{listing}");
    }
}

#[test]
fn verify_of_a_view_catches_a_changed_file_and_a_forged_mapping() {
    let (_tmp, view) = export("version = 1\n", &[]);
    let arch = archive().to_str().unwrap();
    let v = view.to_str().unwrap();
    let out = run(&["verify", v, "--against", arch]);
    assert!(out.status.success(), "{}", text(&out));

    let changed = view.join("dossier-1030001/export-1030001.pdf");
    fs_err::write(&changed, b"not the PDF").unwrap();
    let out = run(&["verify", v]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("dossier-1030001/export-1030001.pdf: content differs"),
        "{}",
        text(&out)
    );

    let out = run(&["verify", v, "--json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["valid"], false);
    assert_eq!(doc["problems"].as_array().unwrap().len(), 1, "{doc}");

    // --against is for views: on bags it is a usage error, not ignored.
    let out = run(&["verify", arch, "--against", arch]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    // Make paths.csv agree with the changed file: only the bags can tell.
    let forged_sum =
        ds_archive::digest::hex_digest(ds_archive::digest::DigestAlg::Sha256, b"not the PDF");
    let csv = fs_err::read_to_string(view.join("paths.csv")).unwrap();
    let forged: String = csv
        .lines()
        .map(|l| {
            if l.starts_with("dossier-1030001/export-1030001.pdf,") {
                let cut = l.rfind(',').unwrap();
                format!("{},{forged_sum}\n", &l[..cut])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    fs_err::write(view.join("paths.csv"), forged).unwrap();
    let out = run(&["verify", v]);
    assert!(out.status.success(), "{}", text(&out));
    let out = run(&["verify", v, "--against", arch]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("differs from `dossier-1030001/data/dossier/dossier-1030001.pdf`"),
        "{}",
        text(&out)
    );

    fs_err::write(view.join("dossier-1030001/extra.txt"), b"x").unwrap();
    let mut csv = fs_err::read_to_string(view.join("paths.csv")).unwrap();
    csv.push_str("../../etc/passwd,,dossier-1030001,data/x,00\n");
    fs_err::write(view.join("paths.csv"), csv).unwrap();
    let out = run(&["verify", v]);
    assert!(
        text(&out).contains("../../etc/passwd: not a path inside the view"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("dossier-1030001/extra.txt: not listed"),
        "{}",
        text(&out)
    );
}

#[test]
fn zip_views_hold_one_zip_per_dossier_and_rerun_replaces_the_view() {
    let (_tmp, view) = export(
        "version = 1\n[dossier_folder]\npattern = \"{dossier_number}-{dossier_state}\"\n",
        &["--zip"],
    );
    let zip_path = view.join("1030002-en_instruction.zip");
    let zip = zip::ZipArchive::new(fs_err::File::open(&zip_path).unwrap()).unwrap();
    let names: BTreeSet<&str> = zip.file_names().collect();
    assert!(
        names.contains("1030002-en_instruction/export-1030002.pdf"),
        "{names:?}"
    );
    assert!(
        names.contains("1030002-en_instruction/cv-1030002-02-01.pdf"),
        "{names:?}"
    );
    let out = run(&[
        "verify",
        view.to_str().unwrap(),
        "--against",
        archive().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));

    // The same --out with another template: the earlier view is replaced whole.
    let t = view.parent().unwrap().join("t2.toml");
    fs_err::write(&t, "version = 1\n[pdf]\nenabled = false\n").unwrap();
    let out = run(&[
        "export",
        archive().to_str().unwrap(),
        "--template",
        t.to_str().unwrap(),
        "--out",
        view.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!zip_path.exists());
    assert!(!view.join("dossier-1030002/export-1030002.pdf").exists());
    assert!(view.join("dossier-1030002/cv-1030002-02-01.pdf").is_file());
    let leftovers: Vec<_> = fs_err::read_dir(view.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".export-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // A folder that is not a view is never replaced.
    let other = view.parent().unwrap().join("mine");
    fs_err::create_dir(&other).unwrap();
    fs_err::write(other.join("keep.txt"), b"mine").unwrap();
    let out = export_to(&t, &other);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(fs_err::read(other.join("keep.txt")).unwrap(), b"mine");
}

#[test]
fn a_templates_columns_make_a_table_in_their_order_with_their_headers() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path().join("t.toml");
    fs_err::write(
        &t,
        "version = 1\n\n[[columns]]\nid = \"self/id\"\nheader = \"Numéro\"\n\n\
         [[columns]]\nid = \"type_de_champ/2\"\n\n[[columns]]\nid = \"self/state\"\nheader = \"État\"\n",
    )
    .unwrap();
    let table = tmp.path().join("dossiers.csv");
    let dir = archive().to_str().unwrap();
    let args = ["export", dir, "--template", t.to_str().unwrap()];
    let out = run(&[&args[..], &["--table", table.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let mut reader = csv::Reader::from_path(&table).unwrap();
    let headers: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(headers.len(), 3, "{headers:?}");
    assert_eq!(headers[0], "Numéro");
    assert!(headers[1].contains("Nom du projet"), "{headers:?}");
    assert_eq!(headers[2], "État");
    let numbers: BTreeSet<String> = reader.records().map(|r| r.unwrap()[0].to_owned()).collect();
    let bundles: BTreeSet<String> = fs_err::read_dir(archive())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            let n = name.strip_prefix("dossier-")?.strip_suffix(".zip")?;
            (!n.contains('.')).then(|| n.to_owned())
        })
        .collect();
    assert_eq!(numbers, bundles, "one row per dossier, keyed by its number");
    // columns.json ties each header to its DS column id.
    let sidecar = fs_err::read_to_string(tmp.path().join("dossiers.columns.json")).unwrap();
    assert!(sidecar.contains("type_de_champ/2"), "{sidecar}");

    // XLSX by the extension; an extension that is no table format is refused.
    let xlsx = tmp.path().join("dossiers.xlsx");
    let out = run(&[&args[..], &["--table", xlsx.to_str().unwrap()]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(fs_err::read(&xlsx).unwrap().starts_with(b"PK"));
    // DS's extra sheets come along, whatever columns the template picks.
    let sidecar: serde_json::Value =
        serde_json::from_slice(&fs_err::read(tmp.path().join("dossiers.columns.json")).unwrap())
            .unwrap();
    assert_eq!(sidecar["columns"].as_array().unwrap().len(), 3, "{sidecar}");
    let sheets: Vec<&str> = sidecar["sheets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(sheets.first(), Some(&"Avis"), "{sidecar}");
    assert_eq!(sheets.len(), 3, "{sidecar}");
    let out = run(&[&args[..], &["--table", "dossiers.xls"]].concat());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains(".xlsx"));
}
