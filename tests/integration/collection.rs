//! Premium collection by SEPA direct debit through HTTP: the creditor settings (validated in
//! Spanish, audited, managers only); a customer's mandate (validated, the signed paper one of
//! their documents, sent twice registered once, within the agent's book); a remittance from
//! the preview (what goes, what cannot and why) to the file (valid against the official ISO
//! 20022 schema), the receipts remitted once, each debtor pre-notified, the file never written
//! twice for the same receipt.

use chrono::Duration;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use reqwest::StatusCode;

use crate::common::{self, TestApp};
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, outbound_emails, receipts, sepa_mandates, sepa_remittances};

const ADMIN: &str = soriano::seed::DEMO_ADMIN_EMAIL;
const PASSWORD: &str = soriano::seed::DEMO_ADMIN_PASSWORD;

fn settings_form(token: &str, creditor_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf_token", token.to_owned()),
        ("acreedor", "Soriano Mediadores, S.L.".into()),
        ("identificador", creditor_id.to_owned()),
        ("iban", "ES91 2100 0418 4502 0005 1332".into()),
        ("bic", "CAIXESBBXXX".into()),
        ("calle", "Calle Mayor 1".into()),
        ("codigo_postal", "28013".into()),
        ("poblacion", "Madrid".into()),
        ("version", "pain.008.001.08".into()),
        ("primer_adeudo", "si".into()),
        ("dias_aviso", "14".into()),
    ]
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

