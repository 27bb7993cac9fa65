//! The weekly analytics digest (issue 23): staff who read the analytics opt in from "Mi
//! cuenta" (CSRF-protected, audited; other roles get 403), and the housekeeping round queues,
//! once per ISO week, an e-mail with the week's main figures against the week before, counted
//! within each recipient's scope, written in Spanish ("1.234,56 €", "85,33 %") with no codes;
//! a second worker racing for the same week waits for the first and queues nothing more.
//!
//! The book, around the week of Monday 30/11/2026 to Sunday 06/12/2026 ("this week", sent on
//! Monday 07/12) and the week of 23/11 to 29/11 ("the week before"). Every period is a year of
//! 365 days and every net premium a multiple of 365 cents, so the earned premium is exact:
//!
//! | policy | owner | periods (net / total)                                        | events                                      |
//! |--------|-------|--------------------------------------------------------------|---------------------------------------------|
//! | A1     | Ana   | 01/01/2026–01/01/2027 (730 / 876)                             | claim 01/12 paid 10,45; receipt 24/11 returned 200 |
//! | A2     | Ana   | 02/12/2026–02/12/2027 (365 / 438): new this week              | receipt 02/12 collected 438, commission 43,80 |
//! | A3     | Ana   | 03/12/2025–03/12/2026 (182,50 / 219), renewed 03/12 (219 / 262,80) | claim 24/11 paid 4,62; receipt 03/12 unpaid 262,80 |
//! | A4     | Ana   | 25/11/2025–25/11/2026 (36,50 / 43,80), not renewed            |                                             |
//! | B1     | Bruno | 26/11/2026–26/11/2027 (365 / 500): new the week before        | claim 04/12 open 5; receipts 26/11 collected 500 and 04/12 collected 100; commissions 50 and 10 |
//! | B2     | Bruno | 05/12/2025–05/12/2026 (73 / 87,60), not renewed               |                                             |

use crate::book::{self, insert_receipt};
use crate::common;
use crate::portfolio;
use crate::visible_text;

use chrono::NaiveDate;
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::db::schema::{analytics_digests, audit_log, outbound_emails, staff_users};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "direccion@soriano.es";
const AGENT_A: &str = "ana@soriano.es";
const AGENT_B: &str = "bruno@soriano.es";
const SUPERVISOR: &str = "sara@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// The Monday the digest of the week 30/11–06/12/2026 is due.
fn monday() -> NaiveDate {
    day(2026, 12, 7)
}

fn base_url() -> url::Url {
    url::Url::parse("https://gestion.sorianomediadores.es").unwrap()
}

fn opt_in(conn: &mut PgConnection, email: &str) {
    diesel::update(staff_users::table.filter(staff_users::email.eq(email)))
        .set(staff_users::weekly_digest.eq(true))
        .execute(conn)
        .unwrap();
}

fn subscribed(conn: &mut PgConnection, email: &str) -> bool {
    staff_users::table
        .filter(staff_users::email.eq(email))
        .select(staff_users::weekly_digest)
        .first(conn)
        .unwrap()
}

/// A policy of `customer` on the catalogue's first product with `periods` (start, end, net,
/// total), oldest first; one that is not active changed status at its last period's end.
fn insert_policy(
    conn: &mut PgConnection,
    customer: i64,
    agent: i64,
    number: &str,
    periods: &[(NaiveDate, NaiveDate, i64, i64)],
    status: &str,
) -> i64 {
    let product = book::first_product(conn);
    let &(_, end, _, _) = periods.last().unwrap();
    book::insert_policy(
        conn,
        book::NewPolicy {
            customer,
            product,
            agent,
            number,
            periods,
            status,
            reason: None,
            changed_on: (status != "active").then_some(end),
        },
    )
}

/// A claim of `policy` that happened on `incident`: (status, claimed, paid).
fn insert_claim(
    conn: &mut PgConnection,
    number: &str,
    policy: i64,
    incident: NaiveDate,
    (status, claimed, paid): (&str, Option<i64>, Option<i64>),
) {
    book::insert_claim(conn, number, policy, incident, status, claimed, None, paid);
}

