//! Reading claims: one claim with its policy and customer, its timeline, the handlers' queue.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::claims::{Claim, ClaimError, ClaimStatus, today};
use crate::db::schema::{claim_events, claims, customers, policies, staff_users};
use crate::listing::{self, Cursor, Direction, PAGE_SIZE, Page};

/// Claims per page of the queue.
/// Most events a timeline shows (a claim rarely has more than a few dozen).
const MAX_EVENTS: i64 = 500;

/// The policy a claim is opened against, as the form and the checks need it.
#[derive(Debug, Clone, Queryable)]
pub struct PolicySummary {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub status: String,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
}

/// Policy `id` if `scope` reaches it.
pub fn policy_in_scope(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<PolicySummary, ClaimError> {
    let mut query = policies::table
        .inner_join(customers::table)
        .filter(policies::id.eq(id))
        .select((
            policies::id,
            policies::number,
            policies::customer_id,
            customers::display_name,
            policies::status,
            policies::start_date,
            policies::end_date,
        ))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.first(conn).optional()?.ok_or(ClaimError::NotFound)
}

/// The id of the policy numbered `number` within `scope` (the first one when several carriers
/// use the same number). Case, accents, spaces and dashes do not matter: "map-2025 0001"
/// finds "MAP-2025-0001" (the search key and its index, see `crate::search`).
pub fn policy_id_by_number(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    number: &str,
) -> QueryResult<Option<i64>> {
    use crate::search::search_key;
    let mut query = policies::table
        .inner_join(customers::table)
        .filter(
            search_key(policies::number.nullable()).eq(search_key(Some(number.trim().to_owned()))),
        )
        .select(policies::id)
        .order(policies::id)
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.first(conn).optional()
}

/// `Ok` when claim `id` exists within `scope`.
pub(crate) fn ensure_in_scope(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<(), ClaimError> {
    let mut query = claims::table
        .inner_join(customers::table)
        .filter(claims::id.eq(id))
        .select(claims::id)
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query
        .first::<i64>(conn)
        .optional()?
        .map(|_| ())
        .ok_or(ClaimError::NotFound)
}

/// A claim with what its page shows around it.
#[derive(Debug, Clone)]
pub struct ClaimDetail {
    pub claim: Claim,
    pub policy_number: String,
    pub customer_name: String,
    pub handler_name: Option<String>,
}

/// Claim `id` within `scope`.
pub fn get(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<ClaimDetail, ClaimError> {
    let mut query = claims::table
        .inner_join(customers::table)
        .inner_join(policies::table)
        .left_join(staff_users::table.on(claims::handler_staff_id.eq(staff_users::id.nullable())))
        .filter(claims::id.eq(id))
        .select((
            Claim::as_select(),
            policies::number,
            customers::display_name,
            staff_users::name.nullable(),
        ))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    let (claim, policy_number, customer_name, handler_name) = query
        .first::<(Claim, String, String, Option<String>)>(conn)
        .optional()?
        .ok_or(ClaimError::NotFound)?;
    Ok(ClaimDetail {
        claim,
        policy_number,
        customer_name,
        handler_name,
    })
}

/// One entry of a claim's timeline.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub claim_id: i64,
    pub occurred_at: DateTime<Utc>,
    pub staff_name: Option<String>,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub note: String,
    /// Staff ticked "visible para el cliente" (or the client wrote it): e-SORI shows the note.
    pub visible_to_client: bool,
}

impl EventRow {
    pub fn from(&self) -> Option<ClaimStatus> {
        self.from_status.as_deref().and_then(ClaimStatus::parse)
    }

    pub fn to(&self) -> Option<ClaimStatus> {
        self.to_status.as_deref().and_then(ClaimStatus::parse)
    }
}

fn event_columns() -> EventColumns {
    (
        claim_events::id,
        claim_events::claim_id,
        claim_events::occurred_at,
        staff_users::name.nullable(),
        claim_events::from_status,
        claim_events::to_status,
        claim_events::note,
        claim_events::visible_to_client,
    )
}

type EventColumns = (
    claim_events::id,
    claim_events::claim_id,
    claim_events::occurred_at,
    diesel::dsl::Nullable<staff_users::name>,
    claim_events::from_status,
    claim_events::to_status,
    claim_events::note,
    claim_events::visible_to_client,
);

/// The timeline of claim `id`, oldest first. The caller has checked the scope (through [`get`]).
pub fn events(conn: &mut PgConnection, claim_id: i64) -> QueryResult<Vec<EventRow>> {
    claim_events::table
        .left_join(staff_users::table.on(claim_events::staff_id.eq(staff_users::id.nullable())))
        .filter(claim_events::claim_id.eq(claim_id))
        .order((claim_events::occurred_at, claim_events::id))
        .select(event_columns())
        .limit(MAX_EVENTS)
        .load(conn)
}

/// The timeline of claim `id` as its client reads it: notes staff kept internal are not there
/// (an internal state change keeps its state, without its note). The caller has checked that
/// the claim is the client's.
pub fn events_for_client(conn: &mut PgConnection, claim_id: i64) -> QueryResult<Vec<EventRow>> {
    let rows = claim_events::table
        .left_join(staff_users::table.on(claim_events::staff_id.eq(staff_users::id.nullable())))
        .filter(claim_events::claim_id.eq(claim_id))
        .filter(
            claim_events::visible_to_client
                .eq(true)
                .or(claim_events::to_status.is_not_null()),
        )
        .order((claim_events::occurred_at, claim_events::id))
        .select(event_columns())
        .limit(MAX_EVENTS)
        .load::<EventRow>(conn)?;
    Ok(rows.into_iter().map(EventRow::for_client).collect())
}

impl EventRow {
    /// The entry without its note when the note is internal.
    pub fn for_client(mut self) -> Self {
        if !self.visible_to_client {
            self.note.clear();
        }
        self
    }
}

pub(crate) fn event(conn: &mut PgConnection, id: i64) -> QueryResult<EventRow> {
    claim_events::table
        .left_join(staff_users::table.on(claim_events::staff_id.eq(staff_users::id.nullable())))
        .filter(claim_events::id.eq(id))
        .select(event_columns())
        .first(conn)
}

/// Which claims of the queue to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueFilter {
    /// Assigned to the one asking.
    Mine,
    Unassigned,
    All,
}

impl QueueFilter {
    /// The URL value (`?filtro=`).
    pub fn code(self) -> &'static str {
        match self {
            QueueFilter::Mine => "mios",
            QueueFilter::Unassigned => "sin-asignar",
            QueueFilter::All => "todos",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "mios" => Some(QueueFilter::Mine),
            "sin-asignar" => Some(QueueFilter::Unassigned),
            "todos" => Some(QueueFilter::All),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueFilter::Mine => "Míos",
            QueueFilter::Unassigned => "Sin asignar",
            QueueFilter::All => "Todos",
        }
    }
}

