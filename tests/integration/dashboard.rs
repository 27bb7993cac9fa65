//! The staff home page counts and lists what needs attention, within the viewer's portfolio.

use crate::common;

use common::{TestApp, create_staff};
use reqwest::StatusCode;
use soriano::auth::staff::Role;

const PASSWORD: &str = "una clave larga de prueba";

#[actix_web::test]
async fn the_home_page_shows_the_day_of_the_signed_in_agent() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let response = app.get("/admin").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("tareas abiertas, 1 vencidas"), "{body}");
    // Each task links to its record (here its client) and names the client.
    let customer: i64 = {
        use diesel::prelude::*;
        use soriano::db::schema::customers;
        customers::table
            .filter(customers::display_name.eq("Martín Gil, Lucía"))
            .select(customers::id)
            .first(&mut app.db.conn())
            .unwrap()
    };
    assert!(
        body.contains(&format!(
            "<a href=\"/admin/clientes/{customer}\">Llamar por la renovación</a> · Martín Gil, Lucía"
        )),
        "{body}"
    );
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
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let body = app.get("/admin").await.text().await.unwrap();
    assert!(body.contains("POL-0001") && body.contains("SIN-2026-000001"));
    let partial = app.get_htmx("/admin").await.text().await.unwrap();
    assert!(!partial.contains("<html") && partial.contains("POL-0001"));
    app.stop().await;
}
