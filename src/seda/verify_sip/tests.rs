use super::*;

#[test]
fn objects_are_parsed_with_prefixes_and_nesting() {
    let xml = br#"<?xml version="1.0"?>
<s:ArchiveTransfer xmlns:s="fr:gouv:culture:archivesdefrance:seda:v2.2">
 <s:DataObjectPackage><s:DataObjectGroup id="G">
  <s:BinaryDataObject id="B1"><s:Uri>Content/a.pdf</s:Uri>
   <s:MessageDigest algorithm="SHA-256">AB</s:MessageDigest><s:Size>3</s:Size>
   <s:FileInfo><s:Filename>x &amp; y</s:Filename></s:FileInfo>
  </s:BinaryDataObject></s:DataObjectGroup></s:DataObjectPackage>
</s:ArchiveTransfer>"#;
    let objs = parse_objects(xml).expect("parse");
    assert_eq!(objs.len(), 1);
    assert_eq!(objs[0].uri.as_deref(), Some("Content/a.pdf"));
    assert_eq!(objs[0].algorithm, "SHA-256");
    assert_eq!(objs[0].digest, "AB");
    assert_eq!(objs[0].size.as_deref(), Some("3"));
    assert!(parse_objects(b"<Other/>").is_err());
    assert!(parse_objects(b"<ArchiveTransfer><a></b></ArchiveTransfer>").is_err());
}

#[test]
fn digests_compare_as_hex_or_base64() {
    let actual = [0xab, 0xcd];
    assert!(digest_matches("ABcd", &actual));
    assert!(digest_matches("q80=", &actual));
    assert!(!digest_matches("abce", &actual));
}
