//! Domiciliación: the client's SEPA mandate in force and the form to sign one online (or to
//! move their receipts to another account by signing a new one). Thin handlers over
//! `collection::online_signing`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::collection::mandates::{self, Mandate};
use crate::collection::online_signing::{self, Signer, SigningError, SigningForm};
use crate::collection::settings::{self, Settings};
use crate::db::Db;
use crate::db::form_submissions::{self, Claimed};
use crate::page_or_partial;
use crate::portal::auth::CurrentClient;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/portal/domiciliacion";

#[derive(Template)]
#[template(path = "portal/direct_debit.html", blocks = ["content"])]
pub struct DirectDebitPage {
    pub ctx: PageContext,
    pub mandate: Option<Mandate>,
    /// The creditor's identity; `None` until the brokerage configures collection.
    pub creditor: Option<Vec<(&'static str, String)>>,
    pub rights: &'static str,
    pub form: SigningForm,
    pub errors: FieldErrors,
}

impl DirectDebitPage {
    fn date(&self, day: &chrono::NaiveDate) -> String {
        crate::portal::fmt::date(day)
    }
}

async fn page(
    ctx: PageContext,
    db: &Db,
    client: &CurrentClient,
    form: Option<SigningForm>,
    errors: FieldErrors,
) -> Result<DirectDebitPage, AppError> {
    let customer = client.customer_id();
    let (mandate, settings): (Option<Mandate>, Option<Settings>) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>((mandates::in_force(conn, customer)?, settings::get(conn)?))
        })
        .await?;
    let form = form.unwrap_or_else(|| SigningForm {
        titular: client.name.clone(),
        token: form_submissions::new_token(),
        ..SigningForm::default()
    });
    Ok(DirectDebitPage {
        ctx,
        mandate,
        creditor: settings.as_ref().map(online_signing::creditor_lines),
        rights: online_signing::RIGHTS,
        form,
        errors,
    })
}

/// GET /portal/domiciliacion
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let page = page(ctx, &db, &client, None, FieldErrors::new()).await?;
    page_or_partial!(page)
}

/// POST /portal/domiciliacion: the client signs the mandate. Sent twice, it signs once.
pub async fn sign(
    ctx: PageContext,
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<SigningForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let token = form.token.trim().to_owned();
    let mut errors = FieldErrors::new();
    if !form_submissions::is_well_formed(&token) {
        errors.add(
            "acepto",
            "El formulario ha caducado: revise los datos y fírmelo de nuevo.",
        );
    }
    let signature = match form.validate() {
        Ok(signature) if errors.is_empty() => signature,
        outcome => {
            if let Err(invalid) = outcome {
                errors.merge(invalid);
            }
            let page = page(ctx, &db, &client, Some(form), errors).await?;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let customer = client.customer_id();
    let actor = client.actor(&meta);
    let (greeting, user_id) = (client.greeting.clone(), client.user.id);
    let outcome = db
        .portal_transaction(customer, move |conn| {
            if let Claimed::Repeated(_) = form_submissions::claim(conn, &token)? {
                return Ok(None);
            }
            let signer = Signer {
                actor: &actor,
                client_user_id: user_id,
                email: &actor.label,
                greeting: &greeting,
            };
            let (id, reference) =
                online_signing::sign(conn, &signer, &signature, chrono::Utc::now())?;
            form_submissions::attach(conn, &token, "sepa_mandate", id)?;
            Ok::<_, SigningError>(Some(reference))
        })
        .await;
    match outcome {
        Ok(Some(reference)) => Ok(flash::redirect(
            PATH,
            Flash::success(format!(
                "Orden de domiciliación {reference} firmada. Le hemos enviado una copia por correo."
            )),
        )),
        Ok(None) => Ok(flash::redirect(
            PATH,
            Flash::info("Esta orden ya estaba firmada."),
        )),
        Err(SigningError::NotConfigured) => Err(AppError::NotFound),
        Err(SigningError::Database(error)) => Err(error.into()),
    }
}
