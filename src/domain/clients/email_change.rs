//! A client changes their e-mail in "Mis datos". No HTTP here.
//!
//! The new address does not count until it is proven: it waits in
//! `client_users.pending_email` while a single-use link (24 h, only its SHA-256 stored) goes
//! to it, and a notice without personal details goes to the old address, so that someone who
//! took over a session cannot quietly move the account away. Using the link changes the login
//! e-mail and the customer's e-mail in one transaction. Every write here runs under the portal
//! role (`Db::portal_transaction`).

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Text};
use serde_json::json;

use crate::audit::Action;
use crate::auth::staff;
use crate::clients::accounts::{self, ClientUser, Purpose};
use crate::clients::profile::ClientActor;
use crate::db::DbError;
use crate::db::schema::{client_tokens, client_users, customers};
use crate::mail;
use crate::util::sha256_hex;
use crate::validation::FieldErrors;

/// The form field of the new address.
pub const FIELD: &str = "correo";
/// A second identical request within this time sends no second link (double submit).
const RESEND_AFTER_SECONDS: i64 = 60;

/// Checks the typed address: present, well-formed, not the current one. Returns it
/// normalised (trimmed, lower case).
pub fn check_new_email(typed: &str, current: &str) -> Result<String, FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = staff::normalize_email(typed);
    if email.is_empty() {
        errors.add(FIELD, "Escriba el nuevo correo electrónico.");
    } else if !staff::is_plausible_email(&email) || email.chars().count() > 254 {
        errors.add(FIELD, "El correo electrónico no tiene un formato válido.");
    } else if email == staff::normalize_email(current) {
        errors.add(FIELD, "Ese ya es su correo electrónico actual.");
    }
    errors.into_result(email)
}

/// Whether another client account signs in with `email` (a boolean from a SECURITY DEFINER
/// function: the portal role cannot see other accounts).
pub fn taken_by_other(conn: &mut PgConnection, email: &str) -> QueryResult<bool> {
    diesel::select(
        diesel::dsl::sql::<Bool>("portal_email_taken(")
            .bind::<Text, _>(email)
            .sql(")"),
    )
    .get_result(conn)
}

fn taken_error() -> FieldErrors {
    let mut errors = FieldErrors::new();
    errors.add(FIELD, "Ese correo ya lo usa otra cuenta de e-SORI.");
    errors
}

fn link(base_url: &url::Url, path: &str) -> String {
    let mut url = base_url.clone();
    url.set_path(path);
    url.set_query(None);
    url.to_string()
}

/// Records `new_email` as pending, sends the confirmation link to it and the notice to the
/// current address, and audits the request. `Err` carries the message for the field.
pub fn request(
    conn: &mut PgConnection,
    by: &ClientActor,
    user: &ClientUser,
    new_email: &str,
    base_url: &url::Url,
    now: DateTime<Utc>,
) -> Result<Result<(), FieldErrors>, DbError> {
    if taken_by_other(conn, new_email)? {
        return Ok(Err(taken_error()));
    }
    let current: Option<(Option<String>, Option<DateTime<Utc>>)> = client_users::table
        .find(user.id)
        .filter(client_users::customer_id.eq(by.customer_id))
        .select((
            client_users::pending_email,
            client_users::pending_email_requested_at,
        ))
        .for_update()
        .first(conn)
        .optional()?;
    let Some((pending, requested_at)) = current else {
        return Err(DbError::Query(DieselError::NotFound));
    };
    let repeated = pending.as_deref() == Some(new_email)
        && requested_at.is_some_and(|at| now - at < Duration::seconds(RESEND_AFTER_SECONDS));
    if repeated {
        return Ok(Ok(()));
    }
    diesel::update(
        client_users::table
            .find(user.id)
            .filter(client_users::customer_id.eq(by.customer_id)),
    )
    .set((
        client_users::pending_email.eq(new_email),
        client_users::pending_email_requested_at.eq(now),
    ))
    .execute(conn)?;
    let token = accounts::issue_email_change_token(conn, user.id, new_email, now)?;
    let name = crate::customers::greeting_name_of(conn, by.customer_id)?;
    mail::send(
        conn,
        &mail::Notice::ClientLink {
            purpose: mail::ClientLinkPurpose::EmailChange,
            to: new_email.trim().to_owned(),
            name,
            link: link(base_url, &format!("/portal/correo/{token}")),
        },
    )?;
    mail::send(
        conn,
        &mail::Notice::ClientEmailChangeNotice {
            to: user.email.trim().to_owned(),
            link: link(base_url, "/portal/datos"),
        },
    )?;
    by.record(
        conn,
        Action::ClientEmailChangeRequested,
        json!({ "correo_nuevo": new_email }),
    )?;
    Ok(Ok(()))
}

/// Drops the pending address and voids its link. False when nothing was pending.
pub fn cancel(
    conn: &mut PgConnection,
    by: &ClientActor,
    client_user_id: i64,
    now: DateTime<Utc>,
) -> QueryResult<bool> {
    let cancelled: Option<String> = diesel::update(
        client_users::table
            .find(client_user_id)
            .filter(client_users::customer_id.eq(by.customer_id))
            .filter(client_users::pending_email.is_not_null()),
    )
    .set((
        client_users::pending_email.eq(None::<String>),
        client_users::pending_email_requested_at.eq(None::<DateTime<Utc>>),
    ))
    .returning(client_users::email)
    .get_result(conn)
    .optional()?;
    accounts::void_tokens(conn, client_user_id, Purpose::EmailChange, now)?;
    if cancelled.is_none() {
        return Ok(false);
    }
    by.record(conn, Action::ClientEmailChangeCancelled, json!({}))?;
    Ok(true)
}

