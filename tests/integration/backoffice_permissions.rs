//! Every back-office route against every role: exactly the permission table, no more; and
//! every page a person reads, back-office and e-SORI, free of codes, JSON, ids and cents.

use crate::common;
use crate::visible_text;

use common::{TestApp, create_staff};
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::backoffice::routes::ROUTES;

const PASSWORD: &str = "una clave larga de prueba";

#[actix_web::test]
async fn every_route_answers_each_role_as_the_permission_table_says() {
    let roles = [Role::Admin, Role::Supervisor, Role::Agent, Role::Claims];
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        for role in roles {
            create_staff(conn, &format!("{}@soriano.es", role.code()), role, PASSWORD);
        }
    })
    .await;
    let placeholder = regex::Regex::new(r"\{[^}]+\}").unwrap();
    for role in roles {
        let client = common::new_client();
        let token = {
            let body = client
                .get(app.url("/admin/entrar"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            common::csrf_from_html(&body)
        };
        let email = format!("{}@soriano.es", role.code());
        let response = client
            .post(app.url("/admin/entrar"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email.as_str()),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{role:?} signs in"
        );

        for route in ROUTES {
            // An id no row has: what answers is the permission table, not a rule of one
            // record (a claims handler may not change a customer's document, say).
            let path = format!("/admin{}", placeholder.replace_all(route.path, "999999999"));
            let request = match route.method {
                "POST" => client
                    .post(app.url(&path))
                    .header("X-CSRF-Token", &token)
                    .form(&[("_", "")]),
                _ => client.get(app.url(&path)),
            };
            let status = request.send().await.unwrap().status();
            let allowed = route.permission.granted_to(role);
            if allowed {
                assert_ne!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may {} {path}",
                    route.method
                );
                assert!(
                    !status.is_server_error(),
                    "{role:?} {} {path}: {status}",
                    route.method
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::FORBIDDEN,
                    "{role:?} may not {} {path}",
                    route.method
                );
            }
        }
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_forbidden_page_says_so_in_the_back_office_layout() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "agent@soriano.es", Role::Agent, PASSWORD);
    })
    .await;
    app.sign_in("agent@soriano.es", PASSWORD).await;
    let Some(route) = ROUTES.iter().find(|r| {
        r.method == "GET" && !r.permission.granted_to(Role::Agent) && !r.path.contains('{')
    }) else {
        // Nothing is forbidden to agents yet without an id; the walk above covers the rest.
        app.stop().await;
        return;
    };
    let response = app.get(&format!("/admin{}", route.path)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = response.text().await.unwrap();
    assert!(body.contains("Acceso no permitido") && body.contains("layout-admin"));
    app.stop().await;
}

#[actix_web::test]
async fn every_route_is_behind_sign_in() {
    let app = TestApp::spawn().await;
    let placeholder = regex::Regex::new(r"\{[^}]+\}").unwrap();
    let token = app.csrf_token("/admin/entrar").await;
    for route in ROUTES {
        let path = format!("/admin{}", placeholder.replace_all(route.path, "1"));
        let request = match route.method {
            "POST" => app
                .client
                .post(app.url(&path))
                .header("X-CSRF-Token", &token),
            _ => app.client.get(app.url(&path)),
        };
        let response = request.send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "{} {path}",
            route.method
        );
        let location = response
            .headers()
            .get("location")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(location.starts_with("/admin/entrar"), "{location}");
    }
    app.stop().await;
}

