//! E-mail delivery end to end: the outbox, the worker against an in-test SMTP server, the file
//! transport, retries, concurrent workers and the back-office outbox page.

use crate::common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine;
use chrono::{DateTime, Utc};
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::Db;
use soriano::db::schema::outbound_emails;
use soriano::emails::templates;
use soriano::mail::transport::Transport;
use soriano::mail::worker::{self, CLAIM_TTL_SECONDS, MAX_ATTEMPTS, Worker, WorkerId, backoff};
use soriano::mail::{self, Email, outbox};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const PASSWORD: &str = "una clave larga de prueba";
const FROM: &str = "Soriano Mediadores <no-reply@sorianomediadores.es>";

// ---------------------------------------------------------------------------------------------
// A small SMTP server that records what it receives.

#[derive(Debug, Clone)]
struct Received {
    mail_from: String,
    rcpt_to: Vec<String>,
    data: String,
}

#[derive(Default)]
struct SinkState {
    messages: Vec<Received>,
    /// Reply to MAIL FROM instead of 250 (e.g. "451 4.3.0 Try again later").
    refuse_with: Option<String>,
    /// Keep a message, then never confirm it: the worker waits as if the server (or the
    /// worker's own process) had frozen right after the message went out.
    hang_after_data: bool,
    refused: usize,
}

#[derive(Clone)]
struct SmtpSink {
    addr: SocketAddr,
    state: Arc<Mutex<SinkState>>,
}

impl SmtpSink {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(Mutex::new(SinkState::default()));
        let shared = state.clone();
        actix_web::rt::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                actix_web::rt::spawn(converse(stream, shared.clone()));
            }
        });
        Self { addr, state }
    }

    fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    fn transport(&self) -> Transport {
        Transport::smtp(&self.url(), FROM.parse().unwrap()).unwrap()
    }

    fn hang_after_data(&self, hang: bool) {
        self.state.lock().unwrap().hang_after_data = hang;
    }

    fn refuse_with(&self, reply: Option<&str>) {
        self.state.lock().unwrap().refuse_with = reply.map(str::to_owned);
    }

    fn messages(&self) -> Vec<Received> {
        self.state.lock().unwrap().messages.clone()
    }

    fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }
}

async fn converse(stream: tokio::net::TcpStream, state: Arc<Mutex<SinkState>>) {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut line = String::new();
    let mut mail_from = String::new();
    let mut rcpt_to = Vec::new();
    if writer.write_all(b"220 sink ESMTP ready\r\n").await.is_err() {
        return;
    }
    loop {
        line.clear();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_owned();
        let upper = command.to_ascii_uppercase();
        let reply: String = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            "250 sink\r\n".into()
        } else if upper.starts_with("MAIL FROM:") {
            let mut state = state.lock().unwrap();
            match state.refuse_with.clone() {
                Some(refusal) => {
                    state.refused += 1;
                    format!("{refusal}\r\n")
                }
                None => {
                    mail_from = command[10..].trim().to_owned();
                    rcpt_to.clear();
                    "250 OK\r\n".into()
                }
            }
        } else if upper.starts_with("RCPT TO:") {
            rcpt_to.push(command[8..].trim().to_owned());
            "250 OK\r\n".into()
        } else if upper == "DATA" {
            if writer
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await
                .is_err()
            {
                return;
            }
            let mut data = String::new();
            loop {
                line.clear();
                match reader.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" {
                    break;
                }
                // Dot-stuffing: a leading dot was doubled by the client.
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            let hang = {
                let mut state = state.lock().unwrap();
                state.messages.push(Received {
                    mail_from: mail_from.clone(),
                    rcpt_to: std::mem::take(&mut rcpt_to),
                    data,
                });
                state.hang_after_data
            };
            if hang {
                tokio::time::sleep(std::time::Duration::from_secs(120)).await;
                return;
            }
            "250 OK queued\r\n".into()
        } else if upper == "QUIT" {
            let _ = writer.write_all(b"221 Bye\r\n").await;
            return;
        } else {
            // RSET, NOOP and anything else.
            "250 OK\r\n".into()
        };
        if writer.write_all(reply.as_bytes()).await.is_err() {
            return;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading what arrived: headers, and the decoded text and HTML parts.

fn unfolded_header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?;
    let unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| decode_encoded_words(value.trim()))
    })
}

/// RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`).
fn decode_encoded_words(value: &str) -> String {
    // Whitespace between two encoded words is not part of the text.
    let between = regex::Regex::new(r"\?=\s+=\?").unwrap();
    let value = between.replace_all(value, "?==?");
    let word = regex::Regex::new(r"(?i)=\?utf-8\?([bq])\?([^?]*)\?=").unwrap();
    word.replace_all(&value, |c: &regex::Captures| {
        let bytes = if c[1].eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(&c[2])
                .unwrap()
        } else {
            quoted_printable(&c[2].replace('_', " "))
        };
        String::from_utf8(bytes).unwrap()
    })
    .into_owned()
}

fn quoted_printable(text: &str) -> Vec<u8> {
    let text = text.replace("=\r\n", "");
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// The decoded body of the part with the given content type (`text/plain`, `text/html`).
fn part(message: &str, content_type: &str) -> Option<String> {
    let top = unfolded_header(message, "Content-Type")?;
    let boundary = regex::Regex::new(r#"boundary="?([^";]+)"?"#)
        .unwrap()
        .captures(&top)?[1]
        .to_owned();
    message
        .split(&format!("--{boundary}"))
        .skip(1)
        .find_map(|section| {
            let section = section.trim_start_matches("\r\n");
            let (head, body) = section.split_once("\r\n\r\n")?;
            let head = format!("{head}\r\n\r\n");
            let kind = unfolded_header(&head, "Content-Type")?;
            if !kind.to_ascii_lowercase().starts_with(content_type) {
                return None;
            }
            let encoding = unfolded_header(&head, "Content-Transfer-Encoding")
                .unwrap_or_default()
                .to_ascii_lowercase();
            let body = body.trim_end_matches("\r\n");
            let bytes = match encoding.as_str() {
                "base64" => base64::engine::general_purpose::STANDARD
                    .decode(body.replace("\r\n", ""))
                    .unwrap(),
                "quoted-printable" => quoted_printable(body),
                _ => body.as_bytes().to_vec(),
            };
            Some(String::from_utf8(bytes).unwrap())
        })
}

// ---------------------------------------------------------------------------------------------
// Database helpers.

#[derive(Debug, Queryable)]
struct Row {
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    last_error: Option<String>,
    sent_at: Option<DateTime<Utc>>,
}

fn row(conn: &mut PgConnection, id: i64) -> Row {
    outbound_emails::table
        .find(id)
        .select((
            outbound_emails::status,
            outbound_emails::attempts,
            outbound_emails::next_attempt_at,
            outbound_emails::last_error,
            outbound_emails::sent_at,
        ))
        .first(conn)
        .unwrap()
}

fn make_due(conn: &mut PgConnection, id: i64) {
    diesel::update(outbound_emails::table.find(id))
        .set(outbound_emails::next_attempt_at.eq(Utc::now() - chrono::Duration::seconds(1)))
        .execute(conn)
        .unwrap();
}

fn set_failed(conn: &mut PgConnection, id: i64, error: &str) {
    diesel::update(outbound_emails::table.find(id))
        .set((
            outbound_emails::status.eq("failed"),
            outbound_emails::attempts.eq(MAX_ATTEMPTS),
            outbound_emails::last_error.eq(error),
        ))
        .execute(conn)
        .unwrap();
}

fn simple_email(to: &str, subject: &str) -> Email {
    Email {
        kind: "test.simple".to_owned(),
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: format!("Texto de {subject}"),
        html: format!("<p>HTML de {subject}</p>"),
        list_unsubscribe: None,
    }
}

fn enqueue(conn: &mut PgConnection, email: &Email) -> i64 {
    conn.transaction(|conn| mail::enqueue(conn, email)).unwrap()
}

fn pool(database: &TestDatabase) -> Db {
    Db::connect(&database.url, 4).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Delivery.

#[actix_web::test]
async fn a_queued_invitation_arrives_over_smtp_with_text_and_html() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let link = "https://www.sorianomediadores.es/admin/invitacion/abc123";
    let email = templates::staff_invitation("ana@example.es", "Ana Pérez", link).unwrap();
    let id = enqueue(&mut conn, &email);

    let handled = worker::run_once(&db, &sink.transport()).await.unwrap();
    assert_eq!(handled, 1);

    let messages = sink.messages();
    assert_eq!(messages.len(), 1);
    let message = &messages[0];
    assert_eq!(message.rcpt_to, ["<ana@example.es>"]);
    assert_eq!(message.mail_from, "<no-reply@sorianomediadores.es>");
    assert_eq!(
        unfolded_header(&message.data, "Subject").as_deref(),
        Some("Su acceso al back-office de Soriano Mediadores")
    );
    assert!(
        unfolded_header(&message.data, "Content-Type")
            .unwrap()
            .starts_with("multipart/alternative"),
        "{}",
        message.data
    );
    let text = part(&message.data, "text/plain").expect("a text/plain part");
    assert!(text.contains("Hola, Ana Pérez:"), "{text}");
    assert!(text.contains(link), "{text}");
    assert!(text.contains("válido 72 horas"), "{text}");
    assert!(!text.contains('<'), "the text part has no markup: {text}");
    let html = part(&message.data, "text/html").expect("a text/html part");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
    assert!(html.contains("Soriano Mediadores"), "{html}");
    assert!(html.contains("Hola, Ana Pérez:"), "{html}");

    let message_id = unfolded_header(&message.data, "Message-ID").unwrap();
    assert!(
        message_id.starts_with(&format!("<outbox.{id}."))
            && message_id.ends_with("@sorianomediadores.es>"),
        "{message_id}"
    );

    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "sent");
    assert_eq!(stored.attempts, 1);
    assert!(stored.sent_at.is_some());
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 1, "a sent e-mail is not sent again");
}

