//! Policies in the back-office: creating them (with every validation rule), their life cycle,
//! renewals and endorsements, the portfolio and expiring lists, and who may see and change what.

use crate::common;

use chrono::{Duration, NaiveDate};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::permissions::PortfolioScope;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    audit_log, carriers, customers, policies, policy_endorsements, policy_periods, products,
    staff_users,
};
use soriano::policies::{self as domain, Actor};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const AGENT: &str = "agente@soriano.es";
const OTHER_AGENT: &str = "otra@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";

struct Fixture {
    admin: i64,
    agent: i64,
    other_agent: i64,
    /// Owned by `agent`.
    customer: i64,
    /// Owned by `other_agent`.
    other_customer: i64,
}

fn insert_customer(
    conn: &mut PgConnection,
    tax_id: &str,
    given: &str,
    family: &str,
    owner: i64,
) -> i64 {
    diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(tax_id),
            customers::given_name.eq(given),
            customers::family_name.eq(family),
            customers::display_name.eq(format!("{family}, {given}")),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap()
}

fn prepare(conn: &mut PgConnection) -> Fixture {
    soriano::seed::catalog(conn).unwrap();
    let admin = create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    let agent = create_staff(conn, AGENT, Role::Agent, PASSWORD);
    let other_agent = create_staff(conn, OTHER_AGENT, Role::Agent, PASSWORD);
    create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    let customer = insert_customer(conn, "12345678Z", "Lucía", "García Pérez", agent);
    let other_customer = insert_customer(conn, "87654321X", "Pedro", "Martín Ruiz", other_agent);
    Fixture {
        admin,
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

fn carrier_id(conn: &mut PgConnection, code: &str) -> i64 {
    carriers::table
        .filter(carriers::code.eq(code))
        .select(carriers::id)
        .first(conn)
        .unwrap()
}

/// (carrier id, product id) of a seeded product.
fn product(conn: &mut PgConnection, carrier: &str, code: &str) -> (i64, i64) {
    let carrier = carrier_id(conn, carrier);
    let product = products::table
        .filter(products::carrier_id.eq(carrier))
        .filter(products::code.eq(code))
        .select(products::id)
        .first(conn)
        .unwrap();
    (carrier, product)
}

fn today() -> NaiveDate {
    domain::today()
}

fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A valid car policy form for `customer` (Mapfre Auto).
fn car_form(conn: &mut PgConnection, customer: i64, number: &str) -> Vec<(String, String)> {
    let (carrier, product) = product(conn, "mapfre", "auto-total");
    let start = today();
    [
        ("cliente", customer.to_string()),
        ("compania", carrier.to_string()),
        ("producto", product.to_string()),
        ("numero", number.to_owned()),
        ("efecto", iso(start)),
        ("vencimiento", iso(start + Duration::days(365))),
        ("prima_neta", "1.134,56".to_owned()),
        ("prima_total", "1.234,56".to_owned()),
        ("forma_pago", "annual".to_owned()),
        ("agente", String::new()),
        ("matricula", "1234bcd".to_owned()),
        ("marca", "Toyota".to_owned()),
        ("modelo", "Corolla".to_owned()),
        ("anio_matriculacion", "2019".to_owned()),
        (
            "motivo_sin_presupuesto",
            "Traspaso de la póliza desde otro mediador".to_owned(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

fn set(form: &mut Vec<(String, String)>, field: &str, value: &str) {
    form.retain(|(k, _)| k != field);
    form.push((field.to_owned(), value.to_owned()));
}

async fn signed_in(app: &TestApp, email: &str) -> String {
    let response = app.sign_in(email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.csrf_token("/admin").await
}

async fn post(
    app: &TestApp,
    path: &str,
    token: &str,
    form: &[(String, String)],
) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    app.post_form(path, &fields).await
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn policy_count(conn: &mut PgConnection) -> i64 {
    policies::table.count().get_result(conn).unwrap()
}

fn status_of(conn: &mut PgConnection, id: i64) -> String {
    policies::table
        .find(id)
        .select(policies::status)
        .first(conn)
        .unwrap()
}

/// Creates a policy through the form and returns its id.
async fn create_policy(app: &TestApp, token: &str, form: &[(String, String)]) -> i64 {
    let response = post(app, "/admin/polizas", token, form).await;
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

/// Inserts a policy directly (for lists), returning its id.
#[allow(clippy::too_many_arguments)]
fn insert_policy(
    conn: &mut PgConnection,
    customer: i64,
    carrier: &str,
    product_code: &str,
    number: &str,
    status: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> i64 {
    let (carrier, product) = product(conn, carrier, product_code);
    let line: i64 = products::table
        .find(product)
        .select(products::line_id)
        .first(conn)
        .unwrap();
    let id = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq(number),
            policies::status.eq(status),
            policies::start_date.eq(start),
            policies::end_date.eq(end),
            policies::net_premium_cents.eq(50000i64),
            policies::total_premium_cents.eq(54000i64),
            policies::payment_frequency.eq("annual"),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(policy_periods::table)
        .values((
            policy_periods::policy_id.eq(id),
            policy_periods::start_date.eq(start),
            policy_periods::end_date.eq(end),
            policy_periods::net_premium_cents.eq(50000i64),
            policy_periods::total_premium_cents.eq(54000i64),
        ))
        .execute(conn)
        .unwrap();
    id
}

fn ids_in(body: &str) -> Vec<i64> {
    let re = regex::Regex::new(r#"data-policy-id="(\d+)""#).unwrap();
    re.captures_iter(body)
        .map(|c| c[1].parse().unwrap())
        .collect()
}

fn next_link(body: &str) -> Option<String> {
    let re = regex::Regex::new(r#"<a href="([^"]+)" rel="next""#).unwrap();
    re.captures(body)
        .map(|c| c[1].replace("&#38;", "&").replace("&amp;", "&"))
}

#[actix_web::test]
async fn an_agent_creates_a_car_policy_with_its_first_period_and_audit_entry() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, AGENT).await;
    let form_page = app
        .get(&format!("/admin/polizas/nueva?cliente={}", fx.customer))
        .await
        .text()
        .await
        .unwrap();
    assert!(form_page.contains("García Pérez, Lucía"));
    assert!(form_page.contains(&format!(r#"name="cliente" value="{}""#, fx.customer)));

    let form = car_form(&mut app.db.conn(), fx.customer, "map-2026-000123");
    let id = create_policy(&app, &token, &form).await;

    let mut conn = app.db.conn();
    let (number, status, risk, net, total, agent): (
        String,
        String,
        serde_json::Value,
        i64,
        i64,
        Option<i64>,
    ) = policies::table
        .find(id)
        .select((
            policies::number,
            policies::status,
            policies::risk,
            policies::net_premium_cents,
            policies::total_premium_cents,
            policies::agent_staff_id,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(number, "MAP-2026-000123");
    assert_eq!(status, "active");
    assert_eq!(risk["kind"], "vehicle");
    assert_eq!(risk["plate"], "1234 BCD");
    assert_eq!((net, total), (113456, 123456));
    assert_eq!(
        agent,
        Some(fx.agent),
        "the agent defaults to the customer's owner"
    );
    let periods: Vec<(NaiveDate, NaiveDate, i64)> = policy_periods::table
        .filter(policy_periods::policy_id.eq(id))
        .select((
            policy_periods::start_date,
            policy_periods::end_date,
            policy_periods::total_premium_cents,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        periods,
        vec![(today(), today() + Duration::days(365), 123456)]
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("policy.created"))
        .filter(audit_log::target_type.eq("policy"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);

    let detail = app
        .get(&format!("/admin/polizas/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("MAP-2026-000123"));
    assert!(detail.contains("1.234,56 €"));
    assert!(detail.contains("1234 BCD"));
    assert!(detail.contains(&format!("/admin/clientes/{}", fx.customer)));
    assert!(detail.contains("Alta de póliza"));
    app.stop().await;
}

#[actix_web::test]
async fn the_end_date_defaults_to_one_year_after_the_start() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, ADMIN).await;
    let mut form = car_form(&mut app.db.conn(), fx.customer, "DEF-1");
    set(&mut form, "efecto", "2026-03-01");
    set(&mut form, "vencimiento", "");
    let id = create_policy(&app, &token, &form).await;
    let end: NaiveDate = policies::table
        .find(id)
        .select(policies::end_date)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(end, NaiveDate::from_ymd_opt(2027, 3, 1).unwrap());
    app.stop().await;
}

#[actix_web::test]
async fn each_invalid_field_is_refused_with_its_message_and_nothing_is_written() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, ADMIN).await;
    let mut conn = app.db.conn();
    let base = car_form(&mut conn, fx.customer, "BAD-1");
    let (axa, _) = product(&mut conn, "axa", "taxi");
    let (_, home) = product(&mut conn, "mapfre", "hogar-plus");
    let (allianz, life) = product(&mut conn, "allianz", "vida-riesgo");

    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (
            vec![("compania", axa.to_string())],
            "El producto elegido no es de esa compañía: elija uno de sus productos.",
        ),
        (
            vec![
                ("efecto", iso(today())),
                ("vencimiento", iso(today() - Duration::days(1))),
            ],
            "El vencimiento debe ser posterior a la fecha de efecto.",
        ),
        (
            vec![
                ("prima_neta", "500".into()),
                ("prima_total", "499,99".into()),
            ],
            "La prima total no puede ser menor que la prima neta.",
        ),
        (
            vec![("matricula", "1234 AEI".into())],
            "La matrícula no es válida",
        ),
        (
            vec![
                ("producto", home.to_string()),
                ("direccion", "Calle Mayor 1".into()),
                ("codigo_postal", "53001".into()),
                ("poblacion", "Madrid".into()),
                ("superficie", "90".into()),
                ("anio_construccion", "1990".into()),
            ],
            "El código postal debe tener 5 cifras y empezar por una provincia (01 a 52).",
        ),
        (
            vec![
                ("compania", allianz.to_string()),
                ("producto", life.to_string()),
            ],
            "Indique al menos una persona asegurada.",
        ),
        (
            vec![("prima_neta", "doce euros".into())],
            "Escriba el importe en euros, por ejemplo 1.250,50.",
        ),
        (vec![("cliente", "".into())], "Elija un cliente."),
        (
            vec![("forma_pago", "semanal".into())],
            "Elija la forma de pago.",
        ),
    ];
    for (changes, message) in cases {
        let mut form = base.clone();
        for (field, value) in &changes {
            set(&mut form, field, value);
        }
        let response = post(&app, "/admin/polizas", &token, &form).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{changes:?}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{changes:?}: expected «{message}»");
        assert!(body.contains(r#"aria-invalid="true""#));
        assert!(body.contains(r#"value="BAD-1""#), "values are kept");
    }
    assert_eq!(policy_count(&mut conn), 0);
    let periods: i64 = policy_periods::table.count().get_result(&mut conn).unwrap();
    assert_eq!(periods, 0);
    app.stop().await;
}

#[actix_web::test]
async fn a_second_policy_with_the_same_number_at_the_same_carrier_is_refused() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, ADMIN).await;
    let form = car_form(&mut app.db.conn(), fx.customer, "MAP-2026-000777");
    create_policy(&app, &token, &form).await;
    // Double submit: the same form again.
    let response = post(&app, "/admin/polizas", &token, &form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Ya existe una póliza con ese número en esta compañía."));
    assert_eq!(policy_count(&mut app.db.conn()), 1);
    app.stop().await;
}

#[actix_web::test]
async fn a_policy_is_suspended_reactivated_and_cancelled_and_refuses_what_its_status_forbids() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, AGENT).await;
    let form = car_form(&mut app.db.conn(), fx.customer, "LIFE-1");
    let id = create_policy(&app, &token, &form).await;
    let path = |action: &str| format!("/admin/polizas/{id}/{action}");
    let fields = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let day = iso(today());

    // Reactivating an active policy is refused.
    let response = post(
        &app,
        &path("reactivar"),
        &token,
        &fields(&[("reactivacion_fecha", &day)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("La póliza ya está en vigor.")
    );

    // Suspension needs a reason.
    let response = post(
        &app,
        &path("suspender"),
        &token,
        &fields(&[("suspension_motivo", ""), ("suspension_fecha", &day)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el motivo de la suspensión.")
    );
    assert_eq!(status_of(&mut app.db.conn(), id), "active");

    let response = post(
        &app,
        &path("suspender"),
        &token,
        &fields(&[
            ("suspension_motivo", "Vehículo en el taller"),
            ("suspension_fecha", &day),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut app.db.conn(), id), "suspended");

    let response = post(
        &app,
        &path("suspender"),
        &token,
        &fields(&[
            ("suspension_motivo", "Otra vez"),
            ("suspension_fecha", &day),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("La póliza ya está suspendida.")
    );

    // Renewals and endorsements need a policy in force.
    let response = post(
        &app,
        &path("suplementos"),
        &token,
        &fields(&[
            ("suplemento_fecha", &day),
            ("suplemento_descripcion", "Cambio"),
            ("suplemento_prima", "10"),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Solo se hacen suplementos de pólizas en vigor")
    );

    let response = post(
        &app,
        &path("reactivar"),
        &token,
        &fields(&[("reactivacion_fecha", &day)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut app.db.conn(), id), "active");

    // Cancelling needs a reason from the list, and text for «otro».
    let response = post(
        &app,
        &path("anular"),
        &token,
        &fields(&[("anulacion_motivo", ""), ("anulacion_fecha", &day)]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Elija el motivo de la anulación.")
    );
    let response = post(
        &app,
        &path("anular"),
        &token,
        &fields(&[
            ("anulacion_motivo", "otro"),
            ("anulacion_detalle", " "),
            ("anulacion_fecha", &day),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Explique el motivo de la anulación.")
    );
    assert_eq!(status_of(&mut app.db.conn(), id), "active");

    let response = post(
        &app,
        &path("anular"),
        &token,
        &fields(&[
            ("anulacion_motivo", "venta_bien"),
            ("anulacion_detalle", "Vendido a un particular"),
            ("anulacion_fecha", &day),
        ]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut app.db.conn(), id), "cancelled");
    let reason: Option<String> = policies::table
        .find(id)
        .select(policies::status_reason)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        reason.as_deref(),
        Some("Venta del vehículo o bien asegurado: Vendido a un particular")
    );

    // A cancelled policy admits nothing more: a clear message, not a 500.
    for (action, pairs) in [
        (
            "anular",
            vec![
                ("anulacion_motivo", "impago"),
                ("anulacion_fecha", day.as_str()),
            ],
        ),
        (
            "suspender",
            vec![
                ("suspension_motivo", "x"),
                ("suspension_fecha", day.as_str()),
            ],
        ),
        ("reactivar", vec![("reactivacion_fecha", day.as_str())]),
    ] {
        let response = post(&app, &path(action), &token, &fields(&pairs)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action}"
        );
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("La póliza está anulada: no admite más cambios de estado."),
            "{action}"
        );
    }

    // Every change is audited with before and after.
    let mut conn = app.db.conn();
    let entries: Vec<(String, serde_json::Value)> = audit_log::table
        .filter(audit_log::target_type.eq("policy"))
        .filter(audit_log::target_id.eq(id))
        .order(audit_log::id)
        .select((audit_log::action, audit_log::details))
        .load(&mut conn)
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "policy.created",
            "policy.suspended",
            "policy.reactivated",
            "policy.cancelled"
        ]
    );
    assert_eq!(entries[1].1["estado"]["before"], "active");
    assert_eq!(entries[1].1["estado"]["after"], "suspended");
    assert_eq!(entries[1].1["motivo"], "Vehículo en el taller");
    assert_eq!(entries[3].1["estado"]["after"], "cancelled");

    let detail = app
        .get(&format!("/admin/polizas/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("Suspensión de póliza"));
    assert!(detail.contains("En vigor → Suspendida"));
    app.stop().await;
}

#[actix_web::test]
async fn a_policy_past_its_end_date_expires_and_then_admits_no_change() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let ended = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "OLD-1",
        "active",
        today() - Duration::days(400),
        today() - Duration::days(35),
    );
    let running = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "NEW-1",
        "active",
        today() - Duration::days(10),
        today() + Duration::days(355),
    );
    let system = Actor::system();
    let refused =
        domain::expire(&mut conn, PortfolioScope::All, running, today(), &system).unwrap_err();
    assert!(matches!(refused, domain::PolicyError::Refused(_)));
    assert_eq!(
        domain::expire_overdue(&mut conn, today(), 100, &system).unwrap(),
        1
    );
    assert_eq!(status_of(&mut conn, ended), "expired");
    assert_eq!(status_of(&mut conn, running), "active");
    let again =
        domain::expire(&mut conn, PortfolioScope::All, ended, today(), &system).unwrap_err();
    assert_eq!(
        again.to_string(),
        "La póliza está vencida: no admite más cambios de estado."
    );
    app.stop().await;
}

#[actix_web::test]
async fn renewing_adds_a_period_keeps_the_history_and_closes_the_window() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, ADMIN).await;
    let end = today() + Duration::days(20);
    let mut form = car_form(&mut app.db.conn(), fx.customer, "REN-1");
    set(&mut form, "efecto", &iso(end - Duration::days(365)));
    set(&mut form, "vencimiento", &iso(end));
    let id = create_policy(&app, &token, &form).await;
    let new_end = end + Duration::days(365);
    let renewal: Vec<(String, String)> = vec![
        ("renovacion_vencimiento".into(), iso(new_end)),
        ("renovacion_prima_neta".into(), "1.200,00".into()),
        ("renovacion_prima_total".into(), "1.300,00".into()),
    ];
    let response = post(
        &app,
        &format!("/admin/polizas/{id}/renovar"),
        &token,
        &renewal,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let mut conn = app.db.conn();
    let periods: Vec<(NaiveDate, NaiveDate, i64)> = policy_periods::table
        .filter(policy_periods::policy_id.eq(id))
        .order(policy_periods::start_date)
        .select((
            policy_periods::start_date,
            policy_periods::end_date,
            policy_periods::total_premium_cents,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        periods,
        vec![
            (end - Duration::days(365), end, 123456),
            (end, new_end, 130000)
        ]
    );
    let (start_date, end_date, total): (NaiveDate, NaiveDate, i64) = policies::table
        .find(id)
        .select((
            policies::start_date,
            policies::end_date,
            policies::total_premium_cents,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((start_date, end_date, total), (end, new_end, 130000));

    // Submitting it again: the new end is a year away, outside the renewal window.
    let response = post(
        &app,
        &format!("/admin/polizas/{id}/renovar"),
        &token,
        &renewal,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response.text().await.unwrap().contains(
            "La renovación se hace entre 60 días antes y 30 días después del vencimiento"
        )
    );
    let count: i64 = policy_periods::table
        .filter(policy_periods::policy_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 2);
    let detail = app
        .get(&format!("/admin/polizas/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        detail.contains("1.300,00 €") && detail.contains("1.234,56 €"),
        "both periods are listed"
    );
    app.stop().await;
}

#[actix_web::test]
async fn an_endorsement_changes_the_premium_from_its_date_and_may_lower_it() {
    let (app, fx) = spawn().await;
    let token = signed_in(&app, ADMIN).await;
    let form = car_form(&mut app.db.conn(), fx.customer, "END-1");
    let id = create_policy(&app, &token, &form).await;
    let endorse = |date: NaiveDate, change: &str| -> Vec<(String, String)> {
        vec![
            ("suplemento_fecha".into(), iso(date)),
            ("suplemento_descripcion".into(), "Cambio de vehículo".into()),
            ("suplemento_prima".into(), change.into()),
        ]
    };
    let response = post(
        &app,
        &format!("/admin/polizas/{id}/suplementos"),
        &token,
        &endorse(today() + Duration::days(400), "10"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("La fecha de efecto debe estar dentro del periodo en curso")
    );
    let response = post(
        &app,
        &format!("/admin/polizas/{id}/suplementos"),
        &token,
        &endorse(today() + Duration::days(10), "-34,56"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let mut conn = app.db.conn();
    let (net, total): (i64, i64) = policies::table
        .find(id)
        .select((policies::net_premium_cents, policies::total_premium_cents))
        .first(&mut conn)
        .unwrap();
    assert_eq!((net, total), (110000, 120000));
    let changes: Vec<i64> = policy_endorsements::table
        .filter(policy_endorsements::policy_id.eq(id))
        .select(policy_endorsements::premium_change_cents)
        .load(&mut conn)
        .unwrap();
    assert_eq!(changes, vec![-3456]);
    let detail = app
        .get(&format!("/admin/polizas/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("Cambio de vehículo") && detail.contains("-34,56 €"));
    app.stop().await;
}

#[actix_web::test]
async fn the_portfolio_filters_and_pages_without_overlap() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let start = today() - Duration::days(30);
    for n in 0..110 {
        let (carrier, code) = if n % 2 == 0 {
            ("mapfre", "auto-total")
        } else {
            ("axa", "taxi")
        };
        insert_policy(
            &mut conn,
            fx.customer,
            carrier,
            code,
            &format!("P-{n:04}"),
            "active",
            start,
            start + Duration::days(365),
        );
    }
    insert_policy(
        &mut conn,
        fx.other_customer,
        "reale",
        "hogar",
        "SUSP-1",
        "suspended",
        start,
        start + Duration::days(365),
    );
    let _token = signed_in(&app, ADMIN).await;

    let mut seen = Vec::new();
    let mut path = Some("/admin/polizas".to_owned());
    let mut pages = 0;
    while let Some(current) = path {
        let body = app.get(&current).await.text().await.unwrap();
        let ids = ids_in(&body);
        assert!(ids.len() <= 50);
        seen.extend(ids);
        path = next_link(&body);
        pages += 1;
        assert!(pages <= 3, "too many pages; next {path:?}");
    }
    assert_eq!(pages, 3);
    let unique: std::collections::HashSet<_> = seen.iter().collect();
    assert_eq!(seen.len(), 111);
    assert_eq!(unique.len(), 111, "no policy on two pages");

    let mapfre = carrier_id(&mut conn, "mapfre");
    let body = app
        .get(&format!("/admin/polizas?compania={mapfre}"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body).len(), 50);
    assert!(!body.contains("AXA Taxi"));
    let body = app
        .get("/admin/polizas?estado=suspended")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body).len(), 1);
    assert!(body.contains("SUSP-1"));
    let body = app
        .get("/admin/polizas?q=mart%C3%ADn")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body).len(), 1, "search by customer name");
    let body = app
        .get("/admin/polizas?q=p-0007")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body).len(), 1, "search by number");
    // The header counts policies in force per carrier and line.
    let body = app.get("/admin/polizas").await.text().await.unwrap();
    assert!(body.contains("<td>Mapfre</td><td>Automóvil</td><td>55</td>"));
    app.stop().await;
}

#[actix_web::test]
async fn the_filter_form_swaps_only_the_rows_for_htmx() {
    let (app, fx) = spawn().await;
    insert_policy(
        &mut app.db.conn(),
        fx.customer,
        "axa",
        "taxi",
        "HX-1",
        "active",
        today(),
        today() + Duration::days(365),
    );
    let _token = signed_in(&app, ADMIN).await;
    let full = app.get("/admin/polizas").await;
    assert_eq!(full.headers().get("vary").unwrap(), "HX-Request");
    let full = full.text().await.unwrap();
    assert!(full.contains("<html") && full.contains("HX-1") && full.contains(r#"id="results""#));
    let partial = app
        .get_htmx("/admin/polizas?q=hx")
        .await
        .text()
        .await
        .unwrap();
    assert!(!partial.contains("<html"));
    assert!(!partial.contains(r#"id="results""#), "only the rows");
    assert!(partial.contains("HX-1") && partial.contains("<tbody>"));
    app.stop().await;
}

#[actix_web::test]
async fn the_expiring_list_shows_policies_in_force_ending_soon_soonest_first() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let start = today() - Duration::days(300);
    let in20 = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "EXP-20",
        "active",
        start,
        today() + Duration::days(20),
    );
    let in5 = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "EXP-5",
        "active",
        start,
        today() + Duration::days(5),
    );
    insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "EXP-45",
        "active",
        start,
        today() + Duration::days(45),
    );
    insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "EXP-CANC",
        "cancelled",
        start,
        today() + Duration::days(3),
    );
    insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "EXP-PAST",
        "active",
        start,
        today() - Duration::days(3),
    );
    let _token = signed_in(&app, ADMIN).await;
    let body = app
        .get("/admin/polizas/vencimientos?dias=7")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body), vec![in5]);
    let body = app
        .get("/admin/polizas/vencimientos?dias=30")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body), vec![in5, in20]);
    let body = app
        .get("/admin/polizas/vencimientos?dias=60")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(ids_in(&body).len(), 3);
    app.stop().await;
}

#[actix_web::test]
async fn an_agent_sees_and_changes_only_policies_of_own_customers() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let start = today() - Duration::days(30);
    let own = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "OWN-1",
        "active",
        start,
        start + Duration::days(365),
    );
    let theirs = insert_policy(
        &mut conn,
        fx.other_customer,
        "axa",
        "taxi",
        "THEIRS-1",
        "active",
        start,
        start + Duration::days(365),
    );
    let token = signed_in(&app, AGENT).await;

    let body = app.get("/admin/polizas").await.text().await.unwrap();
    assert_eq!(ids_in(&body), vec![own]);
    assert_eq!(
        app.get(&format!("/admin/polizas/{own}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/admin/polizas/{theirs}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let suspend: Vec<(String, String)> = vec![
        ("suspension_motivo".into(), "x".into()),
        ("suspension_fecha".into(), iso(today())),
    ];
    let response = post(
        &app,
        &format!("/admin/polizas/{theirs}/suspender"),
        &token,
        &suspend,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(status_of(&mut conn, theirs), "active");

    // Another agent's customer cannot be chosen for a new policy either.
    let page = app
        .get(&format!(
            "/admin/polizas/nueva?cliente={}",
            fx.other_customer
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Martín Ruiz"));
    let form = car_form(&mut conn, fx.other_customer, "STEAL-1");
    let response = post(&app, "/admin/polizas", &token, &form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("Elija un cliente."));
    assert_eq!(policy_count(&mut conn), 2);
    let body = app
        .get("/admin/polizas/vencimientos?dias=60")
        .await
        .text()
        .await
        .unwrap();
    assert!(!body.contains("THEIRS-1"));
    let _ = (fx.admin, fx.other_agent);
    app.stop().await;
}

#[actix_web::test]
async fn a_claims_handler_reads_policies_but_cannot_change_them() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "RO-1",
        "active",
        today(),
        today() + Duration::days(365),
    );
    let token = signed_in(&app, CLAIMS).await;
    let body = app.get("/admin/polizas").await.text().await.unwrap();
    assert!(body.contains("RO-1"));
    assert!(!body.contains("Nueva póliza"));
    let detail = app
        .get(&format!("/admin/polizas/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!detail.contains("/suspender"), "no action forms");
    let form = car_form(&mut conn, fx.customer, "RO-2");
    assert_eq!(
        post(&app, "/admin/polizas", &token, &form).await.status(),
        StatusCode::FORBIDDEN
    );
    let suspend: Vec<(String, String)> = vec![
        ("suspension_motivo".into(), "x".into()),
        ("suspension_fecha".into(), iso(today())),
    ];
    let response = post(
        &app,
        &format!("/admin/polizas/{id}/suspender"),
        &token,
        &suspend,
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&mut conn, id), "active");
    assert_eq!(policy_count(&mut conn), 1);
    app.stop().await;
}

#[actix_web::test]
async fn policy_changes_without_the_csrf_token_are_refused() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = insert_policy(
        &mut conn,
        fx.customer,
        "axa",
        "taxi",
        "CSRF-1",
        "active",
        today(),
        today() + Duration::days(365),
    );
    let _token = signed_in(&app, ADMIN).await;
    let form = car_form(&mut conn, fx.customer, "CSRF-2");
    let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        app.post_form("/admin/polizas", &fields).await.status(),
        StatusCode::FORBIDDEN
    );
    let response = app
        .post_form(
            &format!("/admin/polizas/{id}/anular"),
            &[
                ("csrf_token", "falso"),
                ("anulacion_motivo", "impago"),
                ("anulacion_fecha", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(policy_count(&mut conn), 1);
    assert_eq!(status_of(&mut conn, id), "active");
    app.stop().await;
}

#[actix_web::test]
async fn demo_policies_cover_customers_and_fill_the_expiring_list() {
    let app = TestApp::spawn_with(|conn| {
        prepare(conn);
        let created = soriano::seed::demo_policies(conn).unwrap();
        assert_eq!(created, 4);
        assert_eq!(
            soriano::seed::demo_policies(conn).unwrap(),
            0,
            "skipped when policies exist"
        );
    })
    .await;
    let mut conn = app.db.conn();
    assert_eq!(policy_count(&mut conn), 4);
    let numbers: Vec<String> = policies::table
        .select(policies::number)
        .load(&mut conn)
        .unwrap();
    let pattern = regex::Regex::new(r"^[A-Z]{3}-2026-\d{6}$").unwrap();
    assert!(numbers.iter().all(|n| pattern.is_match(n)), "{numbers:?}");
    // Every stored risk reads back as typed data.
    let risks: Vec<serde_json::Value> = policies::table
        .select(policies::risk)
        .load(&mut conn)
        .unwrap();
    for risk in risks {
        serde_json::from_value::<domain::Risk>(risk).unwrap();
    }
    app.stop().await;
}

/// The new-policy form picks its customer with a search, not a list of every customer: what was
/// typed elsewhere stays, accents and case do not matter, and an agent finds only their own.
#[actix_web::test]
async fn the_customer_is_found_by_typing_and_only_in_the_agents_portfolio() {
    let (app, fx) = spawn().await;
    signed_in(&app, AGENT).await;

    let page = app.get("/admin/polizas/nueva").await.text().await.unwrap();
    assert!(page.contains(r#"name="buscar""#), "a search field");
    assert!(
        !page.contains("García Pérez, Lucía"),
        "no list of customers before a search"
    );

    let page = app
        .get("/admin/polizas/nueva?buscar=garcia+perez&numero=AXA-77")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            r#"<input type="radio" name="cliente" value="{}">"#,
            fx.customer
        )),
        "the match is a choice of the form"
    );
    assert!(page.contains(r#"value="AXA-77""#), "what was typed is kept");

    let page = app
        .get("/admin/polizas/nueva?buscar=martin+ruiz")
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Martín Ruiz"), "another agent's customer");
    assert!(page.contains("Ningún cliente suyo coincide con «martin ruiz»."));
    app.stop().await;
}

#[actix_web::test]
async fn the_filtered_portfolio_exports_within_the_agents_book() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    // A demo agent (the seed's accounts share the demo password).
    let agent = "comercial1@soriano.test";
    app.sign_in(agent, soriano::seed::DEMO_ADMIN_PASSWORD).await;
    let page = app
        .get("/admin/polizas?estado=active")
        .await
        .text()
        .await
        .unwrap();
    let link = regex::Regex::new(r#"href="(/admin/polizas/exportar\?[^"]*formato=csv)""#)
        .unwrap()
        .captures(&page)
        .expect("export links under the portfolio")[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    assert!(link.contains("estado=active"), "{link}");
    let response = app.get(&link).await;
    assert_eq!(response.status(), StatusCode::OK);
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("Póliza;Cliente;Compañía;Ramo;Producto;Estado;Efecto"));
    let own_active: i64 = policies::table
        .inner_join(customers::table)
        .inner_join(staff_users::table.on(staff_users::id.nullable().eq(customers::owner_staff_id)))
        .filter(staff_users::email.eq(agent))
        .filter(policies::status.eq("active"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert!(own_active > 0);
    assert_eq!(
        lines.len() as i64 - 1,
        own_active,
        "the agent's policies in force only"
    );
    assert!(
        lines[1..].iter().all(|l| l.contains(";En vigor;")),
        "{:?}",
        &lines[1..3]
    );
    let xlsx = app.get(&link.replace("formato=csv", "formato=xlsx")).await;
    assert!(
        xlsx.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    app.stop().await;
}

/// Policies in force per carrier × line × owner, counted from the policies themselves.
fn counted_in_force(conn: &mut PgConnection) -> Vec<(i64, i64, Option<i64>, i64)> {
    let rows: Vec<(i64, i64, Option<i64>)> = policies::table
        .inner_join(customers::table)
        .filter(policies::status.eq("active"))
        .select((
            policies::carrier_id,
            policies::line_id,
            customers::owner_staff_id,
        ))
        .load(conn)
        .unwrap();
    let mut groups = std::collections::BTreeMap::new();
    for key in rows {
        *groups.entry(key).or_insert(0i64) += 1;
    }
    groups
        .into_iter()
        .map(|((c, l, o), n)| (c, l, o, n))
        .collect()
}

/// The same, from the running counts the portfolio header reads (kept by triggers).
fn running_counts(conn: &mut PgConnection) -> Vec<(i64, i64, Option<i64>, i64)> {
    use soriano::db::schema::policy_counts;
    policy_counts::table
        .filter(policy_counts::active.ne(0))
        .select((
            policy_counts::carrier_id,
            policy_counts::line_id,
            policy_counts::owner_staff_id,
            policy_counts::active,
        ))
        .order((
            policy_counts::carrier_id,
            policy_counts::line_id,
            policy_counts::owner_staff_id,
        ))
        .load::<(i64, i64, Option<i64>, i64)>(conn)
        .map(|mut rows| {
            rows.sort();
            rows
        })
        .unwrap()
}

#[actix_web::test]
async fn the_portfolio_header_counts_follow_new_cancelled_deleted_and_reassigned_policies() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let start = today() - Duration::days(10);
    let end = start + Duration::days(365);
    let a = insert_policy(
        &mut conn,
        fx.customer,
        "mapfre",
        "auto-total",
        "CNT-1",
        "active",
        start,
        end,
    );
    insert_policy(
        &mut conn,
        fx.customer,
        "mapfre",
        "auto-total",
        "CNT-2",
        "active",
        start,
        end,
    );
    insert_policy(
        &mut conn,
        fx.other_customer,
        "mapfre",
        "auto-total",
        "CNT-3",
        "active",
        start,
        end,
    );
    let suspended = insert_policy(
        &mut conn,
        fx.other_customer,
        "axa",
        "taxi",
        "CNT-4",
        "suspended",
        start,
        end,
    );
    assert_eq!(running_counts(&mut conn), counted_in_force(&mut conn));
    assert_eq!(
        running_counts(&mut conn).iter().map(|r| r.3).sum::<i64>(),
        3
    );

    // Cancelled, reactivated, one deleted, a customer handed to another agent.
    diesel::update(policies::table.find(a))
        .set(policies::status.eq("cancelled"))
        .execute(&mut conn)
        .unwrap();
    diesel::update(policies::table.find(suspended))
        .set(policies::status.eq("active"))
        .execute(&mut conn)
        .unwrap();
    diesel::update(customers::table.find(fx.customer))
        .set(customers::owner_staff_id.eq(fx.other_agent))
        .execute(&mut conn)
        .unwrap();
    diesel::delete(policy_periods::table.filter(policy_periods::policy_id.eq(a)))
        .execute(&mut conn)
        .unwrap();
    diesel::delete(policies::table.find(a))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(running_counts(&mut conn), counted_in_force(&mut conn));

    // What the page shows: the other agent now has all three in force, the first none.
    let _token = signed_in(&app, OTHER_AGENT).await;
    let body = app.get("/admin/polizas").await.text().await.unwrap();
    assert!(
        body.contains("<td>Mapfre</td><td>Automóvil</td><td>2</td>"),
        "{body}"
    );
    assert!(
        body.contains("<td>AXA Seguros</td><td>Taxi</td><td>1</td>"),
        "{body}"
    );
    let first_agent = domain::counts(&mut conn, PortfolioScope::of(fx.agent, Role::Agent)).unwrap();
    assert!(first_agent.is_empty(), "{first_agent:?}");
    app.stop().await;
}
