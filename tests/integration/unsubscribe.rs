//! The unsubscribe link of commercial e-mail (LSSI art. 21): the signed token, the public
//! page `/baja/{token}`, the withdrawal recorded once, RFC 8058 one-click POSTs without CSRF
//! (and nothing else without it), and the `List-Unsubscribe` headers on the e-mail delivered.

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use common::{TestApp, TestDatabase, csrf_from_html, new_client};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::clients::unsubscribe;
use soriano::db::Db;
use soriano::db::schema::{audit_log, customer_consents, customers};
use soriano::mail::transport::Transport;
use soriano::mail::{self, Email, worker};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const DONE: &str = "Ya no recibirá comunicaciones comerciales. Seguirá recibiendo los avisos de servicio sobre sus pólizas y siniestros.";
const ONE_CLICK: [(&str, &str); 1] = [("List-Unsubscribe", "One-Click")];

fn customer(conn: &mut PgConnection, tax_id: &str, email: &str, marketing: Option<bool>) -> i64 {
    let id: i64 = diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(tax_id),
            customers::given_name.eq("Lucía"),
            customers::family_name.eq("Martín Gil"),
            customers::display_name.eq("Martín Gil, Lucía"),
            customers::email.eq(email),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap();
    if let Some(granted) = marketing {
        diesel::insert_into(customer_consents::table)
            .values((
                customer_consents::customer_id.eq(id),
                customer_consents::purpose.eq("marketing"),
                customer_consents::granted.eq(granted),
                customer_consents::text_version.eq("v1"),
                customer_consents::source.eq("back-office"),
            ))
            .execute(conn)
            .unwrap();
    }
    id
}

/// The app with Lucía (id 1), who accepts commercial e-mail.
async fn spawn() -> (TestApp, i64) {
    let mut id = 0;
    let app = TestApp::spawn_with(|conn| {
        id = customer(conn, "12345678Z", "lucia@example.es", Some(true));
    })
    .await;
    (app, id)
}

fn key(app: &TestApp) -> Vec<u8> {
    unsubscribe::derive_key(&app.state.config.secret_key)
}

/// The path of the customer's unsubscribe link, as the e-mail engine makes it.
fn path_of(app: &TestApp, customer_id: i64) -> String {
    unsubscribe::link(&app.state.config.base_url, &key(app), customer_id)
        .path()
        .to_owned()
}

fn withdrawals(conn: &mut PgConnection, customer_id: i64) -> i64 {
    customer_consents::table
        .filter(customer_consents::customer_id.eq(customer_id))
        .filter(customer_consents::purpose.eq("marketing"))
        .filter(customer_consents::granted.eq(false))
        .filter(customer_consents::source.eq(unsubscribe::CONSENT_SOURCE_LINK))
        .count()
        .get_result(conn)
        .unwrap()
}

fn consent_audits(conn: &mut PgConnection, customer_id: i64) -> i64 {
    audit_log::table
        .filter(audit_log::action.eq("customer.consent_changed"))
        .filter(audit_log::target_id.eq(customer_id))
        .count()
        .get_result(conn)
        .unwrap()
}

#[test]
fn tokens_round_trip_and_links_sit_on_the_base_url() {
    let key = unsubscribe::derive_key(common::TEST_SECRET.as_bytes());
    let token = unsubscribe::token(&key, 42);
    assert_eq!(unsubscribe::verify(&key, &token), Some(42));
    assert_eq!(
        unsubscribe::verify(
            &unsubscribe::derive_key(b"another secret of enough length"),
            &token
        ),
        None
    );
    let base = url::Url::parse("https://www.sorianomediadores.es/").unwrap();
    assert_eq!(
        unsubscribe::link(&base, &key, 42).as_str(),
        format!("https://www.sorianomediadores.es/baja/{token}")
    );
}

