//! The weekly analytics digest (issue 23): each Monday, the staff who may read the analytics
//! and asked for it in "Mi cuenta" get an e-mail with the main figures of the ISO week just
//! finished (Monday to Sunday) next to the week before: the portfolio in force at the week's
//! end, new business, retention, loss ratio, receipts and commission, within their own
//! [`PortfolioScope`] (an agent's figures count only their customers, as on the pages).
//!
//! The figures are the analytics reports' own totals (`crate::analytics`), so the e-mail and
//! the analytics pages never disagree (the e-mail links to them). [`send_due`] runs in the worker's housekeeping round:
//! for each staff member due, one transaction records the week in `analytics_digests` and
//! queues the e-mail, and the table's key refuses a second record of the same week, so a digest
//! is queued exactly once even when two workers run the round at the same moment.

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;

use crate::analytics::{
    Period, PortfolioScope, commissions, loss_ratio, portfolio, production, receipts, retention,
};
use crate::auth::permissions::Permission;
use crate::auth::staff::Role;
use crate::db::DbError;
use crate::db::schema::{analytics_digests, staff_users};
use crate::format::{date, percent, thousands};
use crate::money::format_cents;

/// An ISO week, by its Monday.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Week {
    pub monday: NaiveDate,
}

impl Week {
    /// The week `day` falls in.
    pub fn containing(day: NaiveDate) -> Self {
        let back = i64::from(day.weekday().num_days_from_monday());
        Self {
            monday: day - Duration::days(back),
        }
    }

    /// The last week that has ended by `today`: the one before `today`'s week (on a Monday, the
    /// week that ended yesterday).
    pub fn last_finished(today: NaiveDate) -> Self {
        Self::containing(today).previous()
    }

    /// The week before this one.
    pub fn previous(self) -> Self {
        Self {
            monday: self.monday - Duration::days(7),
        }
    }

    /// Its Sunday.
    pub fn sunday(self) -> NaiveDate {
        self.monday + Duration::days(6)
    }

    /// Monday to Sunday, both included.
    pub fn period(self) -> Period {
        Period::new(self.monday, self.sunday())
    }

    /// "del 30/11/2026 al 06/12/2026".
    pub fn text(self) -> String {
        format!("del {} al {}", date(self.monday), date(self.sunday()))
    }
}

/// The main figures of one week within one scope (amounts in cents, ratios from the reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figures {
    /// Policies in force and their annualised premium on the week's Sunday.
    pub in_force: portfolio::Book,
    /// Policies whose first period starts in the week, and that period's premium.
    pub new_business: production::Sales,
    /// Periods of cover ending in the week and how many were renewed.
    pub renewals: retention::Renewals,
    /// Claims that happened in the week against the premium earned in it.
    pub losses: loss_ratio::Losses,
    /// The receipts due in the week by where their collection stands (as of `today`).
    pub collection: receipts::Collection,
    /// Commission booked in the week.
    pub commission: commissions::Earned,
}

/// The figures of `week` within `scope`; `today` decides which unpaid receipts are overdue.
pub fn figures(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    week: Week,
    today: NaiveDate,
) -> QueryResult<Figures> {
    let period = week.period();
    Ok(Figures {
        in_force: portfolio::total_at(conn, scope, week.sunday())?,
        new_business: production::total_over(conn, scope, period)?,
        renewals: retention::total_over(conn, scope, period)?,
        losses: loss_ratio::total_over(conn, scope, period)?,
        collection: receipts::over(conn, scope, period, today)?,
        commission: commissions::total_over(conn, scope, period)?,
    })
}

/// One line of the digest, written for a person: what it is, this week, the week before, and
/// the change ("+3", "-120,50 €", "+2,50 puntos", "sin cambios").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub label: String,
    pub value: String,
    pub previous: String,
    pub change: String,
}

/// A value of the digest, typed so that it and its change are written the right way.
#[derive(Debug, Clone, Copy)]
enum Value {
    Count(i64),
    /// Cents, written in euros ("1.234,56 €").
    Money(i64),
    /// Basis points; `None` when there is nothing to divide by.
    Percent(Option<i64>),
}

impl Value {
    fn text(self) -> String {
        match self {
            Value::Count(n) => thousands(n),
            Value::Money(cents) => format_cents(cents),
            Value::Percent(bp) => percent(bp),
        }
    }

