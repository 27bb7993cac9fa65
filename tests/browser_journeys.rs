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
            // The wrong password is checked on the blocking pool (argon2): wait for the answer.
            let error = client.wait().for_element(Locator::Css(".error-box")).await?.text().await?;
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
            let flash = client.wait().for_element(Locator::Css(".flash-item")).await?.text().await?;
            assert_eq!(flash, "Hola, Administración Soriano.");
            Ok(())
        })
        .await;
    app.stop().await;
}

/// The pages of the demo worth measuring, built from its rows: back-office (as an
/// administrator), e-SORI (as the first demo client) and the public site.
struct DemoPages {
    staff: Vec<String>,
    portal: Vec<String>,
    public: Vec<String>,
}

fn demo_pages(conn: &mut diesel::PgConnection) -> DemoPages {
    use diesel::prelude::*;
    use soriano::db::schema::{
        blog_posts, carrier_settlements, claims, client_users, customers, leads, message_threads,
        policies, quotes, staff_users, taxi_tariff_versions,
    };
    // The first demo client's customer has policies in force, claims, a conversation and a
    // quote: the richest detail pages of both faces.
    let customer: i64 = client_users::table
        .filter(client_users::email.eq(soriano::seed::DEMO_CLIENT_EMAILS[0]))
        .select(client_users::customer_id)
        .first(conn)
        .unwrap();
    let policy: i64 = policies::table
        .filter(policies::customer_id.eq(customer))
        .filter(policies::status.eq("active"))
        .order(policies::id)
        .select(policies::id)
        .first(conn)
        .unwrap();
    let claim: i64 = claims::table
        .filter(claims::customer_id.eq(customer))
        .order(claims::id)
        .select(claims::id)
        .first(conn)
        .unwrap();
    let quote: i64 = quotes::table
        .filter(quotes::customer_id.eq(customer))
        .order(quotes::id.desc())
        .select(quotes::id)
        .first(conn)
        .unwrap();
    let thread: i64 = message_threads::table
        .filter(message_threads::customer_id.eq(customer))
        .select(message_threads::id)
        .first(conn)
        .unwrap();
    let lead: i64 = leads::table
        .order(leads::id)
        .select(leads::id)
        .first(conn)
        .unwrap();
    let settlement: i64 = carrier_settlements::table
        .order(carrier_settlements::id)
        .select(carrier_settlements::id)
        .first(conn)
        .unwrap();
    let user: i64 = staff_users::table
        .filter(staff_users::role.eq("agent"))
        .order(staff_users::id)
        .select(staff_users::id)
        .first(conn)
        .unwrap();
    let tariff: i64 = taxi_tariff_versions::table
        .order(taxi_tariff_versions::id)
        .select(taxi_tariff_versions::id)
        .first(conn)
        .unwrap();
    let post: String = blog_posts::table
        .filter(blog_posts::published_on.is_not_null())
        .order(blog_posts::id)
        .select(blog_posts::slug)
        .first(conn)
        .unwrap();
    let portal_quote: i64 = quotes::table
        .filter(quotes::customer_id.eq(customer))
        .filter(quotes::status.eq("sent"))
        .select(quotes::id)
        .first(conn)
        .unwrap();
    let another_customer: i64 = customers::table
        .filter(customers::id.ne(customer))
        .order(customers::id)
        .select(customers::id)
        .first(conn)
        .unwrap();
    let taxi_query = "anio=2022&valor=28000&plazas=7&combustible=hybrid&municipio=Sevilla&provincia=41&turno=night&aeropuerto=1&edad=41&carne=20&taxista=6&siniestros=1&cobertura=comprehensive_excess&ocupantes=1&retirada=1&calcular=1";
    let staff = [
        "/admin".to_owned(),
        "/admin/clientes".into(),
        format!("/admin/clientes/{customer}"),
        format!("/admin/clientes/{another_customer}"),
        format!("/admin/clientes/{customer}/editar"),
        "/admin/polizas".into(),
        "/admin/polizas/vencimientos".into(),
        format!("/admin/polizas/{policy}"),
        "/admin/recibos".into(),
        "/admin/siniestros".into(),
        format!("/admin/siniestros/{claim}"),
        "/admin/presupuestos".into(),
        format!("/admin/presupuestos/{quote}"),
        "/admin/leads".into(),
        "/admin/leads/lista".into(),
        "/admin/leads/informe".into(),
        format!("/admin/leads/{lead}"),
        "/admin/tareas".into(),
        "/admin/mensajes".into(),
        format!("/admin/mensajes/{thread}"),
        "/admin/comisiones".into(),
        "/admin/comisiones/mias".into(),
        "/admin/comisiones/informe".into(),
        "/admin/analitica".into(),
        "/admin/analitica/cartera".into(),
        "/admin/analitica/produccion".into(),
        "/admin/analitica/retencion".into(),
        "/admin/analitica/siniestralidad".into(),
        "/admin/analitica/recibos".into(),
        "/admin/analitica/comisiones".into(),
        "/admin/analitica/venta-cruzada".into(),
        "/admin/liquidaciones".into(),
        format!("/admin/liquidaciones/{settlement}"),
        "/admin/auditoria".into(),
        "/admin/usuarios".into(),
        format!("/admin/usuarios/{user}"),
        "/admin/catalogo".into(),
        "/admin/taxi".into(),
        "/admin/tarifas".into(),
        format!("/admin/tarifas/{tariff}"),
        "/admin/landings".into(),
        "/admin/blog".into(),
        "/admin/correos".into(),
        "/admin/seguridad".into(),
        "/admin/cuenta".into(),
        format!("/admin/buscar?q={}", "a"),
    ]
    .into();
    let portal = [
        "/portal/inicio".to_owned(),
        "/portal/polizas".into(),
        format!("/portal/polizas/{policy}"),
        "/portal/siniestros".into(),
        format!("/portal/siniestros/{claim}"),
        "/portal/siniestros/nuevo".into(),
        "/portal/presupuestos".into(),
        format!("/portal/presupuestos/{portal_quote}"),
        "/portal/presupuestos/solicitar".into(),
        "/portal/mensajes".into(),
        format!("/portal/mensajes/{thread}"),
        "/portal/datos".into(),
        "/portal/accesos".into(),
        "/portal/seguridad".into(),
    ]
    .into();
    let public = [
        "/".to_owned(),
        "/contacto".into(),
        "/l/seguro-hogar".into(),
        "/taxi".into(),
        format!("/taxi?{taxi_query}"),
        "/blog".into(),
        format!("/blog/{post}"),
        "/portal".into(),
        "/portal/entrar".into(),
        "/admin/entrar".into(),
    ]
    .into();
    DemoPages {
        staff,
        portal,
        public,
    }
}

