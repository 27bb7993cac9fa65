//! Analytics (issue 23): each report's figures over a fixed book with hand-computed values,
//! as the domain computes them and as the pages and exports show them; an agent's figures
//! count only their own customers; roles without the permission get 403 and visitors are sent
//! to sign in.
//!
//! The book (2025, premiums chosen as multiples of 365 cents so that earned premium is exact):
//!
//! | policy | owner | carrier · line | periods (net / total)                                     | state                        |
//! |--------|-------|----------------|-----------------------------------------------------------|------------------------------|
//! | P1     | A     | X · L1         | 01/03/2024–01/03/2025 (730 / 876), renewed to 01/03/2026 (1.095 / 1.314) | in force                     |
//! | P2     | A     | Y · L2         | 01/06/2024–01/06/2025 (365 / 438)                          | expired, not renewed         |
//! | P3     | B     | X · L1         | 01/02/2025–01/02/2026 (1.460 / 1.752)                      | cancelled 01/08/2025, Impago |
//! | P4     | A     | Y · L2         | 01/05/2025–01/05/2026 (182,50 / 219)                       | in force                     |

use crate::book::{NewPolicy, insert_claim, insert_commission, insert_policy, insert_receipt};
use crate::common;
use crate::portfolio;

use chrono::NaiveDate;
use common::{TestApp, TestDatabase, create_staff};
use diesel::prelude::*;
use reqwest::StatusCode;
use soriano::analytics::{self, Period, PortfolioScope};
use soriano::auth::staff::Role;
use soriano::db::schema::{policies, products, staff_users};

const PASSWORD: &str = "una clave larga de prueba";
const ADMIN: &str = "admin@soriano.es";
const AGENT_A: &str = "ana@soriano.es";
const AGENT_B: &str = "bruno@soriano.es";
const CLAIMS: &str = "siniestros@soriano.es";

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn year_2025() -> Period {
    Period::new(day(2025, 1, 1), day(2025, 12, 31))
}

struct Book {
    agent_a: i64,
    agent_b: i64,
    /// Carrier X, line L1; carrier Y, line L2.
    carrier_x: i64,
    carrier_y: i64,
    line_1: i64,
    carrier_x_name: String,
    carrier_y_name: String,
    p1: i64,
}

