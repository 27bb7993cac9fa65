//! Fixed-window counters in PostgreSQL, for limits shared by every app instance (password
//! reset requests now; public forms later). Sign-in has its own, richer throttle.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::rate_limit_hits;

/// Counts a hit for `key` in `bucket` and says whether it is within `limit` hits per
/// `window`. Hits over the limit are not stored, so a blocked client cannot extend its block.
pub fn hit(
    conn: &mut PgConnection,
    bucket: &str,
    key: &str,
    limit: i64,
    window: Duration,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
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
