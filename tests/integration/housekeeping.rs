//! The worker's scheduled round: overdue policies expire, policies ending soon are flagged
//! once per end date, expired sessions go.

use crate::common;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use soriano::auth::staff::Role;
use soriano::db::schema::{domain_events, policies, products, tasks};
use soriano::housekeeping;

use common::{TestDatabase, create_staff};

#[test]
fn a_round_expires_lapsed_policies_and_flags_renewals_once() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    soriano::seed::catalog(&mut conn).unwrap();
    let agent = create_staff(
        &mut conn,
        "agente@soriano.test",
        Role::Agent,
        "Contraseña-larga-2026",
    );
    common::sample_portfolio(&mut conn, agent);
    let today = Utc::now().date_naive();
    let customer: i64 = policies::table
        .select(policies::customer_id)
        .first(&mut conn)
        .unwrap();
    let (product, carrier, line): (i64, i64, i64) = products::table
        .select((products::id, products::carrier_id, products::line_id))
        .first(&mut conn)
        .unwrap();
    let mut policy = |number: &str, ends_in_days: i64| -> i64 {
        diesel::insert_into(policies::table)
            .values((
                policies::customer_id.eq(customer),
                policies::carrier_id.eq(carrier),
                policies::product_id.eq(product),
                policies::line_id.eq(line),
                policies::number.eq(number),
                policies::start_date.eq(today + Duration::days(ends_in_days - 365)),
                policies::end_date.eq(today + Duration::days(ends_in_days)),
                policies::net_premium_cents.eq(30000),
                policies::total_premium_cents.eq(32400),
                policies::payment_frequency.eq("annual"),
                policies::agent_staff_id.eq(agent),
            ))
            .returning(policies::id)
            .get_result(&mut conn)
            .unwrap()
    };
    let lapsed = policy("LAPSED-1", -40);
    let in_grace = policy("GRACE-1", -5);
    let soon = policy("SOON-1", 12);
    let later = policy("LATER-1", 90);

    let first = housekeeping::run(&mut conn, today, None).unwrap();
    assert_eq!(first.policies_expired, 1);
    let status = |conn: &mut PgConnection, id: i64| -> String {
        policies::table
            .find(id)
            .select(policies::status)
            .first(conn)
            .unwrap()
    };
    assert_eq!(status(&mut conn, lapsed), "expired");
    assert_eq!(
        status(&mut conn, in_grace),
        "active",
        "still within the renewal grace period"
    );
    assert_eq!(status(&mut conn, later), "active");

    // POL-0001 of the sample portfolio ends in ten days too.
    assert_eq!(first.renewals_flagged, 2);
    let renewal_tasks = |conn: &mut PgConnection, id: i64| -> Vec<(String, i64)> {
        tasks::table
            .filter(tasks::entity_type.eq("policy"))
            .filter(tasks::entity_id.eq(id))
            .select((tasks::title, tasks::assignee_staff_id))
            .load(conn)
            .unwrap()
    };
    // The renewal tasks are automation rules on the end date now (tests/integration/automation.rs):
    // the round only flags the policy with its event.
    assert!(renewal_tasks(&mut conn, soon).is_empty());
    assert!(renewal_tasks(&mut conn, later).is_empty());
    let _ = agent;

    let second = housekeeping::run(&mut conn, today, None).unwrap();
    assert_eq!(second.policies_expired, 0);
    assert_eq!(
        second.renewals_flagged, 0,
        "one reminder per policy and end date"
    );
    assert!(renewal_tasks(&mut conn, soon).is_empty());
    let events: i64 = domain_events::table
        .filter(domain_events::kind.eq("policy.expiring_soon"))
        .filter(domain_events::entity_id.eq(soon))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(events, 1);

    // Renewed for a new period: a new end date earns a new reminder when it comes near.
    diesel::update(policies::table.find(soon))
        .set(policies::end_date.eq(today + Duration::days(20)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(
        housekeeping::run(&mut conn, today, None)
            .unwrap()
            .renewals_flagged,
        1
    );
}
