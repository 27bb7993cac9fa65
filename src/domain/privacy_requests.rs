//! The register of data-protection rights requests (RGPD arts. 15 to 22): who asked for what,
//! by which channel, the month to answer (art. 12.3; extended by two more months when the
//! request is complex), and how it was resolved. Clients file theirs from e-SORI; staff type
//! those that come by e-mail, letter, phone or in person. No HTTP here.

use chrono::{DateTime, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{Action, Actor};
use crate::db::schema::{customers, privacy_requests};
use crate::listing::{Numbered, PAGE_SIZE, PageNumber};
use crate::validation::FieldErrors;

const TARGET: &str = crate::audit::target::PRIVACY_REQUEST;

crate::text_enum!(Right);

/// The right exercised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Right {
    Access,
    Rectification,
    Erasure,
    Restriction,
    Portability,
    Objection,
}

impl Right {
    pub const ALL: [Right; 6] = [
        Right::Access,
        Right::Rectification,
        Right::Erasure,
        Right::Restriction,
        Right::Portability,
        Right::Objection,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Right::Access => "access",
            Right::Rectification => "rectification",
            Right::Erasure => "erasure",
            Right::Restriction => "restriction",
            Right::Portability => "portability",
            Right::Objection => "objection",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Right::Access => "Acceso",
            Right::Rectification => "Rectificación",
            Right::Erasure => "Supresión",
            Right::Restriction => "Limitación del tratamiento",
            Right::Portability => "Portabilidad",
            Right::Objection => "Oposición",
        }
    }
}

crate::text_enum!(Channel);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Portal,
    Email,
    Letter,
    Phone,
    InPerson,
}

impl Channel {
    pub const ALL: [Channel; 5] = [
        Channel::Portal,
        Channel::Email,
        Channel::Letter,
        Channel::Phone,
        Channel::InPerson,
    ];
    pub const BY_STAFF: [Channel; 4] = [
        Channel::Email,
        Channel::Letter,
        Channel::Phone,
        Channel::InPerson,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Channel::Portal => "portal",
            Channel::Email => "email",
            Channel::Letter => "letter",
            Channel::Phone => "phone",
            Channel::InPerson => "in_person",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Channel::Portal => "e-SORI",
            Channel::Email => "Correo electrónico",
            Channel::Letter => "Carta",
            Channel::Phone => "Teléfono",
            Channel::InPerson => "En la oficina",
        }
    }
}

crate::text_enum!(Status);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Done,
    Refused,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Done => "done",
            Status::Refused => "refused",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Status::Open, Status::Done, Status::Refused]
            .into_iter()
            .find(|s| s.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "Pendiente",
            Status::Done => "Atendida",
            Status::Refused => "Denegada",
        }
    }
}

/// The last day to answer a request received on `received`: one month later (art. 12.3).
pub fn due_on(received: NaiveDate) -> NaiveDate {
    received
        .checked_add_months(Months::new(1))
        .expect("a date a month ahead")
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = privacy_requests)]
pub struct Request {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub requester_name: String,
    pub kind: Right,
    pub channel: Channel,
    pub details: String,
    pub received_on: NaiveDate,
    pub due_on: NaiveDate,
    pub extended: bool,
    pub status: Status,
    pub resolution: Option<String>,
    pub closed_at: Option<DateTime<Utc>>,
}

/// A checked request, ready to register.
#[derive(Debug, Clone)]
pub struct NewRequest {
    pub customer_id: Option<i64>,
    pub requester_name: String,
    pub kind: Right,
    pub channel: Channel,
    pub details: String,
    pub received_on: NaiveDate,
}

/// Checks the right chosen and the details typed (`derecho`, `detalle`).
pub fn check(kind: &str, details: &str) -> Result<(Right, String), FieldErrors> {
    let mut errors = FieldErrors::new();
    let right = Right::parse(kind.trim());
    if right.is_none() {
        errors.add("derecho", "Elija el derecho que quiere ejercer.");
    }
    let details = details.trim();
    if details.chars().count() > 4000 {
        errors.add("detalle", "Demasiado largo: como mucho 4000 caracteres.");
    }
    match right {
        Some(right) if errors.is_empty() => Ok((right, details.to_owned())),
        _ => Err(errors),
    }
}

/// Registers a request; `by` is the staff member who typed it (`None` from e-SORI, where the
/// client's own audit entry is written by the caller).
pub fn register(
    conn: &mut PgConnection,
    request: &NewRequest,
    by: Option<&Actor>,
) -> QueryResult<i64> {
    let id: i64 = diesel::insert_into(privacy_requests::table)
        .values((
            privacy_requests::customer_id.eq(request.customer_id),
            privacy_requests::requester_name.eq(&request.requester_name),
            privacy_requests::kind.eq(request.kind.code()),
            privacy_requests::channel.eq(request.channel.code()),
            privacy_requests::details.eq(&request.details),
            privacy_requests::received_on.eq(request.received_on),
            privacy_requests::due_on.eq(due_on(request.received_on)),
            privacy_requests::created_by_staff_id.eq(by.and_then(Actor::staff)),
        ))
        .returning(privacy_requests::id)
        .get_result(conn)?;
    if let Some(by) = by {
        by.record(
            conn,
            Action::PrivacyRequestRegistered,
            TARGET,
            id,
            json!({"derecho": request.kind.label(), "canal": request.channel.label()}),
        )?;
    }
    Ok(id)
}

