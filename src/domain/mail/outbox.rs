//! Reading and tending the outbox: the admin list and putting a failed e-mail back in line.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::outbound_emails;
use crate::listing::{Cursor, PAGE_SIZE, Page};

crate::text_enum!(Status, as_str);

/// Where an e-mail is in its delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    /// Waiting for its (next) attempt.
    Pending,
    /// Claimed by a worker that is sending it now.
    Sending,
    Sent,
    /// Given up: a permanent refusal, or too many attempts. An admin may retry it.
    Failed,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pending,
        Status::Sending,
        Status::Sent,
        Status::Failed,
    ];

    /// The value stored in `outbound_emails.status` (and used in URLs).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Sending => "sending",
            Status::Sent => "sent",
            Status::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// Spanish name for the back-office.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Pendiente",
            Status::Sending => "Enviando",
            Status::Sent => "Enviado",
            Status::Failed => "Fallido",
        }
    }
}

/// One outbox row without its bodies, as lists show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbound_emails, check_for_backend(diesel::pg::Pg))]
pub struct OutboxEntry {
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    pub subject: String,
    status: Status,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// A stored document sent with it.
    pub attachment_document_id: Option<i64>,
}

impl OutboxEntry {
    pub fn status(&self) -> Status {
        self.status
    }
}

/// A page of e-mails, newest first, optionally only those in `status`. Keyset pagination:
/// stable while new rows arrive.
pub fn list(
    conn: &mut PgConnection,
    status: Option<Status>,
    cursor: Option<Cursor>,
) -> QueryResult<Page<OutboxEntry>> {
    let mut query = outbound_emails::table
        .select(OutboxEntry::as_select())
        .limit(PAGE_SIZE + 1)
        .into_boxed();
    if let Some(status) = status {
        query = query.filter(outbound_emails::status.eq(status.as_str()));
    }
    query = match cursor {
        None => query.order(outbound_emails::id.desc()),
        Some(Cursor::After(id)) => query
            .filter(outbound_emails::id.lt(id))
            .order(outbound_emails::id.desc()),
        Some(Cursor::Before(id)) => query
            .filter(outbound_emails::id.gt(id))
            .order(outbound_emails::id.asc()),
    };
    let entries = query.load(conn)?;
    Ok(Page::assemble(entries, cursor, PAGE_SIZE, |e| e.id))
}

/// Puts a failed e-mail back in line for immediate delivery, with a fresh attempt count.
/// `None` when there is no such e-mail or it has not failed.
pub fn retry(conn: &mut PgConnection, id: i64) -> QueryResult<Option<OutboxEntry>> {
    diesel::update(
        outbound_emails::table
            .find(id)
            .filter(outbound_emails::status.eq(Status::Failed.as_str())),
    )
    .set((
        outbound_emails::status.eq(Status::Pending.as_str()),
        outbound_emails::attempts.eq(0),
        outbound_emails::next_attempt_at.eq(diesel::dsl::now),
        outbound_emails::locked_until.eq(None::<DateTime<Utc>>),
    ))
    .returning(OutboxEntry::as_returning())
    .get_result(conn)
    .optional()
}
