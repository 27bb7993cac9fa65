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
    conn.transaction(|conn| counted_hit(conn, bucket, key, limit, window, now))
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
    let recent: i64 = rate_limit_hits::table
        .filter(rate_limit_hits::bucket.eq(bucket))
        .filter(rate_limit_hits::key.eq(key))
        .filter(rate_limit_hits::hit_at.gt(now - window))
        .count()
        .get_result(conn)?;
    if recent >= limit {
        return Ok(false);
    }
    diesel::insert_into(rate_limit_hits::table)
        .values((
            rate_limit_hits::bucket.eq(bucket),
            rate_limit_hits::key.eq(key),
            rate_limit_hits::hit_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Drops hits older than a day (run by the periodic jobs).
pub fn purge(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(
        rate_limit_hits::table.filter(rate_limit_hits::hit_at.lt(now - Duration::days(1))),
    )
    .execute(conn)
}
