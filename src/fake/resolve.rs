//! Execution of a query over the stored JSON.
//!
//! apollo-compiler's executor walks the validated document (aliases,
//! fragments, type conditions, `__typename`, variables) and asks these
//! resolvers for one field at a time. Most fields are read by name from the
//! stored object; the few DS computes are special-cased here: root lookups,
//! connections (in [`connection`]), File fields (checksum, size, signed URL),
//! champ columns (in [`columns`]),
//! the generated dossier PDF/GeoJSON, revision and dossier references, and
//! deprecated aliases. Like DS, richer champ types are only reported when the
//! document names them in a type condition; otherwise they read as their
//! basic type (`TextChamp`, `DateChamp`, `CheckboxChamp`).

mod columns;
mod connection;
mod generated;
mod wrap;

use generated::GeneratedFile;
use wrap::wrap;

use std::borrow::Cow;
use std::cell::Cell;
use std::collections::HashSet;

use apollo_compiler::executable::{Selection, SelectionSet};
use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;
use apollo_compiler::validation::Valid;
use apollo_compiler::ExecutableDocument;
use serde_json::Value;

use super::clock;
use super::dataset::Dataset;
use super::faults::Faults;
use super::signing::Signer;

/// Everything a resolver needs for one request.
pub(crate) struct Ctx<'a> {
    pub(crate) data: &'a Dataset,
    pub(crate) base_url: &'a str,
    pub(crate) signer: &'a Signer,
    pub(crate) faults: &'a Faults,
    /// Expiry (epoch seconds) of URLs minted by this request.
    pub(crate) expires: u64,
    /// Type names that appear in a type condition of the document.
    pub(crate) named_types: HashSet<String>,
    /// Set when a connection answered with a simulated timeout.
    pub(crate) timed_out: Cell<bool>,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(
        data: &'a Dataset,
        base_url: &'a str,
        signer: &'a Signer,
        faults: &'a Faults,
        doc: &Valid<ExecutableDocument>,
    ) -> Self {
        let mut named_types = HashSet::new();
        for fragment in doc.fragments.values() {
            named_types.insert(fragment.type_condition().to_string());
            collect_conditions(&fragment.selection_set, &mut named_types);
        }
        for op in doc.operations.iter() {
            collect_conditions(&op.selection_set, &mut named_types);
        }
        Self {
            data,
            base_url,
            signer,
            faults,
            expires: clock::now_epoch() + faults.url_ttl(),
            named_types,
            timed_out: Cell::new(false),
        }
    }

    /// The type a stored champ is reported as, given the document's fragments.
    fn reported_type<'t>(&self, stored: &'t str) -> &'t str {
        let basic = match stored {
            "AddressChamp" | "CommuneChamp" | "DepartementChamp" | "RegionChamp" | "PaysChamp"
            | "DropDownListChamp" | "HeaderSectionChamp" | "ExplicationChamp" => "TextChamp",
            "DatetimeChamp" => "DateChamp",
            "YesNoChamp" => "CheckboxChamp",
            _ => return stored,
        };
        if self.named_types.contains(stored) {
            stored
        } else {
            basic
        }
    }
}

fn collect_conditions(set: &SelectionSet, out: &mut HashSet<String>) {
    for sel in &set.selections {
        match sel {
            Selection::Field(f) => collect_conditions(&f.selection_set, out),
            Selection::InlineFragment(i) => {
                if let Some(t) = &i.type_condition {
                    out.insert(t.to_string());
                }
                collect_conditions(&i.selection_set, out);
            }
            Selection::FragmentSpread(_) => {}
        }
    }
}

fn leaf<'x>(v: &Value) -> ResolvedValue<'x> {
    ResolvedValue::leaf(JsonValue::from(v.clone()))
}

fn not_found(what: &str) -> FieldError {
    FieldError {
        message: format!("{what} not found"),
    }
}

/// The `Query` root.
pub(crate) struct Root<'a> {
    pub(crate) ctx: &'a Ctx<'a>,
}

impl ObjectValue for Root<'_> {
    fn type_name(&self) -> &str {
        "Query"
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let ctx = self.ctx;
        let data = ctx.data;
        let number = info.arguments().get("number").and_then(JsonValue::as_u64);
        match info.field_name() {
            "demarche" if number == Some(data.demarche_number()) => Ok(ResolvedValue::object(
                Obj::borrowed(ctx, "Demarche", &data.demarche),
            )),
            "demarche" => Err(not_found("Demarche")),
            "dossier" => {
                let dossier = number
                    .and_then(|n| data.dossiers.get(&n))
                    .ok_or_else(|| not_found("Dossier"))?;
                Ok(ResolvedValue::object(Obj::borrowed(
                    ctx, "Dossier", dossier,
                )))
            }
            "demarcheDescriptor" => {
                let find = info.arguments().get("demarche");
                let by_number = find
                    .and_then(|f| f.get("number"))
                    .and_then(JsonValue::as_u64);
                let by_id = find.and_then(|f| f.get("id")).and_then(JsonValue::as_str);
                let found = by_number == Some(data.demarche_number())
                    || by_id.is_some_and(|id| {
                        data.demarche.get("id").and_then(Value::as_str) == Some(id)
                    });
                if !found {
                    return Err(not_found("Demarche"));
                }
                let mut obj = Obj::borrowed(ctx, "DemarcheDescriptor", &data.demarche);
                obj.revision = data.demarche.get("activeRevision");
                Ok(ResolvedValue::object(obj))
            }
            "groupeInstructeur" => connection::groupe(ctx, number)
                .ok_or_else(|| not_found("GroupeInstructeurWithDossiers")),
            _ => Err(self.unknown_field_error(info)),
        }
    }
}

