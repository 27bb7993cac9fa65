//! The staff home page counts and lists what needs attention, within the viewer's portfolio.

use crate::common;

use common::{TestApp, create_staff};
use reqwest::StatusCode;
use soriano::auth::staff::Role;

const PASSWORD: &str = "una clave larga de prueba";

#[actix_web::test]
async fn the_home_page_shows_the_day_of_the_signed_in_agent() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "luis@soriano.es", Role::Agent, PASSWORD);
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("ana@soriano.es", PASSWORD).await;
    let response = app.get("/admin").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    assert!(body.contains("tareas abiertas, 1 vencidas"), "{body}");
    // Each task links to its record (here its client) and names the client.
    let customer: i64 = {
        use diesel::prelude::*;
        use soriano::db::schema::customers;
        customers::table
            .filter(customers::display_name.eq("Martín Gil, Lucía"))
            .select(customers::id)
            .first(&mut app.db.conn())
            .unwrap()
    };
    assert!(
        body.contains(&format!(
            "<a href=\"/admin/clientes/{customer}\">Llamar por la renovación</a> · Martín Gil, Lucía"
        )),
        "{body}"
    );
    assert!(body.contains("POL-0001") && body.contains("Martín Gil, Lucía"));
    assert!(body.contains("SIN-2026-000001") && body.contains("Abierto"));

    // Another agent's portfolio stays out of sight.
    let (luis, _) = app.sign_in_elsewhere("luis@soriano.es", PASSWORD).await;
    let body = luis
        .get(app.url("/admin"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("POL-0001") && !body.contains("SIN-2026-000001"));
    assert!(body.contains("No tiene tareas pendientes."));
    app.stop().await;
}

#[actix_web::test]
async fn a_supervisor_sees_the_whole_portfolio_on_the_home_page() {
    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Supervisor, PASSWORD);
        common::sample_portfolio(conn, ana);
    })
    .await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let body = app.get("/admin").await.text().await.unwrap();
    assert!(body.contains("POL-0001") && body.contains("SIN-2026-000001"));
    let partial = app.get_htmx("/admin").await.text().await.unwrap();
    assert!(!partial.contains("<html") && partial.contains("POL-0001"));
    app.stop().await;
}

