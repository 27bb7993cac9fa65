//! Mis datos: the page, the contact form, the e-mail change, marketing consent, the data
//! download and the erasure request. Thin handlers over `portal::profile`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, ContentDisposition, DispositionParam, DispositionType,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::clients::email_change::{self, Confirmed, PendingLink};
use crate::clients::profile::{self, Profile};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::portal::auth::CurrentClient;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

#[derive(Template)]
#[template(path = "portal/my_data.html", blocks = ["content"])]
pub struct MyDataPage {
    pub ctx: PageContext,
    pub profile: Profile,
    pub marketing: Option<(bool, DateTime<Utc>)>,
    pub telefono: String,
    pub direccion: String,
    pub codigo_postal: String,
    pub localidad: String,
    /// The new address typed in the e-mail form (kept on error).
    pub correo: String,
    /// A new address waiting for its link ("Pendiente de confirmar").
    pub pending_email: Option<String>,
    pub errors: FieldErrors,
    /// The client's rights requests: (right, received, due, status, resolution).
    pub requests: Vec<(&'static str, String, String, &'static str, String)>,
    /// The rights request form as typed (kept on error).
    pub derecho: String,
    pub detalle: String,
    pub rights: Vec<(&'static str, &'static str)>,
}

impl MyDataPage {
    pub fn marketing_granted(&self) -> bool {
        self.marketing.is_some_and(|(granted, _)| granted)
    }
}