#[actix_web::test]
async fn the_link_shows_the_masked_email_and_a_tampered_link_is_not_found() {
    let (app, lucia) = spawn().await;
    let path = path_of(&app, lucia);
    let response = app.get(&path).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["referrer-policy"], "no-referrer");
    let html = response.text().await.unwrap();
    assert!(
        html.contains(
            "<h1 id=\"unsubscribe-title\">Darse de baja de comunicaciones comerciales</h1>"
        ),
        "{html}"
    );
    assert!(html.contains("l***@<wbr>example.<wbr>es"), "{html}");
    assert!(
        !html.contains("lucia@"),
        "the page does not give the address away"
    );
    assert!(html.contains("Confirmar la baja"), "{html}");
    assert!(html.contains(&format!("action=\"{path}\"")), "{html}");
    assert!(html.contains("name=\"csrf_token\""), "{html}");
    assert!(html.contains("<meta name=\"robots\" content=\"noindex, nofollow\">"));

    let token = path.strip_prefix("/baja/").unwrap();
    let (id, signature) = token.split_once('.').unwrap();
    let flipped = {
        let mut chars: Vec<char> = signature.chars().collect();
        chars[0] = if chars[0] == 'A' { 'B' } else { 'A' };
        chars.into_iter().collect::<String>()
    };
    let other = customer(
        &mut app.db.conn(),
        "00000000T",
        "otro@example.es",
        Some(true),
    );
    let forged_key = unsubscribe::derive_key(b"not the secret of this application at all");
    for bad in [
        format!("/baja/{other}.{signature}"),
        format!("/baja/{id}.{flipped}"),
        format!("/baja/{id}.{}", &signature[1..]),
        format!("/baja/{id}"),
        format!("/baja/{}", unsubscribe::token(&forged_key, lucia)),
        "/baja/x".to_owned(),
    ] {
        assert_eq!(app.get(&bad).await.status(), StatusCode::NOT_FOUND, "{bad}");
        // Not even the one-click POST gets through with a bad token.
        let posted = new_client()
            .post(app.url(&bad))
            .form(&ONE_CLICK)
            .send()
            .await
            .unwrap();
        assert_eq!(posted.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    let mut conn = app.db.conn();
    assert_eq!(
        withdrawals(&mut conn, lucia) + withdrawals(&mut conn, other),
        0
    );
    assert!(unsubscribe::has_marketing_consent(&mut conn, lucia).unwrap());
}

#[actix_web::test]
async fn confirming_records_one_withdrawal_however_often_it_is_sent() {
    let (app, lucia) = spawn().await;
    let path = path_of(&app, lucia);
    let page = app.get(&path).await.text().await.unwrap();
    let token = csrf_from_html(&page);
    let audits_before = {
        let mut conn = app.db.conn();
        assert!(unsubscribe::has_marketing_consent(&mut conn, lucia).unwrap());
        consent_audits(&mut conn, lucia)
    };

    for _ in 0..2 {
        let response = app.post_form(&path, &[("csrf_token", &token)]).await;
        assert_eq!(response.status(), StatusCode::OK);
        let html = response.text().await.unwrap();
        assert!(html.contains(DONE), "{html}");
        assert!(!html.contains("Confirmar la baja"), "{html}");
    }

    let mut conn = app.db.conn();
    assert_eq!(
        withdrawals(&mut conn, lucia),
        1,
        "a double click records once"
    );
    assert_eq!(consent_audits(&mut conn, lucia), audits_before + 1);
    assert!(!unsubscribe::has_marketing_consent(&mut conn, lucia).unwrap());
    let version: String = customer_consents::table
        .filter(customer_consents::source.eq(unsubscribe::CONSENT_SOURCE_LINK))
        .select(customer_consents::text_version)
        .first(&mut conn)
        .unwrap();
    let details: serde_json::Value = audit_log::table
        .filter(audit_log::action.eq("customer.consent_changed"))
        .filter(audit_log::target_id.eq(lucia))
        .order(audit_log::id.desc())
        .select(audit_log::details)
        .first(&mut conn)
        .unwrap();
    assert_eq!(version, soriano::customers::CONSENT_TEXT_VERSION);
    assert_eq!(details["otorgado"], false);
    assert_eq!(details["origen"], "enlace_baja");

    // Coming back to the link shows the answer, not the question.
    let again = app.get(&path).await.text().await.unwrap();
    assert!(again.contains(DONE), "{again}");
    assert!(!again.contains("Confirmar la baja"), "{again}");

    // The domain refuses a second withdrawal on its own too.
    assert!(!unsubscribe::unsubscribe(&mut conn, lucia, None).unwrap());
    assert_eq!(withdrawals(&mut conn, lucia), 1);
}

#[actix_web::test]
async fn a_one_click_post_without_cookie_or_csrf_unsubscribes() {
    let (app, lucia) = spawn().await;
    let path = path_of(&app, lucia);
    let provider = new_client();
    let response = provider
        .post(app.url(&path))
        .form(&ONE_CLICK)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().contains(DONE));
    let again = provider
        .post(app.url(&path))
        .form(&ONE_CLICK)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    let mut conn = app.db.conn();
    assert_eq!(withdrawals(&mut conn, lucia), 1);
    assert!(!unsubscribe::has_marketing_consent(&mut conn, lucia).unwrap());

    // RFC 8058 prefers multipart/form-data: the same single field is accepted that way.
    let other = customer(&mut conn, "00000000T", "otro@example.es", Some(true));
    let form = reqwest::multipart::Form::new().text("List-Unsubscribe", "One-Click");
    let response = new_client()
        .post(app.url(&path_of(&app, other)))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(withdrawals(&mut conn, other), 1);
}

