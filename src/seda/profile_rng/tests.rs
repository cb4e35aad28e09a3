use super::*;

fn paths(rng: &str) -> Vec<String> {
    required_elements(rng)
        .expect("reads")
        .into_iter()
        .map(|r| r.path)
        .collect()
}

const HEAD: &str = r#"<grammar xmlns="http://relaxng.org/ns/structure/1.0"
    xmlns:a="http://relaxng.org/ns/compatibility/annotations/1.0"
    ns="fr:gouv:culture:archivesdefrance:seda:v2.2">"#;

#[test]
fn only_elements_outside_optional_zero_or_more_and_choice_are_required() {
    let rng = format!(
        r#"{HEAD}<a:documentation><element name="NotAPattern"/></a:documentation>
        <start><element name="ArchiveTransfer">
          <optional><element name="Comment"><text/></element></optional>
          <element name="Date"><data type="dateTime"/></element>
          <zeroOrMore><element name="Signature"><empty/></element></zeroOrMore>
          <choice><element name="A"><text/></element><element name="B"><text/></element></choice>
          <oneOrMore><ref name="unit"/></oneOrMore>
          <interleave><element><name>seda:Kept</name><text/></element></interleave>
          <element><anyName/><text/></element>
        </element></start>
        <div><define name="unit"><element name="ArchiveUnit">
          <attribute name="id"/>
          <element name="Content"><element name="Title"><text/></element>
            <optional><element name="Sender"><element name="FullName"><text/></element></element></optional>
          </element>
          <zeroOrMore><ref name="unit"/></zeroOrMore>
          <ref name="unit"/>
        </element></define></div>
        </grammar>"#
    );
    assert_eq!(
        paths(&rng),
        [
            "ArchiveTransfer",
            "ArchiveTransfer/Date",
            "ArchiveTransfer/ArchiveUnit",
            "ArchiveTransfer/ArchiveUnit/Content",
            "ArchiveTransfer/ArchiveUnit/Content/Title",
            "ArchiveTransfer/Kept",
        ]
    );
    let r = required_elements(&rng).expect("reads");
    assert_eq!(r[4].parent(), "Content");
    assert_eq!(r[0].parent(), "");
}

#[test]
fn a_bare_element_schema_and_prefixed_rng_are_read() {
    let rng = r#"<rng:element name="ArchiveTransfer" xmlns:rng="http://relaxng.org/ns/structure/1.0">
        <rng:element name="Date"><rng:text/></rng:element></rng:element>"#;
    assert_eq!(paths(rng), ["ArchiveTransfer", "ArchiveTransfer/Date"]);
}

#[test]
fn definitions_combined_as_a_choice_require_nothing() {
    let rng = format!(
        r#"{HEAD}<start><element name="R"><ref name="x"/></element></start>
        <define name="x"><element name="A"><text/></element></define>
        <define name="x" combine="choice"><element name="B"><text/></element></define>
        </grammar>"#
    );
    assert_eq!(paths(&rng), ["R"]);
    let interleaved = rng.replace("combine=\"choice\"", "combine=\"interleave\"");
    assert_eq!(paths(&interleaved), ["R", "R/A", "R/B"]);
}

#[test]
fn what_is_not_followed_is_refused_with_a_reason() {
    for (rng, needle) in [
        (
            format!(r#"{HEAD}<include href="other.rng"/></grammar>"#),
            "include",
        ),
        (
            format!(r#"{HEAD}<start><externalRef href="x.rng"/></start></grammar>"#),
            "externalRef",
        ),
        (
            format!(r#"{HEAD}<start><ref name="missing"/></start></grammar>"#),
            "missing",
        ),
        (format!("{HEAD}</grammar>"), "no <start>"),
        ("<grammar/>".to_owned(), "not a RelaxNG schema"),
        (format!("{HEAD}<start>"), "XML"),
    ] {
        let err = required_elements(&rng).expect_err(needle);
        assert!(err.contains(needle), "{err} should mention {needle}");
    }
}

#[test]
fn the_test_profile_requires_what_the_dossier_unit_carries() {
    let rng = include_str!("../../../tests/fixtures/profiles/asalae-dossier.rng");
    let names: Vec<String> = required_elements(rng)
        .expect("reads")
        .into_iter()
        .map(|r| r.name)
        .collect();
    for expected in ["ArchivalProfile", "Keyword", "KeywordContent", "Addressee"] {
        assert!(names.iter().any(|n| n == expected), "{expected}: {names:?}");
    }
    for optional in [
        "Sender",
        "Comment",
        "StartDate",
        "AppraisalRule",
        "DataObjectGroup",
    ] {
        assert!(
            !names.iter().any(|n| n == optional),
            "{optional}: {names:?}"
        );
    }
}

#[test]
fn a_profile_whose_refs_multiply_is_refused_not_walked_forever() {
    // Each level references the next twice: 2^40 paths to one element, a
    // walk that would never end and a list that would fill memory.
    let levels = 40;
    let mut defines = String::new();
    for i in 0..levels {
        let next = i + 1;
        defines.push_str(&format!(
            r#"<define name="d{i}"><group><ref name="d{next}"/><ref name="d{next}"/></group></define>"#
        ));
    }
    defines.push_str(&format!(
        r#"<define name="d{levels}"><element name="Title"><text/></element></define>"#
    ));
    let rng = format!(
        r#"{HEAD}<start><element name="ArchiveTransfer"><ref name="d0"/></element></start>{defines}</grammar>"#
    );
    let err = required_elements(&rng).expect_err("refused");
    assert!(err.contains("more than"), "{err}");
}
