//! Bringing the brokerage's book in from the system it used before: a file uploaded, its
//! columns mapped to fields (the mapping saved by name for the next file of the same source),
//! a dry run that says row by row what would happen and why a row is refused, and only then,
//! on confirmation, the writing, in batches of [`BATCH`] rows, each batch one transaction.
//!
//! Rows are matched by business keys (a customer by tax id), so importing the same file twice
//! changes nothing, and an import cut short (a crash, a restart) is finished by confirming it
//! again: the rows already written are found unchanged. No HTTP here.

pub mod customers;
pub mod table;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Action, Actor, NewEntry};
use crate::db::schema::{import_mappings, imports, staff_users};
use customers::{Columns, Counts, Plan};
use table::Table;

/// What an import brings in. Customers today; policies and receipts follow the same path.
pub const KIND_CUSTOMERS: &str = "customers";
/// Rows written per transaction.
pub const BATCH: usize = 500;
/// Imports the history shows.
pub const HISTORY_LIMIT: i64 = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The file is in; its columns are still to be mapped.
    Uploaded,
    /// The dry run is done with the mapping saved; waiting for confirmation.
    Previewed,
    Applied,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Uploaded => "uploaded",
            Status::Previewed => "previewed",
            Status::Applied => "applied",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "uploaded" => Some(Status::Uploaded),
            "previewed" => Some(Status::Previewed),
            "applied" => Some(Status::Applied),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Uploaded => "Por asignar columnas",
            Status::Previewed => "Simulada, sin confirmar",
            Status::Applied => "Importada",
        }
    }
}

/// An import without its file's bytes.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Import {
    pub id: i64,
    pub kind: String,
    pub filename: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub row_count: i32,
    pub status: String,
    pub mapping: serde_json::Value,
    pub mapping_name: Option<String>,
    pub created_count: i32,
    pub updated_count: i32,
    pub unchanged_count: i32,
    pub refused_count: i32,
    pub created_by_staff_id: i64,
    pub created_at: DateTime<Utc>,
    pub applied_at: Option<DateTime<Utc>>,
}

impl Import {
    /// An unknown stored status reads as uploaded: the import is then redone, never skipped.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Uploaded)
    }

    pub fn columns(&self) -> Columns {
        serde_json::from_value(self.mapping.clone()).unwrap_or_default()
    }
}

/// A line of the history: the import and who made it.
#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub import: Import,
    pub by: String,
}

/// Why an import cannot go on, in Spanish.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    Unreadable(#[from] table::ReadError),
    #[error("{0}")]
    Mapping(String),
    #[error("Esta importación ya se aplicó.")]
    AlreadyApplied,
    #[error("Primero haga la simulación.")]
    NotPreviewed,
    #[error("No existe esa importación.")]
    NotFound,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Stores an uploaded file whose table is `table`; returns the import's id.
pub fn create(
    conn: &mut PgConnection,
    staff_id: i64,
    filename: &str,
    bytes: &[u8],
    table: &Table,
) -> QueryResult<i64> {
    diesel::insert_into(imports::table)
        .values((
            imports::kind.eq(KIND_CUSTOMERS),
            imports::filename.eq(filename),
            imports::sha256.eq(crate::util::sha256_hex(bytes)),
            imports::size_bytes.eq(bytes.len() as i64),
            imports::file.eq(bytes),
            imports::row_count.eq(table.rows.len() as i32),
            imports::mapping.eq(json!(customers::guess(table))),
            imports::created_by_staff_id.eq(staff_id),
        ))
        .returning(imports::id)
        .get_result(conn)
}

