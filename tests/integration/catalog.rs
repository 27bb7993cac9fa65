//! The catalogue maintained in the back-office: admins and supervisors create and edit
//! carriers, lines and products with Spanish errors next to each field (CIF check, DGSFP key,
//! rates 0–100 %), a form sent twice creates one entry, nothing is deleted but deactivated
//! (and then no longer offered in forms), every change is audited; commission rates have a
//! history and apply to receipts collected from their date while booked lines never change;
//! agents and claims handlers read the catalogue only; e-SORI shows the carrier's assistance
//! phone on each policy.

use crate::common;

use chrono::{Duration, Months, NaiveDate};
use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{
    audit_log, carriers, commission_rates, commissions, customers, lines_of_business, policies,
    policy_periods, products, receipts,
};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const SUPERVISOR: &str = "supervisora@soriano.es";
const AGENT: &str = "agente@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";

async fn spawn() -> TestApp {
    TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        create_staff(conn, SUPERVISOR, Role::Supervisor, PASSWORD);
        create_staff(conn, AGENT, Role::Agent, PASSWORD);
        create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    })
    .await
}

/// A browser of its own, signed in as `email`; returns it and a CSRF token of its session.
async fn browser(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = common::new_client();
    let body = client
        .get(app.url("/admin/entrar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    let response = client
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email} signs in");
    let page = text(client.get(app.url("/admin")).send().await.unwrap()).await;
    (client, common::csrf_from_html(&page))
}

async fn text(response: reqwest::Response) -> String {
    response.text().await.unwrap()
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend_from_slice(form);
    client
        .post(app.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

/// The one-time token of the creation form on `html`.
fn form_token(html: &str) -> String {
    let marker = "name=\"form_token\" value=\"";
    let start = html.find(marker).expect("a form token") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn id_at_end(path: &str) -> i64 {
    path.rsplit('/').next().unwrap().parse().unwrap()
}

fn audited(conn: &mut PgConnection, action: &str, target: &str, id: i64) -> i64 {
    audit_log::table
        .filter(audit_log::action.eq(action))
        .filter(audit_log::target_type.eq(target))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(conn)
        .unwrap()
}

const CARRIER: &[(&str, &str)] = &[
    ("nombre", "Seguros Levante"),
    ("cif", "A58818501"),
    ("clave_dgsfp", "c0999"),
    ("direccion", "Calle Colón 1, 46004 Valencia"),
    ("telefono_siniestros", "963 000 111"),
    ("telefono_asistencia", "+34 900 222 333"),
    ("email", "Mediadores@Levante.example"),
    ("notas", "Contacto: Marta"),
];

#[actix_web::test]
async fn a_manager_creates_edits_and_deactivates_a_carrier_with_spanish_errors_and_an_audit_trail()
{
    let app = spawn().await;
    let mut conn = app.db.conn();
    let (admin, token) = browser(&app, ADMIN).await;

    let page = text(
        admin
            .get(app.url("/admin/catalogo/companias/nueva"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let once = form_token(&page);

    // Wrong CIF check character, a DGSFP key of the wrong shape, a bad phone: each said next to
    // its field, in Spanish, and what was typed is kept.
    let mut bad: Vec<(&str, &str)> = CARRIER.to_vec();
    bad.retain(|(k, _)| !["cif", "clave_dgsfp", "telefono_asistencia"].contains(k));
    bad.extend([
        ("cif", "A58818502"),
        ("clave_dgsfp", "58"),
        ("telefono_asistencia", "12345"),
        ("form_token", once.as_str()),
    ]);
    let response = post(&app, &admin, "/admin/catalogo/companias", &token, &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(
        html.contains("El carácter de control del CIF no es correcto"),
        "{html}"
    );
    assert!(html.contains("La clave DGSFP es una letra y cuatro cifras"));
    assert!(html.contains("El teléfono tiene 9 cifras"));
    assert!(html.contains("value=\"Seguros Levante\""), "input kept");
    assert!(html.contains("value=\"A58818502\""), "input kept");
    let none: i64 = carriers::table
        .filter(carriers::name.eq("Seguros Levante"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(none, 0, "nothing written");

    // Corrected and sent twice (a double click): one carrier, the second answer leads to it.
    let mut good: Vec<(&str, &str)> = CARRIER.to_vec();
    good.push(("form_token", once.as_str()));
    let first = post(&app, &admin, "/admin/catalogo/companias", &token, &good).await;
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let second = post(&app, &admin, "/admin/catalogo/companias", &token, &good).await;
    assert_eq!(second.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&first), location(&second));
    let id = id_at_end(&location(&first));
    let (code, tax_id, key, phone, email): (String, String, String, String, String) =
        carriers::table
            .find(id)
            .select((
                carriers::code,
                carriers::tax_id,
                carriers::dgsfp_key,
                carriers::assistance_phone,
                carriers::email,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(
        (
            code.as_str(),
            tax_id.as_str(),
            key.as_str(),
            phone.as_str(),
            email.as_str()
        ),
        (
            "seguros-levante",
            "A58818501",
            "C0999",
            "900222333",
            "mediadores@levante.example"
        )
    );
    assert_eq!(audited(&mut conn, "catalog.created", "carrier", id), 1);

    // Another carrier with the same CIF is refused next to the CIF.
    let page = text(
        admin
            .get(app.url("/admin/catalogo/companias/nueva"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let again = form_token(&page);
    let mut same_cif: Vec<(&str, &str)> = CARRIER.to_vec();
    same_cif.retain(|(k, _)| *k != "nombre");
    same_cif.extend([("nombre", "Levante Dos"), ("form_token", again.as_str())]);
    let response = post(&app, &admin, "/admin/catalogo/companias", &token, &same_cif).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(response)
            .await
            .contains("Ya hay otra compañía con este CIF.")
    );

    // Edited: the change is kept and audited.
    let path = format!("/admin/catalogo/companias/{id}");
    let mut edited: Vec<(&str, &str)> = CARRIER.to_vec();
    edited.retain(|(k, _)| *k != "telefono_asistencia");
    edited.push(("telefono_asistencia", "900 444 555"));
    let response = post(&app, &admin, &path, &token, &edited).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = text(admin.get(app.url("/admin/catalogo")).send().await.unwrap()).await;
    assert!(
        page.contains("900 444 555"),
        "the catalogue shows the phone"
    );
    assert_eq!(audited(&mut conn, "catalog.updated", "carrier", id), 1);

    // Deactivated: no longer offered when creating a policy; the catalogue still lists it.
    let new_policy = text(
        admin
            .get(app.url("/admin/polizas/nueva"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        new_policy.contains("Seguros Levante"),
        "offered while active"
    );
    let response = post(
        &app,
        &admin,
        &format!("{path}/estado"),
        &token,
        &[("activo", "no")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let new_policy = text(
        admin
            .get(app.url("/admin/polizas/nueva"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!new_policy.contains("Seguros Levante"), "no longer offered");
    let page = text(admin.get(app.url("/admin/catalogo")).send().await.unwrap()).await;
    assert!(page.contains("Seguros Levante") && page.contains("De baja"));
    assert_eq!(audited(&mut conn, "catalog.deactivated", "carrier", id), 1);
    let response = post(
        &app,
        &admin,
        &format!("{path}/estado"),
        &token,
        &[("activo", "si")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(audited(&mut conn, "catalog.activated", "carrier", id), 1);

    // The audit page says it in Spanish.
    let audit = text(admin.get(app.url("/admin/auditoria")).send().await.unwrap()).await;
    assert!(audit.contains("Alta en el catálogo"), "{audit}");
    assert!(audit.contains("Teléfono de asistencia 24 h"));
    app.stop().await;
}

#[actix_web::test]
async fn a_supervisor_adds_lines_and_products_and_rates_refuse_what_is_not_a_percentage() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let (supervisor, token) = browser(&app, SUPERVISOR).await;

    // A line of business.
    let page = text(
        supervisor
            .get(app.url("/admin/catalogo/ramos/nuevo"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let once = form_token(&page);
    let response = post(
        &app,
        &supervisor,
        "/admin/catalogo/ramos",
        &token,
        &[("nombre", ""), ("resumen", "x"), ("form_token", &once)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(text(response).await.contains("Escriba el nombre del ramo."));
    let response = post(
        &app,
        &supervisor,
        "/admin/catalogo/ramos",
        &token,
        &[
            ("nombre", "Mascotas"),
            ("resumen", "Responsabilidad civil y veterinario."),
            ("form_token", &once),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let line = id_at_end(&location(&response));
    let code: String = lines_of_business::table
        .find(line)
        .select(lines_of_business::code)
        .first(&mut conn)
        .unwrap();
    assert_eq!(code, "mascotas");

    // A product of Mapfre in it: rates over 100 % or with letters are refused.
    let mapfre: i64 = carriers::table
        .filter(carriers::code.eq("mapfre"))
        .select(carriers::id)
        .first(&mut conn)
        .unwrap();
    let page = text(
        supervisor
            .get(app.url(&format!(
                "/admin/catalogo/productos/nuevo?compania={mapfre}"
            )))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains(&format!("<option value=\"{mapfre}\" selected>")));
    assert!(page.contains("Mascotas"), "the new line is offered");
    let once = form_token(&page);
    let (mapfre_text, line_text) = (mapfre.to_string(), line.to_string());
    let product = [
        ("compania", mapfre_text.as_str()),
        ("ramo", line_text.as_str()),
        ("nombre", "Mapfre Mascotas"),
        ("coberturas", "Veterinario hasta 1.500 €"),
        ("form_token", once.as_str()),
    ];
    let mut bad = product.to_vec();
    bad.extend([("comision_nueva", "101"), ("comision_cartera", "diez")]);
    let response = post(&app, &supervisor, "/admin/catalogo/productos", &token, &bad).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(response).await;
    assert!(
        html.contains("Escriba un porcentaje entre 0 y 100"),
        "{html}"
    );
    assert!(html.contains("value=\"diez\""), "input kept");
    let mut good = product.to_vec();
    good.extend([("comision_nueva", "15,5"), ("comision_cartera", "9")]);
    let response = post(
        &app,
        &supervisor,
        "/admin/catalogo/productos",
        &token,
        &good,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let id = id_at_end(&location(&response));
    let rates: Vec<(i32, i32)> = commission_rates::table
        .filter(commission_rates::product_id.eq(id))
        .select((
            commission_rates::new_business_bp,
            commission_rates::renewal_bp,
        ))
        .load(&mut conn)
        .unwrap();
    assert_eq!(rates, vec![(1550, 900)]);
    let page = text(
        supervisor
            .get(app.url(&format!("/admin/catalogo/productos/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("15,50 %") && page.contains("Vigente"),
        "{page}"
    );

    // A second rate from the same day is refused next to the date.
    let tomorrow = (soriano::time::today() + Duration::days(1))
        .format("%d/%m/%Y")
        .to_string();
    let rate = [
        ("desde", tomorrow.as_str()),
        ("comision_nueva", "16"),
        ("comision_cartera", "10"),
    ];
    let path = format!("/admin/catalogo/productos/{id}/comisiones");
    let response = post(&app, &supervisor, &path, &token, &rate).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let response = post(&app, &supervisor, &path, &token, &rate).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(response)
            .await
            .contains("Ya hay una comisión que empieza ese día")
    );
    let page = text(
        supervisor
            .get(app.url(&format!("/admin/catalogo/productos/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("Programada"), "tomorrow's rate is scheduled");
    assert_eq!(
        audited(&mut conn, "catalog.commission_rate_added", "product", id),
        1
    );

    // Deactivating the line takes it out of the new product form.
    let response = post(
        &app,
        &supervisor,
        &format!("/admin/catalogo/ramos/{line}/estado"),
        &token,
        &[("activo", "no")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = text(
        supervisor
            .get(app.url("/admin/catalogo/productos/nuevo"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains(">Mascotas<"));
    app.stop().await;
}

/// A Mapfre car policy of a new customer, net 1.200,00 € a year, with its receipts.
fn insert_policy(conn: &mut PgConnection, product: i64, number: &str) -> i64 {
    let (carrier, line): (i64, i64) = products::table
        .find(product)
        .select((products::carrier_id, products::line_id))
        .first(conn)
        .unwrap();
    let customer: i64 = diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(format!("{:08}Z", number.len() * 1_111_111)),
            customers::given_name.eq("Ana"),
            customers::family_name.eq(number),
            customers::display_name.eq(format!("{number}, Ana")),
        ))
        .on_conflict_do_nothing()
        .returning(customers::id)
        .get_result(conn)
        .unwrap();
    let start = soriano::time::today() - Duration::days(30);
    let end = start.checked_add_months(Months::new(12)).unwrap();
    let id: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq(number),
            policies::start_date.eq(start),
            policies::end_date.eq(end),
            policies::net_premium_cents.eq(120_000),
            policies::total_premium_cents.eq(129_600),
            policies::payment_frequency.eq("quarterly"),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(policy_periods::table)
        .values((
            policy_periods::policy_id.eq(id),
            policy_periods::start_date.eq(start),
            policy_periods::end_date.eq(end),
            policy_periods::net_premium_cents.eq(120_000),
            policy_periods::total_premium_cents.eq(129_600),
        ))
        .execute(conn)
        .unwrap();
    soriano::receipts::generate_for_policy(conn, id).unwrap();
    id
}

fn receipts_of(conn: &mut PgConnection, policy: i64) -> Vec<i64> {
    receipts::table
        .filter(receipts::policy_id.eq(policy))
        .order((receipts::due_date, receipts::id))
        .select(receipts::id)
        .load(conn)
        .unwrap()
}

fn booked_rate(conn: &mut PgConnection, receipt: i64) -> Vec<i32> {
    commissions::table
        .filter(commissions::receipt_id.eq(receipt))
        .order(commissions::id)
        .select(commissions::rate_bp)
        .load(conn)
        .unwrap()
}

#[actix_web::test]
async fn a_new_rate_applies_to_receipts_collected_from_its_date_and_booked_lines_never_change() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let (admin, token) = browser(&app, ADMIN).await;
    let product: i64 = products::table
        .filter(products::code.eq("auto-total"))
        .select(products::id)
        .first(&mut conn)
        .unwrap();
    let policy = insert_policy(&mut conn, product, "TARIFA-1");
    let receipts = receipts_of(&mut conn, policy);
    let iso = |day: NaiveDate| day.format("%Y-%m-%d").to_string();
    let today = soriano::time::today();
    let collect = |receipt: i64, on: NaiveDate| {
        let (admin, token) = (admin.clone(), token.clone());
        let app_url = app.url(&format!("/admin/recibos/{receipt}/cobrar"));
        async move {
            let response = admin
                .post(app_url)
                .form(&[("csrf_token", token.as_str()), ("cobro_fecha", &iso(on))])
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::SEE_OTHER,
                "collect {receipt}"
            );
        }
    };

    // Collected at the rate of the catalogue (12 %).
    collect(receipts[0], today - Duration::days(20)).await;
    assert_eq!(booked_rate(&mut conn, receipts[0]), vec![1200]);

    // A new rate from ten days ago: what was collected since takes it, what was collected
    // before keeps 12 %, and the line already booked is untouched.
    let from = (today - Duration::days(10)).format("%d/%m/%Y").to_string();
    let response = post(
        &app,
        &admin,
        &format!("/admin/catalogo/productos/{product}/comisiones"),
        &token,
        &[
            ("desde", &from),
            ("comision_nueva", "14"),
            ("comision_cartera", "11"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        booked_rate(&mut conn, receipts[0]),
        vec![1200],
        "booked never changes"
    );
    collect(receipts[1], today).await;
    assert_eq!(booked_rate(&mut conn, receipts[1]), vec![1400]);
    collect(receipts[2], today - Duration::days(15)).await;
    assert_eq!(booked_rate(&mut conn, receipts[2]), vec![1200]);
    app.stop().await;
}

#[actix_web::test]
async fn agents_and_claims_handlers_read_the_catalogue_but_cannot_change_it() {
    let app = spawn().await;
    let mut conn = app.db.conn();
    let mapfre: i64 = carriers::table
        .filter(carriers::code.eq("mapfre"))
        .select(carriers::id)
        .first(&mut conn)
        .unwrap();
    let product: i64 = products::table
        .filter(products::carrier_id.eq(mapfre))
        .select(products::id)
        .first(&mut conn)
        .unwrap();
    for email in [AGENT, CLAIMS] {
        let (client, token) = browser(&app, email).await;
        let page = text(client.get(app.url("/admin/catalogo")).send().await.unwrap()).await;
        assert!(
            page.contains("Mapfre") && page.contains("900 100 102"),
            "{email} reads it"
        );
        assert!(
            !page.contains("Nueva compañía"),
            "{email} is not offered changes"
        );
        let page = client
            .get(app.url(&format!("/admin/catalogo/productos/{product}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert!(!text(page).await.contains("Añadir comisión"));
        for path in [
            "/admin/catalogo/companias/nueva".to_owned(),
            format!("/admin/catalogo/companias/{mapfre}"),
        ] {
            let response = client.get(app.url(&path)).send().await.unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{email} GET {path}"
            );
        }
        let response = post(
            &app,
            &client,
            &format!("/admin/catalogo/companias/{mapfre}/estado"),
            &token,
            &[("activo", "no")],
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{email} deactivates"
        );
        let response = post(
            &app,
            &client,
            &format!("/admin/catalogo/productos/{product}/comisiones"),
            &token,
            &[
                ("desde", "01/01/2030"),
                ("comision_nueva", "50"),
                ("comision_cartera", "50"),
            ],
        )
        .await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{email} changes a rate"
        );
    }
    // Without the CSRF token, even an admin changes nothing.
    let (admin, _) = browser(&app, ADMIN).await;
    let response = admin
        .post(app.url(&format!("/admin/catalogo/companias/{mapfre}/estado")))
        .form(&[("activo", "no")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let active: bool = carriers::table
        .find(mapfre)
        .select(carriers::active)
        .first(&mut conn)
        .unwrap();
    assert!(active);
    app.stop().await;
}
