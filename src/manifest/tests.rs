//! Unit tests of the manifest formatting and of [`super::write_bag_tags`].

use super::*;

fn digests(bytes: &[u8]) -> Digests {
    Digests {
        size: bytes.len() as u64,
        md5_base64: String::new(),
        sha256: sha_hex(DigestAlg::Sha256, bytes),
        sha512: Some(sha_hex(DigestAlg::Sha512, bytes)),
    }
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
fn sha_hex_known_vectors() {
    assert_eq!(
        sha_hex(DigestAlg::Sha256, b"abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert!(sha_hex(DigestAlg::Sha512, b"abc").starts_with("ddaf35a193617aba"));
}

#[test]
fn writes_all_tag_files_with_matching_tag_digests() {
    let dir = tempfile::tempdir().expect("tempdir");
    let payload = vec![
        ("data/dossier/100% sûr.pdf".to_owned(), digests(b"pdf")),
        ("data/vide.txt".to_owned(), digests(b"")),
    ];
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
    assert!(dir.path().join("data").is_dir());
    let m256 = read("manifest-sha256.txt");
    assert_eq!(
        m256,
        format!(
            "{}  data/dossier/100%25 sûr.pdf\n{}  data/vide.txt\n",
            sha_hex(DigestAlg::Sha256, b"pdf"),
            sha_hex(DigestAlg::Sha256, b"")
        )
    );
    for alg in [DigestAlg::Sha256, DigestAlg::Sha512] {
        let tm = read(&tagmanifest_name(alg));
        let mut listed = Vec::new();
        for line in tm.lines() {
            let (hex, name) = line.split_once("  ").expect("two fields");
            assert_eq!(hex, sha_hex(alg, read(name).as_bytes()), "{name}");
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
