//! Staff open a customer's access to e-SORI from the customer page.

use actix_web::{HttpResponse, web};
use chrono::Utc;

use crate::audit::{self, Action};
use crate::auth::permissions::PortfolioScope;
use crate::backoffice::{CurrentStaff, audit_entry};
use crate::clients::accounts::{self, InviteError};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::documents::{self, Entity};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::request_meta::RequestMeta;

/// POST /admin/clientes/{id}/invitar-portal: (re)sends the single-use 72-hour link with which
/// the customer chooses their e-SORI password. An agent may invite only their own customers.
pub async fn invite(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let user = staff.0;
    let scope = PortfolioScope::of(user.id, user.role());
    let base_url = config.base_url.clone();
    let outcome = db
        .transaction(move |conn| {
            if documents::customer_of(conn, scope, Entity::Customer(id))?.is_none() {
                return Ok::<_, DbError>(Err(InviteError::NotFound));
            }
            match accounts::invite(conn, id, user.id, &base_url, Utc::now()) {
                Ok(account) => {
                    let entry = audit::NewEntry {
                        target_type: Some(audit::target::CUSTOMER),
                        target_id: Some(id),
                        details: serde_json::json!({ "correo": account.email }),
                        ..audit_entry(&user, &meta, Action::ClientInvited)
                    };
                    audit::record(conn, &entry)?;
                    Ok(Ok(account.email))
                }
                Err(InviteError::Database(e)) => Err(e),
                Err(other) => Ok(Err(other)),
            }
        })
        .await?;
    let back = format!("/admin/clientes/{id}");
    match outcome {
        Ok(email) => Ok(flash::redirect(
            &back,
            Flash::success(format!(
                "Invitación a e-SORI enviada a {email}. El enlace vale 72 horas."
            )),
        )),
        Err(InviteError::NotFound) => Err(AppError::NotFound),
        Err(error) => Ok(flash::redirect(&back, Flash::error(error.to_string()))),
    }
}
