//! Landing visits counted in memory and written in batches.
//!
//! Every view of a landing adds one to its variant's counter of the day. Writing that to
//! PostgreSQL on each view made every visitor of a landing queue on the same row lock (one row
//! per variant and day): under a campaign's traffic the page waited on its own statistics.
//! Views are now tallied in the process and added to the rows every few seconds, one upsert
//! per variant and day. A crash loses at most that interval of visit counts; conversions are
//! still recorded in the lead's own transaction (and folded into the counters here too).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::Db;
use crate::db::schema::landing_daily_stats;

/// How often the tally is written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(3);

#[derive(Debug, Default)]
pub struct VisitTally {
    pending: Mutex<HashMap<(i64, NaiveDate), i64>>,
}

impl VisitTally {
    /// Counts one view of `variant_id` on `day`.
    pub fn add(&self, variant_id: i64, day: NaiveDate) {
        if let Ok(mut pending) = self.pending.lock() {
            *pending.entry((variant_id, day)).or_insert(0) += 1;
        }
    }

    fn take(&self) -> HashMap<(i64, NaiveDate), i64> {
        self.pending
            .lock()
            .map(|mut pending| std::mem::take(&mut *pending))
            .unwrap_or_default()
    }

    fn put_back(&self, counts: HashMap<(i64, NaiveDate), i64>) {
        if let Ok(mut pending) = self.pending.lock() {
            for (key, visits) in counts {
                *pending.entry(key).or_insert(0) += visits;
            }
        }
    }

    /// Adds the tallied views to the daily counters in one transaction; on failure they stay
    /// in the tally for the next attempt. Returns how many counters were written.
    pub fn flush(&self, conn: &mut PgConnection) -> QueryResult<usize> {
        super::fold_conversions(conn)?;
        let counts = self.take();
        if counts.is_empty() {
            return Ok(0);
        }
        let written = conn.transaction(|conn| {
            // In key order, so two instances flushing at once lock the rows in the same order.
            let mut keys: Vec<_> = counts.iter().collect();
            keys.sort();
            for ((variant_id, day), visits) in &keys {
                diesel::insert_into(landing_daily_stats::table)
                    .values((
                        landing_daily_stats::landing_variant_id.eq(variant_id),
                        landing_daily_stats::day.eq(day),
                        landing_daily_stats::visits.eq(*visits),
                        landing_daily_stats::conversions.eq(0_i64),
                    ))
                    .on_conflict((
                        landing_daily_stats::landing_variant_id,
                        landing_daily_stats::day,
                    ))
                    .do_update()
                    .set(landing_daily_stats::visits.eq(landing_daily_stats::visits + *visits))
                    .execute(conn)?;
            }
            Ok(keys.len())
        });
        if written.is_err() {
            self.put_back(counts);
        }
        written
    }
}

/// Writes the tally every [`FLUSH_EVERY`] until `stop` resolves, then once more.
pub async fn flush_forever(
    tally: std::sync::Arc<VisitTally>,
    db: Db,
    stop: impl std::future::Future<Output = ()>,
) {
    let flush = |tally: std::sync::Arc<VisitTally>, db: Db| async move {
        let result = db
            .run(move |conn| tally.flush(conn).map_err(crate::db::DbError::from))
            .await;
        if let Err(error) = result {
            tracing::warn!(%error, "landing visits not written yet; retrying");
        }
    };
    tokio::pin!(stop);
    loop {
        tokio::select! {
            _ = &mut stop => break,
            _ = tokio::time::sleep(FLUSH_EVERY) => flush(tally.clone(), db.clone()).await,
        }
    }
    flush(tally, db).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_are_tallied_per_variant_and_day() {
        let tally = VisitTally::default();
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        tally.add(1, day);
        tally.add(1, day);
        tally.add(2, day);
        let counts = tally.take();
        assert_eq!(counts[&(1, day)], 2);
        assert_eq!(counts[&(2, day)], 1);
        assert!(tally.take().is_empty());
        tally.put_back(counts);
        tally.add(1, day);
        assert_eq!(tally.take()[&(1, day)], 3);
    }
}
