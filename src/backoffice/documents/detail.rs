//! One document: its versions (who, when, why), its deliveries, sending it by e-mail and
//! adding a new version.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{CurrentStaff, editable, may_edit, scope_of, upload_error};
use crate::audit::{self, Action, NewEntry};
use crate::backoffice::audit_entry;
use crate::db::{Db, DbError};
use crate::documents::delivery::{self, Delivery};
use crate::documents::versions::{self, NextVersion, VersionError};
use crate::documents::{self, Document, Entity, PgStorage, Upload};
use crate::format::madrid_datetime;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::multipart;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

#[derive(Template)]
#[template(path = "backoffice/documents/show.html")]
pub struct DocumentPage {
    pub ctx: PageContext,
    pub entity: Entity,
    pub document: Document,
    /// Every version, newest first, with who made it.
    pub history: Vec<(Document, String)>,
    pub deliveries: Vec<Delivery>,
    pub can_edit: bool,
    /// What the send form holds (the record's address, or what was typed).
    pub to: String,
    pub note: String,
    pub errors: FieldErrors,
}

impl DocumentPage {
    pub fn when(&self, document: &Document) -> String {
        madrid_datetime(document.uploaded_at)
    }

    pub fn sent_at(&self, delivery: &Delivery) -> String {
        madrid_datetime(delivery.created_at)
    }

    pub fn title(&self) -> String {
        self.document
            .generated_kind()
            .map(|k| k.label().to_owned())
            .unwrap_or_else(|| self.document.filename.clone())
    }

    /// The version a delivery sent.
    pub fn version_of(&self, delivery: &Delivery) -> i32 {
        self.history
            .iter()
            .find(|(d, _)| d.id == delivery.document_id)
            .map(|(d, _)| d.version)
            .unwrap_or(0)
    }
}

/// Names of the staff members `ids`, one query.
fn staff_names(
    conn: &mut diesel::PgConnection,
    ids: &[i64],
) -> diesel::QueryResult<std::collections::HashMap<i64, String>> {
    use crate::db::schema::staff_users;
    use diesel::prelude::*;
    let rows: Vec<(i64, String)> = staff_users::table
        .filter(staff_users::id.eq_any(ids))
        .select((staff_users::id, staff_users::name))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// Loads the page of document `id`, or `None` when the viewer does not reach it.
async fn load(
    ctx: PageContext,
    staff: &CurrentStaff,
    db: &Db,
    id: i64,
) -> Result<DocumentPage, AppError> {
    let scope = scope_of(staff);
    let role = staff.0.role();
    let found = db
        .run(move |conn| {
            let Some(document) = documents::get(conn, scope, role, id)? else {
                return Ok::<_, DbError>(None);
            };
            let history = versions::history(conn, document.series_id)?;
            let ids: Vec<i64> = history.iter().map(|d| d.id).collect();
            let deliveries = delivery::of(conn, &ids)?;
            let authors = staff_names(
                conn,
                &history
                    .iter()
                    .filter_map(|d| d.uploaded_by_staff_id)
                    .collect::<Vec<_>>(),
            )?;
            let history = history
                .into_iter()
                .map(|d| {
                    let who = d
                        .uploaded_by_staff_id
                        .and_then(|s| authors.get(&s).cloned())
                        .unwrap_or_else(|| "e-SORI o el sistema".to_owned());
                    (d, who)
                })
                .collect();
            let (email, _) = delivery::recipient(conn, &document)?;
            Ok(Some((document, history, deliveries, email)))
        })
        .await?;
    let (document, history, deliveries, email) = found.ok_or(AppError::NotFound)?;
    let entity = document.entity().ok_or(AppError::NotFound)?;
    Ok(DocumentPage {
        ctx,
        entity,
        can_edit: may_edit(role, entity),
        document,
        history,
        deliveries,
        to: email.unwrap_or_default(),
        note: String::new(),
        errors: FieldErrors::new(),
    })
}

/// GET /admin/documentos/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    render::html(&load(ctx, &staff, &db, path.into_inner()).await?)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SendForm {
    correo: String,
}

