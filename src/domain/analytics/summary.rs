//! The whole book's figures of each month that has ended, as summary rows (migration
//! `…_analytics_months`), so that a report over a year reads a few hundred rows per month
//! rather than every period, receipt, claim and commission line of the year.
//!
//! Every figure is made of *facts*: rows of the same shape (carrier, line, agent, month, a text
//! key, four measures that add up) that each report module writes for its [`Kind`] over any
//! range of days. A summary row is the sum of one month's facts; a report adds the summary rows
//! of the months it may use ([`usable`]: summarised and not marked dirty since) to the facts of
//! the other days ([`gaps`]), so its figures are the same either way. [`refresh`] (the
//! worker) recomputes dirty and missing months with the same facts.

use std::time::{Duration, Instant};

use chrono::{Datelike, Months, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::Date;

use super::Days;

/// The facts a figure is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// New policies by their first period's start (production).
    Production,
    /// Periods ending, and whether a new one followed (retention).
    Renewals,
    /// Policies cancelled, by reason (retention).
    Cancellations,
    /// Claims that happened: count, paid and reserve (loss ratio).
    Losses,
    /// Periods of cover starting and stopping, with their daily premium: the whole book's
    /// earned premium as running sums (loss ratio).
    Earning,
    /// Premium earned within the days by the periods overlapping them (an agent's; not
    /// summarised).
    Earned,
    /// Receipts by collection class (receipts).
    Receipts,
    /// Returned receipts by reason (receipts).
    Returns,
    /// Commission lines booked (commissions).
    Commissions,
    /// Periods of cover starting (+1 and their annual premium: the book in force).
    BookStarts,
    /// Periods of cover ending or stopped (−1 and their annual premium).
    BookEnds,
    /// Periods of cover in force on the last day (an agent's book; not summarised).
    InForce,
}

impl Kind {
    pub const ALL: [Kind; 10] = [
        Kind::Production,
        Kind::Renewals,
        Kind::Cancellations,
        Kind::Losses,
        Kind::Earning,
        Kind::Receipts,
        Kind::Returns,
        Kind::Commissions,
        Kind::BookStarts,
        Kind::BookEnds,
    ];

    /// Its code in `analytics_months.kind`.
    pub fn code(self) -> &'static str {
        match self {
            Kind::Production => "production",
            Kind::Renewals => "renewals",
            Kind::Cancellations => "cancellations",
            Kind::Losses => "losses",
            Kind::Earning => "earning",
            Kind::Earned => "earned",
            Kind::Receipts => "receipts",
            Kind::Returns => "returns",
            Kind::Commissions => "commissions",
            Kind::BookStarts => "book_starts",
            Kind::BookEnds => "book_ends",
            Kind::InForce => "in_force",
        }
    }

    /// The SELECT of its facts dated within `days`: `carrier_id`, `line_id`,
    /// `agent_staff_id` (int8), `month` (date), `key_text` (text), `m1`..`m4` (numeric).
    pub(crate) fn facts(self, days: &Days) -> String {
        match self {
            Kind::Production => super::production::facts(days),
            Kind::Renewals => super::retention::renewal_facts(days),
            Kind::Cancellations => super::retention::cancellation_facts(days),
            Kind::Losses => super::loss_ratio::claim_facts(days),
            Kind::Earning => super::loss_ratio::earning_facts(days),
            Kind::Earned => super::loss_ratio::earned_facts(days),
            Kind::Receipts => super::receipts::class_facts(days),
            Kind::Returns => super::receipts::return_facts(days),
            Kind::Commissions => super::commissions::facts(days),
            Kind::BookStarts => super::portfolio::start_facts(days),
            Kind::BookEnds => super::portfolio::end_facts(days),
            Kind::InForce => super::portfolio::in_force_facts(days),
        }
    }
}

impl Kind {
    /// Whether its facts are running sums, read from the beginning of the book up to the last
    /// day of a report whatever its first day.
    pub fn since_the_beginning(self) -> bool {
        matches!(self, Kind::BookStarts | Kind::BookEnds | Kind::Earning)
    }

