//! Documents of a record (customer, policy, claim, quote, complaint, settlement): the list with
//! what can be generated, upload (multipart), download, and whether the client sees it in
//! e-SORI. One document's page, its versions and its deliveries are in [`detail`]; generating
//! PDFs in [`generate`].

mod detail;
mod generate;

pub use detail::{new_version, send, show};
pub use generate::generate;

use std::collections::HashMap;

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;
use serde::Deserialize;

use crate::audit::{self, Action, Actor, NewEntry};
use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::db::{Db, DbError};
use crate::documents::generated::Kind;
use crate::documents::{self, Document, Entity, PgStorage, Storage, Upload, versions};
use crate::format::madrid_datetime;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::multipart;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

#[derive(Template)]
#[template(path = "backoffice/documents/list.html")]
pub struct DocumentsPage {
    pub ctx: PageContext,
    pub entity: Entity,
    pub documents: Vec<Document>,
    /// Versions per series (only series with more than one are listed).
    pub versions: HashMap<i64, i64>,
    pub can_upload: bool,
    pub kinds: &'static [Kind],
    /// A policy's receipts, for the receipt PDF: (id, "R-… · 01/01/2027 · 120,00 €").
    pub receipts: Vec<(i64, String)>,
    pub error: Option<&'static str>,
}

impl DocumentsPage {
    pub fn when(&self, document: &Document) -> String {
        madrid_datetime(document.uploaded_at)
    }

    pub fn what(&self, document: &Document) -> &'static str {
        document
            .generated_kind()
            .map(|k| k.label())
            .unwrap_or("Archivo subido")
    }

    pub fn version_count(&self, document: &Document) -> i64 {
        self.versions.get(&document.series_id).copied().unwrap_or(1)
    }

    pub fn is_receipt(&self, kind: &Kind) -> bool {
        *kind == Kind::Receipt
    }
}

#[derive(Debug, Deserialize)]
pub struct EntityQuery {
    entidad: String,
    id: i64,
}

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

/// Who may add, generate, send or publish documents of a record: claims handlers on claims,
/// the complaints service on complaints, commissions staff on settlements, sellers on the rest.
fn may_edit(role: Role, entity: Entity) -> bool {
    match entity {
        Entity::Claim(_) => {
            Permission::HandleClaims.granted_to(role) || Permission::EditPortfolio.granted_to(role)
        }
        Entity::Customer(_) | Entity::Policy(_) | Entity::Quote(_) => {
            Permission::EditPortfolio.granted_to(role)
        }
        Entity::Complaint(_) => Permission::HandleComplaints.granted_to(role),
        Entity::Settlement(_) => Permission::ManageCommissions.granted_to(role),
    }
}

/// Document `id` with its record, when the viewer reaches it (`NotFound` otherwise) and may
/// change it (`Forbidden` otherwise). The outer error is the database's.
fn editable(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    role: Role,
    id: i64,
) -> Result<Result<(Document, Entity), AppError>, DbError> {
    let Some(document) = documents::get(conn, scope, role, id)? else {
        return Ok(Err(AppError::NotFound));
    };
    let Some(entity) = document.entity() else {
        return Ok(Err(AppError::NotFound));
    };
    if !may_edit(role, entity) {
        return Ok(Err(AppError::Forbidden));
    }
    Ok(Ok((document, entity)))
}

