//! Listing a démarche: its header, pages of dossiers, single dossiers and the
//! deleted ones.
//!
//! Pages follow DS's cursor protocol: `first` ≤ 100 (DS caps it), loop on
//! `endCursor` while `hasNextPage`, keep the previous cursor when a page is
//! empty. A page that times out at DS is asked again, after the same backoff
//! as a 5xx, with half the size (the cursor stays valid whatever the size);
//! the size grows back after a run of good pages. Nothing here decides what
//! to archive: that is the pipeline's.
//!
//! Pages are read strictly ([`crate::model::ds`]): a page without
//! `hasNextPage`, or with a dossier without `number`, is an error naming the
//! culprit, never a shorter listing.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::{json, Value};

use crate::api::{ApiClient, ApiError, Operation, RetryPolicy};
use crate::model::ds::{self, Connection, ListedNode};
use crate::model::DossierState;

mod deleted;

pub use deleted::{deleted, DeletedDossier};

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
    /// Only this groupe instructeur's dossiers (`groupeInstructeur(number)`).
    pub groupe: Option<u64>,
}

impl Listing {
    /// A key naming this listing in the journal.
    #[must_use]
    pub fn key(&self) -> String {
        let key = format!(
            "{}|{}",
            self.state.map_or("all", DossierState::api_name),
            self.updated_since.as_deref().unwrap_or("-")
        );
        match self.groupe {
            // A groupe's cursors are not the démarche's.
            Some(g) => format!("groupe-{g}|{key}"),
            None => key,
        }
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

/// The page size of a listing: halved when DS times out, grown back after
/// a run of good pages; and how many timeouts came in a row.
#[derive(Debug)]
struct PageSize {
    size: u32,
    max: u32,
    good_pages: u32,
    timeouts: u32,
}

impl PageSize {
    fn new(size: u32) -> Self {
        let max = size.clamp(1, MAX_PAGE);
        Self {
            size: max,
            max,
            good_pages: 0,
            timeouts: 0,
        }
    }

    /// A page came back.
    fn answered(&mut self) {
        self.timeouts = 0;
        self.good_pages += 1;
        if self.good_pages >= 5 && self.size < self.max {
            self.size = (self.size * 2).min(self.max);
            self.good_pages = 0;
        }
    }

    /// DS timed out on a page: how long to wait before asking a smaller one,
    /// or the error once the page is down to one item and the tries of
    /// `policy` are used up (timeouts in a row, the halvings included).
    fn timed_out(&mut self, op: Operation, policy: &RetryPolicy) -> Result<Duration, ApiError> {
        self.timeouts += 1;
        self.good_pages = 0;
        if self.size == 1 && self.timeouts >= policy.max_attempts {
            return Err(ApiError::Timeout {
                operation: op.name(),
                attempts: self.timeouts,
            });
        }
        self.size = (self.size / 2).max(1);
        let delay = policy.backoff(self.timeouts);
        tracing::warn!(
            operation = op.name(),
            page_size = self.size,
            timeouts = self.timeouts,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "DS timed out on a page (or found it over its complexity cap): asking again with a smaller page"
        );
        Ok(delay)
    }
}

/// After DS timed out on a page: wait the backoff before asking a smaller
/// one (a retry in the run's counts), or fail when the tries are used up.
async fn smaller_page(
    client: &ApiClient,
    size: &mut PageSize,
    op: Operation,
) -> Result<(), ApiError> {
    let delay = size.timed_out(op, client.retry_policy())?;
    client.stats().retries.fetch_add(1, Ordering::Relaxed);
    tokio::time::sleep(delay).await;
    Ok(())
}

/// Walks a listing page by page, adapting the page size to DS's timeouts.
#[derive(Debug)]
pub struct Pager {
    listing: Listing,
    after: Option<String>,
    size: PageSize,
    done: bool,
}

impl Pager {
    /// Start a listing after `cursor` (None: from the start).
    #[must_use]
    pub fn new(listing: Listing, cursor: Option<String>, page_size: u32) -> Self {
        Self {
            listing,
            after: cursor,
            size: PageSize::new(page_size),
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
        let (op, scope) = match self.listing.groupe {
            Some(g) => (Operation::GetGroupeDossiers, json!({ "groupeNumber": g })),
            None => (
                Operation::GetDossiers,
                json!({ "demarcheNumber": self.listing.demarche }),
            ),
        };
        loop {
            let mut vars = json!({
                "first": self.size.size,
                "after": self.after,
                "state": self.listing.state.map(DossierState::api_name),
                "updatedSince": self.listing.updated_since,
            });
            merge(&mut vars, &scope);
            match client.query_page(op, vars).await {
                Ok(data) => {
                    let page = parse_page(&data, op, "dossiers")?;
                    if let Some(c) = &page.end_cursor {
                        self.after = Some(c.clone());
                    }
                    self.done = !page.has_next;
                    self.size.answered();
                    return Ok(Some(page));
                }
                Err(ApiError::Timeout { .. }) => {
                    smaller_page(client, &mut self.size, op).await?;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Add the fields of `extra` (an object) to `vars`.
fn merge(vars: &mut Value, extra: &Value) {
    if let (Some(vars), Some(extra)) = (vars.as_object_mut(), extra.as_object()) {
        vars.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
}

/// The root field an operation's connections hang from.
fn root(op: Operation) -> &'static str {
    match op {
        Operation::GetGroupeDossiers | Operation::GetGroupeDeletedDossiers => "groupeInstructeur",
        _ => "demarche",
    }
}

fn parse_page(data: &Value, op: Operation, connection: &str) -> Result<Page, ApiError> {
    let operation = op.name();
    let invalid = |e: ds::ParseError| ApiError::Malformed {
        operation,
        message: e.to_string(),
    };
    let root = root(op);
    let at = format!("{root}.{connection}");
    let conn = data
        .get(root)
        .and_then(|d| d.get(connection))
        .ok_or_else(|| ApiError::Malformed {
            operation,
            message: format!("response without {at}"),
        })?;
    let conn: Connection = ds::parse(conn, &at).map_err(invalid)?;
    let mut nodes = Vec::with_capacity(conn.nodes.len());
    for (i, node) in conn.nodes.into_iter().enumerate() {
        if node.is_null() {
            // A null node without an error means DS could not load a dossier;
            // never treat the page as complete without it.
            return Err(ApiError::Malformed {
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

/// The démarche header (title, service, groupes, labels, revisions) and its
/// descriptor (notice, délibération, logo, legal metadata; `Null` when DS
/// gives none).
///
/// # Errors
/// [`ApiError::NotFound`] for an unknown or hidden démarche.
pub async fn demarche(client: &ApiClient, number: u64) -> Result<(Value, Value), ApiError> {
    let data = client
        .query(Operation::GetDemarche, json!({ "demarcheNumber": number }))
        .await?;
    match data.get("demarche") {
        Some(d) if d.is_object() => Ok((
            d.clone(),
            data.get("descriptor").cloned().unwrap_or(Value::Null),
        )),
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
