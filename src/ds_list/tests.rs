//! Page sizes under DS's timeouts and the strict reading of pages.

use super::*;
use crate::model::ds::DeletedNode;

#[test]
fn empty_page_keeps_no_cursor_and_null_nodes_fail() {
    let data = json!({"demarche": {"dossiers": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []}}});
    let op = Operation::GetDossiers;
    let page = parse_page(&data, op, "dossiers").unwrap();
    assert!(page.end_cursor.is_none() && !page.has_next && page.nodes.is_empty());
    let data = json!({"demarche": {"dossiers": {"pageInfo": {"hasNextPage": true, "endCursor": "x"}, "nodes": [null]}}});
    assert!(parse_page(&data, op, "dossiers").is_err());
}

#[test]
fn a_page_that_would_end_or_shrink_the_listing_silently_is_refused() {
    let page = |info: Value, nodes: Value| json!({"demarche": {"dossiers": {"pageInfo": info, "nodes": nodes}}});
    // No `hasNextPage`: the listing does not end, the page fails.
    let e = parse_page(
        &page(json!({"endCursor": "x"}), json!([])),
        Operation::GetDossiers,
        "dossiers",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("demarche.dossiers.pageInfo")
            && e.to_string().contains("hasNextPage"),
        "{e}"
    );
    // A dossier without number: the page fails, naming the node.
    let info = json!({"hasNextPage": true, "endCursor": "x"});
    let nodes = json!([{"number": 1}, {"id": "RG9zc2llci0y", "state": "accepte"}]);
    let e = parse_page(
        &page(info.clone(), nodes),
        Operation::GetDossiers,
        "dossiers",
    )
    .unwrap_err();
    assert!(
        e.to_string().contains("demarche.dossiers.nodes[1]") && e.to_string().contains("number"),
        "{e}"
    );
    let p = parse_page(
        &page(info, json!([{"number": 1}, {"number": 2}])),
        Operation::GetDossiers,
        "dossiers",
    )
    .unwrap();
    let numbers: Vec<u64> = p.nodes.iter().map(|l| l.number).collect();
    assert_eq!((numbers, p.has_next), (vec![1, 2], true));
    // A deleted dossier without its date is refused too.
    let data = json!({"demarche": {"deletedDossiers": {
        "pageInfo": {"hasNextPage": false, "endCursor": null},
        "nodes": [{"number": 3, "reason": "expired"}]}}});
    let page = parse_page(&data, Operation::GetDeletedDossiers, "deletedDossiers").unwrap();
    let e = ds::parse::<DeletedNode>(&page.nodes[0].node, "n").unwrap_err();
    assert!(e.message.contains("dateSupression"), "{e}");
}

#[test]
fn page_size_is_capped() {
    let p = Pager::new(Listing::default(), None, 500);
    assert_eq!(p.size.size, 100);
}

#[test]
fn timeouts_halve_the_page_then_give_up_after_the_tries_at_one() {
    let policy = RetryPolicy::with_base_delay(4, Duration::ZERO);
    let op = Operation::GetDossiers;
    let mut size = PageSize::new(8);
    for expected in [4, 2, 1] {
        assert!(size.timed_out(op, &policy).is_ok());
        assert_eq!(size.size, expected);
    }
    // The fourth timeout in a row, on a page of one: tries used up.
    let err = size.timed_out(op, &policy).unwrap_err();
    assert!(
        matches!(
            err,
            ApiError::Timeout {
                operation: "getDossiers",
                attempts: 4
            }
        ),
        "{err}"
    );

    // A page that comes back starts the count again.
    let mut size = PageSize::new(2);
    assert!(size.timed_out(op, &policy).is_ok());
    size.answered();
    for _ in 0..3 {
        assert!(
            size.timed_out(op, &policy).is_ok(),
            "{} in a row",
            size.timeouts
        );
    }
    assert!(size.timed_out(op, &policy).is_err());
}
