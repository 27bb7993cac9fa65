//! Figures of the staff's taxi panel: requests of today, quotes by status, conversion and
//! average premiums by carrier and by zone, plus the latest taxi quotes. Aggregates run on
//! the taxi quotes only (`quotes_source_idx`), a few hundred rows a month.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz};

use crate::listing::{Cursor, Page};

#[derive(Debug, Clone, QueryableByName)]
pub struct Count {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct Average {
    #[diesel(sql_type = Text)]
    pub key: String,
    #[diesel(sql_type = BigInt)]
    pub count: i64,
    #[diesel(sql_type = BigInt)]
    pub average_cents: i64,
}

#[derive(Debug, Clone, QueryableByName)]
pub struct RecentQuote {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub prospect_name: Option<String>,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub best_cents: Option<i64>,
}

pub struct Panel {
    pub today: i64,
    pub by_status: Vec<Count>,
    pub total: i64,
    pub accepted: i64,
    pub by_carrier: Vec<Average>,
    pub by_zone: Vec<Average>,
    /// The latest requests, newest first.
    pub recent: Page<RecentQuote>,
}

/// Requests a page of the panel lists (the figures above them take the first screen).
pub const PAGE: i64 = 20;

pub fn panel(
    conn: &mut PgConnection,
    today: NaiveDate,
    cursor: Option<Cursor>,
) -> QueryResult<Panel> {
    let since = crate::time::day_start(today);
    let today_count: Count = diesel::sql_query(
        "SELECT 'today' AS key, count(*) AS count FROM quotes
         WHERE source = 'taxi' AND created_at >= $1",
    )
    .bind::<Timestamptz, _>(since)
    .get_result(conn)?;
    let by_status: Vec<Count> = diesel::sql_query(
        "SELECT status AS key, count(*) AS count FROM quotes WHERE source = 'taxi'
         GROUP BY status ORDER BY count(*) DESC, status",
    )
    .load(conn)?;
    let total = by_status.iter().map(|c| c.count).sum();
    let accepted = by_status
        .iter()
        .find(|c| c.key == "accepted")
        .map_or(0, |c| c.count);
    let by_carrier: Vec<Average> = diesel::sql_query(
        "SELECT c.name AS key, count(*) AS count,
                round(avg(o.total_premium_cents))::bigint AS average_cents
         FROM quote_options o
         JOIN quotes q ON q.id = o.quote_id
         JOIN carriers c ON c.id = o.carrier_id
         WHERE q.source = 'taxi'
         GROUP BY c.name ORDER BY c.name",
    )
    .load(conn)?;
    let by_zone: Vec<Average> = diesel::sql_query(
        "SELECT coalesce(q.risk->>'zone', '?') AS key, count(*) AS count,
                round(avg(o.total_premium_cents))::bigint AS average_cents
         FROM quote_options o
         JOIN quotes q ON q.id = o.quote_id
         WHERE q.source = 'taxi'
         GROUP BY 1 ORDER BY 1",
    )
    .load(conn)?;
    // The comparison and the order follow the cursor's direction (both are constants here).
    let (comparison, order) = match cursor {
        Some(Cursor::Before(_)) => (">", "ASC"),
        _ => ("<", "DESC"),
    };
    let recent: Vec<RecentQuote> = diesel::sql_query(format!(
        "SELECT q.id, q.number, q.prospect_name, q.status, q.created_at,
                (SELECT min(o.total_premium_cents) FROM quote_options o WHERE o.quote_id = q.id)
                    AS best_cents
         FROM quotes q
         WHERE q.source = 'taxi' AND ($1::bigint IS NULL OR q.id {comparison} $1)
         ORDER BY q.id {order} LIMIT $2"
    ))
    .bind::<Nullable<BigInt>, _>(cursor.map(Cursor::id))
    .bind::<BigInt, _>(PAGE + 1)
    .load(conn)?;
    let recent = Page::assemble(recent, cursor, PAGE, |q| q.id);
    Ok(Panel {
        today: today_count.count,
        by_status,
        total,
        accepted,
        by_carrier,
        by_zone,
        recent,
    })
}
