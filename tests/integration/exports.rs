//! Every list exports what it shows: the link under the list carries its filters; the CSV is
//! for a Spanish Excel (BOM, `;`, decimal comma, dd/mm/aaaa) with the list's rows, within the
//! user's scope (an agent's book); the `.xlsx` is a workbook; each export is in the audit log;
//! a role that cannot see the list cannot export it. (Customers and policies have their own
//! tests in `customers.rs` and `policies.rs`.)

use crate::common;

use common::TestApp;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use reqwest::StatusCode;

const ADMIN: &str = soriano::seed::DEMO_ADMIN_EMAIL;
const AGENT: &str = "comercial1@soriano.test";
const PASSWORD: &str = soriano::seed::DEMO_ADMIN_PASSWORD;

/// One list: its page, the start of its CSV header, and how many rows the admin's export
/// and the agent's export hold (SQL over the demo data; `$1` is the agent's e-mail).
struct List {
    page: &'static str,
    export: &'static str,
    header: &'static str,
    all: &'static str,
    agents: Option<&'static str>,
}

fn lists() -> Vec<List> {
    vec![
        List {
            page: "/admin/recibos?estado=todos",
            export: "/admin/recibos/exportar",
            header: "Recibo;Póliza;Cliente;Compañía;Agente;Periodo desde;Periodo hasta;Vencimiento;Importe",
            all: "SELECT count(*) AS n FROM receipts WHERE $1 <> ''",
            agents: Some(
                "SELECT count(*) AS n FROM receipts r JOIN customers c ON c.id = r.customer_id \
                 WHERE c.owner_staff_id = (SELECT id FROM staff_users WHERE email = $1)",
            ),
        },
        List {
            page: "/admin/siniestros?filtro=todos",
            export: "/admin/siniestros/exportar",
            header: "Siniestro;Estado;Tipo;Fecha del siniestro;Abierto el;Días abierto;Póliza;Cliente;Tramitador",
            all: "SELECT count(*) AS n FROM claims WHERE status NOT IN ('paid', 'closed', 'rejected') AND $1 <> ''",
            agents: Some(
                "SELECT count(*) AS n FROM claims k JOIN customers c ON c.id = k.customer_id \
                 WHERE k.status NOT IN ('paid', 'closed', 'rejected') \
                 AND c.owner_staff_id = (SELECT id FROM staff_users WHERE email = $1)",
            ),
        },
        List {
            page: "/admin/presupuestos",
            export: "/admin/presupuestos/exportar",
            header: "Presupuesto;Cliente o interesado;Ramo;Estado;Válido hasta;Opciones;Prima más baja",
            all: "SELECT count(*) AS n FROM quotes WHERE $1 <> ''",
            agents: Some(
                "SELECT count(*) AS n FROM quotes q LEFT JOIN customers c ON c.id = q.customer_id \
                 WHERE q.agent_staff_id = (SELECT id FROM staff_users WHERE email = $1) \
                 OR c.owner_staff_id = (SELECT id FROM staff_users WHERE email = $1)",
            ),
        },
        List {
            page: "/admin/leads/lista",
            export: "/admin/leads/exportar",
            header: "N.º;Nombre;Correo electrónico;Teléfono;Etapa;Ramo;Origen;Campaña;Recibido el",
            all: "SELECT count(*) AS n FROM leads WHERE $1 <> ''",
            agents: Some(
                "SELECT count(*) AS n FROM leads \
                 WHERE assigned_staff_id = (SELECT id FROM staff_users WHERE email = $1)",
            ),
        },
        List {
            page: "/admin/tareas?estado=todas",
            export: "/admin/tareas/exportar",
            header: "Tarea;Descripción;Vence;Prioridad;Estado;Asignada a;Completada el",
            // Everyone exports their own tasks.
            all: "SELECT count(*) AS n FROM tasks \
                  WHERE assignee_staff_id = (SELECT id FROM staff_users WHERE email = 'admin@soriano.test') \
                  AND $1 <> ''",
            agents: Some(
                "SELECT count(*) AS n FROM tasks \
                 WHERE assignee_staff_id = (SELECT id FROM staff_users WHERE email = $1)",
            ),
        },
        List {
            page: "/admin/comisiones",
            export: "/admin/comisiones/exportar",
            header: "Fecha;Tipo;Renovación;Recibo;Póliza;Cliente;Compañía;Agente;Base;Tipo de comisión (%);Comisión",
            all: "SELECT count(*) AS n FROM commissions WHERE $1 <> ''",
            agents: Some(
                "SELECT count(*) AS n FROM commissions \
                 WHERE agent_staff_id = (SELECT id FROM staff_users WHERE email = $1)",
            ),
        },
        List {
            page: "/admin/liquidaciones",
            export: "/admin/liquidaciones/exportar",
            header: "Compañía;Mes;Estado;Líneas;Base;Comisión esperada",
            all: "SELECT count(*) AS n FROM carrier_settlements WHERE $1 <> ''",
            agents: None,
        },
        List {
            page: "/admin/auditoria",
            export: "/admin/auditoria/exportar",
            header: "Fecha y hora;Quién;Cuenta;Acción;Sobre;IP;Navegador;Detalles",
            all: "SELECT count(*) AS n FROM audit_log WHERE $1 <> ''",
            agents: None,
        },
    ]
}

