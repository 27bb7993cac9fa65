//! Cartera: the policies in force at a date and their annualised premium, by carrier, line
//! and agent.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::summary::Kind;
use super::{
    Days, Group, Grouped, PortfolioScope, Row, groups, in_force_on, period_premium, total,
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

/// The policies in force at `at` within `scope`, by carrier, line and agent.
pub fn at(conn: &mut PgConnection, scope: PortfolioScope, at: NaiveDate) -> QueryResult<Portfolio> {
    let rows = rows(
        conn,
        scope,
        at,
        &["carrier_id", "line_id", "agent_staff_id"],
    )?;
    Ok(Portfolio {
        at,
        total: total(&rows, book),
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
    Ok(total(&rows(conn, scope, at, &[])?, book))
}

fn book(row: &Row) -> Book {
    Book {
        policies: row.v1,
        premium_cents: row.v2,
    }
}

/// The whole book in force at `at` is every period started by then less every period ended
/// (or stopped) by then: running sums, mostly from the summary rows of the months before.
/// An agent's book is read as the periods in force that day (few, and not summarised).
fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    at: NaiveDate,
    sets: &[&str],
) -> QueryResult<Vec<Row>> {
    match scope.owner() {
        None => Grouped {
            kinds: &[Kind::BookStarts, Kind::BookEnds],
            key: "",
            sets,
        }
        .load(conn, scope, at, at, at),
        Some(_) => Grouped {
            kinds: &[Kind::InForce],
            key: "",
            sets,
        }
        .load(conn, scope, at, at, at),
    }
}

/// The annual premium of a period of cover (`pp` of policy `p`): the premium of a one-year
/// period, scaled to 365 days otherwise.
fn annual_premium() -> String {
    format!(
        "CASE WHEN pp.end_date = pp.start_date + interval '1 year' THEN ({premium})::numeric \
              ELSE round(({premium})::numeric * 365 / (pp.end_date - pp.start_date)) END",
        premium = period_premium("total_premium_cents"),
    )
}

/// The day a period of cover stops counting in the book: its end, or the day its policy was
/// cancelled or suspended if earlier, never before its start.
pub(crate) const STOPS: &str = "GREATEST(pp.start_date, LEAST(pp.end_date, \
     CASE WHEN p.status IN ('cancelled', 'suspended') \
          THEN COALESCE(p.status_changed_on, pp.start_date) ELSE pp.end_date END))";

/// Periods of cover starting within `days`: +1 (`m1`) and their annual premium (`m2`).
pub(crate) fn start_facts(days: &Days) -> String {
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                date_trunc('month', pp.start_date)::date AS month, NULL::text AS key_text, \
                1::numeric AS m1, {annual} AS m2, 0::numeric AS m3, 0::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id \
         WHERE pp.start_date BETWEEN {lo} AND {hi} AND {scope}",
        annual = annual_premium(),
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}

/// Periods of cover that stop counting within `days`: −1 (`m1`) and minus their annual
/// premium (`m2`). The day they stop is their start, their end or their policy's status
/// change, so the rows are found through those three dates' indexes.
pub(crate) fn end_facts(days: &Days) -> String {
    let select = format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                date_trunc('month', {STOPS})::date AS month, NULL::text AS key_text, \
                -1::numeric AS m1, -({annual}) AS m2, 0::numeric AS m3, 0::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id",
        annual = annual_premium(),
    );
    let (lo, hi) = (&days.lo, &days.hi);
    let by_period =
        format!("(pp.end_date BETWEEN {lo} AND {hi} OR pp.start_date BETWEEN {lo} AND {hi})");
    format!(
        "{select} WHERE {by_period} AND {STOPS} BETWEEN {lo} AND {hi} AND {scope} \
         UNION ALL \
         {select} WHERE p.status IN ('cancelled', 'suspended') \
                    AND p.status_changed_on BETWEEN {lo} AND {hi} AND NOT {by_period} \
                    AND {STOPS} BETWEEN {lo} AND {hi} AND {scope}",
        scope = days.scope("p.customer_id"),
    )
}

/// Periods of cover in force on the last day of `days`: one each (`m1`) with their annual
/// premium (`m2`).
pub(crate) fn in_force_facts(days: &Days) -> String {
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, NULL::date AS month, \
                NULL::text AS key_text, 1::numeric AS m1, {annual} AS m2, \
                0::numeric AS m3, 0::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id \
         WHERE {in_force} AND {scope}",
        annual = annual_premium(),
        in_force = in_force_on(&days.hi),
        scope = days.scope("p.customer_id"),
    )
}
