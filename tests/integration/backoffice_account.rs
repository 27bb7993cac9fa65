//! "Mi cuenta": password change and the list of one's own sessions.

use crate::common;

use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{sessions, staff_users};

const PASSWORD: &str = "una clave larga de prueba";
const NEW_PASSWORD: &str = "otra clave distinta y larga";

fn stored_hash(app: &TestApp) -> String {
    staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::password_hash)
        .first(&mut app.db.conn())
        .unwrap()
}

#[actix_web::test]
async fn changing_the_password_ends_every_other_session() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (other, status) = app.sign_in_elsewhere("ana@soriano.es", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        other.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::OK
    );

    let token = app.csrf_token("/admin/cuenta").await;
    let response = app
        .post_form(
            "/admin/cuenta/contrasena",
            &[
                ("csrf_token", &token),
                ("actual", PASSWORD),
                ("nueva", NEW_PASSWORD),
                ("repetida", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get("/admin/cuenta").await;
    assert_eq!(
        page.status(),
        StatusCode::OK,
        "this browser stays signed in"
    );
    assert!(page.text().await.unwrap().contains("Contraseña cambiada."));

    assert_eq!(
        other.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER,
        "the other browser is out"
    );
    let count: i64 = sessions::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 1);

    assert_eq!(
        app.sign_in_elsewhere("ana@soriano.es", PASSWORD).await.1,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.sign_in_elsewhere("ana@soriano.es", NEW_PASSWORD)
            .await
            .1,
        StatusCode::SEE_OTHER
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_bad_password_change_explains_each_field_and_changes_nothing() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let before = stored_hash(&app);
    let token = app.csrf_token("/admin/cuenta").await;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "no es la mía",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "La contraseña actual no es correcta.",
        ),
        (
            "",
            NEW_PASSWORD,
            NEW_PASSWORD,
            "Escriba su contraseña actual.",
        ),
        (
            PASSWORD,
            "corta",
            "corta",
            "La contraseña debe tener al menos 12 caracteres.",
        ),
        (
            PASSWORD,
            "password1234",
            "password1234",
            "Esa contraseña es demasiado común",
        ),
        (
            PASSWORD,
            NEW_PASSWORD,
            "otra cosa distinta",
            "Las dos contraseñas no coinciden.",
        ),
        (
            PASSWORD,
            PASSWORD,
            PASSWORD,
            "La nueva contraseña debe ser distinta de la actual.",
        ),
    ];
    for (current, new, repeated, message) in cases {
        let response = app
            .post_form(
                "/admin/cuenta/contrasena",
                &[
                    ("csrf_token", &token),
                    ("actual", current),
                    ("nueva", new),
                    ("repetida", repeated),
                ],
            )
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{message}"
        );
        let body = response.text().await.unwrap();
        assert!(body.contains(message), "{message}");
        assert!(body.contains("class=\"field-error\""));
    }
    assert_eq!(stored_hash(&app), before);
    app.stop().await;
}

#[actix_web::test]
async fn staff_see_and_end_their_own_sessions_only() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (other, _) = app.sign_in_elsewhere("ana@soriano.es", PASSWORD).await;
    let (luis, _) = app.sign_in_elsewhere("luis@soriano.es", PASSWORD).await;

    let body = app.get("/admin/cuenta").await.text().await.unwrap();
    assert_eq!(
        body.matches("/cerrar\">").count(),
        2,
        "two sessions of ana listed"
    );
    assert_eq!(body.matches("Esta sesión").count(), 1);

    let ids = |email: &str| -> Vec<i64> {
        sessions::table
            .inner_join(staff_users::table)
            .filter(staff_users::email.eq(email))
            .select(sessions::id)
            .load(&mut app.db.conn())
            .unwrap()
    };
    let token = app.csrf_token("/admin/cuenta").await;
    // Someone else's session: 404, and it survives.
    let luis_session = ids("luis@soriano.es")[0];
    let response = app
        .post_form(
            &format!("/admin/cuenta/sesiones/{luis_session}/cerrar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        luis.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::OK
    );

    // End the other browser's session from here.
    let response = app
        .post_form(
            "/admin/cuenta/sesiones/cerrar-otras",
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        other.get(app.url("/admin")).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    assert_eq!(ids("ana@soriano.es").len(), 1);

    // Ending one's own current session signs out.
    let mine = ids("ana@soriano.es")[0];
    let response = app
        .post_form(
            &format!("/admin/cuenta/sesiones/{mine}/cerrar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.headers().get("location").unwrap(), "/admin/entrar");
    assert_eq!(app.get("/admin").await.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn account_forms_refuse_requests_without_the_csrf_token() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let before = stored_hash(&app);
    let response = app
        .post_form(
            "/admin/cuenta/contrasena",
            &[
                ("actual", PASSWORD),
                ("nueva", NEW_PASSWORD),
                ("repetida", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .post_form("/admin/cuenta/sesiones/cerrar-otras", &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(stored_hash(&app), before);
    app.stop().await;
}
