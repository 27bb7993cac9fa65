//! PostgreSQL goes away under a running app: every face answers a Spanish 503 page at once
//! (no five-second wait, no bare 500, nobody signed out), `/readyz` says so within a second,
//! and when the server is back the app serves again without a restart.
//!
//! A binary of its own: it stops the test cluster, which every test of a binary shares.

mod common;
mod portal_support;

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use common::{TestApp, create_staff};
use portal_support::{PASSWORD, portal_sign_in};
use soriano::auth::staff::Role;

const STAFF: &str = "admin@soriano.test";
const TAXI_PRICES: &str = "/taxi/precios?anio=2022&valor=28000&plazas=7&combustible=hybrid\
    &municipio=Sevilla&provincia=41&turno=night&edad=41&carne=20&taxista=6&siniestros=1\
    &cobertura=comprehensive_excess&ocupantes=1";
const OUTAGE_MESSAGE: &str =
    "El servicio no está disponible en este momento; inténtelo de nuevo en unos minutos.";

/// GETs `path` (as htmx when `htmx`) and returns status, body and how long the answer took.
async fn timed_get(app: &TestApp, path: &str, htmx: bool) -> (StatusCode, String, Duration) {
    let started = Instant::now();
    let mut request = app.client.get(app.url(path));
    if htmx {
        request = request.header("HX-Request", "true");
    }
    let response = request.send().await.expect("GET");
    let status = response.status();
    let body = response.text().await.expect("body");
    (status, body, started.elapsed())
}

#[actix_web::test]
async fn every_face_answers_a_quick_spanish_503_while_the_database_is_down_and_recovers() {
    let Some(cluster) = common::cluster() else {
        panic!("this test stops PostgreSQL: run it without DATABASE_URL");
    };
    let mut world = None;
    let app = TestApp::spawn_with(|conn| {
        let found = portal_support::world(conn);
        portal_support::open_account(conn, &found.a);
        create_staff(conn, STAFF, Role::Admin, PASSWORD);
        world = Some(found);
    })
    .await;
    let world = world.unwrap();

    // One browser signed in to both the back-office and e-SORI.
    assert_eq!(
        app.sign_in(STAFF, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        portal_sign_in(&app, &world.a.email, PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    for path in ["/admin", "/admin/clientes", "/portal/inicio"] {
        let (status, _, _) = timed_get(&app, path, false).await;
        assert_eq!(status, StatusCode::OK, "{path} before the outage");
    }

    // The throwaway cluster runs with synchronous_commit=off: without a flush, an immediate
    // stop would lose the last fraction of a second of commits (the sessions just written),
    // which is the harness's speed trade, not what an outage does to a real server.
    {
        use diesel::RunQueryDsl;
        diesel::sql_query("CHECKPOINT")
            .execute(&mut app.db.conn())
            .expect("flush before the outage");
    }
    cluster.stop_immediately().expect("stop PostgreSQL");

    let faces = [
        ("/", false),
        ("/seguros/hogar", false),
        // The quoter's form needs no database and stays up; its prices do.
        (TAXI_PRICES, true),
        ("/portal/inicio", false),
        ("/portal/polizas", true),
        ("/admin", false),
        ("/admin/clientes", false),
        ("/admin/clientes?q=prueba", true),
        ("/admin/polizas", false),
    ];
    // Twice over: the first requests find the pool's connections dead, the next ones find
    // the database known to be down.
    for round in 1..=2 {
        for (path, htmx) in faces {
            let (status, body, took) = timed_get(&app, path, htmx).await;
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{path} (htmx: {htmx}, round {round}): {body}"
            );
            assert!(
                body.contains(OUTAGE_MESSAGE),
                "{path} (htmx: {htmx}) explains in Spanish: {body}"
            );
            if htmx {
                assert!(
                    !body.contains("<html"),
                    "{path}: a partial for htmx: {body}"
                );
            } else {
                assert!(body.contains("<html"), "{path}: a full page: {body}");
            }
            assert!(
                took < Duration::from_millis(900),
                "{path} (htmx: {htmx}, round {round}) took {took:?}"
            );
        }
    }
    let started = Instant::now();
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "/readyz took {:?}",
        started.elapsed()
    );
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);

    cluster.start_again().expect("start PostgreSQL again");

    // The pool reconnects by itself: ready again within a few seconds, no restart.
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if app.get("/readyz").await.status() == StatusCode::OK {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the app never became ready again"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Still signed in on both faces (a signed-out browser would be sent to the sign-in page
    // with 303): the outage ended no session.
    for path in [
        "/admin",
        "/admin/clientes",
        "/portal/inicio",
        TAXI_PRICES,
        "/",
    ] {
        let (status, body, _) = timed_get(&app, path, false).await;
        assert_eq!(status, StatusCode::OK, "{path} after the outage: {body}");
    }
    app.stop().await;
}
