//! Reporting a claim from e-SORI and adding information to it. The claim itself is opened by
//! the claims domain (`claims::open_by_client`), its photos are stored by the documents
//! domain, and the claims team is told by e-mail, all in one transaction.

use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::claims::form::{NewClaimForm, validate_claim};
use crate::claims::{self, ClaimError};
use crate::clients::queries::{self, PolicyRow};
use crate::config::Config;
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::documents::pending::{self, PendingUpload};
use crate::documents::{self, Entity, PgStorage, Upload};
use crate::portal::auth::CurrentClient;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::multipart;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// Files one report may carry.
const MAX_FILES: usize = 10;

#[derive(Template)]
#[template(path = "portal/claim_new.html", blocks = ["content"])]
pub struct NewClaimPage {
    pub ctx: PageContext,
    pub policies: Vec<PolicyRow>,
    pub kinds: &'static [(&'static str, &'static str)],
    pub form: NewClaimForm,
    pub errors: FieldErrors,
    /// Files attached to an earlier submit that came back with errors: sent with this one.
    pub attached: Vec<PendingUpload>,
}

async fn new_page(
    ctx: PageContext,
    db: &Db,
    customer: i64,
    form: NewClaimForm,
    errors: FieldErrors,
    attached: Vec<PendingUpload>,
) -> Result<NewClaimPage, AppError> {
    let policies = db
        .portal_transaction(customer, move |conn| {
            Ok::<_, AppError>(queries::policies_in_force(conn, customer)?)
        })
        .await?;
    Ok(NewClaimPage {
        ctx,
        policies,
        kinds: claims::KINDS,
        form,
        errors,
        attached,
    })
}

#[derive(Debug, Deserialize)]
pub struct NewQuery {
    poliza: Option<String>,
}

/// GET /portal/siniestros/nuevo
pub async fn new_form(
    ctx: PageContext,
    client: CurrentClient,
    db: web::Data<Db>,
    query: web::Query<NewQuery>,
) -> Result<HttpResponse, AppError> {
    let form = NewClaimForm {
        poliza: query.into_inner().poliza.unwrap_or_default(),
        token: form_submissions::new_token(),
        fecha: String::new(),
        tipo: String::new(),
        descripcion: String::new(),
        lugar: String::new(),
        importe: String::new(),
    };
    let page = new_page(
        ctx,
        &db,
        client.customer_id(),
        form,
        FieldErrors::new(),
        Vec::new(),
    )
    .await?;
    render::html(&page)
}

/// The multipart report: text fields, and the files already checked by content and size.
struct Report {
    form: NewClaimForm,
    uploads: Vec<Upload>,
    file_error: Option<String>,
    /// Fields that held control characters.
    text_errors: FieldErrors,
    /// Tokens of files kept from an earlier submit (`adjunto`), and of those the client
    /// removed (`quitar_adjunto`).
    attached: Vec<String>,
    removed: Vec<String>,
}

impl Report {
    /// The kept files the client did not remove.
    fn still_attached(&self) -> Vec<String> {
        self.attached
            .iter()
            .filter(|t| !self.removed.contains(t))
            .cloned()
            .collect()
    }
}

