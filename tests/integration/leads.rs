//! Leads in the back-office: the pipeline's rules, who sees which lead, entering one by hand,
//! conversion into a customer, the list's filters and pages, the source report, demo data.

use crate::common;
use crate::portfolio;

use chrono::{DateTime, Duration, Utc};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::audit::Actor;
use soriano::auth::permissions::PortfolioScope;
use soriano::auth::staff::{self, Role};
use soriano::db::schema::{audit_log, customers, domain_events, leads, quotes};
use soriano::leads::{self as domain, ConvertOutcome, ConvertTarget, Filter, LeadError, Stage};

const PASSWORD: &str = "una clave larga de prueba";

struct Fixture {
    agent: i64,
    other_agent: i64,
}

async fn spawn() -> (TestApp, Fixture) {
    spawn_and(|_, _| {}).await
}

async fn spawn_and(more: impl FnOnce(&mut PgConnection, &Fixture)) -> (TestApp, Fixture) {
    let mut fixture = None;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        let other_agent = create_staff(conn, "otro@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        create_staff(conn, "tramita@soriano.es", Role::Claims, PASSWORD);
        let f = Fixture { agent, other_agent };
        more(conn, &f);
        fixture = Some(f);
    })
    .await;
    (app, fixture.unwrap())
}

/// A lead inserted directly: `name`, assigned to `agent`, in `stage`, from `campaign`.
fn lead(
    conn: &mut PgConnection,
    name: &str,
    agent: Option<i64>,
    stage: Stage,
    campaign: Option<&str>,
) -> i64 {
    let email = format!(
        "{}@example.com",
        name.to_lowercase().replace(' ', ".").replace('í', "i")
    );
    diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq(name),
            leads::email.eq(Some(email)),
            leads::source.eq(if campaign.is_some() {
                "landing"
            } else {
                "phone"
            }),
            leads::campaign.eq(campaign),
            leads::stage.eq(stage.code()),
            leads::lost_reason.eq((stage == Stage::Lost).then_some("Precio")),
            leads::assigned_staff_id.eq(agent),
        ))
        .returning(leads::id)
        .get_result(conn)
        .expect("insert lead")
}

