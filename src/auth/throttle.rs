//! Sign-in throttling. Failed attempts are counted per e-mail address and per IP address over
//! a sliding window; past a few free failures an address must wait, with the wait doubling at
//! each further failure up to a cap. There is no permanent lockout an attacker could use to
//! shut a colleague out, and since counting is by the e-mail typed, an unknown address is
//! throttled exactly like a real one (no way to tell them apart).

use chrono::{DateTime, Duration, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use crate::db::schema::login_attempts;

pub const WINDOW: Duration = Duration::minutes(15);
/// Failures per e-mail allowed in the window before waits start.
pub const FREE_FAILURES: i64 = 5;
/// Failures per IP in the window (many e-mails from one place: credential stuffing).
pub const IP_FAILURE_LIMIT: i64 = 50;
const FIRST_DELAY_SECONDS: i64 = 30;
const MAX_DELAY_SECONDS: i64 = 15 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allowed,
    /// Try again after this many seconds.
    Wait(i64),
}

/// The wait imposed after `failures` failures in the window: none up to [`FREE_FAILURES`],
/// then 30 s, 60 s, 120 s... up to 15 minutes.
pub fn delay_after(failures: i64) -> Option<Duration> {
    if failures < FREE_FAILURES {
        return None;
    }
    let doublings = (failures - FREE_FAILURES).min(10) as u32;
    Some(Duration::seconds(
        (FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS),
    ))
}

/// Whether a sign-in for `email` from `ip` may be attempted at `now`.
pub fn check(
    conn: &mut PgConnection,
    email: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> QueryResult<Verdict> {
    let since = now - WINDOW;
    // Failures since the last success of this address, within the window.
    let last_success: Option<DateTime<Utc>> = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::attempted_at.gt(since))
        .select(max(login_attempts::attempted_at))
        .first(conn)?;
    let counted_from = last_success.map_or(since, |at| at.max(since));
    let (failures, last_failure): (i64, Option<DateTime<Utc>>) = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(counted_from))
        .select((count_star(), max(login_attempts::attempted_at)))
        .first(conn)?;
    if let (Some(delay), Some(last)) = (delay_after(failures), last_failure) {
        let until = last + delay;
        if until > now {
            return Ok(Verdict::Wait(seconds_until(now, until)));
        }
    }

    let (ip_failures, oldest): (i64, Option<DateTime<Utc>>) = login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(since))
        .select((count_star(), diesel::dsl::min(login_attempts::attempted_at)))
        .first(conn)?;
    if ip_failures >= IP_FAILURE_LIMIT
        && let Some(oldest) = oldest
    {
        return Ok(Verdict::Wait(
            ((oldest + WINDOW) - now).num_seconds().max(1),
        ));
    }
    Ok(Verdict::Allowed)
}

/// Whole seconds from `now` to `until`, rounded up: "wait 30 s" must not let them in at 29.
fn seconds_until(now: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    (((until - now).num_milliseconds() + 999) / 1000).max(1)
}

/// Records an attempt. Returns true when this failure is the one that starts the waits (for
/// the audit log's "lockout" entry).
pub fn record(
    conn: &mut PgConnection,
    email: &str,
    ip: &str,
    succeeded: bool,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    diesel::insert_into(login_attempts::table)
        .values((
            login_attempts::email.eq(email),
            login_attempts::ip.eq(ip),
            login_attempts::succeeded.eq(succeeded),
            login_attempts::attempted_at.eq(now),
        ))
        .execute(conn)?;
    if succeeded {
        // Old rows only matter for a window; keep the table small.
        diesel::delete(
            login_attempts::table.filter(login_attempts::attempted_at.lt(now - Duration::days(1))),
        )
        .execute(conn)?;
        return Ok(false);
    }
    let failures: i64 = login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(now - WINDOW))
        .count()
        .get_result(conn)?;
    Ok(failures == FREE_FAILURES)
}

/// "2 minutos", "45 segundos": the wait in words for the sign-in page.
pub fn describe_wait(seconds: i64) -> String {
    if seconds >= 90 {
        let minutes = (seconds + 59) / 60;
        format!("{minutes} minutos")
    } else if seconds > 1 {
        format!("{seconds} segundos")
    } else {
        "1 segundo".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_start_after_the_free_failures_and_double_up_to_a_cap() {
        assert_eq!(delay_after(0), None);
        assert_eq!(delay_after(FREE_FAILURES - 1), None);
        assert_eq!(delay_after(FREE_FAILURES), Some(Duration::seconds(30)));
        assert_eq!(delay_after(FREE_FAILURES + 1), Some(Duration::seconds(60)));
        assert_eq!(delay_after(FREE_FAILURES + 2), Some(Duration::seconds(120)));
        assert_eq!(
            delay_after(FREE_FAILURES + 20),
            Some(Duration::seconds(MAX_DELAY_SECONDS))
        );
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(describe_wait(30), "30 segundos");
        assert_eq!(describe_wait(120), "2 minutos");
        assert_eq!(describe_wait(1), "1 segundo");
    }
}
