//! Two-factor sign-in in a real headless Chromium: the password form, then the code form.

mod browser;
mod common;

use browser::Browser;
use chrono::Utc;
use common::{TestApp, create_staff};
use fantoccini::Locator;
use soriano::auth::staff::Role;
use soriano::auth::totp;

const PASSWORD: &str = "una clave larga de prueba";

fn code_at(secret: &str, unix_seconds: i64) -> String {
    totp_rs::Builder::new()
        .with_secret(totp_rs::Secret::try_from_base32(secret).unwrap())
        .build()
        .unwrap()
        .generate(unix_seconds as u64)
        .to_string()
}

#[actix_web::test]
async fn staff_with_two_factor_sign_in_through_both_forms() {
    let secret = totp::new_secret();
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        let id = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        let then = Utc::now() - chrono::Duration::hours(1);
        totp::enable(conn, id, &secret, &code_at(&secret, then.timestamp()), then).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("two_factor_sign_in", |client| async move {
            client.goto(&format!("{base}/admin")).await?;
            client
                .find(Locator::Id("email"))
                .await?
                .send_keys("ana@soriano.es")
                .await?;
            client
                .find(Locator::Id("password"))
                .await?
                .send_keys(PASSWORD)
                .await?;
            client
                .find(Locator::Css("form.form button[type=submit]"))
                .await?
                .click()
                .await?;
            browser::eventually("the code page", || {
                let client = client.clone();
                async move {
                    client
                        .current_url()
                        .await
                        .map(|u| u.path() == "/admin/entrar/codigo")
                        .unwrap_or(false)
                }
            })
            .await?;
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert_eq!(heading, "Verificación en dos pasos");
            let label = client
                .find(Locator::Css("label[for=codigo]"))
                .await?
                .text()
                .await?;
            assert_eq!(label, "Código de verificación");

            // A wrong code first: the message appears next to the field.
            let now = Utc::now().timestamp();
            let valid: Vec<String> = (-2..=2).map(|s| code_at(&secret, now + 30 * s)).collect();
            let wrong = if valid.contains(&"000000".to_owned()) {
                "999999"
            } else {
                "000000"
            };
            client
                .find(Locator::Id("codigo"))
                .await?
                .send_keys(wrong)
                .await?;
            client
                .find(Locator::Css("form.form button[type=submit]"))
                .await?
                .click()
                .await?;
            // The form posts and the page reloads; wait for the new one.
            let error = client
                .wait()
                .for_element(Locator::Id("codigo-error"))
                .await?
                .text()
                .await?;
            assert!(error.starts_with("El código no es correcto"), "{error}");
            let invalid = client
                .find(Locator::Id("codigo"))
                .await?
                .attr("aria-invalid")
                .await?;
            assert_eq!(invalid.as_deref(), Some("true"));

            let code = code_at(&secret, Utc::now().timestamp());
            client
                .find(Locator::Id("codigo"))
                .await?
                .send_keys(&code)
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
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert_eq!(heading, "Panel");
            let flash = client
                .find(Locator::Css(".flash-item"))
                .await?
                .text()
                .await?;
            assert_eq!(flash, "Hola, Persona de Prueba.");
            client.goto(&format!("{base}/admin/cuenta")).await?;
            let account = client
                .find(Locator::Css("a[href='/admin/cuenta/dos-pasos']"))
                .await?
                .text()
                .await?;
            assert_eq!(account, "Gestionar la verificación en dos pasos");
            Ok(())
        })
        .await;
    app.stop().await;
}