fn prepare(conn: &mut PgConnection) -> Book {
    soriano::seed::catalog(conn).unwrap();
    create_staff(conn, ADMIN, Role::Admin, PASSWORD);
    create_staff(conn, CLAIMS, Role::Claims, PASSWORD);
    let agent_a = create_staff(conn, AGENT_A, Role::Agent, PASSWORD);
    let agent_b = create_staff(conn, AGENT_B, Role::Agent, PASSWORD);
    for (id, name) in [(agent_a, "Ana Agente"), (agent_b, "Bruno Agente")] {
        diesel::update(staff_users::table.find(id))
            .set(staff_users::name.eq(name))
            .execute(conn)
            .unwrap();
    }
    let all: Vec<(i64, i64, i64)> = products::table
        .order(products::id)
        .select((products::id, products::carrier_id, products::line_id))
        .load(conn)
        .unwrap();
    let x = all[0];
    let y = *all
        .iter()
        .find(|p| p.1 != x.1 && p.2 != x.2)
        .expect("a product of another carrier and line");
    let name = |conn: &mut PgConnection, id: i64| -> String {
        soriano::db::schema::carriers::table
            .find(id)
            .select(soriano::db::schema::carriers::name)
            .first(conn)
            .unwrap()
    };
    let carrier_x_name = name(conn, x.1);
    let carrier_y_name = name(conn, y.1);
    let c1 = portfolio::customer(conn, 1, "Uno", Some(agent_a));
    let c2 = portfolio::customer(conn, 2, "Dos", Some(agent_a));
    let c3 = portfolio::customer(conn, 3, "Tres", Some(agent_b));
    let p1 = insert_policy(
        conn,
        NewPolicy {
            customer: c1,
            product: x,
            agent: agent_a,
            number: "P1",
            periods: &[
                (day(2024, 3, 1), day(2025, 3, 1), 73_000, 87_600),
                (day(2025, 3, 1), day(2026, 3, 1), 109_500, 131_400),
            ],
            status: "active",
            reason: None,
            changed_on: None,
        },
    );
    let p2 = insert_policy(
        conn,
        NewPolicy {
            customer: c2,
            product: y,
            agent: agent_a,
            number: "P2",
            periods: &[(day(2024, 6, 1), day(2025, 6, 1), 36_500, 43_800)],
            status: "expired",
            reason: Some("No renovada"),
            changed_on: Some(day(2025, 6, 1)),
        },
    );
    let p3 = insert_policy(
        conn,
        NewPolicy {
            customer: c3,
            product: x,
            agent: agent_b,
            number: "P3",
            periods: &[(day(2025, 2, 1), day(2026, 2, 1), 146_000, 175_200)],
            status: "cancelled",
            reason: Some("Impago"),
            changed_on: Some(day(2025, 8, 1)),
        },
    );
    let p4 = insert_policy(
        conn,
        NewPolicy {
            customer: c1,
            product: y,
            agent: agent_a,
            number: "P4",
            periods: &[(day(2025, 5, 1), day(2026, 5, 1), 18_250, 21_900)],
            status: "active",
            reason: None,
            changed_on: None,
        },
    );
    insert_claim(
        conn,
        "K1",
        p1,
        day(2025, 4, 10),
        "paid",
        None,
        Some(50_000),
        Some(50_000),
    );
    insert_claim(
        conn,
        "K2",
        p3,
        day(2025, 5, 5),
        "accepted",
        Some(40_000),
        Some(30_000),
        Some(10_000),
    );
    insert_claim(
        conn,
        "K3",
        p2,
        day(2025, 2, 2),
        "open",
        Some(8_000),
        None,
        None,
    );
    insert_claim(
        conn,
        "K4",
        p1,
        day(2024, 12, 20),
        "paid",
        None,
        None,
        Some(99_900),
    );
    insert_claim(
        conn,
        "K5",
        p4,
        day(2025, 7, 7),
        "rejected",
        Some(5_000),
        None,
        None,
    );
    let r1 = insert_receipt(conn, "R1", p1, day(2025, 3, 1), 131_400, "cobrado");
    insert_receipt(conn, "R2", p2, day(2025, 1, 10), 43_800, "devuelto");
    insert_receipt(conn, "R3", p3, day(2025, 2, 1), 87_600, "pendiente");
    insert_receipt(conn, "R4", p3, day(2025, 8, 1), 87_600, "anulado");
    let r5 = insert_receipt(conn, "R5", p4, day(2025, 5, 1), 21_900, "cobrado");
    let r6 = insert_receipt(conn, "R6", p4, day(2024, 12, 1), 99_999, "cobrado");
    insert_commission(conn, r1, day(2025, 3, 2), 10_950, 2_190);
    insert_commission(conn, r5, day(2025, 5, 2), 1_825, 365);
    insert_commission(conn, r6, day(2024, 12, 2), 9_999, 0);
    Book {
        agent_a,
        agent_b,
        carrier_x: x.1,
        carrier_y: y.1,
        line_1: x.2,
        carrier_x_name,
        carrier_y_name,
        p1,
    }
}

fn values<V: Copy>(groups: &[analytics::Group<V>], id: i64) -> V {
    groups
        .iter()
        .find(|g| g.id == Some(id))
        .unwrap_or_else(|| panic!("no group {id}"))
        .values
}

