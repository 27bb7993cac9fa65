//! Claims in the back-office: opening one, its life cycle, notes, the queue, who may do what.

use crate::common;
use crate::portfolio;

use chrono::Duration;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::audit::Actor;
use soriano::auth::permissions::PortfolioScope;
use soriano::auth::staff::{self, Role};
use soriano::claims::{self as domain, ClaimError, OpenClaim};
use soriano::db::schema::{audit_log, claim_events, claims};

const PASSWORD: &str = "una clave larga de prueba";

struct Fixture {
    handler: i64,
    agent: i64,
    other_agent: i64,
    /// A live policy of a customer of `agent`.
    policy: i64,
    customer: i64,
    /// A live policy of a customer of `other_agent`.
    other_policy: i64,
}

async fn spawn() -> (TestApp, Fixture) {
    let mut fixture = None;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let handler = create_staff(conn, "tramita@soriano.es", Role::Claims, PASSWORD);
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        let other_agent = create_staff(conn, "otro@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        let customer = portfolio::customer(conn, 1, "Ana", Some(agent));
        let other_customer = portfolio::customer(conn, 2, "Luis", Some(other_agent));
        let policy = portfolio::live_policy(conn, customer, "POL-1");
        let other_policy = portfolio::live_policy(conn, other_customer, "POL-2");
        fixture = Some(Fixture {
            handler,
            agent,
            other_agent,
            policy,
            customer,
            other_policy,
        });
    })
    .await;
    (app, fixture.unwrap())
}

