//! The access log: who among the staff looked at whose personal data, when and from where.
//! Written on every view of a customer's record, every document download and every export;
//! read by the data-protection roles (by customer, by staff member) and, for their own
//! entries, by the client in e-SORI. Purged by the retention schedule. No HTTP here.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::Actor;
use crate::db::schema::{access_log, customers, staff_users};
use crate::listing::{Numbered, PAGE_SIZE, PageNumber};

crate::text_enum!(Kind);

/// What was done with the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CustomerViewed,
    DocumentDownloaded,
    Exported,
}

impl Kind {
    pub const ALL: [Kind; 3] = [
        Kind::CustomerViewed,
        Kind::DocumentDownloaded,
        Kind::Exported,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Kind::CustomerViewed => "customer_viewed",
            Kind::DocumentDownloaded => "document_downloaded",
            Kind::Exported => "exported",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::CustomerViewed => "Consulta de la ficha",
            Kind::DocumentDownloaded => "Descarga de un documento",
            Kind::Exported => "Exportación de un listado",
        }
    }
}

fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// Records that `by` did `kind` with the data of `customer_id` (none for a list), on
/// `subject` (the document's name, the list exported).
pub fn record(
    conn: &mut PgConnection,
    by: &Actor,
    kind: Kind,
    customer_id: Option<i64>,
    subject: &str,
) -> QueryResult<()> {
    let Some(staff) = by.staff() else {
        // Only staff access is logged: clients reading their own data are not "access".
        return Ok(());
    };
    diesel::insert_into(access_log::table)
        .values((
            access_log::staff_id.eq(staff),
            access_log::customer_id.eq(customer_id),
            access_log::action.eq(kind.code()),
            access_log::subject.eq(clip(subject, 300)),
            access_log::ip.eq(clip(&by.ip, 64)),
            access_log::user_agent.eq(clip(&by.user_agent, 300)),
        ))
        .execute(conn)?;
    Ok(())
}

/// One entry as the viewer shows it.
#[derive(Debug, Clone, Queryable)]
pub struct Entry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub staff_id: i64,
    pub staff_name: String,
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    pub kind: Kind,
    pub subject: String,
    pub ip: String,
}

/// Which entries the viewer shows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Filter {
    pub customer_id: Option<i64>,
    pub staff_id: Option<i64>,
}

/// One page of the log, newest first.
pub fn list(
    conn: &mut PgConnection,
    filter: Filter,
    page: PageNumber,
) -> QueryResult<Numbered<Entry>> {
    let mut query = access_log::table
        .inner_join(staff_users::table)
        .left_join(customers::table)
        .select((
            access_log::id,
            access_log::at,
            access_log::staff_id,
            staff_users::name,
            access_log::customer_id,
            customers::display_name.nullable(),
            access_log::action,
            access_log::subject,
            access_log::ip,
        ))
        .order((access_log::at.desc(), access_log::id.desc()))
        .limit(PAGE_SIZE + 1)
        .offset(page.offset(PAGE_SIZE))
        .into_boxed();
    if let Some(customer) = filter.customer_id {
        query = query.filter(access_log::customer_id.eq(customer));
    }
    if let Some(staff) = filter.staff_id {
        query = query.filter(access_log::staff_id.eq(staff));
    }
    Ok(Numbered::assemble(query.load(conn)?, page, PAGE_SIZE))
}

/// What a client is shown: when, who (by name) and what, about themselves.
#[derive(Debug, Clone, Queryable)]
pub struct ClientEntry {
    pub at: DateTime<Utc>,
    pub staff_name: String,
    pub kind: Kind,
    pub subject: String,
}

/// The entries about `customer_id`, newest first (inside the client's portal transaction:
/// row-level security keeps them to their own).
pub fn about_customer(
    conn: &mut PgConnection,
    customer_id: i64,
    page: PageNumber,
) -> QueryResult<Numbered<ClientEntry>> {
    let rows = access_log::table
        .inner_join(staff_users::table)
        .filter(access_log::customer_id.eq(customer_id))
        .order((access_log::at.desc(), access_log::id.desc()))
        .select((
            access_log::at,
            staff_users::name,
            access_log::action,
            access_log::subject,
        ))
        .limit(PAGE_SIZE + 1)
        .offset(page.offset(PAGE_SIZE))
        .load(conn)?;
    Ok(Numbered::assemble(rows, page, PAGE_SIZE))
}
