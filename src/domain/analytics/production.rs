//! Producción: new business per month over a period (policies and their first period's
//! premium), by carrier, line, agent and, when the policy came from a lead, the lead's source.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::summary::Kind;
use super::{Days, Group, Grouped, Period, PortfolioScope, Row, by_month, groups, total};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Nueva producción: pólizas cuyo primer periodo de cobertura empieza (fecha de efecto) entre las dos fechas; las renovaciones no cuentan. Prima: la prima total (con impuestos y recargos) de ese primer periodo. Origen: el del lead del presupuesto del que salió la póliza o, si no lo hay, el del lead que se convirtió en el cliente.";

/// New business: how many policies and their premium.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sales {
    pub policies: i64,
    pub premium_cents: i64,
}

/// New business over a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Production {
    pub period: Period,
    pub total: Sales,
    /// Every month of the period, in order (months without sales at zero).
    pub by_month: Vec<(NaiveDate, Sales)>,
    pub by_carrier: Vec<Group<Sales>>,
    pub by_line: Vec<Group<Sales>>,
    pub by_agent: Vec<Group<Sales>>,
    /// By the lead source code (`code`); `None` for policies that came from no lead.
    pub by_source: Vec<Group<Sales>>,
}

/// New business in `period` within `scope`, in one grouped statement over the periods
/// starting in it (`policy_periods_start_idx`).
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Production> {
    let sets = ["month", "carrier_id", "line_id", "agent_staff_id", "source"];
    let rows = rows(conn, scope, period, &sets)?;
    let mut by_source = groups(&rows, "source", "Sin lead", sales);
    for group in &mut by_source {
        if let Some(code) = &group.code {
            group.label = crate::leads::source_label(code).to_owned();
        }
    }
    Ok(Production {
        period,
        total: total(&rows, sales),
        by_month: by_month(&rows, period, sales),
        by_carrier: groups(&rows, "carrier", "Sin compañía", sales),
        by_line: groups(&rows, "line", "Sin ramo", sales),
        by_agent: groups(&rows, "agent", "Sin agente", sales),
        by_source,
    })
}

/// Only the total of `period` (the comparisons of the headline figures).
pub fn total_over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
) -> QueryResult<Sales> {
    Ok(total(&rows(conn, scope, period, &[])?, sales))
}

fn sales(row: &Row) -> Sales {
    Sales {
        policies: row.v1,
        premium_cents: row.v2,
    }
}

fn rows(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    sets: &[&str],
) -> QueryResult<Vec<Row>> {
    Grouped {
        kinds: &[Kind::Production],
        key: "source",
        sets,
    }
    .load(conn, scope, period.from, period.to, period.to)
}

/// New policies whose first period starts within `days`: one each (`m1`) with that period's
/// premium (`m2`), the lead source as the key.
pub(crate) fn facts(days: &Days) -> String {
    // The lead source is looked up only for the new policies of the range.
    format!(
        "SELECT p.carrier_id, p.line_id, p.agent_staff_id, \
                date_trunc('month', pp.start_date)::date AS month, \
                COALESCE( \
                  (SELECT l.source FROM quotes q JOIN leads l ON l.id = q.lead_id \
                    WHERE q.policy_id = p.id ORDER BY q.id LIMIT 1), \
                  (SELECT l.source FROM leads l WHERE l.customer_id = p.customer_id \
                    ORDER BY l.converted_at NULLS LAST, l.id LIMIT 1)) AS key_text, \
                1::numeric AS m1, pp.total_premium_cents::numeric AS m2, \
                0::numeric AS m3, 0::numeric AS m4 \
         FROM policy_periods pp \
         JOIN policies p ON p.id = pp.policy_id \
         WHERE pp.start_date BETWEEN {lo} AND {hi} \
           AND NOT EXISTS (SELECT 1 FROM policy_periods earlier \
                            WHERE earlier.policy_id = pp.policy_id \
                              AND earlier.start_date < pp.start_date) \
           AND {scope}",
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("p.customer_id"),
    )
}
