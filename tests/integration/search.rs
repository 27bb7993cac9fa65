//! The header's search box finds customers, policies, claims, quotes, receipts and leads by
//! any identifier or name, typed with or without accents, within the viewer's portfolio, and
//! goes straight to the record when it finds one.

use crate::common;

use common::{TestApp, create_staff};
use diesel::PgConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::claims;

const PASSWORD: &str = "una clave larga de prueba";

#[actix_web::test]
async fn search_finds_by_name_tax_id_phone_email_and_numbers() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (customer, policy, claim): (i64, i64, i64) = claims::table
        .select((claims::customer_id, claims::policy_id, claims::id))
        .first(&mut app.db.conn())
        .unwrap();
    // Each finds exactly one record, so the search goes straight to it.
    for (q, record) in [
        ("martín", format!("/admin/clientes/{customer}")),
        ("MARTIN gil", format!("/admin/clientes/{customer}")),
        ("12.345.678-z", format!("/admin/clientes/{customer}")),
        ("+34 612 345 678", format!("/admin/clientes/{customer}")),
        ("LUCIA@example.es", format!("/admin/clientes/{customer}")),
        ("pol-00", format!("/admin/polizas/{policy}")),
        ("pol 0001", format!("/admin/polizas/{policy}")),
        ("sin2026", format!("/admin/siniestros/{claim}")),
    ] {
        let response = app.get(&format!("/admin/buscar?q={}", urlencode(q))).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{q}");
        assert_eq!(location(&response), record, "{q}");
    }
    let body = app.get("/admin/buscar?q=nadie").await.text().await.unwrap();
    assert!(body.contains("No hay resultados para «nadie»."));
    // Wildcards typed by the user are not wildcards.
    let response = app.get("/admin/buscar?q=%25%25").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.text().await.unwrap().contains("Martín Gil, Lucía"));

    // Typing in the search page's box refreshes the results only, one hit or many.
    let partial = app
        .client
        .get(app.url("/admin/buscar?q=mart%C3%ADn"))
        .header("HX-Request", "true")
        .header("HX-Trigger", "search-q")
        .send()
        .await
        .unwrap();
    assert_eq!(partial.status(), StatusCode::OK);
    assert!(partial.headers().get("HX-Redirect").is_none());
    let partial = partial.text().await.unwrap();
    assert!(!partial.contains("<html") && partial.contains("Martín Gil, Lucía"));
    app.stop().await;
}

/// In ana's portfolio: López Rodríguez (Alcalá de Henares) with car 1234 KLM on policy
/// AUT-2026-77, its receipt R-77-2026-1 and quote PRE-2026-004321; Álvarez and Torres in
/// Ávila; and a lead, Carmen Núñez.
struct Spanish {
    lopez: i64,
    policy: i64,
    quote: i64,
    lead: i64,
}

fn spanish_portfolio(conn: &mut PgConnection, owner: i64) -> Spanish {
    use chrono::{Duration, Utc};
    use soriano::db::schema::{customers, leads, policies, products, quotes, receipts};

    soriano::seed::catalog(conn).unwrap();
    let mut customer = |given: &str, family: &str, tax_id: &str, city: &str| -> i64 {
        diesel::insert_into(customers::table)
            .values((
                customers::kind.eq("person"),
                customers::tax_id.eq(tax_id),
                customers::given_name.eq(given),
                customers::family_name.eq(family),
                customers::display_name.eq(format!("{family}, {given}")),
                customers::city.eq(city),
                customers::owner_staff_id.eq(owner),
            ))
            .returning(customers::id)
            .get_result(conn)
            .unwrap()
    };
    let lopez = customer("María", "López Rodríguez", "11111111H", "Alcalá de Henares");
    customer("José", "Álvarez Núñez", "22222222J", "Ávila");
    customer("Juan", "Torres Pérez", "33333333P", "Ávila");
    let (product, carrier, line): (i64, i64, i64) = products::table
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .unwrap();
    let today = Utc::now().date_naive();
    let policy: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(lopez),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq("AUT-2026-77"),
            policies::risk.eq(serde_json::json!({
                "kind": "vehicle", "plate": "1234 KLM", "make": "Seat", "model": "Ibiza",
                "first_registration_year": 2019
            })),
            policies::start_date.eq(today - Duration::days(30)),
            policies::end_date.eq(today + Duration::days(335)),
            policies::net_premium_cents.eq(30000),
            policies::total_premium_cents.eq(32400),
            policies::payment_frequency.eq("annual"),
            policies::agent_staff_id.eq(owner),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(receipts::table)
        .values((
            receipts::policy_id.eq(policy),
            receipts::customer_id.eq(lopez),
            receipts::number.eq("R-77-2026-1"),
            receipts::period_start.eq(today - Duration::days(30)),
            receipts::period_end.eq(today + Duration::days(335)),
            receipts::due_date.eq(today - Duration::days(30)),
            receipts::amount_cents.eq(32400),
            receipts::net_cents.eq(30000),
        ))
        .execute(conn)
        .unwrap();
    let quote: i64 = diesel::insert_into(quotes::table)
        .values((
            quotes::number.eq("PRE-2026-004321"),
            quotes::customer_id.eq(lopez),
            quotes::line_id.eq(line),
            quotes::valid_until.eq(today + Duration::days(30)),
            quotes::agent_staff_id.eq(owner),
        ))
        .returning(quotes::id)
        .get_result(conn)
        .unwrap();
    let lead: i64 = diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq("Carmen Núñez Vidal"),
            leads::email.eq("carmen.nunez@correo.es"),
            leads::source.eq("phone"),
            leads::assigned_staff_id.eq(owner),
        ))
        .returning(leads::id)
        .get_result(conn)
        .unwrap();
    Spanish {
        lopez,
        policy,
        quote,
        lead,
    }
}

