//! Legal texts kept in full, as delivered or accepted: the pre-contract information and the
//! consent texts. The same words are the same row (by SHA-256), so a record points at exactly
//! what the person read even when the text is changed later.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::db::schema::legal_texts;

/// What a text is (`legal_texts.kind`): (code, Spanish label).
pub const KINDS: &[(&str, &str)] = &[
    ("precontract", "Información previa a la contratación"),
    ("privacy", "Información sobre protección de datos"),
    (
        "marketing",
        "Consentimiento para comunicaciones comerciales",
    ),
];

pub fn kind_label(code: &str) -> &str {
    KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or("Texto legal")
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = legal_texts)]
pub struct LegalText {
    pub id: i64,
    pub kind: String,
    pub version: String,
    pub body: String,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
}

impl LegalText {
    pub fn kind_label(&self) -> &str {
        kind_label(&self.kind)
    }
}

/// The id of `body` as a text of `kind` and `version`, storing it the first time it is seen.
pub fn store(conn: &mut PgConnection, kind: &str, version: &str, body: &str) -> QueryResult<i64> {
    let sha256 = crate::util::sha256_hex(body.as_bytes());
    let inserted: Option<i64> = diesel::insert_into(legal_texts::table)
        .values((
            legal_texts::kind.eq(kind),
            legal_texts::version.eq(version),
            legal_texts::body.eq(body),
            legal_texts::sha256.eq(&sha256),
        ))
        .on_conflict((legal_texts::kind, legal_texts::sha256))
        .do_nothing()
        .returning(legal_texts::id)
        .get_result(conn)
        .optional()?;
    match inserted {
        Some(id) => Ok(id),
        None => legal_texts::table
            .filter(legal_texts::kind.eq(kind))
            .filter(legal_texts::sha256.eq(&sha256))
            .select(legal_texts::id)
            .first(conn),
    }
}

/// Text `id`.
pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Option<LegalText>> {
    legal_texts::table
        .find(id)
        .select(LegalText::as_select())
        .first(conn)
        .optional()
}

/// The latest stored text of `kind` and `version` (what a consent recorded with that version
/// label was given).
pub fn latest(
    conn: &mut PgConnection,
    kind: &str,
    version: &str,
) -> QueryResult<Option<LegalText>> {
    legal_texts::table
        .filter(legal_texts::kind.eq(kind))
        .filter(legal_texts::version.eq(version))
        .order(legal_texts::id.desc())
        .select(LegalText::as_select())
        .first(conn)
        .optional()
}
