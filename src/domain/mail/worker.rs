//! The delivery worker: claims due e-mails, sends them, records the outcome.
//!
//! Any number of workers (threads, processes, machines) may run at once: a claim is one
//! statement that moves rows to `sending` under `FOR UPDATE SKIP LOCKED`, so a row is handed to
//! one worker only. Each claim names its worker ([`WorkerId`]) and holds for
//! [`CLAIM_TTL_SECONDS`]; the worker renews its claims every [`HEARTBEAT_INTERVAL`] while it
//! sends, so a slow SMTP server never loses a live worker its rows, and the rows of a worker
//! that died are free again within half a minute. A worker that restarts on the same machine
//! and data directory takes back the same identity and frees its own dead claims at once.
//!
//! Delivery is at least once: an e-mail is never lost, and it is sent twice only when a worker
//! dies between the SMTP server accepting it and the row being marked sent. Every attempt of
//! one row carries the same `Message-ID`, so the receiving side can drop such a duplicate.
//! Attempts are counted when a row is claimed, so even a message that kills its worker every
//! time ends as `failed` after [`MAX_ATTEMPTS`].

use std::future::Future;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Integer, Text};

use crate::db::schema::outbound_emails;
use crate::db::{Db, DbError};
use crate::mail::outbox::Status;
use crate::mail::transport::{Attachment, SendError, Transport};

/// E-mails claimed per round.
pub const BATCH_SIZE: i64 = 20;
/// Attempts after which an e-mail is given up (`failed`).
pub const MAX_ATTEMPTS: i32 = 8;
/// How long a claim holds after the worker's last heartbeat before another worker may take the
/// row over.
pub const CLAIM_TTL_SECONDS: i32 = 30;
/// How often a worker renews the claims it is sending.
pub const HEARTBEAT_INTERVAL: Duration = Duration::from_secs(5);
/// Pause between rounds when there is nothing (more) to send.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);
/// How often the housekeeping round runs (expired sessions, policies, renewal reminders).
pub const PURGE_INTERVAL: Duration = Duration::from_secs(60);
/// How often the analytics summary is brought up to date (months changed or never summarised).
pub const SUMMARY_INTERVAL: Duration = Duration::from_secs(10);
/// How long one summary round may run before it leaves the rest for the next.
const SUMMARY_BUDGET: Duration = Duration::from_secs(2);
/// Longest `last_error` kept; SMTP servers can be verbose.
const MAX_ERROR_LEN: usize = 1000;
/// Worker slots tried per data directory (one per worker process running from it).
const MAX_SLOTS: u32 = 64;

/// Delay before the next attempt after `attempts` attempts have failed: 1 minute, then
/// doubling (2, 4, 8, ...), never more than an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    let exponent = attempts.saturating_sub(1).clamp(0, 6) as u32;
    chrono::Duration::minutes(2i64.pow(exponent)).min(chrono::Duration::hours(1))
}

/// Whose claim a row is (`outbound_emails.claimed_by`).
///
/// A long-running worker takes a [`WorkerId::persistent`] identity: host, data directory and
/// the first free slot, held under an exclusive file lock for the life of the process. The
/// kernel drops the lock however the process ends (`kill -9` included), so the next worker
/// started from that directory gets the same identity, and every row still claimed under it
/// belongs to a worker that is gone. Cheap to clone; the slot is freed with the last clone.
#[derive(Debug, Clone)]
pub struct WorkerId {
    name: String,
    _slot: Option<Arc<std::fs::File>>,
}

impl WorkerId {
    /// An identity no other worker has or will have: for one-off rounds that finish their
    /// claims before returning (tests, tools).
    pub fn ephemeral() -> Self {
        Self {
            name: format!(
                "{}/pid-{}/{}",
                host_name(),
                std::process::id(),
                crate::util::random_token(6)
            ),
            _slot: None,
        }
    }

