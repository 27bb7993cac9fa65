//! Importing the book (`/admin/importar`): upload a file of customers, policies or a carrier's
//! receipts, map its columns (or take a saved mapping), see the dry run row by row, confirm
//! and follow the progress (the import runs as a job: a reload or a closed tab does not stop
//! it); the history of imports and each one's refused rows as a CSV to fix and upload again.
//! Thin handlers over [`crate::imports`].

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::export::Format;
use crate::imports::{self, Columns, Counts, HistoryRow, Import, ImportError, Kind, Status};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::multipart;
use crate::web::page::PageContext;
use crate::web::render;

const PATH: &str = "/admin/importar";
/// Largest file accepted (100,000 rows of a customer file are about 15 MB).
const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;
/// Refused rows listed on the page; all of them are in the CSV.
const REFUSED_SHOWN: usize = 200;

fn import_path(id: i64) -> String {
    format!("{PATH}/{id}")
}

/// Refusals stay on the page as messages; a database failure is the request's error.
fn refusal<T>(result: Result<T, ImportError>) -> Result<Result<T, ImportError>, DbError> {
    match result {
        Err(ImportError::Db(error)) => Err(DbError::from(error)),
        other => Ok(other),
    }
}

/// "2 altas, 1 cambio, 0 sin cambios y 1 fila rechazada".
fn summary(c: &Counts) -> String {
    let n = |count: i32, one: &str, many: &str| {
        format!("{count} {}", if count == 1 { one } else { many })
    };
    format!(
        "{}, {}, {} sin cambios y {}",
        n(c.created, "alta", "altas"),
        n(c.updated, "cambio", "cambios"),
        c.unchanged,
        n(c.refused, "fila rechazada", "filas rechazadas")
    )
}

// ---------------------------------------------------------------------------------------------
// Upload and history

pub struct HistoryView {
    pub id: i64,
    pub when: String,
    pub by: String,
    pub filename: String,
    pub sha256: String,
    pub rows: i32,
    pub kind: &'static str,
    pub status: &'static str,
    pub counts: Counts,
}

