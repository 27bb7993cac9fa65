//! Two-factor authentication for staff: time-based one-time passwords (RFC 6238) from an
//! authenticator app, single-use recovery codes, and the policy that can require both of
//! everyone. No HTTP here; the back-office pages call these functions.
//!
//! Parameters: HMAC-SHA-1, 6 digits, 30-second steps, one step of skew either way, 160-bit
//! secrets. That is the profile every authenticator app implements (several silently ignore
//! `algorithm`/`digits`/`period` in the enrolment URL and would then show codes we refuse);
//! SHA-1 collisions do not weaken HMAC-SHA-1 (RFC 4226 appendix B.2); 160 bits is RFC 4226's
//! recommended secret length; one step of skew absorbs a phone clock slightly off and the time
//! it takes to type, as RFC 6238 section 5.2 recommends.
//!
//! A code is accepted at most once: the time step of the last accepted code is stored
//! (`staff_users.totp_last_step`) and a code of that step or an earlier one is refused. The
//! check and the update are one conditional `UPDATE`, so two requests racing with the same
//! code cannot both win. Recovery codes are marked used the same way.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::auth::staff::StaffUser;
use crate::db::DbError;
use crate::db::schema::{security_settings, staff_recovery_codes, staff_users};
use crate::util::{constant_time_eq, random_bytes, sha256_hex};

/// Shown by authenticator apps above the account name.
pub const ISSUER: &str = "Soriano Mediadores";
pub const DIGITS: usize = 6;
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted before and after the current one.
pub const SKEW_STEPS: u64 = 1;
/// Secret length in bytes (160 bits).
pub const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODE_COUNT: usize = 10;

/// Recovery code characters: lower-case letters and digits without the look-alikes
/// 0/o, 1/l/i. 31 symbols × 12 characters ≈ 59 bits per code.
const RECOVERY_ALPHABET: &[u8] = b"23456789abcdefghjkmnpqrstuvwxyz";
const RECOVERY_GROUPS: usize = 3;
const RECOVERY_GROUP_LEN: usize = 4;

/// What the second step of a sign-in was passed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactor {
    Totp,
    RecoveryCode,
}

#[derive(Debug, thiserror::Error)]
pub enum TwoFactorError {
    #[error("two-factor authentication is not enabled for this account")]
    NotEnabled,
    #[error("two-factor authentication is already enabled for this account")]
    AlreadyEnabled,
    #[error("the security policy requires two-factor authentication")]
    RequiredByPolicy,
    /// Wrong, outside the time window, or already used. One error for all three, so an
    /// attacker learns nothing about which.
    #[error("the code is wrong, expired or already used")]
    InvalidCode,
    #[error("the TOTP secret is not a valid 160-bit base32 secret")]
    InvalidSecret,
    #[error("cannot draw the QR code: {0}")]
    QrCode(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for TwoFactorError {
    fn from(error: diesel::result::Error) -> Self {
        Self::Db(DbError::from(error))
    }
}

/// A fresh random secret (160 bits from a CSPRNG), base32 without padding as apps expect it.
pub fn new_secret() -> String {
    Secret::generate().to_base32()
}

fn totp(secret: &str, account_name: &str) -> Result<Totp, TwoFactorError> {
    let secret = Secret::try_from_base32(secret).map_err(|_| TwoFactorError::InvalidSecret)?;
    if secret.as_bytes().len() < SECRET_BYTES {
        return Err(TwoFactorError::InvalidSecret);
    }
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(DIGITS as u8)
        .with_step_duration(STEP_SECONDS)
        .with_skew(SKEW_STEPS as u16)
        .with_secret(secret)
        // The otpauth label is "issuer:account"; a colon in either would break it.
        .with_account_name(account_name.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|_| TwoFactorError::InvalidSecret)
}

/// The `otpauth://totp/...` URL that authenticator apps read from the QR code.
pub fn otpauth_url(secret: &str, account_email: &str) -> Result<String, TwoFactorError> {
    totp(secret, account_email)?
        .to_url()
        .map_err(|_| TwoFactorError::InvalidSecret)
}

/// The QR code of `url` as an inline `<svg>` element. It is drawn here from our own URL, so
/// the markup is safe to embed in a page as is.
pub fn qr_svg(url: &str) -> Result<String, TwoFactorError> {
    let code = QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| TwoFactorError::QrCode(e.to_string()))?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(220, 220)
        .dark_color(svg::Color("#000"))
        .light_color(svg::Color("#fff"))
        .build();
    // The XML prolog means nothing inside an HTML document.
    Ok(match image.find("<svg") {
        Some(start) => image[start..].to_owned(),
        None => image,
    })
}

/// Checks `code` against `secret` at `now`; returns the time step it belongs to when it is
/// valid (current step ± [`SKEW_STEPS`]) and later than `last_step`. Spaces in the code are
/// ignored. Every candidate step is computed and compared in constant time, so the answer
/// takes as long whatever the code.
pub fn verify_code(
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
    last_step: Option<u64>,
) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "").ok()?;
    let current = u64::try_from(now.timestamp()).ok()? / STEP_SECONDS;
    let mut accepted = None;
    for step in current.saturating_sub(SKEW_STEPS)..=current + SKEW_STEPS {
        let expected = totp.generate(step * STEP_SECONDS).to_string();
        let matches = constant_time_eq(expected.as_bytes(), code.as_bytes());
        let fresh = last_step.is_none_or(|last| step > last);
        if matches && fresh {
            accepted = Some(step);
        }
    }
    accepted
}