/// Opens `path` with every disclosure of its content open (a breakdown hidden in a closed
/// `<details>` must fit too) and answers why it scrolls sideways, if it does.
async fn sideways_scroll(
    client: &fantoccini::Client,
    base: &str,
    path: &str,
) -> Result<Option<String>, Box<dyn std::error::Error>> {
    client.goto(&format!("{base}{path}")).await?;
    let found = client
        .execute(
            r#"
            for (const d of document.querySelectorAll('main details')) d.open = true;
            const width = window.innerWidth;
            const page = document.documentElement.scrollWidth;
            if (page <= width) return null;
            // The outermost element sticking out, to name in the failure message.
            const name = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
                + (typeof el.className === 'string' && el.className.trim() ? '.' + el.className.trim().split(/\s+/).join('.') : '');
            let culprit = '';
            for (const el of document.body.querySelectorAll('*')) {
                const parent = el.parentElement;
                if (el.getBoundingClientRect().right > width + 1
                    && parent.getBoundingClientRect().right <= width + 1) {
                    culprit = (parent === document.body ? '' : name(parent) + ' > ') + name(el);
                    break;
                }
            }
            return page + ' px wide (' + culprit + ')';
            "#,
            vec![],
        )
        .await?;
    Ok(found.as_str().map(str::to_owned))
}

async fn portal_sign_in(
    client: &fantoccini::Client,
    base: &str,
    email: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    client.goto(&format!("{base}/portal/entrar")).await?;
    client
        .find(Locator::Id("email"))
        .await?
        .send_keys(email)
        .await?;
    client
        .find(Locator::Id("password"))
        .await?
        .send_keys(soriano::seed::DEMO_ADMIN_PASSWORD)
        .await?;
    client
        .find(Locator::Css("form.form button[type=submit]"))
        .await?
        .click()
        .await?;
    browser::eventually("e-SORI's home page", || {
        let client = client.clone();
        async move {
            client
                .current_url()
                .await
                .map(|u| u.path() == "/portal/inicio")
                .unwrap_or(false)
        }
    })
    .await
}

#[actix_web::test]
async fn no_page_of_the_demo_scrolls_sideways_on_a_phone() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let pages = demo_pages(&mut app.db.conn());
    let base = app.address.clone();
    Browser::start(390, 844)
        .await
        .journey("phone_layout", |client| async move {
            let mut offenders = Vec::new();
            for path in &pages.public {
                if let Some(why) = sideways_scroll(&client, &base, path).await? {
                    offenders.push(format!("{path}: {why}"));
                }
            }
            browser::sign_in(
                &client,
                &base,
                soriano::seed::DEMO_ADMIN_EMAIL,
                soriano::seed::DEMO_ADMIN_PASSWORD,
            )
            .await?;
            for path in &pages.staff {
                if let Some(why) = sideways_scroll(&client, &base, path).await? {
                    offenders.push(format!("{path}: {why}"));
                }
            }
            portal_sign_in(&client, &base, soriano::seed::DEMO_CLIENT_EMAILS[0]).await?;
            for path in &pages.portal {
                if let Some(why) = sideways_scroll(&client, &base, path).await? {
                    offenders.push(format!("{path}: {why}"));
                }
            }
            assert!(
                offenders.is_empty(),
                "pages wider than a 390 px phone:\n{}",
                offenders.join("\n")
            );
            Ok(())
        })
        .await;
    app.stop().await;
}

