//! The password step of a staff sign-in, as one decision: throttle, verify, record.
//!
//! Three short steps so that no database connection is held while argon2 works (tens of
//! milliseconds by design): a flood of sign-ins must not starve the pool for everyone else.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Action, NewEntry};
use crate::auth::password;
use crate::auth::staff::{self, StaffUser};
use crate::auth::throttle::{self, Verdict};
use crate::db::schema::staff_users;
use crate::db::{Db, DbError};

#[derive(Debug)]
pub enum Outcome {
    /// Right password for an active account.
    Accepted(StaffUser),
    /// Wrong e-mail or password, or a disabled account: one answer for all three.
    Rejected {
        /// This failure started the waits (for the audit log).
        locked_out: bool,
    },
    /// Too many recent failures: try again after this many seconds.
    Throttled(i64),
}

/// Verifies `typed` against `stored` off the async workers. `None` (no such account) still
/// pays for one hash, so timing does not tell which accounts exist. On a match with a hash
/// made under older parameters, also returns the upgraded hash to store. Shared by the staff
/// and the client (e-SORI) sign-ins.
pub async fn check_password(
    typed: String,
    stored: Option<String>,
) -> Result<(bool, Option<String>), DbError> {
    tokio::task::spawn_blocking(move || {
        let matches = password::verify(&typed, stored.as_deref().unwrap_or(password::dummy_hash()));
        // Parameters were raised since this hash was made: upgrade it now that we hold the
        // plain password.
        let upgraded = (matches && stored.as_deref().is_some_and(password::needs_rehash))
            .then(|| password::hash(&typed).ok())
            .flatten();
        (matches, upgraded)
    })
    .await
    .map_err(|_| DbError::Canceled)
}

/// Checks `password` for `email` coming from `ip`. An unknown e-mail pays for one hash too,
/// so timing does not reveal which accounts exist; a throttled attempt hashes nothing, known
/// account or not.
pub async fn attempt(
    db: &Db,
    email: &str,
    password_typed: String,
    ip: &str,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DbError> {
    let email = staff::normalize_email(email);

    let (lookup_email, lookup_ip) = (email.clone(), ip.to_owned());
    let user = db
        .run(move |conn| {
            if let Verdict::Wait(seconds) = throttle::check(conn, &lookup_email, &lookup_ip, now)? {
                return Ok::<_, DbError>(Err(seconds));
            }
            Ok(Ok(staff::find_by_email(conn, &lookup_email)?))
        })
        .await?;
    let user = match user {
        Err(seconds) => return Ok(Outcome::Throttled(seconds)),
        Ok(user) => user,
    };

    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let (matches, upgraded) = check_password(password_typed, stored).await?;

    let ip = ip.to_owned();
    let user_agent = user_agent.to_owned();
    db.transaction(move |conn| match user {
        Some(user) if matches && user.active => {
            throttle::record(conn, &email, &ip, true, now)?;
            // The sign-in itself is audited when the session opens, after any second factor.
            if let Some(hash) = upgraded {
                diesel::update(staff_users::table.find(user.id))
                    .set(staff_users::password_hash.eq(hash))
                    .execute(conn)?;
            }
            Ok(Outcome::Accepted(user))
        }
        _ => {
            let locked_out = throttle::record(conn, &email, &ip, false, now)?;
            // The e-mail typed is kept as typed by whoever tried; whether such an account
            // exists is not written down (the log must not become an account oracle either).
            let mut entry = NewEntry {
                actor_staff_id: None,
                actor_label: &email,
                action: Action::SignInFailed,
                target_type: None,
                target_id: None,
                ip: &ip,
                user_agent: &user_agent,
                details: serde_json::json!({}),
            };
            audit::record(conn, &entry)?;
            if locked_out {
                entry.action = Action::LockedOut;
                entry.details = serde_json::json!({ "fallos": throttle::FREE_FAILURES });
                audit::record(conn, &entry)?;
            }
            Ok(Outcome::Rejected { locked_out })
        }
    })
    .await
}
