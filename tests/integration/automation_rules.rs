//! The automation rules in the back-office: an admin creates a rule (a form sent twice creates
//! one), sees Spanish errors next to the fields with what was typed kept, edits it, disables and
//! enables it, runs a dry run (a dated rule: the records due now; an event rule: how often it
//! would have acted lately) and reads its log; every change is audited; nobody else gets in,
//! and no change goes through without the CSRF token.

use crate::common;
use crate::portfolio;

use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, automation_rules};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const SUPERVISOR: &str = "supervisora@soriano.es";
const AGENT: &str = "agente@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";

async fn spawn() -> TestApp {
    TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        create_staff(conn, SUPERVISOR, Role::Supervisor, PASSWORD);
        create_staff(conn, AGENT, Role::Agent, PASSWORD);
        create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    })
    .await
}

/// A browser of its own, signed in as `email`; returns it and a CSRF token of its session.
async fn browser(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = common::new_client();
    let body = client
        .get(app.url("/admin/entrar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    let response = client
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email} signs in");
    let page = get(app, &client, "/admin").await.text().await.unwrap();
    (client, common::csrf_from_html(&page))
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend_from_slice(form);
    client
        .post(app.url(path))
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

fn form_token(html: &str) -> String {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker).expect("a form token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn id_at_end(path: &str) -> i64 {
    path.rsplit('/').next().unwrap().parse().unwrap()
}

/// Rules written by staff (the ones Soriano ships carry a system key).
fn rule_count(conn: &mut PgConnection) -> i64 {
    automation_rules::table
        .filter(automation_rules::system_key.is_null())
        .count()
        .get_result(conn)
        .unwrap()
}

fn audited(conn: &mut PgConnection, action: &str, id: i64) -> i64 {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::target_type.eq("automation_rule"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(conn)
        .unwrap()
}

/// A new-rule form's token, fetched as a browser would.
async fn new_form_token(app: &TestApp, client: &reqwest::Client) -> String {
    let response = get(app, client, "/admin/automatizacion/reglas/nueva").await;
    assert_eq!(response.status(), StatusCode::OK);
    form_token(&response.text().await.unwrap())
}

/// Sends the new-rule form with `fields` and its one-time token: the status and the page.
async fn create_with(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    once: &str,
    fields: Vec<(&'static str, &'static str)>,
) -> (StatusCode, String) {
    let mut all: Vec<(&str, &str)> = fields;
    all.push(("form_token", once));
    let response = post(app, client, "/admin/automatizacion/reglas", token, &all).await;
    (response.status(), response.text().await.unwrap())
}

const EVENT_RULE: &[(&str, &str)] = &[
    ("nombre", "Siniestro nuevo: llamar al cliente"),
    ("descripcion", "Que nadie se quede sin llamada."),
    ("disparador", "evento"),
    ("evento", "claim.created"),
    ("tipo_0", "tarea"),
    ("titulo_0", "Llamar al cliente por su siniestro"),
    ("asignar_0", "agente"),
    ("plazo_0", "1"),
    ("prioridad_0", "alta"),
    ("tipo_1", "ninguna"),
    ("tipo_2", "ninguna"),
    ("tipo_3", "ninguna"),
];

#[actix_web::test]
async fn an_admin_creates_edits_disables_and_enables_an_event_rule() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let (admin, token) = browser(&app, ADMIN).await;

    let list = get(&app, &admin, "/admin/automatizacion").await;
    assert_eq!(list.status(), StatusCode::OK);
    let body = list.text().await.unwrap();
    assert!(body.contains("Nueva regla") && body.contains("/admin/automatizacion/plantillas"));
    assert!(body.contains("Detenidas y fallidas"));

    // Created once, however many times the same form is sent.
    let once = new_form_token(&app, &admin).await;
    let mut fields = EVENT_RULE.to_vec();
    fields.push(("form_token", once.as_str()));
    let created = post(
        &app,
        &admin,
        "/admin/automatizacion/reglas",
        &token,
        &fields,
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let at = location(&created);
    assert!(at.starts_with("/admin/automatizacion/reglas/"), "{at}");
    let again = post(
        &app,
        &admin,
        "/admin/automatizacion/reglas",
        &token,
        &fields,
    )
    .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&again),
        at,
        "the second submit leads to the same rule"
    );
    assert_eq!(rule_count(&mut conn), 1);
    let id = id_at_end(&at);

    let rule = soriano::automation::rules::find(&mut conn, id)
        .unwrap()
        .unwrap();
    assert!(rule.enabled);
    assert_eq!(
        rule.trigger,
        soriano::automation::Trigger::Event {
            kind: "claim.created".into()
        }
    );
    assert_eq!(
        rule.actions,
        vec![soriano::automation::Action::CreateTask {
            title: "Llamar al cliente por su siniestro".into(),
            assignee: soriano::automation::Assignee::RecordAgent,
            due_in_days: 1,
            priority: "high".into(),
        }]
    );
    assert_eq!(audited(&mut conn, "automation.rule_created", id), 1);

    // The list says what it does, in Spanish.
    let body = get(&app, &admin, "/admin/automatizacion")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Siniestro nuevo: llamar al cliente"));
    assert!(body.contains("Evento: Siniestro comunicado"));
    assert!(body.contains(
        "Tarea «Llamar al cliente por su siniestro» para el agente del registro, con 1 día de plazo, prioridad alta"
    ));
    assert!(body.contains("Activa") && body.contains("Todavía ninguna"));

    // Edited: a condition and a second action.
    let page = get(&app, &admin, &at).await;
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().await.unwrap();
    assert!(body.contains("value=\"Siniestro nuevo: llamar al cliente\""));
    assert!(body.contains("Probar (simulación)"));
    let mut fields = EVENT_RULE.to_vec();
    fields.retain(|(name, _)| *name != "nombre" && *name != "tipo_1");
    fields.extend([
        ("nombre", "Siniestro de hogar: llamar"),
        ("condicion_campo_0", "ramo"),
        ("condicion_operador_0", "eq"),
        ("condicion_valor_0", "hogar"),
        ("tipo_1", "nota"),
        ("texto_1", "Regla: llamada pedida al agente."),
    ]);
    let saved = post(&app, &admin, &at, &token, &fields).await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&saved), at);
    let rule = soriano::automation::rules::find(&mut conn, id)
        .unwrap()
        .unwrap();
    assert_eq!(rule.name, "Siniestro de hogar: llamar");
    assert_eq!(rule.conditions.len(), 1);
    assert_eq!(rule.conditions[0].field, "ramo");
    assert_eq!(rule.actions.len(), 2);
    assert_eq!(audited(&mut conn, "automation.rule_updated", id), 1);
    assert_eq!(rule_count(&mut conn), 1);

    // Disabled, then enabled again.
    let state = format!("{at}/estado");
    let off = post(&app, &admin, &state, &token, &[("activa", "0")]).await;
    assert_eq!(off.status(), StatusCode::SEE_OTHER);
    let enabled: bool = automation_rules::table
        .find(id)
        .select(automation_rules::enabled)
        .first(&mut conn)
        .unwrap();
    assert!(!enabled);
    let body = get(&app, &admin, "/admin/automatizacion")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Desactivada") && body.contains("Regla desactivada"));
    let on = post(&app, &admin, &state, &token, &[("activa", "1")]).await;
    assert_eq!(on.status(), StatusCode::SEE_OTHER);
    let enabled: bool = automation_rules::table
        .find(id)
        .select(automation_rules::enabled)
        .first(&mut conn)
        .unwrap();
    assert!(enabled);
    assert_eq!(audited(&mut conn, "automation.rule_toggled", id), 2);

    // Its log, empty so far.
    let log = get(&app, &admin, &format!("{at}/registro")).await;
    assert_eq!(log.status(), StatusCode::OK);
    let body = log.text().await.unwrap();
    assert!(body.contains("Registro de «Siniestro de hogar: llamar»"));
    assert!(body.contains("Esta regla todavía no ha actuado."));

    // A rule that is not there.
    assert_eq!(
        get(&app, &admin, "/admin/automatizacion/reglas/999999")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[actix_web::test]
async fn errors_are_spanish_next_to_their_fields_and_keep_what_was_typed() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let (admin, token) = browser(&app, ADMIN).await;
    let once = new_form_token(&app, &admin).await;
    let send = |fields: Vec<(&'static str, &'static str)>| {
        create_with(&app, &admin, &token, &once, fields)
    };

    // No actions.
    let (status, body) = send(vec![
        ("nombre", "Regla sin acciones"),
        ("disparador", "evento"),
        ("evento", "quote.sent"),
        ("tipo_0", "ninguna"),
        ("tipo_1", "ninguna"),
    ])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Hay errores en el formulario"));
    assert!(body.contains("Añada al menos una acción."));
    assert!(body.contains("value=\"Regla sin acciones\""));

    // A template that does not exist: the message goes next to its action row (the second).
    let (status, body) = send(vec![
        ("nombre", "Correo inventado"),
        ("disparador", "evento"),
        ("evento", "quote.sent"),
        ("tipo_0", "ninguna"),
        ("tipo_1", "correo"),
        ("plantilla_1", "no_existe"),
        ("destinatario_1", "cliente"),
    ])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("id=\"accion_1-error\">Esa plantilla no existe."),
        "the error is next to the second action"
    );
    assert!(body.contains("value=\"Correo inventado\""));

    // Numbers and hours that are not.
    let (status, body) = send(vec![
        ("nombre", "Revisión semanal"),
        ("disparador", "programado"),
        ("hora", "25:99"),
        ("dia", "1"),
        ("tipo_0", "tarea"),
        ("titulo_0", "Revisar la cartera"),
        ("asignar_0", "rol:supervisor"),
        ("plazo_0", "dos"),
        ("prioridad_0", "normal"),
    ])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("Escriba la hora como HH:MM, por ejemplo 08:30."));
    assert!(body.contains("id=\"plazo_0-error\">Escriba el plazo en días"));
    assert!(body.contains("value=\"25:99\"") && body.contains("value=\"dos\""));
    assert!(body.contains("value=\"Revisar la cartera\""));

    let (status, body) = send(vec![
        ("nombre", "Antes del vencimiento"),
        ("disparador", "fecha"),
        ("referencia", "policy.end_date"),
        ("desfase", "sesenta"),
        ("sentido", "antes"),
        ("unidad", "days"),
        ("tipo_0", "nota"),
        ("texto_0", ""),
        ("condicion_campo_0", "Estado del registro"),
        ("condicion_operador_0", "eq"),
        ("condicion_valor_0", "activa"),
    ])
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"desfase-error\">Escriba un número entero"));
    assert!(body.contains("id=\"accion_0-error\">Escriba la nota"));
    assert!(body.contains("id=\"condicion_campo_0-error\">Escriba el campo en minúsculas"));
    assert!(body.contains("value=\"sesenta\"") && body.contains("value=\"activa\""));

    assert_eq!(rule_count(&mut conn), 0, "nothing saved");

    // The same form, corrected, still creates its rule: refused sends did not use the token.
    let (status, _) = send(vec![
        ("nombre", "Regla ya bien escrita"),
        ("disparador", "evento"),
        ("evento", "quote.sent"),
        ("tipo_0", "tarea"),
        ("titulo_0", "Seguir el presupuesto"),
        ("asignar_0", "agente"),
        ("plazo_0", "2"),
        ("prioridad_0", "normal"),
    ])
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(rule_count(&mut conn), 1);
    app.stop().await;
}

