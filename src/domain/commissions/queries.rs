//! Reading commissions: the list with its filters and totals (an agent sees only their own
//! lines), an agent's months, the month × agent report, and the settlements.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

use crate::auth::permissions::PortfolioScope;
use crate::commissions::model::{
    AgentMonth, Commission, CommissionRow, ListTotals, Settlement, SettlementRow, SettlementStatus,
    month_end,
};
use crate::db::prepared::{FixedLimit, Prepared};
use crate::db::schema::{
    carrier_settlements, carriers, commission_totals, commissions, customers, policies, receipts,
    staff_users,
};
use crate::listing::{Cursor, Direction, PAGE_SIZE, Page};

/// Lines a settlement's page shows at most (the CSV has them all).
pub const SETTLEMENT_PAGE_LINES: i64 = 500;

/// Filters of the commissions list (all optional) and the keyset cursor.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub carrier_id: Option<i64>,
    /// The month the line counts in (its first day).
    pub month: Option<NaiveDate>,
    pub agent_id: Option<i64>,
    /// `Some(true)`: only lines in a settlement; `Some(false)`: only the unsettled.
    pub settled: Option<bool>,
    pub cursor: Option<Cursor>,
}

/// The filter applied to `commissions ⋈ receipts ⋈ customers ⋈ policies ⋈ carriers`, boxed so
/// that the page and the totals share it. An agent's scope is the lines they earn.
macro_rules! filtered {
    ($scope:expr, $filter:expr) => {{
        let scope: PortfolioScope = $scope;
        let filter: &ListFilter = $filter;
        let mut query = commissions::table
            .inner_join(receipts::table.inner_join(customers::table))
            .inner_join(policies::table.on(policies::id.eq(commissions::policy_id)))
            .inner_join(carriers::table.on(carriers::id.eq(commissions::carrier_id)))
            .left_join(staff_users::table)
            .into_boxed();
        if let Some(owner) = scope.owner() {
            query = query.filter(commissions::agent_staff_id.eq(owner));
        }
        if let Some(carrier) = filter.carrier_id {
            query = query.filter(commissions::carrier_id.eq(carrier));
        }
        if let Some(month) = filter.month {
            query = query.filter(commissions::booked_on.between(month, month_end(month)));
        }
        if let Some(agent) = filter.agent_id {
            query = query.filter(commissions::agent_staff_id.eq(agent));
        }
        match filter.settled {
            Some(true) => query = query.filter(commissions::settlement_id.is_not_null()),
            Some(false) => query = query.filter(commissions::settlement_id.is_null()),
            None => {}
        }
        query
    }};
}

/// Lines newest first, [`PAGE_SIZE`] per page, keyset on (booked on, id) both ways. The
/// count is in [`totals`].
pub fn list(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
) -> QueryResult<Page<CommissionRow>> {
    read(conn, scope, filter, PAGE_SIZE)
}

/// Every line the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), newest first: what
/// an export writes.
pub fn export<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
    sink: impl FnMut(CommissionRow) -> Result<(), E>,
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
) -> QueryResult<Page<CommissionRow>> {
    let mut query = filtered!(scope, filter);
    let key: Option<NaiveDate> = match filter.cursor {
        Some(cursor) => commissions::table
            .find(cursor.id())
            .select(commissions::booked_on)
            .first(conn)
            .optional()?,
        None => None,
    };
    let forward = Cursor::direction(filter.cursor) == Direction::Forward;
    if let (Some(cursor), Some(day)) = (filter.cursor, key) {
        let id = cursor.id();
        query = if forward {
            query.filter(
                commissions::booked_on
                    .lt(day)
                    .or(commissions::booked_on.eq(day).and(commissions::id.lt(id))),
            )
        } else {
            query.filter(
                commissions::booked_on
                    .gt(day)
                    .or(commissions::booked_on.eq(day).and(commissions::id.gt(id))),
            )
        };
    }
    query = if forward {
        query.order((commissions::booked_on.desc(), commissions::id.desc()))
    } else {
        query.order((commissions::booked_on.asc(), commissions::id.asc()))
    };
    // The first page is read the most: its statement keeps its plan (see `FixedLimit`).
    let rows: Vec<CommissionRow> = FixedLimit(
        query.select((
            Commission::as_select(),
            receipts::number,
            policies::number,
            customers::id,
            customers::display_name,
            carriers::name,
            staff_users::name.nullable(),
        )),
        limit + 1,
    )
    .load(conn)?;
    Ok(Page::assemble(rows, filter.cursor, limit, |r| {
        r.commission.id
    }))
}

