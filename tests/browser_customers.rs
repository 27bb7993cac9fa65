//! Customers in a real browser: the form keeps values and shows the message next to the
//! field, and the live search answers without reloading the page.

mod browser;
mod common;

use browser::Browser;
use common::TestApp;
use fantoccini::Locator;

/// Submits the customer form as its button would (the button may sit below the fold).
async fn submit(client: &fantoccini::Client) -> Result<(), fantoccini::error::CmdError> {
    client
        .execute(
            "document.querySelector('form.form').requestSubmit(document.querySelector('form.form button[type=submit]'));",
            vec![],
        )
        .await?;
    Ok(())
}

#[actix_web::test]
async fn staff_fix_a_bad_dni_save_the_customer_and_find_it_by_live_search() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("customer_create_and_search", |client| async move {
            client.goto(&format!("{base}/admin/entrar")).await?;
            client.wait().for_element(Locator::Id("email")).await?;
            client
                .find(Locator::Id("email"))
                .await?
                .send_keys(soriano::seed::DEMO_ADMIN_EMAIL)
                .await?;
            client
                .find(Locator::Id("password"))
                .await?
                .send_keys(soriano::seed::DEMO_ADMIN_PASSWORD)
                .await?;
            client
                .find(Locator::Css("form.form button[type=submit]"))
                .await?
                .click()
                .await?;
            browser::eventually("the dashboard", || {
                let client = client.clone();
                async move {
                    client
                        .current_url()
                        .await
                        .map(|u| u.path() == "/admin")
                        .unwrap_or(false)
                }
            })
            .await?;

            client.goto(&format!("{base}/admin/clientes/nuevo")).await?;
            client.wait().for_element(Locator::Id("nombre")).await?;
            client
                .find(Locator::Id("nombre"))
                .await?
                .send_keys("Zacarías")
                .await?;
            client
                .find(Locator::Id("apellidos"))
                .await?
                .send_keys("Quintanilla Úbeda")
                .await?;
            client
                .find(Locator::Id("nif"))
                .await?
                .send_keys("11111111A")
                .await?;
            client
                .find(Locator::Id("telefono"))
                .await?
                .send_keys("699 88 77 66")
                .await?;
            client
                .find(Locator::Id("codigo_postal"))
                .await?
                .send_keys("41001")
                .await?;
            client
                .find(Locator::Id("localidad"))
                .await?
                .send_keys("Sevilla")
                .await?;
            submit(&client).await?;

            let error = client
                .wait()
                .for_element(Locator::Id("nif-error"))
                .await?
                .text()
                .await?;
            assert!(error.contains("La letra del DNI no corresponde"), "{error}");
            let kept = client
                .find(Locator::Id("apellidos"))
                .await?
                .prop("value")
                .await?;
            assert_eq!(kept.as_deref(), Some("Quintanilla Úbeda"));
            let kept = client
                .find(Locator::Id("localidad"))
                .await?
                .prop("value")
                .await?;
            assert_eq!(kept.as_deref(), Some("Sevilla"));
            let invalid = client
                .find(Locator::Id("nif"))
                .await?
                .attr("aria-invalid")
                .await?;
            assert_eq!(invalid.as_deref(), Some("true"));

            let nif = client.find(Locator::Id("nif")).await?;
            nif.clear().await?;
            nif.send_keys("11111111H").await?;
            submit(&client).await?;
            browser::eventually("the customer's page", || {
                let client = client.clone();
                async move {
                    client
                        .current_url()
                        .await
                        .map(|u| {
                            u.path()
                                .trim_start_matches("/admin/clientes/")
                                .parse::<i64>()
                                .is_ok()
                        })
                        .unwrap_or(false)
                }
            })
            .await?;
            let heading = client
                .wait()
                .for_element(Locator::Css("h1"))
                .await?
                .text()
                .await?;
            assert_eq!(heading, "Quintanilla Úbeda, Zacarías");

            client.goto(&format!("{base}/admin/clientes")).await?;
            client.wait().for_element(Locator::Id("q")).await?;
            // A marker that a full page load would wipe.
            client
                .execute("window.__sinRecarga = true;", vec![])
                .await?;
            client
                .find(Locator::Id("q"))
                .await?
                .send_keys("11111111h")
                .await?;
            browser::eventually("the live search result", || {
                let client = client.clone();
                async move {
                    match client.find(Locator::Css("#results")).await {
                        Ok(results) => results
                            .text()
                            .await
                            .map(|t| {
                                t.contains("Quintanilla Úbeda, Zacarías") && !t.contains("Ningún")
                            })
                            .unwrap_or(false),
                        Err(_) => false,
                    }
                }
            })
            .await?;
            let rows = client.find_all(Locator::Css("#results tbody tr")).await?;
            assert_eq!(rows.len(), 1);
            let marker = client
                .execute("return window.__sinRecarga === true;", vec![])
                .await?;
            assert_eq!(marker.as_bool(), Some(true), "no page reload");
            browser::eventually("the URL to follow the search", || {
                let client = client.clone();
                async move {
                    client
                        .current_url()
                        .await
                        .map(|u| u.query().unwrap_or("").contains("q=11111111h"))
                        .unwrap_or(false)
                }
            })
            .await?;
            Ok(())
        })
        .await;
    app.stop().await;
}
