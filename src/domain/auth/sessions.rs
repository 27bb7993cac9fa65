//! The sessions table seen from the domain: ending sessions (sign out everywhere, a password
//! changed, an account disabled), listing a person's open sessions and purging expired ones.
//! The session store the web layer plugs into actix-session is `web::session_store`.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::auth::staff::StaffUser;
use crate::auth::totp::ActiveStaff;
use crate::clients::accounts::ClientUser;
use crate::db::schema::{client_users, customers, security_settings, sessions, staff_users};

/// A session's state as stored: actix-session's map of keys to JSON-encoded values.
pub type SessionState = std::collections::HashMap<String, String>;

/// Set at sign-in: a non-secret id telling this session apart in "Mi cuenta", and where the
/// session was opened from. Copied into their own columns.
pub const SESSION_ID_KEY: &str = "sori.sid";
pub const SESSION_IP_KEY: &str = "sori.ip";
pub const SESSION_AGENT_KEY: &str = "sori.ua";

/// A string value of the state (actix-session serialises values as JSON: "\"42\"").
pub fn state_text(state: &SessionState, key: &str) -> Option<String> {
    let raw = state.get(key)?;
    Some(serde_json::from_str(raw).unwrap_or_else(|_| raw.clone()))
}

/// Who a session belongs to, read together with it (see [`load_with_owner`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub enum Owner {
    /// An active staff member (an inactive one is no owner).
    Staff(ActiveStaff),
    /// A client account (whether it may still sign in is for the guard to decide) and its
    /// customer's names, as the portal's header shows them.
    Client {
        user: ClientUser,
        given_name: Option<String>,
        display_name: String,
    },
}

/// Whose sessions a store keeps: the back-office's staff or e-SORI's clients. Both live in the
/// same table (the `kind` column), and a store only ever loads, extends or ends rows of its
/// own kind, so a client session key can never open a staff session (or the other way round).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    Staff,
    Client,
}

impl SessionKind {
    pub fn code(self) -> &'static str {
        match self {
            SessionKind::Staff => "staff",
            SessionKind::Client => "client",
        }
    }
}

/// The state of the live session whose key hashes to `key_hash`, and its signed-in owner, in
/// one statement. Every signed-in request needs both, so reading them together saves the
/// guard a second trip to the pool and the database on every page.
pub fn load_with_owner(
    conn: &mut PgConnection,
    key_hash: &str,
    kind: SessionKind,
) -> QueryResult<Option<(serde_json::Value, Option<Owner>)>> {
    let live = sessions::key_hash
        .eq(key_hash)
        .and(sessions::expires_at.gt(diesel::dsl::now));
    match kind {
        SessionKind::Staff => {
            let policy_requires = diesel::dsl::exists(
                security_settings::table
                    .filter(security_settings::id.eq(1))
                    .filter(security_settings::require_two_factor.eq(true)),
            );
            let row: Option<(serde_json::Value, Option<StaffUser>, bool, bool)> = sessions::table
                .left_join(
                    staff_users::table.on(staff_users::id
                        .nullable()
                        .eq(sessions::user_id)
                        .and(staff_users::active.eq(true))),
                )
                .filter(live.and(sessions::kind.eq(kind.code())))
                .select((
                    sessions::state,
                    Option::<StaffUser>::as_select(),
                    staff_users::totp_enabled_at.nullable().is_null(),
                    policy_requires,
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(state, user, not_enrolled, required)| {
                let owner = user.map(|user| {
                    Owner::Staff(ActiveStaff {
                        user,
                        must_enrol: required && not_enrolled,
                    })
                });
                (state, owner)
            }))
        }
        SessionKind::Client => {
            type Row = (
                serde_json::Value,
                Option<ClientUser>,
                Option<String>,
                Option<String>,
            );
            let row: Option<Row> = sessions::table
                .left_join(
                    client_users::table
                        .on(client_users::id.nullable().eq(sessions::client_user_id)),
                )
                .left_join(
                    customers::table.on(customers::id
                        .nullable()
                        .eq(client_users::customer_id.nullable())),
                )
                .filter(live.and(sessions::kind.eq(kind.code())))
                .select((
                    sessions::state,
                    Option::<ClientUser>::as_select(),
                    customers::given_name.nullable(),
                    customers::display_name.nullable(),
                ))
                .first(conn)
                .optional()?;
            Ok(row.map(|(state, user, given_name, display_name)| {
                let owner = user
                    .zip(display_name)
                    .map(|(user, display_name)| Owner::Client {
                        user,
                        given_name,
                        display_name,
                    });
                (state, owner)
            }))
        }
    }
}

