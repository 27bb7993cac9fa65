//! Rows of policies, their periods and endorsements, and the views the pages read.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::{policies, policy_endorsements, policy_periods};
use crate::policies::rules::{Frequency, Risk, Status};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = policies)]
pub struct Policy {
    pub id: i64,
    pub customer_id: i64,
    pub carrier_id: i64,
    pub product_id: i64,
    pub line_id: i64,
    pub number: String,
    pub status: Status,
    pub risk: serde_json::Value,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub net_premium_cents: i64,
    pub total_premium_cents: i64,
    pub payment_frequency: String,
    pub agent_staff_id: Option<i64>,
    pub status_reason: Option<String>,
    pub status_changed_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Policy {
    pub fn status(&self) -> Status {
        self.status
    }

    pub fn frequency(&self) -> Option<Frequency> {
        Frequency::parse(&self.payment_frequency)
    }

    /// The stored risk, typed; `None` for data this version cannot read.
    pub fn risk(&self) -> Option<Risk> {
        serde_json::from_value(self.risk.clone()).ok()
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = policy_periods)]
pub struct Period {
    pub id: i64,
    pub policy_id: i64,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub net_premium_cents: i64,
    pub total_premium_cents: i64,
    pub created_at: DateTime<Utc>,
    pub created_by_staff_id: Option<i64>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = policy_endorsements)]
pub struct Endorsement {
    pub id: i64,
    pub policy_id: i64,
    pub effective_date: NaiveDate,
    pub description: String,
    pub premium_change_cents: i64,
    pub created_at: DateTime<Utc>,
    pub created_by_staff_id: Option<i64>,
}

/// A policy as lists show it: with the names of its customer, carrier, line and agent.
#[derive(Debug, Clone, Queryable)]
pub struct PolicyRow {
    pub id: i64,
    pub number: String,
    pub status: Status,
    pub start_date: NaiveDate,
    pub end_date: NaiveDate,
    pub net_premium_cents: i64,
    pub total_premium_cents: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub carrier_name: String,
    pub line_name: String,
    pub product_name: String,
    pub agent_name: Option<String>,
}

impl PolicyRow {
    pub fn status(&self) -> Status {
        self.status
    }
}

/// One policy with everything its page shows.
#[derive(Debug, Clone)]
pub struct PolicyDetail {
    pub policy: Policy,
    pub customer_name: String,
    pub carrier_name: String,
    pub product_name: String,
    pub line_code: String,
    pub line_name: String,
    pub agent_name: Option<String>,
    pub periods: Vec<Period>,
    pub endorsements: Vec<Endorsement>,
    /// Its receipts by period (one query, capped).
    pub receipts: Vec<crate::receipts::Receipt>,
    pub history: Vec<HistoryEntry>,
    /// The premium the carrier announced for the period after the current one, when the agent
    /// recorded it (the renewal notice shows it).
    pub renewal_premium_cents: Option<i64>,
}

/// A status change or other audited event of a policy.
#[derive(Debug, Clone, Queryable)]
pub struct HistoryEntry {
    pub occurred_at: DateTime<Utc>,
    pub actor_label: String,
    pub action: String,
    pub details: serde_json::Value,
}

impl HistoryEntry {
    pub fn label(&self) -> &'static str {
        crate::audit::Action::parse(&self.action)
            .map(|a| a.label())
            .unwrap_or("Cambio")
    }

    /// The reason recorded with the change, if any.
    pub fn reason(&self) -> String {
        self.details
            .get("motivo")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    }

    /// "En vigor → Suspendida" for status changes.
    pub fn change(&self) -> String {
        let status = &self.details["estado"];
        let word = |v: &serde_json::Value| {
            v.as_str()
                .and_then(Status::parse)
                .map(|s| s.label())
                .unwrap_or_default()
        };
        match (word(&status["before"]), word(&status["after"])) {
            ("", "") => String::new(),
            (before, after) => format!("{before} → {after}"),
        }
    }
}

/// Policies per carrier and line, for the portfolio header.
#[derive(Debug, Clone, Queryable)]
pub struct PortfolioCount {
    pub carrier_name: String,
    pub line_name: String,
    pub policies: i64,
}

/// An option of the product select: with its carrier and line.
#[derive(Debug, Clone, Queryable)]
pub struct ProductOption {
    pub id: i64,
    pub name: String,
    pub carrier_id: i64,
    pub carrier_name: String,
    pub line_code: String,
    pub line_name: String,
}

/// A (id, name) option of a select.
#[derive(Debug, Clone, Queryable)]
pub struct NamedOption {
    pub id: i64,
    pub name: String,
}
