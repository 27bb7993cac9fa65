//! A complaint from e-SORI to its answer, in a real browser: the client files it on a phone
//! (390 px), gets its reference and asks for a person; the department answers it in the
//! back-office on a desktop; the client reads the answer in e-SORI.

mod browser;
mod common;
mod portal_support;

use browser::Browser;
use fantoccini::Locator;
use portal_support::{PASSWORD, spawn};
use soriano::auth::staff::Role;

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

async fn text_of(client: &fantoccini::Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// Saves what the page looks like under `target/browser-shots/` (looked at during
/// development; nothing asserts on the picture).
async fn shot(client: &fantoccini::Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-shots");
    let _ = std::fs::create_dir_all(&dir);
    if let Ok(png) = client.screenshot().await {
        let _ = std::fs::write(dir.join(format!("{name}.png")), png);
    }
}

/// Whether the page is wider than the window (something off screen at this width).
async fn overflows(client: &fantoccini::Client) -> bool {
    client
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(true)
}

#[actix_web::test]
async fn a_client_files_a_complaint_on_a_phone_and_reads_the_answer() {
    let (app, world) = spawn(true).await;
    {
        let mut conn = app.db.conn();
        common::create_staff(
            &mut conn,
            "cumplimiento@soriano.es",
            Role::Compliance,
            PASSWORD,
        );
    }
    let base = app.address.clone();
    let email = world.a.email.clone();
    let policy_id = world.a.policy_id;
    Browser::start(390, 844)
        .await
        .journey("portal_complaint_answered", |client| async move {
            client.goto(&format!("{base}/portal/entrar")).await?;
            client
                .find(Locator::Id("email"))
                .await?
                .send_keys(&email)
                .await?;
            client
                .find(Locator::Id("password"))
                .await?
                .send_keys(PASSWORD)
                .await?;
            press(&client, "form.form button[type=submit]").await?;
            browser::eventually("Inicio", || {
                let client = client.clone();
                async move { text_of(&client, "h1").await.starts_with("Hola") }
            })
            .await?;

            // From the list to the form, sent first without a subject: the error is next to
            // the field and what was typed stays.
            client.goto(&format!("{base}/portal/reclamaciones")).await?;
            press(&client, "a[href='/portal/reclamaciones/nueva']").await?;
            client
                .wait()
                .for_element(Locator::Id("descripcion"))
                .await?;
            press(&client, "#tipo-claim").await?;
            client
                .find(Locator::Css(&format!(
                    "#poliza option[value='{policy_id}']"
                )))
                .await?
                .click()
                .await?;
            client
                .find(Locator::Id("descripcion"))
                .await?
                .send_keys("Me han cobrado dos veces el recibo de octubre; pido la devolución.")
                .await?;
            press(&client, "form.form button[type=submit]").await?;
            browser::eventually("the subject's error", || {
                let client = client.clone();
                async move {
                    text_of(&client, "#asunto-error")
                        .await
                        .contains("Escriba en pocas palabras")
                }
            })
            .await?;
            assert!(!overflows(&client).await, "the form fits 390 px");
            shot(&client, "portal_complaint_form_390").await;
            client
                .find(Locator::Id("asunto"))
                .await?
                .send_keys("Cobro duplicado")
                .await?;
            press(&client, "form.form button[type=submit]").await?;
            browser::eventually("the complaint's page", || {
                let client = client.clone();
                async move { text_of(&client, "h1").await.contains("SAC-") }
            })
            .await?;
            let heading = text_of(&client, "h1").await;
            assert!(heading.contains("En trámite"), "{heading}");
            let reference = heading
                .split_whitespace()
                .find(|w| w.starts_with("SAC-"))
                .unwrap()
                .to_owned();
            press(&client, "form[action$='/persona'] button").await?;
            browser::eventually("the request for a person", || {
                let client = client.clone();
                async move {
                    text_of(&client, "#persona-pedida")
                        .await
                        .contains("se pondrá en contacto")
                }
            })
            .await?;
            assert!(!overflows(&client).await, "the page fits 390 px");
            shot(&client, "portal_complaint_open_390").await;
            let complaint_path = client.current_url().await?.path().to_owned();

            // The department answers it from the back-office (on the phone too).
            browser::sign_in(&client, &base, "cumplimiento@soriano.es", PASSWORD).await?;
            client.goto(&format!("{base}/admin/reclamaciones")).await?;
            let list = text_of(&client, "main").await;
            assert!(list.contains(&reference), "{list}");
            assert!(list.contains("Pide una persona"), "{list}");
            press(
                &client,
                "a[href^='/admin/reclamaciones/']:not([href$='nueva']):not([href$='informe']):not([href$='plazos'])",
            )
            .await?;
            client
                .wait()
                .for_element(Locator::Id("respuesta"))
                .await?;
            shot(&client, "backoffice_complaint_390").await;
            client
                .find(Locator::Id("respuesta"))
                .await?
                .send_keys("Hemos comprobado el doble cargo con el banco y le devolvemos el importe del segundo recibo esta semana.")
                .await?;
            client
                .find(Locator::Css("#resultado option[value=in_favour]"))
                .await?
                .click()
                .await?;
            press(&client, "form[action$='/respuesta'] button").await?;
            browser::eventually("the answer sent", || {
                let client = client.clone();
                async move {
                    text_of(&client, "#resultado-actual")
                        .await
                        .contains("A favor del cliente")
                }
            })
            .await?;

            // The client reads it in e-SORI.
            client.goto(&format!("{base}{complaint_path}")).await?;
            browser::eventually("the answer in e-SORI", || {
                let client = client.clone();
                async move {
                    text_of(&client, "#respuesta")
                        .await
                        .contains("le devolvemos el importe")
                }
            })
            .await?;
            let heading = text_of(&client, "h1").await;
            assert!(heading.contains("A favor del cliente"), "{heading}");
            assert!(!overflows(&client).await, "the answer fits 390 px");
            shot(&client, "portal_complaint_answered_390").await;
            Ok(())
        })
        .await;

    // On a desktop, the register and the annual report count it.
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("complaints_register_desktop", |client| async move {
            browser::sign_in(&client, &base, "cumplimiento@soriano.es", PASSWORD).await?;
            client
                .goto(&format!("{base}/admin/reclamaciones?ver=todas"))
                .await?;
            let list = text_of(&client, "main").await;
            assert!(list.contains("A favor del cliente"), "{list}");
            assert!(!overflows(&client).await, "the register fits");
            shot(&client, "backoffice_complaints_1280").await;
            press(&client, "a[href='/admin/reclamaciones/informe']").await?;
            browser::eventually("the annual report", || {
                let client = client.clone();
                async move { text_of(&client, "#total").await == "1" }
            })
            .await?;
            assert!(!overflows(&client).await, "the report fits");
            shot(&client, "backoffice_complaints_report_1280").await;
            Ok(())
        })
        .await;
}
