//! Analytics: the brokerage's numbers over a period of days, each family of figures in its
//! own file: the portfolio in force at a date ([`portfolio`]), new business ([`production`]),
//! renewals and cancellations ([`retention`]), claims against earned premium
//! ([`loss_ratio`]), premium collection ([`receipts`]), commission earned ([`commissions`])
//! and policies per customer ([`cross_selling`]).
//!
//! Every report is one grouped SQL statement (`GROUPING SETS`: the total and each breakdown
//! at once) with the staff member's [`PortfolioScope`] applied inside it: an agent's figures
//! count only the customers they own, as the policy list does. The whole book's figures read
//! the monthly summary rows for the months that have them ([`summary`]) and the tables, over
//! indexes on dates, for the other days; cross-selling reads each customer's spans of policies
//! held ([`holdings`]). The functions return plain structs with amounts in cents; they know
//! nothing of pages, charts or files.

pub mod commissions;
pub mod cross_selling;
pub mod holdings;
pub mod loss_ratio;
pub mod portfolio;
pub mod production;
pub mod receipts;
pub mod retention;
pub mod summary;

pub use crate::auth::permissions::PortfolioScope;
use chrono::{Datelike, Duration, Months, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

/// A range of calendar days, both ends included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Self {
        Self { from, to }
    }

    /// From the first of January of `today`'s year to `today`: what the reports open on.
    pub fn year_to_date(today: NaiveDate) -> Self {
        let first = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        Self::new(first, today)
    }

    /// How many days the period holds.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// As many days as this one, ending the day before it starts.
    pub fn previous(&self) -> Self {
        let to = self.from - Duration::days(1);
        Self::new(to - Duration::days(self.days() - 1), to)
    }

    /// The same days a year earlier (29 February falls back to the 28th).
    pub fn year_before(&self) -> Self {
        let back = |day: NaiveDate| day.checked_sub_months(Months::new(12)).unwrap_or(day);
        Self::new(back(self.from), back(self.to))
    }
}

