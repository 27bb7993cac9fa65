//! A list's export as a download: the links under the list (with its current filters) and
//! the response carrying the file (`domain::export` writes it, a chunk of rows at a time).

use std::fs::File;
use std::io::Read;

use actix_web::HttpResponse;
use actix_web::body::SizedStream;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::web::{self, Bytes};

use crate::audit::{self, Action, Actor, NewEntry};
use crate::db::{Db, DbError};
use crate::export::{Cell, Format, SheetWriter};
use crate::web::error::AppError;
use crate::web::listing;

/// The query parameter that names the format of an export.
pub const FORMAT_PARAM: &str = "formato";

/// "Exportar: CSV · Excel" under a list, for its current filters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    pub csv: String,
    pub xlsx: String,
}

impl Links {
    /// The export of the list whose filters are `pairs`, served at `path`.
    pub fn at(path: &str, pairs: &[(&str, &str)]) -> Links {
        let link = |format: Format| {
            let mut all = pairs.to_vec();
            all.push((FORMAT_PARAM, format.extension()));
            listing::url(path, &all, None)
        };
        Links {
            csv: link(Format::Csv),
            xlsx: link(Format::Xlsx),
        }
    }
}

/// The format asked for (CSV when none is); anything else is a bad request.
pub fn format(code: &str) -> Result<Format, AppError> {
    if code.trim().is_empty() {
        return Ok(Format::Csv);
    }
    Format::parse(code)
        .ok_or_else(|| AppError::BadRequest(format!("unknown export format {code:?}")))
}

/// What a list's export is called and holds.
pub struct Export<'a> {
    /// The list as the audit log names it ("recibos").
    pub list: &'static str,
    /// The workbook's sheet ("Recibos").
    pub sheet: &'static str,
    /// The file's name before the date ("recibos" → `recibos-2026-12-04.csv`).
    pub stem: &'static str,
    pub headers: Vec<&'static str>,
    /// The filters on screen, as the audit entry records them.
    pub filters: &'a [(&'a str, &'a str)],
}

/// Hands each row of an export to the file being written.
pub type Sink<'a, R> = &'a mut dyn FnMut(R) -> Result<(), DbError>;

/// A list's export from end to end, in constant memory: in one transaction the rows are read a
/// chunk at a time (`read` hands each to the sink, as the domain's `export` functions do),
/// made cells by `cells` and written to a temporary file, and the export is recorded in the
/// audit log (personal data leaving the system: who, which list, format, filters, how many
/// rows); then the file is streamed to the browser and deleted.
pub async fn respond<R, F, C>(
    db: &Db,
    by: Actor,
    format: Format,
    export: Export<'_>,
    read: F,
    cells: C,
) -> Result<HttpResponse, AppError>
where
    R: 'static,
    F: FnOnce(&mut diesel::PgConnection, Sink<'_, R>) -> Result<i64, DbError> + Send + 'static,
    C: Fn(R) -> Vec<Cell> + Send + 'static,
{
    let filters: serde_json::Map<String, serde_json::Value> = export
        .filters
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    let Export {
        list,
        sheet,
        stem,
        headers,
        ..
    } = export;
    let file = db
        .transaction(move |conn| {
            let mut writer =
                SheetWriter::create(format, sheet, &headers).map_err(DbError::other)?;
            let rows = read(conn, &mut |row| {
                writer.push(&cells(row)).map_err(DbError::other)
            })?;
            audit::record(
                conn,
                &NewEntry {
                    details: serde_json::json!({
                        "listado": list,
                        "formato": format.extension(),
                        "filtros": filters,
                        "filas": rows,
                    }),
                    ..by.entry(Action::ListExported)
                },
            )?;
            crate::access_log::record(
                conn,
                &by,
                crate::access_log::Kind::Exported,
                None,
                &format!(
                    "{list} ({rows} filas, {})",
                    format.extension().to_uppercase()
                ),
            )?;
            writer.finish().map_err(DbError::other)
        })
        .await?;
    let stem = format!("{stem}-{}", crate::time::today().format("%Y-%m-%d"));
    download(file, format, &stem)
}

/// The written file as a download, `<stem>.<csv|xlsx>`, streamed from disk 64 KiB at a time
/// (read on the blocking pool) with its length; never cached (it holds personal data).
fn download(file: File, format: Format, stem: &str) -> Result<HttpResponse, AppError> {
    let length = file
        .metadata()
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?
        .len();
    let chunks = futures_util::stream::try_unfold(file, |mut file| async move {
        let (file, chunk) = web::block(move || {
            let mut chunk = vec![0; 64 * 1024];
            let read = file.read(&mut chunk)?;
            chunk.truncate(read);
            Ok::<_, std::io::Error>((file, chunk))
        })
        .await
        .map_err(std::io::Error::other)??;
        Ok::<_, std::io::Error>((!chunk.is_empty()).then(|| (Bytes::from(chunk), file)))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, format.content_type()))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(format!(
                "{stem}.{}",
                format.extension()
            ))],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(SizedStream::new(length, chunks)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn export_links_keep_the_filters_and_drop_the_page() {
        let links = Links::at(
            "/admin/clientes",
            &[("q", "ana"), ("pagina", "tras-4"), ("orden", "")],
        );
        assert_eq!(links.csv, "/admin/clientes?q=ana&formato=csv");
        assert_eq!(links.xlsx, "/admin/clientes?q=ana&formato=xlsx");
    }
}
