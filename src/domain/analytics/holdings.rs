//! Cross-selling at volume: for each customer, the spans of days over which they hold the same
//! number of policies in force (migration `…_analytics_holdings`). How many policies a customer
//! holds on a day is not a sum over months, so it cannot come from the monthly summary; with
//! the spans, the customers by policies held on any day are one index-only scan of the spans
//! covering it instead of every period of cover in force joined to its policy and grouped by
//! customer.
//!
//! A change to a customer's policies or periods marks the customer dirty (triggers); a report
//! reads the spans of the other customers and the tables for the dirty ones, and [`refresh`]
//! (the worker) rebuilds the dirty customers' spans, so the figures are the same either way.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool};

use super::portfolio::STOPS;

/// The spans of the customers matching `customers` (an SQL condition on `p.customer_id`),
/// as `customer_id, since, until, held`: each period of cover counts from its start to the
/// day it stops (its end, or its policy's cancellation or suspension), as in the portfolio.
/// A day whose changes cancel out (a renewal: one period ends, the next starts) starts no new
/// span.
fn spans(customers: &str) -> String {
    format!(
        "SELECT customer_id, day AS since, until, held::int4 \
         FROM (SELECT customer_id, day, \
                      lead(day) OVER (PARTITION BY customer_id ORDER BY day) AS until, \
                      sum(change) OVER (PARTITION BY customer_id ORDER BY day) AS held \
               FROM (SELECT customer_id, day, sum(change) AS change \
                     FROM (SELECT p.customer_id, pp.start_date AS day, 1 AS change \
                           FROM policy_periods pp JOIN policies p ON p.id = pp.policy_id \
                           WHERE {STOPS} > pp.start_date AND {customers} \
                           UNION ALL \
                           SELECT p.customer_id, {STOPS}, -1 \
                           FROM policy_periods pp JOIN policies p ON p.id = pp.policy_id \
                           WHERE {STOPS} > pp.start_date AND {customers}) AS changes \
                     GROUP BY customer_id, day \
                     HAVING sum(change) <> 0) AS days) AS running \
         WHERE held > 0 AND until IS NOT NULL"
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Built {
    #[diesel(sql_type = Bool)]
    built: bool,
}

/// Builds the spans of every customer the first time, then rebuilds those of the customers
/// marked dirty since, in one transaction; returns how many customers' spans were (re)built.
pub fn refresh(conn: &mut PgConnection) -> QueryResult<usize> {
    conn.transaction(|conn| {
        // Two workers take turns: the second finds nothing left to do.
        diesel::sql_query("SELECT pg_advisory_xact_lock(23, -1)").execute(conn)?;
        let Built { built } =
            diesel::sql_query("SELECT EXISTS (SELECT 1 FROM analytics_holdings_built) AS built")
                .get_result(conn)?;
        if !built {
            diesel::sql_query("DELETE FROM analytics_holdings_dirty").execute(conn)?;
            diesel::sql_query("DELETE FROM analytics_holdings").execute(conn)?;
            diesel::sql_query(format!(
                "INSERT INTO analytics_holdings (customer_id, since, until, held) {}",
                spans("TRUE")
            ))
            .execute(conn)?;
            diesel::sql_query("INSERT INTO analytics_holdings_built DEFAULT VALUES")
                .execute(conn)?;
            let Count { n } = diesel::sql_query(
                "SELECT count(DISTINCT customer_id) AS n FROM analytics_holdings",
            )
            .get_result(conn)?;
            return Ok(usize::try_from(n).unwrap_or(0));
        }
        // The dirty marks taken here and the rows the spans are built from are read at the
        // same instant (one statement): a change committed after it leaves its mark for the
        // next round.
        let Count { n } = diesel::sql_query(format!(
            "WITH taken AS (DELETE FROM analytics_holdings_dirty RETURNING customer_id), \
                  marked AS (SELECT DISTINCT customer_id FROM taken), \
                  gone AS (DELETE FROM analytics_holdings h \
                           WHERE h.customer_id IN (SELECT customer_id FROM marked)), \
                  rebuilt AS (INSERT INTO analytics_holdings (customer_id, since, until, held) \
                              {spans}) \
             SELECT count(*) AS n FROM marked",
            spans = spans("p.customer_id IN (SELECT customer_id FROM marked)"),
        ))
        .get_result(conn)?;
        Ok(usize::try_from(n).unwrap_or(0))
    })
}

/// The whole book's policies in force per customer on the day `$1` (an SQL parameter), as
/// rows of one column `held`: from the spans of the customers not marked dirty, from the tables
/// for the dirty ones, and from the tables for everyone until the spans are first built.
pub(crate) fn held_on_day_one() -> String {
    let in_force = super::in_force_on("$1");
    format!(
        "SELECT h.held::int8 AS held FROM analytics_holdings h \
         WHERE (SELECT EXISTS (SELECT 1 FROM analytics_holdings_built)) \
           AND h.until > $1 AND h.since <= $1 \
           AND NOT EXISTS (SELECT 1 FROM analytics_holdings_dirty x \
                           WHERE x.customer_id = h.customer_id) \
         UNION ALL \
         SELECT count(*) FROM policy_periods pp JOIN policies p ON p.id = pp.policy_id \
         WHERE (SELECT EXISTS (SELECT 1 FROM analytics_holdings_built)) \
           AND {in_force} \
           AND p.customer_id IN (SELECT customer_id FROM analytics_holdings_dirty) \
         GROUP BY p.customer_id \
         UNION ALL \
         SELECT count(*) FROM policy_periods pp JOIN policies p ON p.id = pp.policy_id \
         WHERE NOT (SELECT EXISTS (SELECT 1 FROM analytics_holdings_built)) AND {in_force} \
         GROUP BY p.customer_id"
    )
}
