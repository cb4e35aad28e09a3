//! `Champ.columns`, computed as DS computes it when the fixture stores none:
//! DS splits a champ into typed columns whose ids are
//! `base64("Column-type_de_champ/<stable_id>[.<path>]")` (the ids its export
//! templates store). Modelled here: the champ's own column (`TextColumn`,
//! or `AttachmentsColumn` whose `stringValue` joins the files' **signed
//! URLs**, as DS's does), plus a `.department_code` column for address and
//! commune champs. Répétitions, sections and explanations have none.

use base64::Engine as _;
use serde_json::{json, Value};

use apollo_compiler::resolvers::ResolvedValue;

use super::{Ctx, Obj};

/// `Champ.columns` of a stored champ that has none stored.
pub(super) fn resolve<'b>(ctx: &'b Ctx<'b>, champ: &Value) -> ResolvedValue<'b> {
    let cols = champ_columns(ctx, champ);
    ResolvedValue::list(cols.into_iter().map(move |c| {
        let ty = if c["__typename"] == "AttachmentsColumn" {
            "AttachmentsColumn"
        } else {
            "TextColumn"
        };
        ResolvedValue::object(Obj::owned(ctx, ty, c))
    }))
}

/// The columns of `champ` (stored JSON), each with its `__typename`.
fn champ_columns(ctx: &Ctx<'_>, champ: &Value) -> Vec<Value> {
    let typename = champ
        .get("__typename")
        .and_then(Value::as_str)
        .unwrap_or("");
    if matches!(
        typename,
        "RepetitionChamp" | "HeaderSectionChamp" | "ExplicationChamp" | "TitreIdentiteChamp"
    ) {
        return Vec::new();
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    let descriptor = champ
        .get("champDescriptorId")
        .and_then(Value::as_str)
        .unwrap_or("");
    let stable = b64
        .decode(descriptor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("Champ-").map(str::to_owned))
        .unwrap_or_else(|| descriptor.to_owned());
    let id = |path: &str| b64.encode(format!("Column-type_de_champ/{stable}{path}"));
    let label = champ.get("label").cloned().unwrap_or(Value::Null);
    let mut out = Vec::new();
    if let Some(files) = champ.get("files").and_then(Value::as_array) {
        let urls: Vec<String> = files
            .iter()
            .filter_map(|f| f.get("__key").and_then(Value::as_str))
            .map(|key| {
                format!(
                    "{}{}",
                    ctx.base_url,
                    ctx.signer.storage_path(key, ctx.expires)
                )
            })
            .collect();
        out.push(
            json!({"__typename": "AttachmentsColumn", "id": id(""), "label": label,
                        "stringValue": (!urls.is_empty()).then(|| urls.join(" "))}),
        );
        return out;
    }
    out.push(
        json!({"__typename": "TextColumn", "id": id(""), "label": label,
                    "stringValue": champ.get("stringValue").cloned().unwrap_or(Value::Null)}),
    );
    let department = champ
        .pointer("/address/departmentCode")
        .or_else(|| champ.pointer("/departement/code"));
    if matches!(typename, "AddressChamp" | "CommuneChamp") {
        out.push(
            json!({"__typename": "TextColumn", "id": id(".department_code"),
                        "label": "Code département", "stringValue": department}),
        );
    }
    out
}
