//! Documents of a customer, policy or claim: list, upload (multipart), download, and whether
//! the client sees it in e-SORI.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Action, Actor, NewEntry};
use crate::auth::permissions::{Permission, PortfolioScope};
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::db::{Db, DbError};
use crate::documents::{self, Document, Entity, PgStorage, Storage, Upload};
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
    pub can_upload: bool,
    pub error: Option<&'static str>,
}

impl DocumentsPage {
    pub fn when(&self, document: &Document) -> String {
        madrid_datetime(document.uploaded_at)
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

/// Claims handlers attach files to claims; changing customers and policies is selling.
fn may_upload(staff: &CurrentStaff, entity: Entity) -> bool {
    let role = staff.0.role();
    match entity {
        Entity::Claim(_) => {
            Permission::HandleClaims.granted_to(role) || Permission::EditPortfolio.granted_to(role)
        }
        Entity::Customer(_) | Entity::Policy(_) | Entity::Quote(_) => {
            Permission::EditPortfolio.granted_to(role)
        }
    }
}

async fn page(
    ctx: PageContext,
    staff: &CurrentStaff,
    db: &Db,
    entity: Entity,
    error: Option<&'static str>,
) -> Result<DocumentsPage, AppError> {
    let scope = scope_of(staff);
    let documents = db
        .run(move |conn| {
            if documents::customer_of(conn, scope, entity)?.is_none() {
                return Ok::<_, DbError>(None);
            }
            Ok(Some(documents::list_for(conn, entity)?))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(DocumentsPage {
        ctx,
        entity,
        documents,
        can_upload: may_upload(staff, entity),
        error,
    })
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
    let error = if form.too_large {
        Some("El archivo supera el tamaño máximo de 10 MB.")
    } else {
        match &form.upload {
            None => Some("Elija un archivo."),
            Some(upload) => documents::sniff(&upload.bytes, &upload.filename).err(),
        }
    };
    if let Some(error) = error {
        let page = page(ctx, &staff, &db, entity, Some(error)).await?;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if !may_upload(&staff, entity) {
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
            let Some(customer_id) = documents::customer_of(conn, scope, entity)? else {
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
        &format!(
            "/admin/documentos?entidad={}&id={}",
            entity.kind(),
            entity.id()
        ),
        Flash::success(format!("Documento «{}» guardado.", stored.filename)),
    ))
}

/// GET /admin/documentos/{id}/descargar: always as an attachment, never rendered inline.
pub async fn download(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let (document, bytes) = db
        .run(move |conn| {
            let Some(document) = documents::get(conn, scope, id)? else {
                return Ok::<_, DbError>(None);
            };
            let bytes = PgStorage.get(conn, document.id)?;
            crate::access_log::record(
                conn,
                &by,
                crate::access_log::Kind::DocumentDownloaded,
                Some(document.customer_id),
                &document.filename,
            )?;
            Ok(Some((document, bytes)))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let disposition = ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![DispositionParam::FilenameExt(ExtendedValue {
            charset: header::Charset::Ext("UTF-8".into()),
            language_tag: None,
            value: document.filename.clone().into_bytes(),
        })],
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, document.content_type.clone()))
        .insert_header(disposition)
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .insert_header(("X-Checksum-SHA256", document.sha256.clone()))
        .body(bytes))
}

#[derive(Debug, Deserialize)]
pub struct VisibilityForm {
    #[serde(default)]
    visible: Option<String>,
}

/// POST /admin/documentos/{id}/visibilidad
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
    let (on_claims, on_portfolio) = (
        may_upload(&staff, Entity::Claim(0)),
        may_upload(&staff, Entity::Customer(0)),
    );
    let actor = staff.0.clone();
    let entity = db
        .transaction(move |conn| {
            let Some(document) = documents::get(conn, scope, id)? else {
                return Ok::<_, DbError>(Err(AppError::NotFound));
            };
            let Some(entity) = document.entity() else {
                return Ok(Err(AppError::NotFound));
            };
            let allowed = match entity {
                Entity::Claim(_) => on_claims,
                Entity::Customer(_) | Entity::Policy(_) | Entity::Quote(_) => on_portfolio,
            };
            if !allowed {
                return Ok(Err(AppError::Forbidden));
            }
            documents::set_visibility(conn, id, visible)?;
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
            Ok(Ok(entity))
        })
        .await??;
    let message = if visible {
        "El cliente verá este documento en e-SORI."
    } else {
        "El documento ya no es visible para el cliente."
    };
    Ok(flash::redirect(
        &format!(
            "/admin/documentos?entidad={}&id={}",
            entity.kind(),
            entity.id()
        ),
        Flash::success(message),
    ))
}
