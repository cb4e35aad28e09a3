//! Reading the API's JSON into [`Metadata`]: the field-by-field mapping of
//! docs/metadata.md, as code.
//!
//! The dossier arrives as the `serde_json::Value` the API returned (keys are
//! the GraphQL field names of `DossierFragment`). Fields the schema marks
//! non-null are required here and their absence is an error naming the
//! dossier and the JSON path; nullable fields become `null`. Lists the query
//! may leave out (`instructeurs`, `traitements`, `labels`) are read as empty
//! when absent or null, but a value of the wrong type is always an error.

use serde_json::Value;

use super::check;
use super::json_fields::{join, shorten, Reader};
use super::types::{
    Demandeur, DemarcheInfo, FileEntry, GroupeInstructeurInfo, LabelInfo, Mandataire, Metadata,
    PersonneMorale, PersonnePhysique, ServiceInfo, TraitementInfo,
};
use super::{Context, MetadataError, SCHEMA_VERSION};
use crate::model::{DossierState, Origin, StoredFile};

/// Traitement events that decide a dossier: the agent of the latest one is
/// the deciding agent while the dossier is in a terminal state.
const DECISION_EVENTS: [&str; 5] = [
    "accepte",
    "accepte_automatiquement",
    "refuse",
    "refuse_automatiquement",
    "classe_sans_suite",
];

/// Build the metadata of one dossier; see [`super::build`].
pub(super) fn build(ctx: &Context) -> Result<Metadata, MetadataError> {
    let d = ctx.dossier;
    let name = dossier_name(d);
    let r = Reader { dossier: &name };
    if !d.is_object() {
        return Err(r.invalid("", "the dossier is not a JSON object", d));
    }
    let id = r.req_u64(d, "number", "")?;
    if id == 0 {
        return Err(r.invalid("number", "dossier numbers start at 1", &d["number"]));
    }
    let state_raw = r.req_str(d, "state", "")?;
    let state = DossierState::from_api(&state_raw).ok_or_else(|| {
        r.invalid(
            "state",
            "unknown dossier state",
            &Value::String(state_raw.clone()),
        )
    })?;
    let date_depot = r.req_datetime(d, "dateDepot", "")?;
    let email_instructeurs = r
        .list(d, "instructeurs")?
        .iter()
        .enumerate()
        .map(|(i, p)| r.req_str(p, "email", &format!("instructeurs[{i}]")))
        .collect::<Result<_, _>>()?;
    let traitements = traitements(&r, d)?;
    Ok(Metadata {
        schema: SCHEMA_VERSION.to_owned(),
        id,
        created_at: date_depot.clone(),
        updated_at: r.req_datetime(d, "dateDerniereModification", "")?,
        archived: r
            .opt_bool(d, "archived", "")?
            .ok_or_else(|| r.missing("archived"))?,
        email: r.req_str(r.req_obj(d, "usager", "")?, "email", "usager")?,
        state: state.legacy_name().to_owned(),
        initiated_at: date_depot,
        received_at: r.opt_datetime(d, "datePassageEnInstruction", "")?,
        processed_at: r.opt_datetime(d, "dateTraitement", "")?,
        motivation: r.opt_str(d, "motivation", "")?,
        email_instructeurs,
        ds_state: state.api_name().to_owned(),
        ds_state_label: state.label_fr().to_owned(),
        demarche: demarche(&r, ctx.demarche, d)?,
        groupe_instructeur: {
            let g = r.req_obj(d, "groupeInstructeur", "")?;
            GroupeInstructeurInfo {
                number: r.req_u64(g, "number", "groupeInstructeur")?,
                label: r.req_str(g, "label", "groupeInstructeur")?,
            }
        },
        demandeur: demandeur(&r, r.req_obj(d, "demandeur", "")?)?,
        deposited_by_third_party: r.opt_bool(d, "deposeParUnTiers", "")?,
        mandataire: {
            let prenom = r.opt_str(d, "prenomMandataire", "")?;
            let nom = r.opt_str(d, "nomMandataire", "")?;
            (prenom.is_some() || nom.is_some()).then_some(Mandataire { prenom, nom })
        },
        deciding_agent: deciding_agent(state, &traitements),
        traitements,
        labels: r
            .list(d, "labels")?
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let path = format!("labels[{i}]");
                Ok(LabelInfo {
                    name: r.req_str(l, "name", &path)?,
                    color: r.opt_str(l, "color", &path)?,
                })
            })
            .collect::<Result<_, MetadataError>>()?,
        date_expiration: r.opt_datetime(d, "dateExpiration", "")?,
        archived_at: {
            let at = Value::String(ctx.archived_at.to_owned());
            if !check::is_datetime(ctx.archived_at) {
                return Err(r.invalid("archived_at", "expected an RFC 3339 date-time", &at));
            }
            ctx.archived_at.to_owned()
        },
        software: if ctx.software.trim().is_empty() {
            return Err(r.invalid("software", "the program name is empty", &Value::from("")));
        } else {
            ctx.software.to_owned()
        },
        files: files(&r, ctx.files)?,
    })
}

