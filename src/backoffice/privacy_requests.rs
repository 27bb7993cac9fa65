//! The register of data-protection rights requests at `/admin/privacidad/solicitudes`: the
//! open ones by deadline (or all), one typed from an e-mail, letter, call or visit, and each
//! one's page to extend its deadline or close it with the answer given. Behind
//! `ManagePrivacy`; the rules are the domain's `privacy_requests`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::db::schema::customers;
use crate::db::{Db, DbError};
use crate::format::{date, madrid_datetime};
use crate::listing::PageNumber;
use crate::privacy_requests::{
    self as requests, ChangeError, Channel, NewRequest, Request, Status,
};
use crate::validation::{FieldErrors, parse_date};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/admin/privacidad/solicitudes";

pub struct RowView {
    pub id: i64,
    pub right: &'static str,
    pub who: String,
    pub customer_id: Option<i64>,
    pub channel: &'static str,
    pub received: String,
    pub due: String,
    pub status: &'static str,
    pub late: bool,
}

fn row_view((r, customer): (Request, Option<String>), today: chrono::NaiveDate) -> RowView {
    RowView {
        id: r.id,
        right: r.kind.label(),
        who: customer.unwrap_or(r.requester_name),
        customer_id: r.customer_id,
        channel: r.channel.label(),
        received: date(r.received_on),
        due: date(r.due_on),
        late: r.status == Status::Open && r.due_on < today,
        status: r.status.label(),
    }
}

#[derive(Template)]
#[template(path = "backoffice/privacy/requests.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub rows: Vec<RowView>,
    pub all: bool,
    pub pager: Pager,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    ver: String,
    pagina: String,
}

/// GET /admin/privacidad/solicitudes?ver=todas
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let all = query.ver == "todas";
    let page = PageNumber::parse(&query.pagina);
    let rows = db
        .run(move |conn| Ok::<_, DbError>(requests::list(conn, !all, page)?))
        .await?;
    let today = crate::time::today();
    crate::page_or_partial!(ListPage {
        ctx,
        pager: Pager::of_numbered(&rows, PATH, &[("ver", if all { "todas" } else { "" })]),
        rows: rows.rows.into_iter().map(|r| row_view(r, today)).collect(),
        all,
    })
}

#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct NewForm {
    pub nombre: String,
    pub nif: String,
    pub derecho: String,
    pub canal: String,
    pub recibida: String,
    pub detalle: String,
}

#[derive(Template)]
#[template(path = "backoffice/privacy/request_new.html", blocks = ["content"])]
pub struct NewPage {
    pub ctx: PageContext,
    pub form: NewForm,
    pub errors: FieldErrors,
    pub rights: Vec<(&'static str, &'static str)>,
    pub channels: Vec<(&'static str, &'static str)>,
}

fn new_page(ctx: PageContext, form: NewForm, errors: FieldErrors) -> NewPage {
    let mut rights = vec![("", "Elija…")];
    rights.extend(requests::Right::ALL.iter().map(|r| (r.code(), r.label())));
    let mut channels = vec![("", "Elija…")];
    channels.extend(Channel::BY_STAFF.iter().map(|c| (c.code(), c.label())));
    NewPage {
        ctx,
        form,
        errors,
        rights,
        channels,
    }
}

/// GET /admin/privacidad/solicitudes/nueva
pub async fn new_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    let form = NewForm {
        recibida: crate::time::today().format("%Y-%m-%d").to_string(),
        ..NewForm::default()
    };
    crate::page_or_partial!(new_page(ctx, form, FieldErrors::new()))
}