/// A live e-mail change link: whose and for which address.
#[derive(Debug, Clone)]
pub struct PendingLink {
    pub client_user_id: i64,
    pub customer_id: i64,
    pub current_email: String,
    pub new_email: String,
}

#[derive(Queryable)]
struct LinkRow {
    client_user_id: i64,
    customer_id: i64,
    email: String,
    pending_email: Option<String>,
    new_email: Option<String>,
}

/// The account and address of a live link, without using it (the confirmation page, and
/// the customer whose portal transaction will use it).
pub fn peek(
    conn: &mut PgConnection,
    token: &str,
    now: DateTime<Utc>,
) -> QueryResult<Option<PendingLink>> {
    let found: Option<LinkRow> = client_tokens::table
        .inner_join(client_users::table)
        .filter(client_tokens::token_hash.eq(sha256_hex(token.as_bytes())))
        .filter(client_tokens::purpose.eq(Purpose::EmailChange.code()))
        .filter(client_tokens::used_at.is_null())
        .filter(client_tokens::expires_at.gt(now))
        .filter(client_users::active.eq(true))
        .select((
            client_users::id,
            client_users::customer_id,
            client_users::email,
            client_users::pending_email,
            client_tokens::new_email,
        ))
        .first(conn)
        .optional()?;
    Ok(found.and_then(|row| {
        // A link for an address that is no longer the pending one (cancelled, replaced) is dead.
        let pending = row.pending_email;
        let new_email = row
            .new_email
            .filter(|new| pending.as_deref() == Some(new.as_str()))?;
        Some(PendingLink {
            client_user_id: row.client_user_id,
            customer_id: row.customer_id,
            current_email: row.email,
            new_email,
        })
    }))
}

#[derive(Debug)]
pub enum Confirmed {
    /// Login and customer e-mail changed to `new`.
    Changed { new: String },
    /// Used, expired, cancelled or unknown.
    Invalid,
    /// Another account took the address in the meantime.
    Taken,
}

/// Uses the link: the login e-mail and the customer's e-mail become the new address, the
/// pending address is cleared, the link is consumed; audited and published as
/// `client.email_changed`. Run under the portal role of the link's customer.
/// Where a confirmation comes from: for the audit entry, and the sign-in id of the browser's
/// session (kept open when the other sessions of the account end).
#[derive(Debug, Clone, Copy)]
pub struct Origin<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub keep_sid: Option<&'a str>,
}

pub fn confirm(
    conn: &mut PgConnection,
    token: &str,
    origin: Origin<'_>,
    now: DateTime<Utc>,
) -> Result<Confirmed, DbError> {
    let Origin {
        ip,
        user_agent,
        keep_sid,
    } = origin;
    let Some(link) = peek(conn, token, now)? else {
        return Ok(Confirmed::Invalid);
    };
    if taken_by_other(conn, &link.new_email)? {
        return Ok(Confirmed::Taken);
    }
    let used = diesel::update(
        client_tokens::table
            .find(sha256_hex(token.as_bytes()))
            .filter(client_tokens::purpose.eq(Purpose::EmailChange.code()))
            .filter(client_tokens::used_at.is_null())
            .filter(client_tokens::expires_at.gt(now)),
    )
    .set(client_tokens::used_at.eq(now))
    .execute(conn)?;
    if used != 1 {
        return Ok(Confirmed::Invalid);
    }
    let changed = diesel::update(
        client_users::table
            .find(link.client_user_id)
            .filter(client_users::pending_email.eq(&link.new_email)),
    )
    .set((
        client_users::email.eq(&link.new_email),
        client_users::pending_email.eq(None::<String>),
        client_users::pending_email_requested_at.eq(None::<DateTime<Utc>>),
        client_users::email_confirmed_at.eq(Some(now)),
    ))
    .execute(conn);
    match changed {
        Ok(1) => {}
        Ok(_) => return Ok(Confirmed::Invalid),
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return Ok(Confirmed::Taken);
        }
        Err(other) => return Err(other.into()),
    }
    diesel::update(customers::table.find(link.customer_id))
        .set((
            customers::email.eq(Some(&link.new_email)),
            customers::updated_at.eq(now),
        ))
        .execute(conn)?;
    let by = ClientActor {
        customer_id: link.customer_id,
        label: link.new_email.clone(),
        ip: ip.to_owned(),
        user_agent: user_agent.to_owned(),
    };
    let details = json!({ "correo": { "before": link.current_email, "after": link.new_email } });
    by.record(conn, Action::ClientEmailChanged, details)?;
    crate::events::publish(
        conn,
        "client.email_changed",
        "customer",
        link.customer_id,
        json!({ "client_user_id": link.client_user_id }),
    )?;
    // Sessions opened with the old address end; the browser that confirms (if signed in as
    // this client) stays.
    crate::auth::sessions::end_client_sessions_but(conn, keep_sid)?;
    Ok(Confirmed::Changed {
        new: link.new_email,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_address_is_checked_before_anything_is_sent() {
        assert_eq!(
            check_new_email("  Nueva@Ejemplo.ES ", "vieja@ejemplo.es").unwrap(),
            "nueva@ejemplo.es"
        );
        for (typed, message) in [
            ("", "Escriba el nuevo correo electrónico."),
            (
                "no-es-un-correo",
                "El correo electrónico no tiene un formato válido.",
            ),
            (
                "VIEJA@ejemplo.es",
                "Ese ya es su correo electrónico actual.",
            ),
        ] {
            let errors = check_new_email(typed, "vieja@ejemplo.es").unwrap_err();
            assert_eq!(errors.get(FIELD), Some(message), "{typed}");
        }
    }
}
