//! Retención: of the policies due for renewal in a period, how many were renewed (and how much
//! of their premium stayed), by carrier, line and agent; and the cancellations of the period
//! by reason.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::{
    Group, Period, PortfolioScope, Row, dimension_columns, grouping_sets, groups, labelled,
    ratio_bp, scope_condition, total,
};

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

/// Renewals due and cancellations in `period` within `scope`, in one statement: the periods
/// ending in it (`policy_periods_end_idx`) with their successor (the unique policy and start
/// day), and the policies cancelled in it (`policies_cancelled_on_idx`).
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Retention> {
    let rows = rows(conn, scope, period, true)?;
    let (due, renewed, due_premium_cents, renewed_premium_cents) = total(&rows);
    let by_reason = groups(&rows, "reason", "Sin motivo", cancellations);
    let cancellations = by_reason
        .iter()
        .fold(Cancellations::default(), |sum, group| Cancellations {
            policies: sum.policies + group.values.policies,
            premium_cents: sum.premium_cents + group.values.premium_cents,
        });
    Ok(Retention {
        period,
        total: Renewals {
            due,
            renewed,
            due_premium_cents,
            renewed_premium_cents,
        },
        by_carrier: groups(&rows, "carrier", "Sin compañía", renewals),
        by_line: groups(&rows, "line", "Sin ramo", renewals),
        by_agent: groups(&rows, "agent", "Sin agente", renewals),
        cancellations,
        cancellations_by_reason: by_reason,
    })
}

/// Only the renewals' total of `period` (the comparisons of the headline figures).
pub fn total_over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Renewals> {
    let (due, renewed, due_premium_cents, renewed_premium_cents) =
        total(&rows(conn, scope, period, false)?);
    Ok(Renewals {
        due,
        renewed,
        due_premium_cents,
        renewed_premium_cents,
    })
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    breakdowns: bool,
) -> QueryResult<Vec<Row>> {
    let columns: &[&str] = if breakdowns {
        &["carrier_id", "line_id", "agent_staff_id"]
    } else {
        &[]
    };
    let reasons = if breakdowns {
        format!(
            " UNION ALL \
             SELECT 'reason', NULL::int8, btrim(split_part(p.status_reason, ':', 1)), NULL::date, \
                    count(*), sum(p.total_premium_cents), 0, 0 \
             FROM policies p \
             WHERE p.status = 'cancelled' AND p.status_changed_on BETWEEN $1 AND $2 AND {scope} \
             GROUP BY 3",
            scope = scope_condition(3, "p.customer_id")
        )
    } else {
        String::new()
    };
    let inner = format!(
        "SELECT {dimension}, count(*) AS v1, count(renewed_cents) AS v2, \
                COALESCE(sum(due_cents), 0) AS v3, COALESCE(sum(renewed_cents), 0) AS v4 \
         FROM ( \
            SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                   pp.total_premium_cents AS due_cents, \
                   next.total_premium_cents AS renewed_cents \
            FROM policy_periods pp \
            JOIN policies p ON p.id = pp.policy_id \
            LEFT JOIN policy_periods next \
                   ON next.policy_id = pp.policy_id AND next.start_date = pp.end_date \
            WHERE pp.end_date BETWEEN $1 AND $2 AND {scope} \
         ) AS due \
         GROUP BY {sets}{reasons}",
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
