//! Commissions and carrier settlements: a collected receipt earns its line at the new-business
//! or renewal rate, a return after collection reverses it to the cent; a carrier's draft
//! gathers the unsettled lines up to its month, issuing freezes it (a later reversal goes to a
//! later month), the payment is recorded with its difference, and the CSV is what Spanish
//! Excel reads. Agents see only their own lines and cannot settle; changes need the CSRF
//! token; form errors are shown in Spanish with the input kept. Demo data is idempotent.

use crate::common;

use chrono::{Duration, Months, NaiveDate};
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::auth::staff::Role;
use soriano::commissions::{month_code, month_start};
use soriano::db::schema::{
    audit_log, carrier_settlements, carriers, commissions, customers, policies, policy_periods,
    products, receipts, staff_users,
};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const AGENT: &str = "agente@soriano.es";
const OTHER_AGENT: &str = "otra@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";
const SUPERVISOR: &str = "supervisora@soriano.es";

struct Fixture {
    agent: i64,
    other_agent: i64,
    /// Owned by `agent`.
    customer: i64,
    /// Owned by `other_agent`.
    other_customer: i64,
    /// Mapfre, and its car product (12 % new business, 10 % renewals).
    carrier: i64,
    product: i64,
}

fn insert_customer(conn: &mut PgConnection, tax_id: &str, name: &str, owner: i64) -> i64 {
    diesel::insert_into(customers::table)
        .values((
            customers::kind.eq("person"),
            customers::tax_id.eq(tax_id),
            customers::given_name.eq(name),
            customers::family_name.eq("Prueba Comisiones"),
            customers::display_name.eq(format!("Prueba Comisiones, {name}")),
            customers::owner_staff_id.eq(owner),
        ))
        .returning(customers::id)
        .get_result(conn)
        .unwrap()
}

fn prepare(conn: &mut PgConnection) -> Fixture {
    soriano::seed::catalog(conn).unwrap();
    create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    create_staff(conn, SUPERVISOR, Role::Supervisor, PASSWORD);
    let agent = create_staff(conn, AGENT, Role::Agent, PASSWORD);
    let other_agent = create_staff(conn, OTHER_AGENT, Role::Agent, PASSWORD);
    create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    for (id, share) in [(agent, 3000), (other_agent, 2000)] {
        diesel::update(staff_users::table.find(id))
            .set(staff_users::agent_share_bp.eq(share))
            .execute(conn)
            .unwrap();
    }
    let customer = insert_customer(conn, "12345678Z", "Lucía", agent);
    let other_customer = insert_customer(conn, "87654321X", "Pedro", other_agent);
    let carrier: i64 = carriers::table
        .filter(carriers::code.eq("mapfre"))
        .select(carriers::id)
        .first(conn)
        .unwrap();
    let product: i64 = products::table
        .filter(products::carrier_id.eq(carrier))
        .filter(products::code.eq("auto-total"))
        .select(products::id)
        .first(conn)
        .unwrap();
    Fixture {
        agent,
        other_agent,
        customer,
        other_customer,
        carrier,
        product,
    }
}

async fn spawn() -> (TestApp, Fixture) {
    let mut fixture = None;
    let app = TestApp::spawn_with(|conn| fixture = Some(prepare(conn))).await;
    (app, fixture.unwrap())
}

fn today() -> NaiveDate {
    soriano::policies::today()
}

fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// A policy of `customer` (Mapfre car, net 1.200,00 € a year) whose periods are `periods`
/// (the last one current), with the receipts of its current period.
fn insert_policy(
    conn: &mut PgConnection,
    fx: &Fixture,
    customer: i64,
    agent: Option<i64>,
    number: &str,
    frequency: &str,
    periods: &[(NaiveDate, NaiveDate)],
) -> i64 {
    let line: i64 = products::table
        .find(fx.product)
        .select(products::line_id)
        .first(conn)
        .unwrap();
    let (start, end) = *periods.last().unwrap();
    let id: i64 = diesel::insert_into(policies::table)
        .values((
            policies::customer_id.eq(customer),
            policies::carrier_id.eq(fx.carrier),
            policies::product_id.eq(fx.product),
            policies::line_id.eq(line),
            policies::number.eq(number),
            policies::start_date.eq(start),
            policies::end_date.eq(end),
            policies::net_premium_cents.eq(120_000),
            policies::total_premium_cents.eq(129_600),
            policies::payment_frequency.eq(frequency),
            policies::agent_staff_id.eq(agent),
        ))
        .returning(policies::id)
        .get_result(conn)
        .unwrap();
    for (start, end) in periods {
        diesel::insert_into(policy_periods::table)
            .values((
                policy_periods::policy_id.eq(id),
                policy_periods::start_date.eq(start),
                policy_periods::end_date.eq(end),
                policy_periods::net_premium_cents.eq(120_000),
                policy_periods::total_premium_cents.eq(129_600),
            ))
            .execute(conn)
            .unwrap();
    }
    soriano::receipts::generate_for_policy(conn, id).unwrap();
    id
}

