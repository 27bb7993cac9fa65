//! Two-factor authentication of staff: enrolment, the code step of sign-in, recovery codes,
//! replay protection, the policy that requires it, and the security of the forms.

use crate::common;

use chrono::Utc;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::auth::totp;
use soriano::db::schema::{security_settings, staff_recovery_codes, staff_users};

const PASSWORD: &str = "una clave larga de prueba";

/// The code an authenticator app shows at `unix_seconds`, computed with totp-rs directly.
fn code_at(secret: &str, unix_seconds: i64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(unix_seconds as u64)
        .to_string()
}

fn current_code(secret: &str) -> String {
    code_at(secret, Utc::now().timestamp())
}

/// The code of the next time step: still inside the accepted window, and later than any step
/// used so far in a test.
fn next_code(secret: &str) -> String {
    code_at(secret, Utc::now().timestamp() + 30)
}

/// Six digits valid in no step of the accepted window.
fn wrong_code(secret: &str) -> String {
    let now = Utc::now().timestamp();
    let valid: Vec<String> = (-2..=2).map(|s| code_at(secret, now + 30 * s)).collect();
    (0..1_000_000)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !valid.contains(candidate))
        .unwrap()
}

/// Enrols `staff_id` an hour ago (so no step of the present has been used); returns the
/// secret and the recovery codes.
fn enrol(conn: &mut PgConnection, staff_id: i64) -> (String, Vec<String>) {
    let secret = totp::new_secret();
    let then = Utc::now() - chrono::Duration::hours(1);
    let codes = totp::enable(
        conn,
        staff_id,
        &secret,
        &code_at(&secret, then.timestamp()),
        then,
    )
    .unwrap();
    (secret, codes)
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn recovery_codes_in(html: &str) -> Vec<String> {
    regex::Regex::new(r"<code>([2-9a-z]{4}-[2-9a-z]{4}-[2-9a-z]{4})</code>")
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .collect()
}

fn key_in(html: &str) -> String {
    let captures = regex::Regex::new(r#"<code id="totp-key" class="totp-key">([A-Z2-7 ]+)</code>"#)
        .unwrap()
        .captures(html)
        .expect("the page shows the key");
    captures[1].replace(' ', "")
}

/// One person with their own cookie jar.
struct Visitor<'a> {
    app: &'a TestApp,
    client: reqwest::Client,
}

impl<'a> Visitor<'a> {
    fn new(app: &'a TestApp) -> Self {
        Self {
            app,
            client: common::new_client(),
        }
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.app.url(path)).send().await.unwrap()
    }

    async fn get_htmx(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.app.url(path))
            .header("HX-Request", "true")
            .send()
            .await
            .unwrap()
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.app.url(path))
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// POSTs the form of `page` to `action` with its CSRF token, as a browser would.
    async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let body = self.get(page).await.text().await.unwrap();
        let token = common::csrf_from_html(&body);
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    async fn password_step(&self, email: &str, next: Option<&str>) -> reqwest::Response {
        let mut fields = vec![("email", email), ("password", PASSWORD)];
        if let Some(next) = next {
            fields.push(("siguiente", next));
        }
        self.submit("/admin/entrar", "/admin/entrar", &fields).await
    }

    async fn code_step(&self, code: &str) -> reqwest::Response {
        self.submit(
            "/admin/entrar/codigo",
            "/admin/entrar/codigo",
            &[("codigo", code)],
        )
        .await
    }

    async fn sign_out(&self) {
        let response = self.submit("/admin", "/admin/salir", &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
}

#[actix_web::test]
async fn staff_enrol_with_a_qr_code_and_see_the_recovery_codes_once() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let ana = Visitor::new(&app);
    assert_eq!(
        location(&ana.password_step("ana@soriano.es", None).await),
        "/admin",
        "without two-factor authentication the password is enough"
    );

    let response = ana.get("/admin/cuenta/dos-pasos").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let body = response.text().await.unwrap();
    assert!(body.contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!body.contains("<?xml"));
    assert!(body.contains("<label for=\"codigo\">Código de verificación</label>"));
    let key = key_in(&body);
    assert_eq!(key.len(), 32, "160-bit secret");
    let again = ana
        .get("/admin/cuenta/dos-pasos")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(key_in(&again), key, "the secret waits in the session");

    // A wrong code keeps the same secret and says why next to the field.
    let response = ana
        .submit(
            "/admin/cuenta/dos-pasos",
            "/admin/cuenta/dos-pasos/activar",
            &[("codigo", &wrong_code(&key))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("<p class=\"field-error\" id=\"codigo-error\">El código no es correcto.")
            && body.contains("<li><a href=\"#codigo\">El código no es correcto.")
    );
    assert!(body.contains("aria-invalid=\"true\""));
    assert_eq!(key_in(&body), key);

    let response = ana
        .submit(
            "/admin/cuenta/dos-pasos",
            "/admin/cuenta/dos-pasos/activar",
            &[("codigo", &current_code(&key))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    let body = response.text().await.unwrap();
    assert!(body.contains("Esta es la única vez que los verá"));
    let codes = recovery_codes_in(&body);
    assert_eq!(codes.len(), 10, "{body}");

    let body = ana
        .get("/admin/cuenta/dos-pasos")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Activada"));
    assert!(body.contains("Le quedan <strong>10</strong> de 10 códigos"));
    assert!(
        codes.iter().all(|code| !body.contains(code.as_str())),
        "recovery codes are never shown again"
    );
    assert!(!body.contains(&key[..16]), "nor is the secret");

    let mut conn = app.db.conn();
    let (secret, enabled_at): (Option<String>, Option<chrono::DateTime<Utc>>) = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select((staff_users::totp_secret, staff_users::totp_enabled_at))
        .first(&mut conn)
        .unwrap();
    assert_eq!(secret.as_deref(), Some(key.as_str()));
    assert!(enabled_at.is_some());
    let hashes: Vec<String> = staff_recovery_codes::table
        .select(staff_recovery_codes::code_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(hashes.len(), 10);
    for code in &codes {
        assert!(!hashes.contains(code), "stored hashed, never in clear");
        assert!(hashes.contains(&soriano::util::sha256_hex(code.as_bytes())));
    }
    app.stop().await;
}

#[actix_web::test]
async fn sign_in_with_two_factor_opens_nothing_before_the_code() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        let id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        secret = enrol(conn, id).0;
    })
    .await;
    let ana = Visitor::new(&app);
    let response = ana
        .password_step("ana@soriano.es", Some("/admin/catalogo"))
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/entrar/codigo");

    // The password alone opens nothing.
    for path in ["/admin", "/admin/catalogo", "/admin/cuenta/dos-pasos"] {
        let response = ana.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert!(location(&response).starts_with("/admin/entrar?siguiente="));
    }

    let response = ana.get("/admin/entrar/codigo").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("<label for=\"codigo\">Código de verificación</label>"));
    assert!(body.contains("autocomplete=\"one-time-code\""));

    let response = ana.code_step(&current_code(&secret)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/admin/catalogo",
        "where she was going"
    );
    let body = ana.get("/admin/catalogo").await.text().await.unwrap();
    assert!(body.contains("Compañías y productos"));
    assert!(body.contains("Hola, Persona de Prueba."));

    let mut conn = app.db.conn();
    let last_login: Option<chrono::DateTime<Utc>> = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::last_login_at)
        .first(&mut conn)
        .unwrap();
    assert!(last_login.is_some());
    // The code page is left behind.
    assert_eq!(
        location(&ana.get("/admin/entrar/codigo").await),
        "/admin/entrar"
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_code_is_accepted_only_once() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        secret = enrol(conn, id).0;
    })
    .await;
    let code = current_code(&secret);
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;
    assert_eq!(location(&ana.code_step(&code).await), "/admin");

    // Someone who saw the code types it on another computer within the same minute.
    let other = Visitor::new(&app);
    other.password_step("ana@soriano.es", None).await;
    let response = other.code_step(&code).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("El código no es correcto o ya se ha usado."));
    assert_eq!(other.get("/admin").await.status(), StatusCode::SEE_OTHER);

    // The next code of the app is fine.
    assert_eq!(
        location(&other.code_step(&next_code(&secret)).await),
        "/admin"
    );
    assert_eq!(other.get("/admin").await.status(), StatusCode::OK);
    app.stop().await;
}