fn token_from(html: &str) -> String {
    let re = regex::Regex::new(r#"name="token" value="([^"]+)""#).unwrap();
    re.captures(html).expect("form token")[1].to_owned()
}

fn claim_id_from(location: &str) -> i64 {
    location
        .trim_start_matches("/admin/siniestros/")
        .parse()
        .expect("claim id in the location")
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

/// Submits the new claim form for `policy` with `fields` overriding the defaults.
async fn submit_claim(app: &TestApp, policy: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let page = app
        .get(&format!("/admin/siniestros/nuevo?poliza={policy}"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&page);
    let token = token_from(&page);
    let yesterday = (portfolio::today() - Duration::days(1)).to_string();
    let policy = policy.to_string();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", &csrf),
        ("token", &token),
        ("poliza", &policy),
        ("fecha", &yesterday),
        ("tipo", "collision"),
        ("descripcion", "Golpe por alcance en un semáforo."),
        ("lugar", "Madrid"),
        ("importe", "1.250,50"),
    ];
    for (name, value) in fields {
        form.retain(|(n, _)| n != name);
        form.push((name, value));
    }
    app.post_form("/admin/siniestros", &form).await
}

fn actor(conn: &mut PgConnection, email: &str) -> Actor {
    let user = staff::find_by_email(conn, email).unwrap().unwrap();
    Actor::new(&user, "127.0.0.1", "test")
}

/// Opens a claim directly through the domain, as `email`.
fn open_claim(conn: &mut PgConnection, policy: i64, email: &str) -> i64 {
    let by = actor(conn, email);
    domain::open(
        conn,
        PortfolioScope::All,
        &OpenClaim {
            policy_id: policy,
            incident_date: portfolio::today() - Duration::days(2),
            kind: "glass".into(),
            description: "Luna rota.".into(),
            place: String::new(),
            claimed_cents: Some(50_000),
        },
        &by,
    )
    .unwrap()
    .id
}

fn status_of(conn: &mut PgConnection, id: i64) -> String {
    claims::table
        .find(id)
        .select(claims::status)
        .first(conn)
        .unwrap()
}

async fn post_status(app: &TestApp, id: i64, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = app.csrf_token(&format!("/admin/siniestros/{id}")).await;
    let mut form = vec![("csrf_token", csrf.as_str())];
    form.extend_from_slice(fields);
    app.post_form(&format!("/admin/siniestros/{id}/estado"), &form)
        .await
}

#[actix_web::test]
async fn a_claims_handler_opens_a_claim_with_its_first_event_and_audit_entry() {
    let (app, f) = spawn().await;
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let response = submit_claim(&app, f.policy, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = claim_id_from(&location(&response));
    let mut conn = app.db.conn();
    let claim: domain::Claim = claims::table
        .find(id)
        .select(domain::Claim::as_select())
        .first(&mut conn)
        .unwrap();
    let year = portfolio::today().format("%Y").to_string();
    assert_eq!(claim.number, format!("SIN-{year}-000001"));
    assert_eq!(claim.customer_id, f.customer);
    assert_eq!(claim.handler_staff_id, Some(f.handler));
    assert_eq!(claim.status.code(), "open");
    assert_eq!(claim.claimed_cents, Some(125_050));
    let events: Vec<Option<String>> = claim_events::table
        .filter(claim_events::claim_id.eq(id))
        .select(claim_events::to_status)
        .load(&mut conn)
        .unwrap();
    assert_eq!(events, vec![Some("open".to_owned())]);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("claim.opened"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);

    let page = app.get(&location(&response)).await.text().await.unwrap();
    assert!(page.contains(&format!("SIN-{year}-000001")));
    assert!(page.contains(">abierto</span>"));
    assert!(page.contains(&format!("/admin/polizas/{}", f.policy)));
    assert!(page.contains(&format!("/admin/clientes/{}", f.customer)));
    assert!(page.contains("1.250,50 €"));
    // Exactly the allowed move is offered.
    assert!(page.contains(r#"data-transition="in_progress""#));
    assert!(!page.contains(r#"data-transition="paid""#));

    // The second claim of the year gets the next number.
    let second = submit_claim(&app, f.policy, &[]).await;
    let second_id = claim_id_from(&location(&second));
    let number: String = claims::table
        .find(second_id)
        .select(claims::number)
        .first(&mut conn)
        .unwrap();
    assert_eq!(number, format!("SIN-{year}-000002"));
    app.stop().await;
}

#[actix_web::test]
async fn incident_dates_outside_the_coverage_or_in_the_future_are_refused() {
    let (app, f) = spawn().await;
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let before = (portfolio::today() - Duration::days(400)).to_string();
    let response = submit_claim(&app, f.policy, &[("fecha", &before)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("La fecha del siniestro debe estar dentro de la vigencia de la póliza"),
        "{body}"
    );
    assert!(body.contains(r#"id="fecha-error""#));
    // Values are kept.
    assert!(body.contains("Golpe por alcance en un semáforo."));

    let tomorrow = (portfolio::today() + Duration::days(1)).to_string();
    let response = submit_claim(&app, f.policy, &[("fecha", &tomorrow)]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("La fecha del siniestro no puede ser posterior a hoy."));

    let count: i64 = claims::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 0);
    app.stop().await;
}

#[actix_web::test]
async fn a_bad_amount_or_missing_fields_are_shown_next_to_the_fields() {
    let (app, f) = spawn().await;
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let response = submit_claim(
        &app,
        f.policy,
        &[("importe", "mil euros"), ("tipo", ""), ("descripcion", " ")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains(r#"id="importe-error""#));
    assert!(body.contains(r#"id="tipo-error""#));
    assert!(body.contains("Describa lo ocurrido."));
    assert!(body.contains(r#"value="mil euros""#));
    let count: i64 = claims::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 0);
    app.stop().await;
}

#[actix_web::test]
async fn a_policy_outside_the_agents_portfolio_is_not_found() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let by = actor(&mut conn, "agente@soriano.es");
    let command = OpenClaim {
        policy_id: f.other_policy,
        incident_date: portfolio::today(),
        kind: "theft".into(),
        description: "Robo.".into(),
        place: String::new(),
        claimed_cents: None,
    };
    let result = conn
        .transaction(|conn| domain::open(conn, PortfolioScope::OwnedBy(f.agent), &command, &by));
    assert!(matches!(result, Err(ClaimError::NotFound)), "{result:?}");

    // Agents read the claims of their own customers only.
    let own = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    let other = open_claim(&mut conn, f.other_policy, "tramita@soriano.es");
    app.sign_in("agente@soriano.es", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/admin/siniestros/{own}")).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get(&format!("/admin/siniestros/{other}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let queue = app
        .get("/admin/siniestros?filtro=todos")
        .await
        .text()
        .await
        .unwrap();
    assert!(queue.contains("POL-1") && !queue.contains("POL-2"));
    // And change nothing.
    let csrf = app.csrf_token(&format!("/admin/siniestros/{own}")).await;
    for path in ["estado", "notas", "tramitador"] {
        let response = app
            .post_form(
                &format!("/admin/siniestros/{own}/{path}"),
                &[
                    ("csrf_token", csrf.as_str()),
                    ("estado", "in_progress"),
                    ("nota", "x"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    assert_eq!(status_of(&mut conn, own), "open");
    // Clients phone their agent: an agent opens a claim for their own customer's policy, and
    // another agent's policy does not exist for them.
    let response = submit_claim(&app, f.policy, &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!(
            "/admin/siniestros/nuevo?poliza={}",
            f.other_policy
        ))
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    let _ = f.other_agent;
    app.stop().await;
}

#[actix_web::test]
async fn submitting_the_same_form_twice_opens_one_claim() {
    let (app, f) = spawn().await;
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/siniestros/nuevo?poliza={}", f.policy))
        .await
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&page);
    let token = token_from(&page);
    let date = portfolio::today().to_string();
    let policy = f.policy.to_string();
    let form = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("poliza", policy.as_str()),
        ("fecha", date.as_str()),
        ("tipo", "fire"),
        ("descripcion", "Incendio en la cocina."),
    ];
    let first = app.post_form("/admin/siniestros", &form).await;
    let second = app.post_form("/admin/siniestros", &form).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second));
    let count: i64 = claims::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 1);
    app.stop().await;
}

#[actix_web::test]
async fn a_claim_walks_its_whole_life_cycle_and_refuses_other_moves() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let id = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    app.sign_in("tramita@soriano.es", PASSWORD).await;

    // A move the claim cannot take: 422 with the reason, nothing changes.
    let response = post_status(&app, id, &[("estado", "paid"), ("importe", "10")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Un siniestro abierto no puede pasar a pagado."));
    assert_eq!(status_of(&mut conn, id), "open");
    let response = post_status(&app, id, &[("estado", "volando")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    for (to, fields) in [
        ("in_progress", vec![]),
        ("assessed", vec![("nota", "Informe del perito recibido.")]),
        ("accepted", vec![("importe", "400,00")]),
        ("paid", vec![("importe", "400")]),
        ("closed", vec![]),
        (
            "in_progress",
            vec![("nota", "Factura adicional del taller.")],
        ),
    ] {
        let mut form = vec![("estado", to)];
        form.extend(fields);
        let response = post_status(&app, id, &form).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "→ {to}");
        assert_eq!(status_of(&mut conn, id), to);
        if to == "closed" {
            let closed: Option<chrono::DateTime<chrono::Utc>> = claims::table
                .find(id)
                .select(claims::closed_at)
                .first(&mut conn)
                .unwrap();
            assert!(closed.is_some());
        }
    }
    let (accepted, paid, closed_at): (
        Option<i64>,
        Option<i64>,
        Option<chrono::DateTime<chrono::Utc>>,
    ) = claims::table
        .find(id)
        .select((
            claims::accepted_cents,
            claims::paid_cents,
            claims::closed_at,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((accepted, paid), (Some(40_000), Some(40_000)));
    assert_eq!(closed_at, None, "reopening clears the closing date");
    let events: i64 = claim_events::table
        .filter(claim_events::claim_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(events, 7);
    let audited: Vec<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("claim.status_changed"))
        .filter(audit_log::target_id.eq(id))
        .order(audit_log::id)
        .select(audit_log::details)
        .load(&mut conn)
        .unwrap();
    assert_eq!(audited.len(), 6);
    assert_eq!(audited[0]["estado"]["before"], "open");
    assert_eq!(audited[0]["estado"]["after"], "in_progress");

    // The rejection path: a reason is required, then it closes.
    let other = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    post_status(&app, other, &[("estado", "in_progress")]).await;
    post_status(&app, other, &[("estado", "assessed")]).await;
    let response = post_status(&app, other, &[("estado", "rejected")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el motivo.")
    );
    let response = post_status(
        &app,
        other,
        &[("estado", "rejected"), ("nota", "Daño excluido.")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = post_status(&app, other, &[("estado", "closed")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut conn, other), "closed");
    app.stop().await;
}

#[actix_web::test]
async fn accepting_needs_an_amount_and_payments_stay_within_it() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let id = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    post_status(&app, id, &[("estado", "in_progress")]).await;
    post_status(&app, id, &[("estado", "assessed")]).await;
    let response = post_status(&app, id, &[("estado", "accepted")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el importe aceptado.")
    );
    let response = post_status(&app, id, &[("estado", "accepted"), ("importe", "abc")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(&mut conn, id), "assessed");
    post_status(&app, id, &[("estado", "accepted"), ("importe", "300")]).await;
    let response = post_status(&app, id, &[("estado", "paid"), ("importe", "300,01")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("El importe pagado no puede superar el aceptado (300,00 €).")
    );
    let response = post_status(&app, id, &[("estado", "paid")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(status_of(&mut conn, id), "accepted");
    let response = post_status(&app, id, &[("estado", "paid"), ("importe", "250")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/admin/siniestros/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("300,00 €") && page.contains("250,00 €"));
    assert!(page.contains(">pagado</span>"));
    app.stop().await;
}

#[actix_web::test]
async fn a_note_added_with_htmx_comes_back_as_a_timeline_entry() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let id = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token(&format!("/admin/siniestros/{id}")).await;
    let response = app
        .client
        .post(app.url(&format!("/admin/siniestros/{id}/notas")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .form(&[("nota", "El cliente envía fotos del daño.")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.starts_with("<li"), "{body}");
    assert!(body.contains("El cliente envía fotos del daño."));
    assert!(!body.contains("<html"));

    let response = app
        .client
        .post(app.url(&format!("/admin/siniestros/{id}/notas")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &csrf)
        .form(&[("nota", "  ")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.headers()["hx-retarget"], "#nota-error");
    assert_eq!(response.text().await.unwrap(), "Escriba la nota.");

    // Without htmx: back to the page.
    let response = app
        .post_form(
            &format!("/admin/siniestros/{id}/notas"),
            &[("csrf_token", csrf.as_str()), ("nota", "Segunda nota.")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let notes: i64 = claim_events::table
        .filter(claim_events::claim_id.eq(id))
        .filter(claim_events::to_status.is_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(notes, 2);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("claim.note_added"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 2);
    app.stop().await;
}

#[actix_web::test]
async fn the_queue_lists_waiting_claims_oldest_first_with_filters() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    // Opened by a supervisor: unassigned.
    let unassigned = open_claim(&mut conn, f.policy, "jefa@soriano.es");
    let mine_old = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    let mine_new = open_claim(&mut conn, f.other_policy, "tramita@soriano.es");
    let done = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    let now = chrono::Utc::now();
    for (id, days) in [(unassigned, 3), (mine_old, 10), (mine_new, 1), (done, 20)] {
        diesel::update(claims::table.find(id))
            .set(claims::opened_at.eq(now - Duration::days(days)))
            .execute(&mut conn)
            .unwrap();
    }
    diesel::update(claims::table.find(done))
        .set(claims::status.eq("rejected"))
        .execute(&mut conn)
        .unwrap();
    let number = |id: i64, conn: &mut PgConnection| -> String {
        claims::table
            .find(id)
            .select(claims::number)
            .first(conn)
            .unwrap()
    };
    let (n_unassigned, n_old, n_new, n_done) = (
        number(unassigned, &mut conn),
        number(mine_old, &mut conn),
        number(mine_new, &mut conn),
        number(done, &mut conn),
    );
    app.sign_in("tramita@soriano.es", PASSWORD).await;

    // A claims handler sees their own queue by default, oldest first.
    let body = app.get("/admin/siniestros").await.text().await.unwrap();
    let (old, new) = (body.find(&n_old).unwrap(), body.find(&n_new).unwrap());
    assert!(old < new);
    assert!(!body.contains(&n_unassigned) && !body.contains(&n_done));
    assert!(body.contains("10 días"));

    let body = app
        .get("/admin/siniestros?filtro=sin-asignar")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(&n_unassigned) && !body.contains(&n_old));

    let body = app
        .get("/admin/siniestros?filtro=todos")
        .await
        .text()
        .await
        .unwrap();
    let positions: Vec<usize> = [&n_old, &n_unassigned, &n_new]
        .iter()
        .map(|n| body.find(n.as_str()).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{positions:?}");
    assert!(!body.contains(&n_done), "rejected claims leave the queue");

    // htmx asks for the rows only.
    let response = app.get_htmx("/admin/siniestros?filtro=todos").await;
    assert_eq!(response.headers()["vary"], "HX-Request");
    let partial = response.text().await.unwrap();
    assert!(partial.contains(&n_old) && !partial.contains("<html"));
    assert!(body.contains("<html"));

    // The claim page as an htmx partial too.
    let partial = app
        .get_htmx(&format!("/admin/siniestros/{mine_old}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(partial.contains(&n_old) && !partial.contains("<html"));
    app.stop().await;
}

#[actix_web::test]
async fn a_handler_is_assigned_and_an_agent_cannot_be() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let id = open_claim(&mut conn, f.policy, "jefa@soriano.es");
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token(&format!("/admin/siniestros/{id}")).await;
    let handler = f.handler.to_string();
    let response = app
        .post_form(
            &format!("/admin/siniestros/{id}/tramitador"),
            &[("csrf_token", csrf.as_str()), ("tramitador", &handler)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let assigned: Option<i64> = claims::table
        .find(id)
        .select(claims::handler_staff_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(assigned, Some(f.handler));
    let agent = f.agent.to_string();
    let response = app
        .post_form(
            &format!("/admin/siniestros/{id}/tramitador"),
            &[("csrf_token", csrf.as_str()), ("tramitador", &agent)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Elija un tramitador de siniestros en activo.")
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("claim.assigned"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);
    app.stop().await;
}

#[actix_web::test]
async fn a_claim_change_without_csrf_token_is_refused() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let id = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let response = app
        .post_form(
            &format!("/admin/siniestros/{id}/estado"),
            &[("estado", "in_progress")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&mut conn, id), "open");
    let response = app
        .post_form(
            "/admin/siniestros",
            &[("poliza", &f.policy.to_string()), ("tipo", "fire")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[actix_web::test]
async fn an_unknown_claim_is_not_found() {
    let (app, _f) = spawn().await;
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    assert_eq!(
        app.get("/admin/siniestros/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/admin/siniestros/nuevo?poliza=999999")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let response = app.get("/admin/siniestros/nuevo?numero=POL-1").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn demo_data_has_claims_in_every_state_and_tasks_once_policies_exist() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    // No claims were seeded by `spawn` (no policies existed when the demo ran).
    let count: i64 = claims::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 0);
    soriano::seed::demo_claims_and_tasks(&mut conn).unwrap();
    let statuses: Vec<String> = claims::table
        .select(claims::status)
        .distinct()
        .load(&mut conn)
        .unwrap();
    assert_eq!(statuses.len(), 7, "{statuses:?}");
    let count: i64 = claims::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 40);
    let tasks: i64 = soriano::db::schema::tasks::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(tasks, 30);
    let paid_above_accepted: i64 = claims::table
        .filter(claims::paid_cents.gt(claims::accepted_cents))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(paid_above_accepted, 0);
    // Running it again adds nothing.
    soriano::seed::demo_claims_and_tasks(&mut conn).unwrap();
    let again: i64 = claims::table.count().get_result(&mut conn).unwrap();
    assert_eq!(again, 40);
    // The pages read them.
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let response = app.get("/admin/siniestros?filtro=todos").await;
    assert_eq!(response.status(), StatusCode::OK);
    let _ = f;
    app.stop().await;
}

#[actix_web::test]
async fn the_client_is_told_of_each_change_of_state_without_the_notes_text() {
    use soriano::db::schema::{customers, outbound_emails};
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    diesel::update(customers::table.find(f.customer))
        .set(customers::email.eq("ana@example.es"))
        .execute(&mut conn)
        .unwrap();
    let id = open_claim(&mut conn, f.policy, "tramita@soriano.es");
    let number: String = claims::table
        .find(id)
        .select(claims::number)
        .first(&mut conn)
        .unwrap();
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    // The default rule «Aviso de cambio de estado de siniestro» writes them, in the worker.
    let sent = |conn: &mut PgConnection| -> Vec<(String, String, String)> {
        crate::common::run_automation(conn);
        outbound_emails::table
            .filter(outbound_emails::kind.eq("automation.siniestro_cambio_estado"))
            .order(outbound_emails::id)
            .select((
                outbound_emails::to_address,
                outbound_emails::subject,
                outbound_emails::body_text,
            ))
            .load(conn)
            .unwrap()
    };

    // A refused move tells nobody.
    post_status(&app, id, &[("estado", "paid"), ("importe", "10")]).await;
    assert!(sent(&mut conn).is_empty());

    let response = post_status(&app, id, &[("estado", "in_progress")]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mails = sent(&mut conn);
    assert_eq!(mails.len(), 1);
    let (to, subject, body) = &mails[0];
    assert_eq!(to, "ana@example.es");
    assert_eq!(subject, &format!("Novedades de su siniestro {number}"));
    assert!(body.starts_with("Hola, Ana:"), "{body}");
    assert!(body.contains("Ahora está: en trámite"), "{body}");
    assert!(body.contains(&format!("/portal/siniestros/{id}")), "{body}");
    assert!(!body.contains("nota"), "{body}");

    // An internal note stays out; a note for the client is announced, never quoted.
    post_status(
        &app,
        id,
        &[
            ("estado", "assessed"),
            ("nota", "NOTA INTERNA: preexistencia."),
        ],
    )
    .await;
    post_status(
        &app,
        id,
        &[
            ("estado", "accepted"),
            ("importe", "400,00"),
            ("nota", "Le abonaremos 400 euros."),
            ("visible_cliente", "1"),
        ],
    )
    .await;
    let mails = sent(&mut conn);
    assert_eq!(mails.len(), 3);
    // Each e-mail names the state of its own change, even when the rules run later.
    assert!(
        mails[1].2.contains("Ahora está: peritado"),
        "{}",
        mails[1].2
    );
    assert!(
        mails[2].2.contains("Ahora está: aceptado"),
        "{}",
        mails[2].2
    );
    for (_, _, body) in &mails {
        assert!(
            !body.contains("INTERNA") && !body.contains("400 euros"),
            "{body}"
        );
    }
    app.stop().await;
}