#[actix_web::test]
async fn anything_else_without_csrf_is_still_refused() {
    let (app, lucia) = spawn().await;
    let path = path_of(&app, lucia);
    let stranger = new_client();
    let multipart_extra = reqwest::multipart::Form::new()
        .text("List-Unsubscribe", "One-Click")
        .text("otro", "1");
    let refused = [
        // Not exactly the one-click body.
        stranger
            .post(app.url(&path))
            .form(&[("List-Unsubscribe", "One-Click"), ("otro", "1")])
            .send()
            .await
            .unwrap(),
        stranger
            .post(app.url(&path))
            .form(&[("List-Unsubscribe", "Two-Clicks")])
            .send()
            .await
            .unwrap(),
        stranger.post(app.url(&path)).send().await.unwrap(),
        stranger
            .post(app.url(&path))
            .multipart(multipart_extra)
            .send()
            .await
            .unwrap(),
        stranger
            .post(app.url(&path))
            .header("content-type", "text/plain")
            .body("List-Unsubscribe=One-Click")
            .send()
            .await
            .unwrap(),
        // The same body anywhere else on the site.
        stranger
            .post(app.url("/contacto"))
            .form(&ONE_CLICK)
            .send()
            .await
            .unwrap(),
        stranger
            .post(app.url("/l/cualquiera"))
            .form(&ONE_CLICK)
            .send()
            .await
            .unwrap(),
        stranger
            .post(app.url(&format!("/portal{path}")))
            .form(&ONE_CLICK)
            .send()
            .await
            .unwrap(),
    ];
    for response in refused {
        let url = response.url().to_string();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{url}");
    }
    let mut conn = app.db.conn();
    assert_eq!(withdrawals(&mut conn, lucia), 0);
    assert!(unsubscribe::has_marketing_consent(&mut conn, lucia).unwrap());
}

