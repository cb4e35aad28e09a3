//! Unit tests of the manifest formatting and of [`super::write_bag_tags`].

use std::path::Path;

use super::*;

fn digests(bytes: &[u8]) -> Digests {
    Digests {
        size: bytes.len() as u64,
        md5_base64: String::new(),
        sha256: hex_digest(DigestAlg::Sha256, bytes),
        sha512: Some(hex_digest(DigestAlg::Sha512, bytes)),
    }
}

fn put(root: &Path, rel: &str, bytes: &[u8]) {
    let path = root.join(rel);
    fs_err::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    fs_err::write(path, bytes).expect("write");
}

#[test]
fn encodes_only_percent_cr_lf() {
    assert_eq!(encode_path("data/100%.pdf"), "data/100%25.pdf");
    assert_eq!(encode_path("data/a\r\nb"), "data/a%0D%0Ab");
    assert_eq!(encode_path("data/é #+ ~.pdf"), "data/é #+ ~.pdf");
    assert_eq!(encode_path("data/%25"), "data/%2525");
}

#[test]
fn manifest_lines_sorted_by_path_bytes() {
    let entries = vec![
        ("data/b".to_owned(), "22".to_owned()),
        ("data/a%".to_owned(), "11".to_owned()),
        ("data/B".to_owned(), "33".to_owned()),
        ("data/é".to_owned(), "44".to_owned()),
    ];
    assert_eq!(
        manifest_text(&entries),
        "33  data/B\n11  data/a%25\n22  data/b\n44  data/é\n"
    );
    assert_eq!(manifest_text(&[]), "");
}

#[test]
fn writes_all_tag_files_with_matching_tag_digests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let payload = vec![
        ("data/dossier/100% sûr.pdf".to_owned(), digests(b"pdf")),
        ("data/vide.txt".to_owned(), digests(b"")),
    ];
    put(dir.path(), "data/dossier/100% sûr.pdf", b"pdf");
    put(dir.path(), "data/vide.txt", b"");
    put(dir.path(), "manifest-md5.txt", b"stale");
    let mut info = BagInfo::new();
    info.push("Source-Organization", "Ministère")
        .expect("label");
    let algs = [DigestAlg::Sha512, DigestAlg::Sha256, DigestAlg::Sha512];
    write_bag_tags(dir.path(), &payload, &algs, &info).expect("write");

    let read = |name: &str| fs_err::read_to_string(dir.path().join(name)).expect(name);
    assert_eq!(read("bagit.txt"), BAGIT_TXT);
    assert_eq!(
        read("bag-info.txt"),
        "Source-Organization: Ministère\nPayload-Oxum: 3.2\n"
    );
    assert!(
        !dir.path().join("manifest-md5.txt").exists(),
        "stale manifest kept"
    );
    let m256 = read("manifest-sha256.txt");
    assert_eq!(
        m256,
        format!(
            "{}  data/dossier/100%25 sûr.pdf\n{}  data/vide.txt\n",
            hex_digest(DigestAlg::Sha256, b"pdf"),
            hex_digest(DigestAlg::Sha256, b"")
        )
    );
    for alg in [DigestAlg::Sha256, DigestAlg::Sha512] {
        let tm = read(&tagmanifest_name(alg));
        let mut listed = Vec::new();
        for line in tm.lines() {
            let (hex, name) = line.split_once("  ").expect("two fields");
            assert_eq!(hex, hex_digest(alg, read(name).as_bytes()), "{name}");
            listed.push(name.to_owned());
        }
        assert_eq!(
            listed,
            [
                "bag-info.txt",
                "bagit.txt",
                "manifest-sha256.txt",
                "manifest-sha512.txt"
            ]
        );
    }
}

#[test]
fn rejects_bad_payload_lists() {
    let dir = tempfile::tempdir().expect("tempdir");
    let info = BagInfo::new();
    let d = digests(b"x");
    type Case<'a> = (Vec<(String, Digests)>, &'a [DigestAlg], &'a str);
    let cases: Vec<Case> = vec![
        (
            vec![("x.pdf".into(), d.clone())],
            &[DigestAlg::Sha256],
            "clean",
        ),
        (
            vec![("data/../x".into(), d.clone())],
            &[DigestAlg::Sha256],
            "clean",
        ),
        (
            vec![("data/a".into(), d.clone()), ("data/a".into(), d.clone())],
            &[DigestAlg::Sha256],
            "twice",
        ),
        (
            vec![(
                "data/a".into(),
                Digests {
                    sha512: None,
                    ..d.clone()
                },
            )],
            &[DigestAlg::Sha512],
            "no sha512",
        ),
        (vec![], &[], "no digest algorithm"),
    ];
    for (payload, algs, want) in cases {
        let err = write_bag_tags(dir.path(), &payload, algs, &info).expect_err(want);
        assert!(err.to_string().contains(want), "{err}");
    }
    assert!(
        !dir.path().join("bagit.txt").exists(),
        "nothing written on bad input"
    );
}