    /// The identity of a worker running from `var_dir` on this host: the same after a
    /// restart, different for two workers running at once (see the type's documentation).
    pub fn persistent(var_dir: &Path) -> anyhow::Result<Self> {
        let dir = var_dir.join("worker");
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
        let dir = dir.canonicalize()?;
        let place = crate::util::sha256_hex(dir.to_string_lossy().as_bytes());
        for slot in 0..MAX_SLOTS {
            let path = dir.join(format!("slot-{slot}.lock"));
            let file = std::fs::OpenOptions::new()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&path)
                .with_context(|| format!("cannot open {}", path.display()))?;
            // SAFETY: flock on a descriptor we own; LOCK_NB makes it fail instead of waiting.
            let locked = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
            if locked == 0 {
                return Ok(Self {
                    name: format!("{}:{}:{slot}", host_name(), &place[..12]),
                    _slot: Some(Arc::new(file)),
                });
            }
        }
        anyhow::bail!(
            "more than {MAX_SLOTS} workers run from {}: no free worker slot",
            dir.display()
        )
    }

    pub fn as_str(&self) -> &str {
        &self.name
    }
}

impl std::fmt::Display for WorkerId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

fn host_name() -> String {
    let mut buffer = [0u8; 256];
    // SAFETY: the buffer is writable for its whole length; gethostname NUL-terminates within it.
    let ok = unsafe { libc::gethostname(buffer.as_mut_ptr().cast(), buffer.len()) } == 0;
    let end = buffer.iter().position(|&b| b == 0).unwrap_or(0);
    match std::str::from_utf8(&buffer[..end]) {
        Ok(name) if ok && !name.is_empty() => name.to_owned(),
        _ => "localhost".to_owned(),
    }
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
    /// For commercial e-mail: the `List-Unsubscribe` address.
    list_unsubscribe: Option<String>,
    /// Including this one; also the fencing token of the claim.
    attempts: i32,
    created_at: DateTime<Utc>,
    /// A stored document sent with the e-mail.
    attachment_document_id: Option<i64>,
}

/// Left part of the `Message-ID` of outbox row `id` created at `created_at` (the sender's domain
/// is the right part): the same for every attempt, so a resend after a crash is recognisable
/// as a duplicate; unique across databases in practice (ids restart in a new database,
/// creation instants do not repeat).
pub fn message_id(id: i64, created_at: DateTime<Utc>) -> String {
    format!("outbox.{id}.{}", created_at.timestamp_micros())
}

impl Claimed {
    fn message_id(&self) -> String {
        message_id(self.id, self.created_at)
    }
}

/// Frees the claims of workers that are gone: rows whose claim was not renewed in time, and
/// rows still claimed under `worker`'s own identity (called before `worker` claims anything,
/// so they were left by an earlier process with that identity). They are due again at once,
/// or `failed` when they have used up their attempts. Returns how many.
fn release_dead_claims(conn: &mut PgConnection, worker: &WorkerId) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE outbound_emails \
            SET status = CASE WHEN attempts >= $2 THEN 'failed' ELSE 'pending' END, \
                last_error = CASE WHEN attempts >= $2 \
                                  THEN 'the worker stopped while sending it' \
                                  ELSE last_error END, \
                next_attempt_at = now(), \
                locked_until = NULL, \
                claimed_by = NULL \
          WHERE status = 'sending' \
            AND (locked_until < now() OR locked_until IS NULL OR claimed_by = $1)",
    )
    .bind::<Text, _>(worker.as_str())
    .bind::<Integer, _>(MAX_ATTEMPTS)
    .execute(conn)
}

/// Takes up to `limit` due e-mails for `worker` and marks them `sending` for `lease`.
///
/// Hand-written SQL (with bound parameters) because the claim must be ONE statement, an
/// `UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING ...`: a locked
/// subselect inside an update is beyond Diesel's query builder, and splitting it into a
/// select and an update would need a transaction held open around both for nothing.
fn claim(
    conn: &mut PgConnection,
    worker: &WorkerId,
    limit: i64,
    lease: Duration,
) -> QueryResult<Vec<Claimed>> {
    diesel::sql_query(
        "UPDATE outbound_emails \
            SET status = 'sending', \
                attempts = attempts + 1, \
                locked_until = now() + make_interval(secs => $2), \
                claimed_by = $3 \
          WHERE id IN ( \
                SELECT id FROM outbound_emails \
                 WHERE status = 'pending' AND next_attempt_at <= now() \
                 ORDER BY id \
                 LIMIT $1 \
                   FOR UPDATE SKIP LOCKED) \
      RETURNING id, to_address, subject, body_text, body_html, list_unsubscribe, attempts, \
                created_at, attachment_document_id",
    )
    .bind::<BigInt, _>(limit)
    .bind::<Double, _>(lease.as_secs_f64())
    .bind::<Text, _>(worker.as_str())
    .load(conn)
}

