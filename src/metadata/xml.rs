//! `data/metadata.xml`: the same document as the JSON, for XML tooling.
//!
//! Mapping rules (docs/metadata.md, schemas/metadata.xsd): one element per
//! JSON key, in the JSON's order, in the namespace [`super::XML_NAMESPACE`];
//! a `null` value is an absent element; a list is a wrapper element holding
//! one child per item (`email`, `traitement`, `label`, `file`); an object
//! discriminated by `type` or `kind` becomes a wrapper holding one child named
//! after the discriminator (`<demandeur><personne_physique>`,
//! `<origin><champ>`), which is how XSD 1.0 can tell the variants apart.
//!
//! Text is escaped by hand rather than with quick-xml's escaper: CR must be
//! written `&#xD;` or parsers turn it into LF, and XML 1.0 cannot carry most
//! C0 control characters at all, so those (and U+FFFE/U+FFFF) become U+FFFD.
//! That is the one lossy step; the JSON keeps the exact value.

use std::io;

use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::types::{Demandeur, FileEntry, Metadata};
use crate::model::{ChampRef, Origin};

/// Render the document; see [`super::to_xml`].
pub(super) fn render(m: &Metadata) -> io::Result<Vec<u8>> {
    let mut x = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    x.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let root = BytesStart::new("metadata").with_attributes([("xmlns", super::XML_NAMESPACE)]);
    x.0.write_event(Event::Start(root))?;
    x.text("schema", &m.schema)?;
    x.text("id", &m.id.to_string())?;
    x.text("created_at", &m.created_at)?;
    x.text("updated_at", &m.updated_at)?;
    x.text("archived", bool_str(m.archived))?;
    x.text("email", &m.email)?;
    x.text("state", &m.state)?;
    x.text("initiated_at", &m.initiated_at)?;
    x.opt("received_at", m.received_at.as_deref())?;
    x.opt("processed_at", m.processed_at.as_deref())?;
    x.opt("motivation", m.motivation.as_deref())?;
    x.list("email_instructeurs", &m.email_instructeurs, |x, e| {
        x.text("email", e)
    })?;
    x.text("ds_state", &m.ds_state)?;
    x.text("ds_state_label", &m.ds_state_label)?;
    x.block("demarche", |x| {
        x.text("number", &m.demarche.number.to_string())?;
        x.text("title", &m.demarche.title)?;
        if let Some(s) = &m.demarche.service {
            x.block("service", |x| {
                x.text("nom", &s.nom)?;
                x.text("organisme", &s.organisme)?;
                x.opt("type_organisme", s.type_organisme.as_deref())?;
                x.opt("siret", s.siret.as_deref())
            })?;
        }
        Ok(())
    })?;
    x.block("groupe_instructeur", |x| {
        x.text("number", &m.groupe_instructeur.number.to_string())?;
        x.text("label", &m.groupe_instructeur.label)
    })?;
    x.block("demandeur", |x| demandeur(x, &m.demandeur))?;
    x.opt(
        "deposited_by_third_party",
        m.deposited_by_third_party.map(bool_str),
    )?;
    if let Some(md) = &m.mandataire {
        x.block("mandataire", |x| {
            x.opt("prenom", md.prenom.as_deref())?;
            x.opt("nom", md.nom.as_deref())
        })?;
    }
    x.opt("deciding_agent", m.deciding_agent.as_deref())?;
    x.list("traitements", &m.traitements, |x, t| {
        x.block("traitement", |x| {
            x.text("event", &t.event)?;
            x.text("date", &t.date)?;
            x.opt("agent", t.agent.as_deref())?;
            x.opt("motivation", t.motivation.as_deref())
        })
    })?;
    x.list("labels", &m.labels, |x, l| {
        x.block("label", |x| {
            x.text("name", &l.name)?;
            x.opt("color", l.color.as_deref())
        })
    })?;
    x.opt("date_expiration", m.date_expiration.as_deref())?;
    x.text("archived_at", &m.archived_at)?;
    x.text("software", &m.software)?;
    x.list("files", &m.files, file)?;
    x.0.write_event(Event::End(BytesEnd::new("metadata")))?;
    let mut out = x.0.into_inner();
    out.push(b'\n');
    Ok(out)
}

fn demandeur(x: &mut Xml, d: &Demandeur) -> io::Result<()> {
    x.block(d.type_name(), |x| match d {
        Demandeur::PersonnePhysique(p) => {
            x.opt("civilite", p.civilite.as_deref())?;
            x.text("nom", &p.nom)?;
            x.text("prenom", &p.prenom)?;
            x.opt("email", p.email.as_deref())?;
            x.opt("date_de_naissance", p.date_de_naissance.as_deref())
        }
        Demandeur::PersonneMorale(p) => {
            x.text("siret", &p.siret)?;
            x.opt("siege_social", p.siege_social.map(bool_str))?;
            for (name, value) in [
                ("naf", &p.naf),
                ("libelle_naf", &p.libelle_naf),
                ("adresse", &p.adresse),
                ("code_postal", &p.code_postal),
                ("commune", &p.commune),
                ("code_insee", &p.code_insee),
                ("siren", &p.siren),
                ("raison_sociale", &p.raison_sociale),
                ("nom_commercial", &p.nom_commercial),
                ("forme_juridique", &p.forme_juridique),
                (
                    "numero_tva_intracommunautaire",
                    &p.numero_tva_intracommunautaire,
                ),
                ("etat_administratif", &p.etat_administratif),
                ("association_rna", &p.association_rna),
                ("association_titre", &p.association_titre),
            ] {
                x.opt(name, value.as_deref())?;
            }
            Ok(())
        }
        Demandeur::PersonneMoraleIncomplete { siret } => x.text("siret", siret),
    })
}

