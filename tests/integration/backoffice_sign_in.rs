//! Staff sign-in to the back-office, its errors, and the guard in front of staff pages.

use crate::common;

use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;

const PASSWORD: &str = "una clave larga de prueba";

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

fn session_rows(conn: &mut PgConnection) -> i64 {
    soriano::db::schema::sessions::table
        .count()
        .get_result(conn)
        .unwrap()
}

#[actix_web::test]
async fn anonymous_visitors_are_sent_to_the_sign_in_page() {
    let app = TestApp::spawn().await;
    let response = app.get("/admin/catalogo").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        location(&response),
        "/admin/entrar?siguiente=%2Fadmin%2Fcatalogo"
    );

    // htmx requests are told to navigate instead of swapping the sign-in page into a fragment.
    let response = app.get_htmx("/admin").await;
    assert_eq!(
        response.headers().get("hx-redirect").unwrap(),
        "/admin/entrar?siguiente=%2Fadmin"
    );

    let body = app.get("/admin/entrar").await.text().await.unwrap();
    assert!(body.contains("<h1 id=\"login-title\">Acceso de empleados</h1>"));
    assert!(body.contains("<label for=\"email\">Correo electrónico</label>"));
    assert!(body.contains("<label for=\"password\">Contraseña</label>"));
    app.stop().await;
}

#[actix_web::test]
async fn staff_sign_in_and_reach_the_page_they_asked_for() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let token = app
        .csrf_token("/admin/entrar?siguiente=%2Fadmin%2Fcatalogo")
        .await;
    let response = app
        .post_form(
            "/admin/entrar",
            &[
                ("csrf_token", &token),
                ("email", "  ANA@soriano.es "),
                ("password", PASSWORD),
                ("siguiente", "/admin/catalogo"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/catalogo");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sori_admin="));
    let cookie = cookie.expect("session cookie set");
    assert!(
        cookie.contains("HttpOnly")
            && cookie.contains("Path=/admin")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let body = app.get("/admin/catalogo").await.text().await.unwrap();
    assert!(body.contains("Compañías y productos"));
    assert!(body.contains("Mapfre Hogar Plus") && body.contains("25,00 %"));
    assert!(
        body.contains("Hola, Persona de Prueba."),
        "the welcome flash is shown once"
    );
    let again = app.get("/admin/catalogo").await.text().await.unwrap();
    assert!(
        !again.contains("Hola, Persona de Prueba."),
        "flash shown only once"
    );

    let mut conn = app.db.conn();
    let last_login: Option<chrono::DateTime<chrono::Utc>> = soriano::db::schema::staff_users::table
        .filter(soriano::db::schema::staff_users::email.eq("ana@soriano.es"))
        .select(soriano::db::schema::staff_users::last_login_at)
        .first(&mut conn)
        .unwrap();
    assert!(last_login.is_some());
    assert_eq!(
        session_rows(&mut conn),
        1,
        "the session lives in PostgreSQL"
    );
    app.stop().await;
}

#[actix_web::test]
async fn wrong_credentials_get_one_message_and_keep_the_email() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    for (email, password) in [
        ("ana@soriano.es", "otra clave cualquiera"),
        ("nadie@soriano.es", PASSWORD),
    ] {
        let response = app.sign_in(email, password).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let body = response.text().await.unwrap();
        assert!(body.contains("El correo o la contraseña no son correctos."));
        assert!(body.contains(&format!("value=\"{email}\"")), "e-mail kept");
        assert!(!body.contains(password), "password never echoed");
    }
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn empty_or_malformed_fields_are_flagged_next_to_the_field() {
    let app = TestApp::spawn().await;
    let response = app.sign_in("", "").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains(
        "<p class=\"field-error\" id=\"email-error\">Escriba su correo electrónico.</p>"
    ));
    assert!(
        body.contains("<p class=\"field-error\" id=\"password-error\">Escriba su contraseña.</p>")
    );
    assert!(body.contains("aria-invalid=\"true\""));
    // The error summary above the form links to each field in error.
    assert!(body.contains("data-error-summary"));
    assert!(body.contains("<li><a href=\"#email\">Escriba su correo electrónico.</a></li>"));
    assert!(body.contains("<li><a href=\"#password\">Escriba su contraseña.</a></li>"));

    let response = app.sign_in("ana-arroba-soriano", "x").await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("El correo electrónico no tiene un formato válido."));
    assert!(body.contains("value=\"ana-arroba-soriano\""));
    app.stop().await;
}

