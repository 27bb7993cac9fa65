//! A taxi driver on a phone (390×844): fills the quoter, sees prices appear without a reload,
//! opens a breakdown, asks for the policy and sees the confirmation.

mod browser;
mod common;

use browser::Browser;
use common::TestApp;
use fantoccini::{Client, Locator};

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
            type_in(&client, "anio", "2022").await?;
            type_in(&client, "valor", "27500").await?;
            type_in(&client, "municipio", "Valencia").await?;
            press(&client, "#provincia option[value='46']").await?;
            type_in(&client, "edad", "38").await?;
            type_in(&client, "carne", "15").await?;
            type_in(&client, "taxista", "4").await?;
            type_in(&client, "siniestros", "0").await?;
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
            browser::eventually("the breakdown open", || {
                let client = client.clone();
                async move {
                    client
                        .find(Locator::Css("#taxi-prices details[open] table"))
                        .await
                        .is_ok()
                }
            })
            .await?;
            let breakdown = client
                .find(Locator::Css("#taxi-prices details[open] table"))
                .await?
                .text()
                .await?;
            assert!(breakdown.contains("Prima base"), "{breakdown}");
            assert!(breakdown.contains("Total anual"), "{breakdown}");

            press(&client, "#taxi-prices .taxi-price a.btn-accent").await?;
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
