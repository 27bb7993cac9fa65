//! A claims handler's journey in a real browser: open a claim and take it to paid.

mod browser;
mod common;
#[path = "common/portfolio.rs"]
mod portfolio;

use browser::Browser;
use common::{TestApp, create_staff};
use fantoccini::Locator;
use soriano::auth::staff::Role;

const PASSWORD: &str = "una clave larga de prueba";

/// Scrolls the button matching `css` into view and clicks it, as a person would.
async fn press(client: &fantoccini::Client, css: &str) -> Result<(), Box<dyn std::error::Error>> {
    let button = client.find(Locator::Css(css)).await?;
    client
        .execute(
            "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
            vec![serde_json::to_value(&button)?],
        )
        .await?;
    button.click().await?;
    Ok(())
}

#[actix_web::test]
async fn a_claims_handler_opens_a_claim_and_takes_it_to_paid() {
    let mut policy = 0;
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, "tramita@soriano.es", Role::Claims, PASSWORD);
        let customer = portfolio::customer(conn, 1, "Ana", None);
        policy = portfolio::live_policy(conn, customer, "POL-77");
    })
    .await;
    let base = app.address.clone();
    let incident = portfolio::today().to_string();
    Browser::start(1280, 900)
        .await
        .journey("claims_handler_to_paid", |client| async move {
            browser::sign_in(&client, &base, "tramita@soriano.es", PASSWORD).await?;

            client
                .goto(&format!("{base}/admin/siniestros/nuevo?poliza={policy}"))
                .await?;
            client
                .wait()
                .for_element(Locator::Id("descripcion"))
                .await?;
            // Date inputs take typing in the browser's locale; set the value directly.
            client
                .execute(
                    "document.getElementById('fecha').value = arguments[0];",
                    vec![serde_json::json!(incident)],
                )
                .await?;
            client
                .find(Locator::Css("#tipo option[value=collision]"))
                .await?
                .click()
                .await?;
            client
                .find(Locator::Id("descripcion"))
                .await?
                .send_keys("Golpe en un aparcamiento.")
                .await?;
            client
                .find(Locator::Id("importe"))
                .await?
                .send_keys("800,00")
                .await?;
            press(&client, "form.form button[type=submit]").await?;

            let badge = |expected: &'static str| {
                let client = client.clone();
                async move {
                    browser::eventually(expected, || {
                        let client = client.clone();
                        async move {
                            match client.find(Locator::Id("estado")).await {
                                Ok(element) => {
                                    element.text().await.map(|t| t == expected).unwrap_or(false)
                                }
                                Err(_) => false,
                            }
                        }
                    })
                    .await
                }
            };
            badge("abierto").await?;
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert!(heading.starts_with("Siniestro SIN-"), "{heading}");

            for (to, label) in [
                ("in_progress", "en trámite"),
                ("assessed", "peritado"),
                ("accepted", "aceptado"),
                ("paid", "pagado"),
            ] {
                let button = format!("form[data-transition={to}] button[type=submit]");
                client.wait().for_element(Locator::Css(&button)).await?;
                press(&client, &button).await?;
                badge(label).await?;
            }
            let paid = client
                .find(Locator::Id("importe-pagado"))
                .await?
                .text()
                .await?;
            assert_eq!(paid, "800,00 €");
            // A paid claim offers only closing.
            let offered = client
                .find_all(Locator::Css("form[data-transition]"))
                .await?;
            assert_eq!(offered.len(), 1);
            Ok(())
        })
        .await;
    app.stop().await;
}
