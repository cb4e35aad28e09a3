//! The texts of `template init` (a commented template for the archive's
//! démarche) and `template check` (what a template may name), and the
//! commands that print them. The texts are pure functions of the démarche.

use std::fmt::Write as _;
use std::path::PathBuf;

use serde_json::json;

use super::columns::available;
use super::descriptor::{from_archive, Descriptor};
use super::pattern::{libelle_as_filename, TAGS};
use crate::console;
use crate::error::exit;

/// `ds-archive template` subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum TemplateCommand {
    /// Check a template against an archive's démarche; list its tags, stable ids and column ids.
    Check {
        /// The template file (TOML).
        #[arg(value_name = "TEMPLATE")]
        template: PathBuf,
        /// The archive folder written by `ds-archive archive`.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
    /// Print a commented template for an archive's démarche (DS's defaults, every PJ champ).
    Init {
        /// The archive folder written by `ds-archive archive`.
        #[arg(long, value_name = "DIR")]
        from: PathBuf,
    },
}

/// `ds-archive template …` options.
#[derive(Debug, Clone, clap::Args)]
pub struct TemplateArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: TemplateCommand,
}

/// Run `ds-archive template …`; returns the exit code (0 ok, 2 unusable).
#[must_use]
pub fn command(args: &TemplateArgs) -> u8 {
    let from = match &args.command {
        TemplateCommand::Check { from, .. } | TemplateCommand::Init { from } => from,
    };
    let d = match from_archive(from) {
        Ok((d, _)) => d,
        Err(e) => return console::fatal(&e.to_string(), None),
    };
    match &args.command {
        TemplateCommand::Init { .. } => {
            console::out(init_text(&d).trim_end());
            exit::OK
        }
        TemplateCommand::Check { template, .. } => match super::load(template, &d) {
            Ok(t) => {
                console::out(listing(&d).trim_end());
                console::summary(
                    &format!(
                        "`{}` is valid for démarche {}",
                        template.display(),
                        d.number
                    ),
                    &json!({ "valid": true, "demarche": d.number, "pj": t.pjs.len() }),
                );
                exit::OK
            }
            Err(e) => console::fatal(
                &e.to_string(),
                Some("`ds-archive template init --from DIR` prints a valid template to start from"),
            ),
        },
    }
}

/// The tags, stable ids and column ids a template for `d` may use.
#[must_use]
pub fn listing(d: &Descriptor) -> String {
    let mut s = format!("démarche {}: {}\n\ntags:\n", d.number, d.title);
    for (name, _, what) in TAGS {
        let _ = writeln!(s, "  {{{name}}}  {what}");
    }
    s.push_str("  {champ:<stable id>}  valeur d'un champ ou d'une annotation (racine)\n\nchamps (stable id, type, label):\n");
    for c in &d.champs {
        let mut notes = Vec::new();
        if c.annotation {
            notes.push("annotation".to_owned());
        }
        if let Some(p) = c.parent {
            notes.push(format!("in block {p}"));
        }
        if c.is_pj() {
            notes.push("PJ".to_owned());
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join(", "))
        };
        let _ = writeln!(s, "  {:>6}  {:<20} {}{notes}", c.stable_id, c.kind, c.label);
    }
    s.push_str("\ncolumn ids:\n");
    for (id, label) in available(d) {
        let _ = writeln!(
            s,
            "  {id}{}",
            if label.is_empty() {
                String::new()
            } else {
                format!("  ({label})")
            }
        );
    }
    s
}

/// A commented template for `d`: DS's defaults, every PJ champ listed by
/// stable id with DS's default name.
#[must_use]
pub fn init_text(d: &Descriptor) -> String {
    let mut s = format!(
        "# Export template for démarche {} ({}); docs/templates.md explains every key.\n\
         version = 1\n\
         name = \"Export\"\n\
         demarche = {}            # refuse an archive of another démarche\n\n\
         [dossier_folder]\n\
         pattern = \"dossier-{{dossier_number}}\"   # must contain {{dossier_number}}\n\n\
         [pdf]                      # the dossier PDF\n\
         enabled = true\n\
         pattern = \"export-{{dossier_number}}\"\n\n\
         [attestation]              # only terminé dossiers have one\n\
         enabled = true\n\
         pattern = \"attestation-{{dossier_number}}\"\n\n\
         [pj_default]               # PJ champs not listed below, including later revisions'\n\
         enabled = true             # DS: off; an archive view must not drop files silently\n\
         pattern = \"{{champ_label}}-{{dossier_number}}\"\n\n\
         [other]                    # DS's template defaults are false (certificates: never)\n\
         messagerie = true\n\
         avis = true\n\
         justificatif_motivation = true\n\
         company_certificates = true\n",
        d.number,
        d.title.replace('\n', " "),
        d.number
    );
    for c in d.pjs() {
        let mut place = String::new();
        if c.annotation {
            place.push_str("annotation, ");
        }
        if let Some(p) = c.parent {
            let _ = write!(place, "in repetition block {p}, ");
        }
        let _ = write!(
            s,
            "\n[[pj]]                     # {place}{}\nchamp = {}\nenabled = true\npattern = \"{}-{{dossier_number}}\"\n",
            c.label.replace('\n', " "),
            c.stable_id,
            libelle_as_filename(&c.label)
        );
    }
    s.push_str(
        "\n# Tabular view: columns in a pinned order, by DS column id, optional header.\n\
         # `ds-archive template check` lists the ids.\n\
         # [[columns]]\n# id = \"self/id\"\n# header = \"Numéro\"\n",
    );
    s
}
