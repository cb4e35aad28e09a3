//! `Demarche.dossiers`, `pendingDeletedDossiers` and `deletedDossiers`: filter
//! the stored rows by the arguments, then page them with
//! [`crate::fake::pagination`].
//!
//! Without `updatedSince`, dossiers are ordered by (dateDepot, number); with
//! it, only dossiers modified at or after it are listed, ordered by
//! (dateDerniereModification, number). Deleted lists are ordered by
//! (dateSupression, number) and filtered by `deletedSince`.
//!
//! `GroupeInstructeurWithDossiers` has the same three connections, over the
//! dossiers whose `groupeInstructeur.number` is the groupe's (a deleted
//! dossier keeps its last groupe in the unserved `__groupe`).

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::{JsonMap, JsonValue};
use serde_json::{json, Value};

use super::{Ctx, Obj};
use crate::fake::clock;
use crate::fake::pagination::{page_size, paginate, Cursor, Page};

fn bad_request(message: impl Into<String>) -> FieldError {
    FieldError {
        message: message.into(),
    }
}

fn date_arg(args: &JsonMap, name: &str) -> Result<Option<i128>, FieldError> {
    match args.get(name).and_then(JsonValue::as_str) {
        None => Ok(None),
        Some(s) => clock::parse_instant(s)
            .map(Some)
            .ok_or_else(|| bad_request(format!("Argument '{name}' has an invalid date: {s}"))),
    }
}

/// `Query.groupeInstructeur(number)`: one of the démarche's groupes.
pub(super) fn groupe<'b>(ctx: &'b Ctx<'b>, number: Option<u64>) -> Option<ResolvedValue<'b>> {
    let found = ctx
        .data
        .demarche
        .get("groupeInstructeurs")?
        .as_array()?
        .iter()
        .find(|g| number.is_some() && g.get("number").and_then(Value::as_u64) == number)?;
    Some(ResolvedValue::object(Obj::borrowed(
        ctx,
        "GroupeInstructeurWithDossiers",
        found,
    )))
}

/// Resolve one of the three connections of `Demarche`, or of one groupe
/// instructeur's.
pub(super) fn resolve<'b>(
    ctx: &'b Ctx<'b>,
    field: &str,
    args: &'b JsonMap,
    groupe: Option<u64>,
) -> Result<ResolvedValue<'b>, FieldError> {
    if args.get("last").is_some_and(|v| !v.is_null())
        || args.get("before").is_some_and(|v| !v.is_null())
    {
        return Err(bad_request(
            "the fake DS API does not support `last` and `before`",
        ));
    }
    if args.get("order").and_then(JsonValue::as_str) == Some("DESC") {
        return Err(bad_request(
            "the fake DS API does not support `order: DESC`",
        ));
    }
    let first = page_size(args.get("first").and_then(JsonValue::as_i64)).map_err(bad_request)?;
    let after = match args.get("after").and_then(JsonValue::as_str) {
        None => None,
        Some(text) => Some(Cursor::decode(text).ok_or_else(|| bad_request("Invalid cursor"))?),
    };
    let (rows, node_ty) = if field == "dossiers" {
        (dossier_rows(ctx, args, groupe)?, "Dossier")
    } else {
        let list = if field == "deletedDossiers" {
            &ctx.data.deleted
        } else {
            &ctx.data.pending_deleted
        };
        (
            deleted_rows(list, date_arg(args, "deletedSince")?, groupe),
            "DeletedDossier",
        )
    };
    let page = paginate(rows, first, after);
    let timed_out = node_ty == "Dossier"
        && ctx
            .faults
            .take_page_timeout(u32::try_from(first).unwrap_or(u32::MAX));
    if timed_out {
        ctx.timed_out.set(true);
    }
    Ok(ResolvedValue::object(Connection {
        ctx,
        node_ty,
        page,
        timed_out,
    }))
}

