//! The files DS renders on demand (`Dossier.pdf`, `Dossier.geojson`): no
//! stored blob, so no checksum and a size of 0, and a signed URL to the
//! fake's rendering endpoint.

use apollo_compiler::resolvers::{FieldError, ObjectValue, ResolveInfo, ResolvedValue};
use apollo_compiler::response::JsonValue;

use super::super::clock;
use super::Ctx;

/// `Dossier.pdf` / `Dossier.geojson`: rendered per download, so no checksum.
pub(super) struct GeneratedFile<'a> {
    pub(super) ctx: &'a Ctx<'a>,
    pub(super) pdf: bool,
    pub(super) number: u64,
}

impl ObjectValue for GeneratedFile<'_> {
    fn type_name(&self) -> &str {
        "File"
    }

    fn resolve_field<'b>(
        &'b self,
        info: &'b ResolveInfo<'b>,
    ) -> Result<ResolvedValue<'b>, FieldError> {
        let kind = if self.pdf { "pdf" } else { "geojson" };
        let value: JsonValue = match info.field_name() {
            "filename" if self.pdf => format!("dossier-{}.pdf", self.number).into(),
            "filename" => format!("dossier-{}-features.json", self.number).into(),
            "contentType" if self.pdf => "application/pdf".into(),
            "contentType" => "application/geo+json".into(),
            "checksum" => "".into(),
            "byteSizeBigInt" => "0".into(),
            "byteSize" => 0.into(),
            "createdAt" => clock::render_now().into(),
            "virusScanResult" => "safe".into(),
            "url" => format!(
                "{}/api/v2/dossiers/{kind}/{}",
                self.ctx.base_url,
                self.ctx
                    .signer
                    .signed_id(kind, self.number, self.ctx.expires)
            )
            .into(),
            _ => return Err(self.unknown_field_error(info)),
        };
        Ok(ResolvedValue::leaf(value))
    }
}
