//! Scheduled work of the background worker, run about once a minute: purge expired sessions,
//! expire policies nobody renewed and quotes past their validity, remind agents of
//! renewals coming up and of receipts still unpaid 15 days after their due date, lapse SEPA
//! mandates unused for 36 months, warn the customer service department of complaints near
//! their deadline, and queue the weekly analytics digests due (`crate::digest`).
//!
//! Each step is its own transaction and takes a bounded batch, so one slow step never holds
//! the others back for long, and a crash in the middle leaves nothing half-done.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use crate::db::schema::{domain_events, policies};
use crate::events;
use crate::policies::queries::{self as policy_queries, Actor};

/// Policies expired or reminded per round; the next round takes the rest.
pub const BATCH: i64 = 200;
/// How long before the end date the agent gets a renewal task.
pub const RENEWAL_NOTICE_DAYS: i64 = 30;

/// What one round did, for the log.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub sessions_purged: usize,
    /// Files attached to a form that came back with errors and never sent.
    pub pending_uploads_purged: usize,
    pub policies_expired: usize,
    pub quotes_expired: usize,
    pub renewals_flagged: usize,
    pub receipts_flagged: usize,
    /// SEPA mandates unused for 36 months, lapsed.
    pub mandates_expired: usize,
    /// Complaints near their deadline, whose handlers got a task.
    pub complaints_warned: usize,
    /// Weekly analytics digests queued.
    pub digests_queued: usize,
}

/// Runs every step for `today` (the Madrid date). `base_url` is the site's public address,
/// for the links of the e-mails queued; without one (a worker that runs no automation, a
/// tool) the weekly digests wait for a round that has it.
pub fn run(
    conn: &mut PgConnection,
    today: NaiveDate,
    base_url: Option<&url::Url>,
) -> anyhow::Result<Report> {
    let sessions_purged = crate::auth::sessions::purge_expired(conn)?;
    let pending_uploads_purged = crate::documents::pending::purge_stale(conn, chrono::Utc::now())?;
    let policies_expired = conn.transaction(|conn| {
        policy_queries::expire_overdue(conn, today, BATCH, &Actor::system())
            .map_err(|e| anyhow::anyhow!("expiring policies: {e:?}"))
    })?;
    let quotes_expired = conn.transaction(|conn| crate::quotes::expire_overdue(conn, today))?;
    let renewals_flagged = conn.transaction(|conn| flag_renewals(conn, today))?;
    let receipts_flagged =
        conn.transaction(|conn| crate::receipts::flag_overdue(conn, today, BATCH))?;
    let mandates_expired = crate::collection::mandates::expire_unused(conn, today)?;
    let complaints_warned = conn.transaction(|conn| crate::complaints::warn_due(conn, today))?;
    let digests_queued = match base_url {
        Some(base_url) => crate::digest::send_due(conn, today, base_url)?,
        None => 0,
    };
    Ok(Report {
        sessions_purged,
        pending_uploads_purged,
        policies_expired,
        quotes_expired,
        renewals_flagged,
        receipts_flagged,
        mandates_expired,
        complaints_warned,
        digests_queued,
    })
}

/// For each active policy ending within [`RENEWAL_NOTICE_DAYS`], once per end date: a
/// `policy.expiring_soon` event (the renewal tasks and notices are automation rules on the
/// end date). The event doubles as the "already done" mark, so reruns add nothing.
pub fn flag_renewals(conn: &mut PgConnection, today: NaiveDate) -> anyhow::Result<usize> {
    let horizon = today + Duration::days(RENEWAL_NOTICE_DAYS);
    let flagged = diesel::dsl::exists(
        domain_events::table
            .filter(domain_events::entity_type.eq("policy"))
            .filter(domain_events::entity_id.eq(policies::id))
            .filter(domain_events::kind.eq("policy.expiring_soon"))
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
                "domain_events.payload ->> 'end_date' = policies.end_date::text",
            )),
    );
    let due: Vec<(i64, String, NaiveDate)> = policies::table
        .filter(policies::status.eq("active"))
        .filter(policies::end_date.between(today, horizon))
        .filter(diesel::dsl::not(flagged))
        .order((policies::end_date, policies::id))
        .limit(BATCH)
        .select((policies::id, policies::number, policies::end_date))
        .for_update()
        .skip_locked()
        .load(conn)?;
    for (id, number, end_date) in &due {
        events::publish(
            conn,
            "policy.expiring_soon",
            "policy",
            *id,
            serde_json::json!({ "number": number, "end_date": end_date.to_string() }),
        )?;
    }
    Ok(due.len())
}