/// The documents page of `entity`, or `NotFound` when the viewer does not reach it.
async fn page(
    ctx: PageContext,
    staff: &CurrentStaff,
    db: &Db,
    entity: Entity,
    error: Option<&'static str>,
) -> Result<DocumentsPage, AppError> {
    let scope = scope_of(staff);
    let role = staff.0.role();
    let (documents, versions, receipts) = db
        .run(move |conn| {
            if documents::reach(conn, scope, role, entity)?.is_none() {
                return Ok::<_, DbError>(None);
            }
            let list = documents::list_for(conn, entity)?;
            let series: Vec<i64> = list.iter().map(|d| d.series_id).collect();
            let counts = versions::counts(conn, &series)?;
            let receipts = match entity {
                Entity::Policy(policy) => policy_receipts(conn, policy)?,
                _ => Vec::new(),
            };
            Ok(Some((list, counts, receipts)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let can_upload = may_edit(role, entity);
    Ok(DocumentsPage {
        ctx,
        entity,
        documents,
        versions,
        can_upload,
        kinds: if can_upload {
            Kind::for_entity(entity)
        } else {
            &[]
        },
        receipts,
        error,
    })
}

/// The latest receipts of a policy, as the receipt PDF's choice offers them.
fn policy_receipts(conn: &mut PgConnection, policy: i64) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::receipts;
    let rows: Vec<(i64, String, chrono::NaiveDate, i64)> = receipts::table
        .filter(receipts::policy_id.eq(policy))
        .order((receipts::due_date.desc(), receipts::id.desc()))
        .limit(24)
        .select((
            receipts::id,
            receipts::number,
            receipts::due_date,
            receipts::amount_cents,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, number, due, cents)| {
            (
                id,
                format!(
                    "{number} · vence el {} · {}",
                    crate::format::date(due),
                    crate::money::format_cents(cents)
                ),
            )
        })
        .collect())
}

fn list_path(entity: Entity) -> String {
    format!(
        "/admin/documentos?entidad={}&id={}",
        entity.kind(),
        entity.id()
    )
}

/// GET /admin/documentos?entidad=claim&id=5
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<EntityQuery>,
) -> Result<HttpResponse, AppError> {
    let entity = Entity::parse(&query.entidad, query.id).ok_or(AppError::NotFound)?;
    render::html(&page(ctx, &staff, &db, entity, None).await?)
}

/// The fields of the upload form.
struct UploadForm {
    entity: Option<Entity>,
    upload: Option<Upload>,
    too_large: bool,
}

async fn read_form(payload: Multipart) -> Result<UploadForm, AppError> {
    let parts = multipart::read(payload, &["archivo"], documents::MAX_BYTES, 1024).await?;
    let (mut kind, mut id, mut visible, mut upload, mut too_large) =
        (String::new(), None, false, None, false);
    for part in parts {
        too_large |= part.overflow;
        match part.name.as_str() {
            "entidad" => kind = part.text().trim().to_owned(),
            "id" => id = part.text().trim().parse::<i64>().ok(),
            "visible" => visible = true,
            "archivo" if !part.bytes.is_empty() => {
                upload = Some(Upload {
                    filename: part.filename.unwrap_or_else(|| "documento".into()),
                    bytes: part.bytes,
                    visible_to_client: false,
                })
            }
            _ => {}
        }
    }
    if let Some(upload) = upload.as_mut() {
        upload.visible_to_client = visible;
    }
    Ok(UploadForm {
        entity: id.and_then(|id| Entity::parse(&kind, id)),
        upload,
        too_large,
    })
}

/// What is wrong with an uploaded file, in Spanish, if anything.
fn upload_error(too_large: bool, upload: Option<&Upload>) -> Option<&'static str> {
    if too_large {
        Some("El archivo supera el tamaño máximo de 10 MB.")
    } else {
        match upload {
            None => Some("Elija un archivo."),
            Some(upload) => documents::sniff(&upload.bytes, &upload.filename).err(),
        }
    }
}

