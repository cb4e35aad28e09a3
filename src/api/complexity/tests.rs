use apollo_compiler::validation::Valid;
use serde_json::json;

use super::*;
use crate::api::Operation;

const TOY: &str = r"
type Query { a: A, i: I, list(first: Int, last: Int): AConnection }
type A { x: Int, y: Int, a: A }
type AConnection { nodes: [A], pageInfo: PageInfo! }
type PageInfo { hasNextPage: Boolean!, endCursor: String }
interface I { id: ID }
type P implements I { id: ID, p: Int, q: Int }
type R implements I { id: ID, r: Int }
";

fn toy(query: &str, variables: serde_json::Value) -> Measure {
    let schema = Schema::parse_and_validate(TOY, "toy.graphql").expect("toy schema");
    let doc = ExecutableDocument::parse_and_validate(&schema, query, "q.graphql").expect("query");
    let vars = variables.as_object().cloned().unwrap_or_default();
    measure(&schema, &doc, None, &vars).expect("measure")
}

#[test]
fn each_field_costs_one_plus_its_children() {
    assert_eq!(toy("{ a { x y } }", json!({})).complexity, 3);
    assert_eq!(toy("{ a { x y a { x } } }", json!({})).depth, 3);
    // The same response key twice is one field.
    assert_eq!(toy("{ a { x } a { y } }", json!({})).complexity, 3);
}

#[test]
fn a_connection_multiplies_its_items_by_the_page_size() {
    // pageInfo (1 + 2 subfields) and nodes (1) are metadata, counted once;
    // each node's x and y are counted `first` times.
    let q =
        "query q($n: Int) { list(first: $n) { pageInfo { hasNextPage endCursor } nodes { x y } } }";
    assert_eq!(toy(q, json!({"n": 10})).complexity, 10 * 2 + 4 + 1);
    assert_eq!(toy(q, json!({"n": 100})).complexity, 100 * 2 + 4 + 1);
    // Without `first`, DS's default page size (100).
    let q = "{ list { nodes { x } } }";
    assert_eq!(toy(q, json!({})).complexity, 100 + 1 + 1);
}

#[test]
fn an_abstract_selection_costs_its_dearest_type() {
    let q = "{ i { id __typename ... on P { p q } ... on R { r } } }";
    assert_eq!(toy(q, json!({})).complexity, 1 + 4);
}

fn ds_schema() -> Valid<Schema> {
    Schema::parse_and_validate(
        include_str!("../../../schemas/ds-schema.graphql"),
        "ds-schema.graphql",
    )
    .expect("vendored schema")
}

fn measure_op(schema: &Valid<Schema>, op: Operation, first: u64) -> Measure {
    let text = op.document();
    let doc = ExecutableDocument::parse_and_validate(schema, &text, "doc.graphql")
        .expect("valid document");
    let vars = json!({"first": first, "demarcheNumber": 1, "groupeNumber": 1, "number": 1});
    let vars = vars.as_object().cloned().unwrap_or_default();
    measure(schema, &doc, Some(op.name()), &vars).expect("measure")
}

#[test]
fn every_document_stays_under_ds_caps_at_a_full_page() {
    let schema = ds_schema();
    let mut figures = Vec::new();
    for op in Operation::ALL {
        let m = measure_op(&schema, op, 100);
        figures.push(format!(
            "{} {} (depth {})",
            op.name(),
            m.complexity,
            m.depth
        ));
        assert!(
            m.complexity <= DS_MAX_COMPLEXITY,
            "{} at first = 100 costs {}, over DS's {DS_MAX_COMPLEXITY}",
            op.name(),
            m.complexity
        );
        assert!(
            m.depth <= DS_MAX_DEPTH,
            "{} has depth {}, over DS's {DS_MAX_DEPTH}",
            op.name(),
            m.depth
        );
    }
    eprintln!("complexity at first = 100: {}", figures.join(", "));
}

#[test]
fn a_dossier_page_is_dear_and_two_would_not_fit() {
    // The figure that keeps one dossier connection per request: a full page
    // costs more than half the cap (DS measured ≈37 600 for its own query
    // with every include).
    let schema = ds_schema();
    let page = measure_op(&schema, Operation::GetDossiers, 100).complexity;
    assert!(
        page * 2 > DS_MAX_COMPLEXITY,
        "getDossiers at first = 100 costs {page}: two pages would fit under {DS_MAX_COMPLEXITY}"
    );
    let small = measure_op(&schema, Operation::GetDossiers, 10).complexity;
    assert!(small * 9 < page, "a page of 10 ({small}) vs 100 ({page})");
}