/// Ends every session of a staff member (logout everywhere, password change, disabling).
pub fn end_all_for_user(conn: &mut PgConnection, staff_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(staff_id))).execute(conn)
}

/// One open session of a staff member, as "Mi cuenta" lists it.
#[derive(Debug, Clone)]
pub struct OpenSession {
    pub id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// The non-secret id set at sign-in (`SESSION_ID_KEY`), to recognise the current one.
    pub sid: Option<String>,
}

/// The live sessions of a staff member, newest first (a handful: no pagination needed, but
/// bounded anyway).
pub fn open_sessions(conn: &mut PgConnection, staff_id: i64) -> QueryResult<Vec<OpenSession>> {
    #[derive(Queryable)]
    struct Row {
        id: i64,
        created_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
        ip: Option<String>,
        user_agent: Option<String>,
        state: serde_json::Value,
    }
    let rows: Vec<Row> = sessions::table
        .filter(sessions::user_id.eq(staff_id))
        .filter(sessions::expires_at.gt(diesel::dsl::now))
        .order(sessions::created_at.desc())
        .limit(100)
        .select((
            sessions::id,
            sessions::created_at,
            sessions::expires_at,
            sessions::ip,
            sessions::user_agent,
            sessions::state,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let state: SessionState = serde_json::from_value(row.state).unwrap_or_default();
            OpenSession {
                id: row.id,
                created_at: row.created_at,
                expires_at: row.expires_at,
                ip: row.ip,
                user_agent: row.user_agent,
                sid: state_text(&state, SESSION_ID_KEY),
            }
        })
        .collect())
}

/// Ends one session of `staff_id`; false when it is not theirs (or already gone).
pub fn end_one(conn: &mut PgConnection, staff_id: i64, session_id: i64) -> QueryResult<bool> {
    let deleted = diesel::delete(
        sessions::table
            .filter(sessions::id.eq(session_id))
            .filter(sessions::user_id.eq(staff_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Ends every session of `staff_id` but the one whose sign-in id is `keep_sid`.
pub fn end_others(conn: &mut PgConnection, staff_id: i64, keep_sid: &str) -> QueryResult<usize> {
    let keep: Vec<i64> = open_sessions(conn, staff_id)?
        .into_iter()
        .filter(|s| s.sid.as_deref() == Some(keep_sid))
        .map(|s| s.id)
        .collect();
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(staff_id))
            .filter(sessions::id.ne_all(keep)),
    )
    .execute(conn)
}

/// Ends every session of a client account (password change or reset, account closed).
pub fn end_all_for_client(conn: &mut PgConnection, client_user_id: i64) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::client_user_id.eq(client_user_id)))
        .execute(conn)
}

diesel::define_sql_function! {
    /// See migration 000210: ends the portal customer's client sessions but one.
    fn portal_end_sessions(keep_sid: diesel::sql_types::Nullable<diesel::sql_types::Text>) -> diesel::sql_types::Integer;
}

/// Under the portal role: ends the signed-in customer's client sessions, all but the one with
/// sign-in id `keep_sid` (the value of [`SESSION_ID_KEY`]), or all of them. Returns how many.
pub fn end_client_sessions_but(
    conn: &mut PgConnection,
    keep_sid: Option<&str>,
) -> QueryResult<i32> {
    // The state keeps each value as actix-session serialised it: a JSON string.
    let stored = keep_sid.map(|sid| serde_json::Value::String(sid.to_owned()).to_string());
    diesel::select(portal_end_sessions(stored)).get_result(conn)
}

/// Removes expired rows; run periodically by the worker.
pub fn purge_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(diesel::dsl::now))).execute(conn)
}
