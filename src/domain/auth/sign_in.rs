//! The password step of a sign-in, shared by the staff and the client (e-SORI) faces:
//! throttle, verify, and the staff's own settlement (record, audit).
//!
//! Short steps so that no database connection is held while argon2 works (tens of
//! milliseconds by design): a flood of sign-ins must not starve the pool for everyone else.
//! The attempt is recorded before the hash is computed (see [`throttle::reserve`]), so
//! parallel guesses cannot outrun the count.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::audit::{self, Action, NewEntry};
use crate::auth::password;
use crate::auth::staff::{self, StaffUser};
use crate::auth::throttle::{self, Attempt};
use crate::db::schema::staff_users;
use crate::db::{Db, DbError};

/// A browser where an account signed in before (from its signed cookie, `web::device`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownDevice {
    pub account_id: i64,
    /// Random, from the cookie; only its hash is stored.
    pub token: String,
}

/// An account that signs in with a password: a staff member or a client.
pub trait PasswordAccount: Send + 'static {
    fn id(&self) -> i64;

    /// The stored hash, when the account may sign in at all (active, password chosen...).
    fn usable_hash(&self) -> Option<&str>;
}

impl PasswordAccount for StaffUser {
    fn id(&self) -> i64 {
        self.id
    }
    fn usable_hash(&self) -> Option<&str> {
        self.active.then_some(self.password_hash.as_str())
    }
}

/// What the password step found; the face settles it in its own transaction.
#[derive(Debug)]
pub enum Step<A> {
    /// Right password for an account that may sign in. Call [`throttle::succeeded`] with the
    /// attempt, and store `upgraded` (a hash under current parameters) when present.
    Accepted {
        account: A,
        attempt: Attempt,
        upgraded: Option<String>,
    },
    /// Wrong e-mail or password, or an account that cannot sign in: one answer for all. The
    /// failure is already recorded.
    Rejected { attempt: Attempt },
    /// Too many recent failures: try again after this many seconds. Nothing was hashed.
    Throttled(i64),
}

/// Verifies `typed` against `stored` off the async workers. `None` (no such account) still
/// pays for one hash, so timing does not tell which accounts exist. On a match with a hash
/// made under older parameters, also returns the upgraded hash to store.
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

/// Where a sign-in attempt comes from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub ip: String,
    /// The browser's device cookie, if it has a genuine one (of whichever account).
    pub device: Option<KnownDevice>,
}

/// The password step for the account `find` looks up, counted under `key` and the origin:
/// first the throttle lets the attempt through and records it, then the password is hashed
/// with no connection held. A device cookie of the account found makes the attempt count for
/// that device instead of the account and the IP.
pub async fn password_step<A, F>(
    db: &Db,
    key: String,
    origin: Origin,
    typed: String,
    now: DateTime<Utc>,
    find: F,
) -> Result<Step<A>, DbError>
where
    A: PasswordAccount,
    F: FnOnce(&mut PgConnection) -> QueryResult<Option<A>> + Send + 'static,
{
    let reserved = db
        .run(move |conn| {
            let account = find(conn)?;
            let device = origin
                .device
                .filter(|known| account.as_ref().is_some_and(|a| a.id() == known.account_id))
                .map(|known| crate::util::sha256_hex(known.token.as_bytes()));
            let attempt = match throttle::reserve(conn, &key, &origin.ip, device.as_deref(), now)? {
                Err(seconds) => return Ok::<_, DbError>(Err(seconds)),
                Ok(attempt) => attempt,
            };
            Ok(Ok((attempt, account)))
        })
        .await?;
    let (attempt, account) = match reserved {
        Err(seconds) => return Ok(Step::Throttled(seconds)),
        Ok(found) => found,
    };
    let account = account.filter(|a| a.usable_hash().is_some());
    let stored = account
        .as_ref()
        .and_then(|a| a.usable_hash().map(str::to_owned));
    let (matches, upgraded) = check_password(typed, stored).await?;
    Ok(match account {
        Some(account) if matches => Step::Accepted {
            account,
            attempt,
            upgraded,
        },
        _ => Step::Rejected { attempt },
    })
}

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

/// Checks `password` for the staff `email` coming from `ip`. An unknown e-mail pays for one
/// hash too, so timing does not reveal which accounts exist; a throttled attempt hashes
/// nothing, known account or not.
pub async fn attempt(
    db: &Db,
    email: &str,
    password_typed: String,
    origin: Origin,
    user_agent: &str,
    now: DateTime<Utc>,
) -> Result<Outcome, DbError> {
    let email = staff::normalize_email(email);
    let lookup = email.clone();
    let ip = origin.ip.clone();
    let step = password_step(
        db,
        email.clone(),
        origin,
        password_typed,
        now,
        move |conn| staff::find_by_email(conn, &lookup),
    )
    .await?;
    let user_agent = user_agent.to_owned();
    match step {
        Step::Throttled(seconds) => Ok(Outcome::Throttled(seconds)),
        Step::Accepted {
            account: user,
            attempt,
            upgraded,
        } => {
            db.transaction(move |conn| {
                throttle::succeeded(conn, &attempt, now)?;
                // The sign-in itself is audited when the session opens, after any second factor.
                if let Some(hash) = upgraded {
                    diesel::update(staff_users::table.find(user.id))
                        .set(staff_users::password_hash.eq(hash))
                        .execute(conn)?;
                }
                Ok(Outcome::Accepted(user))
            })
            .await
        }
        Step::Rejected { attempt } => {
            db.transaction(move |conn| {
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
                let locked_out = attempt.starts_waits();
                if locked_out {
                    entry.action = Action::LockedOut;
                    entry.details = serde_json::json!({ "fallos": throttle::FREE_FAILURES });
                    audit::record(conn, &entry)?;
                }
                Ok(Outcome::Rejected { locked_out })
            })
            .await
        }
    }
}
