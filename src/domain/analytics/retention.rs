//! Retención: of the policies due for renewal in a period, how many were renewed (and how much
//! of their premium stayed), by carrier, line and agent; and the cancellations of the period
//! by reason.

use diesel::prelude::*;

use super::summary::Kind;
use super::{Days, Group, Grouped, Period, PortfolioScope, Row, groups, ratio_bp, total};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Vencimientos: periodos de cobertura que terminan entre las dos fechas. Renovados: los seguidos de un periodo nuevo de la misma póliza que empieza ese día. Retención de pólizas: renovados ÷ vencimientos. Retención de prima: prima total de los periodos nuevos ÷ prima total de los periodos que vencían (puede pasar del 100 % si la prima sube). Anulaciones: pólizas anuladas con fecha de anulación en el periodo, por motivo, con su prima total.";

/// Renewals due in a period and what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Renewals {
    pub due: i64,
    pub renewed: i64,
    pub due_premium_cents: i64,
    pub renewed_premium_cents: i64,
}

impl Renewals {
    /// Policy retention in basis points (renewed ÷ due).
    pub fn policy_retention_bp(&self) -> Option<i64> {
        ratio_bp(self.renewed, self.due)
    }

    /// Premium retention in basis points (renewed premium ÷ due premium).
    pub fn premium_retention_bp(&self) -> Option<i64> {
        ratio_bp(self.renewed_premium_cents, self.due_premium_cents)
    }
}

/// Cancelled policies: how many and their premium.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cancellations {
    pub policies: i64,
    pub premium_cents: i64,
}

/// Retention over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    pub period: Period,
    pub total: Renewals,
    pub by_carrier: Vec<Group<Renewals>>,
    pub by_line: Vec<Group<Renewals>>,
    pub by_agent: Vec<Group<Renewals>>,
    pub cancellations: Cancellations,
    /// By the reason's label (the text before any ": detail").
    pub cancellations_by_reason: Vec<Group<Cancellations>>,
}

fn renewals(row: &Row) -> Renewals {
    Renewals {
        due: row.v1,
        renewed: row.v2,
        due_premium_cents: row.v3,
        renewed_premium_cents: row.v4,
    }
}

fn cancellations(row: &Row) -> Cancellations {
    Cancellations {
        policies: row.v1,
        premium_cents: row.v2,
    }
}

/// Renewals due and cancellations in `period` within `scope`, in two statements: the periods
/// ending in it (`policy_periods_end_idx`) with their successor (the unique policy and start
/// day), and the policies cancelled in it (`policies_cancelled_on_idx`).
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Retention> {
    let rows = renewal_rows(
        conn,
        scope,
        period,
        &["carrier_id", "line_id", "agent_staff_id"],
    )?;
    let reasons = Grouped {
        kinds: &[Kind::Cancellations],
        key: "reason",
        sets: &["reason"],
    }
    .load(conn, scope, period.from, period.to, period.to)?;
    Ok(Retention {
        period,
        total: total(&rows, renewals),
        by_carrier: groups(&rows, "carrier", "Sin compañía", renewals),
        by_line: groups(&rows, "line", "Sin ramo", renewals),
        by_agent: groups(&rows, "agent", "Sin agente", renewals),
        cancellations: total(&reasons, cancellations),
        cancellations_by_reason: groups(&reasons, "reason", "Sin motivo", cancellations),
    })
}

/// Only the renewals' total of `period` (the comparisons of the headline figures).
pub fn total_over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Renewals> {
    Ok(total(&renewal_rows(conn, scope, period, &[])?, renewals))
}

fn renewal_rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    sets: &[&str],
) -> QueryResult<Vec<Row>> {
    Grouped {
        kinds: &[Kind::Renewals],
        key: "",
        sets,
    }
    .load(conn, scope, period.from, period.to, period.to)
}

/// Periods of cover ending within `days`: one each (`m1`), renewed or not (`m2`, 1 when a
/// period of the same policy starts that day), their premium (`m3`) and the new period's
/// (`m4`).
pub(crate) fn renewal_facts(days: &Days) -> String {
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                date_trunc('month', pp.end_date)::date AS month, NULL::text AS key_text, \
                1::numeric AS m1, (next.policy_id IS NOT NULL)::int::numeric AS m2, \
                pp.total_premium_cents::numeric AS m3, \
                COALESCE(next.total_premium_cents, 0)::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id \
         LEFT JOIN policy_periods next \
                ON next.policy_id = pp.policy_id AND next.start_date = pp.end_date \
         WHERE pp.end_date BETWEEN {lo} AND {hi} AND {scope}",
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}

/// Policies cancelled on a day within `days`: one each (`m1`) with their premium (`m2`), the
/// reason's label (the text before any ": detail") as the key.
pub(crate) fn cancellation_facts(days: &Days) -> String {
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                date_trunc('month', p.status_changed_on)::date AS month, \
                btrim(split_part(p.status_reason, ':', 1)) AS key_text, \
                1::numeric AS m1, p.total_premium_cents::numeric AS m2, \
                0::numeric AS m3, 0::numeric AS m4 \
         FROM policies p \
         WHERE p.status = 'cancelled' AND p.status_changed_on BETWEEN {lo} AND {hi} \
           AND {scope}",
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}