    /// How `self` differs from `before`: units for counts, euros for amounts, percentage
    /// points for ratios.
    fn change(self, before: Value) -> String {
        let signed = |diff: i64, text: String| match diff.signum() {
            0 => "sin cambios".to_owned(),
            1 => format!("+{text}"),
            _ => text,
        };
        match (self, before) {
            (Value::Count(now), Value::Count(then)) => signed(now - then, thousands(now - then)),
            (Value::Money(now), Value::Money(then)) => signed(now - then, format_cents(now - then)),
            (Value::Percent(Some(now)), Value::Percent(Some(then))) => {
                let diff = now - then;
                let abs = diff.abs();
                let points = format!("{},{:02} puntos", thousands(abs / 100), abs % 100);
                signed(
                    diff,
                    if diff < 0 {
                        format!("-{points}")
                    } else {
                        points
                    },
                )
            }
            _ => "—".to_owned(),
        }
    }
}

/// Reads one figure out of a week's [`Figures`].
type Figure = fn(&Figures) -> Value;

/// The lines of the digest of `now` against `before`, in the e-mail's order.
pub fn lines(now: &Figures, before: &Figures, week: Week) -> Vec<Line> {
    let rows: [(String, Figure); 10] = [
        (
            format!("Pólizas en vigor a {}", date(week.sunday())),
            |f| Value::Count(f.in_force.policies),
        ),
        ("Prima anualizada en vigor".to_owned(), |f| {
            Value::Money(f.in_force.premium_cents)
        }),
        ("Pólizas nuevas".to_owned(), |f| {
            Value::Count(f.new_business.policies)
        }),
        ("Prima de las pólizas nuevas".to_owned(), |f| {
            Value::Money(f.new_business.premium_cents)
        }),
        ("Retención de pólizas".to_owned(), |f| {
            Value::Percent(f.renewals.policy_retention_bp())
        }),
        ("Siniestralidad".to_owned(), |f| {
            Value::Percent(f.losses.ratio_bp())
        }),
        ("Recibos cobrados".to_owned(), |f| {
            Value::Money(f.collection.collected.amount_cents)
        }),
        ("Recibos vencidos sin cobrar".to_owned(), |f| {
            Value::Money(f.collection.overdue.amount_cents)
        }),
        ("Tasa de cobro".to_owned(), |f| {
            Value::Percent(f.collection.rate_bp())
        }),
        ("Comisión devengada".to_owned(), |f| {
            Value::Money(f.commission.commission_cents)
        }),
    ];
    rows.into_iter()
        .map(|(label, value)| {
            let (now, then) = (value(now), value(before));
            Line {
                label,
                value: now.text(),
                previous: then.text(),
                change: now.change(then),
            }
        })
        .collect()
}

/// Whether `staff_id` asked for the weekly digest.
pub fn is_subscribed(conn: &mut PgConnection, staff_id: i64) -> QueryResult<bool> {
    staff_users::table
        .find(staff_id)
        .select(staff_users::weekly_digest)
        .first(conn)
}

/// Turns the weekly digest of `staff_id` on or off; returns whether it changed.
pub fn set_subscribed(conn: &mut PgConnection, staff_id: i64, on: bool) -> QueryResult<bool> {
    let changed = diesel::update(
        staff_users::table
            .find(staff_id)
            .filter(staff_users::weekly_digest.ne(on)),
    )
    .set(staff_users::weekly_digest.eq(on))
    .execute(conn)?;
    Ok(changed > 0)
}

/// The roles whose members get a digest: those that may read the analytics.
fn roles_with_analytics() -> Vec<&'static str> {
    Role::ALL
        .into_iter()
        .filter(|role| Permission::ViewAnalytics.granted_to(*role))
        .map(Role::code)
        .collect()
}

