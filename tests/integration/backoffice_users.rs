//! User administration, invitations and password resets through the e-mailed links.

use crate::common;

use common::{TestApp, create_staff, new_client};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{outbound_emails, sessions, staff_tokens, staff_users};

const PASSWORD: &str = "una clave larga de prueba";
const NEW_PASSWORD: &str = "otra clave distinta y larga";

fn admin_and_agent(conn: &mut PgConnection) {
    create_staff(conn, "jefa@soriano.es", Role::Admin, PASSWORD);
    create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
}

fn staff_id(app: &TestApp, email: &str) -> i64 {
    staff_users::table
        .filter(staff_users::email.eq(email))
        .select(staff_users::id)
        .first(&mut app.db.conn())
        .unwrap()
}

/// The link of the last e-mail sent to `to`.
fn last_link(app: &TestApp, to: &str) -> String {
    let body: String = outbound_emails::table
        .filter(outbound_emails::to_address.eq(to))
        .order(outbound_emails::id.desc())
        .select(outbound_emails::body_text)
        .first(&mut app.db.conn())
        .unwrap();
    let re = regex::Regex::new(r"https?://[^/\s]+(/admin/contrasena/[A-Za-z0-9_-]+)").unwrap();
    re.captures(&body).expect("the e-mail carries a link")[1].to_owned()
}

fn emails_to(app: &TestApp, to: &str) -> i64 {
    outbound_emails::table
        .filter(outbound_emails::to_address.eq(to))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap()
}

