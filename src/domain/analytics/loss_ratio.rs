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
    // The whole book's earned premium comes from running sums (mostly summary rows); an
    // agent's from their periods of cover overlapping the period (few, and not summarised).
    let earned = match scope.owner() {
        None => Kind::Earning,
        Some(_) => Kind::Earned,
    };
    Grouped {
        kinds: &[Kind::Losses, earned],
        key: "",
        sets,
    }
    .load(conn, scope, period.from, period.to, period.to)
}

/// The day numbers of the running sums count from here.
pub(crate) const EPOCH: &str = "DATE '2000-01-01'";

/// The premium a period of cover (`pp` of policy `p`) earns per day: its net premium over its
/// days.
fn daily_premium() -> String {
    format!(
        "({premium})::numeric / (pp.end_date - pp.start_date)",
        premium = period_premium("net_premium_cents")
    )
}

/// The day a period of cover stops earning: its end, or the day its policy was cancelled if
/// earlier, never before its start.
const STOPS_EARNING: &str = "GREATEST(pp.start_date, \
     CASE WHEN p.status = 'cancelled' AND p.status_changed_on IS NOT NULL \
          THEN LEAST(pp.end_date, p.status_changed_on) ELSE pp.end_date END)";

/// The claims that happened within `days`: one each (`m1`), paid (`m3`) and reserve (`m4`).
pub(crate) fn claim_facts(days: &Days) -> String {
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, NULL::date AS month, \
                NULL::text AS key_text, 1::numeric AS m1, 0::numeric AS m2, \
                COALESCE(cl.paid_cents, 0)::numeric AS m3, \
                (CASE WHEN cl.status IN ('paid', 'closed', 'rejected') THEN 0 \
                      ELSE GREATEST(COALESCE(cl.accepted_cents, cl.claimed_cents, 0) \
                                    - COALESCE(cl.paid_cents, 0), 0) END)::numeric AS m4 \
         FROM claims cl \
         JOIN policies p ON p.id = cl.policy_id \
         WHERE cl.incident_date BETWEEN {lo} AND {hi} AND {scope}",
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}

/// The premium earned within `days` by every period of cover overlapping them (`m2`): the
/// days of [start, end) — cut at the cancellation day — that fall in [lo, hi + 1), over the
/// days of the period of cover.
pub(crate) fn earned_facts(days: &Days) -> String {
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, NULL::date AS month, \
                NULL::text AS key_text, 0::numeric AS m1, \
                {daily} * GREATEST(0, LEAST({STOPS_EARNING}, {hi} + 1) \
                                      - GREATEST(pp.start_date, {lo})) AS m2, \
                0::numeric AS m3, 0::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id \
         WHERE pp.end_date > {lo} AND pp.start_date <= {hi} AND {scope}",
        daily = daily_premium(),
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}

/// The same earned premium as running sums, so that it adds up month by month: each period of
/// cover starting within `days` adds its daily premium `r` (`m1`) and `r` times its start's day
/// number (`m2`); each one that stops earning within them takes away the same at its stop.
/// Over a period [lo, hi] a start or stop on day `d` earns `r × (hi + 1 − max(d, lo))`, which
/// [`earning`] works out from the two sums (the day is in `month`).
pub(crate) fn earning_facts(days: &Days) -> String {
    let event = |sign: &str, day: &str| {
        format!(
            "SELECT p.carrier_id, p.line_id, p.agent_staff_id, {day} AS month, \
                    NULL::text AS key_text, {sign}{daily} AS m1, \
                    {sign}{daily} * ({day} - {EPOCH}) AS m2, 0::numeric AS m3, 0::numeric AS m4 \
             FROM policy_periods pp \
             JOIN policies p ON p.id = pp.policy_id",
            daily = daily_premium(),
        )
    };
    let (lo, hi) = (&days.lo, &days.hi);
    let scope = days.scope("p.customer_id");
    let starts = event("", "pp.start_date");
    let stops = event("-", STOPS_EARNING);
    // The day a period stops is its start, its end or its cancellation: found through those
    // three dates' indexes (the last `policies_cancelled_on_idx`).
    let by_period =
        format!("(pp.end_date BETWEEN {lo} AND {hi} OR pp.start_date BETWEEN {lo} AND {hi})");
    format!(
        "{starts} WHERE pp.start_date BETWEEN {lo} AND {hi} AND {scope} \
         UNION ALL \
         {stops} WHERE {by_period} AND {STOPS_EARNING} BETWEEN {lo} AND {hi} AND {scope} \
         UNION ALL \
         {stops} WHERE p.status = 'cancelled' AND p.status_changed_on BETWEEN {lo} AND {hi} AND NOT {by_period} \
                   AND {STOPS_EARNING} BETWEEN {lo} AND {hi} AND {scope}"
    )
}

/// Reads the running sums of [`earning_facts`] (raw or summarised; `facts`, since the
/// beginning) as the premium earned from `from` to `to` (`m2`): a start or stop before `from`
/// earns `r × (to + 1 − from)`, one on day `d` within the period `r × (to + 1 − d)`.
pub(crate) fn earning(facts: &str, from: &str, to: &str) -> String {
    format!(
        "SELECT carrier_id, line_id, agent_staff_id, NULL::date AS month, key_text, \
                0::numeric AS m1, \
                CASE WHEN month < {from} THEN ({to} + 1 - {from}) * m1 \
                     ELSE ({to} + 1 - {EPOCH}) * m1 - m2 END AS m2, \
                0::numeric AS m3, 0::numeric AS m4 \
         FROM ({facts}) AS earning"
    )
}
