//! The engine: reads pending domain events and due dates, and runs the rules that match.
//!
//! Exactly once. Every (rule, occurrence) has one `automation_runs` row under a unique key:
//! the event (`event:<id>`), or the record and the moment it fired for
//! (`policy:<id>:<unix time>`), or the day of a schedule. The row is written in the same
//! transaction (a savepoint) as the rule's actions, by an upsert that only succeeds when the
//! key is new or failed before: a second worker, a restart or a re-run finds it done and does
//! nothing. Events are taken with `FOR UPDATE SKIP LOCKED`, so two workers never hold the same
//! event, and an event waits while an earlier event of the same record is unprocessed, so a
//! record's events are handled in order.
//!
//! Failures. Each rule acts in its own savepoint: a failing action rolls back only that rule's
//! actions, records the error on its run and leaves the other rules' work committed. The event
//! is tried again with backoff and parked after [`MAX_ATTEMPTS`], where an admin sees it and
//! can put it back in line ([`retry_parked`]).
//!
//! Time is a parameter (`now`) everywhere, so tests move the clock instead of sleeping.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Jsonb, SmallInt, Text, Timestamptz};
use serde_json::{Map, Value};

use super::facts::{self, Subject};
use super::placeholders::Entity;
use super::rules::{self, Anchor, OffsetUnit, Rule, Trigger};
use crate::db::schema::{automation_runs, domain_events};

/// Failed attempts after which an event (or a dated run) is parked.
pub const MAX_ATTEMPTS: i32 = 5;
/// Events handled per round.
pub const EVENT_BATCH: i64 = 200;
/// Rule actions may trigger rules this many levels deep; deeper events are left alone.
pub const MAX_DEPTH: i16 = 3;
/// A dated rule still fires this long after its moment (a worker that was down catches up);
/// a rule created today does not fire for records whose moment passed long ago.
pub const CATCH_UP: Duration = Duration::days(3);
/// Dated occurrences handled per rule and round.
const DATE_BATCH: i64 = 500;
const MAX_ERROR_LEN: usize = 1000;

/// What the engine needs besides the database.
#[derive(Debug, Clone)]
pub struct Context {
    /// The site's public address, for links in e-mails.
    pub base_url: url::Url,
    /// Signs unsubscribe links (see `clients::unsubscribe`).
    pub unsubscribe_key: Vec<u8>,
    /// Who signs the documents the rules send (the renewal notice's PDF).
    pub broker: crate::distribution::precontract::BrokerIdentity,
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub events: usize,
    pub runs: usize,
    pub failures: usize,
    pub parked: usize,
}

impl Report {
    fn add(&mut self, other: &Report) {
        self.events += other.events;
        self.runs += other.runs;
        self.failures += other.failures;
        self.parked += other.parked;
    }
}

/// Why a rule's actions failed.
#[derive(Debug, thiserror::Error)]
pub enum ActionError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error("{0}")]
    Failed(String),
}

/// The occurrence a rule fires for.
#[derive(Debug, Clone, PartialEq)]
pub struct Occurrence {
    pub key: String,
    pub event_id: Option<i64>,
    pub entity_type: String,
    pub entity_id: i64,
    /// Depth of the event that fired it (0 for dates and schedules).
    pub depth: i16,
    /// The moment it fired for.
    pub at: DateTime<Utc>,
}

/// One full round: pending events, then due dates and schedules.
pub fn run(conn: &mut PgConnection, ctx: &Context, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let mut report = process_all_events(conn, ctx, now)?;
    report.add(&process_dates(conn, ctx, now)?);
    Ok(report)
}

/// Batches of events until none is due. A batch takes at most one event per record (the next
/// waits for it), so a record with several new events needs as many batches.
pub fn process_all_events(
    conn: &mut PgConnection,
    ctx: &Context,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    // Bounded, in case events keep arriving faster than they are handled.
    for _ in 0..100 {
        let round = process_events(conn, ctx, now, EVENT_BATCH)?;
        report.add(&round);
        if round.events == 0 {
            break;
        }
    }
    Ok(report)
}

#[derive(QueryableByName)]
struct PendingEvent {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    entity_type: String,
    #[diesel(sql_type = BigInt)]
    entity_id: i64,
    #[diesel(sql_type = Jsonb)]
    payload: Value,
    #[diesel(sql_type = SmallInt)]
    depth: i16,
    #[diesel(sql_type = Integer)]
    attempts: i32,
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
}