/// The first day of every month of `period`, in order, each with `value(month)`.
pub(crate) fn months<V>(period: Period, value: impl Fn(NaiveDate) -> V) -> Vec<(NaiveDate, V)> {
    let mut out = Vec::new();
    let mut month = period.from.with_day(1).unwrap_or(period.from);
    while month <= period.to {
        out.push((month, value(month)));
        match month.checked_add_months(Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    out
}

/// One bar of a breakdown: who or what it groups (`id` of the carrier, line or agent, `None`
/// for "without one"; `code` for text keys such as a lead source), its label and its values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group<V> {
    pub id: Option<i64>,
    pub code: Option<String>,
    pub label: String,
    pub values: V,
}

/// A ratio as basis points (10000 = 100 %), `None` when the denominator is zero.
pub fn ratio_bp(numerator: i64, denominator: i64) -> Option<i64> {
    if denominator == 0 {
        return None;
    }
    let scaled = i128::from(numerator) * 10_000;
    let denominator = i128::from(denominator);
    // Rounded half away from zero, in integers (no floating point on money).
    let rounded = (2 * scaled + denominator.signum() * scaled.signum() * denominator.abs())
        / (2 * denominator);
    i64::try_from(rounded).ok()
}

/// The shape every report statement answers in: which breakdown a row belongs to
/// (`dimension`: `total`, `carrier`, `line`, `agent`, `month`, `source`, `reason`, `status`),
/// its key, its label, and up to four values whose meaning each report gives.
#[derive(Debug, Clone, QueryableByName)]
pub(crate) struct Row {
    #[diesel(sql_type = Text)]
    pub dimension: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub key_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub key_text: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub key_date: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub label: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub v1: i64,
    #[diesel(sql_type = BigInt)]
    pub v2: i64,
    #[diesel(sql_type = BigInt)]
    pub v3: i64,
    #[diesel(sql_type = BigInt)]
    pub v4: i64,
}

/// The rows of `dimension` as groups, labelled (`none` names the group without a key).
pub(crate) fn groups<V>(
    rows: &[Row],
    dimension: &str,
    none: &str,
    values: impl Fn(&Row) -> V,
) -> Vec<Group<V>> {
    rows.iter()
        .filter(|row| row.dimension == dimension)
        .map(|row| Group {
            id: row.key_id,
            code: row.key_text.clone(),
            label: row
                .label
                .clone()
                .or_else(|| row.key_text.clone())
                .filter(|label| !label.trim().is_empty())
                .unwrap_or_else(|| none.to_owned()),
            values: values(row),
        })
        .collect()
}

/// The values of the one row of `dimension` `total` (zeros when the statement found nothing).
pub(crate) fn total<V: Default>(rows: &[Row], values: impl Fn(&Row) -> V) -> V {
    rows.iter()
        .find(|row| row.dimension == "total")
        .map(values)
        .unwrap_or_default()
}

/// Every month of `period`, in order, with the values of its `month` row (zeros for a month
/// without one).
pub(crate) fn by_month<V: Default>(
    rows: &[Row],
    period: Period,
    values: impl Fn(&Row) -> V,
) -> Vec<(NaiveDate, V)> {
    months(period, |month| {
        rows.iter()
            .find(|row| row.dimension == "month" && row.key_date == Some(month))
            .map(&values)
            .unwrap_or_default()
    })
}

/// The days a statement reads facts from, as SQL date literals, with what its facts need:
/// today (what is overdue) and whether the agent's scope (`$1`) applies.
pub(crate) struct Days {
    pub lo: String,
    pub hi: String,
    pub today: String,
    pub agent: bool,
}

impl Days {
    pub fn new(lo: NaiveDate, hi: NaiveDate, today: NaiveDate, agent: bool) -> Self {
        Self {
            lo: literal(lo),
            hi: literal(hi),
            today: literal(today),
            agent,
        }
    }

    /// The scope condition on the facts' customer column `customer`: the agent's own customers
    /// (the owner is bound as `$1`), or nothing to check for the whole book.
    pub fn scope(&self, customer: &str) -> String {
        if self.agent {
            scope_condition(1, customer)
        } else {
            "TRUE".to_owned()
        }
    }
}

/// A day as an SQL literal. Dates are written by chrono (`2026-12-07`), never by a user, so
/// they are safe to write into a statement; literal bounds let PostgreSQL plan each range of
/// days on its own.
fn literal(day: NaiveDate) -> String {
    format!("DATE '{}'", day.format("%Y-%m-%d"))
}

/// A report statement: the facts of `kinds` over a range of days (from the summary rows of the
/// months that have them, from the tables for the rest), summed by the total and each of
/// `sets`; a group whose sums are all zero is left out (running sums of the book in force
/// cancel out for a carrier without policies that day). The facts' `key_text` column is named `key` (`source`, `reason`, `class`), so that
/// a set can group by it.
pub(crate) struct Grouped<'a> {
    pub kinds: &'a [summary::Kind],
    pub key: &'a str,
    pub sets: &'a [&'a str],
}

