//! What graphql-ruby sends when a query outlives DS's 30 s: HTTP 200, a
//! `timeout` error, and whatever data was resolved in time (the field that
//! ran out of time is null), or `data: null`. The client must never take
//! such partial data for a complete answer; the fake makes both shapes.

use serde_json::{json, Value};

/// What a timed-out answer keeps of the data (graphql-ruby nulls the field
/// that ran out of time and keeps the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kept {
    /// Already partial: a resolver nulled what timed out.
    AsIs,
    /// Every connection's nodes nulled, or `data: null` when there is none.
    Connections,
    /// Connections' nodes nulled, else one field under the root nulled.
    Partial,
    /// `data: null`.
    Nothing,
}

/// Turn a normal answer into a timed-out one: partial data plus a `timeout`
/// error, as graphql-ruby sends when a query outlives DS's 30 s.
pub(crate) fn apply_timeout(out: &mut Value, kept: Kept) {
    let root = out["data"]
        .as_object()
        .and_then(|d| d.keys().next().cloned())
        .unwrap_or_else(|| "demarche".into());
    let data = &mut out["data"];
    let keep = match kept {
        Kept::AsIs => true,
        Kept::Connections => null_nodes(data),
        Kept::Partial => null_nodes(data) || null_one_field(data),
        Kept::Nothing => false,
    };
    if !keep {
        *data = Value::Null;
    }
    let error =
        json!({"message": format!("Timeout on Query.{root}"), "extensions": {"code": "timeout"}});
    match out.get_mut("errors").and_then(Value::as_array_mut) {
        Some(errors) => errors.push(error),
        None => out["errors"] = json!([error]),
    }
}

/// Null the last object or list field of the root object (`demarche.revisions`,
/// `dossier.champs`...): what timed out. False when there is none.
fn null_one_field(data: &mut Value) -> bool {
    let Some(root) = data
        .as_object_mut()
        .and_then(|d| d.values_mut().next())
        .and_then(Value::as_object_mut)
    else {
        return false;
    };
    let Some(field) = root
        .iter_mut()
        .rev()
        .find(|(_, v)| v.is_object() || v.is_array())
        .map(|(_, v)| v)
    else {
        return false;
    };
    *field = Value::Null;
    true
}

fn null_nodes(v: &mut Value) -> bool {
    match v {
        Value::Object(map) => {
            let mut hit = false;
            for (k, child) in map.iter_mut() {
                if (k == "nodes" || k == "edges") && child.is_array() {
                    *child = Value::Null;
                    hit = true;
                } else {
                    hit |= null_nodes(child);
                }
            }
            hit
        }
        Value::Array(items) => items.iter_mut().fold(false, |acc, c| null_nodes(c) | acc),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn request_timeout_nulls_nodes_or_data() {
        let mut out = json!({"data": {"demarche": {"dossiers": {"nodes": [1], "pageInfo": {}}}}});
        apply_timeout(&mut out, Kept::Connections);
        assert_eq!(out["data"]["demarche"]["dossiers"]["nodes"], Value::Null);
        assert_eq!(out["errors"][0]["extensions"]["code"], "timeout");
        let mut single = json!({"data": {"dossier": {"number": 1}}});
        apply_timeout(&mut single, Kept::Connections);
        assert_eq!(single["data"], Value::Null);
        assert_eq!(single["errors"][0]["message"], "Timeout on Query.dossier");
    }

    #[test]
    fn an_operation_timeout_keeps_partial_data_or_none() {
        let answer = json!({"data": {"demarche": {"number": 1, "service": {"nom": "s"}, "revisions": [{"id": "r"}]}}});
        let mut partial = answer.clone();
        apply_timeout(&mut partial, Kept::Partial);
        assert_eq!(partial["data"]["demarche"]["number"], 1);
        assert_eq!(partial["data"]["demarche"]["service"]["nom"], "s");
        assert_eq!(partial["data"]["demarche"]["revisions"], Value::Null);
        assert_eq!(partial["errors"][0]["extensions"]["code"], "timeout");
        let mut nothing = answer;
        apply_timeout(&mut nothing, Kept::Nothing);
        assert_eq!(nothing["data"], Value::Null);
        assert_eq!(nothing["errors"][0]["extensions"]["code"], "timeout");
    }
}