/// A line of the register, with the customer's name.
pub type Row = (Request, Option<String>);

/// Open requests by deadline, or every request newest first.
pub fn list(
    conn: &mut PgConnection,
    open_only: bool,
    page: PageNumber,
) -> QueryResult<Numbered<Row>> {
    let mut query = privacy_requests::table
        .left_join(customers::table)
        .select((Request::as_select(), customers::display_name.nullable()))
        .limit(PAGE_SIZE + 1)
        .offset(page.offset(PAGE_SIZE))
        .into_boxed();
    query = if open_only {
        query
            .filter(privacy_requests::status.eq(Status::Open.code()))
            .order((privacy_requests::due_on, privacy_requests::id))
    } else {
        query.order((
            privacy_requests::received_on.desc(),
            privacy_requests::id.desc(),
        ))
    };
    Ok(Numbered::assemble(query.load(conn)?, page, PAGE_SIZE))
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Row>> {
    privacy_requests::table
        .left_join(customers::table)
        .filter(privacy_requests::id.eq(id))
        .select((Request::as_select(), customers::display_name.nullable()))
        .first(conn)
        .optional()
}

/// A customer's requests, newest first (in e-SORI under row-level security).
pub fn of_customer(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<Request>> {
    privacy_requests::table
        .filter(privacy_requests::customer_id.eq(customer_id))
        .order((
            privacy_requests::received_on.desc(),
            privacy_requests::id.desc(),
        ))
        .select(Request::as_select())
        .limit(100)
        .load(conn)
}

/// Why a change was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum ChangeError {
    NotFound,
    /// Closed already, or extended already.
    NotAllowed,
}

/// Extends an open request's deadline by two months (art. 12.3: complex or many requests).
pub fn extend(
    conn: &mut PgConnection,
    id: i64,
    by: &Actor,
) -> QueryResult<Result<(), ChangeError>> {
    let Some((request, _)) = find(conn, id)? else {
        return Ok(Err(ChangeError::NotFound));
    };
    if request.status != Status::Open || request.extended {
        return Ok(Err(ChangeError::NotAllowed));
    }
    let due = request
        .due_on
        .checked_add_months(Months::new(2))
        .expect("a date two months ahead");
    diesel::update(privacy_requests::table.find(id))
        .filter(privacy_requests::status.eq(Status::Open.code()))
        .set((
            privacy_requests::extended.eq(true),
            privacy_requests::due_on.eq(due),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::PrivacyRequestExtended,
        TARGET,
        id,
        json!({"plazo": crate::format::date(due)}),
    )?;
    Ok(Ok(()))
}

/// Closes an open request as attended or refused, with what was done or why not.
pub fn close(
    conn: &mut PgConnection,
    id: i64,
    status: Status,
    resolution: &str,
    by: &Actor,
) -> QueryResult<Result<(), ChangeError>> {
    let changed = diesel::update(privacy_requests::table.find(id))
        .filter(privacy_requests::status.eq(Status::Open.code()))
        .set((
            privacy_requests::status.eq(status.code()),
            privacy_requests::resolution.eq(resolution),
            privacy_requests::closed_at.eq(diesel::dsl::now),
            privacy_requests::closed_by_staff_id.eq(by.staff()),
        ))
        .execute(conn)?;
    if changed == 0 {
        let exists = find(conn, id)?.is_some();
        return Ok(Err(if exists {
            ChangeError::NotAllowed
        } else {
            ChangeError::NotFound
        }));
    }
    by.record(
        conn,
        Action::PrivacyRequestClosed,
        TARGET,
        id,
        json!({"resultado": status.label()}),
    )?;
    // An attended erasure blocks the customer's data (LOPDGDD art. 32), in this transaction.
    if status == Status::Done
        && let Some((request, _)) = find(conn, id)?
        && request.kind == Right::Erasure
        && let Some(customer_id) = request.customer_id
    {
        crate::blocking::block(conn, customer_id, Some(id), by, crate::policies::today())?;
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_to_answer_even_at_the_end_of_a_month() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(due_on(d(2026, 12, 3)), d(2027, 1, 3));
        assert_eq!(due_on(d(2027, 1, 31)), d(2027, 2, 28));
    }

    #[test]
    fn the_right_must_be_one_of_the_six() {
        assert!(check("otro", "").unwrap_err().has("derecho"));
        assert_eq!(check("erasure", " ").unwrap().0, Right::Erasure);
    }
}
