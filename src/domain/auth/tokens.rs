//! Single-use links e-mailed to staff: invitations and password resets. The token travels
//! only in the link; the database keeps its SHA-256, so a copy of the table opens nothing.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::staff_tokens;
use crate::util::{random_token, sha256_hex};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A new account chooses its first password.
    Invitation,
    /// A forgotten password is replaced.
    PasswordReset,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::PasswordReset => "password_reset",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code {
            "invitation" => Some(Purpose::Invitation),
            "password_reset" => Some(Purpose::PasswordReset),
            _ => None,
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invitation => Duration::hours(72),
            Purpose::PasswordReset => Duration::hours(1),
        }
    }
}

/// Issues a new token for `staff_id`; earlier unused tokens of the same purpose stop working,
/// so only the latest e-mail's link is valid.
pub fn issue(
    conn: &mut PgConnection,
    staff_id: i64,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    diesel::update(
        staff_tokens::table
            .filter(staff_tokens::staff_id.eq(staff_id))
            .filter(staff_tokens::purpose.eq(purpose.code()))
            .filter(staff_tokens::used_at.is_null()),
    )
    .set(staff_tokens::expires_at.eq(now))
    .execute(conn)?;
    let token = random_token(32);
    diesel::insert_into(staff_tokens::table)
        .values((
            staff_tokens::token_hash.eq(sha256_hex(token.as_bytes())),
            staff_tokens::staff_id.eq(staff_id),
            staff_tokens::purpose.eq(purpose.code()),
            staff_tokens::created_at.eq(now),
            staff_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Whose valid, unused token this is (without using it up), for the page behind the link.
pub fn peek(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(i64, Purpose)>> {
    let found: Option<(i64, String)> = staff_tokens::table
        .find(sha256_hex(token.as_bytes()))
        .filter(staff_tokens::used_at.is_null())
        .filter(staff_tokens::expires_at.gt(now))
        .select((staff_tokens::staff_id, staff_tokens::purpose))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(staff_id, purpose)| Purpose::parse(&purpose).map(|p| (staff_id, p))))
}

/// Uses the token up, atomically: of two concurrent requests with the same link, one wins.
pub fn redeem(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(i64, Purpose)>> {
    let found: Option<(i64, String)> = diesel::update(
        staff_tokens::table
            .find(sha256_hex(token.as_bytes()))
            .filter(staff_tokens::used_at.is_null())
            .filter(staff_tokens::expires_at.gt(now)),
    )
    .set(staff_tokens::used_at.eq(now))
    .returning((staff_tokens::staff_id, staff_tokens::purpose))
    .get_result(conn)
    .optional()?;
    Ok(found.and_then(|(staff_id, purpose)| Purpose::parse(&purpose).map(|p| (staff_id, p))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invitations_last_three_days_and_resets_one_hour() {
        assert_eq!(Purpose::Invitation.lifetime(), Duration::hours(72));
        assert_eq!(Purpose::PasswordReset.lifetime(), Duration::hours(1));
        for purpose in [Purpose::Invitation, Purpose::PasswordReset] {
            assert_eq!(Purpose::parse(purpose.code()), Some(purpose));
        }
    }
}
