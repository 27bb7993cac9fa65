//! e-SORI pages: each client sees their own records, another client's ids are 404, documents
//! download as attachments, and row-level security isolates clients on its own.

use crate::common;
use crate::portal_support;

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
    // The carrier's assistance phone, from the catalogue, on the policy and in the list.
    assert!(detail.contains("Asistencia 24 horas"), "{detail}");
    assert!(
        detail.contains("href=\"tel:9001"),
        "a phone to call: {detail}"
    );
    assert!(list.contains("href=\"tel:9001"), "in the list too: {list}");

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
    let (b_quote, b_options) =
        portal_support::home_quote(&mut app.db.conn(), b, world.agent_id, true);
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let urls = [
        format!("/portal/polizas/{}", b.policy_id),
        format!("/portal/documentos/{}", b.document_id),
        format!("/portal/documentos/{}", b.hidden_document_id),
        format!("/portal/siniestros/{}", b.claim_id),
        format!("/portal/presupuestos/{b_quote}"),
    ];
    // Writes with another client's ids are 404 too (see the claim report test for the rest).
    let token = app.csrf_token("/portal/inicio").await;
    let add = app
        .post_form(
            &format!("/portal/siniestros/{}/informacion", b.claim_id),
            &[("csrf_token", token.as_str()), ("informacion", "Hola")],
        )
        .await;
    assert_eq!(add.status(), StatusCode::NOT_FOUND);
    let option = b_options[0].to_string();
    let accept = app
        .post_form(
            &format!("/portal/presupuestos/{b_quote}/aceptar"),
            &[("csrf_token", token.as_str()), ("opcion", option.as_str())],
        )
        .await;
    assert_eq!(accept.status(), StatusCode::NOT_FOUND);
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
    assert_eq!(app.get(&urls[4]).await.status(), StatusCode::OK);
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

const PNG: &[u8] =
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00";