fn cache_control(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("cache-control")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

#[actix_web::test]
async fn no_back_office_answer_is_kept_in_a_cache() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
    })
    .await;
    // The sign-in pages of both faces, before anyone is signed in.
    for path in ["/admin/entrar", "/admin/recuperar", "/portal/entrar"] {
        let response = app.get(path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(cache_control(&response).contains("no-store"), "{path}");
    }
    let response = app.sign_in("admin@soriano.es", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(
        cache_control(&response).contains("no-store"),
        "sign-in answer"
    );

    let placeholder = regex::Regex::new(r"\{[^}]+\}").unwrap();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        let path = format!("/admin{}", placeholder.replace_all(route.path, "1"));
        let response = app.get(&path).await;
        assert!(
            !response.status().is_server_error(),
            "GET {path}: {}",
            response.status()
        );
        assert!(
            cache_control(&response).contains("no-store"),
            "GET {path} ({}) says Cache-Control: {:?}",
            response.status(),
            cache_control(&response)
        );
    }
    // An htmx partial (the customer list's rows) is personal data too.
    let response = app.get_htmx("/admin/clientes?q=a").await;
    assert_eq!(response.status(), StatusCode::OK);
    let no_store = cache_control(&response).contains("no-store");
    let body = response.text().await.unwrap();
    assert!(!body.contains("<html"), "a partial, not the page");
    assert!(no_store);
    app.stop().await;
}

/// Ids of demo rows for one kind of `{id}`: varied rows (one per status, kind or stage) so
/// that every label of the pages is seen at least once.
fn demo_ids(conn: &mut diesel::PgConnection, sql: &str) -> Vec<i64> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    diesel::sql_query(sql)
        .load::<Id>(conn)
        .unwrap()
        .into_iter()
        .map(|row| row.id)
        .collect()
}

/// The SQL that picks the demo rows for a route's `{id}`, by the route's first segment.
fn ids_for_route(path: &str) -> Option<&'static str> {
    let first = path.trim_start_matches('/').split('/').next()?;
    Some(match first {
        "clientes" => {
            "(SELECT DISTINCT customer_id AS id FROM claims ORDER BY 1 LIMIT 4)
             UNION (SELECT customer_id FROM client_users) UNION (SELECT min(id) FROM customers WHERE kind <> 'person')"
        }
        "mensajes" => "SELECT id FROM message_threads ORDER BY id LIMIT 3",
        "usuarios" => "SELECT id FROM staff_users ORDER BY id",
        "siniestros" => "SELECT DISTINCT ON (status, kind) id FROM claims ORDER BY status, kind, id",
        "polizas" => {
            "SELECT DISTINCT ON (status, payment_frequency) id FROM policies ORDER BY status, payment_frequency, id"
        }
        "liquidaciones" => "SELECT DISTINCT ON (status) id FROM carrier_settlements ORDER BY status, id",
        "presupuestos" => "SELECT DISTINCT ON (status) id FROM quotes ORDER BY status, id",
        "tarifas" => "SELECT id FROM taxi_tariff_versions ORDER BY id",
        "leads" => "SELECT DISTINCT ON (stage) id FROM leads ORDER BY stage, id",
        "landings" => "SELECT id FROM landings ORDER BY id",
        "blog" => "SELECT id FROM blog_posts ORDER BY id LIMIT 3",
        "importar" => "SELECT id FROM imports ORDER BY id",
        "remesas" => "SELECT id FROM sepa_remittances ORDER BY id",
        "reclamaciones" => "SELECT DISTINCT ON (status) id FROM complaints ORDER BY status, id",
        "documentos" => {
            "SELECT DISTINCT ON (entity_type, kind) id FROM documents ORDER BY entity_type, kind, id"
        }
        "privacidad" => match path.trim_start_matches('/').split('/').nth(1)? {
            "tratamientos" => "SELECT id FROM processing_activities ORDER BY id LIMIT 2",
            "solicitudes" => "SELECT DISTINCT ON (status) id FROM privacy_requests ORDER BY status, id",
            "bloqueados" => "SELECT customer_id AS id FROM blocked_customer_data ORDER BY 1",
            _ => return None,
        },
        "automatizacion" => match path.trim_start_matches('/').split('/').nth(1)? {
            "reglas" => "SELECT id FROM automation_rules ORDER BY id",
            _ => return None,
        },
        "catalogo" => match path.trim_start_matches('/').split('/').nth(1)? {
            "companias" => "SELECT id FROM carriers ORDER BY id LIMIT 2",
            "ramos" => "SELECT id FROM lines_of_business ORDER BY id LIMIT 2",
            "productos" => "SELECT id FROM products ORDER BY id LIMIT 3",
            _ => return None,
        },
        _ => return None,
    })
}