/// Count and sums of everything the filter selects (all pages), from the running totals
/// (`commission_totals`, one row per month × carrier × agent × settled, kept by triggers): a
/// few hundred rows to add up rather than every line.
pub fn totals(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
) -> QueryResult<ListTotals> {
    use diesel::dsl::sql;
    let mut query = commission_totals::table.into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(commission_totals::agent_staff_id.eq(owner));
    }
    if let Some(carrier) = filter.carrier_id {
        query = query.filter(commission_totals::carrier_id.eq(carrier));
    }
    if let Some(month) = filter.month {
        query = query.filter(commission_totals::month.eq(month));
    }
    if let Some(agent) = filter.agent_id {
        query = query.filter(commission_totals::agent_staff_id.eq(agent));
    }
    if let Some(settled) = filter.settled {
        query = query.filter(commission_totals::settled.eq(settled));
    }
    type Sums = (Option<i64>, Option<i64>, Option<i64>, Option<i64>);
    // Kept prepared: its fragments are constants.
    let (count, base, amount, agent): Sums = Prepared(query.select((
        sql::<Nullable<BigInt>>("sum(lines)::bigint"),
        sql::<Nullable<BigInt>>("sum(base_cents)::bigint"),
        sql::<Nullable<BigInt>>("sum(amount_cents)::bigint"),
        sql::<Nullable<BigInt>>("sum(agent_cents)::bigint"),
    )))
    .get_result(conn)?;
    Ok(ListTotals {
        count: count.unwrap_or(0),
        base_cents: base.unwrap_or(0),
        amount_cents: amount.unwrap_or(0),
        agent_cents: agent.unwrap_or(0),
    })
}

#[derive(QueryableByName)]
struct MonthRow {
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = Nullable<BigInt>)]
    agent_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    agent_name: Option<String>,
    #[diesel(sql_type = BigInt)]
    lines: i64,
    #[diesel(sql_type = BigInt)]
    commission_cents: i64,
    #[diesel(sql_type = BigInt)]
    agent_cents: i64,
}

impl From<MonthRow> for AgentMonth {
    fn from(row: MonthRow) -> Self {
        AgentMonth {
            month: row.month,
            agent_id: row.agent_id,
            agent_name: row.agent_name,
            lines: row.lines,
            commission_cents: row.commission_cents,
            agent_cents: row.agent_cents,
        }
    }
}

/// The broker's commission and the agent's share per month and agent, for the months from
/// `from` to `until` (first days), newest first; lines without an agent come last in a month.
/// (Grouping by month is SQL Diesel's builder does not write; the parameters are bound.)
pub fn by_agent_and_month(
    conn: &mut PgConnection,
    from: NaiveDate,
    until: NaiveDate,
    agent: Option<i64>,
) -> QueryResult<Vec<AgentMonth>> {
    let rows: Vec<MonthRow> = diesel::sql_query(
        "SELECT date_trunc('month', c.booked_on)::date AS month,
                c.agent_staff_id AS agent_id, s.name AS agent_name,
                count(*) AS lines,
                coalesce(sum(c.amount_cents), 0)::bigint AS commission_cents,
                coalesce(sum(c.agent_amount_cents), 0)::bigint AS agent_cents
           FROM commissions c
           LEFT JOIN staff_users s ON s.id = c.agent_staff_id
          WHERE c.booked_on BETWEEN $1 AND $2
            AND ($3::bigint IS NULL OR c.agent_staff_id = $3)
          GROUP BY 1, 2, 3
          ORDER BY 1 DESC, 3 NULLS LAST, 2",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(month_end(until))
    .bind::<Nullable<BigInt>, _>(agent)
    .load(conn)?;
    Ok(rows.into_iter().map(AgentMonth::from).collect())
}

// ---------------------------------------------------------------------------------------------
// Settlements

/// Filters of the settlements list and its keyset cursor.
#[derive(Debug, Clone, Default)]
pub struct SettlementFilter {
    pub carrier_id: Option<i64>,
    pub status: Option<SettlementStatus>,
    pub cursor: Option<Cursor>,
}

/// Settlements newest month first, [`PAGE_SIZE`] per page, keyset on (period, id) both ways.
pub fn settlements(
    conn: &mut PgConnection,
    filter: &SettlementFilter,
) -> QueryResult<Page<SettlementRow>> {
    read_settlements(conn, filter, PAGE_SIZE)
}

/// Every settlement the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), newest period
/// first: what an export writes.
pub fn export_settlements<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    filter: &SettlementFilter,
    sink: impl FnMut(SettlementRow) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| {
            let filter = SettlementFilter {
                cursor,
                ..filter.clone()
            };
            read_settlements(conn, &filter, size)
        },
        sink,
    )
}

