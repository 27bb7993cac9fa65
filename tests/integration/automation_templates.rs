//! The e-mail templates of the automation rules in the back-office: created and versioned by
//! an admin (placeholders checked, values kept on errors, every save audited), previewed with
//! a real record, closed to every other role and to forms without their CSRF token.

use crate::common;

use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::automation::templates::{self, TemplateDraft};
use soriano::db::schema::{audit_log, claims, email_templates};

const PASSWORD: &str = "una clave larga de prueba";
const LIST: &str = "/admin/automatizacion/plantillas";

/// The app with an admin (its id), a supervisor, an agent and the sample portfolio (claim
/// SIN-2026-000001).
async fn spawn() -> (TestApp, i64) {
    let mut admin = 0;
    let app = TestApp::spawn_with(|conn| {
        admin = create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
        create_staff(conn, "supervisor@soriano.es", Role::Supervisor, PASSWORD);
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        common::sample_portfolio(conn, agent);
    })
    .await;
    (app, admin)
}

fn template_fields<'a>(csrf: &'a str, text: &'a str) -> Vec<(&'static str, &'a str)> {
    vec![
        ("csrf_token", csrf),
        ("clave", "aviso_prueba"),
        ("nombre", "Aviso de prueba"),
        ("entidad", "claim"),
        ("categoria", "service"),
        ("asunto", "Su siniestro {{ numero_siniestro }}"),
        ("cuerpo_texto", text),
        (
            "cuerpo_html",
            r#"<p>Hola, {{nombre_cliente}}: su siniestro <strong>{{numero_siniestro}}</strong>.</p><p><a href="{{enlace_portal}}">Verlo en e-SORI</a></p><script>alert(1)</script>"#,
        ),
        ("nota", ""),
    ]
}

