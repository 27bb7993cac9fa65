//! The record of processing activities (RGPD art. 30) at `/admin/privacidad/tratamientos`:
//! read (printable), add, edit, and export as CSV or Excel for an inspection. Behind
//! `ManagePrivacy`; the rules are the domain's `processing`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::madrid_datetime;
use crate::processing::{self, Activity, ActivityForm, MULTILINE, SaveError};
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links};
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/admin/privacidad/tratamientos";

/// The headings of the record, in the order of art. 30.1 (also the export's columns).
pub const HEADINGS: [&str; 9] = [
    "Finalidades",
    "Base jurídica",
    "Interesados",
    "Categorías de datos",
    "Destinatarios",
    "Transferencias internacionales",
    "Plazo de conservación",
    "Medidas de seguridad",
    "Actualizada",
];

/// One activity as the record page shows it.
pub struct ActivityView {
    pub id: i64,
    pub name: String,
    /// (heading, text) in the order of [`HEADINGS`].
    pub items: Vec<(&'static str, String)>,
}

fn view(activity: Activity, updated_by: Option<String>) -> ActivityView {
    let updated = match updated_by {
        Some(name) => format!("{} por {name}", madrid_datetime(activity.updated_at)),
        None => format!("{} (texto inicial)", madrid_datetime(activity.updated_at)),
    };
    let texts = [
        activity.purposes,
        activity.legal_basis,
        activity.data_subjects,
        activity.data_categories,
        activity.recipients,
        activity.transfers,
        activity.retention,
        activity.security_measures,
        updated,
    ];
    ActivityView {
        id: activity.id,
        name: activity.name,
        items: HEADINGS.into_iter().zip(texts).collect(),
    }
}

#[derive(Template)]
#[template(path = "backoffice/privacy/processing.html", blocks = ["content"])]
pub struct RecordPage {
    pub ctx: PageContext,
    pub activities: Vec<ActivityView>,
    pub exports: Links,
    pub controller: String,
}

/// GET /admin/privacidad/tratamientos
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<crate::config::Config>,
) -> Result<HttpResponse, AppError> {
    let rows = db
        .run(|conn| Ok::<_, DbError>(processing::list(conn)?))
        .await?;
    let broker = &config.broker;
    crate::page_or_partial!(RecordPage {
        ctx,
        activities: rows.into_iter().map(|(a, by)| view(a, by)).collect(),
        exports: Links::at(&format!("{PATH}/exportar"), &[]),
        controller: format!(
            "{} (CIF {}), {}. Contacto de protección de datos: {}.",
            broker.name, broker.tax_id, broker.address, broker.privacy_email
        ),
    })
}

#[derive(Debug, Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    formato: String,
}

/// GET /admin/privacidad/tratamientos/exportar
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let mut headers = vec!["Actividad"];
    headers.extend(HEADINGS);
    let export = download::Export {
        list: "registro de actividades de tratamiento",
        sheet: "Actividades de tratamiento",
        stem: "registro-actividades-tratamiento",
        headers,
        filters: &[],
    };
    download::respond(
        &db,
        by,
        format,
        export,
        |conn, sink| {
            let rows = processing::list(conn)?;
            let count = rows.len() as i64;
            for row in rows {
                sink(row)?;
            }
            Ok(count)
        },
        |(activity, by): (Activity, Option<String>)| {
            let view = view(activity, by);
            std::iter::once(Cell::from(view.name))
                .chain(view.items.into_iter().map(|(_, text)| Cell::from(text)))
                .collect()
        },
    )
    .await
}

#[derive(Template)]
#[template(path = "backoffice/privacy/processing_form.html", blocks = ["content"])]
pub struct ActivityFormPage {
    pub ctx: PageContext,
    /// `None` on the «new activity» form.
    pub id: Option<i64>,
    pub title: String,
    pub form: ActivityForm,
    pub errors: FieldErrors,
}

/// GET /admin/privacidad/tratamientos/nueva
pub async fn new_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    crate::page_or_partial!(ActivityFormPage {
        ctx,
        id: None,
        title: "Nueva actividad de tratamiento".to_owned(),
        form: ActivityForm {
            transferencias: "No se hacen transferencias internacionales.".to_owned(),
            ..ActivityForm::default()
        },
        errors: FieldErrors::new(),
    })
}

/// GET /admin/privacidad/tratamientos/{id}
pub async fn edit_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let activity = db
        .run(move |conn| Ok::<_, DbError>(processing::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    crate::page_or_partial!(ActivityFormPage {
        ctx,
        id: Some(id),
        title: activity.name.clone(),
        form: ActivityForm::of(&activity),
        errors: FieldErrors::new(),
    })
}

async fn save(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: &Db,
    id: Option<i64>,
    form: Form<ActivityForm>,
) -> Result<HttpResponse, AppError> {
    let checked = form.validated(&MULTILINE, form.validate());
    let typed = form.into_inner();
    let again = |ctx: PageContext, typed: ActivityForm, errors: FieldErrors| {
        let title = match id {
            Some(_) => typed.nombre.clone(),
            None => "Nueva actividad de tratamiento".to_owned(),
        };
        render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ActivityFormPage {
                ctx,
                id,
                title,
                form: typed,
                errors,
            },
        )
    };
    let draft = match checked {
        Ok(draft) => draft,
        Err(errors) => return again(ctx, typed, errors),
    };
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let saved = db
        .transaction(move |conn| match processing::save(conn, id, &draft, &by) {
            Ok(id) => Ok(Ok(id)),
            Err(SaveError::Invalid(errors)) => Ok(Err(Some(errors))),
            Err(SaveError::NotFound) => Ok(Err(None)),
            Err(SaveError::Database(error)) => Err(DbError::from(error)),
        })
        .await?;
    match saved {
        Ok(_) => Ok(flash::redirect(
            PATH,
            Flash::success(format!("Actividad «{}» guardada.", typed.nombre.trim())),
        )),
        Err(Some(errors)) => again(ctx, typed, errors),
        Err(None) => Err(AppError::NotFound),
    }
}

/// POST /admin/privacidad/tratamientos
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<ActivityForm>,
) -> Result<HttpResponse, AppError> {
    save(ctx, staff, meta, &db, None, form).await
}

/// POST /admin/privacidad/tratamientos/{id}
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ActivityForm>,
) -> Result<HttpResponse, AppError> {
    save(ctx, staff, meta, &db, Some(path.into_inner()), form).await
}
