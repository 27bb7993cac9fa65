//! Mensajes: the client's threads with the brokerage.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::Db;
use crate::listing::PageNumber;
use crate::messages::{self, Message, Thread};
use crate::page_or_partial;
use crate::portal::auth::CurrentClient;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    pagina: String,
}

#[derive(Template)]
#[template(path = "portal/messages.html", blocks = ["content"])]
pub struct ThreadsPage {
    pub ctx: PageContext,
    pub threads: Vec<Thread>,
    pub pager: Pager,
    pub asunto: String,
    pub cuerpo: String,
    pub errors: FieldErrors,
}

async fn threads_page(
    ctx: PageContext,
    db: &Db,
    customer: i64,
    page: PageNumber,
) -> Result<ThreadsPage, AppError> {
    let (threads, more) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(messages::threads_of(conn, customer, page)?)
        })
        .await?;
    Ok(ThreadsPage {
        ctx,
        threads,
        pager: Pager::numbered(page, more, "/portal/mensajes", &[]),
        asunto: String::new(),
        cuerpo: String::new(),
        errors: FieldErrors::new(),
    })
}

/// GET /portal/mensajes
pub async fn list(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, AppError> {
    let page = PageNumber::parse(&query.pagina);
    page_or_partial!(threads_page(ctx, &db, client.customer_id(), page).await?)
}

#[derive(Debug, Deserialize)]
pub struct NewThreadForm {
    #[serde(default)]
    asunto: String,
    #[serde(default)]
    cuerpo: String,
}

/// POST /portal/mensajes: a new conversation.
pub async fn create(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    form: Form<NewThreadForm>,
) -> Result<HttpResponse, AppError> {
    let checked = form.validated(&["cuerpo"], messages::check_new(&form.asunto, &form.cuerpo));
    let form = form.into_inner();
    let customer = client.customer_id();
    let (subject, body) = match checked {
        Ok(values) => values,
        Err(errors) => {
            let mut page = threads_page(ctx, &db, customer, PageNumber::FIRST).await?;
            page.asunto = form.asunto;
            page.cuerpo = form.cuerpo;
            page.errors = errors;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let id = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(messages::start_by_client(conn, customer, &subject, &body)?)
        })
        .await?;
    Ok(flash::redirect(
        &format!("/portal/mensajes/{id}"),
        Flash::success("Mensaje enviado. Le avisaremos por correo cuando le respondamos."),
    ))
}

#[derive(Template)]
#[template(path = "portal/thread.html", blocks = ["content"])]
pub struct ThreadPage {
    pub ctx: PageContext,
    pub thread: Thread,
    pub messages: Vec<Message>,
    pub cuerpo: String,
    pub errors: FieldErrors,
}

async fn load_thread(db: &Db, customer: i64, id: i64) -> Result<(Thread, Vec<Message>), AppError> {
    db.portal_transaction(customer, move |conn| {
        Ok::<_, AppError>(messages::thread_of(conn, customer, id)?)
    })
    .await?
    .ok_or(AppError::NotFound)
}

/// GET /portal/mensajes/{id}: reading marks the brokerage's messages read.
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let (thread, messages) = load_thread(&db, customer, id).await?;
    if thread.unread_by_client > 0 {
        db.portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(messages::mark_read_by_client(conn, customer, id)?)
        })
        .await?;
    }
    page_or_partial!(ThreadPage {
        ctx,
        thread,
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

/// POST /portal/mensajes/{id}
pub async fn reply(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ReplyForm>,
) -> Result<HttpResponse, AppError> {
    let (customer, id) = (client.customer_id(), path.into_inner());
    let checked = form.validated(&["cuerpo"], messages::check_body(&form.cuerpo));
    let form = form.into_inner();
    let body = match checked {
        Ok(body) => body,
        Err(errors) => {
            let (thread, messages) = load_thread(&db, customer, id).await?;
            let page = ThreadPage {
                ctx,
                thread,
                messages,
                cuerpo: form.cuerpo,
                errors,
            };
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    db.portal_transaction(customer, move |conn| {
        Ok::<_, AppError>(messages::reply_by_client(conn, customer, id, &body)?)
    })
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(flash::redirect(
        &format!("/portal/mensajes/{id}"),
        Flash::success("Mensaje enviado."),
    ))
}
