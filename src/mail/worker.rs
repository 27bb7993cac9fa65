//! The delivery worker: claims due e-mails, sends them, records the outcome.
//!
//! Any number of workers (threads, processes, machines) may run at once: a claim is one
//! statement that moves rows to `sending` under `FOR UPDATE SKIP LOCKED`, so a row is handed to
//! one worker only. A claim expires after [`CLAIM_TTL_SECONDS`]; a worker that died mid-batch
//! leaves its rows to be claimed again then (delivery is at least once, never lost). Attempts
//! are counted when a row is claimed, so even a message that kills its worker every time ends
//! as `failed` after [`MAX_ATTEMPTS`].

use std::future::Future;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer};

use crate::db::schema::outbound_emails;
use crate::db::{Db, DbError};
use crate::mail::outbox::Status;
use crate::mail::transport::{SendError, Transport};

/// E-mails claimed per round.
pub const BATCH_SIZE: i64 = 20;
/// Attempts after which an e-mail is given up (`failed`).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claim holds before another worker may take the row over.
pub const CLAIM_TTL_SECONDS: i32 = 5 * 60;
/// Pause between rounds when there is nothing (more) to send.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How often the housekeeping round runs (expired sessions, policies, renewal reminders).
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// Longest `last_error` kept; SMTP servers can be verbose.
const MAX_ERROR_LEN: usize = 1000;

/// Delay before the next attempt after `attempts` attempts have failed: 1 minute, then
/// doubling (2, 4, 8, ...), never more than an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 6) as u32;
    chrono::Duration::minutes(2i64.pow(exponent)).min(chrono::Duration::hours(1))
}

/// A claimed e-mail, as the claim statement returns it.
#[derive(Debug, QueryableByName)]
#[diesel(table_name = outbound_emails)]
struct Claimed {
    id: i64,
    to_address: String,
    subject: String,
    body_text: String,
    body_html: String,
    /// Including this one; also the fencing token of the claim.
    attempts: i32,
    created_at: DateTime<Utc>,
}

impl Claimed {
    /// Left part of the `Message-ID`: the same for every attempt, unique across databases
    /// in practice (ids restart in a new database, creation instants do not repeat).
    fn message_id(&self) -> String {
        format!("outbox.{}.{}", self.id, self.created_at.timestamp_micros())
    }
}

/// Takes up to `limit` due e-mails (pending and due, or `sending` with an expired claim) and
/// marks them `sending` for [`CLAIM_TTL_SECONDS`].
///
/// Hand-written SQL (with bound parameters) because the claim must be ONE statement, an
/// `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...`: a locked
/// subselect inside an update is beyond Diesel's query builder, and splitting it into a
/// select and an update would need a transaction held open around both for nothing.
fn claim(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "UPDATE outbound_emails \
            SET status = 'sending', \
                attempts = attempts + 1, \
                locked_until = now() + make_interval(secs => $2) \
          WHERE id IN ( \
                SELECT id FROM outbound_emails \
                 WHERE (status = 'pending' AND next_attempt_at <= now()) \
                    OR (status = 'sending' AND locked_until < now()) \
                 ORDER BY id \
                 LIMIT $1 \
                   FOR UPDATE SKIP LOCKED) \
      RETURNING id, to_address, subject, body_text, body_html, attempts, created_at",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Integer, _>(CLAIM_TTL_SECONDS)
    .load(conn)
}