pub fn get(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Import>> {
    imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .optional()
}

/// The import and its file read as a table.
pub fn load(conn: &mut PgConnection, id: i64) -> Result<(Import, Table), ImportError> {
    let Some(import) = get(conn, id)? else {
        return Err(ImportError::NotFound);
    };
    let bytes: Vec<u8> = imports::table.find(id).select(imports::file).first(conn)?;
    let table = table::read(&import.filename, &bytes)?;
    Ok((import, table))
}

/// The newest imports first, with who made them.
pub fn history(conn: &mut PgConnection) -> QueryResult<Vec<HistoryRow>> {
    Ok(imports::table
        .inner_join(staff_users::table)
        .order((imports::created_at.desc(), imports::id.desc()))
        .limit(HISTORY_LIMIT)
        .select((Import::as_select(), staff_users::name))
        .load::<(Import, String)>(conn)?
        .into_iter()
        .map(|(import, by)| HistoryRow { import, by })
        .collect())
}

/// The saved mappings of `kind`, by name.
pub fn mappings(conn: &mut PgConnection) -> QueryResult<Vec<(String, Columns)>> {
    Ok(import_mappings::table
        .filter(import_mappings::kind.eq(KIND_CUSTOMERS))
        .order(import_mappings::name)
        .select((import_mappings::name, import_mappings::mapping))
        .load::<(String, serde_json::Value)>(conn)?
        .into_iter()
        .map(|(name, columns)| (name, serde_json::from_value(columns).unwrap_or_default()))
        .collect())
}

/// The dry run with `columns`: checks the mapping, plans every row (reading only), records the
/// mapping and the counts on the import and, when `save_as` names it, saves the mapping for
/// the next file. Refused until then: an applied import.
pub fn preview(
    conn: &mut PgConnection,
    id: i64,
    columns: &Columns,
    save_as: Option<&str>,
    staff_id: i64,
) -> Result<(Import, Plan), ImportError> {
    conn.transaction(|conn| {
        let (import, table) = load(conn, id)?;
        if import.status() == Status::Applied {
            return Err(ImportError::AlreadyApplied);
        }
        customers::check(&table, columns).map_err(ImportError::Mapping)?;
        let plan = customers::plan(conn, &table, columns)?;
        let counts = plan.counts();
        if let Some(name) = save_as {
            diesel::insert_into(import_mappings::table)
                .values((
                    import_mappings::kind.eq(KIND_CUSTOMERS),
                    import_mappings::name.eq(name),
                    import_mappings::mapping.eq(json!(columns)),
                    import_mappings::created_by_staff_id.eq(staff_id),
                ))
                .on_conflict((import_mappings::kind, import_mappings::name))
                .do_update()
                .set((
                    import_mappings::mapping.eq(json!(columns)),
                    import_mappings::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
        }
        let import = diesel::update(imports::table.find(id))
            .set((
                imports::status.eq(Status::Previewed.code()),
                imports::mapping.eq(json!(columns)),
                imports::mapping_name.eq(save_as),
                imports::created_count.eq(counts.created),
                imports::updated_count.eq(counts.updated),
                imports::unchanged_count.eq(counts.unchanged),
                imports::refused_count.eq(counts.refused),
            ))
            .returning(Import::as_returning())
            .get_result(conn)?;
        Ok((import, plan))
    })
}

/// The plan of an import with its saved mapping, for its page and its refused rows.
pub fn current_plan(
    conn: &mut PgConnection,
    id: i64,
) -> Result<(Import, Table, Plan), ImportError> {
    let (import, table) = load(conn, id)?;
    let plan = customers::plan(conn, &table, &import.columns())?;
    Ok((import, table, plan))
}

/// Writes a previewed import: the plan made again (the book may have changed since the dry
/// run), its rows in batches of [`BATCH`], each its own transaction, then the import marked
/// applied with its counts and audited. Two confirmations at once: the second waits for the
/// row lock and then finds the import applied.
pub fn apply(conn: &mut PgConnection, id: i64, actor: &Actor) -> Result<Import, ImportError> {
    let (import, table) = load(conn, id)?;
    match import.status() {
        Status::Applied => return Err(ImportError::AlreadyApplied),
        Status::Uploaded => return Err(ImportError::NotPreviewed),
        Status::Previewed => {}
    }
    let plan = customers::plan(conn, &table, &import.columns())?;
    let mut counts = Counts::default();
    for batch in plan.rows.chunks(BATCH) {
        let done = conn.transaction(|conn| {
            // Lock the import for the batch: a second confirmation waits here, then stops.
            let status: String = imports::table
                .find(id)
                .select(imports::status)
                .for_update()
                .first(conn)?;
            if status == Status::Applied.code() {
                return Ok(None);
            }
            customers::apply(conn, actor, batch).map(Some)
        })?;
        let Some(done) = done else {
            return Err(ImportError::AlreadyApplied);
        };
        counts.created += done.created;
        counts.updated += done.updated;
        counts.unchanged += done.unchanged;
        counts.refused += done.refused;
    }
    conn.transaction(|conn| {
        let applied = diesel::update(
            imports::table
                .find(id)
                .filter(imports::status.eq(Status::Previewed.code())),
        )
        .set((
            imports::status.eq(Status::Applied.code()),
            imports::created_count.eq(counts.created),
            imports::updated_count.eq(counts.updated),
            imports::unchanged_count.eq(counts.unchanged),
            imports::refused_count.eq(counts.refused),
            imports::applied_at.eq(diesel::dsl::now),
        ))
        .returning(Import::as_returning())
        .get_result(conn)
        .optional()?;
        let Some(applied) = applied else {
            return Err(ImportError::AlreadyApplied);
        };
        audit::record(
            conn,
            &NewEntry {
                details: json!({
                    "archivo": applied.filename,
                    "sha256": applied.sha256,
                    "altas": counts.created,
                    "cambios": counts.updated,
                    "sin_cambios": counts.unchanged,
                    "rechazadas": counts.refused,
                }),
                ..actor.entry(Action::ImportApplied)
            },
        )?;
        Ok(applied)
    })
}