#[test]
fn payload_list_must_match_the_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let info = BagInfo::new();
    let algs = [DigestAlg::Sha256];
    put(dir.path(), "data/a.pdf", b"aaa");
    let listed_a = vec![("data/a.pdf".to_owned(), digests(b"aaa"))];
    write_bag_tags(dir.path(), &listed_a, &algs, &info).expect("matches");

    put(dir.path(), "data/sub/extra.txt", b"x");
    let err = write_bag_tags(dir.path(), &listed_a, &algs, &info).expect_err("extra");
    assert!(err.to_string().contains("extra.txt"), "{err}");
    assert!(
        err.to_string().contains("not in the manifest list"),
        "{err}"
    );

    let mut both = listed_a.clone();
    both.push(("data/sub/extra.txt".to_owned(), digests(b"xy")));
    let err = write_bag_tags(dir.path(), &both, &algs, &info).expect_err("size");
    assert!(
        err.to_string().contains("on disk: 1 bytes, listed: 2"),
        "{err}"
    );

    both.push(("data/gone.pdf".to_owned(), digests(b"")));
    both[1].1 = digests(b"x");
    let err = write_bag_tags(dir.path(), &both, &algs, &info).expect_err("missing");
    assert!(err.to_string().contains("gone.pdf"), "{err}");
}

#[test]
fn empty_payload_makes_an_empty_data_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    write_bag_tags(dir.path(), &[], &[DigestAlg::Sha512], &BagInfo::new()).expect("write");
    assert!(dir.path().join("data").is_dir());
    let m = fs_err::read_to_string(dir.path().join("manifest-sha512.txt")).expect("read");
    assert_eq!(m, "");
    let info = fs_err::read_to_string(dir.path().join("bag-info.txt")).expect("read");
    assert_eq!(info, "Payload-Oxum: 0.0\n");
}

#[test]
fn a_dossier_bag_says_who_holds_it_which_dossier_and_when() {
    let demarche = serde_json::json!({
        "title": "Aide: « test »",
        "service": {"nom": "Service X", "organisme": "Mairie de Y"},
    });
    let node = serde_json::json!({
        "id": "RG9zc2llci0xMjM=",
        "state": "accepte",
        "dateDerniereModification": "2024-03-01T10:00:00+01:00",
    });
    let ctx = DossierContext {
        demarche: &demarche,
        demarche_number: 42,
        run_started_at: "2026-12-03T14:00:00Z",
    };
    let info = BagInfo::for_dossier(ctx, &node, 123).unwrap();
    let labels: Vec<&str> = info.entries().iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(
        labels,
        [
            "Source-Organization",
            "External-Identifier",
            "External-Description",
            "Bagging-Date",
            "Bag-Group-Identifier",
            "Internal-Sender-Identifier",
            "DS-Dossier-State",
            "DS-Date-Derniere-Modification",
            "Bag-Software-Agent",
        ]
    );
    let value = |l: &str| {
        info.entries()
            .iter()
            .find(|(k, _)| k == l)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(value("Source-Organization"), Some("Mairie de Y"));
    assert_eq!(
        value("External-Description"),
        Some("Dossier 123 de la démarche 42 « Aide: « test » »")
    );
    assert_eq!(value("Bagging-Date"), Some("2026-12-03"));
    assert_eq!(value("Bag-Group-Identifier"), Some("demarche-42"));

    // Without a service or the optional fields, nothing is invented.
    let bare = serde_json::json!({"title": "T"});
    let ctx = DossierContext {
        demarche: &bare,
        ..ctx
    };
    let info = BagInfo::for_dossier(ctx, &serde_json::json!({}), 7).unwrap();
    assert_eq!(info.entries().len(), 6);
    assert_eq!(info.entries()[0].1, "demarches-simplifiees.fr");
}