fn year_from(start: NaiveDate) -> (NaiveDate, NaiveDate) {
    (start, start.checked_add_months(Months::new(12)).unwrap())
}

/// (id, number) of a policy's receipts by due date.
fn receipts_of(conn: &mut PgConnection, policy: i64) -> Vec<(i64, String)> {
    receipts::table
        .filter(receipts::policy_id.eq(policy))
        .order((receipts::due_date, receipts::id))
        .select((receipts::id, receipts::number))
        .load(conn)
        .unwrap()
}

#[derive(Debug, Queryable)]
struct Line {
    kind: String,
    collection: i32,
    base: i64,
    rate: i32,
    amount: i64,
    agent_amount: i64,
    agent: Option<i64>,
    renewal: bool,
    booked_on: NaiveDate,
    settlement: Option<i64>,
}

fn lines_of(conn: &mut PgConnection, receipt: i64) -> Vec<Line> {
    commissions::table
        .filter(commissions::receipt_id.eq(receipt))
        .order(commissions::id)
        .select((
            commissions::kind,
            commissions::collection,
            commissions::base_cents,
            commissions::rate_bp,
            commissions::amount_cents,
            commissions::agent_amount_cents,
            commissions::agent_staff_id,
            commissions::renewal,
            commissions::booked_on,
            commissions::settlement_id,
        ))
        .load(conn)
        .unwrap()
}

