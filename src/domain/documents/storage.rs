//! Where document bytes live. PostgreSQL today (see the migration for why); an object store
//! can take its place by implementing [`Storage`].

use diesel::prelude::*;

use crate::db::schema::document_blobs;

pub trait Storage: Send + Sync {
    /// Stores the bytes of document `id`, inside the caller's transaction when it can.
    fn put(&self, conn: &mut PgConnection, id: i64, bytes: &[u8]) -> QueryResult<()>;
    fn get(&self, conn: &mut PgConnection, id: i64) -> QueryResult<Vec<u8>>;
}

/// Bytes in the `document_blobs` table, committed or rolled back with their metadata.
#[derive(Debug, Clone, Copy, Default)]
pub struct PgStorage;

impl Storage for PgStorage {
    fn put(&self, conn: &mut PgConnection, id: i64, bytes: &[u8]) -> QueryResult<()> {
        diesel::insert_into(document_blobs::table)
            .values((
                document_blobs::document_id.eq(id),
                document_blobs::bytes.eq(bytes),
            ))
            .execute(conn)?;
        Ok(())
    }

    fn get(&self, conn: &mut PgConnection, id: i64) -> QueryResult<Vec<u8>> {
        document_blobs::table
            .find(id)
            .select(document_blobs::bytes)
            .first(conn)
    }
}