#[test]
fn the_password_reset_email_escapes_the_name_in_html_only() {
    let email =
        templates::password_reset("luis@example.es", "Luis <b>&</b>", "https://x.es/r?t=1&u=2")
            .unwrap();
    assert_eq!(email.kind, templates::PASSWORD_RESET);
    assert!(email.text.contains("Hola, Luis <b>&</b>:"));
    assert!(email.text.contains("válido 1 hora"));
    assert!(email.text.contains("ignore este correo"));
    assert!(email.text.contains("https://x.es/r?t=1&u=2"));
    assert!(
        email
            .html
            .contains("Hola, Luis &#60;b&#62;&#38;&#60;/b&#62;:"),
        "{}",
        email.html
    );
    assert!(email.html.contains(r#"href="https://x.es/r?t=1&#38;u=2""#));
    assert!(!email.html.contains("<b>&</b>"));
}

#[actix_web::test]
async fn an_email_queued_in_a_rolled_back_transaction_is_never_written() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let result: Result<(), diesel::result::Error> = conn.transaction(|conn| {
        mail::enqueue(conn, &simple_email("nadie@example.es", "Deshecho"))?;
        Err(diesel::result::Error::RollbackTransaction)
    });
    assert!(result.is_err());
    let count: i64 = outbound_emails::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 0);
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 0);
    assert!(sink.messages().is_empty());
}

#[actix_web::test]
async fn without_smtp_the_email_is_written_as_an_eml_file_in_the_mail_dir() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let var_dir = std::env::temp_dir().join(format!(
        "soriano-mail-test-{}",
        soriano::util::random_token(6)
    ));
    let values = [
        ("SECRET_KEY", common::TEST_SECRET.to_owned()),
        ("SORIANO_VAR_DIR", var_dir.display().to_string()),
        (
            "MAIL_FROM",
            "Oficina Soriano <oficina@example.es>".to_owned(),
        ),
    ];
    let config = soriano::config::Config::from_lookup(|name| {
        values
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.clone())
    })
    .unwrap();
    let transport = Transport::from_settings(
        config.smtp_url.as_deref(),
        config.mail_dir(),
        config.mail_from.clone(),
    )
    .unwrap();
    assert_eq!(transport.mail_dir(), Some(config.mail_dir().as_path()));

    let mut conn = database.conn();
    let email = templates::password_reset("eva@example.es", "Eva", "https://x.es/r/1").unwrap();
    let id = enqueue(&mut conn, &email);
    assert_eq!(worker::run_once(&db, &transport).await.unwrap(), 1);

    let files: Vec<_> = std::fs::read_dir(config.mail_dir())
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].extension().unwrap(), "eml");
    let raw = std::fs::read_to_string(&files[0])
        .unwrap()
        .replace('\n', "\r\n")
        .replace("\r\r\n", "\r\n");
    assert_eq!(
        unfolded_header(&raw, "To").as_deref(),
        Some("eva@example.es")
    );
    assert_eq!(
        unfolded_header(&raw, "From").as_deref(),
        Some("\"Oficina Soriano\" <oficina@example.es>")
    );
    assert_eq!(
        unfolded_header(&raw, "Subject").as_deref(),
        Some("Restablecer su contraseña de Soriano Mediadores")
    );
    assert!(part(&raw, "text/plain").unwrap().contains("válido 1 hora"));
    assert!(
        part(&raw, "text/html")
            .unwrap()
            .contains("https://x.es/r/1")
    );
    assert_eq!(row(&mut conn, id).status, "sent");
    let _ = std::fs::remove_dir_all(var_dir);
}