async fn read_report(payload: Multipart) -> Result<Report, AppError> {
    let mut form = NewClaimForm {
        poliza: String::new(),
        token: String::new(),
        fecha: String::new(),
        tipo: String::new(),
        descripcion: String::new(),
        lugar: String::new(),
        importe: String::new(),
    };
    let (mut uploads, mut file_error) = (Vec::new(), None);
    let (mut attached, mut removed) = (Vec::new(), Vec::new());
    let mut text_errors = FieldErrors::new();
    let parts = multipart::read(payload, &["archivos"], documents::MAX_BYTES, 16 * 1024).await?;
    for part in parts {
        match part.name.as_str() {
            "archivos" if part.overflow => {
                file_error = Some("Cada archivo puede ocupar como máximo 10 MB.".to_owned());
            }
            "archivos" if !part.bytes.is_empty() => {
                let filename = part.filename.unwrap_or_else(|| "archivo".into());
                if let Err(message) = documents::sniff(&part.bytes, &filename) {
                    file_error = Some(format!("{filename}: {message}"));
                } else if uploads.len() == MAX_FILES {
                    file_error = Some(format!("Adjunte como máximo {MAX_FILES} archivos."));
                } else {
                    uploads.push(Upload {
                        filename,
                        bytes: part.bytes,
                        visible_to_client: true,
                    });
                }
            }
            _ if part.overflow => return Err(AppError::PayloadTooLarge),
            "poliza" => form.poliza = part.checked_text(false, &mut text_errors),
            "token" => form.token = part.checked_text(false, &mut text_errors),
            "fecha" => form.fecha = part.checked_text(false, &mut text_errors),
            "tipo" => form.tipo = part.checked_text(false, &mut text_errors),
            "descripcion" => form.descripcion = part.checked_text(true, &mut text_errors),
            "lugar" => form.lugar = part.checked_text(false, &mut text_errors),
            "adjunto" => attached.push(part.text()),
            "quitar_adjunto" => removed.push(part.text()),
            _ => {}
        }
    }
    Ok(Report {
        form,
        uploads,
        file_error,
        attached,
        removed,
        text_errors,
    })
}

/// Queues the notice to every active claims handler (the queue is theirs).
fn notify_claims_team(
    conn: &mut PgConnection,
    claim: &claims::Claim,
    base_url: &url::Url,
) -> Result<(), DbError> {
    // Through a SECURITY DEFINER function: the portal role reads no staff e-mails itself.
    let recipients: Vec<String> = diesel::select(diesel::dsl::sql::<diesel::sql_types::Text>(
        "claims_team_emails()",
    ))
    .load(conn)?;
    let mut link = base_url.clone();
    link.set_path(&format!("/admin/siniestros/{}", claim.id));
    for to in recipients {
        let email = crate::emails::templates::claim_reported(&to, &claim.number, link.as_str())
            .map_err(DbError::other)?;
        crate::mail::enqueue(conn, &email)?;
    }
    Ok(())
}

enum Reported {
    Created(i64, String),
    Repeated(Option<i64>),
}

