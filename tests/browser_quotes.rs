//! An agent's quote journey in a real browser: a quote with two options for a customer, sent,
//! accepted, landing on the new policy.

mod browser;
mod common;
// Only its customers are needed here.
#[allow(dead_code)]
#[path = "common/portfolio.rs"]
mod portfolio;

use browser::Browser;
use common::{TestApp, create_staff};
use diesel::prelude::*;
use fantoccini::Locator;
use soriano::auth::staff::Role;
use soriano::db::schema::{client_users, customers, lines_of_business, products};

const PASSWORD: &str = "una clave larga de prueba";
const CLIENT_EMAIL: &str = "ana.prueba@example.es";

/// Scrolls the element matching `css` into view and clicks it, as a person would.
async fn press(client: &fantoccini::Client, css: &str) -> Result<(), Box<dyn std::error::Error>> {
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

async fn type_into(
    client: &fantoccini::Client,
    id: &str,
    text: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let field = client.find(Locator::Id(id)).await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Waits until the status badge reads `expected`.
async fn badge(
    client: &fantoccini::Client,
    expected: &'static str,
) -> Result<(), Box<dyn std::error::Error>> {
    browser::eventually(expected, || {
        let client = client.clone();
        async move {
            match client.find(Locator::Id("quote-status")).await {
                Ok(element) => element.text().await.map(|t| t == expected).unwrap_or(false),
                Err(_) => false,
            }
        }
    })
    .await
}

#[actix_web::test]
async fn an_agent_quotes_two_options_sends_and_accepts_into_a_policy() {
    let mut customer = 0;
    let mut line = 0;
    let mut offers: Vec<(i64, i64)> = Vec::new();
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        let agent = create_staff(conn, "agente@soriano.es", Role::Agent, PASSWORD);
        customer = portfolio::customer(conn, 1, "Ana", Some(agent));
        // Ana uses e-SORI: the quote's PDF must reach her there.
        diesel::update(customers::table.find(customer))
            .set(customers::email.eq(CLIENT_EMAIL))
            .execute(conn)
            .unwrap();
        diesel::insert_into(client_users::table)
            .values((
                client_users::customer_id.eq(customer),
                client_users::email.eq(CLIENT_EMAIL),
                client_users::password_hash.eq(soriano::auth::password::hash(PASSWORD).unwrap()),
                client_users::email_confirmed_at.eq(chrono::Utc::now()),
            ))
            .execute(conn)
            .unwrap();
        line = lines_of_business::table
            .filter(lines_of_business::code.eq("auto"))
            .select(lines_of_business::id)
            .first(conn)
            .unwrap();
        offers = products::table
            .filter(products::line_id.eq(line))
            .order(products::id)
            .select((products::carrier_id, products::id))
            .limit(2)
            .load(conn)
            .unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("agent_quote_to_policy", |client| async move {
            browser::sign_in(&client, &base, "agente@soriano.es", PASSWORD).await?;
            client
                .goto(&format!("{base}/admin/clientes/{customer}"))
                .await?;
            press(
                &client,
                &format!("a[href='/admin/presupuestos/nuevo?cliente={customer}']"),
            )
            .await?;
            client.wait().for_element(Locator::Id("ramo")).await?;

            // Choosing the line keeps only its risk fields (htmx swap).
            press(&client, &format!("#ramo option[value='{line}']")).await?;
            browser::eventually("only the vehicle fields", || {
                let client = client.clone();
                async move {
                    match client.find(Locator::Id("riesgo-inmueble")).await {
                        Ok(element) => element.attr("hidden").await.ok().flatten().is_some(),
                        Err(_) => false,
                    }
                }
            })
            .await?;
            type_into(&client, "matricula", "1234 BCD").await?;
            type_into(&client, "marca", "Seat").await?;
            type_into(&client, "modelo", "León").await?;
            type_into(&client, "anio_matriculacion", "2019").await?;
            for (slot, (carrier, product), net, total) in [
                (1, offers[0], "410,00", "452,30"),
                (2, offers[1], "380,00", "420,00"),
            ] {
                press(
                    &client,
                    &format!("#opcion{slot}_compania option[value='{carrier}']"),
                )
                .await?;
                press(
                    &client,
                    &format!("#opcion{slot}_producto option[value='{product}']"),
                )
                .await?;
                type_into(&client, &format!("opcion{slot}_prima_neta"), net).await?;
                type_into(&client, &format!("opcion{slot}_prima_total"), total).await?;
            }
            press(&client, "form.form button[type=submit]").await?;
            badge(&client, "borrador").await?;
            let rows = client.find_all(Locator::Css("#options tbody tr")).await?;
            assert_eq!(rows.len(), 2);

            press(&client, "#send-quote").await?;
            badge(&client, "enviado").await?;
            let quote_id = client
                .current_url()
                .await?
                .path()
                .trim_start_matches("/admin/presupuestos/")
                .to_owned();

            // The distribution record (RDL 3/2020): the client's answers, the option that fits
            // them and why, then the pre-contract information handed over on paper.
            for (field, answer) in [
                ("n_uso", "Particular"),
                ("n_cobertura", "Todo riesgo con franquicia"),
                ("n_asistencia", "No"),
                ("n_conductores", "No"),
                ("n_presupuesto", "El precio"),
            ] {
                press(&client, &format!("#{field} option[value='{answer}']")).await?;
            }
            press(&client, "#opcion_recomendada option:nth-child(2)").await?;
            type_into(
                &client,
                "motivo_recomendacion",
                "Es la más barata de las dos con todo riesgo con franquicia.",
            )
            .await?;
            press(&client, "#save-needs").await?;
            browser::eventually("the needs recorded", || {
                let client = client.clone();
                async move { client.find(Locator::Id("sale-needs")).await.is_ok() }
            })
            .await?;
            press(&client, "#delivery-form summary").await?;
            press(&client, "#canal option[value='paper']").await?;
            type_into(&client, "prueba", "Copia firmada en el expediente").await?;
            press(&client, "#record-delivery").await?;
            browser::eventually("the record complete", || {
                let client = client.clone();
                async move {
                    client
                        .find(Locator::Id("sale-record-complete"))
                        .await
                        .is_ok()
                }
            })
            .await?;

            press(&client, "#accept summary").await?;
            type_into(&client, "numero", "AUTO-2026-1").await?;
            press(&client, "#accept-quote").await?;

            browser::eventually("the new policy's page", || {
                let client = client.clone();
                async move {
                    match client.find(Locator::Css("h1")).await {
                        Ok(h1) => h1
                            .text()
                            .await
                            .map(|t| t.starts_with("Póliza AUTO-2026-1"))
                            .unwrap_or(false),
                        Err(_) => false,
                    }
                }
            })
            .await?;
            let url = client.current_url().await?;
            assert!(url.path().starts_with("/admin/polizas/"), "{url}");
            let total = client
                .find(Locator::Id("total-premium"))
                .await?
                .text()
                .await?;
            assert_eq!(total, "452,30 €");

            // The client signs in to e-SORI and finds the quote's PDF on its page.
            client.goto(&format!("{base}/portal/entrar")).await?;
            client
                .find(Locator::Id("email"))
                .await?
                .send_keys(CLIENT_EMAIL)
                .await?;
            client
                .find(Locator::Id("password"))
                .await?
                .send_keys(PASSWORD)
                .await?;
            press(&client, "form.form button[type=submit]").await?;
            browser::eventually("e-SORI's home", || {
                let client = client.clone();
                async move {
                    match client.find(Locator::Css("h1")).await {
                        Ok(h1) => h1
                            .text()
                            .await
                            .map(|t| t.starts_with("Hola"))
                            .unwrap_or(false),
                        Err(_) => false,
                    }
                }
            })
            .await?;
            client
                .goto(&format!("{base}/portal/presupuestos/{quote_id}"))
                .await?;
            let link = client
                .wait()
                .for_element(Locator::Css("#documentos a[href^='/portal/documentos/']"))
                .await?;
            let name = link.text().await?;
            assert!(
                name.starts_with("Presupuesto") && name.ends_with(".pdf"),
                "{name}"
            );
            let href = link.attr("href").await?.unwrap_or_default();
            let head = client
                .execute_async(
                    "const [url, done] = arguments; \
                     fetch(url).then(r => r.text()).then(t => done(t.slice(0, 5)));",
                    vec![serde_json::Value::String(href)],
                )
                .await?;
            assert_eq!(head, serde_json::json!("%PDF-"), "the link gives the PDF");
            Ok(())
        })
        .await;
    app.stop().await;
}
