//! Typed access to the API's JSON with errors that name the dossier and the
//! field's JSON path (`traitements[2].dateTraitement`).
//!
//! Absent and `null` mean the same thing in a GraphQL answer (a field left out
//! of the query, or a null value); both read as `None`. A present value of the
//! wrong type is always an error: it means the API changed under us.

use serde_json::Value;

use super::check;
use super::MetadataError;

/// Reads fields of one JSON object, naming the dossier and the JSON path in errors.
pub(super) struct Reader<'a> {
    pub(super) dossier: &'a str,
}

impl Reader<'_> {
    pub(super) fn missing(&self, field: &str) -> MetadataError {
        MetadataError::Missing {
            dossier: self.dossier.to_owned(),
            field: field.to_owned(),
        }
    }

    pub(super) fn invalid(&self, field: &str, reason: &str, found: &Value) -> MetadataError {
        MetadataError::Invalid {
            dossier: self.dossier.to_owned(),
            field: field.to_owned(),
            reason: reason.to_owned(),
            found: shorten(&found.to_string()),
        }
    }

    /// A string that may be absent or null.
    pub(super) fn opt_str(
        &self,
        v: &Value,
        key: &str,
        path: &str,
    ) -> Result<Option<String>, MetadataError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(self.invalid(&join(path, key), "expected a string", other)),
        }
    }

    pub(super) fn req_str(
        &self,
        v: &Value,
        key: &str,
        path: &str,
    ) -> Result<String, MetadataError> {
        self.opt_str(v, key, path)?
            .ok_or_else(|| self.missing(&join(path, key)))
    }

    pub(super) fn opt_bool(
        &self,
        v: &Value,
        key: &str,
        path: &str,
    ) -> Result<Option<bool>, MetadataError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(other) => Err(self.invalid(&join(path, key), "expected a boolean", other)),
        }
    }

    /// A non-negative integer; BigInt-style strings are accepted too.
    pub(super) fn req_u64(&self, v: &Value, key: &str, path: &str) -> Result<u64, MetadataError> {
        let field = join(path, key);
        match v.get(key) {
            None | Some(Value::Null) => Err(self.missing(&field)),
            Some(Value::Number(n)) => n
                .as_u64()
                .ok_or_else(|| self.invalid(&field, "expected a non-negative integer", &v[key])),
            Some(Value::String(s)) => s
                .parse()
                .map_err(|_| self.invalid(&field, "expected a non-negative integer", &v[key])),
            Some(other) => Err(self.invalid(&field, "expected an integer", other)),
        }
    }

    pub(super) fn opt_datetime(
        &self,
        v: &Value,
        key: &str,
        path: &str,
    ) -> Result<Option<String>, MetadataError> {
        let s = self.opt_str(v, key, path)?;
        match s {
            Some(s) if !check::is_datetime(&s) => Err(self.invalid(
                &join(path, key),
                "expected an RFC 3339 date-time with offset",
                &Value::String(s),
            )),
            other => Ok(other),
        }
    }

    pub(super) fn req_datetime(
        &self,
        v: &Value,
        key: &str,
        path: &str,
    ) -> Result<String, MetadataError> {
        self.opt_datetime(v, key, path)?
            .ok_or_else(|| self.missing(&join(path, key)))
    }

    /// An optional object: `None` when absent or null.
    pub(super) fn opt_obj<'v>(
        &self,
        v: &'v Value,
        key: &str,
        path: &str,
    ) -> Result<Option<&'v Value>, MetadataError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(o @ Value::Object(_)) => Ok(Some(o)),
            Some(other) => Err(self.invalid(&join(path, key), "expected an object", other)),
        }
    }

    pub(super) fn req_obj<'v>(
        &self,
        v: &'v Value,
        key: &str,
        path: &str,
    ) -> Result<&'v Value, MetadataError> {
        self.opt_obj(v, key, path)?
            .ok_or_else(|| self.missing(&join(path, key)))
    }

    /// A list the query may omit: absent or null reads as empty.
    pub(super) fn list<'v>(&self, v: &'v Value, key: &str) -> Result<&'v [Value], MetadataError> {
        match v.get(key) {
            None | Some(Value::Null) => Ok(&[]),
            Some(Value::Array(a)) => Ok(a),
            Some(other) => Err(self.invalid(key, "expected a list", other)),
        }
    }
}

pub(super) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// Keep error messages readable when a value is huge; callers pass JSON
/// text, so control characters are already escaped.
pub(super) fn shorten(s: &str) -> String {
    const MAX: usize = 120;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}
