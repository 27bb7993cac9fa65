//! Quotes in the back-office: the new-quote form, the life cycle, accepting into a policy (and
//! a customer), expiry, who may do what, the printable view.

use crate::common;
use crate::portfolio;

use chrono::Duration;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::permissions::PortfolioScope;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    audit_log, carriers, customers, domain_events, lines_of_business, policies, products,
    quote_options, quotes,
};
use soriano::policies::{Plate, Risk, Vehicle};
use soriano::quotes::{self as domain, Actor, NewOption, NewQuote, Prospect, QuoteError};

const PASSWORD: &str = "una clave larga de prueba";

/// An auto product: (carrier, product).
#[derive(Clone, Copy)]
struct Offer {
    carrier: i64,
    product: i64,
}

struct Fixture {
    agent: i64,
    customer: i64,
    auto_line: i64,
    first: Offer,
    second: Offer,
}

async fn spawn() -> (TestApp, Fixture) {
    let mut fixture = None;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, "tramita@soriano.es", Role::Claims, PASSWORD);
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "otro@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        let customer = portfolio::customer(conn, 1, "Ana", Some(agent));
        let auto_line: i64 = lines_of_business::table
            .filter(lines_of_business::code.eq("auto"))
            .select(lines_of_business::id)
            .first(conn)
            .unwrap();
        let offers: Vec<(i64, i64)> = products::table
            .inner_join(carriers::table)
            .filter(products::line_id.eq(auto_line))
            .order(products::id)
            .select((products::carrier_id, products::id))
            .limit(2)
            .load(conn)
            .unwrap();
        let offer = |(carrier, product): (i64, i64)| Offer { carrier, product };
        fixture = Some(Fixture {
            agent,
            customer,
            auto_line,
            first: offer(offers[0]),
            second: offer(offers[1]),
        });
    })
    .await;
    (app, fixture.unwrap())
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .expect("location")
        .to_str()
        .unwrap()
        .to_owned()
}

