//! Customers in the back-office: create with validation and duplicates, edit with audit,
//! list with search, filters and pagination, scope of agents, consents, interactions, merge.

use crate::common;

use common::{TestApp, create_staff};
use diesel::PgConnection;
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, customer_consents, customers, interactions, policies};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";

async fn app_signed_in_as_admin() -> TestApp {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    assert_eq!(
        app.sign_in(ADMIN, PASSWORD).await.status(),
        StatusCode::SEE_OTHER
    );
    app
}

fn person<'a>(given: &'a str, family: &'a str, tax_id: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("tipo", "person"),
        ("nombre", given),
        ("apellidos", family),
        ("nif", tax_id),
        ("segmento", "individual"),
    ]
}

async fn post(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let token = app.csrf_token("/admin/clientes/nuevo").await;
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    app.post_form(path, &all).await
}

async fn create(app: &TestApp, fields: &[(&str, &str)]) -> reqwest::Response {
    post(app, "/admin/clientes", fields).await
}

fn id_from_location(response: &reqwest::Response) -> i64 {
    let location = response.headers()["location"].to_str().unwrap();
    location
        .trim_start_matches("/admin/clientes/")
        .parse()
        .unwrap()
}

fn customer_count(app: &TestApp) -> i64 {
    customers::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap()
}

