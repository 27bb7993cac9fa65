//! The retention schedule and the record of processing activities: each category's purge
//! removes (or, for leads, anonymises) only what is past its period, the nightly purge runs
//! once per date, the periods and the art. 30 record are edited by the data-protection roles
//! only, with their errors next to the field.

use crate::common;

use chrono::{Duration, TimeZone, Utc};
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamptz};
use reqwest::StatusCode;
use soriano::audit::Actor;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    audit_log, leads, processing_activities, retention_rules, retention_runs,
};
use soriano::retention::{self, Category, purge};

const PASSWORD: &str = "una clave larga de prueba";
const SCHEDULE: &str = "/admin/privacidad/conservacion";
const RECORD: &str = "/admin/privacidad/tratamientos";

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .expect(sql)
        .n
}

fn exec(conn: &mut PgConnection, sql: &str, at: chrono::DateTime<Utc>) {
    diesel::sql_query(sql)
        .bind::<Timestamptz, _>(at)
        .execute(conn)
        .expect(sql);
}

/// A lead written `age` ago with a submission and a consent; `customer` links it to a client.
fn lead(conn: &mut PgConnection, name: &str, age: Duration, customer: Option<i64>) -> i64 {
    let at = Utc::now() - age;
    let id: i64 = diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq(name),
            leads::email.eq(format!(
                "{}@correo.test",
                name.to_lowercase().replace(' ', ".")
            )),
            leads::phone.eq("612345678"),
            leads::tax_id.eq("12345678Z"),
            leads::source.eq("web_form"),
            leads::notes.eq("Llamar por la tarde"),
            leads::customer_id.eq(customer),
            leads::created_at.eq(at),
            leads::updated_at.eq(at),
        ))
        .returning(leads::id)
        .get_result(conn)
        .unwrap();
    diesel::sql_query(
        "INSERT INTO lead_submissions (lead_id, payload, ip, created_at)
         VALUES ($1, '{\"nombre\": \"x\"}', '10.0.0.1', $2)",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .unwrap();
    diesel::sql_query(
        "INSERT INTO lead_consents (lead_id, purpose, granted, text_version, recorded_at)
         VALUES ($1, 'privacy', TRUE, 'web-2026-11', $2)",
    )
    .bind::<BigInt, _>(id)
    .bind::<Timestamptz, _>(at)
    .execute(conn)
    .unwrap();
    id
}

/// What a lead row holds that can name a person, and when it stopped holding it.
type LeadIdentity = (
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    Option<chrono::DateTime<Utc>>,
);

