//! Mis datos: the page, the contact form, marketing consent, the data download and the
//! erasure request. Thin handlers over `portal::profile`.

use actix_web::http::StatusCode;
use actix_web::http::header::{
    CONTENT_DISPOSITION, CONTENT_TYPE, ContentDisposition, DispositionParam, DispositionType,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::db::Db;
use crate::page_or_partial;
use crate::portal::auth::CurrentClient;
use crate::portal::profile::{self, ClientActor, Profile};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::FieldErrors;
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
    pub errors: FieldErrors,
}

impl MyDataPage {
    pub fn marketing_granted(&self) -> bool {
        self.marketing.is_some_and(|(granted, _)| granted)
    }
}

async fn page(ctx: PageContext, db: &Db, customer: i64) -> Result<MyDataPage, AppError> {
    let (profile, marketing) = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>((
                profile::profile(conn, customer)?,
                profile::marketing(conn, customer)?,
            ))
        })
        .await?;
    let profile = profile.ok_or(AppError::NotFound)?;
    Ok(MyDataPage {
        ctx,
        telefono: profile.phone.clone().unwrap_or_default(),
        direccion: profile.address_line.clone().unwrap_or_default(),
        codigo_postal: profile.postcode.clone().unwrap_or_default(),
        localidad: profile.city.clone().unwrap_or_default(),
        profile,
        marketing,
        errors: FieldErrors::new(),
    })
}

/// GET /portal/datos
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(page(ctx, &db, client.customer_id()).await?)
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
    form: web::Form<ContactForm>,
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
            let mut page = page(ctx, &db, customer).await?;
            page.telefono = form.telefono;
            page.direccion = form.direccion;
            page.codigo_postal = form.codigo_postal;
            page.localidad = form.localidad;
            page.errors = errors;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let label = client.user.email.clone();
    db.transaction(move |conn| {
        let by = ClientActor {
            customer_id: customer,
            label: &label,
            ip: &meta.ip,
            user_agent: &meta.user_agent,
        };
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
    form: web::Form<ConsentForm>,
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
    let (customer, label) = (client.customer_id(), client.user.email.clone());
    db.transaction(move |conn| {
        let by = ClientActor {
            customer_id: customer,
            label: &label,
            ip: &meta.ip,
            user_agent: &meta.user_agent,
        };
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
    let (customer, label) = (client.customer_id(), client.user.email.clone());
    db.transaction(move |conn| {
        let by = ClientActor {
            customer_id: customer,
            label: &label,
            ip: &meta.ip,
            user_agent: &meta.user_agent,
        };
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
