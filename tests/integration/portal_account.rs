//! e-SORI account security: the confirmed e-mail change, the optional second factor of a
//! client, and row-level security on the portal's writes.

use crate::common;
use crate::portal_support;

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use portal_support::{PASSWORD, World, portal_sign_in, spawn};
use reqwest::StatusCode;
use soriano::db::schema::{
    audit_log, client_recovery_codes, client_sign_ins, client_tokens, client_users, customers,
    domain_events, outbound_emails,
};

use crate::common::TestApp;

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn signed_in(app: &TestApp, email: &str) {
    let response = portal_sign_in(app, email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/inicio");
}

async fn request_change(app: &TestApp, new_email: &str) -> reqwest::Response {
    let token = app.csrf_token("/portal/datos").await;
    app.post_form(
        "/portal/datos/correo",
        &[("csrf_token", &token), ("correo", new_email)],
    )
    .await
}

/// The path of the newest e-mail change link sent to `to`.
fn change_link(conn: &mut PgConnection, to: &str) -> Option<String> {
    let body: Option<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq("client.email_change"))
        .filter(outbound_emails::to_address.eq(to))
        .order(outbound_emails::id.desc())
        .select(outbound_emails::body_text)
        .first(conn)
        .optional()
        .unwrap();
    let re = regex::Regex::new(r"https?://\S+(/portal/correo/[A-Za-z0-9_-]+)").unwrap();
    body.and_then(|b| re.captures(&b).map(|c| c[1].to_owned()))
}

fn account(conn: &mut PgConnection, customer_id: i64) -> (String, Option<String>) {
    client_users::table
        .filter(client_users::customer_id.eq(customer_id))
        .select((client_users::email, client_users::pending_email))
        .first(conn)
        .unwrap()
}

fn customer_email(conn: &mut PgConnection, customer_id: i64) -> Option<String> {
    customers::table
        .find(customer_id)
        .select(customers::email)
        .first(conn)
        .unwrap()
}

