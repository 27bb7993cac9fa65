//! Generated PDFs, versions and deliveries through real HTTP: each kind is generated from the
//! database and read back with pdftotext; regenerating adds a version only when the data
//! changed; a new upload is a version with its reason; e-mail carries the PDF as an
//! attachment and the delivery is recorded; every action is scoped like its record.

use crate::common;

use chrono::{Duration, NaiveDate, Utc};
use common::{TestApp, create_staff, pdf_text};
use diesel::prelude::*;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use soriano::auth::staff::Role;
use soriano::db::schema::{
    carrier_settlements, commissions, complaints, customers, document_deliveries, documents,
    outbound_emails, policies, receipts,
};
use soriano::documents::{PgStorage, Storage};

const PASSWORD: &str = "una clave larga de prueba";

struct Fixture {
    customer: i64,
    policy: i64,
    receipt: i64,
    complaint: i64,
    settlement: i64,
}

fn fixture(conn: &mut PgConnection) -> Fixture {
    let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
    create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
    create_staff(conn, "tramita@soriano.es", Role::Claims, PASSWORD);
    create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
    create_staff(conn, "sac@soriano.es", Role::Compliance, PASSWORD);
    common::sample_portfolio(conn, ana);
    let customer: i64 = customers::table.select(customers::id).first(conn).unwrap();
    // Spanish letters everywhere a reader would look for them.
    diesel::update(customers::table.find(customer))
        .set((
            customers::display_name.eq("Muñoz Peña, José Ángel"),
            customers::address_line.eq("Calle Ñandú 3, 2.º"),
            customers::postcode.eq("28013"),
            customers::city.eq("Madrid"),
        ))
        .execute(conn)
        .unwrap();
    let (policy, carrier, product): (i64, i64, i64) = policies::table
        .select((policies::id, policies::carrier_id, policies::product_id))
        .first(conn)
        .unwrap();
    let today = Utc::now().date_naive();
    let receipt = |number: &str, due: NaiveDate, cents: i64, status: &str| {
        (
            receipts::policy_id.eq(policy),
            receipts::customer_id.eq(customer),
            receipts::number.eq(number.to_owned()),
            receipts::period_start.eq(due),
            receipts::period_end.eq(due + Duration::days(90)),
            receipts::due_date.eq(due),
            receipts::amount_cents.eq(cents),
            receipts::net_cents.eq(cents * 9 / 10),
            receipts::status.eq(status.to_owned()),
            receipts::collected_on.eq((status == "cobrado").then_some(due)),
        )
    };
    let collected: i64 = diesel::insert_into(receipts::table)
        .values(receipt(
            "R-2026-0001",
            today - Duration::days(40),
            8_100,
            "cobrado",
        ))
        .returning(receipts::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(receipts::table)
        .values(vec![
            receipt("R-2026-0002", today - Duration::days(5), 8_100, "pendiente"),
            receipt(
                "R-2026-0003",
                today + Duration::days(85),
                12_345,
                "pendiente",
            ),
        ])
        .execute(conn)
        .unwrap();
    let complaint: i64 = diesel::insert_into(complaints::table)
        .values((
            complaints::reference.eq("SAC-2026-00007"),
            complaints::kind.eq("claim"),
            complaints::channel.eq("email"),
            complaints::customer_id.eq(customer),
            complaints::complainant_name.eq("José Ángel Muñoz Peña"),
            complaints::complainant_email.eq("jose@example.es"),
            complaints::subject.eq("Cobro duplicado del recibo"),
            complaints::description.eq("Me han cobrado dos veces el recibo de marzo."),
            complaints::received_on.eq(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()),
            complaints::due_on.eq(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
        ))
        .returning(complaints::id)
        .get_result(conn)
        .unwrap();
    let period = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
    let settlement: i64 = diesel::insert_into(carrier_settlements::table)
        .values((
            carrier_settlements::carrier_id.eq(carrier),
            carrier_settlements::period.eq(period),
            carrier_settlements::line_count.eq(1),
            carrier_settlements::base_cents.eq(7_290),
            carrier_settlements::total_cents.eq(1_093),
        ))
        .returning(carrier_settlements::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(commissions::table)
        .values((
            commissions::receipt_id.eq(collected),
            commissions::kind.eq("earned"),
            commissions::carrier_id.eq(carrier),
            commissions::product_id.eq(product),
            commissions::policy_id.eq(policy),
            commissions::renewal.eq(false),
            commissions::base_cents.eq(7_290),
            commissions::rate_bp.eq(1_500),
            commissions::amount_cents.eq(1_093),
            commissions::booked_on.eq(period),
            commissions::settlement_id.eq(settlement),
        ))
        .execute(conn)
        .unwrap();
    Fixture {
        customer,
        policy,
        receipt: collected,
        complaint,
        settlement,
    }
}

async fn spawn() -> (TestApp, Fixture) {
    let mut fx = None;
    let app = TestApp::spawn_with(|conn| fx = Some(fixture(conn))).await;
    (app, fx.unwrap())
}

/// Generates `kind` on a record through the documents page's form; returns the response.
async fn generate(
    app: &TestApp,
    entity: &str,
    id: i64,
    kind: &str,
    extra: &[(&str, &str)],
) -> reqwest::Response {
    let token = app
        .csrf_token(&format!("/admin/documentos?entidad={entity}&id={id}"))
        .await;
    let id = id.to_string();
    let mut fields = vec![
        ("csrf_token", token.as_str()),
        ("entidad", entity),
        ("id", id.as_str()),
        ("tipo", kind),
    ];
    fields.extend_from_slice(extra);
    app.post_form("/admin/documentos/generar", &fields).await
}

/// Follows a redirect (the app answers forms with 303) and returns the page's text.
async fn followed(app: &TestApp, response: reqwest::Response) -> String {
    let status = response.status();
    if status != StatusCode::SEE_OTHER {
        panic!("{status}: {}", response.text().await.unwrap());
    }
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    app.get(&location).await.text().await.unwrap()
}

/// The current document of `kind` on a record, with its text.
fn current(
    app: &TestApp,
    entity: &str,
    id: i64,
    kind: &str,
) -> (soriano::documents::Document, String) {
    let mut conn = app.db.conn();
    let document = documents::table
        .filter(documents::entity_type.eq(entity))
        .filter(documents::entity_id.eq(id))
        .filter(documents::kind.eq(kind))
        .filter(documents::superseded_at.is_null())
        .select(soriano::documents::Document::as_select())
        .first(&mut conn)
        .expect("a current document of that kind");
    let bytes = PgStorage.get(&mut conn, document.id).unwrap();
    assert_eq!(
        soriano::util::sha256_hex(&bytes),
        document.sha256,
        "stored with its SHA-256"
    );
    (document, pdf_text(&bytes))
}

fn assert_letterhead(text: &str) {
    assert!(
        text.contains("Soriano Mediadores, Correduría de Seguros, S.L."),
        "{text}"
    );
    assert!(text.contains("CIF B00000000"), "{text}");
    assert!(text.contains("Clave DGSFP J0000"), "{text}");
    assert!(
        text.contains("atencioncliente@sorianomediadores.es"),
        "{text}"
    );
    assert!(text.contains("Página 1 de"), "{text}");
}

#[actix_web::test]
async fn each_document_of_a_policy_a_customer_a_complaint_and_a_settlement_says_the_right_things() {
    let (app, fx) = spawn().await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;

    let response = generate(&app, "policy", fx.policy, "certificado", &[]).await;
    let page = followed(&app, response).await;
    assert!(
        page.contains("«Certificado de seguro» generado (versión 1)."),
        "{page}"
    );
    let (document, text) = current(&app, "policy", fx.policy, "certificado");
    assert_letterhead(&text);
    assert!(text.contains("Certificado de seguro"), "{text}");
    assert!(text.contains("POL-0001"), "{text}");
    assert!(
        text.contains("Muñoz Peña, José Ángel"),
        "Spanish letters intact: {text}"
    );
    assert!(text.contains("Calle Ñandú 3, 2.º, 28013 Madrid"), "{text}");
    assert!(text.contains("324,00 €"), "the premium in euros: {text}");
    assert!(text.contains("Asistencia (24 horas)"), "{text}");
    assert_eq!(
        document.template_version.as_deref(),
        Some("certificado-2026-12-v1")
    );
    assert_eq!(document.version, 1);

    // Renewal notice: the premium recorded for the next period beside the current one.
    {
        let mut conn = app.db.conn();
        let end: NaiveDate = policies::table
            .find(fx.policy)
            .select(policies::end_date)
            .first(&mut conn)
            .unwrap();
        diesel::insert_into(soriano::db::schema::policy_renewal_terms::table)
            .values((
                soriano::db::schema::policy_renewal_terms::policy_id.eq(fx.policy),
                soriano::db::schema::policy_renewal_terms::period_end.eq(end),
                soriano::db::schema::policy_renewal_terms::new_premium_cents.eq(35_640),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    followed(
        &app,
        generate(&app, "policy", fx.policy, "aviso_renovacion", &[]).await,
    )
    .await;
    let (_, text) = current(&app, "policy", fx.policy, "aviso_renovacion");
    assert!(text.contains("Aviso de renovación"), "{text}");
    assert!(
        text.contains("324,00 €") && text.contains("356,40 €"),
        "{text}"
    );
    assert!(text.contains("+10,0 %"), "{text}");

    // One receipt, filed under its policy.
    let receipt = fx.receipt.to_string();
    followed(
        &app,
        generate(&app, "policy", fx.policy, "recibo", &[("recibo", &receipt)]).await,
    )
    .await;
    let (document, text) = current(&app, "policy", fx.policy, "recibo");
    assert_eq!(document.subject_key.as_deref(), Some(receipt.as_str()));
    assert!(
        text.contains("R-2026-0001") && text.contains("81,00 €"),
        "{text}"
    );
    assert!(text.contains("Cobrado"), "{text}");

    // The customer's pending receipts, with the total.
    followed(
        &app,
        generate(&app, "customer", fx.customer, "recibos_pendientes", &[]).await,
    )
    .await;
    let (_, text) = current(&app, "customer", fx.customer, "recibos_pendientes");
    assert!(
        text.contains("R-2026-0002") && text.contains("R-2026-0003"),
        "{text}"
    );
    assert!(
        !text.contains("R-2026-0001"),
        "a collected receipt is not pending: {text}"
    );
    assert!(text.contains("(vencido)"), "{text}");
    assert!(text.contains("204,45 €"), "81,00 + 123,45: {text}");
    // Published, it is on the client's e-SORI home (documents of the client as a whole).
    followed(
        &app,
        generate(
            &app,
            "customer",
            fx.customer,
            "recibos_pendientes",
            &[("visible", "si")],
        )
        .await,
    )
    .await;
    let published = soriano::clients::queries::visible_documents(
        &mut app.db.conn(),
        fx.customer,
        soriano::documents::Entity::Customer(fx.customer),
    )
    .unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].kind.as_deref(), Some("recibos_pendientes"));

    // The complaint: acknowledgement now; the answer only once there is one.
    followed(
        &app,
        generate(
            &app,
            "complaint",
            fx.complaint,
            "acuse_reclamacion",
            &[("visible", "si")],
        )
        .await,
    )
    .await;
    let (acknowledgement, text) = current(&app, "complaint", fx.complaint, "acuse_reclamacion");
    assert!(text.contains("SAC-2026-00007"), "{text}");
    assert!(
        text.contains("31 de diciembre de 2026"),
        "the due day in words: {text}"
    );
    assert!(text.contains("Dirección General de Seguros"), "{text}");
    assert!(
        !acknowledgement.visible_to_client,
        "e-SORI shows no complaint documents: they go by e-mail"
    );
    let response = generate(
        &app,
        "complaint",
        fx.complaint,
        "respuesta_reclamacion",
        &[],
    )
    .await;
    let page = followed(&app, response).await;
    assert!(page.contains("todavía no tiene respuesta"), "{page}");
    {
        let mut conn = app.db.conn();
        diesel::update(complaints::table.find(fx.complaint))
            .set((
                complaints::status.eq("answered"),
                complaints::outcome.eq("in_favour"),
                complaints::answer.eq("Le devolvemos el cargo duplicado de 81,00 €."),
                complaints::closed_at.eq(Utc::now()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    followed(
        &app,
        generate(
            &app,
            "complaint",
            fx.complaint,
            "respuesta_reclamacion",
            &[],
        )
        .await,
    )
    .await;
    let (_, text) = current(&app, "complaint", fx.complaint, "respuesta_reclamacion");
    assert!(text.contains("A favor del cliente"), "{text}");
    assert!(text.contains("Le devolvemos el cargo duplicado"), "{text}");

    // The carrier settlement: no customer, its lines and totals.
    followed(
        &app,
        generate(&app, "settlement", fx.settlement, "liquidacion", &[]).await,
    )
    .await;
    let (document, text) = current(&app, "settlement", fx.settlement, "liquidacion");
    assert_eq!(document.customer_id, None);
    assert!(text.contains("noviembre de 2026"), "{text}");
    assert!(
        text.contains("POL-0001") && text.contains("R-2026-0001"),
        "{text}"
    );
    assert!(
        text.contains("72,90 €") && text.contains("10,93 €"),
        "{text}"
    );
    assert!(text.contains("15,00 %"), "{text}");
    assert_letterhead(&text);
}

#[actix_web::test]
async fn generating_again_adds_a_version_only_when_the_data_changed() {
    let (app, fx) = spawn().await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    generate(&app, "policy", fx.policy, "certificado", &[]).await;
    let (first, _) = current(&app, "policy", fx.policy, "certificado");
    // Same data, same bytes: a double click is not a new version.
    let response = generate(&app, "policy", fx.policy, "certificado", &[]).await;
    assert!(followed(&app, response).await.contains("no han cambiado"));
    let count = |app: &TestApp| -> i64 {
        documents::table
            .filter(documents::kind.eq("certificado"))
            .count()
            .get_result(&mut app.db.conn())
            .unwrap()
    };
    assert_eq!(count(&app), 1);

    {
        let mut conn = app.db.conn();
        diesel::update(policies::table.find(fx.policy))
            .set(policies::total_premium_cents.eq(33_000))
            .execute(&mut conn)
            .unwrap();
    }
    generate(
        &app,
        "policy",
        fx.policy,
        "certificado",
        &[("motivo", "Prima corregida por la aseguradora")],
    )
    .await;
    assert_eq!(count(&app), 2);
    let (second, text) = current(&app, "policy", fx.policy, "certificado");
    assert!(text.contains("330,00 €"), "{text}");
    assert_eq!(second.version, 2);
    assert_eq!(second.series_id, first.id);
    assert_ne!(second.sha256, first.sha256);

    // The old version stays, readable, with who, when and why in the history.
    let page = app
        .get(&format!("/admin/documentos/{}", second.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Historial de versiones"), "{page}");
    assert!(
        page.contains("Prima corregida por la aseguradora"),
        "{page}"
    );
    assert!(page.contains("Generado desde la ficha"), "{page}");
    let old = app
        .get(&format!("/admin/documentos/{}/descargar", first.id))
        .await;
    assert_eq!(old.status(), StatusCode::OK);
    assert!(pdf_text(&old.bytes().await.unwrap()).contains("324,00 €"));
    // The record's list shows the current version only, and how many there are.
    let list = app
        .get(&format!(
            "/admin/documentos?entidad=policy&id={}",
            fx.policy
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(&format!("/admin/documentos/{}\"", second.id)),
        "{list}"
    );
    assert!(
        !list.contains(&format!("/admin/documentos/{}\"", first.id)),
        "{list}"
    );
    assert!(list.contains("de 2"), "{list}");
    // Audited.
    let audited: i64 = soriano::db::schema::audit_log::table
        .filter(soriano::db::schema::audit_log::action.eq("document.generated"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(audited, 2);
}

async fn upload_version(
    app: &TestApp,
    document: i64,
    note: &str,
    bytes: Vec<u8>,
) -> reqwest::Response {
    let token = app
        .csrf_token(&format!("/admin/documentos/{document}"))
        .await;
    let form = Form::new()
        .text("csrf_token", token)
        .text("motivo", note.to_owned())
        .text("visible", "si")
        .part(
            "archivo",
            Part::bytes(bytes).file_name("condiciones.pdf".to_owned()),
        );
    app.client
        .post(app.url(&format!("/admin/documentos/{document}/version")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn an_uploaded_file_gets_a_new_version_with_its_reason_and_the_client_sees_the_latest() {
    let (app, fx) = spawn().await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    generate(
        &app,
        "policy",
        fx.policy,
        "certificado",
        &[("visible", "si")],
    )
    .await;
    let (first, _) = current(&app, "policy", fx.policy, "certificado");
    assert!(first.visible_to_client);

    // No reason: refused next to the field, nothing written.
    let response = upload_version(&app, first.id, "", b"%PDF-1.7 v2".to_vec()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Diga por qué hay una versión nueva"),
        "{page}"
    );
    // Not a PDF: refused too.
    let response = upload_version(&app, first.id, "Firmado", b"MZ nope".to_vec()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let versions: i64 = documents::table
        .filter(documents::series_id.eq(first.id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(versions, 1);

    let response = upload_version(
        &app,
        first.id,
        "Firmado por el cliente",
        b"%PDF-1.7 v2".to_vec(),
    )
    .await;
    assert!(
        followed(&app, response)
            .await
            .contains("Versión 2 guardada.")
    );
    let latest: soriano::documents::Document = documents::table
        .filter(documents::series_id.eq(first.id))
        .filter(documents::superseded_at.is_null())
        .select(soriano::documents::Document::as_select())
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(latest.version, 2);
    assert_eq!(
        latest.version_note.as_deref(),
        Some("Firmado por el cliente")
    );
    assert_eq!(
        latest.kind.as_deref(),
        Some("certificado"),
        "same document, new file"
    );
    // The old version cannot take another new version (the form was stale).
    let response = upload_version(&app, first.id, "Otra", b"%PDF-1.7 v3".to_vec()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);

    // e-SORI lists the current version only.
    let mut conn = app.db.conn();
    let visible = soriano::clients::queries::visible_documents(
        &mut conn,
        fx.customer,
        soriano::documents::Entity::Policy(fx.policy),
    )
    .unwrap();
    assert_eq!(
        visible.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![latest.id]
    );
    assert!(
        soriano::clients::queries::document_file(&mut conn, fx.customer, first.id)
            .unwrap()
            .is_none(),
        "an old version is no longer the client's to download"
    );
}

#[actix_web::test]
async fn a_document_is_emailed_as_an_attachment_and_the_delivery_is_recorded() {
    let (app, fx) = spawn().await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    generate(&app, "policy", fx.policy, "certificado", &[]).await;
    let (document, _) = current(&app, "policy", fx.policy, "certificado");
    let page = app
        .get(&format!("/admin/documentos/{}", document.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("value=\"lucia@example.es\""),
        "the customer's address is offered: {page}"
    );
    let token = common::csrf_from_html(&page);

    let bad = app
        .post_form(
            &format!("/admin/documentos/{}/enviar", document.id),
            &[("csrf_token", &token), ("correo", "no es un correo")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = bad.text().await.unwrap();
    assert!(
        page.contains("value=\"no es un correo\""),
        "what was typed is kept"
    );
    assert!(page.contains("field-error"), "{page}");
    let queued: i64 = outbound_emails::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(queued, 0);

    let sent = app
        .post_form(
            &format!("/admin/documentos/{}/enviar", document.id),
            &[("csrf_token", &token), ("correo", "Lucia@Example.es")],
        )
        .await;
    assert!(
        followed(&app, sent)
            .await
            .contains("Documento enviado a lucia@example.es")
    );
    let (outbox, attachment): (i64, Option<i64>) = outbound_emails::table
        .select((outbound_emails::id, outbound_emails::attachment_document_id))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(attachment, Some(document.id));
    let delivery: (String, String, Option<i64>) = document_deliveries::table
        .filter(document_deliveries::document_id.eq(document.id))
        .select((
            document_deliveries::channel,
            document_deliveries::to_address,
            document_deliveries::outbox_id,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        delivery,
        ("email".into(), "lucia@example.es".into(), Some(outbox))
    );

    // The worker sends it with the PDF attached.
    let dir = std::env::temp_dir().join(format!(
        "soriano-documents-mail-{}",
        soriano::util::random_token(6)
    ));
    let transport = soriano::mail::transport::Transport::file(
        &dir,
        "Soriano <no-reply@example.es>".parse().unwrap(),
    )
    .unwrap();
    let db = soriano::db::Db::connect(&app.db.url, 2).unwrap();
    assert_eq!(
        soriano::mail::worker::run_once(&db, &transport)
            .await
            .unwrap(),
        1
    );
    let file = std::fs::read_dir(&dir)
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let raw = std::fs::read_to_string(file).unwrap();
    assert!(raw.contains("multipart/mixed"), "{raw}");
    assert!(raw.contains("application/pdf"), "{raw}");
    assert!(
        raw.contains("Certificado de seguro POL-0001.pdf") || raw.contains("Certificado"),
        "{raw}"
    );
    let _ = std::fs::remove_dir_all(dir);
    let page = app
        .get(&format!("/admin/documentos/{}", document.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Enviado por correo"), "{page}");
    assert!(page.contains("lucia@example.es"), "{page}");
}

#[actix_web::test]
async fn documents_are_reached_only_from_where_their_record_is() {
    let (mut app, fx) = spawn().await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    generate(&app, "policy", fx.policy, "certificado", &[]).await;
    let (document, _) = current(&app, "policy", fx.policy, "certificado");
    // An agent does not work on complaints or settlements.
    for (entity, id) in [("complaint", fx.complaint), ("settlement", fx.settlement)] {
        let response = app
            .get(&format!("/admin/documentos?entidad={entity}&id={id}"))
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{entity}");
    }
    // No CSRF token, no document.
    let response = app
        .post_form(
            "/admin/documentos/generar",
            &[
                ("entidad", "policy"),
                ("id", &fx.policy.to_string()),
                ("tipo", "aviso_renovacion"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Another agent: the customer is not theirs.
    app.client = common::new_client();
    app.sign_in("luis@soriano.es", PASSWORD).await;
    for path in [
        format!("/admin/documentos/{}", document.id),
        format!("/admin/documentos/{}/descargar", document.id),
        format!("/admin/documentos?entidad=policy&id={}", fx.policy),
    ] {
        assert_eq!(
            app.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let token = app.csrf_token("/admin").await;
    let response = app
        .post_form(
            "/admin/documentos/generar",
            &[
                ("csrf_token", &token),
                ("entidad", "policy"),
                ("id", &fx.policy.to_string()),
                ("tipo", "certificado"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let response = app
        .post_form(
            &format!("/admin/documentos/{}/enviar", document.id),
            &[("csrf_token", &token), ("correo", "luis@example.es")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // A claims handler reads the policy's documents but does not generate them.
    app.client = common::new_client();
    app.sign_in("tramita@soriano.es", PASSWORD).await;
    let token = app.csrf_token("/admin").await;
    let response = app
        .post_form(
            "/admin/documentos/generar",
            &[
                ("csrf_token", &token),
                ("entidad", "policy"),
                ("id", &fx.policy.to_string()),
                ("tipo", "certificado"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The complaints service works on complaints, not on settlements.
    app.client = common::new_client();
    app.sign_in("sac@soriano.es", PASSWORD).await;
    let response = generate(&app, "complaint", fx.complaint, "acuse_reclamacion", &[]).await;
    followed(&app, response).await;
    let response = app
        .get(&format!(
            "/admin/documentos?entidad=settlement&id={}",
            fx.settlement
        ))
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
