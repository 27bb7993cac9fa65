//! The documents the brokerage generates and sends: each is written from the database at the
//! moment it is generated, stored as a document of its record (SHA-256, template version) and
//! reproducible: the same data and template version give the same bytes.
//!
//! Generating again adds a version when the text changed; when nothing changed the current
//! version is returned as it is (a double click is not a new version).

mod content;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::versions::{self, NextVersion, VersionError};
use super::{Document, Entity, PgStorage, Storage};
use crate::db::schema::documents;
use crate::distribution::precontract::BrokerIdentity;
use crate::pdf::{self, Letterhead};

/// What a generated document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A quote with its options side by side.
    Quote,
    /// The pre-contract information with the demands-and-needs record and the advice.
    Precontract,
    /// The certificate of cover of a policy, as the broker issues it.
    PolicyCertificate,
    /// The renewal notice with the current and the new premium.
    RenewalNotice,
    /// One premium receipt (filed under its policy).
    Receipt,
    /// A customer's receipts still to pay.
    PendingReceipts,
    ComplaintAcknowledgement,
    ComplaintAnswer,
    /// What the brokerage settles with a carrier for a period.
    SettlementStatement,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Quote,
        Kind::Precontract,
        Kind::PolicyCertificate,
        Kind::RenewalNotice,
        Kind::Receipt,
        Kind::PendingReceipts,
        Kind::ComplaintAcknowledgement,
        Kind::ComplaintAnswer,
        Kind::SettlementStatement,
    ];

    /// Stored in `documents.kind` and used in URLs.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Quote => "presupuesto",
            Kind::Precontract => "informacion_previa",
            Kind::PolicyCertificate => "certificado",
            Kind::RenewalNotice => "aviso_renovacion",
            Kind::Receipt => "recibo",
            Kind::PendingReceipts => "recibos_pendientes",
            Kind::ComplaintAcknowledgement => "acuse_reclamacion",
            Kind::ComplaintAnswer => "respuesta_reclamacion",
            Kind::SettlementStatement => "liquidacion",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    /// The name staff and clients read.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Quote => "Presupuesto",
            Kind::Precontract => "Información previa y necesidades",
            Kind::PolicyCertificate => "Certificado de seguro",
            Kind::RenewalNotice => "Aviso de renovación",
            Kind::Receipt => "Recibo",
            Kind::PendingReceipts => "Recibos pendientes",
            Kind::ComplaintAcknowledgement => "Acuse de recibo de la reclamación",
            Kind::ComplaintAnswer => "Respuesta a la reclamación",
            Kind::SettlementStatement => "Liquidación a la aseguradora",
        }
    }

    /// The layout's version, kept with each document: a changed layout bumps it.
    pub fn template_version(self) -> &'static str {
        match self {
            Kind::Quote => "presupuesto-2026-12-v1",
            Kind::Precontract => "informacion-previa-2026-12-v1",
            Kind::PolicyCertificate => "certificado-2026-12-v1",
            Kind::RenewalNotice => "aviso-renovacion-2026-12-v1",
            Kind::Receipt => "recibo-2026-12-v1",
            Kind::PendingReceipts => "recibos-pendientes-2026-12-v1",
            Kind::ComplaintAcknowledgement => "acuse-reclamacion-2026-12-v1",
            Kind::ComplaintAnswer => "respuesta-reclamacion-2026-12-v1",
            Kind::SettlementStatement => "liquidacion-2026-12-v1",
        }
    }

    /// The kinds a record of `entity`'s type can generate, in the order the page offers them.
    pub fn for_entity(entity: Entity) -> &'static [Kind] {
        match entity {
            Entity::Quote(_) => &[Kind::Quote, Kind::Precontract],
            Entity::Policy(_) => &[Kind::PolicyCertificate, Kind::RenewalNotice, Kind::Receipt],
            Entity::Customer(_) => &[Kind::PendingReceipts],
            Entity::Claim(_) => &[],
            Entity::Complaint(_) => &[Kind::ComplaintAcknowledgement, Kind::ComplaintAnswer],
            Entity::Settlement(_) => &[Kind::SettlementStatement],
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GenerateError {
    #[error("El registro no existe.")]
    NotFound,
    /// The record is not ready for this document (a complaint without an answer yet).
    #[error("{0}")]
    NotReady(String),
    #[error(transparent)]
    Version(#[from] VersionError),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error(transparent)]
    Render(#[from] pdf::RenderError),
}

/// What to generate: `subject` is the receipt of a [`Kind::Receipt`] (its policy is the record).
#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub kind: Kind,
    pub entity: Entity,
    pub subject: Option<i64>,
    pub today: NaiveDate,
}

/// The result: the document, and whether this call created it (false: nothing had changed).
pub struct Generated {
    pub document: Document,
    pub created: bool,
}

/// A document as written, before it is stored: its file name, its customer and its bytes.
pub struct Written {
    pub filename: String,
    pub customer_id: Option<i64>,
    pub bytes: Vec<u8>,
}

/// Writes the document from the database now, without storing it.
pub fn write(
    conn: &mut PgConnection,
    request: &Request,
    broker: &BrokerIdentity,
) -> Result<Written, GenerateError> {
    let built = content::build(conn, request, broker)?;
    let bytes = pdf::render(&built.doc, &Letterhead::from(broker))?;
    Ok(Written {
        filename: built.filename,
        customer_id: built.customer_id,
        bytes,
    })
}

/// Generates and stores the document (in the caller's transaction): a first version, a new
/// version when the text changed, or the current one when it did not.
pub fn generate(
    conn: &mut PgConnection,
    request: &Request,
    broker: &BrokerIdentity,
    visible_to_client: bool,
    note: &str,
    by: Option<i64>,
) -> Result<Generated, GenerateError> {
    let written = write(conn, request, broker)?;
    let sha = crate::util::sha256_hex(&written.bytes);
    let subject_key = request.subject.map(|s| s.to_string());
    let mut current = documents::table
        .filter(documents::entity_type.eq(request.entity.kind()))
        .filter(documents::entity_id.eq(request.entity.id()))
        .filter(documents::kind.eq(request.kind.code()))
        .filter(documents::superseded_at.is_null())
        .select(Document::as_select())
        .into_boxed();
    current = match &subject_key {
        Some(key) => current.filter(documents::subject_key.eq(key.clone())),
        None => current.filter(documents::subject_key.is_null()),
    };
    let current: Option<Document> = current.first(conn).optional()?;
    let template = request.kind.template_version();
    match current {
        Some(current) if current.sha256 == sha => {
            let document = if visible_to_client && !current.visible_to_client {
                diesel::update(documents::table.find(current.id))
                    .set(documents::visible_to_client.eq(true))
                    .returning(Document::as_returning())
                    .get_result(conn)?
            } else {
                current
            };
            Ok(Generated {
                document,
                created: false,
            })
        }
        Some(current) => {
            let document = versions::add(
                conn,
                &PgStorage,
                current.id,
                &NextVersion {
                    filename: &written.filename,
                    content_type: "application/pdf",
                    bytes: &written.bytes,
                    visible_to_client: visible_to_client || current.visible_to_client,
                    template_version: Some(template),
                    note,
                    by,
                },
            )?;
            Ok(Generated {
                document,
                created: true,
            })
        }
        None => {
            let document: Document = diesel::insert_into(documents::table)
                .values((
                    documents::entity_type.eq(request.entity.kind()),
                    documents::entity_id.eq(request.entity.id()),
                    documents::customer_id.eq(written.customer_id),
                    documents::filename.eq(&written.filename),
                    documents::content_type.eq("application/pdf"),
                    documents::size_bytes.eq(written.bytes.len() as i64),
                    documents::sha256.eq(&sha),
                    documents::visible_to_client
                        .eq(visible_to_client && written.customer_id.is_some()),
                    documents::uploaded_by_staff_id.eq(by),
                    documents::kind.eq(request.kind.code()),
                    documents::subject_key.eq(&subject_key),
                    documents::template_version.eq(template),
                    documents::version_note.eq(note),
                ))
                .returning(Document::as_returning())
                .get_result(conn)?;
            PgStorage.put(conn, document.id, &written.bytes)?;
            Ok(Generated {
                document,
                created: true,
            })
        }
    }
}

/// The current generated document of `kind` on `entity`, if one was generated.
pub fn current(
    conn: &mut PgConnection,
    entity: Entity,
    kind: Kind,
) -> QueryResult<Option<Document>> {
    documents::table
        .filter(documents::entity_type.eq(entity.kind()))
        .filter(documents::entity_id.eq(entity.id()))
        .filter(documents::kind.eq(kind.code()))
        .filter(documents::superseded_at.is_null())
        .order(documents::id.desc())
        .select(Document::as_select())
        .first(conn)
        .optional()
}

/// "Enviar al cliente" of a quote: marks it sent and writes its PDF, published in e-SORI when
/// the quote is a customer's, in one transaction (the caller's). The e-mail the `quote.sent`
/// rule sends carries that PDF (see `automation::actions`).
pub fn send_quote(
    conn: &mut PgConnection,
    scope: crate::auth::permissions::PortfolioScope,
    id: i64,
    today: NaiveDate,
    broker: &BrokerIdentity,
    by: &crate::audit::Actor,
) -> Result<Generated, crate::quotes::QuoteError> {
    use crate::quotes::QuoteError;
    crate::quotes::send(conn, scope, id, today, by)?;
    let request = Request {
        kind: Kind::Quote,
        entity: Entity::Quote(id),
        subject: None,
        today,
    };
    let staff = by.staff();
    let generated =
        generate(conn, &request, broker, true, "Enviado al cliente", staff).map_err(|error| {
            match error {
                GenerateError::Db(e) => QuoteError::from(e),
                other => QuoteError::Database(crate::db::DbError::other(other.to_string())),
            }
        })?;
    super::delivery::publish(conn, &generated.document, staff)?;
    Ok(generated)
}