/// The stored file an e-mail carries, as it is now (documents are never rewritten: a new
/// version is a new row, so this is the file the e-mail was queued with).
fn attachment(conn: &mut PgConnection, document: i64) -> QueryResult<Attachment> {
    use crate::db::schema::documents;
    use crate::documents::Storage;
    let (filename, content_type): (String, String) = documents::table
        .find(document)
        .select((documents::filename, documents::content_type))
        .first(conn)?;
    let bytes = crate::documents::PgStorage.get(conn, document)?;
    Ok(Attachment {
        filename,
        content_type,
        bytes,
    })
}

/// The heartbeat: pushes the end of every claim `worker` holds to `lease` from now.
fn renew_claims(conn: &mut PgConnection, worker: &WorkerId, lease: Duration) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE outbound_emails \
            SET locked_until = now() + make_interval(secs => $1) \
          WHERE status = 'sending' AND claimed_by = $2",
    )
    .bind::<Double, _>(lease.as_secs_f64())
    .bind::<Text, _>(worker.as_str())
    .execute(conn)
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
    let no_lock = (
        outbound_emails::locked_until.eq(None::<DateTime<Utc>>),
        outbound_emails::claimed_by.eq(None::<String>),
    );
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

/// One delivery worker: who it is, where it sends, and how long its claims hold.
#[derive(Clone)]
pub struct Worker {
    db: Db,
    transport: Transport,
    id: WorkerId,
    lease: Duration,
    heartbeat: Duration,
    /// The nightly backup and the database it copies (`pg_dump` needs the URL, not a pool).
    backups: Option<(String, crate::backup::Nightly)>,
    /// The automation engine's settings, when this worker runs the rules.
    automation: Option<crate::automation::Context>,
}

/// The Madrid hour from which the night's backup is due (quiet, and after midnight's work).
pub const BACKUP_HOUR: u32 = 3;

impl Worker {
    pub fn new(db: Db, transport: Transport, id: WorkerId) -> Self {
        Self {
            db,
            transport,
            id,
            lease: Duration::from_secs(CLAIM_TTL_SECONDS as u64),
            heartbeat: HEARTBEAT_INTERVAL,
            backups: None,
            automation: None,
        }
    }

    /// Also runs the automation rules: events every round, dates and schedules every
    /// [`PURGE_INTERVAL`] (so a dated rule fires within a couple of minutes of its moment).
    pub fn with_automation(mut self, context: crate::automation::Context) -> Self {
        self.automation = Some(context);
        self
    }

    /// Also takes the nightly backup of the database at `url` (see [`crate::backup::Nightly`]).
    pub fn with_backups(mut self, url: String, nightly: crate::backup::Nightly) -> Self {
        self.backups = Some((url, nightly));
        self
    }

    /// Other claim timings than [`CLAIM_TTL_SECONDS`] and [`HEARTBEAT_INTERVAL`] (tests).
    pub fn with_timing(mut self, lease: Duration, heartbeat: Duration) -> Self {
        self.lease = lease;
        self.heartbeat = heartbeat;
        self
    }

    pub fn id(&self) -> &WorkerId {
        &self.id
    }

