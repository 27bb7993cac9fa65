//! Client accounts of e-SORI: one per customer record, opened by a staff invitation or by the
//! client registering with what only they know (DNI/NIE, a policy number, the e-mail on file).
//! Both ways end in an e-mailed single-use link where the client chooses a password; the
//! password rules, hashing and sign-in throttling are the staff ones (`crate::auth`).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::auth::sign_in::{Origin, PasswordAccount, Step, password_step};
use crate::auth::throttle;
use crate::db::schema::{client_sign_ins, client_tokens, client_users, customers, policies};
use crate::db::{Db, DbError};
use crate::identifiers::TaxId;
use crate::mail;
use crate::util::{random_token, sha256_hex};

/// Serialisable for the same reason as `auth::staff::StaffUser`.
#[derive(Debug, Clone, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = client_users)]
pub struct ClientUser {
    pub id: i64,
    pub customer_id: i64,
    pub email: String,
    pub password_hash: Option<String>,
    pub active: bool,
    pub email_confirmed_at: Option<DateTime<Utc>>,
    /// Set while the client has a second factor (TOTP) turned on.
    pub totp_enabled_at: Option<DateTime<Utc>>,
    /// A new address waiting for its link to be used ("Pendiente de confirmar").
    pub pending_email: Option<String>,
}

impl ClientUser {
    /// Only an account with a chosen password and a confirmed address can sign in.
    pub fn can_sign_in(&self) -> bool {
        self.active && self.password_hash.is_some() && self.email_confirmed_at.is_some()
    }

    pub fn has_second_factor(&self) -> bool {
        self.totp_enabled_at.is_some()
    }
}

/// What an e-mailed link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Invitation,
    Registration,
    PasswordReset,
    /// Confirms a new address; the link goes to that address.
    EmailChange,
}

impl Purpose {
    pub fn code(self) -> &'static str {
        match self {
            Purpose::Invitation => "invitation",
            Purpose::Registration => "registration",
            Purpose::PasswordReset => "password_reset",
            Purpose::EmailChange => "email_change",
        }
    }

    fn parse(code: &str) -> Option<Self> {
        match code {
            "invitation" => Some(Purpose::Invitation),
            "registration" => Some(Purpose::Registration),
            "password_reset" => Some(Purpose::PasswordReset),
            "email_change" => Some(Purpose::EmailChange),
            _ => None,
        }
    }

    /// Invitations and registrations wait three days, an e-mail change one day; a reset
    /// link lasts one hour.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::Invitation | Purpose::Registration => Duration::hours(72),
            Purpose::EmailChange => Duration::hours(24),
            Purpose::PasswordReset => Duration::hours(1),
        }
    }
}

