//! File downloads: signed storage URLs and the generated dossier PDF/GeoJSON.
//!
//! Bodies are streamed in 64 KiB chunks with a correct `Content-Length`.
//! The download faults act here: injected statuses, bodies cut half-way (the
//! connection drops after half the declared length), one flipped byte for
//! files marked corrupted, and a pause before each chunk for slow bodies.

use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use super::content::{Chunks, Content};
use super::signing::Refusal;
use super::{clock, AppState, Faults};

#[derive(Debug, Deserialize)]
pub(crate) struct Signed {
    expires: Option<u64>,
    sig: Option<String>,
}

fn refused(why: Refusal) -> Response {
    let text = match why {
        Refusal::Expired => "Request has expired\n",
        Refusal::BadSignature => "The request signature does not match\n",
    };
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/plain")],
        text,
    )
        .into_response()
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "Not Found\n").into_response()
}

/// `GET /storage/<key>?expires=..&sig=..`
pub(crate) async fn storage(
    State(app): State<Arc<AppState>>,
    Path(key): Path<String>,
    Query(signed): Query<Signed>,
    request: HeaderMap,
) -> Response {
    app.counters
        .file(request.contains_key(header::AUTHORIZATION));
    // Download faults are for dossiers' files: the démarche's own documents
    // (registered as dossier 0), fetched first by every run, would take them.
    let of_a_dossier = app
        .dataset
        .read()
        .blobs
        .get(&key)
        .is_none_or(|e| e.dossier != 0);
    if of_a_dossier {
        if let Some(status) = app.faults.take_download_failure() {
            return StatusCode::from_u16(status)
                .unwrap_or(StatusCode::BAD_GATEWAY)
                .into_response();
        }
    }
    let (Some(expires), Some(sig)) = (signed.expires, signed.sig) else {
        return refused(Refusal::BadSignature);
    };
    if let Err(why) = app
        .signer
        .check_storage(&key, expires, &sig, clock::now_epoch())
    {
        return refused(why);
    }
    let Some(entry) = app.dataset.read().blobs.get(&key).cloned() else {
        return not_found();
    };
    let corrupt = app.faults.is_corrupted(entry.dossier, &entry.filename);
    let spec = Served {
        content: entry.blob.content.clone(),
        content_type: entry.content_type.clone(),
        filename: entry.filename.clone(),
        held_as: None,
        corrupt,
    };
    stream(&app, spec)
}

/// `GET /api/v2/dossiers/{pdf|geojson}/<signed id>`
pub(crate) async fn generated(
    State(app): State<Arc<AppState>>,
    Path((kind, id)): Path<(String, String)>,
    request: HeaderMap,
) -> Response {
    app.counters
        .file(request.contains_key(header::AUTHORIZATION));
    if kind != "pdf" && kind != "geojson" {
        return not_found();
    }
    if let Some(status) = app.faults.take_download_failure() {
        return StatusCode::from_u16(status)
            .unwrap_or(StatusCode::BAD_GATEWAY)
            .into_response();
    }
    let number = match app.signer.check_signed_id(&kind, &id, clock::now_epoch()) {
        Ok(n) => n,
        Err(why) => return refused(why),
    };
    let Some(dossier) = app.dataset.read().dossiers.get(&number).cloned() else {
        return not_found();
    };
    let (bytes, content_type, filename) = if kind == "pdf" {
        (
            dossier_pdf(&dossier),
            "application/pdf",
            format!("dossier-{number}.pdf"),
        )
    } else {
        (
            dossier_geojson(&dossier),
            "application/geo+json",
            format!("dossier-{number}-features.json"),
        )
    };
    let corrupt = app.faults.is_corrupted(number, &filename);
    let spec = Served {
        content: Content::Bytes(Arc::from(bytes)),
        content_type: content_type.to_owned(),
        filename,
        held_as: (kind == "pdf").then_some(number),
        corrupt,
    };
    stream(&app, spec)
}

struct Served {
    content: Content,
    content_type: String,
    filename: String,
    /// The dossier whose hold applies to this body: only its PDF is held, so
    /// a held dossier takes one download slot of the client, not all of them.
    held_as: Option<u64>,
    corrupt: bool,
}

struct BodyState {
    chunks: Chunks,
    sent: u64,
    cut_at: Option<u64>,
    flip_at: Option<u64>,
    delay: Option<Duration>,
    /// Held before the first byte while the faults hold this dossier.
    hold: Option<(Arc<Faults>, u64)>,
}

