//! The skeleton every face stands on: pages and layouts, assets, security headers, CSRF,
//! error pages, health and metrics, through real HTTP against a real PostgreSQL.

use crate::common;

use common::{TestApp, csrf_from_html};
use reqwest::StatusCode;
use reqwest::header::{self, HeaderMap};

fn demo(conn: &mut diesel::PgConnection) {
    soriano::seed::demo(conn).expect("demo data");
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

#[actix_web::test]
async fn home_page_shows_the_catalogue_in_the_site_layout() {
    let app = TestApp::spawn_with(demo).await;
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "content-type"),
        "text/html; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert!(body.starts_with("<!doctype html>"), "full page expected");
    assert!(body.contains("<h1 id=\"hero-title\">Seguros claros, con alguien que responde</h1>"));
    // Real rows from the database, not fixed text.
    assert!(body.contains("Mapfre") && body.contains("Reale Seguros"));
    assert!(body.contains("Seguro de hogar"));
    assert!(body.contains("class=\"site-header\"") && body.contains("class=\"site-footer\""));
    app.stop().await;
}

#[actix_web::test]
async fn htmx_requests_get_the_partial_and_others_the_full_page() {
    let app = TestApp::spawn_with(demo).await;
    let full = app.get("/").await;
    assert!(header(full.headers(), "vary").contains("HX-Request"));
    let full = full.text().await.unwrap();

    let partial = app.get_htmx("/").await;
    assert_eq!(partial.status(), StatusCode::OK);
    assert!(header(partial.headers(), "vary").contains("HX-Request"));
    let partial = partial.text().await.unwrap();
    assert!(
        !partial.contains("<html"),
        "partial must not carry the layout"
    );
    assert!(!partial.contains("site-header"));
    assert!(partial.contains("Seguros claros, con alguien que responde"));
    assert!(full.len() > partial.len());
    app.stop().await;
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn_with(demo).await;
    for path in ["/", "/admin/entrar", "/no-existe", "/healthz"] {
        let response = app.get(path).await;
        let h = response.headers();
        let csp = header(h, "content-security-policy");
        assert!(csp.contains("default-src 'self'"), "{path}: {csp}");
        assert!(
            csp.contains("script-src 'self'")
                && !csp.contains("unsafe-inline")
                && !csp.contains("unsafe-eval")
        );
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(header(h, "x-content-type-options"), "nosniff", "{path}");
        assert_eq!(
            header(h, "referrer-policy"),
            "strict-origin-when-cross-origin"
        );
        assert_eq!(header(h, "x-frame-options"), "DENY");
        assert!(
            !header(h, "x-request-id").is_empty(),
            "{path} has a request id"
        );
        // Plain http BASE_URL: no HSTS (it would pin browsers to https on localhost).
        assert!(h.get("strict-transport-security").is_none());
    }
    app.stop().await;
}

#[actix_web::test]
async fn pages_do_not_use_inline_scripts_or_styles() {
    let app = TestApp::spawn_with(demo).await;
    let scripts = regex::Regex::new(r"<script(?P<attrs>[^>]*)>").unwrap();
    for path in ["/", "/portal", "/admin/entrar", "/no-existe"] {
        let body = app.get(path).await.text().await.unwrap();
        for captures in scripts.captures_iter(&body) {
            assert!(
                captures["attrs"].contains("src="),
                "{path}: inline script found"
            );
        }
        assert!(!body.contains("<style"), "{path}: inline style element");
        assert!(
            !body.contains(" style=\""),
            "{path}: inline style attribute"
        );
        assert!(!body.contains(" onclick="), "{path}: inline handler");
    }
    app.stop().await;
}

