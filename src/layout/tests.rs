//! Unit and property tests of [`super::plan`].

use proptest::prelude::*;
use unicode_normalization::UnicodeNormalization;

use super::*;

fn champ(descriptor: &str, label: &str) -> ChampRef {
    ChampRef {
        champ_id: format!("c-{descriptor}"),
        champ_descriptor_id: descriptor.to_owned(),
        label: label.to_owned(),
        row: None,
        row_id: None,
        repetition_label: None,
    }
}

fn att(origin: Origin, filename: &str) -> Attachment {
    Attachment {
        origin,
        index: 0,
        filename: filename.to_owned(),
        content_type: "application/pdf".to_owned(),
        checksum: String::new(),
        byte_size: 0,
        url: String::new(),
        json_path: String::new(),
        created_at: None,
        virus_scan_result: None,
    }
}

#[test]
fn dossier_dir() {
    assert_eq!(dossier_dir_name(12), "dossier-12");
}

#[test]
fn sections_and_holder_folders() {
    let mut row = champ("d2", "Pièce d'identité");
    row.row = Some(3);
    row.row_id = Some("r3".into());
    row.repetition_label = Some("Associés".into());
    let list = vec![
        att(
            Origin::Champ(champ("d1", "Justificatif de domicile")),
            "edf.pdf",
        ),
        att(Origin::Champ(row), "cni.jpg"),
        att(Origin::Annotation(champ("a1", "Note interne")), "note.txt"),
        att(
            Origin::Message {
                message_id: "Q29tbWVudGFpcmUtNDI=".into(), // "Commentaire-42"
                email: "x@y.fr".into(),
                created_at: "2024-03-05T10:20:30+01:00".into(),
            },
            "devis.pdf",
        ),
        att(
            Origin::Avis {
                avis_id: "QXZpcy03".into(),
                expert: None,
            },
            "avis.pdf",
        ),
        att(Origin::Motivation, "refus.pdf"),
        att(Origin::Attestation, "attestation-1234.pdf"),
        att(Origin::DossierPdf, "dossier-1234.pdf"),
        att(
            Origin::CompanyCertificate {
                certificate: "attestation_fiscale".into(),
                siret: "12345678900012".into(),
                champ: None,
            },
            "x.pdf",
        ),
    ];
    assert_eq!(
        plan(&list),
        vec![
            "data/pieces_justificatives/Justificatif de domicile/edf.pdf",
            "data/pieces_justificatives/Associés-03/Pièce d'identité/cni.jpg",
            "data/annotations/Note interne/note.txt",
            "data/messagerie/2024-03-05_10-20-30-42/devis.pdf",
            "data/avis/avis-7/avis.pdf",
            "data/dossier/motivation-refus.pdf",
            "data/dossier/attestation-1234.pdf",
            "data/dossier/dossier-1234.pdf",
            "data/dossier/attestation_fiscale-12345678900012.pdf",
        ]
    );
}

#[test]
fn duplicates_keep_first_plain_name() {
    let c = || Origin::Champ(champ("d1", "Scans"));
    let list = vec![
        att(c(), "scan.pdf"),
        att(c(), "scan.pdf"),
        att(c(), "SCAN.PDF"),
        att(c(), "cafe\u{301}.pdf"),
        att(c(), "caf\u{e9}.pdf"),
    ];
    let p = plan(&list);
    let names: Vec<_> = p
        .iter()
        .map(|s| s.rsplit('/').next().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        [
            "scan.pdf",
            "scan-2.pdf",
            "SCAN-3.PDF",
            "caf\u{e9}.pdf",
            "caf\u{e9}-2.pdf"
        ]
    );
}

#[test]
fn two_champs_with_one_label_get_two_folders() {
    let list = vec![
        att(Origin::Champ(champ("d1", "Justificatif")), "a.pdf"),
        att(Origin::Champ(champ("d2", "justificatif")), "a.pdf"),
        att(Origin::Champ(champ("d1", "Justificatif")), "b.pdf"),
    ];
    assert_eq!(
        plan(&list),
        [
            "data/pieces_justificatives/Justificatif/a.pdf",
            "data/pieces_justificatives/justificatif-2/a.pdf",
            "data/pieces_justificatives/Justificatif/b.pdf",
        ]
    );
}

#[test]
fn long_names_fit_the_budget_and_keep_extension() {
    let label = "Attestation ".repeat(20);
    let mut row = champ("d1", &label);
    row.row = Some(1);
    row.repetition_label = Some("Bloc ".repeat(30));
    let name = format!("{}.pdf", "très long nom de fichier ".repeat(20));
    let p = plan(&[
        att(Origin::Champ(row.clone()), &name),
        att(Origin::Champ(row), &name),
    ]);
    for path in &p {
        assert!(path.len() <= BAG_PATH_MAX_BYTES, "{path}");
        assert!(path.ends_with(".pdf"), "{path}");
    }
    assert_ne!(p[0], p[1]);
    assert!(p[1].ends_with("-2.pdf"), "{}", p[1]);
}