#[test]
fn marketing_consent_is_the_latest_row() {
    let database = TestDatabase::new();
    let mut conn = database.conn();
    let never = customer(&mut conn, "12345678Z", "a@example.es", None);
    let refused = customer(&mut conn, "00000000T", "b@example.es", Some(false));
    let granted = customer(&mut conn, "11111111H", "c@example.es", Some(true));
    assert!(!unsubscribe::has_marketing_consent(&mut conn, never).unwrap());
    assert!(!unsubscribe::has_marketing_consent(&mut conn, refused).unwrap());
    assert!(unsubscribe::has_marketing_consent(&mut conn, granted).unwrap());

    // Withdrawing records a row unless the latest already is a withdrawal.
    assert!(!unsubscribe::unsubscribe(&mut conn, refused, None).unwrap());
    assert!(unsubscribe::unsubscribe(&mut conn, never, Some("203.0.113.9")).unwrap());
    assert!(unsubscribe::unsubscribe(&mut conn, granted, None).unwrap());
    assert!(!unsubscribe::unsubscribe(&mut conn, granted, None).unwrap());
    assert!(!unsubscribe::has_marketing_consent(&mut conn, granted).unwrap());
    assert_eq!(withdrawals(&mut conn, granted), 1);
    assert_eq!(withdrawals(&mut conn, refused), 0);
    let ip: Option<String> = audit_log::table
        .filter(audit_log::target_id.eq(never))
        .filter(audit_log::action.eq("customer.consent_changed"))
        .select(audit_log::ip)
        .first(&mut conn)
        .unwrap();
    assert_eq!(ip.as_deref(), Some("203.0.113.9"));
    assert!(matches!(
        unsubscribe::unsubscribe(&mut conn, 999_999, None),
        Err(diesel::result::Error::NotFound)
    ));
}

// ---------------------------------------------------------------------------------------------
// Delivery: a minimal SMTP server that keeps what it receives.

#[derive(Clone)]
struct Sink {
    addr: SocketAddr,
    messages: Arc<Mutex<Vec<String>>>,
}

impl Sink {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let messages = Arc::new(Mutex::new(Vec::new()));
        let kept = messages.clone();
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                actix_web::rt::spawn(converse(stream, kept.clone()));
            }
        });
        Self { addr, messages }
    }

    fn transport(&self) -> Transport {
        let from = "Soriano Mediadores <no-reply@sorianomediadores.es>";
        Transport::smtp(&format!("smtp://{}", self.addr), from.parse().unwrap()).unwrap()
    }
}

