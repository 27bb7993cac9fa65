//! Test harness: a real PostgreSQL and the real app served over real HTTP.
//!
//! Without `DATABASE_URL`, one throwaway cluster per test binary is started from the system's
//! binaries (the same code as the app's embedded default) in a temporary directory; a watchdog
//! stops it and removes the directory when the test process exits. Migrations run once into a
//! template database; every test gets its own database copied from it (tens of milliseconds),
//! so tests run in parallel and never see each other's rows. Databases are dropped when the
//! test ends, and leftovers of crashed runs are swept at start.

#![allow(dead_code)]

use std::net::TcpListener;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use diesel::prelude::*;
use diesel::sql_types::Text;
use soriano::app::{self, AppState};
use soriano::config::Config;
use soriano::db::{self, Db, embedded};

pub const TEST_SECRET: &str =
    "test-secret-key-test-secret-key-test-secret-key-test-secret-key-0123";

struct Server {
    /// URL of the `postgres` database, to create and drop test databases.
    admin_url: String,
    template: String,
    _cluster: Option<embedded::Cluster>,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        let pid = std::process::id();
        let (admin_url, cluster) = match std::env::var("DATABASE_URL") {
            Ok(url) if !url.is_empty() => (url, None),
            _ => {
                let dir = std::env::temp_dir().join(format!(
                    "soriano-test-{pid}-{}",
                    soriano::util::random_token(6)
                ));
                let cluster = embedded::Cluster::start_or_join(
                    &dir.join("pg"),
                    &embedded::ClusterOptions { ephemeral: true },
                )
                .expect("start the throwaway PostgreSQL cluster");
                cluster
                    .stop_when_process_exits(pid, Some(&dir))
                    .expect("start the cluster watchdog");
                (cluster.url("postgres"), Some(cluster))
            }
        };
        sweep_leftovers(&admin_url);
        let template = format!("soriano_tpl_{pid}");
        let mut conn = PgConnection::establish(&admin_url).expect("connect to the test server");
        diesel::sql_query(format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            db::quote_ident(&template)
        ))
        .execute(&mut conn)
        .expect("drop an old template");
        diesel::sql_query(format!("CREATE DATABASE {}", db::quote_ident(&template)))
            .execute(&mut conn)
            .expect("create the template database");
        db::migrate(&database_url(&admin_url, &template)).expect("migrate the template database");
        Server {
            admin_url,
            template,
            _cluster: cluster,
        }
    })
}

/// The throwaway cluster of this test binary, or `None` when the tests use `DATABASE_URL`.
pub fn cluster() -> Option<&'static embedded::Cluster> {
    server()._cluster.as_ref()
}

/// Drops databases of earlier test processes that no longer run.
fn sweep_leftovers(admin_url: &str) {
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        datname: String,
    }
    let Ok(mut conn) = PgConnection::establish(admin_url) else {
        return;
    };
    let names: Vec<Name> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'soriano\\_t\\_%' OR datname LIKE 'soriano\\_tpl\\_%'",
    )
    .load(&mut conn)
    .unwrap_or_default();
    for Name { datname } in names {
        let pid: Option<i32> = datname.split('_').nth(2).and_then(|p| p.parse().ok());
        // SAFETY: kill with signal 0 only checks that the process exists.
        let alive = pid.is_some_and(|pid| unsafe { libc::kill(pid, 0) } == 0);
        if !alive {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                db::quote_ident(&datname)
            ))
            .execute(&mut conn);
        }
    }
}

fn database_url(admin_url: &str, database: &str) -> String {
    let mut url = url::Url::parse(admin_url).expect("valid admin URL");
    url.set_path(&format!("/{database}"));
    url.to_string()
}