    /// How a report over the days `from` to `to` (SQL dates) reads its facts (`facts`, a
    /// statement of the facts' shape): as they are, but for running sums that weigh each
    /// fact by its day.
    pub(crate) fn read(self, facts: String, from: &str, to: &str) -> String {
        match self {
            Kind::Earning => super::loss_ratio::earning(&facts, from, to),
            _ => facts,
        }
    }
}

/// Before any policy: where running sums start.
pub fn the_beginning() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// A statement of facts that has none, for a range with nothing to read.
pub(crate) const NO_FACTS: &str = "SELECT NULL::int8 AS carrier_id, NULL::int8 AS line_id, \
     NULL::int8 AS agent_staff_id, NULL::date AS month, NULL::text AS key_text, \
     0::numeric AS m1, 0::numeric AS m2, 0::numeric AS m3, 0::numeric AS m4 WHERE FALSE";

#[derive(QueryableByName)]
struct Month {
    #[diesel(sql_type = Date)]
    month: NaiveDate,
}

/// The first day of `day`'s month.
fn first_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// The last day of the month starting on `month`.
fn last_of(month: NaiveDate) -> NaiveDate {
    month
        .checked_add_months(Months::new(1))
        .and_then(|next| next.pred_opt())
        .unwrap_or(month)
}

/// Whether the month starting on `month` holds days both before `day` and from it.
pub fn straddles(month: NaiveDate, day: NaiveDate) -> bool {
    month < day && day <= last_of(month)
}

/// The months wholly within `from`..`to` whose summary rows a report may read: summarised,
/// and not changed since (no dirty mark), in order.
pub fn usable(
    conn: &mut PgConnection,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Vec<NaiveDate>> {
    let rows: Vec<Month> = diesel::sql_query(
        "SELECT d.month FROM analytics_months_done d \
         WHERE d.month >= $1 AND d.month + interval '1 month' <= $2::date + 1 \
           AND NOT EXISTS (SELECT 1 FROM analytics_dirty x WHERE x.month = d.month) \
         ORDER BY d.month",
    )
    .bind::<Date, _>(from)
    .bind::<Date, _>(to)
    .load(conn)?;
    Ok(rows.into_iter().map(|row| row.month).collect())
}

/// The ranges of days of `from`..`to` that no month of `months` (in order, each wholly
/// inside) covers: what a report reads from the tables.
pub fn gaps(from: NaiveDate, to: NaiveDate, months: &[NaiveDate]) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut next = from;
    for &month in months {
        if month > next {
            out.push((next, month.pred_opt().unwrap_or(month)));
        }
        match last_of(month).succ_opt() {
            Some(after) => next = next.max(after),
            None => return out,
        }
    }
    if next <= to {
        out.push((next, to));
    }
    out
}

/// What [`refresh`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Refreshed {
    /// Customers whose spans of policies held were (re)built ([`super::holdings`]).
    pub customers: usize,
    /// Months summarised (again).
    pub months: usize,
    /// Months still to do when the time ran out.
    pub left: usize,
}

/// Rebuilds the spans of policies held of the customers that changed ([`super::holdings`]),
/// then summarises the months that changed since (dirty) and those never summarised, from the
/// first month with any facts to the last month that has ended, the most recent first, one
/// transaction each, until `budget` is spent.
pub fn refresh(conn: &mut PgConnection, budget: Duration) -> QueryResult<Refreshed> {
    let started = Instant::now();
    let customers = super::holdings::refresh(conn)?;
    // Dirty marks for months that are not summarised need no work: those months are read
    // from the tables until they are.
    diesel::sql_query(
        "DELETE FROM analytics_dirty x \
         WHERE NOT EXISTS (SELECT 1 FROM analytics_months_done d WHERE d.month = x.month)",
    )
    .execute(conn)?;
    let todo: Vec<Month> = diesel::sql_query(
        "WITH first AS ( \
            SELECT date_trunc('month', least( \
                (SELECT min(start_date) FROM policy_periods), \
                (SELECT min(due_date) FROM receipts), \
                (SELECT min(incident_date) FROM claims), \
                (SELECT min(booked_on) FROM commissions)))::date AS month) \
         SELECT m.month::date AS month \
         FROM first, generate_series(first.month, \
                                     date_trunc('month', current_date) - interval '1 month', \
                                     interval '1 month') AS m(month) \
         WHERE NOT EXISTS (SELECT 1 FROM analytics_months_done d WHERE d.month = m.month) \
         UNION \
         SELECT DISTINCT month FROM analytics_dirty \
         ORDER BY month DESC",
    )
    .load(conn)?;
    let today = crate::time::today();
    let mut done = 0;
    for (i, Month { month }) in todo.iter().enumerate() {
        if started.elapsed() >= budget {
            return Ok(Refreshed {
                customers,
                months: done,
                left: todo.len() - i,
            });
        }
        summarise(conn, *month, today)?;
        done += 1;
    }
    Ok(Refreshed {
        customers,
        months: done,
        left: 0,
    })
}