#[test]
fn portfolio_counts_the_policies_in_force_at_a_date_with_their_annual_premium() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let all = PortfolioScope::All;
    let end = analytics::portfolio::at(&mut conn, all, day(2025, 12, 31)).unwrap();
    // P1 (renewed, 1.314 €) and P4 (219 €); P2 ended, P3 cancelled in August.
    assert_eq!(end.total.policies, 2);
    assert_eq!(end.total.premium_cents, 153_300);
    assert_eq!(
        values(&end.by_carrier, book.carrier_x).premium_cents,
        131_400
    );
    assert_eq!(values(&end.by_carrier, book.carrier_y).policies, 1);
    assert_eq!(values(&end.by_agent, book.agent_a).policies, 2);
    assert!(end.by_agent.iter().all(|g| g.id != Some(book.agent_b)));
    let july = analytics::portfolio::at(&mut conn, all, day(2025, 7, 1)).unwrap();
    assert_eq!(july.total.policies, 3);
    assert_eq!(july.total.premium_cents, 131_400 + 175_200 + 21_900);
    assert_eq!(values(&july.by_line, book.line_1).policies, 2);
    assert_eq!(values(&july.by_line, book.line_1).premium_cents, 306_600);
    // The first period of P1 only, on its first day.
    let before = analytics::portfolio::total_at(&mut conn, all, day(2024, 3, 1)).unwrap();
    assert_eq!((before.policies, before.premium_cents), (1, 87_600));
}

#[test]
fn production_counts_the_first_periods_that_start_in_the_period_by_month() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let sales = analytics::production::over(&mut conn, PortfolioScope::All, year_2025()).unwrap();
    // P3 (February) and P4 (May); P1's renewal in March is not new business.
    assert_eq!(sales.total.policies, 2);
    assert_eq!(sales.total.premium_cents, 175_200 + 21_900);
    assert_eq!(sales.by_month.len(), 12);
    let month = |m: u32| sales.by_month[m as usize - 1].1;
    assert_eq!((month(2).policies, month(2).premium_cents), (1, 175_200));
    assert_eq!(month(3).policies, 0);
    assert_eq!((month(5).policies, month(5).premium_cents), (1, 21_900));
    assert_eq!(
        values(&sales.by_carrier, book.carrier_x).premium_cents,
        175_200
    );
    assert_eq!(values(&sales.by_agent, book.agent_b).policies, 1);
    assert_eq!(sales.by_source.len(), 1);
    assert_eq!(sales.by_source[0].label, "Sin lead");
    assert_eq!(sales.by_source[0].values.policies, 2);
    let last_year = analytics::production::total_over(
        &mut conn,
        PortfolioScope::All,
        year_2025().year_before(),
    )
    .unwrap();
    // P1 (March 2024) and P2 (June 2024).
    assert_eq!(
        (last_year.policies, last_year.premium_cents),
        (2, 87_600 + 43_800)
    );
}

#[test]
fn retention_divides_renewed_by_due_and_lists_cancellations_by_reason() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let retention =
        analytics::retention::over(&mut conn, PortfolioScope::All, year_2025()).unwrap();
    // Due in 2025: P1's first period (renewed, 876 € → 1.314 €) and P2 (438 €, lost).
    let total = retention.total;
    assert_eq!((total.due, total.renewed), (2, 1));
    assert_eq!(total.due_premium_cents, 87_600 + 43_800);
    assert_eq!(total.renewed_premium_cents, 131_400);
    assert_eq!(total.policy_retention_bp(), Some(5_000));
    assert_eq!(total.premium_retention_bp(), Some(10_000));
    let x = values(&retention.by_carrier, book.carrier_x);
    assert_eq!(
        (x.due, x.renewed, x.premium_retention_bp()),
        (1, 1, Some(15_000))
    );
    let y = values(&retention.by_carrier, book.carrier_y);
    assert_eq!((y.due, y.renewed, y.policy_retention_bp()), (1, 0, Some(0)));
    assert_eq!(retention.cancellations.policies, 1);
    assert_eq!(retention.cancellations_by_reason.len(), 1);
    assert_eq!(retention.cancellations_by_reason[0].label, "Impago");
    assert_eq!(
        retention.cancellations_by_reason[0].values.premium_cents,
        175_200
    );
}

