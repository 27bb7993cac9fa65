//! Recibos: the receipts due in a period by where their collection stands (collected,
//! pending, overdue, returned, cancelled), the returned ones by reason, and the collection
//! rate.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::{Group, Period, PortfolioScope, Row, groups, labelled, ratio_bp, scope_condition};

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

/// The receipts due in `period` within `scope`, as of `today` (what is overdue), in one
/// grouped statement over the due dates (`receipts_due_idx`).
pub fn over(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    period: Period,
    today: NaiveDate,
) -> QueryResult<Collection> {
    let inner = format!(
        "SELECT CASE WHEN GROUPING(reason) = 0 THEN 'reason' ELSE 'status' END AS dimension, \
                NULL::int8 AS key_id, \
                CASE WHEN GROUPING(reason) = 0 THEN reason ELSE class END AS key_text, \
                NULL::date AS key_date, count(*) AS v1, COALESCE(sum(amount_cents), 0) AS v2, \
                0 AS v3, 0 AS v4 \
         FROM ( \
            SELECT r.amount_cents, \
                   CASE r.status WHEN 'cobrado' THEN 'collected' \
                                 WHEN 'devuelto' THEN 'returned' \
                                 WHEN 'anulado' THEN 'cancelled' \
                                 ELSE CASE WHEN r.due_date < $4 THEN 'overdue' ELSE 'pending' END \
                   END AS class, \
                   CASE WHEN r.status = 'devuelto' THEN r.return_reason END AS reason \
            FROM receipts r \
            WHERE r.due_date BETWEEN $1 AND $2 AND {scope} \
         ) AS collection \
         GROUP BY GROUPING SETS ((class), (reason))",
        scope = scope_condition(3, "r.customer_id"),
    );
    let rows: Vec<Row> = diesel::sql_query(labelled(&inner))
        .bind::<Date, _>(period.from)
        .bind::<Date, _>(period.to)
        .bind::<Nullable<BigInt>, _>(scope.owner())
        .bind::<Date, _>(today)
        .load(conn)?;
    let amount = |row: &Row| Amount {
        receipts: row.v1,
        amount_cents: row.v2,
    };
    let class = |name: &str| {
        rows.iter()
            .find(|row| row.dimension == "status" && row.key_text.as_deref() == Some(name))
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
        returned_by_reason: groups(&rows, "reason", "Sin motivo", amount)
            .into_iter()
            .filter(|group| group.code.is_some())
            .collect(),
    })
}
