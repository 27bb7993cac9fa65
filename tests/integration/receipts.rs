//! Receipts (recibos): generated with a policy and its renewals (exact sums per frequency,
//! idempotent), collected, returned (event, task, audit) and cancelled with their state
//! checks, cancelled with their policy, chased when overdue, listed with filters, totals and
//! the agent's scope, refused without CSRF or permission, and shown to their client only.

use crate::common;
use crate::portal_support;

use chrono::{Duration, NaiveDate};
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, carriers, customers, policies, products, receipts, tasks};
use soriano::policies as policy_domain;
use soriano::receipts as domain;

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const AGENT: &str = "agente@soriano.es";
const OTHER_AGENT: &str = "otra@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";

struct Fixture {
    agent: i64,
    other_agent: i64,
    /// Owned by `agent`.
    customer: i64,
    /// Owned by `other_agent`.
    other_customer: i64,
}

fn insert_customer(conn: &mut PgConnection, tax_id: &str, name: &str, owner: i64) -> i64 {
    diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(tax_id),
            customers::given_name.eq(name),
            customers::family_name.eq("Prueba Recibos"),
            customers::display_name.eq(format!("Prueba Recibos, {name}")),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap()
}

fn prepare(conn: &mut PgConnection) -> Fixture {
    soriano::seed::catalog(conn).unwrap();
    create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    let agent = create_staff(conn, AGENT, Role::Agent, PASSWORD);
    let other_agent = create_staff(conn, OTHER_AGENT, Role::Agent, PASSWORD);
    create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    let customer = insert_customer(conn, "12345678Z", "Lucía", agent);
    let other_customer = insert_customer(conn, "87654321X", "Pedro", other_agent);
    Fixture {
        agent,
        other_agent,
        customer,
        other_customer,
    }
}

async fn spawn() -> (TestApp, Fixture) {
    let mut fixture = None;
    let app = TestApp::spawn_with(|conn| fixture = Some(prepare(conn))).await;
    (app, fixture.unwrap())
}

fn today() -> NaiveDate {
    policy_domain::today()
}

fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

fn product(conn: &mut PgConnection, carrier: &str, code: &str) -> (i64, i64) {
    let carrier: i64 = carriers::table
        .filter(carriers::code.eq(carrier))
        .select(carriers::id)
        .first(conn)
        .unwrap();
    let product = products::table
        .filter(products::carrier_id.eq(carrier))
        .filter(products::code.eq(code))
        .select(products::id)
        .first(conn)
        .unwrap();
    (carrier, product)
}