/// A stored JSON object seen as a GraphQL object of type `ty`.
pub(crate) struct Obj<'a> {
    ctx: &'a Ctx<'a>,
    ty: Cow<'a, str>,
    value: Cow<'a, Value>,
    /// The revision a `DemarcheDescriptor` reports (the dossier's own).
    revision: Option<&'a Value>,
}

impl<'a> Obj<'a> {
    pub(crate) fn borrowed(ctx: &'a Ctx<'a>, ty: &'a str, value: &'a Value) -> Self {
        Self {
            ctx,
            ty: Cow::Borrowed(ty),
            value: Cow::Borrowed(value),
            revision: None,
        }
    }

    fn owned(ctx: &'a Ctx<'a>, ty: &'a str, value: Value) -> Self {
        Self {
            ctx,
            ty: Cow::Borrowed(ty),
            value: Cow::Owned(value),
            revision: None,
        }
    }

    fn file_field<'x>(&self, name: &str) -> Option<ResolvedValue<'x>> {
        let key = self.value.get("__key")?.as_str()?;
        let entry = self.ctx.data.blobs.get(key)?;
        let size = entry.blob.content.len();
        Some(match name {
            "checksum" => ResolvedValue::leaf(entry.blob.checksum()),
            "byteSizeBigInt" => ResolvedValue::leaf(size.to_string()),
            "byteSize" => ResolvedValue::leaf(size),
            "url" => ResolvedValue::leaf(format!(
                "{}{}",
                self.ctx.base_url,
                self.ctx.signer.storage_path(key, self.ctx.expires)
            )),
            "virusScanResult" => leaf(self.value.get(name).unwrap_or(&Value::from("safe"))),
            _ => return None,
        })
    }
}

impl ObjectValue for Obj<'_> {
    fn type_name(&self) -> &str {
        &self.ty
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let ctx = self.ctx;
        let name = info.field_name();
        let value: &'b Value = &self.value;
        match (&*self.ty, name) {
            (
                "Demarche" | "GroupeInstructeurWithDossiers",
                "dossiers" | "pendingDeletedDossiers" | "deletedDossiers",
            ) => {
                let groupe = (self.ty == "GroupeInstructeurWithDossiers")
                    .then(|| value.get("number").and_then(Value::as_u64).unwrap_or(0));
                return connection::resolve(ctx, name, info.arguments(), groupe);
            }
            ("Dossier", "pdf" | "geojson") => {
                let number = value.get("number").and_then(Value::as_u64).unwrap_or(0);
                return Ok(ResolvedValue::object(GeneratedFile {
                    ctx,
                    pdf: name == "pdf",
                    number,
                }));
            }
            ("Dossier", "demarche") => {
                let mut obj = Obj::borrowed(ctx, "DemarcheDescriptor", &ctx.data.demarche);
                obj.revision = value.get("revision");
                return Ok(ResolvedValue::object(obj));
            }
            ("DemarcheDescriptor", "revision") if self.revision.is_some() => {
                return Ok(wrap(ctx, &info.field_definition().ty, self.revision));
            }
            ("File", _) => {
                if let Some(v) = self.file_field(name) {
                    return Ok(v);
                }
            }
            ("PieceJustificativeChamp", "file") | ("Message" | "Avis", "attachment") => {
                let list = if name == "file" {
                    "files"
                } else {
                    "attachments"
                };
                let first = value
                    .get(list)
                    .and_then(Value::as_array)
                    .and_then(|a| a.first());
                return Ok(wrap(ctx, &info.field_definition().ty, first));
            }
            (ty, "columns")
                if ty.ends_with("Champ")
                    && value
                        .get("columns")
                        .and_then(Value::as_array)
                        .is_none_or(Vec::is_empty) =>
            {
                return Ok(columns::resolve(ctx, value));
            }
            ("RepetitionChamp", "champs") => {
                let champs = value
                    .get("rows")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|row| row.get("champs").and_then(Value::as_array))
                    .flatten();
                let item = info.field_definition().ty.item_type();
                return Ok(ResolvedValue::list(
                    champs.map(move |c| wrap(ctx, item, Some(c))),
                ));
            }
            _ => {}
        }
        let stored = value.get(name).filter(|v| !v.is_null());
        let stored = stored.or_else(|| fallback(&self.ty, name, value));
        if let (None, "CheckboxChamp", "value") = (stored, &*self.ty, name) {
            return Ok(ResolvedValue::leaf(false));
        }
        Ok(wrap(ctx, &info.field_definition().ty, stored))
    }
}

/// Where a downgraded champ finds the value its basic type exposes.
fn fallback<'v>(ty: &str, name: &str, value: &'v Value) -> Option<&'v Value> {
    match (ty, name) {
        ("TextChamp", "value") => value.get("stringValue"),
        ("DateChamp", "value") => value.get("datetime"),
        _ => None,
    }
    .filter(|v| !v.is_null())
}

impl<'a> Obj<'a> {
    /// An object built for the response (page info, edges).
    pub(crate) fn synthetic(ctx: &'a Ctx<'a>, ty: &'a str, value: Value) -> Self {
        Self::owned(ctx, ty, value)
    }
}