async fn save_settings(app: &TestApp) {
    let token = app.csrf_token("/admin/cobros/ajustes").await;
    let response = app
        .client
        .post(app.url("/admin/cobros/ajustes"))
        .form(&settings_form(&token, "ES77000B85626240"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[actix_web::test]
async fn the_creditor_settings_are_checked_saved_and_audited() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        common::create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        common::create_staff(conn, "comercial1@soriano.test", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    // Before any settings, a remittance sends the manager to them.
    let response = app.get("/admin/remesas/nueva").await;
    assert_eq!(location(&response), "/admin/cobros/ajustes");

    let token = app.csrf_token("/admin/cobros/ajustes").await;
    let mut form = settings_form(&token, "ES78000B85626240");
    form.retain(|(k, _)| *k != "poblacion");
    let response = app
        .client
        .post(app.url("/admin/cobros/ajustes"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Los dígitos de control del identificador de acreedor no son correctos."),
        "{page}"
    );
    assert!(page.contains("id=\"poblacion-error\""));
    assert!(
        page.contains("value=\"Soriano Mediadores, S.L.\""),
        "what was typed stays"
    );
    let rows: i64 = soriano::db::schema::sepa_settings::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(rows, 0);

    save_settings(&app).await;
    let (iban, town): (String, String) = soriano::db::schema::sepa_settings::table
        .select((
            soriano::db::schema::sepa_settings::iban,
            soriano::db::schema::sepa_settings::town,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        (iban.as_str(), town.as_str()),
        ("ES9121000418450200051332", "Madrid")
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("sepa.settings_changed"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(audited, 1);

    // Agents neither see nor change them.
    let (agent, _) = app
        .sign_in_elsewhere("comercial1@soriano.test", PASSWORD)
        .await;
    for path in [
        "/admin/cobros/ajustes",
        "/admin/remesas",
        "/admin/remesas/nueva",
    ] {
        let response = agent.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    // No CSRF token, no change.
    let response = app
        .client
        .post(app.url("/admin/cobros/ajustes"))
        .form(&settings_form("", "ES77000B85626240")[1..])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[derive(QueryableByName)]
struct Pick {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    email: String,
}

/// A demo customer with pending receipts due from 14 days on, and a document to stand for
/// their signed mandate.
fn customer_with_receipts(conn: &mut PgConnection) -> (i64, String, i64) {
    let pick: Pick = diesel::sql_query(
        "SELECT c.id, c.email FROM receipts r JOIN customers c ON c.id = r.customer_id \
         WHERE r.status = 'pendiente' AND r.due_date BETWEEN current_date + 14 AND current_date + 180 \
         AND c.email IS NOT NULL AND c.city IS NOT NULL \
         AND NOT EXISTS (SELECT 1 FROM sepa_mandates m WHERE m.customer_id = c.id) \
         GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1",
    )
    .get_result(conn)
    .unwrap();
    let document: i64 = diesel::sql_query(
        "WITH d AS (INSERT INTO documents (entity_type, entity_id, customer_id, filename, \
         content_type, size_bytes, sha256) VALUES ('customer', $1, $1, 'mandato-firmado.pdf', \
         'application/pdf', 4, repeat('a', 64)) RETURNING id), \
         b AS (INSERT INTO document_blobs (document_id, bytes) SELECT id, '\\x25504446' FROM d) \
         SELECT id FROM d",
    )
    .bind::<BigInt, _>(pick.id)
    .get_result::<Id>(conn)
    .unwrap()
    .id;
    (pick.id, pick.email, document)
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn day_text(days: i64) -> String {
    (soriano::time::today() + Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[actix_web::test]
async fn a_remittance_carries_receipts_with_a_mandate_once_in_a_valid_file() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let (customer, email, document) = customer_with_receipts(&mut app.db.conn());
    // The demo's own mandates out of force: this remittance is this customer's alone.
    diesel::sql_query("UPDATE sepa_mandates SET status = 'revoked', revoked_on = current_date")
        .execute(&mut app.db.conn())
        .unwrap();
    let files_before: i64 = sepa_remittances::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    app.sign_in(ADMIN, PASSWORD).await;
    save_settings(&app).await;

    // The mandate: checked field by field, then registered once however often it is sent.
    let page_path = format!("/admin/clientes/{customer}/mandatos");
    let page = app.get(&page_path).await.text().await.unwrap();
    assert!(page.contains("no tiene ningún mandato SEPA"), "{page}");
    let token = common::csrf_from_html(&page);
    let form_token = regex::Regex::new(r#"name="form_token" value="([^"]+)""#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .to_owned();
    let mandate = |iban: &str| {
        vec![
            ("csrf_token", token.clone()),
            ("form_token", form_token.clone()),
            ("titular", "Titular de Prueba".to_owned()),
            ("iban", iban.to_owned()),
            ("esquema", "core".to_owned()),
            ("fecha_firma", day_text(-30)),
            ("documento", document.to_string()),
        ]
    };
    let response = app
        .client
        .post(app.url(&page_path))
        .form(&mandate("ES00 1234"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("id=\"iban-error\""));
    for _ in 0..2 {
        let response = app
            .client
            .post(app.url(&page_path))
            .form(&mandate("ES91 2100 0418 4502 0005 1332"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
    }
    let mandates: Vec<(String, String)> = sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer))
        .select((sepa_mandates::reference, sepa_mandates::status))
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(mandates.len(), 1, "sent twice, registered once");
    let reference = mandates[0].0.clone();

    // The preview: too early a charge is refused; then what goes and what cannot.
    let query = |collection: i64| {
        format!(
            "/admin/remesas/nueva?vence_desde={}&vence_hasta={}&fecha_cargo={}&esquema=core&compania=&agente=",
            day_text(14),
            day_text(180),
            day_text(collection)
        )
    };
    let response = app.get(&query(3)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("días antes del cargo")
    );
    let preview = app.get(&query(15)).await.text().await.unwrap();
    assert!(preview.contains(&reference), "{preview}");
    assert!(preview.contains("El cliente no tiene un mandato SEPA en vigor."));
    let wanted: Vec<i64> = receipts::table
        .filter(receipts::customer_id.eq(customer))
        .filter(receipts::status.eq("pendiente"))
        .filter(receipts::remittance_id.is_null())
        .filter(receipts::due_date.between(
            soriano::time::today() + Duration::days(14),
            soriano::time::today() + Duration::days(180),
        ))
        .select(receipts::id)
        .load(&mut app.db.conn())
        .unwrap();
    assert!(!wanted.is_empty());

    // Written: the receipts remitted with their EndToEndId, the file valid, the debtor told.
    let create_token = regex::Regex::new(r#"name="form_token" value="([^"]+)""#)
        .unwrap()
        .captures(&preview)
        .unwrap()[1]
        .to_owned();
    let create = |form_token: String| {
        vec![
            ("csrf_token", token.clone()),
            ("form_token", form_token),
            ("vence_desde", day_text(14)),
            ("vence_hasta", day_text(180)),
            ("fecha_cargo", day_text(15)),
            ("esquema", "core".to_owned()),
            ("compania", String::new()),
            ("agente", String::new()),
        ]
    };
    let response = app
        .client
        .post(app.url("/admin/remesas"))
        .form(&create(create_token.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let remittance_path = location(&response);
    let remittance: i64 = remittance_path.rsplit('/').next().unwrap().parse().unwrap();
    let remitted: Vec<(i64, String, Option<String>)> = receipts::table
        .filter(receipts::remittance_id.eq(remittance))
        .select((receipts::id, receipts::status, receipts::end_to_end_id))
        .order(receipts::id)
        .load(&mut app.db.conn())
        .unwrap();
    let mut ids: Vec<i64> = remitted.iter().map(|r| r.0).collect();
    ids.sort();
    let mut expected = wanted.clone();
    expected.sort();
    assert_eq!(ids, expected, "exactly the customer's receipts in range");
    assert!(remitted.iter().all(|r| r.1 == "remesado" && r.2.is_some()));

    let file = app.get(&format!("{remittance_path}/fichero")).await;
    assert_eq!(file.status(), StatusCode::OK);
    let xml = file.text().await.unwrap();
    assert!(
        xml.contains(&format!("<MndtId>{reference}</MndtId>")),
        "{xml}"
    );
    assert!(xml.contains("<SeqTp>FRST</SeqTp>"), "a first collection");
    assert!(xml.contains(&format!("<NbOfTxs>{}</NbOfTxs>", wanted.len())));
    let path = std::env::temp_dir().join(format!("remesa-{remittance}-{}.xml", std::process::id()));
    std::fs::write(&path, &xml).unwrap();
    let schema = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/domain/sepa/schemas/pain.008.001.08.xsd"
    );
    let check = std::process::Command::new("xmllint")
        .args(["--noout", "--schema", schema])
        .arg(&path)
        .output()
        .expect("xmllint (scripts/install-deps --browser installs it)");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    let _ = std::fs::remove_file(&path);

    let notices: Vec<(String, String)> = outbound_emails::table
        .filter(outbound_emails::kind.eq("sepa.prenotification"))
        .select((outbound_emails::to_address, outbound_emails::subject))
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(notices.len(), 1, "one notice per debtor: {notices:?}");
    assert_eq!(notices[0].0, email);
    assert!(
        notices[0].1.starts_with("Aviso de cargo"),
        "{}",
        notices[0].1
    );

    // The page, the list; the same form again gives the same remittance, a new one nothing.
    let page = app.get(&remittance_path).await.text().await.unwrap();
    assert!(page.contains("Remesado"), "{page}");
    let response = app
        .client
        .post(app.url("/admin/remesas"))
        .form(&create(create_token))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), remittance_path);
    let response = app
        .client
        .post(app.url("/admin/remesas"))
        .form(&create(soriano::db::form_submissions::new_token()))
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/admin/remesas/nueva");
    let files: i64 = sepa_remittances::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(files, files_before + 1, "no receipt goes in a second file");
    let used: Option<chrono::NaiveDate> = sepa_mandates::table
        .filter(sepa_mandates::reference.eq(&reference))
        .select(sepa_mandates::last_used_on)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(used, Some(soriano::time::today() + Duration::days(15)));
    let list = app.get("/admin/remesas").await.text().await.unwrap();
    assert!(list.contains(&format!("/admin/remesas/{remittance}/fichero")));
    app.stop().await;
}

#[actix_web::test]
async fn mandates_stay_within_the_agents_book() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let (customer, _, _) = customer_with_receipts(&mut app.db.conn());
    let owner: Option<i64> = soriano::db::schema::customers::table
        .find(customer)
        .select(soriano::db::schema::customers::owner_staff_id)
        .first(&mut app.db.conn())
        .unwrap();
    let agent_email: String = soriano::db::schema::staff_users::table
        .filter(soriano::db::schema::staff_users::role.eq("agent"))
        .filter(soriano::db::schema::staff_users::id.nullable().ne(owner))
        .select(soriano::db::schema::staff_users::email)
        .first(&mut app.db.conn())
        .unwrap();
    let (agent, status) = app.sign_in_elsewhere(&agent_email, PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let response = agent
        .get(app.url(&format!("/admin/clientes/{customer}/mandatos")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::NOT_FOUND,
        "another agent's customer"
    );
    app.stop().await;
}

/// A mandate unused for 36 months lapses in the worker's round; one used since stays.
#[actix_web::test]
async fn a_mandate_unused_for_36_months_lapses() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let mut conn = app.db.conn();
    let ids: Vec<i64> = sepa_mandates::table
        .filter(sepa_mandates::status.eq("active"))
        .filter(sepa_mandates::last_used_on.is_null())
        .order(sepa_mandates::id)
        .select(sepa_mandates::id)
        .limit(2)
        .load(&mut conn)
        .unwrap();
    assert_eq!(ids.len(), 2, "demo mandates never used");
    let today = soriano::time::today();
    let old = today.checked_sub_months(chrono::Months::new(37)).unwrap();
    diesel::update(sepa_mandates::table.filter(sepa_mandates::id.eq_any(&ids)))
        .set(sepa_mandates::signed_on.eq(old))
        .execute(&mut conn)
        .unwrap();
    diesel::update(sepa_mandates::table.find(ids[1]))
        .set(sepa_mandates::last_used_on.eq(today - Duration::days(30)))
        .execute(&mut conn)
        .unwrap();
    let report = soriano::housekeeping::run(&mut conn, today, None).unwrap();
    assert_eq!(report.mandates_expired, 1);
    let statuses: Vec<String> = sepa_mandates::table
        .filter(sepa_mandates::id.eq_any(&ids))
        .order(sepa_mandates::id)
        .select(sepa_mandates::status)
        .load(&mut conn)
        .unwrap();
    assert_eq!(statuses, vec!["expired", "active"]);
    drop(conn);
    app.stop().await;
}

/// In e-SORI a client sees how their receipts are paid: the mandate in force with the account
/// masked, or that nothing is domiciled; a remitted receipt reads «Remesado».
#[actix_web::test]
async fn the_client_sees_their_mandate_and_remitted_receipts_in_e_sori() {
    use soriano::db::schema::client_users;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let mut conn = app.db.conn();
    // A demo client with a mandate and a receipt still to be charged.
    let (email, customer): (String, i64) = client_users::table
        .filter(client_users::email.eq_any(soriano::seed::DEMO_CLIENT_EMAILS))
        .filter(diesel::dsl::exists(
            receipts::table
                .filter(receipts::customer_id.eq(client_users::customer_id))
                .filter(receipts::status.eq_any(["remesado", "pendiente"])),
        ))
        .order(client_users::id)
        .select((client_users::email, client_users::customer_id))
        .first(&mut conn)
        .unwrap();
    let (reference, iban): (String, String) = sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer))
        .filter(sepa_mandates::status.eq("active"))
        .select((sepa_mandates::reference, sepa_mandates::iban))
        .first(&mut conn)
        .unwrap();
    // A receipt of theirs remitted (the demo's remittance may have taken one already).
    let (receipt, policy, status): (i64, i64, String) = receipts::table
        .filter(receipts::customer_id.eq(customer))
        .filter(receipts::status.eq_any(["remesado", "pendiente"]))
        .order((receipts::status.desc(), receipts::id))
        .select((receipts::id, receipts::policy_id, receipts::status))
        .first(&mut conn)
        .unwrap();
    if status == "pendiente" {
        let remittance: i64 = sepa_remittances::table
            .select(sepa_remittances::id)
            .first(&mut conn)
            .unwrap();
        diesel::update(receipts::table.find(receipt))
            .set((
                receipts::status.eq("remesado"),
                receipts::remittance_id.eq(remittance),
                receipts::remitted_on.eq(soriano::time::today()),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    // Another of the policy's receipts returned by the bank, with its reason.
    let returned: String = receipts::table
        .filter(receipts::policy_id.eq(policy))
        .filter(receipts::id.ne(receipt))
        .select(receipts::number)
        .first(&mut conn)
        .expect("the policy has another receipt");
    diesel::update(receipts::table.filter(receipts::number.eq(&returned)))
        .set((
            receipts::status.eq("devuelto"),
            receipts::returned_on.eq(soriano::time::today()),
            receipts::return_reason.eq("Fondos insuficientes"),
            receipts::return_code.eq("AM04"),
        ))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let response =
        crate::portal_support::portal_sign_in(&app, &email, soriano::seed::DEMO_ADMIN_PASSWORD)
            .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/portal/polizas/{policy}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(&reference), "{page}");
    assert!(page.contains(&format!("{} **** {}", &iban[..4], &iban[iban.len() - 4..])));
    assert!(!page.contains(&iban), "the whole account is never shown");
    assert!(page.contains("Remesado"), "{page}");
    assert!(page.contains("Devuelto"), "{page}");
    assert!(page.contains("Fondos insuficientes"), "{page}");
    app.stop().await;
}

fn pain002(lines: &[(&str, &str, &str)]) -> String {
    let transactions: String = lines
        .iter()
        .map(|(id, reason, amount)| {
            format!(
                "<TxInfAndSts><OrgnlEndToEndId>{id}</OrgnlEndToEndId><TxSts>RJCT</TxSts>\
                 <StsRsnInf><Rsn><Cd>{reason}</Cd></Rsn></StsRsnInf>\
                 <OrgnlTxRef><Amt><InstdAmt Ccy=\"EUR\">{amount}</InstdAmt></Amt>\
                 <ReqdColltnDt>2026-12-19</ReqdColltnDt></OrgnlTxRef></TxInfAndSts>"
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"><CstmrPmtStsRpt>\
         <GrpHdr><MsgId>BANCO-RSP-1</MsgId><CreDtTm>2026-12-20T10:00:00</CreDtTm></GrpHdr>\
         <OrgnlGrpInfAndSts><OrgnlMsgId>SORIANO-REM-000001</OrgnlMsgId>\
         <OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>\
         <OrgnlPmtInfAndSts><OrgnlPmtInfId>SORIANO-REM-000001-1</OrgnlPmtInfId>{transactions}\
         </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
}

async fn upload_bank_file(app: &TestApp, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let token = app.csrf_token("/admin/remesas/devoluciones").await;
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .part(
            "fichero",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    app.client
        .post(app.url("/admin/remesas/devoluciones"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The bank's rejections come back: each matched receipt returned with its ISO code (the
/// commission reversed, the agent's task, the client told, the mandate stopped when the
/// account is the problem); a line no receipt matches waits for a person, who assigns it; the
/// same file twice changes nothing; a receipt returned for lack of funds goes in the next
/// remittance again.
#[actix_web::test]
async fn the_banks_rejections_return_the_receipts_and_the_rest_waits_for_review() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let remitted: Vec<(i64, String, String, i64, Option<i64>)> = receipts::table
        .filter(receipts::status.eq("remesado"))
        .order(receipts::id)
        .select((
            receipts::id,
            receipts::number,
            receipts::end_to_end_id.assume_not_null(),
            receipts::amount_cents,
            receipts::mandate_id,
        ))
        .load(&mut app.db.conn())
        .unwrap();
    assert!(remitted.len() >= 3, "the demo remittance: {remitted:?}");
    let (first, second, third) = (&remitted[0], &remitted[1], &remitted[2]);
    let money = |cents: i64| format!("{}.{:02}", cents / 100, cents % 100);
    let file = pain002(&[
        (first.2.as_str(), "AC04", money(first.3).as_str()),
        ("SOR999-424242", "MS02", "10.00"),
        (third.2.as_str(), "AM04", money(third.3).as_str()),
    ]);
    let response = upload_bank_file(&app, "respuesta-banco.xml", file.clone().into_bytes()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app
        .get("/admin/remesas/devoluciones")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("2 devueltos"), "{page}");
    assert!(
        page.contains("SOR999-424242"),
        "the unmatched line waits: {page}"
    );

    let state = |id: i64| -> (String, Option<String>, Option<String>) {
        receipts::table
            .find(id)
            .select((
                receipts::status,
                receipts::return_code,
                receipts::return_reason,
            ))
            .first(&mut app.db.conn())
            .unwrap()
    };
    let (status, code, reason) = state(first.0);
    assert_eq!(
        (status.as_str(), code.as_deref()),
        ("devuelto", Some("AC04"))
    );
    assert!(reason.unwrap().starts_with("AC04 · Cuenta cancelada"));
    let mandate_status: String = sepa_mandates::table
        .find(first.4.unwrap())
        .select(sepa_mandates::status)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        mandate_status, "revoked",
        "a closed account stops the mandate"
    );
    crate::common::run_automation(&mut app.db.conn());
    let told: i64 = outbound_emails::table
        .filter(outbound_emails::kind.eq("automation.recibo_devuelto"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(told, 2, "each client told");

    // The same file again: nothing changes.
    let response = upload_bank_file(&app, "otra-vez.xml", file.into_bytes()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let files: i64 = soriano::db::schema::bank_files::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(files, 1);

    // A person assigns the waiting line to a receipt by its number.
    let line: i64 = soriano::db::schema::bank_return_lines::table
        .select(soriano::db::schema::bank_return_lines::id)
        .first(&mut app.db.conn())
        .unwrap();
    let token = app.csrf_token("/admin/remesas/devoluciones").await;
    let response = app
        .post_form(
            &format!("/admin/remesas/devoluciones/{line}/asignar"),
            &[("csrf_token", &token), ("recibo", "NO-EXISTE")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("No hay ningún recibo con ese número.")
    );
    let response = app
        .post_form(
            &format!("/admin/remesas/devoluciones/{line}/asignar"),
            &[("csrf_token", &token), ("recibo", &second.1)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(state(second.0).1.as_deref(), Some("MS02"));

    // Lack of funds: the receipt goes in the next remittance again.
    let due: chrono::NaiveDate = receipts::table
        .find(third.0)
        .select(receipts::due_date)
        .first(&mut app.db.conn())
        .unwrap();
    let day = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    let preview = app
        .get(&format!(
            "/admin/remesas/nueva?vence_desde={}&vence_hasta={}&fecha_cargo={}&esquema=core",
            day(due),
            day(due),
            day(soriano::time::today() + Duration::days(20)),
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(preview.contains(&third.1), "{preview}");
    assert!(
        !preview.contains(&first.1),
        "a closed account does not go again"
    );

    // Not a bank's file: refused in Spanish, nothing read.
    let response = upload_bank_file(&app, "foto.pdf", b"%PDF-1.4 nada".to_vec()).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("id=\"fichero-error\"")
    );
    app.stop().await;
}

/// A Norma 43 statement (cuaderno 43, 80 columns, ISO-8859-1) with a return entry (concepto
/// común 14) whose reference is the receipt's EndToEndId and whose concept line gives the
/// reason.
fn norma43_return(end_to_end_id: &str, amount_cents: i64) -> Vec<u8> {
    norma43(&[(
        "14005",
        -amount_cents,
        "DEVOLUCION",
        end_to_end_id,
        "DEVOLUCION RECIBO SEPA AM04",
    )])
}

/// A Norma 43 statement of one account with `movements`: (common and own concept, signed
/// amount in cents, reference 1, reference 2, concept line).
fn norma43(movements: &[(&str, i64, &str, &str, &str)]) -> Vec<u8> {
    let today = soriano::time::today();
    let yymmdd = |d: chrono::NaiveDate| d.format("%y%m%d").to_string();
    let (start, end, operation) = (today - Duration::days(5), today, today - Duration::days(1));
    let opening = 100_000i64;
    let debits: Vec<i64> = movements.iter().filter(|m| m.1 < 0).map(|m| -m.1).collect();
    let credits: Vec<i64> = movements.iter().filter(|m| m.1 > 0).map(|m| m.1).collect();
    let closing = opening + credits.iter().sum::<i64>() - debits.iter().sum::<i64>();
    let mut lines = vec![format!(
        "11210004180200051332{}{}2{:014}9783{:<26}   ",
        yymmdd(start),
        yymmdd(end),
        opening,
        "CORREDURÍA SORIANO SL"
    )];
    for (concept, cents, reference1, reference2, text) in movements {
        lines.push(format!(
            "22    0418{}{}{concept}{}{:014}0000000001{:<12}{:<16}",
            yymmdd(operation),
            yymmdd(operation),
            if *cents < 0 { 1 } else { 2 },
            cents.abs(),
            reference1,
            reference2
        ));
        lines.push(format!("2301{:<38}{:<38}", text, ""));
    }
    lines.push(format!(
        "33210004180200051332{:05}{:014}{:05}{:014}2{:014}978    ",
        debits.len(),
        debits.iter().sum::<i64>(),
        credits.len(),
        credits.iter().sum::<i64>(),
        closing
    ));
    let count = lines.len();
    lines.push(format!("88{}{:06}{:54}", "9".repeat(18), count, ""));
    for line in &lines {
        assert_eq!(line.chars().count(), 80, "{line:?}");
    }
    let text = lines.join("\r\n") + "\r\n";
    encoding_rs::WINDOWS_1252.encode(&text).0.into_owned()
}

#[actix_web::test]
async fn a_return_in_a_norma_43_statement_returns_its_receipt() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let (id, end_to_end_id, amount): (i64, String, i64) = receipts::table
        .filter(receipts::status.eq("remesado"))
        .order(receipts::id)
        .select((
            receipts::id,
            receipts::end_to_end_id.assume_not_null(),
            receipts::amount_cents,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    let response =
        upload_bank_file(&app, "extracto.n43", norma43_return(&end_to_end_id, amount)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, code): (String, Option<String>) = receipts::table
        .find(id)
        .select((receipts::status, receipts::return_code))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        (status.as_str(), code.as_deref()),
        ("devuelto", Some("AM04"))
    );
    app.stop().await;
}

/// The credit of a remittance in the statement collects its receipts (the commission booked);
/// a credit naming it that does not add up waits for a person.
#[actix_web::test]
async fn a_remittances_credit_in_the_statement_collects_its_receipts() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let (reference, total): (String, i64) = sepa_remittances::table
        .select((sepa_remittances::reference, sepa_remittances::total_cents))
        .first(&mut app.db.conn())
        .unwrap();
    let remitted = || -> i64 {
        receipts::table
            .filter(receipts::status.eq("remesado"))
            .count()
            .get_result(&mut app.db.conn())
            .unwrap()
    };
    assert!(remitted() > 0);
    // A credit that does not add up waits; the right one collects every receipt.
    let text = format!("ABONO REMESA {reference}");
    let wrong = norma43(&[("02001", total - 1, "ABONO", "ADEUDOS SEPA", &text)]);
    let response = upload_bank_file(&app, "extracto-1.n43", wrong).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app
        .get("/admin/remesas/devoluciones")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Abono que no cuadra con la remesa"), "{page}");
    let before = remitted();
    let right = norma43(&[("02001", total, "ABONO", "ADEUDOS SEPA", &text)]);
    let response = upload_bank_file(&app, "extracto-2.n43", right).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(remitted(), 0, "{before} receipts collected");
    let collected: i64 = soriano::db::schema::bank_files::table
        .select(soriano::db::schema::bank_files::collected_count)
        .order(soriano::db::schema::bank_files::id.desc())
        .first::<i32>(&mut app.db.conn())
        .unwrap()
        .into();
    assert_eq!(collected, before);
    let booked: i64 = soriano::db::schema::commissions::table
        .inner_join(receipts::table)
        .filter(receipts::remittance_id.is_not_null())
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert!(
        booked > 0,
        "the commissions of the collected receipts booked"
    );
    app.stop().await;
}

/// id, status, IBAN, IP, text version, text of a mandate signed online.
type OnlineEvidence = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

fn form_token(html: &str) -> String {
    let re = regex::Regex::new(r#"name="token" value="([^"]+)""#).unwrap();
    re.captures(html).expect("form token")[1].to_owned()
}

/// A client signs their mandate in e-SORI: the box must be ticked, the account valid; the
/// mandate replaces the one in force, keeps the text they saw with the moment and address,
/// is audited and sent to them by e-mail; the form sent twice signs once; staff see the
/// evidence; without the CSRF token nothing is signed.
#[actix_web::test]
async fn a_client_signs_their_mandate_online_once_with_its_evidence() {
    use soriano::db::schema::client_users;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let mut conn = app.db.conn();
    let (email, customer): (String, i64) = client_users::table
        .filter(client_users::email.eq(soriano::seed::DEMO_CLIENT_EMAILS[0]))
        .select((client_users::email, client_users::customer_id))
        .first(&mut conn)
        .unwrap();
    let before: Option<i64> = sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer))
        .filter(sepa_mandates::status.eq("active"))
        .select(sepa_mandates::id)
        .first(&mut conn)
        .optional()
        .unwrap();
    let response =
        crate::portal_support::portal_sign_in(&app, &email, soriano::seed::DEMO_ADMIN_PASSWORD)
            .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get("/portal/domiciliacion").await.text().await.unwrap();
    assert!(page.contains("Identificador del acreedor"), "{page}");
    assert!(page.contains("ocho semanas"));
    let csrf = common::csrf_from_html(&page);
    let token = form_token(&page);

    // Box not ticked, account wrong: both said next to their field, the name kept.
    let response = app
        .post_form(
            "/portal/domiciliacion",
            &[
                ("csrf_token", csrf.as_str()),
                ("token", token.as_str()),
                ("titular", "Titular De Prueba"),
                ("iban", "ES00 1111"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Marque la casilla para autorizar los cargos"),
        "{page}"
    );
    assert!(page.contains(r#"id="iban-error""#), "{page}");
    assert!(page.contains(r#"value="Titular De Prueba""#));

    // Without the CSRF token: refused.
    let response = app
        .post_form(
            "/portal/domiciliacion",
            &[
                ("token", token.as_str()),
                ("titular", "Titular De Prueba"),
                ("iban", "ES91 2100 0418 4502 0005 1332"),
                ("acepto", "si"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let signed = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("titular", "Titular De Prueba"),
        ("iban", "ES91 2100 0418 4502 0005 1332"),
        ("acepto", "si"),
    ];
    let response = app.post_form("/portal/domiciliacion", &signed).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/portal/domiciliacion");
    let again = app.post_form("/portal/domiciliacion", &signed).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);

    let online: Vec<OnlineEvidence> = sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer))
        .filter(sepa_mandates::signed_online_at.is_not_null())
        .select((
            sepa_mandates::id,
            sepa_mandates::status,
            sepa_mandates::iban,
            sepa_mandates::signed_ip,
            sepa_mandates::signed_text_version,
            sepa_mandates::signed_text,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(online.len(), 1, "sent twice, signed once");
    let (id, status, iban, ip, version, text) = online[0].clone();
    assert_eq!(status, "active");
    assert_eq!(iban, "ES9121000418450200051332");
    assert!(ip.is_some_and(|ip| !ip.is_empty()));
    assert_eq!(version.as_deref(), Some("orden-sepa-core-v1"));
    let text = text.unwrap();
    assert!(text.contains("Titular De Prueba"));
    assert!(text.contains("ES91 2100 0418 4502 0005 1332"));
    assert!(text.contains("ocho semanas"));
    if let Some(old) = before {
        let status: String = sepa_mandates::table
            .find(old)
            .select(sepa_mandates::status)
            .first(&mut conn)
            .unwrap();
        assert_eq!(
            status, "revoked",
            "the new mandate replaces the one in force"
        );
    }
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("sepa.mandate_signed_online"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);
    let copies: Vec<String> = outbound_emails::table
        .filter(outbound_emails::kind.eq("client.mandate_signed"))
        .select(outbound_emails::to_address)
        .load(&mut conn)
        .unwrap();
    assert_eq!(copies, vec![email.clone()]);

    let page = app.get("/portal/domiciliacion").await.text().await.unwrap();
    assert!(page.contains("Su orden en vigor"), "{page}");
    assert!(page.contains("ES91 **** 1332"), "{page}");
    assert!(!page.contains("ES9121000418450200051332"));

    // Staff see the evidence on the customer's mandates.
    let (staff, status) = app
        .sign_in_elsewhere(
            soriano::seed::DEMO_ADMIN_EMAIL,
            soriano::seed::DEMO_ADMIN_PASSWORD,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let page = staff
        .get(app.url(&format!("/admin/clientes/{customer}/mandatos")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("firmado por el cliente en e-SORI"), "{page}");
    assert!(page.contains("Titular De Prueba"));
    app.stop().await;
}