fn actor(conn: &mut PgConnection, email: &str) -> Actor {
    let user = staff::find_by_email(conn, email).unwrap().unwrap();
    Actor::new(&user, "127.0.0.1", "test")
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

async fn move_lead(app: &TestApp, id: i64, stage: &str, reason: &str) -> reqwest::Response {
    let csrf = app.csrf_token(&format!("/admin/leads/{id}")).await;
    app.post_form(
        &format!("/admin/leads/{id}/etapa"),
        &[("csrf_token", &csrf), ("etapa", stage), ("motivo", reason)],
    )
    .await
}

fn stage_of(conn: &mut PgConnection, id: i64) -> (String, Option<String>, Option<DateTime<Utc>>) {
    leads::table
        .find(id)
        .select((leads::stage, leads::lost_reason, leads::first_contacted_at))
        .first(conn)
        .unwrap()
}

#[actix_web::test]
async fn losing_a_lead_needs_a_reason_and_every_move_is_recorded() {
    let (app, f) = spawn().await;
    let id = lead(
        &mut app.db.conn(),
        "Ana Pérez",
        Some(f.agent),
        Stage::New,
        None,
    );
    app.sign_in("agente@soriano.es", PASSWORD).await;

    let refused = move_lead(&app, id, "lost", "  ").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("Escriba el motivo por el que se pierde el lead."),
        "{body}"
    );
    assert_eq!(stage_of(&mut app.db.conn(), id).0, "new");

    let moved = move_lead(&app, id, "contacted", "").await;
    assert_eq!(moved.status(), StatusCode::SEE_OTHER);
    let (stage, _, first_contact) = stage_of(&mut app.db.conn(), id);
    assert_eq!(stage, "contacted");
    let first_contact = first_contact.expect("the first move out of new stamps the first contact");

    let lost = move_lead(&app, id, "lost", "Ha contratado con otra correduría").await;
    assert_eq!(lost.status(), StatusCode::SEE_OTHER);
    let (stage, reason, again) = stage_of(&mut app.db.conn(), id);
    assert_eq!(stage, "lost");
    assert_eq!(reason.as_deref(), Some("Ha contratado con otra correduría"));
    assert_eq!(again, Some(first_contact), "the first contact is kept");

    // Lost is final: only a reopen (with a reason) moves it, and never to "won" directly.
    let to_won = move_lead(&app, id, "won", "x").await;
    assert_eq!(to_won.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reopen_without = move_lead(&app, id, "contacted", "").await;
    assert_eq!(reopen_without.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let reopened = move_lead(&app, id, "contacted", "Vuelve a llamar").await;
    assert_eq!(reopened.status(), StatusCode::SEE_OTHER);
    let (stage, reason, _) = stage_of(&mut app.db.conn(), id);
    assert_eq!((stage.as_str(), reason), ("contacted", None));

    let mut conn = app.db.conn();
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("lead.stage_changed"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 3);
    let events: Vec<String> = domain_events::table
        .filter(domain_events::entity_type.eq("lead"))
        .filter(domain_events::entity_id.eq(id))
        .select(domain_events::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(events, vec!["lead.stage_changed"; 3]);
    let page = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("nuevo → contactado"),
        "history shows the moves"
    );
    assert!(page.contains("Vuelve a llamar"));
}

#[actix_web::test]
async fn a_move_from_the_board_answers_with_the_board_and_errors_on_the_card() {
    let (app, f) = spawn().await;
    let id = lead(
        &mut app.db.conn(),
        "Luis Gómez",
        Some(f.agent),
        Stage::New,
        Some("hogar-otono"),
    );
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let board = app.get("/admin/leads").await.text().await.unwrap();
    assert!(board.contains("hogar-otono"));
    let csrf = common::csrf_from_html(&board);
    let post = |stage: &'static str, reason: &'static str| {
        let csrf = csrf.clone();
        let client = app.client.clone();
        let url = app.url(&format!("/admin/leads/{id}/etapa"));
        async move {
            client
                .post(url)
                .header("HX-Request", "true")
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("etapa", stage),
                    ("motivo", reason),
                    ("vista", "tablero"),
                    ("campana", ""),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let refused = post("lost", "").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(body.starts_with("<div id=\"board\""), "a partial: {body}");
    assert!(body.contains(&format!("mover-error-{id}")));

    let moved = post("contacted", "").await;
    assert_eq!(moved.status(), StatusCode::OK);
    let body = moved.text().await.unwrap();
    let column = body.split("id=\"col-contacted\"").nth(1).unwrap();
    let column = column.split("</section>").next().unwrap();
    assert!(column.contains(&format!("data-lead=\"{id}\"")), "{column}");
}

#[actix_web::test]
async fn agents_reach_only_their_leads_and_claims_handlers_none() {
    let (app, f) = spawn().await;
    let mine = lead(
        &mut app.db.conn(),
        "Mía Ruiz",
        Some(f.agent),
        Stage::New,
        None,
    );
    let theirs = lead(
        &mut app.db.conn(),
        "Otro Sanz",
        Some(f.other_agent),
        Stage::Won,
        None,
    );
    app.sign_in("agente@soriano.es", PASSWORD).await;

    let board = app.get("/admin/leads").await.text().await.unwrap();
    assert!(board.contains("Mía Ruiz"));
    assert!(!board.contains("Otro Sanz"));
    let list = app.get("/admin/leads/lista").await.text().await.unwrap();
    assert!(!list.contains("Otro Sanz"));
    assert_eq!(
        app.get(&format!("/admin/leads/{theirs}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/admin/leads/{theirs}/convertir"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let csrf = app.csrf_token(&format!("/admin/leads/{mine}")).await;
    for path in ["etapa", "interacciones", "proxima-accion", "convertir"] {
        let response = app
            .post_form(
                &format!("/admin/leads/{theirs}/{path}"),
                &[
                    ("csrf_token", &csrf),
                    ("etapa", "contacted"),
                    ("tipo", "call"),
                    ("resumen", "Hola"),
                    ("nombre", "Otro"),
                    ("apellidos", "Sanz"),
                    ("nif", "12345678Z"),
                ],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
    // An agent hands a lead of theirs to a colleague, and then no longer sees it; leaving it
    // unassigned is refused.
    let unassign = app
        .post_form(
            &format!("/admin/leads/{mine}/comercial"),
            &[("csrf_token", &csrf), ("agente", "")],
        )
        .await;
    assert_eq!(unassign.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .post_form(
            &format!("/admin/leads/{mine}/comercial"),
            &[
                ("csrf_token", &csrf),
                ("agente", &f.other_agent.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/leads");
    assert_eq!(
        app.get(&format!("/admin/leads/{mine}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // A claims handler, in a fresh session.
    let mut app2 = app;
    app2.client = common::new_client();
    app2.sign_in("tramita@soriano.es", PASSWORD).await;
    for path in ["/admin/leads", "/admin/leads/lista", "/admin/leads/informe"] {
        assert_eq!(
            app2.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        app2.get(&format!("/admin/leads/{mine}")).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[actix_web::test]
async fn a_supervisor_sees_every_lead_and_reassigns() {
    let (app, f) = spawn().await;
    let id = lead(
        &mut app.db.conn(),
        "Otro Sanz",
        Some(f.other_agent),
        Stage::New,
        None,
    );
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token(&format!("/admin/leads/{id}")).await;
    let response = app
        .post_form(
            &format!("/admin/leads/{id}/comercial"),
            &[("csrf_token", &csrf), ("agente", &f.agent.to_string())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let assigned: Option<i64> = leads::table
        .find(id)
        .select(leads::assigned_staff_id)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(assigned, Some(f.agent));
    let response = app
        .post_form(
            &format!("/admin/leads/{id}/comercial"),
            &[("csrf_token", &csrf), ("agente", "999999")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn a_lead_entered_by_hand_is_validated_and_created_once() {
    let (app, f) = spawn().await;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let page = app.get("/admin/leads/nuevo").await.text().await.unwrap();
    let csrf = common::csrf_from_html(&page);
    let token = regex::Regex::new(r#"name="token" value="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();

    let refused = app
        .post_form(
            "/admin/leads",
            &[
                ("csrf_token", &csrf),
                ("token", &token),
                ("nombre", ""),
                ("telefono", ""),
                ("email", "no-es-correo"),
                ("origen", "landing"),
                ("campana", "boca-oreja"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = refused.text().await.unwrap();
    assert!(body.contains("Escriba el nombre."));
    assert!(body.contains("Elija el origen: teléfono, recomendación o campaña."));
    assert!(body.contains("value=\"boca-oreja\""), "values are kept");

    let fields = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("nombre", "  Carmen   Vidal "),
        ("telefono", "600 111 222"),
        ("email", ""),
        ("origen", "referral"),
        ("campana", "boca-oreja"),
    ];
    let first = app.post_form("/admin/leads", &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = app.post_form("/admin/leads", &fields).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second));
    let rows: Vec<(String, Option<String>, Option<i64>, String)> = leads::table
        .select((
            leads::full_name,
            leads::phone,
            leads::assigned_staff_id,
            leads::stage,
        ))
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![(
            "Carmen Vidal".to_owned(),
            Some("600111222".to_owned()),
            Some(f.agent),
            "new".to_owned()
        )]
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("lead.created"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(audited, 1);
}

#[actix_web::test]
async fn interactions_and_next_action_are_logged_with_a_task() {
    let (app, f) = spawn().await;
    let id = lead(
        &mut app.db.conn(),
        "Pepa Gil",
        Some(f.agent),
        Stage::New,
        None,
    );
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token(&format!("/admin/leads/{id}")).await;
    let refused = app
        .post_form(
            &format!("/admin/leads/{id}/interacciones"),
            &[("csrf_token", &csrf), ("tipo", "call"), ("resumen", " ")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("Escriba un resumen de la interacción.")
    );
    let tomorrow = (portfolio::today() + Duration::days(1)).to_string();
    let logged = app
        .post_form(
            &format!("/admin/leads/{id}/interacciones"),
            &[
                ("csrf_token", &csrf),
                ("tipo", "call"),
                ("resumen", "Quiere precio de hogar"),
                ("proxima_accion", &tomorrow),
            ],
        )
        .await;
    assert_eq!(logged.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/admin/leads/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Quiere precio de hogar"));
    assert!(
        page.contains("Seguimiento del lead Pepa Gil"),
        "a task for the next action"
    );
    let (first_contact, next): (Option<DateTime<Utc>>, Option<chrono::NaiveDate>) = leads::table
        .find(id)
        .select((leads::first_contacted_at, leads::next_action_on))
        .first(&mut app.db.conn())
        .unwrap();
    assert!(first_contact.is_some(), "a call is the first contact");
    assert_eq!(next, Some(portfolio::today() + Duration::days(1)));
}

fn add_quote(conn: &mut PgConnection, lead_id: i64) -> i64 {
    let line: i64 = soriano::db::schema::lines_of_business::table
        .select(soriano::db::schema::lines_of_business::id)
        .first(conn)
        .unwrap();
    diesel::insert_into(quotes::table)
        .values((
            quotes::lead_id.eq(Some(lead_id)),
            quotes::line_id.eq(line),
            quotes::valid_until.eq(portfolio::today() + Duration::days(30)),
        ))
        .returning(quotes::id)
        .get_result(conn)
        .unwrap()
}

#[actix_web::test]
async fn converting_a_won_lead_creates_the_customer_once() {
    let (app, f) = spawn().await;
    let (id, quote, open) = {
        let mut conn = app.db.conn();
        let id = lead(
            &mut conn,
            "Rosa Martín López",
            Some(f.agent),
            Stage::Won,
            None,
        );
        let open = lead(
            &mut conn,
            "Abierto Aún",
            Some(f.agent),
            Stage::Proposal,
            None,
        );
        (id, add_quote(&mut conn, id), open)
    };
    app.sign_in("agente@soriano.es", PASSWORD).await;

    // Not won yet: no conversion.
    let response = app.get(&format!("/admin/leads/{open}/convertir")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let form = app
        .get(&format!("/admin/leads/{id}/convertir"))
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains("value=\"Rosa\""), "prefilled from the lead");
    assert!(form.contains("value=\"Martín López\""));
    let csrf = common::csrf_from_html(&form);
    let missing_dni = app
        .post_form(
            &format!("/admin/leads/{id}/convertir"),
            &[
                ("csrf_token", &csrf),
                ("tipo", "person"),
                ("nombre", "Rosa"),
                ("apellidos", "Martín López"),
                ("nif", ""),
                ("email", "rosa.martín.lópez@example.com"),
            ],
        )
        .await;
    assert_eq!(missing_dni.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let fields = [
        ("csrf_token", csrf.as_str()),
        ("tipo", "person"),
        ("nombre", "Rosa"),
        ("apellidos", "Martín López"),
        ("nif", "12345678Z"),
        ("email", "rosa@example.com"),
        ("segmento", "individual"),
    ];
    let first = app
        .post_form(&format!("/admin/leads/{id}/convertir"), &fields)
        .await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = app
        .post_form(&format!("/admin/leads/{id}/convertir"), &fields)
        .await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second));

    let mut conn = app.db.conn();
    let created: Vec<(i64, Option<i64>)> = customers::table
        .select((customers::id, customers::owner_staff_id))
        .load(&mut conn)
        .unwrap();
    assert_eq!(created.len(), 1, "one customer for two submissions");
    let (customer, owner) = created[0];
    assert_eq!(owner, Some(f.agent), "the lead's agent owns the customer");
    assert_eq!(location(&first), format!("/admin/clientes/{customer}"));
    let (linked, converted_at, stage): (Option<i64>, Option<DateTime<Utc>>, String) = leads::table
        .find(id)
        .select((leads::customer_id, leads::converted_at, leads::stage))
        .first(&mut conn)
        .unwrap();
    assert_eq!((linked, stage.as_str()), (Some(customer), "won"));
    assert!(converted_at.is_some());
    let quote_customer: Option<i64> = quotes::table
        .find(quote)
        .select(quotes::customer_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(quote_customer, Some(customer), "its quotes follow the lead");
    let converted: i64 = domain_events::table
        .filter(domain_events::kind.eq("lead.converted"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(converted, 1);
    // A converted lead stays won.
    drop(conn);
    let reopen = move_lead(&app, id, "contacted", "Otra póliza").await;
    assert_eq!(reopen.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn conversion_links_the_existing_customer_by_dni_or_email() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let existing = portfolio::customer(&mut conn, 7, "Eva", Some(f.agent));
    // A valid DNI (the fixture's are not checked) and an e-mail.
    let dni = "12345678Z".to_owned();
    diesel::update(customers::table.find(existing))
        .set((
            customers::tax_id.eq(&dni),
            customers::email.eq(Some("eva@example.com")),
        ))
        .execute(&mut conn)
        .unwrap();
    let by = actor(&mut conn, "jefa@soriano.es");

    // Same DNI typed on the form: linked, nothing created.
    let by_dni = lead(&mut conn, "Eva Uno", Some(f.agent), Stage::Won, None);
    let form = soriano::customers::CustomerForm {
        tipo: "person".to_owned(),
        nombre: "Eva".to_owned(),
        apellidos: "Uno".to_owned(),
        nif: dni.clone(),
        ..Default::default()
    };
    let valid = soriano::customers::validate(&form).unwrap();
    let outcome = conn
        .transaction(|conn| {
            domain::convert(
                conn,
                PortfolioScope::All,
                by_dni,
                ConvertTarget::New(Box::new(valid)),
                &by,
            )
        })
        .unwrap();
    assert_eq!(outcome, ConvertOutcome::Linked(existing));

    // Same e-mail on the lead, explicit link.
    let by_email = lead(&mut conn, "Eva", Some(f.agent), Stage::Won, None);
    let outcome = conn
        .transaction(|conn| {
            domain::convert(
                conn,
                PortfolioScope::All,
                by_email,
                ConvertTarget::Existing(existing),
                &by,
            )
        })
        .unwrap();
    assert_eq!(outcome, ConvertOutcome::Linked(existing));

    // Someone else's customer that shares neither: refused.
    let stranger = lead(&mut conn, "Nadie Igual", Some(f.agent), Stage::Won, None);
    let refused = conn.transaction(|conn| {
        domain::convert(
            conn,
            PortfolioScope::All,
            stranger,
            ConvertTarget::Existing(existing),
            &by,
        )
    });
    assert!(
        matches!(refused, Err(LeadError::CustomerMismatch)),
        "{refused:?}"
    );

    let count: i64 = customers::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 1);
    // The conversion page offers the existing customer.
    drop(conn);
    let third = lead(&mut app.db.conn(), "Eva", Some(f.agent), Stage::Won, None);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/leads/{third}/convertir"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"cliente-existente\""), "{page}");
}

#[actix_web::test]
async fn the_list_filters_and_pages() {
    let (app, f) = spawn_and(|conn, f| {
        for n in 0..55 {
            lead(
                conn,
                &format!("Cliente Lista {n:02}"),
                Some(f.agent),
                Stage::New,
                Some("salud-familias"),
            );
        }
        for n in 0..5 {
            lead(
                conn,
                &format!("Hogar Persona {n}"),
                Some(f.agent),
                Stage::Contacted,
                Some("hogar-otono"),
            );
        }
        lead(
            conn,
            "Otra Agente",
            Some(f.other_agent),
            Stage::New,
            Some("salud-familias"),
        );
    })
    .await;
    let _ = f;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let count_rows = |html: &str| html.matches("<tr data-lead=").count();

    let first = app.get("/admin/leads/lista").await.text().await.unwrap();
    assert_eq!(count_rows(&first), 50);
    assert!(first.contains("60 leads"));
    // The next page is read by keyset from the last row shown (`pagina=tras-<id>`).
    let next = first
        .split("href=\"")
        .filter_map(|rest| rest.split('"').next())
        .find(|link| link.starts_with("/admin/leads/lista?pagina=tras-"))
        .expect("a link to the next page")
        .replace("&amp;", "&");
    let second = app.get(&next).await.text().await.unwrap();
    assert_eq!(count_rows(&second), 10);
    assert!(!second.contains("rel=\"next\""));

    let hogar = app
        .get("/admin/leads/lista?campana=hogar-otono")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count_rows(&hogar), 5);
    let contacted = app
        .get("/admin/leads/lista?etapa=contacted&origen=landing")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count_rows(&contacted), 5);
    let by_name = app
        .get("/admin/leads/lista?q=lista+07")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count_rows(&by_name), 1);
    let by_email = app
        .get("/admin/leads/lista?q=hogar.persona.3%40")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count_rows(&by_email), 1);
    let today = portfolio::today();
    let range = app
        .get(&format!(
            "/admin/leads/lista?desde={}&hasta={}",
            today - Duration::days(10),
            today - Duration::days(1)
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(count_rows(&range), 0);
    // The board counts every lead of a column and shows the newest.
    let board = app
        .get("/admin/leads?campana=salud-familias")
        .await
        .text()
        .await
        .unwrap();
    let column = board
        .split("id=\"col-new\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(column.contains("data-count>55<"), "{column}");
    assert_eq!(
        column.matches("data-lead=").count(),
        domain::BOARD_CARDS as usize
    );
    assert!(column.contains("Ver los 55"));
    // The domain query agrees: 55 leads, the second page of 5 read after the first's last row.
    let filter = Filter {
        campaign: Some("salud-familias".to_owned()),
        ..Filter::default()
    };
    let scope = PortfolioScope::OwnedBy(f.agent);
    let first = domain::list(&mut app.db.conn(), scope, &filter, None).unwrap();
    assert_eq!(first.rows.len(), 50);
    let page = domain::list(&mut app.db.conn(), scope, &filter, first.next).unwrap();
    assert_eq!(
        (page.total, page.rows.len(), page.next.is_some()),
        (Some(soriano::listing::Total::Exact(55)), 5, false)
    );
    assert!(page.previous.is_some());
    assert!(
        page.rows
            .iter()
            .all(|row| first.rows.iter().all(|seen| seen.id != row.id))
    );
}

#[actix_web::test]
async fn the_source_report_counts_conversions_and_time_to_first_contact() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let customer = portfolio::customer(&mut conn, 9, "Conv", Some(f.agent));
    let now = Utc::now() - Duration::days(1);
    // Landing, campaign "a": contacted after 1 h and 3 h, one converted. Phone: after 2 h.
    let rows = [
        ("landing", Some("a"), Some(1), true),
        ("landing", Some("a"), Some(3), false),
        ("landing", Some("a"), None, false),
        ("phone", None, Some(2), false),
    ];
    for (n, (source, campaign, hours, converted)) in rows.into_iter().enumerate() {
        diesel::insert_into(leads::table)
            .values((
                leads::full_name.eq(format!("Informe {n}")),
                leads::phone.eq(Some(format!("60000000{n}"))),
                leads::source.eq(source),
                leads::campaign.eq(campaign),
                leads::stage.eq(if converted { "won" } else { "contacted" }),
                leads::customer_id.eq(converted.then_some(customer)),
                leads::created_at.eq(now),
                leads::first_contacted_at.eq(hours.map(|h| now + Duration::hours(h))),
                leads::assigned_staff_id.eq(Some(f.agent)),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let today = portfolio::today();
    let report = domain::report(
        &mut conn,
        PortfolioScope::All,
        today - Duration::days(7),
        today,
    )
    .unwrap();
    let landing = report
        .by_source
        .iter()
        .find(|r| r.key.as_deref() == Some("landing"))
        .unwrap();
    assert_eq!((landing.leads, landing.converted), (3, 1));
    assert!((landing.conversion_pct() - 100.0 / 3.0).abs() < 1e-9);
    assert!((landing.median_hours.unwrap() - 2.0).abs() < 1e-6);
    assert!((landing.avg_hours.unwrap() - 2.0).abs() < 1e-6);
    let phone = report
        .by_source
        .iter()
        .find(|r| r.key.as_deref() == Some("phone"))
        .unwrap();
    assert_eq!((phone.leads, phone.converted), (1, 0));
    assert!((phone.median_hours.unwrap() - 2.0).abs() < 1e-6);
    let campaign = report
        .by_campaign
        .iter()
        .find(|r| r.key.as_deref() == Some("a"))
        .unwrap();
    assert_eq!(campaign.leads, 3);
    // All four assigned to the same agent, named in the report.
    assert_eq!(report.by_agent.len(), 1);
    assert_eq!(report.by_agent[0].leads, 4);
    assert!(
        report.by_agent[0]
            .key
            .as_deref()
            .is_some_and(|name| !name.is_empty())
    );
    assert_eq!(report.total.leads, 4);
    assert_eq!(report.total.converted, 1);
    // Out of the range: nothing.
    let empty = domain::report(
        &mut conn,
        PortfolioScope::All,
        today - Duration::days(30),
        today - Duration::days(20),
    )
    .unwrap();
    assert_eq!(empty.total.leads, 0);
    drop(conn);

    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let page = app.get("/admin/leads/informe").await.text().await.unwrap();
    assert!(page.contains("33,3 %"), "{page}");
    assert!(page.contains("2,0 h"));
    assert!(page.contains("Por comercial"));
    assert!(!page.contains("Landing n.º"));
    let bad = app
        .get("/admin/leads/informe?desde=2026-12-01&hasta=2026-01-01")
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[actix_web::test]
async fn the_dashboard_counts_new_leads_and_the_nav_links_the_board() {
    let (app, f) = spawn_and(|conn, f| {
        lead(conn, "Nuevo Uno", Some(f.agent), Stage::New, None);
        lead(conn, "Nuevo Dos", Some(f.agent), Stage::New, None);
        lead(conn, "De Otro", Some(f.other_agent), Stage::New, None);
    })
    .await;
    let _ = f;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let home = app.get("/admin").await.text().await.unwrap();
    let stat = home.split("id=\"leads-nuevos\"").nth(1).unwrap();
    assert!(
        stat.contains("<span class=\"stat-value\">2</span>"),
        "{stat}"
    );
    assert!(home.contains("href=\"/admin/leads\""));
}

#[test]
fn the_demo_data_has_leads_in_every_stage() {
    let db = common::TestDatabase::new();
    let mut conn = db.conn();
    soriano::seed::catalog(&mut conn).unwrap();
    staff::create(
        &mut conn,
        soriano::seed::DEMO_ADMIN_EMAIL,
        "Admin",
        Role::Admin,
        soriano::seed::DEMO_ADMIN_PASSWORD,
    )
    .unwrap();
    create_staff(&mut conn, "c1@soriano.es", Role::Agent, PASSWORD);
    create_staff(&mut conn, "c2@soriano.es", Role::Agent, PASSWORD);
    soriano::seed::demo_leads(&mut conn).unwrap();
    soriano::seed::demo_leads(&mut conn).unwrap();
    let by_stage: Vec<(String, i64)> = leads::table
        .group_by(leads::stage)
        .select((leads::stage, diesel::dsl::count_star()))
        .load(&mut conn)
        .unwrap();
    assert_eq!(by_stage.len(), Stage::ALL.len(), "{by_stage:?}");
    let total: i64 = by_stage.iter().map(|(_, n)| n).sum();
    assert_eq!(total, soriano::seed::DEMO_LEADS as i64, "idempotent");
    let converted: i64 = leads::table
        .filter(leads::customer_id.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(converted >= 1);
    let campaigns: Vec<Option<String>> = leads::table
        .select(leads::campaign)
        .distinct()
        .load(&mut conn)
        .unwrap();
    assert!(campaigns.iter().flatten().count() >= 4, "{campaigns:?}");
}

#[actix_web::test]
async fn new_leads_go_round_robin_and_two_at_once_go_to_two_agents_without_waiting() {
    use soriano::landings::assign::next_agent;
    let (app, f) = spawn().await;
    let (first, second) = (f.agent.min(f.other_agent), f.agent.max(f.other_agent));
    let mut conn = app.db.conn();
    // One at a time: strict turns, starting with the first agent.
    let turns: Vec<Option<i64>> = (0..4)
        .map(|_| next_agent(&mut conn, None).unwrap())
        .collect();
    assert_eq!(
        turns,
        [Some(first), Some(second), Some(first), Some(second)]
    );

    // A submission in flight holds the first agent's turn until it commits; another one at
    // the same moment takes the second agent at once instead of waiting for that commit.
    let mut other = app.db.conn();
    conn.transaction(|conn| {
        assert_eq!(next_agent(conn, None)?, Some(first));
        diesel::sql_query("SET lock_timeout = '2s'").execute(&mut other)?;
        let started = std::time::Instant::now();
        assert_eq!(next_agent(&mut other, None)?, Some(second));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
        Ok::<_, diesel::result::Error>(())
    })
    .unwrap();
    // Both agents got one: the next turn is the first agent's again.
    assert_eq!(next_agent(&mut conn, None).unwrap(), Some(first));

    // An agent who leaves the pool (deactivated) is skipped; one who joins gets the next lead.
    diesel::update(soriano::db::schema::staff_users::table.find(first))
        .set(soriano::db::schema::staff_users::active.eq(false))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(next_agent(&mut conn, None).unwrap(), Some(second));
    let newcomer = create_staff(&mut conn, "nueva@soriano.es", Role::Agent, PASSWORD);
    assert_eq!(next_agent(&mut conn, None).unwrap(), Some(newcomer));
    assert_eq!(next_agent(&mut conn, None).unwrap(), Some(second));

    // Every agent's turn held by a submission in flight: one more at the same moment waits
    // for neither commit, and goes to one of them.
    let mut third = app.db.conn();
    diesel::sql_query("SET lock_timeout = '2s'")
        .execute(&mut third)
        .unwrap();
    conn.transaction(|conn| {
        assert_eq!(next_agent(conn, None)?, Some(newcomer));
        other.transaction(|other| {
            assert_eq!(next_agent(other, None)?, Some(second));
            let started = std::time::Instant::now();
            let drawn = next_agent(&mut third, None)?;
            assert!(
                drawn == Some(newcomer) || drawn == Some(second),
                "{drawn:?}"
            );
            assert!(started.elapsed() < std::time::Duration::from_secs(1));
            Ok::<_, diesel::result::Error>(())
        })
    })
    .unwrap();
    app.stop().await;
}
