//! actix-session's `SessionStore` over PostgreSQL.
//!
//! Sessions live on the server so that logging out, changing a password or disabling an
//! account ends them for real (a cookie store cannot revoke anything), and so that several
//! app instances share them. Only a SHA-256 of the session key is stored. The signed-in user's
//! id is copied out of the state into its own indexed column, so "end every session of this
//! user" is one statement.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::sessions;
use crate::db::{Db, DbError};
use crate::util::{random_token, sha256_hex};

use crate::auth::sessions::{Owner, SESSION_AGENT_KEY, SESSION_IP_KEY, SessionState, state_text};

/// The key actix-identity keeps the user id under.
const IDENTITY_KEY: &str = "actix_identity.user_id";
/// Where `load` leaves the session's owner, read in the same statement, for the face's guard
/// ([`owner`]). Never stored: [`to_json`] leaves it out.
const OWNER_KEY: &str = "sori.owner";
/// How far behind "now + idle limit" a session's expiry may lag before it is written again.
const TTL_SLACK_SECONDS: i64 = 60;

pub use crate::auth::sessions::SessionKind;

#[derive(Clone)]
pub struct PgSessionStore {
    db: Db,
    kind: SessionKind,
    /// When this instance last pushed each session's expiry forward: within the slack the
    /// database is not asked again, which saves a round trip on most back-office requests.
    recently_extended: Arc<Mutex<HashMap<String, Instant>>>,
}

impl PgSessionStore {
    /// The back-office's store (staff sessions).
    pub fn new(db: Db) -> Self {
        Self::of_kind(db, SessionKind::Staff)
    }

    pub fn of_kind(db: Db, kind: SessionKind) -> Self {
        Self {
            db,
            kind,
            recently_extended: Arc::default(),
        }
    }

    /// The signed-in id goes to the owner column of this kind; the other stays NULL.
    fn owners(&self, state: &SessionState) -> (Option<i64>, Option<i64>) {
        match self.kind {
            SessionKind::Staff => (user_id(state), None),
            SessionKind::Client => (None, user_id(state)),
        }
    }

    fn extended_lately(&self, key_hash: &str) -> bool {
        let slack = std::time::Duration::from_secs(TTL_SLACK_SECONDS as u64);
        self.recently_extended
            .lock()
            .map(|map| map.get(key_hash).is_some_and(|at| at.elapsed() < slack))
            .unwrap_or(false)
    }

    fn mark_extended(&self, key_hash: String) {
        let slack = std::time::Duration::from_secs(TTL_SLACK_SECONDS as u64);
        if let Ok(mut map) = self.recently_extended.lock() {
            if map.len() > 10_000 {
                map.retain(|_, at| at.elapsed() < slack);
            }
            map.insert(key_hash, Instant::now());
        }
    }
}

/// The owner of the request's session, as its store read it (`None` when no one is signed in
/// or the account can no longer be used). The guards check it against the identity.
pub fn owner(session: &actix_session::Session) -> Option<Owner> {
    session.get::<Owner>(OWNER_KEY).ok().flatten()
}

fn expiry(ttl: &Duration) -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(ttl.whole_seconds())
}

/// The staff id in a session state, if someone is signed in.
fn user_id(state: &SessionState) -> Option<i64> {
    state_text(state, IDENTITY_KEY)?.parse().ok()
}

fn to_json(state: &SessionState) -> serde_json::Value {
    serde_json::Value::Object(
        state
            .iter()
            .filter(|(key, _)| key.as_str() != OWNER_KEY)
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

fn insert(
    conn: &mut PgConnection,
    kind: SessionKind,
    owners: (Option<i64>, Option<i64>),
    key_hash: &str,
    state: &SessionState,
    ttl: &Duration,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key_hash),
            sessions::kind.eq(kind.code()),
            sessions::user_id.eq(owners.0),
            sessions::client_user_id.eq(owners.1),
            sessions::state.eq(to_json(state)),
            sessions::expires_at.eq(expiry(ttl)),
            sessions::ip.eq(state_text(state, SESSION_IP_KEY)),
            sessions::user_agent.eq(state_text(state, SESSION_AGENT_KEY)),
        ))
        .execute(conn)
}

