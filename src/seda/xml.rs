//! Rendering a planned SIP as a SEDA 2.2 `ArchiveTransfer` (manifest.xml).
//!
//! Pure: plan in, bytes out. Child order follows the XSD sequences exactly
//! (`seda-2.2-main.xsd`, `-technical.xsd`, `-ontology.xsd`,
//! `-management.xsd`); the tests validate the output against the official XSD
//! with xmllint. Every free text value has already gone through
//! [`super::names::clean_text`]; only `&` (and `<`/`>`, already replaced)
//! are escaped, so no value carries `&quot;`-style entities Vitam frowns on.

use std::io::{self, Write};

use quick_xml::escape::partial_escape;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::config::SedaConfig;
use super::events::SipEvent;
use super::names::clean_text_or;
use super::people::Agent;
use super::plan::{DossierUnit, SipObject};
use crate::digest::DigestAlg;

mod parts;

pub use parts::{ObjectsPart, UnitsPart};

/// The SEDA 2.2 namespace.
pub const SEDA_22_NS: &str = "fr:gouv:culture:archivesdefrance:seda:v2.2";

/// The `CodeListVersions` placeholders Vitam's samples carry (also
/// elements [`super::profile`] knows ds-archive writes).
pub(super) const CODE_LISTS: &[&str] = &[
    "ReplyCodeListVersion",
    "MessageDigestAlgorithmCodeListVersion",
    "MimeTypeCodeListVersion",
    "EncodingCodeListVersion",
    "FileFormatCodeListVersion",
    "CompressionAlgorithmCodeListVersion",
    "DataObjectVersionCodeListVersion",
    "StorageRuleCodeListVersion",
    "AppraisalRuleCodeListVersion",
    "AccessRuleCodeListVersion",
    "DisseminationRuleCodeListVersion",
    "ReuseRuleCodeListVersion",
    "ClassificationRuleCodeListVersion",
    "AuthorizationReasonCodeListVersion",
    "RelationshipCodeListVersion",
];

/// The message-level values of one SIP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SipHeader {
    /// `MessageIdentifier`, also the SIP's file name.
    pub message_identifier: String,
    /// `Comment`.
    pub comment: String,
    /// `Date`, RFC 3339.
    pub date: String,
    /// Digest algorithm of every object.
    pub alg: DigestAlg,
}

/// The manifest's beginning, from the XML declaration to the opening
/// `DataObjectPackage` tag: what a SIP's header decides, written last; the
/// objects and the units follow, written by [`ObjectsPart`] and
/// [`UnitsPart`] as the SIP's dossiers come.
///
/// # Errors
/// Only if writing to memory fails (it does not in practice).
pub fn render_header(header: &SipHeader, config: &SedaConfig) -> io::Result<Vec<u8>> {
    let mut x = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    x.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    x.open("ArchiveTransfer", &[("xmlns", SEDA_22_NS)])?;
    x.leaf("Comment", &header.comment)?;
    x.leaf("Date", &header.date)?;
    x.leaf("MessageIdentifier", &header.message_identifier)?;
    x.leaf("ArchivalAgreement", &config.archival_agreement)?;
    x.open("CodeListVersions", &[])?;
    for list in CODE_LISTS {
        x.leaf(list, &format!("{list}0"))?;
    }
    x.close("CodeListVersions")?;
    x.open("DataObjectPackage", &[])?;
    Ok(x.0.into_inner())
}

/// The manifest's end, after the last dossier unit: management metadata and
/// agencies.
fn write_footer<W: Write>(x: &mut Xml<W>, config: &SedaConfig) -> io::Result<()> {
    x.close("DescriptiveMetadata")?;
    write_management(x, config)?;
    x.close("DataObjectPackage")?;

    x.open("ArchivalAgency", &[])?;
    x.leaf("Identifier", &config.archival_agency_identifier)?;
    x.close("ArchivalAgency")?;
    x.open("TransferringAgency", &[])?;
    x.leaf("Identifier", &config.transferring_agency_identifier)?;
    x.close("TransferringAgency")?;
    x.close("ArchiveTransfer")?;
    x.0.get_mut().write_all(b"\n")
}

