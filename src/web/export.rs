//! A list's export as a download: the links under the list (with its current filters) and
//! the response carrying the file (`domain::export` writes it).

use actix_web::HttpResponse;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};

use crate::audit::{self, Action, Actor, NewEntry};
use crate::db::{Db, DbError};
use crate::export::{Cell, Format, Sheet};
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

/// Reads the rows of an export and records it in the audit log, in one transaction: personal
/// data leaving the system is on record (who, which list, format, filters, how many rows).
pub async fn read_audited<R, F>(
    db: &Db,
    by: Actor,
    list: &'static str,
    format: Format,
    filters: &[(&str, &str)],
    read: F,
) -> Result<Vec<R>, AppError>
where
    R: Send + 'static,
    F: FnOnce(&mut diesel::PgConnection) -> diesel::QueryResult<Vec<R>> + Send + 'static,
{
    let filters: serde_json::Map<String, serde_json::Value> = filters
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    let rows = db
        .transaction(move |conn| {
            let rows = read(conn)?;
            audit::record(
                conn,
                &NewEntry {
                    details: serde_json::json!({
                        "listado": list,
                        "formato": format.extension(),
                        "filtros": filters,
                        "filas": rows.len(),
                    }),
                    ..by.entry(Action::ListExported)
                },
            )?;
            Ok::<_, DbError>(rows)
        })
        .await?;
    Ok(rows)
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

/// A list's export from end to end: the rows read and the export audited in one transaction
/// ([`read_audited`]), each row made cells by `cells`, the file sent ([`download`]).
pub async fn respond<R, F>(
    db: &Db,
    by: Actor,
    format: Format,
    export: Export<'_>,
    read: F,
    cells: impl Fn(R) -> Vec<Cell>,
) -> Result<HttpResponse, AppError>
where
    R: Send + 'static,
    F: FnOnce(&mut diesel::PgConnection) -> diesel::QueryResult<Vec<R>> + Send + 'static,
{
    let rows = read_audited(db, by, export.list, format, export.filters, read).await?;
    let mut sheet = Sheet::new(export.sheet, export.headers);
    for row in rows {
        sheet.push(cells(row));
    }
    let stem = format!(
        "{}-{}",
        export.stem,
        crate::time::today().format("%Y-%m-%d")
    );
    download(&sheet, format, &stem)
}

/// The sheet as a file to save: `<stem>.<csv|xlsx>`, never cached (it holds personal data).
pub fn download(sheet: &Sheet, format: Format, stem: &str) -> Result<HttpResponse, AppError> {
    let body = sheet
        .write(format)
        .map_err(|e| AppError::Internal(anyhow::anyhow!(e)))?;
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
        .body(body))
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
