//! Recibos: the receipts due in a period by where their collection stands (collected,
//! pending, overdue, returned, cancelled), the returned ones by reason, and the collection
//! rate.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::summary::Kind;
use super::{Days, Group, Grouped, Period, PortfolioScope, Row, groups, ratio_bp};

/// What the page writes under the figures.
pub const DEFINITION: &str = "Recibos con fecha de vencimiento entre las dos fechas. Cobrados: marcados como cobrados. Pendientes: sin cobrar (o en una remesa) y aún no vencidos hoy; vencidos: sin cobrar y con vencimiento anterior a hoy. Devueltos: devueltos por el banco o el cliente, por motivo. Anulados: no cuentan en la tasa. Tasa de cobro = importe cobrado ÷ importe de los recibos no anulados.";

/// Receipts: how many and their total amount.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amount {
    pub receipts: i64,
    pub amount_cents: i64,
}

/// Where the collection of a period's receipts stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    pub period: Period,
    pub collected: Amount,
    pub pending: Amount,
    pub overdue: Amount,
    pub returned: Amount,
    pub cancelled: Amount,
    /// The returned receipts by the reason recorded.
    pub returned_by_reason: Vec<Group<Amount>>,
}

impl Collection {
    /// Every receipt that counts for the rate (all but the cancelled ones).
    pub fn issued(&self) -> Amount {
        let parts = [self.collected, self.pending, self.overdue, self.returned];
        Amount {
            receipts: parts.iter().map(|a| a.receipts).sum(),
            amount_cents: parts.iter().map(|a| a.amount_cents).sum(),
        }
    }

    /// The collection rate in basis points (collected amount ÷ issued amount).
    pub fn rate_bp(&self) -> Option<i64> {
        ratio_bp(self.collected.amount_cents, self.issued().amount_cents)
    }
}

/// The receipts due in `period` within `scope`, as of `today` (what is overdue), in two grouped
/// statements over the due dates (`receipts_due_idx`): by class, and the returned ones by
/// reason.
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    today: NaiveDate,
) -> QueryResult<Collection> {
    let classes = Grouped {
        kinds: &[Kind::Receipts],
        key: "class",
        sets: &["class"],
    }
    .load(conn, scope, period.from, period.to, today)?;
    let reasons = Grouped {
        kinds: &[Kind::Returns],
        key: "reason",
        sets: &["reason"],
    }
    .load(conn, scope, period.from, period.to, today)?;
    let amount = |row: &Row| Amount {
        receipts: row.v1,
        amount_cents: row.v2,
    };
    let class = |name: &str| {
        classes
            .iter()
            .find(|row| row.dimension == "class" && row.key_text.as_deref() == Some(name))
            .map(amount)
            .unwrap_or_default()
    };
    Ok(Collection {
        period,
        collected: class("collected"),
        pending: class("pending"),
        overdue: class("overdue"),
        returned: class("returned"),
        cancelled: class("cancelled"),
        returned_by_reason: groups(&reasons, "reason", "Sin motivo", amount)
            .into_iter()
            .filter(|group| group.code.is_some())
            .collect(),
    })
}

/// Receipts due within `days`: one each (`m1`) with their amount (`m2`), where their
/// collection stands as the key (`overdue`: unpaid and due before today).
pub(crate) fn class_facts(days: &Days) -> String {
    format!(
        "SELECT NULL::int8 AS carrier_id, NULL::int8 AS line_id, NULL::int8 AS agent_staff_id, \
                date_trunc('month', r.due_date)::date AS month, \
                CASE r.status WHEN 'cobrado' THEN 'collected' \
                              WHEN 'devuelto' THEN 'returned' \
                              WHEN 'anulado' THEN 'cancelled' \
                              ELSE CASE WHEN r.due_date < {today} THEN 'overdue' ELSE 'pending' END \
                END AS key_text, \
                1::numeric AS m1, r.amount_cents::numeric AS m2, 0::numeric AS m3, 0::numeric AS m4 \
         FROM receipts r \
         WHERE r.due_date BETWEEN {lo} AND {hi} AND {scope}",
        lo = days.lo,
        hi = days.hi,
        today = days.today,
        scope = days.scope("r.customer_id"),
    )
}

/// Receipts due within `days` and returned: one each (`m1`) with their amount (`m2`), the
/// reason recorded as the key.
pub(crate) fn return_facts(days: &Days) -> String {
    format!(
        "SELECT NULL::int8 AS carrier_id, NULL::int8 AS line_id, NULL::int8 AS agent_staff_id, \
                date_trunc('month', r.due_date)::date AS month, r.return_reason AS key_text, \
                1::numeric AS m1, r.amount_cents::numeric AS m2, 0::numeric AS m3, 0::numeric AS m4 \
         FROM receipts r \
         WHERE r.due_date BETWEEN {lo} AND {hi} AND r.status = 'devuelto' AND {scope}",
        lo = days.lo,
        hi = days.hi,
        scope = days.scope("r.customer_id"),
    )
}
