//! Customers and policies inserted directly, for claims and tasks tests (the customers and
//! policies modules are built elsewhere; only their tables are needed here).

use chrono::NaiveDate;
use diesel::prelude::*;
use soriano::db::schema::{customers, policies, products};

/// A person customer owned by `owner`; `n` makes the tax id unique.
pub fn customer(conn: &mut PgConnection, n: u32, name: &str, owner: Option<i64>) -> i64 {
    diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(format!("{:08}Z", 10_000_000 + n)),
            customers::given_name.eq(name),
            customers::family_name.eq("Prueba"),
            customers::display_name.eq(format!("Prueba, {name}")),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .expect("insert customer")
}

/// A policy of `customer_id` covering `start`..`end`, on the first product of the catalogue
/// (run `seed::demo` first).
pub fn policy(
    conn: &mut PgConnection,
    customer_id: i64,
    number: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> i64 {
    let (product_id, carrier_id, line_id): (i64, i64, i64) = products::table
        .order(products::id)
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .expect("a product (seed the catalogue first)");
    diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer_id),
            policies::carrier_id.eq(carrier_id),
            policies::product_id.eq(product_id),
            policies::line_id.eq(line_id),
            policies::number.eq(number),
            policies::start_date.eq(start),
            policies::end_date.eq(end),
            policies::net_premium_cents.eq(40_000_i64),
            policies::total_premium_cents.eq(45_000_i64),
            policies::payment_frequency.eq("annual"),
        ))
        .returning(policies::id)
        .get_result(conn)
        .expect("insert policy")
}

pub fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&soriano::time::ZONE)
        .date_naive()
}

/// A policy in force: from a year ago to a year ahead.
pub fn live_policy(conn: &mut PgConnection, customer_id: i64, number: &str) -> i64 {
    let today = today();
    policy(
        conn,
        customer_id,
        number,
        today - chrono::Duration::days(365),
        today + chrono::Duration::days(365),
    )
}
