//! Every value a status column accepts (its CHECK constraint) is a value of the Rust enum that
//! reads it, and every value of the enum is accepted: no reader can meet a status it does not
//! know, and a status cannot be added on one side only.

use diesel::prelude::*;
use diesel::sql_types::Text;

use crate::common::TestApp;

#[derive(QueryableByName)]
struct Definition {
    #[diesel(sql_type = Text)]
    definition: String,
}

/// The values the CHECK constraint on `table.column` lists.
fn accepted(conn: &mut PgConnection, table: &str, column: &str) -> Vec<String> {
    let definitions: Vec<Definition> = diesel::sql_query(
        "SELECT pg_get_constraintdef(c.oid) AS definition
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
          WHERE t.relname = $1 AND c.contype = 'c'",
    )
    .bind::<Text, _>(table)
    .load(conn)
    .unwrap();
    // The list constraint reads `CHECK ((status = ANY (ARRAY['a'::text, ...])))`; other
    // constraints that merely mention the column (a paid receipt has a date) are not lists.
    let on_column =
        regex::Regex::new(&format!(r"\(\(?{column}\)?(::text)? = ANY \(ARRAY\[")).unwrap();
    let value = regex::Regex::new(r"'([^']*)'::text").unwrap();
    let found: Vec<String> = definitions
        .iter()
        .filter(|d| on_column.is_match(&d.definition))
        .flat_map(|d| {
            value
                .captures_iter(&d.definition)
                .map(|c| c[1].to_owned())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(!found.is_empty(), "a CHECK constraint on {table}.{column}");
    found
}

fn same(mut database: Vec<String>, rust: impl IntoIterator<Item = &'static str>, what: &str) {
    let mut rust: Vec<String> = rust.into_iter().map(str::to_owned).collect();
    database.sort();
    rust.sort();
    assert_eq!(database, rust, "{what}: the database and the enum disagree");
}

#[actix_web::test]
async fn every_status_the_database_accepts_is_one_the_code_knows() {
    let app = TestApp::spawn().await;
    let conn = &mut app.db.conn();
    use soriano::auth::staff::Role;
    use soriano::claims::ClaimStatus;
    use soriano::commissions::SettlementStatus;
    use soriano::leads::Stage;
    use soriano::quotes::QuoteStatus;

    same(
        accepted(conn, "staff_users", "role"),
        Role::ALL.map(Role::code),
        "staff_users.role",
    );
    same(
        accepted(conn, "policies", "status"),
        soriano::policies::rules::Status::ALL.map(|s| s.code()),
        "policies.status",
    );
    same(
        accepted(conn, "receipts", "status"),
        soriano::receipts::model::Status::ALL.map(|s| s.code()),
        "receipts.status",
    );
    same(
        accepted(conn, "claims", "status"),
        ClaimStatus::ALL.map(ClaimStatus::code),
        "claims.status",
    );
    same(
        accepted(conn, "quotes", "status"),
        QuoteStatus::ALL.map(QuoteStatus::code),
        "quotes.status",
    );
    same(
        accepted(conn, "leads", "stage"),
        Stage::ALL.map(Stage::code),
        "leads.stage",
    );
    same(
        accepted(conn, "carrier_settlements", "status"),
        SettlementStatus::ALL.map(SettlementStatus::code),
        "carrier_settlements.status",
    );
    same(
        accepted(conn, "outbound_emails", "status"),
        soriano::mail::outbox::Status::ALL.map(|s| s.as_str()),
        "outbound_emails.status",
    );
    app.stop().await;
}

#[actix_web::test]
async fn a_status_the_code_does_not_know_is_an_error_not_a_default() {
    use soriano::claims::ClaimStatus;
    use soriano::policies::Status;
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn();
    let read = |conn: &mut PgConnection, code: &str| -> QueryResult<Status> {
        diesel::select(code.into_sql::<Text>()).get_result(conn)
    };
    assert_eq!(read(&mut conn, "active").unwrap(), Status::Active);
    let unknown = read(&mut conn, "en_el_limbo").unwrap_err();
    assert!(unknown.to_string().contains("en_el_limbo"), "{unknown}");
    // Read by name too (raw SQL rows).
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        status: ClaimStatus,
    }
    let row: Row = diesel::sql_query("SELECT 'paid' AS status")
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(row.status, ClaimStatus::Paid);
    assert!(
        diesel::sql_query("SELECT 'lost' AS status")
            .get_result::<Row>(&mut conn)
            .is_err()
    );
    app.stop().await;
}
