//! Taxi Asegurado: the quoter through HTTP, the request ("Lo quiero") and what it records,
//! the private quote link, and tariff versioning.

use crate::common;

use chrono::Datelike;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    domain_events, lead_consents, leads, outbound_emails, quote_options, quotes,
    taxi_tariff_versions,
};
use soriano::taxi::rating::{self, RawInput};
use soriano::taxi::requests::{self, price_all};
use soriano::taxi::tariffs;

const PASSWORD: &str = "una clave larga de prueba";

/// id, source, pre-contract version and time, demands and needs, risk, token hash.
type StoredQuote = (
    i64,
    String,
    Option<String>,
    Option<chrono::DateTime<chrono::Utc>>,
    serde_json::Value,
    serde_json::Value,
    Option<String>,
);

async fn spawn() -> TestApp {
    TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::taxi::taxi_tariffs(conn).unwrap();
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
        create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
    })
    .await
}

fn fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("anio", "2022"),
        ("valor", "28000"),
        ("plazas", "7"),
        ("combustible", "hybrid"),
        ("municipio", "Sevilla"),
        ("provincia", "41"),
        ("turno", "night"),
        ("aeropuerto", "1"),
        ("edad", "41"),
        ("carne", "20"),
        ("taxista", "6"),
        ("siniestros", "1"),
        ("cobertura", "comprehensive_excess"),
        ("ocupantes", "1"),
        ("retirada", "1"),
    ]
}

fn query(fields: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(fields).unwrap()
}

fn raw(fields: &[(&str, &str)]) -> RawInput {
    serde_urlencoded::from_str(&query(fields)).unwrap()
}

fn amounts(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"<span class="taxi-amount">([^<]+)</span>"#).unwrap();
    re.captures_iter(html).map(|c| c[1].to_owned()).collect()
}