async fn set_password_via(
    app: &TestApp,
    client: &reqwest::Client,
    link: &str,
    password: &str,
) -> reqwest::Response {
    let response = client.get(app.url(link)).send().await.unwrap();
    if response.status() != StatusCode::OK {
        return response;
    }
    let body = response.text().await.unwrap();
    let token = common::csrf_from_html(&body);
    client
        .post(app.url(link))
        .form(&[
            ("csrf_token", token.as_str()),
            ("nueva", password),
            ("repetida", password),
        ])
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_admin_invites_a_colleague_who_sets_a_password_and_signs_in() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let token = app.csrf_token("/admin/usuarios/nuevo").await;
    let response = app
        .post_form(
            "/admin/usuarios",
            &[
                ("csrf_token", &token),
                ("nombre", "Luis Pérez"),
                ("email", "Luis@Soriano.es"),
                ("rol", "claims"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = staff_id(&app, "luis@soriano.es");
    assert_eq!(
        response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap(),
        format!("/admin/usuarios/{id}")
    );
    let page = app
        .get(&format!("/admin/usuarios/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Invitación pendiente") && page.contains("Tramitación de siniestros"));

    // The same form sent twice creates one account.
    let again = app
        .post_form(
            "/admin/usuarios",
            &[
                ("csrf_token", &token),
                ("nombre", "Luis Pérez"),
                ("email", "luis@soriano.es"),
                ("rol", "claims"),
            ],
        )
        .await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("Ya existe una cuenta con ese correo electrónico.")
    );
    assert_eq!(emails_to(&app, "luis@soriano.es"), 1);

    // Luis can't sign in before choosing a password...
    let luis = new_client();
    let link = last_link(&app, "luis@soriano.es");
    let response = set_password_via(&app, &luis, &link, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    // ...and the link works once.
    let reused = luis.get(app.url(&link)).send().await.unwrap();
    assert_eq!(reused.status(), StatusCode::GONE);
    assert!(
        reused
            .text()
            .await
            .unwrap()
            .contains("El enlace no es válido")
    );
    let body = luis
        .get(app.url("/admin/entrar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    let response = luis
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "luis@soriano.es"),
            ("password", NEW_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn the_invitation_form_checks_each_field_and_keeps_the_values() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let token = app.csrf_token("/admin/usuarios/nuevo").await;
    let response = app
        .post_form(
            "/admin/usuarios",
            &[
                ("csrf_token", &token),
                ("nombre", ""),
                ("email", "luis-en-soriano"),
                ("rol", "root"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Escriba el nombre."));
    assert!(body.contains("El correo electrónico no tiene un formato válido."));
    assert!(body.contains("Elija un perfil."));
    assert!(body.contains("value=\"luis-en-soriano\""));
    let count: i64 = staff_users::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 2, "nothing written");
    app.stop().await;
}

#[actix_web::test]
async fn only_admins_administer_users() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    assert_eq!(
        app.get("/admin/usuarios").await.status(),
        StatusCode::FORBIDDEN
    );
    let token = app.csrf_token("/admin").await;
    let jefa = staff_id(&app, "jefa@soriano.es");
    let response = app
        .post_form(
            &format!("/admin/usuarios/{jefa}/desactivar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    // The agent's navigation does not offer the page.
    assert!(
        !app.get("/admin")
            .await
            .text()
            .await
            .unwrap()
            .contains("/admin/usuarios")
    );
    app.stop().await;
}

#[actix_web::test]
async fn disabling_an_account_ends_its_sessions_and_roles_can_change() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    let (ana, _) = app.sign_in_elsewhere("ana@soriano.es", PASSWORD).await;
    assert_eq!(
        ana.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::OK
    );

    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let id = staff_id(&app, "ana@soriano.es");
    let token = app.csrf_token("/admin/usuarios").await;
    let response = app
        .post_form(
            &format!("/admin/usuarios/{id}/rol"),
            &[("csrf_token", &token), ("rol", "supervisor")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let role: String = staff_users::table
        .find(id)
        .select(staff_users::role)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(role, "supervisor");

    let response = app
        .post_form(
            &format!("/admin/usuarios/{id}/desactivar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        ana.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "ana is out at once"
    );
    let rows: i64 = sessions::table
        .filter(sessions::user_id.eq(id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(rows, 0);
    let response = app
        .post_form(
            &format!("/admin/usuarios/{id}/activar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/admin/usuarios/999999").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_last_admin_cannot_be_demoted_or_disabled() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let me = staff_id(&app, "jefa@soriano.es");
    let token = app.csrf_token("/admin/usuarios").await;
    let response = app
        .post_form(
            &format!("/admin/usuarios/{me}/rol"),
            &[("csrf_token", &token), ("rol", "agent")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("No puede quitarse a sí mismo el perfil de administración")
    );
    let response = app
        .post_form(
            &format!("/admin/usuarios/{me}/desactivar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let active: bool = staff_users::table
        .find(me)
        .select(staff_users::active)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(active);
    app.stop().await;
}

#[actix_web::test]
async fn a_password_reset_link_works_once_within_the_hour_and_ends_all_sessions() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    let (other, _) = app.sign_in_elsewhere("ana@soriano.es", PASSWORD).await;
    assert_eq!(
        other.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::OK
    );

    // Same answer whether the account exists or not; only a real one gets an e-mail.
    let token = app.csrf_token("/admin/recuperar").await;
    let known = app
        .post_form(
            "/admin/recuperar",
            &[("csrf_token", &token), ("email", "ana@soriano.es")],
        )
        .await;
    let unknown = app
        .post_form(
            "/admin/recuperar",
            &[("csrf_token", &token), ("email", "nadie@soriano.es")],
        )
        .await;
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(unknown.status(), StatusCode::OK);
    let known = known.text().await.unwrap();
    let unknown = unknown.text().await.unwrap();
    assert_eq!(
        known.replace("ana@soriano.es", "X").len(),
        unknown.replace("nadie@soriano.es", "X").len()
    );
    assert_eq!(emails_to(&app, "ana@soriano.es"), 1);
    assert_eq!(emails_to(&app, "nadie@soriano.es"), 0);

    let link = last_link(&app, "ana@soriano.es");
    let stored: String = staff_tokens::table
        .select(staff_tokens::token_hash)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(!link.contains(&stored), "only the hash is stored");

    let browser = new_client();
    let response = set_password_via(&app, &browser, &link, NEW_PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        other.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "other sessions ended"
    );
    assert_eq!(
        set_password_via(&app, &browser, &link, "y otra más todavía")
            .await
            .status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.sign_in("ana@soriano.es", NEW_PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    // An expired link is refused.
    let token = app.csrf_token("/admin/recuperar").await;
    app.post_form(
        "/admin/recuperar",
        &[("csrf_token", &token), ("email", "ana@soriano.es")],
    )
    .await;
    let link = last_link(&app, "ana@soriano.es");
    diesel::update(staff_tokens::table)
        .set(staff_tokens::expires_at.eq(chrono::Utc::now() - chrono::Duration::minutes(1)))
        .execute(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        new_client()
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::GONE
    );
    app.stop().await;
}

#[actix_web::test]
async fn reset_requests_are_rate_limited() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    let token = app.csrf_token("/admin/recuperar").await;
    for _ in 0..3 {
        app.post_form(
            "/admin/recuperar",
            &[("csrf_token", &token), ("email", "ana@soriano.es")],
        )
        .await;
    }
    // Per address: the answer stays the same, but no more e-mails go out.
    let response = app
        .post_form(
            "/admin/recuperar",
            &[("csrf_token", &token), ("email", "ana@soriano.es")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(emails_to(&app, "ana@soriano.es"), 3);
    // Per IP: after ten requests, a 429.
    for i in 0..6 {
        let email = format!("otro{i}@soriano.es");
        assert_eq!(
            app.post_form(
                "/admin/recuperar",
                &[("csrf_token", &token), ("email", &email)]
            )
            .await
            .status(),
            StatusCode::OK
        );
    }
    let response = app
        .post_form(
            "/admin/recuperar",
            &[("csrf_token", &token), ("email", "x@soriano.es")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    app.stop().await;
}

#[actix_web::test]
async fn a_bad_new_password_behind_the_link_is_explained_and_the_link_stays_valid() {
    let app = TestApp::spawn_with(admin_and_agent).await;
    let token = app.csrf_token("/admin/recuperar").await;
    app.post_form(
        "/admin/recuperar",
        &[("csrf_token", &token), ("email", "ana@soriano.es")],
    )
    .await;
    let link = last_link(&app, "ana@soriano.es");
    let client = new_client();
    let body = client
        .get(app.url(&link))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&body);
    let response = client
        .post(app.url(&link))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("nueva", "corta"),
            ("repetida", "otra"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("La contraseña debe tener al menos 12 caracteres."));
    assert!(body.contains("Las dos contraseñas no coinciden."));
    assert_eq!(
        client.get(app.url(&link)).send().await.unwrap().status(),
        StatusCode::OK
    );
    app.stop().await;
}