#[actix_web::test]
async fn admin_creates_versions_and_previews_a_template_with_a_real_claim() {
    let (app, admin) = spawn().await;
    assert_eq!(
        app.sign_in("admin@soriano.es", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = app.get(LIST).await;
    assert_eq!(list.status(), StatusCode::OK);
    let list = list.text().await.unwrap();
    assert!(
        list.contains("Acuse de recibo de siniestro"),
        "defaults listed"
    );
    assert!(list.contains("Comercial") && list.contains("Servicio"));

    let csrf = app.csrf_token(&format!("{LIST}/nueva")).await;

    // An unknown placeholder: refused next to its field, everything typed kept.
    let response = app
        .post_form(
            LIST,
            &template_fields(&csrf, "Hola, {{nombre_cliente}}. Prima: {{prima_nueva}}"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("El marcador {{prima_nueva}} no existe para plantillas de siniestro."),
        "{body}"
    );
    assert!(body.contains(r#"value="Aviso de prueba""#));
    assert!(body.contains(r#"value="aviso_prueba""#));
    assert!(body.contains("Hola, {{nombre_cliente}}. Prima: {{prima_nueva}}</textarea>"));
    assert!(body.contains(r#"<option value="claim" selected>"#));
    let count = || {
        email_templates::table
            .filter(email_templates::key.eq("aviso_prueba"))
            .count()
            .get_result::<i64>(&mut app.db.conn())
            .unwrap()
    };
    assert_eq!(count(), 0);

    // Valid: version 1, sanitised.
    let response = app
        .post_form(
            LIST,
            &template_fields(&csrf, "Hola, {{nombre_cliente}}: {{numero_siniestro}}."),
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/admin/automatizacion/plantillas/aviso_prueba"
    );
    let first = templates::current(&mut app.db.conn(), "aviso_prueba")
        .unwrap()
        .unwrap();
    assert_eq!(first.version, 1);
    assert_eq!(first.created_by_staff_id, Some(admin));
    assert!(!first.body_html.contains("script"), "{}", first.body_html);
    assert!(first.body_html.contains(r#"href="{{enlace_portal}}""#));

    // The same key again from the «new» form is refused.
    let response = app.post_form(LIST, &template_fields(&csrf, "Otra")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Ya hay una plantilla con esta clave")
    );

    // A new version; the kind of record cannot change.
    let path = format!("{LIST}/aviso_prueba");
    let mut fields = template_fields(&csrf, "Hola de nuevo, {{nombre_cliente}}.");
    fields.retain(|(name, _)| *name != "nota" && *name != "entidad");
    fields.push(("nota", "Texto más corto"));
    let mut changing = fields.clone();
    changing.push(("entidad", "policy"));
    let response = app.post_form(&path, &changing).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Esta plantilla es de siniestro: no se puede cambiar"));
    assert!(body.contains("Hola de nuevo, {{nombre_cliente}}.</textarea>"));
    fields.push(("entidad", "claim"));
    let response = app.post_form(&path, &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(count(), 2);

    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("Versión 2 en uso"), "{page}");
    assert!(page.contains("Hola de nuevo, {{nombre_cliente}}.</textarea>"));
    assert!(page.contains("Texto más corto"));
    assert!(page.contains("vista-previa?version=1") && page.contains("vista-previa?version=2"));
    assert!(page.contains("{{numero_siniestro}}") && page.contains("Número del siniestro"));

    // Both saves audited, by the admin.
    let audited: Vec<(Option<i64>, String)> = audit_log::table
        .filter(audit_log::action.eq("automation.template_saved"))
        .select((audit_log::actor_staff_id, audit_log::actor_label))
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        audited,
        vec![(Some(admin), "admin@soriano.es".to_owned()); 2]
    );

    // The preview fills the template with the newest claim, or the one asked for.
    let claim: i64 = claims::table
        .filter(claims::number.eq("SIN-2026-000001"))
        .select(claims::id)
        .first(&mut app.db.conn())
        .unwrap();
    for query in [String::new(), format!("?registro={claim}&version=1")] {
        let response = app.get(&format!("{path}/vista-previa{query}")).await;
        assert_eq!(response.status(), StatusCode::OK, "{query}");
        let csp = response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("'unsafe-hashes'") && !csp.contains("unsafe-inline"));
        let body = response.text().await.unwrap();
        assert!(
            body.contains("Su siniestro SIN-2026-000001"),
            "{query}: {body}"
        );
        assert!(body.contains("<iframe") && body.contains("srcdoc="));
        assert!(body.contains("Lucía"), "the client's name is filled in");
    }
    let version_one = app
        .get(&format!("{path}/vista-previa?version=1"))
        .await
        .text()
        .await
        .unwrap();
    assert!(version_one.contains("Hola, Lucía: SIN-2026-000001."));

    // A record that does not exist: said in Spanish, no mail shown.
    let body = app
        .get(&format!("{path}/vista-previa?registro=999999"))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("No se puede preparar el correo"), "{body}");
    assert!(!body.contains("<iframe"));
    app.stop().await;
}

#[actix_web::test]
async fn other_roles_are_refused_every_template_page() {
    let (app, _) = spawn().await;
    for email in ["supervisor@soriano.es", "agente@soriano.es"] {
        let (client, status) = app.sign_in_elsewhere(email, PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{email} signs in");
        let page = client
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = common::csrf_from_html(&page);
        for path in [
            LIST.to_owned(),
            format!("{LIST}/nueva"),
            format!("{LIST}/siniestro_recibido"),
            format!("{LIST}/siniestro_recibido/vista-previa"),
        ] {
            let status = client.get(app.url(&path)).send().await.unwrap().status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{email} GET {path}");
        }
        for path in [LIST.to_owned(), format!("{LIST}/siniestro_recibido")] {
            let status = client
                .post(app.url(&path))
                .form(&template_fields(&csrf, "Hola {{nombre_cliente}}"))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(status, StatusCode::FORBIDDEN, "{email} POST {path}");
        }
    }
    let saved: i64 = email_templates::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(saved, 6, "only the default templates");
    app.stop().await;
}

#[actix_web::test]
async fn a_save_without_its_csrf_token_is_refused() {
    let (app, _) = spawn().await;
    app.sign_in("admin@soriano.es", PASSWORD).await;
    let mut fields = template_fields("", "Hola {{nombre_cliente}}");
    fields.retain(|(name, _)| *name != "csrf_token");
    let response = app.post_form(LIST, &fields).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = app
        .post_form(&format!("{LIST}/siniestro_recibido"), &fields)
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let count: i64 = email_templates::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 6);
    app.stop().await;
}

#[actix_web::test]
async fn default_templates_pass_their_own_checks_and_render() {
    let (app, _) = spawn().await;
    let mut conn = app.db.conn();
    let defaults = templates::list_current(&mut conn).unwrap();
    let keys: Vec<&str> = defaults.iter().map(|t| t.key.as_str()).collect();
    for key in [
        "siniestro_recibido",
        "siniestro_cambio_estado",
        "presupuesto_enviado",
        "aviso_renovacion",
        "recibo_devuelto",
        "oferta_hogar",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    for template in &defaults {
        let draft = TemplateDraft {
            key: template.key.clone(),
            name: template.name.clone(),
            entity: template.entity,
            category: template.category,
            subject: template.subject.clone(),
            body_text: template.body_text.clone(),
            body_html: template.body_html.clone(),
            change_note: String::new(),
        };
        let checked = templates::check(&draft)
            .unwrap_or_else(|errors| panic!("{}: {errors:?}", template.key));
        assert_eq!(
            checked.body_html, template.body_html,
            "{}: stored as the sanitiser keeps it",
            template.key
        );
        // Every placeholder it uses has a value: it renders.
        let mut values = std::collections::BTreeMap::new();
        for text in [&template.subject, &template.body_text, &template.body_html] {
            for name in templates::placeholders_in(text).unwrap() {
                values.insert(name.clone(), format!("valor de {name}"));
            }
        }
        let rendered = templates::render(template, &values).unwrap();
        assert!(
            rendered.text.contains("valor de nombre_cliente"),
            "{}",
            template.key
        );
        assert!(rendered.html.contains("Calle Mayor 1, 28013 Madrid"));
    }
    app.stop().await;
}

#[actix_web::test]
async fn concurrent_saves_of_one_key_get_consecutive_versions() {
    let (app, admin) = spawn().await;
    let url = app.db.url.clone();
    let threads: Vec<_> = (0..4)
        .map(|n| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut conn = PgConnection::establish(&url).unwrap();
                for i in 0..3 {
                    let draft = TemplateDraft {
                        key: "aviso_concurrente".into(),
                        name: "Aviso concurrente".into(),
                        entity: soriano::automation::placeholders::Entity::Customer,
                        category: templates::Category::Service,
                        subject: "Hola".into(),
                        body_text: format!("Hola {{{{nombre_cliente}}}} ({n}-{i})"),
                        body_html: "<p>Hola</p>".into(),
                        change_note: String::new(),
                    };
                    templates::save(&mut conn, draft, Some(admin)).unwrap();
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    let mut versions: Vec<i32> = templates::versions(&mut app.db.conn(), "aviso_concurrente")
        .unwrap()
        .into_iter()
        .map(|v| v.version)
        .collect();
    versions.reverse();
    assert_eq!(versions, (1..=12).collect::<Vec<_>>());
    app.stop().await;
}

#[actix_web::test]
async fn template_pages_show_no_codes_or_field_names_and_defaults_preview_with_demo_data() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(
        soriano::seed::DEMO_ADMIN_EMAIL,
        soriano::seed::DEMO_ADMIN_PASSWORD,
    )
    .await;
    let keys: Vec<String> = templates::list_current(&mut app.db.conn())
        .unwrap()
        .into_iter()
        .map(|t| t.key)
        .collect();
    let mut paths = vec![LIST.to_owned(), format!("{LIST}/nueva")];
    for key in &keys {
        paths.push(format!("{LIST}/{key}"));
        paths.push(format!("{LIST}/{key}/vista-previa"));
    }
    let mut found = Vec::new();
    for path in &paths {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let body = response.text().await.unwrap();
        if path.ends_with("/vista-previa") {
            assert!(
                body.contains("<iframe") && !body.contains("No se puede preparar"),
                "{path} fills every placeholder with the demo data: {}",
                crate::visible_text::visible_text(&body)
            );
        }
        found.extend(crate::visible_text::internals_of_page(path, &body));
    }
    assert!(found.is_empty(), "{}", found.join("\n"));
    app.stop().await;
}