/// POST /admin/documentos (multipart: entidad, id, archivo, visible)
pub async fn upload(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let form = read_form(payload).await?;
    let entity = form.entity.ok_or(AppError::NotFound)?;
    if let Some(error) = upload_error(form.too_large, form.upload.as_ref()) {
        let page = page(ctx, &staff, &db, entity, Some(error)).await?;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let role = staff.0.role();
    if !may_edit(role, entity) {
        return Err(AppError::Forbidden);
    }
    let Some(upload) = form.upload else {
        return Err(AppError::NotFound);
    };
    let content_type = documents::sniff(&upload.bytes, &upload.filename)
        .map_err(|e| AppError::BadRequest(e.into()))?;
    let scope = scope_of(&staff);
    let actor = staff.0.clone();
    let stored = db
        .transaction(move |conn| {
            let Some(customer_id) = documents::reach(conn, scope, role, entity)? else {
                return Ok::<_, DbError>(None);
            };
            let document = documents::attach(
                conn,
                &PgStorage,
                entity,
                customer_id,
                &upload,
                content_type,
                Some(actor.id),
            )?;
            let entry = NewEntry {
                target_type: Some(entity.kind()),
                target_id: Some(entity.id()),
                details: serde_json::json!({
                    "documento": document.id,
                    "nombre": document.filename,
                    "tamano": document.size_bytes,
                    "sha256": document.sha256,
                }),
                ..audit_entry(&actor, &meta, Action::DocumentUploaded)
            };
            audit::record(conn, &entry)?;
            Ok(Some(document))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(flash::redirect(
        &list_path(entity),
        Flash::success(format!("Documento «{}» guardado.", stored.filename)),
    ))
}

/// The headers of a file sent as a download, never rendered inline.
fn attachment_response(document: &Document, bytes: Vec<u8>) -> HttpResponse {
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: header::Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: document.filename.clone().into_bytes(),
        })],
    };
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, document.content_type.clone()))
        .insert_header(disposition)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Checksum-SHA256", document.sha256.clone()))
        .body(bytes)
}

/// GET /admin/documentos/{id}/descargar: any version the viewer reaches.
pub async fn download(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let role = staff.0.role();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let (document, bytes) = db
        .run(move |conn| {
            let Some(document) = documents::get(conn, scope, role, id)? else {
                return Ok::<_, DbError>(None);
            };
            let bytes = PgStorage.get(conn, document.id)?;
            crate::access_log::record(
                conn,
                &by,
                crate::access_log::Kind::DocumentDownloaded,
                document.customer_id,
                &document.filename,
            )?;
            Ok(Some((document, bytes)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(attachment_response(&document, bytes))
}

#[derive(Debug, Deserialize)]
pub struct VisibilityForm {
    #[serde(default)]
    visible: Option<String>,
}

/// POST /admin/documentos/{id}/visibilidad: publishing in e-SORI is recorded as a delivery.
pub async fn set_visibility(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<VisibilityForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let visible = form.visible.is_some();
    let scope = scope_of(&staff);
    let role = staff.0.role();
    let actor = staff.0.clone();
    let (entity, published) = db
        .transaction(move |conn| {
            let (document, entity) = match editable(conn, scope, role, id)? {
                Ok(found) => found,
                Err(refused) => return Ok::<_, DbError>(Err(refused)),
            };
            let published = if visible {
                entity.shown_in_portal()
                    && documents::delivery::publish(conn, &document, Some(actor.id))?
            } else {
                documents::set_visibility(conn, id, false)?;
                true
            };
            if published {
                let entry = NewEntry {
                    target_type: Some(entity.kind()),
                    target_id: Some(entity.id()),
                    details: serde_json::json!({
                        "documento": id,
                        "visible_cliente": { "before": document.visible_to_client, "after": visible },
                    }),
                    ..audit_entry(&actor, &meta, Action::DocumentVisibilityChanged)
                };
                audit::record(conn, &entry)?;
            }
            Ok(Ok((entity, published)))
        })
        .await??;
    let message = match (visible, published) {
        (true, true) => Flash::success("El cliente verá este documento en e-SORI."),
        (true, false) => {
            Flash::error("Este documento no se publica en e-SORI: envíelo por correo.")
        }
        _ => Flash::success("El documento ya no es visible para el cliente."),
    };
    Ok(flash::redirect(&list_path(entity), message))
}
