//! Quotes (presupuestos): priced offers for a customer or a prospect, with one option per
//! carrier, moving draft → sent → accepted | rejected | expired ([`status`]). Accepting one
//! issues the chosen option as a policy (and the prospect as a customer) in the caller's
//! transaction. No HTTP here: the back-office, and later the portal and the taxi quoter, call
//! these functions.
//!
//! Every change writes an audit entry (`target_type = "quote"`) on the same connection; the
//! quote's history is read back from those entries. Queries take a [`PortfolioScope`]: an agent
//! reaches the quotes they carry and those of the customers they own; any other id reads as
//! missing.
//!
//! [`PortfolioScope`]: crate::auth::permissions::PortfolioScope

pub mod client;
mod commands;
mod form;
mod queries;
pub mod sale;
pub mod status;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;

use crate::db::DbError;
use crate::db::schema::{quote_options, quotes};
use crate::validation::FieldErrors;

pub use crate::policies::Actor;
pub use commands::{
    AcceptInput, NewOption, NewQuote, Prospect, accept, add_option, choose_option, create,
    expire_overdue, reject, remove_option, send, split_name,
};
pub use form::{
    ADD_OPTION_FIELDS, AcceptForm, OPTION_SLOTS, OptionFields, OptionInput, QuoteForm, SLOT_FIELDS,
    parse_option, validate_form,
};
pub use queries::{
    CustomerQuote, HistoryEntry, ListFilter, ListRow, OptionRow, QuoteDetail, detail, export,
    history, in_scope, list, of_customer,
};
pub use status::{QuoteStatus, TransitionError};

/// The `target_type` of audit entries and `entity_type` of events about a quote.
pub const AUDIT_TARGET: &str = crate::audit::target::QUOTE;
/// Days a new quote stays valid unless the form says otherwise.
pub const DEFAULT_VALIDITY_DAYS: u64 = 30;
/// Most options one quote may carry.
pub const MAX_OPTIONS: usize = 6;
/// Longest notes, reasons and coverage summaries kept.
pub const MAX_TEXT: usize = 4000;

/// Where a quote was made (`quotes.source`): (code, Spanish label).
pub const SOURCES: &[(&str, &str)] = &[
    ("backoffice", "Oficina"),
    ("taxi", "Cotizador de taxi"),
    ("portal", "Área de clientes"),
    ("landing", "Página de campaña"),
];

pub fn source_label(code: &str) -> &str {
    SOURCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or(code)
}

/// A quote as stored (the columns the application reads).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quotes)]
pub struct Quote {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub lead_id: Option<i64>,
    pub prospect_name: Option<String>,
    pub prospect_email: Option<String>,
    pub prospect_phone: Option<String>,
    pub line_id: i64,
    pub risk: serde_json::Value,
    pub status: QuoteStatus,
    pub valid_until: NaiveDate,
    pub chosen_option_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub source: String,
    pub agent_staff_id: Option<i64>,
    pub created_by_staff_id: Option<i64>,
    pub status_reason: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub notes: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// When the client accepted an option in e-SORI (the policy is still issued by staff).
    pub client_accepted_at: Option<DateTime<Utc>>,
    pub client_accepted_option_id: Option<i64>,
}

impl Quote {
    pub fn status(&self) -> QuoteStatus {
        self.status
    }

    /// The insured risk, in the shape of `policies.risk`.
    pub fn risk(&self) -> Option<crate::policies::Risk> {
        serde_json::from_value(self.risk.clone()).ok()
    }
}

/// One priced option of a quote.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = quote_options)]
pub struct QuoteOption {
    pub id: i64,
    pub quote_id: i64,
    pub carrier_id: i64,
    pub product_id: Option<i64>,
    pub coverage_level: String,
    pub coverage_summary: String,
    pub net_premium_cents: i64,
    pub total_premium_cents: i64,
    pub breakdown: serde_json::Value,
    pub tariff_version_id: Option<i64>,
    pub position: i32,
}

/// One line of an option's price explanation (`breakdown.lines`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BreakdownLine {
    pub label: String,
    pub amount_cents: i64,
}

/// The lines of a `breakdown` JSON (`{"lines":[{"label":..,"amount_cents":..}],"total_cents":..}`);
/// empty when absent or not of that shape.
pub fn breakdown_lines(breakdown: &serde_json::Value) -> Vec<BreakdownLine> {
    breakdown
        .get("lines")
        .and_then(|lines| lines.as_array())
        .map(|lines| {
            lines
                .iter()
                .filter_map(|line| {
                    Some(BreakdownLine {
                        label: line.get("label")?.as_str()?.to_owned(),
                        amount_cents: line.get("amount_cents")?.as_i64()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Why a quote command was refused.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    /// No such quote (or option) within the caller's scope.
    #[error("no encontrado")]
    NotFound,
    /// Field messages for the form.
    #[error("datos no válidos")]
    Invalid(FieldErrors),
    /// The quote's state does not allow it now; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Database(DbError),
}

impl From<DbError> for QuoteError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(DieselError::NotFound) => QuoteError::NotFound,
            other => QuoteError::Database(other),
        }
    }
}

impl From<DieselError> for QuoteError {
    fn from(error: DieselError) -> Self {
        DbError::from(error).into()
    }
}

pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> QuoteError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    QuoteError::Invalid(errors)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn breakdown_lines_are_read_when_present() {
        let value = json!({"lines": [
            {"label": "Prima base", "amount_cents": 41000},
            {"label": "Recargo", "amount_cents": 1500},
            {"label": "sin importe"}
        ], "total_cents": 42500});
        assert_eq!(
            breakdown_lines(&value),
            vec![
                BreakdownLine {
                    label: "Prima base".into(),
                    amount_cents: 41000
                },
                BreakdownLine {
                    label: "Recargo".into(),
                    amount_cents: 1500
                },
            ]
        );
        assert!(breakdown_lines(&json!({})).is_empty());
    }
}