/// One claim of the queue.
#[derive(Debug, Clone)]
pub struct QueueRow {
    pub id: i64,
    pub number: String,
    pub status: ClaimStatus,
    pub kind: String,
    pub incident_date: NaiveDate,
    pub opened_at: DateTime<Utc>,
    /// Whole days since it was opened (office calendar).
    pub age_days: i64,
    pub policy_id: i64,
    pub policy_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub handler_name: Option<String>,
}

/// Claims still waiting (not paid, closed or rejected) within `scope`, oldest first, after the
/// keyset `cursor` (either way), with how many wait. Served by `claims_queue_idx` (handler,
/// opened_at).
pub fn queue(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: QueueFilter,
    me: i64,
    cursor: Option<Cursor>,
) -> QueryResult<Page<QueueRow>> {
    read_queue(conn, scope, filter, me, cursor, PAGE_SIZE)
}

/// Every claim the queue's filter keeps (up to [`crate::export::EXPORT_LIMIT`]), oldest first: what an
/// export writes.
pub fn export_queue<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: QueueFilter,
    me: i64,
    sink: impl FnMut(QueueRow) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| read_queue(conn, scope, filter, me, cursor, size),
        sink,
    )
}

fn read_queue(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: QueueFilter,
    me: i64,
    cursor: Option<Cursor>,
    limit: i64,
) -> QueryResult<Page<QueueRow>> {
    let pending: Vec<&str> = ClaimStatus::ALL
        .into_iter()
        .filter(|s| s.is_pending())
        .map(ClaimStatus::code)
        .collect();
    let filtered = || {
        let mut query = claims::table
            .inner_join(customers::table)
            .inner_join(policies::table)
            .left_join(
                staff_users::table.on(claims::handler_staff_id.eq(staff_users::id.nullable())),
            )
            .filter(claims::status.eq_any(pending.clone()))
            .select((
                claims::id,
                claims::number,
                claims::status,
                claims::kind,
                claims::incident_date,
                claims::opened_at,
                claims::policy_id,
                policies::number,
                claims::customer_id,
                customers::display_name,
                staff_users::name.nullable(),
            ))
            .into_boxed();
        if let Some(owner) = scope.owner() {
            query = query.filter(customers::owner_staff_id.eq(owner));
        }
        match filter {
            QueueFilter::Mine => query.filter(claims::handler_staff_id.eq(me)),
            QueueFilter::Unassigned => query.filter(claims::handler_staff_id.is_null()),
            QueueFilter::All => query,
        }
    };
    let mut query = filtered();
    let key: Option<DateTime<Utc>> = match cursor {
        Some(cursor) => claims::table
            .find(cursor.id())
            .select(claims::opened_at)
            .first(conn)
            .optional()?,
        None => None,
    };
    let forward = Cursor::direction(cursor) == Direction::Forward;
    if let (Some(cursor), Some(opened_at)) = (cursor, key) {
        let id = cursor.id();
        query = if forward {
            query.filter(
                claims::opened_at
                    .gt(opened_at)
                    .or(claims::opened_at.eq(opened_at).and(claims::id.gt(id))),
            )
        } else {
            query.filter(
                claims::opened_at
                    .lt(opened_at)
                    .or(claims::opened_at.eq(opened_at).and(claims::id.lt(id))),
            )
        };
    }
    query = if forward {
        query.order((claims::opened_at.asc(), claims::id.asc()))
    } else {
        query.order((claims::opened_at.desc(), claims::id.desc()))
    };
    #[allow(clippy::type_complexity)]
    let loaded: Vec<(
        i64,
        String,
        ClaimStatus,
        String,
        NaiveDate,
        DateTime<Utc>,
        i64,
        String,
        i64,
        String,
        Option<String>,
    )> = query.limit(limit + 1).load(conn)?;
    let total = listing::count(conn, filtered)?;
    let page = Page::assemble(loaded, cursor, limit, |r| r.0).with_total(total);
    let today = today();
    Ok(page.map(
        |(
            id,
            number,
            status,
            kind,
            incident_date,
            opened_at,
            policy_id,
            policy_number,
            customer_id,
            customer_name,
            handler_name,
        )| QueueRow {
            id,
            number,
            status,
            kind,
            incident_date,
            opened_at,
            age_days: (today - opened_at.with_timezone(&crate::time::ZONE).date_naive())
                .num_days()
                .max(0),
            policy_id,
            policy_number,
            customer_id,
            customer_name,
            handler_name,
        },
    ))
}

/// Active staff who may handle claims, by name: (id, name).
pub fn handlers(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    let roles: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| Permission::HandleClaims.granted_to(*r))
        .map(Role::code)
        .collect();
    staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq_any(roles))
        .order((staff_users::name, staff_users::id))
        .select((staff_users::id, staff_users::name))
        .limit(500)
        .load(conn)
}
