//! Cartera: the policies in force at a date and their annualised premium, by carrier, line
//! and agent.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::{
    Group, PortfolioScope, Row, dimension_columns, grouping_sets, groups, labelled, period_premium,
    scope_condition, total,
};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Pólizas en vigor en la fecha: las que tienen un periodo de cobertura que la incluye (efecto hasta esa fecha, vencimiento después) y no estaban anuladas ni suspendidas en ella. Prima anualizada: la prima total (con impuestos y recargos) de ese periodo llevada a un año; la de un periodo anual es su prima; la del periodo en curso incluye sus suplementos.";

/// The size of a book: policies and annualised total premium.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Book {
    pub policies: i64,
    pub premium_cents: i64,
}

/// The portfolio at a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Portfolio {
    pub at: NaiveDate,
    pub total: Book,
    pub by_carrier: Vec<Group<Book>>,
    pub by_line: Vec<Group<Book>>,
    pub by_agent: Vec<Group<Book>>,
}

/// The policies in force at `at` within `scope`, in one grouped statement over the periods
/// covering that day (`policy_periods_end_idx`).
pub fn at(conn: &mut PgConnection, scope: PortfolioScope, at: NaiveDate) -> QueryResult<Portfolio> {
    let rows = rows(conn, scope, at, true)?;
    let book = |row: &Row| Book {
        policies: row.v1,
        premium_cents: row.v2,
    };
    let (policies, premium_cents, _, _) = total(&rows);
    Ok(Portfolio {
        at,
        total: Book {
            policies,
            premium_cents,
        },
        by_carrier: groups(&rows, "carrier", "Sin compañía", book),
        by_line: groups(&rows, "line", "Sin ramo", book),
        by_agent: groups(&rows, "agent", "Sin agente", book),
    })
}

/// Only the total at `at` (the comparisons of the headline figures).
pub fn total_at(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    at: NaiveDate,
) -> QueryResult<Book> {
    let (policies, premium_cents, _, _) = total(&rows(conn, scope, at, false)?);
    Ok(Book {
        policies,
        premium_cents,
    })
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    at: NaiveDate,
    breakdowns: bool,
) -> QueryResult<Vec<Row>> {
    let columns: &[&str] = if breakdowns {
        &["carrier_id", "line_id", "agent_staff_id"]
    } else {
        &[]
    };
    let inner = format!(
        "SELECT {dimension}, \
                count(*) AS v1, COALESCE(sum(annual_cents), 0) AS v2, 0 AS v3, 0 AS v4 \
         FROM ( \
            SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                   CASE WHEN pp.end_date = pp.start_date + interval '1 year' THEN {premium} \
                        ELSE round(({premium})::numeric * 365 / (pp.end_date - pp.start_date)) \
                   END AS annual_cents \
            FROM policy_periods pp \
            JOIN policies p ON p.id = pp.policy_id \
            WHERE pp.start_date <= $1 AND pp.end_date > $1 \
              AND NOT (p.status IN ('cancelled', 'suspended') AND p.status_changed_on <= $1) \
              AND {scope} \
         ) AS book \
         GROUP BY {sets}",
        dimension = dimension_columns(columns),
        sets = grouping_sets(columns),
        premium = period_premium("total_premium_cents"),
        scope = scope_condition(2, "p.customer_id"),
    );
    diesel::sql_query(labelled(&inner))
        .bind::<Date, _>(at)
        .bind::<Nullable<BigInt>, _>(scope.owner())
        .load(conn)
}