#[actix_web::test]
async fn assets_are_served_under_hashed_names_and_cached_forever() {
    let app = TestApp::spawn_with(demo).await;
    let body = app.get("/").await.text().await.unwrap();
    let link = regex::Regex::new(r#"href="(/static/css/app\.[0-9a-f]{10}\.css)""#).unwrap();
    let css = link
        .captures(&body)
        .expect("stylesheet link with a hashed name")[1]
        .to_owned();
    let script =
        regex::Regex::new(r#"src="(/static/vendor/htmx\.min\.[0-9a-f]{10}\.js)""#).unwrap();
    let htmx = script
        .captures(&body)
        .expect("htmx script with a hashed name")[1]
        .to_owned();

    let response = app.get(&css).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        header(response.headers(), "content-type"),
        "text/css; charset=utf-8"
    );
    let etag = header(response.headers(), "etag").to_owned();
    assert!(response.text().await.unwrap().contains(".container"));

    let response = app.get(&htmx).await;
    assert_eq!(
        header(response.headers(), "content-type"),
        "text/javascript; charset=utf-8"
    );
    assert!(response.text().await.unwrap().contains("htmx"));

    // Revalidation answers 304 without a body.
    let response = app
        .client
        .get(app.url(&css))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);

    // Compressed when the client accepts it.
    let response = app
        .client
        .get(app.url(&htmx))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(response.headers(), "content-encoding"), "gzip");
    let compressed = response.bytes().await.unwrap().len();
    assert!(compressed < 17_500, "htmx gzipped is {compressed} bytes");
    let response = app
        .client
        .get(app.url(&htmx))
        .header("Accept-Encoding", "br, gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(header(response.headers(), "content-encoding"), "br");
    assert_eq!(header(response.headers(), "vary"), "Accept-Encoding");

    // A plain (unhashed) name works but must be revalidated; an unknown one is a 404.
    let response = app.get("/static/css/app.css").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        header(response.headers(), "cache-control"),
        "public, no-cache"
    );
    assert_eq!(
        app.get("/static/css/nope.css").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/static/../Cargo.toml").await.status(),
        StatusCode::NOT_FOUND
    );
    app.stop().await;
}

#[actix_web::test]
async fn unknown_urls_get_a_404_page_in_the_layout_of_their_face() {
    let app = TestApp::spawn_with(demo).await;
    let response = app.get("/esto-no-existe").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        header(response.headers(), "content-type"),
        "text/html; charset=utf-8"
    );
    let body = response.text().await.unwrap();
    assert!(body.contains("Página no encontrada"));
    assert!(body.contains("class=\"layout-site\""));

    // Behind the portal's sign-in nothing tells a stranger which paths exist: they are asked
    // to sign in, in the portal's layout.
    let response = app.get("/portal/nada").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header(response.headers(), "location"),
        "/portal/entrar?siguiente=%2Fportal%2Fnada"
    );

    // htmx gets a partial aimed at the error region instead of a whole page.
    let response = app.get_htmx("/esto-no-existe").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(header(response.headers(), "hx-retarget"), "#error-region");
    assert_eq!(header(response.headers(), "hx-reswap"), "innerHTML");
    let body = response.text().await.unwrap();
    assert!(body.contains("Página no encontrada") && !body.contains("<html"));
    app.stop().await;
}

#[actix_web::test]
async fn wrong_method_and_malformed_forms_get_error_pages_not_plain_text() {
    let app = TestApp::spawn_with(demo).await;
    let token = app.csrf_token("/admin/entrar").await;
    // A body that is not a form where a form is expected.
    let response = app
        .client
        .post(app.url("/admin/entrar"))
        .header("Content-Type", "application/json")
        .header("X-CSRF-Token", &token)
        .body("{\"email\": 1}")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Formato no admitido")
    );

    // A method the URL does not take.
    let response = app
        .client
        .post(app.url("/"))
        .header("X-CSRF-Token", &token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Acción no permitida")
    );
    app.stop().await;
}

