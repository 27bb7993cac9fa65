//! A taxi driver on a phone (390×844): fills the quoter, sees prices appear without a reload,
//! opens a breakdown, asks for the policy and sees the confirmation. And the whole road on a
//! desktop: the driver's request, staff accepting it as a policy with its receipts, and the
//! driver, invited to e-SORI, reading the policy with its taxi.

mod browser;
mod common;

use browser::Browser;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use fantoccini::{Client, Locator};
use soriano::auth::staff::Role;
use soriano::db::schema::{customers, outbound_emails, quotes};

const STAFF: &str = "admin@soriano.es";
const PASSWORD: &str = "una clave larga de prueba";

/// Scrolls the element matching `css` into view and clicks it, as a person would.
async fn press(client: &Client, css: &str) -> Result<(), Box<dyn std::error::Error>> {
    let element = client.find(Locator::Css(css)).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
            vec![serde_json::to_value(&element)?],
        )
        .await?;
    element.click().await?;
    Ok(())
}

async fn type_in(client: &Client, id: &str, text: &str) -> Result<(), Box<dyn std::error::Error>> {
    let field = client.find(Locator::Id(id)).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
            vec![serde_json::to_value(&field)?],
        )
        .await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Types the vehicle, licence and driver of the quoter (`[año, valor, municipio, edad, carné,
/// años de taxista, siniestros]`) and picks the province.
async fn fill_quoter(
    client: &Client,
    values: [&str; 7],
    province: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let fields = [
        "anio",
        "valor",
        "municipio",
        "edad",
        "carne",
        "taxista",
        "siniestros",
    ];
    for (id, value) in fields.into_iter().zip(values) {
        type_in(client, id, value).await?;
    }
    press(client, &format!("#provincia option[value='{province}']")).await?;
    Ok(())
}

#[actix_web::test]
async fn a_driver_prices_a_taxi_on_a_phone_and_asks_for_the_policy() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::taxi::taxi_tariffs(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(390, 844)
        .await
        .journey("taxi_quoter_phone", |client| async move {
            client.goto(&format!("{base}/taxi")).await?;
            client.wait().for_element(Locator::Id("anio")).await?;
            // A marker that a full page load would wipe out.
            client
                .execute("window.__sinRecarga = true;", vec![])
                .await?;
            fill_quoter(
                &client,
                ["2022", "27500", "Valencia", "38", "15", "4", "0"],
                "46",
            )
            .await?;
            press(&client, "input[name=ocupantes]").await?;

            browser::eventually("three carriers priced", || {
                let client = client.clone();
                async move {
                    client
                        .find_all(Locator::Css("#taxi-prices .taxi-price"))
                        .await
                        .map(|cards| cards.len() >= 3)
                        .unwrap_or(false)
                }
            })
            .await?;
            let same_page = client
                .execute("return window.__sinRecarga === true;", vec![])
                .await?;
            assert_eq!(
                same_page,
                serde_json::json!(true),
                "prices came without a reload"
            );
            let notice = client
                .find(Locator::Css("#taxi-prices .taxi-notice"))
                .await?
                .text()
                .await?;
            assert!(notice.contains("orientativos"), "{notice}");

            press(&client, "#taxi-prices .taxi-price summary").await?;
            let breakdown = text_of(&client, "#taxi-prices details[open] table", "").await?;
            assert!(breakdown.contains("Prima base"), "{breakdown}");
            assert!(breakdown.contains("Total anual"), "{breakdown}");

            press(&client, "#taxi-prices .taxi-price button.btn-accent").await?;
            client.wait().for_element(Locator::Id("nombre")).await?;
            let info = client
                .find(Locator::Css(".taxi-precontract"))
                .await?
                .text()
                .await?;
            assert!(info.contains("Reclamaciones"), "{info}");
            type_in(&client, "nombre", "Marta Conductora Gil").await?;
            type_in(&client, "dni", "12345678Z").await?;
            type_in(&client, "telefono", "611 222 333").await?;
            type_in(&client, "email", "marta@example.es").await?;
            type_in(&client, "matricula", "4321 FGH").await?;
            type_in(&client, "licencia", "VLC-1234").await?;
            press(&client, "input[name=privacidad]").await?;
            press(&client, "form.form button[type=submit]").await?;

            browser::eventually("the confirmation", || {
                let client = client.clone();
                async move {
                    client
                        .find(Locator::Css(".taxi-confirmation"))
                        .await
                        .is_ok()
                }
            })
            .await?;
            let url = client.current_url().await?;
            assert!(url.path().starts_with("/taxi/presupuesto/"), "{url}");
            let cards = client.find_all(Locator::Css(".taxi-price")).await?;
            assert_eq!(cards.len(), 3);
            Ok(())
        })
        .await;
    app.stop().await;
}

