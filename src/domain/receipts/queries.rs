//! Reading receipts: the back-office list with its totals, a policy's receipts, and the
//! client's own (callers run those inside `Db::portal_transaction`; they filter by customer
//! themselves too).

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable};

use crate::auth::permissions::PortfolioScope;
use crate::db::prepared::Prepared;
use crate::db::schema::{carriers, customers, policies, receipts, staff_users};
use crate::listing::{Cursor, Direction, PAGE_SIZE, Page};
use crate::receipts::model::{ClientReceipt, Receipt, ReceiptRow, Status, Totals};

/// Receipts a policy page or a client page shows at most (12 a year for a few years).
pub const POLICY_LIMIT: i64 = 120;

/// Filters of the receipts list (all optional) and the keyset cursor.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<Status>,
    pub due_from: Option<NaiveDate>,
    pub due_until: Option<NaiveDate>,
    pub carrier_id: Option<i64>,
    /// The policy's agent.
    pub agent_id: Option<i64>,
    pub cursor: Option<Cursor>,
}

/// The filter applied to `receipts ⋈ customers ⋈ policies`, boxed so that the page and the
/// totals share it.
macro_rules! filtered {
    ($scope:expr, $filter:expr) => {{
        let scope: PortfolioScope = $scope;
        let filter: &ListFilter = $filter;
        let mut query = receipts::table
            .inner_join(customers::table)
            .inner_join(policies::table.inner_join(carriers::table))
            .left_join(
                staff_users::table.on(policies::agent_staff_id.eq(staff_users::id.nullable())),
            )
            .into_boxed();
        if let Some(owner) = scope.owner() {
            query = query.filter(customers::owner_staff_id.eq(owner));
        }
        if let Some(status) = filter.status {
            query = query.filter(receipts::status.eq(status.code()));
        }
        if let Some(from) = filter.due_from {
            query = query.filter(receipts::due_date.ge(from));
        }
        if let Some(until) = filter.due_until {
            query = query.filter(receipts::due_date.le(until));
        }
        if let Some(carrier) = filter.carrier_id {
            query = query.filter(policies::carrier_id.eq(carrier));
        }
        if let Some(agent) = filter.agent_id {
            query = query.filter(policies::agent_staff_id.eq(agent));
        }
        query
    }};
}

/// Receipts by due date (oldest first), [`PAGE_SIZE`] per page, keyset on (due date, id)
/// both ways. The count is in [`totals`].
pub fn list(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
) -> QueryResult<Page<ReceiptRow>> {
    read(conn, scope, filter, PAGE_SIZE)
}

/// Every receipt the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), in the list's order, handed to
/// `sink` a chunk at a time: what an export writes. Returns how many.
pub fn export<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
    sink: impl FnMut(ReceiptRow) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| {
            let filter = ListFilter {
                cursor,
                ..filter.clone()
            };
            read(conn, scope, &filter, size)
        },
        sink,
    )
}

fn read(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
    limit: i64,
) -> QueryResult<Page<ReceiptRow>> {
    let mut query = filtered!(scope, filter);
    let key: Option<NaiveDate> = match filter.cursor {
        Some(cursor) => receipts::table
            .find(cursor.id())
            .select(receipts::due_date)
            .first(conn)
            .optional()?,
        None => None,
    };
    let forward = Cursor::direction(filter.cursor) == Direction::Forward;
    if let (Some(cursor), Some(due)) = (filter.cursor, key) {
        let id = cursor.id();
        query = if forward {
            query.filter(
                receipts::due_date
                    .gt(due)
                    .or(receipts::due_date.eq(due).and(receipts::id.gt(id))),
            )
        } else {
            query.filter(
                receipts::due_date
                    .lt(due)
                    .or(receipts::due_date.eq(due).and(receipts::id.lt(id))),
            )
        };
    }
    query = if forward {
        query.order((receipts::due_date.asc(), receipts::id.asc()))
    } else {
        query.order((receipts::due_date.desc(), receipts::id.desc()))
    };
    let rows: Vec<ReceiptRow> = query
        .limit(limit + 1)
        .select((
            Receipt::as_select(),
            policies::number,
            customers::display_name,
            carriers::name,
            staff_users::name.nullable(),
        ))
        .load(conn)?;
    Ok(Page::assemble(rows, filter.cursor, limit, |r| r.receipt.id))
}

/// Count and amounts of everything the filter selects (all pages), in one query.
pub fn totals(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
) -> QueryResult<Totals> {
    use diesel::dsl::sql;
    // The codes are constants of this module, never user input.
    let amount_if = |status: Status| {
        sql::<Nullable<BigInt>>(&format!(
            "sum(receipts.amount_cents) FILTER (WHERE receipts.status = '{}')::bigint",
            status.code()
        ))
    };
    type Sums = (i64, Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    // Kept prepared: its text is the same on every call.
    let (count, amount, pending, collected, returned): Sums =
        Prepared(filtered!(scope, filter).select((
            sql::<BigInt>("count(*)"),
            sql::<Nullable<BigInt>>("sum(receipts.amount_cents)::bigint"),
            amount_if(Status::Pending),
            amount_if(Status::Collected),
            amount_if(Status::Returned),
        )))
        .get_result(conn)?;
    Ok(Totals {
        count,
        amount_cents: amount.unwrap_or(0),
        pending_cents: pending.unwrap_or(0),
        collected_cents: collected.unwrap_or(0),
        returned_cents: returned.unwrap_or(0),
    })
}

/// The receipts of a policy by due date, in one query (the policy's scope is checked by the
/// caller, who found the policy first).
pub fn of_policy(conn: &mut PgConnection, policy_id: i64) -> QueryResult<Vec<Receipt>> {
    receipts::table
        .filter(receipts::policy_id.eq(policy_id))
        .order((receipts::period_start, receipts::id))
        .limit(POLICY_LIMIT)
        .select(Receipt::as_select())
        .load(conn)
}

/// The client's receipts waiting for payment: pending or returned, soonest due first.
pub fn unpaid_of_customer(
    conn: &mut PgConnection,
    customer_id: i64,
) -> QueryResult<Vec<ClientReceipt>> {
    receipts::table
        .inner_join(policies::table)
        .filter(receipts::customer_id.eq(customer_id))
        .filter(receipts::status.eq_any([Status::Pending.code(), Status::Returned.code()]))
        .order((receipts::due_date, receipts::id))
        .limit(POLICY_LIMIT)
        .select((Receipt::as_select(), policies::number))
        .load(conn)
}

/// The receipts of one of the client's policies (none when the policy is not theirs).
pub fn of_customer_policy(
    conn: &mut PgConnection,
    customer_id: i64,
    policy_id: i64,
) -> QueryResult<Vec<Receipt>> {
    receipts::table
        .filter(receipts::customer_id.eq(customer_id))
        .filter(receipts::policy_id.eq(policy_id))
        .order((receipts::period_start, receipts::id))
        .limit(POLICY_LIMIT)
        .select(Receipt::as_select())
        .load(conn)
}