/// The key of a client in the shared sign-in throttle: prefixed so that a client and a staff
/// member with the same address do not lock each other out.
fn throttle_key(email: &str) -> String {
    format!("portal:{email}")
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ClientUser>> {
    client_users::table
        .find(id)
        .select(ClientUser::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_email(conn: &mut PgConnection, email: &str) -> QueryResult<Option<ClientUser>> {
    client_users::table
        .filter(client_users::email.eq(email))
        .select(ClientUser::as_select())
        .first(conn)
        .optional()
}

/// Issues a link for `purpose`, voiding earlier unused links of the same purpose.
pub fn issue_token(
    conn: &mut PgConnection,
    client_user_id: i64,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    issue(conn, client_user_id, purpose, None, now)
}

/// Voids the account's unused links of `purpose` (they expire now).
pub fn void_tokens(
    conn: &mut PgConnection,
    client_user_id: i64,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::update(
        client_tokens::table
            .filter(client_tokens::client_user_id.eq(client_user_id))
            .filter(client_tokens::purpose.eq(purpose.code()))
            .filter(client_tokens::used_at.is_null())
            .filter(client_tokens::expires_at.gt(now)),
    )
    .set(client_tokens::expires_at.eq(now))
    .execute(conn)
}

/// Issues the link that confirms `new_email` (voiding earlier e-mail change links).
pub fn issue_email_change_token(
    conn: &mut PgConnection,
    client_user_id: i64,
    new_email: &str,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    issue(
        conn,
        client_user_id,
        Purpose::EmailChange,
        Some(new_email),
        now,
    )
}

fn issue(
    conn: &mut PgConnection,
    client_user_id: i64,
    purpose: Purpose,
    new_email: Option<&str>,
    now: DateTime<Utc>,
) -> QueryResult<String> {
    void_tokens(conn, client_user_id, purpose, now)?;
    let token = random_token(32);
    diesel::insert_into(client_tokens::table)
        .values((
            client_tokens::token_hash.eq(sha256_hex(token.as_bytes())),
            client_tokens::client_user_id.eq(client_user_id),
            client_tokens::purpose.eq(purpose.code()),
            client_tokens::new_email.eq(new_email),
            client_tokens::created_at.eq(now),
            client_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// The account and purpose of a live link, without using it up (to show the form).
pub fn peek_token(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(ClientUser, Purpose)>> {
    let found: Option<(ClientUser, String)> = client_tokens::table
        .inner_join(client_users::table)
        .filter(client_tokens::token_hash.eq(sha256_hex(token.as_bytes())))
        .filter(client_tokens::purpose.ne(Purpose::EmailChange.code()))
        .filter(client_tokens::used_at.is_null())
        .filter(client_tokens::expires_at.gt(now))
        .filter(client_users::active.eq(true))
        .select((ClientUser::as_select(), client_tokens::purpose))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|(user, purpose)| Purpose::parse(&purpose).map(|p| (user, p))))
}

/// The signed-in change of one's own password (under the portal role: own row only).
pub fn set_password_hash(
    conn: &mut PgConnection,
    client_user_id: i64,
    password_hash: &str,
) -> QueryResult<()> {
    diesel::update(client_users::table.find(client_user_id))
        .set(client_users::password_hash.eq(password_hash))
        .execute(conn)?;
    Ok(())
}

/// Uses up a link and sets the password it was for: the address is confirmed by the very
/// fact that the link arrived, and every open session of the account ends.
pub fn set_password_with_token(
    conn: &mut PgConnection,
    token: &str,
    password_hash: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<(ClientUser, Purpose)>> {
    let found: Option<(i64, String)> = diesel::update(
        client_tokens::table
            .find(sha256_hex(token.as_bytes()))
            .filter(client_tokens::purpose.ne(Purpose::EmailChange.code()))
            .filter(client_tokens::used_at.is_null())
            .filter(client_tokens::expires_at.gt(now)),
    )
    .set(client_tokens::used_at.eq(now))
    .returning((client_tokens::client_user_id, client_tokens::purpose))
    .get_result(conn)
    .optional()?;
    let Some((id, purpose)) = found else {
        return Ok(None);
    };
    let Some(purpose) = Purpose::parse(&purpose) else {
        return Ok(None);
    };
    let user: ClientUser = diesel::update(
        client_users::table
            .find(id)
            .filter(client_users::active.eq(true)),
    )
    .set((
        client_users::password_hash.eq(password_hash),
        client_users::email_confirmed_at.eq(Some(Utc::now())),
    ))
    .returning(ClientUser::as_returning())
    .get_result(conn)?;
    crate::auth::sessions::end_all_for_client(conn, id)?;
    Ok(Some((user, purpose)))
}

fn portal_link(base_url: &url::Url, token: &str) -> String {
    let mut url = base_url.clone();
    url.set_path(&format!("/portal/contrasena/{token}"));
    url.set_query(None);
    url.to_string()
}

fn link_purpose(purpose: Purpose) -> mail::ClientLinkPurpose {
    match purpose {
        Purpose::Invitation => mail::ClientLinkPurpose::Invitation,
        Purpose::Registration => mail::ClientLinkPurpose::Registration,
        Purpose::PasswordReset => mail::ClientLinkPurpose::PasswordReset,
        Purpose::EmailChange => mail::ClientLinkPurpose::EmailChange,
    }
}

/// Issues a link and queues its e-mail (inside the caller's transaction).
pub fn send_link(
    conn: &mut PgConnection,
    user: &ClientUser,
    purpose: Purpose,
    base_url: &url::Url,
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    let token = issue_token(conn, user.id, purpose, now)?;
    let name = crate::customers::greeting_name_of(conn, user.customer_id)?;
    mail::send(
        conn,
        &mail::Notice::ClientLink {
            purpose: link_purpose(purpose),
            to: user.email.trim().to_owned(),
            name,
            link: portal_link(base_url, &token),
        },
    )?;
    Ok(())
}

/// Why a customer cannot be invited.
#[derive(Debug, thiserror::Error)]
pub enum InviteError {
    #[error("no encontrado")]
    NotFound,
    #[error("El cliente no tiene correo electrónico: añádalo en su ficha antes de invitarle.")]
    NoEmail,
    #[error("Ese correo ya da acceso a e-SORI a otro cliente.")]
    EmailTaken,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for InviteError {
    fn from(error: diesel::result::Error) -> Self {
        InviteError::Database(error.into())
    }
}

/// Opens (or reopens) the account of customer `customer_id` at the customer's current e-mail
/// and sends the invitation link. Returns the account.
pub fn invite(
    conn: &mut PgConnection,
    customer_id: i64,
    staff_id: i64,
    base_url: &url::Url,
    now: DateTime<Utc>,
) -> Result<ClientUser, InviteError> {
    let email: Option<String> = customers::table
        .find(customer_id)
        .filter(customers::merged_into_id.is_null())
        .select(customers::email)
        .first(conn)
        .optional()?
        .ok_or(InviteError::NotFound)?;
    let email = email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
        .ok_or(InviteError::NoEmail)?;
    let user = upsert_account(conn, customer_id, &email, Some(staff_id))?;
    send_link(conn, &user, Purpose::Invitation, base_url, now)?;
    Ok(user)
}

/// The account of `customer_id` at `email`, created when missing. An existing account takes
/// the address now on the customer record.
fn upsert_account(
    conn: &mut PgConnection,
    customer_id: i64,
    email: &str,
    staff_id: Option<i64>,
) -> Result<ClientUser, InviteError> {
    if let Some(other) = find_by_email(conn, email)?
        && other.customer_id != customer_id
    {
        return Err(InviteError::EmailTaken);
    }
    let user = diesel::insert_into(client_users::table)
        .values((
            client_users::customer_id.eq(customer_id),
            client_users::email.eq(email),
            client_users::invited_by_staff_id.eq(staff_id),
        ))
        .on_conflict(client_users::customer_id)
        .do_update()
        .set((client_users::email.eq(email), client_users::active.eq(true)))
        .returning(ClientUser::as_returning())
        .get_result(conn)?;
    Ok(user)
}

/// What a stranger typed on the registration form.
#[derive(Debug, Clone)]
pub struct Registration {
    pub tax_id: TaxId,
    pub policy_number: String,
    pub email: String,
}

/// Registration: when DNI/NIE, a policy of that customer and the e-mail on file all match,
/// opens the account and e-mails the confirmation link (which is where the password is
/// chosen). Otherwise nothing happens. The caller answers the same either way, so the form
/// tells nobody whether a DNI or a policy exists; the boolean is for tests and logs only.
pub fn register(
    conn: &mut PgConnection,
    form: &Registration,
    base_url: &url::Url,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    let customer: Option<i64> = customers::table
        .inner_join(policies::table)
        .filter(customers::tax_id.eq(form.tax_id.as_str()))
        .filter(customers::merged_into_id.is_null())
        .filter(customers::email.eq(&form.email))
        .filter(policies::number.eq(&form.policy_number))
        .select(customers::id)
        .first(conn)
        .optional()?;
    let Some(customer_id) = customer else {
        return Ok(false);
    };
    let user = match upsert_account(conn, customer_id, &form.email, None) {
        Ok(user) => user,
        Err(InviteError::Database(e)) => return Err(e),
        Err(_) => return Ok(false),
    };
    send_link(conn, &user, Purpose::Registration, base_url, now)?;
    Ok(true)
}

/// "¿Ha olvidado su contraseña?": a reset link when an account that can sign in has this
/// address; nothing otherwise (same answer to the browser).
pub fn request_reset(
    conn: &mut PgConnection,
    email: &str,
    base_url: &url::Url,
    now: DateTime<Utc>,
) -> Result<bool, DbError> {
    match find_by_email(conn, email)? {
        Some(user) if user.can_sign_in() => {
            send_link(conn, &user, Purpose::PasswordReset, base_url, now)?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

#[derive(Debug)]
pub enum SignIn {
    Accepted(ClientUser),
    /// Wrong e-mail or password, or an account that cannot sign in: one answer for all.
    Rejected,
    /// Too many recent failures: wait this many seconds.
    Throttled(i64),
}

impl PasswordAccount for ClientUser {
    fn id(&self) -> i64 {
        self.id
    }
    fn usable_hash(&self) -> Option<&str> {
        self.password_hash.as_deref().filter(|_| self.can_sign_in())
    }
}

/// The password step of a client sign-in: the staff throttle and hashing, keyed apart.
pub async fn attempt(
    db: &Db,
    email: &str,
    typed: String,
    origin: Origin,
    now: DateTime<Utc>,
) -> Result<SignIn, DbError> {
    let email = crate::auth::staff::normalize_email(email);
    let lookup = email.clone();
    let step = password_step(db, throttle_key(&email), origin, typed, now, move |conn| {
        find_by_email(conn, &lookup)
    })
    .await?;
    match step {
        Step::Throttled(seconds) => Ok(SignIn::Throttled(seconds)),
        Step::Rejected { .. } => Ok(SignIn::Rejected),
        Step::Accepted {
            account: user,
            attempt,
            upgraded,
        } => {
            db.transaction(move |conn| {
                throttle::succeeded(conn, &attempt, now)?;
                if let Some(hash) = upgraded {
                    diesel::update(client_users::table.find(user.id))
                        .set(client_users::password_hash.eq(hash))
                        .execute(conn)?;
                }
                Ok(SignIn::Accepted(user))
            })
            .await
        }
    }
}

/// Records a completed sign-in ("Últimos accesos").
pub fn record_sign_in(
    conn: &mut PgConnection,
    client_user_id: i64,
    ip: &str,
    user_agent: &str,
) -> QueryResult<()> {
    diesel::insert_into(client_sign_ins::table)
        .values((
            client_sign_ins::client_user_id.eq(client_user_id),
            client_sign_ins::ip.eq(ip),
            client_sign_ins::user_agent.eq(user_agent),
        ))
        .execute(conn)?;
    diesel::update(client_users::table.find(client_user_id))
        .set(client_users::last_login_at.eq(Some(Utc::now())))
        .execute(conn)?;
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct SignInRow {
    pub signed_in_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

/// The latest sign-ins of the account (run under the portal role).
pub fn recent_sign_ins(
    conn: &mut PgConnection,
    client_user_id: i64,
) -> QueryResult<Vec<SignInRow>> {
    client_sign_ins::table
        .filter(client_sign_ins::client_user_id.eq(client_user_id))
        .order((
            client_sign_ins::signed_in_at.desc(),
            client_sign_ins::id.desc(),
        ))
        .limit(20)
        .select((
            client_sign_ins::signed_in_at,
            client_sign_ins::ip,
            client_sign_ins::user_agent,
        ))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_last_three_days_except_resets() {
        assert_eq!(Purpose::Invitation.lifetime(), Duration::hours(72));
        assert_eq!(Purpose::Registration.lifetime(), Duration::hours(72));
        assert_eq!(Purpose::PasswordReset.lifetime(), Duration::hours(1));
        assert_eq!(Purpose::EmailChange.lifetime(), Duration::hours(24));
        for purpose in [
            Purpose::Invitation,
            Purpose::Registration,
            Purpose::PasswordReset,
            Purpose::EmailChange,
        ] {
            assert_eq!(Purpose::parse(purpose.code()), Some(purpose));
        }
        assert_eq!(throttle_key("a@b.es"), "portal:a@b.es");
    }
}