/// Records the outcome of one attempt. The update only applies while the row is still this
/// worker's claim (`sending` with the same attempt count), so a worker that overran its claim
/// cannot overwrite the newer attempt of another.
fn record(
    conn: &mut PgConnection,
    email: &Claimed,
    outcome: &Result<(), SendError>,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    let ours = outbound_emails::table
        .find(email.id)
        .filter(outbound_emails::status.eq(Status::Sending.as_str()))
        .filter(outbound_emails::attempts.eq(email.attempts));
    let no_lock = outbound_emails::locked_until.eq(None::<DateTime<Utc>>);
    match outcome {
        Ok(()) => diesel::update(ours)
            .set((
                outbound_emails::status.eq(Status::Sent.as_str()),
                outbound_emails::sent_at.eq(now),
                no_lock,
            ))
            .execute(conn),
        Err(error) => {
            let give_up = error.is_permanent() || email.attempts >= MAX_ATTEMPTS;
            let status = if give_up {
                Status::Failed
            } else {
                Status::Pending
            };
            diesel::update(ours)
                .set((
                    outbound_emails::status.eq(status.as_str()),
                    outbound_emails::next_attempt_at.eq(now + backoff(email.attempts)),
                    outbound_emails::last_error.eq(truncate(&error.to_string())),
                    no_lock,
                ))
                .execute(conn)
        }
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_LEN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// One round: claims a batch, sends each e-mail (on the async runtime; the database work runs
/// on the blocking pool) and records each outcome. Returns how many e-mails it handled.
pub async fn run_once(db: &Db, transport: &Transport) -> anyhow::Result<usize> {
    let claimed = db
        .run(|conn| claim(conn, BATCH_SIZE).map_err(DbError::from))
        .await?;
    let count = claimed.len();
    for email in claimed {
        let outcome = transport
            .send(
                &email.message_id(),
                &email.to_address,
                &email.subject,
                &email.body_text,
                &email.body_html,
            )
            .await;
        match &outcome {
            Ok(()) => tracing::info!(email_id = email.id, "e-mail sent"),
            Err(error) => tracing::warn!(
                email_id = email.id,
                attempts = email.attempts,
                permanent = error.is_permanent(),
                %error,
                "e-mail not sent"
            ),
        }
        db.run(move |conn| {
            record(conn, &email, &outcome, Utc::now())
                .map(drop)
                .map_err(DbError::from)
        })
        .await?;
    }
    Ok(count)
}

/// Delivers e-mails until `shutdown` completes: a round every [`POLL_INTERVAL`] (at once
/// again after a full batch), and the housekeeping round (`crate::housekeeping`: expired sessions,
/// policies, renewal reminders) every [`PURGE_INTERVAL`].
/// A round in progress is finished before stopping, so no claim is left behind.
pub async fn run_forever(db: Db, transport: Transport, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    let mut last_purge: Option<Instant> = None;
    tracing::info!(transport = %transport.describe(), "e-mail worker started");
    loop {
        let full_batch = match run_once(&db, &transport).await {
            Ok(count) => count as i64 == BATCH_SIZE,
            Err(error) => {
                tracing::error!(error = %format!("{error:#}"), "e-mail worker round failed");
                false
            }
        };
        if last_purge.is_none_or(|at| at.elapsed() >= PURGE_INTERVAL) {
            last_purge = Some(Instant::now());
            let today = crate::policies::queries::today();
            match db
                .run(move |conn| {
                    crate::housekeeping::run(conn, today)
                        .map_err(|e| DbError::other(format!("{e:#}")))
                })
                .await
            {
                Ok(report) if report == crate::housekeeping::Report::default() => {}
                Ok(report) => tracing::info!(?report, "housekeeping round"),
                Err(error) => tracing::error!(%error, "housekeeping round failed"),
            }
        }
        let pause = if full_batch {
            Duration::ZERO
        } else {
            POLL_INTERVAL
        };
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            () = tokio::time::sleep(pause) => {}
        }
    }
    tracing::info!("e-mail worker stopped");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_one_minute_up_to_an_hour() {
        let minutes: Vec<i64> = (1..=9).map(|a| backoff(a).num_minutes()).collect();
        assert_eq!(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    #[test]
    fn backoff_never_goes_below_a_minute() {
        assert_eq!(backoff(0).num_minutes(), 1);
        assert_eq!(backoff(-3).num_minutes(), 1);
        assert_eq!(backoff(i32::MAX).num_minutes(), 60);
    }

    #[test]
    fn long_errors_are_cut() {
        let long = "x".repeat(5000);
        assert_eq!(truncate(&long).chars().count(), MAX_ERROR_LEN + 1);
        assert_eq!(truncate("corto"), "corto");
    }
}