/// Asserts a 200 HTML page and returns what it shows that it should not.
async fn internals_of(client: &reqwest::Client, app: &TestApp, path: &str) -> Vec<String> {
    let response = client.get(app.url(path)).send().await.unwrap();
    // A form that does not apply to this row sends back to the row's page, walked itself.
    if response.status().is_redirection() {
        return Vec::new();
    }
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let html = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if !html {
        return Vec::new();
    }
    let body = response.text().await.unwrap();
    visible_text::internals_of_page(path, &body)
}

/// A few changes made through the back-office, so that the audit log and the histories hold
/// the kinds of details that used to leak codes, ids and cents.
async fn make_audited_changes(app: &TestApp, token: &str) {
    let mut conn = app.db.conn();
    let today = chrono::Utc::now()
        .date_naive()
        .format("%d/%m/%Y")
        .to_string();
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        let mut fields = fields;
        fields.push(("csrf_token", token.to_owned()));
        let request = app
            .client
            .post(app.url(&path))
            .header("X-CSRF-Token", token)
            .form(&fields);
        async move {
            let status = request.send().await.unwrap().status();
            assert!(status.is_redirection(), "POST {path}: {status}");
        }
    };
    let task = demo_ids(
        &mut conn,
        "SELECT min(id) AS id FROM tasks WHERE status = 'open'",
    )[0];
    post(format!("/admin/tareas/{task}/completar"), vec![]).await;
    let receipt = demo_ids(
        &mut conn,
        "SELECT min(id) AS id FROM receipts WHERE status = 'pendiente'",
    )[0];
    post(
        format!("/admin/recibos/{receipt}/cobrar"),
        vec![("cobro_fecha", today.clone())],
    )
    .await;
    let active = demo_ids(
        &mut conn,
        "SELECT id FROM policies WHERE status = 'active' AND start_date <= CURRENT_DATE AND end_date > CURRENT_DATE + 30 ORDER BY id LIMIT 2",
    );
    post(
        format!("/admin/polizas/{}/suplementos", active[0]),
        vec![
            ("suplemento_fecha", today.clone()),
            ("suplemento_descripcion", "Cambio de domicilio".to_owned()),
            ("suplemento_prima", "50,00".to_owned()),
        ],
    )
    .await;
    post(
        format!("/admin/polizas/{}/suspender", active[1]),
        vec![
            ("suspension_motivo", "Vehículo en el taller".to_owned()),
            ("suspension_fecha", today),
        ],
    )
    .await;
    // An import with its dry run (one row refused), so that its page shows every part.
    let admin = demo_ids(
        &mut conn,
        "SELECT min(id) AS id FROM staff_users WHERE role = 'admin'",
    )[0];
    let file = "NIF;Nombre;Apellidos;Correo\n12345678Z;Ana;Prueba Importada;ana@example.es\n12345678A;Luis;Mal;luis@\n";
    let table = soriano::imports::table::read("clientes.csv", file.as_bytes()).unwrap();
    let kind = soriano::imports::Kind::Customers;
    let import = soriano::imports::create(
        &mut conn,
        kind,
        admin,
        "clientes.csv",
        file.as_bytes(),
        &table,
    )
    .unwrap();
    let columns = soriano::imports::plan::guess(kind.fields(), &table);
    soriano::imports::preview(&mut conn, import, &columns, Some("Sistema anterior"), admin)
        .unwrap();
}

