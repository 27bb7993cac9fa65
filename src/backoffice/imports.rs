//! Importing the book (`/admin/importar`): upload a file, map its columns (or take a saved
//! mapping), see the dry run row by row, confirm; the history of imports and each one's
//! refused rows as a CSV to fix and upload again. Thin handlers over [`crate::imports`].

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::export::Format;
use crate::imports::customers::{Columns, Counts, FIELDS};
use crate::imports::{self, HistoryRow, Import, ImportError, Status};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::multipart;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

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
            status: i.status().label(),
            counts: Counts {
                created: i.created_count,
                updated: i.updated_count,
                unchanged: i.unchanged_count,
                refused: i.refused_count,
            },
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
    pub history: Vec<HistoryView>,
}

async fn index_page(
    ctx: PageContext,
    db: &Db,
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
            history: history.into_iter().map(HistoryView::from).collect(),
        },
    )
}

/// GET /admin/importar
pub async fn index(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    index_page(ctx, &db, None, StatusCode::OK).await
}

/// POST /admin/importar (multipart): stores the file and opens its mapping step.
pub async fn upload(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let parts = multipart::read(payload, &["archivo"], MAX_FILE_BYTES, 1024).await?;
    let file = parts
        .into_iter()
        .find(|p| p.name == "archivo" && (p.overflow || !p.bytes.is_empty()));
    let refuse =
        |message: String| index_page(ctx, &db, Some(message), StatusCode::UNPROCESSABLE_ENTITY);
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
            imports::create(conn, staff_id, &filename, &bytes, &table).map_err(DbError::from)
        })
        .await?;
    Ok(flash::redirect(
        &import_path(id),
        Flash::success("Archivo recibido. Revise qué columna va a cada dato y haga la simulación."),
    ))
}

// ---------------------------------------------------------------------------------------------
// One import: mapping, dry run, confirmation

/// A field of the mapping form with the column chosen for it.
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

#[derive(Template)]
#[template(path = "backoffice/imports/show.html", blocks = ["content"])]
pub struct ImportPage {
    pub ctx: PageContext,
    pub import: Import,
    pub status: Status,
    pub when: String,
    pub headers: Vec<String>,
    pub choices: Vec<FieldChoice>,
    pub mappings: Vec<String>,
    pub save_as: String,
    pub error: Option<String>,
    /// The dry run (or the result, once applied).
    pub counts: Option<Counts>,
    pub refused: Vec<RefusedView>,
    pub refused_total: usize,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ShowQuery {
    /// A saved mapping to fill the form with.
    plantilla: String,
}

struct Edit {
    columns: Option<Columns>,
    save_as: String,
    error: Option<String>,
}

async fn import_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    template: String,
    edit: Edit,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let loaded = db
        .run(move |conn| {
            let mappings = imports::mappings(conn)?;
            let current = refusal(imports::current_plan(conn, id))?;
            Ok::<_, DbError>((mappings, current))
        })
        .await?;
    let (mappings, current) = loaded;
    let (import, table, plan) = match current {
        Ok(found) => found,
        Err(ImportError::NotFound) => return Err(AppError::NotFound),
        Err(error) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "import {id} cannot be read again: {error}"
            )));
        }
    };
    let saved = mappings
        .iter()
        .find(|(name, _)| *name == template.trim())
        .map(|(_, columns)| columns.clone());
    let columns = edit.columns.or(saved).unwrap_or_else(|| import.columns());
    let shown = import.status() != Status::Uploaded;
    let refused: Vec<RefusedView> = if shown {
        plan.refused()
            .flat_map(|(line, problems)| {
                problems.iter().map(move |p| RefusedView {
                    line,
                    column: p.column.clone(),
                    value: p.value.clone(),
                    message: p.message.clone(),
                })
            })
            .collect()
    } else {
        Vec::new()
    };
    let refused_total = refused.len();
    let counts = match import.status() {
        Status::Uploaded => None,
        Status::Previewed => Some(plan.counts()),
        Status::Applied => Some(Counts {
            created: import.created_count,
            updated: import.updated_count,
            unchanged: import.unchanged_count,
            refused: import.refused_count,
        }),
    };
    let page = ImportPage {
        ctx,
        status: import.status(),
        when: crate::format::madrid_datetime(import.created_at),
        headers: table.headers.clone(),
        choices: FIELDS
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
        refused: refused.into_iter().take(REFUSED_SHOWN).collect(),
        refused_total,
        import,
    };
    render::html_with_status(status, &page)
}

/// GET /admin/importar/{id}
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

/// POST /admin/importar/{id}/simular: the mapping chosen (one select per field, named after
/// the field; `guardar_como` to save it), then the dry run. Nothing of the book is written.
pub async fn preview(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let form = form.into_inner();
    let columns: Columns = FIELDS
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
        Ok((_, plan)) => {
            let c = plan.counts();
            Ok(flash::redirect(
                &import_path(id),
                Flash::success(format!(
                    "Simulación hecha: {}. Aún no se ha guardado nada.",
                    summary(&c)
                )),
            ))
        }
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

/// POST /admin/importar/{id}/confirmar: writes the previewed import, in batches.
pub async fn confirm(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let result = db
        .run(move |conn| refusal(imports::apply(conn, id, &by)))
        .await?;
    match result {
        Ok(import) => Ok(flash::redirect(
            &import_path(id),
            Flash::success(format!(
                "Importación aplicada: {}.",
                summary(&Counts {
                    created: import.created_count,
                    updated: import.updated_count,
                    unchanged: import.unchanged_count,
                    refused: import.refused_count,
                })
            )),
        )),
        Err(ImportError::NotFound) => Err(AppError::NotFound),
        Err(error) => Ok(flash::redirect(
            &import_path(id),
            Flash::error(error.to_string()),
        )),
    }
}

/// GET /admin/importar/{id}/rechazadas: the refused rows as they came, with the line and the
/// reasons, as a CSV to fix and upload again.
pub async fn refused_csv(
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let result = db
        .run(move |conn| refusal(imports::current_plan(conn, id)))
        .await?;
    let (import, table, plan) = match result {
        Ok(found) => found,
        Err(ImportError::NotFound) => return Err(AppError::NotFound),
        Err(error) => return Err(AppError::Internal(anyhow::anyhow!("{error}"))),
    };
    // "Fila" and "Motivo", then the file's own columns: the rows can be fixed in place and
    // the file uploaded again (the two first columns are not mapped to anything).
    let line_of = |cells: Vec<String>| -> String {
        let fields: Vec<String> = cells.iter().map(|c| crate::export::csv_field(c)).collect();
        fields.join(";") + "\r\n"
    };
    let mut csv = String::from('\u{feff}');
    let mut header = vec!["Fila".to_owned(), "Motivo".to_owned()];
    header.extend(table.headers.iter().cloned());
    csv.push_str(&line_of(header));
    for (line, problems) in plan.refused() {
        let reasons = problems
            .iter()
            .map(|p| format!("{}: {}", p.column, p.message))
            .collect::<Vec<_>>()
            .join(" · ");
        let mut cells = vec![line.to_string(), reasons];
        if let Some(row) = table.rows.get(line - 2) {
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