/// An earned commission line of `receipt` booked on `on` (the agent's share a fifth).
fn insert_commission(conn: &mut PgConnection, receipt: i64, on: NaiveDate, amount: i64) {
    book::insert_commission(conn, receipt, on, amount, amount / 5);
}

/// The staff and the book of the module's table. Opted in: the administrator, Ana (agent),
/// Sara (supervisor, but her account is disabled) and the claims handler (whose role does not
/// read the analytics); Bruno (agent) did not opt in.
fn prepare(conn: &mut PgConnection) {
    soriano::seed::catalog(conn).unwrap();
    create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    let ana = create_staff(conn, AGENT_A, Role::Agent, PASSWORD);
    let bruno = create_staff(conn, AGENT_B, Role::Agent, PASSWORD);
    create_staff(conn, SUPERVISOR, Role::Supervisor, PASSWORD);
    create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    for (email, name) in [(ADMIN, "Dolores Dirección"), (AGENT_A, "Ana Agente")] {
        diesel::update(staff_users::table.filter(staff_users::email.eq(email)))
            .set(staff_users::name.eq(name))
            .execute(conn)
            .unwrap();
    }
    for email in [ADMIN, AGENT_A, SUPERVISOR, CLAIMS] {
        opt_in(conn, email);
    }
    diesel::update(staff_users::table.filter(staff_users::email.eq(SUPERVISOR)))
        .set(staff_users::active.eq(false))
        .execute(conn)
        .unwrap();

    let of_ana = portfolio::customer(conn, 1, "Uno", Some(ana));
    let of_bruno = portfolio::customer(conn, 2, "Dos", Some(bruno));
    let a1 = insert_policy(
        conn,
        of_ana,
        ana,
        "A1",
        &[(day(2026, 1, 1), day(2027, 1, 1), 73_000, 87_600)],
        "active",
    );
    let a2 = insert_policy(
        conn,
        of_ana,
        ana,
        "A2",
        &[(day(2026, 12, 2), day(2027, 12, 2), 36_500, 43_800)],
        "active",
    );
    let a3 = insert_policy(
        conn,
        of_ana,
        ana,
        "A3",
        &[
            (day(2025, 12, 3), day(2026, 12, 3), 18_250, 21_900),
            (day(2026, 12, 3), day(2027, 12, 3), 21_900, 26_280),
        ],
        "active",
    );
    insert_policy(
        conn,
        of_ana,
        ana,
        "A4",
        &[(day(2025, 11, 25), day(2026, 11, 25), 3_650, 4_380)],
        "expired",
    );
    let b1 = insert_policy(
        conn,
        of_bruno,
        bruno,
        "B1",
        &[(day(2026, 11, 26), day(2027, 11, 26), 36_500, 50_000)],
        "active",
    );
    insert_policy(
        conn,
        of_bruno,
        bruno,
        "B2",
        &[(day(2025, 12, 5), day(2026, 12, 5), 7_300, 8_760)],
        "expired",
    );
    insert_claim(
        conn,
        "K1",
        a1,
        day(2026, 12, 1),
        ("paid", None, Some(1_045)),
    );
    insert_claim(conn, "K2", b1, day(2026, 12, 4), ("open", Some(500), None));
    insert_claim(conn, "K3", a3, day(2026, 11, 24), ("paid", None, Some(462)));
    let ra1 = insert_receipt(conn, "RA1", a2, day(2026, 12, 2), 43_800, "cobrado");
    insert_receipt(conn, "RA2", a3, day(2026, 12, 3), 26_280, "pendiente");
    insert_receipt(conn, "RA0", a1, day(2026, 11, 24), 20_000, "devuelto");
    let rb0 = insert_receipt(conn, "RB0", b1, day(2026, 11, 26), 50_000, "cobrado");
    let rb1 = insert_receipt(conn, "RB1", b1, day(2026, 12, 4), 10_000, "cobrado");
    insert_commission(conn, ra1, day(2026, 12, 3), 4_380);
    insert_commission(conn, rb0, day(2026, 11, 27), 5_000);
    insert_commission(conn, rb1, day(2026, 12, 5), 1_000);
}

