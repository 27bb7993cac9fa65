//! "Seguridad": site-wide security settings (administrators only).

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::{self, Action, NewEntry};
use crate::auth::totp;
use crate::backoffice::CurrentStaff;
use crate::backoffice::audit_entry;
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::request_meta::RequestMeta;

#[derive(Template)]
#[template(path = "backoffice/security.html", blocks = ["content"])]
pub struct SecurityPage {
    pub ctx: PageContext,
    pub require_two_factor: bool,
    pub staff_without_two_factor: i64,
}

/// GET /admin/seguridad
pub async fn show(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let (require_two_factor, staff_without_two_factor) = db
        .run(|conn| {
            Ok::<_, DbError>((
                totp::require_two_factor(conn)?,
                totp::count_active_staff_without_two_factor(conn)?,
            ))
        })
        .await?;
    page_or_partial!(SecurityPage {
        ctx,
        require_two_factor,
        staff_without_two_factor,
    })
}

#[derive(Debug, Deserialize)]
pub struct SecurityForm {
    /// A checkbox: present when ticked.
    exigir_dos_pasos: Option<String>,
}

/// POST /admin/seguridad
pub async fn update(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<SecurityForm>,
) -> Result<HttpResponse, AppError> {
    let required = form.into_inner().exigir_dos_pasos.is_some();
    let staff_id = staff.0.id;
    let actor = staff.0.clone();
    db.transaction(move |conn| {
        totp::set_require_two_factor(conn, required, staff_id)?;
        let entry = NewEntry {
            target_type: Some(audit::target::SETTINGS),
            details: serde_json::json!({ "exigir_dos_pasos": required }),
            ..audit_entry(&actor, &meta, Action::TwoFactorPolicyChanged)
        };
        audit::record(conn, &entry)?;
        Ok::<_, DbError>(())
    })
    .await?;
    tracing::info!(
        staff_id,
        require_two_factor = required,
        "security policy changed"
    );
    let message = if required {
        "Guardado. Todo el personal tendrá que activar la verificación en dos pasos para usar el back-office."
    } else {
        "Guardado. La verificación en dos pasos es ahora opcional."
    };
    Ok(flash::redirect("/admin/seguridad", Flash::success(message)))
}
