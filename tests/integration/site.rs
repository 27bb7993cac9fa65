//! The corporate site: pages per line, legal pages, contact form as a lead, blog, sitemap,
//! robots, meta tags, conditional GET (304) and the back-office editors of landings and posts.

use crate::common;

use chrono::{Duration, Utc};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::blog::{self, PostDraft};
use soriano::db::schema::{audit_log, blog_posts, landing_variants, landings, leads};
use soriano::landings::blocks::{Blocks, Hero};
use soriano::landings::editor::{self, LandingForm};

const PASSWORD: &str = "una clave larga de prueba";

fn post(conn: &mut PgConnection, slug: &str, published_on: Option<chrono::NaiveDate>) {
    blog::create(
        conn,
        &PostDraft {
            title: format!("Entrada {slug}"),
            slug: slug.to_owned(),
            summary: "Resumen".to_owned(),
            body: "Hola **mundo** <script>alert(1)</script>".to_owned(),
            cover_url: None,
            published_on,
        },
        Utc::now(),
    )
    .unwrap();
}

fn landing(conn: &mut PgConnection, slug: &str, published: bool) -> i64 {
    let draft = LandingForm {
        titulo: format!("Landing {slug}"),
        slug: slug.to_owned(),
        ..LandingForm::blank()
    }
    .validate(|_| true)
    .unwrap();
    let blocks = Blocks {
        hero: Hero {
            title: "Hola".to_owned(),
            ..Hero::default()
        },
        ..Blocks::default()
    };
    let id = editor::create(conn, &draft, &blocks, Utc::now()).unwrap();
    if published {
        editor::set_published(conn, id, true, Utc::now()).unwrap();
    }
    id
}

async fn spawn() -> TestApp {
    TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, "web@soriano.es", Role::Admin, PASSWORD);
        create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        let today = Utc::now().date_naive();
        post(conn, "publicada", Some(today - Duration::days(1)));
        post(conn, "programada", Some(today + Duration::days(5)));
        post(conn, "borrador", None);
        landing(conn, "visible", true);
        landing(conn, "oculta", false);
    })
    .await
}