/// How errors name the dossier: its number, else its global id.
fn dossier_name(d: &Value) -> String {
    match (d.get("number").and_then(Value::as_u64), d.get("id")) {
        (Some(n), _) => n.to_string(),
        (None, Some(id @ Value::String(_))) => format!("id {}", shorten(&id.to_string())),
        _ => "<without number>".to_owned(),
    }
}

fn demarche(r: &Reader, header: &Value, d: &Value) -> Result<DemarcheInfo, MetadataError> {
    let number = r.req_u64(header, "number", "demarche (header)")?;
    if number == 0 {
        let found = &header["number"];
        return Err(r.invalid(
            "demarche (header).number",
            "démarche numbers start at 1",
            found,
        ));
    }
    if let Some(own) = r.opt_obj(d, "demarche", "")? {
        let own_number = r.req_u64(own, "number", "demarche")?;
        if own_number != number {
            return Err(r.invalid(
                "demarche.number",
                &format!("the dossier belongs to another démarche than the header's ({number})"),
                &own["number"],
            ));
        }
    }
    let service = match r.opt_obj(header, "service", "demarche (header)")? {
        None => None,
        Some(s) => {
            let path = "demarche.service";
            Some(ServiceInfo {
                nom: r.req_str(s, "nom", path)?,
                organisme: r.req_str(s, "organisme", path)?,
                type_organisme: r.opt_str(s, "typeOrganisme", path)?,
                siret: r.opt_str(s, "siret", path)?,
            })
        }
    };
    Ok(DemarcheInfo {
        number,
        title: r.req_str(header, "title", "demarche (header)")?,
        service,
    })
}

fn demandeur(r: &Reader, v: &Value) -> Result<Demandeur, MetadataError> {
    let p = "demandeur";
    let kind = r.req_str(v, "__typename", p)?;
    Ok(match kind.as_str() {
        "PersonnePhysique" => Demandeur::PersonnePhysique(PersonnePhysique {
            civilite: r.opt_str(v, "civilite", p)?,
            nom: r.req_str(v, "nom", p)?,
            prenom: r.req_str(v, "prenom", p)?,
            email: r.opt_str(v, "email", p)?,
            date_de_naissance: match r.opt_str(v, "dateDeNaissance", p)? {
                Some(s) if !check::is_date(&s) => {
                    let found = Value::String(s);
                    return Err(r.invalid(
                        "demandeur.dateDeNaissance",
                        "expected YYYY-MM-DD",
                        &found,
                    ));
                }
                other => other,
            },
        }),
        "PersonneMorale" => {
            let none = Value::Null;
            let addr = r.opt_obj(v, "address", p)?.unwrap_or(&none);
            let ent = r.opt_obj(v, "entreprise", p)?.unwrap_or(&none);
            let asso = r.opt_obj(v, "association", p)?.unwrap_or(&none);
            let (pa, pe, pr) = (
                "demandeur.address",
                "demandeur.entreprise",
                "demandeur.association",
            );
            Demandeur::PersonneMorale(Box::new(PersonneMorale {
                siret: r.req_str(v, "siret", p)?,
                siege_social: r.opt_bool(v, "siegeSocial", p)?,
                naf: r.opt_str(v, "naf", p)?,
                libelle_naf: r.opt_str(v, "libelleNaf", p)?,
                adresse: r.opt_str(addr, "label", pa)?,
                code_postal: r.opt_str(addr, "postalCode", pa)?,
                commune: r.opt_str(addr, "cityName", pa)?,
                code_insee: r.opt_str(addr, "cityCode", pa)?,
                siren: r.opt_str(ent, "siren", pe)?,
                raison_sociale: r.opt_str(ent, "raisonSociale", pe)?,
                nom_commercial: r.opt_str(ent, "nomCommercial", pe)?,
                forme_juridique: r.opt_str(ent, "formeJuridique", pe)?,
                numero_tva_intracommunautaire: r.opt_str(ent, "numeroTvaIntracommunautaire", pe)?,
                etat_administratif: r.opt_str(ent, "etatAdministratif", pe)?,
                association_rna: r.opt_str(asso, "rna", pr)?,
                association_titre: r.opt_str(asso, "titre", pr)?,
            }))
        }
        "PersonneMoraleIncomplete" => Demandeur::PersonneMoraleIncomplete {
            siret: r.req_str(v, "siret", p)?,
        },
        _ => {
            let found = Value::String(kind);
            return Err(r.invalid("demandeur.__typename", "unknown demandeur type", &found));
        }
    })
}

