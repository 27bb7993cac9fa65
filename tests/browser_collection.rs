//! A manager collects premiums in a real browser, on a phone-sized screen: picks the receipts
//! due in the coming months, reads which go and which cannot (and why), writes the remittance
//! and downloads its SEPA file.

mod browser;
mod common;

use browser::Browser;
use common::TestApp;
use fantoccini::Locator;

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

fn day(days: i64) -> String {
    (soriano::time::today() + chrono::Duration::days(days))
        .format("%Y-%m-%d")
        .to_string()
}

#[actix_web::test]
async fn a_manager_writes_a_remittance_and_downloads_its_file() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(390, 844)
        .await
        .journey("remittance", |client| async move {
            browser::sign_in(
                &client,
                &base,
                soriano::seed::DEMO_ADMIN_EMAIL,
                soriano::seed::DEMO_ADMIN_PASSWORD,
            )
            .await?;
            client.goto(&format!("{base}/admin/remesas/nueva")).await?;
            // Date inputs take ISO values whatever the browser's language.
            for (id, value) in [
                ("vence_desde", day(46)),
                ("vence_hasta", day(200)),
                ("fecha_cargo", day(15)),
            ] {
                let input = client.find(Locator::Id(id)).await?;
                client
                    .execute(
                        "arguments[0].value = arguments[1];",
                        vec![
                            serde_json::to_value(&input)?,
                            serde_json::Value::from(value),
                        ],
                    )
                    .await?;
            }
            press(&client, "form.form button[type=submit]").await?;
            client
                .wait()
                .for_element(Locator::Css("#eligible-title"))
                .await?;
            let main = client.find(Locator::Css("main")).await?.text().await?;
            assert!(main.contains("Se remesan"), "{main}");
            assert!(
                main.contains("El cliente no tiene un mandato SEPA en vigor."),
                "{main}"
            );
            let width: i64 = client
                .execute("return document.documentElement.scrollWidth", vec![])
                .await?
                .as_i64()
                .unwrap_or(0);
            assert!(width <= 390, "nothing off screen at 390 px: {width}");

            press(&client, "form[action='/admin/remesas'] button[type=submit]").await?;
            client
                .wait()
                .for_element(Locator::Css("a[href$='/fichero']"))
                .await?;
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert!(heading.starts_with("Remesa SORIANO-REM-"), "{heading}");
            let flash = client
                .find(Locator::Css(".flash-item"))
                .await?
                .text()
                .await?;
            assert!(flash.starts_with("Remesa generada"), "{flash}");
            let table = client.find(Locator::Css("#remitted")).await?.text().await?;
            assert!(table.contains("Remesado"), "{table}");
            // The file, as the download link serves it to this signed-in browser.
            let xml = client
                .execute_async(
                    "const done = arguments[arguments.length - 1];
                     fetch(document.querySelector(\"a[href$='/fichero']\").href)
                       .then(r => r.text()).then(done);",
                    vec![],
                )
                .await?;
            let xml = xml.as_str().unwrap_or_default();
            assert!(xml.contains("<CstmrDrctDbtInitn>"), "{xml}");
            assert!(xml.contains("urn:iso:std:iso:20022:tech:xsd:pain.008.001.08"));
            Ok(())
        })
        .await;
    app.stop().await;
}