#[actix_web::test]
async fn a_new_email_counts_only_once_the_link_sent_to_it_is_used() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    let (old, new) = (world.a.email.clone(), "nuevo.a@example.es".to_owned());
    signed_in(&app, &old).await;

    let response = request_change(&app, "  Nuevo.A@Example.es ").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/datos");
    // Pending: nothing changed yet.
    assert_eq!(
        account(&mut conn, world.a.customer_id),
        (old.clone(), Some(new.clone()))
    );
    assert_eq!(
        customer_email(&mut conn, world.a.customer_id),
        Some(old.clone())
    );
    let page = app.get("/portal/datos").await.text().await.unwrap();
    assert!(page.contains("Pendiente de confirmar: <strong>nuevo.a@example.es</strong>"));

    // The link goes to the new address; the old one gets a notice without details.
    let link = change_link(&mut conn, &new).expect("link to the new address");
    let notice: (String, String) = outbound_emails::table
        .filter(outbound_emails::kind.eq("client.email_change_notice"))
        .filter(outbound_emails::to_address.eq(&old))
        .select((outbound_emails::subject, outbound_emails::body_text))
        .first(&mut conn)
        .expect("notice to the old address");
    assert!(notice.0.contains("Se ha solicitado cambiar su correo"));
    assert!(
        !notice.1.contains(&new),
        "the notice does not reveal the new address"
    );
    assert!(!notice.1.contains("NombreA"), "nor the client's name");
    assert!(change_link(&mut conn, &old).is_none());
    // Only a hash of the token is stored.
    let token = link.rsplit('/').next().unwrap().to_owned();
    let stored: Vec<String> = client_tokens::table
        .filter(client_tokens::purpose.eq("email_change"))
        .select(client_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored, vec![soriano::util::sha256_hex(token.as_bytes())]);

    // Opening the link (as a mail scanner would) changes nothing.
    let other_browser = common::new_client();
    let shown = other_browser.get(app.url(&link)).send().await.unwrap();
    assert_eq!(shown.status(), StatusCode::OK);
    let html = shown.text().await.unwrap();
    assert!(html.contains("nuevo.a@example.es"));
    assert_eq!(account(&mut conn, world.a.customer_id).0, old);

    // The button confirms: login and customer e-mail together.
    let csrf = common::csrf_from_html(&html);
    let confirmed = other_browser
        .post(app.url(&link))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert_eq!(account(&mut conn, world.a.customer_id), (new.clone(), None));
    assert_eq!(
        customer_email(&mut conn, world.a.customer_id),
        Some(new.clone())
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("client.email_changed"))
        .filter(audit_log::target_id.eq(world.a.customer_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);
    let published: i64 = domain_events::table
        .filter(domain_events::kind.eq("client.email_changed"))
        .filter(domain_events::entity_id.eq(world.a.customer_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(published, 1);

    // Single use.
    let again = other_browser
        .post(app.url(&link))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::GONE);
    assert_eq!(
        other_browser
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );

    // The new address signs in; the old one no longer does.
    let mut app = app;
    app.client = common::new_client();
    let old_login = portal_sign_in(&app, &old, PASSWORD).await;
    assert_eq!(old_login.status(), StatusCode::UNAUTHORIZED);
    signed_in(&app, &new).await;
    app.stop().await;
}

#[actix_web::test]
async fn the_new_email_is_checked_next_to_the_field() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    for (typed, message) in [
        ("", "Escriba el nuevo correo electrónico."),
        (
            "sin-arroba.example.es",
            "El correo electrónico no tiene un formato válido.",
        ),
        (
            world.a.email.as_str(),
            "Ese ya es su correo electrónico actual.",
        ),
        (
            world.b.email.as_str(),
            "Ese correo ya lo usa otra cuenta de e-SORI.",
        ),
    ] {
        let response = request_change(&app, typed).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed}"
        );
        let html = response.text().await.unwrap();
        assert!(
            html.contains(&format!(
                r#"<p class="field-error" id="correo-error">{message}</p>"#
            )),
            "{typed}: {message}"
        );
        assert!(html.contains(&format!(r#"value="{typed}""#)), "value kept");
    }
    assert_eq!(account(&mut conn, world.a.customer_id).1, None);
    let sent: i64 = outbound_emails::table
        .filter(outbound_emails::kind.like("client.email_change%"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(sent, 0);
    app.stop().await;
}

#[actix_web::test]
async fn a_link_expires_after_a_day_and_dies_when_the_change_is_cancelled() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    request_change(&app, "uno@example.es").await;
    let first = change_link(&mut conn, "uno@example.es").unwrap();
    // 24 hours.
    let (created, expires): (chrono::DateTime<Utc>, chrono::DateTime<Utc>) = client_tokens::table
        .filter(client_tokens::purpose.eq("email_change"))
        .select((client_tokens::created_at, client_tokens::expires_at))
        .first(&mut conn)
        .unwrap();
    assert_eq!(expires - created, Duration::hours(24));
    diesel::update(client_tokens::table.filter(client_tokens::purpose.eq("email_change")))
        .set(client_tokens::expires_at.eq(Utc::now() - Duration::minutes(1)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(app.get(&first).await.status(), StatusCode::GONE);
    let csrf = app.csrf_token("/portal/datos").await;
    let late = app.post_form(&first, &[("csrf_token", &csrf)]).await;
    assert_eq!(late.status(), StatusCode::GONE);
    assert_eq!(account(&mut conn, world.a.customer_id).0, world.a.email);

    // A new request, then cancelled: its link is dead and nothing is pending.
    request_change(&app, "dos@example.es").await;
    let second = change_link(&mut conn, "dos@example.es").unwrap();
    assert_eq!(app.get(&second).await.status(), StatusCode::OK);
    let csrf = app.csrf_token("/portal/datos").await;
    let cancelled = app
        .post_form("/portal/datos/correo/cancelar", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(cancelled.status(), StatusCode::SEE_OTHER);
    assert_eq!(account(&mut conn, world.a.customer_id).1, None);
    assert_eq!(app.get(&second).await.status(), StatusCode::GONE);
    let page = app.get("/portal/datos").await.text().await.unwrap();
    assert!(!page.contains("Pendiente de confirmar"));
    // The e-mail change link is no password link.
    let token = second.rsplit('/').next().unwrap();
    assert_eq!(
        app.get(&format!("/portal/contrasena/{token}"))
            .await
            .status(),
        StatusCode::GONE
    );
    app.stop().await;
}

// -------------------------------------------------------------------------------------------
// Second factor.
// -------------------------------------------------------------------------------------------

fn code_at(secret: &str, unix_seconds: i64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(unix_seconds as u64)
        .to_string()
}

fn wrong_code(secret: &str) -> String {
    let now = Utc::now().timestamp();
    let valid: Vec<String> = (-2..=2).map(|s| code_at(secret, now + 30 * s)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !valid.contains(candidate))
        .unwrap()
}

fn key_in(html: &str) -> String {
    regex::Regex::new(r#"<code id="totp-key" class="totp-key">([A-Z2-7 ]+)</code>"#)
        .unwrap()
        .captures(html)
        .expect("the key is shown")[1]
        .replace(' ', "")
}

fn recovery_codes_in(html: &str) -> Vec<String> {
    regex::Regex::new(r"<code>([2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4})</code>")
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .collect()
}

/// Client A turns the second factor on through the page; returns the secret and the codes.
async fn enable(app: &TestApp) -> (String, Vec<String>) {
    let html = app.get("/portal/seguridad").await.text().await.unwrap();
    assert!(html.contains("<svg"), "QR code shown");
    assert!(html.contains("otpauth://totp/"), "otpauth URI offered");
    let secret = key_in(&html);
    let csrf = common::csrf_from_html(&html);
    let wrong = app
        .post_form(
            "/portal/seguridad/activar",
            &[("csrf_token", &csrf), ("codigo", &wrong_code(&secret))],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // An hour-old step is still "fresh" for enrolment but keeps today's steps unused... the
    // current code is used here, so later sign-ins use the next step.
    let response = app
        .post_form(
            "/portal/seguridad/activar",
            &[
                ("csrf_token", &csrf),
                ("codigo", &code_at(&secret, Utc::now().timestamp() - 30)),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let codes = recovery_codes_in(&response.text().await.unwrap());
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn password_step(app: &TestApp, email: &str) {
    let response = portal_sign_in(app, email, PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/entrar/codigo");
}

async fn code_step(app: &TestApp, code: &str) -> reqwest::Response {
    let csrf = app.csrf_token("/portal/entrar/codigo").await;
    app.post_form(
        "/portal/entrar/codigo",
        &[("csrf_token", &csrf), ("codigo", code)],
    )
    .await
}

fn sign_ins(conn: &mut PgConnection, world: &World) -> i64 {
    client_sign_ins::table
        .inner_join(client_users::table)
        .filter(client_users::customer_id.eq(world.a.customer_id))
        .count()
        .get_result(conn)
        .unwrap()
}

#[actix_web::test]
async fn a_client_with_a_second_factor_signs_in_in_two_steps() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    let (secret, codes) = enable(&app).await;
    let enabled: Option<chrono::DateTime<Utc>> = client_users::table
        .filter(client_users::customer_id.eq(world.a.customer_id))
        .select(client_users::totp_enabled_at)
        .first(&mut conn)
        .unwrap();
    assert!(enabled.is_some());
    let stored: i64 = client_recovery_codes::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored, 10);

    // A new browser: the password alone opens nothing.
    let mut app = app;
    app.client = common::new_client();
    let before = sign_ins(&mut conn, &world);
    password_step(&app, &world.a.email).await;
    let home = app.get("/portal/inicio").await;
    assert_eq!(home.status(), StatusCode::SEE_OTHER, "half signed in");
    assert!(location(&home).starts_with("/portal/entrar"));
    assert_eq!(
        app.get("/portal/datos").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(sign_ins(&mut conn, &world), before, "not recorded yet");

    // A wrong code is refused and counted.
    let wrong = code_step(&app, &wrong_code(&secret)).await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong
            .text()
            .await
            .unwrap()
            .contains("El código no es correcto")
    );
    assert_eq!(
        app.get("/portal/inicio").await.status(),
        StatusCode::SEE_OTHER
    );

    // The right code signs in.
    let right = code_step(&app, &code_at(&secret, Utc::now().timestamp() + 30)).await;
    assert_eq!(right.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&right), "/portal/inicio");
    assert_eq!(app.get("/portal/inicio").await.status(), StatusCode::OK);
    assert_eq!(sign_ins(&mut conn, &world), before + 1);

    // A recovery code works once, in a fresh browser.
    for (attempt, expected) in [
        (0, StatusCode::SEE_OTHER),
        (1, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        app.client = common::new_client();
        password_step(&app, &world.a.email).await;
        let response = code_step(&app, &codes[0].to_uppercase()).await;
        assert_eq!(response.status(), expected, "attempt {attempt}");
    }
    app.stop().await;
}

#[actix_web::test]
async fn wrong_codes_are_throttled_and_five_send_back_to_the_password() {
    let (app, world) = spawn(true).await;
    signed_in(&app, &world.a.email).await;
    let (secret, _) = enable(&app).await;
    let mut app = app;
    app.client = common::new_client();
    password_step(&app, &world.a.email).await;
    let wrong = wrong_code(&secret);
    for attempt in 1..=5 {
        let response = code_step(&app, &wrong).await;
        if attempt < 5 {
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        } else {
            // The fifth drops the half-way state: the password again.
            assert_eq!(response.status(), StatusCode::SEE_OTHER);
            assert_eq!(location(&response), "/portal/entrar");
        }
    }
    assert_eq!(
        app.get("/portal/entrar/codigo").await.status(),
        StatusCode::SEE_OTHER,
        "no half-way state left"
    );
    assert_eq!(
        app.get("/portal/inicio").await.status(),
        StatusCode::SEE_OTHER
    );
    // The failures count in the sign-in throttle: after the password again, even the right
    // code must wait.
    password_step(&app, &world.a.email).await;
    let right = code_step(&app, &code_at(&secret, Utc::now().timestamp() + 30)).await;
    assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        right
            .text()
            .await
            .unwrap()
            .contains("Demasiados intentos fallidos")
    );
    assert_eq!(
        app.get("/portal/inicio").await.status(),
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[actix_web::test]
async fn turning_the_second_factor_off_needs_password_and_code() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    let (secret, _) = enable(&app).await;
    let csrf = app.csrf_token("/portal/seguridad").await;
    let next = code_at(&secret, Utc::now().timestamp() + 30);
    let wrong_password = app
        .post_form(
            "/portal/seguridad/desactivar",
            &[
                ("csrf_token", &csrf),
                ("password", "no es la contraseña"),
                ("codigo", &next),
            ],
        )
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong_password
            .text()
            .await
            .unwrap()
            .contains("La contraseña no es correcta.")
    );
    let wrong_code = app
        .post_form(
            "/portal/seguridad/desactivar",
            &[
                ("csrf_token", &csrf),
                ("password", PASSWORD),
                ("codigo", &wrong_code(&secret)),
            ],
        )
        .await;
    assert_eq!(wrong_code.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let enabled = || -> bool {
        client_users::table
            .filter(client_users::customer_id.eq(world.a.customer_id))
            .select(client_users::totp_enabled_at.is_not_null())
            .first(&mut app.db.conn())
            .unwrap()
    };
    assert!(enabled());
    let done = app
        .post_form(
            "/portal/seguridad/desactivar",
            &[
                ("csrf_token", &csrf),
                ("password", PASSWORD),
                ("codigo", &next),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert!(!enabled());
    let left: i64 = client_recovery_codes::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);
    // Back to one step.
    let mut app = app;
    app.client = common::new_client();
    signed_in(&app, &world.a.email).await;
    app.stop().await;
}

// -------------------------------------------------------------------------------------------
// Row-level security on writes.
// -------------------------------------------------------------------------------------------

#[derive(QueryableByName)]
struct Affected {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Under the portal role for client A, with no filter in the SQL: writing a row of B fails,
/// updating B's rows affects none, while A's own writes pass.
#[actix_web::test]
async fn row_level_security_alone_confines_portal_writes() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    let (a, b) = (world.a.customer_id, world.b.customer_id);
    let as_a = |conn: &mut PgConnection, sql: String| -> Result<usize, diesel::result::Error> {
        conn.transaction(|conn| {
            soriano::db::enter_portal_role(conn, a)?;
            diesel::sql_query(sql).execute(conn)
        })
    };
    // Inserting rows for B fails.
    for sql in [
        format!(
            "INSERT INTO customer_consents (customer_id, purpose, granted, text_version, source) \
             VALUES ({b}, 'marketing', true, 'v1', 'e-SORI')"
        ),
        format!("INSERT INTO message_threads (customer_id, subject) VALUES ({b}, 'Hola')"),
        format!(
            "INSERT INTO claims (number, policy_id, customer_id, incident_date, kind, description) \
             VALUES ('SIN-2026-999999', {}, {b}, current_date, 'robo', 'x')",
            world.b.policy_id
        ),
        // A's claim on B's policy is refused too.
        format!(
            "INSERT INTO claims (number, policy_id, customer_id, incident_date, kind, description) \
             VALUES ('SIN-2026-999998', {}, {a}, current_date, 'robo', 'x')",
            world.b.policy_id
        ),
        format!(
            "INSERT INTO documents (entity_type, entity_id, customer_id, filename, content_type, \
             size_bytes, sha256, visible_to_client) VALUES ('claim', {}, {b}, 'x.pdf', \
             'application/pdf', 1, '{}', true)",
            world.b.claim_id,
            "0".repeat(64)
        ),
        format!(
            "INSERT INTO claim_events (claim_id, note) VALUES ({}, 'intruso')",
            world.b.claim_id
        ),
        format!(
            "INSERT INTO tasks (title, assignee_staff_id, entity_type, entity_id, customer_id) \
             VALUES ('x', {}, 'customer', {b}, {b})",
            world.agent_id
        ),
    ] {
        let result = as_a(&mut conn, sql.clone());
        assert!(result.is_err(), "{sql}");
        let message = result.unwrap_err().to_string();
        assert!(message.contains("row-level security"), "{sql}: {message}");
    }
    // Updating B's rows (no filter but the id) affects none.
    for sql in [
        format!("UPDATE customers SET phone = '600000000' WHERE id = {b}"),
        "UPDATE customers SET phone = '600000000'".to_owned(),
        format!("UPDATE client_users SET totp_last_step = 1 WHERE customer_id = {b}"),
        format!(
            "UPDATE claims SET updated_at = now() WHERE id = {}",
            world.b.claim_id
        ),
        "UPDATE message_threads SET unread_by_staff = 9".to_owned(),
    ] {
        let result = as_a(&mut conn, sql.clone());
        let affected = result.unwrap_or_else(|e| panic!("{sql}: {e}"));
        if sql.contains(&format!("id = {b}")) || sql.contains(&format!("customer_id = {b}")) {
            assert_eq!(affected, 0, "{sql}");
        }
    }
    let b_phone: Option<String> = customers::table
        .find(b)
        .select(customers::phone)
        .first(&mut conn)
        .unwrap();
    assert_eq!(b_phone, None, "B untouched");
    // Moving A's row to B is refused too (WITH CHECK).
    let moved = as_a(
        &mut conn,
        format!("UPDATE message_threads SET customer_id = {b} WHERE customer_id = {a}"),
    );
    assert!(moved.is_err());
    // A's own writes pass, and the app-wide tables take only what the portal may append.
    let own = as_a(
        &mut conn,
        format!(
            "INSERT INTO customer_consents (customer_id, purpose, granted, text_version, source) \
             VALUES ({a}, 'marketing', true, 'v1', 'e-SORI')"
        ),
    );
    assert_eq!(own.unwrap(), 1);
    assert!(
        as_a(
            &mut conn,
            format!(
                "INSERT INTO audit_log (actor_staff_id, actor_label, action) \
                 VALUES ({}, 'x', 'client.sign_in')",
                world.agent_id
            ),
        )
        .is_err(),
        "a client entry never claims a staff actor"
    );
    assert!(
        as_a(
            &mut conn,
            "INSERT INTO outbound_emails (kind, to_address, subject, body_text, body_html) \
             VALUES ('staff.invitation', 'x@y.es', 's', 't', 'h')"
                .to_owned(),
        )
        .is_err(),
        "the portal queues client e-mails only"
    );
    // Nor can it read the outbox or the audit log back.
    let read = conn.transaction::<_, diesel::result::Error, _>(|conn| {
        soriano::db::enter_portal_role(conn, a)?;
        diesel::sql_query("SELECT count(*) AS n FROM outbound_emails WHERE subject <> ''")
            .get_result::<Affected>(conn)
            .map(|row| row.n)
    });
    assert!(read.is_err());
    let read = conn.transaction::<_, diesel::result::Error, _>(|conn| {
        soriano::db::enter_portal_role(conn, a)?;
        diesel::sql_query("SELECT count(*) AS n FROM audit_log")
            .get_result::<Affected>(conn)
            .map(|row| row.n)
    });
    assert!(read.is_err());
    app.stop().await;
}

/// The portal's writes really run under the role: they still work end to end.
#[actix_web::test]
async fn portal_writes_work_under_the_portal_role() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    let csrf = app.csrf_token("/portal/datos").await;
    let contact = app
        .post_form(
            "/portal/datos",
            &[
                ("csrf_token", &csrf),
                ("telefono", "612345678"),
                ("direccion", "Calle Mayor 1"),
                ("codigo_postal", "28001"),
                ("localidad", "Madrid"),
            ],
        )
        .await;
    assert_eq!(contact.status(), StatusCode::SEE_OTHER);
    let consent = app
        .post_form(
            "/portal/datos/consentimiento",
            &[("csrf_token", &csrf), ("otorgado", "si")],
        )
        .await;
    assert_eq!(consent.status(), StatusCode::SEE_OTHER);
    let message = app
        .post_form(
            "/portal/mensajes",
            &[
                ("csrf_token", &csrf),
                ("asunto", "Una duda"),
                ("cuerpo", "¿Cubre la póliza los cristales?"),
            ],
        )
        .await;
    assert_eq!(message.status(), StatusCode::SEE_OTHER);
    let thread = location(&message);
    let reply = app
        .post_form(
            &thread,
            &[("csrf_token", &csrf), ("cuerpo", "Otra pregunta")],
        )
        .await;
    assert_eq!(reply.status(), StatusCode::SEE_OTHER);
    let info = app
        .post_form(
            &format!("/portal/siniestros/{}/informacion", world.a.claim_id),
            &[("csrf_token", &csrf), ("informacion", "Adjunto el parte")],
        )
        .await;
    assert_eq!(info.status(), StatusCode::SEE_OTHER);
    // Another client's claim: 404, as before.
    let other = app
        .post_form(
            &format!("/portal/siniestros/{}/informacion", world.b.claim_id),
            &[("csrf_token", &csrf), ("informacion", "intruso")],
        )
        .await;
    assert_eq!(other.status(), StatusCode::NOT_FOUND);
    let erasure = app
        .post_form("/portal/datos/supresion", &[("csrf_token", &csrf)])
        .await;
    assert_eq!(erasure.status(), StatusCode::SEE_OTHER);
    let phone: Option<String> = customers::table
        .find(world.a.customer_id)
        .select(customers::phone)
        .first(&mut conn)
        .unwrap();
    assert_eq!(phone.as_deref(), Some("612345678"));
    app.stop().await;
}

// -------------------------------------------------------------------------------------------
// Password change, other sessions, new recovery codes.
// -------------------------------------------------------------------------------------------

/// Another browser signed in to e-SORI as `email` (the app's own client is left as it was).
async fn other_browser(app: &mut TestApp, email: &str, password: &str) -> reqwest::Client {
    let mine = std::mem::replace(&mut app.client, common::new_client());
    let response = portal_sign_in(app, email, password).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    std::mem::replace(&mut app.client, mine)
}

/// Whether `browser` is still signed in to e-SORI.
async fn still_signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let response = browser.get(app.url("/portal/inicio")).send().await.unwrap();
    match response.status() {
        StatusCode::OK => true,
        StatusCode::SEE_OTHER => {
            assert!(location(&response).starts_with("/portal/entrar"));
            false
        }
        other => panic!("unexpected {other}"),
    }
}

fn audited(conn: &mut PgConnection, action: &str, customer_id: i64) -> Vec<serde_json::Value> {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::target_id.eq(customer_id))
        .select(audit_log::details)
        .load(conn)
        .unwrap()
}

#[actix_web::test]
async fn changing_the_password_checks_each_field_and_ends_the_other_sessions() {
    let (mut app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    let phone = other_browser(&mut app, &world.a.email, PASSWORD).await;
    let someone_else = other_browser(&mut app, &world.b.email, PASSWORD).await;
    let csrf = app.csrf_token("/portal/seguridad").await;
    let new_password = "otra frase larga para entrar";

    let refused = app
        .post_form(
            "/portal/seguridad/contrasena",
            &[
                ("csrf_token", &csrf),
                ("actual", "no es la mía"),
                ("nueva", new_password),
                ("repetida", "otra frase distinta"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        html.contains(r#"id="actual-error""#)
            && html.contains("La contraseña actual no es correcta.")
    );
    assert!(
        html.contains(r#"id="repetida-error""#)
            && html.contains("Las dos contraseñas no coinciden.")
    );
    let short = app
        .post_form(
            "/portal/seguridad/contrasena",
            &[
                ("csrf_token", &csrf),
                ("actual", PASSWORD),
                ("nueva", "corta"),
                ("repetida", "corta"),
            ],
        )
        .await;
    assert_eq!(short.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        short
            .text()
            .await
            .unwrap()
            .contains("al menos 12 caracteres")
    );
    // Without the form token nothing changes.
    let forged = app
        .post_form(
            "/portal/seguridad/contrasena",
            &[
                ("actual", PASSWORD),
                ("nueva", new_password),
                ("repetida", new_password),
            ],
        )
        .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert!(still_signed_in(&app, &phone).await);

    let done = app
        .post_form(
            "/portal/seguridad/contrasena",
            &[
                ("csrf_token", &csrf),
                ("actual", PASSWORD),
                ("nueva", new_password),
                ("repetida", new_password),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&done), "/portal/seguridad");
    assert!(
        still_signed_in(&app, &app.client).await,
        "this browser goes on"
    );
    assert!(
        !still_signed_in(&app, &phone).await,
        "the other session ended"
    );
    assert!(
        still_signed_in(&app, &someone_else).await,
        "other clients untouched"
    );
    assert_eq!(
        audited(&mut conn, "client.password_changed", world.a.customer_id).len(),
        1
    );
    // The new password opens e-SORI, the old one no longer does.
    app.client = common::new_client();
    assert_eq!(
        portal_sign_in(&app, &world.a.email, PASSWORD)
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    app.client = common::new_client();
    let again = portal_sign_in(&app, &world.a.email, new_password).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn a_client_ends_their_other_sessions_and_keeps_this_one() {
    let (mut app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    let tablet = other_browser(&mut app, &world.a.email, PASSWORD).await;
    let laptop = other_browser(&mut app, &world.a.email, PASSWORD).await;
    let someone_else = other_browser(&mut app, &world.b.email, PASSWORD).await;
    let csrf = app.csrf_token("/portal/seguridad").await;
    let response = app
        .post_form(
            "/portal/seguridad/sesiones/cerrar-otras",
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get("/portal/seguridad").await.text().await.unwrap();
    assert!(page.contains("Se han cerrado 2 sesiones"), "{page}");
    assert!(still_signed_in(&app, &app.client).await);
    assert!(!still_signed_in(&app, &tablet).await);
    assert!(!still_signed_in(&app, &laptop).await);
    assert!(still_signed_in(&app, &someone_else).await);
    assert_eq!(
        audited(&mut conn, "client.sessions_ended", world.a.customer_id),
        vec![serde_json::json!({ "sesiones": 2 })]
    );
    app.stop().await;
}

#[actix_web::test]
async fn confirming_a_new_email_ends_the_sessions_opened_with_the_old_one() {
    let (mut app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    signed_in(&app, &world.a.email).await;
    let old_phone = other_browser(&mut app, &world.a.email, PASSWORD).await;
    let response = request_change(&app, "nuevo.a@example.es").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let link = change_link(&mut conn, "nuevo.a@example.es").expect("link sent");
    let csrf = app.csrf_token(&link).await;
    let confirmed = app.post_form(&link, &[("csrf_token", &csrf)]).await;
    assert_eq!(confirmed.status(), StatusCode::SEE_OTHER);
    assert!(
        still_signed_in(&app, &app.client).await,
        "the confirming browser stays"
    );
    assert!(!still_signed_in(&app, &old_phone).await);
    app.stop().await;
}

#[actix_web::test]
async fn new_recovery_codes_replace_the_old_ones_for_a_current_code() {
    let (mut app, world) = spawn(true).await;
    signed_in(&app, &world.a.email).await;
    let (secret, old_codes) = enable(&app).await;
    let csrf = app.csrf_token("/portal/seguridad").await;
    let page = app.get("/portal/seguridad").await.text().await.unwrap();
    assert!(page.contains("Generar códigos nuevos"));
    let wrong = app
        .post_form(
            "/portal/seguridad/codigos",
            &[("csrf_token", &csrf), ("codigo", &wrong_code(&secret))],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = wrong.text().await.unwrap();
    assert!(
        html.contains(r#"id="codigo-nuevos-error""#) && html.contains("El código no es correcto")
    );
    // A recovery code is not a code from the app here.
    let with_recovery = app
        .post_form(
            "/portal/seguridad/codigos",
            &[("csrf_token", &csrf), ("codigo", &old_codes[0])],
        )
        .await;
    assert_eq!(with_recovery.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post_form(
            "/portal/seguridad/codigos",
            &[
                ("csrf_token", &csrf),
                ("codigo", &code_at(&secret, Utc::now().timestamp())),
            ],
        )
        .await;
    assert_eq!(done.status(), StatusCode::OK);
    let html = done.text().await.unwrap();
    assert!(html.contains("los anteriores ya no sirven"));
    let new_codes = recovery_codes_in(&html);
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|c| !old_codes.contains(c)));
    let mut conn = app.db.conn();
    assert_eq!(
        audited(
            &mut conn,
            "client.recovery_codes_regenerated",
            world.a.customer_id
        )
        .len(),
        1
    );
    // An old code no longer opens the second step; a new one does.
    app.client = common::new_client();
    password_step(&app, &world.a.email).await;
    assert_eq!(
        code_step(&app, &old_codes[1]).await.status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let response = code_step(&app, &new_codes[0]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}
