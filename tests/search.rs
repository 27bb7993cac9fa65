//! The header's search box finds customers, policies and claims by any identifier, within the
//! viewer's portfolio.

mod common;

use common::{TestApp, create_staff};
use reqwest::StatusCode;
use soriano::auth::staff::Role;

const PASSWORD: &str = "una clave larga de prueba";

#[actix_web::test]
async fn search_finds_by_name_tax_id_phone_email_and_numbers() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    for q in [
        "martín",
        "12.345.678-z",
        "+34 612 345 678",
        "LUCIA@example.es",
        "pol-00",
        "SIN-2026",
    ] {
        let body = app
            .get(&format!("/admin/buscar?q={}", urlencode(q)))
            .await
            .text()
            .await
            .unwrap();
        let found = body.contains("Martín Gil, Lucía");
        assert!(found, "{q} finds the customer or their records");
    }
    let body = app
        .get("/admin/buscar?q=pol-00")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("/admin/polizas/") && body.contains("En vigor"));
    let body = app
        .get("/admin/buscar?q=SIN-2026")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("/admin/siniestros/") && body.contains("Abierto"));
    let body = app.get("/admin/buscar?q=nadie").await.text().await.unwrap();
    assert!(body.contains("No hay resultados para «nadie»."));
    // Wildcards typed by the user are not wildcards.
    let body = app
        .get("/admin/buscar?q=%25%25")
        .await
        .text()
        .await
        .unwrap();
    assert!(!body.contains("Martín Gil, Lucía"));

    let partial = app.get_htmx("/admin/buscar?q=martín").await;
    assert_eq!(partial.status(), StatusCode::OK);
    let partial = partial.text().await.unwrap();
    assert!(!partial.contains("<html") && partial.contains("Martín Gil, Lucía"));
    app.stop().await;
}

#[actix_web::test]
async fn an_agent_does_not_find_another_agents_customers() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("luis@soriano.es", PASSWORD).await;
    for q in ["martín", "12345678Z", "POL-0001", "SIN-2026-000001"] {
        let body = app
            .get(&format!("/admin/buscar?q={q}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(!body.contains("Martín Gil, Lucía"), "{q}");
    }
    app.stop().await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
