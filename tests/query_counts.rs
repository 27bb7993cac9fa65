//! No N+1 queries: every signed-in page (back-office and e-SORI) runs the same number of SQL
//! statements whether its lists hold a few rows or many, and that number is the page's budget.
//! Diesel's instrumentation counts every statement the app sends (this binary holds one test,
//! so nothing else runs queries meanwhile).

mod common;

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Duration, Utc};
use diesel::connection::{Instrumentation, InstrumentationEvent, set_default_instrumentation};
use diesel::prelude::*;
use soriano::audit::{self, Action, NewEntry};
use soriano::auth::staff::Role;
use soriano::db::schema::{
    claim_events, claims, customers, interactions, policies, policy_endorsements, products,
    receipts, tasks,
};

use common::{TestApp, create_staff};

static QUERIES: AtomicUsize = AtomicUsize::new(0);
static LAST_QUERIES: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct CountQueries;

impl Instrumentation for CountQueries {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::StartQuery { query, .. } = event {
            QUERIES.fetch_add(1, Ordering::SeqCst);
            LAST_QUERIES
                .lock()
                .unwrap()
                .push(format!("{query}").chars().take(200).collect());
        }
    }
}

const PASSWORD: &str = "Contraseña-de-prueba-2026";

/// `count` customers of `owner`, each with two policies (one ending soon), a claim with a few
/// events, a task, two interactions and audit history. Returns the first customer's ids.
fn portfolio(conn: &mut PgConnection, owner: i64, start: usize, count: usize) -> (i64, i64, i64) {
    let (product, carrier, line): (i64, i64, i64) = products::table
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .unwrap();
    let today = Utc::now().date_naive();
    let mut first = None;
    for n in start..start + count {
        let number = 10_000_000 + n as u32;
        let letter = b"TRWAGMYFPDXBNJZSQVHLCKE"[(number % 23) as usize] as char;
        let customer: i64 = diesel::insert_into(customers::table)
            .values((
                customers::kind.eq("person"),
                customers::tax_id.eq(format!("{number}{letter}")),
                customers::given_name.eq(format!("Cliente {n}")),
                customers::family_name.eq("Prueba Consultas"),
                customers::display_name.eq(format!("Prueba Consultas, Cliente {n}")),
                customers::phone.eq(format!("6{:08}", n)),
                customers::email.eq(format!("cliente{n}@example.es")),
                customers::owner_staff_id.eq(owner),
            ))
            .returning(customers::id)
            .get_result(conn)
            .unwrap();
        let mut policy_ids = Vec::new();
        for p in 0..2 {
            let policy: i64 = diesel::insert_into(policies::table)
                .values((
                    policies::customer_id.eq(customer),
                    policies::carrier_id.eq(carrier),
                    policies::product_id.eq(product),
                    policies::line_id.eq(line),
                    policies::number.eq(format!("QC-{n}-{p}")),
                    policies::start_date.eq(today - Duration::days(300)),
                    policies::end_date.eq(today + Duration::days(20 + p * 100)),
                    policies::net_premium_cents.eq(30000),
                    policies::total_premium_cents.eq(32400),
                    policies::payment_frequency.eq("annual"),
                    policies::agent_staff_id.eq(owner),
                ))
                .returning(policies::id)
                .get_result(conn)
                .unwrap();
            diesel::insert_into(policy_endorsements::table)
                .values((
                    policy_endorsements::policy_id.eq(policy),
                    policy_endorsements::effective_date.eq(today - Duration::days(10)),
                    policy_endorsements::description.eq("Cambio de domicilio"),
                    policy_endorsements::created_by_staff_id.eq(owner),
                ))
                .execute(conn)
                .unwrap();
            soriano::receipts::generate_for_policy(conn, policy).unwrap();
            policy_ids.push(policy);
        }
        let claim: i64 = diesel::insert_into(claims::table)
            .values((
                claims::number.eq(format!("SIN-2026-{:06}", n + 1)),
                claims::policy_id.eq(policy_ids[0]),
                claims::customer_id.eq(customer),
                claims::incident_date.eq(today - Duration::days(3)),
                claims::kind.eq("colisión"),
                claims::description.eq("Golpe en el aparcamiento"),
                claims::handler_staff_id.eq(owner),
            ))
            .returning(claims::id)
            .get_result(conn)
            .unwrap();
        for note in ["Apertura", "Llamada al perito", "Fotos recibidas"] {
            diesel::insert_into(claim_events::table)
                .values((
                    claim_events::claim_id.eq(claim),
                    claim_events::staff_id.eq(owner),
                    claim_events::note.eq(note),
                ))
                .execute(conn)
                .unwrap();
        }
        diesel::insert_into(tasks::table)
            .values((
                tasks::title.eq(format!("Llamar a cliente {n}")),
                tasks::due_date.eq(today - Duration::days(1)),
                tasks::assignee_staff_id.eq(owner),
                tasks::created_by_staff_id.eq(owner),
                tasks::customer_id.eq(customer),
                tasks::entity_type.eq("customer"),
                tasks::entity_id.eq(customer),
            ))
            .execute(conn)
            .unwrap();
        for kind in ["call", "note"] {
            diesel::insert_into(interactions::table)
                .values((
                    interactions::customer_id.eq(customer),
                    interactions::kind.eq(kind),
                    interactions::summary.eq("Habla de la renovación"),
                    interactions::staff_id.eq(owner),
                ))
                .execute(conn)
                .unwrap();
        }
        for (action, target, id) in [
            (Action::CustomerUpdated, audit::target::CUSTOMER, customer),
            (Action::PolicyCreated, audit::target::POLICY, policy_ids[0]),
            (Action::ClaimOpened, audit::target::CLAIM, claim),
        ] {
            audit::record(
                conn,
                &NewEntry {
                    actor_staff_id: Some(owner),
                    actor_label: "agente@soriano.test",
                    action,
                    target_type: Some(target),
                    target_id: Some(id),
                    ip: "127.0.0.1",
                    user_agent: "test",
                    details: serde_json::json!({"phone": {"before": "600000000", "after": "611111111"}}),
                },
            )
            .unwrap();
        }
        first.get_or_insert((customer, policy_ids[0], claim));
    }
    first.unwrap()
}

