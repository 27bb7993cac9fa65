//! Bringing the brokerage's book in from the system it used before: a file uploaded, its
//! columns mapped to fields (the mapping saved by name for the next file of the same source),
//! a dry run that says row by row what would happen and why a row is refused, and only then,
//! on confirmation, the writing, as a job in batches of [`BATCH`] rows, each batch one
//! transaction that also moves the import's progress forward.
//!
//! Rows are matched by business keys (a customer by tax id, a policy by carrier and number, a
//! receipt by its number), so importing the same file twice changes nothing, and an import cut
//! short (a crash, a restart) is resumed after its last committed batch: by the worker when its
//! lease runs out, or at once by confirming again. No HTTP here.

pub mod customers;
pub mod plan;
pub mod policies;
pub mod receipts;
pub mod table;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Action, Actor, NewEntry};
use crate::auth::staff::StaffUser;
use crate::db::schema::{import_mappings, import_refusals, imports, staff_users};
pub use plan::{Columns, Counts, FieldSpec, Problem, Source};
use plan::{RowPlan, Seen};
use table::Table;

/// Rows written per transaction.
pub const BATCH: usize = 500;
/// Imports the history shows.
pub const HISTORY_LIMIT: i64 = 100;
/// How long a running import is held by whoever runs it without news (renewed each batch).
pub const LEASE_SECONDS: i64 = 60;

/// What an import brings in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Customers,
    Policies,
    Receipts,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Customers, Kind::Policies, Kind::Receipts];

    pub fn code(self) -> &'static str {
        match self {
            Kind::Customers => "customers",
            Kind::Policies => "policies",
            Kind::Receipts => "receipts",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Kind::Customers => "Clientes",
            Kind::Policies => "Pólizas",
            Kind::Receipts => "Recibos de compañía",
        }
    }

    /// What the kind's file holds and how its rows are matched, for the upload form.
    pub fn hint(self) -> &'static str {
        match self {
            Kind::Customers => "Un cliente por fila; se reconoce por su NIF.",
            Kind::Policies => {
                "Una póliza por fila, con su riesgo; se reconoce por compañía y número. Sus clientes deben estar dados de alta."
            }
            Kind::Receipts => {
                "El fichero de recibos de una compañía; cada recibo se reconoce por su número y actualiza su estado."
            }
        }
    }

    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            Kind::Customers => customers::FIELDS,
            Kind::Policies => policies::FIELDS,
            Kind::Receipts => receipts::FIELDS,
        }
    }

    fn guess(self, table: &Table) -> Columns {
        plan::guess(self.fields(), table)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The file is in; its columns are still to be mapped.
    Uploaded,
    /// The dry run is done with the mapping saved; waiting for confirmation.
    Previewed,
    /// Confirmed: being written batch by batch.
    Applying,
    Applied,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Uploaded => "uploaded",
            Status::Previewed => "previewed",
            Status::Applying => "applying",
            Status::Applied => "applied",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "uploaded" => Some(Status::Uploaded),
            "previewed" => Some(Status::Previewed),
            "applying" => Some(Status::Applying),
            "applied" => Some(Status::Applied),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Uploaded => "Por asignar columnas",
            Status::Previewed => "Simulada, sin confirmar",
            Status::Applying => "Importando",
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
    pub processed_rows: i32,
    pub lease_until: Option<DateTime<Utc>>,
    pub applied_by_staff_id: Option<i64>,
    pub headers: serde_json::Value,
}

impl Import {
    /// An unknown stored status reads as uploaded: the import is then redone, never skipped.
    pub fn status(&self) -> Status {
        Status::parse(&self.status).unwrap_or(Status::Uploaded)
    }

    /// An unknown stored kind reads as customers (the table's check allows no other).
    pub fn kind(&self) -> Kind {
        Kind::parse(&self.kind).unwrap_or(Kind::Customers)
    }

    pub fn columns(&self) -> Columns {
        serde_json::from_value(self.mapping.clone()).unwrap_or_default()
    }

    /// The file's column headers as kept on upload.
    pub fn headers(&self) -> Vec<String> {
        serde_json::from_value(self.headers.clone()).unwrap_or_default()
    }

