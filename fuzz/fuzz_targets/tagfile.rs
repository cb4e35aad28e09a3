//! Fuzz the tag-file parsers: whatever the bytes, they must return findings,
//! never panic, and every manifest entry they accept must stay inside the bag.

#![no_main]

use ds_archive::bagit::paths::unsafe_reason;
use ds_archive::digest::DigestAlg;
use ds_archive::verify::tagfile::{
    decode, parse_bag_info, parse_bagit_txt, parse_fetch, parse_manifest, payload_oxum, Declaration, TagEncoding,
};
use libfuzzer_sys::fuzz_target;

const ENCODINGS: [TagEncoding; 6] = [
    TagEncoding::Utf8,
    TagEncoding::Ascii,
    TagEncoding::Latin1,
    TagEncoding::Utf16,
    TagEncoding::Utf16Be,
    TagEncoding::Utf16Le,
];

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else { return };
    let mut findings = Vec::new();
    let decl = parse_bagit_txt(body, &mut findings);
    let encoding = ENCODINGS[usize::from(selector) % ENCODINGS.len()];
    let Ok(text) = decode(body, encoding) else { return };
    let version = if selector & 0x80 == 0 { (1, 0) } else { (0, 97) };
    let decl = Declaration { version, ..decl };
    let alg = [None, Some(DigestAlg::Md5), Some(DigestAlg::Sha256), Some(DigestAlg::Sha512)][usize::from(selector >> 4) % 4];
    for entry in parse_manifest(&text, "manifest-x.txt", alg, &decl, &mut findings) {
        assert!(unsafe_reason(&entry.path).is_none(), "accepted unsafe path {:?}", entry.path);
        assert!(entry.digest.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        if let Some(a) = alg {
            assert_eq!(entry.digest.len(), a.hex_len());
        }
    }
    for path in parse_fetch(&text, &decl, &mut findings) {
        assert!(unsafe_reason(&path).is_none(), "accepted unsafe fetch path {path:?}");
    }
    let info = parse_bag_info(&text, &mut findings);
    let _ = payload_oxum(&info, &mut findings);
    for f in &findings {
        assert!(!f.to_string().contains('\n'));
    }
});
