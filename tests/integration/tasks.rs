//! Tasks: "Mis tareas" in order, complete and reassign inline, who may change whose task.

use crate::common;
use crate::portfolio;

use chrono::{Duration, NaiveDate};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, tasks};

const PASSWORD: &str = "una clave larga de prueba";

struct Fixture {
    agent: i64,
    colleague: i64,
    policy: i64,
    customer: i64,
}

async fn spawn() -> (TestApp, Fixture) {
    let mut fixture = None;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        let colleague = create_staff(conn, "colega@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        let customer = portfolio::customer(conn, 1, "Ana", Some(agent));
        let policy = portfolio::live_policy(conn, customer, "POL-1");
        fixture = Some(Fixture {
            agent,
            colleague,
            policy,
            customer,
        });
    })
    .await;
    (app, fixture.unwrap())
}

fn task(conn: &mut PgConnection, title: &str, assignee: i64, due: Option<NaiveDate>) -> i64 {
    diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(title),
            tasks::assignee_staff_id.eq(assignee),
            tasks::due_date.eq(due),
        ))
        .returning(tasks::id)
        .get_result(conn)
        .unwrap()
}

fn status_of(conn: &mut PgConnection, id: i64) -> (String, i64) {
    tasks::table
        .find(id)
        .select((tasks::status, tasks::assignee_staff_id))
        .first(conn)
        .unwrap()
}

