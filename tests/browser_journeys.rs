//! Journeys in a real headless Chromium against the real server.

mod browser;
mod common;

use browser::Browser;
use common::TestApp;
use fantoccini::Locator;

#[actix_web::test]
async fn visitor_sees_the_styled_home_page_and_staff_sign_in() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("home_and_sign_in", |client| async move {
            client.goto(&format!("{base}/")).await?;
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert_eq!(heading, "Seguros claros, con alguien que responde");
            // The hashed stylesheet loaded and applies (the CSP let it through).
            let border = client
                .execute("return getComputedStyle(document.querySelector('.site-header')).borderTopWidth;", vec![])
                .await?;
            assert_eq!(border.as_str(), Some("4px"));
            // htmx loaded from the binary and runs under the strict CSP.
            let htmx = client.execute("return typeof window.htmx;", vec![]).await?;
            assert_eq!(htmx.as_str(), Some("object"));

            client.goto(&format!("{base}/admin")).await?;
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert_eq!(heading, "Acceso de empleados");
            client.find(Locator::Id("email")).await?.send_keys("admin@soriano.test").await?;
            client.find(Locator::Id("password")).await?.send_keys("una clave equivocada").await?;
            client.find(Locator::Css("form.form button[type=submit]")).await?.click().await?;
            let error = client.find(Locator::Css(".error-box")).await?.text().await?;
            assert_eq!(error, "El correo o la contraseña no son correctos.");
            let kept = client.find(Locator::Id("email")).await?.prop("value").await?;
            assert_eq!(kept.as_deref(), Some("admin@soriano.test"));

            client.find(Locator::Id("password")).await?.send_keys(soriano::seed::DEMO_ADMIN_PASSWORD).await?;
            client.find(Locator::Css("form.form button[type=submit]")).await?.click().await?;
            browser::eventually("the dashboard", || {
                let client = client.clone();
                async move { client.current_url().await.map(|u| u.path() == "/admin").unwrap_or(false) }
            })
            .await?;
            let heading = client.find(Locator::Css("h1")).await?.text().await?;
            assert_eq!(heading, "Panel");
            let flash = client.find(Locator::Css(".flash-item")).await?.text().await?;
            assert_eq!(flash, "Hola, Administración Soriano.");
            Ok(())
        })
        .await;
    app.stop().await;
}

#[actix_web::test]
async fn pages_fit_a_phone_screen() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(390, 844)
        .await
        .journey("phone_layout", |client| async move {
            for path in ["/", "/portal", "/admin/entrar"] {
                client.goto(&format!("{base}{path}")).await?;
                let overflow = client
                    .execute(
                        "return document.documentElement.scrollWidth > window.innerWidth;",
                        vec![],
                    )
                    .await?;
                assert_eq!(
                    overflow.as_bool(),
                    Some(false),
                    "{path} scrolls sideways on a phone"
                );
            }
            Ok(())
        })
        .await;
    app.stop().await;
}
