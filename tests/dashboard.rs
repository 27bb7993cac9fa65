//! The staff home page counts and lists what needs attention, within the viewer's portfolio.

mod common;

use chrono::{Duration, Utc};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{claims, customers, policies, products, tasks};

const PASSWORD: &str = "una clave larga de prueba";

/// A customer of `owner` with a policy ending in ten days, an open claim and, for the owner,
/// an overdue task.
fn portfolio(conn: &mut PgConnection, owner: i64) {
    soriano::seed::demo(conn).unwrap();
    let customer: i64 = diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq("12345678Z"),
            customers::given_name.eq("Lucía"),
            customers::family_name.eq("Martín Gil"),
            customers::display_name.eq("Martín Gil, Lucía"),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap();
    let (product, carrier, line): (i64, i64, i64) = products::table
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .unwrap();
    let today = Utc::now().date_naive();
    let policy: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq("POL-0001"),
            policies::start_date.eq(today - Duration::days(355)),
            policies::end_date.eq(today + Duration::days(10)),
            policies::net_premium_cents.eq(30000),
            policies::total_premium_cents.eq(32400),
            policies::payment_frequency.eq("annual"),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(claims::table)
        .values((
            claims::number.eq("SIN-2026-000001"),
            claims::policy_id.eq(policy),
            claims::customer_id.eq(customer),
            claims::incident_date.eq(today - Duration::days(3)),
            claims::kind.eq("colisión"),
            claims::description.eq("Golpe en el aparcamiento"),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq("Llamar por la renovación"),
            tasks::due_date.eq(today - Duration::days(1)),
            tasks::assignee_staff_id.eq(owner),
            tasks::customer_id.eq(customer),
        ))
        .execute(conn)
        .unwrap();
}

#[actix_web::test]
async fn the_home_page_shows_the_day_of_the_signed_in_agent() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
        portfolio(conn, ana);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let response = app.get("/admin").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("tareas abiertas, 1 vencidas"), "{body}");
    assert!(body.contains("Llamar por la renovación"));
    assert!(body.contains("POL-0001") && body.contains("Martín Gil, Lucía"));
    assert!(body.contains("SIN-2026-000001") && body.contains("Abierto"));

    // Another agent's portfolio stays out of sight.
    let (luis, _) = app.sign_in_elsewhere("luis@soriano.es", PASSWORD).await;
    let body = luis
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("POL-0001") && !body.contains("SIN-2026-000001"));
    assert!(body.contains("No tiene tareas pendientes."));
    app.stop().await;
}

#[actix_web::test]
async fn a_supervisor_sees_the_whole_portfolio_on_the_home_page() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        portfolio(conn, ana);
    })
    .await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let body = app.get("/admin").await.text().await.unwrap();
    assert!(body.contains("POL-0001") && body.contains("SIN-2026-000001"));
    let partial = app.get_htmx("/admin").await.text().await.unwrap();
    assert!(!partial.contains("<html") && partial.contains("POL-0001"));
    app.stop().await;
}
