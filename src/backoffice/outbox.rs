//! The e-mail outbox: what was sent, what is waiting, what failed (and retrying it).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::{Db, DbError};
use crate::format::madrid_datetime;
use crate::listing::Cursor;
use crate::mail::outbox::{self, OutboxEntry, Status};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::{self, Pager};
use crate::web::page::PageContext;
use crate::web::render;

const LIST_PATH: &str = "/admin/correos";

/// One row of the list, ready to show.
pub struct OutboxRow {
    pub id: i64,
    pub created_at: String,
    pub to: String,
    pub subject: String,
    pub kind: String,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    /// It carries a stored document.
    pub attachment: bool,
}

impl OutboxRow {
    fn new(entry: OutboxEntry) -> Self {
        Self {
            id: entry.id,
            created_at: madrid_datetime(entry.created_at),
            status: entry.status(),
            to: entry.to_address,
            subject: entry.subject,
            kind: entry.kind,
            attempts: entry.attempts,
            last_error: entry.last_error,
            attachment: entry.attachment_document_id.is_some(),
        }
    }

    pub fn badge_class(&self) -> &'static str {
        match self.status {
            Status::Pending => "badge",
            Status::Sending => "badge badge-warn",
            Status::Sent => "badge badge-ok",
            Status::Failed => "badge badge-error",
        }
    }

    pub fn can_retry(&self) -> bool {
        self.status == Status::Failed
    }
}

#[derive(Template)]
#[template(path = "backoffice/outbox/list.html", blocks = ["content"])]
pub struct OutboxListPage {
    pub ctx: PageContext,
    pub rows: Vec<OutboxRow>,
    pub status: Option<Status>,
    /// This page's own URL, where a retry without JavaScript comes back to.
    pub return_to: String,
    /// Newer e-mails are the previous page, older ones the next.
    pub pager: Pager,
}

impl OutboxListPage {
    pub fn statuses(&self) -> [Status; 4] {
        Status::ALL
    }

    pub fn is_selected(&self, status: &Status) -> bool {
        self.status == Some(*status)
    }
}

#[derive(Template)]
#[template(path = "backoffice/outbox/_row.html")]
pub struct OutboxRowPartial {
    pub ctx: PageContext,
    pub row: OutboxRow,
    pub return_to: String,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    estado: Option<String>,
    #[serde(default)]
    pagina: String,
}

/// GET /admin/correos[?estado=failed][&pagina=tras-<id>]
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let ListQuery { estado, pagina } = query.into_inner();
    let cursor = Cursor::parse(&pagina);
    let status = match estado.as_deref() {
        None | Some("") => None,
        Some(value) => Some(
            Status::parse(value)
                .ok_or_else(|| AppError::BadRequest(format!("unknown outbox status '{value}'")))?,
        ),
    };
    let page = db
        .run(move |conn| outbox::list(conn, status, cursor).map_err(DbError::from))
        .await?;
    let pairs = [("estado", status.map_or("", Status::as_str))];
    page_or_partial!(OutboxListPage {
        ctx,
        return_to: listing::url(LIST_PATH, &pairs, cursor),
        pager: Pager::at(&page, LIST_PATH, &pairs),
        rows: page.rows.into_iter().map(OutboxRow::new).collect(),
        status,
    })
}

#[derive(Debug, Deserialize)]
pub struct RetryForm {
    volver: Option<String>,
}

/// Only the outbox list itself is a valid place to come back to (no open redirect).
fn safe_return(path: Option<&str>) -> String {
    match path {
        Some(path)
            if (path == LIST_PATH || path.starts_with(&format!("{LIST_PATH}?")))
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => LIST_PATH.to_owned(),
    }
}

/// POST /admin/correos/{id}/reintentar: a failed e-mail goes back in line. htmx gets the
/// updated row; a plain form goes back to the list with a message.
pub async fn retry(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<RetryForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let return_to = safe_return(form.into_inner().volver.as_deref());
    let entry = db
        .transaction(move |conn| outbox::retry(conn, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    tracing::info!(email_id = id, "failed e-mail put back in line");
    if ctx.htmx {
        return render::html(&OutboxRowPartial {
            ctx,
            row: OutboxRow::new(entry),
            return_to,
        });
    }
    Ok(flash::redirect(
        &return_to,
        Flash::success(format!(
            "El correo a {} se volverá a enviar en unos segundos.",
            entry.to_address
        )),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_only_returns_to_the_outbox_list() {
        assert_eq!(
            safe_return(Some("/admin/correos?estado=failed")),
            "/admin/correos?estado=failed"
        );
        assert_eq!(safe_return(Some("https://evil.example")), "/admin/correos");
        assert_eq!(safe_return(Some("/admin/correosx")), "/admin/correos");
        assert_eq!(safe_return(None), "/admin/correos");
    }
}