#[allow(clippy::type_complexity)]
#[actix_web::test]
async fn creating_a_person_stores_normalised_data_consents_and_an_audit_entry() {
    let app = app_signed_in_as_admin().await;
    let mut fields = person("Ana", "García López", "12.345.678-z");
    fields.extend([
        ("email", "Ana.Garcia@Ejemplo.ES"),
        ("telefono", "+34 600 12 34 56"),
        ("codigo_postal", "28001"),
        ("localidad", "Madrid"),
        ("iban", "es91 2100 0418 4502 0005 1332"),
        ("etiquetas", "VIP, taxi"),
        ("consentimiento_privacidad", "si"),
    ]);
    let response = create(&app, &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = id_from_location(&response);
    let mut conn = app.db.conn();
    let (name, tax_id, email, phone, province, iban, tags): (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<String>,
    ) = customers::table
        .find(id)
        .select((
            customers::display_name,
            customers::tax_id,
            customers::email,
            customers::phone,
            customers::province,
            customers::iban,
            customers::tags,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(name, "García López, Ana");
    assert_eq!(tax_id, "12345678Z");
    assert_eq!(email.as_deref(), Some("ana.garcia@ejemplo.es"));
    assert_eq!(phone.as_deref(), Some("600123456"));
    assert_eq!(province.as_deref(), Some("Madrid"));
    assert_eq!(iban.as_deref(), Some("ES9121000418450200051332"));
    assert_eq!(tags, vec!["vip", "taxi"]);
    let consents: Vec<(String, bool, String, String)> = customer_consents::table
        .filter(customer_consents::customer_id.eq(id))
        .order(customer_consents::purpose)
        .select((
            customer_consents::purpose,
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
                "marketing".into(),
                false,
                soriano::customers::CONSENT_TEXT_VERSION.into(),
                "back-office".into()
            ),
            (
                "privacy".into(),
                true,
                soriano::customers::CONSENT_TEXT_VERSION.into(),
                "back-office".into()
            ),
        ]
    );
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("customer.created"))
        .filter(audit_log::target_type.eq("customer"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 1);
    let page = app
        .get(&format!("/admin/clientes/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("García López, Ana"));
    assert!(page.contains("ES91 2100 0418 4502 0005 1332"));
    app.stop().await;
}

#[actix_web::test]
async fn each_invalid_field_is_refused_with_its_message_and_nothing_is_written() {
    let app = app_signed_in_as_admin().await;
    let cases: &[(&str, &str, &str, &str)] = &[
        (
            "nif",
            "12345678A",
            "La letra del DNI no corresponde",
            "DNI control letter",
        ),
        ("nif", "X1234567A", "La letra del NIE no corresponde", "NIE"),
        (
            "iban",
            "ES9221000418450200051332",
            "control del IBAN",
            "IBAN",
        ),
        ("telefono", "512345678", "empieza por 6 o 7", "phone"),
        ("codigo_postal", "53001", "ninguna provincia", "postcode"),
        ("nombre", "", "Escriba el nombre", "missing given name"),
        (
            "apellidos",
            "",
            "Escriba los apellidos",
            "missing family name",
        ),
    ];
    for (field, value, message, what) in cases {
        let mut fields: Vec<(&str, &str)> = person("Luis", "Pérez Ruiz", "87654321X")
            .into_iter()
            .filter(|(name, _)| name != field)
            .collect();
        fields.push((field, value));
        fields.push(("localidad", "Ciudad Conservada"));
        let response = create(&app, &fields).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{what}"
        );
        let body = response.text().await.unwrap();
        let error_id = format!("id=\"{field}-error\"");
        let at = body
            .find(&error_id)
            .unwrap_or_else(|| panic!("{what}: no error next to {field}"));
        assert!(body[at..].contains(message), "{what}: {message}");
        assert!(
            body.contains("value=\"Ciudad Conservada\""),
            "{what}: values kept"
        );
    }
    // A company with a bad CIF.
    let response = create(
        &app,
        &[
            ("tipo", "company"),
            ("razon_social", "Talleres Paco SL"),
            ("nif", "B12345675"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("control del CIF"));
    assert_eq!(customer_count(&app), 0);
    app.stop().await;
}

#[actix_web::test]
async fn a_duplicate_tax_id_is_refused_with_a_link_and_submitting_twice_creates_one_customer() {
    let app = app_signed_in_as_admin().await;
    let fields = person("Ana", "García López", "12345678Z");
    let first = create(&app, &fields).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let id = id_from_location(&first);
    let second = create(&app, &fields).await;
    assert_eq!(second.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = second.text().await.unwrap();
    assert!(body.contains("Ya existe un cliente con este DNI"));
    assert!(body.contains(&format!("href=\"/admin/clientes/{id}\"")));
    // Another spelling of the same DNI is the same DNI.
    let third = create(&app, &person("Otra", "Persona", "12345678-z")).await;
    assert_eq!(third.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(customer_count(&app), 1);
    app.stop().await;
}

#[actix_web::test]
async fn a_shared_email_or_phone_warns_until_confirmed() {
    let app = app_signed_in_as_admin().await;
    let mut first = person("Ana", "García López", "12345678Z");
    first.extend([("email", "familia@ejemplo.es"), ("telefono", "600123456")]);
    assert_eq!(create(&app, &first).await.status(), StatusCode::SEE_OTHER);

    let mut by_email = person("Pedro", "García López", "87654321X");
    by_email.push(("email", "Familia@ejemplo.es"));
    let response = create(&app, &by_email).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Puede que este cliente ya exista"));
    assert!(body.contains("mismo correo electrónico"));
    assert!(body.contains("Crear de todos modos"));

    let mut by_phone = person("Pedro", "García López", "87654321X");
    by_phone.push(("telefono", "600 12 34 56"));
    let response = create(&app, &by_phone).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(response.text().await.unwrap().contains("mismo teléfono"));
    assert_eq!(customer_count(&app), 1);

    by_email.push(("confirmar_duplicado", "si"));
    assert_eq!(
        create(&app, &by_email).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(customer_count(&app), 2);
    app.stop().await;
}

#[actix_web::test]
async fn editing_audits_the_changed_fields_before_and_after() {
    let app = app_signed_in_as_admin().await;
    let mut fields = person("Ana", "García López", "12345678Z");
    fields.push(("telefono", "600123456"));
    let id = id_from_location(&create(&app, &fields).await);
    let form = app.get(&format!("/admin/clientes/{id}/editar")).await;
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.text()
            .await
            .unwrap()
            .contains("value=\"García López\"")
    );

    let mut edited = person("Ana", "García López", "12345678Z");
    edited.extend([("telefono", "911234567"), ("localidad", "Alcalá")]);
    let bad = {
        let mut bad = edited.clone();
        bad.push(("iban", "ES00"));
        post(&app, &format!("/admin/clientes/{id}"), &bad).await
    };
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = post(&app, &format!("/admin/clientes/{id}"), &edited).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let details: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("customer.updated"))
        .filter(audit_log::target_id.eq(id))
        .select(audit_log::details)
        .first(&mut conn)
        .unwrap();
    assert_eq!(details["telefono"]["before"], "600123456");
    assert_eq!(details["telefono"]["after"], "911234567");
    assert_eq!(details["localidad"]["after"], "Alcalá");
    assert!(
        details.get("nombre").is_none(),
        "unchanged fields are not listed"
    );
    let phone: Option<String> = customers::table
        .find(id)
        .select(customers::phone)
        .first(&mut conn)
        .unwrap();
    assert_eq!(phone.as_deref(), Some("911234567"));
    app.stop().await;
}

#[actix_web::test]
async fn the_list_finds_customers_by_name_tax_id_phone_email_and_policy_number() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let mut fields = person("Zacarías", "Quintanilla Úbeda", "11111111H");
    fields.extend([("email", "zq@ejemplo.es"), ("telefono", "699887766")]);
    let id = id_from_location(&create(&app, &fields).await);
    {
        let mut conn = app.db.conn();
        let (carrier, product, line): (i64, i64, i64) = soriano::db::schema::products::table
            .select((
                soriano::db::schema::products::carrier_id,
                soriano::db::schema::products::id,
                soriano::db::schema::products::line_id,
            ))
            .first(&mut conn)
            .unwrap();
        diesel::insert_into(policies::table)
            .values((
                policies::customer_id.eq(id),
                policies::carrier_id.eq(carrier),
                policies::product_id.eq(product),
                policies::line_id.eq(line),
                policies::number.eq("POL-778899"),
                policies::start_date.eq(chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()),
                policies::end_date.eq(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
                policies::net_premium_cents.eq(30000i64),
                policies::total_premium_cents.eq(32000i64),
                policies::payment_frequency.eq("annual"),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let link = format!("href=\"/admin/clientes/{id}\"");
    for q in [
        "quintanilla",
        "QUINTANILLA zacar",
        "11111111-h",
        "+34 699 887 766",
        "ZQ@ejemplo.es",
        "POL-778899",
    ] {
        let url = format!("/admin/clientes?q={}", urlencode(q));
        let body = app.get(&url).await.text().await.unwrap();
        assert!(body.contains(&link), "search {q}");
        assert!(!body.contains("Ningún cliente coincide"), "search {q}");
    }
    let body = app
        .get("/admin/clientes?q=noexiste")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("Ningún cliente coincide con la búsqueda."));
    // Filters: province, segment, tag.
    let body = app
        .get("/admin/clientes?q=quintanilla&segmento=corporate")
        .await
        .text()
        .await
        .unwrap();
    assert!(!body.contains(&link));
    app.stop().await;
}

async fn post_htmx(
    app: &TestApp,
    path: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token)
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[actix_web::test]
async fn pages_do_not_overlap_and_sorting_is_honoured() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    // Blocked customers (the demo has one) are kept out of every list.
    let total: i64 = soriano::db::schema::customers::table
        .filter(soriano::db::schema::customers::merged_into_id.is_null())
        .filter(soriano::db::schema::customers::blocked_at.is_null())
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert!(total > 150, "the demo seed holds about 200 customers");
    let row = regex::Regex::new(r#"<td><a href="/admin/clientes/(\d+)">([^<]+)</a></td>"#).unwrap();
    let next = regex::Regex::new(r#"href="([^"]+)" rel="next""#).unwrap();
    let prev = regex::Regex::new(r#"href="([^"]+)" rel="prev""#).unwrap();
    for orden in ["nombre", "-nombre", "-alta", "alta"] {
        let mut seen = std::collections::HashSet::new();
        let mut names = Vec::new();
        let mut url = format!("/admin/clientes?orden={orden}");
        let mut pages = 0;
        loop {
            let body = app.get(&url).await.text().await.unwrap();
            let ids: Vec<(i64, String)> = row
                .captures_iter(&body)
                .map(|c| (c[1].parse().unwrap(), c[2].to_owned()))
                .collect();
            assert!(ids.len() <= 50);
            for (id, name) in ids {
                assert!(
                    seen.insert(id),
                    "{orden}: {id} appears twice (page {pages}, {url}, {name})"
                );
                names.push(name.to_lowercase());
            }
            pages += 1;
            match next.captures(&body) {
                Some(c) => url = c[1].replace("&amp;", "&").replace("&#38;", "&"),
                None => break,
            }
        }
        assert_eq!(
            seen.len() as i64,
            total,
            "{orden}: every demo customer once"
        );
        assert_eq!(pages as i64, (total + 49) / 50);
        // Back from the last page, «Anteriores» gives the same pages in reverse, and the
        // first page has no link back.
        let mut back = Vec::new();
        loop {
            let body = app.get(&url).await.text().await.unwrap();
            assert!(
                body.contains(&format!("{total} resultados")),
                "{orden}: the total"
            );
            let ids: Vec<String> = row
                .captures_iter(&body)
                .map(|c| c[2].to_lowercase())
                .collect();
            back.splice(0..0, ids);
            match prev.captures(&body) {
                Some(c) => url = c[1].replace("&amp;", "&").replace("&#38;", "&"),
                None => break,
            }
        }
        assert_eq!(
            back, names,
            "{orden}: backwards, the same rows in the same order"
        );
        let names: Vec<String> = names.iter().map(|n| spanish_key(n)).collect();
        if orden == "nombre" {
            assert!(
                names.windows(2).all(|w| w[0] <= w[1]),
                "sorted by name, the Spanish way"
            );
        }
        if orden == "-nombre" {
            assert!(
                names.windows(2).all(|w| w[0] >= w[1]),
                "sorted by name, desc"
            );
        }
    }
    app.stop().await;
}

/// A lower-case name as Spanish order compares its letters: accents do not count (at the
/// first level) and ñ is its own letter after n.
fn spanish_key(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => "a".to_owned(),
            'é' | 'è' | 'ë' | 'ê' => "e".to_owned(),
            'í' | 'ì' | 'ï' | 'î' => "i".to_owned(),
            'ó' | 'ò' | 'ö' | 'ô' => "o".to_owned(),
            'ú' | 'ù' | 'ü' | 'û' => "u".to_owned(),
            'ç' => "c".to_owned(),
            'ñ' => "n\u{10FFFF}".to_owned(),
            other => other.to_string(),
        })
        .collect()
}

#[actix_web::test]
async fn names_sort_the_spanish_way_and_pages_keep_that_order() {
    let app = app_signed_in_as_admin().await;
    // Sixty customers so the list takes two pages, the accented ones among them.
    let mut conn = app.db.conn();
    let families = [
        "Torres", "Álvarez", "Zapata", "Ñúñez", "Nuñez", "Ortiz", "Ábalos", "Chacón",
    ];
    for n in 0..60 {
        let family = format!("{} {n:02}", families[n % families.len()]);
        diesel::insert_into(soriano::db::schema::customers::table)
            .values((
                soriano::db::schema::customers::kind.eq("person"),
                soriano::db::schema::customers::tax_id.eq(format!("{:08}X", 70_000_000 + n)),
                soriano::db::schema::customers::given_name.eq("Eva"),
                soriano::db::schema::customers::family_name.eq(&family),
                soriano::db::schema::customers::display_name.eq(format!("{family}, Eva")),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let row = regex::Regex::new(r#"<td><a href="/admin/clientes/(\d+)">([^<]+)</a></td>"#).unwrap();
    let next = regex::Regex::new(r#"href="([^"]+)" rel="next""#).unwrap();
    let mut names = Vec::new();
    let mut url = "/admin/clientes".to_owned();
    loop {
        let body = app.get(&url).await.text().await.unwrap();
        names.extend(row.captures_iter(&body).map(|c| c[2].to_owned()));
        match next.captures(&body) {
            Some(c) => url = c[1].replace("&amp;", "&").replace("&#38;", "&"),
            None => break,
        }
    }
    assert_eq!(names.len(), 60, "every customer once over the pages");
    let position = |prefix: &str| names.iter().position(|n| n.starts_with(prefix)).unwrap();
    assert_eq!(position("Ábalos 06"), 0, "{names:?}");
    assert!(position("Álvarez") < position("Chacón"), "{names:?}");
    assert!(position("Chacón") < position("Torres"), "{names:?}");
    assert!(
        position("Nuñez") < position("Ñúñez"),
        "ñ after n: {names:?}"
    );
    assert!(
        position("Ñúñez") < position("Ortiz"),
        "ñ before o: {names:?}"
    );
    let keys: Vec<String> = names.iter().map(|n| spanish_key(n)).collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    // The same order for the list's live search, accents and case ignored.
    let body = app
        .get_htmx("/admin/clientes?q=ALVAREZ")
        .await
        .text()
        .await
        .unwrap();
    let found: Vec<String> = row.captures_iter(&body).map(|c| c[2].to_owned()).collect();
    assert!(
        found.len() >= 7 && found.iter().all(|n| n.starts_with("Álvarez")),
        "{found:?}"
    );
    app.stop().await;
}

#[actix_web::test]
async fn live_search_returns_only_the_rows_for_htmx_and_varies_on_it() {
    let app = app_signed_in_as_admin().await;
    create(&app, &person("Ana", "García López", "12345678Z")).await;
    let full = app.get("/admin/clientes?q=garcia").await;
    assert_eq!(full.headers()["vary"], "HX-Request");
    let full = full.text().await.unwrap();
    assert!(full.contains("<html") && full.contains("id=\"results\""));
    let partial = app.get_htmx("/admin/clientes?q=garc%C3%ADa").await;
    assert_eq!(partial.status(), StatusCode::OK);
    assert_eq!(partial.headers()["vary"], "HX-Request");
    let partial = partial.text().await.unwrap();
    assert!(!partial.contains("<html") && !partial.contains("id=\"results\""));
    assert!(partial.contains("García López, Ana"));
    app.stop().await;
}

#[actix_web::test]
async fn agents_see_only_their_own_customers_and_claims_handlers_cannot_edit() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        create_staff(conn, "agente1@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "agente2@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "tramitador@soriano.es", Role::Claims, PASSWORD);
    })
    .await;
    app.sign_in("agente1@soriano.es", PASSWORD).await;
    let own = id_from_location(&create(&app, &person("Ana", "Propia Suya", "12345678Z")).await);
    app.post_form(
        "/admin/salir",
        &[("csrf_token", &app.csrf_token("/admin").await)],
    )
    .await;

    app.sign_in("agente2@soriano.es", PASSWORD).await;
    let other = id_from_location(&create(&app, &person("Luis", "Ajeno Otro", "87654321X")).await);
    let list = app.get("/admin/clientes").await.text().await.unwrap();
    assert!(list.contains("Ajeno Otro") && !list.contains("Propia Suya"));
    let found = app
        .get("/admin/clientes?q=12345678Z")
        .await
        .text()
        .await
        .unwrap();
    assert!(!found.contains("Propia Suya"));
    assert_eq!(
        app.get(&format!("/admin/clientes/{own}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get(&format!("/admin/clientes/{own}/editar"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let interaction = post(
        &app,
        &format!("/admin/clientes/{own}/interacciones"),
        &[("tipo", "call"), ("resumen", "No debería")],
    )
    .await;
    assert_eq!(interaction.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        app.get(&format!("/admin/clientes/{other}")).await.status(),
        StatusCode::OK
    );
    app.post_form(
        "/admin/salir",
        &[("csrf_token", &app.csrf_token("/admin").await)],
    )
    .await;

    app.sign_in("tramitador@soriano.es", PASSWORD).await;
    assert_eq!(
        app.get(&format!("/admin/clientes/{own}")).await.status(),
        StatusCode::OK
    );
    let body = app
        .get(&format!("/admin/clientes/{own}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !body.contains("/editar"),
        "no edit link for claims handlers"
    );
    assert_eq!(
        app.get(&format!("/admin/clientes/{own}/editar"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let token = app.csrf_token("/admin/clientes").await;
    let edit = app
        .post_form(
            &format!("/admin/clientes/{own}"),
            &[
                ("csrf_token", &token),
                ("tipo", "person"),
                ("nombre", "X"),
                ("apellidos", "Y"),
                ("nif", "12345678Z"),
            ],
        )
        .await;
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    app.stop().await;
}

#[actix_web::test]
async fn a_post_without_csrf_token_is_refused() {
    let app = app_signed_in_as_admin().await;
    let response = app
        .post_form(
            "/admin/clientes",
            &person("Ana", "García López", "12345678Z"),
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(customer_count(&app), 0);
    app.stop().await;
}

#[actix_web::test]
async fn interactions_logged_with_htmx_return_the_new_item_and_a_fresh_form() {
    let app = app_signed_in_as_admin().await;
    let id = id_from_location(&create(&app, &person("Ana", "García López", "12345678Z")).await);
    let token = app.csrf_token(&format!("/admin/clientes/{id}")).await;
    let path = format!("/admin/clientes/{id}/interacciones");
    let response = post_htmx(
        &app,
        &path,
        &token,
        &[
            ("tipo", "whatsapp"),
            ("resumen", "Pide presupuesto de hogar"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("<li class=\"timeline-item\">"));
    assert!(body.contains("WhatsApp") && body.contains("Pide presupuesto de hogar"));
    assert!(body.contains("hx-swap-oob=\"true\""));
    assert!(!body.contains("<html"));
    // Empty summary: the form again with its message.
    let response = post_htmx(&app, &path, &token, &[("tipo", "call"), ("resumen", " ")]).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(response.headers()["hx-retarget"], "#interaction-form");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba un resumen.")
    );
    // Plain POST fallback.
    let plain = post(
        &app,
        &path,
        &[("tipo", "note"), ("resumen", "Prefiere correo")],
    )
    .await;
    assert_eq!(plain.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let logged: Vec<String> = interactions::table
        .filter(interactions::customer_id.eq(id))
        .order(interactions::id)
        .select(interactions::kind)
        .load(&mut conn)
        .unwrap();
    assert_eq!(logged, vec!["whatsapp", "note"]);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("customer.interaction_logged"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 2);
    let page = app
        .get(&format!("/admin/clientes/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Prefiere correo") && page.contains("Pide presupuesto de hogar"));
    app.stop().await;
}

#[actix_web::test]
async fn consents_are_granted_and_withdrawn_with_history() {
    let app = app_signed_in_as_admin().await;
    let mut fields = person("Ana", "García López", "12345678Z");
    fields.push(("consentimiento_privacidad", "si"));
    let id = id_from_location(&create(&app, &fields).await);
    let path = format!("/admin/clientes/{id}/consentimientos");
    let granted = post(
        &app,
        &path,
        &[("finalidad", "profiling"), ("otorgado", "si")],
    )
    .await;
    assert_eq!(granted.status(), StatusCode::SEE_OTHER);
    let withdrawn = post(
        &app,
        &path,
        &[("finalidad", "profiling"), ("otorgado", "no")],
    )
    .await;
    assert_eq!(withdrawn.status(), StatusCode::SEE_OTHER);
    let bad = post(&app, &path, &[("finalidad", "otra"), ("otorgado", "si")]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let mut conn = app.db.conn();
    let current = soriano::customers::current_consents(&mut conn, id).unwrap();
    let profiling = current
        .iter()
        .find(|c| c.purpose == soriano::customers::ConsentPurpose::Profiling)
        .unwrap();
    assert_eq!(profiling.granted, Some(false));
    // Each row keeps the words of the clause, shown on the record.
    assert_eq!(
        profiling.text.as_deref(),
        Some(soriano::customers::consent_text(
            soriano::customers::ConsentPurpose::Profiling
        ))
    );
    let privacy = current
        .iter()
        .find(|c| c.purpose == soriano::customers::ConsentPurpose::Privacy)
        .unwrap();
    assert!(
        privacy
            .text
            .as_deref()
            .is_some_and(|t| t.contains("Agencia Española de Protección de Datos")),
        "the consent given with the customer form: {privacy:?}"
    );
    let record = app
        .get(&format!("/admin/clientes/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(record.contains("Texto aceptado"));
    assert!(record.contains("elaboración de perfiles comerciales"));
    let rows: i64 = customer_consents::table
        .filter(customer_consents::customer_id.eq(id))
        .filter(customer_consents::purpose.eq("profiling"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(rows, 2);
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("customer.consent_changed"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(audited, 2);
    let page = app
        .get(&format!("/admin/clientes/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let row = &page[page.find("id=\"consent-profiling\"").unwrap()..];
    assert!(row[..row.find("</tr>").unwrap()].contains("Retirado"));
    app.stop().await;
}

#[actix_web::test]
async fn merging_moves_related_rows_marks_the_duplicate_and_audits_both() {
    let app = app_signed_in_as_admin().await;
    let survivor =
        id_from_location(&create(&app, &person("Ana", "García López", "12345678Z")).await);
    let mut dup_fields = person("Ana", "Garcia Lopez", "87654321X");
    dup_fields.push(("consentimiento_privacidad", "si"));
    let duplicate = id_from_location(&create(&app, &dup_fields).await);
    post(
        &app,
        &format!("/admin/clientes/{duplicate}/interacciones"),
        &[("tipo", "call"), ("resumen", "Llamada al duplicado")],
    )
    .await;
    let search = app
        .get(&format!("/admin/clientes/{survivor}/fusionar?q=87654321X"))
        .await
        .text()
        .await
        .unwrap();
    assert!(search.contains("Garcia Lopez, Ana"));
    let path = format!("/admin/clientes/{survivor}/fusionar");
    let dup = duplicate.to_string();
    let confirm = post(&app, &path, &[("duplicado", &dup)]).await;
    assert_eq!(confirm.status(), StatusCode::OK);
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("Interacciones: 1") && confirm.contains("Consentimientos: 2"));
    assert!(confirm.contains("name=\"confirmar\" value=\"si\""));
    let merged = post(&app, &path, &[("duplicado", &dup), ("confirmar", "si")]).await;
    assert_eq!(merged.status(), StatusCode::SEE_OTHER);
    let mut conn = app.db.conn();
    let merged_into: Option<i64> = customers::table
        .find(duplicate)
        .select(customers::merged_into_id)
        .first(&mut conn)
        .unwrap();
    assert_eq!(merged_into, Some(survivor));
    let moved: i64 = interactions::table
        .filter(interactions::customer_id.eq(survivor))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(moved, 1);
    let consents: i64 = customer_consents::table
        .filter(customer_consents::customer_id.eq(survivor))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(consents, 4);
    let audited: Vec<Option<i64>> = audit_log::table
        .filter(audit_log::action.eq("customer.merged"))
        .order(audit_log::target_id)
        .select(audit_log::target_id)
        .load(&mut conn)
        .unwrap();
    assert_eq!(audited, vec![Some(survivor), Some(duplicate)]);
    // The merged record redirects to the survivor and leaves the list.
    let old = app.get(&format!("/admin/clientes/{duplicate}")).await;
    assert_eq!(old.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        old.headers()["location"],
        format!("/admin/clientes/{survivor}")
    );
    let list = app.get("/admin/clientes").await.text().await.unwrap();
    assert!(!list.contains("Garcia Lopez, Ana"));
    // Merging again is refused.
    let again = post(&app, &path, &[("duplicado", &dup), ("confirmar", "si")]).await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.stop().await;
}

#[derive(diesel::QueryableByName)]
struct PlanLine {
    #[diesel(sql_type = diesel::sql_types::Text, column_name = "QUERY PLAN")]
    line: String,
}

fn plan(conn: &mut PgConnection, sql: &str) -> String {
    diesel::sql_query(format!("EXPLAIN {sql}"))
        .load::<PlanLine>(conn)
        .unwrap()
        .into_iter()
        .map(|l| l.line)
        .collect::<Vec<_>>()
        .join("\n")
}

#[actix_web::test]
async fn the_list_and_the_name_search_use_indexes_at_100000_customers() {
    let db = common::TestDatabase::new();
    let mut conn = db.conn();
    let inserted = soriano::seed::bulk_customers(&mut conn, 100_000).unwrap();
    assert_eq!(inserted, 100_000);
    let select = "SELECT customers.id, customers.display_name FROM customers \
                  LEFT JOIN staff_users ON customers.owner_staff_id = staff_users.id \
                  WHERE customers.merged_into_id IS NULL";
    let default_list = plan(
        &mut conn,
        &format!("{select} ORDER BY lower(customers.display_name), customers.id LIMIT 51"),
    );
    assert!(
        default_list.contains("customers_display_name_idx"),
        "{default_list}"
    );
    assert!(
        !default_list.contains("Seq Scan on customers"),
        "{default_list}"
    );
    let next_page = plan(
        &mut conn,
        &format!(
            "{select} AND (lower(customers.display_name), customers.id) > ('garcía', 500) \
             ORDER BY lower(customers.display_name), customers.id LIMIT 51"
        ),
    );
    assert!(next_page.contains("Index Cond"), "{next_page}");
    diesel::sql_query("ANALYZE customers")
        .execute(&mut conn)
        .unwrap();
    let mut by_name = |words: &str, order: &str| {
        plan(
            &mut conn,
            &format!(
                "{select} AND customers.search_prefixes @@ \
                 plainto_tsquery('simple', search_fold('{words}')) \
                 ORDER BY {order}, customers.id LIMIT 51"
            ),
        )
    };
    // A search that keeps few (as the list asks when its count is exact): from the words
    // index, not along the name index (which would read the whole list to find none).
    for rare in ["quintanill", "martínez garcía", "torres d"] {
        let plan = by_name(rare, "(lower(customers.display_name) || '')");
        assert!(!plan.contains("customers_display_name_idx"), "{plan}");
        assert!(plan.contains("customers_search_prefixes_idx"), "{plan}");
    }
    // A common beginning, left to the planner: along the name index, keeping the rows that
    // match (collecting and sorting thousands of matches first took 20 ms).
    let common = by_name("gar", "lower(customers.display_name)");
    assert!(common.contains("customers_display_name_idx"), "{common}");
    let newest = plan(
        &mut conn,
        &format!("{select} ORDER BY customers.created_at DESC, customers.id DESC LIMIT 51"),
    );
    assert!(newest.contains("customers_created_idx"), "{newest}");
    // And the real query answers quickly.
    let started = std::time::Instant::now();
    let page = soriano::customers::list(
        &mut conn,
        soriano::auth::permissions::PortfolioScope::All,
        &soriano::customers::ListFilter {
            q: "garcía".into(),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(page.rows.len(), 50);
    assert!(page.next.is_some());
    // Thousands match: the total is the planner's estimate, not a count of every row.
    assert!(
        matches!(page.total, Some(soriano::listing::Total::About(n)) if n > 1_000),
        "{:?}",
        page.total
    );
    eprintln!(
        "name search over 100,000 customers: {:?}",
        started.elapsed()
    );

    // Fewer than a thousand: counted exactly, and read from the words index in the list's
    // order, the same rows a plain ORDER BY gives.
    for typed in ["torres d", "martínez garcía", "ruiz nav"] {
        let matching = format!(
            "FROM customers WHERE merged_into_id IS NULL AND blocked_at IS NULL \
             AND search_prefixes @@ plainto_tsquery('simple', search_fold('{typed}'))"
        );
        let counted = diesel::sql_query(format!("SELECT count(*) AS n {matching}"))
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n;
        assert!((1..=1_000).contains(&counted), "{typed}: {counted}");
        let first: Vec<i64> = diesel::sql_query(format!(
            "SELECT id AS n {matching} ORDER BY lower(display_name), id LIMIT 50"
        ))
        .load::<Count>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|row| row.n)
        .collect();
        let page = soriano::customers::list(
            &mut conn,
            soriano::auth::permissions::PortfolioScope::All,
            &soriano::customers::ListFilter {
                q: typed.into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(
            page.total,
            Some(soriano::listing::Total::Exact(counted)),
            "{typed}"
        );
        let shown: Vec<i64> = page.rows.iter().map(|row| row.id).collect();
        assert_eq!(shown, first, "{typed}");
    }
}

#[actix_web::test]
async fn an_agent_is_told_whom_to_ask_about_another_portfolios_customer_and_an_admin_gets_the_link()
{
    let mut owner = 0;
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        owner = soriano::auth::staff::create(
            conn,
            "marta@soriano.es",
            "Marta Propietaria",
            Role::Agent,
            PASSWORD,
        )
        .unwrap()
        .id;
        create_staff(conn, "agente2@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("marta@soriano.es", PASSWORD).await;
    let mut theirs = person("Ana", "Reservada Ajena", "12345678Z");
    theirs.extend([("email", "familia@ejemplo.es"), ("telefono", "600123456")]);
    let created = create(&app, &theirs).await;
    assert_eq!(created.status(), StatusCode::SEE_OTHER);
    let id = id_from_location(&created);
    let owned_by: Option<i64> = customers::table
        .find(id)
        .select(customers::owner_staff_id)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(owned_by, Some(owner));
    app.post_form(
        "/admin/salir",
        &[("csrf_token", &app.csrf_token("/admin").await)],
    )
    .await;

    app.sign_in("agente2@soriano.es", PASSWORD).await;
    let link = format!("/admin/clientes/{id}");
    assert_eq!(app.get(&link).await.status(), StatusCode::NOT_FOUND);
    let same_tax_id = create(&app, &person("Otra", "Persona", "12345678Z")).await;
    assert_eq!(same_tax_id.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = same_tax_id.text().await.unwrap();
    assert!(body.contains("Ya existe un cliente con este DNI"));
    assert!(body.contains("en la cartera de Marta Propietaria: pregunte a Marta Propietaria"));
    assert!(
        !body.contains("Reservada Ajena"),
        "another portfolio's name: {body}"
    );
    assert!(
        !body.contains(&format!("href=\"{link}\"")),
        "a link that would 404"
    );

    let mut same_email = person("Pedro", "Nuevo Cliente", "87654321X");
    same_email.push(("email", "familia@ejemplo.es"));
    let warned = create(&app, &same_email).await;
    assert_eq!(warned.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = warned.text().await.unwrap();
    assert!(body.contains("Puede que este cliente ya exista"));
    assert!(body.contains("otra cartera con el mismo correo electrónico"));
    assert!(body.contains("pregunte a Marta Propietaria"));
    assert!(!body.contains("Reservada Ajena") && !body.contains(&format!("href=\"{link}\"")));
    app.post_form(
        "/admin/salir",
        &[("csrf_token", &app.csrf_token("/admin").await)],
    )
    .await;

    app.sign_in(ADMIN, PASSWORD).await;
    let body = create(&app, &person("Otra", "Persona", "12345678Z"))
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains(&format!("href=\"{link}\"")) && body.contains("Reservada Ajena"));
    let body = create(&app, &same_email).await.text().await.unwrap();
    assert!(
        body.contains(&format!("href=\"{link}\"")) && body.contains("mismo correo electrónico")
    );
    assert_eq!(customer_count(&app), 1);
    app.stop().await;
}

#[actix_web::test]
async fn the_filtered_list_exports_to_csv_and_excel_within_the_agents_book_and_is_audited() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(AGENT_EMAIL, soriano::seed::DEMO_ADMIN_PASSWORD)
        .await;
    let page = app.get("/admin/clientes").await.text().await.unwrap();
    let csv_link = regex::Regex::new(r#"href="(/admin/clientes/exportar\?[^"]*formato=csv)""#)
        .unwrap()
        .captures(&page)
        .expect("an export link under the list")[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&");
    let response = app.get(&csv_link).await;
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    assert!(
        headers["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    assert!(
        headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("no-store")
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Nombre;DNI/NIE/CIF;Teléfono;Correo electrónico;Provincia;Segmento;Agente"
    );
    // Only the agent's own book: the rows are the customers the agent owns.
    let mut conn = app.db.conn();
    let own: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM customers c JOIN staff_users s ON s.id = c.owner_staff_id
          WHERE s.email = $1 AND c.merged_into_id IS NULL",
    )
    .bind::<diesel::sql_types::Text, _>(AGENT_EMAIL)
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n;
    assert!(own > 0);
    assert_eq!(lines.len() as i64 - 1, own, "one line per own customer");

    // The same filters as a workbook.
    let xlsx = app
        .get(&csv_link.replace("formato=csv", "formato=xlsx"))
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(
        xlsx.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    // A search narrows the export as it narrows the list.
    let one = app
        .get("/admin/clientes/exportar?q=zzzz-nadie&formato=csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        one.trim_start_matches('\u{feff}').lines().count(),
        1,
        "{one}"
    );
    assert_eq!(
        app.get("/admin/clientes/exportar?formato=pdf")
            .await
            .status(),
        StatusCode::BAD_REQUEST
    );
    let audited: i64 = diesel::sql_query(
        "SELECT count(*) AS n FROM audit_log WHERE action = 'list.exported'
          AND details->>'listado' = 'clientes'",
    )
    .get_result::<Count>(&mut conn)
    .unwrap()
    .n;
    assert_eq!(audited, 3, "each export is in the audit log");
    app.stop().await;
}

/// A demo agent (the seed's accounts share the demo password).
const AGENT_EMAIL: &str = "comercial1@soriano.test";

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