#[derive(QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str, email: &str) -> i64 {
    diesel::sql_query(sql)
        .bind::<Text, _>(email)
        .get_result::<N>(conn)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .n
}

/// The CSV export link under the page at `path`, as an absolute path.
async fn csv_link(app: &TestApp, client: &reqwest::Client, page: &str, export: &str) -> String {
    let html = get(app, client, page).await.text().await.unwrap();
    let pattern = format!(r#"href="({}\?[^"]*formato=csv)""#, regex::escape(export));
    regex::Regex::new(&pattern)
        .unwrap()
        .captures(&html)
        .unwrap_or_else(|| panic!("no export link under {page}"))[1]
        .replace("&amp;", "&")
        .replace("&#38;", "&")
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

async fn csv_lines(app: &TestApp, client: &reqwest::Client, link: &str) -> Vec<String> {
    let response = get(app, client, link).await;
    assert_eq!(response.status(), StatusCode::OK, "{link}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv"),
        "{link}"
    );
    assert!(
        response.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(".csv"),
        "{link}"
    );
    let body = response.text().await.unwrap();
    assert!(body.starts_with('\u{feff}'), "{link}: UTF-8 BOM for Excel");
    body.trim_start_matches('\u{feff}')
        .lines()
        .map(str::to_owned)
        .collect()
}

#[actix_web::test]
async fn every_list_exports_its_rows_within_the_users_scope() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let admin = &app.client;
    let iso_date = regex::Regex::new(r"(^|;)\d{4}-\d{2}-\d{2}(;|$)").unwrap();
    for list in lists() {
        let link = csv_link(&app, admin, list.page, list.export).await;
        let before: i64 = count(&mut app.db.conn(), list.all, ADMIN);
        let lines = csv_lines(&app, admin, &link).await;
        assert!(
            lines[0].starts_with(list.header),
            "{}: {}",
            list.export,
            lines[0]
        );
        assert!(before > 0, "{}: demo rows to export", list.export);
        assert_eq!(lines.len() as i64 - 1, before, "{}: every row", list.export);
        // Dates as dd/mm/aaaa, amounts with a decimal comma: nothing ISO, no cents.
        let body = lines[1..].join("\n");
        assert!(!iso_date.is_match(&body), "{}: an ISO date", list.export);
        let xlsx = get(&app, admin, &link.replace("formato=csv", "formato=xlsx")).await;
        assert_eq!(xlsx.status(), StatusCode::OK);
        assert!(
            xlsx.bytes().await.unwrap().starts_with(b"PK"),
            "{}",
            list.export
        );
    }
    // Each download is on record, with the list it came from.
    let exported: Vec<String> = soriano::db::schema::audit_log::table
        .filter(soriano::db::schema::audit_log::action.eq("list.exported"))
        .select(diesel::dsl::sql::<Text>("details ->> 'listado'"))
        .load(&mut app.db.conn())
        .unwrap();
    for name in [
        "recibos",
        "siniestros",
        "presupuestos",
        "leads",
        "tareas",
        "comisiones",
        "liquidaciones",
        "auditoría",
    ] {
        assert_eq!(
            exported.iter().filter(|l| *l == name).count(),
            2,
            "{name}: the CSV and the workbook, {exported:?}"
        );
    }

    let (agent, status) = app.sign_in_elsewhere(AGENT, PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let agent = &agent;
    for list in lists() {
        let Some(agents) = list.agents else {
            let response = get(&app, agent, &format!("{}?formato=csv", list.export)).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{}: not an agent's list",
                list.export
            );
            continue;
        };
        let link = csv_link(&app, agent, list.page, list.export).await;
        let own = count(&mut app.db.conn(), agents, AGENT);
        let all = count(&mut app.db.conn(), list.all, AGENT);
        let lines = csv_lines(&app, agent, &link).await;
        assert_eq!(
            lines.len() as i64 - 1,
            own,
            "{}: the agent's book only",
            list.export
        );
        assert!(
            own < all || list.export.contains("tareas"),
            "{}",
            list.export
        );
    }
    app.stop().await;
}

