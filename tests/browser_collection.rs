//! A manager collects premiums in a real browser, on a phone-sized screen: picks the receipts
//! due in the coming months, reads which go and which cannot (and why), writes the remittance
//! and downloads its SEPA file; then uploads the bank's answer and sees the refused receipt
//! returned with its reason.

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

/// The bank's status report (pain.002) refusing the first debit of `xml` for a closed account.
fn pain002_rejecting_first_debit(xml: &str) -> String {
    let first = |tag: &str| {
        let open = format!("<{tag}>");
        let start = xml.find(&open).expect(tag) + open.len();
        xml[start..start + xml[start..].find('<').expect(tag)].to_owned()
    };
    let amount = {
        let open = "<InstdAmt Ccy=\"EUR\">";
        let start = xml.find(open).expect("amount") + open.len();
        xml[start..start + xml[start..].find('<').expect("amount")].to_owned()
    };
    let (message, block, debit) = (first("MsgId"), first("PmtInfId"), first("EndToEndId"));
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.002.001.03\"><CstmrPmtStsRpt>\
         <GrpHdr><MsgId>BANCO-RSP-9</MsgId><CreDtTm>2026-12-20T10:00:00</CreDtTm></GrpHdr>\
         <OrgnlGrpInfAndSts><OrgnlMsgId>{message}</OrgnlMsgId>\
         <OrgnlMsgNmId>pain.008.001.08</OrgnlMsgNmId><GrpSts>PART</GrpSts></OrgnlGrpInfAndSts>\
         <OrgnlPmtInfAndSts><OrgnlPmtInfId>{block}</OrgnlPmtInfId>\
         <TxInfAndSts><OrgnlEndToEndId>{debit}</OrgnlEndToEndId><TxSts>RJCT</TxSts>\
         <StsRsnInf><Rsn><Cd>AC04</Cd></Rsn></StsRsnInf>\
         <OrgnlTxRef><Amt><InstdAmt Ccy=\"EUR\">{amount}</InstdAmt></Amt></OrgnlTxRef></TxInfAndSts>\
         </OrgnlPmtInfAndSts></CstmrPmtStsRpt></Document>"
    )
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
            let remittance_url = client.current_url().await?;

            // The bank refuses the first debit (account closed): its answer is uploaded on
            // the returns page and the receipt reads «Devuelto» with the reason.
            let rejection = pain002_rejecting_first_debit(xml);
            let path = std::env::temp_dir().join(format!("rechazo-{}.xml", std::process::id()));
            std::fs::write(&path, rejection)?;
            client
                .goto(&format!("{base}/admin/remesas/devoluciones"))
                .await?;
            client
                .find(Locator::Id("fichero"))
                .await?
                .send_keys(&path.to_string_lossy())
                .await?;
            press(&client, "form[enctype] button[type=submit]").await?;
            client
                .wait()
                .for_element(Locator::Css(".flash-item"))
                .await?;
            let flash = client
                .find(Locator::Css(".flash-item"))
                .await?
                .text()
                .await?;
            assert!(flash.contains("1 devuelto,"), "{flash}");
            let _ = std::fs::remove_file(&path);
            client.goto(remittance_url.as_str()).await?;
            let table = client.find(Locator::Css("#remitted")).await?.text().await?;
            assert!(table.contains("Devuelto"), "{table}");
            assert!(table.contains("AC04 · Cuenta cancelada"), "{table}");
            let width: i64 = client
                .execute("return document.documentElement.scrollWidth", vec![])
                .await?
                .as_i64()
                .unwrap_or(0);
            assert!(width <= 390, "nothing off screen at 390 px: {width}");
            Ok(())
        })
        .await;
    app.stop().await;
}
