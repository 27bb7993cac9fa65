//! An agent creates a policy through the form in a real browser.

mod browser;
mod common;

use browser::Browser;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use fantoccini::Locator;
use soriano::auth::staff::Role;
use soriano::db::schema::{carriers, customers, products};

const PASSWORD: &str = "una clave larga de prueba";

/// Clicks the form's submit button after scrolling it to the middle of the window.
async fn submit(client: &fantoccini::Client) -> Result<(), fantoccini::error::CmdError> {
    client
        .execute(
            "document.querySelector('form.form button[type=submit]').scrollIntoView({block: 'center', behavior: 'instant'});",
            vec![],
        )
        .await?;
    client
        .find(Locator::Css("form.form button[type=submit]"))
        .await?
        .click()
        .await?;
    Ok(())
}

#[actix_web::test]
async fn an_agent_creates_a_car_policy_after_fixing_a_mistake() {
    let mut ids = (0, 0, 0);
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        let customer: i64 = diesel::insert_into(customers::table)
            .values((
                customers::kind.eq("person"),
                customers::tax_id.eq("12345678Z"),
                customers::given_name.eq("Lucía"),
                customers::family_name.eq("García Pérez"),
                customers::display_name.eq("García Pérez, Lucía"),
                customers::owner_staff_id.eq(agent),
            ))
            .returning(customers::id)
            .get_result(conn)
            .unwrap();
        let carrier: i64 = carriers::table
            .filter(carriers::code.eq("mapfre"))
            .select(carriers::id)
            .first(conn)
            .unwrap();
        let product: i64 = products::table
            .filter(products::carrier_id.eq(carrier))
            .filter(products::code.eq("auto-total"))
            .select(products::id)
            .first(conn)
            .unwrap();
        ids = (customer, carrier, product);
    })
    .await;
    let (customer, carrier, product) = ids;
    let base = app.address.clone();
    Browser::start(1280, 1000)
        .await
        .journey("agent_creates_policy", |client| async move {
            client.goto(&format!("{base}/admin/entrar")).await?;
            client.wait().for_element(Locator::Id("email")).await?.send_keys("agente@soriano.es").await?;
            client.find(Locator::Id("password")).await?.send_keys(PASSWORD).await?;
            client.find(Locator::Css("form.form button[type=submit]")).await?.click().await?;
            browser::eventually("the dashboard", || {
                let client = client.clone();
                async move { client.current_url().await.map(|u| u.path() == "/admin").unwrap_or(false) }
            })
            .await?;

            client.goto(&format!("{base}/admin/polizas/nueva?cliente={customer}")).await?;
            client.wait().for_element(Locator::Id("compania")).await?.select_by_value(&carrier.to_string()).await?;
            // Only the chosen carrier's products are offered.
            let offered = client
                .execute(
                    "const shown = Array.from(document.querySelectorAll('#producto option[data-carrier]')).filter(o => !o.hidden);
                     return [shown.length, shown.filter(o => o.getAttribute('data-carrier') !== arguments[0]).length];",
                    vec![serde_json::json!(carrier.to_string())],
                )
                .await?;
            assert!(offered[0].as_u64().unwrap_or(0) > 0, "its products: {offered}");
            assert_eq!(offered[1].as_u64(), Some(0), "no other carrier's products: {offered}");
            client.find(Locator::Id("producto")).await?.select_by_value(&product.to_string()).await?;
            // htmx re-renders the risk fields for the product's line: only the vehicle group shows.
            browser::eventually("the vehicle fields alone", || {
                let client = client.clone();
                async move {
                    client
                        .execute("return document.getElementById('riesgo-inmueble').hidden && !document.getElementById('riesgo-vehiculo').hidden;", vec![])
                        .await
                        .map(|v| v.as_bool() == Some(true))
                        .unwrap_or(false)
                }
            })
            .await?;
            client.find(Locator::Id("numero")).await?.send_keys("MAP-2026-004242").await?;
            client.find(Locator::Id("prima_neta")).await?.send_keys("410,20").await?;
            client.find(Locator::Id("prima_total")).await?.send_keys("450,00").await?;
            client.find(Locator::Id("matricula")).await?.send_keys("1234 AEI").await?;
            client.find(Locator::Id("marca")).await?.send_keys("Seat").await?;
            client.find(Locator::Id("modelo")).await?.send_keys("León").await?;
            client.find(Locator::Id("anio_matriculacion")).await?.send_keys("2020").await?;
            client
                .find(Locator::Id("motivo_sin_presupuesto"))
                .await?
                .send_keys("Traspaso de la póliza desde otro mediador")
                .await?;
            submit(&client).await?;

            let error = client.wait().for_element(Locator::Id("matricula-error")).await?.text().await?;
            assert!(error.starts_with("La matrícula no es válida"), "{error}");
            let kept = client.find(Locator::Id("numero")).await?.prop("value").await?;
            assert_eq!(kept.as_deref(), Some("MAP-2026-004242"));
            let plate = client.find(Locator::Id("matricula")).await?;
            plate.clear().await?;
            plate.send_keys("1234 BCD").await?;
            submit(&client).await?;

            browser::eventually("the policy page", || {
                let client = client.clone();
                async move { client.current_url().await.map(|u| u.path().starts_with("/admin/polizas/") && u.path() != "/admin/polizas/nueva" && !u.path().ends_with("/polizas")).unwrap_or(false) }
            })
            .await?;
            let heading = client.wait().for_element(Locator::Css("h1")).await?.text().await?;
            assert!(heading.starts_with("Póliza MAP-2026-004242"), "{heading}");
            let status = client.find(Locator::Id("policy-status")).await?.text().await?;
            assert_eq!(status, "En vigor");
            let flash = client.find(Locator::Css(".flash-item")).await?.text().await?;
            assert_eq!(flash, "Póliza dada de alta.");
            let total = client.find(Locator::Id("total-premium")).await?.text().await?;
            assert_eq!(total, "450,00 €");
            Ok(())
        })
        .await;
    app.stop().await;
}