#[actix_web::test]
async fn an_export_keeps_the_filters_on_screen() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let admin = &app.client;
    // Collected receipts only: the link says so, and every row is.
    let link = csv_link(
        &app,
        admin,
        "/admin/recibos?estado=cobrado",
        "/admin/recibos/exportar",
    )
    .await;
    assert!(link.contains("estado=cobrado"), "{link}");
    let lines = csv_lines(&app, admin, &link).await;
    let collected = count(
        &mut app.db.conn(),
        "SELECT count(*) AS n FROM receipts WHERE status = 'cobrado' AND $1 <> ''",
        ADMIN,
    );
    assert_eq!(lines.len() as i64 - 1, collected);
    assert!(
        lines[1..].iter().all(|l| l.contains(";Cobrado;")),
        "{:?}",
        &lines[1..3]
    );
    // Amounts in euros with a decimal comma.
    assert!(
        regex::Regex::new(r";\d+,\d{2};")
            .unwrap()
            .is_match(&lines[1]),
        "{}",
        lines[1]
    );

    // Quotes of one status.
    let link = csv_link(
        &app,
        admin,
        "/admin/presupuestos?estado=accepted",
        "/admin/presupuestos/exportar",
    )
    .await;
    let lines = csv_lines(&app, admin, &link).await;
    let accepted = count(
        &mut app.db.conn(),
        "SELECT count(*) AS n FROM quotes WHERE status = 'accepted' AND $1 <> ''",
        ADMIN,
    );
    assert_eq!(lines.len() as i64 - 1, accepted);

    // The audit log filtered by action.
    let lines = csv_lines(
        &app,
        admin,
        "/admin/auditoria/exportar?accion=staff.sign_in&formato=csv",
    )
    .await;
    assert!(lines.len() >= 2);
    assert!(
        lines[1..].iter().all(|l| l.contains(ADMIN)),
        "{:?}",
        &lines[1..]
    );

    // An unknown format is refused, not guessed.
    let response = app.get("/admin/recibos/exportar?formato=pdf").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

/// An export longer than the chunk it is read in (1,000 rows a statement) holds every row
/// once, in the list's order, in both formats; the audit entry counts them.
#[actix_web::test]
async fn a_long_export_is_read_in_chunks_and_loses_no_row() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        soriano::seed::bulk_customers(conn, 2_345).unwrap();
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    use soriano::db::schema::customers;
    let expected: Vec<String> = customers::table
        .filter(customers::merged_into_id.is_null())
        .filter(customers::blocked_at.is_null())
        .order((
            diesel::dsl::sql::<Text>("lower(display_name)"),
            customers::id,
        ))
        .select(diesel::dsl::sql::<Text>("lower(display_name)"))
        .load(&mut app.db.conn())
        .unwrap();
    let total = expected.len() as i64;
    assert!(total > 2_345);
    let lines = csv_lines(&app, &app.client, "/admin/clientes/exportar?formato=csv").await;
    assert_eq!(
        lines.len() as i64,
        total + 1,
        "the header and every customer"
    );
    let tax_ids: std::collections::HashSet<&str> = lines[1..]
        .iter()
        .map(|line| line.split(';').nth(1).unwrap())
        .collect();
    assert_eq!(tax_ids.len() as i64, total, "no customer twice");
    let names: Vec<String> = lines[1..]
        .iter()
        .map(|line| {
            line.split(';')
                .next()
                .unwrap()
                .trim_matches('"')
                .to_lowercase()
        })
        .collect();
    assert_eq!(names, expected, "in the list's order");

    let xlsx = get(&app, &app.client, "/admin/clientes/exportar?formato=xlsx").await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let length: usize = xlsx.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let bytes = xlsx.bytes().await.unwrap();
    assert_eq!(bytes.len(), length, "the length announced is the file's");
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let sheet = book.worksheet_range("Clientes").unwrap();
    assert_eq!(sheet.height() as i64, total + 1);

    let counted: Vec<i64> = soriano::db::schema::audit_log::table
        .filter(soriano::db::schema::audit_log::action.eq("list.exported"))
        .select(diesel::dsl::sql::<BigInt>("(details ->> 'filas')::bigint"))
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(counted, vec![total, total]);
    app.stop().await;
}