impl From<HistoryRow> for HistoryView {
    fn from(row: HistoryRow) -> Self {
        let i = row.import;
        Self {
            id: i.id,
            when: crate::format::madrid_datetime(i.created_at),
            by: row.by,
            kind: i.kind().label(),
            status: i.status().label(),
            counts: i.counts(),
            filename: i.filename,
            sha256: i.sha256.chars().take(12).collect(),
            rows: i.row_count,
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/imports/index.html", blocks = ["content"])]
pub struct ImportsPage {
    pub ctx: PageContext,
    pub error: Option<String>,
    pub kind: Kind,
    pub history: Vec<HistoryView>,
}

impl ImportsPage {
    pub fn kinds(&self) -> [Kind; 3] {
        Kind::ALL
    }
}

async fn index_page(
    ctx: PageContext,
    db: &Db,
    kind: Kind,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let history = db
        .run(|conn| imports::history(conn).map_err(DbError::from))
        .await?;
    render::html_with_status(
        status,
        &ImportsPage {
            ctx,
            error,
            kind,
            history: history.into_iter().map(HistoryView::from).collect(),
        },
    )
}

/// GET /admin/importar
pub async fn index(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    index_page(ctx, &db, Kind::Customers, None, StatusCode::OK).await
}

/// POST /admin/importar (multipart): stores the file and opens its mapping step.
pub async fn upload(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let parts = multipart::read(payload, &["archivo"], MAX_FILE_BYTES, 1024).await?;
    let kind = parts
        .iter()
        .find(|p| p.name == "tipo")
        .and_then(|p| Kind::parse(p.text().trim()))
        .unwrap_or(Kind::Customers);
    let file = parts
        .into_iter()
        .find(|p| p.name == "archivo" && (p.overflow || !p.bytes.is_empty()));
    let refuse = |message: String| {
        index_page(
            ctx,
            &db,
            kind,
            Some(message),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
    };
    let Some(file) = file else {
        return refuse("Elija el archivo que quiere importar.".into()).await;
    };
    if file.overflow {
        return refuse("El archivo pasa de 20 MB: divídalo en varios.".into()).await;
    }
    let filename = file.filename.unwrap_or_else(|| "importacion.csv".into());
    // Reading a large workbook takes a while: off the threads that answer requests.
    let (read, filename, bytes) = web::block(move || {
        let read = imports::table::read(&filename, &file.bytes);
        (read, filename, file.bytes)
    })
    .await
    .map_err(|e| AppError::Internal(anyhow::anyhow!("reading an import: {e}")))?;
    let table = match read {
        Ok(table) => table,
        Err(error) => return refuse(error.to_string()).await,
    };
    let staff_id = staff.0.id;
    let id = db
        .run(move |conn| {
            imports::create(conn, kind, staff_id, &filename, &bytes, &table).map_err(DbError::from)
        })
        .await?;
    Ok(flash::redirect(
        &import_path(id),
        Flash::success("Archivo recibido. Revise qué columna va a cada dato y haga la simulación."),
    ))
}

// ---------------------------------------------------------------------------------------------
// One import: mapping, dry run, confirmation

/// A field of the mapping form and the column chosen for it.
pub struct FieldChoice {
    pub field: &'static str,
    pub label: &'static str,
    pub chosen: String,
}

pub struct RefusedView {
    pub line: usize,
    pub column: String,
    pub value: String,
    pub message: String,
}

/// How far a running import has gone.
pub struct Progress {
    pub id: i64,
    pub done: i32,
    pub total: i32,
    pub percent: i32,
    /// Its runner stopped (a restart): the worker resumes it, or a click on «Reanudar».
    pub stalled: bool,
}

impl Progress {
    fn of(import: &Import) -> Self {
        let total = import.row_count.max(0);
        let done = import.processed_rows.clamp(0, total);
        Self {
            id: import.id,
            done,
            total,
            percent: if total == 0 { 100 } else { done * 100 / total },
            stalled: import.is_stalled(chrono::Utc::now()),
        }
    }

    pub fn done_text(&self) -> String {
        crate::format::thousands(i64::from(self.done))
    }

    pub fn total_text(&self) -> String {
        crate::format::thousands(i64::from(self.total))
    }
}

#[derive(Template)]
#[template(path = "backoffice/imports/show.html", blocks = ["content"])]
pub struct ImportPage {
    pub ctx: PageContext,
    pub import: Import,
    pub kind: Kind,
    pub status: Status,
    pub when: String,
    pub headers: Vec<String>,
    pub choices: Vec<FieldChoice>,
    pub mappings: Vec<String>,
    pub save_as: String,
    pub error: Option<String>,
    pub counts: Option<Counts>,
    pub progress: Progress,
    pub refused: Vec<RefusedView>,
    pub refused_total: usize,
}

#[derive(Template)]
#[template(path = "backoffice/imports/_progress.html")]
pub struct ProgressPartial {
    pub progress: Progress,
    pub ctx_csrf: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    plantilla: String,
}

struct Edit {
    columns: Option<Columns>,
    save_as: String,
    error: Option<String>,
}

/// An import's page data: the import, its headers, its kind's saved mappings, its refusals.
type Loaded = (
    Import,
    Vec<String>,
    Vec<(String, Columns)>,
    Vec<imports::Refusal>,
);

/// The import, with its headers (kept on upload; read from the file for imports older than
/// that), its kind's saved mappings and the dry run's first refused rows.
fn read_import(conn: &mut diesel::PgConnection, id: i64) -> Result<Option<Loaded>, DbError> {
    let Some(import) = imports::get(conn, id)? else {
        return Ok(None);
    };
    let mut headers = import.headers();
    if headers.is_empty() {
        headers = match refusal(imports::load(conn, id))? {
            Ok((_, table)) => table.headers,
            Err(error) => return Err(DbError::other(error)),
        };
    }
    let mappings = imports::mappings(conn, import.kind())?;
    let refused = imports::refusals(conn, id, REFUSED_SHOWN as i64)?;
    Ok(Some((import, headers, mappings, refused)))
}

async fn import_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    template: String,
    edit: Edit,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (import, headers, mappings, refused) = db
        .run(move |conn| read_import(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let kind = import.kind();
    let saved = mappings
        .iter()
        .find(|(name, _)| *name == template.trim())
        .map(|(_, columns)| columns.clone());
    let columns = edit.columns.or(saved).unwrap_or_else(|| import.columns());
    let refused: Vec<RefusedView> = refused
        .into_iter()
        .flat_map(|r| {
            let line = r.line;
            r.problems.into_iter().map(move |p| RefusedView {
                line,
                column: p.column,
                value: p.value,
                message: p.message,
            })
        })
        .collect();
    let counts = match import.status() {
        Status::Uploaded | Status::Applying => None,
        Status::Previewed | Status::Applied => Some(import.counts()),
    };
    let page = ImportPage {
        ctx,
        kind,
        status: import.status(),
        when: crate::format::madrid_datetime(import.created_at),
        headers,
        choices: kind
            .fields()
            .iter()
            .map(|(field, label, _)| FieldChoice {
                field,
                label,
                chosen: columns.get(*field).cloned().unwrap_or_default(),
            })
            .collect(),
        mappings: mappings.into_iter().map(|(name, _)| name).collect(),
        save_as: if edit.save_as.is_empty() {
            import.mapping_name.clone().unwrap_or_default()
        } else {
            edit.save_as
        },
        error: edit.error,
        counts,
        progress: Progress::of(&import),
        refused_total: usize::try_from(import.refused_count).unwrap_or(0),
        refused,
        import,
    };
    render::html_with_status(status, &page)
}

pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
    query: web::Query<ShowQuery>,
) -> Result<HttpResponse, AppError> {
    let edit = Edit {
        columns: None,
        save_as: String::new(),
        error: None,
    };
    let template = query.into_inner().plantilla;
    import_page(ctx, &db, path.into_inner(), template, edit, StatusCode::OK).await
}

pub async fn preview(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let kind = db
        .run(move |conn| imports::get(conn, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?
        .kind();
    let columns: Columns = kind
        .fields()
        .iter()
        .filter_map(|(field, _, _)| {
            let header = form.get(*field)?.trim();
            (!header.is_empty()).then(|| ((*field).to_owned(), header.to_owned()))
        })
        .collect();
    let save_as: String = form
        .get("guardar_como")
        .map(|name| name.trim().chars().take(80).collect())
        .unwrap_or_default();
    let staff_id = staff.0.id;
    let (kept, name) = (columns.clone(), save_as.clone());
    let result = db
        .run(move |conn| {
            let name = Some(name.as_str()).filter(|n| !n.is_empty());
            refusal(imports::preview(conn, id, &kept, name, staff_id))
        })
        .await?;
    match result {
        Ok(import) => Ok(flash::redirect(
            &import_path(id),
            Flash::success(format!(
                "Simulación hecha: {}. Aún no se ha guardado nada.",
                summary(&import.counts())
            )),
        )),
        Err(ImportError::NotFound) => Err(AppError::NotFound),
        Err(error) => {
            let edit = Edit {
                columns: Some(columns),
                save_as,
                error: Some(error.to_string()),
            };
            import_page(
                ctx,
                &db,
                id,
                String::new(),
                edit,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// Runs (or resumes) import `id` on the blocking pool without making anyone wait for it:
/// its page follows the progress. A failure is logged; the import stays "applying" and the
/// worker takes it up again once its lease runs out.
pub fn spawn_run(db: Db, id: i64) {
    actix_web::rt::spawn(async move {
        let ran = db.run(move |conn| refusal(imports::run(conn, id))).await;
        match ran {
            Ok(Ok(Some(import))) => tracing::info!(
                import = id,
                created = import.created_count,
                updated = import.updated_count,
                refused = import.refused_count,
                "import applied"
            ),
            Ok(Ok(None)) => {}
            Ok(Err(error)) => tracing::error!(import = id, %error, "import stopped"),
            Err(error) => tracing::error!(import = id, %error, "import stopped"),
        }
    });
}

/// Confirms the dry run: the import is queued and starts at once; confirming a stalled one
/// resumes it.
pub async fn confirm(
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let staff_id = staff.0.id;
    let result = db
        .run(move |conn| refusal(imports::queue(conn, id, staff_id)))
        .await?;
    match result {
        Ok(_) => {
            spawn_run(db.get_ref().clone(), id);
            Ok(flash::redirect(
                &import_path(id),
                Flash::success(
                    "Importación en marcha. Puede seguirla aquí o cerrar la página: continúa sola.",
                ),
            ))
        }
        Err(ImportError::NotFound) => Err(AppError::NotFound),
        Err(error) => Ok(flash::redirect(
            &import_path(id),
            Flash::error(error.to_string()),
        )),
    }
}

/// GET …/progreso: the progress bar, polled by the page while the import runs. Once it is
/// done the page is reloaded whole (HX-Refresh) to show the result.
pub async fn progress(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let import = db
        .run(move |conn| imports::get(conn, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    if import.status() != Status::Applying {
        return Ok(HttpResponse::Ok()
            .insert_header(("HX-Refresh", "true"))
            .insert_header(("Cache-Control", "no-store"))
            .finish());
    }
    render::html(&ProgressPartial {
        progress: Progress::of(&import),
        ctx_csrf: ctx.csrf_token.clone(),
    })
}

pub async fn refused_csv(
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let result = db
        .run(move |conn| {
            let loaded = refusal(imports::load(conn, id))?;
            let refused = imports::refusals(conn, id, i64::MAX)?;
            Ok::<_, DbError>(loaded.map(|found| (found, refused)))
        })
        .await?;
    let ((import, table), refused) = match result {
        Ok(found) => found,
        Err(ImportError::NotFound) => return Err(AppError::NotFound),
        Err(error) => return Err(AppError::Internal(anyhow::anyhow!("{error}"))),
    };
    let line_of = |cells: Vec<String>| -> String {
        let fields: Vec<String> = cells.iter().map(|c| crate::export::csv_field(c)).collect();
        fields.join(";") + "\r\n"
    };
    let mut csv = String::from('\u{feff}');
    let mut header = vec!["Fila".to_owned(), "Motivo".to_owned()];
    header.extend(table.headers.iter().cloned());
    csv.push_str(&line_of(header));
    for r in refused {
        let reasons = r
            .problems
            .iter()
            .map(|p| format!("{}: {}", p.column, p.message))
            .collect::<Vec<_>>()
            .join(" · ");
        let mut cells = vec![r.line.to_string(), reasons];
        if let Some(row) = r.line.checked_sub(2).and_then(|i| table.rows.get(i)) {
            cells.extend(row.iter().cloned());
        }
        csv.push_str(&line_of(cells));
    }
    let stem = import
        .filename
        .rsplit_once('.')
        .map_or(import.filename.as_str(), |(s, _)| s);
    Ok(HttpResponse::Ok()
        .insert_header(("Content-Type", Format::Csv.content_type()))
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}-rechazadas.csv\"",
                stem.replace('"', "")
            ),
        ))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(csv))
}