// ---------------------------------------------------------------------------------------------
// Failures and retries.

#[actix_web::test]
async fn a_refused_email_is_retried_with_growing_delays_then_given_up() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let transport = sink.transport();
    sink.refuse_with(Some("451 4.3.0 Try again later"));
    let mut conn = database.conn();
    let id = enqueue(
        &mut conn,
        &simple_email("reintento@example.es", "Reintento"),
    );

    for attempt in 1..=MAX_ATTEMPTS {
        let before = Utc::now();
        assert_eq!(
            worker::run_once(&db, &transport).await.unwrap(),
            1,
            "attempt {attempt}"
        );
        let stored = row(&mut conn, id);
        assert_eq!(stored.attempts, attempt);
        assert!(
            stored.last_error.as_deref().unwrap_or("").contains("451"),
            "{stored:?}"
        );
        if attempt < MAX_ATTEMPTS {
            assert_eq!(stored.status, "pending", "attempt {attempt}");
            let delay = stored.next_attempt_at - before;
            let expected = backoff(attempt);
            assert!(
                delay >= expected && delay < expected + chrono::Duration::seconds(30),
                "attempt {attempt}: next in {delay}, expected {expected}"
            );
            // Not due yet: the next round leaves it alone.
            assert_eq!(worker::run_once(&db, &transport).await.unwrap(), 0);
            make_due(&mut conn, id);
        } else {
            assert_eq!(stored.status, "failed");
        }
    }
    assert_eq!(sink.refused(), MAX_ATTEMPTS as usize);

    // Given up: nothing more is tried, even once the server accepts again...
    sink.refuse_with(None);
    make_due(&mut conn, id);
    assert_eq!(worker::run_once(&db, &transport).await.unwrap(), 0);
    assert!(sink.messages().is_empty());

    // ...until an administrator puts it back in line.
    let retried = outbox::retry(&mut conn, id)
        .unwrap()
        .expect("a failed e-mail");
    assert_eq!(retried.status(), outbox::Status::Pending);
    assert_eq!(retried.attempts, 0);
    assert_eq!(worker::run_once(&db, &transport).await.unwrap(), 1);
    assert_eq!(row(&mut conn, id).status, "sent");
    assert_eq!(sink.messages().len(), 1);
}

#[actix_web::test]
async fn a_permanent_refusal_fails_at_once() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    sink.refuse_with(Some("550 5.1.1 Mailbox unavailable"));
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("nadie@example.es", "Rechazo"));
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "failed");
    assert_eq!(stored.attempts, 1);
    assert!(stored.last_error.unwrap().contains("550"));
}

#[actix_web::test]
async fn a_malformed_recipient_fails_at_once_without_reaching_the_server() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("esto no es un correo", "Mal"));
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "failed");
    assert!(stored.last_error.unwrap().contains("invalid recipient"));
    assert!(sink.messages().is_empty() && sink.refused() == 0);
}

#[actix_web::test]
async fn an_unreachable_server_is_a_transient_failure() {
    let database = TestDatabase::new();
    let db = pool(&database);
    // A port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let transport =
        Transport::smtp(&format!("smtp://127.0.0.1:{port}"), FROM.parse().unwrap()).unwrap();
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("ana@example.es", "Sin servidor"));
    assert_eq!(worker::run_once(&db, &transport).await.unwrap(), 1);
    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "pending");
    assert_eq!(stored.attempts, 1);
    assert!(stored.last_error.is_some());
}

// ---------------------------------------------------------------------------------------------
// Concurrency.

async fn drain(db: &Db, transport: &Transport) -> usize {
    let mut total = 0;
    loop {
        let handled = worker::run_once(db, transport).await.unwrap();
        if handled == 0 {
            return total;
        }
        total += handled;
    }
}

