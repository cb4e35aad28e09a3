//! Listing a démarche: its header, pages of dossiers, single dossiers and the
//! deleted ones.
//!
//! Pages follow DS's cursor protocol: `first` ≤ 100 (DS caps it), loop on
//! `endCursor` while `hasNextPage`, keep the previous cursor when a page is
//! empty. A page that times out at DS is asked again with half the size (the
//! cursor stays valid whatever the size); the size grows back after a run of
//! good pages. Nothing here decides what to archive: that is the pipeline's.
//!
//! Pages are read strictly ([`crate::model::ds`]): a page without
//! `hasNextPage`, or with a dossier without `number`, is an error naming the
//! culprit, never a shorter listing.

use serde_json::{json, Value};

use crate::api::{ApiClient, ApiError, Operation};
use crate::model::ds::{self, Connection, DeletedNode, ListedNode};
use crate::model::DossierState;

/// DS's maximum page size.
pub const MAX_PAGE: u32 = 100;

/// The listing arguments (fixed for the whole listing: cursors are only
/// valid for the same arguments).
#[derive(Debug, Clone, Default)]
pub struct Listing {
    /// Démarche number.
    pub demarche: u64,
    /// Only this state.
    pub state: Option<DossierState>,
    /// Only dossiers modified since (RFC 3339).
    pub updated_since: Option<String>,
}

impl Listing {
    /// A key naming this listing in the journal.
    #[must_use]
    pub fn key(&self) -> String {
        format!(
            "{}|{}",
            self.state.map_or("all", DossierState::api_name),
            self.updated_since.as_deref().unwrap_or("-")
        )
    }
}

/// One page of dossiers.
#[derive(Debug)]
pub struct Page {
    /// The dossier nodes, as returned, with their numbers.
    pub nodes: Vec<Listed>,
    /// More after this page.
    pub has_next: bool,
    /// Cursor of the last node (None on an empty page).
    pub end_cursor: Option<String>,
}

/// A dossier of a page.
#[derive(Debug, Clone)]
pub struct Listed {
    /// `Dossier.number`.
    pub number: u64,
    /// The node, as returned.
    pub node: Value,
}

/// Walks a listing page by page, adapting the page size to DS's timeouts.
#[derive(Debug)]
pub struct Pager {
    listing: Listing,
    after: Option<String>,
    size: u32,
    max_size: u32,
    good_pages: u32,
    done: bool,
}

impl Pager {
    /// Start a listing after `cursor` (None: from the start).
    #[must_use]
    pub fn new(listing: Listing, cursor: Option<String>, page_size: u32) -> Self {
        let max_size = page_size.clamp(1, MAX_PAGE);
        Self {
            listing,
            after: cursor,
            size: max_size,
            max_size,
            good_pages: 0,
            done: false,
        }
    }

    /// The cursor to resume after the last page returned.
    #[must_use]
    pub fn cursor(&self) -> Option<&str> {
        self.after.as_deref()
    }

    /// The next page, or None at the end.
    ///
    /// # Errors
    /// Failures that retries (and smaller pages) did not fix.
    pub async fn next(&mut self, client: &ApiClient) -> Result<Option<Page>, ApiError> {
        if self.done {
            return Ok(None);
        }
        loop {
            let vars = json!({
                "demarcheNumber": self.listing.demarche,
                "first": self.size,
                "after": self.after,
                "state": self.listing.state.map(DossierState::api_name),
                "updatedSince": self.listing.updated_since,
            });
            match client.query(Operation::GetDossiers, vars).await {
                Ok(data) => {
                    let page = parse_page(&data, "dossiers")?;
                    if let Some(c) = &page.end_cursor {
                        self.after = Some(c.clone());
                    }
                    self.done = !page.has_next;
                    self.good_pages += 1;
                    if self.good_pages >= 5 && self.size < self.max_size {
                        self.size = (self.size * 2).min(self.max_size);
                        self.good_pages = 0;
                    }
                    return Ok(Some(page));
                }
                Err(ApiError::Timeout { .. }) if self.size > 1 => {
                    self.size = (self.size / 2).max(1);
                    self.good_pages = 0;
                    tracing::warn!(
                        page_size = self.size,
                        "DS timed out on a page of dossiers: asking again with a smaller page"
                    );
                }
                Err(e) => return Err(e),
            }
        }
    }
}

fn parse_page(data: &Value, connection: &str) -> Result<Page, ApiError> {
    let operation = if connection == "dossiers" {
        "getDossiers"
    } else {
        "getDeletedDossiers"
    };
    let invalid = |e: ds::ParseError| ApiError::Fatal {
        operation,
        message: e.to_string(),
    };
    let at = format!("demarche.{connection}");
    let conn = data
        .get("demarche")
        .and_then(|d| d.get(connection))
        .ok_or_else(|| ApiError::Fatal {
            operation,
            message: format!("response without {at}"),
        })?;
    let conn: Connection = ds::parse(conn, &at).map_err(invalid)?;
    let mut nodes = Vec::with_capacity(conn.nodes.len());
    for (i, node) in conn.nodes.into_iter().enumerate() {
        if node.is_null() {
            // A null node without an error means DS could not load a dossier;
            // never treat the page as complete without it.
            return Err(ApiError::Fatal {
                operation,
                message: format!("DS returned a null dossier at `{at}.nodes[{i}]`"),
            });
        }
        let listed: ListedNode = ds::parse(&node, &format!("{at}.nodes[{i}]")).map_err(invalid)?;
        nodes.push(Listed {
            number: listed.number,
            node,
        });
    }
    Ok(Page {
        nodes,
        has_next: conn.page_info.has_next_page,
        end_cursor: conn.page_info.end_cursor,
    })
}