#[test]
fn each_category_removes_only_what_is_past_its_period() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    soriano::seed::catalog(&mut conn).unwrap();
    let agent = create_staff(&mut conn, "agente@soriano.test", Role::Agent, PASSWORD);
    common::sample_portfolio(&mut conn, agent);
    let now = Utc::now();
    let old = now - Duration::days(800);
    let recent = now - Duration::hours(1);

    for at in [old, recent] {
        exec(
            &mut conn,
            "INSERT INTO form_submissions (token, created_at) VALUES (md5(random()::text), $1)",
            at,
        );
        exec(
            &mut conn,
            "INSERT INTO rate_limit_hits (bucket, key, hit_at) VALUES ('lead', '10.0.0.1', $1)",
            at,
        );
        exec(
            &mut conn,
            "INSERT INTO login_attempts (email, ip, succeeded, attempted_at)
             VALUES ('x@soriano.test', '10.0.0.1', FALSE, $1)",
            at,
        );
        exec(
            &mut conn,
            "INSERT INTO sessions (key_hash, state, created_at, expires_at, kind)
             VALUES (md5(random()::text), '{}', $1, now() + interval '1 day', 'staff')",
            at,
        );
        exec(
            &mut conn,
            "INSERT INTO staff_tokens (token_hash, staff_id, purpose, created_at, expires_at)
             SELECT md5(random()::text), id, 'password_reset', $1, $1 + interval '1 hour'
               FROM staff_users LIMIT 1",
            at,
        );
        for status in ["sent", "pending"] {
            diesel::sql_query(
                "INSERT INTO outbound_emails (kind, to_address, subject, body_text, body_html,
                                              status, created_at, next_attempt_at)
                 VALUES ('test', 'a@b.test', 'Asunto', 'Texto', '<p>Texto</p>', $2, $1, $1)",
            )
            .bind::<Timestamptz, _>(at)
            .bind::<Text, _>(status)
            .execute(&mut conn)
            .unwrap();
        }
    }
    let customer: i64 = soriano::db::schema::customers::table
        .select(soriano::db::schema::customers::id)
        .first(&mut conn)
        .unwrap();
    let stale = lead(&mut conn, "Ana Antigua", Duration::days(400), None);
    let fresh = lead(&mut conn, "Berta Reciente", Duration::days(10), None);
    let converted = lead(
        &mut conn,
        "Carla Cliente",
        Duration::days(400),
        Some(customer),
    );

    let report = purge::run(&mut conn, now, &Actor::system()).unwrap();
    assert_eq!(report.of(Category::FormTokens), 1);
    assert_eq!(report.of(Category::RateLimitHits), 1);
    assert_eq!(report.of(Category::LoginAttempts), 1);
    assert_eq!(report.of(Category::Sessions), 1);
    assert_eq!(report.of(Category::UsedTokens), 1);
    assert_eq!(
        report.of(Category::OutboxEmails),
        1,
        "pending e-mails are never purged"
    );
    assert_eq!(report.of(Category::UnconvertedLeads), 1);

    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM form_submissions"),
        1
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM rate_limit_hits"),
        1
    );
    assert_eq!(
        count(&mut conn, "SELECT count(*) AS n FROM login_attempts"),
        1
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM outbound_emails WHERE status = 'pending'"
        ),
        2
    );

    // The stale lead keeps its row (it still counts by source) but nothing that names anyone.
    let (name, email, phone, tax_id, notes, anonymised): LeadIdentity = leads::table
        .find(stale)
        .select((
            leads::full_name,
            leads::email,
            leads::phone,
            leads::tax_id,
            leads::notes,
            leads::anonymised_at,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, "Solicitud anonimizada");
    assert_eq!((email, phone, tax_id), (None, None, None));
    assert!(notes.is_empty() && anonymised.is_some());
    let left = |conn: &mut PgConnection, id: i64| {
        count(
            conn,
            &format!(
                "SELECT (SELECT count(*) FROM lead_submissions WHERE lead_id = {id})
                      + (SELECT count(*) FROM lead_consents WHERE lead_id = {id}) AS n"
            ),
        )
    };
    assert_eq!(left(&mut conn, stale), 0);
    assert_eq!(left(&mut conn, fresh), 2, "a recent lead is kept whole");
    assert_eq!(
        left(&mut conn, converted),
        2,
        "a lead that became a client is kept"
    );
    let kept: String = leads::table
        .find(converted)
        .select(leads::full_name)
        .first(&mut conn)
        .unwrap();
    assert_eq!(kept, "Carla Cliente");

    // A second purge finds nothing more; the runs are recorded with what they removed.
    let again = purge::run(&mut conn, now, &Actor::system()).unwrap();
    assert_eq!(again.total(), 0, "{again:?}");
    let runs = purge::recent_runs(&mut conn, 10).unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].removed.get("unconverted_leads"), Some(&1));

    // A shorter period reaches what the longer one kept.
    retention::update(
        &mut conn,
        &[(Category::UnconvertedLeads, 5)],
        &Actor::system(),
    )
    .unwrap();
    let shorter = purge::run(&mut conn, now, &Actor::system()).unwrap();
    assert_eq!(shorter.of(Category::UnconvertedLeads), 1);
    assert_eq!(left(&mut conn, fresh), 0);
}