#[actix_web::test]
async fn a_recovery_code_works_once() {
    let mut codes = Vec::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        codes = enrol(conn, id).1;
    })
    .await;
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;
    // Typed as people type: upper case, a space instead of a hyphen.
    let typed = codes[0].to_uppercase().replacen('-', " ", 1);
    let response = ana.code_step(&typed).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let body = ana.get("/admin").await.text().await.unwrap();
    assert!(body.contains("Ha usado un código de recuperación; le quedan 9."));

    ana.sign_out().await;
    ana.password_step("ana@soriano.es", None).await;
    let response = ana.code_step(&codes[0]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(ana.get("/admin").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&ana.code_step(&codes[1]).await), "/admin");

    let used: i64 = staff_recovery_codes::table
        .filter(staff_recovery_codes::used_at.is_not_null())
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(used, 2);
    app.stop().await;
}

#[actix_web::test]
async fn wrong_codes_get_422_and_five_send_back_to_the_password() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        secret = enrol(conn, id).0;
    })
    .await;
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;

    let response = ana.code_step("").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el código de verificación.")
    );

    let wrong = wrong_code(&secret);
    for attempt in 1..=4 {
        let response = ana.code_step(&wrong).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {attempt}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(
            "<p class=\"field-error\" id=\"codigo-error\">El código no es correcto o ya se ha usado."
        ));
        assert!(body.contains("aria-invalid=\"true\""));
        assert!(!body.contains(&format!("value=\"{wrong}\"")));
    }
    let response = ana.code_step(&wrong).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/entrar");
    let body = ana.get("/admin/entrar").await.text().await.unwrap();
    assert!(body.contains("Ha escrito demasiados códigos incorrectos."));

    // Even the right code is no use now: the password comes first again.
    let token = common::csrf_from_html(&body);
    let response = ana
        .post(
            "/admin/entrar/codigo",
            &[("csrf_token", &token), ("codigo", &current_code(&secret))],
        )
        .await;
    assert_eq!(location(&response), "/admin/entrar");
    assert_eq!(ana.get("/admin").await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn the_code_step_expires_after_five_minutes() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        secret = enrol(conn, id).0;
    })
    .await;
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;
    let token =
        common::csrf_from_html(&ana.get("/admin/entrar/codigo").await.text().await.unwrap());

    // Six minutes pass (the half-way state lives in the server-side session).
    let changed = diesel::sql_query(
        "UPDATE sessions SET state = jsonb_set(state, '{pending_since}', \
         to_jsonb((extract(epoch FROM now())::bigint - 360)::text)) \
         WHERE state ? 'pending_since'",
    )
    .execute(&mut app.db.conn())
    .unwrap();
    assert_eq!(changed, 1);

    let response = ana
        .post(
            "/admin/entrar/codigo",
            &[("csrf_token", &token), ("codigo", &current_code(&secret))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/entrar");
    assert!(
        ana.get("/admin/entrar")
            .await
            .text()
            .await
            .unwrap()
            .contains("Han pasado más de cinco minutos")
    );
    assert_eq!(ana.get("/admin").await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn when_the_policy_requires_it_unenrolled_staff_must_enrol_first() {
    let mut admin_id = 0;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        admin_id = create_staff(conn, "jefa@soriano.es", Role::Admin, PASSWORD);
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let admin = Visitor::new(&app);
    admin.password_step("jefa@soriano.es", None).await;
    let body = admin.get("/admin/seguridad").await.text().await.unwrap();
    assert!(body.contains("Exigir verificación en dos pasos a todo el personal"));
    assert!(!body.contains(" checked"));
    let response = admin
        .submit(
            "/admin/seguridad",
            "/admin/seguridad",
            &[("exigir_dos_pasos", "si")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (required, updated_by): (bool, Option<i64>) = security_settings::table
        .select((
            security_settings::require_two_factor,
            security_settings::updated_by,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    assert!(required);
    assert_eq!(updated_by, Some(admin_id));
    // The administrator has not enrolled either.
    assert_eq!(
        location(&admin.get("/admin/seguridad").await),
        "/admin/cuenta/dos-pasos"
    );

    let ana = Visitor::new(&app);
    assert_eq!(
        location(&ana.password_step("ana@soriano.es", None).await),
        "/admin"
    );
    for path in ["/admin", "/admin/catalogo"] {
        let response = ana.get(path).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&response), "/admin/cuenta/dos-pasos", "{path}");
    }
    let response = ana.get_htmx("/admin/catalogo").await;
    assert_eq!(
        response.headers().get("hx-redirect").unwrap(),
        "/admin/cuenta/dos-pasos"
    );
    let body = ana
        .get("/admin/cuenta/dos-pasos")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("La administración exige la verificación en dos pasos"));
    let key = key_in(&body);
    let response = ana
        .submit(
            "/admin/cuenta/dos-pasos",
            "/admin/cuenta/dos-pasos/activar",
            &[("codigo", &current_code(&key))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(ana.get("/admin/catalogo").await.status(), StatusCode::OK);

    // Nor can she turn it off while the policy stands.
    let response = ana
        .submit(
            "/admin/cuenta/dos-pasos",
            "/admin/cuenta/dos-pasos/desactivar",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("no puede desactivarla")
    );
    let mut conn = app.db.conn();
    let ana_id: i64 = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::id)
        .first(&mut conn)
        .unwrap();
    assert!(totp::is_enabled(&mut conn, ana_id).unwrap());
    app.stop().await;
}

#[actix_web::test]
async fn only_administrators_open_the_security_page() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Supervisor, PASSWORD);
    })
    .await;
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;
    assert_eq!(
        ana.get("/admin/seguridad").await.status(),
        StatusCode::FORBIDDEN
    );
    let response = ana
        .submit("/admin", "/admin/seguridad", &[("exigir_dos_pasos", "si")])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!totp::require_two_factor(&mut app.db.conn()).unwrap());
    let body = ana.get("/admin").await.text().await.unwrap();
    assert!(
        !body.contains("href=\"/admin/seguridad\""),
        "no link either"
    );
    assert!(
        body.contains("href=\"/admin/cuenta\""),
        "their own account is linked"
    );
    app.stop().await;
}