#[actix_web::test]
async fn search_ignores_accents_case_and_spacing_and_goes_to_a_single_hit() {
    let mut found = None;
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        found = Some(spanish_portfolio(conn, ana));
    })
    .await;
    let records = found.unwrap();
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let customer = format!("/admin/clientes/{}", records.lopez);
    let policy = format!("/admin/polizas/{}", records.policy);
    for (q, record) in [
        ("lopez rodriguez", customer.clone()),
        ("LÓPEZ", customer.clone()),
        ("rodriguez, maria", customer.clone()),
        ("alcala de henares", customer.clone()),
        ("1234klm", policy.clone()),
        ("1234 KLM", policy.clone()),
        ("aut 2026 77", policy.clone()),
        (
            "pre-2026-004321",
            format!("/admin/presupuestos/{}", records.quote),
        ),
        ("R-77-2026-1", format!("{policy}#receipts-title")),
        (
            "Carmen.Nunez@correo.es",
            format!("/admin/leads/{}", records.lead),
        ),
        ("nunez vidal", format!("/admin/leads/{}", records.lead)),
    ] {
        let response = app.get(&format!("/admin/buscar?q={}", urlencode(q))).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{q}");
        assert_eq!(location(&response), record, "{q}");
    }
    // With htmx (not typing in the live box), a single hit is a client-side redirect.
    let response = app.get_htmx("/admin/buscar?q=1234%20KLM").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("HX-Redirect")
            .unwrap()
            .to_str()
            .unwrap(),
        policy
    );
    // Several hits: grouped results in Spanish, the town's customers in Spanish order.
    let response = app.get("/admin/buscar?q=AVILA").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("<h2>Clientes</h2>"), "{body}");
    let alvarez = body
        .find("Álvarez Núñez, José")
        .expect("Álvarez found by town");
    let torres = body
        .find("Torres Pérez, Juan")
        .expect("Torres found by town");
    assert!(alvarez < torres, "Álvarez before Torres");
    // A customer and a lead both called Núñez: two groups.
    let body = app.get("/admin/buscar?q=nunez").await.text().await.unwrap();
    assert!(body.contains("<h2>Clientes</h2>") && body.contains("<h2>Leads</h2>"));
    app.stop().await;
}

#[actix_web::test]
async fn an_agent_finds_nothing_of_another_agents_portfolio() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        spanish_portfolio(conn, ana);
    })
    .await;
    let queries = [
        "lopez rodriguez",
        "alcala de henares",
        "1234 KLM",
        "PRE-2026-004321",
        "R-77-2026-1",
        "carmen.nunez@correo.es",
        "nunez",
    ];
    app.sign_in("luis@soriano.es", PASSWORD).await;
    for q in queries {
        let response = app.get(&format!("/admin/buscar?q={}", urlencode(q))).await;
        assert_eq!(response.status(), StatusCode::OK, "{q}");
        let body = response.text().await.unwrap();
        assert!(body.contains("No hay resultados"), "{q}: {body}");
    }
    // A supervisor sees the whole portfolio.
    let other = app.sign_in_elsewhere("jefa@soriano.es", PASSWORD).await;
    for q in queries {
        let response = other
            .0
            .get(app.url(&format!("/admin/buscar?q={}", urlencode(q))))
            .send()
            .await
            .unwrap();
        let body = response.text().await.unwrap();
        assert!(!body.contains("No hay resultados"), "{q}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn the_claim_forms_policy_lookup_ignores_case_and_spacing() {
    let mut found = None;
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "siniestros@soriano.es", Role::Claims, PASSWORD);
        found = Some(spanish_portfolio(conn, ana));
    })
    .await;
    let records = found.unwrap();
    app.sign_in("siniestros@soriano.es", PASSWORD).await;
    for typed in ["AUT-2026-77", "aut-2026-77", "aut 2026 77"] {
        let response = app
            .get(&format!(
                "/admin/siniestros/nuevo?numero={}",
                urlencode(typed)
            ))
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{typed}");
        assert_eq!(
            location(&response),
            format!("/admin/siniestros/nuevo?poliza={}", records.policy)
        );
    }
    let response = app.get("/admin/siniestros/nuevo?numero=aut-2026-78").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
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

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
