//! An administrator imports customers in a real browser, on a phone-sized screen: choose the
//! file, check the columns, run the simulation, read why a row is refused, confirm, and find
//! the new customer in the list.

mod browser;
mod common;

use browser::Browser;
use common::{TestApp, create_staff};
use fantoccini::Locator;
use soriano::auth::staff::Role;

const PASSWORD: &str = "una clave larga de prueba";

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

#[actix_web::test]
async fn an_administrator_imports_customers_from_upload_to_confirmation() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
    })
    .await;
    let dir = std::env::temp_dir().join(format!("soriano-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cartera-anterior.csv");
    std::fs::write(
        &file,
        "NIF;Nombre;Apellidos;Email\n12345678Z;Zoe;Importada Navegador;zoe@example.es\n12345678A;Luis;Letra Mal;luis@example.es\n",
    )
    .unwrap();
    let base = app.address.clone();
    let path = file.display().to_string();
    Browser::start(390, 844)
        .await
        .journey("import_customers", |client| async move {
            browser::sign_in(&client, &base, "admin@soriano.es", PASSWORD).await?;
            client.goto(&format!("{base}/admin/importar")).await?;
            client
                .find(Locator::Id("archivo"))
                .await?
                .send_keys(&path)
                .await?;
            press(&client, "form.form button[type=submit]").await?;

            // The columns step: the NIF column recognised by its title.
            client.wait().for_element(Locator::Id("campo-nif")).await?;
            let chosen = client
                .find(Locator::Css("#campo-nif option:checked"))
                .await?
                .text()
                .await?;
            assert_eq!(chosen, "NIF");
            press(&client, "form.form button[type=submit]").await?;

            // The simulation: one to create, one refused with its reason, nothing saved yet.
            client
                .wait()
                .for_element(Locator::Css("#result-title"))
                .await?;
            let result = client.find(Locator::Css("main")).await?.text().await?;
            assert!(result.contains("Aún no se ha guardado nada"), "{result}");
            assert!(result.contains("1 alta"), "{result}");
            assert!(result.contains("12345678A"), "{result}");
            let width: i64 = client
                .execute("return document.documentElement.scrollWidth", vec![])
                .await?
                .as_i64()
                .unwrap_or(0);
            assert!(width <= 390, "nothing off screen at 390 px: {width}");

            press(&client, "form[action$=confirmar] button").await?;
            browser::eventually("the import applied", || {
                let client = client.clone();
                async move {
                    match client.find(Locator::Css("main")).await {
                        Ok(main) => main
                            .text()
                            .await
                            .map(|t| t.contains("Resultado") && t.contains("Importada"))
                            .unwrap_or(false),
                        Err(_) => false,
                    }
                }
            })
            .await?;

            client
                .goto(&format!("{base}/admin/clientes?q=Importada"))
                .await?;
            let list = client.find(Locator::Css("main")).await?.text().await?;
            assert!(list.contains("Importada Navegador"), "{list}");
            Ok(())
        })
        .await;
    let _ = std::fs::remove_dir_all(&dir);
    app.stop().await;
}
