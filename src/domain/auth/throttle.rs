//! Sign-in throttling. Failed attempts are counted per e-mail address and per IP address over
//! a sliding window; past a few free failures an address must wait, with the wait doubling at
//! each further failure up to a cap. There is no permanent lockout an attacker could use to
//! shut a colleague out, and since counting is by the e-mail typed, an unknown address is
//! throttled exactly like a real one (no way to tell them apart).
//!
//! A known device (a browser where the account signed in before, `web::device`) is counted
//! on its own instead: its failures make that device wait, and the account's wait, caused by
//! guesses from anywhere else, does not apply to it. Whoever knows an e-mail address can make
//! strangers wait, but cannot keep the owner out of their own browser.
//!
//! An attempt is counted before its password is checked ([`reserve`]), under a lock, so
//! parallel guesses cannot all slip in while the first ones are still being hashed.

use chrono::{DateTime, Duration, Utc};
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::db::schema::login_attempts;

pub const WINDOW: Duration = Duration::minutes(15);
/// Failures per e-mail allowed in the window before waits start.
pub const FREE_FAILURES: i64 = 5;
/// Failures per IP in the window (many e-mails from one place: credential stuffing).
pub const IP_FAILURE_LIMIT: i64 = 50;
const FIRST_DELAY_SECONDS: i64 = 30;
const MAX_DELAY_SECONDS: i64 = 15 * 60;

/// Advisory lock classes (two-key form, apart from the one-key locks used elsewhere): one
/// per thing counted, so that two attempts on the same account, or from the same IP, take
/// turns between reading the count and recording themselves.
const ACCOUNT_LOCK: i32 = 1;
const IP_LOCK: i32 = 2;
const DEVICE_LOCK: i32 = 4;

/// An attempt that the throttle let through, already recorded as a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    id: i64,
    starts_waits: bool,
}

impl Attempt {
    /// Whether this attempt, if it fails, is the one that starts the waits (for the audit
    /// log's "lockout" entry).
    pub fn starts_waits(&self) -> bool {
        self.starts_waits
    }
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

/// Lets an attempt for `key` (an e-mail, or a second step's key) from `ip` through at `now`,
/// or says how many seconds to wait. With `device` (the hash of a known device's token, for
/// this account), the attempt is counted for that device only. An attempt let through is
/// recorded at once, as a failure, before any password is verified: checking the count and
/// adding to it is one step, under a lock of what is counted (key and IP, or device), so a
/// burst of parallel guesses gets exactly the allowance and no more. [`succeeded`] turns the record into a success; an attempt that
/// crashes half-way stays a failure. Attempts refused while waiting are not recorded, so
/// they do not extend the wait.
pub fn reserve(
    conn: &mut PgConnection,
    key: &str,
    ip: &str,
    device: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<Result<Attempt, i64>> {
    conn.transaction(|conn| {
        let verdict = match device {
            Some(device) => {
                lock(conn, DEVICE_LOCK, device)?;
                device_verdict(conn, device, now)?
            }
            None => {
                // Always the account before the IP: two attempts never wait on each other in
                // a cycle.
                lock(conn, ACCOUNT_LOCK, key)?;
                lock(conn, IP_LOCK, ip)?;
                verdict(conn, key, ip, now)?
            }
        };
        let failures = match verdict {
            Err(seconds) => return Ok(Err(seconds)),
            Ok(failures) => failures,
        };
        let id = diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::email.eq(key),
                login_attempts::ip.eq(ip),
                login_attempts::succeeded.eq(false),
                login_attempts::attempted_at.eq(now),
                login_attempts::device.eq(device),
            ))
            .returning(login_attempts::id)
            .get_result(conn)?;
        Ok(Ok(Attempt {
            id,
            starts_waits: failures + 1 == FREE_FAILURES,
        }))
    })
}

/// Records that the reserved attempt succeeded (its failures stop counting).
pub fn succeeded(
    conn: &mut PgConnection,
    attempt: &Attempt,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(login_attempts::table.find(attempt.id))
        .set(login_attempts::succeeded.eq(true))
        .execute(conn)?;
    // Old rows only matter for a window; keep the table small.
    diesel::delete(
        login_attempts::table.filter(login_attempts::attempted_at.lt(now - Duration::days(1))),
    )
    .execute(conn)?;
    Ok(())
}

/// Takes a transaction-scoped advisory lock on `value` in `class`.
fn lock(conn: &mut PgConnection, class: i32, value: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1, hashtext($2))")
        .bind::<Integer, _>(class)
        .bind::<Text, _>(value)
        .execute(conn)?;
    Ok(())
}

/// The failures of `key` from unknown browsers counted now, or the seconds to wait (for the
/// key or for the IP).
fn verdict(
    conn: &mut PgConnection,
    key: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> QueryResult<Result<i64, i64>> {
    let since = now - WINDOW;
    // Failures since the last success of this address, within the window.
    let last_success: Option<DateTime<Utc>> = login_attempts::table
        .filter(login_attempts::email.eq(key))
        .filter(login_attempts::device.is_null())
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::attempted_at.gt(since))
        .select(max(login_attempts::attempted_at))
        .first(conn)?;
    let counted_from = last_success.map_or(since, |at| at.max(since));
    let (failures, last_failure): (i64, Option<DateTime<Utc>>) = login_attempts::table
        .filter(login_attempts::email.eq(key))
        .filter(login_attempts::device.is_null())
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(counted_from))
        .select((count_star(), max(login_attempts::attempted_at)))
        .first(conn)?;
    if let Some(seconds) = wait_after(failures, last_failure, now) {
        return Ok(Err(seconds));
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
        return Ok(Err(((oldest + WINDOW) - now).num_seconds().max(1)));
    }
    Ok(Ok(failures))
}

/// The failures of a known device counted now, or the seconds it must wait. The IP limit does
/// not apply: it is there against many accounts tried from one place, and a device cookie
/// belongs to one account; it would only let someone sharing the owner's network (an office,
/// a mobile carrier's gateway) keep them out.
fn device_verdict(
    conn: &mut PgConnection,
    device: &str,
    now: DateTime<Utc>,
) -> QueryResult<Result<i64, i64>> {
    let since = now - WINDOW;
    let last_success: Option<DateTime<Utc>> = login_attempts::table
        .filter(login_attempts::device.eq(device))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::attempted_at.gt(since))
        .select(max(login_attempts::attempted_at))
        .first(conn)?;
    let counted_from = last_success.map_or(since, |at| at.max(since));
    let (failures, last_failure): (i64, Option<DateTime<Utc>>) = login_attempts::table
        .filter(login_attempts::device.eq(device))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::attempted_at.gt(counted_from))
        .select((count_star(), max(login_attempts::attempted_at)))
        .first(conn)?;
    Ok(match wait_after(failures, last_failure, now) {
        Some(seconds) => Err(seconds),
        None => Ok(failures),
    })
}

/// The seconds still to wait after `failures`, the last at `last_failure`.
fn wait_after(
    failures: i64,
    last_failure: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<i64> {
    let (delay, last) = (delay_after(failures)?, last_failure?);
    let until = last + delay;
    (until > now).then(|| seconds_until(now, until))
}

/// Whole seconds from `now` to `until`, rounded up: "wait 30 s" must not let them in at 29.
fn seconds_until(now: DateTime<Utc>, until: DateTime<Utc>) -> i64 {
    (((until - now).num_milliseconds() + 999) / 1000).max(1)
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
