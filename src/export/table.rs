//! The tabular view of a template: one row per dossier, the columns its
//! `[[columns]]` list in that order with their pinned headers (or the
//! inventory's standard set when it lists none), as CSV, XLSX or ODS.
//!
//! The rows are the inventory's ([`crate::inventory`]): read from each
//! dossier's latest bag, with the same cell rules (formula guard, control
//! characters) and a `columns.json` beside the table mapping every header
//! to its DS column id. The bags stay the source; a table is rebuilt at will.

use std::path::Path;

use crate::inventory::{self, Format, InventoryReport};
use crate::template::Template;

/// The table format named by `path`'s extension.
///
/// # Errors
/// A message naming the extensions understood.
pub fn format_of(path: &Path) -> Result<Format, String> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match ext.as_deref() {
        Some("csv") => Ok(Format::Csv),
        Some("xlsx") => Ok(Format::Xlsx),
        Some("ods") => Ok(Format::Ods),
        _ => Err(format!(
            "--table `{}`: name a .csv, .xlsx or .ods file",
            path.display()
        )),
    }
}

/// The template's columns as the inventory takes them: `(id, header)`.
#[must_use]
pub fn selection(template: &Template) -> Option<Vec<(String, Option<String>)>> {
    let spec = template.tabular.as_ref()?;
    if spec.columns.is_empty() {
        return None;
    }
    Some(
        spec.columns
            .iter()
            .map(|c| (c.id.clone(), c.header.clone()))
            .collect(),
    )
}

/// Write the table of the archive `dir` to `out`, with `template`'s columns.
///
/// # Errors
/// A message: a file name without a table extension, no bundle in `dir`,
/// or the table cannot be written.
pub fn write(dir: &Path, template: &Template, out: &Path) -> Result<InventoryReport, String> {
    let format = format_of(out)?;
    let written = match selection(template) {
        Some(columns) => inventory::write_selected(dir, format, out, &columns),
        None => inventory::write_inventory(dir, format, out),
    };
    written.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extension_names_the_format() {
        assert_eq!(format_of(Path::new("a/t.CSV")), Ok(Format::Csv));
        assert_eq!(format_of(Path::new("t.xlsx")), Ok(Format::Xlsx));
        assert_eq!(format_of(Path::new("t.ods")), Ok(Format::Ods));
        assert!(format_of(Path::new("t.xls")).unwrap_err().contains(".xlsx"));
        assert!(format_of(Path::new("table")).is_err());
    }
}