#[actix_web::test]
async fn impossible_inputs_are_refused_next_to_their_fields() {
    let app = spawn().await;
    let mut bad = fields();
    bad.retain(|(k, _)| !matches!(*k, "anio" | "edad" | "valor"));
    bad.extend([("anio", "1950"), ("edad", "16"), ("valor", "-1")]);
    // Without JavaScript: the full page, 422, messages next to the fields, no price.
    let response = app.get(&format!("/taxi?{}&calcular=1", query(&bad))).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Un taxi matriculado en 1950 no puede trabajar"));
    assert!(html.contains("al menos 18 años"));
    assert!(html.contains("no puede ser negativo"));
    assert!(amounts(&html).is_empty());
    // The live partial: errors swapped out of band next to the fields, no price either.
    let html = app
        .get_htmx(&format!("/taxi/precios?{}", query(&bad)))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains(r#"id="err-anio""#) && html.contains("1950"));
    assert!(amounts(&html).is_empty());
    app.stop().await;
}

#[actix_web::test]
async fn http_prices_equal_the_engine_and_the_breakdown_adds_up() {
    let app = spawn().await;
    let html = app
        .get_htmx(&format!("/taxi/precios?{}", query(&fields())))
        .await
        .text()
        .await
        .unwrap();
    let mut conn = app.db.conn();
    let book = tariffs::published(&mut conn).unwrap();
    assert!(book.len() >= 3);
    let input = rating::validate(&raw(&fields()), soriano_today_year()).unwrap();
    let mut expected: Vec<i64> = price_all(&book, &input)
        .iter()
        .map(|p| {
            let sum: i64 = p.quote.lines.iter().map(|l| l.amount_cents).sum();
            assert_eq!(sum, p.quote.total_cents);
            p.quote.total_cents
        })
        .collect();
    expected.sort();
    let shown = amounts(&html);
    let expected_text: Vec<String> = expected
        .iter()
        .map(|c| soriano::money::format_cents(*c))
        .collect();
    assert_eq!(
        shown, expected_text,
        "sorted by price, as the engine computes"
    );
    assert!(html.contains("Precios orientativos"));
    assert!(html.contains("<details"));
    // Sorting by coverage puts the carriers that cover everything first.
    let by_cover = app
        .get_htmx(&format!(
            "/taxi/precios?{}&orden=cobertura",
            query(&fields())
        ))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(amounts(&by_cover).len(), expected.len());
    // The full page without JavaScript gives the same prices.
    let page = app
        .get(&format!("/taxi?{}&calcular=1", query(&fields())))
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(amounts(&page.text().await.unwrap()), expected_text);
    app.stop().await;
}

/// Euros as the page writes them ("1.234,56 €", "-12,00 €") back to cents.
fn cents(text: &str) -> i64 {
    let digits: String = text
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    digits.parse().unwrap()
}

#[actix_web::test]
async fn a_breakdown_opened_from_the_live_prices_is_the_engines_and_adds_up() {
    let app = spawn().await;
    let q = query(&fields());
    let live = app
        .get_htmx(&format!("/taxi/precios?{q}"))
        .await
        .text()
        .await
        .unwrap();
    // The live answer carries prices, not tables: each breakdown is fetched when opened.
    assert!(!live.contains("<table"), "{live}");
    assert!(live.contains("hx-get=\"/taxi/desglose?"));
    let mut conn = app.db.conn();
    let book = tariffs::published(&mut conn).unwrap();
    let input = rating::validate(&raw(&fields()), soriano_today_year()).unwrap();
    let row = regex::Regex::new(r#"<td class="num">([^<]+)</td>"#).unwrap();
    for price in price_all(&book, &input) {
        assert!(live.contains(&format!("compania={}", price.carrier_id)));
        let response = app
            .get_htmx(&format!("/taxi/desglose?{q}&compania={}", price.carrier_id))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        let lines: Vec<i64> = row.captures_iter(&html).map(|c| cents(&c[1])).collect();
        assert_eq!(lines.len(), price.quote.lines.len(), "{html}");
        assert_eq!(lines.iter().sum::<i64>(), price.quote.total_cents);
        assert!(html.contains("Prima base") && html.contains("Total anual"));
        assert!(html.contains(&soriano::money::format_cents(price.quote.total_cents)));
    }
    // The page without JavaScript keeps the tables inline.
    let page = app.get(&format!("/taxi?{q}&calcular=1")).await;
    let page = page.text().await.unwrap();
    assert_eq!(page.matches("<table").count(), book.len());
    // An unknown carrier or an invalid input gives no breakdown.
    assert_eq!(
        app.get_htmx(&format!("/taxi/desglose?{q}&compania=999999"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let mut bad = fields();
    bad.retain(|(k, _)| *k != "edad");
    bad.push(("edad", "16"));
    let carrier = book[0].carrier_id;
    assert_eq!(
        app.get_htmx(&format!(
            "/taxi/desglose?{}&compania={carrier}",
            query(&bad)
        ))
        .await
        .status(),
        StatusCode::BAD_REQUEST
    );
    app.stop().await;
}

fn soriano_today_year() -> i32 {
    chrono::Utc::now()
        .with_timezone(&soriano::time::ZONE)
        .date_naive()
        .year()
}

fn applicant() -> Vec<(&'static str, &'static str)> {
    vec![
        ("nombre", "Rosa Taxista Pérez"),
        ("dni", "12345678Z"),
        ("telefono", "600 123 456"),
        ("email", "Rosa@Example.es"),
        ("matricula", "1234 BCD"),
        ("licencia", "LIC-0457"),
        ("privacidad", "1"),
    ]
}

/// Opens the request page and returns (csrf, form token, shown-at) from it.
async fn request_page(app: &TestApp, carrier: i64) -> (String, String, String) {
    let response = app
        .get(&format!(
            "/taxi/solicitar?{}&compania={carrier}",
            query(&fields())
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Información previa a la contratación"));
    assert!(html.contains(requests::PRECONTRACT_VERSION));
    assert!(
        html.contains("J0000"),
        "the broker's registry key from config"
    );
    let value = |name: &str| {
        let re = regex::Regex::new(&format!(r#"name="{name}" value="([^"]*)""#)).unwrap();
        re.captures(&html).unwrap()[1].to_owned()
    };
    (value("csrf_token"), value("token"), value("mostrado"))
}

#[actix_web::test]
async fn a_request_records_lead_quote_options_consent_events_and_email_once() {
    let app = spawn().await;
    let carrier: i64 = {
        let mut conn = app.db.conn();
        tariffs::published(&mut conn).unwrap()[1].carrier_id
    };
    let (csrf, token, shown) = request_page(&app, carrier).await;

    // Errors first: values kept, 422, nothing written.
    let mut bad: Vec<(&str, &str)> = fields();
    bad.extend(applicant().into_iter().filter(|(k, _)| *k != "privacidad"));
    bad.retain(|(k, _)| *k != "dni");
    bad.push(("dni", "12345678A"));
    let carrier_text = carrier.to_string();
    let common = [
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("mostrado", shown.as_str()),
        ("compania", carrier_text.as_str()),
    ];
    bad.extend(common);
    let response = app.post_form("/taxi/solicitar", &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("La letra del DNI no corresponde"));
    assert!(html.contains("acepte la política de privacidad"));
    assert!(html.contains("Rosa Taxista Pérez"));

    let mut good: Vec<(&str, &str)> = fields();
    good.extend(applicant());
    good.extend(common);
    let response = app.post_form("/taxi/solicitar", &good).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/taxi/presupuesto/"));
    // Submitting the same form again creates nothing more.
    let again = app.post_form("/taxi/solicitar", &good).await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.text().await.unwrap().contains("Ya habíamos recibido"));

    let mut conn = app.db.conn();
    let lead: (i64, String, Option<String>, Option<String>, Option<String>) = leads::table
        .select((
            leads::id,
            leads::source,
            leads::email,
            leads::phone,
            leads::tax_id,
        ))
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(lead.1, "taxi");
    assert_eq!(lead.2.as_deref(), Some("rosa@example.es"));
    assert_eq!(lead.3.as_deref(), Some("600123456"));
    assert_eq!(lead.4.as_deref(), Some("12345678Z"));
    let consents: Vec<(String, bool, String)> = lead_consents::table
        .filter(lead_consents::lead_id.eq(lead.0))
        .select((
            lead_consents::purpose,
            lead_consents::granted,
            lead_consents::text_version,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        consents,
        vec![(
            "privacy".to_owned(),
            true,
            requests::PRIVACY_VERSION.to_owned()
        )]
    );
    let (quote_id, source, version, shown_at, demands, risk, hash): StoredQuote = quotes::table
        .select((
            quotes::id,
            quotes::source,
            quotes::precontract_text_version,
            quotes::precontract_shown_at,
            quotes::demands_and_needs,
            quotes::risk,
            quotes::public_token_hash,
        ))
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(source, "taxi");
    assert_eq!(version.as_deref(), Some(requests::PRECONTRACT_VERSION));
    assert!(shown_at.is_some());
    // The distribution record: the driver's answers, the recommendation, the text on screen.
    let record = soriano::distribution::records::of_quote(&mut conn, quote_id)
        .unwrap()
        .expect("the taxi quote carries its record");
    assert!(record.is_complete(), "{:?}", record.missing());
    assert_eq!(
        record.precontract.as_ref().map(|d| d.channel),
        Some(soriano::distribution::Channel::Web)
    );
    assert!(record.advice_basis.starts_with("Comparadas"));
    // The privacy consent keeps the words of the box the driver ticked.
    let words: String = soriano::db::schema::lead_consents::table
        .inner_join(
            soriano::db::schema::legal_texts::table.on(soriano::db::schema::legal_texts::id
                .nullable()
                .eq(soriano::db::schema::lead_consents::text_id)),
        )
        .select(soriano::db::schema::legal_texts::body)
        .first(&mut conn)
        .unwrap();
    assert_eq!(words, requests::PRIVACY_TEXT);
    assert_eq!(demands["coverage_level"], "comprehensive_excess");
    assert_eq!(
        demands["options"],
        serde_json::json!(["occupants", "licence_withdrawal"])
    );
    assert_eq!(demands["use"]["shift"], "night");
    assert_eq!(demands["preferred_carrier_id"], carrier);
    assert_eq!(risk["kind"], "taxi");
    assert_eq!(risk["plate"], "1234 BCD");
    assert_eq!(risk["coverage"], "comprehensive_excess");
    assert_eq!(
        risk["options"],
        serde_json::json!(["occupants", "licence_withdrawal"])
    );
    let token = location
        .trim_start_matches("/taxi/presupuesto/")
        .split('?')
        .next()
        .unwrap();
    assert_eq!(
        hash.as_deref(),
        Some(soriano::util::sha256_hex(token.as_bytes()).as_str())
    );

    let options: Vec<(i64, i64, Option<i64>, bool, serde_json::Value, i32)> = quote_options::table
        .filter(quote_options::quote_id.eq(quote_id))
        .order(quote_options::position.asc())
        .select((
            quote_options::carrier_id,
            quote_options::total_premium_cents,
            quote_options::tariff_version_id,
            quote_options::fits_demands,
            quote_options::breakdown,
            quote_options::position,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(options.len(), 3);
    assert_eq!(options[0].0, carrier, "the chosen carrier first");
    for (_, total, version, _, breakdown, _) in &options {
        assert!(version.is_some());
        let sum: i64 = breakdown["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["amount_cents"].as_i64().unwrap())
            .sum();
        assert_eq!(sum, *total);
        assert_eq!(breakdown["total_cents"].as_i64(), Some(*total));
    }
    // AXA's illustrative tariff has no licence-withdrawal cover.
    assert!(options.iter().any(|o| !o.3) && options.iter().any(|o| o.3));

    let events: Vec<String> = domain_events::table
        .order(domain_events::id.asc())
        .select(domain_events::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(events, vec!["lead.created", "quote.created"]);
    let emails: Vec<(String, String)> = outbound_emails::table
        .select((outbound_emails::to_address, outbound_emails::body_text))
        .load(&mut conn)
        .unwrap();
    assert_eq!(emails.len(), 1);
    assert_eq!(emails[0].0, "rosa@example.es");
    assert!(emails[0].1.contains(&format!("/taxi/presupuesto/{token}")));

    // The link works, then expires.
    let page = app.get(&location).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Solicitud recibida"));
    assert!(html.contains("Válido hasta el"));
    assert_eq!(amounts(&html).len(), 3);
    assert!(html.contains("<details"));
    assert_eq!(
        app.get("/taxi/presupuesto/no-existe-este-token-de-prueba-123")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    diesel::update(quotes::table.find(quote_id))
        .set(quotes::public_token_expires_at.eq(chrono::Utc::now() - chrono::Duration::minutes(1)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(app.get(&location).await.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}

#[actix_web::test]
async fn publishing_a_new_tariff_version_leaves_stored_quotes_alone() {
    let app = spawn().await;
    let carrier: i64 = {
        let mut conn = app.db.conn();
        tariffs::published(&mut conn).unwrap()[0].carrier_id
    };
    let (csrf, token, shown) = request_page(&app, carrier).await;
    let mut good: Vec<(&str, &str)> = fields();
    good.extend(applicant());
    good.extend([
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("mostrado", shown.as_str()),
    ]);
    let response = app.post_form("/taxi/solicitar", &good).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let mut conn = app.db.conn();
    let before: Vec<(i64, Option<i64>, serde_json::Value)> = quote_options::table
        .order(quote_options::id.asc())
        .select((
            quote_options::total_premium_cents,
            quote_options::tariff_version_id,
            quote_options::breakdown,
        ))
        .load(&mut conn)
        .unwrap();
    let page_before = amounts(&app.get(&location).await.text().await.unwrap());

    // Staff double the base premiums of the carrier and publish through the back-office.
    app.sign_in("admin@soriano.es", PASSWORD).await;
    let csrf = app.csrf_token("/admin/tarifas").await;
    let response = app
        .post_form(
            &format!("/admin/tarifas/companias/{carrier}/borrador"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let draft_path = response.headers()["location"].to_str().unwrap().to_owned();
    let draft_id: i64 = draft_path.rsplit('/').next().unwrap().parse().unwrap();
    let version = tariffs::version(&mut conn, draft_id).unwrap();
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone())];
    for (name, value) in soriano::backoffice::tariff_form_fields(&version.tariff) {
        let value = if name.starts_with("base_") {
            let cents = soriano::money::parse_cents(&value).unwrap() * 2;
            soriano::money::cents_for_input(cents)
        } else {
            value
        };
        form.push((name, value));
    }
    form.push(("notas".into(), "Subida de prueba".into()));
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let saved = app
        .post_form(&format!("/admin/tarifas/{draft_id}"), &form_ref)
        .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let published = app
        .post_form(
            &format!("/admin/tarifas/{draft_id}/publicar"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    let statuses: Vec<String> = taxi_tariff_versions::table
        .filter(taxi_tariff_versions::carrier_id.eq(carrier))
        .order(taxi_tariff_versions::version.asc())
        .select(taxi_tariff_versions::status)
        .load(&mut conn)
        .unwrap();
    assert_eq!(statuses, vec!["retired", "published"]);

    // New prices use the new version...
    let book = tariffs::published(&mut conn).unwrap();
    let new = book.iter().find(|t| t.carrier_id == carrier).unwrap();
    assert_eq!(new.version_id, draft_id);
    // ...the stored quote does not change.
    let after: Vec<(i64, Option<i64>, serde_json::Value)> = quote_options::table
        .order(quote_options::id.asc())
        .select((
            quote_options::total_premium_cents,
            quote_options::tariff_version_id,
            quote_options::breakdown,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(
        page_before,
        amounts(&app.get(&location).await.text().await.unwrap())
    );
    let fresh = app
        .get_htmx(&format!("/taxi/precios?{}", query(&fields())))
        .await
        .text()
        .await
        .unwrap();
    assert_ne!(
        amounts(&fresh),
        page_before,
        "the quoter prices with the new version at once"
    );
    app.stop().await;
}

#[actix_web::test]
async fn the_taxi_panel_counts_requests_for_portfolio_staff() {
    let app = spawn().await;
    let (csrf, token, shown) = request_page(&app, 0).await;
    let mut good: Vec<(&str, &str)> = fields();
    good.extend(applicant());
    good.extend([
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("mostrado", shown.as_str()),
    ]);
    assert_eq!(
        app.post_form("/taxi/solicitar", &good).await.status(),
        StatusCode::SEE_OTHER
    );
    app.sign_in("agente@soriano.es", PASSWORD).await;
    let response = app.get("/admin/taxi").await;
    assert_eq!(response.status(), StatusCode::OK);
    let html = response.text().await.unwrap();
    assert!(html.contains("Solicitudes de hoy"));
    assert!(html.contains("/admin/presupuestos/"));
    assert_eq!(
        app.get("/admin/tarifas").await.status(),
        StatusCode::FORBIDDEN
    );
    app.stop().await;
}

#[actix_web::test]
async fn tariff_forms_are_validated_in_spanish_and_audited() {
    let app = spawn().await;
    let carrier: i64 = {
        let mut conn = app.db.conn();
        tariffs::published(&mut conn).unwrap()[0].carrier_id
    };
    app.sign_in("admin@soriano.es", PASSWORD).await;
    let list = app.get("/admin/tarifas").await.text().await.unwrap();
    assert!(list.contains("ilustrativas"));
    let csrf = common::csrf_from_html(&list);
    let response = app
        .post_form(
            &format!("/admin/tarifas/companias/{carrier}/borrador"),
            &[("csrf_token", &csrf)],
        )
        .await;
    let draft_path = response.headers()["location"].to_str().unwrap().to_owned();
    // A second "new draft" opens the same draft.
    let again = app
        .post_form(
            &format!("/admin/tarifas/companias/{carrier}/borrador"),
            &[("csrf_token", &csrf)],
        )
        .await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), draft_path);
    let draft_id: i64 = draft_path.rsplit('/').next().unwrap().parse().unwrap();
    let mut conn = app.db.conn();
    let version = tariffs::version(&mut conn, draft_id).unwrap();
    let mut form: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone())];
    for (name, value) in soriano::backoffice::tariff_form_fields(&version.tariff) {
        let value = match name.as_str() {
            "f_driver_age_0" => "9,5".to_owned(),
            "f_claims_2" => "1,000".to_owned(),
            "ips" => "abc".to_owned(),
            "base_third_party" => "-5".to_owned(),
            _ => value,
        };
        form.push((name, value));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let response = app
        .post_form(&format!("/admin/tarifas/{draft_id}"), &form_ref)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains("Escriba el porcentaje"), "ips");
    assert!(html.contains(r#"value="9,5""#), "values kept");
    // Range and monotonicity problems show once the numbers read.
    let mut form2 = form.clone();
    for (name, value) in form2.iter_mut() {
        match name.as_str() {
            "ips" => *value = "8,00".into(),
            "base_third_party" => *value = "980,00".into(),
            _ => {}
        }
    }
    let form_ref: Vec<(&str, &str)> = form2
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let html = app
        .post_form(&format!("/admin/tarifas/{draft_id}"), &form_ref)
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("entre 0,300 y 5,000"));
    assert!(html.contains("Más siniestros no pueden dar un coeficiente menor"));
    let unchanged = tariffs::version(&mut conn, draft_id).unwrap();
    assert_eq!(unchanged.tariff, version.tariff);

    use soriano::db::schema::audit_log;
    let actions: Vec<String> = audit_log::table
        .filter(audit_log::action.like("taxi_tariff.%"))
        .select(audit_log::action)
        .load(&mut conn)
        .unwrap();
    assert_eq!(actions, vec!["taxi_tariff.draft_created"]);
    app.stop().await;
}

/// Sends a complete "Lo quiero" for `carrier` and returns the quote's id.
async fn request_quote(app: &TestApp, carrier: i64) -> i64 {
    let (csrf, token, shown) = request_page(app, carrier).await;
    let carrier_text = carrier.to_string();
    let mut good: Vec<(&str, &str)> = fields();
    good.extend(applicant());
    good.extend([
        ("csrf_token", csrf.as_str()),
        ("token", token.as_str()),
        ("mostrado", shown.as_str()),
        ("compania", carrier_text.as_str()),
    ]);
    let response = app.post_form("/taxi/solicitar", &good).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    quotes::table
        .order(quotes::id.desc())
        .select(quotes::id)
        .first(&mut conn)
        .unwrap()
}

/// What the taxi of `fields()` and `applicant()` reads like in Spanish, on any page.
fn assert_shows_the_taxi(html: &str) {
    for shown in [
        "1234 BCD",
        "2022",
        "7 plazas (con el conductor)",
        "Híbrido",
        "28.000,00 €",
        "N.º LIC-0457",
        "Sevilla (Sevilla)",
        "41 años",
        "Todo riesgo con franquicia",
        "Accidentes de ocupantes, Retirada de carné",
    ] {
        assert!(html.contains(shown), "{shown} missing");
    }
    for code in [
        ">hybrid<",
        "comprehensive_excess",
        "2800000",
        "licence_withdrawal",
    ] {
        assert!(!html.contains(code), "{code} shown");
    }
    assert!(!html.contains("Sin datos del riesgo"));
}

#[actix_web::test]
async fn a_taxi_request_accepted_becomes_a_policy_with_its_taxi_and_receipts() {
    let app = spawn().await;
    let carrier: i64 = {
        let mut conn = app.db.conn();
        tariffs::published(&mut conn).unwrap()[1].carrier_id
    };
    let quote_id = request_quote(&app, carrier).await;
    let mut conn = app.db.conn();
    let (chosen, quote_risk): (Option<i64>, serde_json::Value) = quotes::table
        .find(quote_id)
        .select((quotes::chosen_option_id, quotes::risk))
        .first(&mut conn)
        .unwrap();
    let chosen = chosen.expect("the carrier of 'Lo quiero' is the chosen option");
    let (chosen_carrier, total): (i64, i64) = quote_options::table
        .find(chosen)
        .select((
            quote_options::carrier_id,
            quote_options::total_premium_cents,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(chosen_carrier, carrier);

    assert_eq!(
        app.sign_in("admin@soriano.es", PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    let page = app
        .get(&format!("/admin/presupuestos/{quote_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_shows_the_taxi(&page);
    // The accept form comes filled from the request: the chosen option, the DNI, the name.
    assert!(page.contains(&format!(r#"<option value="{chosen}" selected>"#)));
    assert!(page.contains(r#"value="12345678Z""#));
    assert!(page.contains(r#"value="Taxista Pérez""#));

    let csrf = common::csrf_from_html(&page);
    let today = soriano::policies::today().to_string();
    let chosen_text = chosen.to_string();
    let response = app
        .post_form(
            &format!("/admin/presupuestos/{quote_id}/aceptar"),
            &[
                ("csrf_token", csrf.as_str()),
                ("opcion", chosen_text.as_str()),
                ("numero", "TX-2026-0001"),
                ("efecto", today.as_str()),
                ("forma_pago", "quarterly"),
                ("tipo", "person"),
                ("nombre", "Rosa"),
                ("apellidos", "Taxista Pérez"),
                ("nif", "12345678Z"),
                ("email", "rosa@example.es"),
                ("telefono", "600123456"),
                ("consentimiento_privacidad", "si"),
            ],
        )
        .await;
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned())
        .unwrap_or_default();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap()
    );
    let policy_id: i64 = location
        .trim_start_matches("/admin/polizas/")
        .parse()
        .unwrap();

    use soriano::db::schema::{policies, receipts};
    let (policy_risk, policy_total, policy_carrier): (serde_json::Value, i64, i64) =
        policies::table
            .find(policy_id)
            .select((
                policies::risk,
                policies::total_premium_cents,
                policies::carrier_id,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!((policy_total, policy_carrier), (total, carrier));
    assert_eq!(policy_risk["kind"], "taxi");
    assert_eq!(policy_risk["licence_number"], "LIC-0457");
    let as_risk = |json: serde_json::Value| -> soriano::policies::Risk {
        serde_json::from_value(json).unwrap()
    };
    assert_eq!(
        as_risk(policy_risk),
        as_risk(quote_risk),
        "the policy insures the quote's taxi, unchanged"
    );
    let amounts: Vec<i64> = receipts::table
        .filter(receipts::policy_id.eq(policy_id))
        .select(receipts::amount_cents)
        .load(&mut conn)
        .unwrap();
    assert_eq!(amounts.len(), 4, "quarterly: four receipts");
    assert_eq!(amounts.iter().sum::<i64>(), total);

    let page = app.get(&location).await.text().await.unwrap();
    assert_shows_the_taxi(&page);
    assert!(page.contains("TX-2026-0001"));
}

#[actix_web::test]
async fn the_migration_rewrites_taxi_risks_stored_in_the_first_shape() {
    use diesel::connection::SimpleConnection;
    let app = spawn().await;
    let carrier: i64 = {
        let mut conn = app.db.conn();
        tariffs::published(&mut conn).unwrap()[0].carrier_id
    };
    let quote_id = request_quote(&app, carrier).await;
    let mut conn = app.db.conn();
    let current: serde_json::Value = quotes::table
        .find(quote_id)
        .select(quotes::risk)
        .first(&mut conn)
        .unwrap();
    // The shape the quoter wrote before the taxi was a risk of its own.
    let mut first = current.clone();
    for key in ["make", "model", "coverage", "options"] {
        first.as_object_mut().unwrap().remove(key);
    }
    first["plate"] = "1234BCD".into();
    first["licence_province"] = "41".into();
    diesel::update(quotes::table.find(quote_id))
        .set(quotes::risk.eq(&first))
        .execute(&mut conn)
        .unwrap();

    conn.batch_execute(include_str!(
        "../../migrations/2026-12-03-000240_taxi_risk/up.sql"
    ))
    .unwrap();
    let migrated: serde_json::Value = quotes::table
        .find(quote_id)
        .select(quotes::risk)
        .first(&mut conn)
        .unwrap();
    assert_eq!(migrated, current, "the first shape becomes the current one");

    app.sign_in("admin@soriano.es", PASSWORD).await;
    let page = app
        .get(&format!("/admin/presupuestos/{quote_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert_shows_the_taxi(&page);
}

#[actix_web::test]
async fn the_policy_form_takes_a_taxi_and_says_what_is_wrong_in_spanish() {
    use soriano::db::schema::{customers, lines_of_business, policies, products};
    let app = spawn().await;
    let mut conn = app.db.conn();
    let customer: i64 = diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq("12345678Z"),
            customers::given_name.eq("Lucía"),
            customers::family_name.eq("García Pérez"),
            customers::display_name.eq("García Pérez, Lucía"),
        ))
        .returning(customers::id)
        .get_result(&mut conn)
        .unwrap();
    let (product, carrier): (i64, i64) = products::table
        .inner_join(lines_of_business::table)
        .filter(lines_of_business::code.eq("taxi"))
        .select((products::id, products::carrier_id))
        .first(&mut conn)
        .unwrap();
    app.sign_in("admin@soriano.es", PASSWORD).await;

    // Choosing a taxi product shows the taxi's fields, not a car's.
    let page = app
        .get(&format!("/admin/polizas/nueva?producto={product}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<fieldset id="riesgo-taxi">"#));
    assert!(page.contains(r#"<fieldset id="riesgo-vehiculo" hidden>"#));
    assert!(page.contains("Todo riesgo con franquicia"));
    let csrf = common::csrf_from_html(&page);

    let (customer, product, carrier) = (
        customer.to_string(),
        product.to_string(),
        carrier.to_string(),
    );
    let today = soriano::policies::today().to_string();
    let mut form: Vec<(&str, &str)> = vec![
        ("csrf_token", csrf.as_str()),
        (
            "motivo_sin_presupuesto",
            "Traspaso de la póliza desde otro mediador",
        ),
        ("cliente", customer.as_str()),
        ("compania", carrier.as_str()),
        ("producto", product.as_str()),
        ("numero", "TX-77"),
        ("efecto", today.as_str()),
        ("prima_neta", "1.800"),
        ("prima_total", "1.950"),
        ("forma_pago", "semiannual"),
        ("taxi_matricula", "1234 BAD"),
        ("taxi_marca", "Toyota"),
        ("taxi_modelo", "Corolla"),
        ("taxi_anio", "2021"),
        ("taxi_plazas", "5"),
        ("taxi_combustible", "electric"),
        ("taxi_valor", "-5"),
        ("taxi_licencia", "GET-0099"),
        ("taxi_municipio", "Getafe"),
        ("taxi_provincia", "28"),
        ("taxi_edad", "16"),
        ("taxi_carne", "10"),
        ("taxi_taxista", "3"),
        ("taxi_siniestros", "0"),
        ("taxi_cobertura", "third_party_extended"),
        ("taxi_defensa", "si"),
    ];
    let response = app.post_form("/admin/polizas", &form).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await.unwrap();
    assert!(html.contains(r#"id="taxi_matricula-error""#));
    assert!(html.contains("El valor del vehículo no puede ser negativo."));
    assert!(html.contains(r#"id="taxi_edad-error""#));
    for kept in [
        r#"value="Getafe""#,
        r#"value="Toyota""#,
        r#"value="1234 BAD""#,
        r#"<option value="electric" selected>"#,
        r#"<option value="28" selected>"#,
        r#"name="taxi_defensa" value="si" checked"#,
    ] {
        assert!(html.contains(kept), "{kept} not kept");
    }
    let count: i64 = policies::table.count().get_result(&mut conn).unwrap();
    assert_eq!(count, 0, "nothing written");

    for (field, value) in [
        ("taxi_matricula", "1234 BCD"),
        ("taxi_valor", "31.500"),
        ("taxi_edad", "40"),
    ] {
        form.retain(|(k, _)| *k != field);
        form.push((field, value));
    }
    let response = app.post_form("/admin/polizas", &form).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let risk: serde_json::Value = policies::table
        .select(policies::risk)
        .first(&mut conn)
        .unwrap();
    assert_eq!(risk["kind"], "taxi");
    assert_eq!(risk["make"], "Toyota");
    assert_eq!(risk["vehicle_value_cents"], 3_150_000);
    assert_eq!(risk["zone"], 2, "Getafe is in Madrid's metropolitan zone");
    assert_eq!(risk["coverage"], "third_party_extended");
    assert_eq!(risk["options"], serde_json::json!(["legal_defence"]));
}