#[actix_web::test]
async fn two_workers_at_once_send_every_email_exactly_once() {
    let database = TestDatabase::new();
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let count = 90;
    for i in 0..count {
        enqueue(
            &mut conn,
            &simple_email(&format!("cliente{i}@example.es"), &format!("Aviso {i}")),
        );
    }
    // Two pools and two transports: as independent as two processes.
    let (db_a, db_b) = (pool(&database), pool(&database));
    let (transport_a, transport_b) = (sink.transport(), sink.transport());
    let (a, b) = tokio::join!(drain(&db_a, &transport_a), drain(&db_b, &transport_b));
    assert_eq!(a + b, count, "handled {a} + {b}");

    let mut recipients: Vec<String> = sink
        .messages()
        .into_iter()
        .flat_map(|m| m.rcpt_to)
        .collect();
    assert_eq!(recipients.len(), count, "one message per e-mail");
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), count, "no e-mail sent twice");
    let not_sent: i64 = outbound_emails::table
        .filter(
            outbound_emails::status
                .ne("sent")
                .or(outbound_emails::attempts.ne(1)),
        )
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(not_sent, 0);
}

#[actix_web::test]
async fn a_row_locked_by_another_worker_is_skipped_not_waited_for() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let first = enqueue(&mut conn, &simple_email("uno@example.es", "Uno"));
    let second = enqueue(&mut conn, &simple_email("dos@example.es", "Dos"));

    // Another worker is in the middle of claiming the first row.
    let mut other = database.conn();
    diesel::sql_query("BEGIN").execute(&mut other).unwrap();
    diesel::sql_query("SELECT id FROM outbound_emails WHERE id = $1 FOR UPDATE")
        .bind::<BigInt, _>(first)
        .execute(&mut other)
        .unwrap();
    let handled = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        worker::run_once(&db, &sink.transport()),
    )
    .await
    .expect("the claim does not wait for the locked row")
    .unwrap();
    diesel::sql_query("COMMIT").execute(&mut other).unwrap();

    assert_eq!(handled, 1);
    assert_eq!(row(&mut conn, first).status, "pending");
    assert_eq!(row(&mut conn, second).status, "sent");
}

#[actix_web::test]
async fn a_claim_is_respected_until_it_expires() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("ana@example.es", "Reclamado"));
    // A worker claimed it and is (supposedly) still sending.
    diesel::update(outbound_emails::table.find(id))
        .set((
            outbound_emails::status.eq("sending"),
            outbound_emails::attempts.eq(1),
            outbound_emails::locked_until.eq(Utc::now() + chrono::Duration::minutes(5)),
        ))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 0);

    // That worker died: once the claim expires another one takes over.
    diesel::update(outbound_emails::table.find(id))
        .set(outbound_emails::locked_until.eq(Utc::now() - chrono::Duration::seconds(1)))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "sent");
    assert_eq!(stored.attempts, 2);
}

// ---------------------------------------------------------------------------------------------
// Crashes: claims carry their worker, a heartbeat renews them, a restart frees its own.

#[derive(Debug, Queryable)]
struct Claim {
    status: String,
    claimed_by: Option<String>,
    locked_until: Option<DateTime<Utc>>,
}

fn claim_of(conn: &mut PgConnection, id: i64) -> Claim {
    outbound_emails::table
        .find(id)
        .select((
            outbound_emails::status,
            outbound_emails::claimed_by,
            outbound_emails::locked_until,
        ))
        .first(conn)
        .unwrap()
}

/// A data directory of its own, as a worker process started from a checkout has.
fn var_dir() -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "soriano-mail-worker-{}",
        soriano::util::random_token(6)
    ))
}