#[actix_web::test]
async fn sign_out_ends_the_session_on_the_server() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Supervisor, PASSWORD);
    })
    .await;
    let response = app.sign_in("ana@soriano.es", PASSWORD).await;
    let session_cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|c| c.starts_with("sori_admin="))
        .unwrap();
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);

    let token = app.csrf_token("/admin").await;
    let response = app
        .post_form("/admin/salir", &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/entrar");
    assert_eq!(session_rows(&mut app.db.conn()), 0);

    // Replaying the old cookie from another client gets nowhere.
    let replay = common::new_client()
        .get(app.url("/admin"))
        .header("Cookie", session_cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn a_disabled_account_loses_access_at_once() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    use soriano::db::schema::staff_users;
    diesel::update(staff_users::table.filter(staff_users::email.eq("ana@soriano.es")))
        .set(staff_users::active.eq(false))
        .execute(&mut app.db.conn())
        .unwrap();
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
    // And cannot sign in again.
    assert_eq!(
        app.sign_in("ana@soriano.es", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    app.stop().await;
}

#[actix_web::test]
async fn sign_in_never_redirects_off_site() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let token = app.csrf_token("/admin/entrar").await;
    let response = app
        .post_form(
            "/admin/entrar",
            &[
                ("csrf_token", &token),
                ("email", "ana@soriano.es"),
                ("password", PASSWORD),
                ("siguiente", "https://evil.example/"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/admin");
    app.stop().await;
}

#[actix_web::test]
async fn repeated_failures_make_the_address_wait_known_or_not() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    for email in ["ana@soriano.es", "nadie@soriano.es"] {
        for _ in 0..5 {
            let response = app.sign_in(email, "una clave que no es").await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        // Even the right password waits now, and the answer does not say whether the account exists.
        let response = app.sign_in(email, PASSWORD).await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS, "{email}");
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Demasiados intentos fallidos. Espere 30 segundos"),
            "{body}"
        );
    }
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);

    // The wait is temporary: once it has passed, the right password works.
    use soriano::db::schema::login_attempts;
    diesel::update(login_attempts::table)
        .set(
            login_attempts::attempted_at
                .eq(login_attempts::attempted_at - diesel::dsl::IntervalDsl::minutes(1)),
        )
        .execute(&mut app.db.conn())
        .unwrap();
    let response = app.sign_in("ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let rows: i64 = login_attempts::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        rows, 11,
        "failures and the success are counted; refused-while-waiting ones are not"
    );
    app.stop().await;
}

#[actix_web::test]
async fn old_hashes_are_upgraded_at_sign_in() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    use argon2::password_hash::PasswordHasher;
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes())
    .unwrap()
    .to_string();
    use soriano::db::schema::staff_users;
    diesel::update(staff_users::table)
        .set(staff_users::password_hash.eq(&weak))
        .execute(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        app.sign_in("ana@soriano.es", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let stored: String = staff_users::table
        .select(staff_users::password_hash)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_session_records_where_it_was_opened() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let token = app.csrf_token("/admin/entrar").await;
    app.client
        .post(app.url("/admin/entrar"))
        .header("User-Agent", "Navegador de prueba/1.0")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "ana@soriano.es"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    use soriano::db::schema::sessions;
    let (ip, agent): (Option<String>, Option<String>) = sessions::table
        .select((sessions::ip, sessions::user_agent))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(agent.as_deref(), Some("Navegador de prueba/1.0"));
    app.stop().await;
}

/// Moves a timestamp that actix-identity keeps in the session back by `seconds`.
fn age_session(app: &TestApp, key: &str, seconds: i64) {
    diesel::sql_query(format!(
        "UPDATE sessions SET state = jsonb_set(state, '{{{key}}}', \
         to_jsonb(((state->>'{key}')::bigint - {seconds})::text))"
    ))
    .execute(&mut app.db.conn())
    .unwrap();
}

#[actix_web::test]
async fn an_idle_session_ends_after_thirty_minutes() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let idle_for = |minutes: i64| {
        // The session expires 30 minutes after its last request: pretend that was `minutes` ago.
        diesel::sql_query(format!(
            "UPDATE sessions SET expires_at = now() + interval '30 minutes' - interval '{minutes} minutes'"
        ))
        .execute(&mut app.db.conn())
        .unwrap();
    };
    idle_for(29);
    assert_eq!(
        app.get("/admin").await.status(),
        StatusCode::OK,
        "29 minutes idle is fine"
    );
    let expiry: chrono::DateTime<chrono::Utc> = soriano::db::schema::sessions::table
        .select(soriano::db::schema::sessions::expires_at)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(
        expiry > chrono::Utc::now() + chrono::Duration::minutes(29),
        "the request extended the session"
    );
    idle_for(31);
    let response = app.get("/admin").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/admin/entrar"));
    app.stop().await;
}

#[actix_web::test]
async fn a_session_ends_ten_hours_after_sign_in_however_active() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    age_session(&app, "actix_identity.logged_in_at", 9 * 3600);
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    age_session(&app, "actix_identity.logged_in_at", 3600 + 60);
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn signing_in_issues_a_new_session_id() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let session_cookie = |response: &reqwest::Response| {
        response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|c| c.starts_with("sori_admin="))
            .expect("a session cookie is set at sign-in")
    };
    let first = session_cookie(&app.sign_in("ana@soriano.es", PASSWORD).await);
    let keys_before = sessions_keys(&app);
    // Signing in again with a session already open (as with a planted session id) must not
    // keep that id.
    let token = app.csrf_token("/admin").await;
    let again = app
        .post_form(
            "/admin/entrar",
            &[
                ("csrf_token", &token),
                ("email", "ana@soriano.es"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let second = session_cookie(&again);
    assert_ne!(first, second);
    let keys_after = sessions_keys(&app);
    assert_eq!(keys_after.len(), 1);
    assert!(
        !keys_before.contains(&keys_after[0]),
        "the old session row is gone"
    );
    let replay = common::new_client()
        .get(app.url("/admin"))
        .header("Cookie", first)
        .send()
        .await
        .unwrap();
    assert_eq!(
        replay.status(),
        StatusCode::SEE_OTHER,
        "the old id is worthless"
    );
    app.stop().await;
}

fn sessions_keys(app: &TestApp) -> Vec<String> {
    soriano::db::schema::sessions::table
        .select(soriano::db::schema::sessions::key_hash)
        .load(&mut app.db.conn())
        .unwrap()
}

/// Posts a staff sign-in as it arrives through the reverse proxy, with `forwarded_for` as
/// the `X-Forwarded-For` the proxy passes on.
async fn sign_in_through_proxy(
    app: &TestApp,
    token: &str,
    forwarded_for: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(app.url("/admin/entrar"))
        .header("X-Forwarded-For", forwarded_for)
        .form(&[
            ("csrf_token", token),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn rotating_the_leftmost_forwarded_address_does_not_escape_the_per_ip_limit() {
    use soriano::auth::throttle::IP_FAILURE_LIMIT;
    use soriano::db::schema::login_attempts;
    let app = TestApp::spawn_configured(&[("TRUST_PROXY", "true")], |_| {}).await;
    let token = app.csrf_token("/admin/entrar").await;
    // The attacker writes a new address on the left each time; the proxy appends the real one.
    for i in 0..3 {
        let response = sign_in_through_proxy(
            &app,
            &token,
            &format!("10.9.{i}.1, 203.0.113.7"),
            &format!("nadie{i}@soriano.es"),
            "una clave que no es",
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let ips: Vec<String> = login_attempts::table
        .select(login_attempts::ip)
        .distinct()
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        ips,
        ["203.0.113.7"],
        "counted under the address the proxy saw"
    );

    // The rest of the per-IP allowance, spent on other accounts (inserted: hashing them all
    // over HTTP would only make the test slow).
    let now = chrono::Utc::now();
    let rows: Vec<_> = (3..IP_FAILURE_LIMIT)
        .map(|i| {
            (
                login_attempts::email.eq(format!("otro{i}@soriano.es")),
                login_attempts::ip.eq("203.0.113.7"),
                login_attempts::succeeded.eq(false),
                login_attempts::attempted_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(login_attempts::table)
        .values(&rows)
        .execute(&mut app.db.conn())
        .unwrap();
    let response = sign_in_through_proxy(
        &app,
        &token,
        "10.9.200.1, 203.0.113.7",
        "nuevo@soriano.es",
        "una clave que no es",
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // Someone else behind the same proxy (their own address appended) is not held up, even
    // when they claim the attacker's address on the left.
    let response = sign_in_through_proxy(
        &app,
        &token,
        "203.0.113.7, 198.51.100.20",
        "nuevo@soriano.es",
        "una clave que no es",
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
}

#[actix_web::test]
async fn a_burst_of_parallel_guesses_gets_only_the_free_failures_checked() {
    use soriano::auth::throttle::FREE_FAILURES;
    use soriano::db::schema::login_attempts;
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    let token = app.csrf_token("/admin/entrar").await;
    let guesses = (0..32).map(|i| {
        let request = app.client.post(app.url("/admin/entrar")).form(&[
            ("csrf_token", token.clone()),
            ("email", "ana@soriano.es".to_owned()),
            ("password", format!("una clave que no es {i}")),
        ]);
        async move { request.send().await.unwrap().status() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let waited = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (checked, waited),
        (FREE_FAILURES as usize, 32 - FREE_FAILURES as usize),
        "{statuses:?}"
    );
    let recorded: i64 = login_attempts::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(recorded, FREE_FAILURES, "one record per password checked");
    // The owner, too, waits now (from this browser, which never signed in).
    let response = app.sign_in("ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

/// Posts a staff sign-in from `client` as it arrives through the proxy from `ip`.
async fn sign_in_from(
    app: &TestApp,
    client: &reqwest::Client,
    ip: &str,
    email: &str,
    password: &str,
) -> reqwest::Response {
    // Signed in already, the sign-in page sends the browser on: any page has the token.
    let page = client.get(app.url("/admin/entrar")).send().await.unwrap();
    let page = if page.status().is_redirection() {
        client.get(app.url("/admin")).send().await.unwrap()
    } else {
        page
    };
    let token = common::csrf_from_html(&page.text().await.unwrap());
    client
        .post(app.url("/admin/entrar"))
        .header("X-Forwarded-For", ip)
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn guesses_from_elsewhere_do_not_keep_the_owner_out_of_a_known_browser() {
    use soriano::auth::throttle::{FREE_FAILURES, IP_FAILURE_LIMIT};
    use soriano::db::schema::login_attempts;
    const OWNER_IP: &str = "198.51.100.10";
    const ATTACKER_IP: &str = "203.0.113.66";
    let app = TestApp::spawn_configured(&[("TRUST_PROXY", "true")], |conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    // Ana signed in on her browser before: it is a known device now.
    let owner = common::new_client();
    let response = sign_in_from(&app, &owner, OWNER_IP, "ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("sori_admin_device="))
        .expect("the browser is remembered");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("Path=/admin"),
        "{cookie}"
    );

    // Someone who knows her address floods it with guesses from elsewhere.
    let attacker = common::new_client();
    for _ in 0..FREE_FAILURES {
        let response = sign_in_from(
            &app,
            &attacker,
            ATTACKER_IP,
            "ana@soriano.es",
            "a ver si es esta",
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = sign_in_from(&app, &attacker, ATTACKER_IP, "ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // Ana, on her known browser, still gets in with her password.
    let response = sign_in_from(&app, &owner, OWNER_IP, "ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // A browser without the cookie waits, even at her address and with the right password.
    let stranger = common::new_client();
    let response = sign_in_from(&app, &stranger, OWNER_IP, "ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // The attacker's address still meets the per-IP limit on any other account.
    let now = chrono::Utc::now();
    let rows: Vec<_> = (FREE_FAILURES..IP_FAILURE_LIMIT)
        .map(|i| {
            (
                login_attempts::email.eq(format!("otro{i}@soriano.es")),
                login_attempts::ip.eq(ATTACKER_IP),
                login_attempts::succeeded.eq(false),
                login_attempts::attempted_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(login_attempts::table)
        .values(&rows)
        .execute(&mut app.db.conn())
        .unwrap();
    let response = sign_in_from(
        &app,
        &attacker,
        ATTACKER_IP,
        "nuevo@soriano.es",
        "lo que sea",
    )
    .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    // The known browser's own failures count against it: it is no master key.
    for _ in 0..FREE_FAILURES {
        let response =
            sign_in_from(&app, &owner, OWNER_IP, "ana@soriano.es", "me he equivocado").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    let response = sign_in_from(&app, &owner, OWNER_IP, "ana@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}
