//! Name patterns (`export-{dossier_number}`) and their tags.
//!
//! Tags carry DS's own names so that a DS "modèle d'export" can be copied one
//! to one; a few extras answer requests DS leaves open (a champ's value, the
//! decision). Parsing and fitting a rendered name into its byte budget are
//! pure functions; the values come from [`super::values`].

use crate::layout::sanitize_component;

/// One tag of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// `{dossier_number}`: the one tag a folder pattern must hold.
    DossierNumber,
    /// Any other tag with a fixed name, by that name (`dossier_depose_at`).
    Named(&'static str),
    /// `{champ:<stable_id>}`: the display value of a root champ or annotation.
    Champ(u64),
}

/// Where a pattern is used: some tags only mean something for a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The dossier folder.
    Folder,
    /// A file (PDF, attestation).
    File,
    /// A pièce justificative (also knows its champ's label).
    Pj,
}

/// The fixed tags: name, scope needed, what it renders (for `template check`).
pub const TAGS: &[(&str, Scope, &str)] = &[
    ("dossier_number", Scope::Folder, "numéro du dossier"),
    (
        "dossier_depose_at",
        Scope::Folder,
        "date de dépôt (YYYY-MM-DD)",
    ),
    (
        "dossier_last_champ_updated_at",
        Scope::Folder,
        "date de dernière mise à jour d'un champ (YYYY-MM-DD)",
    ),
    (
        "dossier_procedure_libelle",
        Scope::Folder,
        "titre de la démarche",
    ),
    ("dossier_service_name", Scope::Folder, "nom du service"),
    (
        "dossier_groupe_instructeur",
        Scope::Folder,
        "groupe instructeur",
    ),
    (
        "dossier_contact_information_name",
        Scope::Folder,
        "nom du contact (le service: l'API n'expose pas le contact d'un groupe)",
    ),
    (
        "dossier_state",
        Scope::Folder,
        "état (en_construction, accepte...)",
    ),
    (
        "dossier_processed_at",
        Scope::Folder,
        "date de décision (YYYY-MM-DD), vide sinon",
    ),
    ("individual_gender", Scope::Folder, "civilité (M, Mme)"),
    ("individual_last_name", Scope::Folder, "nom"),
    ("individual_first_name", Scope::Folder, "prénom"),
    ("entreprise_siren", Scope::Folder, "SIREN"),
    ("entreprise_raison_sociale", Scope::Folder, "raison sociale"),
    (
        "entreprise_siret_siege_social",
        Scope::Folder,
        "SIRET du siège social",
    ),
    (
        "entreprise_numero_tva_intracommunautaire",
        Scope::Folder,
        "numéro de TVA intracommunautaire",
    ),
    ("entreprise_adresse", Scope::Folder, "adresse"),
    (
        "original-filename",
        Scope::File,
        "nom original du fichier, sans extension",
    ),
    (
        "champ_label",
        Scope::Pj,
        "libellé du champ, comme DS le met en nom de fichier",
    ),
];

/// A parsed pattern: literal text and tags, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    /// The pieces.
    pub pieces: Vec<Piece>,
    source: String,
}

/// A piece of a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A tag.
    Tag(Tag),
}

impl Pattern {
    /// Parse `text` for use in `scope`; the error says what is wrong in words
    /// (the caller adds the key and line).
    ///
    /// # Errors
    /// An unclosed `{`, an unknown tag, a tag that means nothing in `scope`,
    /// a `/` (a pattern names one path segment), or an empty pattern.
    pub fn parse(text: &str, scope: Scope) -> Result<Self, String> {
        if text.contains('/') || text.contains('\\') {
            return Err("a pattern names one file or folder: `/` and `\\` are not allowed".into());
        }
        let mut pieces = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            if open > 0 {
                pieces.push(Piece::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| format!("unclosed `{{` in `{text}`"))?;
            pieces.push(Piece::Tag(parse_tag(&after[..close], scope)?));
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(format!("`}}` without `{{` in `{text}`"));
        }
        if !rest.is_empty() {
            pieces.push(Piece::Text(rest.to_owned()));
        }
        if pieces.is_empty() || text.trim().is_empty() {
            return Err("the pattern is empty".into());
        }
        Ok(Self {
            pieces,
            source: text.to_owned(),
        })
    }

    /// The pattern as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether `{dossier_number}` appears.
    #[must_use]
    pub fn has_dossier_number(&self) -> bool {
        self.pieces.contains(&Piece::Tag(Tag::DossierNumber))
    }

    /// The stable ids of the `{champ:N}` tags.
    pub fn champ_ids(&self) -> impl Iterator<Item = u64> + '_ {
        self.pieces.iter().filter_map(|p| match p {
            Piece::Tag(Tag::Champ(id)) => Some(*id),
            _ => None,
        })
    }

    /// Render with `value` giving each tag's text: (text, protected) parts,
    /// protected being the dossier number, which [`fit`] never cuts.
    pub fn render(&self, value: &dyn Fn(&Tag) -> String) -> Vec<(String, bool)> {
        self.pieces
            .iter()
            .map(|p| match p {
                Piece::Text(t) => (t.clone(), false),
                Piece::Tag(t) => (value(t), *t == Tag::DossierNumber),
            })
            .collect()
    }
}

