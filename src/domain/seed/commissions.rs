//! Demo commissions: the demo agents' shares, the commission line of every demo receipt
//! already collected, and a few months of settlements (issued and paid two months ago, drafts
//! for last month) so that every page has something to show. Idempotent.

use chrono::Months;
use diesel::prelude::*;

use crate::audit::Actor;
use crate::auth::staff;
use crate::commissions::{self, DraftSettlement, Payment, month_start};
use crate::db::schema::{carrier_settlements, commissions as lines, staff_users};
use crate::seed::DEMO_ADMIN_EMAIL;

/// (demo agent, share of the broker's commission in basis points).
const SHARES: &[(&str, i32)] = &[
    ("comercial1@soriano.test", 3000),
    ("comercial2@soriano.test", 2500),
];

/// Returns how many commission lines it wrote.
pub fn demo_commissions(conn: &mut PgConnection) -> anyhow::Result<usize> {
    conn.transaction(|conn| {
        for (email, share) in SHARES {
            diesel::update(
                staff_users::table
                    .filter(staff_users::email.eq(email))
                    .filter(staff_users::agent_share_bp.eq(0)),
            )
            .set(staff_users::agent_share_bp.eq(share))
            .execute(conn)?;
        }
        let written = commissions::backfill(conn)?;
        let settled: i64 = carrier_settlements::table.count().get_result(conn)?;
        if settled == 0 {
            demo_settlements(conn)?;
        }
        Ok(written)
    })
}

fn demo_settlements(conn: &mut PgConnection) -> anyhow::Result<()> {
    let Some(admin) = staff::find_by_email(conn, DEMO_ADMIN_EMAIL)? else {
        return Ok(());
    };
    let by = Actor::new(&admin, "", "");
    let today = crate::policies::today();
    let this_month = month_start(today);
    let (Some(two_ago), Some(last)) = (
        this_month.checked_sub_months(Months::new(2)),
        this_month.checked_sub_months(Months::new(1)),
    ) else {
        return Ok(());
    };
    let carriers: Vec<i64> = lines::table
        .select(lines::carrier_id)
        .distinct()
        .order(lines::carrier_id)
        .load(conn)?;
    for (n, carrier) in carriers.into_iter().enumerate() {
        // Each attempt in a savepoint: a carrier with nothing to settle leaves no empty draft.
        let draft = |conn: &mut PgConnection, month| {
            conn.transaction(|conn| {
                commissions::create_draft(
                    conn,
                    &DraftSettlement {
                        carrier_id: carrier,
                        month,
                    },
                    &by,
                )
            })
            .ok()
        };
        if let Some(old) = draft(conn, two_ago) {
            let issued = commissions::issue(conn, old.id, &by)
                .map_err(|e| anyhow::anyhow!("issuing a demo settlement: {e}"))?;
            if n % 2 == 0 {
                // One in two paid; the first one a few euros short, to show a difference.
                let short = if n == 0 { 350 } else { 0 };
                commissions::mark_paid(
                    conn,
                    issued.id,
                    Ok(Payment {
                        paid_on: today,
                        received_cents: (issued.total_cents - short).max(0),
                    }),
                    &by,
                )
                .map_err(|e| anyhow::anyhow!("paying a demo settlement: {e}"))?;
            }
        }
        draft(conn, last);
    }
    Ok(())
}
