//! Documents: upload checked by content, download as an attachment, scoped to the portfolio.

use crate::common;

use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, claims, customers, documents};

const PASSWORD: &str = "una clave larga de prueba";
const PDF: &[u8] = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n";

fn setup(conn: &mut PgConnection) {
    let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
    create_staff(conn, "tramita@soriano.es", Role::Claims, PASSWORD);
    common::sample_portfolio(conn, ana);
}

fn ids(app: &TestApp) -> (i64, i64) {
    let mut conn = app.db.conn();
    let customer = customers::table
        .select(customers::id)
        .first(&mut conn)
        .unwrap();
    let claim = claims::table.select(claims::id).first(&mut conn).unwrap();
    (customer, claim)
}

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    kind: &str,
    id: i64,
    name: &str,
    bytes: Vec<u8>,
    with_token: bool,
) -> reqwest::Response {
    let body = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    let mut form = Form::new()
        .text("entidad", kind.to_owned())
        .text("id", id.to_string())
        .text("visible", "si")
        .part("archivo", Part::bytes(bytes).file_name(name.to_owned()));
    if with_token {
        form = form.text("csrf_token", token);
    }
    client
        .post(app.url("/admin/documentos"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_agent_uploads_a_pdf_and_downloads_it_as_an_attachment() {
    let app = TestApp::spawn_with(setup).await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (customer, _) = ids(&app);
    let response = upload(
        &app,
        &app.client,
        "customer",
        customer,
        "póliza firmada.pdf",
        PDF.to_vec(),
        true,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);

    let (id, sha, visible): (i64, String, bool) = documents::table
        .select((
            documents::id,
            documents::sha256,
            documents::visible_to_client,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(sha, soriano::util::sha256_hex(PDF));
    assert!(visible);
    let page = app
        .get(&format!("/admin/documentos?entidad=customer&id={customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("póliza firmada.pdf"));

    let response = app.get(&format!("/admin/documentos/{id}/descargar")).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get("content-type").unwrap(),
        "application/pdf"
    );
    let disposition = response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    assert_eq!(
        response.headers().get("x-content-type-options").unwrap(),
        "nosniff"
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), PDF);

    let actions: Vec<String> = audit_log::table
        .select(audit_log::action)
        .load(&mut app.db.conn())
        .unwrap();
    assert!(actions.iter().any(|a| a == "document.uploaded"));
    app.stop().await;
}

#[actix_web::test]
async fn files_are_judged_by_their_content_and_size() {
    let app = TestApp::spawn_with(setup).await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (customer, _) = ids(&app);
    let response = upload(
        &app,
        &app.client,
        "customer",
        customer,
        "factura.pdf",
        b"MZ\x90\x00 not a pdf".to_vec(),
        true,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Tipo de archivo no admitido")
    );
    let response = upload(
        &app,
        &app.client,
        "customer",
        customer,
        "grande.pdf",
        [PDF, &vec![b'x'; 11 * 1024 * 1024]].concat(),
        true,
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("10 MB"));
    let count: i64 = documents::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 0, "nothing stored");
    app.stop().await;
}

#[actix_web::test]
async fn documents_stay_within_the_portfolio_and_the_role() {
    let app = TestApp::spawn_with(setup).await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (customer, claim) = ids(&app);
    upload(
        &app,
        &app.client,
        "customer",
        customer,
        "dni.jpg",
        vec![0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3],
        true,
    )
    .await;
    let id: i64 = documents::table
        .select(documents::id)
        .first(&mut app.db.conn())
        .unwrap();

    // Another agent: 404 everywhere, upload included.
    let (luis, _) = app.sign_in_elsewhere("luis@soriano.es", PASSWORD).await;
    assert_eq!(
        luis.get(app.url(&format!("/admin/documentos/{id}/descargar")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        luis.get(app.url(&format!("/admin/documentos?entidad=customer&id={customer}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let response = upload(
        &app,
        &luis,
        "customer",
        customer,
        "x.pdf",
        PDF.to_vec(),
        true,
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A claims handler attaches to claims but not to customers.
    let (handler, _) = app.sign_in_elsewhere("tramita@soriano.es", PASSWORD).await;
    assert_eq!(
        upload(
            &app,
            &handler,
            "claim",
            claim,
            "parte.pdf",
            PDF.to_vec(),
            true
        )
        .await
        .status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        upload(
            &app,
            &handler,
            "customer",
            customer,
            "x.pdf",
            PDF.to_vec(),
            true
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );

    // No CSRF token in the multipart body: refused.
    assert_eq!(
        upload(
            &app,
            &app.client,
            "customer",
            customer,
            "x.pdf",
            PDF.to_vec(),
            false
        )
        .await
        .status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

#[actix_web::test]
async fn every_record_links_to_its_documents() {
    let app = TestApp::spawn_with(setup).await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let (customer, claim) = ids(&app);
    let policy: i64 = soriano::db::schema::policies::table
        .select(soriano::db::schema::policies::id)
        .first(&mut app.db.conn())
        .unwrap();
    let page = app
        .get(&format!("/admin/clientes/{customer}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!(
        "/admin/documentos?entidad=customer&amp;id={customer}"
    )));
    let page = app
        .get(&format!("/admin/polizas/{policy}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/documentos?entidad=policy&amp;id={policy}")));
    let page = app
        .get(&format!("/admin/siniestros/{claim}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("/admin/documentos?entidad=claim&amp;id={claim}")));
    app.stop().await;
}