#[actix_web::test]
async fn two_factor_forms_refuse_requests_without_the_csrf_token() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "jefa@soriano.es", Role::Admin, PASSWORD);
        secret = enrol(conn, id).0;
    })
    .await;
    let admin = Visitor::new(&app);
    admin.password_step("jefa@soriano.es", None).await;
    let response = admin
        .post(
            "/admin/entrar/codigo",
            &[("codigo", &current_code(&secret))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(admin.get("/admin").await.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&admin.code_step(&current_code(&secret)).await),
        "/admin"
    );

    for (path, field, value) in [
        ("/admin/seguridad", "exigir_dos_pasos", "si"),
        ("/admin/cuenta/dos-pasos/desactivar", "password", PASSWORD),
        ("/admin/cuenta/dos-pasos/codigos", "codigo", "123456"),
        ("/admin/cuenta/dos-pasos/activar", "codigo", "123456"),
    ] {
        let response = admin
            .post(path, &[(field, value), ("csrf_token", "forged")])
            .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let mut conn = app.db.conn();
    assert!(!totp::require_two_factor(&mut conn).unwrap());
    let enabled: i64 = staff_users::table
        .filter(staff_users::totp_enabled_at.is_not_null())
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(enabled, 1, "still enabled");
    app.stop().await;
}

#[actix_web::test]
async fn turning_it_off_asks_for_the_password_and_new_codes_for_a_current_code() {
    let mut secret = String::new();
    let mut old_codes = Vec::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "ana@soriano.es", Role::Claims, PASSWORD);
        (secret, old_codes) = enrol(conn, id);
    })
    .await;
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;
    assert_eq!(
        location(&ana.code_step(&current_code(&secret)).await),
        "/admin"
    );

    // New recovery codes: a wrong code is refused, the app's next code works.
    let page = "/admin/cuenta/dos-pasos";
    let response = ana
        .submit(
            page,
            "/admin/cuenta/dos-pasos/codigos",
            &[("codigo", &wrong_code(&secret))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"codigo-nuevos-error\"")
    );
    let response = ana
        .submit(
            page,
            "/admin/cuenta/dos-pasos/codigos",
            &[("codigo", &next_code(&secret))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let new_codes = recovery_codes_in(&response.text().await.unwrap());
    assert_eq!(new_codes.len(), 10);
    assert!(new_codes.iter().all(|code| !old_codes.contains(code)));
    let mut conn = app.db.conn();
    let id: i64 = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::id)
        .first(&mut conn)
        .unwrap();
    assert!(matches!(
        totp::check_login_code(&mut conn, id, &old_codes[0], Utc::now()),
        Err(totp::TwoFactorError::InvalidCode)
    ));

    // Turning it off: the password is required and checked.
    let response = ana
        .submit(
            page,
            "/admin/cuenta/dos-pasos/desactivar",
            &[("password", "otra clave cualquiera")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains(
        "<p class=\"field-error\" id=\"password-error\">La contraseña no es correcta.</p>"
    ));
    assert!(totp::is_enabled(&mut conn, id).unwrap());
    let response = ana
        .submit(
            page,
            "/admin/cuenta/dos-pasos/desactivar",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!totp::is_enabled(&mut conn, id).unwrap());
    let left: i64 = staff_recovery_codes::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(left, 0);

    // And the password alone signs in again.
    ana.sign_out().await;
    assert_eq!(
        location(&ana.password_step("ana@soriano.es", None).await),
        "/admin"
    );
    app.stop().await;
}

/// Wrong passwords typed to turn the second factor off count like wrong sign-ins: after the
/// free ones even the right password must wait, and the factor stays on.
#[actix_web::test]
async fn guessing_the_password_to_turn_it_off_is_throttled() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        let id = create_staff(conn, "ana@soriano.es", Role::Claims, PASSWORD);
        (secret, _) = enrol(conn, id);
    })
    .await;
    let ana = Visitor::new(&app);
    ana.password_step("ana@soriano.es", None).await;
    ana.code_step(&current_code(&secret)).await;
    let page = "/admin/cuenta/dos-pasos";
    for _ in 0..soriano::auth::throttle::FREE_FAILURES {
        let response = ana
            .submit(
                page,
                "/admin/cuenta/dos-pasos/desactivar",
                &[("password", "una clave adivinada")],
            )
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("La contraseña no es correcta.")
        );
    }
    let response = ana
        .submit(
            page,
            "/admin/cuenta/dos-pasos/desactivar",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Demasiados intentos fallidos")
    );
    let mut conn = app.db.conn();
    let id: i64 = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::id)
        .first(&mut conn)
        .unwrap();
    assert!(totp::is_enabled(&mut conn, id).unwrap(), "still on");
    app.stop().await;
}