#[test]
fn loss_ratio_adds_reserves_to_paid_and_divides_by_earned_premium() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let losses = analytics::loss_ratio::over(&mut conn, PortfolioScope::All, year_2025()).unwrap();
    // Earned (net, days in 2025 / 365): P1 200 × 59 + 300 × 306, P2 100 × 151,
    // P3 400 × 181 (to its cancellation), P4 50 × 245.
    let total = losses.total;
    assert_eq!(
        total.earned_cents,
        11_800 + 91_800 + 15_100 + 72_400 + 12_250
    );
    // K1 paid 500 €; K2 paid 100 € with 200 € reserved; K3 open: 80 € claimed reserved;
    // K5 rejected: nothing; K4 happened in 2024.
    assert_eq!(total.claims, 4);
    assert_eq!(total.paid_cents, 60_000);
    assert_eq!(total.reserve_cents, 28_000);
    // 880 / 2.033,50 = 43,275... %
    assert_eq!(total.ratio_bp(), Some(4_328));
    let x = values(&losses.by_carrier, book.carrier_x);
    assert_eq!(
        (x.claims, x.earned_cents, x.incurred_cents(), x.ratio_bp()),
        (2, 176_000, 80_000, Some(4_545))
    );
    let y = values(&losses.by_carrier, book.carrier_y);
    assert_eq!(
        (y.earned_cents, y.paid_cents, y.reserve_cents, y.ratio_bp()),
        (27_350, 0, 8_000, Some(2_925))
    );
}

#[test]
fn receipts_report_splits_collection_and_computes_the_rate() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    prepare(&mut conn);
    let today = day(2026, 1, 15);
    let all =
        analytics::receipts::over(&mut conn, PortfolioScope::All, year_2025(), today).unwrap();
    assert_eq!(
        (all.collected.receipts, all.collected.amount_cents),
        (2, 153_300)
    );
    assert_eq!(
        (all.overdue.receipts, all.overdue.amount_cents),
        (1, 87_600)
    );
    assert_eq!(all.pending.receipts, 0);
    assert_eq!(
        (all.returned.receipts, all.returned.amount_cents),
        (1, 43_800)
    );
    assert_eq!(all.cancelled.amount_cents, 87_600);
    assert_eq!(all.issued().amount_cents, 284_700);
    // 1.533 / 2.847 = 53,846... %
    assert_eq!(all.rate_bp(), Some(5_385));
    assert_eq!(all.returned_by_reason.len(), 1);
    assert_eq!(all.returned_by_reason[0].label, "Cuenta sin fondos");
    // The overdue receipt was not yet overdue on its due date.
    let then =
        analytics::receipts::over(&mut conn, PortfolioScope::All, year_2025(), day(2025, 1, 5))
            .unwrap();
    assert_eq!(then.overdue.receipts, 0);
    assert_eq!(then.pending.amount_cents, 87_600);
}

#[test]
fn commissions_are_counted_by_booking_month_and_policies_per_customer_at_a_date() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let earned = analytics::commissions::over(&mut conn, PortfolioScope::All, year_2025()).unwrap();
    assert_eq!(earned.total.lines, 2);
    assert_eq!(earned.total.commission_cents, 12_775);
    assert_eq!(earned.total.agent_cents, 2_555);
    assert_eq!(earned.by_month[2].1.commission_cents, 10_950);
    assert_eq!(earned.by_month[4].1.commission_cents, 1_825);
    assert_eq!(
        values(&earned.by_carrier, book.carrier_x).commission_cents,
        10_950
    );
    assert_eq!(values(&earned.by_agent, book.agent_a).lines, 2);

    let july =
        analytics::cross_selling::at(&mut conn, PortfolioScope::All, day(2025, 7, 1)).unwrap();
    // Uno holds P1 and P4, Tres holds P3.
    assert_eq!((july.customers, july.policies), (2, 3));
    assert_eq!(july.by_count[0], (1, 1, 1));
    assert_eq!(july.by_count[1], (2, 1, 2));
    assert_eq!(july.per_customer_hundredths(), Some(150));
    let own = analytics::cross_selling::at(
        &mut conn,
        PortfolioScope::OwnedBy(book.agent_b),
        day(2025, 7, 1),
    )
    .unwrap();
    assert_eq!((own.customers, own.policies), (1, 1));
}