/// POST /admin/documentos/{id}/enviar: e-mailed as an attachment through the outbox.
pub async fn send(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<SendForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.into_inner().correo;
    let address = crate::identifiers::Email::parse(&typed);
    let scope = scope_of(&staff);
    let role = staff.0.role();
    let actor = staff.0.clone();
    let to = address.as_ref().map(|a| a.as_str().to_owned()).ok();
    let outcome = db
        .transaction(move |conn| {
            let (document, entity) = match editable(conn, scope, role, id)? {
                Ok(found) => found,
                Err(refused) => return Ok::<_, DbError>(Err(refused)),
            };
            let Some(to) = to else {
                return Ok(Ok(None));
            };
            let (_, name) = delivery::recipient(conn, &document)?;
            let outbox = delivery::email(conn, &document, &to, &name, Some(actor.id))?;
            let entry = NewEntry {
                target_type: Some(entity.kind()),
                target_id: Some(entity.id()),
                details: serde_json::json!({
                    "documento": document.id,
                    "nombre": document.filename,
                    "version_documento": document.version,
                    "correo": to,
                    "mensaje": outbox,
                }),
                ..audit_entry(&actor, &meta, Action::DocumentSent)
            };
            audit::record(conn, &entry)?;
            Ok(Ok(Some(to)))
        })
        .await??;
    match outcome {
        Some(to) => Ok(flash::redirect(
            &format!("/admin/documentos/{id}"),
            Flash::success(format!("Documento enviado a {to}.")),
        )),
        None => {
            let mut page = load(ctx, &staff, &db, id).await?;
            page.to = typed;
            if let Err(message) = address {
                page.errors.add("correo", message);
            }
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// POST /admin/documentos/{id}/version (multipart: archivo, motivo, visible)
pub async fn new_version(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let parts = multipart::read(payload, &["archivo"], documents::MAX_BYTES, 2048).await?;
    let (mut note, mut visible, mut upload, mut too_large) = (String::new(), false, None, false);
    for part in parts {
        too_large |= part.overflow;
        match part.name.as_str() {
            "motivo" => note = part.text().trim().to_owned(),
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
    let mut errors = FieldErrors::new();
    if let Some(message) = upload_error(too_large, upload.as_ref()) {
        errors.add("archivo", message);
    }
    if note.is_empty() {
        errors.add(
            "motivo",
            "Diga por qué hay una versión nueva (p. ej. «Condiciones corregidas»).",
        );
    } else if note.chars().any(|c| c.is_control()) {
        errors.add("motivo", crate::validation::INVALID_CHARACTERS);
    }
    let content_type = upload
        .as_ref()
        .and_then(|u| documents::sniff(&u.bytes, &u.filename).ok());
    let (Some(upload), Some(content_type), true) = (upload, content_type, errors.is_empty()) else {
        let mut page = load(ctx, &staff, &db, id).await?;
        if !page.can_edit {
            return Err(AppError::Forbidden);
        }
        page.note = note;
        page.errors = errors;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let scope = scope_of(&staff);
    let role = staff.0.role();
    let actor = staff.0.clone();
    let note_kept = note.clone();
    let outcome = db
        .transaction(move |conn| {
            let (document, entity) = match editable(conn, scope, role, id)? {
                Ok(found) => found,
                Err(refused) => return Ok::<_, DbError>(Err(refused)),
            };
            let added = versions::add(
                conn,
                &PgStorage,
                document.id,
                &NextVersion {
                    filename: &upload.filename,
                    content_type,
                    bytes: &upload.bytes,
                    visible_to_client: visible
                        && document.customer_id.is_some()
                        && entity.shown_in_portal(),
                    template_version: None,
                    note: &note,
                    by: Some(actor.id),
                },
            );
            let added = match added {
                Ok(added) => added,
                Err(VersionError::Stale) => return Ok(Ok(None)),
                Err(VersionError::Db(e)) => return Err(e.into()),
            };
            let entry = NewEntry {
                target_type: Some(entity.kind()),
                target_id: Some(entity.id()),
                details: serde_json::json!({
                    "documento": added.id,
                    "nombre": added.filename,
                    "version_documento": added.version,
                    "motivo": note,
                    "sha256": added.sha256,
                }),
                ..audit_entry(&actor, &meta, Action::DocumentVersionAdded)
            };
            audit::record(conn, &entry)?;
            Ok(Ok(Some((added, entity))))
        })
        .await??;
    match outcome {
        Some((added, _)) => Ok(flash::redirect(
            &format!("/admin/documentos/{}", added.id),
            Flash::success(format!("Versión {} guardada.", added.version)),
        )),
        None => {
            let mut page = load(ctx, &staff, &db, id).await?;
            page.note = note_kept;
            page.errors.add(
                "archivo",
                "Esta ya no es la versión vigente: otra persona añadió una después. Abra la vigente desde el historial.",
            );
            render::html_with_status(StatusCode::CONFLICT, &page)
        }
    }
}