/// Queues the digest of the week finished before `today` for every active staff member who
/// asked for it, may read the analytics and has not had that week's yet; returns how many.
///
/// Each one in its own transaction: the week is recorded first (a second worker's insert waits
/// for this one's commit, then finds the row and skips), then the figures are read and the
/// e-mail queued, so the record exists exactly when the e-mail does. From Monday to Sunday
/// the week before is due: a worker that was stopped on Monday catches up later in the week.
pub fn send_due(
    conn: &mut PgConnection,
    today: NaiveDate,
    base_url: &url::Url,
) -> Result<usize, DbError> {
    let week = Week::last_finished(today);
    let already = diesel::dsl::exists(
        analytics_digests::table
            .filter(analytics_digests::staff_id.eq(staff_users::id))
            .filter(analytics_digests::week_start.eq(week.monday)),
    );
    let due: Vec<(i64, String, String, Role)> = staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::weekly_digest.eq(true))
        .filter(staff_users::role.eq_any(roles_with_analytics()))
        .filter(diesel::dsl::not(already))
        .order(staff_users::id)
        .select((
            staff_users::id,
            staff_users::email,
            staff_users::name,
            staff_users::role,
        ))
        .load(conn)?;
    let mut sent = 0;
    for (staff_id, email, name, role) in due {
        let queued = conn.transaction(|conn| {
            let recorded = diesel::insert_into(analytics_digests::table)
                .values((
                    analytics_digests::staff_id.eq(staff_id),
                    analytics_digests::week_start.eq(week.monday),
                ))
                .on_conflict_do_nothing()
                .execute(conn)?;
            if recorded == 0 {
                return Ok::<_, DbError>(false);
            }
            let scope = PortfolioScope::of(staff_id, role);
            let now = figures(conn, scope, week, today)?;
            let before = figures(conn, scope, week.previous(), today)?;
            crate::mail::send(
                conn,
                &crate::mail::Notice::AnalyticsDigest {
                    to: email.clone(),
                    name: name.clone(),
                    week: week.text(),
                    own_book: scope.owner().is_some(),
                    lines: lines(&now, &before, week),
                    base_url: base_url.to_string(),
                },
            )?;
            Ok(true)
        })?;
        if queued {
            sent += 1;
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_week_due_is_the_last_one_finished_monday_to_sunday() {
        // Monday 7 December 2026: the week of 30 November to 6 December.
        let week = Week::last_finished(day(2026, 12, 7));
        assert_eq!(week.monday, day(2026, 11, 30));
        assert_eq!(week.sunday(), day(2026, 12, 6));
        assert_eq!(week.text(), "del 30/11/2026 al 06/12/2026");
        // Any later day of the same week still owes the same one; Sunday's week is not over.
        assert_eq!(Week::last_finished(day(2026, 12, 13)), week);
        assert_eq!(
            Week::last_finished(day(2026, 12, 6)).monday,
            day(2026, 11, 23)
        );
        // Across a year's end (ISO week 53 of 2026 ends on Sunday 3 January 2027).
        assert_eq!(
            Week::last_finished(day(2027, 1, 4)).period(),
            Period::new(day(2026, 12, 28), day(2027, 1, 3))
        );
        assert_eq!(week.previous().monday, day(2026, 11, 23));
    }

    #[test]
    fn changes_are_signed_units_euros_or_points() {
        assert_eq!(Value::Count(12).change(Value::Count(9)), "+3");
        assert_eq!(Value::Count(9).change(Value::Count(12)), "-3");
        assert_eq!(Value::Count(1_200).change(Value::Count(0)), "+1.200");
        assert_eq!(Value::Count(4).change(Value::Count(4)), "sin cambios");
        assert_eq!(
            Value::Money(131_400).change(Value::Money(21_900)),
            "+1.095,00 €"
        );
        assert_eq!(Value::Money(0).change(Value::Money(12_050)), "-120,50 €");
        assert_eq!(Value::Money(500).change(Value::Money(500)), "sin cambios");
        assert_eq!(
            Value::Percent(Some(5_000)).change(Value::Percent(Some(2_500))),
            "+25,00 puntos"
        );
        assert_eq!(
            Value::Percent(Some(2_490)).change(Value::Percent(Some(2_500))),
            "-0,10 puntos"
        );
        assert_eq!(
            Value::Percent(Some(5_000)).change(Value::Percent(None)),
            "—"
        );
        assert_eq!(Value::Percent(None).text(), "—");
    }

    #[test]
    fn only_the_roles_that_read_the_analytics_get_a_digest() {
        let roles = roles_with_analytics();
        assert!(roles.contains(&"agent") && roles.contains(&"admin"));
        assert!(!roles.contains(&"claims") && !roles.contains(&"compliance"));
    }
}