#[actix_web::test]
async fn only_admins_reach_the_rules_and_never_without_the_csrf_token() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let (admin, admin_token) = browser(&app, ADMIN).await;
    let once = new_form_token(&app, &admin).await;
    let mut fields = EVENT_RULE.to_vec();
    fields.push(("form_token", once.as_str()));
    let created = post(
        &app,
        &admin,
        "/admin/automatizacion/reglas",
        &admin_token,
        &fields,
    )
    .await;
    let id = id_at_end(&location(&created));

    let paths: Vec<(&str, String)> = vec![
        ("GET", "/admin/automatizacion".into()),
        ("GET", "/admin/automatizacion/reglas/nueva".into()),
        ("POST", "/admin/automatizacion/reglas".into()),
        ("GET", format!("/admin/automatizacion/reglas/{id}")),
        ("POST", format!("/admin/automatizacion/reglas/{id}")),
        ("POST", format!("/admin/automatizacion/reglas/{id}/estado")),
        (
            "POST",
            format!("/admin/automatizacion/reglas/{id}/simulacion"),
        ),
        ("GET", format!("/admin/automatizacion/reglas/{id}/registro")),
        ("POST", "/admin/automatizacion/eventos/1/reintentar".into()),
        (
            "POST",
            "/admin/automatizacion/ejecuciones/1/reintentar".into(),
        ),
    ];
    for email in [SUPERVISOR, AGENT, CLAIMS] {
        let (client, token) = browser(&app, email).await;
        for (method, path) in &paths {
            let response = match *method {
                "POST" => post(&app, &client, path, &token, &[("activa", "0")]).await,
                _ => get(&app, &client, path).await,
            };
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{email} {method} {path}"
            );
        }
    }
    let enabled: bool = automation_rules::table
        .find(id)
        .select(automation_rules::enabled)
        .first(&mut conn)
        .unwrap();
    assert!(enabled, "no one else changed it");

    // The admin without the token: refused, nothing changes.
    let response = admin
        .post(app.url(&format!("/admin/automatizacion/reglas/{id}/estado")))
        .form(&[("activa", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let other = new_form_token(&app, &admin).await;
    let mut fields = EVENT_RULE.to_vec();
    fields.push(("form_token", other.as_str()));
    let response = admin
        .post(app.url("/admin/automatizacion/reglas"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let enabled: bool = automation_rules::table
        .find(id)
        .select(automation_rules::enabled)
        .first(&mut conn)
        .unwrap();
    assert!(enabled);
    assert_eq!(rule_count(&mut conn), 1);
    app.stop().await;
}

#[actix_web::test]
async fn the_dry_run_counts_what_a_rule_would_act_on() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let today = portfolio::today();
    let customer = portfolio::customer(&mut conn, 1, "Marta", None);
    let policy = portfolio::policy(
        &mut conn,
        customer,
        "POL-SIM-0001",
        today - chrono::Duration::days(305),
        today + chrono::Duration::days(60),
    );
    // Another one, ending later: not due today.
    portfolio::policy(
        &mut conn,
        customer,
        "POL-SIM-0002",
        today - chrono::Duration::days(200),
        today + chrono::Duration::days(165),
    );
    let (admin, token) = browser(&app, ADMIN).await;

    let once = new_form_token(&app, &admin).await;
    let created = post(
        &app,
        &admin,
        "/admin/automatizacion/reglas",
        &token,
        &[
            ("form_token", once.as_str()),
            ("nombre", "Renovación: 60 días antes"),
            ("disparador", "fecha"),
            ("referencia", "policy.end_date"),
            ("desfase", "60"),
            ("sentido", "antes"),
            ("unidad", "days"),
            ("tipo_0", "tarea"),
            ("titulo_0", "Preparar la renovación"),
            ("asignar_0", "agente"),
            ("plazo_0", "7"),
            ("prioridad_0", "normal"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let at = location(&created);
    let list = get(&app, &admin, "/admin/automatizacion")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains("60 días antes: vencimiento de una póliza en vigor"));

    // Without JavaScript: the rule's page with the result.
    let response = post(&app, &admin, &format!("{at}/simulacion"), &token, &[]).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Ahora se dispararía para 1 registro."),
        "{body}"
    );
    assert!(body.contains(&format!("href=\"/admin/polizas/{policy}\"")));
    assert!(body.contains("Póliza POL-SIM-0001") && !body.contains("POL-SIM-0002"));
    assert!(body.contains("Prueba, Marta"));

    // With htmx: the result alone.
    let response = admin
        .post(app.url(&format!("{at}/simulacion")))
        .header("HX-Request", "true")
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(!body.contains("<html") && body.contains("Ahora se dispararía para 1 registro."));

    // A dry run does nothing.
    let runs: i64 = soriano::db::schema::automation_runs::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(runs, 0);

    // An event rule: the events of its kind in the last 30 days whose conditions hold.
    for entity in [1_i64, 2, 3] {
        soriano::events::publish(
            &mut conn,
            "quote.sent",
            "quote",
            900_000 + entity,
            serde_json::json!({}),
        )
        .unwrap();
    }
    let once = new_form_token(&app, &admin).await;
    let created = post(
        &app,
        &admin,
        "/admin/automatizacion/reglas",
        &token,
        &[
            ("form_token", once.as_str()),
            ("nombre", "Presupuesto enviado: seguimiento"),
            ("disparador", "evento"),
            ("evento", "quote.sent"),
            ("tipo_0", "tarea"),
            ("titulo_0", "Llamar por el presupuesto"),
            ("asignar_0", "rol:supervisor"),
            ("plazo_0", "3"),
            ("prioridad_0", "normal"),
        ],
    )
    .await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let at = location(&created);
    let body = post(&app, &admin, &format!("{at}/simulacion"), &token, &[])
        .await
        .text()
        .await
        .unwrap();
    assert!(
        body.contains("En los últimos 30 días habría actuado 3 veces."),
        "{body}"
    );
    app.stop().await;
}

/// A parked event and a parked dated run, as the engine leaves them after five failures.
fn stuck_work(conn: &mut PgConnection) -> (i64, i64) {
    use soriano::db::schema::{automation_runs, domain_events, policies};
    let rule: i64 = automation_rules::table
        .filter(automation_rules::system_key.eq("renewal_task"))
        .select(automation_rules::id)
        .first(conn)
        .unwrap();
    let (policy, customer): (i64, i64) = policies::table
        .order(policies::id)
        .select((policies::id, policies::customer_id))
        .first(conn)
        .unwrap();
    let event: i64 = diesel::insert_into(domain_events::table)
        .values((
            domain_events::kind.eq("quote.sent"),
            domain_events::entity_type.eq("quote"),
            domain_events::entity_id.eq(999_999_i64),
            domain_events::payload.eq(serde_json::json!({})),
            domain_events::attempts.eq(5),
            domain_events::last_error.eq("Envío del presupuesto: el presupuesto ya no existe"),
            domain_events::parked_at.eq(diesel::dsl::now),
        ))
        .returning(domain_events::id)
        .get_result(conn)
        .unwrap();
    let run: i64 = diesel::insert_into(automation_runs::table)
        .values((
            automation_runs::rule_id.eq(rule),
            automation_runs::occurrence.eq(format!("policy:{policy}:1700000000")),
            automation_runs::entity_type.eq("policy"),
            automation_runs::entity_id.eq(policy),
            automation_runs::customer_id.eq(customer),
            automation_runs::status.eq("parked"),
            automation_runs::attempts.eq(5),
            automation_runs::last_error.eq("La póliza no tiene agente ni hay supervisión activa"),
        ))
        .returning(automation_runs::id)
        .get_result(conn)
        .unwrap();
    (event, run)
}

#[actix_web::test]
async fn parked_work_is_listed_and_retried_with_an_audit_entry() {
    use soriano::db::schema::{automation_runs, domain_events};
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        let customer = portfolio::customer(conn, 1, "Marta", None);
        portfolio::live_policy(conn, customer, "POL-PARADA-1");
    })
    .await;
    let mut conn = app.db.conn();
    let (event, run) = stuck_work(&mut conn);
    let (admin, token) = browser(&app, ADMIN).await;

    let body = get(&app, &admin, "/admin/automatizacion")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Eventos detenidos") && body.contains("Presupuesto enviado"));
    assert!(body.contains("Ejecuciones con errores") && body.contains("Detenida"));
    assert!(body.contains(&format!("/admin/automatizacion/eventos/{event}/reintentar")));
    assert!(body.contains(&format!(
        "/admin/automatizacion/ejecuciones/{run}/reintentar"
    )));

    let retried = post(
        &app,
        &admin,
        &format!("/admin/automatizacion/eventos/{event}/reintentar"),
        &token,
        &[],
    )
    .await;
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    let parked: Option<chrono::DateTime<chrono::Utc>> = domain_events::table
        .find(event)
        .select(domain_events::parked_at)
        .first(&mut conn)
        .unwrap();
    assert!(parked.is_none(), "the event is back in line");

    let retried = post(
        &app,
        &admin,
        &format!("/admin/automatizacion/ejecuciones/{run}/reintentar"),
        &token,
        &[],
    )
    .await;
    assert_eq!(retried.status(), StatusCode::SEE_OTHER);
    let status: String = automation_runs::table
        .find(run)
        .select(automation_runs::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "failed", "the run will be tried again");
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("automation.retried"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 2);

    // Retried twice: nothing more to do, and no second audit entry.
    let again = post(
        &app,
        &admin,
        &format!("/admin/automatizacion/eventos/{event}/reintentar"),
        &token,
        &[],
    )
    .await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("automation.retried"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 2);

    // The rule's log shows the run, with its record and error.
    let rule: i64 = automation_runs::table
        .find(run)
        .select(automation_runs::rule_id)
        .first(&mut conn)
        .unwrap();
    let body = get(
        &app,
        &admin,
        &format!("/admin/automatizacion/reglas/{rule}/registro"),
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(body.contains("Fallida, se reintentará"));
    assert!(body.contains("La póliza no tiene agente ni hay supervisión activa"));
    assert!(body.contains("/admin/polizas/"));
    app.stop().await;
}

#[actix_web::test]
async fn no_automation_page_shows_codes_json_or_ids() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        stuck_work(conn);
    })
    .await;
    let response = app
        .sign_in(
            soriano::seed::DEMO_ADMIN_EMAIL,
            soriano::seed::DEMO_ADMIN_PASSWORD,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let token = app.csrf_token("/admin/automatizacion").await;
    let mut conn = app.db.conn();
    let ids: Vec<i64> = automation_rules::table
        .order(automation_rules::id)
        .select(automation_rules::id)
        .load(&mut conn)
        .unwrap();
    assert!(!ids.is_empty(), "the rules Soriano ships");
    let mut found = Vec::new();
    let mut pages = vec![
        "/admin/automatizacion".to_owned(),
        "/admin/automatizacion/reglas/nueva".to_owned(),
    ];
    for id in &ids {
        pages.push(format!("/admin/automatizacion/reglas/{id}"));
        pages.push(format!("/admin/automatizacion/reglas/{id}/registro"));
    }
    for path in &pages {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let body = response.text().await.unwrap();
        found.extend(crate::visible_text::internals_of_page(path, &body));
    }
    for id in &ids {
        let path = format!("/admin/automatizacion/reglas/{id}/simulacion");
        let response = app
            .client
            .post(app.url(&path))
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "POST {path}");
        let body = response.text().await.unwrap();
        found.extend(crate::visible_text::internals_of_page(&path, &body));
    }
    // A form sent back with the domain's errors.
    let response = app
        .client
        .post(app.url(&format!("/admin/automatizacion/reglas/{}", ids[0])))
        .form(&[
            ("csrf_token", token.as_str()),
            ("nombre", ""),
            ("disparador", "evento"),
            ("evento", "lead.created"),
            ("tipo_0", "campo"),
            ("campo_0", "customer.segmento"),
            ("valor_0", "individual"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    found.extend(crate::visible_text::internals_of_page("errores", &body));
    assert!(found.is_empty(), "{}", found.join("\n"));
    app.stop().await;
}
