//! Siniestralidad: what the claims of a period cost (paid plus reserves) against the premium
//! earned in it, by carrier and line.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::{
    Group, Period, PortfolioScope, Row, dimension_columns, grouping_sets, groups, labelled,
    period_premium, ratio_bp, scope_condition, total,
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
    let rows = rows(conn, scope, period, true)?;
    let (claims, earned_cents, paid_cents, reserve_cents) = total(&rows);
    Ok(LossRatio {
        period,
        total: Losses {
            claims,
            earned_cents,
            paid_cents,
            reserve_cents,
        },
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
    let (claims, earned_cents, paid_cents, reserve_cents) =
        total(&rows(conn, scope, period, false)?);
    Ok(Losses {
        claims,
        earned_cents,
        paid_cents,
        reserve_cents,
    })
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    breakdowns: bool,
) -> QueryResult<Vec<Row>> {
    let columns: &[&str] = if breakdowns {
        &["carrier_id", "line_id"]
    } else {
        &[]
    };
    // Earned: the days of [start, end) — cut at the cancellation day — that fall in
    // [$1, $2 + 1), over the days of the period of cover.
    let inner = format!(
        "SELECT {dimension}, COALESCE(sum(claims), 0) AS v1, COALESCE(round(sum(earned)), 0) AS v2, \
                COALESCE(sum(paid), 0) AS v3, COALESCE(sum(reserve), 0) AS v4 \
         FROM ( \
            SELECT p.carrier_id, p.line_id, 0 AS claims, \
                   ({premium})::numeric \
                     * GREATEST(0, LEAST(CASE WHEN p.status = 'cancelled' \
                                              AND p.status_changed_on IS NOT NULL \
                                         THEN LEAST(pp.end_date, p.status_changed_on) \
                                         ELSE pp.end_date END, \
                                         $2 + 1) - GREATEST(pp.start_date, $1)) \
                     / (pp.end_date - pp.start_date) AS earned, \
                   0 AS paid, 0 AS reserve \
            FROM policy_periods pp \
            JOIN policies p ON p.id = pp.policy_id \
            WHERE pp.end_date > $1 AND pp.start_date <= $2 AND {scope} \
            UNION ALL \
            SELECT p.carrier_id, p.line_id, 1, 0, COALESCE(cl.paid_cents, 0), \
                   CASE WHEN cl.status IN ('paid', 'closed', 'rejected') THEN 0 \
                        ELSE GREATEST(COALESCE(cl.accepted_cents, cl.claimed_cents, 0) \
                                      - COALESCE(cl.paid_cents, 0), 0) END \
            FROM claims cl \
            JOIN policies p ON p.id = cl.policy_id \
            WHERE cl.incident_date BETWEEN $1 AND $2 AND {scope} \
         ) AS figures \
         GROUP BY {sets}",
        dimension = dimension_columns(columns),
        sets = grouping_sets(columns),
        premium = period_premium("net_premium_cents"),
        scope = scope_condition(3, "p.customer_id"),
    );
    diesel::sql_query(labelled(&inner))
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .bind::<Nullable<BigInt>, _>(scope.owner())
        .load(conn)
}