/// A browser of its own, signed in as `email`; returns it and a CSRF token of its session.
async fn browser(app: &TestApp, email: &str) -> (reqwest::Client, String) {
    let client = common::new_client();
    let body = client
        .get(app.url("/admin/entrar"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::csrf_from_html(&body);
    let response = client
        .post(app.url("/admin/entrar"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("email", email),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{email} signs in");
    let page = client
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, common::csrf_from_html(&page))
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    token: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut fields: Vec<(&str, &str)> = vec![("csrf_token", token)];
    fields.extend_from_slice(form);
    client
        .post(app.url(path))
        .form(&fields)
        .send()
        .await
        .unwrap()
}

async fn get(app: &TestApp, client: &reqwest::Client, path: &str) -> reqwest::Response {
    client.get(app.url(path)).send().await.unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn collect(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    receipt: i64,
    on: NaiveDate,
) {
    let response = post(
        app,
        client,
        &format!("/admin/recibos/{receipt}/cobrar"),
        token,
        &[("cobro_fecha", &iso(on))],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "collect {receipt}"
    );
}

async fn give_back(
    app: &TestApp,
    client: &reqwest::Client,
    token: &str,
    receipt: i64,
    on: NaiveDate,
) {
    let response = post(
        app,
        client,
        &format!("/admin/recibos/{receipt}/devolver"),
        token,
        &[
            ("devolucion_motivo", "AM04"),
            ("devolucion_fecha", &iso(on)),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "return {receipt}");
}

#[actix_web::test]
async fn a_collected_receipt_earns_its_commission_and_a_return_reverses_it_to_the_cent() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let (agent, token) = browser(&app, AGENT).await;
    let first_year = year_from(today() - Duration::days(10));
    let policy = insert_policy(
        &mut conn,
        &fx,
        fx.customer,
        Some(fx.agent),
        "COM-NEW",
        "annual",
        &[first_year],
    );
    let receipt = receipts_of(&mut conn, policy)[0].0;
    assert!(
        lines_of(&mut conn, receipt).is_empty(),
        "pending earns nothing"
    );

    // Collected: 12 % of the net 1.200,00 € is 144,00 €; the agent's 30 % is 43,20 €.
    collect(&app, &agent, &token, receipt, today()).await;
    let lines = lines_of(&mut conn, receipt);
    assert_eq!(lines.len(), 1, "{lines:?}");
    let earned = &lines[0];
    assert_eq!(earned.kind, "earned");
    assert_eq!(earned.collection, 1);
    assert!(!earned.renewal);
    assert_eq!(
        (earned.base, earned.rate, earned.amount),
        (120_000, 1200, 14_400)
    );
    assert_eq!(earned.agent_amount, 4_320);
    assert_eq!(earned.agent, Some(fx.agent));
    assert_eq!(earned.booked_on, today());
    assert_eq!(earned.settlement, None);

    // Returned by the bank: the exact opposite line, booked on the return date.
    give_back(&app, &agent, &token, receipt, today()).await;
    let lines = lines_of(&mut conn, receipt);
    assert_eq!(lines.len(), 2, "{lines:?}");
    let reversal = &lines[1];
    assert_eq!(reversal.kind, "reversal");
    assert_eq!(reversal.collection, 1);
    assert_eq!(
        (reversal.base, reversal.rate, reversal.amount),
        (-120_000, 1200, -14_400)
    );
    assert_eq!(reversal.agent_amount, -4_320);
    assert_eq!(reversal.agent, Some(fx.agent));
    assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), 0);

    // Collected again: a second line of its own.
    collect(&app, &agent, &token, receipt, today()).await;
    let lines = lines_of(&mut conn, receipt);
    assert_eq!(lines.len(), 3);
    assert_eq!((lines[2].kind.as_str(), lines[2].collection), ("earned", 2));
    assert_eq!(lines.iter().map(|l| l.amount).sum::<i64>(), 14_400);

    // A pending receipt returned by the bank had earned nothing: nothing to reverse.
    let other = insert_policy(
        &mut conn,
        &fx,
        fx.customer,
        Some(fx.agent),
        "COM-PEND",
        "annual",
        &[first_year],
    );
    let pending = receipts_of(&mut conn, other)[0].0;
    give_back(&app, &agent, &token, pending, today()).await;
    assert!(lines_of(&mut conn, pending).is_empty());

    // A renewal period earns the renewal rate (10 %), for the customer's owner when the
    // policy has no agent of its own, at their share.
    let start = today() - Duration::days(400);
    let (_, first_end) = year_from(start);
    let renewed = insert_policy(
        &mut conn,
        &fx,
        fx.other_customer,
        None,
        "COM-REN",
        "semiannual",
        &[year_from(start), year_from(first_end)],
    );
    let (renewal_receipt, _) = receipts_of(&mut conn, renewed)[0].clone();
    let (admin, admin_token) = browser(&app, ADMIN).await;
    collect(&app, &admin, &admin_token, renewal_receipt, today()).await;
    let lines = lines_of(&mut conn, renewal_receipt);
    assert_eq!(lines.len(), 1);
    assert!(lines[0].renewal);
    assert_eq!(
        (lines[0].base, lines[0].rate, lines[0].amount),
        (60_000, 1000, 6_000)
    );
    assert_eq!(lines[0].agent, Some(fx.other_agent));
    assert_eq!(lines[0].agent_amount, 1_200);
    assert_running_totals_match_the_lines(&mut conn);
    app.stop().await;
}

/// The list's running totals (`commission_totals`, kept by triggers) add up to what the
/// lines themselves add up to, group by group, after collections, returns and settlements.
fn assert_running_totals_match_the_lines(conn: &mut PgConnection) {
    type Group = (String, i64, Option<i64>, bool, i64, i64, i64, i64);
    let mut query = |sql: &str| -> Vec<Group> {
        #[derive(QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            month: String,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            carrier: i64,
            #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
            agent: Option<i64>,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            settled: bool,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            lines: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            base: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            amount: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            share: i64,
        }
        diesel::sql_query(sql)
            .load::<Row>(conn)
            .unwrap()
            .into_iter()
            .map(|r| {
                (
                    r.month, r.carrier, r.agent, r.settled, r.lines, r.base, r.amount, r.share,
                )
            })
            .collect()
    };
    let lines = query(
        "SELECT date_trunc('month', booked_on)::date::text AS month, carrier_id AS carrier, \
         agent_staff_id AS agent, settlement_id IS NOT NULL AS settled, count(*) AS lines, \
         sum(base_cents)::bigint AS base, sum(amount_cents)::bigint AS amount, \
         sum(agent_amount_cents)::bigint AS share FROM commissions GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4",
    );
    let totals = query(
        "SELECT month::text AS month, carrier_id AS carrier, agent_staff_id AS agent, settled, \
         lines, base_cents AS base, amount_cents AS amount, agent_cents AS share \
         FROM commission_totals WHERE lines <> 0 ORDER BY 1, 2, 3, 4",
    );
    assert!(!lines.is_empty());
    assert_eq!(totals, lines);
}

#[actix_web::test]
async fn a_settlement_is_drafted_issued_frozen_and_paid_and_exported_for_excel() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let (admin, token) = browser(&app, ADMIN).await;
    let this_month = month_start(today());
    let last_day_of_last_month = this_month.pred_opt().unwrap();
    let last_month = month_start(last_day_of_last_month);
    // Monthly receipts of 100,00 € net: 12,00 € of commission each.
    let monthly = insert_policy(
        &mut conn,
        &fx,
        fx.customer,
        Some(fx.agent),
        "LIQ-1",
        "monthly",
        &[year_from(last_month - Duration::days(70))],
    );
    let rows = receipts_of(&mut conn, monthly);
    let (a, b, c) = (rows[0].0, rows[1].0, rows[2].0);
    collect(&app, &admin, &token, a, last_day_of_last_month).await;
    collect(&app, &admin, &token, b, last_day_of_last_month).await;
    collect(&app, &admin, &token, c, today()).await;
    assert_eq!(lines_of(&mut conn, a)[0].amount, 1_200);

    // The draft of last month takes A and B, not C (collected this month).
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[
            ("compania", &fx.carrier.to_string()),
            ("mes", &month_code(last_month)),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let detail = location(&response);
    let id: i64 = detail
        .trim_start_matches("/admin/liquidaciones/")
        .parse()
        .unwrap();
    assert_eq!(lines_of(&mut conn, a)[0].settlement, Some(id));
    assert_eq!(lines_of(&mut conn, b)[0].settlement, Some(id));
    assert_eq!(lines_of(&mut conn, c)[0].settlement, None);
    let (status, count, total): (String, i32, i64) = carrier_settlements::table
        .find(id)
        .select((
            carrier_settlements::status,
            carrier_settlements::line_count,
            carrier_settlements::total_cents,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((status.as_str(), count, total), ("borrador", 2, 2_400));
    let amounts: Vec<i64> = commissions::table
        .filter(commissions::settlement_id.eq(id))
        .select(commissions::amount_cents)
        .load(&mut conn)
        .unwrap();
    let summed = Some(amounts.iter().sum::<i64>());
    assert_eq!(summed, Some(total), "the total is the sum of its lines");

    // Submitting the same draft again gives the same one.
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[
            ("compania", &fx.carrier.to_string()),
            ("mes", &month_code(last_month)),
        ],
    )
    .await;
    assert_eq!(location(&response), detail);
    let settlements: i64 = carrier_settlements::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(settlements, 1);

    // Its page lists the lines with receipt, policy, customer, base, rate and amount.
    let page = get(&app, &admin, &detail).await.text().await.unwrap();
    assert_eq!(page.matches("data-line=\"R-").count(), 2, "{page}");
    assert!(page.contains("LIQ-1"));
    assert!(page.contains("Prueba Comisiones, Lucía"));
    assert!(page.contains("100,00 €") && page.contains("12,00 %") && page.contains("12,00 €"));
    assert!(page.contains("<dd id=\"settlement-total\">24,00 €</dd>"));
    assert!(page.contains("Emitir la liquidación"));

    // Issued: frozen, audited, published; issuing twice changes nothing.
    for _ in 0..2 {
        let response = post(&app, &admin, &format!("{detail}/emitir"), &token, &[]).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), detail);
    }
    let status: String = carrier_settlements::table
        .find(id)
        .select(carrier_settlements::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "emitida");
    let events = soriano::events::of_entity(&mut conn, "carrier_settlement", id).unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].0, "settlement.issued");
    assert_eq!(events[0].1["total_cents"], 2_400);
    let issued_entries: i64 = audit_log::table
        .filter(audit_log::action.eq("settlement.issued"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(issued_entries, 1);
    let page = get(&app, &admin, &detail).await.text().await.unwrap();
    assert!(
        page.contains("ya estaba emitida"),
        "the second submit says why"
    );
    assert!(!page.contains("Emitir la liquidación"));
    // The database itself refuses to move an issued line.
    let moved = diesel::update(commissions::table.filter(commissions::settlement_id.eq(id)))
        .set(commissions::settlement_id.eq(None::<i64>))
        .execute(&mut conn);
    assert!(moved.is_err(), "issued lines are frozen");

    // A later return of A goes into the next draft, not into the issued one.
    give_back(&app, &admin, &token, a, today()).await;
    let reversal = &lines_of(&mut conn, a)[1];
    assert_eq!((reversal.amount, reversal.settlement), (-1_200, None));
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[
            ("compania", &fx.carrier.to_string()),
            ("mes", &month_code(this_month)),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let next: i64 = location(&response)
        .trim_start_matches("/admin/liquidaciones/")
        .parse()
        .unwrap();
    assert_ne!(next, id);
    assert_eq!(lines_of(&mut conn, a)[1].settlement, Some(next));
    assert_eq!(lines_of(&mut conn, c)[0].settlement, Some(next));
    let (count, total): (i32, i64) = carrier_settlements::table
        .find(next)
        .select((
            carrier_settlements::line_count,
            carrier_settlements::total_cents,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!((count, total), (2, 0));
    let (old_count, old_total): (i32, i64) = carrier_settlements::table
        .find(id)
        .select((
            carrier_settlements::line_count,
            carrier_settlements::total_cents,
        ))
        .first(&mut conn)
        .unwrap();
    assert_eq!(
        (old_count, old_total),
        (2, 2_400),
        "the issued one is unchanged"
    );

    // Last month again: already issued, said next to the month, input kept.
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[
            ("compania", &fx.carrier.to_string()),
            ("mes", &month_code(last_month)),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("ya está emitida"), "{body}");
    assert!(body.contains(&format!("value=\"{}\"", month_code(last_month))));

    // The payment: each field checked in Spanish, the typed values kept, nothing written.
    let tomorrow = iso(today() + Duration::days(1));
    let response = post(
        &app,
        &admin,
        &format!("{detail}/cobrar"),
        &token,
        &[("cobro_fecha", &tomorrow), ("importe_recibido", "doce")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(
        body.contains("La fecha no puede ser posterior a hoy."),
        "{body}"
    );
    assert!(body.contains("Escriba el importe en euros"));
    assert!(body.contains(&format!("value=\"{tomorrow}\"")));
    assert!(body.contains("value=\"doce\""));
    assert!(body.contains("<html"), "the whole page again");
    let response = post(
        &app,
        &admin,
        &format!("{detail}/cobrar"),
        &token,
        &[("cobro_fecha", ""), ("importe_recibido", "")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Escriba la fecha.") && body.contains("Escriba un importe."));
    let status: String = carrier_settlements::table
        .find(id)
        .select(carrier_settlements::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "emitida");

    // Paid one euro short: recorded, and the difference shown.
    let response = post(
        &app,
        &admin,
        &format!("{detail}/cobrar"),
        &token,
        &[
            ("cobro_fecha", &iso(today())),
            ("importe_recibido", "23,00"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let (status, received, paid_on): (String, Option<i64>, Option<NaiveDate>) =
        carrier_settlements::table
            .find(id)
            .select((
                carrier_settlements::status,
                carrier_settlements::received_cents,
                carrier_settlements::paid_on,
            ))
            .first(&mut conn)
            .unwrap();
    assert_eq!(
        (status.as_str(), received, paid_on),
        ("cobrada", Some(2_300), Some(today()))
    );
    let page = get(&app, &admin, &detail).await.text().await.unwrap();
    assert!(page.contains("-1,00 €"), "{page}");
    assert!(page.contains("<dd id=\"settlement-received\">23,00 €</dd>"));
    let paid_entries: i64 = audit_log::table
        .filter(audit_log::action.eq("settlement.paid"))
        .filter(audit_log::target_id.eq(id))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(paid_entries, 1);
    // Paying twice is refused with a message.
    let response = post(
        &app,
        &admin,
        &format!("{detail}/cobrar"),
        &token,
        &[
            ("cobro_fecha", &iso(today())),
            ("importe_recibido", "24,00"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let received: Option<i64> = carrier_settlements::table
        .find(id)
        .select(carrier_settlements::received_cents)
        .first(&mut conn)
        .unwrap();
    assert_eq!(received, Some(2_300));

    // The list shows both with their states.
    let list = get(&app, &admin, "/admin/liquidaciones")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(list.matches("data-settlement=").count(), 2);
    assert!(list.contains("Cobrada") && list.contains("Borrador"));

    // The CSV: `;` separated, decimal comma, a header and a total row.
    let response = get(&app, &admin, &format!("{detail}/csv")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    let disposition = response
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(disposition.contains("attachment"), "{disposition}");
    let csv = response.text().await.unwrap();
    let csv = csv.trim_start_matches('\u{feff}');
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows[0],
        "Fecha;Recibo;Póliza;Cliente;Tipo;Renovación;Prima neta;Comisión %;Comisión"
    );
    assert_eq!(rows.len(), 4, "{csv}");
    let number_a = &receipts_of(&mut conn, monthly)[0].1;
    assert!(
        rows.contains(
            &format!(
                "{};{number_a};LIQ-1;Prueba Comisiones, Lucía;Cobro;No;100,00;12,00;12,00",
                soriano::format::date(last_day_of_last_month)
            )
            .as_str()
        ),
        "{csv}"
    );
    assert_eq!(rows[3], ";;;Total;;;200,00;;24,00");
    assert_running_totals_match_the_lines(&mut conn);
    app.stop().await;
}

#[actix_web::test]
async fn the_draft_form_says_what_is_wrong_in_spanish_and_keeps_the_input() {
    let (app, fx) = spawn().await;
    let (admin, token) = browser(&app, ADMIN).await;
    let mut conn = app.db.conn();

    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[("compania", ""), ("mes", "")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("Elija la compañía."), "{body}");
    assert!(body.contains("Elija el mes."));

    let future = month_code(
        month_start(today())
            .checked_add_months(Months::new(1))
            .unwrap(),
    );
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[("compania", &fx.carrier.to_string()), ("mes", &future)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("El mes no puede ser posterior al actual."));
    assert!(
        body.contains(&format!("value=\"{future}\"")),
        "keeps the month"
    );
    assert!(
        body.contains(&format!("value=\"{}\" selected", fx.carrier)),
        "keeps the carrier"
    );

    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[("compania", &fx.carrier.to_string()), ("mes", "noviembre")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("Escriba el mes como aaaa-mm")
    );

    // Nothing to settle: no empty draft is left behind.
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[
            ("compania", &fx.carrier.to_string()),
            ("mes", &month_code(today())),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("No hay comisiones sin liquidar de Mapfre")
    );
    let settlements: i64 = carrier_settlements::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(settlements, 0);
    app.stop().await;
}

#[actix_web::test]
async fn agents_see_only_their_own_commissions_and_only_managers_settle() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let start = year_from(today() - Duration::days(5));
    let own = insert_policy(
        &mut conn,
        &fx,
        fx.customer,
        Some(fx.agent),
        "AG-OWN",
        "annual",
        &[start],
    );
    let other = insert_policy(
        &mut conn,
        &fx,
        fx.other_customer,
        Some(fx.other_agent),
        "AG-OTHER",
        "annual",
        &[start],
    );
    let (admin, admin_token) = browser(&app, ADMIN).await;
    let own_receipt = receipts_of(&mut conn, own)[0].clone();
    let other_receipt = receipts_of(&mut conn, other)[0].clone();
    collect(&app, &admin, &admin_token, own_receipt.0, today()).await;
    collect(&app, &admin, &admin_token, other_receipt.0, today()).await;
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &admin_token,
        &[
            ("compania", &fx.carrier.to_string()),
            ("mes", &month_code(today())),
        ],
    )
    .await;
    let settlement = location(&response);
    assert!(
        settlement.starts_with("/admin/liquidaciones/"),
        "{settlement}"
    );

    // The agent: their own line, whatever the agent filter says; their month and share.
    let (agent, token) = browser(&app, AGENT).await;
    for path in [
        "/admin/comisiones".to_owned(),
        format!("/admin/comisiones?agente={}", fx.other_agent),
    ] {
        let page = get(&app, &agent, &path).await.text().await.unwrap();
        assert!(
            page.contains(&format!("data-commission=\"{}\"", own_receipt.1)),
            "{page}"
        );
        assert!(!page.contains(&other_receipt.1));
        assert!(page.contains("<dd id=\"total-count\">1</dd>"));
        assert!(page.contains("<dd id=\"total-amount\">144,00 €</dd>"));
        assert!(
            !page.contains("/admin/liquidaciones/"),
            "no link to what they cannot open"
        );
    }
    let mine = get(&app, &agent, "/admin/comisiones/mias")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        mine.contains("<strong id=\"my-share\">30,00 %</strong>"),
        "{mine}"
    );
    assert!(mine.contains(&format!("data-month=\"{}\"", month_code(today()))));
    assert!(mine.contains("<td id=\"my-total-share\">43,20 €</td>"));
    assert!(mine.contains("Mis comisiones</a>"), "the menu entry");
    // Settling is not theirs: 403 for every page and action.
    for path in [
        "/admin/liquidaciones".to_owned(),
        "/admin/comisiones/informe".to_owned(),
        settlement.clone(),
        format!("{settlement}/csv"),
    ] {
        assert_eq!(
            get(&app, &agent, &path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    for (path, form) in [
        (
            "/admin/liquidaciones".to_owned(),
            vec![
                ("compania", fx.carrier.to_string()),
                ("mes", month_code(today())),
            ],
        ),
        (format!("{settlement}/emitir"), vec![]),
        (format!("{settlement}/actualizar"), vec![]),
        (
            format!("{settlement}/cobrar"),
            vec![
                ("cobro_fecha", iso(today())),
                ("importe_recibido", "1,00".to_owned()),
            ],
        ),
    ] {
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = post(&app, &agent, &path, &token, &fields).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let status: String = carrier_settlements::table
        .select(carrier_settlements::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "borrador");

    // A claims handler sees no commissions at all.
    let (claims, _) = browser(&app, CLAIMS).await;
    for path in [
        "/admin/comisiones",
        "/admin/comisiones/mias",
        "/admin/liquidaciones",
    ] {
        assert_eq!(
            get(&app, &claims, path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    // A supervisor sees everyone's, filters by agent, gets the partial with htmx, and the
    // month × agent report.
    let (supervisor, _) = browser(&app, SUPERVISOR).await;
    let all = get(&app, &supervisor, "/admin/comisiones")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(all.matches("data-commission=").count(), 2);
    assert!(all.contains("<dd id=\"total-amount\">288,00 €</dd>"));
    let by_agent = get(
        &app,
        &supervisor,
        &format!("/admin/comisiones?agente={}", fx.other_agent),
    )
    .await
    .text()
    .await
    .unwrap();
    assert_eq!(by_agent.matches("data-commission=").count(), 1);
    assert!(by_agent.contains(&other_receipt.1));
    let unsettled = get(&app, &supervisor, "/admin/comisiones?liquidada=no")
        .await
        .text()
        .await
        .unwrap();
    assert!(unsettled.contains("No hay comisiones que coincidan"));
    let partial = supervisor
        .get(app.url("/admin/comisiones?liquidada=si"))
        .header("HX-Request", "true")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!partial.contains("<html"));
    assert_eq!(partial.matches("data-commission=").count(), 2);
    let report = get(&app, &supervisor, "/admin/comisiones/informe")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(report.matches("data-agent=").count(), 2, "{report}");
    assert!(report.contains("43,20 €") && report.contains("28,80 €"));
    assert!(report.contains("<td id=\"report-total-commission\">288,00 €</td>"));
    let bad = get(
        &app,
        &supervisor,
        "/admin/comisiones/informe?desde=2026-05&hasta=2026-01",
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(bad.contains("El mes final no puede ser anterior al inicial."));
    app.stop().await;
}

#[actix_web::test]
async fn settlement_changes_need_the_csrf_token() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let start = year_from(today() - Duration::days(5));
    let own = insert_policy(
        &mut conn,
        &fx,
        fx.customer,
        Some(fx.agent),
        "CSRF-1",
        "annual",
        &[start],
    );
    let (admin, token) = browser(&app, ADMIN).await;
    collect(
        &app,
        &admin,
        &token,
        receipts_of(&mut conn, own)[0].0,
        today(),
    )
    .await;
    let carrier = fx.carrier.to_string();
    let month = month_code(today());
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        "falso",
        &[("compania", &carrier), ("mes", &month)],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let count: i64 = carrier_settlements::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(count, 0);
    let response = post(
        &app,
        &admin,
        "/admin/liquidaciones",
        &token,
        &[("compania", &carrier), ("mes", &month)],
    )
    .await;
    let detail = location(&response);
    for action in ["emitir", "actualizar", "cobrar"] {
        let response = post(&app, &admin, &format!("{detail}/{action}"), "falso", &[]).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
    }
    let status: String = carrier_settlements::table
        .select(carrier_settlements::status)
        .first(&mut conn)
        .unwrap();
    assert_eq!(status, "borrador");
    app.stop().await;
}

#[test]
fn demo_data_has_commissions_for_collected_receipts_once() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    soriano::seed::demo(&mut conn).unwrap();
    let collected: i64 = receipts::table
        .filter(receipts::status.eq("cobrado"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(collected > 0);
    let earned: i64 = commissions::table
        .filter(commissions::kind.eq("earned"))
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(earned, collected);
    let settlements: i64 = carrier_settlements::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert!(settlements > 0);
    let shares: Vec<i32> = staff_users::table
        .filter(staff_users::role.eq("agent"))
        .select(staff_users::agent_share_bp)
        .load(&mut conn)
        .unwrap();
    assert!(shares.iter().all(|s| *s > 0), "{shares:?}");
    // Again: nothing new.
    assert_eq!(soriano::seed::demo_commissions(&mut conn).unwrap(), 0);
    soriano::seed::demo(&mut conn).unwrap();
    let again: i64 = commissions::table.count().get_result(&mut conn).unwrap();
    assert_eq!(again, earned);
    let settlements_again: i64 = carrier_settlements::table
        .count()
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(settlements_again, settlements);
}

#[actix_web::test]
async fn an_admin_sets_an_agents_share_for_receipts_collected_from_then_on() {
    let (app, fx) = spawn().await;
    let mut conn = app.db.conn();
    let (admin, token) = browser(&app, ADMIN).await;
    let path = format!("/admin/usuarios/{}/comision", fx.agent);
    let page = get(&app, &admin, &format!("/admin/usuarios/{}", fx.agent))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"value="30,00""#),
        "the current share is shown"
    );

    // Monthly policy: one receipt collected at 30 %, the next at the new share.
    let policy = insert_policy(
        &mut conn,
        &fx,
        fx.customer,
        Some(fx.agent),
        "COM-SHARE",
        "monthly",
        &[year_from(today() - Duration::days(40))],
    );
    let receipts = receipts_of(&mut conn, policy);
    collect(&app, &admin, &token, receipts[0].0, today()).await;

    for (typed, message) in [
        ("150", "No puede pasar del 100 %."),
        ("doce", "Escriba un porcentaje entre 0 y 100"),
        ("", "Escriba el porcentaje"),
    ] {
        let refused = post(&app, &admin, &path, &token, &[("participacion", typed)]).await;
        assert_eq!(
            refused.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{typed}"
        );
        let html = refused.text().await.unwrap();
        assert!(html.contains(message), "{typed}: {html}");
        assert!(html.contains(&format!(r#"value="{typed}""#)), "input kept");
    }
    let done = post(&app, &admin, &path, &token, &[("participacion", "35,5 %")]).await;
    assert_eq!(done.status(), StatusCode::SEE_OTHER);
    let share: i32 = staff_users::table
        .find(fx.agent)
        .select(staff_users::agent_share_bp)
        .first(&mut conn)
        .unwrap();
    assert_eq!(share, 3550);
    let audited: Vec<serde_json::Value> = audit_log::table
        .filter(audit_log::action.eq("staff.agent_share_changed"))
        .select(audit_log::details)
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        audited,
        vec![serde_json::json!({ "participacion": { "before": 3000, "after": 3550 } })]
    );

    collect(&app, &admin, &token, receipts[1].0, today()).await;
    let before = &lines_of(&mut conn, receipts[0].0)[0];
    let after = &lines_of(&mut conn, receipts[1].0)[0];
    assert_eq!(before.agent_amount, (before.amount * 3000 + 5_000) / 10_000);
    assert_eq!(after.agent_amount, (after.amount * 3550 + 5_000) / 10_000);

    // Only administrators manage staff accounts; a supervisor is refused, and so is a form
    // without its token.
    let (supervisor, supervisor_token) = browser(&app, SUPERVISOR).await;
    let refused = post(
        &app,
        &supervisor,
        &path,
        &supervisor_token,
        &[("participacion", "90")],
    )
    .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let forged = admin
        .post(app.url(&path))
        .form(&[("participacion", "90")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    let share: i32 = staff_users::table
        .find(fx.agent)
        .select(staff_users::agent_share_bp)
        .first(&mut conn)
        .unwrap();
    assert_eq!(share, 3550);
    app.stop().await;
}