#[actix_web::test]
async fn an_administrator_reset_lets_the_password_alone_sign_in() {
    let mut id = 0;
    let app = TestApp::spawn_with(|conn| {
        id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        enrol(conn, id);
    })
    .await;
    let mut conn = app.db.conn();
    soriano::auth::totp::reset(&mut conn, id).unwrap();
    assert!(!totp::is_enabled(&mut conn, id).unwrap());
    let codes: i64 = staff_recovery_codes::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(codes, 0);
    let ana = Visitor::new(&app);
    assert_eq!(
        location(&ana.password_step("ana@soriano.es", None).await),
        "/admin"
    );
    app.stop().await;
}

#[actix_web::test]
async fn an_admin_resets_a_colleagues_second_factor_and_it_is_audited() {
    let mut secret = String::new();
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "jefa@soriano.es", Role::Admin, PASSWORD);
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        secret = totp::new_secret();
        totp::enable(conn, ana, &secret, &current_code(&secret), Utc::now()).unwrap();
    })
    .await;
    let ana: i64 = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::id)
        .first(&mut app.db.conn())
        .unwrap();
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/usuarios/{ana}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Restablecer la verificación en dos pasos"));
    let token = app.csrf_token("/admin").await;
    let response = app
        .post_form(
            &format!("/admin/usuarios/{ana}/dos-pasos/restablecer"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!totp::is_enabled(&mut app.db.conn(), ana).unwrap());
    let codes_left: i64 = staff_recovery_codes::table
        .filter(staff_recovery_codes::staff_id.eq(ana))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(codes_left, 0);
    use soriano::db::schema::audit_log;
    let actions: Vec<String> = audit_log::table
        .select(audit_log::action)
        .load(&mut app.db.conn())
        .unwrap();
    assert!(
        actions.iter().any(|a| a == "staff.totp_reset"),
        "{actions:?}"
    );
    // Unknown ids are a 404, not an error.
    let response = app
        .post_form(
            "/admin/usuarios/999999/dos-pasos/restablecer",
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}