/// Starts `worker`'s round in the background and waits until the sink holds `messages`
/// messages (the sink then freezes before confirming the last one).
async fn round_until_sent(
    worker: Worker,
    sink: &SmtpSink,
    messages: usize,
) -> actix_web::rt::task::JoinHandle<anyhow::Result<usize>> {
    let round = actix_web::rt::spawn(async move { worker.run_once().await });
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sink.messages().len() < messages {
        assert!(
            std::time::Instant::now() < deadline,
            "the e-mail never left"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    round
}

/// The worker dies as with `kill -9`: its round stops where it is, its identity is gone.
async fn kill(round: actix_web::rt::task::JoinHandle<anyhow::Result<usize>>) {
    round.abort();
    assert!(round.await.is_err(), "the round was killed, not finished");
}

#[actix_web::test]
async fn a_restarted_worker_resends_its_dead_claims_at_once_with_the_same_message_id() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("ana@example.es", "Tras la caída"));
    let dir = var_dir();

    // The server takes the message, and the worker's process dies before it can record that.
    sink.hang_after_data(true);
    let first = WorkerId::persistent(&dir).unwrap();
    let first_name = first.to_string();
    let round = round_until_sent(Worker::new(db.clone(), sink.transport(), first), &sink, 1).await;
    let claimed_at = Utc::now();
    kill(round).await;
    let claim = claim_of(&mut conn, id);
    assert_eq!(claim.status, "sending");
    assert_eq!(claim.claimed_by.as_deref(), Some(first_name.as_str()));
    // Even without a restart the claim would be free within half a minute, not five.
    let lease = claim.locked_until.unwrap() - claimed_at;
    assert!(
        lease <= chrono::Duration::seconds(CLAIM_TTL_SECONDS as i64) && CLAIM_TTL_SECONDS <= 30,
        "a claim holds {lease} without a heartbeat"
    );

    // Restarted from the same data directory: the same identity, so its claims are dead and
    // the e-mail goes out again at once.
    sink.hang_after_data(false);
    let restarted = WorkerId::persistent(&dir).unwrap();
    assert_eq!(restarted.to_string(), first_name);
    let handled = Worker::new(db.clone(), sink.transport(), restarted)
        .run_once()
        .await
        .unwrap();
    assert_eq!(handled, 1);
    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "sent");
    assert_eq!(stored.attempts, 2);
    assert_eq!(claim_of(&mut conn, id).claimed_by, None);

    // Sent twice (at least once: the crash fell between the server's acceptance and the
    // record), both times under one Message-ID, so the receiver can drop the second.
    let messages = sink.messages();
    assert_eq!(messages.len(), 2);
    let ids: Vec<String> = messages
        .iter()
        .map(|m| unfolded_header(&m.data, "Message-ID").unwrap())
        .collect();
    assert_eq!(ids[0], ids[1]);
    assert!(ids[0].starts_with(&format!("<outbox.{id}.")), "{}", ids[0]);
    let _ = std::fs::remove_dir_all(dir);
}

#[actix_web::test]
async fn two_workers_from_one_data_directory_have_different_identities() {
    let dir = var_dir();
    let a = WorkerId::persistent(&dir).unwrap();
    let b = WorkerId::persistent(&dir).unwrap();
    assert_ne!(a.to_string(), b.to_string());
    // The first one's slot is free again once it stops.
    let a_name = a.to_string();
    drop(a);
    assert_eq!(WorkerId::persistent(&dir).unwrap().to_string(), a_name);
    let _ = std::fs::remove_dir_all(dir);
}

#[actix_web::test]
async fn a_live_workers_claim_is_renewed_and_not_taken_until_its_heartbeat_stops() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("ana@example.es", "Servidor lento"));
    let (lease, beat) = (
        std::time::Duration::from_millis(1000),
        std::time::Duration::from_millis(150),
    );

    // A worker is still waiting for a slow server, well past the lease of its claim.
    sink.hang_after_data(true);
    let slow =
        Worker::new(db.clone(), sink.transport(), WorkerId::ephemeral()).with_timing(lease, beat);
    let slow_name = slow.id().to_string();
    let round = round_until_sent(slow, &sink, 1).await;
    tokio::time::sleep(lease * 2).await;
    let claim = claim_of(&mut conn, id);
    assert_eq!(claim.status, "sending");
    assert_eq!(claim.claimed_by.as_deref(), Some(slow_name.as_str()));
    assert!(
        claim.locked_until.unwrap() > Utc::now(),
        "the heartbeat renewed it"
    );
    // Another worker leaves it alone.
    sink.hang_after_data(false);
    let other =
        Worker::new(db.clone(), sink.transport(), WorkerId::ephemeral()).with_timing(lease, beat);
    assert_eq!(other.run_once().await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 1);

    // The slow worker dies: once its last heartbeat's lease runs out, the other one sends it.
    kill(round).await;
    tokio::time::sleep(lease + std::time::Duration::from_millis(200)).await;
    assert_eq!(other.run_once().await.unwrap(), 1);
    assert_eq!(row(&mut conn, id).status, "sent");
    assert_eq!(sink.messages().len(), 2);
}

#[actix_web::test]
async fn a_claim_of_another_worker_whose_heartbeat_stopped_is_taken_over() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    let id = enqueue(&mut conn, &simple_email("ana@example.es", "Huérfano"));
    // Claimed by a worker on another machine whose last heartbeat was over a lease ago.
    diesel::update(outbound_emails::table.find(id))
        .set((
            outbound_emails::status.eq("sending"),
            outbound_emails::attempts.eq(1),
            outbound_emails::claimed_by.eq("otra-maquina:0123456789ab:0"),
            outbound_emails::locked_until.eq(Utc::now() - chrono::Duration::seconds(1)),
        ))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(worker::run_once(&db, &sink.transport()).await.unwrap(), 1);
    let stored = row(&mut conn, id);
    assert_eq!(stored.status, "sent");
    assert_eq!(stored.attempts, 2);
}