async fn page(ctx: PageContext, db: &Db, client: &CurrentClient) -> Result<MyDataPage, AppError> {
    let customer = client.customer_id();
    let (profile, marketing, requests) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>((
                profile::profile(conn, customer)?,
                profile::marketing(conn, customer)?,
                crate::privacy_requests::of_customer(conn, customer)?,
            ))
        })
        .await?;
    let profile = profile.ok_or(AppError::NotFound)?;
    let mut rights = vec![("", "Elija…")];
    rights.extend(
        crate::privacy_requests::Right::ALL
            .iter()
            .map(|r| (r.code(), r.label())),
    );
    Ok(MyDataPage {
        ctx,
        telefono: profile.phone.clone().unwrap_or_default(),
        direccion: profile.address_line.clone().unwrap_or_default(),
        codigo_postal: profile.postcode.clone().unwrap_or_default(),
        localidad: profile.city.clone().unwrap_or_default(),
        correo: String::new(),
        pending_email: client.user.pending_email.clone(),
        profile,
        marketing,
        errors: FieldErrors::new(),
        requests: requests
            .into_iter()
            .map(|r| {
                (
                    r.kind.label(),
                    crate::format::date(r.received_on),
                    crate::format::date(r.due_on),
                    r.status.label(),
                    r.resolution.unwrap_or_default(),
                )
            })
            .collect(),
        derecho: String::new(),
        detalle: String::new(),
        rights,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RightsForm {
    derecho: String,
    detalle: String,
}

/// POST /portal/datos/solicitudes: a data-protection right exercised from e-SORI, into the
/// register with its one-month deadline (an erasure also gives the owner a task, as below).
pub async fn request_right(
    ctx: PageContext,
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::Form<RightsForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.refuse_bad_text(&["detalle"])?;
    let (right, details) = match crate::privacy_requests::check(&typed.derecho, &typed.detalle) {
        Ok(checked) => checked,
        Err(errors) => {
            let mut page = page(ctx, &db, &client).await?;
            page.derecho = typed.derecho;
            page.detalle = typed.detalle;
            page.errors = errors;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (customer, by) = (client.customer_id(), client.actor(&meta));
    let name = client.name.clone();
    db.portal_transaction(customer, move |conn| {
        if right == crate::privacy_requests::Right::Erasure {
            // The erasure path registers the request itself, with the owner's task.
            profile::request_erasure(conn, &by)?;
            return Ok::<_, AppError>(());
        }
        crate::privacy_requests::register(
            conn,
            &crate::privacy_requests::NewRequest {
                customer_id: Some(customer),
                requester_name: name,
                kind: right,
                channel: crate::privacy_requests::Channel::Portal,
                details,
                received_on: crate::time::today(),
            },
            None,
        )?;
        Ok(())
    })
    .await?;
    Ok(flash::redirect(
        "/portal/datos",
        Flash::success(format!(
            "Hemos registrado su solicitud de {}. Le contestaremos en el plazo de un mes.",
            right.label().to_lowercase()
        )),
    ))
}

/// GET /portal/datos
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(page(ctx, &db, &client).await?)
}

#[derive(Debug, Deserialize)]
pub struct ContactForm {
    #[serde(default)]
    telefono: String,
    #[serde(default)]
    direccion: String,
    #[serde(default)]
    codigo_postal: String,
    #[serde(default)]
    localidad: String,
}

/// POST /portal/datos: phone and address.
pub async fn update(
    ctx: PageContext,
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<ContactForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let customer = client.customer_id();
    let change = match profile::check_contact(
        &form.telefono,
        &form.direccion,
        &form.codigo_postal,
        &form.localidad,
    ) {
        Ok(change) => change,
        Err(errors) => {
            let mut page = page(ctx, &db, &client).await?;
            page.telefono = form.telefono;
            page.direccion = form.direccion;
            page.codigo_postal = form.codigo_postal;
            page.localidad = form.localidad;
            page.errors = errors;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let by = client.actor(&meta);
    db.portal_transaction(customer, move |conn| {
        Ok::<_, AppError>(profile::update_contact(conn, &by, &change)?)
    })
    .await?;
    Ok(flash::redirect(
        "/portal/datos",
        Flash::success("Datos de contacto guardados."),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ConsentForm {
    #[serde(default)]
    otorgado: String,
}

/// POST /portal/datos/consentimiento: grant or withdraw marketing consent.
pub async fn consent(
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<ConsentForm>,
) -> Result<HttpResponse, AppError> {
    let granted = match form.otorgado.as_str() {
        "si" => true,
        "no" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Indique si otorga o retira el consentimiento.".into(),
            ));
        }
    };
    let (customer, by) = (client.customer_id(), client.actor(&meta));
    db.portal_transaction(customer, move |conn| {
        Ok::<_, AppError>(profile::set_marketing(conn, &by, granted)?)
    })
    .await?;
    let message = if granted {
        "Gracias: le enviaremos información comercial."
    } else {
        "Hecho: no le enviaremos más información comercial."
    };
    Ok(flash::redirect("/portal/datos", Flash::success(message)))
}

/// GET /portal/datos/descarga: all the client's data as a JSON file.
pub async fn download(client: CurrentClient, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let (customer, account) = (client.customer_id(), client.user.id);
    let data = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(profile::export(conn, customer, account)?)
        })
        .await?;
    let body =
        serde_json::to_vec_pretty(&data).map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::Filename("mis-datos-soriano.json".into())],
    };
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json; charset=utf-8"))
        .insert_header((CONTENT_DISPOSITION, disposition))
        .body(body))
}

/// POST /portal/datos/supresion: the erasure request, a task for staff.
pub async fn erasure(
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (customer, by) = (client.customer_id(), client.actor(&meta));
    db.portal_transaction(customer, move |conn| {
        Ok::<_, AppError>(profile::request_erasure(conn, &by)?)
    })
    .await?;
    Ok(flash::redirect(
        "/portal/datos",
        Flash::success(
            "Hemos recibido su solicitud de supresión. Le contestaremos en el plazo de un mes.",
        ),
    ))
}

#[derive(Debug, Deserialize)]
pub struct EmailForm {
    #[serde(default)]
    correo: String,
}

