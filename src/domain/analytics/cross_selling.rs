//! Venta cruzada: how many policies in force each customer holds at a date.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::{PortfolioScope, Row, in_force_on, labelled, scope_condition};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Clientes con al menos una póliza en vigor en la fecha (la misma definición de póliza en vigor que la cartera), agrupados por cuántas tienen. Pólizas por cliente: pólizas en vigor ÷ esos clientes.";

/// The most policies a group counts separately; more fall in the last group ("4 o más").
pub const MAX_GROUP: i64 = 4;

/// Customers by the number of policies in force they hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrossSelling {
    pub at: NaiveDate,
    pub customers: i64,
    pub policies: i64,
    /// (policies held, 1..=[`MAX_GROUP`] (the last "or more"), customers, their policies).
    pub by_count: Vec<(i64, i64, i64)>,
}

impl CrossSelling {
    /// Policies per customer in hundredths (1,25 → 125); `None` without customers.
    pub fn per_customer_hundredths(&self) -> Option<i64> {
        super::ratio_bp(self.policies, self.customers).map(|bp| (bp + 50) / 100)
    }
}

/// Customers of `scope` with policies in force at `at`, by how many, in one statement: the
/// whole book's from the customers' spans ([`super::holdings`]), an agent's from the periods
/// of cover of their customers.
pub fn at(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    at: NaiveDate,
) -> QueryResult<CrossSelling> {
    let held = match scope.owner() {
        None => super::holdings::held_on_day_one(),
        Some(_) => format!(
            "SELECT count(*) AS held \
             FROM policy_periods pp \
             JOIN policies p ON p.id = pp.policy_id \
             WHERE {in_force} AND {scope} \
             GROUP BY p.customer_id",
            in_force = in_force_on("$1"),
            scope = scope_condition(2, "p.customer_id"),
        ),
    };
    let inner = format!(
        "SELECT 'count' AS dimension, LEAST(held, {MAX_GROUP})::int8 AS key_id, \
                NULL::text AS key_text, NULL::date AS key_date, \
                count(*) AS v1, sum(held) AS v2, 0 AS v3, 0 AS v4 \
         FROM ({held}) AS holders \
         GROUP BY 2"
    );
    let query = diesel::sql_query(labelled(&inner)).bind::<Date, _>(at);
    let rows: Vec<Row> = match scope.owner() {
        Some(owner) => query.bind::<Nullable<BigInt>, _>(Some(owner)).load(conn)?,
        None => query.load(conn)?,
    };
    let by_count: Vec<(i64, i64, i64)> = (1..=MAX_GROUP)
        .map(|n| {
            rows.iter()
                .find(|row| row.key_id == Some(n))
                .map_or((n, 0, 0), |row| (n, row.v1, row.v2))
        })
        .collect();
    Ok(CrossSelling {
        at,
        customers: by_count.iter().map(|(_, c, _)| c).sum(),
        policies: by_count.iter().map(|(_, _, p)| p).sum(),
        by_count,
    })
}
