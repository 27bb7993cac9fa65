//! Demo receipts: the current period's instalments of every demo policy, generated in a few
//! batched statements, then most of the past ones collected, a few returned, some left
//! pending (overdue), and the pending ones of cancelled policies cancelled.

use diesel::prelude::*;

/// Generates the missing receipts and gives the new ones plausible states, in one
/// transaction. Idempotent: policies that already have receipts are left alone.
pub fn demo_receipts(conn: &mut PgConnection) -> anyhow::Result<usize> {
    conn.transaction(|conn| {
        let created = crate::receipts::generate_missing(conn)?;
        if created == 0 {
            return Ok(0);
        }
        // `now()` is the transaction's start: the rows just generated, and only those.
        // Of the receipts already due: one in 25 returned by the bank, three in 25 still
        // pending, the rest collected a couple of days after their due date.
        diesel::sql_query(
            "UPDATE receipts
                SET status = 'devuelto', returned_on = least(due_date + 5, CURRENT_DATE),
                    return_reason = 'Devuelto por el banco: cuenta sin fondos'
              WHERE created_at = now() AND status = 'pendiente'
                AND due_date <= CURRENT_DATE AND id % 25 = 0",
        )
        .execute(conn)?;
        diesel::sql_query(
            "UPDATE receipts
                SET status = 'cobrado', collected_on = least(due_date + 2, CURRENT_DATE)
              WHERE created_at = now() AND status = 'pendiente'
                AND due_date <= CURRENT_DATE AND id % 25 NOT IN (1, 2, 3)",
        )
        .execute(conn)?;
        // The pending ones of cancelled policies are cancelled with them, as
        // `policies::cancel` does.
        diesel::sql_query(
            "UPDATE receipts r
                SET status = 'anulado', cancelled_on = coalesce(p.status_changed_on, CURRENT_DATE),
                    cancel_reason = 'Póliza anulada: ' || coalesce(p.status_reason, '')
               FROM policies p
              WHERE p.id = r.policy_id AND p.status = 'cancelled'
                AND r.created_at = now() AND r.status = 'pendiente'",
        )
        .execute(conn)?;
        Ok(created)
    })
}
