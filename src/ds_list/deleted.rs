//! The dossiers DS lists as deleted: purged ones (`deletedDossiers`) and
//! those in its trash, still restorable (`pendingDeletedDossiers`), for the
//! whole démarche or one groupe instructeur. The archive keeps their bundles
//! and records the deletion; this module only lists them.

use serde_json::json;

use super::{merge, parse_page, root, smaller_page, PageSize, MAX_PAGE};
use crate::api::{ApiClient, ApiError, Operation};
use crate::model::ds::{self, DeletedNode};

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

/// Every deleted and pending-deleted dossier of the démarche, or of one of
/// its groupes (deleted since `since`, when given), both lists paged
/// together, the page halved when DS times out (DS sorts the trash on an
/// unindexed expression: it is slow).
///
/// # Errors
/// As [`ApiClient::query`].
pub async fn deleted(
    client: &ApiClient,
    demarche: u64,
    groupe: Option<u64>,
    since: Option<&str>,
) -> Result<Vec<DeletedDossier>, ApiError> {
    let mut out = Vec::new();
    let lists = [
        ("pendingDeletedDossiers", "pendingAfter", true),
        ("deletedDossiers", "deletedAfter", false),
    ];
    let mut cursors: [Option<String>; 2] = [None, None];
    let mut more = [true, true];
    let mut size = PageSize::new(MAX_PAGE);
    let (op, scope) = match groupe {
        Some(g) => (
            Operation::GetGroupeDeletedDossiers,
            json!({ "groupeNumber": g }),
        ),
        None => (
            Operation::GetDeletedDossiers,
            json!({ "demarcheNumber": demarche }),
        ),
    };
    while more.iter().any(|m| *m) {
        let mut vars = json!({"first": size.size, "deletedSince": since});
        merge(&mut vars, &scope);
        for (i, (_, var, _)) in lists.iter().enumerate() {
            vars[*var] = json!(cursors[i]);
        }
        let data = match client.query_page(op, vars).await {
            Ok(data) => data,
            Err(ApiError::Timeout { .. }) => {
                smaller_page(client, &mut size, op).await?;
                continue;
            }
            Err(e) => return Err(e),
        };
        size.answered();
        for (i, (connection, _, pending)) in lists.iter().enumerate() {
            if !more[i] {
                continue;
            }
            let page = parse_page(&data, op, connection)?;
            for (i, listed) in page.nodes.iter().enumerate() {
                let at = format!("{}.{connection}.nodes[{i}]", root(op));
                let node: DeletedNode =
                    ds::parse(&listed.node, &at).map_err(|e| ApiError::Malformed {
                        operation: op.name(),
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