/// A fresh database copied from the migrated template; dropped with the value.
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    pub fn new() -> Self {
        let server = server();
        let name = format!(
            "soriano_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn =
            PgConnection::establish(&server.admin_url).expect("connect to the test server");
        diesel::sql_query(format!(
            "CREATE DATABASE {} TEMPLATE {}",
            db::quote_ident(&name),
            db::quote_ident(&server.template)
        ))
        .execute(&mut conn)
        .expect("create the test database");
        let url = database_url(&server.admin_url, &name);
        Self { name, url }
    }

    /// A database with no tables at all (no migrations): what a restore goes into.
    pub fn empty() -> Self {
        let server = server();
        let name = format!(
            "soriano_t_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut conn =
            PgConnection::establish(&server.admin_url).expect("connect to the test server");
        diesel::sql_query(format!("CREATE DATABASE {}", db::quote_ident(&name)))
            .execute(&mut conn)
            .expect("create the empty database");
        let url = database_url(&server.admin_url, &name);
        Self { name, url }
    }

    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.url).expect("connect to the test database")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&server().admin_url) {
            let _ = diesel::sql_query(format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                db::quote_ident(&self.name)
            ))
            .execute(&mut conn);
        }
    }
}

/// The app served on a free local port, with its own database.
pub struct TestApp {
    pub address: String,
    pub db: TestDatabase,
    pub state: AppState,
    pub client: reqwest::Client,
    handle: actix_web::dev::ServerHandle,
}

pub fn test_config(bind: std::net::SocketAddr, database_url: &str) -> Config {
    test_config_with(bind, database_url, &[])
}

/// The test configuration with `settings` (environment variable, value) on top.
pub fn test_config_with(
    bind: std::net::SocketAddr,
    database_url: &str,
    settings: &[(&str, &str)],
) -> Config {
    let var_dir = std::env::temp_dir().join(format!("soriano-test-var-{}", std::process::id()));
    let values = [
        ("DATABASE_URL", database_url.to_owned()),
        ("BIND", bind.to_string()),
        ("BASE_URL", format!("http://{bind}")),
        ("SECRET_KEY", TEST_SECRET.to_owned()),
        ("DATABASE_POOL_SIZE", "4".to_owned()),
        ("SORIANO_VAR_DIR", var_dir.display().to_string()),
    ];
    Config::from_lookup(|name| {
        settings
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
            .or_else(|| {
                values
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.clone())
            })
    })
    .expect("valid test configuration")
}

impl TestApp {
    /// Starts the app; call from an actix runtime (`#[actix_web::test]`).
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the app after `prepare` has run on its database (seed rows, accounts...).
    pub async fn spawn_with(prepare: impl FnOnce(&mut PgConnection)) -> Self {
        Self::spawn_configured(&[], prepare).await
    }

