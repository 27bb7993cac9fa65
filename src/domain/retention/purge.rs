//! The purge: removes (or, for leads, anonymises) what the retention schedule says is past its
//! period, category by category, in batches of [`BATCH`] rows each in its own transaction (so
//! a purge of a million rows never holds a lock for long, and a crash half-way leaves only
//! whole batches done: the next run finds the rest). Every night once (`run_nightly_if_due`,
//! from the worker's housekeeping round) or when staff ask (`run`); each run is recorded with
//! what it removed per category.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamptz};

use super::{Category, rules};
use crate::audit::{self, Action, Actor, NewEntry};
use crate::db::schema::{retention_runs, staff_users};

/// Rows removed per statement and transaction.
pub const BATCH: i64 = 5_000;
/// The Madrid time from which the nightly purge runs (the office is closed, the worker is idle).
pub const NIGHTLY_AT: NaiveTime = match NaiveTime::from_hms_opt(3, 0, 0) {
    Some(time) => time,
    None => panic!("03:00 is a time"),
};
/// What blocked customers' sealed data destroyed at the end of their legal period is called
/// in a run's report (not a category of the schedule: the law sets that period).
pub const BLOCKED_DESTROYED: &str = "blocked_customers";

/// Who started a purge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    Nightly,
    Manual,
}

impl Trigger {
    pub fn code(self) -> &'static str {
        match self {
            Trigger::Nightly => "nightly",
            Trigger::Manual => "manual",
        }
    }
}

/// What one purge removed: rows per category code, in the order of the schedule.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub removed: BTreeMap<&'static str, usize>,
}

impl Report {
    pub fn total(&self) -> usize {
        self.removed.values().sum()
    }

    pub fn of(&self, category: Category) -> usize {
        self.removed.get(category.code()).copied().unwrap_or(0)
    }
}