/// Every digest queued: (to, subject, text, html), oldest first.
fn digests(conn: &mut PgConnection) -> Vec<(String, String, String, String)> {
    outbound_emails::table
        .filter(outbound_emails::kind.eq("analytics.digest"))
        .order(outbound_emails::id)
        .select((
            outbound_emails::to_address,
            outbound_emails::subject,
            outbound_emails::body_text,
            outbound_emails::body_html,
        ))
        .load(conn)
        .unwrap()
}

/// The figure lines of a text body.
fn figure_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|line| line.starts_with("- ")).collect()
}

#[test]
fn the_round_queues_one_digest_per_opted_in_reader_with_the_weeks_figures() {
    soriano::emails::install();
    let db = TestDatabase::new();
    let mut conn = db.conn();
    prepare(&mut conn);

    // Without the site's address (a worker that runs no automation) nothing is queued yet.
    let report = soriano::housekeeping::run(&mut conn, monday(), None).unwrap();
    assert_eq!(report.digests_queued, 0);
    assert!(digests(&mut conn).is_empty());

    let report = soriano::housekeeping::run(&mut conn, monday(), Some(&base_url())).unwrap();
    assert_eq!(report.digests_queued, 2);
    let sent = digests(&mut conn);
    let recipients: Vec<&str> = sent.iter().map(|(to, ..)| to.as_str()).collect();
    // Not Bruno (did not opt in), Sara (disabled) nor the claims handler (no analytics).
    assert_eq!(recipients, [ADMIN, AGENT_A]);

    let (_, subject, text, html) = &sent[0];
    assert_eq!(
        subject,
        "Resumen semanal de analítica: semana del 30/11/2026 al 06/12/2026"
    );
    assert!(text.starts_with("Hola, Dolores Dirección:"), "{text}");
    assert!(!text.contains("su cartera de clientes"), "{text}");
    assert_eq!(
        figure_lines(text),
        [
            "- Pólizas en vigor a 06/12/2026: 4 (semana anterior: 4; variación: sin cambios)",
            "- Prima anualizada en vigor: 2.076,80 € (semana anterior: 1.682,60 €; variación: +394,20 €)",
            "- Pólizas nuevas: 1 (semana anterior: 1; variación: sin cambios)",
            "- Prima de las pólizas nuevas: 438,00 € (semana anterior: 500,00 €; variación: -62,00 €)",
            "- Retención de pólizas: 50,00 % (semana anterior: 0,00 %; variación: +50,00 puntos)",
            "- Siniestralidad: 50,00 % (semana anterior: 20,00 %; variación: +30,00 puntos)",
            "- Recibos cobrados: 538,00 € (semana anterior: 500,00 €; variación: +38,00 €)",
            "- Recibos vencidos sin cobrar: 262,80 € (semana anterior: 0,00 €; variación: +262,80 €)",
            "- Tasa de cobro: 67,18 % (semana anterior: 71,43 %; variación: -4,25 puntos)",
            "- Comisión devengada: 53,80 € (semana anterior: 50,00 €; variación: +3,80 €)",
        ]
    );
    assert!(text.contains("https://gestion.sorianomediadores.es/admin/analitica"));
    assert!(html.contains(r#"href="https://gestion.sorianomediadores.es/admin/analitica""#));
    assert!(html.contains("<td align=\"right\" style=\"padding:6px 8px;border-bottom:1px solid #eef1f5;white-space:nowrap;\"><strong>2.076,80 €</strong></td>"));

    // Ana's digest counts only her customers: not B1, B2, their claim, receipts or commission.
    let (_, _, text, _) = &sent[1];
    assert!(text.starts_with("Hola, Ana Agente:"), "{text}");
    assert!(text.contains("de su cartera de clientes"), "{text}");
    assert_eq!(
        figure_lines(text),
        [
            "- Pólizas en vigor a 06/12/2026: 3 (semana anterior: 2; variación: +1)",
            "- Prima anualizada en vigor: 1.576,80 € (semana anterior: 1.095,00 €; variación: +481,80 €)",
            "- Pólizas nuevas: 1 (semana anterior: 0; variación: +1)",
            "- Prima de las pólizas nuevas: 438,00 € (semana anterior: 0,00 €; variación: +438,00 €)",
            "- Retención de pólizas: 100,00 % (semana anterior: 0,00 %; variación: +100,00 puntos)",
            "- Siniestralidad: 45,63 % (semana anterior: 26,10 %; variación: +19,53 puntos)",
            "- Recibos cobrados: 438,00 € (semana anterior: 0,00 €; variación: +438,00 €)",
            "- Recibos vencidos sin cobrar: 262,80 € (semana anterior: 0,00 €; variación: +262,80 €)",
            "- Tasa de cobro: 62,50 % (semana anterior: 0,00 %; variación: +62,50 puntos)",
            "- Comisión devengada: 43,80 € (semana anterior: 0,00 €; variación: +43,80 €)",
        ]
    );

    // The week is recorded once per recipient; the same round again, or later that week,
    // queues nothing more.
    let weeks: Vec<(i64, NaiveDate)> = analytics_digests::table
        .select((analytics_digests::staff_id, analytics_digests::week_start))
        .load(&mut conn)
        .unwrap();
    assert_eq!(weeks.len(), 2);
    assert!(weeks.iter().all(|(_, week)| *week == day(2026, 11, 30)));
    assert_eq!(
        soriano::digest::send_due(&mut conn, monday(), &base_url()).unwrap(),
        0
    );
    assert_eq!(
        soriano::digest::send_due(&mut conn, day(2026, 12, 13), &base_url()).unwrap(),
        0
    );
    assert_eq!(digests(&mut conn).len(), 2);

    // The next Monday brings the next week's.
    assert_eq!(
        soriano::digest::send_due(&mut conn, day(2026, 12, 14), &base_url()).unwrap(),
        2
    );
    let sent = digests(&mut conn);
    assert_eq!(sent.len(), 4);
    assert!(sent[3].1.ends_with("semana del 07/12/2026 al 13/12/2026"));
}

#[test]
fn a_second_worker_racing_for_the_same_week_queues_nothing_for_it() {
    soriano::emails::install();
    let db = TestDatabase::new();
    prepare(&mut db.conn());
    // Another worker has recorded the administrator's week and not committed yet.
    let mut other = db.conn();
    let admin: i64 = staff_users::table
        .filter(staff_users::email.eq(ADMIN))
        .select(staff_users::id)
        .first(&mut other)
        .unwrap();
    diesel::sql_query("BEGIN").execute(&mut other).unwrap();
    diesel::insert_into(analytics_digests::table)
        .values((
            analytics_digests::staff_id.eq(admin),
            analytics_digests::week_start.eq(day(2026, 11, 30)),
        ))
        .execute(&mut other)
        .unwrap();
    let mut conn = db.conn();
    let round =
        std::thread::spawn(move || soriano::digest::send_due(&mut conn, monday(), &base_url()));
    // This round saw the administrator as due, and waits on the other's record.
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert!(!round.is_finished());
    diesel::sql_query("COMMIT").execute(&mut other).unwrap();
    assert_eq!(round.join().unwrap().unwrap(), 1);
    let sent = digests(&mut db.conn());
    let recipients: Vec<&str> = sent.iter().map(|(to, ..)| to.as_str()).collect();
    assert_eq!(recipients, [AGENT_A]);
}

#[test]
fn the_digest_reads_as_spanish_with_euros_and_no_codes() {
    soriano::emails::install();
    let db = TestDatabase::new();
    let mut conn = db.conn();
    prepare(&mut conn);
    assert_eq!(
        soriano::digest::send_due(&mut conn, monday(), &base_url()).unwrap(),
        2
    );
    // A run of four digits or more is a raw amount in cents (207680 for "2.076,80 €").
    let cents = regex::Regex::new(r"\b\d{4,}\b").unwrap();
    let euros = regex::Regex::new(r"(?:^|[^\d.,])\d{1,3}(?:\.\d{3})*,\d\d €").unwrap();
    let dates_and_links = regex::Regex::new(r"\d\d/\d\d/\d{4}|https?://\S+").unwrap();
    let english = regex::Regex::new(
        r"(?i)\b(week|policies|premium|retention|loss|ratio|receipts|overdue|collected|commission|none|some|true|false|null|digest|analytics)\b",
    )
    .unwrap();
    for (to, subject, text, html) in digests(&mut conn) {
        let shown = visible_text::visible_text(&html);
        for body in [subject.as_str(), text.as_str(), shown.as_str()] {
            // Dates and links hold long digit runs that are not amounts.
            let without_dates = dates_and_links.replace_all(body, "").into_owned();
            assert!(
                !cents.is_match(&without_dates),
                "{to}: an amount with cents in «{body}»"
            );
            assert_eq!(
                euros.find_iter(&without_dates).count(),
                without_dates.matches('€').count(),
                "{to}: every amount in euros with its two decimals in «{body}»"
            );
            assert!(
                !english.is_match(&without_dates),
                "{to}: English in «{body}»"
            );
            assert_eq!(
                visible_text::internals_in(&without_dates),
                Vec::<String>::new(),
                "{to}"
            );
        }
        assert!(!html.contains("<script") && !html.contains("<link"), "{to}");
    }
}

#[actix_web::test]
async fn a_reader_of_the_analytics_opts_in_from_their_account_with_a_csrf_token() {
    let app = TestApp::spawn_with(|conn| {
        create_staff(conn, AGENT_A, Role::Agent, PASSWORD);
        create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    })
    .await;
    app.sign_in(AGENT_A, PASSWORD).await;
    let page = app.get("/admin/cuenta").await.text().await.unwrap();
    assert!(page.contains("Recibir cada lunes el resumen semanal de analítica"));
    assert!(page.contains(r#"action="/admin/cuenta/resumen-semanal""#));
    assert!(!page.contains(r#"name="resumen_semanal" value="si" checked"#));

    // Without the form's token the change is refused and nothing is stored.
    let refused = app
        .post_form(
            "/admin/cuenta/resumen-semanal",
            &[("resumen_semanal", "si")],
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(!subscribed(&mut app.db.conn(), AGENT_A));

    let token = app.csrf_token("/admin/cuenta").await;
    let response = app
        .post_form(
            "/admin/cuenta/resumen-semanal",
            &[("csrf_token", &token), ("resumen_semanal", "si")],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/admin/cuenta");
    assert!(subscribed(&mut app.db.conn(), AGENT_A));
    let page = app.get("/admin/cuenta").await.text().await.unwrap();
    assert!(page.contains("Recibirá cada lunes el resumen semanal de analítica."));
    assert!(page.contains(r#"name="resumen_semanal" value="si" checked"#));
    let audited: Vec<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("staff.weekly_digest_changed"))
        .select(audit_log::details)
        .load(&mut app.db.conn())
        .unwrap();
    assert_eq!(
        audited,
        [serde_json::json!({ "resumen_semanal": { "before": false, "after": true } })]
    );

    // Saving with the box unticked stops it.
    let response = app
        .post_form("/admin/cuenta/resumen-semanal", &[("csrf_token", &token)])
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(!subscribed(&mut app.db.conn(), AGENT_A));
    let page = app.get("/admin/cuenta").await.text().await.unwrap();
    assert!(page.contains("Ya no recibirá el resumen semanal de analítica."));

    // A claims handler does not read the analytics: no form, and posting it is forbidden.
    let claims = common::new_client();
    let token = {
        let body = claims
            .get(app.url("/admin/entrar"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        common::csrf_from_html(&body)
    };
    let signed_in = claims
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", CLAIMS),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), StatusCode::SEE_OTHER);
    let page = claims
        .get(app.url("/admin/cuenta"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("resumen semanal"));
    let token = common::csrf_from_html(&page);
    let forbidden = claims
        .post(app.url("/admin/cuenta/resumen-semanal"))
        .form(&[("csrf_token", token.as_str()), ("resumen_semanal", "si")])
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    assert!(!subscribed(&mut app.db.conn(), CLAIMS));
    app.stop().await;
}
