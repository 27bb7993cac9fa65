//! Sending a document: by e-mail as an attachment (through the outbox, in the caller's
//! transaction) or by publishing it in e-SORI. Each delivery is recorded on the document: the
//! channel, to whom, when, by whom, and for e-mail the outbox row that says whether it left.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use super::Document;
use crate::db::DbError;
use crate::db::schema::{document_deliveries, documents, outbound_emails};
use crate::mail::{self, Notice};

/// One delivery as the document page lists it.
#[derive(Debug, Clone, Queryable)]
pub struct Delivery {
    pub id: i64,
    pub document_id: i64,
    pub channel: String,
    pub to_address: String,
    pub created_at: DateTime<Utc>,
    /// The outbox row's status for e-mail ("pending", "sent", "failed"...).
    pub email_status: Option<String>,
    pub email_sent_at: Option<DateTime<Utc>>,
}

impl Delivery {
    /// "Enviado por correo", "Publicado en e-SORI", in Spanish, with the e-mail's state.
    pub fn describe(&self) -> String {
        match self.channel.as_str() {
            "portal" => "Publicado en e-SORI".to_owned(),
            _ => match self.email_status.as_deref() {
                Some("sent") => "Enviado por correo".to_owned(),
                Some("failed") => "Correo no entregado (ver la bandeja de salida)".to_owned(),
                _ => "Correo en cola de envío".to_owned(),
            },
        }
    }
}

/// Queues `document` to `to` as an attachment, with a short covering message, and records the
/// delivery. Call inside the transaction of the change that sends it.
pub fn email(
    conn: &mut PgConnection,
    document: &Document,
    to: &str,
    name: &str,
    by: Option<i64>,
) -> Result<i64, DbError> {
    let title = document
        .generated_kind()
        .map(|k| k.label().to_owned())
        .unwrap_or_else(|| document.filename.clone());
    let outbox = mail::send(
        conn,
        &Notice::DocumentSent {
            to: to.to_owned(),
            name: name.to_owned(),
            title,
            filename: document.filename.clone(),
        },
    )?;
    diesel::update(outbound_emails::table.find(outbox))
        .set(outbound_emails::attachment_document_id.eq(document.id))
        .execute(conn)?;
    record(conn, document.id, "email", to, Some(outbox), by)?;
    Ok(outbox)
}

/// Attaches `document` to an e-mail already queued (by an automation rule) and records the
/// delivery.
pub fn attach_to(
    conn: &mut PgConnection,
    document: &Document,
    outbox: i64,
    to: &str,
) -> QueryResult<()> {
    diesel::update(outbound_emails::table.find(outbox))
        .set(outbound_emails::attachment_document_id.eq(document.id))
        .execute(conn)?;
    record(conn, document.id, "email", to, Some(outbox), None)
}

/// Publishes `document` in e-SORI (it must belong to a customer) and records it; publishing
/// what is already visible records nothing.
pub fn publish(conn: &mut PgConnection, document: &Document, by: Option<i64>) -> QueryResult<bool> {
    if document.customer_id.is_none() {
        return Ok(false);
    }
    let changed = diesel::update(
        documents::table
            .find(document.id)
            .filter(documents::visible_to_client.eq(false)),
    )
    .set(documents::visible_to_client.eq(true))
    .execute(conn)?;
    if changed > 0 || !already_published(conn, document.id)? {
        record(conn, document.id, "portal", "e-SORI", None, by)?;
    }
    Ok(true)
}

fn already_published(conn: &mut PgConnection, document: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        document_deliveries::table
            .filter(document_deliveries::document_id.eq(document))
            .filter(document_deliveries::channel.eq("portal")),
    ))
    .get_result(conn)
}

fn record(
    conn: &mut PgConnection,
    document: i64,
    channel: &str,
    to: &str,
    outbox: Option<i64>,
    by: Option<i64>,
) -> QueryResult<()> {
    diesel::insert_into(document_deliveries::table)
        .values((
            document_deliveries::document_id.eq(document),
            document_deliveries::channel.eq(channel),
            document_deliveries::to_address.eq(to),
            document_deliveries::outbox_id.eq(outbox),
            document_deliveries::sent_by_staff_id.eq(by),
        ))
        .execute(conn)?;
    Ok(())
}

/// The deliveries of `documents`, newest first, one query.
pub fn of(conn: &mut PgConnection, documents: &[i64]) -> QueryResult<Vec<Delivery>> {
    document_deliveries::table
        .left_join(outbound_emails::table)
        .filter(document_deliveries::document_id.eq_any(documents))
        .order(document_deliveries::id.desc())
        .limit(500)
        .select((
            document_deliveries::id,
            document_deliveries::document_id,
            document_deliveries::channel,
            document_deliveries::to_address,
            document_deliveries::created_at,
            outbound_emails::status.nullable(),
            outbound_emails::sent_at.nullable(),
        ))
        .load(conn)
}

/// Who a document goes to by default: the e-mail address on its record (the customer's, the
/// prospect's, the complainant's or the carrier's) and the name to greet.
pub fn recipient(
    conn: &mut PgConnection,
    document: &Document,
) -> QueryResult<(Option<String>, String)> {
    use crate::db::schema::{carrier_settlements, carriers, complaints, customers, quotes};
    use crate::documents::Entity;
    if let Some(customer) = document.customer_id {
        let (email, name): (Option<String>, String) = customers::table
            .find(customer)
            .select((customers::email, customers::display_name))
            .first(conn)?;
        return Ok((email, name));
    }
    Ok(match document.entity() {
        Some(Entity::Quote(id)) => {
            let (email, name): (Option<String>, Option<String>) = quotes::table
                .find(id)
                .select((quotes::prospect_email, quotes::prospect_name))
                .first(conn)?;
            (email, name.unwrap_or_default())
        }
        Some(Entity::Complaint(id)) => complaints::table
            .find(id)
            .select((complaints::complainant_email, complaints::complainant_name))
            .first(conn)?,
        Some(Entity::Settlement(id)) => {
            let (email, name): (String, String) = carrier_settlements::table
                .inner_join(carriers::table)
                .filter(carrier_settlements::id.eq(id))
                .select((carriers::email, carriers::name))
                .first(conn)?;
            ((!email.trim().is_empty()).then_some(email), name)
        }
        _ => (None, String::new()),
    })
}