/// The counts of the home page, read in one statement, each within the viewer's reach: an
/// agent's own expiring policies, open claims and new leads; everyone's for an administrator;
/// no leads at all for a claims handler, whose queue is the claims nobody has taken.
#[actix_web::test]
async fn the_counts_of_the_home_page_follow_each_role() {
    use diesel::prelude::*;
    use soriano::db::schema::leads;

    let database = common::TestDatabase::new();
    let mut conn = database.conn();
    let ana = create_staff(&mut conn, "ana@soriano.es", Role::Agent, PASSWORD);
    let luis = create_staff(&mut conn, "luis@soriano.es", Role::Agent, PASSWORD);
    let admin = create_staff(&mut conn, "jefa@soriano.es", Role::Admin, PASSWORD);
    let handler = create_staff(&mut conn, "sini@soriano.es", Role::Claims, PASSWORD);
    common::sample_portfolio(&mut conn, ana);
    for (name, phone, agent, stage) in [
        ("Pedro Ruiz", "611000001", ana, "new"),
        ("Marta Gil", "611000002", ana, "contacted"),
        ("Juan Sanz", "611000003", luis, "new"),
    ] {
        diesel::insert_into(leads::table)
            .values((
                leads::full_name.eq(name),
                leads::phone.eq(phone),
                leads::source.eq("web_form"),
                leads::stage.eq(stage),
                leads::assigned_staff_id.eq(agent),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    let today = soriano::time::today();
    let of = |conn: &mut diesel::PgConnection, id: i64, role: Role| {
        soriano::overview::for_staff(conn, id, role, today).unwrap()
    };

    let mine = of(&mut conn, ana, Role::Agent);
    assert_eq!(mine.new_leads, Some(1));
    assert!(mine.expiring_policies >= 1 && mine.open_claims >= 1);
    assert_eq!(mine.expiring_policies, mine.expiring.len() as i64);
    assert_eq!(mine.open_claims, mine.claims.len() as i64);

    let theirs = of(&mut conn, luis, Role::Agent);
    assert_eq!(
        (
            theirs.new_leads,
            theirs.expiring_policies,
            theirs.open_claims
        ),
        (Some(1), 0, 0)
    );

    let all = of(&mut conn, admin, Role::Admin);
    assert_eq!(all.new_leads, Some(2));
    assert_eq!(
        (all.expiring_policies, all.open_claims),
        (mine.expiring_policies, mine.open_claims)
    );

    let queue = of(&mut conn, handler, Role::Claims);
    assert_eq!(queue.new_leads, None);
    assert_eq!(
        queue.open_claims, mine.open_claims,
        "nobody has taken them yet"
    );

    // The counts are kept as the records change: the customer handed to another agent takes
    // the expiring policy and the open claim along.
    use soriano::db::schema::{claims, customers, policies};
    diesel::update(customers::table.filter(customers::owner_staff_id.eq(ana)))
        .set(customers::owner_staff_id.eq(luis))
        .execute(&mut conn)
        .unwrap();
    let mine = of(&mut conn, ana, Role::Agent);
    assert_eq!((mine.expiring_policies, mine.open_claims), (0, 0));
    let theirs = of(&mut conn, luis, Role::Agent);
    assert_eq!((theirs.expiring_policies, theirs.open_claims), (1, 1));
    assert_eq!(theirs.expiring.len(), 1);

    // Another handler takes the claim: out of this handler's queue; closed: out of every count.
    let other = create_staff(&mut conn, "sini2@soriano.es", Role::Claims, PASSWORD);
    diesel::update(claims::table)
        .set(claims::handler_staff_id.eq(other))
        .execute(&mut conn)
        .unwrap();
    assert_eq!(of(&mut conn, handler, Role::Claims).open_claims, 0);
    assert_eq!(of(&mut conn, other, Role::Claims).open_claims, 1);
    diesel::update(claims::table)
        .set(claims::status.eq("closed"))
        .execute(&mut conn)
        .unwrap();
    let all = of(&mut conn, admin, Role::Admin);
    assert_eq!((all.open_claims, all.claims.len()), (0, 0));

    // A policy no longer in force does not expire.
    diesel::update(policies::table)
        .set(policies::status.eq("cancelled"))
        .execute(&mut conn)
        .unwrap();
    let all = of(&mut conn, admin, Role::Admin);
    assert_eq!((all.expiring_policies, all.expiring.len()), (0, 0));
}

/// New leads are counted up to a thousand (counting every one of a backlog on each visit to
/// the home page would grow with it): beyond that the page says so rather than a number.
#[actix_web::test]
async fn a_backlog_of_new_leads_reads_as_more_than_a_thousand() {
    use diesel::prelude::*;

    let app = TestApp::spawn_with(|conn| {
        let ana = create_staff(conn, "ana@soriano.es", Role::Agent, PASSWORD);
        create_staff(conn, "jefa@soriano.es", Role::Admin, PASSWORD);
        diesel::sql_query(
            "INSERT INTO leads (full_name, phone, source, stage, assigned_staff_id)
             SELECT 'Lead ' || n, '6' || lpad(n::text, 8, '0'), 'web_form', 'new', $1
               FROM generate_series(1, 1001) AS n",
        )
        .bind::<diesel::sql_types::BigInt, _>(ana)
        .execute(conn)
        .unwrap();
    })
    .await;
    app.sign_in("jefa@soriano.es", PASSWORD).await;
    let body = app.get("/admin").await.text().await.unwrap();
    assert!(
        body.contains(
            r#"<span class="stat-value">más de 1.000</span> <span class="stat-label">Leads nuevos"#
        ),
        "{body}"
    );

    // One fewer: counted exactly, with its thousands separator.
    diesel::sql_query("DELETE FROM leads WHERE id = (SELECT min(id) FROM leads)")
        .execute(&mut app.db.conn())
        .unwrap();
    let body = app.get("/admin").await.text().await.unwrap();
    assert!(
        body.contains(
            r#"<span class="stat-value">1.000</span> <span class="stat-label">Leads nuevos"#
        ),
        "{body}"
    );
    app.stop().await;
}