/// POST /admin/privacidad/solicitudes
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<NewForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.refuse_bad_text(&["detalle"])?;
    let today = crate::time::today();
    let (mut errors, checked) = match requests::check(&typed.derecho, &typed.detalle) {
        Ok(checked) => (FieldErrors::new(), Some(checked)),
        Err(errors) => (errors, None),
    };
    let name = typed.nombre.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.add(
            "nombre",
            "Escriba el nombre de quien lo pide (hasta 200 caracteres).",
        );
    }
    let channel = Channel::parse(typed.canal.trim()).filter(|c| Channel::BY_STAFF.contains(c));
    if channel.is_none() {
        errors.add("canal", "Elija cómo llegó la solicitud.");
    }
    let received = match parse_date(&typed.recibida) {
        Ok(day) if day > today => {
            errors.add("recibida", "La fecha no puede ser futura.");
            None
        }
        Ok(day) => Some(day),
        Err(message) => {
            errors.add("recibida", message);
            None
        }
    };
    let tax_id = match typed.nif.trim() {
        "" => None,
        text => match crate::identifiers::TaxId::parse(text) {
            Ok(id) => Some(id.to_string()),
            Err(message) => {
                errors.add("nif", message);
                None
            }
        },
    };
    let (Some((right, details)), Some(channel), Some(received_on)) = (checked, channel, received)
    else {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_page(ctx, typed, errors),
        );
    };
    if !errors.is_empty() {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_page(ctx, typed, errors),
        );
    }
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let created = db
        .transaction(move |conn| {
            // Linked to the customer of that NIF when there is one.
            let customer_id = match &tax_id {
                Some(tax_id) => customers::table
                    .filter(customers::tax_id.eq(tax_id))
                    .select(customers::id)
                    .first::<i64>(conn)
                    .optional()?,
                None => None,
            };
            if tax_id.is_some() && customer_id.is_none() {
                return Ok::<_, DbError>(None);
            }
            let request = NewRequest {
                customer_id,
                requester_name: name,
                kind: right,
                channel,
                details,
                received_on,
            };
            Ok(Some(requests::register(conn, &request, Some(&by))?))
        })
        .await?;
    match created {
        Some(id) => Ok(flash::redirect(
            &format!("{PATH}/{id}"),
            Flash::success("Solicitud registrada: hay un mes para contestarla."),
        )),
        None => {
            let mut errors = FieldErrors::new();
            errors.add(
                "nif",
                "No hay ningún cliente con ese NIF: déjelo vacío si no es cliente.",
            );
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_page(ctx, typed, errors),
            )
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/privacy/request.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub request: Request,
    pub row: RowView,
    pub closed: Option<String>,
    pub resultado: String,
    pub respuesta: String,
    pub errors: FieldErrors,
}

async fn show_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    resultado: String,
    respuesta: String,
    errors: FieldErrors,
) -> Result<ShowPage, AppError> {
    let (request, customer) = db
        .run(move |conn| Ok::<_, DbError>(requests::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(ShowPage {
        ctx,
        closed: request.closed_at.map(madrid_datetime),
        row: row_view((request.clone(), customer), crate::time::today()),
        request,
        resultado,
        respuesta,
        errors,
    })
}

/// GET /admin/privacidad/solicitudes/{id}
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page = show_page(
        ctx,
        &db,
        path.into_inner(),
        String::new(),
        String::new(),
        FieldErrors::new(),
    )
    .await?;
    crate::page_or_partial!(page)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    resultado: String,
    respuesta: String,
}

/// POST /admin/privacidad/solicitudes/{id}/cerrar
pub async fn close(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<CloseForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.refuse_bad_text(&["respuesta"])?;
    let mut errors = FieldErrors::new();
    let status = match typed.resultado.as_str() {
        "done" => Some(Status::Done),
        "refused" => Some(Status::Refused),
        _ => {
            errors.add("resultado", "Elija si se atendió o se denegó.");
            None
        }
    };
    let answer = typed.respuesta.trim().to_owned();
    if answer.chars().count() < 10 || answer.chars().count() > 4000 {
        errors.add(
            "respuesta",
            "Escriba qué se hizo o por qué se deniega (entre 10 y 4000 caracteres).",
        );
    }
    let Some(status) = status.filter(|_| errors.is_empty()) else {
        let page = show_page(ctx, &db, id, typed.resultado, typed.respuesta, errors).await?;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let outcome = db
        .transaction(move |conn| Ok::<_, DbError>(requests::close(conn, id, status, &answer, &by)?))
        .await?;
    finish(outcome, id, "Solicitud cerrada.")
}

/// POST /admin/privacidad/solicitudes/{id}/ampliar
pub async fn extend(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let outcome = db
        .transaction(move |conn| Ok::<_, DbError>(requests::extend(conn, id, &by)?))
        .await?;
    finish(
        outcome,
        id,
        "Plazo ampliado dos meses. Comuníqueselo al interesado explicando el motivo.",
    )
}

fn finish(outcome: Result<(), ChangeError>, id: i64, done: &str) -> Result<HttpResponse, AppError> {
    let to = format!("{PATH}/{id}");
    match outcome {
        Ok(()) => Ok(flash::redirect(&to, Flash::success(done.to_owned()))),
        Err(ChangeError::NotFound) => Err(AppError::NotFound),
        Err(ChangeError::NotAllowed) => Ok(flash::redirect(
            &to,
            Flash::error("Esta solicitud ya no admite ese cambio."),
        )),
    }
}
