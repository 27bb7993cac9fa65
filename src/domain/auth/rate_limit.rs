//! Fixed-window counters in PostgreSQL, for limits shared by every app instance (password
//! reset requests now; public forms later). Sign-in has its own, richer throttle.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::rate_limit_hits;

/// Advisory lock class of the counters (two-key form; the sign-in throttle uses 1, 2 and 4).
const COUNTER_LOCK: i32 = 3;

/// Counts a hit for `key` in `bucket` and says whether it is within `limit` hits per
/// `window`. Hits over the limit are not stored, so a blocked client cannot extend its block.
/// Counting and adding are one step under a lock of the counter, held to the end of the
/// caller's transaction: parallel requests cannot all read the same count and all pass.
pub fn hit(
    conn: &mut PgConnection,
    bucket: &str,
    key: &str,
    limit: i64,
    window: Duration,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    // Inside the caller's transaction the lock already lasts to its end; a savepoint would
    // only add two round trips (a landing form's hit is inside the lead's transaction).
    let in_transaction = AnsiTransactionManager::transaction_manager_status_mut(conn)
        .transaction_depth()
        .is_ok_and(|depth| depth.is_some());
    if in_transaction {
        counted_hit(conn, bucket, key, limit, window, now)
    } else {
        conn.transaction(|conn| counted_hit(conn, bucket, key, limit, window, now))
    }
}

#[derive(QueryableByName)]
struct Allowed {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    allowed: bool,
}

fn counted_hit(
    conn: &mut PgConnection,
    bucket: &str,
    key: &str,
    limit: i64,
    window: Duration,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind::<diesel::sql_types::Integer, _>(COUNTER_LOCK)
        .bind::<diesel::sql_types::Text, _>(format!("{bucket}\n{key}"))
        .execute(conn)?;
    // Counted and added in one statement, read after the lock is held (its snapshot then
    // sees every hit of whoever held it before).
    let Allowed { allowed } = diesel::sql_query(
        "WITH recent AS (SELECT count(*) AS n FROM rate_limit_hits \
                         WHERE bucket = $1 AND key = $2 AND hit_at > $3), \
              added AS (INSERT INTO rate_limit_hits (bucket, key, hit_at) \
                        SELECT $1, $2, $4 FROM recent WHERE n < $5 RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM added) AS allowed",
    )
    .bind::<diesel::sql_types::Text, _>(bucket)
    .bind::<diesel::sql_types::Text, _>(key)
    .bind::<diesel::sql_types::Timestamptz, _>(now - window)
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .get_result(conn)?;
    Ok(allowed)
}

/// Drops hits older than a day (run by the periodic jobs).
pub fn purge(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        rate_limit_hits::table.filter(rate_limit_hits::hit_at.lt(now - Duration::days(1))),
    )
    .execute(conn)
}