fn token_from(html: &str) -> String {
    let re = regex::Regex::new(r#"name="token" value="([^"]+)""#).unwrap();
    re.captures(html).expect("form token")[1].to_owned()
}

fn quote_id_from(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/presupuestos/")
        .parse()
        .expect("quote id in the location")
}

/// The new-quote form's fields for `fx`'s customer with two options, `overrides` replacing
/// (or, with an empty value, blanking) any of them.
fn quote_fields(fx: &Fixture, overrides: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> = [
        ("cliente", fx.customer.to_string()),
        ("ramo", fx.auto_line.to_string()),
        ("matricula", "1234 BCD".into()),
        ("marca", "Seat".into()),
        ("modelo", "León".into()),
        ("anio_matriculacion", "2019".into()),
        ("notas", "Quiere todo riesgo.".into()),
        ("opcion1_compania", fx.first.carrier.to_string()),
        ("opcion1_producto", fx.first.product.to_string()),
        ("opcion1_prima_neta", "410,00".into()),
        ("opcion1_prima_total", "452,30".into()),
        (
            "opcion1_coberturas",
            "Todo riesgo con franquicia de 300 €".into(),
        ),
        ("opcion2_compania", fx.second.carrier.to_string()),
        ("opcion2_producto", fx.second.product.to_string()),
        ("opcion2_prima_neta", "380,00".into()),
        ("opcion2_prima_total", "420,00".into()),
        ("opcion2_coberturas", "Terceros ampliado".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    for (name, value) in overrides {
        fields.retain(|(n, _)| n != name);
        fields.push(((*name).to_owned(), (*value).to_owned()));
    }
    fields
}

/// Opens the new-quote form and submits it with `fields`; returns the response and the token.
async fn submit(app: &TestApp, fields: Vec<(String, String)>) -> (reqwest::Response, String) {
    let page = app
        .get("/admin/presupuestos/nuevo")
        .await
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&page);
    let token = token_from(&page);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("token", &token)];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let response = app.post_form("/admin/presupuestos", &form).await;
    (response, token)
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token("/admin/presupuestos").await;
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
    form.extend_from_slice(fields);
    app.post_form(path, &form).await
}

async fn get(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    (response.status(), response.text().await.unwrap())
}

fn system_actor() -> Actor {
    Actor::system()
}

fn vehicle() -> Risk {
    Risk::Vehicle(Vehicle {
        plate: Plate::parse("1234 BCD").unwrap(),
        make: "Seat".into(),
        model: "León".into(),
        first_registration_year: 2019,
    })
}

fn option(offer: Offer, net: i64, total: i64) -> NewOption {
    NewOption {
        carrier_id: offer.carrier,
        product_id: Some(offer.product),
        coverage_level: String::new(),
        coverage_summary: "Todo riesgo".into(),
        net_premium_cents: net,
        total_premium_cents: total,
        breakdown: None,
        tariff_version_id: None,
    }
}

/// A quote made through the domain: for the customer, or for a prospect when `customer` is None.
fn make_quote(conn: &mut PgConnection, fx: &Fixture, customer: Option<i64>, sent: bool) -> i64 {
    let quote = domain::create(
        conn,
        NewQuote {
            customer_id: customer,
            lead_id: None,
            prospect: customer.is_none().then(|| Prospect {
                name: "Marta Ruiz Gil".into(),
                email: Some("marta@example.com".into()),
                phone: Some("612345678".into()),
            }),
            line_id: fx.auto_line,
            risk: vehicle(),
            valid_until: portfolio::today() + Duration::days(30),
            notes: String::new(),
            source: "backoffice",
            agent_staff_id: Some(fx.agent),
            created_by_staff_id: Some(fx.agent),
        },
        vec![
            option(fx.first, 41_000, 45_230),
            option(fx.second, 38_000, 42_000),
        ],
        &system_actor(),
    )
    .expect("quote created");
    if sent {
        domain::send(
            conn,
            PortfolioScope::All,
            quote.id,
            portfolio::today(),
            &system_actor(),
        )
        .expect("quote sent");
        record_sale(conn, quote.id);
    }
    quote.id
}

/// The car questions' answers as the needs form sends them, recommending `option`.
fn car_needs(option: &str) -> Vec<(&'static str, String)> {
    vec![
        ("n_uso", "Particular".into()),
        ("n_cobertura", "Todo riesgo con franquicia".into()),
        ("n_asistencia", "Sí, desde el kilómetro cero".into()),
        ("n_conductores", "No".into()),
        ("n_presupuesto", "El precio".into()),
        ("opcion_recomendada", option.to_owned()),
        (
            "motivo_recomendacion",
            "Todo riesgo con franquicia al menor precio de las dos compañías comparadas.".into(),
        ),
    ]
}

/// Records the distribution record of a quote: needs, advice, pre-contract on paper.
fn record_sale(conn: &mut PgConnection, id: i64) {
    let option = first_option(conn, id).0.to_string();
    let answers = car_needs(&option);
    let value = |field: &str| {
        answers
            .iter()
            .find(|(name, _)| *name == field)
            .map(|(_, v)| v.as_str())
    };
    let scope = PortfolioScope::All;
    domain::sale::record_needs(conn, scope, id, value, &system_actor()).expect("needs");
    domain::sale::record_delivery(
        conn,
        scope,
        id,
        "paper",
        "Copia firmada en el expediente",
        &soriano::distribution::precontract::BrokerIdentity::development(),
        &system_actor(),
    )
    .expect("delivered");
}

fn status_of(conn: &mut PgConnection, id: i64) -> String {
    quotes::table
        .find(id)
        .select(quotes::status)
        .first(conn)
        .unwrap()
}

fn count_policies(conn: &mut PgConnection) -> i64 {
    policies::table.count().get_result(conn).unwrap()
}

fn first_option(conn: &mut PgConnection, quote: i64) -> (i64, i64, Option<i64>, i64, i64) {
    quote_options::table
        .filter(quote_options::quote_id.eq(quote))
        .order(quote_options::position)
        .select((
            quote_options::id,
            quote_options::carrier_id,
            quote_options::product_id,
            quote_options::net_premium_cents,
            quote_options::total_premium_cents,
        ))
        .first(conn)
        .unwrap()
}

#[actix_web::test]
async fn creating_a_quote_checks_every_field_in_spanish_and_keeps_the_values() {
    let (app, fx) = spawn().await;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let yesterday = (portfolio::today() - Duration::days(1)).to_string();
    let (response, _) = submit(
        &app,
        quote_fields(
            &fx,
            &[
                ("cliente", ""),
                ("prospecto_nombre", ""),
                ("matricula", "no es una matrícula"),
                ("marca", "Marca Guardada"),
                ("validez", &yesterday),
                ("opcion1_prima_neta", "500,00"),
                ("opcion1_prima_total", "400,00"),
                ("opcion2_producto", ""),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    for message in [
        "Elija un cliente o escriba el nombre del interesado.",
        "La validez no puede ser anterior a hoy.",
        "La prima total no puede ser menor que la prima neta.",
        "Elija el producto de la opción.",
    ] {
        assert!(body.contains(message), "missing {message:?}");
    }
    assert!(body.contains(r#"value="Marca Guardada""#), "values kept");
    assert!(body.contains("Terceros ampliado"), "option values kept");
    let mut conn = app.db.conn();
    let count: i64 = quotes::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 0);

    // A product of another line is refused by the domain, next to its row.
    let hogar: i64 = products::table
        .inner_join(lines_of_business::table)
        .filter(lines_of_business::code.eq("hogar"))
        .filter(products::carrier_id.eq(fx.first.carrier))
        .select(products::id)
        .first(&mut conn)
        .unwrap();
    let (response, _) = submit(
        &app,
        quote_fields(&fx, &[("opcion1_producto", &hogar.to_string())]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("El producto elegido no es del ramo del presupuesto."));
}

#[actix_web::test]
async fn a_quote_is_created_once_even_when_the_form_is_sent_twice() {
    let (app, fx) = spawn().await;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let (first, token) = submit(&app, quote_fields(&fx, &[])).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let target = location(&first);
    let id = quote_id_from(&target);

    // The same form again, same token.
    let csrf = app.csrf_token("/admin/presupuestos").await;
    let fields = quote_fields(&fx, &[]);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", &csrf), ("token", &token)];
    form.extend(fields.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let second = app.post_form("/admin/presupuestos", &form).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&second), target);

    let mut conn = app.db.conn();
    let count: i64 = quotes::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 1);
    let options: i64 = quote_options::table
        .filter(quote_options::quote_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(options, 2);
    let (status, customer, agent): (String, Option<i64>, Option<i64>) = quotes::table
        .find(id)
        .select((quotes::status, quotes::customer_id, quotes::agent_staff_id))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "draft");
    assert_eq!(customer, Some(fx.customer));
    assert_eq!(agent, Some(fx.agent));

    let page = app.get(&target).await.text().await.unwrap();
    assert!(page.contains("borrador"));
    assert!(page.contains("452,30"));
    assert!(
        page.contains("Alta de presupuesto"),
        "history from the audit log"
    );
    // The customer's page lists it with a link to a new one.
    let customer_page = app
        .get(&format!("/admin/clientes/{}", fx.customer))
        .await
        .text()
        .await
        .unwrap();
    assert!(customer_page.contains(&format!("/admin/presupuestos/{id}")));
    assert!(customer_page.contains(&format!(
        "/admin/presupuestos/nuevo?cliente={}",
        fx.customer
    )));
}

#[actix_web::test]
async fn only_the_life_cycle_moves_are_allowed() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, Some(fx.customer), false);
    app.sign_in("agente@soriano.es", PASSWORD).await;

    // A draft cannot be rejected or accepted.
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/rechazar"),
        &[("motivo", "caro")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Un presupuesto borrador no puede pasar a rechazado.")
    );
    let refused = domain::accept(
        &mut conn,
        PortfolioScope::All,
        id,
        &Default::default(),
        &system_actor(),
        portfolio::today(),
    );
    assert!(matches!(refused, Err(QuoteError::Transition(_))));

    // Options change only while draft.
    let option = first_option(&mut conn, id).0;
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/opciones/{option}/quitar"),
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let response = post(&app, &format!("/admin/presupuestos/{id}/enviar"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut conn, id), "sent");
    let response = post(&app, &format!("/admin/presupuestos/{id}/enviar"), &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Un presupuesto enviado no puede pasar a enviado.")
    );
    let remaining = first_option(&mut conn, id).0;
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/opciones/{remaining}/quitar"),
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Rejecting needs the reason.
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/rechazar"),
        &[("motivo", " ")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el motivo del rechazo.")
    );
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/rechazar"),
        &[("motivo", "Se queda con su compañía")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, reason): (String, Option<String>) = quotes::table
        .find(id)
        .select((quotes::status, quotes::status_reason))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "rejected");
    assert_eq!(reason.as_deref(), Some("Se queda con su compañía"));
    let response = post(&app, &format!("/admin/presupuestos/{id}/enviar"), &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn accepting_issues_the_policy_of_the_option_in_one_transaction() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, Some(fx.customer), true);
    let (option, carrier, product, net, total) = first_option(&mut conn, id);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let today = portfolio::today().to_string();
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/aceptar"),
        &[
            ("opcion", &option.to_string()),
            ("numero", "auto-777"),
            ("efecto", &today),
            ("forma_pago", "annual"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let target = location(&response);
    let policy_id: i64 = target
        .trim_start_matches("/admin/polizas/")
        .parse()
        .unwrap();

    let (customer, p_carrier, p_product, number, p_net, p_total, risk): (
        i64,
        i64,
        i64,
        String,
        i64,
        i64,
        serde_json::Value,
    ) = policies::table
        .find(policy_id)
        .select((
            policies::customer_id,
            policies::carrier_id,
            policies::product_id,
            policies::number,
            policies::net_premium_cents,
            policies::total_premium_cents,
            policies::risk,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(customer, fx.customer);
    assert_eq!((p_carrier, Some(p_product)), (carrier, product));
    assert_eq!((p_net, p_total), (net, total));
    assert_eq!(number, "AUTO-777");
    assert_eq!(risk["plate"], "1234 BCD");

    let (status, chosen, linked, decided): (String, Option<i64>, Option<i64>, bool) = quotes::table
        .find(id)
        .select((
            quotes::status,
            quotes::chosen_option_id,
            quotes::policy_id,
            quotes::decided_at.is_not_null(),
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "accepted");
    assert_eq!(chosen, Some(option));
    assert_eq!(linked, Some(policy_id));
    assert!(decided);
    let events: i64 = domain_events::table
        .filter(domain_events::kind.eq("quote.accepted"))
        .filter(domain_events::entity_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(events, 1);
    let audited: Vec<String> = audit_log::table
        .filter(audit_log::action.eq_any(["quote.accepted", "policy.created"]))
        .select(audit_log::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(audited.len(), 2);

    let page = app
        .get(&format!("/admin/presupuestos/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("AUTO-777"));
}

#[actix_web::test]
async fn a_duplicate_policy_number_rolls_everything_back() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    // A prospect's quote: the customer created on the way must go too.
    let id = make_quote(&mut conn, &fx, None, true);
    let (option, carrier, product, _, _) = first_option(&mut conn, id);
    let taken = portfolio::live_policy(&mut conn, fx.customer, "DUP-1");
    diesel::update(policies::table.find(taken))
        .set((
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product.unwrap()),
        ))
        .execute(&mut conn)
        .unwrap();
    let policies_before = count_policies(&mut conn);
    let customers_before: i64 = customers::table.count().get_result(&mut conn).unwrap();

    app.sign_in("agente@soriano.es", PASSWORD).await;
    let today = portfolio::today().to_string();
    let response = post(
        &app,
        &format!("/admin/presupuestos/{id}/aceptar"),
        &[
            ("opcion", &option.to_string()),
            ("numero", "DUP-1"),
            ("efecto", &today),
            ("forma_pago", "annual"),
            ("tipo", "person"),
            ("nombre", "Marta"),
            ("apellidos", "Ruiz Gil"),
            ("nif", "12345678Z"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Ya existe una póliza con ese número en esta compañía."));
    assert!(
        body.contains(r#"value="12345678Z""#),
        "customer values kept"
    );
    assert_eq!(count_policies(&mut conn), policies_before);
    let customers_after: i64 = customers::table.count().get_result(&mut conn).unwrap();
    assert_eq!(customers_after, customers_before);
    assert_eq!(status_of(&mut conn, id), "sent");
    // Only the sending's own event: the failed acceptance left none.
    let events: i64 = domain_events::table
        .filter(domain_events::kind.ne("quote.sent"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(events, 0);
}

#[actix_web::test]
async fn accepting_a_prospects_quote_creates_the_customer() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, None, true);
    app.sign_in("agente@soriano.es", PASSWORD).await;

    // The form comes prefilled from the prospect.
    let page = app
        .get(&format!("/admin/presupuestos/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"value="Marta""#));
    assert!(page.contains(r#"value="Ruiz Gil""#));
    assert!(page.contains(r#"value="marta@example.com""#));

    let today = portfolio::today().to_string();
    let option = first_option(&mut conn, id).0.to_string();
    let mut fields = vec![
        ("opcion", option.as_str()),
        ("numero", "P-100"),
        ("efecto", today.as_str()),
        ("forma_pago", "annual"),
        ("tipo", "person"),
        ("nombre", "Marta"),
        ("apellidos", "Ruiz Gil"),
        ("email", "marta@example.com"),
        ("telefono", "612345678"),
        ("consentimiento_privacidad", "si"),
    ];
    // Without the tax id: refused, next to the field.
    let response = post(&app, &format!("/admin/presupuestos/{id}/aceptar"), &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains(r#"id="nif-error""#));
    assert_eq!(status_of(&mut conn, id), "sent");

    fields.push(("nif", "12345678Z"));
    let response = post(&app, &format!("/admin/presupuestos/{id}/aceptar"), &fields).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    let errors: Vec<&str> = body
        .lines()
        .filter(|l| l.contains("field-error") || l.contains("error-box"))
        .collect();
    assert_eq!(status, StatusCode::SEE_OTHER, "{errors:?}");
    let (customer, owner): (i64, Option<i64>) = customers::table
        .filter(customers::tax_id.eq("12345678Z"))
        .select((customers::id, customers::owner_staff_id))
        .first(&mut conn)
        .unwrap();
    assert_eq!(owner, Some(fx.agent));
    let (quote_customer, policy): (Option<i64>, Option<i64>) = quotes::table
        .find(id)
        .select((quotes::customer_id, quotes::policy_id))
        .first(&mut conn)
        .unwrap();
    assert_eq!(quote_customer, Some(customer));
    let policy_customer: i64 = policies::table
        .find(policy.unwrap())
        .select(policies::customer_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(policy_customer, customer);
}

#[actix_web::test]
async fn overdue_quotes_expire_and_the_system_records_it() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let today = portfolio::today();
    let overdue_draft = make_quote(&mut conn, &fx, Some(fx.customer), false);
    let overdue_sent = make_quote(&mut conn, &fx, None, true);
    let current = make_quote(&mut conn, &fx, Some(fx.customer), true);
    diesel::update(quotes::table.filter(quotes::id.eq_any([overdue_draft, overdue_sent])))
        .set(quotes::valid_until.eq(today - Duration::days(1)))
        .execute(&mut conn)
        .unwrap();
    diesel::update(quotes::table.find(current))
        .set(quotes::valid_until.eq(today))
        .execute(&mut conn)
        .unwrap();

    let expired = conn
        .transaction(|conn| domain::expire_overdue(conn, today))
        .unwrap();
    assert_eq!(expired, 2);
    assert_eq!(status_of(&mut conn, overdue_draft), "expired");
    assert_eq!(status_of(&mut conn, overdue_sent), "expired");
    assert_eq!(status_of(&mut conn, current), "sent");
    let (actor, label): (Option<i64>, String) = audit_log::table
        .filter(audit_log::action.eq("quote.expired"))
        .filter(audit_log::target_id.eq(overdue_sent))
        .select((audit_log::actor_staff_id, audit_log::actor_label))
        .first(&mut conn)
        .unwrap();
    assert_eq!(actor, None);
    assert_eq!(label, soriano::audit::SYSTEM_ACTOR);
    // Nothing left to do on a second run.
    assert_eq!(domain::expire_overdue(&mut conn, today).unwrap(), 0);
}

#[actix_web::test]
async fn claims_handlers_cannot_quote_and_agents_see_only_their_own() {
    let (mut app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, Some(fx.customer), false);
    let number: String = quotes::table
        .find(id)
        .select(quotes::number)
        .first(&mut conn)
        .unwrap();

    app.sign_in("tramita@soriano.es", PASSWORD).await;
    assert_eq!(
        app.get("/admin/presupuestos/nuevo").await.status(),
        StatusCode::FORBIDDEN
    );
    let csrf = app.csrf_token("/admin/presupuestos").await;
    let response = app
        .post_form("/admin/presupuestos", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // They may read it.
    assert_eq!(
        app.get(&format!("/admin/presupuestos/{id}")).await.status(),
        StatusCode::OK
    );

    // Another agent: the quote does not exist for them.
    app.client = common::new_client();
    app.sign_in("otro@soriano.es", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/admin/presupuestos/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/admin/presupuestos/{id}/imprimir"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let response = post(&app, &format!("/admin/presupuestos/{id}/enviar"), &[]).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let list = app.get("/admin/presupuestos").await.text().await.unwrap();
    assert!(!list.contains(&number));
    assert_eq!(status_of(&mut conn, id), "draft");

    // Its agent sees it, in the list and through the htmx filter.
    app.client = common::new_client();
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let list = app.get("/admin/presupuestos").await.text().await.unwrap();
    assert!(list.contains(&number));
    let partial = app
        .get_htmx(&format!("/admin/presupuestos?q={number}&estado=draft"))
        .await
        .text()
        .await
        .unwrap();
    assert!(partial.contains(&number));
    assert!(!partial.contains("<html"));
    let partial = app
        .get_htmx("/admin/presupuestos?estado=accepted")
        .await
        .text()
        .await
        .unwrap();
    assert!(!partial.contains(&number));
}

#[actix_web::test]
async fn the_printable_view_shows_the_options_side_by_side() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, None, true);
    // An option priced by a rating engine, with its breakdown.
    diesel::update(quote_options::table.filter(quote_options::quote_id.eq(id)))
        .set(quote_options::breakdown.eq(serde_json::json!({
            "lines": [{"label": "Prima base", "amount_cents": 41000}],
            "total_cents": 45230
        })))
        .execute(&mut conn)
        .unwrap();
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let response = app.get(&format!("/admin/presupuestos/{id}/imprimir")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("layout-print"));
    assert!(body.contains("Soriano Mediadores"));
    assert!(body.contains("Marta Ruiz Gil"));
    assert_eq!(body.matches(r#"<section class="print-option"#).count(), 2);
    assert!(body.contains("452,30"));
    assert!(body.contains("Prima base"));
    let valid = soriano::format::date(portfolio::today() + Duration::days(30));
    assert!(body.contains(&valid));
    let page = app
        .get(&format!("/admin/presupuestos/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Desglose del precio"));
}

/// (status, customer, policy, prospect name) of a demo quote.
type DemoRow = (String, Option<i64>, Option<i64>, Option<String>);

#[test]
fn the_demo_has_quotes_in_every_state_with_policies_for_the_accepted() {
    let db = common::TestDatabase::new();
    let mut conn = db.conn();
    soriano::seed::demo(&mut conn).expect("demo data");
    // The quotes of `demo_quotes` (the e-SORI demo client's own quote is seeded apart).
    let rows: Vec<DemoRow> = quotes::table
        .filter(quotes::notes.ne(soriano::seed::DEMO_PORTAL_QUOTE_NOTE))
        .select((
            quotes::status,
            quotes::customer_id,
            quotes::policy_id,
            quotes::prospect_name,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 60);
    for status in ["draft", "sent", "accepted", "rejected", "expired"] {
        assert!(rows.iter().any(|r| r.0 == status), "{status}");
    }
    for (status, customer, policy, _) in &rows {
        assert_eq!(status == "accepted", policy.is_some());
        if status == "accepted" {
            assert!(customer.is_some());
        }
    }
    assert!(
        rows.iter().any(|r| r.1.is_none() && r.3.is_some()),
        "prospects"
    );
    // Running it again adds nothing.
    assert_eq!(soriano::seed::demo_quotes(&mut conn).unwrap(), 0);
}

#[actix_web::test]
async fn a_customers_quote_has_its_documents_page() {
    let (mut app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, Some(fx.customer), false);
    let prospects = make_quote(&mut conn, &fx, None, false);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/presupuestos/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/documentos?entidad=quote&amp;id={id}")));
    let response = app
        .get(&format!("/admin/documentos?entidad=quote&id={id}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    // A prospect's quote keeps its documents too (the PDF sent to them), under no customer.
    let response = app
        .get(&format!("/admin/documentos?entidad=quote&id={prospects}"))
        .await;
    assert_eq!(response.status(), StatusCode::OK);

    app.client = common::new_client();
    app.sign_in("otro@soriano.es", PASSWORD).await;
    let response = app
        .get(&format!("/admin/documentos?entidad=quote&id={id}"))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn no_policy_is_issued_without_the_distribution_record_or_a_reason() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let id = make_quote(&mut conn, &fx, Some(fx.customer), false);
    domain::send(
        &mut conn,
        PortfolioScope::All,
        id,
        portfolio::today(),
        &system_actor(),
    )
    .unwrap();
    let (option, ..) = first_option(&mut conn, id);
    let option = option.to_string();
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let path = format!("/admin/presupuestos/{id}");
    let (_, page) = get(&app, &path).await;
    assert!(page.contains("Registro de distribución"));
    assert!(page.contains("¿Para qué usa el vehículo?"));
    let today = portfolio::today().to_string();
    let accept = [
        ("opcion", option.as_str()),
        ("numero", "IDD-1"),
        ("efecto", today.as_str()),
        ("forma_pago", "annual"),
    ];

    // Nothing recorded: refused, nothing written.
    let before = count_policies(&mut conn);
    let response = post(&app, &format!("{path}/aceptar"), &accept).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Falta en el registro de distribución: las exigencias y necesidades del cliente; la opción recomendada y el motivo; la entrega de la información previa."), "{html}");
    assert_eq!(count_policies(&mut conn), before);

    // The needs form checks every answer and keeps what was typed.
    let response = post(
        &app,
        &format!("{path}/necesidades"),
        &[("n_uso", "Particular"), ("n_cobertura", "Lo que sea")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="n_cobertura-error""#));
    assert!(html.contains("Elija una de las respuestas de la lista."));
    assert!(html.contains(r#"id="n_asistencia-error""#));
    assert!(html.contains(r#"<option value="Particular" selected>"#));
    assert!(html.contains("Elija la opción que se ajusta a lo que necesita el cliente."));
    let answers = car_needs(&option);
    let typed: Vec<(&str, &str)> = answers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let response = post(&app, &format!("{path}/necesidades"), &typed).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // A delivery by hand needs its proof; by e-mail it goes through the outbox.
    let response = post(
        &app,
        &format!("{path}/informacion-previa"),
        &[("canal", "paper"), ("prueba", " ")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"id="prueba-error""#)
    );
    let response = post(&app, &format!("{path}/informacion-previa/enviar"), &[]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("El cliente no tiene correo electrónico")
    );
    diesel::update(soriano::db::schema::customers::table.find(fx.customer))
        .set(soriano::db::schema::customers::email.eq("ana@example.com"))
        .execute(&mut conn)
        .unwrap();
    let response = post(&app, &format!("{path}/informacion-previa/enviar"), &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (outbox_id, body): (i64, String) = soriano::db::schema::outbound_emails::table
        .filter(soriano::db::schema::outbound_emails::kind.eq("quote.precontract"))
        .select((
            soriano::db::schema::outbound_emails::id,
            soriano::db::schema::outbound_emails::body_text,
        ))
        .first(&mut conn)
        .unwrap();
    assert!(body.contains("Cómo cobramos"));
    let record = soriano::distribution::records::of_quote(&mut conn, id)
        .unwrap()
        .unwrap();
    assert!(record.is_complete(), "{:?}", record.missing());
    let delivery = record.precontract.unwrap();
    assert_eq!(delivery.channel, soriano::distribution::Channel::Email);
    assert!(delivery.proof.contains(&format!("Correo n.º {outbox_id}")));

    // Complete: issued, and the policy shows what it was sold on.
    let response = post(&app, &format!("{path}/aceptar"), &accept).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let policy = location(&response);
    let (_, html) = get(&app, &policy).await;
    assert!(html.contains("Cómo se contrató"));
    assert!(html.contains("Todo riesgo con franquicia al menor precio"));
    assert!(html.contains("Correo electrónico"));

    // Incomplete but with a recorded reason: issued, and the reason is kept and shown.
    let other = make_quote(&mut conn, &fx, Some(fx.customer), false);
    domain::send(
        &mut conn,
        PortfolioScope::All,
        other,
        portfolio::today(),
        &system_actor(),
    )
    .unwrap();
    let (other_option, ..) = first_option(&mut conn, other);
    let other_option = other_option.to_string();
    let response = post(
        &app,
        &format!("/admin/presupuestos/{other}/aceptar"),
        &[
            ("opcion", other_option.as_str()),
            ("numero", "IDD-2"),
            ("efecto", today.as_str()),
            ("forma_pago", "annual"),
            ("motivo_sin_registro", "Renovación anticipada pedida por el cliente por teléfono; se le enviará la documentación"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &location(&response)).await;
    assert!(html.contains("Emitida sin el registro completo."));
    assert!(html.contains("Renovación anticipada pedida por el cliente"));

    // Another agent's quote is not found; a form without CSRF is refused.
    let response = app
        .post_form(&format!("{path}/informacion-previa/enviar"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let (other_agent, status) = app.sign_in_elsewhere("otro@soriano.es", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let body = other_agent
        .get(app.url("/admin/presupuestos"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&body);
    let mut form: Vec<(&str, &str)> = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(&typed);
    let response = other_agent
        .post(app.url(&format!("{path}/necesidades")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_policy_typed_without_a_quote_says_why() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let customer = fx.customer.to_string();
    let carrier = fx.first.carrier.to_string();
    let product = fx.first.product.to_string();
    let today = portfolio::today().to_string();
    let mut form = vec![
        ("cliente", customer.as_str()),
        ("compania", carrier.as_str()),
        ("producto", product.as_str()),
        ("numero", "SINPRES-1"),
        ("efecto", today.as_str()),
        ("prima_neta", "400"),
        ("prima_total", "452,30"),
        ("forma_pago", "annual"),
        ("matricula", "1234 BCD"),
        ("marca", "Seat"),
        ("modelo", "León"),
        ("anio_matriculacion", "2020"),
    ];
    let before = count_policies(&mut conn);
    let response = post(&app, "/admin/polizas", &form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"id="motivo_sin_presupuesto-error""#),
        "{html}"
    );
    assert!(html.contains("Explique por qué se da de alta sin presupuesto"));
    assert!(
        html.contains(r#"value="SINPRES-1""#),
        "what was typed is kept"
    );
    assert_eq!(count_policies(&mut conn), before);
    form.push((
        "motivo_sin_presupuesto",
        "Traspaso de la póliza desde otro mediador",
    ));
    let response = post(&app, "/admin/polizas", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (_, html) = get(&app, &location(&response)).await;
    assert!(html.contains(
        "Dada de alta sin presupuesto. Motivo: Traspaso de la póliza desde otro mediador"
    ));
}

/// "Enviar al cliente": the quote's PDF is written (options side by side, premiums in euros),
/// published in e-SORI, and the rule's e-mail carries it; each delivery is recorded.
#[actix_web::test]
async fn sending_a_quote_writes_its_pdf_publishes_it_and_the_email_carries_it() {
    use soriano::db::schema::{document_deliveries, documents, outbound_emails};
    use soriano::documents::{PgStorage, Storage};
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    diesel::update(customers::table.find(fx.customer))
        .set(customers::email.eq("ana.prueba@example.es"))
        .execute(&mut conn)
        .unwrap();
    let id = make_quote(&mut conn, &fx, Some(fx.customer), false);
    let prospect = make_quote(&mut conn, &fx, None, false);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    for quote in [id, prospect] {
        let token = app
            .csrf_token(&format!("/admin/presupuestos/{quote}"))
            .await;
        let response = app
            .post_form(
                &format!("/admin/presupuestos/{quote}/enviar"),
                &[("csrf_token", token.as_str())],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let number: String = quotes::table
        .find(id)
        .select(quotes::number)
        .first(&mut conn)
        .unwrap();
    let document: soriano::documents::Document = documents::table
        .filter(documents::entity_type.eq("quote"))
        .filter(documents::entity_id.eq(id))
        .filter(documents::kind.eq("presupuesto"))
        .select(soriano::documents::Document::as_select())
        .first(&mut conn)
        .unwrap();
    assert!(document.visible_to_client, "published in e-SORI");
    assert_eq!(document.customer_id, Some(fx.customer));
    let text = common::pdf_text(&PgStorage.get(&mut conn, document.id).unwrap());
    assert!(text.contains(&format!("Presupuesto {number}")), "{text}");
    assert!(text.contains("Prueba, Ana"), "{text}");
    assert!(
        text.contains("452,30 €") && text.contains("420,00 €"),
        "{text}"
    );
    assert!(
        text.contains("Opción 1") && text.contains("Opción 2"),
        "{text}"
    );
    assert!(text.contains("Prima total anual"), "{text}");
    assert!(text.contains("Clave DGSFP"), "{text}");

    // The prospect's quote keeps its PDF too, under no customer and not in e-SORI.
    let (prospect_customer, prospect_visible): (Option<i64>, bool) = documents::table
        .filter(documents::entity_type.eq("quote"))
        .filter(documents::entity_id.eq(prospect))
        .select((documents::customer_id, documents::visible_to_client))
        .first(&mut conn)
        .unwrap();
    assert_eq!((prospect_customer, prospect_visible), (None, false));

    // The "Envío del presupuesto" rule e-mails it, with the PDF attached.
    common::run_automation(&mut conn);
    let attached: Vec<(String, Option<i64>)> = outbound_emails::table
        .filter(outbound_emails::kind.eq("automation.presupuesto_enviado"))
        .order(outbound_emails::id)
        .select((
            outbound_emails::to_address,
            outbound_emails::attachment_document_id,
        ))
        .load(&mut conn)
        .unwrap();
    assert!(
        attached.contains(&("ana.prueba@example.es".to_owned(), Some(document.id))),
        "{attached:?}"
    );
    assert!(
        attached
            .iter()
            .any(|(to, doc)| to == "marta@example.com" && doc.is_some())
    );
    let channels: Vec<String> = document_deliveries::table
        .filter(document_deliveries::document_id.eq(document.id))
        .order(document_deliveries::id)
        .select(document_deliveries::channel)
        .load(&mut conn)
        .unwrap();
    assert_eq!(channels, vec!["portal".to_owned(), "email".to_owned()]);

    // The pre-contract pack is generated from the same quote.
    let token = app
        .csrf_token(&format!("/admin/documentos?entidad=quote&id={id}"))
        .await;
    let id_text = id.to_string();
    let response = app
        .post_form(
            "/admin/documentos/generar",
            &[
                ("csrf_token", token.as_str()),
                ("entidad", "quote"),
                ("id", id_text.as_str()),
                ("tipo", "informacion_previa"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let pack: i64 = documents::table
        .filter(documents::entity_id.eq(id))
        .filter(documents::kind.eq("informacion_previa"))
        .select(documents::id)
        .first(&mut conn)
        .unwrap();
    let text = common::pdf_text(&PgStorage.get(&mut conn, pack).unwrap());
    assert!(
        text.contains("Información previa a la contratación"),
        "{text}"
    );
    assert!(
        text.contains("Registro de exigencias y necesidades"),
        "{text}"
    );
    assert!(text.contains("Todavía no se han registrado."), "{text}");
}
