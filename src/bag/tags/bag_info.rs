//! `bag-info.txt`: an ordered list of `Label: value` lines (RFC 8493 §2.2.2).
//!
//! Labels are checked when added (no colon, CR or LF, no surrounding
//! whitespace); values may hold line breaks, which are written as
//! continuation lines (a line break followed by two spaces), the RFC's own
//! way of folding long values. Readers unfold them into spaces.

use serde_json::Value;

use crate::model::{self, Digests};

/// The label BagIt reserves for the payload's `octets.count` summary.
pub const PAYLOAD_OXUM: &str = "Payload-Oxum";

/// A label that cannot appear in `bag-info.txt`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid bag-info label `{label}`: {reason}")]
pub struct InvalidLabel {
    /// The label as given.
    pub label: String,
    /// Which rule it breaks.
    pub reason: &'static str,
}

/// The elements of `bag-info.txt`, in order. Labels may repeat.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BagInfo {
    entries: Vec<(String, String)>,
}

/// What a dossier's `bag-info.txt` says of its run and démarche.
#[derive(Debug, Clone, Copy)]
pub struct DossierContext<'a> {
    /// The démarche descriptor as fetched (`title`, `service`).
    pub demarche: &'a Value,
    /// The démarche number.
    pub demarche_number: u64,
    /// When the run started (RFC 3339): its date is the `Bagging-Date`.
    pub run_started_at: &'a str,
}

impl BagInfo {
    /// The fields of a dossier bag, from its démarche and its node as
    /// fetched: who holds it, which dossier, when bagged, its state and last
    /// modification at DS, and the software (`Payload-Oxum` is added when the
    /// payload is known).
    ///
    /// # Errors
    /// [`InvalidLabel`] only if a label here were malformed (a bug).
    pub fn for_dossier(
        ctx: DossierContext<'_>,
        node: &Value,
        number: u64,
    ) -> Result<Self, InvalidLabel> {
        let d = ctx.demarche;
        let demarche = ctx.demarche_number;
        let title = model::str_field(d, "title").unwrap_or_default();
        let organisation = d
            .get("service")
            .and_then(|s| model::str_field(s, "organisme").or_else(|| model::str_field(s, "nom")))
            .unwrap_or("demarches-simplifiees.fr");
        let mut info = Self::new();
        info.push("Source-Organization", organisation)?
            .push("External-Identifier", number.to_string())?
            .push(
                "External-Description",
                format!("Dossier {number} de la démarche {demarche} « {title} »"),
            )?
            .push(
                "Bagging-Date",
                ctx.run_started_at.get(..10).unwrap_or_default(),
            )?
            .push("Bag-Group-Identifier", format!("demarche-{demarche}"))?;
        for (label, field) in [
            ("Internal-Sender-Identifier", "id"),
            ("DS-Dossier-State", "state"),
            ("DS-Date-Derniere-Modification", "dateDerniereModification"),
        ] {
            if let Some(value) = model::str_field(node, field) {
                info.push(label, value)?;
            }
        }
        info.push(
            "Bag-Software-Agent",
            concat!("ds-archive ", env!("CARGO_PKG_VERSION")),
        )?;
        Ok(info)
    }

    /// An empty list.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Append `label: value`.
    ///
    /// # Errors
    /// [`InvalidLabel`] if the label is empty, contains `:`, CR or LF, or
    /// starts or ends with whitespace.
    pub fn push(
        &mut self,
        label: &str,
        value: impl Into<String>,
    ) -> Result<&mut Self, InvalidLabel> {
        check_label(label)?;
        self.entries.push((label.to_owned(), value.into()));
        Ok(self)
    }

    /// Give `label` exactly one element with `value`: the first element with
    /// that label (compared case-insensitively) is updated in place, others
    /// are removed; appended if absent.
    ///
    /// # Errors
    /// As [`BagInfo::push`].
    pub fn set(
        &mut self,
        label: &str,
        value: impl Into<String>,
    ) -> Result<&mut Self, InvalidLabel> {
        check_label(label)?;
        let value = value.into();
        let mut seen = false;
        self.entries.retain_mut(|(l, v)| {
            if !l.eq_ignore_ascii_case(label) {
                return true;
            }
            if seen {
                return false;
            }
            seen = true;
            label.clone_into(l);
            v.clone_from(&value);
            true
        });
        if !seen {
            self.entries.push((label.to_owned(), value));
        }
        Ok(self)
    }

    /// The elements, in order.
    #[must_use]
    pub fn entries(&self) -> &[(String, String)] {
        &self.entries
    }

    /// The file's text: `Label: value` lines, LF, line breaks inside values
    /// folded into continuation lines.
    #[must_use]
    pub fn render(&self) -> String {
        let mut out = String::new();
        for (label, value) in &self.entries {
            out.push_str(label);
            out.push_str(": ");
            let value = value.replace("\r\n", "\n").replace('\r', "\n");
            out.push_str(&value.replace('\n', "\n  "));
            out.push('\n');
        }
        out
    }
}

/// `Payload-Oxum` of a payload: `<total octets>.<file count>`.
#[must_use]
pub fn payload_oxum(payload: &[(String, Digests)]) -> String {
    let octets: u64 = payload.iter().map(|(_, d)| d.size).sum();
    format!("{octets}.{}", payload.len())
}

fn check_label(label: &str) -> Result<(), InvalidLabel> {
    let reason = if label.is_empty() {
        "empty"
    } else if label.contains([':', '\r', '\n']) {
        "contains a colon or a line break"
    } else if label.starts_with(char::is_whitespace) || label.ends_with(char::is_whitespace) {
        "starts or ends with whitespace"
    } else {
        return Ok(());
    };
    Err(InvalidLabel {
        label: label.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_in_order_with_continuations() {
        let mut info = BagInfo::new();
        info.push("Source-Organization", "DINUM")
            .and_then(|i| i.push("External-Description", "ligne 1\nligne 2\r\nligne 3"))
            .and_then(|i| i.push("Source-Organization", "Préfecture"))
            .expect("valid labels");
        assert_eq!(
            info.render(),
            "Source-Organization: DINUM\n\
             External-Description: ligne 1\n  ligne 2\n  ligne 3\n\
             Source-Organization: Préfecture\n"
        );
    }

    #[test]
    fn bad_labels_are_rejected() {
        let mut info = BagInfo::new();
        for bad in ["", "A:B", "A\nB", " A", "A "] {
            assert!(info.push(bad, "v").is_err(), "{bad:?}");
        }
        assert!(info.entries().is_empty());
    }

    #[test]
    fn set_keeps_one_element_in_place() {
        let mut info = BagInfo::new();
        info.push("A", "1")
            .and_then(|i| i.push("payload-oxum", "0.0"))
            .and_then(|i| i.push("B", "2"))
            .and_then(|i| i.push("Payload-Oxum", "9.9"))
            .and_then(|i| i.set(PAYLOAD_OXUM, "5.2"))
            .expect("valid");
        assert_eq!(info.render(), "A: 1\nPayload-Oxum: 5.2\nB: 2\n");
        info.set("C", "3").expect("valid");
        assert_eq!(info.entries().last(), Some(&("C".into(), "3".into())));
    }

    #[test]
    fn oxum_sums_sizes() {
        let d = |size| Digests {
            size,
            md5_base64: String::new(),
            sha256: String::new(),
            sha512: None,
        };
        let p = vec![("data/a".to_owned(), d(10)), ("data/b".to_owned(), d(0))];
        assert_eq!(payload_oxum(&p), "10.2");
        assert_eq!(payload_oxum(&[]), "0.0");
    }
}