/// Runs the purge once for the Madrid date of `now` when it is past [`NIGHTLY_AT`] and no
/// nightly purge ran that date: the run's row is inserted first under a unique index on the
/// date, so two workers never both purge. `None` when it was not due.
pub fn run_nightly_if_due(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Report>> {
    let today = crate::time::date_of(now);
    if now < crate::time::at(today, NIGHTLY_AT) {
        return Ok(None);
    }
    let claimed: Option<i64> = diesel::insert_into(retention_runs::table)
        .values((
            retention_runs::run_on.eq(today),
            retention_runs::trigger.eq(Trigger::Nightly.code()),
            retention_runs::started_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .returning(retention_runs::id)
        .get_result(conn)
        .optional()?;
    let Some(run_id) = claimed else {
        return Ok(None);
    };
    let report = purge(conn, now)?;
    finish(conn, run_id, &report, now, &Actor::system())?;
    Ok(Some(report))
}

/// A purge asked for by staff (the schedule page's button, `soriano purge`): runs now, whatever
/// ran tonight, and is recorded as manual.
pub fn run(conn: &mut PgConnection, now: DateTime<Utc>, by: &Actor) -> anyhow::Result<Report> {
    let run_id: i64 = diesel::insert_into(retention_runs::table)
        .values((
            retention_runs::run_on.eq(crate::time::date_of(now)),
            retention_runs::trigger.eq(Trigger::Manual.code()),
            retention_runs::started_at.eq(now),
            retention_runs::started_by_staff_id.eq(by.staff()),
        ))
        .returning(retention_runs::id)
        .get_result(conn)?;
    let report = purge(conn, now)?;
    finish(conn, run_id, &report, now, by)?;
    Ok(report)
}

fn finish(
    conn: &mut PgConnection,
    run_id: i64,
    report: &Report,
    now: DateTime<Utc>,
    by: &Actor,
) -> anyhow::Result<()> {
    let removed = serde_json::to_value(&report.removed)?;
    conn.transaction(|conn| {
        diesel::update(retention_runs::table.find(run_id))
            .set((
                retention_runs::finished_at.eq(now),
                retention_runs::removed.eq(&removed),
            ))
            .execute(conn)?;
        audit::record(
            conn,
            &NewEntry {
                target_type: Some("retention_run"),
                target_id: Some(run_id),
                details: serde_json::json!({ "borrado": removed }),
                ..by.entry(Action::RetentionPurged)
            },
        )
    })?;
    Ok(())
}

/// Applies every category's period as of `now`, then destroys the sealed data of blocked
/// customers whose legal period ended.
pub fn purge(conn: &mut PgConnection, now: DateTime<Utc>) -> anyhow::Result<Report> {
    let mut report = Report::default();
    for rule in rules(conn)? {
        let cutoff = now - Duration::days(i64::from(rule.period_days));
        let removed = purge_category(conn, rule.category, cutoff)?;
        report.removed.insert(rule.category.code(), removed);
    }
    let today = now.with_timezone(&crate::time::ZONE).date_naive();
    let destroyed = conn.transaction(|conn| crate::blocking::destroy_expired(conn, today))?;
    report.removed.insert(BLOCKED_DESTROYED, destroyed);
    Ok(report)
}

/// Removes what `category` holds from before `cutoff`, a batch per transaction, until
/// nothing is left. Returns how many rows.
pub fn purge_category(
    conn: &mut PgConnection,
    category: Category,
    cutoff: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut total = 0;
    loop {
        let removed = conn.transaction(|conn| batch(conn, category, cutoff))?;
        total += removed;
        if (removed as i64) < BATCH {
            return Ok(total);
        }
    }
}

/// `DELETE` of up to [`BATCH`] rows of `table` matching `condition` (which binds the cutoff
/// as `$1`); by `ctid`, so tables with any primary key take the same statement.
fn delete_batch(
    conn: &mut PgConnection,
    table: &str,
    condition: &str,
    cutoff: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "DELETE FROM {table} WHERE ctid = ANY(ARRAY(\
             SELECT ctid FROM {table} WHERE {condition} LIMIT $2 FOR UPDATE SKIP LOCKED))"
    ))
    .bind::<Timestamptz, _>(cutoff)
    .bind::<BigInt, _>(BATCH)
    .execute(conn)
}

fn batch(conn: &mut PgConnection, category: Category, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    match category {
        Category::UnconvertedLeads => anonymise_leads(conn, cutoff),
        Category::FormTokens => delete_batch(conn, "form_submissions", "created_at < $1", cutoff),
        Category::RateLimitHits => delete_batch(conn, "rate_limit_hits", "hit_at < $1", cutoff),
        Category::LoginAttempts => {
            delete_batch(conn, "login_attempts", "attempted_at < $1", cutoff)
        }
        Category::Sessions => delete_batch(conn, "sessions", "created_at < $1", cutoff),
        Category::SignInHistory => {
            delete_batch(conn, "client_sign_ins", "signed_in_at < $1", cutoff)
        }
        Category::UsedTokens => Ok(
            delete_batch(conn, "staff_tokens", "expires_at < $1", cutoff)?
                + delete_batch(conn, "client_tokens", "expires_at < $1", cutoff)?,
        ),
        Category::OutboxEmails => delete_batch(
            conn,
            "outbound_emails",
            "status IN ('sent', 'failed') AND created_at < $1",
            cutoff,
        ),
        Category::AccessLog => delete_batch(conn, "access_log", "at < $1", cutoff),
    }
}

/// Leads that never became customers and saw no change since `cutoff`: their form
/// submissions and consents are deleted, the quotes made for them lose the prospect's
/// identity, their notes are emptied, and name, contact and NIF become a neutral text. The
/// row stays, so the conversion figures by source, campaign and landing still count it.
fn anonymise_leads(conn: &mut PgConnection, cutoff: DateTime<Utc>) -> QueryResult<usize> {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let ids: Vec<i64> = diesel::sql_query(
        "SELECT id FROM leads
          WHERE customer_id IS NULL AND converted_at IS NULL AND anonymised_at IS NULL
            AND updated_at < $1
            AND NOT EXISTS (SELECT 1 FROM quotes q WHERE q.lead_id = leads.id AND q.policy_id IS NOT NULL)
          ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED",
    )
    .bind::<Timestamptz, _>(cutoff)
    .bind::<BigInt, _>(BATCH)
    .load::<Id>(conn)?
    .into_iter()
    .map(|row| row.id)
    .collect();
    if ids.is_empty() {
        return Ok(0);
    }
    use diesel::sql_types::{Array, Int8};
    let statements = [
        "DELETE FROM lead_consents WHERE lead_id = ANY($1)",
        "DELETE FROM lead_submissions WHERE lead_id = ANY($1)",
        "UPDATE lead_events SET note = '' WHERE lead_id = ANY($1) AND note <> ''",
        "UPDATE quotes SET prospect_name = 'Solicitud anonimizada', prospect_email = NULL,
                prospect_phone = NULL, notes = ''
          WHERE lead_id = ANY($1) AND customer_id IS NULL",
        "UPDATE leads SET full_name = 'Solicitud anonimizada', email = NULL, phone = NULL,
                postcode = NULL, tax_id = NULL, referrer = NULL, notes = '',
                possible_duplicate_of = NULL, anonymised_at = now()
          WHERE id = ANY($1)",
    ];
    for statement in statements {
        diesel::sql_query(statement)
            .bind::<Array<Int8>, _>(&ids)
            .execute(conn)?;
    }
    Ok(ids.len())
}

/// One past run, for the schedule page.
#[derive(Debug, Clone)]
pub struct PastRun {
    pub id: i64,
    pub trigger: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub removed: BTreeMap<String, usize>,
    pub started_by: Option<String>,
}

/// A run's row as read: id, trigger, started, finished, removed, started by.
type RunRow = (
    i64,
    String,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
    serde_json::Value,
    Option<String>,
);

/// The latest `limit` runs, newest first.
pub fn recent_runs(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<PastRun>> {
    let rows: Vec<RunRow> = retention_runs::table
        .left_join(
            staff_users::table.on(staff_users::id
                .nullable()
                .eq(retention_runs::started_by_staff_id)),
        )
        .order((retention_runs::started_at.desc(), retention_runs::id.desc()))
        .limit(limit)
        .select((
            retention_runs::id,
            retention_runs::trigger,
            retention_runs::started_at,
            retention_runs::finished_at,
            retention_runs::removed,
            staff_users::name.nullable(),
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(id, trigger, started_at, finished_at, removed, started_by)| PastRun {
                id,
                trigger,
                started_at,
                finished_at,
                removed: serde_json::from_value(removed).unwrap_or_default(),
                started_by,
            },
        )
        .collect())
}
