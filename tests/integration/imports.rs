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

/// Waits (10 s at most) until the confirmed import `id`, running as a job, is applied.
pub async fn applied(app: &TestApp, id: i64) {
    for _ in 0..200 {
        let status: String = imports::table
            .find(id)
            .select(imports::status)
            .first(&mut app.db.conn())
            .unwrap();
        if status == "applied" {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("import {id} not applied in 10 s");
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
    applied(&app, id).await;
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

async fn upload_kind(
    app: &TestApp,
    token: &str,
    kind: &str,
    name: &str,
    text: &str,
) -> (i64, String) {
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token.to_owned())
        .text("tipo", kind.to_owned())
        .part(
            "archivo",
            reqwest::multipart::Part::bytes(text.as_bytes().to_vec()).file_name(name.to_owned()),
        );
    let response = app
        .client
        .post(app.url("/admin/importar"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let path = location(&response);
    (path.rsplit('/').next().unwrap().parse().unwrap(), path)
}

/// Dry-runs import `id` with `pairs` (field, header), checks nothing was written, confirms it
/// and waits for the job; returns the page of the dry run.
async fn dry_run_and_apply(app: &TestApp, token: &str, id: i64, pairs: &[(&str, &str)]) -> String {
    let mut form: Vec<(&str, String)> = vec![("csrf_token", token.to_owned())];
    form.extend(pairs.iter().map(|(f, h)| (*f, (*h).to_owned())));
    let response = app
        .client
        .post(app.url(&format!("/admin/importar/{id}/simular")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/admin/importar/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let response = app
        .post_form(
            &format!("/admin/importar/{id}/confirmar"),
            &[("csrf_token", token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    applied(app, id).await;
    page
}

const POLICY_FILE: &str = "NIF;Compañía;Producto;Póliza;Efecto;Vencimiento;Prima neta;Prima total;Forma de pago;Matrícula;Marca;Modelo;Año matriculación\n\
12345678Z;MAPFRE;Mapfre Auto Todo Riesgo;imp-0001;01/01/2026;01/01/2027;400,00;500,00;Anual;1234 BCD;Seat;León;2020\n\
99999999R;Mapfre;Mapfre Auto Todo Riesgo;IMP-0002;01/01/2026;;400,00;500,00;Anual;1234 BCD;Seat;León;2020\n\
12345678Z;Mapfre;Vida Inventada;IMP-0003;01/01/2026;;400,00;500,00;Anual;;;;\n\
12345678Z;Aseguradora Fantasma;Auto;IMP-0004;01/01/2026;;400,00;500,00;Anual;;;;\n\
12345678Z;Mapfre;Mapfre Auto Todo Riesgo;IMP-0005;01/01/2026;;400,00;300,00;Anual;1234 BCD;Seat;León;2020\n";

const POLICY_MAPPING: &[(&str, &str)] = &[
    ("nif", "NIF"),
    ("compania", "Compañía"),
    ("producto", "Producto"),
    ("numero", "Póliza"),
    ("efecto", "Efecto"),
    ("vencimiento", "Vencimiento"),
    ("prima_neta", "Prima neta"),
    ("prima_total", "Prima total"),
    ("forma_pago", "Forma de pago"),
    ("matricula", "Matrícula"),
    ("marca", "Marca"),
    ("modelo", "Modelo"),
    ("anio_matriculacion", "Año matriculación"),
];

const RECEIPT_FILE: &str = "Compañía;Nº Póliza;Nº Recibo;F. Vencimiento;Importe;Prima neta;Estado;Fecha cobro\n\
Mapfre;IMP-0001;MAP-900001;01/07/2026;125,00;105,00;Pendiente;\n\
A28141935;IMP-0001;MAP-777001;01/01/2026;500,00;;Cobrado;02/01/2026\n\
Mapfre;IMP-0001;MAP-900001;01/09/2026;125,00;;;\n\
Mapfre;IMP-9999;MAP-900003;01/09/2026;125,00;;;\n";

const RECEIPT_MAPPING: &[(&str, &str)] = &[
    ("compania", "Compañía"),
    ("poliza", "Nº Póliza"),
    ("numero", "Nº Recibo"),
    ("vencimiento", "F. Vencimiento"),
    ("importe", "Importe"),
    ("prima_neta", "Prima neta"),
    ("estado", "Estado"),
    ("fecha_cobro", "Fecha cobro"),
];

/// Policies with their vehicle come in by carrier and number (the customer by tax id, the
/// carrier by name in any case); then the carrier's receipt file inserts a new receipt, takes
/// over the receipt Soriano generated for the same due date (collected, with its commission)
/// and refuses what it cannot place; both files imported again change nothing.
#[actix_web::test]
async fn policies_then_the_carriers_receipts_come_in_once() {
    use soriano::db::schema::{policies, receipts};
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::catalog(conn).unwrap();
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq("12345678Z"),
            customers::given_name.eq("José"),
            customers::family_name.eq("Muñoz"),
            customers::display_name.eq("Muñoz, José"),
        ))
        .execute(&mut app.db.conn())
        .unwrap();
    app.sign_in(ADMIN, PASSWORD).await;
    let token = app.csrf_token("/admin/importar").await;

    let (id, _) = upload_kind(&app, &token, "policies", "polizas.csv", POLICY_FILE).await;
    let page = dry_run_and_apply(&app, &token, id, POLICY_MAPPING).await;
    assert!(page.contains("<strong>1</strong> alta<"), "{page}");
    assert!(page.contains("<strong>4</strong> rechazadas"), "{page}");
    assert!(page.contains("No hay ningún cliente con este NIF: importe antes los clientes."));
    assert!(page.contains("Mapfre no tiene ningún producto «Vida Inventada» activo."));
    assert!(page.contains("No hay ninguna compañía «Aseguradora Fantasma» en el catálogo."));
    assert!(page.contains("La prima total no puede ser menor que la prima neta."));
    let (policy_id, risk): (i64, serde_json::Value) = policies::table
        .filter(policies::number.eq("IMP-0001"))
        .select((policies::id, policies::risk))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(risk["make"], "Seat", "{risk}");
    let generated: i64 = receipts::table
        .filter(receipts::policy_id.eq(policy_id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(generated, 1, "the annual policy's receipt");
    let periods: i64 = soriano::db::schema::policy_periods::table
        .filter(soriano::db::schema::policy_periods::policy_id.eq(policy_id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(periods, 1, "its first period");
    let audited: i64 = audit_log::table
        .filter(audit_log::action.eq("policy.created"))
        .filter(audit_log::target_id.eq(policy_id))
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(audited, 1, "audited as the form would");
    let policy = app
        .get(&format!("/admin/polizas/{policy_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(policy.contains("1234 BCD"), "{policy}");

    let (again, _) = upload_kind(&app, &token, "policies", "polizas.csv", POLICY_FILE).await;
    dry_run_and_apply(&app, &token, again, POLICY_MAPPING).await;
    let count: i64 = policies::table
        .count()
        .get_result(&mut app.db.conn())
        .unwrap();
    assert_eq!(count, 1, "the same file again creates nothing");

    let (id, _) = upload_kind(&app, &token, "receipts", "recibos.csv", RECEIPT_FILE).await;
    let page = dry_run_and_apply(&app, &token, id, RECEIPT_MAPPING).await;
    assert!(page.contains("<strong>1</strong> alta<"), "{page}");
    assert!(page.contains("<strong>1</strong> cambio<"), "{page}");
    assert!(page.contains("<strong>2</strong> rechazadas"), "{page}");
    assert!(page.contains("Este recibo ya está en la fila 2 del archivo."));
    assert!(page.contains("no tiene ninguna póliza con el número IMP-9999"));
    let rows: Vec<(String, String)> = receipts::table
        .filter(receipts::policy_id.eq(policy_id))
        .order(receipts::due_date)
        .select((receipts::number, receipts::status))
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        rows,
        vec![
            ("MAP-777001".to_owned(), "cobrado".to_owned()),
            ("MAP-900001".to_owned(), "pendiente".to_owned()),
        ]
    );

    let (again, _) = upload_kind(&app, &token, "receipts", "recibos.csv", RECEIPT_FILE).await;
    dry_run_and_apply(&app, &token, again, RECEIPT_MAPPING).await;
    let counts: (i32, i32, i32) = imports::table
        .find(again)
        .select((
            imports::created_count,
            imports::updated_count,
            imports::unchanged_count,
        ))
        .first(&mut app.db.conn())
        .unwrap();
    assert_eq!(counts, (0, 0, 2), "the same receipts again change nothing");
    app.stop().await;
}

/// An import stopped after its first batch (as a crash would) is held until its lease runs
/// out, then resumed from the next batch: every row written once, counted once.
#[actix_web::test]
async fn an_import_cut_short_resumes_after_its_last_batch() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    })
    .await;
    let mut conn = app.db.conn();
    let admin: i64 = soriano::db::schema::staff_users::table
        .select(soriano::db::schema::staff_users::id)
        .first(&mut conn)
        .unwrap();
    let letters = b"TRWAGMYFPDXBNJZSQVHLCKE";
    let mut file = String::from("NIF;Nombre;Apellidos\n");
    for n in 0..1_200u32 {
        let number = 20_000_000 + n;
        let letter = letters[(number % 23) as usize] as char;
        file.push_str(&format!("{number}{letter};Cliente;Número {n}\n"));
    }
    let kind = soriano::imports::Kind::Customers;
    let table = soriano::imports::table::read("mil.csv", file.as_bytes()).unwrap();
    let id = soriano::imports::create(&mut conn, kind, admin, "mil.csv", file.as_bytes(), &table)
        .unwrap();
    let columns = soriano::imports::plan::guess(kind.fields(), &table);
    soriano::imports::preview(&mut conn, id, &columns, None, admin).unwrap();
    soriano::imports::queue(&mut conn, id, admin).unwrap();

    assert!(
        soriano::imports::run_batches(&mut conn, id, 1)
            .unwrap()
            .is_none()
    );
    assert_eq!(customer_count(&app), 500);
    // Held: neither a second runner nor the worker takes it.
    assert!(soriano::imports::run(&mut conn, id).unwrap().is_none());
    assert!(soriano::imports::stalled(&mut conn).unwrap().is_empty());
    let page = app.get(&format!("/admin/importar/{id}/progreso")).await;
    assert_eq!(page.status(), StatusCode::SEE_OTHER, "signed out");

    // The runner is gone: its lease runs out and the worker finds it.
    diesel::update(imports::table.find(id))
        .set(imports::lease_until.eq(chrono::Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(soriano::imports::stalled(&mut conn).unwrap(), vec![id]);
    app.sign_in(ADMIN, PASSWORD).await;
    let progress = app
        .get(&format!("/admin/importar/{id}/progreso"))
        .await
        .text()
        .await
        .unwrap();
    assert!(progress.contains("500 de 1.200 filas"), "{progress}");
    assert!(progress.contains("Reanudar ahora"), "{progress}");

    let done = soriano::imports::run(&mut conn, id).unwrap().unwrap();
    assert_eq!((done.created_count, done.unchanged_count), (1_200, 0));
    assert_eq!(customer_count(&app), 1_200);
    let finished = app.get(&format!("/admin/importar/{id}/progreso")).await;
    assert_eq!(finished.headers()["hx-refresh"], "true");
    app.stop().await;
}
