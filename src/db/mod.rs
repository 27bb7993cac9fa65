//! Database plumbing: the connection pool, embedded migrations and the embedded cluster.
//!
//! Diesel is synchronous, so every query runs on actix's blocking thread pool through
//! [`Db::run`]; both `pool.get()` (which may wait for a free connection) and the query happen
//! there, never on an async worker thread. We chose r2d2 + `web::block` over deadpool-diesel
//! because it is Diesel's own pool, needs no extra runtime glue, and measured the same on the
//! P1 benchmark (see docs/benchmarks.md).

pub mod embedded;
pub mod form_submissions;
pub mod schema;

use std::time::Duration;

use anyhow::Context;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool, PooledConnection};
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

pub type PgPool = Pool<ConnectionManager<PgConnection>>;
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Errors of a database call made from a handler.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("no database connection: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("the database task was cancelled")]
    Canceled,
    /// Something else failed inside a transaction (rendering an e-mail, say), so it rolls back.
    #[error("{0}")]
    Other(String),
}

impl DbError {
    pub fn other(error: impl std::fmt::Display) -> Self {
        DbError::Other(error.to_string())
    }
}

/// The application's handle to PostgreSQL: a cloneable pool.
#[derive(Clone)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Builds the pool. Two connections per core plus a margin: the blocking pool runs the
    /// queries, and more connections than that only queue inside PostgreSQL.
    pub fn connect(url: &str, max_size: u32) -> anyhow::Result<Self> {
        let manager = ConnectionManager::<PgConnection>::new(url);
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1.min(max_size)))
            .connection_timeout(Duration::from_secs(5))
            .test_on_check_out(false)
            .build(manager)
            .with_context(|| format!("cannot connect to PostgreSQL ({})", redact(url)))?;
        Ok(Self { pool })
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Runs `f` with a pooled connection on the blocking thread pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut PgConnection) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: From<DbError> + Send + 'static,
    {
        let pool = self.pool.clone();
        actix_web::web::block(move || {
            let mut conn = pool.get().map_err(DbError::from)?;
            f(&mut conn)
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
pub fn enter_portal_role(conn: &mut PgConnection, customer_id: i64) -> QueryResult<()> {
    diesel::sql_query("SET LOCAL ROLE soriano_portal").execute(conn)?;
    diesel::sql_query("SELECT set_config('soriano.customer_id', $1, true)")
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
