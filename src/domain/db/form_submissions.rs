//! One-time form tokens: a form that creates a record carries a random token; the submission
//! stores it in the same transaction as the record, so a second submit of the same form (a
//! double click, a reload, a retried request) finds it and leads to the record already created
//! instead of creating another. See the migration `form_submissions`.

use diesel::prelude::*;

use crate::db::schema::form_submissions;

/// A fresh token for a form.
pub fn new_token() -> String {
    crate::util::random_token(24)
}

/// Whether `token` looks like one we issued (its length is checked by the table too).
pub fn is_well_formed(token: &str) -> bool {
    (16..=100).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a submission's token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claimed {
    /// First use: go on and create the record, then [`attach`] it.
    First,
    /// Already used; the record it created, when it says which (type, id).
    Repeated(Option<(String, i64)>),
}

/// Claims `token` for this submission, inside the transaction that creates the record. A
/// concurrent submit of the same token waits on the primary key until this one commits or
/// rolls back, then sees the outcome.
pub fn claim(conn: &mut PgConnection, token: &str) -> QueryResult<Claimed> {
    let inserted = diesel::insert_into(form_submissions::table)
        .values(form_submissions::token.eq(token))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if inserted == 1 {
        return Ok(Claimed::First);
    }
    let (entity_type, entity_id): (Option<String>, Option<i64>) = form_submissions::table
        .find(token)
        .select((form_submissions::entity_type, form_submissions::entity_id))
        .first(conn)?;
    Ok(Claimed::Repeated(entity_type.zip(entity_id)))
}

/// Records what the submission of `token` created.
pub fn attach(
    conn: &mut PgConnection,
    token: &str,
    entity_type: &str,
    entity_id: i64,
) -> QueryResult<()> {
    diesel::update(form_submissions::table.find(token))
        .set((
            form_submissions::entity_type.eq(entity_type),
            form_submissions::entity_id.eq(entity_id),
        ))
        .execute(conn)?;
    Ok(())
}
