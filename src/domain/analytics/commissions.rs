//! Comisiones: the commission the brokerage earned per month over a period (lines booked on
//! collection, less reversals of returned receipts), and the agents' share, by carrier and
//! agent.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::{
    Group, Period, PortfolioScope, Row, dimension_columns, grouping_sets, groups, labelled,
    scope_condition, total,
};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Comisiones devengadas: las líneas de comisión con fecha entre las dos fechas (la del cobro del recibo), menos las anulaciones por recibos devueltos en ese tiempo. Comisión: la de la correduría sobre la prima neta cobrada; parte del agente: lo que corresponde al comercial de la póliza.";

/// Commission earned: the brokerage's and the agents' share of it, in cents.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Earned {
    pub lines: i64,
    pub commission_cents: i64,
    pub agent_cents: i64,
}

/// Commission over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commissions {
    pub period: Period,
    pub total: Earned,
    /// Every month of the period, in order.
    pub by_month: Vec<(NaiveDate, Earned)>,
    pub by_carrier: Vec<Group<Earned>>,
    pub by_agent: Vec<Group<Earned>>,
}

fn earned(row: &Row) -> Earned {
    Earned {
        lines: row.v1,
        commission_cents: row.v2,
        agent_cents: row.v3,
    }
}

/// Commission booked in `period` within `scope`, in one grouped statement over the booking
/// dates (`commissions_booked_idx`).
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Commissions> {
    let rows = rows(conn, scope, period, true)?;
    let (lines, commission_cents, agent_cents, _) = total(&rows);
    let by_month = super::months(period, |month| {
        rows.iter()
            .find(|row| row.dimension == "month" && row.key_date == Some(month))
            .map(earned)
            .unwrap_or_default()
    });
    Ok(Commissions {
        period,
        total: Earned {
            lines,
            commission_cents,
            agent_cents,
        },
        by_month,
        by_carrier: groups(&rows, "carrier", "Sin compañía", earned),
        by_agent: groups(&rows, "agent", "Sin agente", earned),
    })
}

/// Only the total of `period` (the comparisons of the headline figures).
pub fn total_over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Earned> {
    let (lines, commission_cents, agent_cents, _) = total(&rows(conn, scope, period, false)?);
    Ok(Earned {
        lines,
        commission_cents,
        agent_cents,
    })
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    breakdowns: bool,
) -> QueryResult<Vec<Row>> {
    let columns: &[&str] = if breakdowns {
        &["month", "carrier_id", "agent_staff_id"]
    } else {
        &[]
    };
    let inner = format!(
        "SELECT {dimension}, count(*) AS v1, COALESCE(sum(amount_cents), 0) AS v2, \
                COALESCE(sum(agent_amount_cents), 0) AS v3, 0 AS v4 \
         FROM ( \
            SELECT cm.carrier_id, cm.agent_staff_id, cm.amount_cents, cm.agent_amount_cents, \
                   date_trunc('month', cm.booked_on)::date AS month \
            FROM commissions cm \
            JOIN policies p ON p.id = cm.policy_id \
            WHERE cm.booked_on BETWEEN $1 AND $2 AND {scope} \
         ) AS lines \
         GROUP BY {sets}",
        dimension = dimension_columns(columns),
        sets = grouping_sets(columns),
        scope = scope_condition(3, "p.customer_id"),
    );
    diesel::sql_query(labelled(&inner))
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .bind::<Nullable<BigInt>, _>(scope.owner())
        .load(conn)
}
