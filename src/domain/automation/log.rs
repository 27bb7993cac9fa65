//! Reading what the rules did: the run log of a rule, of a customer (their timeline), and
//! what is stuck (parked events and runs) for an admin to retry.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::{automation_rules, automation_runs, domain_events};
use crate::listing::{Cursor, PAGE_SIZE, Page};

/// One run as the logs show it.
#[derive(Debug, Clone, Queryable)]
pub struct RunEntry {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub occurrence: String,
    pub event_id: Option<i64>,
    pub entity_type: String,
    pub entity_id: i64,
    pub customer_id: Option<i64>,
    pub status: String,
    pub attempts: i32,
    pub outcome: String,
    pub last_error: Option<String>,
    pub finished_at: DateTime<Utc>,
}

impl RunEntry {
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "done" => "Hecha",
            "failed" => "Fallida, se reintentará",
            _ => "Detenida",
        }
    }

    pub fn badge_class(&self) -> &'static str {
        match self.status.as_str() {
            "done" => "badge-ok",
            "failed" => "badge-warn",
            _ => "badge-error",
        }
    }

    /// The record it acted on, as a back-office link (`None` for schedules).
    pub fn record_link(&self) -> Option<(String, String)> {
        let (path, label) = match self.entity_type.as_str() {
            "claim" => ("siniestros", "Siniestro"),
            "policy" => ("polizas", "Póliza"),
            "quote" => ("presupuestos", "Presupuesto"),
            "receipt" => ("recibos", "Recibo"),
            "lead" => ("leads", "Lead"),
            "customer" => ("clientes", "Cliente"),
            "message" => ("mensajes", "Conversación"),
            _ => return None,
        };
        Some((
            format!("/admin/{path}/{}", self.entity_id),
            format!("{label} n.º {}", self.entity_id),
        ))
    }

    pub fn lines(&self) -> Vec<&str> {
        self.outcome.lines().collect()
    }
}

type RunColumns = (
    automation_runs::id,
    automation_runs::rule_id,
    automation_rules::name,
    automation_runs::occurrence,
    automation_runs::event_id,
    automation_runs::entity_type,
    automation_runs::entity_id,
    automation_runs::customer_id,
    automation_runs::status,
    automation_runs::attempts,
    automation_runs::outcome,
    automation_runs::last_error,
    automation_runs::finished_at,
);

const RUN_COLUMNS: RunColumns = (
    automation_runs::id,
    automation_runs::rule_id,
    automation_rules::name,
    automation_runs::occurrence,
    automation_runs::event_id,
    automation_runs::entity_type,
    automation_runs::entity_id,
    automation_runs::customer_id,
    automation_runs::status,
    automation_runs::attempts,
    automation_runs::outcome,
    automation_runs::last_error,
    automation_runs::finished_at,
);

/// A page of one rule's runs, newest first.
pub fn of_rule(
    conn: &mut PgConnection,
    rule_id: i64,
    cursor: Option<Cursor>,
) -> QueryResult<Page<RunEntry>> {
    let query = automation_runs::table
        .inner_join(automation_rules::table)
        .filter(automation_runs::rule_id.eq(rule_id))
        .select(RUN_COLUMNS)
        .limit(PAGE_SIZE + 1)
        .into_boxed();
    let query = match cursor {
        None => query.order(automation_runs::id.desc()),
        Some(Cursor::After(id)) => query
            .filter(automation_runs::id.lt(id))
            .order(automation_runs::id.desc()),
        Some(Cursor::Before(id)) => query
            .filter(automation_runs::id.gt(id))
            .order(automation_runs::id.asc()),
    };
    let rows = query.load(conn)?;
    Ok(Page::assemble(rows, cursor, PAGE_SIZE, |r| r.id))
}

/// The latest runs about one customer (their timeline), newest first.
pub fn of_customer(
    conn: &mut PgConnection,
    customer_id: i64,
    limit: i64,
) -> QueryResult<Vec<RunEntry>> {
    automation_runs::table
        .inner_join(automation_rules::table)
        .filter(automation_runs::customer_id.eq(customer_id))
        .order(automation_runs::id.desc())
        .limit(limit)
        .select(RUN_COLUMNS)
        .load(conn)
}

/// Runs that did not succeed (failed, waiting for a retry, or parked), newest first.
pub fn unfinished(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<RunEntry>> {
    automation_runs::table
        .inner_join(automation_rules::table)
        .filter(automation_runs::status.ne("done"))
        .order(automation_runs::id.desc())
        .limit(limit)
        .select(RUN_COLUMNS)
        .load(conn)
}

/// An event set aside after too many failures.
#[derive(Debug, Clone, Queryable)]
pub struct ParkedEvent {
    pub id: i64,
    pub kind: String,
    pub entity_type: String,
    pub entity_id: i64,
    pub payload: Value,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub parked_at: Option<DateTime<Utc>>,
}

impl ParkedEvent {
    pub fn label(&self) -> &str {
        super::rules::event_label(&self.kind)
    }
}

pub fn parked_events(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<ParkedEvent>> {
    domain_events::table
        .filter(domain_events::parked_at.is_not_null())
        .order(domain_events::id.desc())
        .limit(limit)
        .select((
            domain_events::id,
            domain_events::kind,
            domain_events::entity_type,
            domain_events::entity_id,
            domain_events::payload,
            domain_events::attempts,
            domain_events::last_error,
            domain_events::parked_at,
        ))
        .load(conn)
}

/// (rule id, runs done, when it last acted).
pub type RuleTotal = (i64, i64, Option<DateTime<Utc>>);

/// How many runs each rule has done, and when it last acted.
pub fn totals(conn: &mut PgConnection) -> QueryResult<Vec<RuleTotal>> {
    use diesel::dsl::{count_star, max};
    automation_runs::table
        .filter(automation_runs::status.eq("done"))
        .group_by(automation_runs::rule_id)
        .select((
            automation_runs::rule_id,
            count_star(),
            max(automation_runs::finished_at),
        ))
        .load(conn)
}