fn file(x: &mut Xml, f: &FileEntry) -> io::Result<()> {
    x.block("file", |x| {
        x.text("path", &f.path)?;
        x.text("original_filename", &f.original_filename)?;
        x.text("content_type", &f.content_type)?;
        x.text("size", &f.size.to_string())?;
        x.text("ds_checksum", &f.ds_checksum)?;
        x.text("sha256", &f.sha256)?;
        x.opt("sha512", f.sha512.as_deref())?;
        x.opt("created_at", f.created_at.as_deref())?;
        x.block("origin", |x| origin(x, &f.origin))?;
        match &f.format {
            Some(format) => x.block("format", |x| {
                x.text("mime_type", &format.mime_type)?;
                x.text("name", &format.name)?;
                x.opt("puid", format.puid.as_deref())
            }),
            None => Ok(()),
        }
    })
}

fn origin(x: &mut Xml, o: &Origin) -> io::Result<()> {
    match o {
        Origin::Champ(c) => x.block("champ", |x| champ_ref(x, c)),
        Origin::Annotation(c) => x.block("annotation", |x| champ_ref(x, c)),
        Origin::Message {
            message_id,
            email,
            created_at,
        } => x.block("message", |x| {
            x.text("message_id", message_id)?;
            x.text("email", email)?;
            x.text("created_at", created_at)
        }),
        Origin::Avis { avis_id, expert } => x.block("avis", |x| {
            x.text("avis_id", avis_id)?;
            x.opt("expert", expert.as_deref())
        }),
        Origin::Motivation => x.empty("motivation"),
        Origin::Attestation => x.empty("attestation"),
        Origin::DossierPdf => x.empty("dossier_pdf"),
        Origin::CompanyCertificate {
            certificate,
            siret,
            champ,
        } => x.block("company_certificate", |x| {
            x.text("certificate", certificate)?;
            x.text("siret", siret)?;
            match champ {
                Some(c) => x.block("champ", |x| champ_ref(x, c)),
                None => Ok(()),
            }
        }),
    }
}

fn champ_ref(x: &mut Xml, c: &ChampRef) -> io::Result<()> {
    x.text("champ_id", &c.champ_id)?;
    x.text("champ_descriptor_id", &c.champ_descriptor_id)?;
    x.text("label", &c.label)?;
    x.opt("row", c.row.map(|r| r.to_string()).as_deref())?;
    x.opt("row_id", c.row_id.as_deref())?;
    x.opt("repetition_label", c.repetition_label.as_deref())
}

fn bool_str(b: bool) -> &'static str {
    if b {
        "true"
    } else {
        "false"
    }
}

/// A thin layer over quick-xml's writer for element-only content.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn text(&mut self, name: &str, value: &str) -> io::Result<()> {
        self.0.write_event(Event::Start(BytesStart::new(name)))?;
        self.0
            .write_event(Event::Text(BytesText::from_escaped(escape(value))))?;
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    fn opt(&mut self, name: &str, value: Option<&str>) -> io::Result<()> {
        value.map_or(Ok(()), |v| self.text(name, v))
    }

    fn empty(&mut self, name: &str) -> io::Result<()> {
        self.0.write_event(Event::Empty(BytesStart::new(name)))
    }

    fn block(
        &mut self,
        name: &str,
        body: impl FnOnce(&mut Self) -> io::Result<()>,
    ) -> io::Result<()> {
        self.0.write_event(Event::Start(BytesStart::new(name)))?;
        body(self)?;
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    fn list<T>(
        &mut self,
        name: &str,
        items: &[T],
        mut item: impl FnMut(&mut Self, &T) -> io::Result<()>,
    ) -> io::Result<()> {
        if items.is_empty() {
            return self.empty(name);
        }
        self.block(name, |x| items.iter().try_for_each(|i| item(x, i)))
    }
}

/// Escape character data for XML 1.0; see the module doc for the lossy part.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn markup_is_escaped_and_cr_survives() {
        assert_eq!(escape("a<b>&\"'"), "a&lt;b&gt;&amp;\"'");
        assert_eq!(escape("l1\r\nl2\tx"), "l1&#xD;\nl2\tx");
    }

    #[test]
    fn characters_xml_cannot_carry_become_replacement() {
        assert_eq!(
            escape("a\u{0}b\u{1b}c\u{ffff}"),
            "a\u{fffd}b\u{fffd}c\u{fffd}"
        );
        assert_eq!(escape("é – 😀"), "é – 😀");
    }
}