impl SessionStore for PgSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<SessionState>, LoadError> {
        let key_hash = sha256_hex(session_key.as_ref().as_bytes());
        let kind = self.kind;
        let found = self
            .db
            .run(move |conn| {
                crate::auth::sessions::load_with_owner(conn, &key_hash, kind).map_err(DbError::from)
            })
            .await;
        let found = match found {
            Ok(found) => found,
            // An outage is not a sign-out: the row is still there, and the cookie is kept (a
            // session without state is neither written nor cleared). Without a session the
            // face's guard sees the database down and answers 503 (`Db::is_down`); failing here
            // instead would leave actix-session's bare 500.
            Err(error) if error.is_unavailable() => return Ok(None),
            Err(error) => return Err(LoadError::Other(error.into())),
        };
        let Some((value, owner)) = found else {
            return Ok(None);
        };
        let mut state: SessionState =
            serde_json::from_value(value).map_err(|e| LoadError::Deserialization(e.into()))?;
        if let Some(owner) = owner {
            let owner = serde_json::to_string(&owner).map_err(|e| LoadError::Other(e.into()))?;
            state.insert(OWNER_KEY.to_owned(), owner);
        }
        Ok(Some(state))
    }

    async fn save(
        &self,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let key = random_token(48);
        let key_hash = sha256_hex(key.as_bytes());
        let ttl = *ttl;
        let (kind, owners) = (self.kind, self.owners(&session_state));
        self.db
            .run(move |conn| {
                insert(conn, kind, owners, &key_hash, &session_state, &ttl).map_err(DbError::from)
            })
            .await
            .map_err(|e| SaveError::Other(e.into()))?;
        SessionKey::try_from(key).map_err(|e| SaveError::Other(e.into()))
    }

    async fn update(
        &self,
        session_key: SessionKey,
        session_state: SessionState,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let key_hash = sha256_hex(session_key.as_ref().as_bytes());
        let ttl = *ttl;
        let state = session_state.clone();
        let (kind, owners) = (self.kind.code(), self.owners(&session_state));
        let updated = self
            .db
            .run(move |conn| {
                diesel::update(
                    sessions::table
                        .find(&key_hash)
                        .filter(sessions::kind.eq(kind))
                        .filter(sessions::expires_at.gt(diesel::dsl::now)),
                )
                .set((
                    sessions::user_id.eq(owners.0),
                    sessions::client_user_id.eq(owners.1),
                    sessions::state.eq(to_json(&state)),
                    sessions::expires_at.eq(expiry(&ttl)),
                ))
                .execute(conn)
                .map_err(DbError::from)
            })
            .await
            .map_err(|e| UpdateError::Other(e.into()))?;
        if updated == 1 {
            return Ok(session_key);
        }
        // Expired or revoked meanwhile: never resurrect it under the old key.
        self.save(session_state, &ttl)
            .await
            .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))
    }

    async fn update_ttl(
        &self,
        session_key: &SessionKey,
        ttl: &Duration,
    ) -> Result<(), anyhow::Error> {
        let key_hash = sha256_hex(session_key.as_ref().as_bytes());
        if self.extended_lately(&key_hash) {
            return Ok(());
        }
        self.mark_extended(key_hash.clone());
        let ttl = *ttl;
        let now = Utc::now();
        // Called on every request: write only when the expiry would move by more than a
        // minute, so a busy session costs at most one indexed check a minute per instance.
        let slack = chrono::Duration::seconds(TTL_SLACK_SECONDS);
        let kind = self.kind.code();
        self.db
            .run(move |conn| {
                diesel::update(
                    sessions::table
                        .find(key_hash)
                        .filter(sessions::kind.eq(kind))
                        .filter(sessions::expires_at.gt(now))
                        .filter(sessions::expires_at.lt(expiry(&ttl) - slack)),
                )
                .set(sessions::expires_at.eq(expiry(&ttl)))
                .execute(conn)
                .map_err(DbError::from)
            })
            .await?;
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> Result<(), anyhow::Error> {
        let key_hash = sha256_hex(session_key.as_ref().as_bytes());
        let kind = self.kind.code();
        self.db
            .run(move |conn| {
                diesel::delete(
                    sessions::table
                        .find(key_hash)
                        .filter(sessions::kind.eq(kind)),
                )
                .execute(conn)
                .map_err(DbError::from)
            })
            .await?;
        Ok(())
    }
}

/// The session and identity middleware of one face (`/admin` or `/portal`): a private,
/// HTTP-only, SameSite=Lax cookie scoped to `path`, over this store with sessions of `kind`.
/// Returned as (identity, sessions); wrap identity first so that it runs inside the session.
pub fn face_middleware(
    db: Db,
    kind: SessionKind,
    key: actix_web::cookie::Key,
    cookie_name: &str,
    path: &str,
    config: &crate::config::Config,
) -> (
    actix_identity::IdentityMiddleware,
    actix_session::SessionMiddleware<PgSessionStore>,
) {
    use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
    use actix_web::cookie::SameSite;

    let identity = actix_identity::IdentityMiddleware::builder()
        .login_deadline(Some(config.staff_absolute_timeout))
        // The idle limit is the session's own expiry, extended on each request (see
        // PgSessionStore::update_ttl); a visit deadline in actix-identity would rewrite the
        // session state on every single page view.
        .visit_deadline(None)
        .build();
    let sessions =
        actix_session::SessionMiddleware::builder(PgSessionStore::of_kind(db, kind), key)
            .cookie_name(cookie_name.to_owned())
            .cookie_path(path.to_owned())
            .cookie_secure(config.secure_cookies())
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Lax)
            .cookie_content_security(CookieContentSecurity::Private)
            .session_lifecycle(
                BrowserSession::default()
                    .state_ttl(Duration::seconds(config.staff_idle_timeout.as_secs() as i64))
                    .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
            )
            .build();
    (identity, sessions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_identity_written_by_actix_identity() {
        let mut state = SessionState::new();
        assert_eq!(user_id(&state), None);
        state.insert(IDENTITY_KEY.into(), "\"42\"".into());
        assert_eq!(user_id(&state), Some(42));
    }
}
