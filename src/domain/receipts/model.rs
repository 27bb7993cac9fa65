//! Rows of receipts and the words the pages use for their states.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::receipts;

crate::text_enum!(Status);

/// The collection state of a receipt. Stored as the Spanish word (the table's CHECK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Pending,
    /// Sent to the bank in a SEPA remittance, waiting for its credit (or its return).
    Remitted,
    Collected,
    Returned,
    Cancelled,
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Remitted,
        Status::Collected,
        Status::Returned,
        Status::Cancelled,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Status::Pending => "pendiente",
            Status::Remitted => "remesado",
            Status::Collected => "cobrado",
            Status::Returned => "devuelto",
            Status::Cancelled => "anulado",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Pendiente",
            Status::Remitted => "Remesado",
            Status::Collected => "Cobrado",
            Status::Returned => "Devuelto",
            Status::Cancelled => "Anulado",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            Status::Pending => "badge badge-warn",
            Status::Remitted => "badge",
            Status::Collected => "badge badge-ok",
            Status::Returned => "badge badge-error",
            Status::Cancelled => "badge badge-muted",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Status::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Whether it may be collected now (a returned receipt may be collected again; a remitted
    /// one when the bank's credit arrives).
    pub fn collectable(self) -> bool {
        matches!(self, Status::Pending | Status::Remitted | Status::Returned)
    }

    pub fn returnable(self) -> bool {
        matches!(self, Status::Pending | Status::Remitted | Status::Collected)
    }

    pub fn cancellable(self) -> bool {
        self == Status::Pending
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = receipts)]
pub struct Receipt {
    pub id: i64,
    pub policy_id: i64,
    pub customer_id: i64,
    pub policy_period_id: Option<i64>,
    pub number: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub due_date: NaiveDate,
    pub amount_cents: i64,
    pub net_cents: i64,
    pub status: Status,
    pub collected_on: Option<NaiveDate>,
    pub returned_on: Option<NaiveDate>,
    pub return_reason: Option<String>,
    pub cancelled_on: Option<NaiveDate>,
    pub cancel_reason: Option<String>,
    pub overdue_flagged_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub remitted_on: Option<NaiveDate>,
}

impl Receipt {
    pub fn status(&self) -> Status {
        self.status
    }

    /// What the receipt's last change recorded: the return reason or the cancellation's.
    pub fn note(&self) -> Option<&str> {
        match self.status() {
            Status::Returned => self.return_reason.as_deref(),
            Status::Cancelled => self.cancel_reason.as_deref(),
            _ => None,
        }
    }

    /// Still unpaid after its due date.
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status().collectable() && self.due_date < today
    }
}

/// A receipt as the back-office list shows it: with its policy, customer, carrier and agent.
#[derive(Debug, Clone, Queryable)]
pub struct ReceiptRow {
    pub receipt: Receipt,
    pub policy_number: String,
    pub customer_name: String,
    pub carrier_name: String,
    pub agent_name: Option<String>,
}

/// Count and amounts of the receipts a filter selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Totals {
    pub count: i64,
    pub amount_cents: i64,
    pub pending_cents: i64,
    pub collected_cents: i64,
    pub returned_cents: i64,
}

/// A receipt with its policy number, for the client's pages.
#[derive(Debug, Clone, Queryable)]
pub struct ClientReceipt {
    pub receipt: Receipt,
    pub policy_number: String,
}
