//! Comisiones: the commission the brokerage earned per month over a period (lines booked on
//! collection, less reversals of returned receipts), and the agents' share, by carrier and
//! agent.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::summary::Kind;
use super::{Days, Group, Grouped, Period, PortfolioScope, Row, by_month, groups, total};

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
    let rows = rows(
        conn,
        scope,
        period,
        &["month", "carrier_id", "agent_staff_id"],
    )?;
    Ok(Commissions {
        period,
        total: total(&rows, earned),
        by_month: by_month(&rows, period, earned),
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
    Ok(total(&rows(conn, scope, period, &[])?, earned))
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    sets: &[&str],
) -> QueryResult<Vec<Row>> {
    Grouped {
        kinds: &[Kind::Commissions],
        key: "",
        sets,
    }
    .load(conn, scope, period.from, period.to, period.to)
}

/// Commission lines booked within `days`: one each (`m1`), the brokerage's commission (`m2`)
/// and the agent's share (`m3`).
pub(crate) fn facts(days: &Days) -> String {
    format!(
        "SELECT cm.carrier_id, NULL::int8 AS line_id, cm.agent_staff_id, \
                date_trunc('month', cm.booked_on)::date AS month, NULL::text AS key_text, \
                1::numeric AS m1, cm.amount_cents::numeric AS m2, \
                cm.agent_amount_cents::numeric AS m3, 0::numeric AS m4 \
         FROM commissions cm \
         JOIN policies p ON p.id = cm.policy_id \
         WHERE cm.booked_on BETWEEN {lo} AND {hi} AND {scope}",
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}