impl Grouped<'_> {
    /// Runs the statement over the days `from` to `to` within `scope`, its rows labelled.
    pub fn load(
        &self,
        conn: &mut PgConnection,
        scope: PortfolioScope,
        from: NaiveDate,
        to: NaiveDate,
        today: NaiveDate,
    ) -> QueryResult<Vec<Row>> {
        let owner = scope.owner();
        // Running sums read from the beginning of the book; the rest from `from`.
        let earliest = if self.kinds.iter().any(|kind| kind.since_the_beginning()) {
            summary::the_beginning()
        } else {
            from
        };
        // An agent's book is read from the tables: it is small, and the summary is the whole
        // book's.
        let summarised = match owner {
            None => summary::usable(conn, earliest, to)?,
            Some(_) => Vec::new(),
        };
        let mut parts = Vec::new();
        for kind in self.kinds {
            let first = if kind.since_the_beginning() {
                earliest
            } else {
                from
            };
            // A running sum weighs its facts by whether they fall before `from`: a month that
            // holds both sides of it is read from the tables, day by day.
            let months: Vec<NaiveDate> = summarised
                .iter()
                .copied()
                .filter(|month| *month >= first && !summary::straddles(*month, from))
                .collect();
            let mut facts = Vec::new();
            if !months.is_empty() {
                let months: Vec<String> = months.iter().map(|m| literal(*m)).collect();
                facts.push(format!(
                    "SELECT carrier_id, line_id, agent_staff_id, month, key_text, \
                            m1, m2, m3, m4 \
                     FROM analytics_months WHERE kind = '{}' AND month IN ({})",
                    kind.code(),
                    months.join(", ")
                ));
            }
            for (lo, hi) in summary::gaps(first, to, &months) {
                facts.push(kind.facts(&Days::new(lo, hi, today, owner.is_some())));
            }
            if !facts.is_empty() {
                parts.push(kind.read(facts.join(" UNION ALL "), &literal(from), &literal(to)));
            }
        }
        if parts.is_empty() {
            parts.push(summary::NO_FACTS.to_owned());
        }
        let key = if self.key.is_empty() {
            "key_text"
        } else {
            self.key
        };
        let inner = format!(
            "SELECT {dimension}, COALESCE(round(sum(m1)), 0) AS v1, \
                    COALESCE(round(sum(m2)), 0) AS v2, COALESCE(round(sum(m3)), 0) AS v3, \
                    COALESCE(round(sum(m4)), 0) AS v4 \
             FROM (SELECT carrier_id, line_id, agent_staff_id, month, key_text AS {key}, \
                          m1, m2, m3, m4 \
                   FROM ({union}) AS parts) AS facts \
             GROUP BY {sets} \
             HAVING sum(m1) <> 0 OR sum(m2) <> 0 OR sum(m3) <> 0 OR sum(m4) <> 0",
            dimension = dimension_columns(self.sets),
            union = parts.join(" UNION ALL "),
            sets = grouping_sets(self.sets),
        );
        let query = diesel::sql_query(labelled(&inner));
        match owner {
            Some(owner) => query.bind::<BigInt, _>(owner).load(conn),
            None => query.load(conn),
        }
    }
}

/// The grouping columns of a report as rows of [`Row`]: which grouping set a row comes from,
/// its key, and the name of the carrier, line or agent it stands for. `inner` is the grouped
/// statement (it must select `dimension`, `key_id`, `key_text`, `key_date`, `v1`..`v4`).
pub(crate) fn labelled(inner: &str) -> String {
    format!(
        "SELECT g.dimension, g.key_id, g.key_text, g.key_date, \
                COALESCE(ca.name, lb.name, su.name) AS label, \
                g.v1::int8 AS v1, g.v2::int8 AS v2, g.v3::int8 AS v3, g.v4::int8 AS v4 \
         FROM ({inner}) AS g \
         LEFT JOIN carriers ca ON g.dimension = 'carrier' AND ca.id = g.key_id \
         LEFT JOIN lines_of_business lb ON g.dimension = 'line' AND lb.id = g.key_id \
         LEFT JOIN staff_users su ON g.dimension = 'agent' AND su.id = g.key_id \
         ORDER BY g.dimension, g.key_date NULLS LAST, g.v2 DESC, g.v1 DESC, label NULLS LAST"
    )
}