/// Ten recovery codes like `k7m2-9xq4-tp3w`, from the operating system's CSPRNG.
pub fn generate_recovery_codes() -> Vec<String> {
    let mut codes = Vec::with_capacity(RECOVERY_CODE_COUNT);
    while codes.len() < RECOVERY_CODE_COUNT {
        let code = random_recovery_code();
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    codes
}

fn random_recovery_code() -> String {
    let length = RECOVERY_GROUPS * RECOVERY_GROUP_LEN;
    let alphabet = RECOVERY_ALPHABET.len();
    // Rejection sampling keeps every symbol equally likely: bytes at or above the largest
    // multiple of the alphabet's size are dropped.
    let limit = (256 / alphabet * alphabet) as u8;
    let mut symbols = Vec::with_capacity(length);
    while symbols.len() < length {
        for byte in random_bytes(2 * length) {
            if byte < limit && symbols.len() < length {
                symbols.push(RECOVERY_ALPHABET[byte as usize % alphabet] as char);
            }
        }
    }
    symbols
        .chunks(RECOVERY_GROUP_LEN)
        .map(|group| group.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// The canonical form of a typed recovery code (`K7M2 9XQ4-TP3W` → `k7m2-9xq4-tp3w`), or
/// `None` when it cannot be one.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let compact: Vec<char> = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let valid = compact.len() == RECOVERY_GROUPS * RECOVERY_GROUP_LEN
        && compact
            .iter()
            .all(|c| c.is_ascii() && RECOVERY_ALPHABET.contains(&(*c as u8)));
    valid.then(|| {
        compact
            .chunks(RECOVERY_GROUP_LEN)
            .map(|group| group.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("-")
    })
}

/// Recovery codes carry ~59 random bits each, so a fast hash is enough: nobody can search
/// that space from a stolen table, and a slow password hash would only cost CPU at sign-in.
pub fn hash_recovery_code(canonical: &str) -> String {
    sha256_hex(canonical.as_bytes())
}

/// The staff member's enrolled secret and the last accepted step.
struct Enrolled {
    secret: String,
    last_step: Option<u64>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = staff_users)]
struct TotpColumns {
    totp_secret: Option<String>,
    totp_enabled_at: Option<DateTime<Utc>>,
    totp_last_step: Option<i64>,
}

fn load_enrolled(conn: &mut PgConnection, staff_id: i64) -> Result<Enrolled, TwoFactorError> {
    let row = staff_users::table
        .find(staff_id)
        .select(TotpColumns::as_select())
        .first(conn)
        .optional()?;
    match row {
        Some(TotpColumns {
            totp_secret: Some(secret),
            totp_enabled_at: Some(_),
            totp_last_step,
        }) => Ok(Enrolled {
            secret,
            last_step: totp_last_step.and_then(|step| u64::try_from(step).ok()),
        }),
        _ => Err(TwoFactorError::NotEnabled),
    }
}

/// Replaces the staff member's recovery codes with ten new ones; returns them in clear, to
/// be shown once.
fn replace_recovery_codes(
    conn: &mut PgConnection,
    staff_id: i64,
) -> Result<Vec<String>, TwoFactorError> {
    diesel::delete(staff_recovery_codes::table.filter(staff_recovery_codes::staff_id.eq(staff_id)))
        .execute(conn)?;
    let codes = generate_recovery_codes();
    let rows: Vec<_> = codes
        .iter()
        .map(|code| {
            (
                staff_recovery_codes::staff_id.eq(staff_id),
                staff_recovery_codes::code_hash.eq(hash_recovery_code(code)),
            )
        })
        .collect();
    diesel::insert_into(staff_recovery_codes::table)
        .values(&rows)
        .execute(conn)?;
    Ok(codes)
}

/// Confirms enrolment: `code` must be valid for `secret` (the one shown in the QR code) at
/// `now`. Stores the secret, marks the code's step as used, and returns the ten recovery
/// codes in clear, to be shown once.
pub fn enable(
    conn: &mut PgConnection,
    staff_id: i64,
    secret: &str,
    code: &str,
    now: DateTime<Utc>,
) -> Result<Vec<String>, TwoFactorError> {
    let step = verify_code(secret, code, now, None).ok_or(TwoFactorError::InvalidCode)?;
    let step = i64::try_from(step).map_err(|_| TwoFactorError::InvalidCode)?;
    conn.transaction(|conn| {
        let updated = diesel::update(
            staff_users::table
                .find(staff_id)
                .filter(staff_users::totp_enabled_at.is_null()),
        )
        .set((
            staff_users::totp_secret.eq(secret),
            staff_users::totp_enabled_at.eq(now),
            staff_users::totp_last_step.eq(step),
        ))
        .execute(conn)?;
        if updated == 0 {
            return Err(TwoFactorError::AlreadyEnabled);
        }
        replace_recovery_codes(conn, staff_id)
    })
}

fn clear(conn: &mut PgConnection, staff_id: i64) -> QueryResult<()> {
    conn.transaction(|conn| {
        diesel::update(staff_users::table.find(staff_id))
            .set((
                staff_users::totp_secret.eq(None::<String>),
                staff_users::totp_enabled_at.eq(None::<DateTime<Utc>>),
                staff_users::totp_last_step.eq(None::<i64>),
            ))
            .execute(conn)?;
        diesel::delete(
            staff_recovery_codes::table.filter(staff_recovery_codes::staff_id.eq(staff_id)),
        )
        .execute(conn)?;
        Ok(())
    })
}

/// The staff member turns two-factor authentication off (the caller has checked their
/// password). Refused while the policy requires it.
pub fn disable(conn: &mut PgConnection, staff_id: i64) -> Result<(), TwoFactorError> {
    if require_two_factor(conn)? {
        return Err(TwoFactorError::RequiredByPolicy);
    }
    if !is_enabled(conn, staff_id)? {
        return Err(TwoFactorError::NotEnabled);
    }
    clear(conn, staff_id)?;
    Ok(())
}

/// An administrator resets a staff member's second factor (lost phone): the secret and the
/// recovery codes are deleted whatever the policy; they enrol again at their next sign-in
/// when the policy requires it.
pub fn reset(conn: &mut PgConnection, staff_id: i64) -> QueryResult<()> {
    clear(conn, staff_id)
}

/// New recovery codes replace all the old ones (used or not); returned in clear once.
pub fn regenerate_recovery_codes(
    conn: &mut PgConnection,
    staff_id: i64,
) -> Result<Vec<String>, TwoFactorError> {
    conn.transaction(|conn| {
        load_enrolled(conn, staff_id)?;
        replace_recovery_codes(conn, staff_id)
    })
}

/// Accepts a code from the authenticator app only, consuming its time step.
pub fn check_totp_code(
    conn: &mut PgConnection,
    staff_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), TwoFactorError> {
    let enrolled = load_enrolled(conn, staff_id)?;
    accept_totp(conn, staff_id, &enrolled, code, now)
}

fn accept_totp(
    conn: &mut PgConnection,
    staff_id: i64,
    enrolled: &Enrolled,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), TwoFactorError> {
    let step = verify_code(&enrolled.secret, code, now, enrolled.last_step)
        .ok_or(TwoFactorError::InvalidCode)?;
    let step = i64::try_from(step).map_err(|_| TwoFactorError::InvalidCode)?;
    // The step is claimed in the same statement that checks it is fresh: of two requests
    // racing with one code, only one updates the row.
    let claimed = diesel::update(
        staff_users::table
            .find(staff_id)
            .filter(staff_users::totp_secret.eq(&enrolled.secret))
            .filter(
                staff_users::totp_last_step
                    .is_null()
                    .or(staff_users::totp_last_step.lt(step)),
            ),
    )
    .set(staff_users::totp_last_step.eq(step))
    .execute(conn)?;
    if claimed == 1 {
        Ok(())
    } else {
        Err(TwoFactorError::InvalidCode)
    }
}

fn redeem_recovery_code(
    conn: &mut PgConnection,
    staff_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), TwoFactorError> {
    let canonical = normalize_recovery_code(code).ok_or(TwoFactorError::InvalidCode)?;
    let redeemed = diesel::update(
        staff_recovery_codes::table
            .filter(staff_recovery_codes::staff_id.eq(staff_id))
            .filter(staff_recovery_codes::code_hash.eq(hash_recovery_code(&canonical)))
            .filter(staff_recovery_codes::used_at.is_null()),
    )
    .set(staff_recovery_codes::used_at.eq(now))
    .execute(conn)?;
    if redeemed == 1 {
        Ok(())
    } else {
        Err(TwoFactorError::InvalidCode)
    }
}

/// The second step of sign-in: a current code from the app (six digits) or an unused
/// recovery code. Either is consumed atomically.
pub fn check_login_code(
    conn: &mut PgConnection,
    staff_id: i64,
    code: &str,
    now: DateTime<Utc>,
) -> Result<SecondFactor, TwoFactorError> {
    let enrolled = load_enrolled(conn, staff_id)?;
    let digits_only = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .all(|c| c.is_ascii_digit());
    if digits_only {
        accept_totp(conn, staff_id, &enrolled, code, now)?;
        Ok(SecondFactor::Totp)
    } else {
        redeem_recovery_code(conn, staff_id, code, now)?;
        Ok(SecondFactor::RecoveryCode)
    }
}

pub fn is_enabled(conn: &mut PgConnection, staff_id: i64) -> QueryResult<bool> {
    Ok(staff_users::table
        .find(staff_id)
        .select(staff_users::totp_enabled_at.is_not_null())
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

/// Whether every staff member must use two-factor authentication.
pub fn require_two_factor(conn: &mut PgConnection) -> QueryResult<bool> {
    Ok(security_settings::table
        .find(1)
        .select(security_settings::require_two_factor)
        .first::<bool>(conn)
        .optional()?
        .unwrap_or(false))
}

pub fn set_require_two_factor(
    conn: &mut PgConnection,
    required: bool,
    by_staff_id: i64,
) -> QueryResult<()> {
    diesel::insert_into(security_settings::table)
        .values((
            security_settings::id.eq(1),
            security_settings::require_two_factor.eq(required),
            security_settings::updated_by.eq(by_staff_id),
        ))
        .on_conflict(security_settings::id)
        .do_update()
        .set((
            security_settings::require_two_factor.eq(required),
            security_settings::updated_at.eq(diesel::dsl::now),
            security_settings::updated_by.eq(by_staff_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// What "Mi cuenta → Verificación en dos pasos" shows.
#[derive(Debug, Clone)]
pub struct TwoFactorStatus {
    pub enabled_at: Option<DateTime<Utc>>,
    pub recovery_codes_left: i64,
    pub required_by_policy: bool,
}

impl TwoFactorStatus {
    pub fn enabled(&self) -> bool {
        self.enabled_at.is_some()
    }
}

pub fn status(conn: &mut PgConnection, staff_id: i64) -> QueryResult<TwoFactorStatus> {
    let enabled_at: Option<DateTime<Utc>> = staff_users::table
        .find(staff_id)
        .select(staff_users::totp_enabled_at)
        .first::<Option<DateTime<Utc>>>(conn)
        .optional()?
        .flatten();
    let recovery_codes_left = staff_recovery_codes::table
        .filter(staff_recovery_codes::staff_id.eq(staff_id))
        .filter(staff_recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)?;
    Ok(TwoFactorStatus {
        enabled_at,
        recovery_codes_left,
        required_by_policy: require_two_factor(conn)?,
    })
}

/// Active staff members who have not enrolled yet (shown next to the policy switch).
pub fn count_active_staff_without_two_factor(conn: &mut PgConnection) -> QueryResult<i64> {
    staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::totp_enabled_at.is_null())
        .count()
        .get_result(conn)
}

/// An active staff member as the back-office guard needs them.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct ActiveStaff {
    pub user: StaffUser,
    /// The policy requires two-factor authentication and they have not enrolled yet.
    pub must_enrol: bool,
}

/// [`crate::auth::staff::find_active`] plus the two-factor gate, in one query: the guard runs
/// on every back-office request.
pub fn find_active_staff(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ActiveStaff>> {
    let policy_requires = diesel::dsl::exists(
        security_settings::table
            .filter(security_settings::id.eq(1))
            .filter(security_settings::require_two_factor.eq(true)),
    );
    let row: Option<(StaffUser, bool, bool)> = staff_users::table
        .find(id)
        .filter(staff_users::active.eq(true))
        .select((
            StaffUser::as_select(),
            staff_users::totp_enabled_at.is_null(),
            policy_requires,
        ))
        .first(conn)
        .optional()?;
    Ok(row.map(|(user, not_enrolled, required)| ActiveStaff {
        user,
        must_enrol: required && not_enrolled,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// RFC 6238 appendix B's SHA-1 seed, "12345678901234567890", in base32.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    fn at(seconds: i64) -> DateTime<Utc> {
        Utc.timestamp_opt(seconds, 0).single().unwrap()
    }

    fn code_at(secret: &str, seconds: u64) -> String {
        Builder::new()
            .with_secret(Secret::try_from_base32(secret).unwrap())
            .build()
            .unwrap()
            .generate(seconds)
            .to_string()
    }

    #[test]
    fn secrets_are_160_random_bits_in_base32() {
        let a = new_secret();
        let b = new_secret();
        assert_ne!(a, b);
        assert_eq!(a.len(), 32, "20 bytes are 32 base32 characters");
        assert_eq!(
            Secret::try_from_base32(&a).unwrap().as_bytes().len(),
            SECRET_BYTES
        );
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // RFC 6238 appendix B lists 8-digit codes; the 6-digit code is their last six.
        for (time, expected) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, time as u64), expected);
            let step = verify_code(RFC_SECRET, expected, at(time), None);
            assert_eq!(step, Some(time as u64 / STEP_SECONDS), "at {time}");
        }
    }

    #[test]
    fn codes_from_totp_rs_verify_and_spaces_are_ignored() {
        let secret = new_secret();
        let now = 1_790_000_015_i64;
        let code = code_at(&secret, now as u64);
        let step = now as u64 / STEP_SECONDS;
        assert_eq!(verify_code(&secret, &code, at(now), None), Some(step));
        let spaced = format!(" {} {} ", &code[..3], &code[3..]);
        assert_eq!(verify_code(&secret, &spaced, at(now), None), Some(step));
        assert_eq!(verify_code(&secret, "12345", at(now), None), None);
        assert_eq!(verify_code(&secret, "abcdef", at(now), None), None);
        assert_eq!(verify_code(&secret, "+12345", at(now), None), None);
        assert_eq!(verify_code("not base32!", &code, at(now), None), None);
    }

    #[test]
    fn one_step_of_skew_is_accepted_two_are_not() {
        let secret = new_secret();
        let now = 1_790_000_010_i64;
        let step = now as u64 / STEP_SECONDS;
        for (offset, accepted) in [
            (-2_i64, false),
            (-1, true),
            (0, true),
            (1, true),
            (2, false),
        ] {
            let then = (step as i64 + offset) as u64 * STEP_SECONDS;
            let code = code_at(&secret, then);
            let result = verify_code(&secret, &code, at(now), None);
            if accepted {
                assert_eq!(result, Some(then / STEP_SECONDS), "offset {offset}");
            } else {
                assert_eq!(result, None, "offset {offset}");
            }
        }
    }

    #[test]
    fn a_code_of_an_already_used_step_is_refused() {
        let secret = new_secret();
        let now = 1_790_000_010_i64;
        let step = now as u64 / STEP_SECONDS;
        let code = code_at(&secret, now as u64);
        assert_eq!(verify_code(&secret, &code, at(now), Some(step)), None);
        assert_eq!(verify_code(&secret, &code, at(now), Some(step + 1)), None);
        assert_eq!(
            verify_code(&secret, &code, at(now), Some(step - 1)),
            Some(step)
        );
        // The next step's code is still good after this one was used.
        let next = code_at(&secret, (step + 1) * STEP_SECONDS);
        assert_eq!(
            verify_code(&secret, &next, at(now), Some(step)),
            Some(step + 1)
        );
    }

    #[test]
    fn recovery_codes_are_ten_distinct_unambiguous_codes() {
        let codes = generate_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODE_COUNT);
        let shape = |code: &String| {
            let groups: Vec<&str> = code.split('-').collect();
            groups.len() == 3
                && groups.iter().all(|g| {
                    g.len() == 4
                        && g.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))
                        && !g.contains(['0', '1', 'o', 'l', 'i'])
                })
        };
        assert!(codes.iter().all(shape), "{codes:?}");
        let mut unique = codes.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), codes.len());
        assert_ne!(codes, generate_recovery_codes(), "fresh codes every time");
    }

    #[test]
    fn typed_recovery_codes_are_normalised() {
        assert_eq!(
            normalize_recovery_code(" K7M2 9XQ4-tp3w ").as_deref(),
            Some("k7m2-9xq4-tp3w")
        );
        assert_eq!(
            normalize_recovery_code("k7m29xq4tp3w").as_deref(),
            Some("k7m2-9xq4-tp3w")
        );
        assert_eq!(normalize_recovery_code("k7m2-9xq4-tp3"), None);
        assert_eq!(
            normalize_recovery_code("k7m2-9xq4-tp30"),
            None,
            "0 is not used"
        );
        assert_eq!(normalize_recovery_code("k7m2-9xq4-tp3ñ"), None);
    }

    #[test]
    fn recovery_codes_are_stored_as_sha256() {
        let hash = hash_recovery_code("k7m2-9xq4-tp3w");
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains("k7m2"));
    }

    #[test]
    fn the_enrolment_url_and_qr_code_name_the_issuer_and_account() {
        let url = otpauth_url(RFC_SECRET, "ana@soriano.es").unwrap();
        assert!(
            url.starts_with("otpauth://totp/Soriano%20Mediadores:ana%40soriano.es?"),
            "{url}"
        );
        assert!(url.contains(&format!("secret={RFC_SECRET}")));
        assert!(url.contains("issuer=Soriano%20Mediadores"));
        let svg = qr_svg(&url).unwrap();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<?xml"));
    }

    #[test]
    fn short_secrets_are_refused() {
        // 80 bits: below RFC 4226's minimum of 128 and our 160.
        assert!(matches!(
            otpauth_url("GEZDGNBVGY3TQOJQ", "ana@soriano.es"),
            Err(TwoFactorError::InvalidSecret)
        ));
    }
}