#[test]
fn the_nightly_purge_runs_once_per_date_after_its_hour() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let madrid = chrono_tz::Europe::Madrid;
    let before = madrid
        .with_ymd_and_hms(2026, 12, 9, 2, 30, 0)
        .unwrap()
        .with_timezone(&Utc);
    let after = madrid
        .with_ymd_and_hms(2026, 12, 9, 3, 5, 0)
        .unwrap()
        .with_timezone(&Utc);
    assert!(
        purge::run_nightly_if_due(&mut conn, before)
            .unwrap()
            .is_none()
    );
    assert!(
        purge::run_nightly_if_due(&mut conn, after)
            .unwrap()
            .is_some()
    );
    assert!(
        purge::run_nightly_if_due(&mut conn, after + Duration::hours(5))
            .unwrap()
            .is_none(),
        "once per date"
    );
    assert!(
        purge::run_nightly_if_due(&mut conn, after + Duration::days(1))
            .unwrap()
            .is_some()
    );
    let nightly: i64 = retention_runs::table
        .filter(retention_runs::trigger.eq("nightly"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(nightly, 2);
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|conn| {
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
        create_staff(conn, "cumplimiento@soriano.es", Role::Compliance, PASSWORD);
        create_staff(conn, "supervisor@soriano.es", Role::Supervisor, PASSWORD);
        create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
    })
    .await
}

fn periods<'a>(csrf: &'a str, leads_days: &'a str) -> Vec<(String, &'a str)> {
    let mut fields = vec![("csrf_token".to_owned(), csrf)];
    for category in Category::ALL {
        let days = if category == Category::UnconvertedLeads {
            leads_days
        } else {
            "30"
        };
        fields.push((format!("dias_{}", category.code()), days));
    }
    fields
}

async fn post(app: &TestApp, path: &str, fields: &[(String, &str)]) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    app.post_form(path, &fields).await
}

