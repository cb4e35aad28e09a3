#![allow(clippy::unwrap_used)]
use super::*;

const ALL: [DigestAlg; 6] = [
    DigestAlg::Md5,
    DigestAlg::Sha1,
    DigestAlg::Sha224,
    DigestAlg::Sha256,
    DigestAlg::Sha384,
    DigestAlg::Sha512,
];

#[test]
fn known_digests() {
    let mut buf = Vec::new();
    let (n, d) = hash_reader(&mut &b"abc"[..], &ALL, &mut buf).unwrap();
    assert_eq!(n, 3);
    assert_eq!(d[&DigestAlg::Md5], "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(
        d[&DigestAlg::Sha1],
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        d[&DigestAlg::Sha256],
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert!(d[&DigestAlg::Sha512].starts_with("ddaf35a193617aba"));
    for a in ALL {
        assert_eq!(d[&a].len(), a.hex_len());
        assert_eq!(hex_digest(a, b"abc"), d[&a]);
    }
}

#[test]
fn names_round_trip() {
    for a in ALL {
        assert_eq!(DigestAlg::from_bagit_name(a.bagit_name()), Some(a));
    }
    assert_eq!(
        DigestAlg::from_bagit_name("SHA-256"),
        Some(DigestAlg::Sha256)
    );
    assert_eq!(DigestAlg::from_bagit_name("blake2b"), None);
    for a in [
        DigestAlg::Md5,
        DigestAlg::Sha256,
        DigestAlg::Sha384,
        DigestAlg::Sha512,
    ] {
        assert_eq!(DigestAlg::from_seda_name(a.seda_name()), Some(a));
    }
    assert_eq!(
        DigestAlg::from_seda_name(" sha-512 "),
        Some(DigestAlg::Sha512)
    );
    assert_eq!(DigestAlg::from_seda_name("SHA-1"), None);
}

#[test]
fn archive_names_are_only_sha256_and_sha512() {
    assert_eq!(
        DigestAlg::from_archive_name("SHA512"),
        Some(DigestAlg::Sha512)
    );
    assert_eq!(
        DigestAlg::from_archive_name("sha256"),
        Some(DigestAlg::Sha256)
    );
    assert_eq!(DigestAlg::from_archive_name("md5"), None);
    assert_eq!(DigestAlg::from_archive_name("sha-256"), None);
}

#[test]
fn reader_and_writer_hash_exactly_what_passes() {
    let algs = [DigestAlg::Sha256, DigestAlg::Sha512, DigestAlg::Sha256];
    let mut r = HashingReader::new(&b"hello world"[..], &algs);
    let mut out = Vec::new();
    let mut w = HashingWriter::new(&mut out, &algs);
    io::copy(&mut r, &mut w).unwrap();
    let (wn, wd) = w.finish_hex();
    let (rn, rd) = r.finish_hex();
    assert_eq!(out, b"hello world");
    assert_eq!((rn, wn), (11, 11));
    assert_eq!(rd, wd);
    assert_eq!(rd.len(), 2, "an algorithm asked twice is hashed once");
    assert_eq!(
        rd[&DigestAlg::Sha256],
        hex_digest(DigestAlg::Sha256, b"hello world")
    );
}

#[test]
fn multihasher_counts_bytes_across_updates() {
    let mut h = MultiHasher::new(&[DigestAlg::Md5]);
    h.update(b"hel");
    h.write_all(b"lo").unwrap();
    assert_eq!(h.size(), 5);
    let (n, raw) = h.finish();
    assert_eq!(n, 5);
    assert_eq!(
        hex::encode(&raw[&DigestAlg::Md5]),
        "5d41402abc4b2a76b9719d911017c592"
    );
}