/// POST /portal/siniestros (multipart): opens the claim with its files in one transaction; a
/// second submit of the same form opens nothing more and leads to the same claim.
pub async fn create(
    ctx: PageContext,
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let report = read_report(payload).await?;
    let still_attached = report.still_attached();
    let Report {
        form,
        uploads,
        file_error,
        removed,
        text_errors,
        ..
    } = report;
    let customer = client.customer_id();
    let policy_id = form.poliza.trim().parse::<i64>().ok();
    let validated = validate_claim(&form, policy_id.unwrap_or_default());
    let mut errors = text_errors;
    if let Err(invalid) = &validated {
        errors.merge(invalid.clone());
    }
    if policy_id.is_none() {
        errors.add("poliza", "Elija la póliza.");
    }
    if let Some(message) = file_error {
        errors.add("archivos", message);
    } else if still_attached.len() + uploads.len() > MAX_FILES {
        errors.add(
            "archivos",
            format!("Adjunte como máximo {MAX_FILES} archivos; quite alguno de los adjuntos."),
        );
    }
    if !form_submissions::is_well_formed(form.token.trim()) {
        errors.add(
            "descripcion",
            "El formulario ha caducado: revise los datos y envíelo de nuevo.",
        );
    }
    let command = match validated {
        Ok(command) if errors.is_empty() => command,
        _ => {
            let uploads = Arc::new(uploads);
            let attached = keep_files(&db, customer, uploads, still_attached, removed).await?;
            let page = new_page(ctx, &db, customer, form, errors, attached).await?;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let token = form.token.trim().to_owned();
    let base_url = config.base_url.clone();
    let by = client.actor(&meta);
    // Kept for the form again if the claim cannot be opened (the transaction rolls back).
    let uploads = Arc::new(uploads);
    let files = (uploads.clone(), still_attached.clone(), removed.clone());
    let outcome = db
        .portal_transaction(customer, move |conn| {
            if let Claimed::Repeated(created) = form_submissions::claim(conn, &token)? {
                return Ok(Reported::Repeated(
                    created.filter(|(k, _)| k == "claim").map(|(_, id)| id),
                ));
            }
            let claim = claims::open_by_client(conn, &command, &by)?;
            pending::discard(conn, customer, &removed)?;
            let kept = pending::take(conn, customer, &still_attached, chrono::Utc::now())?;
            for upload in kept.iter().chain(uploads.iter()) {
                let content_type = documents::sniff(&upload.bytes, &upload.filename)
                    .map_err(|_| ClaimError::NotFound)?;
                documents::attach(
                    conn,
                    &PgStorage,
                    Entity::Claim(claim.id),
                    Some(customer),
                    upload,
                    content_type,
                    None,
                )?;
            }
            notify_claims_team(conn, &claim, &base_url).map_err(ClaimError::from)?;
            // The client's acknowledgement is the default rule on claim.created.
            form_submissions::attach(conn, &token, "claim", claim.id)?;
            Ok::<_, ClaimError>(Reported::Created(claim.id, claim.number))
        })
        .await;
    match outcome {
        Ok(Reported::Created(id, number)) => Ok(flash::redirect(
            &format!("/portal/siniestros/{id}"),
            Flash::success(format!(
                "Siniestro {number} comunicado. Le avisaremos de cada novedad."
            )),
        )),
        Ok(Reported::Repeated(Some(id))) => Ok(flash::redirect(
            &format!("/portal/siniestros/{id}"),
            Flash::info("Este formulario ya se había enviado: este es su siniestro."),
        )),
        Ok(Reported::Repeated(None)) => Ok(flash::see_other("/portal/siniestros")),
        Err(error @ (ClaimError::IncidentInFuture | ClaimError::OutsideCoverage { .. })) => {
            let mut errors = FieldErrors::new();
            errors.add("fecha", error.to_string());
            let (uploads, still_attached, removed) = files;
            let attached = keep_files(&db, customer, uploads, still_attached, removed).await?;
            let page = new_page(ctx, &db, customer, form, errors, attached).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(ClaimError::NotFound) => Err(AppError::NotFound),
        Err(other) => Err(AppError::Internal(anyhow::anyhow!("{other}"))),
    }
}

/// A report that comes back with errors keeps its files: the ones sent now join those kept
/// from before (less the ones the client removed), up to [`MAX_FILES`], so the client does not
/// have to attach them again.
async fn keep_files(
    db: &Db,
    customer: i64,
    uploads: Arc<Vec<Upload>>,
    still_attached: Vec<String>,
    removed: Vec<String>,
) -> Result<Vec<PendingUpload>, AppError> {
    let kept = db
        .portal_transaction(customer, move |conn| {
            let now = chrono::Utc::now();
            pending::discard(conn, customer, &removed)?;
            let mut kept = pending::find(conn, customer, &still_attached, now)?;
            for upload in uploads.iter() {
                if kept.len() == MAX_FILES {
                    break;
                }
                kept.push(pending::keep(conn, customer, upload, now)?);
            }
            Ok::<_, DbError>(kept)
        })
        .await?;
    Ok(kept)
}

#[derive(Debug, Deserialize)]
pub struct InformationForm {
    #[serde(default)]
    informacion: String,
}

/// POST /portal/siniestros/{id}/informacion: the client adds information to their claim.
pub async fn add_information(
    client: CurrentClient,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<InformationForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let back = format!("/portal/siniestros/{id}");
    if let Some((_, message)) = form.text_errors(&["informacion"]).iter().next() {
        return Ok(flash::redirect(&back, Flash::error(message.to_owned())));
    }
    let (customer, by) = (client.customer_id(), client.actor(&meta));
    let text = form.into_inner().informacion;
    let outcome = db
        .portal_transaction(customer, move |conn| {
            claims::add_client_information(conn, id, &text, &by)
        })
        .await;
    match outcome {
        Ok(_) => Ok(flash::redirect(
            &back,
            Flash::success("Información añadida a su siniestro."),
        )),
        Err(ClaimError::NotFound) => Err(AppError::NotFound),
        Err(error @ (ClaimError::NoteRequired | ClaimError::NoteTooLong)) => {
            Ok(flash::redirect(&back, Flash::error(error.to_string())))
        }
        Err(other) => Err(AppError::Internal(anyhow::anyhow!("{other}"))),
    }
}
