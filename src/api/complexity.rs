//! DS's query complexity and depth, computed the way graphql-ruby 2.5 (the
//! version DS runs) computes them, so a test can hold every document we send
//! under DS's caps instead of trusting a figure quoted in a comment.
//!
//! DS's settings (`app/graphql/api/v2/schema.rb`): `default_max_page_size
//! 100`, `default_page_size 100`, `max_depth 15`, and `max_complexity`
//! re-enabled at 60 000 (GH#13549; `nil` before). No DS field sets its own
//! complexity, so graphql-ruby's defaults apply
//! (`GraphQL::Analysis::QueryComplexity`, `Schema::Field#calculate_complexity`):
//! - every field costs 1 plus its children (`__typename` included);
//! - a connection field (its type's name ends in `Connection`) costs
//!   `page × (children − metadata) + metadata + 1`, where `page` is its
//!   `first` (else `last`, else the default page size) and `metadata` is 1
//!   per field selected on the connection, plus the subfields of those other
//!   than `nodes`/`edges` (`pageInfo { hasNextPage endCursor }` is 3);
//! - on an abstract type (a champ is an interface) the selections are
//!   grouped by the concrete type they apply to, and the dearest type counts;
//! - fields selected twice under one response key are merged first.
//!
//! The fake DS uses [`measure`] to refuse documents over the cap with DS's
//! message, so the client's "ask a smaller page" path runs for real.

use std::collections::{BTreeMap, BTreeSet};

use apollo_compiler::collections::HashMap;
use apollo_compiler::executable::{Field, Selection, SelectionSet};
use apollo_compiler::schema::{ExtendedType, Implementers};
use apollo_compiler::{ExecutableDocument, Name, Node, Schema};
use serde_json::Value;

/// DS's complexity cap (GH#13549).
pub const DS_MAX_COMPLEXITY: u64 = 60_000;
/// DS's depth cap.
pub const DS_MAX_DEPTH: usize = 15;
/// DS's page size when a connection is given neither `first` nor `last`.
const DEFAULT_PAGE_SIZE: u64 = 100;

/// What graphql-ruby would compute for one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// The query complexity.
    pub complexity: u64,
    /// The query depth (nesting of fields, the root field being 1).
    pub depth: usize,
}

/// Measure operation `name` (or the only one) of `doc` with `variables`.
///
/// # Errors
/// The operation is not in the document.
pub fn measure(
    schema: &Schema,
    doc: &ExecutableDocument,
    name: Option<&str>,
    variables: &serde_json::Map<String, Value>,
) -> Result<Measure, String> {
    let op = doc
        .operations
        .get(name)
        .map_err(|_| format!("no operation {name:?} in the document"))?;
    let m = Meter {
        schema,
        doc,
        variables,
        implementers: schema.implementers_map(),
    };
    let mut root = Scopes::new();
    m.collect(&op.selection_set, &mut root);
    Ok(Measure {
        complexity: m.scopes_cost(&[root]),
        depth: m.depth(&op.selection_set),
    })
}

/// Response key → every field node selected under it.
type Fields<'a> = BTreeMap<&'a str, Vec<&'a Node<Field>>>;
/// Type the fields were selected on → its fields.
type Scopes<'a> = BTreeMap<&'a str, Fields<'a>>;

struct Meter<'a> {
    schema: &'a Schema,
    doc: &'a ExecutableDocument,
    variables: &'a serde_json::Map<String, Value>,
    /// Interface → the object types implementing it.
    implementers: HashMap<Name, Implementers>,
}

impl<'a> Meter<'a> {
    /// Gather the fields of `set`, fragments flattened, by the type each is
    /// selected on.
    fn collect(&self, set: &'a SelectionSet, out: &mut Scopes<'a>) {
        for sel in &set.selections {
            match sel {
                Selection::Field(f) => out
                    .entry(set.ty.as_str())
                    .or_default()
                    .entry(f.response_key().as_str())
                    .or_default()
                    .push(f),
                Selection::FragmentSpread(s) => {
                    if let Some(frag) = self.doc.fragments.get(&s.fragment_name) {
                        self.collect(&frag.selection_set, out);
                    }
                }
                Selection::InlineFragment(i) => self.collect(&i.selection_set, out),
            }
        }
    }

    /// The concrete types a selection on `ty` may apply to.
    fn concrete<'t>(&'t self, ty: &'t str) -> Vec<&'t str> {
        match self.schema.types.get(ty) {
            Some(ExtendedType::Interface(_)) => self
                .implementers
                .get(ty)
                .map(|i| i.objects.iter().map(Name::as_str).collect())
                .unwrap_or_default(),
            Some(ExtendedType::Union(u)) => u.members.iter().map(|m| m.name.as_str()).collect(),
            _ => vec![ty],
        }
    }