#[actix_web::test]
async fn public_pages_answer_with_canonical_description_and_open_graph() {
    let app = spawn().await;
    for path in [
        "/",
        "/seguros/hogar",
        "/quienes-somos",
        "/aviso-legal",
        "/privacidad",
        "/cookies",
        "/contacto",
        "/blog",
        "/blog/publicada",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = response.text().await.unwrap();
        assert!(
            html.contains(r#"<link rel="canonical" href="http://"#),
            "{path}"
        );
        assert!(html.contains(r#"<meta name="description""#), "{path}");
        assert!(html.contains(r#"<meta property="og:title""#), "{path}");
    }
    assert_eq!(
        app.get("/seguros/no-existe").await.status(),
        StatusCode::NOT_FOUND
    );
    let cookies = app.get("/cookies").await.text().await.unwrap();
    assert!(cookies.contains("scripts de terceros"));
    let home = app.get("/").await.text().await.unwrap();
    assert!(home.contains(r#"href="/seguros/hogar""#));
    assert!(home.contains(r#"href="/aviso-legal""#));
}

#[actix_web::test]
async fn pages_answer_304_when_unchanged() {
    let app = spawn().await;
    for path in [
        "/quienes-somos",
        "/blog/publicada",
        "/seguros/hogar",
        "/sitemap.xml",
        "/",
    ] {
        let first = app.get(path).await;
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        let etag = first.headers()["etag"].to_str().unwrap().to_owned();
        let again = app
            .client
            .get(app.url(path))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        let other = app
            .client
            .get(app.url(path))
            .header("If-None-Match", "W/\"otra\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status(), StatusCode::OK, "{path}");
    }
    let first = app.get("/blog/publicada").await;
    let modified = first.headers()["last-modified"]
        .to_str()
        .unwrap()
        .to_owned();
    let again = app
        .client
        .get(app.url("/blog/publicada"))
        .header("If-Modified-Since", &modified)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}

#[actix_web::test]
async fn the_blog_shows_published_posts_only_with_safe_html() {
    let app = spawn().await;
    let index = app.get("/blog").await.text().await.unwrap();
    assert!(index.contains("Entrada publicada"));
    assert!(!index.contains("Entrada programada"));
    assert!(!index.contains("Entrada borrador"));
    let post = app.get("/blog/publicada").await.text().await.unwrap();
    assert!(post.contains("<strong>mundo</strong>"));
    assert!(!post.contains("<script>alert"));
    assert_eq!(
        app.get("/blog/borrador").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/blog/programada").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn the_sitemap_lists_published_pages_only_and_robots_points_to_it() {
    let app = spawn().await;
    let response = app.get("/sitemap.xml").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let xml = response.text().await.unwrap();
    for path in [
        "/quienes-somos",
        "/seguros/hogar",
        "/seguros/decesos",
        "/blog/publicada",
        "/l/visible",
        "/privacidad",
    ] {
        assert!(xml.contains(&format!("{path}</loc>")), "{path}");
    }
    for path in ["/blog/borrador", "/blog/programada", "/l/oculta"] {
        assert!(!xml.contains(path), "{path}");
    }
    let robots = app.get("/robots.txt").await.text().await.unwrap();
    assert!(robots.contains("Disallow: /admin"));
    assert!(robots.contains("/sitemap.xml"));
}

#[actix_web::test]
async fn the_contact_form_becomes_a_web_form_lead() {
    let app = spawn().await;
    let html = app.get("/contacto").await.text().await.unwrap();
    let field = |name: &str| {
        regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#))
            .unwrap()
            .captures(&html)
            .map(|c| c[1].to_owned())
            .unwrap_or_default()
    };
    let started = soriano::landings::spam::stamp(
        &soriano::landings::spam::stamp_key(&app.state.config.secret_key),
        Utc::now() - Duration::seconds(20),
    );
    let (csrf, token) = (field("csrf_token"), field("form_token"));
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("inicio", started.as_str()),
        ("sitio_web", ""),
        ("nombre", "Pedro Gil"),
        ("email", "pedro@example.es"),
        ("mensaje", "Quiero asegurar mi comercio"),
    ];
    let response = app.post_form("/contacto", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("acepte la política de privacidad")
    );
    fields.push(("privacidad", "si"));
    let response = app.post_form("/contacto", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/contacto/gracias");
    let (source, landing): (String, Option<i64>) = leads::table
        .select((leads::source, leads::landing_id))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(source, "web_form");
    assert_eq!(landing, None);
    // The privacy consent keeps the words of the clause on the contact page.
    let words: Vec<String> = soriano::db::schema::lead_consents::table
        .inner_join(
            soriano::db::schema::legal_texts::table.on(soriano::db::schema::legal_texts::id
                .nullable()
                .eq(soriano::db::schema::lead_consents::text_id)),
        )
        .filter(soriano::db::schema::lead_consents::purpose.eq("privacy"))
        .select(soriano::db::schema::legal_texts::body)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(words.len(), 1);
    let page = app.get("/contacto").await.text().await.unwrap();
    assert!(page.contains(&words[0]), "{} not on the page", words[0]);
}

/// The contact form's CSRF and one-time tokens, and a start time old enough to pass.
async fn contact_tokens(app: &TestApp) -> (String, String, String, String) {
    let html = app.get("/contacto").await.text().await.unwrap();
    let field = |name: &str| {
        regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#))
            .unwrap()
            .captures(&html)
            .map(|c| c[1].to_owned())
            .unwrap_or_default()
    };
    let started = soriano::landings::spam::stamp(
        &soriano::landings::spam::stamp_key(&app.state.config.secret_key),
        Utc::now() - Duration::seconds(20),
    );
    (field("csrf_token"), field("form_token"), started, html)
}

#[actix_web::test]
async fn the_contact_form_comes_back_with_a_summary_linking_each_error_and_the_values() {
    let app = spawn().await;
    let (csrf, token, started, page) = contact_tokens(&app).await;
    // One "(opcional)", and the message is a box of several lines.
    assert!(page.contains("Teléfono (opcional)</label>"), "{page}");
    assert!(!page.contains("(opcional) (opcional)"));
    assert!(page.contains(r#"<textarea id="f-mensaje" name="mensaje" rows="6""#));
    assert!(page.contains(r#"action="/contacto#formulario""#));
    assert!(page.contains(r#"id="formulario""#));
    assert!(
        !page.contains("data-error-summary"),
        "no summary before a submit"
    );

    let message = "Quiero asegurar mi comercio.\nTiene 80 m².";
    let response = app
        .post_form(
            "/contacto",
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", token.as_str()),
                ("inicio", started.as_str()),
                ("sitio_web", ""),
                ("nombre", "Pedro Gil"),
                ("email", "pedro@"),
                ("telefono", "12"),
                ("mensaje", message),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    let summary = &html[html.find("data-error-summary").expect("a summary")..];
    let summary = &summary[..summary.find("</div>").unwrap()];
    assert!(summary.contains("Hay errores en el formulario"));
    assert!(html.contains(r#"class="error-summary" role="alert" tabindex="-1""#));
    let links: Vec<&str> = regex::Regex::new(r##"<a href="#([^"]+)">"##)
        .unwrap()
        .captures_iter(summary)
        .map(|c| c.get(1).unwrap().as_str())
        .collect();
    assert_eq!(links, vec!["f-email", "f-telefono", "privacidad"]);
    // Every link points at a field of the page.
    for id in &links {
        assert!(html.contains(&format!(r#"id="{id}""#)), "{id}");
    }
    assert!(html.contains(r#"value="Pedro Gil""#));
    assert!(html.contains(r#"value="pedro@""#));
    assert!(html.contains("Quiero asegurar mi comercio.\nTiene 80 m².</textarea>"));
    assert_eq!(count(&app), 0);
}

#[actix_web::test]
async fn a_long_or_quick_contact_message_is_kept_with_a_4xx_and_the_reason() {
    let app = spawn().await;
    let (csrf, token, started, page) = contact_tokens(&app).await;
    let long = "a".repeat(2_001);
    let fields = |inicio: &str, mensaje: &str| {
        vec![
            ("csrf_token".to_owned(), csrf.clone()),
            ("form_token".to_owned(), token.clone()),
            ("inicio".to_owned(), inicio.to_owned()),
            ("sitio_web".to_owned(), String::new()),
            ("nombre".to_owned(), "Pedro Gil".to_owned()),
            ("email".to_owned(), "pedro@example.es".to_owned()),
            ("mensaje".to_owned(), mensaje.to_owned()),
            ("privacidad".to_owned(), "si".to_owned()),
        ]
    };
    let shared = &app;
    let post = |fields: Vec<(String, String)>| async move {
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        shared.post_form("/contacto", &pairs).await
    };
    let response = post(fields(&started, &long)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(
        html.contains("Máximo 2.000 caracteres (ha escrito 2.001)."),
        "{html}"
    );
    assert!(html.contains(&format!("{long}</textarea>")));
    assert!(html.contains(r##"<a href="#f-mensaje">"##));

    // Sent within a second of opening the page: back with everything typed.
    let served_now = regex::Regex::new(r#"name="inicio" value="([^"]*)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    let response = post(fields(&served_now, "Hola")).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Por seguridad, revise los datos y vuelva a enviar el formulario."));
    assert!(html.contains(r#"value="pedro@example.es""#));
    assert!(html.contains("Hola</textarea>"));
    assert!(
        html.contains(r#"id="privacidad" name="privacidad" type="checkbox" value="si" checked"#)
    );
    assert_eq!(count(&app), 0);
}

fn count(app: &TestApp) -> i64 {
    leads::table.count().get_result(&mut app.db.conn()).unwrap()
}

#[actix_web::test]
async fn staff_create_preview_publish_and_edit_a_landing_and_its_variants() {
    let app = spawn().await;
    app.sign_in("web@soriano.es", PASSWORD).await;
    let page = app.get("/admin/landings/nueva").await.text().await.unwrap();
    let csrf = common::csrf_from_html(&page);
    let token = regex::Regex::new(r#"name="form_token" value="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    let campos = LandingForm::blank().campos;
    let base = vec![
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("titulo", "Seguro de comercio"),
        ("slug", "seguro-comercio"),
        ("linea", ""),
        ("campana", "primavera"),
        ("texto_privacidad", "Acepto la privacidad."),
        ("texto_comunicaciones", ""),
        ("version_textos", "v1"),
    ];
    // Invalid JSON in both textareas: Spanish messages, values kept, nothing stored.
    let mut bad = base.clone();
    bad.extend([("campos", "[{"), ("bloques", r#"{"hero":{"title":""}}"#)]);
    let response = app.post_form("/admin/landings", &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("El formulario no es un JSON válido"));
    assert!(html.contains("El bloque hero necesita un título"));
    assert!(html.contains("Seguro de comercio"));
    let count: i64 = landings::table
        .filter(landings::slug.eq("seguro-comercio"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 0);

    let mut good = base.clone();
    good.extend([
        ("campos", campos.as_str()),
        ("bloques", r#"{"hero":{"title":"Su comercio, protegido"}}"#),
    ]);
    let first = app.post_form("/admin/landings", &good).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let again = app.post_form("/admin/landings", &good).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let id: i64 = landings::table
        .filter(landings::slug.eq("seguro-comercio"))
        .select(landings::id)
        .first(&mut app.db.conn())
        .unwrap();
    let count: i64 = landings::table
        .filter(landings::slug.eq("seguro-comercio"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 1, "a double submit creates one landing");

    // Unpublished: 404 to the public, visible to staff in the preview.
    let public = common::new_client();
    let status = public
        .get(app.url("/l/seguro-comercio"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let preview = app.get(&format!("/admin/landings/{id}/vista-previa")).await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert!(
        preview
            .text()
            .await
            .unwrap()
            .contains("Su comercio, protegido")
    );

    // A second variant, then publish.
    let page = app
        .get(&format!("/admin/landings/{id}/variantes/nueva"))
        .await
        .text()
        .await
        .unwrap();
    let vtoken = regex::Regex::new(r#"name="form_token" value="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    let response = app
        .post_form(
            &format!("/admin/landings/{id}/variantes"),
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", vtoken.as_str()),
                ("nombre", "B"),
                ("peso", "101"),
                ("bloques", "{}"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("El peso es un número entero de 0 a 100."));
    let response = app
        .post_form(
            &format!("/admin/landings/{id}/variantes"),
            &[
                ("csrf_token", csrf.as_str()),
                ("form_token", vtoken.as_str()),
                ("nombre", "B"),
                ("peso", "3"),
                ("bloques", r#"{"hero":{"title":"Variante B"}}"#),
            ],
        )
        .await;
    let status = response.status();
    let body = response.text().await.unwrap();
    let errors: Vec<&str> = body.lines().filter(|l| l.contains("field-error")).collect();
    assert_eq!(status, StatusCode::SEE_OTHER, "{errors:?}");
    let variants: i64 = landing_variants::table
        .filter(landing_variants::landing_id.eq(id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(variants, 2);
    let seen = || async {
        public
            .get(app.url("/l/seguro-comercio"))
            .send()
            .await
            .unwrap()
            .status()
    };
    let editor = |action: &'static str| {
        let (csrf, app) = (csrf.clone(), &app);
        async move {
            app.post_form(
                &format!("/admin/landings/{id}/{action}"),
                &[("csrf_token", csrf.as_str())],
            )
            .await
            .status()
        }
    };
    assert_eq!(editor("publicar").await, StatusCode::SEE_OTHER);
    assert_eq!(seen().await, StatusCode::OK);
    // The site keeps published landings in memory for a few seconds; the editor's change
    // shows at once all the same (this instance's copy is cleared).
    assert_eq!(editor("despublicar").await, StatusCode::SEE_OTHER);
    assert_eq!(seen().await, StatusCode::NOT_FOUND, "withdrawn at once");
    editor("publicar").await;
    assert_eq!(seen().await, StatusCode::OK);
    let show = app
        .get(&format!("/admin/landings/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(show.contains("Sin datos suficientes"));
    assert!(show.contains("Variante") && show.contains(">B<"));
    let actions: Vec<String> = audit_log::table
        .filter(audit_log::action.like("landing.%"))
        .order(audit_log::id)
        .select(audit_log::action)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        actions,
        [
            "landing.created",
            "landing.variant_created",
            "landing.published",
            "landing.unpublished",
            "landing.published"
        ]
    );
}

#[actix_web::test]
async fn only_site_managers_reach_the_landing_and_blog_editors() {
    let app = spawn().await;
    app.sign_in("agente@soriano.es", PASSWORD).await;
    for path in ["/admin/landings", "/admin/blog", "/admin/landings/nueva"] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
}

#[actix_web::test]
async fn staff_write_a_blog_post_with_validation() {
    let app = spawn().await;
    app.sign_in("web@soriano.es", PASSWORD).await;
    let page = app.get("/admin/blog/nueva").await.text().await.unwrap();
    let csrf = common::csrf_from_html(&page);
    let token = regex::Regex::new(r#"name="form_token" value="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    let mut fields = vec![
        ("csrf_token", csrf.as_str()),
        ("form_token", token.as_str()),
        ("titulo", "Nueva entrada"),
        ("slug", "Con Espacios"),
        ("resumen", "Breve"),
        ("cuerpo", ""),
        ("portada", "javascript:alert(1)"),
        ("publicar_el", "2026-02-31"),
    ];
    let response = app.post_form("/admin/blog", &fields).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    for message in [
        "La dirección lleva minúsculas",
        "Escriba el texto de la entrada",
        "La imagen de portada",
        "Escriba una fecha válida",
    ] {
        assert!(html.contains(message), "{message}");
    }
    fields[3] = ("slug", "nueva-entrada");
    fields[5] = ("cuerpo", "Texto de **prueba**");
    fields[6] = ("portada", "https://example.es/foto.jpg");
    fields[7] = ("publicar_el", "01/11/2026");
    let response = app.post_form("/admin/blog", &fields).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    let errors: Vec<&str> = body.lines().filter(|l| l.contains("field-error")).collect();
    assert_eq!(status, StatusCode::SEE_OTHER, "{errors:?}");
    assert_eq!(
        app.post_form("/admin/blog", &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    let count: i64 = blog_posts::table
        .filter(blog_posts::slug.eq("nueva-entrada"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 1);
    let public = app.get("/blog/nueva-entrada").await.text().await.unwrap();
    assert!(public.contains("<strong>prueba</strong>"));
    assert!(public.contains("https://example.es/foto.jpg"));
}

/// A 1×1 PNG's first bytes (enough for the content check).
const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";

async fn upload_cover(app: &TestApp, id: i64, name: &str, bytes: &[u8]) -> reqwest::Response {
    let page = app
        .get(&format!("/admin/blog/{id}/editar"))
        .await
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", common::csrf_from_html(&page))
        .part(
            "archivo",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
        );
    app.client
        .post(app.url(&format!("/admin/blog/{id}/portada")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_cover_image_is_uploaded_checked_and_served_by_its_hash() {
    use soriano::db::schema::site_images;
    let app = spawn().await;
    let id: i64 = blog_posts::table
        .filter(blog_posts::slug.eq("publicada"))
        .select(blog_posts::id)
        .first(&mut app.db.conn())
        .unwrap();
    app.sign_in("web@soriano.es", PASSWORD).await;

    // Not a picture, whatever its name says: the form comes back with the message.
    let refused = upload_cover(&app, id, "foto.png", b"hola, no soy una imagen").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains("id=\"archivo-error\""), "{html}");
    let stored: i64 = site_images::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, 0);

    let response = upload_cover(&app, id, "portada.png", PNG).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cover: Option<String> = blog_posts::table
        .find(id)
        .select(blog_posts::cover_url)
        .first(&mut app.db.conn())
        .unwrap();
    let cover = cover.unwrap();
    assert!(
        cover.starts_with("/media/") && cover.ends_with(".png"),
        "{cover}"
    );
    // The same picture again is stored once.
    upload_cover(&app, id, "otra.png", PNG).await;
    let stored: i64 = site_images::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, 1);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("blog.cover_changed"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(audited, 2);

    // Served to anyone, cacheable for a year, revalidated by its hash.
    let visitor = common::new_client();
    let image = visitor.get(app.url(&cover)).send().await.unwrap();
    assert_eq!(image.status(), StatusCode::OK);
    assert_eq!(image.headers()["content-type"], "image/png");
    assert!(
        image.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let etag = image.headers()["etag"].clone();
    assert_eq!(image.bytes().await.unwrap().as_ref(), PNG);
    let again = visitor
        .get(app.url(&cover))
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let missing = format!("/media/{}.png", "0".repeat(64));
    assert_eq!(
        visitor
            .get(app.url(&missing))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let post = app.get("/blog/publicada").await.text().await.unwrap();
    assert!(post.contains(&format!("src=\"{cover}\"")));

    // Removing it.
    let page = app
        .get(&format!("/admin/blog/{id}/editar"))
        .await
        .text()
        .await
        .unwrap();
    let csrf = common::csrf_from_html(&page);
    let removed = app
        .post_form(
            &format!("/admin/blog/{id}/portada/quitar"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(removed.status(), StatusCode::SEE_OTHER);
    let post = app.get("/blog/publicada").await.text().await.unwrap();
    assert!(!post.contains("post-cover"));
}

#[actix_web::test]
async fn agents_cannot_upload_covers_and_uploads_need_the_csrf_token() {
    let app = spawn().await;
    let id: i64 = blog_posts::table
        .filter(blog_posts::slug.eq("publicada"))
        .select(blog_posts::id)
        .first(&mut app.db.conn())
        .unwrap();
    let image =
        || reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("portada.png".to_owned());
    app.sign_in("web@soriano.es", PASSWORD).await;
    let without_token = reqwest::multipart::Form::new().part("archivo", image());
    let response = app
        .client
        .post(app.url(&format!("/admin/blog/{id}/portada")))
        .multipart(without_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let (agent, _) = app.sign_in_elsewhere("agente@soriano.es", PASSWORD).await;
    let page = agent
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", common::csrf_from_html(&page))
        .part("archivo", image());
    let response = agent
        .post(app.url(&format!("/admin/blog/{id}/portada")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let cover: Option<String> = blog_posts::table
        .find(id)
        .select(blog_posts::cover_url)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(cover, None);
}

#[actix_web::test]
async fn legal_pages_state_the_brokers_identity_and_mark_example_data() {
    let app = spawn().await;
    for path in ["/aviso-legal", "/privacidad"] {
        let html = app.get(path).await.text().await.unwrap();
        assert!(html.contains("<dt>CIF</dt>"), "{path}");
        assert!(html.contains("<dd>B00000000</dd>"), "{path}");
        // The development defaults are invented: the page must not pass them off as real.
        assert!(html.contains("Datos de ejemplo."), "{path}");
    }
}
