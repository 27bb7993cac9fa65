//! Versions of a document: a new file of the same document (uploaded or generated again) is a
//! new row that supersedes the current one; no row is ever rewritten, so the history says who
//! made each version, when and why.

use diesel::prelude::*;

use super::{Document, Storage};
use crate::db::schema::documents;

/// What the next version carries; the record, customer and kind come from the series.
pub struct NextVersion<'a> {
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
    pub visible_to_client: bool,
    pub template_version: Option<&'a str>,
    pub note: &'a str,
    pub by: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// Someone else added a version in the meantime: the form showed an old one.
    #[error("Otra persona acaba de añadir una versión de este documento: revise el historial.")]
    Stale,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Adds the next version of the series whose current version is `current_id`, in the
/// caller's transaction. The current row is locked, so two requests cannot both add
/// "version 3".
pub fn add(
    conn: &mut PgConnection,
    storage: &dyn Storage,
    current_id: i64,
    next: &NextVersion,
) -> Result<Document, VersionError> {
    let current: Document = documents::table
        .find(current_id)
        .filter(documents::superseded_at.is_null())
        .for_update()
        .select(Document::as_select())
        .first(conn)
        .optional()?
        .ok_or(VersionError::Stale)?;
    diesel::update(documents::table.find(current.id))
        .set(documents::superseded_at.eq(diesel::dsl::now))
        .execute(conn)?;
    let document: Document = diesel::insert_into(documents::table)
        .values((
            documents::entity_type.eq(&current.entity_type),
            documents::entity_id.eq(current.entity_id),
            documents::customer_id.eq(current.customer_id),
            documents::filename.eq(next.filename),
            documents::content_type.eq(next.content_type),
            documents::size_bytes.eq(next.bytes.len() as i64),
            documents::sha256.eq(crate::util::sha256_hex(next.bytes)),
            documents::visible_to_client.eq(next.visible_to_client),
            documents::uploaded_by_staff_id.eq(next.by),
            documents::kind.eq(&current.kind),
            documents::subject_key.eq(&current.subject_key),
            documents::series_id.eq(current.series_id),
            documents::version.eq(current.version + 1),
            documents::template_version.eq(next.template_version),
            documents::version_note.eq(Some(next.note)),
        ))
        .returning(Document::as_returning())
        .get_result(conn)?;
    storage.put(conn, document.id, next.bytes)?;
    Ok(document)
}

/// Every version of a series, newest first (a series rarely has more than a handful; bounded).
pub fn history(conn: &mut PgConnection, series_id: i64) -> QueryResult<Vec<Document>> {
    documents::table
        .filter(documents::series_id.eq(series_id))
        .order(documents::version.desc())
        .limit(100)
        .select(Document::as_select())
        .load(conn)
}

/// How many versions each of `series` has (for the "3 versiones" link of a list), one query.
pub fn counts(
    conn: &mut PgConnection,
    series: &[i64],
) -> QueryResult<std::collections::HashMap<i64, i64>> {
    use diesel::dsl::count_star;
    let rows: Vec<(i64, i64)> = documents::table
        .filter(documents::series_id.eq_any(series))
        .group_by(documents::series_id)
        .select((documents::series_id, count_star()))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}
