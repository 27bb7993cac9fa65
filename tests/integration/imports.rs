//! Importing customers through HTTP: a Windows-1252 CSV with `;` and a note over two lines is
//! uploaded, its columns guessed, mapped and saved by name, dry-run (each refusal with its
//! row, column, value and Spanish reason; nothing written), confirmed once (creates, updates
//! a known tax id without erasing what the file leaves empty, audited); the same file again
//! changes nothing; the refused rows download as a CSV; only managers may import, with CSRF.

use crate::common;

use common::{TestApp, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{audit_log, customers, imports};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const AGENT: &str = "agente@soriano.es";

/// The file as Excel for Spanish Windows saves it: Windows-1252, `;`, CRLF.
fn legacy_file() -> Vec<u8> {
    let text = "DNI;Nombre;Apellidos;Correo;Móvil;F. nacimiento;Observaciones;Razón social\r\n\
                12345678Z;José;Muñoz Pérez;jose@example.es;612 345 678;17/05/1980;\"Cliente desde 2010\r\nllamar por la tarde\";\r\n\
                00000000T;Ana;Conocida;ana.nueva@example.es;;;;\r\n\
                12345678A;Luis;Letra Mal;luis@example.es;;;;\r\n\
                X1234567L;Marta;Sin Correo;marta@;;;;\r\n\
                12345678Z;José;Repetido;;;;;\r\n\
                B12345674;;;info@empresa.es;;;;Construcciones Soriano SL\r\n";
    encoding_rs::WINDOWS_1252.encode(text).0.into_owned()
}

async fn upload(app: &TestApp, token: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token.to_owned())
        .part(
            "archivo",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
        );
    app.client
        .post(app.url("/admin/importar"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn mapping(token: &str) -> Vec<(&'static str, String)> {
    vec![
        ("csrf_token", token.to_owned()),
        ("nif", "DNI".into()),
        ("nombre", "Nombre".into()),
        ("apellidos", "Apellidos".into()),
        ("email", "Correo".into()),
        ("telefono", "Móvil".into()),
        ("fecha_nacimiento", "F. nacimiento".into()),
        ("notas", "Observaciones".into()),
        ("razon_social", "Razón social".into()),
        ("guardar_como", "Sistema anterior".into()),
    ]
}

fn customer_count(app: &TestApp) -> i64 {
    customers::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap()
}

#[actix_web::test]
async fn a_customer_file_is_mapped_dry_run_and_applied_once() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    // A customer the brokerage already has, with a phone the file does not bring.
    diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq("00000000T"),
            customers::given_name.eq("Ana"),
            customers::family_name.eq("Conocida"),
            customers::display_name.eq("Conocida, Ana"),
            customers::email.eq("ana.antigua@example.es"),
            customers::phone.eq("699111222"),
        ))
        .execute(&mut app.db.conn())
        .unwrap();
    app.sign_in(ADMIN, PASSWORD).await;
    let token = app.csrf_token("/admin/importar").await;

    let response = upload(&app, &token, "clientes-2010.csv", legacy_file()).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page_path = location(&response);
    let id: i64 = page_path.rsplit('/').next().unwrap().parse().unwrap();
    let page = app.get(&page_path).await.text().await.unwrap();
    assert!(
        page.contains("7 filas") || page.contains("6 filas"),
        "{page}"
    );
    // The usual names of the columns are recognised (the NIF under "DNI", accents decoded).
    assert!(
        page.contains(r#"<option value="DNI" selected>DNI</option>"#),
        "{page}"
    );
    assert!(page.contains(r#"<option value="Móvil" selected>Móvil</option>"#));

    // Dry run: nothing written, every refusal explained.
    let before = customer_count(&app);
    let response = app
        .client
        .post(app.url(&format!("/admin/importar/{id}/simular")))
        .form(&mapping(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(customer_count(&app), before, "a dry run writes nothing");
    let page = app.get(&page_path).await.text().await.unwrap();
    assert!(page.contains("<strong>2</strong> altas"), "{page}");
    assert!(page.contains("<strong>1</strong> cambio<"));
    assert!(page.contains("<strong>3</strong> rechazadas"));
    // Row 4: a DNI whose letter does not match; row 5: a broken e-mail; row 6: a repeat.
    assert!(
        page.contains("<td>4</td><td>DNI</td><td>12345678A</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>5</td><td>Correo</td><td>marta@</td>"),
        "{page}"
    );
    assert!(page.contains("Este NIF ya está en la fila 2 del archivo."));
    assert!(page.contains("Confirmar la importación"));

    // The refused rows, to fix and upload again.
    let csv = app
        .get(&format!("/admin/importar/{id}/rechazadas"))
        .await
        .text()
        .await
        .unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert!(
        lines[0].starts_with("Fila;Motivo;DNI;Nombre"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].starts_with("4;DNI: "), "{}", lines[1]);

    // Confirmed: two created, one updated (its phone kept), audited.
    let response = app
        .post_form(
            &format!("/admin/importar/{id}/confirmar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(customer_count(&app), before + 2);
    let (email, phone): (Option<String>, Option<String>) = customers::table
        .filter(customers::tax_id.eq("00000000T"))
        .select((customers::email, customers::phone))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(email.as_deref(), Some("ana.nueva@example.es"));
    assert_eq!(
        phone.as_deref(),
        Some("699111222"),
        "an empty cell erases nothing"
    );
    let (notes, name): (String, String) = customers::table
        .filter(customers::tax_id.eq("12345678Z"))
        .select((customers::notes, customers::display_name))
        .first(&mut app.db.conn())
        .unwrap();
    assert!(
        notes.starts_with("Cliente desde 2010") && notes.ends_with("llamar por la tarde"),
        "the note over two lines: {notes:?}"
    );
    assert!(name.contains("Muñoz Pérez"), "{name}");
    let company: String = customers::table
        .filter(customers::tax_id.eq("B12345674"))
        .select(customers::kind)
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(company, "company");
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("import.applied"))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(audited, 1);

    // Confirming twice writes nothing more.
    let response = app
        .post_form(
            &format!("/admin/importar/{id}/confirmar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(customer_count(&app), before + 2);

    // The same file again, with the saved mapping: nothing changes.
    let response = upload(&app, &token, "clientes-2010.csv", legacy_file()).await;
    let again = location(&response);
    let second: i64 = again.rsplit('/').next().unwrap().parse().unwrap();
    let page = app
        .get(&format!("{again}?plantilla=Sistema+anterior"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Sistema anterior"));
    assert!(page.contains(r#"<option value="Observaciones" selected>"#));
    let response = app
        .client
        .post(app.url(&format!("/admin/importar/{second}/simular")))
        .form(&mapping(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get(&again).await.text().await.unwrap();
    assert!(page.contains("<strong>0</strong> altas"), "{page}");
    assert!(page.contains("<strong>0</strong> cambios"));
    assert!(page.contains("<strong>3</strong> sin cambios"));

    // The history: who, when, the file and its SHA-256, the counts.
    let page = app.get("/admin/importar").await.text().await.unwrap();
    assert!(page.contains("clientes-2010.csv"));
    assert!(page.contains("Importada"));
    let sha: String = imports::table
        .find(id)
        .select(imports::sha256)
        .first(&mut app.db.conn())
        .unwrap();
    assert!(page.contains(&sha[..12]));
    app.stop().await;
}

#[actix_web::test]
async fn a_file_that_cannot_be_imported_says_why_and_stores_nothing() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let token = app.csrf_token("/admin/importar").await;
    for (name, bytes, message) in [
        (
            "clientes.pdf",
            b"%PDF-1.4".to_vec(),
            "Suba un archivo CSV o una hoja de cálculo",
        ),
        (
            "vacio.csv",
            Vec::new(),
            "Elija el archivo que quiere importar.",
        ),
        (
            "titulos.csv",
            b"NIF;Nombre\r\n".to_vec(),
            "no tiene filas de datos",
        ),
    ] {
        let response = upload(&app, &token, name, bytes).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{name}"
        );
        assert!(response.text().await.unwrap().contains(message), "{name}");
    }
    let stored: i64 = imports::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(stored, 0);

    // A mapping without the tax id is refused next to the form, the choices kept.
    let response = upload(
        &app,
        &token,
        "c.csv",
        b"Nombre;Apellidos\nAna;Ruiz\n".to_vec(),
    )
    .await;
    let path = location(&response);
    let response = app
        .client
        .post(app.url(&format!("{path}/simular")))
        .form(&[
            ("csrf_token", token.as_str()),
            ("nombre", "Nombre"),
            ("apellidos", "Apellidos"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = response.text().await.unwrap();
    assert!(page.contains("Elija la columna del NIF"));
    assert!(page.contains(r#"<option value="Apellidos" selected>"#));
    // Confirming what was never previewed does nothing.
    let response = app
        .post_form(&format!("{path}/confirmar"), &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.get(&path).await.text().await.unwrap();
    assert!(page.contains("Primero haga la simulación."), "{page}");
    app.stop().await;
}

#[actix_web::test]
async fn only_managers_import_and_never_without_the_csrf_token() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        create_staff(conn, AGENT, Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let response = upload(&app, "not-the-token", "c.csv", legacy_file()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let token = app.csrf_token("/admin/importar").await;
    let path = location(&upload(&app, &token, "c.csv", legacy_file()).await);

    let (agent, _) = app.sign_in_elsewhere(AGENT, PASSWORD).await;
    for path in [
        "/admin/importar".to_owned(),
        path.clone(),
        format!("{path}/rechazadas"),
    ] {
        let status = agent.get(app.url(&path)).send().await.unwrap().status();
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
    }
    let response = app
        .post_form(
            "/admin/importar/999999/confirmar",
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    app.stop().await;
}
