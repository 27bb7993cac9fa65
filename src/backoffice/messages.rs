//! The back-office inbox (`/admin/mensajes`): client threads with unread counts, reading one,
//! and replying (the client is e-mailed a link-only notice).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Action};
use crate::auth::permissions::PortfolioScope;
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::listing::PageNumber;
use crate::messages::{self, InboxRow, Message, Thread};
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pagina: String,
}

#[derive(Template)]
#[template(path = "backoffice/messages/list.html", blocks = ["content"])]
pub struct InboxPage {
    pub ctx: PageContext,
    pub rows: Vec<InboxRow>,
    pub unread: i64,
    pub pager: Pager,
}

/// GET /admin/mensajes
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = scope_of(&staff);
    let page = PageNumber::parse(&query.pagina);
    let ((rows, more), unread) = db
        .run(move |conn| {
            Ok::<_, AppError>((
                messages::inbox(conn, scope, page)?,
                messages::unread_for_staff(conn, scope)?,
            ))
        })
        .await?;
    page_or_partial!(InboxPage {
        ctx,
        rows,
        unread,
        pager: Pager::numbered(page, more, "/admin/mensajes", &[]),
    })
}

#[derive(Template)]
#[template(path = "backoffice/messages/show.html", blocks = ["content"])]
pub struct ThreadPage {
    pub ctx: PageContext,
    pub thread: Thread,
    pub customer_name: String,
    pub messages: Vec<Message>,
    pub cuerpo: String,
    pub errors: FieldErrors,
}

async fn open(
    db: &Db,
    scope: PortfolioScope,
    id: i64,
) -> Result<(Thread, String, Vec<Message>), AppError> {
    db.transaction(move |conn| Ok::<_, AppError>(messages::open_for_staff(conn, scope, id)?))
        .await?
        .ok_or(AppError::NotFound)
}

/// GET /admin/mensajes/{id}: reading marks the client's messages read.
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (thread, customer_name, messages) = open(&db, scope_of(&staff), path.into_inner()).await?;
    page_or_partial!(ThreadPage {
        ctx,
        thread,
        customer_name,
        messages,
        cuerpo: String::new(),
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    cuerpo: String,
}

/// POST /admin/mensajes/{id}
pub async fn reply(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<ReplyForm>,
) -> Result<HttpResponse, AppError> {
    let (scope, id) = (scope_of(&staff), path.into_inner());
    let form = form.into_inner();
    let body = match messages::check_body(&form.cuerpo) {
        Ok(body) => body,
        Err(errors) => {
            let (thread, customer_name, messages) = open(&db, scope, id).await?;
            let page = ThreadPage {
                ctx,
                thread,
                customer_name,
                messages,
                cuerpo: form.cuerpo,
                errors,
            };
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let base_url = config.base_url.clone();
    let user = staff.0;
    db.transaction(move |conn| {
        let Some(message) = messages::reply_by_staff(conn, scope, user.id, id, &body, &base_url)?
        else {
            return Ok::<_, DbError>(None);
        };
        let entry = audit::NewEntry {
            target_type: Some(audit::target::MESSAGE_THREAD),
            target_id: Some(id),
            details: serde_json::json!({ "mensaje": message }),
            ..audit_entry(&user, &meta, Action::MessageReplied)
        };
        audit::record(conn, &entry)?;
        Ok(Some(message))
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(flash::redirect(
        &format!("/admin/mensajes/{id}"),
        Flash::success("Respuesta enviada. El cliente recibe un aviso por correo."),
    ))
}