    /// Starts the app with `settings` (environment variable, value) on top of the test
    /// configuration, e.g. `TRUST_PROXY`.
    pub async fn spawn_configured(
        settings: &[(&str, &str)],
        prepare: impl FnOnce(&mut PgConnection),
    ) -> Self {
        let db = TestDatabase::new();
        prepare(&mut db.conn());
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let bind = listener.local_addr().expect("local address");
        let config = test_config_with(bind, &db.url, settings);
        let pool = Db::connect(&db.url, config.database_pool_size).expect("pool");
        let state = AppState::new(config, pool).expect("app state");
        let server_state = state.clone();
        let server = actix_web::HttpServer::new(move || app::build(server_state.clone()))
            .workers(1)
            .disable_signals()
            .listen(listener)
            .expect("listen")
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            address: format!("http://{bind}"),
            db,
            state,
            client: new_client(),
            handle,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    pub async fn get_htmx(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .header("HX-Request", "true")
            .send()
            .await
            .expect("GET (htmx)")
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    /// GETs `page` and returns the CSRF token from its form, as a browser would submit it.
    pub async fn csrf_token(&self, page: &str) -> String {
        let body = self.get(page).await.text().await.expect("body");
        csrf_from_html(&body)
    }

    /// Signs in to the back-office with the given credentials; returns the final response.
    pub async fn sign_in(&self, email: &str, password: &str) -> reqwest::Response {
        let token = self.csrf_token("/admin/entrar").await;
        self.post_form(
            "/admin/entrar",
            &[
                ("csrf_token", &token),
                ("email", email),
                ("password", password),
            ],
        )
        .await
    }

    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}

/// A client that keeps cookies and does not follow redirects (tests check them).
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("HTTP client")
}

pub fn csrf_from_html(html: &str) -> String {
    let re = regex::Regex::new(r#"name="csrf_token" value="([^"]+)""#).expect("regex");
    match re.captures(html) {
        Some(captures) => captures[1].to_owned(),
        None => {
            let meta =
                regex::Regex::new(r#"<meta name="csrf-token" content="([^"]+)""#).expect("regex");
            meta.captures(html)
                .map(|c| c[1].to_owned())
                .expect("page has a CSRF token")
        }
    }
}

/// Creates a staff account directly in the database.
pub fn create_staff(
    conn: &mut PgConnection,
    email: &str,
    role: soriano::auth::staff::Role,
    password: &str,
) -> i64 {
    soriano::auth::staff::create(conn, email, "Persona de Prueba", role, password)
        .expect("create staff")
        .id
}

impl TestApp {
    /// Signs `email` in from a new browser (its own cookie jar), as a second device would.
    pub async fn sign_in_elsewhere(
        &self,
        email: &str,
        password: &str,
    ) -> (reqwest::Client, reqwest::StatusCode) {
        let client = new_client();
        let body = client
            .get(self.url("/admin/entrar"))
            .send()
            .await
            .expect("GET")
            .text()
            .await
            .expect("body");
        let token = csrf_from_html(&body);
        let status = client
            .post(self.url("/admin/entrar"))
            .form(&[
                ("csrf_token", token.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .expect("POST")
            .status();
        (client, status)
    }
}

/// A customer of `owner` (with the demo catalogue) holding policy POL-0001 that ends in ten
/// days, an open claim SIN-2026-000001 and, for the owner, an overdue task.
pub fn sample_portfolio(conn: &mut PgConnection, owner: i64) {
    use chrono::{Duration, Utc};
    use soriano::db::schema::{claims, customers, policies, products, tasks};

    soriano::seed::catalog(conn).unwrap();
    let customer: i64 = diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq("12345678Z"),
            customers::given_name.eq("Lucía"),
            customers::family_name.eq("Martín Gil"),
            customers::display_name.eq("Martín Gil, Lucía"),
            customers::phone.eq("612345678"),
            customers::email.eq("lucia@example.es"),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap();
    let (product, carrier, line): (i64, i64, i64) = products::table
        .select((products::id, products::carrier_id, products::line_id))
        .first(conn)
        .unwrap();
    let today = Utc::now().date_naive();
    let policy: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer),
            policies::carrier_id.eq(carrier),
            policies::product_id.eq(product),
            policies::line_id.eq(line),
            policies::number.eq("POL-0001"),
            policies::start_date.eq(today - Duration::days(355)),
            policies::end_date.eq(today + Duration::days(10)),
            policies::net_premium_cents.eq(30000),
            policies::total_premium_cents.eq(32400),
            policies::payment_frequency.eq("annual"),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(claims::table)
        .values((
            claims::number.eq("SIN-2026-000001"),
            claims::policy_id.eq(policy),
            claims::customer_id.eq(customer),
            claims::incident_date.eq(today - Duration::days(3)),
            claims::kind.eq("colisión"),
            claims::description.eq("Golpe en el aparcamiento"),
        ))
        .execute(conn)
        .unwrap();
    diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq("Llamar por la renovación"),
            tasks::due_date.eq(today - Duration::days(1)),
            tasks::assignee_staff_id.eq(owner),
            tasks::customer_id.eq(customer),
        ))
        .execute(conn)
        .unwrap();
}

/// Runs the automation rules once, as the worker would now (what they queue lands in the outbox).
pub fn run_automation(conn: &mut PgConnection) -> soriano::automation::Report {
    let context = soriano::automation::Context {
        base_url: url::Url::parse("http://localhost").unwrap(),
        unsubscribe_key: b"test-unsubscribe-key".to_vec(),
        broker: soriano::distribution::precontract::BrokerIdentity::development(),
    };
    soriano::automation::engine::run(conn, &context, chrono::Utc::now()).expect("automation round")
}

/// The text of a PDF as `pdftotext -layout` reads it (poppler-utils, installed by
/// `scripts/install-deps --browser`): what a reader copies out of the document.
pub fn pdf_text(bytes: &[u8]) -> String {
    assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
    let path = std::env::temp_dir().join(format!(
        "soriano-pdf-{}.pdf",
        soriano::util::random_token(8)
    ));
    std::fs::write(&path, bytes).expect("write the PDF");
    let output = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) runs");
    let _ = std::fs::remove_file(&path);
    assert!(output.status.success(), "pdftotext failed: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 text")
}
