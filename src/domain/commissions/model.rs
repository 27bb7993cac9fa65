//! Rows of commissions and settlements and the words the pages use for their states.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::{carrier_settlements, commissions};

crate::text_enum!(Kind);

/// A line earned by a collection, or the negative line of a return after collection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Earned,
    Reversal,
}

impl Kind {
    pub fn code(self) -> &'static str {
        match self {
            Kind::Earned => "earned",
            Kind::Reversal => "reversal",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Earned => "Cobro",
            Kind::Reversal => "Devolución",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [Kind::Earned, Kind::Reversal]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

crate::text_enum!(SettlementStatus);

/// The life of a settlement. Stored as the Spanish word (the table's CHECK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SettlementStatus {
    Draft,
    Issued,
    Paid,
}

impl SettlementStatus {
    pub const ALL: [SettlementStatus; 3] = [
        SettlementStatus::Draft,
        SettlementStatus::Issued,
        SettlementStatus::Paid,
    ];

    pub fn code(self) -> &'static str {
        match self {
            SettlementStatus::Draft => "borrador",
            SettlementStatus::Issued => "emitida",
            SettlementStatus::Paid => "cobrada",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SettlementStatus::Draft => "Borrador",
            SettlementStatus::Issued => "Emitida",
            SettlementStatus::Paid => "Cobrada",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            SettlementStatus::Draft => "badge badge-muted",
            SettlementStatus::Issued => "badge badge-warn",
            SettlementStatus::Paid => "badge badge-ok",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        SettlementStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = commissions)]
pub struct Commission {
    pub id: i64,
    pub receipt_id: i64,
    pub kind: Kind,
    pub collection: i32,
    pub carrier_id: i64,
    pub product_id: i64,
    pub policy_id: i64,
    pub agent_staff_id: Option<i64>,
    pub renewal: bool,
    pub base_cents: i64,
    pub rate_bp: i32,
    pub amount_cents: i64,
    pub agent_share_bp: i32,
    pub agent_amount_cents: i64,
    pub booked_on: NaiveDate,
    pub settlement_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl Commission {
    pub fn kind(&self) -> Kind {
        self.kind
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = carrier_settlements)]
pub struct Settlement {
    pub id: i64,
    pub carrier_id: i64,
    pub period: NaiveDate,
    pub status: SettlementStatus,
    pub line_count: i32,
    pub base_cents: i64,
    pub total_cents: i64,
    pub agent_cents: i64,
    pub created_by_staff_id: Option<i64>,
    pub issued_at: Option<DateTime<Utc>>,
    pub issued_by_staff_id: Option<i64>,
    pub paid_on: Option<NaiveDate>,
    pub received_cents: Option<i64>,
    pub paid_at: Option<DateTime<Utc>>,
    pub paid_by_staff_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Settlement {
    pub fn status(&self) -> SettlementStatus {
        self.status
    }

    /// Received minus expected, once paid.
    pub fn difference(&self) -> Option<i64> {
        self.received_cents
            .map(|received| crate::commissions::rules::difference(self.total_cents, received))
    }
}

/// A commission as the list shows it: with its receipt, policy, customer, carrier and agent.
#[derive(Debug, Clone, Queryable)]
pub struct CommissionRow {
    pub commission: Commission,
    pub receipt_number: String,
    pub policy_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub carrier_name: String,
    pub agent_name: Option<String>,
}

/// A settlement with its carrier's name.
#[derive(Debug, Clone, Queryable)]
pub struct SettlementRow {
    pub settlement: Settlement,
    pub carrier_name: String,
}

/// Count and sums of the lines a filter selects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListTotals {
    pub count: i64,
    pub base_cents: i64,
    pub amount_cents: i64,
    pub agent_cents: i64,
}

/// One cell of the per-agent report: a month and an agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentMonth {
    pub month: NaiveDate,
    pub agent_id: Option<i64>,
    pub agent_name: Option<String>,
    pub lines: i64,
    pub commission_cents: i64,
    pub agent_cents: i64,
}

/// A month: its first day.
pub fn month_start(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of the month that starts on (or contains) `day`.
pub fn month_end(day: NaiveDate) -> NaiveDate {
    let first = month_start(day);
    first
        .checked_add_months(chrono::Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(first)
}

pub use crate::format::month_label;

/// "2026-11", what `<input type="month">` sends and shows.
pub fn month_code(day: NaiveDate) -> String {
    day.format("%Y-%m").to_string()
}

/// Reads "2026-11" (or "11/2026") as the first day of that month.
pub fn parse_month(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let (year, month) = if let Some((y, m)) = text.split_once('-') {
        (y, m)
    } else {
        let (m, y) = text.split_once('/')?;
        (y, m)
    };
    let year: i32 = year.trim().parse().ok()?;
    let month: u32 = month.trim().parse().ok()?;
    if !(2000..=2100).contains(&year) {
        return None;
    }
    NaiveDate::from_ymd_opt(year, month, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_read_written_and_bounded() {
        let nov = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(parse_month("2026-11"), Some(nov));
        assert_eq!(parse_month("11/2026"), Some(nov));
        assert_eq!(parse_month("2026-13"), None);
        assert_eq!(parse_month("noviembre"), None);
        assert_eq!(parse_month(""), None);
        assert_eq!(month_code(nov), "2026-11");
        assert_eq!(month_label(nov), "noviembre de 2026");
        let feb = NaiveDate::from_ymd_opt(2028, 2, 14).unwrap();
        assert_eq!(
            month_start(feb),
            NaiveDate::from_ymd_opt(2028, 2, 1).unwrap()
        );
        assert_eq!(
            month_end(feb),
            NaiveDate::from_ymd_opt(2028, 2, 29).unwrap()
        );
        assert_eq!(
            month_end(NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()),
            NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
    }

    #[test]
    fn codes_parse_back() {
        for status in SettlementStatus::ALL {
            assert_eq!(SettlementStatus::parse(status.code()), Some(status));
        }
        assert_eq!(Kind::parse("reversal"), Some(Kind::Reversal));
        assert_eq!(Kind::parse("x"), None);
    }
}