fn dossier_rows<'b>(
    ctx: &'b Ctx<'b>,
    args: &JsonMap,
    groupe: Option<u64>,
) -> Result<Vec<(Cursor, &'b Value)>, FieldError> {
    let updated_since = date_arg(args, "updatedSince")?;
    // DS ignores createdSince when updatedSince is given.
    let created_since = if updated_since.is_some() {
        None
    } else {
        date_arg(args, "createdSince")?
    };
    let state = args.get("state").and_then(JsonValue::as_str);
    let archived = args.get("archived").and_then(JsonValue::as_bool);
    let revision = args.get("revision").and_then(JsonValue::as_str);
    let mut rows = Vec::new();
    for (number, dossier) in &ctx.data.dossiers {
        let Some(keys) = ctx.data.keys.get(number) else {
            continue;
        };
        let keep = state.is_none_or(|s| dossier.get("state").and_then(Value::as_str) == Some(s))
            && archived.is_none_or(|a| dossier.get("archived").and_then(Value::as_bool) == Some(a))
            && revision
                .is_none_or(|r| dossier.pointer("/revision/id").and_then(Value::as_str) == Some(r))
            && created_since.is_none_or(|t| keys.depose >= t)
            && updated_since.is_none_or(|t| keys.updated >= t)
            && in_groupe(dossier.pointer("/groupeInstructeur/number"), groupe);
        if keep {
            let key = if updated_since.is_some() {
                keys.updated
            } else {
                keys.depose
            };
            rows.push((
                Cursor {
                    key,
                    number: *number,
                },
                dossier,
            ));
        }
    }
    Ok(rows)
}

/// Whether a row of groupe `stored` belongs to the listing of `groupe`.
fn in_groupe(stored: Option<&Value>, groupe: Option<u64>) -> bool {
    groupe.is_none_or(|g| stored.and_then(Value::as_u64) == Some(g))
}

fn deleted_rows(list: &[Value], since: Option<i128>, groupe: Option<u64>) -> Vec<(Cursor, &Value)> {
    list.iter()
        .filter(|d| in_groupe(d.get("__groupe"), groupe))
        .filter_map(|d| {
            let key = d
                .get("dateSupression")
                .and_then(Value::as_str)
                .and_then(clock::parse_instant)?;
            let number = d.get("number").and_then(Value::as_u64)?;
            since
                .is_none_or(|s| key >= s)
                .then_some((Cursor { key, number }, d))
        })
        .collect()
}

/// A `DossierConnection` or `DeletedDossierConnection` page.
struct Connection<'a> {
    ctx: &'a Ctx<'a>,
    node_ty: &'static str,
    page: Page<&'a Value>,
    timed_out: bool,
}

impl ObjectValue for Connection<'_> {
    fn type_name(&self) -> &str {
        if self.node_ty == "Dossier" {
            "DossierConnection"
        } else {
            "DeletedDossierConnection"
        }
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let ctx = self.ctx;
        match info.field_name() {
            "pageInfo" => Ok(ResolvedValue::object(Obj::synthetic(
                ctx,
                "PageInfo",
                json!({
                    "hasNextPage": self.page.has_next,
                    "hasPreviousPage": self.page.has_previous,
                    "startCursor": self.page.start_cursor(),
                    "endCursor": self.page.end_cursor(),
                }),
            ))),
            // A timed-out page keeps its pageInfo but loses its nodes, like a
            // graphql-ruby timeout that nulls the fields it did not reach.
            "nodes" | "edges" if self.timed_out => Ok(ResolvedValue::null()),
            "nodes" => Ok(ResolvedValue::list(self.page.rows.iter().map(
                |(node, _)| ResolvedValue::object(Obj::borrowed(ctx, self.node_ty, node)),
            ))),
            "edges" => Ok(ResolvedValue::list(self.page.rows.iter().map(
                |(node, cursor)| {
                    ResolvedValue::object(Edge {
                        ctx,
                        node_ty: self.node_ty,
                        node,
                        cursor,
                    })
                },
            ))),
            _ => Err(self.unknown_field_error(info)),
        }
    }
}

struct Edge<'a> {
    ctx: &'a Ctx<'a>,
    node_ty: &'static str,
    node: &'a Value,
    cursor: &'a str,
}

impl ObjectValue for Edge<'_> {
    fn type_name(&self) -> &str {
        if self.node_ty == "Dossier" {
            "DossierEdge"
        } else {
            "DeletedDossierEdge"
        }
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        match info.field_name() {
            "cursor" => Ok(ResolvedValue::leaf(self.cursor)),
            "node" => Ok(ResolvedValue::object(Obj::borrowed(
                self.ctx,
                self.node_ty,
                self.node,
            ))),
            _ => Err(self.unknown_field_error(info)),
        }
    }
}
