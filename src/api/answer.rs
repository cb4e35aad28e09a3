//! What a DS answer means: data, a failure to retry, a timeout, or a final
//! error. DS sends GraphQL failures with HTTP 200 and an `errors` array,
//! sometimes beside partial data; the rules that sort them live here, apart
//! from the sending, so they can be checked on literal answers.

use std::time::Duration;

use serde_json::Value;

use super::{ApiError, Operation};

/// What one HTTP exchange came to.
pub(super) enum Outcome {
    Data(Value),
    Failed(ApiError),
    RateLimited(Duration),
    Transient(String),
    /// graphql-ruby's `timeout` (DS's message).
    TimedOut(String),
    /// Over DS's complexity cap (DS's message).
    TooLarge(String),
}

/// Apply DS's error rules to a 200 response: any root-level error makes the
/// request fail (partial data is never taken as complete).
pub(super) fn classify_graphql(op: Operation, mut body: Value) -> Outcome {
    let errors = body
        .get("errors")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if errors.is_empty() {
        return match body.get_mut("data").map(Value::take) {
            Some(data @ Value::Object(_)) => Outcome::Data(data),
            _ => Outcome::Transient("response without data".into()),
        };
    }
    let code = |e: &Value| {
        e.pointer("/extensions/code")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let message = errors
        .iter()
        .filter_map(|e| e.get("message").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("; ");
    // DS caps query complexity (60 000 since 2026, GH#13549): a page too
    // rich to answer is, for us, the same as one too slow to answer.
    if message.contains("complexity") || message.contains("too large") {
        return Outcome::TooLarge(message);
    }
    // Partial data that may come with it is never taken as complete.
    if errors.iter().any(|e| code(e) == "timeout") {
        return Outcome::TimedOut(message);
    }
    if errors
        .iter()
        .any(|e| matches!(code(e).as_str(), "not_found" | "unauthorized"))
    {
        return Outcome::Failed(ApiError::NotFound { message });
    }
    if errors.iter().any(|e| code(e) == "internal_server_error") {
        return Outcome::Transient(message);
    }
    Outcome::Failed(ApiError::Fatal {
        operation: op.name(),
        message,
    })
}

pub(super) fn first_error_message(body: &Value) -> Option<String> {
    body.get("errors")?
        .as_array()?
        .first()?
        .get("message")?
        .as_str()
        .map(str::to_owned)
}

pub(super) fn snippet(text: &str) -> String {
    let t: String = text.chars().take(200).collect();
    t.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn timeout_with_partial_data_is_not_data() {
        let body = json!({"data": {"demarche": {"dossiers": {"nodes": [null]}}},
                          "errors": [{"message": "Timeout on Dossier.champs", "extensions": {"code": "timeout"}}]});
        assert!(matches!(
            classify_graphql(Operation::GetDossiers, body),
            Outcome::TimedOut(_)
        ));
    }

    #[test]
    fn timeout_without_data_is_a_timeout_with_ds_message() {
        let body = json!({"data": null,
                          "errors": [{"message": "Timeout on Query.demarche", "extensions": {"code": "timeout"}}]});
        match classify_graphql(Operation::GetDemarche, body) {
            Outcome::TimedOut(message) => assert_eq!(message, "Timeout on Query.demarche"),
            _ => panic!("not a timeout"),
        }
    }

    #[test]
    fn a_query_over_the_complexity_cap_is_asked_smaller() {
        let body = json!({"errors": [{"message": "Query has complexity of 75000, which exceeds max complexity of 60000"}]});
        assert!(matches!(
            classify_graphql(Operation::GetDossiers, body),
            Outcome::TooLarge(_)
        ));
    }

    #[test]
    fn not_found_and_permission_errors_are_not_found() {
        for code in ["not_found", "unauthorized"] {
            let body = json!({"data": null, "errors": [{"message": "Demarche not found", "extensions": {"code": code}}]});
            assert!(matches!(
                classify_graphql(Operation::GetDemarche, body),
                Outcome::Failed(ApiError::NotFound { .. })
            ));
        }
    }

    #[test]
    fn invalid_null_is_fatal_for_the_request() {
        let body = json!({"data": {"x": 1}, "errors": [{"message": "bad", "extensions": {"code": "invalid_null"}}]});
        assert!(matches!(
            classify_graphql(Operation::GetDossier, body),
            Outcome::Failed(ApiError::Fatal { .. })
        ));
    }
}
