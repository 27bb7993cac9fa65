//! Database plumbing: the connection pool, embedded migrations and the embedded cluster.
//!
//! Diesel is synchronous, so every query runs on the runtime's blocking thread pool through
//! [`Db::run`]; both `pool.get()` (which may wait for a free connection) and the query happen
//! there, never on an async worker thread. We chose r2d2 + `spawn_blocking` over deadpool-diesel
//! because it is Diesel's own pool, needs no extra runtime glue, and measured the same on the
//! P1 benchmark (see docs/benchmarks.md).
//!
//! Requests queue for the pool in arrival order before they take a blocking thread: a fair
//! semaphore with one permit per connection ([`Db::run`]). r2d2's own wait is a condition
//! variable, which wakes an arbitrary waiter; at saturation some requests lost every race and
//! hit the checkout limit (503) while later ones went through, and every waiter held a
//! blocking thread of its own.
//!
//! When PostgreSQL goes away, requests must fail fast with 503 rather than queue: a checkout
//! waits at most [`CHECKOUT_TIMEOUT`] for a busy pool, but gives up at once when opening a
//! connection fails, and while the database is known to be down ([`Db::is_down`]) it only
//! takes a connection that is already there (the pool keeps retrying in the background, so the
//! first one that succeeds ends the outage without a restart). A connection whose query failed
//! because the server went away is thrown out instead of going back to the pool.

pub mod embedded;
pub mod form_submissions;
pub mod prepared;
pub mod schema;

/// Lets a text column be read straight into an enum with `parse(&str) -> Option<Self>`: a code
/// the enum does not know fails the query with an error instead of turning into a default (the
/// CHECK constraints and `tests/integration/statuses.rs` keep the two sides in step).
#[macro_export]
macro_rules! text_enum {
    ($ty:ty) => {
        $crate::text_enum!($ty, code);
    };
    ($ty:ty, $code:ident) => {
        impl diesel::deserialize::Queryable<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            type Row = String;

            fn build(code: String) -> diesel::deserialize::Result<Self> {
                <$ty>::parse(&code).ok_or_else(|| {
                    format!("unknown {} code {code:?}", stringify!($ty)).into()
                })
            }
        }

        // For rows read by name (`sql_query`).
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $ty {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let code = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                <Self as diesel::deserialize::Queryable<diesel::sql_types::Text, diesel::pg::Pg>>::build(code)
            }
        }

        // Audit details and JSON record the code, as the column does.
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.$code())
            }
        }
    };
}

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../../migrations");

pub type PgPool = Pool<Manager>;
pub type Conn = PooledConnection<Manager>;

/// Longest a request waits for a connection while every one is busy; past it, 503.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_millis(800);
/// While the database is known to be down: how long to wait for a reconnected connection.
const DOWN_CHECKOUT_TIMEOUT: Duration = Duration::from_millis(50);
/// One wait of a checkout; between them it checks whether connecting failed meanwhile.
const CHECKOUT_SLICE: Duration = Duration::from_millis(25);
/// The pool's own retry pace: it tries to reconnect at least every half of this.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// A pooled connection and whether it lost its server (then the pool drops it).
pub struct TrackedConnection {
    conn: PgConnection,
    lost: bool,
}

/// r2d2's manager for [`TrackedConnection`]s: Diesel's, plus dropping lost connections. Diesel
/// only counts a connection as broken when a transaction was left open, so without this a
/// connection to a restarted server would go back to the pool and fail every request it serves.
#[derive(Debug)]
pub struct Manager(ConnectionManager<PgConnection>);

impl ManageConnection for Manager {
    type Connection = TrackedConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<TrackedConnection, Self::Error> {
        self.0
            .connect()
            .map(|conn| TrackedConnection { conn, lost: false })
    }

    fn is_valid(&self, conn: &mut TrackedConnection) -> Result<(), Self::Error> {
        self.0.is_valid(&mut conn.conn)
    }

    fn has_broken(&self, conn: &mut TrackedConnection) -> bool {
        conn.lost || self.0.has_broken(&mut conn.conn)
    }
}