#[test]
fn an_agent_counts_only_the_customers_they_own() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let a = PortfolioScope::OwnedBy(book.agent_a);
    let b = PortfolioScope::OwnedBy(book.agent_b);
    let july = day(2025, 7, 1);
    let a_book = analytics::portfolio::at(&mut conn, a, july).unwrap();
    assert_eq!(
        (a_book.total.policies, a_book.total.premium_cents),
        (2, 153_300)
    );
    let b_book = analytics::portfolio::at(&mut conn, b, july).unwrap();
    assert_eq!(
        (b_book.total.policies, b_book.total.premium_cents),
        (1, 175_200)
    );
    let a_sales = analytics::production::total_over(&mut conn, a, year_2025()).unwrap();
    assert_eq!((a_sales.policies, a_sales.premium_cents), (1, 21_900));
    let b_retention = analytics::retention::over(&mut conn, b, year_2025()).unwrap();
    assert_eq!(b_retention.total.due, 0);
    assert_eq!(b_retention.cancellations.policies, 1);
    let a_losses = analytics::loss_ratio::total_over(&mut conn, a, year_2025()).unwrap();
    assert_eq!(a_losses.claims, 3);
    assert_eq!(a_losses.earned_cents, 11_800 + 91_800 + 15_100 + 12_250);
    let a_receipts =
        analytics::receipts::over(&mut conn, a, year_2025(), day(2026, 1, 15)).unwrap();
    assert_eq!(a_receipts.collected.amount_cents, 153_300);
    assert_eq!(a_receipts.overdue.receipts, 0);
    assert_eq!(a_receipts.rate_bp(), Some(7_778));

    // An agent without customers: every report answers, with zeros.
    let nobody = PortfolioScope::OwnedBy(book.agent_b + 1_000);
    let year = year_2025();
    let empty = analytics::loss_ratio::over(&mut conn, nobody, year).unwrap();
    assert_eq!((empty.total.claims, empty.total.ratio_bp()), (0, None));
    assert_eq!(
        analytics::portfolio::at(&mut conn, nobody, year.to)
            .unwrap()
            .total
            .policies,
        0
    );
    assert_eq!(
        analytics::production::over(&mut conn, nobody, year)
            .unwrap()
            .total
            .policies,
        0
    );
    assert_eq!(
        analytics::retention::over(&mut conn, nobody, year)
            .unwrap()
            .total
            .due,
        0
    );
    let collection = analytics::receipts::over(&mut conn, nobody, year, year.to).unwrap();
    assert_eq!(collection.rate_bp(), None);
    assert_eq!(
        analytics::commissions::over(&mut conn, nobody, year)
            .unwrap()
            .total
            .lines,
        0
    );
    assert_eq!(
        analytics::cross_selling::at(&mut conn, nobody, year.to)
            .unwrap()
            .customers,
        0
    );
}

const YEAR_QUERY: &str = "desde=2025-01-01&hasta=2025-12-31";

async fn page(app: &TestApp, path: &str) -> String {
    let response = app.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    // Links as a browser reads them (Askama writes `&` as `&#38;`).
    response
        .text()
        .await
        .unwrap()
        .replace("&#38;", "&")
        .replace("&amp;", "&")
}