fn write_object<W: Write>(x: &mut Xml<W>, o: &SipObject, alg: DigestAlg) -> io::Result<()> {
    x.open("DataObjectGroup", &[("id", &o.group_id)])?;
    x.open("BinaryDataObject", &[("id", &o.object_id)])?;
    x.leaf("DataObjectVersion", "BinaryMaster_1")?;
    x.leaf("Uri", &format!("Content/{}", o.content_name))?;
    x.leaf_attr("MessageDigest", ("algorithm", alg.seda_name()), &o.digest)?;
    // Size is xsd:positiveInteger: a 0-byte file has no Size at all.
    if o.size > 0 {
        x.leaf("Size", &o.size.to_string())?;
    }
    if !o.format.is_empty() {
        // SEDA 2.2 order: FormatLitteral, MimeType, FormatId.
        x.open("FormatIdentification", &[])?;
        if let Some(name) = &o.format.litteral {
            x.leaf("FormatLitteral", name)?;
        }
        if let Some(mime) = &o.format.mime {
            x.leaf("MimeType", mime)?;
        }
        if let Some(puid) = &o.format.puid {
            x.leaf("FormatId", puid)?;
        }
        x.close("FormatIdentification")?;
    }
    x.open("FileInfo", &[])?;
    x.leaf("Filename", &o.filename)?;
    if let Some(date) = &o.last_modified {
        x.leaf("LastModified", date)?;
    }
    x.close("FileInfo")?;
    x.close("BinaryDataObject")?;
    x.close("DataObjectGroup")
}

fn write_dossier<W: Write>(x: &mut Xml<W>, d: &DossierUnit) -> io::Result<()> {
    x.open("ArchiveUnit", &[("id", &d.id)])?;
    if !d.rules.is_empty() {
        // ManagementGroup order: AppraisalRule before AccessRule.
        x.open("Management", &[])?;
        if let Some(r) = &d.rules.appraisal {
            write_rule(
                x,
                "AppraisalRule",
                &r.rule,
                r.start_date.as_deref(),
                r.final_action.as_deref(),
            )?;
        }
        if let Some(r) = &d.rules.access {
            write_rule(x, "AccessRule", &r.rule, r.start_date.as_deref(), None)?;
        }
        x.close("Management")?;
    }
    x.open("Content", &[])?;
    x.leaf("DescriptionLevel", "File")?;
    x.leaf("Title", &d.title)?;
    x.leaf(
        "OriginatingAgencyArchiveUnitIdentifier",
        &d.number.to_string(),
    )?;
    x.leaf("Description", &d.description)?;
    for (content, kind) in &d.keywords {
        x.open("Keyword", &[])?;
        x.leaf("KeywordContent", content)?;
        x.leaf("KeywordType", kind)?;
        x.close("Keyword")?;
    }
    // AudienceGroup order: Addressee, Recipient, Transmitter, Sender.
    let p = &d.parties;
    for (element, agent) in [
        ("Addressee", &p.addressee),
        ("Transmitter", &p.transmitter),
        ("Sender", &p.sender),
    ] {
        if let Some(agent) = agent {
            write_agent(x, element, agent)?;
        }
    }
    if let Some(s) = &d.start_date {
        x.leaf("StartDate", s)?;
    }
    if let Some(e) = &d.end_date {
        x.leaf("EndDate", e)?;
    }
    for e in &d.events {
        write_event(x, e)?;
    }
    x.close("Content")?;
    for g in &d.groups {
        x.open("ArchiveUnit", &[("id", &g.id)])?;
        x.open("Content", &[])?;
        x.leaf("DescriptionLevel", "RecordGrp")?;
        x.leaf("Title", &g.title)?;
        x.close("Content")?;
        for item in &g.items {
            x.open("ArchiveUnit", &[("id", &item.id)])?;
            x.open("Content", &[])?;
            x.leaf("DescriptionLevel", "Item")?;
            x.leaf("Title", &item.title)?;
            if let Some(desc) = &item.description {
                x.leaf("Description", desc)?;
            }
            x.close("Content")?;
            x.open("DataObjectReference", &[])?;
            x.leaf("DataObjectGroupReferenceId", &item.group_ref)?;
            x.close("DataObjectReference")?;
            x.close("ArchiveUnit")?;
        }
        x.close("ArchiveUnit")?;
    }
    x.close("ArchiveUnit")
}