/// Recomputes the summary rows of `month` in one transaction, clearing its dirty marks first
/// (a change committed after that marks it again).
pub fn summarise(conn: &mut PgConnection, month: NaiveDate, today: NaiveDate) -> QueryResult<()> {
    let month = first_of(month);
    conn.transaction(|conn| {
        // Two workers summarising the same month take turns: the second replaces the
        // first's rows rather than adding to them.
        diesel::sql_query("SELECT pg_advisory_xact_lock(23, ($1 - DATE '2000-01-01'))")
            .bind::<Date, _>(month)
            .execute(conn)?;
        diesel::sql_query("DELETE FROM analytics_dirty WHERE month = $1")
            .bind::<Date, _>(month)
            .execute(conn)?;
        diesel::sql_query("DELETE FROM analytics_months WHERE month = $1")
            .bind::<Date, _>(month)
            .execute(conn)?;
        let days = Days::new(month, last_of(month), today.max(last_of(month)), false);
        for kind in Kind::ALL {
            diesel::sql_query(format!(
                "INSERT INTO analytics_months \
                    (kind, month, carrier_id, line_id, agent_staff_id, key_text, m1, m2, m3, m4) \
                 SELECT '{code}', $1, carrier_id, line_id, agent_staff_id, key_text, \
                        sum(m1), sum(m2), sum(m3), sum(m4) \
                 FROM ({facts}) AS facts \
                 GROUP BY carrier_id, line_id, agent_staff_id, key_text",
                code = kind.code(),
                facts = kind.facts(&days),
            ))
            .bind::<Date, _>(month)
            .execute(conn)?;
        }
        diesel::sql_query(
            "INSERT INTO analytics_months_done (month, refreshed_at) VALUES ($1, now()) \
             ON CONFLICT (month) DO UPDATE SET refreshed_at = now()",
        )
        .bind::<Date, _>(month)
        .execute(conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_gaps_are_the_days_no_summarised_month_covers() {
        let (from, to) = (day(2026, 1, 10), day(2026, 4, 20));
        assert_eq!(gaps(from, to, &[]), vec![(from, to)]);
        assert_eq!(
            gaps(from, to, &[day(2026, 2, 1), day(2026, 3, 1)]),
            vec![(from, day(2026, 1, 31)), (day(2026, 4, 1), to)]
        );
        // A dirty month in between is read from the tables.
        assert_eq!(
            gaps(
                day(2026, 1, 1),
                day(2026, 4, 30),
                &[day(2026, 1, 1), day(2026, 3, 1)]
            ),
            vec![
                (day(2026, 2, 1), day(2026, 2, 28)),
                (day(2026, 4, 1), day(2026, 4, 30))
            ]
        );
        assert_eq!(
            gaps(day(2026, 1, 1), day(2026, 1, 31), &[day(2026, 1, 1)]),
            vec![]
        );
        assert_eq!(last_of(day(2024, 2, 1)), day(2024, 2, 29));
    }

    #[test]
    fn a_month_straddles_a_day_within_it_after_its_first() {
        assert!(straddles(day(2025, 2, 1), day(2025, 2, 15)));
        assert!(straddles(day(2024, 2, 1), day(2024, 2, 29)));
        assert!(!straddles(day(2025, 2, 1), day(2025, 2, 1)));
        assert!(!straddles(day(2025, 2, 1), day(2025, 3, 1)));
        assert!(!straddles(day(2025, 2, 1), day(2025, 1, 31)));
    }
}