#[actix_web::test]
async fn the_compliance_officer_changes_periods_and_purges_from_the_page() {
    let app = spawn().await;
    app.sign_in("cumplimiento@soriano.es", PASSWORD).await;
    let page = app.get(SCHEDULE).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Solicitudes (leads) que no llegan a contratar"));
    assert!(html.contains("Todavía no se ha hecho ninguna purga."));
    let csrf = common::csrf_from_html(&html);

    // Bad periods: refused next to the field, what was typed kept, nothing saved.
    let response = post(&app, SCHEDULE, &periods(&csrf, "0")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("Escriba un número de días entre 1 y 3650."),
        "{body}"
    );
    let response = post(&app, SCHEDULE, &periods(&csrf, "un año")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Escriba el plazo en días, solo con cifras."));
    assert!(body.contains(r#"value="un año""#));
    let mut conn = app.db.conn();
    let days: i32 = retention_rules::table
        .find("unconverted_leads")
        .select(retention_rules::period_days)
        .first(&mut conn)
        .unwrap();
    assert_eq!(days, 365);

    // Without its token the form is refused.
    let no_token: Vec<(String, &str)> = periods(&csrf, "200").into_iter().skip(1).collect();
    assert_eq!(
        post(&app, SCHEDULE, &no_token).await.status(),
        StatusCode::FORBIDDEN
    );

    let response = post(&app, SCHEDULE, &periods(&csrf, "200")).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let days: i32 = retention_rules::table
        .find("unconverted_leads")
        .select(retention_rules::period_days)
        .first(&mut conn)
        .unwrap();
    assert_eq!(days, 200);
    let changes: i64 = audit_log::table
        .filter(audit_log::action.eq("privacy.retention_changed"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(
        changes, 6,
        "one entry per period that changed (three were 30 already)"
    );
    let html = app.get(SCHEDULE).await.text().await.unwrap();
    assert!(html.contains(r#"value="200""#));

    let response = app
        .post_form(
            &format!("{SCHEDULE}/purgar"),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let html = app.get(SCHEDULE).await.text().await.unwrap();
    assert!(html.contains("A mano, por"), "{html}");
    assert!(!html.contains("Todavía no se ha hecho ninguna purga."));
}

#[actix_web::test]
async fn the_processing_record_is_read_edited_and_exported() {
    let app = spawn().await;
    app.sign_in("admin@soriano.es", PASSWORD).await;
    let html = app.get(RECORD).await.text().await.unwrap();
    assert!(html.contains("Registro de actividades de tratamiento"));
    assert!(html.contains("Medidas de seguridad"));
    let mut conn = app.db.conn();
    let seeded: i64 = processing_activities::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(seeded >= 5, "the record comes filled in");

    let csrf = app.csrf_token(&format!("{RECORD}/nueva")).await;
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("nombre", "Videovigilancia de la oficina"),
        ("finalidades", "Seguridad de las personas\ny de la oficina."),
        (
            "base_juridica",
            "Interés público (art. 6.1.e RGPD; art. 22 LOPDGDD).",
        ),
        ("interesados", "Visitantes y personal."),
        ("categorias_datos", "Imagen."),
        (
            "destinatarios",
            "Fuerzas y cuerpos de seguridad, cuando lo pidan.",
        ),
        ("transferencias", "No se hacen."),
        ("conservacion", ""),
        ("medidas_seguridad", "Acceso restringido a las grabaciones."),
        ("orden", "90"),
    ];
    let response = app.post_form(RECORD, &fields).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body.contains("Escriba cuánto tiempo se conservan."),
        "{body}"
    );
    assert!(body.contains(r#"value="Videovigilancia de la oficina""#));
    fields[8] = (
        "conservacion",
        "Un mes, salvo que se comunique a la autoridad.",
    );
    let response = app.post_form(RECORD, &fields).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let again = app.post_form(RECORD, &fields).await;
    assert_ne!(
        again.status(),
        StatusCode::SEE_OTHER,
        "the same name twice is refused"
    );
    let total: i64 = processing_activities::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(total, seeded + 1);

    let id: i64 = processing_activities::table
        .filter(processing_activities::name.eq("Videovigilancia de la oficina"))
        .select(processing_activities::id)
        .first(&mut conn)
        .unwrap();
    let edit = format!("{RECORD}/{id}");
    let form = app.get(&edit).await.text().await.unwrap();
    assert!(form.contains("Seguridad de las personas\ny de la oficina."));
    fields[4] = ("interesados", "Visitantes, clientes y personal.");
    assert_eq!(
        app.post_form(&edit, &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    let html = app.get(RECORD).await.text().await.unwrap();
    assert!(html.contains("Visitantes, clientes y personal."));
    assert_eq!(
        app.get(&format!("{RECORD}/999999")).await.status(),
        StatusCode::NOT_FOUND
    );

    let csv = app.get(&format!("{RECORD}/exportar?formato=csv")).await;
    assert_eq!(csv.status(), StatusCode::OK);
    let csv = csv.text().await.unwrap();
    assert!(csv.contains("Base jurídica"));
    assert!(csv.contains("Videovigilancia de la oficina"));
    let saved: i64 = audit_log::table
        .filter(audit_log::action.eq("privacy.processing_activity_saved"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(saved, 2);
}

#[actix_web::test]
async fn sales_roles_cannot_reach_the_schedule_or_the_record() {
    for (email, role) in [
        ("agente@soriano.es", Role::Agent),
        ("supervisor@soriano.es", Role::Supervisor),
    ] {
        let app = TestApp::spawn_with(|conn| {
            create_staff(conn, email, role, PASSWORD);
        })
        .await;
        app.sign_in(email, PASSWORD).await;
        for path in [SCHEDULE, RECORD, "/admin/privacidad/tratamientos/nueva"] {
            assert_eq!(
                app.get(path).await.status(),
                StatusCode::FORBIDDEN,
                "{email} {path}"
            );
        }
        let csrf = app.csrf_token("/admin").await;
        let purge = app
            .post_form(
                &format!("{SCHEDULE}/purgar"),
                &[("csrf_token", csrf.as_str())],
            )
            .await;
        assert_eq!(purge.status(), StatusCode::FORBIDDEN);
        let menu = app.get("/admin").await.text().await.unwrap();
        assert!(!menu.contains(SCHEDULE), "no menu entry for {email}");
    }
}