#[actix_web::test]
async fn run_forever_delivers_and_stops_on_shutdown() {
    let database = TestDatabase::new();
    let db = pool(&database);
    let sink = SmtpSink::start().await;
    let mut conn = database.conn();
    enqueue(&mut conn, &simple_email("ana@example.es", "En marcha"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = actix_web::rt::spawn(worker::run_forever(db, sink.transport(), async move {
        let _ = stopped.await;
    }));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while sink.messages().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(sink.messages().len(), 1);
    stop.send(()).unwrap();
    tokio::time::timeout(std::time::Duration::from_secs(10), task)
        .await
        .expect("the worker stops")
        .unwrap();
}

// ---------------------------------------------------------------------------------------------
// The back-office outbox page.

const ADMIN: &str = "admin@soriano.es";
const AGENT: &str = "agente@soriano.es";

/// An admin, an agent, a sent e-mail to sent@ and a failed one to failed@ (id returned).
async fn outbox_app() -> (TestApp, i64) {
    let failed = Arc::new(Mutex::new(0));
    let failed_id = failed.clone();
    let app = TestApp::spawn_with(move |conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        create_staff(conn, AGENT, Role::Agent, PASSWORD);
        let sent = enqueue(conn, &simple_email("sent@example.es", "Enviado antes"));
        diesel::update(outbound_emails::table.find(sent))
            .set((
                outbound_emails::status.eq("sent"),
                outbound_emails::attempts.eq(1),
                outbound_emails::created_at
                    .eq("2026-07-01T08:05:00Z".parse::<DateTime<Utc>>().unwrap()),
            ))
            .execute(conn)
            .unwrap();
        let id = enqueue(conn, &simple_email("failed@example.es", "Fallará"));
        set_failed(conn, id, "SMTP: permanent error (550): Mailbox unavailable");
        *failed_id.lock().unwrap() = id;
    })
    .await;
    let id = *failed.lock().unwrap();
    (app, id)
}

#[actix_web::test]
async fn admins_see_the_outbox_with_madrid_dates_and_a_status_filter() {
    let (app, failed) = outbox_app().await;
    app.sign_in(ADMIN, PASSWORD).await;
    let response = app.get("/admin/correos").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(
        body.contains(r#"href="/admin/correos" aria-current="page""#),
        "nav link"
    );
    assert!(body.contains("sent@example.es") && body.contains("failed@example.es"));
    assert!(
        body.contains("01/07/2026 10:05"),
        "created_at in Madrid time"
    );
    assert!(body.contains("Mailbox unavailable"));
    assert!(body.contains(r#"<span class="badge badge-error">Fallido</span>"#));
    assert!(body.contains(r#"<span class="badge badge-ok">Enviado</span>"#));
    // Newest first.
    assert!(body.find("failed@example.es").unwrap() < body.find("sent@example.es").unwrap());
    assert!(body.contains(&format!(r#"hx-post="/admin/correos/{failed}/reintentar""#)));
    assert!(!body.contains("Más antiguos"), "one page only");

    let body = app
        .get("/admin/correos?estado=failed")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("failed@example.es") && !body.contains("sent@example.es"));
    assert!(body.contains(r#"<option value="failed" selected>"#));
    let body = app
        .get("/admin/correos?estado=pending")
        .await
        .text()
        .await
        .unwrap();
    assert!(body.contains("No hay correos en este estado."));
    let response = app.get("/admin/correos?estado=perdido").await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.stop().await;
}

#[actix_web::test]
async fn the_outbox_pages_by_fifty_with_a_link_to_older_emails() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, ADMIN, Role::Admin, PASSWORD);
        for i in 0..120 {
            enqueue(conn, &simple_email(&format!("c{i:03}@example.es"), "Aviso"));
        }
    })
    .await;
    app.sign_in(ADMIN, PASSWORD).await;
    let older =
        regex::Regex::new(r#"href="(/admin/correos\?pagina=tras-\d+)" rel="next">Más antiguos"#)
            .unwrap();
    let row = regex::Regex::new(r#"<tr id="correo-\d+">"#).unwrap();
    let mut path = "/admin/correos".to_owned();
    let mut pages = Vec::new();
    loop {
        let body = app.get(&path).await.text().await.unwrap();
        pages.push(row.find_iter(&body).count());
        match older.captures(&body) {
            Some(c) => path = c[1].to_owned(),
            None => break,
        }
        assert!(body.contains("Más antiguos"));
    }
    assert_eq!(pages, [50, 50, 20]);
    let last = app.get(&path).await.text().await.unwrap();
    assert!(last.contains("c000@example.es") && !last.contains("c119@example.es"));
    // «Más recientes» goes back one page (the second), not to the first.
    let newer =
        regex::Regex::new(r#"href="(/admin/correos\?pagina=ante-\d+)" rel="prev">Más recientes"#)
            .unwrap();
    let back = newer.captures(&last).expect("a link back")[1].to_owned();
    let second = app.get(&back).await.text().await.unwrap();
    assert_eq!(row.find_iter(&second).count(), 50);
    assert!(second.contains("c069@example.es") && second.contains("c020@example.es"));
    assert!(!second.contains("c070@example.es") && !second.contains("c019@example.es"));
    app.stop().await;
}

#[actix_web::test]
async fn agents_may_not_see_the_outbox() {
    let (app, failed) = outbox_app().await;
    app.sign_in(AGENT, PASSWORD).await;
    let response = app.get("/admin/correos").await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let body = app.get("/admin").await.text().await.unwrap();
    assert!(!body.contains("/admin/correos"), "no nav link for agents");
    let token = app.csrf_token("/admin").await;
    let response = app
        .post_form(
            &format!("/admin/correos/{failed}/reintentar"),
            &[("csrf_token", &token)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(row(&mut app.db.conn(), failed).status, "failed");
    app.stop().await;
}

#[actix_web::test]
async fn retrying_a_failed_email_puts_it_back_in_line_and_says_so() {
    let (app, failed) = outbox_app().await;
    app.sign_in(ADMIN, PASSWORD).await;
    let token = app.csrf_token("/admin/correos?estado=failed").await;
    let response = app
        .post_form(
            &format!("/admin/correos/{failed}/reintentar"),
            &[
                ("csrf_token", &token),
                ("volver", "/admin/correos?estado=failed"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/admin/correos?estado=failed");
    let stored = row(&mut app.db.conn(), failed);
    assert_eq!(stored.status, "pending");
    assert_eq!(stored.attempts, 0);
    assert!(stored.next_attempt_at <= Utc::now());
    let body = app.get(&location).await.text().await.unwrap();
    assert!(
        body.contains("El correo a failed@example.es se volverá a enviar"),
        "flash"
    );
    assert!(!body.contains("failed@example.es</td>"), "no longer failed");
    app.stop().await;
}

#[actix_web::test]
async fn retrying_without_the_csrf_token_is_refused() {
    let (app, failed) = outbox_app().await;
    app.sign_in(ADMIN, PASSWORD).await;
    let response = app
        .post_form(&format!("/admin/correos/{failed}/reintentar"), &[])
        .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(row(&mut app.db.conn(), failed).status, "failed");
    app.stop().await;
}

#[actix_web::test]
async fn an_htmx_retry_answers_with_the_updated_row() {
    let (app, failed) = outbox_app().await;
    app.sign_in(ADMIN, PASSWORD).await;
    let token = app.csrf_token("/admin/correos").await;
    let response = app
        .client
        .post(app.url(&format!("/admin/correos/{failed}/reintentar")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", &token)
        .form(&[("volver", "/admin/correos")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(
        body.starts_with(&format!(r#"<tr id="correo-{failed}">"#)),
        "{body}"
    );
    assert!(
        body.contains("Pendiente") && body.contains("failed@example.es"),
        "{body}"
    );
    assert!(
        !body.contains("Reintentar"),
        "a pending e-mail has no retry button"
    );
    assert!(!body.contains("<html"));
    assert_eq!(row(&mut app.db.conn(), failed).status, "pending");
    app.stop().await;
}

#[actix_web::test]
async fn only_failed_emails_can_be_retried() {
    let (app, failed) = outbox_app().await;
    app.sign_in(ADMIN, PASSWORD).await;
    let token = app.csrf_token("/admin/correos").await;
    let sent: i64 = outbound_emails::table
        .filter(outbound_emails::status.eq("sent"))
        .select(outbound_emails::id)
        .first(&mut app.db.conn())
        .unwrap();
    for id in [sent, failed + 1000] {
        let response = app
            .post_form(
                &format!("/admin/correos/{id}/reintentar"),
                &[("csrf_token", &token)],
            )
            .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "e-mail {id}");
    }
    assert_eq!(row(&mut app.db.conn(), sent).status, "sent");
    app.stop().await;
}