/// Handles up to `limit` due events in one transaction. Returns what it did.
pub fn process_events(
    conn: &mut PgConnection,
    ctx: &Context,
    now: DateTime<Utc>,
    limit: i64,
) -> anyhow::Result<Report> {
    let rules = rules::enabled(conn, "event")?;
    conn.transaction(|conn| {
        // Hand-written: a locked batch whose rows skip records with an earlier pending event
        // is beyond the query builder.
        let events: Vec<PendingEvent> = diesel::sql_query(
            "SELECT e.id, e.kind, e.entity_type, e.entity_id, e.payload, e.depth, e.attempts, \
                    e.created_at \
               FROM domain_events e \
              WHERE e.processed_at IS NULL AND e.parked_at IS NULL \
                AND (e.next_attempt_at IS NULL OR e.next_attempt_at <= $1) \
                AND NOT EXISTS (SELECT 1 FROM domain_events p \
                                 WHERE p.entity_type = e.entity_type \
                                   AND p.entity_id = e.entity_id \
                                   AND p.id < e.id \
                                   AND p.processed_at IS NULL AND p.parked_at IS NULL) \
              ORDER BY e.id \
              LIMIT $2 \
                FOR UPDATE OF e SKIP LOCKED",
        )
        .bind::<Timestamptz, _>(now)
        .bind::<BigInt, _>(limit)
        .load(conn)?;
        let mut report = Report {
            events: events.len(),
            ..Report::default()
        };
        let mut done: Vec<i64> = Vec::with_capacity(events.len());
        for event in events {
            let matching: Vec<&Rule> = rules
                .iter()
                .filter(|r| matches!(&r.trigger, Trigger::Event { kind } if *kind == event.kind))
                .collect();
            if matching.is_empty() || event.depth >= MAX_DEPTH {
                if event.depth >= MAX_DEPTH && !matching.is_empty() {
                    tracing::warn!(
                        event = event.id,
                        kind = %event.kind,
                        "rule chain too deep: the event's rules do not run"
                    );
                }
                done.push(event.id);
                continue;
            }
            let mut subject = load_subject(conn, ctx, &event.entity_type, event.entity_id, now)?;
            // An event may fix placeholder values as they were at the change ("valores").
            if let (Some(subject), Some(Value::Object(values))) =
                (subject.as_mut(), event.payload.get("valores"))
            {
                for (name, value) in values {
                    if let Value::String(value) = value {
                        subject.values.insert(name.clone(), value.clone());
                    }
                }
            }
            let occurrence = Occurrence {
                key: format!("event:{}", event.id),
                event_id: Some(event.id),
                entity_type: event.entity_type.clone(),
                entity_id: event.entity_id,
                depth: event.depth,
                at: event.created_at,
            };
            let fields = merged_fields(subject.as_ref(), &event.payload);
            let mut errors = Vec::new();
            for rule in matching {
                if !rule.conditions.iter().all(|c| c.holds(&fields)) {
                    continue;
                }
                let park = event.attempts + 1 >= MAX_ATTEMPTS;
                match run_rule(conn, ctx, rule, &occurrence, subject.as_ref(), now, park)? {
                    RunOutcome::Done => report.runs += 1,
                    RunOutcome::AlreadyDone => {}
                    RunOutcome::Failed(error) => {
                        report.failures += 1;
                        errors.push(format!("{}: {error}", rule.name));
                    }
                }
            }
            if errors.is_empty() {
                done.push(event.id);
                continue;
            }
            let attempts = event.attempts + 1;
            let parked = attempts >= MAX_ATTEMPTS;
            if parked {
                report.parked += 1;
            }
            diesel::update(domain_events::table.find(event.id))
                .set((
                    domain_events::attempts.eq(attempts),
                    domain_events::next_attempt_at.eq(now + crate::mail::worker::backoff(attempts)),
                    domain_events::last_error.eq(truncate(&errors.join("; "))),
                    domain_events::parked_at.eq(parked.then_some(now)),
                ))
                .execute(conn)?;
        }
        if !done.is_empty() {
            diesel::update(domain_events::table.filter(domain_events::id.eq_any(&done)))
                .set((
                    domain_events::processed_at.eq(now),
                    domain_events::last_error.eq(None::<String>),
                ))
                .execute(conn)?;
        }
        Ok(report)
    })
}

