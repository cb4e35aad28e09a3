//! The tag-file readers on the exact forms RFC 8493 allows and the defects
//! met in bags made by other tools.

use super::*;

use TagDefectKind::{BagInfo, BagInfoLabel, BagitTxt, Bom, Encoding, Oxum};

fn kinds(f: &[TagDefect]) -> Vec<TagDefectKind> {
    f.iter().map(|f| f.kind).collect()
}

#[test]
fn lines_handle_all_terminators() {
    assert_eq!(lines("a\nb\n"), ["a", "b"]);
    assert_eq!(lines("a\r\nb\r\n"), ["a", "b"]);
    assert_eq!(lines("a\rb"), ["a", "b"]);
    assert_eq!(lines("a\n\nb"), ["a", "", "b"]);
    assert_eq!(lines(""), Vec::<&str>::new());
}

#[test]
fn bagit_txt_exact_form() {
    let mut f = Vec::new();
    let d = parse_bagit_txt(
        b"BagIt-Version: 0.97\nTag-File-Character-Encoding: UTF-16BE\n",
        &mut f,
    );
    assert!(f.is_empty(), "{f:?}");
    assert_eq!(
        d,
        Declaration {
            version: (0, 97),
            encoding: TagEncoding::Utf16Be
        }
    );

    let mut f = Vec::new();
    parse_bagit_txt(
        b"BagIt-Version : 1.0\nTag-File-Character-Encoding: UTF-8\n",
        &mut f,
    );
    assert_eq!(kinds(&f), [BagitTxt]);

    let mut f = Vec::new();
    parse_bagit_txt(
        b"\xEF\xBB\xBFBagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        &mut f,
    );
    assert_eq!(kinds(&f), [Bom]);

    let mut f = Vec::new();
    parse_bagit_txt(
        b"BagIt-Version: .97\nTag-File-Character-Encoding: KOI8-R\n",
        &mut f,
    );
    assert_eq!(kinds(&f), [BagitTxt, Encoding]);
}

#[test]
fn bag_info_and_oxum() {
    let mut f = Vec::new();
    let info = parse_bag_info(
        "Source-Organization: X\n  continued\nPayload-Oxum: 12.3\n: y\nOdd Label\t: z\n",
        &mut f,
    );
    assert_eq!(info[0].1, "X continued");
    assert_eq!(payload_oxum(&info, &mut f), Some((12, 3)));
    assert_eq!(kinds(&f), [BagInfo, BagInfoLabel]);
    assert_eq!(info[2], ("Odd Label".to_owned(), "z".to_owned()));
    // A spaced Payload-Oxum label is still the Payload-Oxum.
    let mut f = Vec::new();
    let info = parse_bag_info("Payload-Oxum : 12.3\n", &mut f);
    assert_eq!(payload_oxum(&info, &mut f), Some((12, 3)));
    assert_eq!(kinds(&f), [BagInfoLabel]);
    let mut f = Vec::new();
    let info = parse_bag_info("Payload-Oxum: 12\n", &mut f);
    assert_eq!(payload_oxum(&info, &mut f), None);
    assert_eq!(kinds(&f), [Oxum]);
}

#[test]
fn decodes_utf16_and_latin1() {
    let be: Vec<u8> = "é\n".encode_utf16().flat_map(u16::to_be_bytes).collect();
    assert_eq!(
        decode(&be, TagEncoding::Utf16Be).ok().as_deref(),
        Some("é\n")
    );
    let mut le = vec![0xFF, 0xFE];
    le.extend("é".encode_utf16().flat_map(u16::to_le_bytes));
    assert_eq!(decode(&le, TagEncoding::Utf16).ok().as_deref(), Some("é"));
    assert_eq!(
        decode(b"\xe9", TagEncoding::Latin1).ok().as_deref(),
        Some("é")
    );
    assert_eq!(
        decode(b"\xe9", TagEncoding::Utf8).map_err(|e| e.0),
        Err(Encoding)
    );
    assert_eq!(
        decode(b"\xEF\xBB\xBFa", TagEncoding::Utf8).map_err(|e| e.0),
        Err(Bom)
    );
}