/// Statements the app runs to answer `path` once warm (session extended, caches filled).
async fn queries_for(app: &TestApp, path: &str) -> (usize, Vec<String>) {
    for _ in 0..2 {
        let response = app.get(path).await;
        assert_eq!(response.status(), 200, "{path}");
        response.bytes().await.unwrap();
    }
    LAST_QUERIES.lock().unwrap().clear();
    let before = QUERIES.load(Ordering::SeqCst);
    let response = app.get(path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.bytes().await.unwrap();
    let count = QUERIES.load(Ordering::SeqCst) - before;
    (count, LAST_QUERIES.lock().unwrap().clone())
}

/// The statements each page runs once warm: one for the session with its staff member (see
/// `auth::sessions::load_with_owner`), then the page's own. A page that starts running more
/// fails here, so a regression (an N+1, a count per row, a second read of the signed-in user)
/// is caught by CI rather than by the benchmark.
fn budget(page: &str) -> usize {
    // The page with its record ids as `{id}`: "/admin/clientes/{id}".
    let mut shape = String::new();
    let mut in_number = false;
    for c in page.chars() {
        if c.is_ascii_digit() {
            if !in_number {
                shape.push_str("{id}");
            }
            in_number = true;
        } else {
            in_number = false;
            shape.push(c);
        }
    }
    match shape.as_str() {
        // The open tasks with their counts in one statement (a window over the rows before
        // the LIMIT); the counts of expiring policies, open claims and new leads in one; the
        // expiring policies and open claims listed.
        "/admin/" => 5,
        // Rows, and the capped count of the total.
        "/admin/clientes" => 3,
        // The planner's estimate of the matches (a common beginning is not counted), the
        // capped count, the rows; the statements fold the search words themselves.
        "/admin/clientes?q=prueba" => 4,
        // The customer, the access-log entry (RGPD), owner, consents, policies, claims,
        // quotes and the timeline.
        "/admin/clientes/{id}" => 9,
        // Rows, capped count, counts per carrier and line (running counts), and the filter
        // form's carriers, lines and agents.
        "/admin/polizas" => 7,
        "/admin/polizas/vencimientos" => 3,
        "/admin/polizas/{id}" => 12,
        "/admin/recibos" => 5,
        "/admin/recibos?estado=pendiente" => 5,
        "/admin/siniestros" => 3,
        "/admin/siniestros/{id}" => 6,
        "/admin/tareas" => 4,
        "/admin/presupuestos" => 7,
        "/admin/documentos?entidad=customer&id={id}" => 4,
        "/admin/buscar?q=QC" => 5,
        // Rows, the totals (running totals), carriers and agents of the filter form.
        "/admin/comisiones" => 5,
        _ => panic!("no statement budget for {page} ({shape})"),
    }
}

#[actix_web::test]
async fn signed_in_pages_run_a_fixed_number_of_statements_whatever_the_data() {
    set_default_instrumentation(|| Some(Box::new(CountQueries))).unwrap();
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::demo_site(conn).unwrap();
        create_staff(conn, "agente@soriano.test", Role::Agent, PASSWORD);
    })
    .await;
    let mut conn = app.db.conn();
    let owner: i64 = soriano::db::schema::staff_users::table
        .select(soriano::db::schema::staff_users::id)
        .filter(soriano::db::schema::staff_users::email.eq("agente@soriano.test"))
        .first(&mut conn)
        .unwrap();
    let (customer, policy, claim) = portfolio(&mut conn, owner, 0, 2);
    app.sign_in("agente@soriano.test", PASSWORD).await;

    let pages = [
        "/admin/".to_owned(),
        "/admin/clientes".to_owned(),
        "/admin/clientes?q=prueba".to_owned(),
        format!("/admin/clientes/{customer}"),
        "/admin/polizas".to_owned(),
        "/admin/polizas/vencimientos".to_owned(),
        format!("/admin/polizas/{policy}"),
        "/admin/recibos".to_owned(),
        "/admin/recibos?estado=pendiente".to_owned(),
        "/admin/siniestros".to_owned(),
        format!("/admin/siniestros/{claim}"),
        "/admin/tareas".to_owned(),
        "/admin/presupuestos".to_owned(),
        format!("/admin/documentos?entidad=customer&id={customer}"),
        "/admin/buscar?q=QC".to_owned(),
        "/admin/comisiones".to_owned(),
    ];
    let mut few = Vec::new();
    for page in &pages {
        few.push(queries_for(&app, page).await);
    }

    // Many more rows in every list, and on the records whose detail pages were measured.
    portfolio(&mut conn, owner, 2, 30);
    for n in 0..8 {
        diesel::insert_into(claim_events::table)
            .values((
                claim_events::claim_id.eq(claim),
                claim_events::staff_id.eq(owner),
                claim_events::note.eq(format!("Seguimiento {n}")),
            ))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(policy_endorsements::table)
            .values((
                policy_endorsements::policy_id.eq(policy),
                policy_endorsements::effective_date.eq(Utc::now().date_naive()),
                policy_endorsements::description.eq(format!("Suplemento {n}")),
                policy_endorsements::created_by_staff_id.eq(owner),
            ))
            .execute(&mut conn)
            .unwrap();
        let day = Utc::now().date_naive() - Duration::days(200 - 10 * n);
        diesel::insert_into(receipts::table)
            .values((
                receipts::policy_id.eq(policy),
                receipts::customer_id.eq(customer),
                receipts::number.eq(format!("R-QC-{n}")),
                receipts::period_start.eq(day),
                receipts::period_end.eq(day + Duration::days(10)),
                receipts::due_date.eq(day),
                receipts::amount_cents.eq(1000),
                receipts::net_cents.eq(900),
                receipts::status.eq(if n % 2 == 0 { "pendiente" } else { "anulado" }),
                receipts::cancelled_on.eq((n % 2 == 1).then_some(day)),
            ))
            .execute(&mut conn)
            .unwrap();
        diesel::insert_into(interactions::table)
            .values((
                interactions::customer_id.eq(customer),
                interactions::kind.eq("whatsapp"),
                interactions::summary.eq(format!("Mensaje {n}")),
                interactions::staff_id.eq(owner),
            ))
            .execute(&mut conn)
            .unwrap();
    }

    let mut over = Vec::new();
    for (page, (few_count, few_queries)) in pages.iter().zip(few) {
        let (many_count, many_queries) = queries_for(&app, page).await;
        eprintln!("{many_count:>3} queries  {page}");
        assert!(
            few_count > 0,
            "{page}: no queries counted; is the instrumentation installed?"
        );
        assert_eq!(
            few_count, many_count,
            "{page}: {few_count} queries with few rows, {many_count} with many (N+1?)\n\
             few: {few_queries:#?}\nmany: {many_queries:#?}"
        );
        let budget = budget(page);
        if many_count != budget {
            over.push(format!(
                "{page} runs {many_count} statements, its budget is {budget}: {many_queries:#?}"
            ));
        }
    }

    // e-SORI, signed in as the first customer: the session with its client account in one
    // statement, then the page in one transaction under the row-level-security role (BEGIN,
    // the role and the customer in one statement, the page's reads, COMMIT).
    let hash = soriano::auth::password::hash(PASSWORD).unwrap();
    diesel::insert_into(soriano::db::schema::client_users::table)
        .values((
            soriano::db::schema::client_users::customer_id.eq(customer),
            soriano::db::schema::client_users::email.eq("cliente0@example.es"),
            soriano::db::schema::client_users::password_hash.eq(hash),
            soriano::db::schema::client_users::email_confirmed_at.eq(Utc::now()),
        ))
        .execute(&mut conn)
        .unwrap();
    let token = app.csrf_token("/portal/entrar").await;
    let signed_in = app
        .post_form(
            "/portal/entrar",
            &[
                ("csrf_token", token.as_str()),
                ("email", "cliente0@example.es"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status(), 303);
    for (page, budget) in [
        // Policies in force, open claims, unread messages, unpaid receipts, quotes awaiting an
        // answer and the published documents.
        ("/portal/inicio", 10),
        ("/portal/polizas", 5),
    ] {
        let (count, queries) = queries_for(&app, page).await;
        eprintln!("{count:>3} queries  {page}");
        if count != budget {
            over.push(format!(
                "{page} runs {count} statements, its budget is {budget}: {queries:#?}"
            ));
        }
    }

    // A visitor's landing form, the second of the day (the agents' turn rows exist): BEGIN,
    // the form token claimed, the rate limit's lock and count, the contact's lock, the open
    // leads sharing the contact, the agents with their turns, the turn taken, the lead, the
    // submission with consents, token, conversion and event, both e-mails, COMMIT.
    const LANDING_POST: usize = 12;
    for (n, (email, phone)) in [
        ("visita1@example.es", "611223344"),
        ("visita2@example.es", "622334455"),
    ]
    .into_iter()
    .enumerate()
    {
        let (count, queries) = landing_post(&app, email, phone).await;
        eprintln!("{count:>3} queries  POST /l/seguro-hogar ({n})");
        if n == 1 && count != LANDING_POST {
            over.push(format!(
                "POST /l/seguro-hogar runs {count} statements, its budget is {LANDING_POST}: \
                 {queries:#?}"
            ));
        }
    }

    // Update a budget only with a reason (and downwards whenever a page gets cheaper).
    assert!(over.is_empty(), "{}", over.join("\n"));
}

/// Statements of one landing form sent by a new visitor (the page fetched first, as a
/// browser does), which must create a lead.
async fn landing_post(app: &TestApp, email: &str, phone: &str) -> (usize, Vec<String>) {
    let path = "/l/seguro-hogar";
    let page = app.get(path).await;
    assert_eq!(page.status(), 200, "{path}");
    let html = page.text().await.unwrap();
    let hidden = |name: &str| {
        let re = regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#)).unwrap();
        re.captures(&html)
            .map(|c| c[1].to_owned())
            .unwrap_or_else(|| panic!("no hidden field {name} in {path}"))
    };
    let key = soriano::landings::spam::stamp_key(&app.state.config.secret_key);
    let started = soriano::landings::spam::stamp(&key, Utc::now() - Duration::seconds(30));
    let (csrf, token, variant) = (
        hidden("csrf_token"),
        hidden("form_token"),
        hidden("variante"),
    );
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("inicio", started.as_str()),
        ("variante", variant.as_str()),
        ("sitio_web", ""),
        ("nombre", "Lucía Martín"),
        ("telefono", phone),
        ("email", email),
        ("cp", "28001"),
        ("vivienda", "Piso"),
        ("privacidad", "si"),
        ("comunicaciones", "si"),
    ];
    LAST_QUERIES.lock().unwrap().clear();
    let before = QUERIES.load(Ordering::SeqCst);
    let response = app.post_form(path, &fields).await;
    assert_eq!(response.status(), 303, "POST {path}");
    assert_eq!(
        response.headers()["location"],
        "/l/seguro-hogar/gracias",
        "POST {path}"
    );
    let count = QUERIES.load(Ordering::SeqCst) - before;
    (count, LAST_QUERIES.lock().unwrap().clone())
}