fn traitements(r: &Reader, d: &Value) -> Result<Vec<TraitementInfo>, MetadataError> {
    r.list(d, "traitements")?
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let path = format!("traitements[{i}]");
            let event = r.req_str(t, "event", &path)?;
            if event.is_empty() || !event.bytes().all(|c| c.is_ascii_lowercase() || c == b'_') {
                let found = Value::String(event);
                return Err(r.invalid(
                    &join(&path, "event"),
                    "expected a snake_case event",
                    &found,
                ));
            }
            Ok(TraitementInfo {
                event,
                date: r.req_datetime(t, "dateTraitement", &path)?,
                agent: r.opt_str(t, "emailAgentTraitant", &path)?,
                motivation: r.opt_str(t, "motivation", &path)?,
            })
        })
        .collect()
}

/// The agent of the decision in force: only terminal states have one, and it
/// is the latest decision event (by instant, then by list position).
fn deciding_agent(state: DossierState, traitements: &[TraitementInfo]) -> Option<String> {
    use time::format_description::well_known::Rfc3339;
    use time::OffsetDateTime;
    if matches!(
        state,
        DossierState::EnConstruction | DossierState::EnInstruction
    ) {
        return None;
    }
    traitements
        .iter()
        .enumerate()
        .filter(|(_, t)| DECISION_EVENTS.contains(&t.event.as_str()))
        .filter_map(|(i, t)| Some((OffsetDateTime::parse(&t.date, &Rfc3339).ok()?, i, t)))
        .max_by_key(|(at, i, _)| (*at, *i))
        .and_then(|(_, _, t)| t.agent.clone())
}

fn files(r: &Reader, stored: &[StoredFile]) -> Result<Vec<FileEntry>, MetadataError> {
    let mut out = Vec::with_capacity(stored.len());
    for f in stored {
        let bad = |reason: &str| MetadataError::File {
            dossier: r.dossier.to_owned(),
            path: f.bag_path.clone(),
            reason: reason.to_owned(),
        };
        if let Some(problem) = check::bag_path_problem(&f.bag_path) {
            return Err(bad(problem));
        }
        if !check::is_lower_hex(&f.digests.sha256, 64) {
            return Err(bad("its sha256 is not 64 lowercase hex digits"));
        }
        if let Some(s) = &f.digests.sha512 {
            if !check::is_lower_hex(s, 128) {
                return Err(bad("its sha512 is not 128 lowercase hex digits"));
            }
        }
        if let Some(at) = &f.attachment.created_at {
            if !check::is_datetime(at) {
                return Err(bad("its createdAt is not an RFC 3339 date-time"));
            }
        }
        if let Some(problem) = origin_problem(&f.attachment.origin) {
            return Err(bad(problem));
        }
        out.push(FileEntry {
            path: f.bag_path.clone(),
            original_filename: f.attachment.filename.clone(),
            content_type: f.attachment.content_type.clone(),
            size: f.digests.size,
            ds_checksum: f.attachment.checksum.clone(),
            sha256: f.digests.sha256.clone(),
            sha512: f.digests.sha512.clone(),
            created_at: f.attachment.created_at.clone(),
            origin: f.attachment.origin.clone(),
            format: Some(f.format.clone()),
        });
    }
    // The download stage finishes files in any order; the document must not.
    out.sort_by(|a, b| a.path.cmp(&b.path));
    if let Some(w) = out.windows(2).find(|w| w[0].path == w[1].path) {
        return Err(MetadataError::File {
            dossier: r.dossier.to_owned(),
            path: w[0].path.clone(),
            reason: "listed twice".to_owned(),
        });
    }
    Ok(out)
}

/// What in an origin the schemas would reject.
fn origin_problem(origin: &Origin) -> Option<&'static str> {
    let champ = match origin {
        Origin::Champ(c) | Origin::Annotation(c) => Some(c),
        Origin::CompanyCertificate { champ, .. } => champ.as_ref(),
        Origin::Message { created_at, .. } if !check::is_datetime(created_at) => {
            return Some("its message date is not an RFC 3339 date-time")
        }
        _ => None,
    };
    (champ.and_then(|c| c.row) == Some(0))
        .then_some("its repetition row number is 0 (rows are 1-based)")
}

#[cfg(test)]
mod tests;