/// On a desktop the prices sit beside the form and stay in view while the driver scrolls down
/// it; a click on «Ver el desglose» straight after typing opens the breakdown (the refresh the
/// typing caused used to replace the element under the pointer and swallow the click).
#[actix_web::test]
async fn on_a_desktop_the_prices_stay_beside_the_form_and_the_first_click_opens_the_breakdown() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::taxi::taxi_tariffs(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("taxi_quoter_desktop", |client| async move {
            client.goto(&format!("{base}/taxi")).await?;
            client.wait().for_element(Locator::Id("anio")).await?;
            fill_quoter(
                &client,
                ["2021", "30000", "Madrid", "45", "20", "10", "0"],
                "28",
            )
            .await?;
            browser::eventually("three carriers priced", || {
                let client = client.clone();
                async move {
                    client
                        .find_all(Locator::Css("#taxi-prices .taxi-price"))
                        .await
                        .map(|cards| cards.len() >= 3)
                        .unwrap_or(false)
                }
            })
            .await?;

            // Scrolled to the foot of the form, the prices are still on screen beside it.
            let layout = client
                .execute(
                    "document.querySelector('.taxi-form .form-actions').scrollIntoView({block: 'end', behavior: 'instant'});
                     const form = document.querySelector('.taxi-form').getBoundingClientRect();
                     const prices = document.getElementById('taxi-prices').getBoundingClientRect();
                     return [form.right, prices.left, prices.top, prices.bottom, window.innerHeight];",
                    vec![],
                )
                .await?;
            let n = |i: usize| layout[i].as_f64().unwrap_or(f64::NAN);
            let (form_right, prices_left, prices_top, prices_bottom, height) =
                (n(0), n(1), n(2), n(3), n(4));
            assert!(prices_left >= form_right, "beside the form: {layout}");
            assert!(
                prices_top >= 0.0 && prices_top < height && prices_bottom > 0.0,
                "in view at the foot of the form: {layout}"
            );

            // Type, then click at once: the breakdown opens and stays open after the refresh.
            type_in(&client, "siniestros", "1").await?;
            press(&client, "#taxi-prices .taxi-price summary").await?;
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            let breakdown = text_of(&client, "#taxi-prices details[open] table", "").await?;
            assert!(breakdown.contains("Total anual"), "{breakdown}");
            Ok(())
        })
        .await;
    app.stop().await;
}