#[actix_web::test]
async fn no_back_office_page_shows_codes_json_ids_or_cents() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let response = app
        .sign_in(
            soriano::seed::DEMO_ADMIN_EMAIL,
            soriano::seed::DEMO_ADMIN_PASSWORD,
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "admin signs in");
    let token = app.csrf_token("/admin/cuenta").await;
    make_audited_changes(&app, &token).await;

    let mut conn = app.db.conn();
    let placeholder = regex::Regex::new(r"\{[^}]+\}").unwrap();
    let mut paths = Vec::new();
    for route in ROUTES.iter().filter(|r| r.method == "GET") {
        // The documents list is a partial of a record's page, walked with the record.
        if route.path == "/documentos" {
            continue;
        }
        // Exports are files, not pages.
        if route.path.ends_with("/exportar") {
            continue;
        }
        if !route.path.contains('{') {
            paths.push(format!("/admin{}", route.path));
            continue;
        }
        // Downloads are files, not pages; variants are walked from their landing below.
        if route.path.contains("descargar")
            || route.path.ends_with("/fichero")
            || route.path.contains("{variant}")
        {
            continue;
        }
        // E-mail templates are named by their key; the default ones are in every database.
        if route.path.contains("{key}") {
            for key in ["siniestro_recibido", "aviso_renovacion", "oferta_hogar"] {
                paths.push(format!("/admin{}", route.path.replace("{key}", key)));
            }
            continue;
        }
        let sql = ids_for_route(route.path)
            .unwrap_or_else(|| panic!("no demo rows known for {}", route.path));
        let ids = demo_ids(&mut conn, sql);
        assert!(!ids.is_empty(), "demo rows for {}", route.path);
        for id in ids {
            paths.push(format!(
                "/admin{}",
                placeholder.replace_all(route.path, id.to_string().as_str())
            ));
        }
    }
    for (landing, variant) in demo_ids(
        &mut conn,
        "SELECT landing_id AS id FROM landing_variants ORDER BY id",
    )
    .into_iter()
    .zip(demo_ids(
        &mut conn,
        "SELECT id FROM landing_variants ORDER BY id",
    )) {
        paths.push(format!(
            "/admin/landings/{landing}/variantes/{variant}/editar"
        ));
    }
    // Every page of the audit log's first screens, and the history of each kind of record.
    paths.push("/admin/auditoria?pagina=tras-999999999".to_owned());

    // The legal-hold pages are the compliance role's alone: walked with its session.
    let (compliance, status) = app
        .sign_in_elsewhere(
            "cumplimiento@soriano.test",
            soriano::seed::DEMO_ADMIN_PASSWORD,
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "compliance signs in");
    let mut found = Vec::new();
    for path in &paths {
        let client = if path.starts_with("/admin/privacidad/bloqueados") {
            &compliance
        } else {
            &app.client
        };
        found.extend(internals_of(client, &app, path).await);
    }
    // What the e-mails of these records say, too.
    found.extend(internals_of_outbox(&mut conn));
    assert!(
        found.is_empty(),
        "{} internal values shown to people on {} pages:\n{}",
        found.len(),
        paths.len(),
        found.join("\n")
    );
    app.stop().await;
}

/// Internal values in the text and HTML of every e-mail written so far.
fn internals_of_outbox(conn: &mut diesel::PgConnection) -> Vec<String> {
    use diesel::prelude::*;
    use soriano::db::schema::outbound_emails;
    let emails: Vec<(String, String, String)> = outbound_emails::table
        .select((
            outbound_emails::kind,
            outbound_emails::body_text,
            outbound_emails::body_html,
        ))
        .load(conn)
        .unwrap();
    let mut found = Vec::new();
    for (kind, text, html) in emails {
        found.extend(
            visible_text::internals_in(&text)
                .into_iter()
                .map(|f| format!("e-mail {kind} (text): {f}")),
        );
        found.extend(visible_text::internals_of_page(
            &format!("e-mail {kind} (HTML)"),
            &html,
        ));
    }
    found
}

