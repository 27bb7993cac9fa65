//! Files a client attached to a form that came back with errors. Rather than ask for them
//! again, the form keeps them here, named by a random token that travels in a hidden field,
//! until the form is sent right (they become documents), the client removes them, or a day
//! passes (the housekeeping round deletes them). Row-level security keeps each row to its
//! customer; every query also names the customer.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;

use crate::db::schema::pending_uploads;
use crate::documents::Upload;

/// How long an attached file waits for its form.
pub const MAX_AGE: Duration = Duration::days(1);
/// Most tokens read from one form (the form itself allows fewer files).
const MAX_TOKENS: usize = 20;

/// A file waiting for its form: what the form shows and sends back.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = pending_uploads)]
pub struct PendingUpload {
    pub token: String,
    pub filename: String,
}

impl PendingUpload {
    /// Whether the file is a picture (by its name: its content was checked when it came).
    pub fn is_photo(&self) -> bool {
        let name = self.filename.to_lowercase();
        [".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif"]
            .iter()
            .any(|ext| name.ends_with(ext))
    }
}

fn tokens(list: &[String]) -> Vec<&str> {
    list.iter()
        .map(|t| t.trim())
        .filter(|t| crate::db::form_submissions::is_well_formed(t))
        .take(MAX_TOKENS)
        .collect()
}

/// Keeps `upload` for `customer_id`'s next submit of the form.
pub fn keep(
    conn: &mut PgConnection,
    customer_id: i64,
    upload: &Upload,
    now: DateTime<Utc>,
) -> QueryResult<PendingUpload> {
    diesel::insert_into(pending_uploads::table)
        .values((
            pending_uploads::token.eq(crate::db::form_submissions::new_token()),
            pending_uploads::customer_id.eq(customer_id),
            pending_uploads::filename.eq(&upload.filename),
            pending_uploads::bytes.eq(&upload.bytes),
            pending_uploads::created_at.eq(now),
        ))
        .returning(PendingUpload::as_returning())
        .get_result(conn)
}

/// The customer's files still waiting under `list` (unknown, foreign or stale tokens are left
/// out), in the order they were attached.
pub fn find(
    conn: &mut PgConnection,
    customer_id: i64,
    list: &[String],
    now: DateTime<Utc>,
) -> QueryResult<Vec<PendingUpload>> {
    pending_uploads::table
        .filter(pending_uploads::customer_id.eq(customer_id))
        .filter(pending_uploads::token.eq_any(tokens(list)))
        .filter(pending_uploads::created_at.gt(now - MAX_AGE))
        .order((pending_uploads::created_at, pending_uploads::token))
        .select(PendingUpload::as_select())
        .load(conn)
}

/// Takes the customer's files under `list` out of waiting, with their bytes, to store them as
/// documents in the same transaction.
pub fn take(
    conn: &mut PgConnection,
    customer_id: i64,
    list: &[String],
    now: DateTime<Utc>,
) -> QueryResult<Vec<Upload>> {
    let rows: Vec<(String, Vec<u8>)> = diesel::delete(
        pending_uploads::table
            .filter(pending_uploads::customer_id.eq(customer_id))
            .filter(pending_uploads::token.eq_any(tokens(list)))
            .filter(pending_uploads::created_at.gt(now - MAX_AGE)),
    )
    .returning((pending_uploads::filename, pending_uploads::bytes))
    .get_results(conn)?;
    Ok(rows
        .into_iter()
        .map(|(filename, bytes)| Upload {
            filename,
            bytes,
            visible_to_client: true,
        })
        .collect())
}

/// Drops the files the client removed from the form.
pub fn discard(conn: &mut PgConnection, customer_id: i64, list: &[String]) -> QueryResult<usize> {
    diesel::delete(
        pending_uploads::table
            .filter(pending_uploads::customer_id.eq(customer_id))
            .filter(pending_uploads::token.eq_any(tokens(list))),
    )
    .execute(conn)
}

/// Deletes the files nobody sent within [`MAX_AGE`] (housekeeping).
pub fn purge_stale(conn: &mut PgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::delete(pending_uploads::table.filter(pending_uploads::created_at.le(now - MAX_AGE)))
        .execute(conn)
}
