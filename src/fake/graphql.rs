//! `POST /api/v2/graphql`: the gatekeeping DS does before a query runs
//! (injected faults, rate limit, token), then parse, validate and execute.
//!
//! The order mirrors DS: the proxy (simulated 5xx and dropped connections),
//! rack-attack (429), the controller's token check (403), the body checks
//! (400), then graphql-ruby (validation errors and field errors with HTTP 200).

use std::sync::Arc;

use apollo_compiler::parser::Parser;
use apollo_compiler::resolvers::Execution;
use apollo_compiler::response::JsonMap;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::faults::GraphqlFault;
use super::resolve::{Ctx, Root};
use super::schema::schema;
use super::timeout::{apply_timeout, Kept};
use super::{clock, AppState};

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

fn error_body(message: &str, code: &str) -> Value {
    json!({"errors": [{"message": message, "extensions": {"code": code}}], "data": null})
}

/// The token from an `Authorization` value, in the forms Rails accepts:
/// `Bearer <t>`, `Bearer token=<t>`, `Token token="<t>"`.
fn parse_token(header: &str) -> Option<&str> {
    let (scheme, rest) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") && !scheme.eq_ignore_ascii_case("token") {
        return None;
    }
    let rest = rest.trim();
    let value = rest.strip_prefix("token=").unwrap_or(rest);
    let value = value.split(',').next()?.trim();
    let value = value
        .strip_prefix('"')
        .and_then(|v| v.strip_suffix('"'))
        .unwrap_or(value);
    (!value.is_empty()).then_some(value)
}

/// A response whose body fails at once: the client sees the connection drop.
fn dropped_connection() -> Response {
    let stream = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("fake: connection dropped"))
    });
    Response::new(Body::from_stream(stream))
}

fn injected_failure(status: u16) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::INTERNAL_SERVER_ERROR {
        let body = json!({"errors": [{"message": "Internal Server Error",
            "extensions": {"code": "internal_server_error", "exception_id": format!("{:x}", fastrand::u64(..))}}],
            "data": null});
        return json_response(status, &body);
    }
    let reason = status.canonical_reason().unwrap_or("Error");
    let html = format!(
        "<html><head><title>{} {reason}</title></head><body><h1>{reason}</h1></body></html>\n",
        status.as_u16()
    );
    (status, [(header::CONTENT_TYPE, "text/html")], html).into_response()
}

pub(crate) async fn handle(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let request: Option<Value> = serde_json::from_slice(&body).ok();
    let op_name = request
        .as_ref()
        .and_then(|r| r.get("operationName"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    app.counters.graphql(op_name.as_deref().unwrap_or_default());

    match app
        .faults
        .take_operation_fault(op_name.as_deref().unwrap_or_default(), true)
    {
        Some(GraphqlFault::Close) => return dropped_connection(),
        Some(GraphqlFault::Status(status)) => return injected_failure(status),
        _ => {}
    }
    if app.faults.take_graphql_close() {
        return dropped_connection();
    }
    if let Some(status) = app.faults.take_graphql_failure() {
        return injected_failure(status);
    }
    let now = clock::now_epoch();
    let limited = app.limiter().hit(&auth, now, app.faults.rate_limit());
    if let Err(reset) = limited {
        app.counters.rate_limited();
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::CONTENT_TYPE, "text/plain".to_owned()),
                (
                    header::HeaderName::from_static("ratelimit-remaining"),
                    "0".to_owned(),
                ),
                (
                    header::HeaderName::from_static("ratelimit-reset"),
                    reset.to_string(),
                ),
            ],
            "Retry later\n",
        )
            .into_response();
    }
    if parse_token(&auth) != Some(app.token.as_str()) {
        let body = error_body(
            "Without a token, only persisted queries are allowed",
            "forbidden",
        );
        return json_response(StatusCode::FORBIDDEN, &body);
    }
    let Some(request) = request else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &error_body("Invalid JSON body", "bad_request"),
        );
    };
    let Some(query) = request
        .get("query")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return json_response(
            StatusCode::BAD_REQUEST,
            &error_body("No query string was present", "bad_request"),
        );
    };
    let variables = match request.get("variables") {
        None | Some(Value::Null) => serde_json::Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => serde_json::Map::new(),
        Some(Value::String(s)) => match serde_json::from_str(s) {
            Ok(Value::Object(map)) => map,
            _ => {
                return json_response(
                    StatusCode::BAD_REQUEST,
                    &error_body("Invalid variables", "bad_request"),
                )
            }
        },
        Some(_) => {
            return json_response(
                StatusCode::BAD_REQUEST,
                &error_body("Invalid variables", "bad_request"),
            )
        }
    };
    let base_url = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map_or_else(|| app.base_url.clone(), |h| format!("http://{h}"));
    let task = tokio::task::spawn_blocking(move || {
        execute(&app, &base_url, &query, variables, op_name.as_deref())
    });
    match task.await {
        Ok((status, body)) => json_response(status, &body),
        Err(e) => {
            tracing::error!("fake GraphQL execution panicked: {e}");
            injected_failure(500)
        }
    }
}