fn stream(app: &AppState, served: Served) -> Response {
    let len = served.content.len();
    let state = BodyState {
        chunks: served.content.chunks(),
        sent: 0,
        cut_at: app.faults.take_download_cut().then_some(len / 2),
        flip_at: (served.corrupt && len > 0).then_some(len / 2),
        delay: app.faults.slow_body(),
        hold: served
            .held_as
            .filter(|n| app.faults.is_held(*n))
            .map(|n| (app.faults.clone(), n)),
    };
    let body = futures_util::stream::unfold(Some(state), |state| async move {
        let mut st = state?;
        if let Some((faults, dossier)) = st.hold.take() {
            while faults.is_held(dossier) {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }
        if let Some(delay) = st.delay {
            tokio::time::sleep(delay).await;
        }
        if st.cut_at.is_some_and(|cut| st.sent >= cut) {
            // Let hyper flush the headers and the first half before the
            // connection drops, so the client sees a short body, not a
            // refused request.
            tokio::time::sleep(Duration::from_millis(20)).await;
            let err = std::io::Error::other("fake: body cut");
            return Some((Err(err), None));
        }
        let mut chunk = st.chunks.next_chunk()?;
        let start = st.sent;
        let end = start + chunk.len() as u64;
        if let Some(flip) = st.flip_at.filter(|f| (start..end).contains(f)) {
            let i = usize::try_from(flip - start).unwrap_or(0);
            chunk[i] ^= 0x01;
        }
        if let Some(cut) = st.cut_at.filter(|c| *c < end) {
            chunk.truncate(usize::try_from(cut - start).unwrap_or(0));
        }
        st.sent += chunk.len() as u64;
        Some((Ok::<Bytes, std::io::Error>(Bytes::from(chunk)), Some(st)))
    });
    let mut headers = HeaderMap::new();
    let pairs = [
        (header::CONTENT_TYPE, served.content_type),
        (header::CONTENT_LENGTH, len.to_string()),
        (
            header::CONTENT_DISPOSITION,
            format!(
                "attachment; filename*=UTF-8''{}",
                percent_encode(&served.filename)
            ),
        ),
    ];
    for (name, value) in pairs {
        if let Ok(v) = value.parse() {
            headers.insert(name, v);
        }
    }
    (StatusCode::OK, headers, Body::from_stream(body)).into_response()
}

/// RFC 5987 encoding for `filename*`.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A small, valid PDF naming the dossier and the time it was rendered: like
/// DS's, its bytes differ from one download to the next.
fn dossier_pdf(dossier: &Value) -> Vec<u8> {
    let number = dossier.get("number").and_then(Value::as_u64).unwrap_or(0);
    let state = dossier
        .get("state")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let text = format!(
        "Dossier n. {number} - etat {state} - genere le {}",
        clock::render_now()
    );
    let stream = format!("BT /F1 12 Tf 50 790 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!("<< /Length {} >>\nstream\n{stream}\nendstream", stream.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_owned(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The dossier's map areas as a GeoJSON FeatureCollection.
fn dossier_geojson(dossier: &Value) -> Vec<u8> {
    let features: Vec<Value> = dossier
        .get("champs")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("geoAreas").and_then(Value::as_array))
        .flatten()
        .map(|area| {
            json!({"type": "Feature", "geometry": area.get("geometry"),
                   "properties": {"id": area.get("id"), "source": area.get("source"),
                                  "description": area.get("description")}})
        })
        .collect();
    json!({"type": "FeatureCollection", "features": features})
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pdf_is_well_formed_and_names_the_dossier() {
        let pdf = dossier_pdf(&json!({"number": 42, "state": "accepte"}));
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.starts_with("%PDF-1.4"));
        assert!(text.trim_end().ends_with("%%EOF"));
        assert!(text.contains("Dossier n. 42"));
        // startxref points at the xref table.
        let xref: usize = text
            .rsplit("startxref\n")
            .next()
            .and_then(|t| t.lines().next())
            .and_then(|n| n.parse().ok())
            .expect("startxref");
        assert!(text[xref..].starts_with("xref"));
    }

    #[test]
    fn filenames_are_percent_encoded() {
        assert_eq!(percent_encode("a b/é.pdf"), "a%20b%2F%C3%A9.pdf");
    }
}
