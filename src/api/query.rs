//! The GraphQL documents ds-archive sends, assembled from the `.graphql` files
//! beside this module.
//!
//! Each operation is sent with exactly the fragments it uses (transitively):
//! GraphQL forbids unused fragments, and graphql-ruby enforces it. The test
//! at the bottom validates every document against the vendored DS schema
//! (`schemas/ds-schema.graphql`), so a typo or a field DS removed fails CI
//! instead of failing an operator's run.

use std::collections::BTreeSet;

const FRAGMENTS: &str = include_str!("queries/fragments.graphql");

/// The operations of ds-archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// The démarche header and revisions.
    GetDemarche,
    /// One page of dossiers.
    GetDossiers,
    /// One dossier by number.
    GetDossier,
    /// One page of each deleted list: DS's trash and purged tombstones.
    GetDeletedDossiers,
    /// One page of one groupe instructeur's dossiers.
    GetGroupeDossiers,
    /// One page of each deleted list of one groupe instructeur.
    GetGroupeDeletedDossiers,
}

impl Operation {
    /// Every operation, for the tests that check each document.
    pub const ALL: [Self; 6] = [
        Self::GetDemarche,
        Self::GetDossiers,
        Self::GetDossier,
        Self::GetDeletedDossiers,
        Self::GetGroupeDossiers,
        Self::GetGroupeDeletedDossiers,
    ];

    /// The `operationName` sent with the request.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::GetDemarche => "getDemarche",
            Self::GetDossiers => "getDossiers",
            Self::GetDossier => "getDossier",
            Self::GetDeletedDossiers => "getDeletedDossiers",
            Self::GetGroupeDossiers => "getGroupeDossiers",
            Self::GetGroupeDeletedDossiers => "getGroupeDeletedDossiers",
        }
    }

    fn operation_text(self) -> &'static str {
        match self {
            Self::GetDemarche => include_str!("queries/demarche.graphql"),
            Self::GetDossiers => include_str!("queries/dossiers.graphql"),
            Self::GetDossier => include_str!("queries/dossier.graphql"),
            Self::GetDeletedDossiers => include_str!("queries/deleted.graphql"),
            Self::GetGroupeDossiers => include_str!("queries/groupe_dossiers.graphql"),
            Self::GetGroupeDeletedDossiers => include_str!("queries/groupe_deleted.graphql"),
        }
    }

    /// The full document: the operation plus the fragments it needs.
    #[must_use]
    pub fn document(self) -> String {
        let fragments = split_fragments(FRAGMENTS);
        let mut needed = BTreeSet::new();
        let mut todo: Vec<&str> = spreads(self.operation_text());
        while let Some(name) = todo.pop() {
            if needed.insert(name) {
                if let Some((_, body)) = fragments.iter().find(|(n, _)| *n == name) {
                    todo.extend(spreads(body));
                }
            }
        }
        let mut doc = String::from(self.operation_text());
        for (name, body) in &fragments {
            if needed.contains(name) {
                doc.push('\n');
                doc.push_str(body);
            }
        }
        doc
    }
}

/// Split a file of fragment definitions into `(name, text)` pairs.
fn split_fragments(src: &str) -> Vec<(&str, &str)> {
    let starts: Vec<usize> = src
        .match_indices("\nfragment ")
        .map(|(i, _)| i + 1)
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(k, &start)| {
            let end = starts.get(k + 1).copied().unwrap_or(src.len());
            let text = &src[start..end];
            let name = text["fragment ".len()..]
                .split_whitespace()
                .next()
                .unwrap_or_default();
            (name, text.trim_end())
        })
        .collect()
}

/// Names of the fragments spread in `text` (`...Name`, not `... on Type`).
fn spreads(text: &str) -> Vec<&str> {
    text.match_indices("...")
        .filter_map(|(i, _)| {
            let rest = &text[i + 3..];
            let name: &str = &rest[..rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len())];
            (!name.is_empty() && name != "on").then_some(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = include_str!("../../schemas/ds-schema.graphql");

    #[test]
    fn every_document_is_valid_against_the_ds_schema() {
        let schema = apollo_compiler::Schema::parse_and_validate(SCHEMA, "ds-schema.graphql")
            .expect("vendored schema is valid");
        for op in Operation::ALL {
            let doc = op.document();
            let parsed = apollo_compiler::ExecutableDocument::parse_and_validate(
                &schema,
                &doc,
                format!("{}.graphql", op.name()),
            );
            if let Err(errors) = parsed {
                panic!(
                    "{} is not valid against the DS schema:\n{errors}",
                    op.name()
                );
            }
        }
    }

    #[test]
    fn documents_carry_only_the_fragments_they_use() {
        for op in [
            Operation::GetDeletedDossiers,
            Operation::GetGroupeDeletedDossiers,
        ] {
            let doc = op.document();
            assert!(doc.contains("fragment DeletedDossierFragment"));
            assert!(!doc.contains("fragment DossierFragment"));
            assert!(!doc.contains("fragment FileFragment"));
        }
        let doc = Operation::GetDemarche.document();
        assert!(doc.contains("fragment RevisionFragment"));
        assert!(doc.contains("fragment FileFragment"));
        assert!(!doc.contains("fragment DossierFragment"));
        let doc = Operation::GetDossier.document();
        assert!(doc.contains("fragment DossierFragment"));
        assert!(!doc.contains("fragment RevisionFragment"));
    }

    #[test]
    fn dossier_page_has_one_connection() {
        // DS's query complexity limit (60,000) fits one page of 100 dossiers
        // (36,107 as api::complexity computes it), never two.
        for op in [Operation::GetDossiers, Operation::GetGroupeDossiers] {
            let doc = op.document();
            assert_eq!(doc.matches(" dossiers(").count(), 1);
            assert!(!doc.contains("deletedDossiers("));
            assert!(!doc.contains("DeletedDossiers("));
        }
    }
}
