//! A book of policies with their periods, claims, receipts and commission lines inserted
//! directly, for the tests of figures computed over it (analytics, the weekly digest).

use chrono::NaiveDate;
use diesel::prelude::*;
use soriano::db::schema::{claims, commissions, policies, policy_periods, products, receipts};

/// The first product of the catalogue (run `seed::catalog` first): (product, carrier, line).
pub fn first_product(conn: &mut PgConnection) -> (i64, i64, i64) {
    products::table
        .order(products::id)
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .unwrap()
}

pub struct NewPolicy<'a> {
    pub customer: i64,
    pub product: (i64, i64, i64),
    pub agent: i64,
    pub number: &'a str,
    /// (start, end, net, total) of each period, oldest first; the policy mirrors the last.
    pub periods: &'a [(NaiveDate, NaiveDate, i64, i64)],
    pub status: &'a str,
    pub reason: Option<&'a str>,
    pub changed_on: Option<NaiveDate>,
}

pub fn insert_policy(conn: &mut PgConnection, p: NewPolicy<'_>) -> i64 {
    let (product, carrier, line) = p.product;
    let &(start, end, net, total) = p.periods.last().unwrap();
    let id: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(p.customer),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq(p.number),
            policies::status.eq(p.status),
            policies::start_date.eq(start),
            policies::end_date.eq(end),
            policies::net_premium_cents.eq(net),
            policies::total_premium_cents.eq(total),
            policies::payment_frequency.eq("annual"),
            policies::agent_staff_id.eq(p.agent),
            policies::status_reason.eq(p.reason),
            policies::status_changed_on.eq(p.changed_on),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    for &(start, end, net, total) in p.periods {
        diesel::insert_into(policy_periods::table)
            .values((
                policy_periods::policy_id.eq(id),
                policy_periods::start_date.eq(start),
                policy_periods::end_date.eq(end),
                policy_periods::net_premium_cents.eq(net),
                policy_periods::total_premium_cents.eq(total),
            ))
            .execute(conn)
            .unwrap();
    }
    id
}

#[allow(clippy::too_many_arguments)]
pub fn insert_claim(
    conn: &mut PgConnection,
    number: &str,
    policy: i64,
    incident: NaiveDate,
    status: &str,
    claimed: Option<i64>,
    accepted: Option<i64>,
    paid: Option<i64>,
) {
    let customer: i64 = policies::table
        .find(policy)
        .select(policies::customer_id)
        .first(conn)
        .unwrap();
    diesel::insert_into(claims::table)
        .values((
            claims::number.eq(number),
            claims::policy_id.eq(policy),
            claims::customer_id.eq(customer),
            claims::incident_date.eq(incident),
            claims::kind.eq("colisión"),
            claims::description.eq("Siniestro de prueba"),
            claims::status.eq(status),
            claims::claimed_cents.eq(claimed),
            claims::accepted_cents.eq(accepted),
            claims::paid_cents.eq(paid),
        ))
        .execute(conn)
        .unwrap();
}

/// A receipt of `policy` due on `due` for `amount`, in `status` (with its date and reason).
pub fn insert_receipt(
    conn: &mut PgConnection,
    number: &str,
    policy: i64,
    due: NaiveDate,
    amount: i64,
    status: &str,
) -> i64 {
    let customer: i64 = policies::table
        .find(policy)
        .select(policies::customer_id)
        .first(conn)
        .unwrap();
    let on = due + chrono::Duration::days(1);
    diesel::insert_into(receipts::table)
        .values((
            receipts::policy_id.eq(policy),
            receipts::customer_id.eq(customer),
            receipts::number.eq(number),
            receipts::period_start.eq(due),
            receipts::period_end.eq(due + chrono::Duration::days(365)),
            receipts::due_date.eq(due),
            receipts::amount_cents.eq(amount),
            receipts::net_cents.eq(amount * 10 / 12),
            receipts::status.eq(status),
            receipts::collected_on.eq((status == "cobrado").then_some(on)),
            receipts::returned_on.eq((status == "devuelto").then_some(on)),
            receipts::return_reason.eq((status == "devuelto").then_some("Cuenta sin fondos")),
            receipts::cancelled_on.eq((status == "anulado").then_some(on)),
        ))
        .returning(receipts::id)
        .get_result(conn)
        .unwrap()
}

/// An earned commission line of `receipt` booked on `on`.
pub fn insert_commission(
    conn: &mut PgConnection,
    receipt: i64,
    on: NaiveDate,
    amount: i64,
    agent: i64,
) {
    let (policy, product, carrier, agent_staff): (i64, i64, i64, Option<i64>) = policies::table
        .inner_join(receipts::table)
        .filter(receipts::id.eq(receipt))
        .select((
            policies::id,
            policies::product_id,
            policies::carrier_id,
            policies::agent_staff_id,
        ))
        .first(conn)
        .unwrap();
    diesel::insert_into(commissions::table)
        .values((
            commissions::receipt_id.eq(receipt),
            commissions::kind.eq("earned"),
            commissions::renewal.eq(false),
            commissions::carrier_id.eq(carrier),
            commissions::product_id.eq(product),
            commissions::policy_id.eq(policy),
            commissions::agent_staff_id.eq(agent_staff),
            commissions::base_cents.eq(amount * 10),
            commissions::rate_bp.eq(1_000),
            commissions::amount_cents.eq(amount),
            commissions::agent_share_bp.eq(2_000),
            commissions::agent_amount_cents.eq(agent),
            commissions::booked_on.eq(on),
        ))
        .execute(conn)
        .unwrap();
}