    /// One round: frees dead claims, claims a batch, sends each e-mail (on the async runtime;
    /// the database work runs on the blocking pool) while renewing the batch's claims, and
    /// records each outcome. Returns how many e-mails it handled.
    pub async fn run_once(&self) -> anyhow::Result<usize> {
        let (id, lease) = (self.id.clone(), self.lease);
        let claimed = self
            .db
            .run(move |conn| {
                let released = release_dead_claims(conn, &id)?;
                if released > 0 {
                    tracing::warn!(released, "took back e-mails claimed by a stopped worker");
                }
                claim(conn, &id, BATCH_SIZE, lease).map_err(DbError::from)
            })
            .await?;
        let count = claimed.len();
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + self.heartbeat, self.heartbeat);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        for email in claimed {
            let message_id = email.message_id();
            let attachment = match email.attachment_document_id {
                Some(document) => Some(
                    self.db
                        .run(move |conn| attachment(conn, document).map_err(DbError::from))
                        .await?,
                ),
                None => None,
            };
            let outcome = {
                let send = self.transport.send(
                    &message_id,
                    &email.to_address,
                    &email.subject,
                    (&email.body_text, &email.body_html),
                    email.list_unsubscribe.as_deref(),
                    attachment.as_ref(),
                );
                let mut send = std::pin::pin!(send);
                loop {
                    tokio::select! {
                        outcome = &mut send => break outcome,
                        _ = heartbeat.tick() => self.renew().await,
                    }
                }
            };
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
            self.db
                .run(move |conn| {
                    record(conn, &email, &outcome, Utc::now())
                        .map(drop)
                        .map_err(DbError::from)
                })
                .await?;
        }
        Ok(count)
    }

    /// Renews this worker's claims; a failure is logged (the next beat tries again, and the
    /// lease leaves several beats of slack).
    async fn renew(&self) {
        let (id, lease) = (self.id.clone(), self.lease);
        let renewed = self
            .db
            .run(move |conn| renew_claims(conn, &id, lease).map_err(DbError::from))
            .await;
        match renewed {
            Ok(count) => tracing::debug!(count, "renewed e-mail claims"),
            Err(error) => tracing::warn!(%error, "cannot renew e-mail claims"),
        }
    }

    /// Delivers e-mails until `shutdown` completes: a round every [`POLL_INTERVAL`] (at once
    /// again after a full batch), and the housekeeping round (`crate::housekeeping`: expired
    /// sessions, policies, renewal reminders) every [`PURGE_INTERVAL`]. A round in progress is
    /// finished before stopping, so no claim is left behind.
    pub async fn run_forever(self, shutdown: impl Future<Output = ()>) {
        let mut shutdown = std::pin::pin!(shutdown);
        let mut last_purge: Option<Instant> = None;
        let mut last_summary: Option<Instant> = None;
        tracing::info!(
            transport = %self.transport.describe(),
            worker = %self.id,
            "e-mail worker started"
        );
        let db = self.db.clone();
        loop {
            self.automate(last_purge.is_none_or(|at| at.elapsed() >= PURGE_INTERVAL))
                .await;
            let full_batch = match self.run_once().await {
                Ok(count) => count as i64 == BATCH_SIZE,
                Err(error) => {
                    tracing::error!(error = %format!("{error:#}"), "e-mail worker round failed");
                    false
                }
            };
            if last_purge.is_none_or(|at| at.elapsed() >= PURGE_INTERVAL) {
                last_purge = Some(Instant::now());
                let today = crate::policies::queries::today();
                let base_url = self.automation.as_ref().map(|c| c.base_url.clone());
                match db
                    .run(move |conn| {
                        crate::housekeeping::run(conn, today, base_url.as_ref())
                            .map_err(|e| DbError::other(format!("{e:#}")))
                    })
                    .await
                {
                    Ok(report) if report == crate::housekeeping::Report::default() => {}
                    Ok(report) => tracing::info!(?report, "housekeeping round"),
                    Err(error) => tracing::error!(%error, "housekeeping round failed"),
                }
                self.backup_if_due().await;
                self.purge_if_due().await;
                self.resume_imports().await;
            }
            if last_summary.is_none_or(|at| at.elapsed() >= SUMMARY_INTERVAL) {
                last_summary = Some(Instant::now());
                self.summarise_analytics().await;
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
}

impl Worker {
    /// One automation round: pending events, and with `dates` the dated and scheduled rules.
    /// Before the e-mail round, so what the rules queue goes out in the same pass.
    async fn automate(&self, dates: bool) {
        let Some(context) = self.automation.clone() else {
            return;
        };
        let done = self
            .db
            .run(move |conn| {
                let now = chrono::Utc::now();
                let mut report = crate::automation::engine::process_all_events(conn, &context, now)
                    .map_err(|e| DbError::other(format!("{e:#}")))?;
                if dates {
                    let dated = crate::automation::engine::process_dates(conn, &context, now)
                        .map_err(|e| DbError::other(format!("{e:#}")))?;
                    report.runs += dated.runs;
                    report.failures += dated.failures;
                }
                Ok::<_, DbError>(report)
            })
            .await;
        match done {
            Ok(report) if report == crate::automation::Report::default() => {}
            Ok(report) => tracing::info!(?report, "automation round"),
            Err(error) => tracing::error!(%error, "automation round failed"),
        }
    }

    /// Brings the analytics summary up to date, a few months per round (`SUMMARY_BUDGET`):
    /// the reports are exact without it, only slower over the months it does not cover yet.
    async fn summarise_analytics(&self) {
        let done = self
            .db
            .run(|conn| {
                crate::analytics::summary::refresh(conn, SUMMARY_BUDGET).map_err(DbError::from)
            })
            .await;
        match done {
            Ok(done) if done.months == 0 && done.customers == 0 => {}
            Ok(done) => tracing::info!(?done, "analytics summary brought up to date"),
            Err(error) => tracing::error!(%error, "analytics summary round failed"),
        }
    }

    /// Resumes the imports whose runner stopped half-way (a crash, a restart): each from the
    /// batch after its last committed one, on a task of its own so that e-mail goes on.
    async fn resume_imports(&self) {
        let stalled = self
            .db
            .run(|conn| crate::imports::stalled(conn).map_err(DbError::from))
            .await;
        let ids = match stalled {
            Ok(ids) => ids,
            Err(error) => {
                tracing::error!(%error, "cannot look for stalled imports");
                return;
            }
        };
        for id in ids {
            let db = self.db.clone();
            tokio::spawn(async move {
                tracing::warn!(import = id, "resuming an import left half-way");
                let ran = db
                    .run(move |conn| {
                        crate::imports::run(conn, id).map_err(|e| DbError::other(format!("{e}")))
                    })
                    .await;
                match ran {
                    Ok(Some(_)) => tracing::info!(import = id, "import applied"),
                    Ok(None) => {}
                    Err(error) => tracing::error!(import = id, %error, "import stopped"),
                }
            });
        }
    }

    /// Tonight's purge of the retention schedule (`crate::retention::purge`), once per date
    /// after its hour, whichever worker gets there first. A failure is logged as an error;
    /// the batches done stay done and the next night does the rest.
    async fn purge_if_due(&self) {
        let done = self
            .db
            .run(|conn| {
                crate::retention::purge::run_nightly_if_due(conn, chrono::Utc::now())
                    .map_err(|e| DbError::other(format!("{e:#}")))
            })
            .await;
        match done {
            Ok(None) => {}
            Ok(Some(report)) => tracing::info!(removed = ?report.removed, "retention purge"),
            Err(error) => tracing::error!(%error, "retention purge failed"),
        }
    }

    /// Takes tonight's backup when it is due and not yet in the folder. A failure is logged
    /// as an error and retried at the next round: a missing backup must be loud.
    async fn backup_if_due(&self) {
        use chrono::Timelike;
        let Some((url, nightly)) = self.backups.clone() else {
            return;
        };
        let now = chrono::Utc::now().with_timezone(&crate::time::ZONE);
        if now.hour() < BACKUP_HOUR {
            return;
        }
        let day = now.date_naive();
        match tokio::task::spawn_blocking(move || nightly.take(&url, day)).await {
            Ok(Ok(Some(written))) => tracing::info!(
                path = %written.path.display(),
                bytes = written.bytes,
                sha256 = %written.sha256,
                "nightly backup written"
            ),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => {
                tracing::error!(error = %format!("{error:#}"), "nightly backup failed")
            }
            Err(error) => tracing::error!(%error, "nightly backup task failed"),
        }
    }
}

/// One round by a worker of its own ([`WorkerId::ephemeral`]); see [`Worker::run_once`].
pub async fn run_once(db: &Db, transport: &Transport) -> anyhow::Result<usize> {
    Worker::new(db.clone(), transport.clone(), WorkerId::ephemeral())
        .run_once()
        .await
}

/// Runs `Worker::run_forever` for a worker of its own ([`WorkerId::ephemeral`]). Long-running
/// processes should use [`WorkerId::persistent`] instead, so that a restart frees its claims.
pub async fn run_forever(db: Db, transport: Transport, shutdown: impl Future<Output = ()>) {
    Worker::new(db, transport, WorkerId::ephemeral())
        .run_forever(shutdown)
        .await
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