/// POST /portal/datos/correo: the new address waits for the link sent to it.
pub async fn request_email_change(
    ctx: PageContext,
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<EmailForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.into_inner().correo;
    let checked = match email_change::check_new_email(&typed, &client.user.email) {
        Ok(email) => {
            let (customer, user) = (client.customer_id(), client.user.clone());
            let by = client.actor(&meta);
            let (base_url, new_email) = (config.base_url.clone(), email.clone());
            db.portal_transaction(customer, move |conn| {
                email_change::request(conn, &by, &user, &new_email, &base_url, Utc::now())
            })
            .await?
            .map(|()| email)
        }
        Err(errors) => Err(errors),
    };
    match checked {
        Ok(email) => Ok(flash::redirect(
            "/portal/datos",
            Flash::success(format!(
                "Le hemos enviado un enlace a {email}. El cambio se hará cuando lo abra (vale 24 horas)."
            )),
        )),
        Err(errors) => {
            let mut page = page(ctx, &db, &client).await?;
            page.correo = typed;
            page.errors = errors;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// POST /portal/datos/correo/cancelar: drops the pending address and voids its link.
pub async fn cancel_email_change(
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (customer, id, by) = (client.customer_id(), client.user.id, client.actor(&meta));
    let cancelled = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(email_change::cancel(conn, &by, id, Utc::now())?)
        })
        .await?;
    let message = if cancelled {
        Flash::success("Cambio de correo cancelado. Su correo sigue siendo el mismo.")
    } else {
        Flash::info("No había ningún cambio de correo pendiente.")
    };
    Ok(flash::redirect("/portal/datos", message))
}

#[derive(Template)]
#[template(path = "portal/auth/email_change.html", blocks = ["content"])]
pub struct ConfirmEmailPage {
    pub ctx: PageContext,
    pub token: String,
    /// `None`: the link is used, expired or cancelled.
    pub new_email: Option<String>,
    pub error: Option<&'static str>,
}

async fn live_link(db: &Db, token: String) -> Result<Option<PendingLink>, AppError> {
    Ok(db
        .run(move |conn| Ok::<_, DbError>(email_change::peek(conn, &token, Utc::now())?))
        .await?)
}

fn dead_link(ctx: PageContext, token: String) -> Result<HttpResponse, AppError> {
    render::html_with_status(
        StatusCode::GONE,
        &ConfirmEmailPage {
            ctx,
            token,
            new_email: None,
            error: None,
        },
    )
}

/// GET /portal/correo/{token}: a page with a button. The link itself changes nothing: mail
/// scanners open links before their owner does.
pub async fn confirm_email_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some(link) = live_link(&db, token.clone()).await? else {
        return dead_link(ctx, token);
    };
    render::html(&ConfirmEmailPage {
        ctx,
        token,
        new_email: Some(link.new_email),
        error: None,
    })
}

/// POST /portal/correo/{token}: single use; login and customer e-mail change together.
pub async fn confirm_email(
    ctx: PageContext,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some(link) = live_link(&db, token.clone()).await? else {
        return dead_link(ctx, token);
    };
    let used = token.clone();
    let keep = crate::portal::security::current_sid(&session);
    let outcome = db
        .portal_transaction(link.customer_id, move |conn| {
            let origin = email_change::Origin {
                ip: &meta.ip,
                user_agent: &meta.user_agent,
                keep_sid: keep.as_deref(),
            };
            email_change::confirm(conn, &used, origin, Utc::now())
        })
        .await?;
    match outcome {
        Confirmed::Changed { new } => Ok(flash::redirect(
            "/portal/datos",
            Flash::success(format!(
                "Correo cambiado. Desde ahora entre en e-SORI con {new}."
            )),
        )),
        Confirmed::Invalid => dead_link(ctx, token),
        Confirmed::Taken => render::html_with_status(
            StatusCode::CONFLICT,
            &ConfirmEmailPage {
                ctx,
                token,
                new_email: Some(link.new_email),
                error: Some(
                    "Ese correo ya lo usa otra cuenta de e-SORI: no podemos cambiarlo. Escríbanos desde Mensajes si cree que es un error.",
                ),
            },
        ),
    }
}
