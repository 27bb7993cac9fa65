//! The public complaints form at `/reclamaciones`: anyone (client or not) files a complaint
//! or claim with the customer service department and gets its tracking reference at once, on
//! the page and by e-mail. Clients signed in to e-SORI have their own form there.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::complaints::form::{MULTILINE, Typist};
use crate::complaints::{self, ComplaintForm, Kind, Source};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// Complaints one address may send per hour: enough for a family, not for a flood.
const PER_HOUR: i64 = 5;

#[derive(Template)]
#[template(path = "site/complaint.html")]
pub struct ComplaintPage {
    pub ctx: PageContext,
    pub form: ComplaintForm,
    pub errors: FieldErrors,
    pub kinds: Vec<(&'static str, &'static str, &'static str)>,
    pub deadline_days: i32,
    pub too_many: bool,
}

fn page(ctx: PageContext, form: ComplaintForm, errors: FieldErrors, days: i32) -> ComplaintPage {
    ComplaintPage {
        ctx,
        form,
        errors,
        kinds: Kind::ALL
            .iter()
            .map(|k| (k.code(), k.label(), k.hint()))
            .collect(),
        deadline_days: days,
        too_many: false,
    }
}

fn no_store(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        actix_web::http::header::CACHE_CONTROL,
        actix_web::http::header::HeaderValue::from_static("no-store"),
    );
    response
}

/// GET /reclamaciones (not cached: the form carries a one-time token).
pub async fn form(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let settings = db
        .run(|conn| Ok::<_, DbError>(complaints::settings(conn)?))
        .await?;
    let form = ComplaintForm {
        token: form_submissions::new_token(),
        ..ComplaintForm::default()
    };
    Ok(no_store(render::html(&page(
        ctx,
        form,
        FieldErrors::new(),
        settings.deadline_days,
    ))?))
}

enum Sent {
    Filed(String),
    Invalid(FieldErrors),
    TooMany,
}

/// POST /reclamaciones
pub async fn submit(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<ComplaintForm>,
) -> Result<HttpResponse, AppError> {
    let today = crate::time::today();
    let checked = form.validated(&MULTILINE, form.validate(Typist::Visitor, today));
    let typed = form.into_inner();
    if !form_submissions::is_well_formed(&typed.token) {
        return Err(AppError::BadRequest("Petición no válida.".into()));
    }
    let token = typed.token.clone();
    let ip = meta.ip.clone();
    let sent = db
        .transaction(move |conn| {
            let draft = match checked {
                Ok(draft) => draft,
                Err(errors) => return Ok::<_, DbError>(Sent::Invalid(errors)),
            };
            if let Claimed::Repeated(previous) = form_submissions::claim(conn, &token)? {
                let reference = match previous {
                    Some((_, id)) => complaints::reference_of(conn, id)?,
                    None => None,
                };
                return Ok(reference.map(Sent::Filed).unwrap_or(Sent::TooMany));
            }
            let allowed = crate::auth::rate_limit::hit(
                conn,
                "complaint_form",
                &ip,
                PER_HOUR,
                chrono::Duration::hours(1),
                Utc::now(),
            )?;
            if !allowed {
                return Ok(Sent::TooMany);
            }
            let filed = complaints::file(conn, &draft, Source::Web, today)?;
            form_submissions::attach(conn, &token, "complaint", filed.id)?;
            Ok(Sent::Filed(filed.reference))
        })
        .await?;
    match sent {
        Sent::Filed(reference) => Ok(flash::see_other(&format!(
            "/reclamaciones/recibida?referencia={reference}"
        ))),
        Sent::Invalid(errors) => {
            let days = db
                .run(|conn| Ok::<_, DbError>(complaints::settings(conn)?.deadline_days))
                .await?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page(ctx, typed, errors, days),
            )
        }
        Sent::TooMany => {
            let days = db
                .run(|conn| Ok::<_, DbError>(complaints::settings(conn)?.deadline_days))
                .await?;
            let mut page = page(ctx, typed, FieldErrors::new(), days);
            page.too_many = true;
            render::html_with_status(StatusCode::TOO_MANY_REQUESTS, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "site/complaint_received.html")]
pub struct ReceivedPage {
    pub ctx: PageContext,
    pub reference: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReceivedQuery {
    referencia: String,
}

/// Whether `text` is a reference as we write them ("SAC-2026-00001"): the page only repeats
/// what it was given, and never anything else.
fn is_reference(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    matches!(parts.as_slice(), ["SAC", year, number]
        if year.len() == 4 && number.len() >= 5 && number.len() <= 9
            && year.bytes().chain(number.bytes()).all(|b| b.is_ascii_digit()))
}

/// GET /reclamaciones/recibida?referencia=SAC-2026-00001
pub async fn received(
    ctx: PageContext,
    query: web::Query<ReceivedQuery>,
) -> Result<HttpResponse, AppError> {
    let reference = query.into_inner().referencia;
    if !is_reference(&reference) {
        return Err(AppError::NotFound);
    }
    Ok(no_store(render::html(&ReceivedPage { ctx, reference })?))
}

#[cfg(test)]
mod tests {
    use super::is_reference;

    #[test]
    fn only_our_references_are_repeated() {
        assert!(is_reference("SAC-2026-00001"));
        assert!(!is_reference("SAC-2026-1"));
        assert!(!is_reference("<script>"));
        assert!(!is_reference("SAC-20x6-00001"));
    }
}