/// Whether the first element matching `css` is rendered (not inside a closed menu).
async fn shown(client: &fantoccini::Client, css: &str) -> bool {
    match client.find(Locator::Css(css)).await {
        Ok(element) => element.is_displayed().await.unwrap_or(false),
        Err(_) => false,
    }
}

#[actix_web::test]
async fn the_back_office_menu_is_one_row_on_a_desktop_and_one_button_on_a_phone() {
    let app = TestApp::spawn_with(|conn| {
        soriano::seed::demo(conn).unwrap();
    })
    .await;
    let base = app.address.clone();
    Browser::start(1280, 900)
        .await
        .journey("backoffice_menu", |client| async move {
            browser::sign_in(
                &client,
                &base,
                soriano::seed::DEMO_ADMIN_EMAIL,
                soriano::seed::DEMO_ADMIN_PASSWORD,
            )
            .await?;
            client.goto(&format!("{base}/admin/recibos")).await?;
            // Rows of the menu: the height of its list over the height of one entry.
            let rows = client
                .execute(
                    "const list = document.querySelector('.admin-nav > ul');
                     const entry = list.querySelector('li');
                     return Math.round(list.getBoundingClientRect().height / entry.getBoundingClientRect().height);",
                    vec![],
                )
                .await?;
            assert!(rows.as_i64().is_some_and(|r| r <= 2), "menu rows: {rows}");
            let header = client
                .execute(
                    "return document.querySelector('.site-header').getBoundingClientRect().height;",
                    vec![],
                )
                .await?;
            assert!(
                header.as_f64().is_some_and(|h| h <= 110.0),
                "header height at 1280 px: {header}"
            );
            assert!(!shown(&client, ".admin-menu-phone > summary").await, "no Menú button");
            assert!(shown(&client, ".admin-nav a[href='/admin/tareas']").await);
            assert!(shown(&client, "summary.is-current").await);
            let current = client.find(Locator::Css("summary.is-current")).await?.text().await?;
            assert_eq!(current, "Cartera", "the group of the page shown");

            // Every page is one click away once its group is open.
            let groups = client
                .find_all(Locator::Css(".admin-nav .admin-menu-group > details > summary"))
                .await?;
            assert_eq!(groups.len(), 4, "Cartera, Comercial, Administración, Cumplimiento");
            for (index, summary) in groups.iter().enumerate() {
                summary.click().await?;
                let group = format!(".admin-nav .admin-menu-group:nth-child({}) a", index + 4);
                let links = client.find_all(Locator::Css(&group)).await?;
                assert!(!links.is_empty(), "{group}");
                for link in links {
                    assert!(link.is_displayed().await?, "{:?}", link.attr("href").await?);
                }
                // Folded again, so that it covers nothing of the next group's list.
                summary.click().await?;
            }
            groups[2].click().await?;
            client
                .find(Locator::Css(".admin-nav a[href='/admin/correos']"))
                .await?
                .click()
                .await?;
            browser::eventually("the outbox", || {
                let client = client.clone();
                async move {
                    client
                        .current_url()
                        .await
                        .map(|u| u.path() == "/admin/correos")
                        .unwrap_or(false)
                }
            })
            .await?;

            Ok(())
        })
        .await;
    // A phone: one "Menú" button; behind it, every group spelt out.
    let base = app.address.clone();
    Browser::start(390, 844)
        .await
        .journey("backoffice_menu_phone", |client| async move {
            browser::sign_in(
                &client,
                &base,
                soriano::seed::DEMO_ADMIN_EMAIL,
                soriano::seed::DEMO_ADMIN_PASSWORD,
            )
            .await?;
            assert!(
                shown(&client, ".admin-menu-phone > summary").await,
                "Menú button"
            );
            assert!(
                !shown(&client, ".admin-menu-phone a[href='/admin/tareas']").await,
                "menu closed"
            );
            let header = client
                .execute(
                    "return document.querySelector('.site-header').getBoundingClientRect().height;",
                    vec![],
                )
                .await?;
            assert!(
                header.as_f64().is_some_and(|h| h <= 130.0),
                "header height on a phone: {header}"
            );
            client
                .find(Locator::Css(".admin-menu-phone > summary"))
                .await?
                .click()
                .await?;
            for href in [
                "/admin/tareas",
                "/admin/clientes",
                "/admin/leads",
                "/admin/usuarios",
            ] {
                let css = format!(".admin-menu-phone a[href='{href}']");
                browser::eventually(&css, || {
                    let client = client.clone();
                    let css = css.clone();
                    async move { shown(&client, &css).await }
                })
                .await?;
            }
            client
                .find(Locator::Css(".admin-menu-phone a[href='/admin/usuarios']"))
                .await?
                .click()
                .await?;
            browser::eventually("the users page", || {
                let client = client.clone();
                async move {
                    client
                        .current_url()
                        .await
                        .map(|u| u.path() == "/admin/usuarios")
                        .unwrap_or(false)
                }
            })
            .await?;
            Ok(())
        })
        .await;
    app.stop().await;
}