/// The démarche header (title, service, groupes, revisions).
///
/// # Errors
/// [`ApiError::NotFound`] for an unknown or hidden démarche.
pub async fn demarche(client: &ApiClient, number: u64) -> Result<Value, ApiError> {
    let data = client
        .query(Operation::GetDemarche, json!({ "demarcheNumber": number }))
        .await?;
    match data.get("demarche") {
        Some(d) if d.is_object() => Ok(d.clone()),
        _ => Err(ApiError::NotFound {
            message: format!("Demarche {number} not found"),
        }),
    }
}

/// One dossier by number (fresh file URLs).
///
/// # Errors
/// As [`ApiClient::query`].
pub async fn dossier(client: &ApiClient, number: u64) -> Result<Value, ApiError> {
    let data = client
        .query(Operation::GetDossier, json!({ "dossierNumber": number }))
        .await?;
    match data.get("dossier") {
        Some(d) if d.is_object() => Ok(d.clone()),
        _ => Err(ApiError::NotFound {
            message: format!("Dossier {number} not found"),
        }),
    }
}

/// A dossier DS lists as deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedDossier {
    /// Dossier number.
    pub number: u64,
    /// DS's reason.
    pub reason: String,
    /// DS's `dateSupression`.
    pub date: String,
    /// In DS's trash (restorable) rather than purged.
    pub pending: bool,
}

/// Every deleted and pending-deleted dossier of the démarche (deleted since
/// `since`, when given), both lists paged together.
///
/// # Errors
/// As [`ApiClient::query`].
pub async fn deleted(
    client: &ApiClient,
    demarche: u64,
    since: Option<&str>,
) -> Result<Vec<DeletedDossier>, ApiError> {
    let mut out = Vec::new();
    let lists = [
        ("pendingDeletedDossiers", "pendingAfter", true),
        ("deletedDossiers", "deletedAfter", false),
    ];
    let mut cursors: [Option<String>; 2] = [None, None];
    let mut more = [true, true];
    while more.iter().any(|m| *m) {
        let mut vars =
            json!({"demarcheNumber": demarche, "first": MAX_PAGE, "deletedSince": since});
        for (i, (_, var, _)) in lists.iter().enumerate() {
            vars[*var] = json!(cursors[i]);
        }
        let data = client.query(Operation::GetDeletedDossiers, vars).await?;
        for (i, (connection, _, pending)) in lists.iter().enumerate() {
            if !more[i] {
                continue;
            }
            let page = parse_page(&data, connection)?;
            for (i, listed) in page.nodes.iter().enumerate() {
                let at = format!("demarche.{connection}.nodes[{i}]");
                let node: DeletedNode =
                    ds::parse(&listed.node, &at).map_err(|e| ApiError::Fatal {
                        operation: "getDeletedDossiers",
                        message: e.to_string(),
                    })?;
                out.push(DeletedDossier {
                    number: node.number,
                    reason: node.reason,
                    date: node.date_supression,
                    pending: *pending,
                });
            }
            if let Some(c) = page.end_cursor {
                cursors[i] = Some(c);
            }
            more[i] = page.has_next;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_page_keeps_no_cursor_and_null_nodes_fail() {
        let data = json!({"demarche": {"dossiers": {"pageInfo": {"hasNextPage": false, "endCursor": null}, "nodes": []}}});
        let page = parse_page(&data, "dossiers").unwrap();
        assert!(page.end_cursor.is_none() && !page.has_next && page.nodes.is_empty());
        let data = json!({"demarche": {"dossiers": {"pageInfo": {"hasNextPage": true, "endCursor": "x"}, "nodes": [null]}}});
        assert!(parse_page(&data, "dossiers").is_err());
    }

    #[test]
    fn a_page_that_would_end_or_shrink_the_listing_silently_is_refused() {
        let page = |info: Value, nodes: Value| json!({"demarche": {"dossiers": {"pageInfo": info, "nodes": nodes}}});
        // No `hasNextPage`: the listing does not end, the page fails.
        let e = parse_page(&page(json!({"endCursor": "x"}), json!([])), "dossiers").unwrap_err();
        assert!(
            e.to_string().contains("demarche.dossiers.pageInfo")
                && e.to_string().contains("hasNextPage"),
            "{e}"
        );
        // A dossier without number: the page fails, naming the node.
        let info = json!({"hasNextPage": true, "endCursor": "x"});
        let nodes = json!([{"number": 1}, {"id": "RG9zc2llci0y", "state": "accepte"}]);
        let e = parse_page(&page(info.clone(), nodes), "dossiers").unwrap_err();
        assert!(
            e.to_string().contains("demarche.dossiers.nodes[1]")
                && e.to_string().contains("number"),
            "{e}"
        );
        let p = parse_page(
            &page(info, json!([{"number": 1}, {"number": 2}])),
            "dossiers",
        )
        .unwrap();
        let numbers: Vec<u64> = p.nodes.iter().map(|l| l.number).collect();
        assert_eq!((numbers, p.has_next), (vec![1, 2], true));
        // A deleted dossier without its date is refused too.
        let data = json!({"demarche": {"deletedDossiers": {
            "pageInfo": {"hasNextPage": false, "endCursor": null},
            "nodes": [{"number": 3, "reason": "expired"}]}}});
        let page = parse_page(&data, "deletedDossiers").unwrap();
        let e = ds::parse::<DeletedNode>(&page.nodes[0].node, "n").unwrap_err();
        assert!(e.message.contains("dateSupression"), "{e}");
    }

    #[test]
    fn page_size_is_capped() {
        let p = Pager::new(Listing::default(), None, 500);
        assert_eq!(p.size, 100);
    }
}
