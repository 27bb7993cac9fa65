//! Every security event of the back-office leaves its audit row, with who, from where and what.

use crate::common;

use common::{TestApp, create_staff, new_client};
use diesel::prelude::*;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, staff_users};

const PASSWORD: &str = "una clave larga de prueba";
const NEW_PASSWORD: &str = "otra clave distinta y larga";

/// The actions recorded so far, oldest first.
fn actions(app: &TestApp) -> Vec<String> {
    audit_log::table
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())
        .unwrap()
}

#[actix_web::test]
async fn sign_in_events_are_audited_with_ip_and_user_agent() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    for _ in 0..5 {
        app.sign_in("ana@soriano.es", "no es la buena").await;
    }
    let actions = actions(&app);
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "staff.sign_in_failed")
            .count(),
        5
    );
    assert_eq!(
        actions.iter().filter(|a| *a == "staff.locked_out").count(),
        1,
        "{actions:?}"
    );

    diesel::sql_query("DELETE FROM login_attempts")
        .execute(&mut app.db.conn())
        .unwrap();
    let token = app.csrf_token("/admin/entrar").await;
    app.client
        .post(app.url("/admin/entrar"))
        .header("User-Agent", "Prueba/2.0")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "ana@soriano.es"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    let (actor, ip, agent): (Option<i64>, Option<String>, Option<String>) = audit_log::table
        .filter(audit_log::action.eq("staff.sign_in"))
        .select((
            audit_log::actor_staff_id,
            audit_log::ip,
            audit_log::user_agent,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    assert!(actor.is_some());
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(agent.as_deref(), Some("Prueba/2.0"));

    let token = app.csrf_token("/admin").await;
    app.post_form("/admin/salir", &[("csrf_token", &token)])
        .await;
    assert_eq!(
        self::actions(&app).last().map(String::as_str),
        Some("staff.sign_out")
    );
    app.stop().await;
}

#[actix_web::test]
async fn account_and_user_administration_events_are_audited() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "jefa@soriano.es", Role::Admin, PASSWORD);
        create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let token = app.csrf_token("/admin/cuenta").await;
    app.post_form(
        "/admin/cuenta/contrasena",
        &[
            ("csrf_token", &token),
            ("actual", PASSWORD),
            ("nueva", NEW_PASSWORD),
            ("repetida", NEW_PASSWORD),
        ],
    )
    .await;
    let token = app.csrf_token("/admin/usuarios").await;
    app.post_form(
        "/admin/usuarios",
        &[
            ("csrf_token", &token),
            ("nombre", "Luis"),
            ("email", "luis@soriano.es"),
            ("rol", "agent"),
        ],
    )
    .await;
    let ana: i64 = staff_users::table
        .filter(staff_users::email.eq("ana@soriano.es"))
        .select(staff_users::id)
        .first(&mut app.db.conn())
        .unwrap();
    app.post_form(
        &format!("/admin/usuarios/{ana}/rol"),
        &[("csrf_token", &token), ("rol", "supervisor")],
    )
    .await;
    app.post_form(
        &format!("/admin/usuarios/{ana}/desactivar"),
        &[("csrf_token", &token)],
    )
    .await;
    app.post_form(
        &format!("/admin/usuarios/{ana}/activar"),
        &[("csrf_token", &token)],
    )
    .await;

    let recorded = actions(&app);
    for expected in [
        "staff.password_changed",
        "staff.created",
        "staff.role_changed",
        "staff.disabled",
        "staff.enabled",
    ] {
        assert!(
            recorded.iter().any(|a| a == expected),
            "{expected} missing from {recorded:?}"
        );
    }
    let details: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("staff.role_changed"))
        .select(audit_log::details)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(details["rol"]["before"], "agent");
    assert_eq!(details["rol"]["after"], "supervisor");

    // A reset requested for an existing account, then used.
    let outsider = new_client();
    let body = outsider
        .get(app.url("/admin/recuperar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    outsider
        .post(app.url("/admin/recuperar"))
        .form(&[("csrf_token", token.as_str()), ("email", "ana@soriano.es")])
        .send()
        .await
        .unwrap();
    assert!(
        actions(&app)
            .iter()
            .any(|a| a == "staff.password_reset_requested")
    );
    app.stop().await;
}
