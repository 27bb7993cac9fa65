//! A visitor's journey in a real browser: a landing opened from a campaign URL, the form sent
//! with one mistake, corrected, and the thank-you page; the lead keeps the campaign's UTM.

mod browser;
mod common;

use browser::Browser;
use chrono::Utc;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use fantoccini::Locator;
use soriano::auth::staff::Role;
use soriano::db::schema::leads;
use soriano::landings::blocks::{Blocks, Hero};
use soriano::landings::editor::{self, LandingForm};

const PASSWORD: &str = "una clave larga de prueba";

/// Scrolls the element matching `css` into view and clicks it, as a person would.
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

/// The app with the published landing `/l/seguro-hogar` (name and phone required).
async fn spawn_landing() -> TestApp {
    TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        let draft = LandingForm {
            titulo: "Seguro de hogar".to_owned(),
            slug: "seguro-hogar".to_owned(),
            campos: r#"[
              {"name":"nombre","label":"Nombre y apellidos","kind":"text","required":true},
              {"name":"telefono","label":"Teléfono","kind":"phone","required":true},
              {"name":"email","label":"Correo electrónico","kind":"email","required":false}
            ]"#
            .to_owned(),
            ..LandingForm::blank()
        }
        .validate(|_| true)
        .unwrap();
        let blocks = Blocks {
            hero: Hero {
                title: "Su casa protegida".to_owned(),
                ..Hero::default()
            },
            ..Blocks::default()
        };
        let id = editor::create(conn, &draft, &blocks, Utc::now()).unwrap();
        editor::set_published(conn, id, true, Utc::now()).unwrap();
    })
    .await
}

#[actix_web::test]
async fn a_visitor_from_a_campaign_corrects_the_form_and_sees_the_thank_you_page() {
    let app = spawn_landing().await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("visitor_landing_to_thanks", |client| async move {
            client
                .goto(&format!(
                    "{base}/l/seguro-hogar?utm_source=newsletter&utm_medium=email&utm_campaign=hogar-noviembre"
                ))
                .await?;
            client.wait().for_element(Locator::Id("f-nombre")).await?;
            let hero = client.find(Locator::Id("hero-title")).await?.text().await?;
            assert_eq!(hero, "Su casa protegida");
            client
                .find(Locator::Id("f-nombre"))
                .await?
                .send_keys("Lucía Martín")
                .await?;
            // One mistake: a phone with too few digits.
            client
                .find(Locator::Id("f-telefono"))
                .await?
                .send_keys("600 12")
                .await?;
            client
                .find(Locator::Id("f-email"))
                .await?
                .send_keys("lucia@example.es")
                .await?;
            press(&client, "#privacidad").await?;
            // People take a few seconds to fill a form; faster is treated as a bot.
            tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
            press(&client, "#formulario button[type=submit]").await?;

            browser::eventually("the phone error next to the field", || {
                let client = client.clone();
                async move { client.find(Locator::Id("f-telefono-error")).await.is_ok() }
            })
            .await?;
            let message = client
                .find(Locator::Id("f-telefono-error"))
                .await?
                .text()
                .await?;
            assert!(message.contains("9 cifras"), "{message}");
            // The other answers are kept.
            let name = client
                .find(Locator::Id("f-nombre"))
                .await?
                .prop("value")
                .await?
                .unwrap_or_default();
            assert_eq!(name, "Lucía Martín");
            let phone = client.find(Locator::Id("f-telefono")).await?;
            phone.clear().await?;
            phone.send_keys("600 123 456").await?;
            press(&client, "#formulario button[type=submit]").await?;

            browser::eventually("the thank-you page", || {
                let client = client.clone();
                async move { client.find(Locator::Id("thanks-title")).await.is_ok() }
            })
            .await?;
            let url = client.current_url().await?;
            assert!(url.path().ends_with("/l/seguro-hogar/gracias"), "{url}");
            Ok(())
        })
        .await;
    let (phone, utm_source, utm_campaign): (Option<String>, Option<String>, Option<String>) =
        leads::table
            .select((leads::phone, leads::utm_source, leads::utm_campaign))
            .first(&mut app.db.conn())
            .unwrap();
    assert_eq!(phone.as_deref(), Some("600123456"));
    assert_eq!(utm_source.as_deref(), Some("newsletter"));
    assert_eq!(utm_campaign.as_deref(), Some("hogar-noviembre"));
}

/// Whether the focused element is the error summary and its top is on screen.
const SUMMARY_SEEN: &str = "var s = document.querySelector('[data-error-summary]');\
    if (!s || document.activeElement !== s) return false;\
    var r = s.getBoundingClientRect();\
    return r.top >= 0 && r.top < window.innerHeight && r.height > 0;";

#[actix_web::test]
async fn after_a_failed_submit_the_error_summary_is_in_view_and_focused_on_desktop_and_phone() {
    let app = spawn_landing().await;
    for (width, height) in [(1280, 900), (390, 844)] {
        let base = app.address.clone();
        Browser::start(width, height)
            .await
            .journey(
                &format!("landing_error_summary_{width}"),
                |client| async move {
                    client.goto(&format!("{base}/l/seguro-hogar")).await?;
                    client.wait().for_element(Locator::Id("f-nombre")).await?;
                    client
                        .find(Locator::Id("f-telefono"))
                        .await?
                        .send_keys("600 12")
                        .await?;
                    tokio::time::sleep(std::time::Duration::from_millis(3_500)).await;
                    press(&client, "#formulario button[type=submit]").await?;

                    browser::eventually("the error summary in view and focused", || {
                        let client = client.clone();
                        async move {
                            client
                                .execute(SUMMARY_SEEN, vec![])
                                .await
                                .ok()
                                .and_then(|v| v.as_bool())
                                .unwrap_or(false)
                        }
                    })
                    .await?;
                    let summary = client
                        .find(Locator::Css("[data-error-summary]"))
                        .await?
                        .text()
                        .await?;
                    assert!(
                        summary.contains("Hay errores en el formulario"),
                        "{summary}"
                    );
                    let links: Vec<String> = {
                        let mut hrefs = Vec::new();
                        for link in client
                            .find_all(Locator::Css("[data-error-summary] a"))
                            .await?
                        {
                            hrefs.push(link.attr("href").await?.unwrap_or_default());
                        }
                        hrefs
                    };
                    assert_eq!(links, vec!["#f-nombre", "#f-telefono", "#privacidad"]);
                    let value = client
                        .find(Locator::Id("f-telefono"))
                        .await?
                        .prop("value")
                        .await?
                        .unwrap_or_default();
                    assert_eq!(value, "600 12");

                    // A link of the summary takes the visitor to the field.
                    press(&client, "[data-error-summary] a[href='#f-telefono']").await?;
                    browser::eventually("the phone field focused", || {
                        let client = client.clone();
                        async move {
                            client
                                .execute("return document.activeElement.id;", vec![])
                                .await
                                .ok()
                                .and_then(|v| v.as_str().map(|s| s == "f-telefono"))
                                .unwrap_or(false)
                        }
                    })
                    .await?;
                    Ok(())
                },
            )
            .await;
    }
    app.stop().await;
}
