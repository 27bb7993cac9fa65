//! A client's journey in a real browser: sign in to e-SORI, report a claim with a photo; a
//! handler moves it to "en trámite" in the back-office with a note; the client sees both.

mod browser;
mod common;
mod portal_support;

use browser::Browser;
use fantoccini::Locator;
use portal_support::{PASSWORD, spawn};
use soriano::auth::staff::Role;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82";

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

#[actix_web::test]
async fn a_client_reports_a_claim_and_follows_the_handlers_progress() {
    let (app, world) = spawn(true).await;
    {
        let mut conn = app.db.conn();
        common::create_staff(&mut conn, "tramita@soriano.es", Role::Claims, PASSWORD);
    }
    let photo = std::env::temp_dir().join(format!("soriano-foto-{}.png", std::process::id()));
    std::fs::write(&photo, PNG).unwrap();
    let base = app.address.clone();
    let email = world.a.email.clone();
    let policy_id = world.a.policy_id;
    let date = chrono::Utc::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let photo_path = photo.display().to_string();
    Browser::start(1280, 900)
        .await
        .journey("portal_claim_followed", |client| async move {
            // The client signs in.
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
            client.wait().for_element(Locator::Css("h1")).await?;
            browser::eventually("Inicio", || {
                let client = client.clone();
                async move { text_of(&client, "h1").await.starts_with("Hola") }
            })
            .await?;

            // Reports a claim with a photo.
            client
                .goto(&format!("{base}/portal/siniestros/nuevo"))
                .await?;
            client
                .wait()
                .for_element(Locator::Id("descripcion"))
                .await?;
            client
                .find(Locator::Css(&format!(
                    "#poliza option[value='{policy_id}']"
                )))
                .await?
                .click()
                .await?;
            client
                .find(Locator::Id("fecha"))
                .await?
                .send_keys(&date)
                .await?;
            client
                .find(Locator::Css("#tipo option[value=water_damage]"))
                .await?
                .click()
                .await?;
            client
                .find(Locator::Id("lugar"))
                .await?
                .send_keys("Cocina de casa")
                .await?;
            client
                .find(Locator::Id("descripcion"))
                .await?
                .send_keys("Fuga de agua bajo el fregadero.")
                .await?;
            client
                .find(Locator::Id("archivos"))
                .await?
                .send_keys(&photo_path)
                .await?;
            press(&client, "form.form button[type=submit]").await?;
            browser::eventually("claim page", || {
                let client = client.clone();
                async move { text_of(&client, "#estado").await == "abierto" }
            })
            .await?;
            let claim_url = client.current_url().await?;
            let claim_path = claim_url.path().to_owned();
            let claim_id = claim_path.rsplit('/').next().unwrap().to_owned();
            let page = client.source().await?;
            assert!(page.contains("soriano-foto-"), "the photo is listed");

            // A handler takes it in the back-office (same browser, cookie on /admin).
            browser::sign_in(&client, &base, "tramita@soriano.es", PASSWORD).await?;
            client
                .goto(&format!("{base}/admin/siniestros/{claim_id}"))
                .await?;
            let note = "Hemos enviado un perito; le llamará mañana.";
            client
                .wait()
                .for_element(Locator::Id("nota-in_progress"))
                .await?
                .send_keys(note)
                .await?;
            // Notes are internal unless ticked for the client.
            press(
                &client,
                "form[data-transition=in_progress] input[name=visible_cliente]",
            )
            .await?;
            press(
                &client,
                "form[data-transition=in_progress] button[type=submit]",
            )
            .await?;
            browser::eventually("en trámite (back-office)", || {
                let client = client.clone();
                async move { text_of(&client, "#estado").await == "en trámite" }
            })
            .await?;

            // The client sees the new status and the handler's note.
            client.goto(&format!("{base}{claim_path}")).await?;
            browser::eventually("en trámite (portal)", || {
                let client = client.clone();
                async move { text_of(&client, "#estado").await == "en trámite" }
            })
            .await?;
            let timeline = text_of(&client, "#timeline").await;
            assert!(timeline.contains(note), "{timeline}");
            assert!(timeline.contains("en trámite"), "{timeline}");
            Ok(())
        })
        .await;
    let _ = std::fs::remove_file(&photo);
    app.stop().await;
}