fn report_form(
    csrf: &str,
    token: &str,
    policy_id: i64,
    date: &str,
    files: &[(&str, &[u8])],
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("token", token.to_owned())
        .text("poliza", policy_id.to_string())
        .text("fecha", date.to_owned())
        .text("tipo", "water_damage")
        .text("lugar", "Calle Mayor 1, Zaragoza")
        .text("descripcion", "Se ha roto una tubería en la cocina.");
    for (name, bytes) in files {
        form = form.part(
            "archivos",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    form
}

fn form_token(html: &str) -> String {
    let re = regex::Regex::new(r#"name="token" value="([^"]+)""#).unwrap();
    re.captures(html).unwrap()[1].to_owned()
}

#[actix_web::test]
async fn a_client_reports_a_claim_with_photos_and_adds_information() {
    use soriano::db::schema::{claim_events, claims, documents, domain_events, outbound_emails};
    let (app, world) = spawn(true).await;
    {
        let mut conn = app.db.conn();
        common::create_staff(
            &mut conn,
            "siniestros@soriano.es",
            soriano::auth::staff::Role::Claims,
            PASSWORD,
        );
    }
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let (status, page) = body(&app, "/portal/siniestros/nuevo").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&world.a.policy_number));
    assert!(!page.contains(&world.b.policy_number));
    let csrf = common::csrf_from_html(&page);
    let token = form_token(&page);
    let today = chrono::Utc::now().date_naive();
    let date = today.format("%d/%m/%Y").to_string();

    // A file whose content is not what its name says is refused, values kept.
    let bad = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(report_form(
            &csrf,
            &token,
            world.a.policy_id,
            &date,
            &[("foto.png", b"not an image")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("archivos-error"));
    assert!(bad.contains("Calle Mayor 1, Zaragoza"));

    // A date outside the coverage is answered next to the date.
    let outside = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(report_form(
            &csrf,
            &token,
            world.a.policy_id,
            "01/01/2001",
            &[],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(outside.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(outside.text().await.unwrap().contains("fecha-error"));

    // Another client's policy does not exist.
    let foreign = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(report_form(&csrf, &token, world.b.policy_id, &date, &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);

    let files: &[(&str, &[u8])] = &[("foto1.png", PNG), ("parte.pdf", b"%PDF-1.4 parte")];
    let sent = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(report_form(&csrf, &token, world.a.policy_id, &date, files))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let location = sent.headers()["location"].to_str().unwrap().to_owned();
    // The same form again opens nothing more and leads to the same claim.
    let again = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(report_form(&csrf, &token, world.a.policy_id, &date, files))
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);

    let mut conn = app.db.conn();
    let (claim_id, status, handler, customer): (i64, String, Option<i64>, i64) = claims::table
        .filter(claims::policy_id.eq(world.a.policy_id))
        .filter(claims::description.eq("Se ha roto una tubería en la cocina."))
        .select((
            claims::id,
            claims::status,
            claims::handler_staff_id,
            claims::customer_id,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(location, format!("/portal/siniestros/{claim_id}"));
    assert_eq!(status, "open");
    assert_eq!(handler, None, "lands unassigned in the queue");
    assert_eq!(customer, world.a.customer_id);
    let reported: i64 = claims::table
        .filter(claims::description.eq("Se ha roto una tubería en la cocina."))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(reported, 1);
    let stored: Vec<(String, String, bool)> = documents::table
        .filter(documents::entity_type.eq("claim"))
        .filter(documents::entity_id.eq(claim_id))
        .order(documents::id)
        .select((
            documents::filename,
            documents::content_type,
            documents::visible_to_client,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        stored,
        vec![
            ("foto1.png".into(), "image/png".into(), true),
            ("parte.pdf".into(), "application/pdf".into(), true)
        ]
    );
    let events: i64 = domain_events::table
        .filter(domain_events::kind.eq("claim.created"))
        .filter(domain_events::entity_id.eq(claim_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(events, 1);
    let notices: Vec<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq("claim.reported_by_client"))
        .select(outbound_emails::to_address)
        .load(&mut conn)
        .unwrap();
    assert_eq!(notices, vec!["siniestros@soriano.es".to_owned()]);
    // The client gets their own acknowledgement (the default rule on claim.created, in the
    // worker), once, with the number and the link.
    crate::common::run_automation(&mut conn);
    crate::common::run_automation(&mut conn);
    let receipts: Vec<(String, String, String)> = outbound_emails::table
        .filter(outbound_emails::kind.eq("automation.siniestro_recibido"))
        .select((
            outbound_emails::to_address,
            outbound_emails::subject,
            outbound_emails::body_text,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(receipts.len(), 1, "{receipts:?}");
    assert_eq!(receipts[0].0, world.a.email);
    assert!(receipts[0].1.contains("SIN-"), "{}", receipts[0].1);
    assert!(receipts[0].2.contains(&location), "{}", receipts[0].2);

    // The claim page shows it with its files; the client adds information.
    let (_, claim_page) = body(&app, &location).await;
    assert!(claim_page.contains("foto1.png"));
    let csrf = common::csrf_from_html(&claim_page);
    let added = app
        .post_form(
            &format!("{location}/informacion"),
            &[
                ("csrf_token", csrf.as_str()),
                ("informacion", "El fontanero vino el martes."),
            ],
        )
        .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let notes: Vec<String> = claim_events::table
        .filter(claim_events::claim_id.eq(claim_id))
        .order(claim_events::id)
        .select(claim_events::note)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        notes,
        vec![
            "Siniestro abierto.".to_owned(),
            "El cliente añade: El fontanero vino el martes.".to_owned()
        ]
    );
    // Not on another client's claim.
    let foreign = app
        .post_form(
            &format!("/portal/siniestros/{}/informacion", world.b.claim_id),
            &[("csrf_token", csrf.as_str()), ("informacion", "Hola")],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

/// The text fields of a report, with `descripcion` as given and extra parts (kept files, files
/// removed, new files).
fn report_with(
    csrf: &str,
    token: &str,
    policy_id: i64,
    date: &str,
    description: &str,
    extra: &[(&str, &str)],
    files: &[(&str, &[u8])],
) -> reqwest::multipart::Form {
    let mut form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf.to_owned())
        .text("token", token.to_owned())
        .text("poliza", policy_id.to_string())
        .text("fecha", date.to_owned())
        .text("tipo", "water_damage")
        .text("lugar", "Calle Mayor 1, Zaragoza")
        .text("descripcion", description.to_owned());
    for (name, value) in extra {
        form = form.text(name.to_string(), value.to_string());
    }
    for (name, bytes) in files {
        form = form.part(
            "archivos",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        );
    }
    form
}

fn kept_files(html: &str) -> Vec<String> {
    regex::Regex::new(r#"name="adjunto" value="([^"]+)""#)
        .unwrap()
        .captures_iter(html)
        .map(|c| c[1].to_owned())
        .collect()
}

#[actix_web::test]
async fn a_claim_report_sent_back_for_its_description_keeps_the_photo() {
    use soriano::db::schema::{claims, documents, pending_uploads};
    let (app, world) = spawn(true).await;
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let (_, page) = body(&app, "/portal/siniestros/nuevo").await;
    let csrf = common::csrf_from_html(&page);
    let token = form_token(&page);
    let date = chrono::Utc::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let post = |form: reqwest::multipart::Form| {
        app.client
            .post(app.url("/portal/siniestros"))
            .multipart(form)
            .send()
    };

    // No description: the form comes back with the summary, and the photo is kept.
    let response = post(report_with(
        &csrf,
        &token,
        world.a.policy_id,
        &date,
        "",
        &[],
        &[("cocina.png", PNG)],
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("data-error-summary"), "{html}");
    assert!(html.contains(r##"<a href="#descripcion">"##), "{html}");
    assert!(
        html.contains("Foto adjunta: <strong>cocina.png</strong> (se enviará con el parte)"),
        "{html}"
    );
    assert!(html.contains("Calle Mayor 1, Zaragoza"));
    let kept = kept_files(&html);
    assert_eq!(kept.len(), 1);
    let waiting: Vec<i64> = pending_uploads::table
        .select(pending_uploads::customer_id)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(waiting, vec![world.a.customer_id]);

    // Still without a description, and a second photo: both wait.
    let response = post(report_with(
        &csrf,
        &token,
        world.a.policy_id,
        &date,
        " ",
        &[("adjunto", &kept[0])],
        &[("salon.png", PNG)],
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("cocina.png") && html.contains("salon.png"));
    let kept = kept_files(&html);
    assert_eq!(kept.len(), 2);

    // Sent right, with the first photo removed: the claim gets the other one, nothing waits.
    let response = post(report_with(
        &csrf,
        &token,
        world.a.policy_id,
        &date,
        "Se ha roto una tubería en la cocina.",
        &[
            ("adjunto", &kept[0]),
            ("adjunto", &kept[1]),
            ("quitar_adjunto", &kept[0]),
        ],
        &[],
    ))
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let claim_id: i64 = claims::table
        .filter(claims::policy_id.eq(world.a.policy_id))
        .filter(claims::description.eq("Se ha roto una tubería en la cocina."))
        .select(claims::id)
        .first(&mut conn)
        .unwrap();
    let stored: Vec<String> = documents::table
        .filter(documents::entity_type.eq("claim"))
        .filter(documents::entity_id.eq(claim_id))
        .select(documents::filename)
        .load(&mut conn)
        .unwrap();
    assert_eq!(stored, vec!["salon.png".to_owned()]);
    let waiting: i64 = pending_uploads::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(waiting, 0);
    app.stop().await;
}

#[actix_web::test]
async fn another_clients_kept_photo_is_neither_shown_nor_attached() {
    use soriano::db::schema::{claims, documents, pending_uploads};
    let (app, world) = spawn(true).await;
    // Client B's photo waiting for B's form.
    let foreign_token = "b".repeat(32);
    diesel::insert_into(pending_uploads::table)
        .values((
            pending_uploads::token.eq(&foreign_token),
            pending_uploads::customer_id.eq(world.b.customer_id),
            pending_uploads::filename.eq("ajena.png"),
            pending_uploads::bytes.eq(PNG),
        ))
        .execute(&mut app.db.conn())
        .unwrap();
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let (_, page) = body(&app, "/portal/siniestros/nuevo").await;
    let csrf = common::csrf_from_html(&page);
    let token = form_token(&page);
    let date = chrono::Utc::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let form = |description: &str| {
        report_with(
            &csrf,
            &token,
            world.a.policy_id,
            &date,
            description,
            &[("adjunto", &foreign_token)],
            &[],
        )
    };
    let html = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(form(""))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("ajena.png"));
    let response = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(form("Un golpe en el coche aparcado."))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let claim_id: i64 = claims::table
        .filter(claims::description.eq("Un golpe en el coche aparcado."))
        .select(claims::id)
        .first(&mut conn)
        .unwrap();
    let attached: i64 = documents::table
        .filter(documents::entity_type.eq("claim"))
        .filter(documents::entity_id.eq(claim_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(attached, 0);
    let still: i64 = pending_uploads::table
        .filter(pending_uploads::customer_id.eq(world.b.customer_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(still, 1, "B's file is untouched");
    app.stop().await;
}

#[actix_web::test]
async fn messages_go_between_the_client_and_the_inbox_with_unread_counts() {
    use soriano::db::schema::{message_threads, messages, outbound_emails};
    let (app, world) = spawn(true).await;
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let csrf = app.csrf_token("/portal/mensajes").await;
    let empty = app
        .post_form(
            "/portal/mensajes",
            &[
                ("csrf_token", csrf.as_str()),
                ("asunto", "Cambio de cuenta"),
                ("cuerpo", "  "),
            ],
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let empty = empty.text().await.unwrap();
    assert!(empty.contains("cuerpo-error"));
    assert!(empty.contains("value=\"Cambio de cuenta\""));
    let sent = app
        .post_form(
            "/portal/mensajes",
            &[
                ("csrf_token", csrf.as_str()),
                ("asunto", "Cambio de cuenta"),
                ("cuerpo", "Quiero domiciliar los recibos en otra cuenta."),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);
    let thread_path = sent.headers()["location"].to_str().unwrap().to_owned();
    let thread_id: i64 = thread_path.rsplit('/').next().unwrap().parse().unwrap();

    // Staff: the agent of the customer sees it unread, reads it, answers.
    // A separate browser (cookie jar) for the staff side.
    let staff_client = common::new_client();
    let token = {
        let page = staff_client
            .get(app.url("/admin/entrar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        common::csrf_from_html(&page)
    };
    let signed = staff_client
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", portal_support::AGENT),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed.status(), StatusCode::SEE_OTHER);
    let inbox = staff_client
        .get(app.url("/admin/mensajes"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        inbox.contains("1 conversación con mensajes sin leer."),
        "{inbox}"
    );
    assert!(inbox.contains("Cambio de cuenta"));
    let thread = staff_client
        .get(app.url(&format!("/admin/mensajes/{thread_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(thread.contains("Quiero domiciliar los recibos en otra cuenta."));
    let csrf_staff = common::csrf_from_html(&thread);
    let replied = staff_client
        .post(app.url(&format!("/admin/mensajes/{thread_id}")))
        .form(&[
            ("csrf_token", csrf_staff.as_str()),
            ("cuerpo", "Envíenos el IBAN nuevo por aquí, por favor."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(replied.status(), StatusCode::SEE_OTHER);

    let mut conn = app.db.conn();
    let (to_client, to_staff): (i32, i32) = message_threads::table
        .find(thread_id)
        .select((
            message_threads::unread_by_client,
            message_threads::unread_by_staff,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((to_client, to_staff), (1, 0));
    let stored: i64 = messages::table
        .filter(messages::thread_id.eq(thread_id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(stored, 2);
    let (to, subject, text, html): (String, String, String, String) = outbound_emails::table
        .filter(outbound_emails::kind.eq("client.reply_waiting"))
        .select((
            outbound_emails::to_address,
            outbound_emails::subject,
            outbound_emails::body_text,
            outbound_emails::body_html,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(to, world.a.email);
    assert!(text.contains(&format!("/portal/mensajes/{thread_id}")));
    for leaked in ["IBAN", "NombreA", "Cambio de cuenta", "domiciliar"] {
        assert!(!subject.contains(leaked) && !text.contains(leaked) && !html.contains(leaked));
    }

    // The client sees the unread reply, then reads it.
    let (_, home) = body(&app, "/portal/inicio").await;
    assert!(home.contains("Tiene 1 mensajes sin leer"));
    let (_, read) = body(&app, &thread_path).await;
    assert!(read.contains("Envíenos el IBAN nuevo por aquí, por favor."));
    let (_, home) = body(&app, "/portal/inicio").await;
    assert!(!home.contains("mensajes sin leer"));

    // Client B reaches neither the thread nor a reply to it.
    let csrf = app.csrf_token("/portal/inicio").await;
    app.post_form("/portal/salir", &[("csrf_token", csrf.as_str())])
        .await;
    portal_sign_in(&app, &world.b.email, PASSWORD).await;
    assert_eq!(app.get(&thread_path).await.status(), StatusCode::NOT_FOUND);
    let csrf = app.csrf_token("/portal/inicio").await;
    let foreign = app
        .post_form(
            &thread_path,
            &[("csrf_token", csrf.as_str()), ("cuerpo", "Hola")],
        )
        .await;
    assert_eq!(foreign.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[actix_web::test]
async fn demo_clients_sign_in_with_the_demo_password_and_find_their_conversation() {
    let app = common::TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        // Idempotent: a second run adds no accounts.
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let mut conn = app.db.conn();
    let accounts: i64 = soriano::db::schema::client_users::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(accounts, 3);
    for email in soriano::seed::DEMO_CLIENT_EMAILS {
        let signed = portal_sign_in(&app, email, soriano::seed::DEMO_ADMIN_PASSWORD).await;
        assert_eq!(signed.status(), StatusCode::SEE_OTHER, "{email}");
        let (status, home) = body(&app, "/portal/inicio").await;
        assert_eq!(status, StatusCode::OK);
        assert!(home.contains("Tiene 1 mensajes sin leer"), "{email}");
        let token = app.csrf_token("/portal/inicio").await;
        app.post_form("/portal/salir", &[("csrf_token", token.as_str())])
            .await;
    }
    app.stop().await;
}

#[actix_web::test]
async fn mis_datos_contact_consent_download_and_erasure() {
    use soriano::db::schema::{customer_consents, customers, tasks};
    let (app, world) = spawn(true).await;
    portal_sign_in(&app, &world.a.email, PASSWORD).await;
    let (status, page) = body(&app, "/portal/datos").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&world.a.tax_id));
    let csrf = common::csrf_from_html(&page);

    let bad = app
        .post_form(
            "/portal/datos",
            &[
                ("csrf_token", csrf.as_str()),
                ("telefono", "12"),
                ("direccion", "Calle Nueva 3"),
                ("codigo_postal", "50001"),
                ("localidad", "Zaragoza"),
            ],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let bad = bad.text().await.unwrap();
    assert!(bad.contains("telefono-error"));
    assert!(bad.contains("value=\"Calle Nueva 3\""));
    let good = app
        .post_form(
            "/portal/datos",
            &[
                ("csrf_token", csrf.as_str()),
                ("telefono", "612 345 678"),
                ("direccion", "Calle Nueva 3"),
                ("codigo_postal", "50001"),
                ("localidad", "Zaragoza"),
            ],
        )
        .await;
    assert_eq!(good.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let saved: (Option<String>, Option<String>, Option<String>) = customers::table
        .find(world.a.customer_id)
        .select((
            customers::phone,
            customers::address_line,
            customers::province,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        saved,
        (
            Some("612345678".into()),
            Some("Calle Nueva 3".into()),
            Some("Zaragoza".into())
        )
    );

    for choice in ["si", "no"] {
        let response = app
            .post_form(
                "/portal/datos/consentimiento",
                &[("csrf_token", csrf.as_str()), ("otorgado", choice)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let consents: Vec<(bool, String, String)> = customer_consents::table
        .filter(customer_consents::customer_id.eq(world.a.customer_id))
        .filter(customer_consents::purpose.eq("marketing"))
        .order(customer_consents::id)
        .select((
            customer_consents::granted,
            customer_consents::text_version,
            customer_consents::source,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        consents,
        vec![
            (
                true,
                soriano::customers::CONSENT_TEXT_VERSION.into(),
                "e-SORI".into()
            ),
            (
                false,
                soriano::customers::CONSENT_TEXT_VERSION.into(),
                "e-SORI".into()
            )
        ]
    );
    let (_, page) = body(&app, "/portal/datos").await;
    assert!(page.contains("No acepta recibir información comercial"));

    let download = app.get("/portal/datos/descarga").await;
    assert_eq!(download.status(), StatusCode::OK);
    assert!(
        download.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: serde_json::Value = serde_json::from_str(&download.text().await.unwrap()).unwrap();
    let text = data.to_string();
    assert!(text.contains(&world.a.policy_number));
    assert!(text.contains(&world.a.claim_number));
    assert!(!text.contains(&world.b.policy_number));
    assert!(!text.contains(&world.b.claim_number));
    assert_eq!(data["cliente"]["telefono"], "612345678");

    let erasure = app
        .post_form("/portal/datos/supresion", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(erasure.status(), StatusCode::SEE_OTHER);
    let task: (i64, Option<i64>, String) = tasks::table
        .filter(tasks::customer_id.eq(world.a.customer_id))
        .select((
            tasks::assignee_staff_id,
            tasks::customer_id,
            tasks::priority,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        task,
        (world.agent_id, Some(world.a.customer_id), "high".into())
    );
    app.stop().await;
}

/// Signs a claims handler in from their own browser and returns it with a CSRF token taken
/// from the claim's page.
async fn claims_handler_on(app: &common::TestApp, claim_id: i64) -> (reqwest::Client, String) {
    common::create_staff(
        &mut app.db.conn(),
        "siniestros@soriano.es",
        soriano::auth::staff::Role::Claims,
        PASSWORD,
    );
    let (staff, status) = app
        .sign_in_elsewhere("siniestros@soriano.es", PASSWORD)
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = staff
        .get(app.url(&format!("/admin/siniestros/{claim_id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Visible para el cliente") && page.contains("Las notas son internas"),
        "the form says notes are internal: {page}"
    );
    (staff, common::csrf_from_html(&page))
}

#[actix_web::test]
async fn internal_claim_notes_stay_out_of_e_sori_and_ticked_ones_reach_the_client() {
    let (app, world) = spawn(true).await;
    let claim = world.a.claim_id;
    let (staff, token) = claims_handler_on(&app, claim).await;
    let post = |path: &'static str, fields: Vec<(&'static str, &'static str)>| {
        let mut form = vec![("csrf_token", token.as_str())];
        form.extend(fields);
        staff
            .post(app.url(&format!("/admin/siniestros/{claim}/{path}")))
            .form(&form)
            .send()
    };
    let internal = "NOTA INTERNA: revisar posible preexistencia.";
    let status_note = "Pendiente de confirmar la cobertura con la compañía.";
    let for_client = "Hemos recibido sus fotos; el perito le llamará esta semana.";
    for response in [
        post("notas", vec![("nota", internal)]).await.unwrap(),
        post(
            "estado",
            vec![("estado", "in_progress"), ("nota", status_note)],
        )
        .await
        .unwrap(),
        post(
            "notas",
            vec![("nota", for_client), ("visible_cliente", "si")],
        )
        .await
        .unwrap(),
    ] {
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let staff_page = staff
        .get(app.url(&format!("/admin/siniestros/{claim}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(staff_page.contains(internal) && staff_page.contains(status_note));
    assert!(staff_page.contains("Nota interna"));

    assert_eq!(
        portal_sign_in(&app, &world.a.email, PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
    let (status, page) = body(&app, &format!("/portal/siniestros/{claim}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        !page.contains("NOTA INTERNA"),
        "internal note leaked: {page}"
    );
    assert!(!page.contains(status_note), "internal state note leaked");
    assert!(
        page.contains(r#"<span class="event-change">en trámite</span>"#),
        "the state change itself is shown"
    );
    assert!(page.contains(for_client), "ticked note shown: {page}");
    let (_, export) = body(&app, "/portal/datos/descarga").await;
    assert!(!export.contains("NOTA INTERNA") && !export.contains(status_note));
    assert!(export.contains(for_client));
    app.stop().await;
}

const INVALID: &str = "Este campo contiene caracteres no válidos.";

#[actix_web::test]
async fn nul_bytes_in_the_portal_forms_are_refused_next_to_the_field_and_nothing_is_written() {
    use soriano::db::schema::{message_threads, messages};
    let (app, world) = spawn(true).await;
    let rows = |sql: &str| count(&mut app.db.conn(), sql);
    let (claims_before, sign_ins_before) = (
        rows("SELECT count(*) AS n FROM claims"),
        rows("SELECT count(*) AS n FROM client_sign_ins"),
    );

    // Sign-in: the address with a NUL byte.
    let csrf = app.csrf_token("/portal/entrar").await;
    let refused = app
        .post_form(
            "/portal/entrar",
            &[
                ("csrf_token", csrf.as_str()),
                ("email", &format!("{}\u{0}", world.a.email)),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(html.contains(INVALID), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", world.a.email)));
    assert_eq!(
        rows("SELECT count(*) AS n FROM client_sign_ins"),
        sign_ins_before
    );
    assert_eq!(
        portal_sign_in(&app, &world.a.email, PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // A new conversation: subject and body.
    let csrf = app.csrf_token("/portal/mensajes").await;
    let refused = app
        .post_form(
            "/portal/mensajes",
            &[
                ("csrf_token", csrf.as_str()),
                ("asunto", "Cambio\u{0} de cuenta"),
                ("cuerpo", "Línea uno\r\nLínea dos\u{0}"),
            ],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    // One next to each field (the error summary at the top lists them again).
    let next_to_fields = regex::Regex::new(&format!(
        r#"class="field-error"[^>]*>{}"#,
        regex::escape(INVALID)
    ))
    .unwrap();
    assert_eq!(
        next_to_fields.find_iter(&html).count(),
        2,
        "one per field: {html}"
    );
    assert!(html.contains("value=\"Cambio de cuenta\""));
    let threads: i64 = message_threads::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    let written: i64 = messages::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!((threads, written), (0, 0));
    // Line breaks are fine in the body.
    let sent = app
        .post_form(
            "/portal/mensajes",
            &[
                ("csrf_token", csrf.as_str()),
                ("asunto", "Cambio de cuenta"),
                ("cuerpo", "Línea uno\r\n\tLínea dos"),
            ],
        )
        .await;
    assert_eq!(sent.status(), StatusCode::SEE_OTHER);

    // Reporting a claim (multipart): a NUL in the description.
    let page = app
        .get("/portal/siniestros/nuevo")
        .await
        .text()
        .await
        .unwrap();
    let (csrf, token) = (common::csrf_from_html(&page), form_token(&page));
    let date = chrono::Utc::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", csrf)
        .text("token", token)
        .text("poliza", world.a.policy_id.to_string())
        .text("fecha", date)
        .text("tipo", "water_damage")
        .text("lugar", "Calle Mayor 1, Zaragoza")
        .text("descripcion", "Se ha roto\u{0} una tubería.");
    let refused = app
        .client
        .post(app.url("/portal/siniestros"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await.unwrap();
    assert!(
        regex::Regex::new(&format!(
            r#"(?s)name="descripcion".{{0,300}}{}"#,
            regex::escape(INVALID)
        ))
        .unwrap()
        .is_match(&html),
        "message next to the description: {html}"
    );
    assert!(html.contains("Calle Mayor 1, Zaragoza"));
    assert_eq!(rows("SELECT count(*) AS n FROM claims"), claims_before);
    app.stop().await;
}