/// An `AgentType` element, children in the XSD's order.
fn write_agent<W: Write>(x: &mut Xml<W>, element: &str, a: &Agent) -> io::Result<()> {
    x.open(element, &[])?;
    for (name, value) in [
        ("FirstName", &a.first_name),
        ("FullName", &a.full_name),
        ("GivenName", &a.given_name),
        ("Corpname", &a.corpname),
    ] {
        if let Some(v) = value {
            x.leaf(name, v)?;
        }
    }
    for id in &a.identifiers {
        x.leaf("Identifier", id)?;
    }
    x.leaf("Role", a.role)?;
    x.close(element)
}

fn write_event<W: Write>(x: &mut Xml<W>, e: &SipEvent) -> io::Result<()> {
    x.open("Event", &[])?;
    x.leaf("EventTypeCode", &e.code)?;
    x.leaf("EventType", &e.label)?;
    x.leaf("EventDateTime", &e.date_time)?;
    if let Some(d) = &e.detail {
        x.leaf("EventDetail", d)?;
    }
    if let Some(o) = e.outcome {
        x.leaf("Outcome", o)?;
    }
    if let Some(email) = &e.agent_email {
        x.open("LinkingAgentIdentifier", &[])?;
        x.leaf("LinkingAgentIdentifierType", "email")?;
        x.leaf("LinkingAgentIdentifierValue", email)?;
        x.leaf("LinkingAgentRole", "instructeur")?;
        x.close("LinkingAgentIdentifier")?;
    }
    x.close("Event")
}

fn write_rule<W: Write>(
    x: &mut Xml<W>,
    element: &str,
    rule: &str,
    start_date: Option<&str>,
    final_action: Option<&str>,
) -> io::Result<()> {
    x.open(element, &[])?;
    x.leaf("Rule", rule)?;
    if let Some(d) = start_date {
        x.leaf("StartDate", d)?;
    }
    if let Some(a) = final_action {
        x.leaf("FinalAction", a)?;
    }
    x.close(element)
}

fn write_management<W: Write>(x: &mut Xml<W>, config: &SedaConfig) -> io::Result<()> {
    x.open("ManagementMetadata", &[])?;
    if let Some(profile) = &config.archival_profile {
        x.leaf("ArchivalProfile", profile)?;
    }
    x.leaf(
        "OriginatingAgencyIdentifier",
        &config.originating_agency_identifier,
    )?;
    let submission = config
        .submission_agency_identifier
        .as_deref()
        .unwrap_or(&config.transferring_agency_identifier);
    x.leaf("SubmissionAgencyIdentifier", submission)?;
    // ManagementGroup order: StorageRule, AppraisalRule, AccessRule, ...
    // Only rules with a fixed date apply to the whole transfer; the others
    // are in each dossier unit.
    if let Some(rule) = &config.appraisal_rule {
        if let Some(start) = rule.start_date.as_deref() {
            write_rule(
                x,
                "AppraisalRule",
                &rule.rule,
                Some(start),
                Some(&rule.final_action),
            )?;
        }
    }
    if let Some(rule) = &config.access_rule {
        if let Some(start) = rule.start_date.as_deref() {
            write_rule(x, "AccessRule", &rule.rule, Some(start), None)?;
        }
    }
    x.close("ManagementMetadata")
}

/// A thin helper over quick-xml's writer.
struct Xml<W: Write>(Writer<W>);

impl<W: Write> Xml<W> {
    fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> io::Result<()> {
        let start = BytesStart::new(name).with_attributes(attrs.iter().copied());
        self.0.write_event(Event::Start(start))
    }

    fn close(&mut self, name: &str) -> io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    fn leaf(&mut self, name: &str, text: &str) -> io::Result<()> {
        let text = clean_text_or(text, "-");
        self.0
            .create_element(name)
            .write_text_content(BytesText::from_escaped(partial_escape(&text)))?;
        Ok(())
    }

    fn leaf_attr(&mut self, name: &str, attr: (&str, &str), text: &str) -> io::Result<()> {
        self.0
            .create_element(name)
            .with_attribute(attr)
            .write_text_content(BytesText::from_escaped(partial_escape(text)))?;
        Ok(())
    }
}