/// Parse, validate and run one document. Returns the HTTP status and body.
fn execute(
    app: &AppState,
    base_url: &str,
    query: &str,
    variables: serde_json::Map<String, Value>,
    op_name: Option<&str>,
) -> (StatusCode, Value) {
    let schema = schema();
    let ast = match Parser::new().parse_ast(query, "query.graphql") {
        Ok(ast) => ast,
        Err(e) => {
            let errors: Vec<Value> = e
                .errors
                .iter()
                .map(|d| json!({"message": d.error.to_string(), "extensions": {"code": "graphql_parse_failed"}}))
                .collect();
            return (
                StatusCode::BAD_REQUEST,
                json!({"errors": errors, "data": null}),
            );
        }
    };
    let doc = match ast.to_executable_validate(schema) {
        Ok(doc) => doc,
        Err(e) => {
            let errors: Vec<Value> = e.errors.iter().map(|d| to_value(&d.to_json())).collect();
            return (StatusCode::OK, json!({ "errors": errors }));
        }
    };
    if let Some(refused) = over_complexity(app, &doc, op_name, &variables) {
        return (StatusCode::OK, refused);
    }
    let variables: JsonMap =
        match apollo_compiler::response::JsonValue::from(Value::Object(variables)) {
            apollo_compiler::response::JsonValue::Object(map) => map,
            _ => JsonMap::new(),
        };
    let data = app.dataset.read();
    let ctx = Ctx::new(&data, base_url, &app.signer, &app.faults, &doc);
    let request_timeout = app.faults.take_request_timeout();
    let operation_fault = app
        .faults
        .take_operation_fault(op_name.unwrap_or_default(), false);
    let result = Execution::new(schema, &doc)
        .operation_name(op_name)
        .and_then(|exec| {
            exec.raw_variable_values(&variables)
                .execute_sync(&Root { ctx: &ctx })
        });
    let mut out = match result {
        Ok(response) => to_value(&response),
        Err(e) => json!({"errors": [to_value(&e.to_graphql_error(&doc.sources))], "data": null}),
    };
    if let Some(errors) = out.get_mut("errors").and_then(Value::as_array_mut) {
        for error in errors.iter_mut() {
            // apollo-compiler prefixes resolver messages; graphql-ruby does not.
            if let Some(Value::String(m)) = error.get_mut("message") {
                if let Some(plain) = m.strip_prefix("resolver error: ") {
                    *m = plain.to_owned();
                }
            }
            add_code(error);
        }
    }
    if let Some(data) = out.get_mut("data") {
        app.faults.drop_fields(data);
    }
    match operation_fault {
        Some(GraphqlFault::Timeout) => apply_timeout(&mut out, Kept::Partial),
        Some(GraphqlFault::TimeoutWithoutData) => apply_timeout(&mut out, Kept::Nothing),
        _ if ctx.timed_out.get() => apply_timeout(&mut out, Kept::AsIs),
        _ if request_timeout => apply_timeout(&mut out, Kept::Connections),
        _ => {}
    }
    (StatusCode::OK, out)
}

/// graphql-ruby's answer to a document over the schema's `max_complexity`
/// (an analysis error: HTTP 200, no data), or `None` when it may run.
fn over_complexity(
    app: &AppState,
    doc: &apollo_compiler::ExecutableDocument,
    op_name: Option<&str>,
    variables: &serde_json::Map<String, Value>,
) -> Option<Value> {
    let cap = app.faults.max_complexity()?;
    let measured = crate::api::complexity::measure(schema(), doc, op_name, variables).ok()?;
    (measured.complexity > cap).then(|| {
        json!({"errors": [{"message": format!(
            "Query has complexity of {}, which exceeds max complexity of {cap}",
            measured.complexity
        )}]})
    })
}

fn to_value(v: &impl serde::Serialize) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Give field errors the `extensions.code` DS would.
fn add_code(error: &mut Value) {
    if error.pointer("/extensions/code").is_some() {
        return;
    }
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let code = if message.ends_with("not found") {
        "not_found"
    } else if message.contains("resolved to null") {
        "invalid_null"
    } else if error.get("path").is_some() {
        "bad_request"
    } else {
        return;
    };
    error["extensions"] = json!({ "code": code });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_forms() {
        assert_eq!(parse_token("Bearer abc"), Some("abc"));
        assert_eq!(parse_token("bearer token=abc"), Some("abc"));
        assert_eq!(parse_token("Token token=\"abc\""), Some("abc"));
        assert_eq!(parse_token("Token token=\"abc\", foo=\"x\""), Some("abc"));
        assert_eq!(parse_token("Basic abc"), None);
        assert_eq!(parse_token("Bearer "), None);
        assert_eq!(parse_token(""), None);
    }
}