/// Errors of a database call made from a handler.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the database task was cancelled")]
    Canceled,
    /// Every connection stayed busy for [`CHECKOUT_TIMEOUT`] while this request queued.
    #[error("every database connection is busy")]
    Busy,
    /// Something else failed inside a transaction (rendering an e-mail, say), so it rolls back.
    #[error("{0}")]
    Other(String),
}

impl DbError {
    pub fn other(error: impl std::fmt::Display) -> Self {
        DbError::Other(error.to_string())
    }

    /// Whether the query found no row (a record that is not there, or not the caller's).
    pub fn is_not_found(&self) -> bool {
        matches!(self, DbError::Query(diesel::result::Error::NotFound))
    }

    /// Whether the database could not be reached (as opposed to a query that went wrong).
    pub fn is_unavailable(&self) -> bool {
        match self {
            DbError::Pool(_) | DbError::Busy => true,
            DbError::Query(error) => lost_connection(error),
            _ => false,
        }
    }
}

/// Whether a query failed because the connection to the server is gone.
pub fn lost_connection(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        error,
        Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        ) | Error::BrokenTransactionManager
    )
}

/// The application's handle to PostgreSQL: a cloneable pool.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
    /// Set when connecting or a query failed for want of a server; cleared by the next
    /// statement that succeeds.
    down: Arc<AtomicBool>,
    /// One permit per connection, handed out first come, first served.
    queue: Arc<tokio::sync::Semaphore>,
}

impl Db {
    /// Builds the pool. Two connections per core plus a margin: the blocking pool runs the
    /// queries, and more connections than that only queue inside PostgreSQL.
    pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Self> {
        let manager = Manager(ConnectionManager::<PgConnection>::new(url));
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1.min(max_size)))
            .connection_timeout(RECONNECT_TIMEOUT)
            .test_on_check_out(false)
            .build(manager)
            .with_context(|| format!("cannot connect to PostgreSQL ({})", redact(url)))?;
        Ok(Self {
            pool,
            down: Arc::default(),
            queue: Arc::new(tokio::sync::Semaphore::new(max_size as usize)),
        })
    }

    /// Whether the last attempt to use the database found it unreachable.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    fn set_down(&self, down: bool) {
        // Read first: a store on every query would bounce the cache line between cores.
        if self.down.load(Ordering::Relaxed) != down {
            self.down.store(down, Ordering::Relaxed);
            if down {
                tracing::error!("the database is unreachable; answering 503 until it is back");
            } else {
                tracing::info!("the database is reachable again");
            }
        }
    }

    /// A connection from the pool, waiting at most [`CHECKOUT_TIMEOUT`] while all are busy, but
    /// failing at once when connecting fails (or the database is already known to be down).
    fn checkout(&self) -> Result<Conn, DbError> {
        if self.is_down() {
            return self
                .pool
                .get_timeout(DOWN_CHECKOUT_TIMEOUT)
                .map_err(|error| {
                    tracing::debug!(%error, "no connection while the database is down");
                    DbError::Pool(error)
                });
        }
        let deadline = Instant::now() + CHECKOUT_TIMEOUT;
        loop {
            let wait = deadline.saturating_duration_since(Instant::now());
            match self.pool.get_timeout(wait.min(CHECKOUT_SLICE)) {
                Ok(conn) => return Ok(conn),
                Err(error) => {
                    // r2d2 reports the last connection error with the timeout; without one the
                    // pool is only busy, and the wait goes on.
                    let connecting_failed = error.to_string() != "timed out waiting for connection";
                    if connecting_failed || self.is_down() {
                        self.set_down(true);
                        return Err(DbError::Pool(error));
                    }
                    if Instant::now() >= deadline {
                        return Err(DbError::Pool(error));
                    }
                }
            }
        }
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        // Waiting here costs no thread, and the permit goes to whoever asked first. While the
        // database is down the permits are free (every checkout fails at once).
        let permit =
            tokio::time::timeout(CHECKOUT_TIMEOUT, self.queue.clone().acquire_owned()).await;
        let Ok(Ok(permit)) = permit else {
            return Err(E::from(DbError::Busy));
        };
        let db = self.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let mut conn = db.checkout()?;
            let result = f(&mut conn.conn);
            // `E` is the caller's error type, so the cause cannot be inspected; a failure is
            // rare enough to afford asking the server whether it is still there.
            let alive = result.is_ok() || conn.conn.ping().is_ok();
            conn.lost = !alive;
            db.set_down(!alive);
            result
        })
        .await
        .map_err(|_| E::from(DbError::Canceled))?
    }

    /// Runs `f` inside one transaction on the blocking thread pool.
    pub async fn transaction<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.run(move |conn| conn.transaction(f)).await
    }

    /// Runs `f` in one transaction as the client `customer_id` sees the database: under the
    /// `soriano_portal` role, whose row-level policies (migration 000150) show that customer's
    /// rows only. Portal queries filter by customer themselves too; this is the second lock, so
    /// a forgotten filter returns nothing instead of another client's data.
    pub async fn portal_transaction<T, E, F>(&self, customer_id: i64, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + From<diesel::result::Error> + Send + 'static,
    {
        self.transaction(move |conn| {
            enter_portal_role(conn, customer_id)?;
            f(conn)
        })
        .await
    }

    /// Pool occupancy, for `/metrics`.
    pub fn state(&self) -> (u32, u32, u32) {
        let state = self.pool.state();
        (
            state.connections,
            state.idle_connections,
            self.pool.max_size(),
        )
    }
}

