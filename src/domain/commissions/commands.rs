//! Writing commission lines: the earned line of a collected receipt, the reversal of a
//! returned one, and the backfill of receipts collected before lines existed. Called inside
//! the receipts commands' transactions, so a collection and its commission commit together.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::commissions::model::Kind;
use crate::commissions::rules::{self, LineAmounts};
use crate::db::schema::{
    commission_rates, commissions, customers, policies, policy_periods, receipts, staff_users,
};
use crate::receipts::{Receipt, Status};

#[derive(Insertable)]
#[diesel(table_name = commissions)]
struct NewLine {
    receipt_id: i64,
    kind: &'static str,
    collection: i32,
    carrier_id: i64,
    product_id: i64,
    policy_id: i64,
    agent_staff_id: Option<i64>,
    renewal: bool,
    base_cents: i64,
    rate_bp: i32,
    amount_cents: i64,
    agent_share_bp: i32,
    agent_amount_cents: i64,
    booked_on: NaiveDate,
}

/// What a receipt's commission is computed from: (receipt, net premium, collected on, carrier,
/// product, policy, the policy's agent, the customer's owner, the product's new-business and
/// renewal rates in force on the collection date, whether an earlier period of the policy
/// ended before this receipt's period).
type Facts = (
    i64,
    i64,
    Option<NaiveDate>,
    i64,
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    Option<i32>,
    Option<i32>,
    bool,
);

/// The facts of the receipts `filter` selects, in one query.
macro_rules! facts {
    ($filter:expr) => {{
        let earlier_period = diesel::dsl::exists(
            policy_periods::table
                .filter(policy_periods::policy_id.eq(receipts::policy_id))
                .filter(policy_periods::end_date.le(receipts::period_start))
                .select(policy_periods::id),
        );
        // The rate in force on the collection date: the latest one effective by then (one
        // index probe on (product_id, effective_from) each).
        let rate_in_force = || {
            commission_rates::table
                .filter(commission_rates::product_id.eq(policies::product_id))
                .filter(
                    commission_rates::effective_from
                        .nullable()
                        .le(receipts::collected_on),
                )
                .order(commission_rates::effective_from.desc())
                .limit(1)
        };
        receipts::table
            .inner_join(policies::table)
            .inner_join(customers::table)
            .filter($filter)
            .select((
                receipts::id,
                receipts::net_cents,
                receipts::collected_on,
                policies::carrier_id,
                policies::product_id,
                policies::id,
                policies::agent_staff_id,
                customers::owner_staff_id,
                rate_in_force()
                    .select(commission_rates::new_business_bp)
                    .single_value(),
                rate_in_force()
                    .select(commission_rates::renewal_bp)
                    .single_value(),
                earlier_period,
            ))
    }};
}

/// Every staff member's share (the table is small; one query instead of a join per line).
fn shares(conn: &mut PgConnection) -> QueryResult<HashMap<i64, i32>> {
    Ok(staff_users::table
        .select((staff_users::id, staff_users::agent_share_bp))
        .load::<(i64, i32)>(conn)?
        .into_iter()
        .collect())
}

fn earned_line(facts: Facts, collection: i32, shares: &HashMap<i64, i32>) -> Option<NewLine> {
    let (
        receipt_id,
        net,
        collected_on,
        carrier_id,
        product_id,
        policy_id,
        policy_agent,
        owner,
        new_bp,
        renewal_bp,
        renewal,
    ) = facts;
    let agent = policy_agent.or(owner);
    let share = agent.and_then(|a| shares.get(&a).copied()).unwrap_or(0);
    // Every product has a rate since always (see the catalogue); none would mean no commission.
    let rate = rules::rate_for(renewal, new_bp.unwrap_or(0), renewal_bp.unwrap_or(0));
    let amounts = LineAmounts::earned(net, rate, share);
    Some(NewLine {
        receipt_id,
        kind: Kind::Earned.code(),
        collection,
        carrier_id,
        product_id,
        policy_id,
        agent_staff_id: agent,
        renewal,
        base_cents: amounts.base_cents,
        rate_bp: amounts.rate_bp,
        amount_cents: amounts.amount_cents,
        agent_share_bp: amounts.agent_share_bp,
        agent_amount_cents: amounts.agent_amount_cents,
        booked_on: collected_on?,
    })
}

/// The (kind, collection) of a receipt's lines.
fn lines_of(conn: &mut PgConnection, receipt_id: i64) -> QueryResult<Vec<(String, i32)>> {
    commissions::table
        .filter(commissions::receipt_id.eq(receipt_id))
        .select((commissions::kind, commissions::collection))
        .load(conn)
}

/// The collection whose earned line has no reversal yet, if any.
fn open_collection(lines: &[(String, i32)]) -> Option<i32> {
    let last = |kind: Kind| {
        lines
            .iter()
            .filter(|(k, _)| k == kind.code())
            .map(|(_, n)| *n)
            .max()
    };
    match (last(Kind::Earned), last(Kind::Reversal)) {
        (Some(earned), reversed) if reversed != Some(earned) => Some(earned),
        _ => None,
    }
}