    /// graphql-ruby's `merged_max_complexity_for_scopes`: the dearest of
    /// the concrete types the selections may apply to.
    fn scopes_cost(&self, scopes: &[Scopes<'a>]) -> u64 {
        let possible: BTreeSet<&str> = scopes
            .iter()
            .flat_map(|s| s.keys().copied())
            .flat_map(|t| self.concrete(t))
            .collect();
        possible
            .into_iter()
            .map(|concrete| {
                let inner: Vec<&Fields<'a>> = scopes
                    .iter()
                    .flat_map(|s| s.iter())
                    .filter(|(ty, _)| **ty == concrete || self.schema.is_subtype(ty, concrete))
                    .map(|(_, fields)| fields)
                    .collect();
                self.fields_cost(&inner)
            })
            .max()
            .unwrap_or(0)
    }

    /// graphql-ruby's `merged_max_complexity`: the sum over response keys.
    fn fields_cost(&self, inner: &[&Fields<'a>]) -> u64 {
        let keys: BTreeSet<&str> = inner.iter().flat_map(|f| f.keys().copied()).collect();
        keys.into_iter()
            .map(|key| {
                let nodes: Vec<&Vec<&Node<Field>>> =
                    inner.iter().filter_map(|f| f.get(key)).collect();
                let children: Vec<Scopes<'a>> = nodes
                    .iter()
                    .map(|ns| {
                        let mut s = Scopes::new();
                        for n in *ns {
                            self.collect(&n.selection_set, &mut s);
                        }
                        s
                    })
                    .collect();
                let child_cost = if children.iter().any(|c| !c.is_empty()) {
                    self.scopes_cost(&children)
                } else {
                    0
                };
                nodes
                    .iter()
                    .zip(&children)
                    .map(|(ns, sub)| self.own_cost(ns, sub, child_cost))
                    .max()
                    .unwrap_or(0)
            })
            .sum()
    }

    /// `Schema::Field#calculate_complexity` with the default complexity 1.
    fn own_cost(&self, nodes: &[&Node<Field>], sub: &Scopes<'a>, child_cost: u64) -> u64 {
        let Some(first) = nodes.first() else {
            return 0;
        };
        if !first
            .definition
            .ty
            .inner_named_type()
            .ends_with("Connection")
        {
            return 1 + child_cost;
        }
        let page = self
            .int_argument(first, "first")
            .or_else(|| self.int_argument(first, "last"))
            .unwrap_or(DEFAULT_PAGE_SIZE);
        // The connection's own selections (`pageInfo`, `nodes`...), merged.
        let mut selected: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for (key, ns) in sub.values().flat_map(|f| f.iter()) {
            let subfields = selected.entry(key).or_default();
            for n in ns {
                let mut s = Scopes::new();
                self.collect(&n.selection_set, &mut s);
                subfields.extend(s.values().flat_map(|f| f.keys().copied()));
            }
        }
        let metadata: u64 = selected
            .iter()
            .map(|(key, subfields)| {
                let counted = !matches!(*key, "nodes" | "edges");
                1 + if counted { subfields.len() as u64 } else { 0 }
            })
            .sum();
        page.saturating_mul(child_cost.saturating_sub(metadata)) + metadata + 1
    }

    /// A literal or variable integer argument of `field`.
    fn int_argument(&self, field: &Field, name: &str) -> Option<u64> {
        let value = field.arguments.iter().find(|a| a.name == name)?;
        match value.value.as_ref() {
            apollo_compiler::ast::Value::Int(i) => i.try_to_i32().ok().map(|i| i.max(0) as u64),
            apollo_compiler::ast::Value::Variable(v) => {
                self.variables.get(v.as_str()).and_then(Value::as_u64)
            }
            _ => None,
        }
    }

    /// graphql-ruby's `QueryDepth`: the deepest chain of fields.
    fn depth(&self, set: &'a SelectionSet) -> usize {
        set.selections
            .iter()
            .map(|sel| match sel {
                Selection::Field(f) => 1 + self.depth(&f.selection_set),
                Selection::FragmentSpread(s) => self
                    .doc
                    .fragments
                    .get(&s.fragment_name)
                    .map_or(0, |frag| self.depth(&frag.selection_set)),
                Selection::InlineFragment(i) => self.depth(&i.selection_set),
            })
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests;