fn parse_tag(name: &str, scope: Scope) -> Result<Tag, String> {
    let name = name.trim();
    if let Some(id) = name.strip_prefix("champ:") {
        return id.trim().parse::<u64>().map(Tag::Champ).map_err(|_| {
            format!("`{{{name}}}`: a champ tag is `{{champ:<stable id>}}`, a number")
        });
    }
    // DS writes `original-filename`; B.5 of our notes and TOML users write `_`.
    let name = if name == "original_filename" {
        "original-filename"
    } else {
        name
    };
    let Some(&(known, needs, _)) = TAGS.iter().find(|(n, _, _)| *n == name) else {
        return Err(format!(
            "unknown tag `{{{name}}}` (`ds-archive template check` lists the tags)"
        ));
    };
    let allowed = match needs {
        Scope::Folder => true,
        Scope::File => scope != Scope::Folder,
        Scope::Pj => scope == Scope::Pj,
    };
    if !allowed {
        return Err(format!(
            "tag `{{{name}}}` names a file and cannot be used here"
        ));
    }
    Ok(if known == "dossier_number" {
        Tag::DossierNumber
    } else {
        Tag::Named(known)
    })
}

/// Join rendered parts into one safe path segment of at most `max` bytes
/// (`layout::sanitize_component` rules): when too long, the longest
/// unprotected part is shortened first, so the dossier number survives.
#[must_use]
pub fn fit(parts: &[(String, bool)], max: usize) -> String {
    const ROOMY: usize = 4096;
    let mut parts = parts.to_vec();
    loop {
        let joined: String = parts.iter().map(|(t, _)| t.as_str()).collect();
        let name = sanitize_component(&joined, ROOMY);
        if name.len() <= max {
            return name;
        }
        let over = name.len() - max;
        let longest = parts
            .iter_mut()
            .filter(|(t, keep)| !keep && !t.is_empty())
            .max_by_key(|(t, _)| t.len());
        let Some((text, _)) = longest else {
            return sanitize_component(&joined, max);
        };
        let mut end = text.len().saturating_sub(over.max(1));
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
}

/// DS's `libelle_as_filename`: whitespace collapsed, cut to 30 characters at
/// a word boundary, then "parameterized" (ASCII, lowercase, `-` between
/// words): `Budget prévisionnel` → `budget-previsionnel`.
#[must_use]
pub fn libelle_as_filename(label: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    let collapsed = label.split_whitespace().collect::<Vec<_>>().join(" ");
    let chars: Vec<char> = collapsed.chars().collect();
    let cut: String = if chars.len() > 30 {
        let head: String = chars[..30].iter().collect();
        // Rails' `truncate(30, separator: ' ')`: back to the last space.
        match chars[..=30].iter().rposition(|c| *c == ' ') {
            Some(i) => chars[..i].iter().collect(),
            None => head,
        }
    } else {
        collapsed
    };
    let mut out = String::new();
    let mut dash = false;
    for c in cut.nfd().filter(|c| !is_combining_mark(*c)) {
        let ascii = match c {
            'œ' | 'Œ' => "oe".to_owned(),
            'æ' | 'Æ' => "ae".to_owned(),
            'ß' => "ss".to_owned(),
            c if c.is_ascii_alphanumeric() => c.to_ascii_lowercase().to_string(),
            _ => String::new(),
        };
        if ascii.is_empty() {
            dash = !out.is_empty();
        } else {
            if dash {
                out.push('-');
                dash = false;
            }
            out.push_str(&ascii);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_text_are_split() {
        let p = Pattern::parse("dossier-{dossier_number}-{champ:2}", Scope::Folder).unwrap();
        assert!(p.has_dossier_number());
        assert_eq!(p.champ_ids().collect::<Vec<_>>(), [2]);
        assert_eq!(p.pieces.len(), 4);
    }

    #[test]
    fn bad_patterns_say_why() {
        let err = |t: &str, s| Pattern::parse(t, s).unwrap_err();
        assert!(err("x-{nope}", Scope::Pj).contains("unknown tag `{nope}`"));
        assert!(err("x-{dossier_number", Scope::Pj).contains("unclosed"));
        assert!(err("a/{dossier_number}", Scope::Pj).contains("`/`"));
        assert!(err("{original-filename}", Scope::Folder).contains("names a file"));
        assert!(err("{champ_label}", Scope::File).contains("names a file"));
        assert!(err("{champ:abc}", Scope::File).contains("stable id"));
        assert!(err("", Scope::File).contains("empty"));
        assert!(Pattern::parse("{original_filename}", Scope::File).is_ok());
    }

    #[test]
    fn fit_cuts_values_but_never_the_dossier_number() {
        let parts = vec![
            ("x".repeat(300), false),
            ("-".into(), false),
            ("1030001".into(), true),
        ];
        let out = fit(&parts, 60);
        assert!(out.len() <= 60, "{out}");
        assert!(out.ends_with("-1030001"), "{out}");
        let slash = vec![("a/b: c".into(), false), ("7".into(), true)];
        assert_eq!(fit(&slash, 60), "a_b_ c7");
    }

    #[test]
    fn labels_become_ds_file_names() {
        assert_eq!(
            libelle_as_filename("Budget prévisionnel"),
            "budget-previsionnel"
        );
        assert_eq!(
            libelle_as_filename("Rapport d'instruction"),
            "rapport-d-instruction"
        );
        assert_eq!(libelle_as_filename("  CV  "), "cv");
        assert_eq!(
            libelle_as_filename("Justificatif de domicile de moins de trois mois"),
            "justificatif-de-domicile-de"
        );
        assert_eq!(libelle_as_filename("Œuvre"), "oeuvre");
    }
}
