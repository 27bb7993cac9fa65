//! The half-signed-in state between a correct password and the second-factor code, shared by
//! the back-office and e-SORI sign-ins.
//!
//! After a correct password an account with two-factor authentication is not signed in yet:
//! the session only records who is half-way, since when (five minutes to finish), where they
//! were going and how many wrong codes they have typed. Each face keeps these under its own
//! session keys ([`Keys`]), so a half-way state of one face means nothing to the other.

use actix_session::Session;
use chrono::Utc;

use crate::web::error::AppError;

/// Time allowed between the password and the code.
pub const LIMIT_SECONDS: i64 = 5 * 60;
/// Wrong codes allowed before the password must be typed again.
pub const MAX_WRONG_CODES: u32 = 5;

/// The session keys of one face's half-way state.
pub struct Keys {
    pub user_id: &'static str,
    pub since: &'static str,
    pub next: &'static str,
    pub wrong_codes: &'static str,
}

impl Keys {
    fn all(&self) -> [&'static str; 4] {
        [self.user_id, self.since, self.next, self.wrong_codes]
    }
}

/// Who is half-way, where they were going, how many wrong codes so far.
pub struct Pending {
    pub user_id: i64,
    pub next: String,
    pub wrong_codes: u32,
}

pub enum PendingState {
    Active(Pending),
    /// Half-way for longer than [`LIMIT_SECONDS`].
    Expired,
    Missing,
}

pub fn session_error(error: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("session: {error}"))
}

/// Remembers who is half-way, in a new session key (whoever planted the old one learns
/// nothing from it). `next` must have been checked already.
pub fn begin(session: &Session, keys: &Keys, user_id: i64, next: &str) -> Result<(), AppError> {
    session.renew();
    clear(session, keys);
    session
        .insert(keys.user_id, user_id)
        .map_err(session_error)?;
    session
        .insert(keys.since, Utc::now().timestamp())
        .map_err(session_error)?;
    session.insert(keys.next, next).map_err(session_error)?;
    session
        .insert(keys.wrong_codes, 0_u32)
        .map_err(session_error)?;
    Ok(())
}

pub fn clear(session: &Session, keys: &Keys) {
    for key in keys.all() {
        session.remove(key);
    }
}

/// The half-way state, if any and still young enough.
pub fn read(session: &Session, keys: &Keys, default_next: &str) -> Result<PendingState, AppError> {
    let user_id = session.get::<i64>(keys.user_id).map_err(session_error)?;
    let since = session.get::<i64>(keys.since).map_err(session_error)?;
    let (Some(user_id), Some(since)) = (user_id, since) else {
        return Ok(PendingState::Missing);
    };
    let age = Utc::now().timestamp() - since;
    if !(0..=LIMIT_SECONDS).contains(&age) {
        return Ok(PendingState::Expired);
    }
    Ok(PendingState::Active(Pending {
        user_id,
        next: session
            .get::<String>(keys.next)
            .map_err(session_error)?
            .unwrap_or_else(|| default_next.to_owned()),
        wrong_codes: session
            .get::<u32>(keys.wrong_codes)
            .map_err(session_error)?
            .unwrap_or(0),
    }))
}

/// Records one more wrong code.
pub fn set_wrong_codes(session: &Session, keys: &Keys, wrong_codes: u32) -> Result<(), AppError> {
    session
        .insert(keys.wrong_codes, wrong_codes)
        .map_err(session_error)
}