async fn htmx_post(
    app: &TestApp,
    path: &str,
    csrf: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", csrf)
        .form(form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn my_tasks_come_overdue_first_then_today_then_later_then_undated() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let today = portfolio::today();
    task(&mut conn, "Tarea sin fecha", f.agent, None);
    task(
        &mut conn,
        "Tarea de la semana que viene",
        f.agent,
        Some(today + Duration::days(7)),
    );
    task(&mut conn, "Tarea de hoy", f.agent, Some(today));
    task(
        &mut conn,
        "Tarea vencida",
        f.agent,
        Some(today - Duration::days(3)),
    );
    task(&mut conn, "Tarea de otra persona", f.colleague, Some(today));
    let done = task(&mut conn, "Tarea terminada", f.agent, Some(today));
    diesel::update(tasks::table.find(done))
        .set(tasks::status.eq("done"))
        .execute(&mut conn)
        .unwrap();
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let body = app.get("/admin/tareas").await.text().await.unwrap();
    let order: Vec<usize> = [
        "Tarea vencida",
        "Tarea de hoy",
        "Tarea de la semana que viene",
        "Tarea sin fecha",
    ]
    .iter()
    .map(|t| body.find(t).unwrap_or_else(|| panic!("{t} listed")))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    assert!(!body.contains("Tarea de otra persona"));
    assert!(!body.contains("Tarea terminada"));
    for (id, count) in [
        ("vencidas", 1),
        ("hoy", 1),
        ("proximas", 1),
        ("sin-fecha", 1),
    ] {
        assert!(
            body.contains(&format!(r#"id="{id}">{count}<"#)),
            "{id} = {count}"
        );
    }
    let done_list = app
        .get("/admin/tareas?estado=hechas")
        .await
        .text()
        .await
        .unwrap();
    assert!(done_list.contains("Tarea terminada") && !done_list.contains("Tarea vencida"));
    app.stop().await;
}

#[actix_web::test]
async fn a_task_is_completed_inline_with_htmx_or_with_a_plain_form() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let first = task(&mut conn, "Llamar al cliente", f.agent, None);
    let second = task(&mut conn, "Pedir el atestado", f.agent, None);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/tareas").await;

    let response = htmx_post(
        &app,
        &format!("/admin/tareas/{first}/completar"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with(&format!(r#"<tr id="tarea-{first}""#)),
        "{body}"
    );
    assert!(body.contains("Hecha") && !body.contains("<html"));
    assert_eq!(status_of(&mut conn, first).0, "done");

    let response = app
        .post_form(
            &format!("/admin/tareas/{second}/completar"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/admin/tareas");
    assert_eq!(status_of(&mut conn, second).0, "done");
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("task.completed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 2);
    app.stop().await;
}

#[actix_web::test]
async fn a_task_is_reassigned_inline_with_htmx_or_with_a_plain_form() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let first = task(&mut conn, "Revisar la renovación", f.agent, None);
    let second = task(&mut conn, "Enviar propuesta", f.agent, None);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/tareas").await;
    let colleague = f.colleague.to_string();

    let response = htmx_post(
        &app,
        &format!("/admin/tareas/{first}/reasignar"),
        &csrf,
        &[("responsable", &colleague)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.starts_with(&format!(r#"<tr id="tarea-{first}""#)));
    assert!(body.contains("Reasignada a"));
    assert_eq!(status_of(&mut conn, first).1, f.colleague);

    let response = app
        .post_form(
            &format!("/admin/tareas/{second}/reasignar"),
            &[("csrf_token", csrf.as_str()), ("responsable", &colleague)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut conn, second).1, f.colleague);
    let details: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("task.reassigned"))
        .order(audit_log::id)
        .select(audit_log::details)
        .first(&mut conn)
        .unwrap();
    assert_eq!(details["responsable"]["after"], f.colleague);
    app.stop().await;
}

#[actix_web::test]
async fn someone_elses_task_is_not_found_for_an_agent_but_a_supervisor_may_change_it() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    let theirs = task(&mut conn, "Tarea del colega", f.colleague, None);
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/tareas").await;
    let response = htmx_post(
        &app,
        &format!("/admin/tareas/{theirs}/completar"),
        &csrf,
        &[],
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let me = f.agent.to_string();
    let response = app
        .post_form(
            &format!("/admin/tareas/{theirs}/reasignar"),
            &[("csrf_token", csrf.as_str()), ("responsable", &me)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        status_of(&mut conn, theirs),
        ("open".to_owned(), f.colleague)
    );

    let supervisor = common::new_client();
    let token = {
        let body = supervisor
            .get(app.url("/admin/entrar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        common::csrf_from_html(&body)
    };
    supervisor
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "jefa@soriano.es"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let response = supervisor
        .post(app.url(&format!("/admin/tareas/{theirs}/completar")))
        .header("X-CSRF-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(status_of(&mut conn, theirs).0, "done");

    // Without the CSRF token nothing happens.
    let other = task(&mut conn, "Otra tarea", f.agent, None);
    let response = app
        .post_form(&format!("/admin/tareas/{other}/completar"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(status_of(&mut conn, other).0, "open");
    app.stop().await;
}

#[actix_web::test]
async fn a_task_about_a_policy_belongs_to_its_customers_timeline() {
    let (app, f) = spawn().await;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!(
            "/admin/tareas/nueva?entidad=policy&id={}",
            f.policy
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Póliza POL-1"));
    let csrf = common::csrf_from_html(&page);
    let policy = f.policy.to_string();
    let me = f.agent.to_string();
    let response = app
        .post_form(
            "/admin/tareas",
            &[
                ("csrf_token", csrf.as_str()),
                ("titulo", ""),
                ("prioridad", "high"),
                ("responsable", &me),
                ("entidad", "policy"),
                ("entidad_id", &policy),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el título.")
    );
    let due = portfolio::today().to_string();
    let response = app
        .post_form(
            "/admin/tareas",
            &[
                ("csrf_token", csrf.as_str()),
                ("titulo", "Revisar coberturas"),
                ("vence", &due),
                ("prioridad", "high"),
                ("responsable", &me),
                ("entidad", "policy"),
                ("entidad_id", &policy),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let (customer, entity, created_by): (Option<i64>, Option<String>, Option<i64>) = tasks::table
        .select((
            tasks::customer_id,
            tasks::entity_type,
            tasks::created_by_staff_id,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(customer, Some(f.customer));
    assert_eq!(entity.as_deref(), Some("policy"));
    assert_eq!(created_by, Some(f.agent));
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("task.created"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);

    // A record outside the agent's portfolio is not found.
    let stranger = portfolio::customer(&mut conn, 9, "Eva", Some(f.colleague));
    assert_eq!(
        app.get(&format!(
            "/admin/tareas/nueva?entidad=customer&id={stranger}"
        ))
        .await
        .status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_claim_page_lists_its_open_tasks_and_links_a_new_one() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    create_staff(&mut conn, "tramita@soriano.es", Role::Claims, PASSWORD);
    let user = soriano::auth::staff::find_by_email(&mut conn, "tramita@soriano.es")
        .unwrap()
        .unwrap();
    let by = soriano::audit::Actor::new(&user, "127.0.0.1", "test");
    let claim = soriano::claims::open(
        &mut conn,
        soriano::auth::permissions::PortfolioScope::All,
        &soriano::claims::OpenClaim {
            policy_id: f.policy,
            incident_date: portfolio::today(),
            kind: "theft".into(),
            description: "Robo.".into(),
            place: String::new(),
            claimed_cents: None,
        },
        &by,
    )
    .unwrap();
    let id = diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq("Pedir la denuncia"),
            tasks::assignee_staff_id.eq(user.id),
            tasks::entity_type.eq("claim"),
            tasks::entity_id.eq(claim.id),
        ))
        .returning(tasks::id)
        .get_result::<i64>(&mut conn)
        .unwrap();
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/siniestros/{}", claim.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Pedir la denuncia"));
    assert!(page.contains(&format!(
        "/admin/tareas/nueva?entidad=claim&amp;id={}",
        claim.id
    )));
    // The task is completed right there, and the handler lands back on the claim.
    assert!(page.contains(&format!("action=\"/admin/tareas/{id}/completar\"")));
    let csrf = common::csrf_from_html(&page);
    let response = app
        .post_form(
            &format!("/admin/tareas/{id}/completar"),
            &[("csrf_token", &csrf), ("volver", "registro")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, format!("/admin/siniestros/{}", claim.id));
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("Tarea completada."), "{page}");
    assert_eq!(status_of(&mut conn, id).0, "done");
    app.stop().await;
}

#[actix_web::test]
async fn a_new_task_is_shown_on_top_of_the_list_whatever_page_it_falls_on() {
    let (app, f) = spawn().await;
    let mut conn = app.db.conn();
    // Enough earlier tasks to push an undated one off the first page.
    for n in 0..60 {
        task(
            &mut conn,
            &format!("Tarea antigua {n}"),
            f.agent,
            Some(portfolio::today()),
        );
    }
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/tareas/nueva").await;
    let response = app
        .post_form(
            "/admin/tareas",
            &[
                ("csrf_token", &csrf),
                ("titulo", "Llamar a la gestoría"),
                ("descripcion", ""),
                ("vence", ""),
                ("prioridad", "normal"),
                ("responsable", &f.agent.to_string()),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/tareas?creada="), "{location}");
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("Tarea creada."), "{page}");
    let pinned = &page[page.find("id=\"tarea-creada\"").expect("pinned task")..];
    assert!(pinned.contains("Llamar a la gestoría"), "{page}");
    // Someone else's task id in the address shows nothing of it.
    let theirs = task(&mut conn, "Privada del colega", f.colleague, None);
    let page = app
        .get(&format!("/admin/tareas?creada={theirs}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(!page.contains("Privada del colega"));
    app.stop().await;
}