async fn converse(stream: tokio::net::TcpStream, messages: Arc<Mutex<Vec<String>>>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    if writer.write_all(b"220 sink ESMTP\r\n").await.is_err() {
        return;
    }
    loop {
        line.clear();
        if matches!(reader.read_line(&mut line).await, Ok(0) | Err(_)) {
            return;
        }
        let command = line.trim_end().to_ascii_uppercase();
        let reply: &[u8] = if command == "DATA" {
            if writer.write_all(b"354 go on\r\n").await.is_err() {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                if matches!(reader.read_line(&mut line).await, Ok(0) | Err(_)) {
                    return;
                }
                if line == ".\r\n" {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            messages.lock().unwrap().push(data);
            b"250 queued\r\n"
        } else if command == "QUIT" {
            let _ = writer.write_all(b"221 bye\r\n").await;
            return;
        } else {
            b"250 OK\r\n"
        };
        if writer.write_all(reply).await.is_err() {
            return;
        }
    }
}

/// The header `name` of `message` (unfolded), if present.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.split("\r\n").find_map(|line| {
        let (field, value) = line.split_once(':')?;
        field
            .eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

fn email(to: &str, list_unsubscribe: Option<String>) -> Email {
    Email {
        kind: "test.marketing".to_owned(),
        to: to.to_owned(),
        subject: "Novedades".to_owned(),
        text: "Texto".to_owned(),
        html: "<p>HTML</p>".to_owned(),
        list_unsubscribe,
    }
}

#[actix_web::test]
async fn a_commercial_email_carries_the_one_click_unsubscribe_headers() {
    let database = TestDatabase::new();
    let db = Db::connect(&database.url, 2).unwrap();
    let sink = Sink::start().await;
    let mut conn = database.conn();
    let lucia = customer(&mut conn, "12345678Z", "lucia@example.es", Some(true));
    let base = url::Url::parse("https://www.sorianomediadores.es").unwrap();
    let key = unsubscribe::derive_key(common::TEST_SECRET.as_bytes());
    let link = unsubscribe::link(&base, &key, lucia).to_string();
    mail::enqueue(&mut conn, &email("lucia@example.es", Some(link.clone()))).unwrap();

    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let messages = sink.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 1);
    assert_eq!(
        header(&messages[0], "List-Unsubscribe"),
        Some(format!("<{link}>")),
        "{}",
        messages[0]
    );
    assert_eq!(
        header(&messages[0], "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );

    // A service e-mail carries neither.
    mail::enqueue(&mut conn, &email("lucia@example.es", None)).unwrap();
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let messages = sink.messages.lock().unwrap().clone();
    assert_eq!(messages.len(), 2);
    assert_eq!(header(&messages[1], "List-Unsubscribe"), None);
    assert_eq!(header(&messages[1], "List-Unsubscribe-Post"), None);
}

#[actix_web::test]
async fn the_file_transport_writes_the_headers_too() {
    let database = TestDatabase::new();
    let db = Db::connect(&database.url, 2).unwrap();
    let dir = std::env::temp_dir().join(format!(
        "soriano-unsubscribe-mail-{}",
        soriano::util::random_token(6)
    ));
    let transport =
        Transport::file(&dir, "Soriano <no-reply@example.es>".parse().unwrap()).unwrap();
    let mut conn = database.conn();
    let link = "http://127.0.0.1:8080/baja/1.abc";
    mail::enqueue(&mut conn, &email("eva@example.es", Some(link.to_owned()))).unwrap();
    assert_eq!(worker::run_once(&db, &transport).await.unwrap(), 1);
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let raw = std::fs::read_to_string(&files[0])
        .unwrap()
        .replace('\n', "\r\n")
        .replace("\r\r\n", "\r\n");
    assert_eq!(
        header(&raw, "List-Unsubscribe"),
        Some(format!("<{link}>")),
        "{raw}"
    );
    assert_eq!(
        header(&raw, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// The whole path: a commercial rule's e-mail reaches the client through SMTP with the link and
/// the headers; the client's mail program unsubscribes with one click; the next commercial
/// e-mail is not sent (and says why in the run log).
#[actix_web::test]
async fn a_rules_commercial_email_arrives_by_smtp_and_its_link_stops_the_next_one() {
    use soriano::automation::rules::{self, Action, Recipient, RuleDraft, Trigger};
    let (app, lucia) = spawn().await;
    let mut conn = app.db.conn();
    diesel::update(soriano::db::schema::automation_rules::table)
        .set(soriano::db::schema::automation_rules::enabled.eq(false))
        .execute(&mut conn)
        .unwrap();
    let draft = RuleDraft {
        name: "Oferta de hogar".into(),
        description: String::new(),
        trigger: Trigger::Event {
            kind: "customer.field_changed".into(),
        },
        conditions: vec![],
        actions: vec![Action::SendEmail {
            template: "oferta_hogar".into(),
            to: Recipient::Client,
        }],
    };
    rules::create(&mut conn, &draft, &soriano::audit::Actor::system()).unwrap();
    let context = soriano::automation::Context {
        base_url: app.state.config.base_url.clone(),
        unsubscribe_key: key(&app),
        broker: app.state.config.broker.identity(),
    };
    let happen = |conn: &mut PgConnection| {
        conn.transaction(|conn| {
            soriano::events::publish(
                conn,
                "customer.field_changed",
                "customer",
                lucia,
                serde_json::json!({}),
            )
        })
        .unwrap();
        soriano::automation::engine::run(conn, &context, chrono::Utc::now()).unwrap();
    };
    happen(&mut conn);
    let db = Db::connect(&app.db.url, 2).unwrap();
    let sink = Sink::start().await;
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let message = sink.messages.lock().unwrap()[0].clone();
    let link = unsubscribe::link(&app.state.config.base_url, &key(&app), lucia).to_string();
    assert_eq!(
        header(&message, "List-Unsubscribe"),
        Some(format!("<{link}>"))
    );
    assert!(message.contains("lucia@example.es"));

    let response = new_client()
        .post(app.url(&path_of(&app, lucia)))
        .form(&ONE_CLICK)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!unsubscribe::has_marketing_consent(&mut conn, lucia).unwrap());

    happen(&mut conn);
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 0);
    let log = soriano::automation::log::of_customer(&mut conn, lucia, 1).unwrap();
    assert!(
        log[0].outcome.contains("sin consentimiento"),
        "{}",
        log[0].outcome
    );
    app.stop().await;
}
