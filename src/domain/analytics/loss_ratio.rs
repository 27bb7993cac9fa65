//! Siniestralidad: what the claims of a period cost (paid plus reserves) against the premium
//! earned in it, by carrier and line.

use diesel::prelude::*;

use super::summary::Kind;
use super::{
    Days, Group, Grouped, Period, PortfolioScope, Row, groups, period_premium, ratio_bp, total,
};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Siniestralidad = (pagado + reservas) ÷ prima devengada. Siniestros: los ocurridos entre las dos fechas (fecha del siniestro). Pagado: importe pagado de esos siniestros. Reservas: en los que siguen abiertos (ni pagados, ni cerrados, ni rechazados), el importe aceptado (o, si aún no lo hay, el reclamado) menos lo ya pagado. Prima devengada: la parte de la prima neta de cada periodo de cobertura que corresponde a los días del periodo elegido en que la póliza estaba en vigor (hasta su anulación, si la hubo).";

/// Claims cost against earned premium.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Losses {
    pub claims: i64,
    pub earned_cents: i64,
    pub paid_cents: i64,
    pub reserve_cents: i64,
}

impl Losses {
    /// Paid plus reserves.
    pub fn incurred_cents(&self) -> i64 {
        self.paid_cents + self.reserve_cents
    }

    /// The loss ratio in basis points ((paid + reserves) ÷ earned premium).
    pub fn ratio_bp(&self) -> Option<i64> {
        ratio_bp(self.incurred_cents(), self.earned_cents)
    }
}

/// The loss ratio over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LossRatio {
    pub period: Period,
    pub total: Losses,
    pub by_carrier: Vec<Group<Losses>>,
    pub by_line: Vec<Group<Losses>>,
}

fn losses(row: &Row) -> Losses {
    Losses {
        claims: row.v1,
        earned_cents: row.v2,
        paid_cents: row.v3,
        reserve_cents: row.v4,
    }
}

/// Claims and earned premium of `period` within `scope`, in one statement: the periods of
/// cover overlapping it (`policy_periods_end_idx`) and the claims that happened in it
/// (`claims_incident_idx`), grouped together.
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<LossRatio> {
    let rows = rows(conn, scope, period, &["carrier_id", "line_id"])?;
    Ok(LossRatio {
        period,
        total: total(&rows, losses),
        by_carrier: groups(&rows, "carrier", "Sin compañía", losses),
        by_line: groups(&rows, "line", "Sin ramo", losses),
    })
}

/// Only the total of `period` (the comparisons of the headline figures).
pub fn total_over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Losses> {
    Ok(total(&rows(conn, scope, period, &[])?, losses))
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    sets: &[&str],
) -> QueryResult<Vec<Row>> {
    Grouped {
        kinds: &[Kind::Losses],
        key: "",
        sets,
    }
    .load(conn, scope, period.from, period.to, period.to)
}

/// The premium earned within `days` by every period of cover (`m2`), and the claims that
/// happened in them: one each (`m1`), paid (`m3`) and reserve (`m4`).
pub(crate) fn facts(days: &Days) -> String {
    // Earned: the days of [start, end) — cut at the cancellation day — that fall in
    // [lo, hi + 1), over the days of the period of cover.
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, NULL::date AS month, \
                NULL::text AS key_text, 0::numeric AS m1, \
                ({premium})::numeric \
                  * GREATEST(0, LEAST(CASE WHEN p.status = 'cancelled' \
                                           AND p.status_changed_on IS NOT NULL \
                                      THEN LEAST(pp.end_date, p.status_changed_on) \
                                      ELSE pp.end_date END, \
                                      {hi} + 1) - GREATEST(pp.start_date, {lo})) \
                  / (pp.end_date - pp.start_date) AS m2, \
                0::numeric AS m3, 0::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id \
         WHERE pp.end_date > {lo} AND pp.start_date <= {hi} AND {scope} \
         UNION ALL \
         SELECT p.carrier_id, p.line_id, p.agent_staff_id, NULL::date, NULL::text, 1, 0, \
                COALESCE(cl.paid_cents, 0), \
                CASE WHEN cl.status IN ('paid', 'closed', 'rejected') THEN 0 \
                     ELSE GREATEST(COALESCE(cl.accepted_cents, cl.claimed_cents, 0) \
                                   - COALESCE(cl.paid_cents, 0), 0) END \
         FROM claims cl \
         JOIN policies p ON p.id = cl.policy_id \
         WHERE cl.incident_date BETWEEN {lo} AND {hi} AND {scope}",
        lo = days.lo,
        hi = days.hi,
        premium = period_premium("net_premium_cents"),
        scope = days.scope("p.customer_id"),
    )
}