/// Writes the commission of a receipt just collected, at the rate of its policy period, for
/// the policy's agent (else the customer's owner) with their current share. Does nothing if
/// the receipt is not collected or its collection already has a line (so calling it twice is
/// harmless). Returns the new line's id.
pub fn on_collected(conn: &mut PgConnection, receipt: &Receipt) -> QueryResult<Option<i64>> {
    if receipt.status() != Status::Collected {
        return Ok(None);
    }
    let lines = lines_of(conn, receipt.id)?;
    if open_collection(&lines).is_some() {
        return Ok(None);
    }
    let collection = lines.iter().map(|(_, n)| *n).max().unwrap_or(0) + 1;
    let facts: Facts = facts!(receipts::id.eq(receipt.id)).first(conn)?;
    let Some(line) = earned_line(facts, collection, &shares(conn)?) else {
        return Ok(None);
    };
    diesel::insert_into(commissions::table)
        .values(&line)
        .on_conflict_do_nothing()
        .returning(commissions::id)
        .get_result(conn)
        .optional()
}

/// Writes the reversal of a returned receipt's commission: the exact opposite of its open
/// earned line, booked on the return date, unsettled (so it goes into the next settlement
/// even when the line it reverses was already issued). Does nothing when the receipt was not
/// collected before. Returns the new line's id.
pub fn on_returned(conn: &mut PgConnection, receipt: &Receipt) -> QueryResult<Option<i64>> {
    let Some(on) = receipt.returned_on else {
        return Ok(None);
    };
    let lines = lines_of(conn, receipt.id)?;
    let Some(collection) = open_collection(&lines) else {
        return Ok(None);
    };
    let earned: crate::commissions::Commission = commissions::table
        .filter(commissions::receipt_id.eq(receipt.id))
        .filter(commissions::kind.eq(Kind::Earned.code()))
        .filter(commissions::collection.eq(collection))
        .select(crate::commissions::Commission::as_select())
        .first(conn)?;
    let amounts = LineAmounts {
        base_cents: earned.base_cents,
        rate_bp: earned.rate_bp,
        amount_cents: earned.amount_cents,
        agent_share_bp: earned.agent_share_bp,
        agent_amount_cents: earned.agent_amount_cents,
    }
    .reversal();
    let line = NewLine {
        receipt_id: receipt.id,
        kind: Kind::Reversal.code(),
        collection,
        carrier_id: earned.carrier_id,
        product_id: earned.product_id,
        policy_id: earned.policy_id,
        agent_staff_id: earned.agent_staff_id,
        renewal: earned.renewal,
        base_cents: amounts.base_cents,
        rate_bp: amounts.rate_bp,
        amount_cents: amounts.amount_cents,
        agent_share_bp: amounts.agent_share_bp,
        agent_amount_cents: amounts.agent_amount_cents,
        booked_on: on,
    };
    diesel::insert_into(commissions::table)
        .values(&line)
        .on_conflict_do_nothing()
        .returning(commissions::id)
        .get_result(conn)
        .optional()
}

/// Rows inserted per statement by [`backfill`].
const INSERT_BATCH: usize = 1_000;

/// The earned line of every collected receipt that has no line at all (receipts collected
/// before commissions existed, and the demo's), in one read and a few batched inserts.
/// Idempotent: returns how many it wrote (0 the second time).
pub fn backfill(conn: &mut PgConnection) -> QueryResult<usize> {
    let has_lines = diesel::dsl::exists(
        commissions::table
            .filter(commissions::receipt_id.eq(receipts::id))
            .select(commissions::id),
    );
    let facts: Vec<Facts> = facts!(
        receipts::status
            .eq(Status::Collected.code())
            .and(diesel::dsl::not(has_lines))
    )
    .order(receipts::id)
    .load(conn)?;
    let shares = shares(conn)?;
    let lines: Vec<NewLine> = facts
        .into_iter()
        .filter_map(|f| earned_line(f, 1, &shares))
        .collect();
    let mut written = 0;
    for batch in lines.chunks(INSERT_BATCH) {
        written += diesel::insert_into(commissions::table)
            .values(batch)
            .on_conflict_do_nothing()
            .execute(conn)?;
    }
    Ok(written)
}

/// A staff member's share of the broker's commission on their customers' receipts.
pub fn agent_share(conn: &mut PgConnection, staff_id: i64) -> QueryResult<i32> {
    staff_users::table
        .find(staff_id)
        .select(staff_users::agent_share_bp)
        .first(conn)
}

/// Sets the share for receipts collected from now on (lines already booked keep theirs).
/// Returns the previous share, or `None` when there is no such staff member.
pub fn set_agent_share(
    conn: &mut PgConnection,
    staff_id: i64,
    share_bp: i32,
) -> QueryResult<Option<i32>> {
    let Some(previous) = agent_share(conn, staff_id).optional()? else {
        return Ok(None);
    };
    diesel::update(staff_users::table.find(staff_id))
        .set(staff_users::agent_share_bp.eq(share_bp))
        .execute(conn)?;
    Ok(Some(previous))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(pairs: &[(&str, i32)]) -> Vec<(String, i32)> {
        pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn the_open_collection_is_the_last_one_without_reversal() {
        assert_eq!(open_collection(&[]), None);
        assert_eq!(open_collection(&lines(&[("earned", 1)])), Some(1));
        assert_eq!(
            open_collection(&lines(&[("earned", 1), ("reversal", 1)])),
            None
        );
        assert_eq!(
            open_collection(&lines(&[("earned", 1), ("reversal", 1), ("earned", 2)])),
            Some(2)
        );
    }
}
