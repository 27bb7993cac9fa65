//! Optional two-factor authentication for clients: the staff scheme of `crate::auth::totp`
//! (same codes, same one-step skew, same replay guard, same recovery codes) stored on the
//! client's account (`client_users.totp_*`, `client_recovery_codes`). Only storage lives
//! here; the TOTP arithmetic, secrets, QR codes and recovery code format are the staff ones.
//! No HTTP. Every function runs under the portal role of the account's customer.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::totp::{self, SecondFactor, TwoFactorError};
use crate::db::schema::{client_recovery_codes, client_users};

/// What "Verificación en dos pasos" shows.
#[derive(Debug, Clone)]
pub struct Status {
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
}

impl Status {
    pub fn enabled(&self) -> bool {
        self.enabled_at.is_some()
    }
}

pub fn status(conn: &mut PgConnection, client_user_id: i64) -> QueryResult<Status> {
    let enabled_at = client_users::table
        .find(client_user_id)
        .select(client_users::totp_enabled_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .optional()?
        .flatten();
    let recovery_codes_left = client_recovery_codes::table
        .filter(client_recovery_codes::client_user_id.eq(client_user_id))
        .filter(client_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(Status {
        enabled_at,
        recovery_codes_left,
    })
}

fn replace_recovery_codes(
    conn: &mut PgConnection,
    client_user_id: i64,
) -> Result<Vec<String>, TwoFactorError> {
    diesel::delete(
        client_recovery_codes::table
            .filter(client_recovery_codes::client_user_id.eq(client_user_id)),
    )
    .execute(conn)?;
    let codes = totp::generate_recovery_codes();
    let rows: Vec<_> = codes
        .iter()
        .map(|code| {
            (
                client_recovery_codes::client_user_id.eq(client_user_id),
                client_recovery_codes::code_hash.eq(totp::hash_recovery_code(code)),
            )
        })
        .collect();
    diesel::insert_into(client_recovery_codes::table)
        .values(&rows)
        .execute(conn)?;
    Ok(codes)
}

/// Confirms enrolment with a code valid for `secret` (the one shown in the QR code): stores
/// it, marks the code's step used and returns ten recovery codes in clear, to show once.
pub fn enable(
    conn: &mut PgConnection,
    client_user_id: i64,
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, TwoFactorError> {
    let step = totp::verify_code(secret, code, now, None).ok_or(TwoFactorError::InvalidCode)?;
    let step = i64::try_from(step).map_err(|_| TwoFactorError::InvalidCode)?;
    let updated = diesel::update(
        client_users::table
            .find(client_user_id)
            .filter(client_users::totp_enabled_at.is_null()),
    )
    .set((
        client_users::totp_secret.eq(secret),
        client_users::totp_enabled_at.eq(now),
        client_users::totp_last_step.eq(step),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(TwoFactorError::AlreadyEnabled);
    }
    replace_recovery_codes(conn, client_user_id)
}

/// Ten fresh recovery codes in place of the old ones (used or not), for an account with the
/// second factor on; the caller has checked a current code from the app.
pub fn regenerate_recovery_codes(
    conn: &mut PgConnection,
    client_user_id: i64,
) -> Result<Vec<String>, TwoFactorError> {
    if !status(conn, client_user_id)?.enabled() {
        return Err(TwoFactorError::NotEnabled);
    }
    replace_recovery_codes(conn, client_user_id)
}

/// Turns the second factor off (the caller has checked password and code).
pub fn disable(conn: &mut PgConnection, client_user_id: i64) -> Result<(), TwoFactorError> {
    let updated = diesel::update(
        client_users::table
            .find(client_user_id)
            .filter(client_users::totp_enabled_at.is_not_null()),
    )
    .set((
        client_users::totp_secret.eq(None::<String>),
        client_users::totp_enabled_at.eq(None::<DateTime<Utc>>),
        client_users::totp_last_step.eq(None::<i64>),
    ))
    .execute(conn)?;
    if updated == 0 {
        return Err(TwoFactorError::NotEnabled);
    }
    diesel::delete(
        client_recovery_codes::table
            .filter(client_recovery_codes::client_user_id.eq(client_user_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// A code from the app (six digits) or an unused recovery code, consumed atomically: the
/// step is claimed in the statement that checks it is fresh, so a code works once.
pub fn check_code(
    conn: &mut PgConnection,
    client_user_id: i64,
    code: &str,
    now: DateTime<Utc>,
    allow_recovery: bool,
) -> Result<SecondFactor, TwoFactorError> {
    let row: Option<(Option<String>, Option<i64>)> = client_users::table
        .find(client_user_id)
        .filter(client_users::totp_enabled_at.is_not_null())
        .select((client_users::totp_secret, client_users::totp_last_step))
        .first(conn)
        .optional()?;
    let Some((Some(secret), last_step)) = row else {
        return Err(TwoFactorError::NotEnabled);
    };
    let digits_only = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| c.is_ascii_digit());
    if digits_only {
        let last_step = last_step.and_then(|step| u64::try_from(step).ok());
        let step = totp::verify_code(&secret, code, now, last_step)
            .and_then(|step| i64::try_from(step).ok())
            .ok_or(TwoFactorError::InvalidCode)?;
        let claimed = diesel::update(
            client_users::table
                .find(client_user_id)
                .filter(client_users::totp_secret.eq(&secret))
                .filter(
                    client_users::totp_last_step
                        .is_null()
                        .or(client_users::totp_last_step.lt(step)),
                ),
        )
        .set(client_users::totp_last_step.eq(step))
        .execute(conn)?;
        return if claimed == 1 {
            Ok(SecondFactor::Totp)
        } else {
            Err(TwoFactorError::InvalidCode)
        };
    }
    if !allow_recovery {
        return Err(TwoFactorError::InvalidCode);
    }
    let canonical = totp::normalize_recovery_code(code).ok_or(TwoFactorError::InvalidCode)?;
    let redeemed = diesel::update(
        client_recovery_codes::table
            .filter(client_recovery_codes::client_user_id.eq(client_user_id))
            .filter(client_recovery_codes::code_hash.eq(totp::hash_recovery_code(&canonical)))
            .filter(client_recovery_codes::used_at.is_null()),
    )
    .set(client_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    if redeemed == 1 {
        Ok(SecondFactor::RecoveryCode)
    } else {
        Err(TwoFactorError::InvalidCode)
    }
}