fn load_subject(
    conn: &mut PgConnection,
    ctx: &Context,
    entity_type: &str,
    id: i64,
    now: DateTime<Utc>,
) -> QueryResult<Option<Subject>> {
    match Entity::parse(entity_type) {
        Some(entity) => facts::load(conn, entity, id, &ctx.base_url, crate::time::date_of(now)),
        None => Ok(None),
    }
}

/// The record's fields with the event's own data on top (`estado` after a change, ...).
fn merged_fields(subject: Option<&Subject>, payload: &Value) -> Map<String, Value> {
    let mut fields = subject.map(|s| s.fields.clone()).unwrap_or_default();
    if let Value::Object(data) = payload {
        for (key, value) in data {
            fields.insert(key.clone(), value.clone());
        }
    }
    fields
}

/// How one rule's run on one occurrence ended.
#[derive(Debug)]
pub enum RunOutcome {
    Done,
    /// The run was already done (another worker, an earlier round): nothing happened.
    AlreadyDone,
    /// Rolled back; the error is recorded on the run.
    Failed(String),
}

/// Runs `rule` for `occurrence` once: claims the run key and acts, in one savepoint.
pub fn run_rule(
    conn: &mut PgConnection,
    ctx: &Context,
    rule: &Rule,
    occurrence: &Occurrence,
    subject: Option<&Subject>,
    now: DateTime<Utc>,
    park_on_failure: bool,
) -> QueryResult<RunOutcome> {
    let customer_id = subject.and_then(|s| s.customer_id);
    let attempt = conn.transaction(|conn| {
        let claimed: Option<i64> = diesel::sql_query(
            "INSERT INTO automation_runs \
                 (rule_id, occurrence, event_id, entity_type, entity_id, customer_id, status, \
                  created_at, finished_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'done', $7, $7) \
             ON CONFLICT (rule_id, occurrence) DO UPDATE \
                SET status = 'done', attempts = automation_runs.attempts + 1, \
                    last_error = NULL, finished_at = EXCLUDED.finished_at \
              WHERE automation_runs.status <> 'done' \
             RETURNING id",
        )
        .bind::<BigInt, _>(rule.id)
        .bind::<Text, _>(&occurrence.key)
        .bind::<diesel::sql_types::Nullable<BigInt>, _>(occurrence.event_id)
        .bind::<Text, _>(&occurrence.entity_type)
        .bind::<BigInt, _>(occurrence.entity_id)
        .bind::<diesel::sql_types::Nullable<BigInt>, _>(customer_id)
        .bind::<Timestamptz, _>(now)
        .get_result::<RunId>(conn)
        .optional()?
        .map(|r| r.id);
        let Some(run_id) = claimed else {
            return Ok(None);
        };
        // Events the actions publish are one level deeper (the column's default reads it).
        set_depth(conn, occurrence.depth + 1)?;
        let outcome = super::actions::perform(conn, ctx, rule, occurrence, subject, now);
        set_depth(conn, 0)?;
        let lines = outcome?;
        diesel::update(automation_runs::table.find(run_id))
            .set(automation_runs::outcome.eq(lines.join("\n")))
            .execute(conn)?;
        Ok::<_, ActionError>(Some(run_id))
    });
    match attempt {
        Ok(Some(_)) => Ok(RunOutcome::Done),
        Ok(None) => Ok(RunOutcome::AlreadyDone),
        Err(error) => {
            let message = match &error {
                ActionError::Database(e) => format!("error de base de datos: {e}"),
                ActionError::Failed(why) => why.clone(),
            };
            tracing::warn!(rule = rule.id, occurrence = %occurrence.key, %message, "rule failed");
            record_failure(
                conn,
                rule,
                occurrence,
                customer_id,
                &message,
                now,
                park_on_failure,
            )?;
            Ok(RunOutcome::Failed(message))
        }
    }
}

#[derive(QueryableByName)]
struct RunId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

fn set_depth(conn: &mut PgConnection, depth: i16) -> QueryResult<()> {
    diesel::sql_query("SELECT set_config('soriano.event_depth', $1, true)")
        .bind::<Text, _>(depth.to_string())
        .execute(conn)
        .map(|_| ())
}