#[actix_web::test]
async fn oversized_bodies_are_refused_with_413() {
    let app = TestApp::spawn_with(demo).await;
    let token = app.csrf_token("/admin/entrar").await;
    let big = "x".repeat(400 * 1024);
    let response = app
        .post_form(
            "/admin/entrar",
            &[("csrf_token", &token), ("email", &big), ("password", "x")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Envío demasiado grande")
    );
    app.stop().await;
}

#[actix_web::test]
async fn state_changes_without_a_valid_csrf_token_are_refused() {
    let app = TestApp::spawn_with(demo).await;
    let fields = |token: &'static str| {
        vec![
            ("csrf_token", token),
            ("email", "admin@soriano.test"),
            ("password", soriano::seed::DEMO_ADMIN_PASSWORD),
        ]
    };

    // No cookie and no token at all (a cross-site form post).
    let stranger = common::new_client();
    let response = stranger
        .post(app.url("/admin/entrar"))
        .form(&fields(""))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = response.text().await.unwrap();
    assert!(body.contains("El formulario ha caducado"), "{body}");

    // A cookie but a wrong token.
    let _ = app.csrf_token("/admin/entrar").await;
    let response = app
        .post_form("/admin/entrar", &fields("forged-token"))
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The right token from another origin.
    let token = app.csrf_token("/admin/entrar").await;
    let response = app
        .client
        .post(app.url("/admin/entrar"))
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "a@b.es"),
            ("password", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // htmx sends the token in a header; that is accepted.
    let response = app
        .client
        .post(app.url("/admin/entrar"))
        .header("X-CSRF-Token", &token)
        .header("Origin", &app.address)
        .form(&[
            ("email", "admin@soriano.test"),
            ("password", soriano::seed::DEMO_ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    // An htmx request with a bad token gets the partial.
    let response = app
        .client
        .post(app.url("/admin/salir"))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", "nope")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(header(response.headers(), "hx-retarget"), "#error-region");
    app.stop().await;
}

#[actix_web::test]
async fn the_csrf_token_is_in_forms_in_a_meta_tag_and_in_htmx_headers() {
    let app = TestApp::spawn_with(demo).await;
    let body = app.get("/admin/entrar").await.text().await.unwrap();
    let token = csrf_from_html(&body);
    assert!(body.contains(&format!("<meta name=\"csrf-token\" content=\"{token}\">")));
    assert!(body.contains(&format!("hx-headers='{{\"X-CSRF-Token\": \"{token}\"}}'")));
    assert!(body.contains("\"allowEval\":false") && body.contains("\"historyCacheSize\":0"));
    app.stop().await;
}

fn sets_csrf_cookie(response: &reqwest::Response) -> bool {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .any(|v| v.to_str().unwrap_or_default().starts_with("sori_csrf="))
}

#[actix_web::test]
async fn a_csrf_cookie_is_set_only_with_a_page_that_hands_out_a_token() {
    let app = TestApp::spawn_with(demo).await;
    // Answers without a form or layout make no seed: no HMAC, no cookie.
    let stranger = common::new_client();
    let health = stranger.get(app.url("/healthz")).send().await.unwrap();
    assert!(!sets_csrf_cookie(&health));
    // A page with forms sets the cookie its token is made from, once.
    let page = stranger.get(app.url("/admin/entrar")).send().await.unwrap();
    assert!(sets_csrf_cookie(&page));
    let token = csrf_from_html(&page.text().await.unwrap());
    let again = stranger.get(app.url("/admin/entrar")).send().await.unwrap();
    assert!(!sets_csrf_cookie(&again), "the cookie is kept");
    assert_eq!(csrf_from_html(&again.text().await.unwrap()), token);
    // An error page's layout carries a token as well, and its cookie.
    let other = common::new_client();
    let missing = other.get(app.url("/no-existe")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert!(sets_csrf_cookie(&missing));
    let token = csrf_from_html(&missing.text().await.unwrap());
    let response = other
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", "admin@soriano.test"),
            ("password", soriano::seed::DEMO_ADMIN_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    app.stop().await;
}

#[actix_web::test]
async fn health_endpoints_report_process_and_database() {
    let app = TestApp::spawn().await;
    let response = app.get("/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.unwrap(), "ok");
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::OK);

    // Take the database away: readiness fails, liveness does not.
    {
        use diesel::RunQueryDsl;
        let mut admin = <diesel::PgConnection as diesel::Connection>::establish(
            &app.db.url.replace(&app.db.name, "postgres"),
        )
        .unwrap();
        diesel::sql_query(format!("DROP DATABASE \"{}\" WITH (FORCE)", app.db.name))
            .execute(&mut admin)
            .unwrap();
    }
    let response = app.get("/readyz").await;
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.text().await.unwrap(), "database unavailable");
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    app.stop().await;
}

#[actix_web::test]
async fn metrics_count_requests_per_route_and_show_the_pool() {
    let app = TestApp::spawn_with(demo).await;
    app.get("/").await;
    app.get("/no-existe-1").await;
    app.get("/no-existe-2").await;
    let body = app.get("/metrics").await.text().await.unwrap();
    assert!(
        body.contains(
            "soriano_http_requests_total{endpoint=\"/\",method=\"GET\",status=\"200\"} 1"
        ),
        "{body}"
    );
    // Unknown paths share one label instead of one series each.
    assert!(
        body.contains("endpoint=\"UNMATCHED\",method=\"GET\",status=\"404\"} 2"),
        "{body}"
    );
    assert!(body.contains("soriano_http_requests_duration_seconds_bucket"));
    assert!(body.contains("soriano_db_pool_max_connections 4"));
    assert!(!body.contains("endpoint=\"/metrics\""));
    app.stop().await;
}

#[actix_web::test]
async fn portal_welcome_page_uses_the_portal_layout() {
    let app = TestApp::spawn().await;
    let response = app.get("/portal").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("layout-portal") && body.contains("e-SORI, su área de cliente"));
    app.stop().await;
}

#[actix_web::test]
async fn favicon_points_at_the_hashed_logo() {
    let app = TestApp::spawn().await;
    let response = app.get("/favicon.ico").await;
    assert_eq!(response.status(), StatusCode::MOVED_PERMANENTLY);
    let location = header(response.headers(), header::LOCATION.as_str()).to_owned();
    assert!(location.starts_with("/static/icons/logo."));
    assert_eq!(app.get(&location).await.status(), StatusCode::OK);
    app.stop().await;
}

#[actix_web::test]
async fn internal_errors_show_a_reference_and_hide_the_cause() {
    let app = TestApp::spawn_with(demo).await;
    {
        use diesel::RunQueryDsl;
        let mut conn = app.db.conn();
        diesel::sql_query("DROP TABLE lines_of_business CASCADE")
            .execute(&mut conn)
            .unwrap();
    }
    let response = app.get("/").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let request_id = header(response.headers(), "x-request-id").to_owned();
    let body = response.text().await.unwrap();
    assert!(body.contains("Error interno") && body.contains("layout-site"));
    assert!(
        body.contains(&format!("<code>{request_id}</code>")),
        "the page quotes the request id"
    );
    assert!(
        !body.contains("lines_of_business") && !body.contains("relation"),
        "no internals leak"
    );

    let response = app.get_htmx("/").await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(header(response.headers(), "hx-retarget"), "#error-region");
    assert!(!response.text().await.unwrap().contains("<html"));
    app.stop().await;
}

/// PERFORMANCE.md's budget: a first visit (page, CSS, scripts) weighs at most 30 KB gzipped.
#[actix_web::test]
async fn a_first_visit_weighs_under_30_kb_compressed() {
    let app = TestApp::spawn_with(demo).await;
    let fetch = |path: String| {
        let request = app
            .client
            .get(app.url(&path))
            .header("Accept-Encoding", "gzip");
        async move { request.send().await.unwrap().bytes().await.unwrap().len() }
    };
    let html = app.get("/").await.text().await.unwrap();
    let assets = regex::Regex::new(r#"(?:href|src)="(/static/[^"]+\.(?:css|js))""#).unwrap();
    let mut total = fetch("/".to_owned()).await;
    let mut count = 0;
    for captures in assets.captures_iter(&html) {
        total += fetch(captures[1].to_owned()).await;
        count += 1;
    }
    assert_eq!(count, 3, "stylesheet, htmx and app.js");
    assert!(total <= 30 * 1024, "first visit is {total} bytes");
    app.stop().await;
}

/// Requests waiting for a busy pool get their connection in the order they asked for it (a
/// condition variable wakes an arbitrary waiter, and at saturation some requests lost every
/// race until the checkout limit answered 503), and one that waits past the limit is told the
/// database is unavailable (503), not given an internal error.
#[actix_web::test]
async fn requests_queue_for_the_pool_in_arrival_order() {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let database = common::TestDatabase::new();
    let db = soriano::db::Db::connect(&database.url, 1).unwrap();
    let order = Arc::new(Mutex::new(Vec::new()));
    let mut waiting = Vec::new();
    for n in 0..8 {
        let (db, order) = (db.clone(), order.clone());
        waiting.push(actix_web::rt::spawn(async move {
            db.run(move |conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query("SELECT pg_sleep(0.02)").execute(conn)?;
                order.lock().unwrap().push(n);
                Ok::<_, soriano::db::DbError>(())
            })
            .await
        }));
        // Each asks a moment after the one before.
        actix_web::rt::time::sleep(Duration::from_millis(3)).await;
    }
    for task in waiting {
        task.await.unwrap().unwrap();
    }
    assert_eq!(*order.lock().unwrap(), (0..8).collect::<Vec<_>>());

    // One request holds the only connection for longer than a checkout may wait.
    let holder = {
        let db = db.clone();
        actix_web::rt::spawn(async move {
            db.run(|conn| {
                use diesel::RunQueryDsl;
                diesel::sql_query("SELECT pg_sleep(1.2)").execute(conn)?;
                Ok::<_, soriano::db::DbError>(())
            })
            .await
        })
    };
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    let late = db
        .run(|_| Ok::<_, soriano::db::DbError>(()))
        .await
        .unwrap_err();
    assert!(late.is_unavailable(), "{late}");
    holder.await.unwrap().unwrap();
}
