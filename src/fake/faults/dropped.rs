//! Fields dropped from answers: what a query that stops selecting a field, a
//! DS change or a rewriting proxy would send. The schema says these fields
//! are never missing; the client must still not take their absence for
//! "nothing there", and the tests need a fake that can serve it.

use serde_json::Value;

use super::Faults;

/// A field removed from GraphQL answers.
#[derive(Debug, Clone)]
pub(super) struct DroppedField {
    /// Only inside this dossier (`None`: everywhere).
    dossier: Option<u64>,
    /// The objects it is removed from: their `__typename`, or the key they
    /// sit under (`pageInfo`, which our queries select without a type name).
    on: String,
    field: String,
}

impl Faults {
    /// Remove `field` from every `on` object of every GraphQL answer until
    /// [`Faults::clear`]: `on` is a `__typename` (`File`, `Dossier`) or the
    /// key the objects sit under (`pageInfo`).
    pub fn drop_field(&self, on: &str, field: &str) {
        self.push_dropped(None, on, field);
    }

    /// Like [`Faults::drop_field`], only inside dossier `number`.
    pub fn drop_field_in_dossier(&self, number: u64, on: &str, field: &str) {
        self.push_dropped(Some(number), on, field);
    }

    fn push_dropped(&self, dossier: Option<u64>, on: &str, field: &str) {
        self.with(|s| {
            s.dropped_fields.push(DroppedField {
                dossier,
                on: on.to_owned(),
                field: field.to_owned(),
            });
        });
    }

    /// Apply the dropped fields to an answer's `data`.
    pub(crate) fn drop_fields(&self, data: &mut Value) {
        let dropped = self.with(|s| s.dropped_fields.clone());
        if !dropped.is_empty() {
            strip(data, "", None, &dropped);
        }
    }
}

fn strip(v: &mut Value, key: &str, dossier: Option<u64>, dropped: &[DroppedField]) {
    match v {
        Value::Object(map) => {
            let typename = map
                .get("__typename")
                .and_then(Value::as_str)
                .map(str::to_owned);
            let dossier = match typename.as_deref() {
                Some("Dossier") => map.get("number").and_then(Value::as_u64).or(dossier),
                _ => dossier,
            };
            for d in dropped {
                let here = typename.as_deref() == Some(d.on.as_str()) || key == d.on;
                if here && d.dossier.is_none_or(|n| Some(n) == dossier) {
                    map.remove(&d.field);
                }
            }
            for (k, child) in map.iter_mut() {
                strip(child, k, dossier, dropped);
            }
        }
        Value::Array(items) => {
            for item in items {
                strip(item, key, dossier, dropped);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropped_fields_go_by_type_or_key_and_dossier() {
        let f = Faults::new(400, 3600);
        let file = || serde_json::json!({"__typename": "File", "filename": "a", "checksum": "c"});
        let mut data = serde_json::json!({"demarche": {"dossiers": {
            "pageInfo": {"hasNextPage": true, "endCursor": "x"},
            "nodes": [{"__typename": "Dossier", "number": 1, "pdf": file()},
                      {"__typename": "Dossier", "number": 2, "pdf": file(), "checksum": "kept"}]}}});
        f.drop_field_in_dossier(2, "File", "checksum");
        f.drop_field("pageInfo", "hasNextPage");
        f.drop_fields(&mut data);
        let nodes = &data["demarche"]["dossiers"]["nodes"];
        assert_eq!(nodes[0]["pdf"]["checksum"], "c");
        assert!(nodes[1]["pdf"].get("checksum").is_none());
        assert_eq!(nodes[1]["checksum"], "kept", "only File objects lose it");
        assert!(data["demarche"]["dossiers"]["pageInfo"]
            .get("hasNextPage")
            .is_none());
        f.clear();
        let mut again = serde_json::json!({"pageInfo": {"hasNextPage": true}});
        f.drop_fields(&mut again);
        assert_eq!(again["pageInfo"]["hasNextPage"], true);
    }
}