/// Waits (10 s at most) until the text of the element matching `css` contains `wanted`;
/// returns that text.
async fn text_of(
    client: &Client,
    css: &str,
    wanted: &str,
) -> Result<String, Box<dyn std::error::Error>> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = String::new();
    while std::time::Instant::now() < deadline {
        if let Ok(element) = client.find(Locator::Css(css)).await {
            seen = element.text().await.unwrap_or_default();
            if seen.contains(wanted) {
                return Ok(seen);
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Err(format!("timed out waiting for {wanted:?} in {css}; saw: {seen}").into())
}

async fn path_is(client: &Client, prefix: &str) -> Result<(), Box<dyn std::error::Error>> {
    browser::eventually(&format!("a page under {prefix}"), || {
        let client = client.clone();
        let prefix = prefix.to_owned();
        async move {
            client
                .current_url()
                .await
                .map(|u| u.path().starts_with(&prefix))
                .unwrap_or(false)
        }
    })
    .await
}

/// What the taxi priced below reads like on the staff's and the client's pages.
const TAXI_SHOWN: [&str; 7] = [
    "4321 FGH",
    "Híbrido",
    "27.500,00 €",
    "N.º VLC-1234",
    "Valencia (Valencia/València)",
    "Todo riesgo con franquicia",
    "Accidentes de ocupantes",
];

#[actix_web::test]
async fn a_taxi_priced_online_becomes_a_policy_the_driver_reads_in_e_sori() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        soriano::seed::taxi::taxi_tariffs(conn).unwrap();
        create_staff(conn, STAFF, Role::Admin, PASSWORD);
    })
    .await;
    let base = app.address.clone();
    let db = &app.db;
    Browser::start(1280, 900)
        .await
        .journey("taxi_request_to_portal_policy", |client| async move {
            // The driver prices the taxi and asks for the cheapest carrier's policy.
            client.goto(&format!("{base}/taxi")).await?;
            client.wait().for_element(Locator::Id("anio")).await?;
            fill_quoter(
                &client,
                ["2022", "27500", "Valencia", "38", "15", "4", "0"],
                "46",
            )
            .await?;
            press(&client, "input[name=cobertura][value=comprehensive_excess]").await?;
            press(&client, "input[name=ocupantes]").await?;
            // The prices on screen are those of the chosen cover and option.
            browser::eventually("three carriers priced for the chosen cover", || {
                let client = client.clone();
                async move {
                    let priced = client
                        .find_all(Locator::Css("#taxi-prices .taxi-price button.btn-accent"))
                        .await
                        .map(|buttons| buttons.len() >= 3)
                        .unwrap_or(false);
                    let chosen = client
                        .find(Locator::Css(
                            "#taxi-prices .taxi-sort a[href*='cobertura=comprehensive_excess'][href*='ocupantes=1']",
                        ))
                        .await
                        .is_ok();
                    priced && chosen
                }
            })
            .await?;
            press(&client, "#taxi-prices .taxi-price button.btn-accent").await?;
            client.wait().for_element(Locator::Id("nombre")).await?;
            type_in(&client, "nombre", "Marta Conductora Gil").await?;
            type_in(&client, "dni", "12345678Z").await?;
            type_in(&client, "telefono", "611 222 333").await?;
            type_in(&client, "email", "marta@example.es").await?;
            type_in(&client, "matricula", "4321 FGH").await?;
            type_in(&client, "licencia", "VLC-1234").await?;
            press(&client, "input[name=privacidad]").await?;
            press(&client, "form.form button[type=submit]").await?;
            text_of(&client, ".taxi-confirmation", "").await?;

            // Staff open the request: the taxi in Spanish, the chosen option ready to accept.
            browser::sign_in(&client, &base, STAFF, PASSWORD).await?;
            let quote_id: i64 = quotes::table.select(quotes::id).first(&mut db.conn())?;
            client
                .goto(&format!("{base}/admin/presupuestos/{quote_id}"))
                .await?;
            let risk = text_of(&client, "section[aria-labelledby=risk-title]", "Híbrido").await?;
            for shown in TAXI_SHOWN {
                assert!(
                    risk.contains(shown),
                    "{shown} not in the quote's risk: {risk}"
                );
            }
            text_of(&client, "#options", "elegida").await?;
            press(&client, "#accept summary").await?;
            type_in(&client, "numero", "TX-2026-0042").await?;
            press(&client, "#forma_pago option[value=quarterly]").await?;
            press(&client, "#accept-quote").await?;
            path_is(&client, "/admin/polizas/").await?;
            let risk = text_of(&client, "section[aria-labelledby=risk-title]", "Híbrido").await?;
            for shown in TAXI_SHOWN {
                assert!(
                    risk.contains(shown),
                    "{shown} not in the policy's risk: {risk}"
                );
            }
            browser::eventually("four quarterly receipts", || {
                let client = client.clone();
                async move {
                    client
                        .find_all(Locator::Css("#receipts tbody tr"))
                        .await
                        .map(|rows| rows.len() == 4)
                        .unwrap_or(false)
                }
            })
            .await?;

            // Staff invite the new customer to e-SORI from their page.
            let customer_id: i64 = customers::table
                .filter(customers::tax_id.eq("12345678Z"))
                .select(customers::id)
                .first(&mut db.conn())?;
            client
                .goto(&format!("{base}/admin/clientes/{customer_id}"))
                .await?;
            press(&client, "form[action$='/invitar-portal'] button").await?;
            text_of(&client, "body", "Invitación a e-SORI enviada").await?;
            let body: String = outbound_emails::table
                .filter(outbound_emails::kind.eq("client.invitation"))
                .filter(outbound_emails::to_address.eq("marta@example.es"))
                .select(outbound_emails::body_text)
                .first(&mut db.conn())?;
            let link = regex::Regex::new(r"/portal/contrasena/[A-Za-z0-9_-]+")?
                .find(&body)
                .ok_or("no link in the invitation")?
                .as_str()
                .to_owned();

            // The driver chooses a password, signs in and reads the policy with the taxi.
            client.delete_all_cookies().await?;
            client.goto(&format!("{base}{link}")).await?;
            type_in(&client, "nueva", "mi taxi blanco de valencia").await?;
            type_in(&client, "repetida", "mi taxi blanco de valencia").await?;
            press(&client, "form.form button[type=submit]").await?;
            path_is(&client, "/portal/entrar").await?;
            type_in(&client, "email", "marta@example.es").await?;
            type_in(&client, "password", "mi taxi blanco de valencia").await?;
            press(&client, "form.form button[type=submit]").await?;
            path_is(&client, "/portal/inicio").await?;
            press(&client, "a[href^='/portal/polizas/']").await?;
            path_is(&client, "/portal/polizas/").await?;
            let risk = text_of(&client, "section[aria-labelledby=risk-title]", "Híbrido").await?;
            for shown in TAXI_SHOWN {
                assert!(risk.contains(shown), "{shown} not in e-SORI: {risk}");
            }
            for code in ["hybrid", "comprehensive", "occupants", "2750000"] {
                assert!(!risk.contains(code), "{code} shown in e-SORI: {risk}");
            }
            browser::eventually("the four receipts in e-SORI", || {
                let client = client.clone();
                async move {
                    client
                        .find_all(Locator::Css("#recibos tbody tr"))
                        .await
                        .map(|rows| rows.len() == 4)
                        .unwrap_or(false)
                }
            })
            .await?;
            Ok(())
        })
        .await;
    app.stop().await;
}