#[actix_web::test]
async fn no_e_sori_page_shows_codes_json_ids_or_cents() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let mut found = Vec::new();
    let mut walked = 0;
    for email in soriano::seed::DEMO_CLIENT_EMAILS {
        let client = common::new_client();
        let body = client
            .get(app.url("/portal/entrar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let token = common::csrf_from_html(&body);
        let response = client
            .post(app.url("/portal/entrar"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", soriano::seed::DEMO_ADMIN_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email} signs in");
        let customer = demo_ids(
            &mut app.db.conn(),
            &format!("SELECT customer_id AS id FROM client_users WHERE email = '{email}'"),
        )[0];
        let mut paths: Vec<String> = [
            "/portal/inicio",
            "/portal/polizas",
            "/portal/siniestros",
            "/portal/siniestros/nuevo",
            "/portal/presupuestos",
            "/portal/presupuestos/solicitar",
            "/portal/accesos",
            "/portal/seguridad",
            "/portal/datos",
            "/portal/mensajes",
        ]
        .map(str::to_owned)
        .to_vec();
        let mut conn = app.db.conn();
        for (prefix, table) in [
            ("/portal/polizas", "policies"),
            ("/portal/siniestros", "claims"),
            ("/portal/presupuestos", "quotes"),
            ("/portal/mensajes", "message_threads"),
        ] {
            let extra = if table == "quotes" {
                " AND status IN ('sent', 'accepted', 'rejected', 'expired')"
            } else {
                ""
            };
            for id in demo_ids(
                &mut conn,
                &format!(
                    "SELECT id FROM {table} WHERE customer_id = {customer}{extra} ORDER BY id"
                ),
            ) {
                paths.push(format!("{prefix}/{id}"));
            }
        }
        for path in &paths {
            found.extend(internals_of(&client, &app, path).await);
        }
        walked += paths.len();
        // A person is greeted by their given name, not by the "Apellidos, Nombre" of lists.
        let (given, display): (Option<String>, String) = {
            use diesel::prelude::*;
            use soriano::db::schema::customers;
            customers::table
                .find(customer)
                .select((customers::given_name, customers::display_name))
                .first(&mut conn)
                .unwrap()
        };
        let home = client
            .get(app.url("/portal/inicio"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let greeting = format!("Hola, {}", given.as_deref().unwrap_or(&display));
        assert!(home.contains(&greeting), "{email}: {greeting}");
        assert!(!home.contains(&format!("Hola, {display}")), "{email}");
    }
    assert!(
        found.is_empty(),
        "{} internal values shown to clients on {walked} pages:\n{}",
        found.len(),
        found.join("\n")
    );
    app.stop().await;
}

#[test]
fn the_check_list_catches_what_issue_14_found() {
    for shown in [
        "Siniestro SIN-2026-000001 · theft · abierto",
        "estado.after: done, estado.before: open",
        "forma_pago: annual",
        "Prima neta: 50000",
        "Recibo nº 1982",
        "Compañía: 6",
        "fields {\"nombre\": \"Paula\"}",
        "marketing false",
        "Combustible: diesel",
    ] {
        assert!(
            !visible_text::internals_in(shown).is_empty(),
            "not caught: {shown}"
        );
    }
    for fine in [
        "Estado: pendiente → hecha",
        "Prima neta: 500,00 €",
        "Recibo R-12-2026-3",
        "Compañía: Mapfre",
        "Active la verificación en dos pasos",
        "Acepta comunicaciones comerciales: No",
    ] {
        assert_eq!(
            visible_text::internals_in(fine),
            Vec::<String>::new(),
            "{fine}"
        );
    }
}

/// The routes are mounted in one scope per section (`/polizas`, `/clientes`...): what lies
/// next to a route, but is none, is still "not found" (and a section is a whole segment).
#[actix_web::test]
async fn near_misses_of_a_section_are_not_found() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, "admin@soriano.es", Role::Admin, PASSWORD);
    })
    .await;
    app.sign_in("admin@soriano.es", PASSWORD).await;
    assert_eq!(app.get("/admin/polizas").await.status(), StatusCode::OK);
    assert_eq!(app.get("/admin").await.status(), StatusCode::OK);
    for path in [
        "/admin/polizasx",
        "/admin/polizas/",
        "/admin/polizas/1/nada",
        "/admin/clientes/1/editar/mas",
        "/admin/no-existe",
    ] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    app.stop().await;
}