/// Switches the current transaction to the portal role for `customer_id` (both settings are
/// `LOCAL`: they end with the transaction, so a pooled connection never keeps them).
/// One statement: `set_config('role', …, true)` is `SET LOCAL ROLE`, and both settings travel
/// in the same round trip.
pub fn enter_portal_role(conn: &mut PgConnection, customer_id: i64) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT set_config('role', 'soriano_portal', true), \
                set_config('soriano.customer_id', $1, true)",
    )
    .bind::<Text, _>(customer_id.to_string())
    .execute(conn)?;
    Ok(())
}

#[derive(QueryableByName)]
struct Exists {
    #[diesel(sql_type = BigInt)]
    count: i64,
}

/// Creates database `name` on the server of `admin_url` when it does not exist yet.
pub fn create_database_if_missing(admin_url: &str, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(admin_url)
        .with_context(|| format!("cannot connect to PostgreSQL ({})", redact(admin_url)))?;
    let found: Exists =
        diesel::sql_query("SELECT count(*) AS count FROM pg_database WHERE datname = $1")
            .bind::<Text, _>(name)
            .get_result(&mut conn)?;
    if found.count == 0 {
        diesel::sql_query(format!("CREATE DATABASE {}", quote_ident(name))).execute(&mut conn)?;
    }
    Ok(())
}

/// Applies pending migrations under an advisory lock, so that two instances starting at once
/// do not race.
pub fn migrate(url: &str) -> anyhow::Result<Vec<String>> {
    let mut conn = PgConnection::establish(url)
        .with_context(|| format!("cannot connect to PostgreSQL ({})", redact(url)))?;
    const LOCK_KEY: i64 = 0x5052_4941_4e4f; // "SORIANO"-ish, any constant will do
    diesel::sql_query("SELECT pg_advisory_lock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut conn)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| anyhow::anyhow!("cannot apply migrations: {e}"));
    diesel::sql_query("SELECT pg_advisory_unlock($1)")
        .bind::<BigInt, _>(LOCK_KEY)
        .execute(&mut conn)?;
    applied
}

/// Quotes an SQL identifier (database names cannot be bound as parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Hides the password of a connection URL for messages and logs.
pub fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) => "invalid URL".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redact_hides_the_password() {
        assert_eq!(
            redact("postgres://user:secret@localhost:5432/db"),
            "postgres://user:***@localhost:5432/db"
        );
        assert_eq!(redact("postgres://localhost/db"), "postgres://localhost/db");
    }

    #[test]
    fn quote_ident_escapes_quotes() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
    }
}