fn read_settlements(
    conn: &mut PgConnection,
    filter: &SettlementFilter,
    limit: i64,
) -> QueryResult<Page<SettlementRow>> {
    let mut query = carrier_settlements::table
        .inner_join(carriers::table)
        .into_boxed();
    if let Some(carrier) = filter.carrier_id {
        query = query.filter(carrier_settlements::carrier_id.eq(carrier));
    }
    if let Some(status) = filter.status {
        query = query.filter(carrier_settlements::status.eq(status.code()));
    }
    let key: Option<NaiveDate> = match filter.cursor {
        Some(cursor) => carrier_settlements::table
            .find(cursor.id())
            .select(carrier_settlements::period)
            .first(conn)
            .optional()?,
        None => None,
    };
    let forward = Cursor::direction(filter.cursor) == Direction::Forward;
    if let (Some(cursor), Some(period)) = (filter.cursor, key) {
        let id = cursor.id();
        query = if forward {
            query.filter(
                carrier_settlements::period
                    .lt(period)
                    .or(carrier_settlements::period
                        .eq(period)
                        .and(carrier_settlements::id.lt(id))),
            )
        } else {
            query.filter(
                carrier_settlements::period
                    .gt(period)
                    .or(carrier_settlements::period
                        .eq(period)
                        .and(carrier_settlements::id.gt(id))),
            )
        };
    }
    query = if forward {
        query.order((
            carrier_settlements::period.desc(),
            carrier_settlements::id.desc(),
        ))
    } else {
        query.order((
            carrier_settlements::period.asc(),
            carrier_settlements::id.asc(),
        ))
    };
    let rows: Vec<SettlementRow> = query
        .limit(limit + 1)
        .select((Settlement::as_select(), carriers::name))
        .load(conn)?;
    Ok(Page::assemble(rows, filter.cursor, limit, |r| {
        r.settlement.id
    }))
}

/// Settlement `id` with its carrier's name.
pub fn settlement(conn: &mut PgConnection, id: i64) -> QueryResult<SettlementRow> {
    carrier_settlements::table
        .inner_join(carriers::table)
        .filter(carrier_settlements::id.eq(id))
        .select((Settlement::as_select(), carriers::name))
        .first(conn)
}

/// A line of a settlement as its page and its CSV show it.
#[derive(Debug, Clone, Queryable)]
pub struct SettlementLine {
    pub commission: Commission,
    pub receipt_number: String,
    pub policy_number: String,
    pub customer_name: String,
}

/// A settlement's lines in booking order; at most `limit`.
pub fn settlement_lines(
    conn: &mut PgConnection,
    settlement_id: i64,
    limit: Option<i64>,
) -> QueryResult<Vec<SettlementLine>> {
    let mut query = commissions::table
        .inner_join(receipts::table.inner_join(customers::table))
        .inner_join(policies::table.on(policies::id.eq(commissions::policy_id)))
        .filter(commissions::settlement_id.eq(settlement_id))
        .order((commissions::booked_on, commissions::id))
        .select((
            Commission::as_select(),
            receipts::number,
            policies::number,
            customers::display_name,
        ))
        .into_boxed();
    if let Some(limit) = limit {
        query = query.limit(limit);
    }
    query.load(conn)
}

/// How many lines of a carrier wait for a settlement up to the end of `month`, and their sum.
pub fn unsettled(
    conn: &mut PgConnection,
    carrier_id: i64,
    month: NaiveDate,
) -> QueryResult<(i64, i64)> {
    use diesel::dsl::sql;
    let (count, sum): (i64, Option<i64>) = commissions::table
        .filter(commissions::carrier_id.eq(carrier_id))
        .filter(commissions::settlement_id.is_null())
        .filter(commissions::booked_on.le(month_end(month)))
        .select((
            sql::<BigInt>("count(*)"),
            sql::<Nullable<BigInt>>("sum(commissions.amount_cents)::bigint"),
        ))
        .first(conn)?;
    Ok((count, sum.unwrap_or(0)))
}

/// Agents with commission lines or a share, for the filters and the report.
pub fn agents(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    let with_lines = diesel::dsl::exists(
        commissions::table
            .filter(commissions::agent_staff_id.eq(staff_users::id.nullable()))
            .select(commissions::id),
    );
    staff_users::table
        .filter(with_lines.or(staff_users::agent_share_bp.gt(0)))
        .order((staff_users::name, staff_users::id))
        .limit(200)
        .select((staff_users::id, staff_users::name))
        .load(conn)
}

/// A staff member's share of the commissions they earn, in basis points.
pub fn share_of(conn: &mut PgConnection, staff_id: i64) -> QueryResult<i32> {
    staff_users::table
        .find(staff_id)
        .select(staff_users::agent_share_bp)
        .first(conn)
}