fn record_failure(
    conn: &mut PgConnection,
    rule: &Rule,
    occurrence: &Occurrence,
    customer_id: Option<i64>,
    message: &str,
    now: DateTime<Utc>,
    park: bool,
) -> QueryResult<()> {
    let status = if park { "parked" } else { "failed" };
    diesel::sql_query(
        "INSERT INTO automation_runs \
             (rule_id, occurrence, event_id, entity_type, entity_id, customer_id, status, \
              last_error, created_at, finished_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) \
         ON CONFLICT (rule_id, occurrence) DO UPDATE \
            SET status = EXCLUDED.status, attempts = automation_runs.attempts + 1, \
                last_error = EXCLUDED.last_error, finished_at = EXCLUDED.finished_at \
          WHERE automation_runs.status <> 'done'",
    )
    .bind::<BigInt, _>(rule.id)
    .bind::<Text, _>(&occurrence.key)
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(occurrence.event_id)
    .bind::<Text, _>(&occurrence.entity_type)
    .bind::<BigInt, _>(occurrence.entity_id)
    .bind::<diesel::sql_types::Nullable<BigInt>, _>(customer_id)
    .bind::<Text, _>(status)
    .bind::<Text, _>(truncate(message))
    .bind::<Timestamptz, _>(now)
    .execute(conn)
    .map(|_| ())
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_ERROR_LEN) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// A record a dated rule would fire for now.
#[derive(Debug, Clone, PartialEq)]
pub struct Due {
    pub occurrence: Occurrence,
    pub subject: Option<Subject>,
}

/// Dated and scheduled rules: every enabled one, each occurrence due now and not yet done.
pub fn process_dates(
    conn: &mut PgConnection,
    ctx: &Context,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let mut report = Report::default();
    let mut rules = rules::enabled(conn, "date")?;
    rules.extend(rules::enabled(conn, "schedule")?);
    for rule in &rules {
        let due = conn.transaction(|conn| due_now(conn, ctx, rule, now))?;
        for item in due {
            let ran = conn.transaction(|conn| {
                // Locks the record's run key against a second worker doing the same now.
                let previous = previous_attempts(conn, rule.id, &item.occurrence.key)?;
                run_rule(
                    conn,
                    ctx,
                    rule,
                    &item.occurrence,
                    item.subject.as_ref(),
                    now,
                    previous + 1 >= MAX_ATTEMPTS,
                )
            })?;
            match ran {
                RunOutcome::Done => report.runs += 1,
                RunOutcome::AlreadyDone => {}
                RunOutcome::Failed(_) => report.failures += 1,
            }
        }
    }
    Ok(report)
}

