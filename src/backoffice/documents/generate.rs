//! Generating a PDF from a record: the first version, or a new one when the data changed.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::{CurrentStaff, list_path, may_edit, scope_of};
use crate::audit::{self, Action, NewEntry};
use crate::backoffice::audit_entry;
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::documents::generated::{self, GenerateError, Kind, Request};
use crate::documents::{self, Entity};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::request_meta::RequestMeta;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct GenerateForm {
    entidad: String,
    id: i64,
    tipo: String,
    recibo: String,
    visible: Option<String>,
    motivo: String,
}

/// POST /admin/documentos/generar
pub async fn generate(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<GenerateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let entity = Entity::parse(&form.entidad, form.id).ok_or(AppError::NotFound)?;
    let kind = Kind::parse(&form.tipo)
        .filter(|k| Kind::for_entity(entity).contains(k))
        .ok_or(AppError::NotFound)?;
    let role = staff.0.role();
    if !may_edit(role, entity) {
        return Err(AppError::Forbidden);
    }
    let subject = match kind {
        Kind::Receipt => match form.recibo.trim().parse::<i64>() {
            Ok(receipt) => Some(receipt),
            Err(_) => {
                return Ok(flash::redirect(
                    &list_path(entity),
                    Flash::error("Elija el recibo del que quiere el documento."),
                ));
            }
        },
        _ => None,
    };
    let request = Request {
        kind,
        entity,
        subject,
        today: crate::policies::today(),
    };
    let broker = config.broker.identity();
    // Only where e-SORI shows the record's documents.
    let visible = form.visible.is_some() && entity.shown_in_portal();
    let note = match form.motivo.trim() {
        "" => "Generado desde la ficha".to_owned(),
        reason => crate::format::shorten(reason, 300),
    };
    let scope = scope_of(&staff);
    let actor = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            if documents::reach(conn, scope, role, entity)?.is_none() {
                return Ok::<_, DbError>(Err(GenerateError::NotFound));
            }
            let generated = match generated::generate(
                conn,
                &request,
                &broker,
                visible,
                &note,
                Some(actor.id),
            ) {
                Ok(generated) => generated,
                Err(GenerateError::Db(e)) => return Err(e.into()),
                Err(other) => return Ok(Err(other)),
            };
            if visible && generated.document.customer_id.is_some() {
                documents::delivery::publish(conn, &generated.document, Some(actor.id))?;
            }
            if generated.created {
                let entry = NewEntry {
                    target_type: Some(entity.kind()),
                    target_id: Some(entity.id()),
                    details: serde_json::json!({
                        "documento": generated.document.id,
                        "clase_documento": kind.label(),
                        "nombre": generated.document.filename,
                        "version_documento": generated.document.version,
                        "motivo": note,
                        "sha256": generated.document.sha256,
                    }),
                    ..audit_entry(&actor, &meta, Action::DocumentGenerated)
                };
                audit::record(conn, &entry)?;
            }
            Ok(Ok(generated))
        })
        .await?;
    match outcome {
        Ok(generated) => {
            let message = if generated.created {
                Flash::success(format!(
                    "«{}» generado (versión {}).",
                    kind.label(),
                    generated.document.version
                ))
            } else {
                Flash::info(format!(
                    "Los datos no han cambiado desde la versión {}: no hace falta una nueva.",
                    generated.document.version
                ))
            };
            Ok(flash::redirect(
                &format!("/admin/documentos/{}", generated.document.id),
                message,
            ))
        }
        Err(GenerateError::NotFound) => Err(AppError::NotFound),
        Err(GenerateError::NotReady(message)) => {
            Ok(flash::redirect(&list_path(entity), Flash::error(message)))
        }
        Err(other) => Err(AppError::Internal(anyhow::anyhow!(other.to_string()))),
    }
}