/// Independent restatement of the safety rules, used by the property test.
fn assert_safe_component(c: &str) {
    assert!(!c.is_empty());
    assert!(c.len() <= 255);
    assert!(c != "." && c != "..");
    assert!(!c.starts_with(char::is_whitespace), "{c:?}");
    assert!(
        !c.ends_with(|ch: char| ch.is_whitespace() || ch == '.'),
        "{c:?}"
    );
    for ch in c.chars() {
        assert!(!ch.is_control(), "{c:?}");
        assert!(!"/\\:*?\"<>|".contains(ch), "{c:?}");
        assert!(!('\u{202A}'..='\u{202E}').contains(&ch), "{c:?}");
        assert!(!('\u{2066}'..='\u{2069}').contains(&ch), "{c:?}");
    }
    assert!(!is_windows_reserved(c), "{c:?}");
    assert_eq!(c.nfc().collect::<String>(), c);
}

fn hostile() -> impl Strategy<Value = String> {
    let piece =
        prop::sample::select(vec![
        "a", "A", "é", "e\u{301}", "E\u{301}", "/", "\\", ":", "*", ".", "..", " ", "\t", "\n",
        "\r", "\0", "\u{7f}", "\u{85}", "\u{202E}", "\u{2066}", "%", "%0A", "CON", "lpt1", "nul",
        "scan", ".pdf", "ß", "ǅ", "\u{212A}", "日本",
        "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    ]);
    prop_oneof![
        4 => prop::collection::vec(piece, 0..8).prop_map(|v| v.concat()),
        1 => any::<String>(),
    ]
}

fn champ_ref() -> impl Strategy<Value = ChampRef> {
    (
        0u8..3,
        hostile(),
        prop::option::of(0u32..3),
        prop::option::of(hostile()),
    )
        .prop_map(|(d, label, row, rep)| ChampRef {
            champ_id: format!("c{d}"),
            champ_descriptor_id: format!("d{d}"),
            label,
            row,
            row_id: row.map(|r| format!("r{r}")),
            repetition_label: rep,
        })
}

fn origin() -> impl Strategy<Value = Origin> {
    prop_oneof![
        champ_ref().prop_map(Origin::Champ),
        champ_ref().prop_map(Origin::Annotation),
        (hostile(), champ_ref()).prop_map(|(siret, c)| Origin::CompanyCertificate {
            certificate: "attestation_fiscale".into(),
            siret,
            champ: Some(c),
        }),
        (0u8..3, hostile()).prop_map(|(i, at)| Origin::Message {
            message_id: format!("m{i}"),
            email: String::new(),
            created_at: at,
        }),
        (0u8..3).prop_map(|i| Origin::Avis {
            avis_id: format!("a{i}"),
            expert: None
        }),
        Just(Origin::Motivation),
        Just(Origin::Attestation),
        Just(Origin::DossierPdf),
        hostile().prop_map(|siret| Origin::CompanyCertificate {
            certificate: "attestation_sociale".into(),
            siret,
            champ: None,
        }),
    ]
}

proptest! {
    #[test]
    fn planned_paths_are_safe_unique_and_deterministic(
        list in prop::collection::vec((origin(), hostile()).prop_map(|(o, f)| att(o, &f)), 0..24)
    ) {
        let paths = plan(&list);
        prop_assert_eq!(paths.len(), list.len());
        prop_assert_eq!(&plan(&list), &paths);
        let mut folded = std::collections::HashSet::new();
        for (path, a) in paths.iter().zip(&list) {
            prop_assert!(path.len() <= BAG_PATH_MAX_BYTES, "{}", path);
            let prefix = format!("data/{}/", a.origin.section());
            prop_assert!(path.starts_with(&prefix), "{}", path);
            for c in path.split('/') {
                assert_safe_component(c);
            }
            prop_assert!(folded.insert(fold(path)), "duplicate {}", path);
        }
        // A file never sits where another path needs a folder.
        for p in &folded {
            let as_dir = format!("{p}/");
            prop_assert!(!folded.iter().any(|q| q.starts_with(&as_dir)), "{}", p);
        }
    }

    #[test]
    fn sanitize_is_safe_and_idempotent(raw in hostile(), max in 0usize..300) {
        let out = sanitize_component(&raw, max);
        assert_safe_component(&out);
        prop_assert!(out.len() <= max.max(sanitize::MIN_COMPONENT_BYTES));
        prop_assert_eq!(sanitize_component(&out, max), out.clone());
    }
}