fn previous_attempts(conn: &mut PgConnection, rule_id: i64, key: &str) -> QueryResult<i32> {
    Ok(automation_runs::table
        .filter(automation_runs::rule_id.eq(rule_id))
        .filter(automation_runs::occurrence.eq(key))
        .select(automation_runs::attempts)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// What `rule` (dated or scheduled) would fire for at `now`: the moments that have come, within
/// [`CATCH_UP`], whose conditions hold and that have no run done, parked or failed too
/// recently. The dry run shows exactly this list, and the next round fires exactly it.
pub fn due_now(
    conn: &mut PgConnection,
    ctx: &Context,
    rule: &Rule,
    now: DateTime<Utc>,
) -> anyhow::Result<Vec<Due>> {
    let candidates: Vec<(Entity, i64, DateTime<Utc>)> = match &rule.trigger {
        Trigger::Event { .. } => return Ok(Vec::new()),
        Trigger::Date {
            anchor,
            offset,
            unit,
        } => {
            let (earliest, latest) = anchor_window(*offset, *unit, now);
            anchored(conn, *anchor, earliest, latest)?
                .into_iter()
                .filter_map(|(id, at)| {
                    let moment = shifted(at, *offset, *unit);
                    (moment <= now && moment > now - CATCH_UP).then_some((anchor.entity(), id, at))
                })
                .collect()
        }
        Trigger::Schedule { time, weekday } => {
            let today = crate::time::date_of(now);
            let mut found = Vec::new();
            for back in 0..=CATCH_UP.num_days() {
                let day = today - Duration::days(back);
                let moment = crate::time::at(day, *time);
                use chrono::Datelike;
                let weekday_ok =
                    weekday.is_none_or(|d| day.weekday().number_from_monday() == u32::from(d));
                if weekday_ok && moment <= now && moment > now - CATCH_UP {
                    found.push((Entity::Customer, 0, moment));
                    break;
                }
            }
            found
        }
    };
    let keys: Vec<String> = candidates
        .iter()
        .map(|(entity, id, at)| occurrence_key(rule, *entity, *id, *at))
        .collect();
    let settled: Vec<(String, String, i32, DateTime<Utc>)> = automation_runs::table
        .filter(automation_runs::rule_id.eq(rule.id))
        .filter(automation_runs::occurrence.eq_any(&keys))
        .select((
            automation_runs::occurrence,
            automation_runs::status,
            automation_runs::attempts,
            automation_runs::finished_at,
        ))
        .load(conn)?;
    let mut due = Vec::new();
    for ((entity, id, at), key) in candidates.into_iter().zip(keys) {
        let waiting = settled.iter().any(|(k, status, attempts, finished)| {
            *k == key
                && (status != "failed" || *finished + crate::mail::worker::backoff(*attempts) > now)
        });
        if waiting {
            continue;
        }
        let scheduled = matches!(rule.trigger, Trigger::Schedule { .. });
        let subject = if scheduled {
            None
        } else {
            match facts::load(conn, entity, id, &ctx.base_url, crate::time::date_of(now))? {
                Some(subject) => Some(subject),
                None => continue,
            }
        };
        let fields = subject
            .as_ref()
            .map(|s| s.fields.clone())
            .unwrap_or_default();
        if !rule.conditions.iter().all(|c| c.holds(&fields)) {
            continue;
        }
        due.push(Due {
            occurrence: Occurrence {
                key,
                event_id: None,
                entity_type: if scheduled {
                    "schedule".to_owned()
                } else {
                    entity.code().to_owned()
                },
                entity_id: id,
                depth: 0,
                at,
            },
            subject,
        });
        if due.len() as i64 >= DATE_BATCH {
            break;
        }
    }
    Ok(due)
}

fn occurrence_key(rule: &Rule, entity: Entity, id: i64, at: DateTime<Utc>) -> String {
    match rule.trigger {
        Trigger::Schedule { .. } => format!("schedule:{}", crate::time::date_of(at)),
        _ => format!("{}:{id}:{}", entity.code(), at.timestamp()),
    }
}

/// The anchor moment shifted by the rule's offset.
pub fn shifted(anchor: DateTime<Utc>, offset: i32, unit: OffsetUnit) -> DateTime<Utc> {
    match unit {
        OffsetUnit::Hours => anchor + Duration::hours(offset.into()),
        OffsetUnit::Days => anchor + Duration::days(offset.into()),
        OffsetUnit::WorkingDays => {
            let local = anchor.with_timezone(&crate::time::ZONE);
            let day = crate::calendar::add_working_days(local.date_naive(), offset);
            crate::time::at(day, local.time())
        }
    }
}

/// The anchor instants that can put a moment inside (now − CATCH_UP, now]: a little wider for
/// working days (weekends and holidays stretch them), then filtered exactly.
fn anchor_window(
    offset: i32,
    unit: OffsetUnit,
    now: DateTime<Utc>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    let (least, most) = match unit {
        OffsetUnit::Hours => (
            Duration::hours(offset.into()),
            Duration::hours(offset.into()),
        ),
        OffsetUnit::Days => (Duration::days(offset.into()), Duration::days(offset.into())),
        OffsetUnit::WorkingDays => {
            let stretched = Duration::days(i64::from(offset) * 2 + i64::from(offset.signum()) * 6);
            let exact = Duration::days(offset.into());
            (exact.min(stretched), exact.max(stretched))
        }
    };
    (
        now - CATCH_UP - most - Duration::days(1),
        now - least + Duration::days(1),
    )
}

#[derive(QueryableByName)]
struct Anchored {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// Records of an anchor whose anchor instant lies in [earliest, latest].
fn anchored(
    conn: &mut PgConnection,
    anchor: Anchor,
    earliest: DateTime<Utc>,
    latest: DateTime<Utc>,
) -> QueryResult<Vec<(i64, DateTime<Utc>)>> {
    let by_day = |sql: &str, conn: &mut PgConnection| -> QueryResult<Vec<(i64, DateTime<Utc>)>> {
        let from: NaiveDate = crate::time::date_of(earliest);
        let to: NaiveDate = crate::time::date_of(latest);
        let rows: Vec<(i64, NaiveDate)> = diesel::sql_query(sql)
            .bind::<diesel::sql_types::Date, _>(from)
            .bind::<diesel::sql_types::Date, _>(to)
            .load::<AnchoredDay>(conn)?
            .into_iter()
            .map(|r| (r.id, r.day))
            .collect();
        Ok(rows
            .into_iter()
            .map(|(id, day)| (id, crate::time::day_start(day)))
            .collect())
    };
    let by_instant =
        |sql: &str, conn: &mut PgConnection| -> QueryResult<Vec<(i64, DateTime<Utc>)>> {
            Ok(diesel::sql_query(sql)
                .bind::<Timestamptz, _>(earliest)
                .bind::<Timestamptz, _>(latest)
                .load::<Anchored>(conn)?
                .into_iter()
                .map(|r| (r.id, r.at))
                .collect())
        };
    match anchor {
        Anchor::PolicyEnd => by_day(
            "SELECT id, end_date AS day FROM policies \
              WHERE status = 'active' AND end_date BETWEEN $1 AND $2 ORDER BY id",
            conn,
        ),
        Anchor::ReceiptDue => by_day(
            "SELECT id, due_date AS day FROM receipts \
              WHERE status = 'pendiente' AND due_date BETWEEN $1 AND $2 ORDER BY id",
            conn,
        ),
        Anchor::ClaimLastChange => by_instant(
            "SELECT id, updated_at AS at FROM claims \
              WHERE status NOT IN ('closed', 'paid', 'rejected') \
                AND updated_at BETWEEN $1 AND $2 ORDER BY id",
            conn,
        ),
        Anchor::LeadUncontacted => by_instant(
            "SELECT id, created_at AS at FROM leads \
              WHERE stage = 'new' AND first_contacted_at IS NULL \
                AND created_at BETWEEN $1 AND $2 ORDER BY id",
            conn,
        ),
        Anchor::MessageWaiting => by_instant(
            "SELECT id, last_message_at AS at FROM message_threads \
              WHERE unread_by_staff > 0 AND last_message_at BETWEEN $1 AND $2 ORDER BY id",
            conn,
        ),
    }
}

#[derive(QueryableByName)]
struct AnchoredDay {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = diesel::sql_types::Date)]
    day: NaiveDate,
}

/// Puts a parked event back in line (its failed runs will be tried again), audited by the
/// caller. `false` when it is not parked.
pub fn retry_parked(conn: &mut PgConnection, event_id: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        domain_events::table
            .find(event_id)
            .filter(domain_events::parked_at.is_not_null()),
    )
    .set((
        domain_events::parked_at.eq(None::<DateTime<Utc>>),
        domain_events::attempts.eq(0),
        domain_events::next_attempt_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)?;
    if updated == 1 {
        diesel::update(
            automation_runs::table
                .filter(automation_runs::event_id.eq(event_id))
                .filter(automation_runs::status.eq("parked")),
        )
        .set(automation_runs::status.eq("failed"))
        .execute(conn)?;
    }
    Ok(updated == 1)
}

/// Puts a parked dated run back in line: the next round tries it again.
pub fn retry_parked_run(conn: &mut PgConnection, run_id: i64) -> QueryResult<bool> {
    let updated = diesel::update(
        automation_runs::table
            .find(run_id)
            .filter(automation_runs::status.eq("parked"))
            .filter(automation_runs::event_id.is_null()),
    )
    .set((
        automation_runs::status.eq("failed"),
        automation_runs::attempts.eq(0),
        automation_runs::finished_at.eq(Utc::now() - Duration::hours(2)),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn working_day_offsets_keep_the_time_of_day() {
        // Friday 4 December 2026 10:00 Madrid + 1 working day = Monday 7, 10:00.
        let friday = crate::time::at(
            NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
            chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
        );
        let monday = crate::time::at(
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
            chrono::NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
        );
        assert_eq!(shifted(friday, 1, OffsetUnit::WorkingDays), monday);
        assert_eq!(
            shifted(friday, -2, OffsetUnit::Days),
            friday - Duration::days(2)
        );
    }

    #[test]
    fn the_window_covers_every_anchor_that_can_be_due() {
        let now = Utc::now();
        for (offset, unit) in [
            (-60, OffsetUnit::Days),
            (10, OffsetUnit::Days),
            (24, OffsetUnit::Hours),
            (1, OffsetUnit::WorkingDays),
            (-5, OffsetUnit::WorkingDays),
        ] {
            let (earliest, latest) = anchor_window(offset, unit, now);
            // An anchor whose moment is exactly now, and one whose moment is CATCH_UP ago.
            for moment in [now, now - CATCH_UP + Duration::minutes(1)] {
                let anchor = match unit {
                    OffsetUnit::Hours => moment - Duration::hours(offset.into()),
                    _ => moment - Duration::days(offset.into()),
                };
                if unit != OffsetUnit::WorkingDays {
                    assert!(anchor >= earliest && anchor <= latest, "{offset} {unit:?}");
                }
            }
        }
    }
}