    pub fn counts(&self) -> Counts {
        Counts {
            created: self.created_count,
            updated: self.updated_count,
            unchanged: self.unchanged_count,
            refused: self.refused_count,
        }
    }

    /// Being written with nobody holding it (its runner stopped): the worker resumes it.
    pub fn is_stalled(&self, now: DateTime<Utc>) -> bool {
        self.status() == Status::Applying && self.lease_until.is_none_or(|until| until < now)
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

/// Stores an uploaded file of `kind` whose table is `table`; returns the import's id.
pub fn create(
    conn: &mut PgConnection,
    kind: Kind,
    staff_id: i64,
    filename: &str,
    bytes: &[u8],
    table: &Table,
) -> QueryResult<i64> {
    diesel::insert_into(imports::table)
        .values((
            imports::kind.eq(kind.code()),
            imports::filename.eq(filename),
            imports::sha256.eq(crate::util::sha256_hex(bytes)),
            imports::size_bytes.eq(bytes.len() as i64),
            imports::file.eq(bytes),
            imports::row_count.eq(table.rows.len() as i32),
            imports::mapping.eq(json!(kind.guess(table))),
            imports::headers.eq(json!(table.headers)),
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
        .inner_join(staff_users::table.on(staff_users::id.eq(imports::created_by_staff_id)))
        .order((imports::created_at.desc(), imports::id.desc()))
        .limit(HISTORY_LIMIT)
        .select((Import::as_select(), staff_users::name))
        .load::<(Import, String)>(conn)?
        .into_iter()
        .map(|(import, by)| HistoryRow { import, by })
        .collect())
}

/// The saved mappings of `kind`, by name.
pub fn mappings(conn: &mut PgConnection, kind: Kind) -> QueryResult<Vec<(String, Columns)>> {
    Ok(import_mappings::table
        .filter(import_mappings::kind.eq(kind.code()))
        .order(import_mappings::name)
        .select((import_mappings::name, import_mappings::mapping))
        .load::<(String, serde_json::Value)>(conn)?
        .into_iter()
        .map(|(name, columns)| (name, serde_json::from_value(columns).unwrap_or_default()))
        .collect())
}

/// A refused row of the dry run, as kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub line: usize,
    pub problems: Vec<Problem>,
}

/// The refused rows of the import's last dry run, in file order; at most `limit`.
pub fn refusals(conn: &mut PgConnection, id: i64, limit: i64) -> QueryResult<Vec<Refusal>> {
    Ok(import_refusals::table
        .filter(import_refusals::import_id.eq(id))
        .order(import_refusals::line)
        .limit(limit)
        .select((import_refusals::line, import_refusals::problems))
        .load::<(i32, serde_json::Value)>(conn)?
        .into_iter()
        .map(|(line, problems)| Refusal {
            line: line as usize,
            problems: serde_json::from_value(problems).unwrap_or_default(),
        })
        .collect())
}

/// The dry run with `columns`: checks the mapping, plans every row (reading only), keeps the
/// mapping, the counts and the refused rows on the import and, when `save_as` names it, saves
/// the mapping for the next file. Refused once the import is confirmed.
pub fn preview(
    conn: &mut PgConnection,
    id: i64,
    columns: &Columns,
    save_as: Option<&str>,
    staff_id: i64,
) -> Result<Import, ImportError> {
    conn.transaction(|conn| {
        let (import, table) = load(conn, id)?;
        if matches!(import.status(), Status::Applying | Status::Applied) {
            return Err(ImportError::AlreadyApplied);
        }
        let kind = import.kind();
        let counts = match kind {
            Kind::Customers => dry_run::<customers::Customers>(conn, id, &table, columns)?,
            Kind::Policies => dry_run::<policies::Policies>(conn, id, &table, columns)?,
            Kind::Receipts => dry_run::<receipts::Receipts>(conn, id, &table, columns)?,
        };
        if let Some(name) = save_as {
            diesel::insert_into(import_mappings::table)
                .values((
                    import_mappings::kind.eq(kind.code()),
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
        Ok(diesel::update(imports::table.find(id))
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
            .get_result(conn)?)
    })
}

/// Plans the whole file batch by batch (so a large file never holds its plan in memory) and
/// keeps its refused rows in place of the last dry run's.
fn dry_run<S: Source>(
    conn: &mut PgConnection,
    id: i64,
    table: &Table,
    columns: &Columns,
) -> Result<Counts, ImportError> {
    plan::check::<S>(table, columns).map_err(ImportError::Mapping)?;
    diesel::delete(import_refusals::table.filter(import_refusals::import_id.eq(id)))
        .execute(conn)?;
    let mut seen = Seen::new();
    let mut counts = Counts::default();
    for start in (0..table.rows.len()).step_by(BATCH) {
        let range = start..(start + BATCH).min(table.rows.len());
        let rows = S::plan(conn, table, columns, range, &mut seen)?;
        counts.add(Counts::of(&rows));
        keep_refusals(conn, id, &rows)?;
    }
    Ok(counts)
}

fn keep_refusals<T>(conn: &mut PgConnection, id: i64, rows: &[RowPlan<T>]) -> QueryResult<()> {
    let refused: Vec<_> = plan::refused(rows)
        .map(|(line, problems)| {
            (
                import_refusals::import_id.eq(id),
                import_refusals::line.eq(line as i32),
                import_refusals::problems.eq(json!(problems)),
            )
        })
        .collect();
    if !refused.is_empty() {
        diesel::insert_into(import_refusals::table)
            .values(&refused)
            .execute(conn)?;
    }
    Ok(())
}

/// Confirms a previewed import: queues it to be written (see [`run`]) by `staff_id`. An import
/// already being written is left as it is (confirming again only resumes a stalled one, which
/// [`run`] does); an applied one is refused.
pub fn queue(conn: &mut PgConnection, id: i64, staff_id: i64) -> Result<Import, ImportError> {
    conn.transaction(|conn| {
        let import = imports::table
            .find(id)
            .select(Import::as_select())
            .for_update()
            .first(conn)
            .optional()?
            .ok_or(ImportError::NotFound)?;
        match import.status() {
            Status::Applied => Err(ImportError::AlreadyApplied),
            Status::Uploaded => Err(ImportError::NotPreviewed),
            Status::Applying => Ok(import),
            Status::Previewed => Ok(diesel::update(imports::table.find(id))
                .set((
                    imports::status.eq(Status::Applying.code()),
                    imports::processed_rows.eq(0),
                    imports::created_count.eq(0),
                    imports::updated_count.eq(0),
                    imports::unchanged_count.eq(0),
                    imports::refused_count.eq(0),
                    imports::lease_until.eq(None::<DateTime<Utc>>),
                    imports::applied_by_staff_id.eq(staff_id),
                ))
                .returning(Import::as_returning())
                .get_result(conn)?),
        }
    })
}

/// Takes an import being written that nobody holds; `None` when it is held, done or unknown.
fn claim(conn: &mut PgConnection, id: i64) -> QueryResult<Option<Import>> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::status.eq(Status::Applying.code()))
            .filter(
                imports::lease_until
                    .is_null()
                    .or(imports::lease_until.lt(diesel::dsl::now)),
            ),
    )
    .set(imports::lease_until.eq(lease_end()))
    .returning(Import::as_returning())
    .get_result(conn)
    .optional()
}

fn lease_end() -> DateTime<Utc> {
    Utc::now() + chrono::Duration::seconds(LEASE_SECONDS)
}

/// Writes a queued import, from the row after its last committed batch to the end: the plan
/// made again batch by batch (the book may have changed since the dry run), each batch one
/// transaction that also moves the progress forward and renews the lease, then the import
/// marked applied with its counts and audited. Returns `None` when someone else holds it.
pub fn run(conn: &mut PgConnection, id: i64) -> Result<Option<Import>, ImportError> {
    run_batches(conn, id, usize::MAX)
}

/// [`run`], stopping after `max_batches` batches as a crash would (tests of the resumption):
/// the import stays applying, held until its lease runs out.
pub fn run_batches(
    conn: &mut PgConnection,
    id: i64,
    max_batches: usize,
) -> Result<Option<Import>, ImportError> {
    let Some(import) = claim(conn, id)? else {
        return Ok(None);
    };
    let table = load(conn, id)?.1;
    let staff_id = import
        .applied_by_staff_id
        .unwrap_or(import.created_by_staff_id);
    let staff: StaffUser = staff_users::table
        .find(staff_id)
        .select(StaffUser::as_select())
        .first(conn)?;
    let actor = Actor::new(&staff, "", "importación de datos");
    match import.kind() {
        Kind::Customers => {
            write::<customers::Customers>(conn, &import, &table, &actor, max_batches)
        }
        Kind::Policies => write::<policies::Policies>(conn, &import, &table, &actor, max_batches),
        Kind::Receipts => write::<receipts::Receipts>(conn, &import, &table, &actor, max_batches),
    }
}

fn write<S: Source>(
    conn: &mut PgConnection,
    import: &Import,
    table: &Table,
    actor: &Actor,
    max_batches: usize,
) -> Result<Option<Import>, ImportError> {
    let id = import.id;
    let columns = &import.columns();
    let total = table.rows.len();
    let mut seen = Seen::new();
    // The rows written before a stop are planned again only to know the keys they hold.
    let done = (import.processed_rows.max(0) as usize).min(total);
    for start in (0..done).step_by(BATCH) {
        S::plan(
            conn,
            table,
            columns,
            start..(start + BATCH).min(done),
            &mut seen,
        )?;
    }
    for (batch, start) in (done..total).step_by(BATCH).enumerate() {
        if batch == max_batches {
            return Ok(None);
        }
        let range = start..(start + BATCH).min(total);
        let kept = conn.transaction(|conn| {
            // The lock orders runners: one that lost its lease finds the progress moved on.
            let (status, processed): (String, i32) = imports::table
                .find(id)
                .select((imports::status, imports::processed_rows))
                .for_update()
                .first(conn)?;
            if status != Status::Applying.code() || processed as usize != start {
                return Ok::<_, ImportError>(false);
            }
            let rows = S::plan(conn, table, columns, range.clone(), &mut seen)?;
            let counts = S::apply(conn, actor, &rows)?;
            diesel::update(imports::table.find(id))
                .set((
                    imports::processed_rows.eq(range.end as i32),
                    imports::created_count.eq(imports::created_count + counts.created),
                    imports::updated_count.eq(imports::updated_count + counts.updated),
                    imports::unchanged_count.eq(imports::unchanged_count + counts.unchanged),
                    imports::refused_count.eq(imports::refused_count + counts.refused),
                    imports::lease_until.eq(lease_end()),
                ))
                .execute(conn)?;
            Ok(true)
        })?;
        if !kept {
            return Ok(None);
        }
    }
    finish(conn, id, actor)
}

fn finish(conn: &mut PgConnection, id: i64, actor: &Actor) -> Result<Option<Import>, ImportError> {
    conn.transaction(|conn| {
        let applied = diesel::update(
            imports::table
                .find(id)
                .filter(imports::status.eq(Status::Applying.code())),
        )
        .set((
            imports::status.eq(Status::Applied.code()),
            imports::applied_at.eq(diesel::dsl::now),
            imports::lease_until.eq(None::<DateTime<Utc>>),
        ))
        .returning(Import::as_returning())
        .get_result(conn)
        .optional()?;
        let Some(applied) = applied else {
            return Ok(None);
        };
        audit::record(
            conn,
            &NewEntry {
                details: json!({
                    "tipo": applied.kind().label(),
                    "archivo": applied.filename,
                    "sha256": applied.sha256,
                    "altas": applied.created_count,
                    "cambios": applied.updated_count,
                    "sin_cambios": applied.unchanged_count,
                    "rechazadas": applied.refused_count,
                }),
                ..actor.entry(Action::ImportApplied)
            },
        )?;
        Ok(Some(applied))
    })
}

/// The imports being written that nobody holds (their runner stopped), for the worker.
pub fn stalled(conn: &mut PgConnection) -> QueryResult<Vec<i64>> {
    imports::table
        .filter(imports::status.eq(Status::Applying.code()))
        .filter(
            imports::lease_until
                .is_null()
                .or(imports::lease_until.lt(diesel::dsl::now)),
        )
        .order(imports::id)
        .select(imports::id)
        .load(conn)
}