/// The `dimension`, `key_id`, `key_text` and `key_date` columns of a statement grouped by
/// `GROUPING SETS ((), (carrier_id), (line_id), ...)` over the columns `sets`: a column named
/// `…_id` is an id key, `month` a date key, any other a text key. Each grouping set holds one
/// column, so at most one key is set per row.
pub(crate) fn dimension_columns(sets: &[&str]) -> String {
    if sets.is_empty() {
        return "'total' AS dimension, NULL::int8 AS key_id, NULL::text AS key_text, \
                NULL::date AS key_date"
            .to_owned();
    }
    let mut dimension = String::from("CASE");
    let mut id = String::from("CASE");
    let mut text = String::from("CASE");
    let mut date = String::from("CASE");
    for column in sets {
        let name = match *column {
            "carrier_id" => "carrier",
            "line_id" => "line",
            "agent_staff_id" => "agent",
            other => other,
        };
        let when = format!(" WHEN GROUPING({column}) = 0 THEN");
        dimension.push_str(&format!("{when} '{name}'"));
        let key = if column.ends_with("_id") {
            &mut id
        } else if *column == "month" {
            &mut date
        } else {
            &mut text
        };
        key.push_str(&format!("{when} {column}"));
    }
    dimension.push_str(" ELSE 'total' END AS dimension");
    let end = |mut case: String, name: &str, cast: &str| {
        if case == "CASE" {
            format!("NULL::{cast} AS {name}")
        } else {
            case.push_str(&format!(" END AS {name}"));
            case
        }
    };
    format!(
        "{dimension}, {}, {}, {}",
        end(id, "key_id", "int8"),
        end(text, "key_text", "text"),
        end(date, "key_date", "date")
    )
}

/// `GROUPING SETS ((), (a), (b), ...)` over `sets`.
pub(crate) fn grouping_sets(sets: &[&str]) -> String {
    let mut out = String::from("GROUPING SETS (()");
    for column in sets {
        out.push_str(&format!(", ({column})"));
    }
    out.push(')');
    out
}

/// The statement's scope condition on its customer column `customer`: the agent's own
/// customers (the owner is bound as `$n`), or every customer when it is NULL; then the
/// condition is constant and the customers table is not read at all.
pub(crate) fn scope_condition(n: usize, customer: &str) -> String {
    format!(
        "(${n}::int8 IS NULL OR {customer} IN \
         (SELECT c.id FROM customers c WHERE c.owner_staff_id = ${n}))"
    )
}

/// The condition of a policy (`p`) in force on the day `day` (an SQL date) through its period
/// of cover `pp` (the portfolio and cross-selling count the same policies).
pub(crate) fn in_force_on(day: &str) -> String {
    format!(
        "pp.start_date <= {day} AND pp.end_date > {day} \
         AND NOT (p.status IN ('cancelled', 'suspended') AND p.status_changed_on <= {day})"
    )
}

/// The premium of a period of a policy (`pp`, policy `p`), in the column `column`
/// (`net_premium_cents` or `total_premium_cents`): for the period in force the policy's own
/// premium (which carries its endorsements), for earlier ones the period's.
pub(crate) fn period_premium(column: &str) -> String {
    format!("CASE WHEN pp.start_date = p.start_date THEN p.{column} ELSE pp.{column} END")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_previous_period_has_as_many_days_and_ends_the_day_before() {
        let period = Period::new(day(2026, 3, 1), day(2026, 3, 31));
        assert_eq!(period.days(), 31);
        assert_eq!(
            period.previous(),
            Period::new(day(2026, 1, 29), day(2026, 2, 28))
        );
        assert_eq!(
            Period::new(day(2024, 2, 29), day(2024, 12, 31)).year_before(),
            Period::new(day(2023, 2, 28), day(2023, 12, 31))
        );
        assert_eq!(
            Period::year_to_date(day(2026, 12, 7)),
            Period::new(day(2026, 1, 1), day(2026, 12, 7))
        );
    }

    #[test]
    fn ratios_are_basis_points_rounded_half_away_from_zero() {
        assert_eq!(ratio_bp(1, 2), Some(5_000));
        assert_eq!(ratio_bp(2, 3), Some(6_667));
        assert_eq!(ratio_bp(1, 3), Some(3_333));
        assert_eq!(ratio_bp(5, 0), None);
        assert_eq!(ratio_bp(0, 7), Some(0));
        assert_eq!(ratio_bp(150, 100), Some(15_000));
    }
}
