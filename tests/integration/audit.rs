//! The security audit log: append-only in the database, and its back-office page with filters,
//! pagination and htmx partials.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{DateTime, Utc};
use common::{TestApp, TestDatabase, create_staff};
use diesel::connection::{Instrumentation, InstrumentationEvent};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};
use reqwest::StatusCode;
use serde_json::json;
use soriano::audit::{self, Action, Filter, NewEntry};
use soriano::auth::staff::Role;
use soriano::db::schema::audit_log;

const PASSWORD: &str = "una clave larga de prueba";

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// An entry at a chosen instant (`record` always stamps `now()`).
fn insert_entry(
    conn: &mut PgConnection,
    occurred_at: DateTime<Utc>,
    actor_staff_id: Option<i64>,
    actor_label: &str,
    action: Action,
) -> i64 {
    diesel::sql_query(
        "INSERT INTO audit_log (occurred_at, actor_staff_id, actor_label, action) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind::<Timestamptz, _>(occurred_at)
    .bind::<Nullable<BigInt>, _>(actor_staff_id)
    .bind::<Text, _>(actor_label)
    .bind::<Text, _>(action.code())
    .get_result::<Id>(conn)
    .unwrap()
    .id
}

/// A staff row without the cost of hashing a password (for accounts that never sign in).
fn insert_staff(conn: &mut PgConnection, email: &str, name: &str) -> i64 {
    diesel::sql_query(
        "INSERT INTO staff_users (email, name, role, password_hash) \
         VALUES ($1, $2, 'agent', 'not-a-hash') RETURNING id",
    )
    .bind::<Text, _>(email)
    .bind::<Text, _>(name)
    .get_result::<Id>(conn)
    .unwrap()
    .id
}

/// Ids of the entries listed on a page, in order.
fn entry_ids(html: &str) -> Vec<i64> {
    regex::Regex::new(r#"<tr id="audit-(\d+)""#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].parse().unwrap())
        .collect()
}

/// The "Más antiguos" link of a page, as a path.
fn older_link(html: &str) -> Option<String> {
    regex::Regex::new(r#"<a href="([^"]+)" rel="next""#)
        .unwrap()
        .captures(html)
        .map(|c| c[1].replace("&#38;", "&").replace("&amp;", "&"))
}

/// A new cookie-keeping client signed in as `email`.
async fn signed_in_client(app: &TestApp, email: &str) -> reqwest::Client {
    let client = common::new_client();
    let page = client
        .get(app.url("/admin/entrar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&page);
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
    client
}

/// An app with an administrator signed in on `app.client`, after `prepare`.
async fn admin_app(prepare: impl FnOnce(&mut PgConnection)) -> TestApp {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
        prepare(conn);
    })
    .await;
    let response = app.sign_in("admin@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app
}

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

// --- The table -------------------------------------------------------------------------------

#[test]
fn record_writes_a_row_with_every_field() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let staff_id = insert_staff(&mut conn, "ana@soriano.es", "Ana Belén");
    let before = Utc::now();
    audit::record(
        &mut conn,
        &NewEntry {
            actor_staff_id: Some(staff_id),
            actor_label: "ana@soriano.es",
            action: Action::StaffRoleChanged,
            target_type: Some(audit::target::STAFF_USER),
            target_id: Some(42),
            ip: "203.0.113.7",
            user_agent: "Mozilla/5.0 (X11; Linux x86_64)",
            details: json!({"role": {"before": "agent", "after": "supervisor"}}),
        },
    )
    .unwrap();

    type Row = (
        DateTime<Utc>,
        Option<i64>,
        String,
        String,
        Option<String>,
        Option<i64>,
        Option<String>,
        Option<String>,
        serde_json::Value,
    );
    let rows: Vec<Row> = audit_log::table
        .select((
            audit_log::occurred_at,
            audit_log::actor_staff_id,
            audit_log::actor_label,
            audit_log::action,
            audit_log::target_type,
            audit_log::target_id,
            audit_log::ip,
            audit_log::user_agent,
            audit_log::details,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rows.len(), 1);
    let (occurred_at, actor, label, action, target_type, target_id, ip, user_agent, details) =
        rows.into_iter().next().unwrap();
    assert!(occurred_at >= before - chrono::Duration::seconds(5) && occurred_at <= Utc::now());
    assert_eq!(actor, Some(staff_id));
    assert_eq!(label, "ana@soriano.es");
    assert_eq!(action, "staff.role_changed");
    assert_eq!(target_type.as_deref(), Some("staff_user"));
    assert_eq!(target_id, Some(42));
    assert_eq!(ip.as_deref(), Some("203.0.113.7"));
    assert_eq!(
        user_agent.as_deref(),
        Some("Mozilla/5.0 (X11; Linux x86_64)")
    );
    assert_eq!(
        details,
        json!({"role": {"before": "agent", "after": "supervisor"}})
    );
}

#[test]
fn an_anonymous_entry_without_a_request_stores_nulls_and_a_label() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    for label in ["  intruso@example.com ", ""] {
        audit::record(
            &mut conn,
            &NewEntry {
                actor_staff_id: None,
                actor_label: label,
                action: Action::SignInFailed,
                target_type: None,
                target_id: None,
                ip: "",
                user_agent: "",
                details: serde_json::Value::Null,
            },
        )
        .unwrap();
    }
    let rows: Vec<(String, Option<String>, Option<String>, serde_json::Value)> = audit_log::table
        .order(audit_log::id)
        .select((
            audit_log::actor_label,
            audit_log::ip,
            audit_log::user_agent,
            audit_log::details,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("intruso@example.com".to_owned(), None, None, json!({})),
            ("desconocido".to_owned(), None, None, json!({})),
        ]
    );
}

#[test]
fn an_entry_recorded_in_a_transaction_that_rolls_back_is_not_kept() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let outcome = conn.transaction::<(), diesel::result::Error, _>(|conn| {
        audit::record(
            conn,
            &NewEntry {
                actor_staff_id: None,
                actor_label: audit::SYSTEM_ACTOR,
                action: Action::TwoFactorPolicyChanged,
                target_type: Some(audit::target::SETTINGS),
                target_id: None,
                ip: "",
                user_agent: "",
                details: json!({}),
            },
        )?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(outcome.is_err());
    let count: i64 = audit_log::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 0);
}

#[test]
fn the_database_refuses_to_update_delete_or_truncate_entries_even_for_a_superuser() {
    #[derive(QueryableByName)]
    struct Super {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        rolsuper: bool,
    }
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let is_superuser =
        diesel::sql_query("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            .get_result::<Super>(&mut conn)
            .unwrap()
            .rolsuper;
    if std::env::var("DATABASE_URL").map_or(true, |url| url.is_empty()) {
        assert!(
            is_superuser,
            "the throwaway cluster connects as its superuser"
        );
    }
    let id = insert_entry(
        &mut conn,
        at("2026-11-23T10:00:00Z"),
        None,
        "ana@soriano.es",
        Action::SignIn,
    );

    for statement in [
        format!("UPDATE audit_log SET actor_label = 'otra persona' WHERE id = {id}"),
        format!("DELETE FROM audit_log WHERE id = {id}"),
        "DELETE FROM audit_log".to_owned(),
        "TRUNCATE audit_log".to_owned(),
        "TRUNCATE audit_log RESTART IDENTITY CASCADE".to_owned(),
    ] {
        let error = diesel::sql_query(&statement)
            .execute(&mut conn)
            .expect_err(&statement);
        assert!(
            error.to_string().contains("append-only"),
            "{statement}: {error}"
        );
    }
    // The same through Diesel's query builder.
    assert!(
        diesel::update(audit_log::table.find(id))
            .set(audit_log::action.eq("staff.sign_out"))
            .execute(&mut conn)
            .is_err()
    );
    assert!(diesel::delete(audit_log::table).execute(&mut conn).is_err());

    let rows: Vec<(i64, String, String)> = audit_log::table
        .select((audit_log::id, audit_log::actor_label, audit_log::action))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        rows,
        vec![(id, "ana@soriano.es".to_owned(), "staff.sign_in".to_owned())]
    );
}

#[test]
fn listing_a_page_with_actor_names_is_one_query() {
    struct CountQueries(Arc<AtomicUsize>);
    impl Instrumentation for CountQueries {
        fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
            if let InstrumentationEvent::StartQuery { .. } = event {
                self.0.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let db = TestDatabase::new();
    let mut conn = db.conn();
    for n in 0..60 {
        let email = format!("persona{n}@soriano.es");
        let id = insert_staff(&mut conn, &email, &format!("Persona {n}"));
        insert_entry(&mut conn, Utc::now(), Some(id), &email, Action::SignIn);
    }
    let queries = Arc::new(AtomicUsize::new(0));
    conn.set_instrumentation(CountQueries(queries.clone()));

    let page = audit::list(
        &mut conn,
        &Filter {
            actor: Some("persona".to_owned()),
            action: Some(Action::SignIn),
            from: Some(chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap()),
            to: Some(chrono::NaiveDate::from_ymd_opt(2100, 1, 1).unwrap()),
            ..Filter::default()
        },
    )
    .unwrap();

    assert_eq!(queries.load(Ordering::SeqCst), 1);
    assert_eq!(page.page.rows.len(), 50);
    assert!(page.page.next.is_some());
    for entry in &page.page.rows {
        let name = entry.actor_name.as_deref().unwrap();
        assert_eq!(
            entry.actor_label,
            format!("persona{}@soriano.es", &name["Persona ".len()..])
        );
    }
}

// --- Who may see the page --------------------------------------------------------------------

#[actix_web::test]
async fn admins_and_supervisors_read_the_log_agents_and_claims_handlers_do_not() {
    let roles = [Role::Admin, Role::Supervisor, Role::Agent, Role::Claims];
    let app = TestApp::spawn_with(|conn| {
        for role in roles {
            create_staff(conn, &format!("{}@soriano.es", role.code()), role, PASSWORD);
        }
        insert_entry(
            conn,
            Utc::now(),
            None,
            "visible@example.com",
            Action::SignInFailed,
        );
    })
    .await;
    for role in roles {
        let client = signed_in_client(&app, &format!("{}@soriano.es", role.code())).await;
        let response = client
            .get(app.url("/admin/auditoria"))
            .send()
            .await
            .unwrap();
        let home = client
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if matches!(role, Role::Admin | Role::Supervisor) {
            assert_eq!(response.status(), StatusCode::OK, "{role:?}");
            let body = response.text().await.unwrap();
            assert!(body.contains("visible@example.com"), "{role:?}");
            assert!(body.contains("Acceso fallido"), "{role:?}");
            assert!(
                home.contains(r#"href="/admin/auditoria""#),
                "{role:?} sees the link"
            );
        } else {
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{role:?}");
            let body = response.text().await.unwrap();
            assert!(!body.contains("visible@example.com"), "{role:?}");
            assert!(
                !home.contains(r#"href="/admin/auditoria""#),
                "{role:?} has no link"
            );
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_visitor_is_sent_to_sign_in() {
    let app = TestApp::spawn().await;
    let response = app.get("/admin/auditoria?accion=staff.sign_in").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/admin/entrar"), "{location}");
    app.stop().await;
}

// --- Filters ---------------------------------------------------------------------------------

#[actix_web::test]
async fn the_action_filter_shows_only_that_action() {
    let mut failed = Vec::new();
    let mut other = Vec::new();
    let app = admin_app(|conn| {
        for n in 0..3 {
            failed.push(insert_entry(
                conn,
                Utc::now(),
                None,
                &format!("x{n}@example.com"),
                Action::SignInFailed,
            ));
            other.push(insert_entry(
                conn,
                Utc::now(),
                None,
                "sistema",
                Action::EmailRetried,
            ));
        }
    })
    .await;
    let body = page(&app, "/admin/auditoria?accion=staff.sign_in_failed").await;
    let mut ids = entry_ids(&body);
    ids.sort();
    assert_eq!(ids, failed);
    assert!(body.contains(r#"<option value="staff.sign_in_failed" selected>"#));

    let body = page(&app, "/admin/auditoria?accion=outbox.email_retried").await;
    let mut ids = entry_ids(&body);
    ids.sort();
    assert_eq!(ids, other);
    app.stop().await;
}

#[actix_web::test]
async fn the_actor_filter_matches_label_email_or_name_ignoring_case() {
    let mut expected = Vec::new();
    let mut unexpected = Vec::new();
    let app = admin_app(|conn| {
        let mariana = insert_staff(conn, "mruiz@soriano.es", "Mariana Ruiz");
        let juan = insert_staff(conn, "juan@soriano.es", "Juan Pérez");
        // By the label (an e-mail typed on a failed sign-in).
        expected.push(insert_entry(
            conn,
            Utc::now(),
            None,
            "ANA.lopez@example.com",
            Action::SignInFailed,
        ));
        // By the account's name only.
        expected.push(insert_entry(
            conn,
            Utc::now(),
            Some(mariana),
            "mruiz@soriano.es",
            Action::SignIn,
        ));
        unexpected.push(insert_entry(
            conn,
            Utc::now(),
            Some(juan),
            "juan@soriano.es",
            Action::SignIn,
        ));
        unexpected.push(insert_entry(
            conn,
            Utc::now(),
            None,
            "sistema",
            Action::EmailRetried,
        ));
        // LIKE wildcards typed are literal: "a_a" must not match "ana" (searched below).
        insert_entry(
            conn,
            Utc::now(),
            None,
            "anabel@example.com",
            Action::SignInFailed,
        );
    })
    .await;
    let body = page(&app, "/admin/auditoria?actor=Ana").await;
    let ids = entry_ids(&body);
    for id in &expected {
        assert!(ids.contains(id), "{id} in {ids:?}");
    }
    for id in &unexpected {
        assert!(!ids.contains(id), "{id} not in {ids:?}");
    }
    assert!(body.contains("Mariana Ruiz"), "the actor's name is shown");
    assert!(body.contains(r#"value="Ana""#), "the typed value is kept");

    let body = page(&app, "/admin/auditoria?actor=a_a").await;
    assert_eq!(entry_ids(&body), Vec::<i64>::new());
    app.stop().await;
}

#[actix_web::test]
async fn the_date_range_includes_both_edge_days_whole_in_madrid_time() {
    let mut inside = Vec::new();
    let mut outside = Vec::new();
    let app = admin_app(|conn| {
        let mut add = |instant: &str, wanted: bool| {
            let id = insert_entry(
                conn,
                at(instant),
                None,
                "fecha@example.com",
                Action::PasswordChanged,
            );
            if wanted { &mut inside } else { &mut outside }.push(id);
        };
        // 1 November 2026 starts at 23:00 UTC the day before (CET, UTC+1).
        add("2026-10-31T22:59:59Z", false);
        add("2026-10-31T23:00:00Z", true);
        add("2026-11-10T12:00:00Z", true);
        // 23 November 2026 ends at 23:00 UTC.
        add("2026-11-23T22:59:59Z", true);
        add("2026-11-23T23:00:00Z", false);
    })
    .await;
    let body = page(
        &app,
        "/admin/auditoria?accion=staff.password_changed&desde=2026-11-01&hasta=2026-11-23",
    )
    .await;
    let mut ids = entry_ids(&body);
    ids.sort();
    assert_eq!(ids, inside);
    assert!(body.contains(r#"value="2026-11-01""#) && body.contains(r#"value="2026-11-23""#));
    // Shown in Madrid time: the first instant of 1 November.
    assert!(body.contains("01/11/2026 00:00:00"));
    assert!(body.contains("23/11/2026 23:59:59"));

    // One day alone, typed the Spanish way.
    let body = page(
        &app,
        "/admin/auditoria?accion=staff.password_changed&desde=23/11/2026&hasta=23/11/2026",
    )
    .await;
    assert_eq!(entry_ids(&body), vec![inside[2]]);
    app.stop().await;
}

#[actix_web::test]
async fn the_date_range_follows_the_clock_change() {
    let mut inside = Vec::new();
    let app = admin_app(|conn| {
        let mut add = |instant: &str| {
            insert_entry(
                conn,
                at(instant),
                None,
                "verano@example.com",
                Action::PasswordChanged,
            )
        };
        // 25 October 2026 (clocks go back at 03:00 CEST) lasts from 22:00 UTC on the 24th
        // to 23:00 UTC on the 25th.
        add("2026-10-24T21:59:59Z");
        inside.push(add("2026-10-24T22:00:00Z"));
        inside.push(add("2026-10-25T00:30:00Z"));
        inside.push(add("2026-10-25T01:30:00Z"));
        inside.push(add("2026-10-25T22:59:59Z"));
        add("2026-10-25T23:00:00Z");
    })
    .await;
    let body = page(
        &app,
        "/admin/auditoria?accion=staff.password_changed&desde=2026-10-25&hasta=2026-10-25",
    )
    .await;
    let mut ids = entry_ids(&body);
    ids.sort();
    assert_eq!(ids, inside);
    // The repeated hour shows twice, once per offset.
    assert_eq!(body.matches("25/10/2026 02:30:00").count(), 2);
    app.stop().await;
}

#[actix_web::test]
async fn a_bad_date_is_explained_next_to_its_field_and_the_list_is_not_filtered_by_it() {
    let mut ids = Vec::new();
    let app = admin_app(|conn| {
        ids.push(insert_entry(
            conn,
            at("2020-01-15T10:00:00Z"),
            None,
            "viejo@example.com",
            Action::PasswordChanged,
        ));
        ids.push(insert_entry(
            conn,
            at("2026-11-20T10:00:00Z"),
            None,
            "nuevo@example.com",
            Action::PasswordChanged,
        ));
    })
    .await;
    let response = app
        .get("/admin/auditoria?accion=staff.password_changed&desde=31/02/2026&hasta=2026-11-30")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let error = regex::Regex::new(
        r#"aria-describedby="desde-error" aria-invalid="true">\s*<div id="desde-error"[^>]*><p class="field-error">Fecha no válida: escríbala como dd/mm/aaaa\.</p>"#,
    )
    .unwrap();
    assert!(error.is_match(&body), "{body}");
    assert!(!body.contains(r#"aria-describedby="hasta-error" aria-invalid"#));
    let mut listed = entry_ids(&body);
    listed.sort();
    assert_eq!(
        listed, ids,
        "the valid end date still applies, the bad start does not"
    );

    // The end before the start is reported on the end, and the start still applies.
    let body = page(
        &app,
        "/admin/auditoria?accion=staff.password_changed&desde=2026-11-01&hasta=2026-10-01",
    )
    .await;
    assert!(body.contains("La fecha final es anterior a la inicial."));
    assert_eq!(entry_ids(&body), vec![ids[1]]);

    // Through htmx, the message reaches its field out of band.
    let response = app
        .get_htmx("/admin/auditoria?accion=staff.password_changed&desde=mañana")
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains(r#"<div id="desde-error" aria-live="polite" hx-swap-oob="true"><p class="field-error">Fecha no válida"#));
    assert!(body.contains(r#"<div id="hasta-error" aria-live="polite" hx-swap-oob="true"></div>"#));
    assert_eq!(entry_ids(&body).len(), 2);
    app.stop().await;
}

// --- Pagination and htmx ---------------------------------------------------------------------

#[actix_web::test]
async fn a_hundred_and_twenty_entries_come_in_pages_of_fifty_without_overlap() {
    let mut seeded = Vec::new();
    let app = admin_app(|conn| {
        for n in 0..120 {
            seeded.push(insert_entry(
                conn,
                Utc::now(),
                None,
                &format!("lote{n}@example.com"),
                Action::PasswordChanged,
            ));
        }
    })
    .await;
    let mut path = "/admin/auditoria?accion=staff.password_changed".to_owned();
    let mut pages = Vec::new();
    loop {
        let body = page(&app, &path).await;
        pages.push(entry_ids(&body));
        match older_link(&body) {
            Some(next) => {
                assert!(
                    next.contains("accion=staff.password_changed"),
                    "the link keeps the filter: {next}"
                );
                assert!(body.contains("Más antiguos"));
                path = next;
            }
            None => break,
        }
        assert!(pages.len() < 5, "pagination ends: {path} {pages:?}");
    }
    let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![50, 50, 20]);
    let all: Vec<i64> = pages.concat();
    assert!(
        all.windows(2).all(|w| w[0] > w[1]),
        "newest first, no overlap"
    );
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(sorted, seeded, "every entry exactly once");
    app.stop().await;
}

#[actix_web::test]
async fn an_htmx_request_gets_only_the_rows() {
    let app = admin_app(|conn| {
        for n in 0..3 {
            insert_entry(
                conn,
                Utc::now(),
                None,
                &format!("htmx{n}@example.com"),
                Action::SignInFailed,
            );
        }
    })
    .await;
    let path = "/admin/auditoria?accion=staff.sign_in_failed&actor=htmx";

    let full = app.get(path).await;
    assert_eq!(full.status(), StatusCode::OK);
    assert!(
        full.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("HX-Request")
    );
    let full = full.text().await.unwrap();
    assert!(full.contains("<html"));
    assert!(
        full.contains(r##"hx-get="/admin/auditoria" hx-target="#audit-rows" hx-push-url="true""##)
    );
    assert!(full.contains(r#"<div id="audit-rows">"#));
    assert_eq!(entry_ids(&full).len(), 3);

    let partial = app.get_htmx(path).await;
    assert_eq!(partial.status(), StatusCode::OK);
    assert!(
        partial.headers()["vary"]
            .to_str()
            .unwrap()
            .contains("HX-Request")
    );
    let partial = partial.text().await.unwrap();
    assert!(!partial.contains("<html"));
    assert!(
        !partial.contains("<form"),
        "the form is not replaced while typing"
    );
    assert!(
        !partial.contains(r#"<div id="audit-rows">"#),
        "inner content only"
    );
    assert_eq!(entry_ids(&partial), entry_ids(&full));
    app.stop().await;
}

#[actix_web::test]
async fn a_full_page_shows_fifty_entries_with_their_actors_names() {
    let app = admin_app(|conn| {
        for n in 0..60 {
            let email = format!("empleado{n}@soriano.es");
            let id = insert_staff(conn, &email, &format!("Empleada Número {n}"));
            insert_entry(conn, Utc::now(), Some(id), &email, Action::SignIn);
        }
    })
    .await;
    let started = std::time::Instant::now();
    let body = page(&app, "/admin/auditoria?accion=staff.sign_in&actor=empleado").await;
    let elapsed = started.elapsed();
    assert_eq!(entry_ids(&body).len(), 50);
    assert_eq!(body.matches("Empleada Número ").count(), 50);
    assert!(body.contains("Empleada Número 59"), "newest first");
    assert!(older_link(&body).is_some());
    assert!(
        elapsed < std::time::Duration::from_secs(2),
        "rendered in {elapsed:?}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn entries_show_madrid_time_target_address_browser_and_details() {
    let app = admin_app(|conn| {
        let staff = insert_staff(conn, "rrhh@soriano.es", "Recursos Humanos");
        audit::record(
            conn,
            &NewEntry {
                actor_staff_id: Some(staff),
                actor_label: "rrhh@soriano.es",
                action: Action::StaffRoleChanged,
                target_type: Some(audit::target::STAFF_USER),
                target_id: Some(7),
                ip: "198.51.100.23",
                user_agent: "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
                details: json!({"role": {"before": "agent", "after": "supervisor"}, "motivo": "<b>ascenso</b>"}),
            },
        )
        .unwrap();
    })
    .await;
    let body = page(&app, "/admin/auditoria?objeto=staff_user&objeto_id=7").await;
    assert_eq!(entry_ids(&body).len(), 1);
    assert!(body.contains("Recursos Humanos"));
    assert!(body.contains("Cambio de rol de empleado"));
    // Account 7 does not exist: the entry says what kind of record, never a bare id.
    assert!(body.contains("<td>Empleado</td>"));
    assert!(body.contains("198.51.100.23"));
    // The browser is shortened to 40 characters, the whole of it in the tooltip.
    assert!(body.contains(">Mozilla/5.0 (Windows NT 10.0; Win64; x6…</span>"));
    assert!(body.contains(r#"title="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit"#));
    assert!(
        body.contains("Motivo: &#60;b&#62;ascenso&#60;/b&#62; · Rol: Comercial → Supervisión")
            || body.contains("Motivo: &lt;b&gt;ascenso&lt;/b&gt; · Rol: Comercial → Supervisión"),
        "details are escaped text"
    );
    assert!(!body.contains("<b>ascenso"));
    let date =
        regex::Regex::new(r#"<time datetime="[^"]+">\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}</time>"#)
            .unwrap();
    assert!(date.is_match(&body));
    // The target filter stays in the form so that live filtering keeps it.
    assert!(body.contains(r#"<input type="hidden" name="objeto" value="staff_user">"#));

    let body = page(&app, "/admin/auditoria?objeto=staff_user&objeto_id=8").await;
    assert!(entry_ids(&body).is_empty());
    assert!(body.contains("No hay entradas que cumplan los filtros."));
    app.stop().await;
}