#[actix_web::test]
async fn the_reports_show_each_figure_with_its_chart_table_and_link() {
    let mut book = None;
    let app = TestApp::spawn_with(|conn| book = Some(prepare(conn))).await;
    let book = book.unwrap();
    app.sign_in(ADMIN, PASSWORD).await;

    let index = page(&app, "/admin/analitica").await;
    for report in [
        "cartera",
        "produccion",
        "retencion",
        "siniestralidad",
        "recibos",
        "comisiones",
        "venta-cruzada",
    ] {
        assert!(
            index.contains(&format!("/admin/analitica/{report}")),
            "{report}"
        );
    }
    assert!(
        index.contains("href=\"/admin/analitica\""),
        "the menu links the section"
    );

    let portfolio = page(&app, &format!("/admin/analitica/cartera?{YEAR_QUERY}")).await;
    assert!(
        portfolio.contains("Pólizas en vigor en la fecha"),
        "the definition"
    );
    assert!(
        portfolio.contains("1.533,00 €"),
        "annualised premium at 31/12/2025"
    );
    assert!(portfolio.contains("1.314,00 €"), "carrier X");
    assert!(portfolio.contains(&book.carrier_x_name));
    assert!(portfolio.contains("<svg class=\"chart\""), "a chart");
    assert!(portfolio.contains("role=\"img\""));
    assert!(portfolio.contains(&format!(
        "/admin/polizas?compania={}&estado=active",
        book.carrier_x
    )));
    // Compared with the start of the period (P1's first period, P2) and a year before.
    assert!(portfolio.contains("Al empezar el periodo (31/12/2024)"));
    assert!(portfolio.contains("Un año antes (31/12/2024)"));

    let production = page(&app, &format!("/admin/analitica/produccion?{YEAR_QUERY}")).await;
    assert!(production.contains("1.971,00 €"), "new business premium");
    assert!(production.contains("febrero de 2025"));
    assert!(production.contains("Mismo periodo del año anterior (01/01/2024 a 31/12/2024)"));

    let retention = page(&app, &format!("/admin/analitica/retencion?{YEAR_QUERY}")).await;
    assert!(retention.contains("50,00 %"), "policy retention");
    assert!(retention.contains("100,00 %"), "premium retention");
    assert!(retention.contains("Impago"));

    let losses = page(
        &app,
        &format!("/admin/analitica/siniestralidad?{YEAR_QUERY}"),
    )
    .await;
    assert!(losses.contains("43,28 %"), "loss ratio");
    assert!(losses.contains("2.033,50 €"), "earned premium");
    assert!(losses.contains("45,45 %"), "carrier X");
    assert!(losses.contains(&book.carrier_y_name));

    let collection = page(&app, &format!("/admin/analitica/recibos?{YEAR_QUERY}")).await;
    assert!(collection.contains("53,85 %"), "collection rate");
    assert!(collection.contains("Cuenta sin fondos"));
    assert!(collection.contains("/admin/recibos?estado=cobrado&desde=2025-01-01&hasta=2025-12-31"));

    let earned = page(&app, &format!("/admin/analitica/comisiones?{YEAR_QUERY}")).await;
    assert!(earned.contains("127,75 €"), "commission earned");
    assert!(earned.contains("/admin/comisiones?mes=2025-03"));

    let cross = page(
        &app,
        "/admin/analitica/venta-cruzada?desde=2025-01-01&hasta=2025-07-01",
    )
    .await;
    assert!(cross.contains("1,50"), "policies per customer");
    assert!(cross.contains("2 pólizas"));

    // A bad period is said, with the default period's figures.
    let response = app
        .get("/admin/analitica/cartera?desde=2025-12-31&hasta=2025-01-01")
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = response.text().await.unwrap();
    assert!(body.contains("La fecha final no puede ser anterior a la inicial."));

    // htmx asks for the content only.
    let partial = app
        .get_htmx(&format!("/admin/analitica/cartera?{YEAR_QUERY}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(partial.contains("1.533,00 €") && !partial.contains("<html"));
    let _ = book.p1;
    app.stop().await;
}

#[actix_web::test]
async fn an_agent_sees_the_figures_of_their_own_book_only() {
    let app = TestApp::spawn_with(|conn| {
        prepare(conn);
    })
    .await;
    app.sign_in(AGENT_B, PASSWORD).await;
    let july = page(
        &app,
        "/admin/analitica/cartera?desde=2025-01-01&hasta=2025-07-01",
    )
    .await;
    assert!(july.contains("1.752,00 €"), "P3, Bruno's");
    assert!(!july.contains("1.314,00 €"), "not P1, Ana's");
    assert!(july.contains("Cifras de su cartera"));
    let retention = page(&app, &format!("/admin/analitica/retencion?{YEAR_QUERY}")).await;
    assert!(retention.contains("Impago"));
    assert!(!retention.contains("438,00 €"), "not P2's premium");
    app.stop().await;
}

#[actix_web::test]
async fn claims_handlers_are_refused_and_visitors_sign_in_first() {
    let app = TestApp::spawn_with(|conn| {
        prepare(conn);
    })
    .await;
    let anonymous = app.get("/admin/analitica/cartera").await;
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    let location = anonymous.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.starts_with("/admin/entrar"), "{location}");
    app.sign_in(CLAIMS, PASSWORD).await;
    for path in [
        "/admin/analitica",
        "/admin/analitica/cartera",
        "/admin/analitica/recibos/exportar?formato=csv",
    ] {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    app.stop().await;
}

#[actix_web::test]
async fn a_report_exports_its_figures_as_csv_and_excel() {
    let mut book = None;
    let app = TestApp::spawn_with(|conn| book = Some(prepare(conn))).await;
    let book = book.unwrap();
    app.sign_in(ADMIN, PASSWORD).await;
    let response = app
        .get(&format!(
            "/admin/analitica/retencion/exportar?{YEAR_QUERY}&formato=csv"
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        disposition.contains("analitica-retencion-"),
        "{disposition}"
    );
    let csv = response.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "Desglose;Grupo;Vencimientos;Renovadas;Retención de pólizas;Prima que vencía;Prima renovada;Retención de prima;Anuladas;Prima anulada"
    );
    assert_eq!(lines[1], "Periodo;01/01/2025 a 31/12/2025;;;;;;;;");
    assert!(
        lines.contains(
            &format!(
                "Por compañía;{};1;1;100,00 %;876,00;1314,00;150,00 %;;",
                book.carrier_x_name
            )
            .as_str()
        ),
        "{csv}"
    );
    assert!(
        lines.contains(
            &format!(
                "Por compañía;{};1;0;0,00 %;438,00;0,00;0,00 %;;",
                book.carrier_y_name
            )
            .as_str()
        ),
        "{csv}"
    );
    assert!(lines.contains(&"Por compañía;Total;2;1;50,00 %;1314,00;1314,00;100,00 %;;"));
    assert!(lines.contains(&"Anulaciones por motivo;Impago;;;;;;;1;1752,00"));

    let xlsx = app
        .get(&format!(
            "/admin/analitica/siniestralidad/exportar?{YEAR_QUERY}&formato=xlsx"
        ))
        .await;
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
    // The loss ratio is a number in the workbook (formatted as a percentage), the same figure
    // the CSV file writes as text.
    let csv = app
        .get(&format!(
            "/admin/analitica/siniestralidad/exportar?{YEAR_QUERY}&formato=csv"
        ))
        .await
        .text()
        .await
        .unwrap();
    let total = csv
        .lines()
        .find(|line| line.starts_with("Por compañía;Total;"))
        .expect("the carriers' total in the CSV file");
    let percent = total.rsplit(';').next().unwrap();
    let bp: i64 = percent
        .trim_end_matches(" %")
        .replace(',', "")
        .parse()
        .unwrap_or_else(|_| panic!("a percentage: {percent}"));
    use calamine::Reader;
    let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let name = book.sheet_names()[0].clone();
    let sheet = book.worksheet_range(&name).unwrap();
    let row = sheet
        .rows()
        .find(|row| {
            row.first().map(|c| c.to_string()).as_deref() == Some("Por compañía")
                && row.get(1).map(|c| c.to_string()).as_deref() == Some("Total")
        })
        .expect("the carriers' total in the workbook");
    match row.last() {
        Some(calamine::Data::Float(ratio)) => {
            assert!(
                (ratio - bp as f64 / 10_000.0).abs() < 1e-9,
                "{ratio} vs {percent}"
            )
        }
        other => panic!("the loss ratio is a number in the workbook, not {other:?}"),
    }
    app.stop().await;
}

/// Every report's figures over `period` (and the book at its ends), for comparing two ways
/// of computing them.
fn figures(conn: &mut PgConnection, period: Period) -> String {
    let all = PortfolioScope::All;
    let today = day(2026, 1, 15);
    format!(
        "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{:?}",
        analytics::cross_selling::at(conn, all, period.to).unwrap(),
        analytics::cross_selling::at(conn, all, period.from).unwrap(),
        analytics::portfolio::at(conn, all, period.to).unwrap(),
        analytics::portfolio::at(conn, all, period.from).unwrap(),
        analytics::production::over(conn, all, period).unwrap(),
        analytics::retention::over(conn, all, period).unwrap(),
        analytics::loss_ratio::over(conn, all, period).unwrap(),
        analytics::receipts::over(conn, all, period, today).unwrap(),
        analytics::commissions::over(conn, all, period).unwrap(),
    )
}

fn summarised_months(conn: &mut PgConnection) -> i64 {
    diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM analytics_months_done")
        .get_result(conn)
        .unwrap()
}

fn dirty_months(conn: &mut PgConnection) -> i64 {
    diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM analytics_dirty")
        .get_result(conn)
        .unwrap()
}

fn dirty_customers(conn: &mut PgConnection) -> i64 {
    diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM analytics_holdings_dirty")
        .get_result(conn)
        .unwrap()
}

#[test]
fn the_monthly_summary_gives_the_same_figures_and_a_change_counts_at_once() {
    let db = TestDatabase::new();
    let mut conn = db.conn();
    let book = prepare(&mut conn);
    let periods = [
        year_2025(),
        // Ends in the middle of months: the days at either end come from the tables.
        Period::new(day(2025, 2, 15), day(2025, 11, 20)),
        // Starts in the month of P1's cancellation below, before it: that month is read day
        // by day (running sums weigh a fact by whether it falls before the first day).
        Period::new(day(2025, 10, 5), day(2025, 12, 20)),
    ];
    let from_tables: Vec<String> = periods.iter().map(|p| figures(&mut conn, *p)).collect();

    let done = analytics::summary::refresh(&mut conn, std::time::Duration::from_secs(120)).unwrap();
    assert_eq!(done.left, 0);
    assert!(done.customers > 0, "the spans of policies held: {done:?}");
    assert!(
        done.months >= 12,
        "every month since the first period: {done:?}"
    );
    assert_eq!(summarised_months(&mut conn), done.months as i64);
    let with_summary: Vec<String> = periods.iter().map(|p| figures(&mut conn, *p)).collect();
    assert_eq!(with_summary, from_tables);

    // P1 is cancelled on 10 October 2025: the summarised months it touches are marked dirty
    // and read from the tables again at once.
    diesel::update(policies::table.find(book.p1))
        .set((
            policies::status.eq("cancelled"),
            policies::status_changed_on.eq(Some(day(2025, 10, 10))),
            policies::status_reason.eq(Some("Venta del vehículo")),
        ))
        .execute(&mut conn)
        .unwrap();
    assert!(dirty_months(&mut conn) > 0);
    assert!(dirty_customers(&mut conn) > 0);
    let year_end =
        analytics::portfolio::at(&mut conn, PortfolioScope::All, day(2025, 12, 31)).unwrap();
    assert_eq!(year_end.total.policies, 1, "P4 only");
    let changed: Vec<String> = periods.iter().map(|p| figures(&mut conn, *p)).collect();
    assert_ne!(changed, from_tables);

    // Summarised again, and from the tables alone: the same figures.
    analytics::summary::refresh(&mut conn, std::time::Duration::from_secs(120)).unwrap();
    assert_eq!(dirty_months(&mut conn), 0);
    assert_eq!(dirty_customers(&mut conn), 0);
    let refreshed: Vec<String> = periods.iter().map(|p| figures(&mut conn, *p)).collect();
    assert_eq!(refreshed, changed);
    diesel::sql_query("DELETE FROM analytics_months_done")
        .execute(&mut conn)
        .unwrap();
    diesel::sql_query("DELETE FROM analytics_holdings_built")
        .execute(&mut conn)
        .unwrap();
    let tables_only: Vec<String> = periods.iter().map(|p| figures(&mut conn, *p)).collect();
    assert_eq!(tables_only, changed);
}
