//! e-SORI pages: each client sees their own records, another client's ids are 404, documents
//! download as attachments, and row-level security isolates clients on its own.

mod common;
mod portal_support;

use diesel::prelude::*;
use diesel::sql_types::BigInt;
use portal_support::{PASSWORD, portal_sign_in, spawn};
use reqwest::StatusCode;

async fn body(app: &common::TestApp, path: &str) -> (StatusCode, String) {
    let response = app.get(path).await;
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[actix_web::test]
async fn each_page_shows_the_signed_in_clients_records_only() {
    let (app, world) = spawn(true).await;
    let (a, b) = (&world.a, &world.b);
    assert_eq!(
        portal_sign_in(&app, &a.email, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );

    let (status, home) = body(&app, "/portal/inicio").await;
    assert_eq!(status, StatusCode::OK);
    assert!(home.contains("Prueba, NombreA"));
    assert!(home.contains(&a.policy_number));
    assert!(home.contains("324,00"), "premium shown: {home}");
    assert!(home.contains(&a.claim_number));
    assert!(!home.contains(&b.policy_number));
    assert!(!home.contains(&b.claim_number));

    let (_, list) = body(&app, "/portal/polizas").await;
    assert!(list.contains(&format!("/portal/polizas/{}", a.policy_id)));
    assert!(!list.contains(&b.policy_number));

    let (status, detail) = body(&app, &format!("/portal/polizas/{}", a.policy_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        detail.contains("condiciones-a.pdf"),
        "visible document listed"
    );
    assert!(
        !detail.contains("interno-a.pdf"),
        "staff-only document hidden"
    );

    let (_, claims) = body(&app, "/portal/siniestros").await;
    assert!(claims.contains(&a.claim_number));
    assert!(!claims.contains(&b.claim_number));

    let (status, claim) = body(&app, &format!("/portal/siniestros/{}", a.claim_id)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(claim.contains("Golpe del cliente a"));
    assert!(claim.contains("Siniestro abierto."), "timeline shown");

    let (status, accesses) = body(&app, "/portal/accesos").await;
    assert_eq!(status, StatusCode::OK);
    assert!(accesses.contains("127.0.0.1"));

    // htmx navigation gets the partial.
    let partial = app.get_htmx("/portal/polizas").await.text().await.unwrap();
    assert!(!partial.contains("<html"));
    assert!(partial.contains(&a.policy_number));
    app.stop().await;
}

#[actix_web::test]
async fn documents_download_as_attachments_and_hidden_ones_do_not_exist() {
    let (app, world) = spawn(true).await;
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let response = app
        .get(&format!("/portal/documentos/{}", world.a.document_id))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("condiciones-a.pdf"));
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    assert_eq!(response.headers().get("cache-control").unwrap(), "no-store");
    assert!(response.text().await.unwrap().starts_with("%PDF-"));
    let hidden = app
        .get(&format!(
            "/portal/documentos/{}",
            world.a.hidden_document_id
        ))
        .await;
    assert_eq!(hidden.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// Every portal URL that carries an id, for client A asking for client B's record: 404.
#[actix_web::test]
async fn idor_sweep_another_clients_ids_are_not_found() {
    let (app, world) = spawn(true).await;
    let b = &world.b;
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let urls = [
        format!("/portal/polizas/{}", b.policy_id),
        format!("/portal/documentos/{}", b.document_id),
        format!("/portal/documentos/{}", b.hidden_document_id),
        format!("/portal/siniestros/{}", b.claim_id),
    ];
    for url in &urls {
        let (status, text) = body(&app, url).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{url}");
        assert!(!text.contains(&b.policy_number), "{url}");
        assert!(!text.contains(&b.claim_number), "{url}");
    }
    // And the same URLs work for their owner (so the sweep tests isolation, not typos).
    let token = app.csrf_token("/portal/inicio").await;
    app.post_form("/portal/salir", &[("csrf_token", &token)])
        .await;
    portal_sign_in(&app, &b.email, PASSWORD).await;
    for url in &urls[..2] {
        assert_eq!(app.get(url).await.status(), StatusCode::OK, "{url}");
    }
    assert_eq!(app.get(&urls[3]).await.status(), StatusCode::OK);
    app.stop().await;
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<Count>(conn).unwrap().n
}

/// Row-level security on its own: queries with no customer filter at all, run under the
/// portal role for client A, return A's rows only.
#[actix_web::test]
async fn row_level_security_alone_hides_other_clients_rows() {
    let (app, world) = spawn(true).await;
    let mut conn = app.db.conn();
    // As the owner (back-office), both clients are there.
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM policies"), 2);
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        soriano::db::enter_portal_role(conn, world.a.customer_id)?;
        assert_eq!(count(conn, "SELECT count(*) AS n FROM customers"), 1);
        assert_eq!(count(conn, "SELECT count(*) AS n FROM policies"), 1);
        assert_eq!(count(conn, "SELECT count(*) AS n FROM claims"), 1);
        assert_eq!(count(conn, "SELECT count(*) AS n FROM claim_events"), 1);
        assert_eq!(
            count(conn, "SELECT count(*) AS n FROM documents"),
            1,
            "only A's visible document"
        );
        assert_eq!(count(conn, "SELECT count(*) AS n FROM document_blobs"), 1);
        assert_eq!(count(conn, "SELECT count(*) AS n FROM client_users"), 1);
        let own: i64 = count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM policies WHERE id = {}",
                world.b.policy_id
            ),
        );
        assert_eq!(own, 0, "B's policy by id is invisible");
        Ok(())
    })
    .unwrap();
    // The settings end with the transaction: the pooled connection is the owner again.
    assert_eq!(count(&mut conn, "SELECT count(*) AS n FROM policies"), 2);
    // Without a customer id set, the portal role sees nothing at all.
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        diesel::sql_query("SET LOCAL ROLE soriano_portal").execute(conn)?;
        assert_eq!(count(conn, "SELECT count(*) AS n FROM policies"), 0);
        assert_eq!(count(conn, "SELECT count(*) AS n FROM customers"), 0);
        Ok(())
    })
    .unwrap();
    // The portal role cannot write, nor read staff secrets.
    let denied = conn.transaction::<_, diesel::result::Error, _>(|conn| {
        soriano::db::enter_portal_role(conn, world.a.customer_id)?;
        diesel::sql_query("SELECT password_hash FROM staff_users").execute(conn)?;
        Ok(())
    });
    assert!(denied.is_err());
    app.stop().await;
}