/// A valid car policy form (Mapfre Auto) for `customer`, starting `start`, for one year.
fn car_form(
    conn: &mut PgConnection,
    customer: i64,
    number: &str,
    frequency: &str,
    start: NaiveDate,
) -> Vec<(String, String)> {
    let (carrier, product) = product(conn, "mapfre", "auto-total");
    [
        ("cliente", customer.to_string()),
        ("compania", carrier.to_string()),
        ("producto", product.to_string()),
        ("numero", number.to_owned()),
        ("efecto", iso(start)),
        (
            "vencimiento",
            iso(start.checked_add_months(chrono::Months::new(12)).unwrap()),
        ),
        ("prima_neta", "1.134,56".to_owned()),
        ("prima_total", "1.234,57".to_owned()),
        ("forma_pago", frequency.to_owned()),
        ("agente", String::new()),
        ("matricula", "1234bcd".to_owned()),
        ("marca", "Toyota".to_owned()),
        ("modelo", "Corolla".to_owned()),
        ("anio_matriculacion", "2019".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn signed_in(app: &TestApp, email: &str) -> String {
    let response = app.sign_in(email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.csrf_token("/admin").await
}

async fn post(app: &TestApp, path: &str, token: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend_from_slice(form);
    app.post_form(path, &fields).await
}

async fn post_htmx(
    app: &TestApp,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend_from_slice(form);
    app.client
        .post(app.url(path))
        .header("HX-Request", "true")
        .form(&fields)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// Creates a policy through the back-office form; returns its id.
async fn create_policy(app: &TestApp, token: &str, form: &[(String, String)]) -> i64 {
    let mut fields: Vec<(&str, &str)> =
        form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    fields.push((
        "motivo_sin_presupuesto",
        "Traspaso de la póliza desde otro mediador",
    ));
    let response = post(app, "/admin/polizas", token, &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    location(&response)
        .trim_start_matches("/admin/polizas/")
        .parse()
        .unwrap()
}

/// (id, number, due date, amount, net, status) of a policy's receipts, by due date.
type Row = (i64, String, NaiveDate, i64, i64, String);

fn receipts_of(conn: &mut PgConnection, policy: i64) -> Vec<Row> {
    receipts::table
        .filter(receipts::policy_id.eq(policy))
        .order((receipts::due_date, receipts::id))
        .select((
            receipts::id,
            receipts::number,
            receipts::due_date,
            receipts::amount_cents,
            receipts::net_cents,
            receipts::status,
        ))
        .load(conn)
        .unwrap()
}

fn status_of(conn: &mut PgConnection, receipt: i64) -> String {
    receipts::table
        .find(receipt)
        .select(receipts::status)
        .first(conn)
        .unwrap()
}

/// Inserts a policy directly (no receipts), for lists and housekeeping.
fn insert_policy(
    conn: &mut PgConnection,
    customer: i64,
    agent: Option<i64>,
    number: &str,
    frequency: &str,
    start: NaiveDate,
) -> i64 {
    let (carrier, product) = product(conn, "mapfre", "auto-total");
    let line: i64 = products::table
        .find(product)
        .select(products::line_id)
        .first(conn)
        .unwrap();
    diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq(number),
            policies::start_date.eq(start),
            policies::end_date.eq(start.checked_add_months(chrono::Months::new(12)).unwrap()),
            policies::net_premium_cents.eq(120_000),
            policies::total_premium_cents.eq(129_600),
            policies::payment_frequency.eq(frequency),
            policies::agent_staff_id.eq(agent),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap()
}

#[actix_web::test]
async fn a_new_policy_gets_its_receipts_by_frequency_with_exact_sums_once() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, AGENT).await;
    let mut conn = app.db.conn();
    let start = today() + Duration::days(3);
    for (n, (frequency, expected)) in [
        ("annual", 1),
        ("semiannual", 2),
        ("quarterly", 4),
        ("monthly", 12),
    ]
    .into_iter()
    .enumerate()
    {
        let form = car_form(
            &mut conn,
            fx.customer,
            &format!("REC-{n}"),
            frequency,
            start,
        );
        let policy = create_policy(&app, &token, &form).await;
        let rows = receipts_of(&mut conn, policy);
        assert_eq!(rows.len(), expected, "{frequency}");
        assert_eq!(
            rows.iter().map(|r| r.3).sum::<i64>(),
            123_457,
            "{frequency}"
        );
        assert_eq!(
            rows.iter().map(|r| r.4).sum::<i64>(),
            113_456,
            "{frequency}"
        );
        assert!(rows.iter().all(|r| r.5 == "pendiente"));
        assert_eq!(rows[0].2, start, "the first is due when cover starts");
        // The remainder is on the first instalment; the others are equal.
        assert!(rows.iter().skip(1).all(|r| r.3 == rows.last().unwrap().3));
        assert!(rows[0].3 >= rows.last().unwrap().3);
        assert_eq!(rows[0].1, format!("R-{policy}-{}-1", start.format("%Y")));
        // Generating again adds nothing.
        assert_eq!(domain::generate_for_policy(&mut conn, policy).unwrap(), 0);
        assert_eq!(receipts_of(&mut conn, policy).len(), expected);
    }
    // The policy page lists them.
    let policy: i64 = policies::table
        .filter(policies::number.eq("REC-3"))
        .select(policies::id)
        .first(&mut conn)
        .unwrap();
    let page = app
        .get(&format!("/admin/polizas/{policy}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("data-receipt=\"R-").count(), 12);
    assert!(page.contains("Cobrar"));
    app.stop().await;
}

#[actix_web::test]
async fn a_renewal_adds_the_receipts_of_the_new_period() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, AGENT).await;
    let mut conn = app.db.conn();
    let start = today() - Duration::days(340);
    let form = car_form(&mut conn, fx.customer, "REN-1", "semiannual", start);
    let policy = create_policy(&app, &token, &form).await;
    assert_eq!(receipts_of(&mut conn, policy).len(), 2);
    let end: NaiveDate = policies::table
        .find(policy)
        .select(policies::end_date)
        .first(&mut conn)
        .unwrap();
    let response = post(
        &app,
        &format!("/admin/polizas/{policy}/renovar"),
        &token,
        &[
            ("renovacion_vencimiento", &iso(end + Duration::days(365))),
            ("renovacion_prima_neta", "1.000,00"),
            ("renovacion_prima_total", "1.100,01"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let rows = receipts_of(&mut conn, policy);
    assert_eq!(rows.len(), 4);
    let new: Vec<&Row> = rows.iter().filter(|r| r.2 >= end).collect();
    assert_eq!(new.len(), 2);
    assert_eq!(new[0].2, end);
    assert_eq!(new.iter().map(|r| r.3).sum::<i64>(), 110_001);
    assert_eq!(new[0].3, 55_001);
    let numbers: std::collections::HashSet<&String> = rows.iter().map(|r| &r.1).collect();
    assert_eq!(numbers.len(), 4, "numbers are unique: {rows:?}");
    app.stop().await;
}

#[actix_web::test]
async fn receipts_are_collected_returned_and_cancelled_only_when_their_state_allows() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, AGENT).await;
    let mut conn = app.db.conn();
    let start = today() - Duration::days(70);
    let form = car_form(&mut conn, fx.customer, "COB-1", "monthly", start);
    let policy = create_policy(&app, &token, &form).await;
    let rows = receipts_of(&mut conn, policy);
    let (first, second, third) = (rows[0].0, rows[1].0, rows[2].0);
    let today_text = iso(today());

    // Collect (htmx: the row comes back).
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{first}/cobrar"),
        &token,
        &[("cobro_fecha", &today_text)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let row = response.text().await.unwrap();
    assert!(
        row.starts_with(&format!("<tr id=\"recibo-{first}\"")),
        "{row}"
    );
    assert!(row.contains("Cobrado el"));
    assert!(!row.contains("<html"));
    assert_eq!(status_of(&mut conn, first), "cobrado");

    // Collecting twice is refused, in Spanish, next to the row.
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{first}/cobrar"),
        &token,
        &[("cobro_fecha", &today_text)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("está cobrado: no se puede cobrar")
    );

    // A future collection date and an empty one are refused.
    let tomorrow = iso(today() + Duration::days(1));
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{second}/cobrar"),
        &token,
        &[("cobro_fecha", &tomorrow)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("La fecha no puede ser posterior a hoy."));
    assert!(
        body.contains(&format!("value=\"{tomorrow}\"")),
        "keeps the typed date"
    );
    assert_eq!(status_of(&mut conn, second), "pendiente");

    // Returning needs a reason; the typed date is kept.
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{first}/devolver"),
        &token,
        &[
            ("devolucion_motivo", "  "),
            ("devolucion_fecha", &today_text),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Elija el motivo de la devolución.")
    );
    assert_eq!(status_of(&mut conn, first), "cobrado");

    // Returned: event, task for the agent, audit entry.
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{first}/devolver"),
        &token,
        &[
            ("devolucion_motivo", "AM04"),
            ("devolucion_fecha", &today_text),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("AM04 · Fondos insuficientes")
    );
    assert_eq!(status_of(&mut conn, first), "devuelto");
    let events = soriano::events::of_entity(&mut conn, "receipt", first).unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].0, "receipt.returned");
    assert!(
        events[0].1["reason"]
            .as_str()
            .unwrap()
            .starts_with("AM04 · Fondos insuficientes")
    );
    // The agent's task comes from the default rule on receipt.returned.
    crate::common::run_automation(&mut conn);
    let (title, assignee, entity): (String, i64, Option<i64>) = tasks::table
        .filter(tasks::title.like("Recuperar el recibo devuelto%"))
        .select((tasks::title, tasks::assignee_staff_id, tasks::entity_id))
        .first(&mut conn)
        .unwrap();
    assert!(title.contains(&rows[0].1), "{title}");
    assert_eq!(assignee, fx.agent);
    assert_eq!(entity, Some(first));
    let _ = policy;
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("receipt.returned"))
        .filter(audit_log::target_type.eq("receipt"))
        .filter(audit_log::target_id.eq(first))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);

    // A returned receipt cannot be cancelled, but may be collected again.
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{first}/anular"),
        &token,
        &[("anulacion_motivo", "Error")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("está devuelto: no se puede anular")
    );
    let response = post(
        &app,
        &format!("/admin/recibos/{first}/cobrar"),
        &token,
        &[("cobro_fecha", &today_text)],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "without htmx: back to the policy"
    );
    assert!(location(&response).starts_with(&format!("/admin/polizas/{policy}")));
    assert_eq!(status_of(&mut conn, first), "cobrado");

    // Cancel a pending one: a reason is required; then it cannot be collected or returned.
    let response = post(
        &app,
        &format!("/admin/recibos/{second}/anular"),
        &token,
        &[("anulacion_motivo", "")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Escriba el motivo de la anulación."));
    assert!(page.contains("<html"), "without htmx: a whole page");
    let response = post_htmx(
        &app,
        &format!("/admin/recibos/{second}/anular"),
        &token,
        &[("anulacion_motivo", "Duplicado")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(status_of(&mut conn, second), "anulado");
    for (action, fields) in [
        ("cobrar", vec![("cobro_fecha", today_text.as_str())]),
        (
            "devolver",
            vec![
                ("devolucion_motivo", "x"),
                ("devolucion_fecha", today_text.as_str()),
            ],
        ),
    ] {
        let response = post_htmx(
            &app,
            &format!("/admin/recibos/{second}/{action}"),
            &token,
            &fields,
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action}"
        );
        assert!(response.text().await.unwrap().contains("está anulado"));
    }
    assert_eq!(status_of(&mut conn, second), "anulado");

    // Cancelling the policy cancels its pending receipts and leaves the others.
    let response = post(
        &app,
        &format!("/admin/polizas/{policy}/anular"),
        &token,
        &[
            ("anulacion_motivo", "impago"),
            ("anulacion_detalle", ""),
            ("anulacion_fecha", &today_text),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let after = receipts_of(&mut conn, policy);
    assert_eq!(status_of(&mut conn, first), "cobrado");
    assert_eq!(status_of(&mut conn, third), "anulado");
    assert!(
        after.iter().all(|r| r.5 == "cobrado" || r.5 == "anulado"),
        "{after:?}"
    );

    // The customer's timeline shows the receipts already due, linked to the policy.
    let timeline = app
        .get(&format!("/admin/clientes/{}", fx.customer))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        timeline.contains(&format!("Recibo {}", rows[0].1)),
        "{timeline}"
    );
    assert!(timeline.contains(&format!("href=\"/admin/polizas/{policy}\">Recibo")));
    assert!(
        !timeline.contains(&format!("Recibo {}<", rows[11].1)),
        "not the future ones"
    );
    app.stop().await;
}

#[test]
fn demo_receipts_cover_every_demo_policy_once_with_exact_sums() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    prepare(&mut conn);
    soriano::seed::demo_policies(&mut conn).unwrap();
    let created = soriano::seed::demo_receipts(&mut conn).unwrap();
    assert!(created >= 4, "{created}");
    assert_eq!(
        soriano::seed::demo_receipts(&mut conn).unwrap(),
        0,
        "idempotent"
    );
    let all: Vec<(i64, String, i64)> = policies::table
        .select((
            policies::id,
            policies::status,
            policies::total_premium_cents,
        ))
        .load(&mut conn)
        .unwrap();
    for (policy, status, total) in all {
        let rows = receipts_of(&mut conn, policy);
        assert!(!rows.is_empty(), "policy {policy}");
        assert_eq!(rows.iter().map(|r| r.3).sum::<i64>(), total);
        for row in &rows {
            if row.2 > today() {
                assert!(row.5 == "pendiente" || row.5 == "anulado", "{row:?}");
            }
            if status == "cancelled" {
                assert_ne!(row.5, "pendiente", "{row:?}");
            }
        }
    }
}

#[test]
fn an_overdue_receipt_raises_one_task_once() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let fx = prepare(&mut conn);
    let today = today();
    // Monthly from 50 days ago: due 50 and ~20 days ago (overdue), then today or later.
    let policy = insert_policy(
        &mut conn,
        fx.customer,
        Some(fx.agent),
        "OVD-1",
        "monthly",
        today - Duration::days(50),
    );
    assert_eq!(domain::generate_for_policy(&mut conn, policy).unwrap(), 12);
    let rows = receipts_of(&mut conn, policy);
    let overdue: Vec<&Row> = rows
        .iter()
        .filter(|r| r.2 < today - Duration::days(domain::OVERDUE_DAYS))
        .collect();
    assert_eq!(overdue.len(), 2, "{rows:?}");
    // A collected one is not chased.
    diesel::update(receipts::table.find(overdue[0].0))
        .set((
            receipts::status.eq("cobrado"),
            receipts::collected_on.eq(today),
        ))
        .execute(&mut conn)
        .unwrap();

    let first = soriano::housekeeping::run(&mut conn, today, None).unwrap();
    assert_eq!(first.receipts_flagged, 1);
    let chase: Vec<(String, i64)> = tasks::table
        .filter(tasks::title.like("Recibo impagado%"))
        .select((tasks::title, tasks::assignee_staff_id))
        .load(&mut conn)
        .unwrap();
    assert_eq!(chase.len(), 1);
    assert!(chase[0].0.contains(&overdue[1].1), "{chase:?}");
    assert_eq!(chase[0].1, fx.agent);

    let second = soriano::housekeeping::run(&mut conn, today, None).unwrap();
    assert_eq!(second.receipts_flagged, 0);
    let count: i64 = tasks::table
        .filter(tasks::title.like("Recibo impagado%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 1);
}

#[actix_web::test]
async fn the_list_filters_totals_and_keeps_an_agent_to_own_customers() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let today = today();
    let own = insert_policy(
        &mut conn,
        fx.customer,
        Some(fx.agent),
        "LST-OWN",
        "quarterly",
        today - Duration::days(100),
    );
    let other = insert_policy(
        &mut conn,
        fx.other_customer,
        Some(fx.other_agent),
        "LST-OTHER",
        "annual",
        today - Duration::days(10),
    );
    domain::generate_for_policy(&mut conn, own).unwrap();
    domain::generate_for_policy(&mut conn, other).unwrap();
    let own_rows = receipts_of(&mut conn, own);
    diesel::update(receipts::table.find(own_rows[0].0))
        .set((
            receipts::status.eq("cobrado"),
            receipts::collected_on.eq(today),
        ))
        .execute(&mut conn)
        .unwrap();

    // The agent: own customer's four receipts only, with their totals.
    signed_in(&app, AGENT).await;
    // The list opens on what needs action: pending receipts only.
    let page = app.get("/admin/recibos").await.text().await.unwrap();
    assert_eq!(page.matches("data-receipt=\"R-").count(), 3, "{page}");
    assert!(
        page.contains("<option value=\"pendiente\" selected"),
        "{page}"
    );
    // "Todos" (an empty status) shows every receipt.
    let page = app
        .get("/admin/recibos?estado=")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("data-receipt=\"R-").count(), 4, "{page}");
    assert!(page.contains("LST-OWN"));
    assert!(!page.contains("LST-OTHER"));
    assert!(page.contains("<dd id=\"total-count\">4</dd>"));
    assert!(
        page.contains("<dd id=\"total-amount\">1.296,00 €</dd>"),
        "{page}"
    );
    assert!(page.contains("<dd id=\"total-collected\">324,00 €</dd>"));
    assert!(page.contains("aria-current=\"page\">Recibos</a>"));
    // Another agent's receipt: 404 for its actions.
    let other_receipt = receipts_of(&mut conn, other)[0].0;
    let token = app.csrf_token("/admin").await;
    let response = post(
        &app,
        &format!("/admin/recibos/{other_receipt}/cobrar"),
        &token,
        &[("cobro_fecha", &iso(today))],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&mut conn, other_receipt), "pendiente");

    // Filters: status, due date range; htmx gets the results only.
    let page = app
        .get("/admin/recibos?estado=pendiente")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page.matches("data-receipt=\"R-").count(), 3);
    let from = iso(today - Duration::days(20));
    let until = iso(today + Duration::days(20));
    let response = app
        .get_htmx(&format!(
            "/admin/recibos?estado=&desde={from}&hasta={until}"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let partial = response.text().await.unwrap();
    assert!(!partial.contains("<html"));
    let in_range = own_rows
        .iter()
        .filter(|r| r.2 >= today - Duration::days(20) && r.2 <= today + Duration::days(20))
        .count();
    assert_eq!(partial.matches("data-receipt=\"R-").count(), in_range);
    assert!(partial.contains(&format!("<dd id=\"total-count\">{in_range}</dd>")));
    let page = app
        .get(&format!("/admin/recibos?desde={until}&hasta={from}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("La fecha final no puede ser anterior a la inicial."));

    // The admin sees both, and filters by agent and carrier.
    let admin = common::new_client();
    let token = {
        let body = admin
            .get(app.url("/admin/entrar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        common::csrf_from_html(&body)
    };
    admin
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", ADMIN),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let all = admin
        .get(app.url("/admin/recibos?estado="))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(all.matches("data-receipt=\"R-").count(), 5);
    let by_agent = admin
        .get(app.url(&format!("/admin/recibos?estado=&agente={}", fx.other_agent)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(by_agent.matches("data-receipt=\"R-").count(), 1);
    let (carrier, _) = product(&mut conn, "mapfre", "auto-total");
    let other_carrier: i64 = carriers::table
        .filter(carriers::id.ne(carrier))
        .select(carriers::id)
        .first(&mut conn)
        .unwrap();
    let by_carrier = admin
        .get(app.url(&format!("/admin/recibos?compania={other_carrier}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_carrier.contains("No hay recibos que coincidan"));
    assert!(by_carrier.contains("<dd id=\"total-count\">0</dd>"));
    app.stop().await;
}

#[actix_web::test]
async fn receipt_changes_need_the_csrf_token_and_the_edit_permission() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let policy = insert_policy(
        &mut conn,
        fx.customer,
        Some(fx.agent),
        "SEC-1",
        "annual",
        today(),
    );
    domain::generate_for_policy(&mut conn, policy).unwrap();
    let receipt = receipts_of(&mut conn, policy)[0].0;
    let today_text = iso(today());

    // A claims handler reads the list and the policy page without actions, and may not act.
    let token = signed_in(&app, CLAIMS).await;
    assert_eq!(app.get("/admin/recibos").await.status(), StatusCode::OK);
    let page = app
        .get(&format!("/admin/polizas/{policy}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("data-receipt=\"R-"));
    assert!(!page.contains(&format!("/admin/recibos/{receipt}/cobrar")));
    let response = post(
        &app,
        &format!("/admin/recibos/{receipt}/cobrar"),
        &token,
        &[("cobro_fecha", &today_text)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&mut conn, receipt), "pendiente");

    // The agent, without a valid token.
    let agent = common::new_client();
    let body = agent
        .get(app.url("/admin/entrar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    agent
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", AGENT),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    for action in ["cobrar", "devolver", "anular"] {
        let response = agent
            .post(app.url(&format!("/admin/recibos/{receipt}/{action}")))
            .form(&[
                ("csrf_token", "falso"),
                ("cobro_fecha", today_text.as_str()),
                ("devolucion_motivo", "x"),
                ("devolucion_fecha", today_text.as_str()),
                ("anulacion_motivo", "x"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
    }
    assert_eq!(status_of(&mut conn, receipt), "pendiente");
    // Anonymous: to the sign-in page.
    let anonymous = common::new_client();
    let response = anonymous
        .get(app.url("/admin/recibos"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn a_client_sees_their_own_receipts_and_not_another_clients() {
    let (app, world) = portal_support::spawn(true).await;
    let mut conn = app.db.conn();
    for client in [&world.a, &world.b] {
        domain::generate_for_policy(&mut conn, client.policy_id).unwrap();
    }
    let a_rows = receipts_of(&mut conn, world.a.policy_id);
    let b_rows = receipts_of(&mut conn, world.b.policy_id);
    assert!(!a_rows.is_empty() && !b_rows.is_empty());
    // One of A's receipts returned by the bank, the rest collected but one pending.
    diesel::update(receipts::table.filter(receipts::policy_id.eq(world.a.policy_id)))
        .set((
            receipts::status.eq("cobrado"),
            receipts::collected_on.eq(today()),
        ))
        .execute(&mut conn)
        .unwrap();
    diesel::update(receipts::table.find(a_rows[0].0))
        .set((
            receipts::status.eq("devuelto"),
            receipts::returned_on.eq(today()),
            receipts::return_reason.eq("Cuenta sin fondos"),
        ))
        .execute(&mut conn)
        .unwrap();

    let response =
        portal_support::portal_sign_in(&app, &world.a.email, portal_support::PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let home = app.get("/portal/inicio").await.text().await.unwrap();
    assert!(
        home.contains(&format!("data-receipt=\"{}\"", a_rows[0].1)),
        "{home}"
    );
    assert!(home.contains("Devuelto"));
    for (_, number, ..) in a_rows.iter().skip(1) {
        assert!(
            !home.contains(&format!("data-receipt=\"{number}\"")),
            "collected ones are not on Inicio"
        );
    }
    for (_, number, ..) in &b_rows {
        assert!(!home.contains(number.as_str()));
    }
    let policy = app
        .get(&format!("/portal/polizas/{}", world.a.policy_id))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(policy.matches("data-receipt=\"R-").count(), a_rows.len());
    assert!(policy.contains("Devuelto"));
    if a_rows.len() > 1 {
        assert!(policy.contains("Cobrado"));
    }
    let response = app
        .get(&format!("/portal/polizas/{}", world.b.policy_id))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // The row-level policy hides B's receipts from A's portal transaction even unfiltered.
    let seen = app
        .state
        .db
        .portal_transaction(world.a.customer_id, |conn| {
            receipts::table
                .select(receipts::customer_id)
                .load::<i64>(conn)
                .map_err(soriano::db::DbError::from)
        })
        .await
        .unwrap();
    assert!(!seen.is_empty());
    assert!(seen.iter().all(|c| *c == world.a.customer_id));
    app.stop().await;
}

#[actix_web::test]
async fn merged_customers_take_the_duplicates_receipts_with_them() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let policy = insert_policy(
        &mut conn,
        fx.other_customer,
        Some(fx.other_agent),
        "MRG-1",
        "quarterly",
        today(),
    );
    domain::generate_for_policy(&mut conn, policy).unwrap();
    let token = signed_in(&app, ADMIN).await;
    let duplicate = fx.other_customer.to_string();
    let response = post(
        &app,
        &format!("/admin/clientes/{}/fusionar", fx.customer),
        &token,
        &[("duplicado", &duplicate), ("confirmar", "si")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let owners: Vec<i64> = receipts::table
        .filter(receipts::policy_id.eq(policy))
        .select(receipts::customer_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(owners, vec![fx.customer; 4]);
    app.stop().await;
}
