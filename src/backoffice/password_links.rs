//! The pages behind the e-mailed links: choose a first password (invitation) or a new one
//! (reset), and the "¿Ha olvidado su contraseña?" request form.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Duration, Utc};
use diesel::PgConnection;
use serde::Deserialize;

use crate::audit::{self, Action, NewEntry};
use crate::auth::password_change::{self, NewPasswordForm};
use crate::auth::rate_limit;
use crate::auth::staff::{self, StaffUser};
use crate::auth::tokens::{self, Purpose};
use crate::backoffice::audit_entry;
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// Password reset requests allowed per IP and per address, per hour.
const RESETS_PER_IP_PER_HOUR: i64 = 10;
const RESETS_PER_ADDRESS_PER_HOUR: i64 = 3;

fn link(base_url: &url::Url, token: &str) -> String {
    let mut url = base_url.clone();
    url.set_path(&format!("/admin/contrasena/{token}"));
    url.set_query(None);
    url.to_string()
}

/// Queues the e-mail carrying the link for `token` (inside the caller's transaction).
fn send_link(
    conn: &mut PgConnection,
    user: &StaffUser,
    token: &str,
    base_url: &url::Url,
    purpose: Purpose,
) -> Result<(), DbError> {
    let link = link(base_url, token);
    let email = match purpose {
        Purpose::Invitation => {
            crate::emails::templates::staff_invitation(&user.email, &user.name, &link)
        }
        Purpose::PasswordReset => {
            crate::emails::templates::password_reset(&user.email, &user.name, &link)
        }
    }
    .map_err(DbError::other)?;
    crate::mail::enqueue(conn, &email)?;
    Ok(())
}

/// Queues the invitation e-mail (inside the caller's transaction).
pub fn send_invitation(
    conn: &mut PgConnection,
    user: &StaffUser,
    token: &str,
    base_url: &url::Url,
) -> Result<(), DbError> {
    send_link(conn, user, token, base_url, Purpose::Invitation)
}

#[derive(Template)]
#[template(path = "backoffice/password/request.html")]
pub struct RequestPage {
    pub ctx: PageContext,
    pub email: String,
    pub errors: FieldErrors,
    pub sent: bool,
}

/// GET /admin/recuperar
pub async fn request_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    render::html(&RequestPage {
        ctx,
        email: String::new(),
        errors: FieldErrors::new(),
        sent: false,
    })
}

#[derive(Debug, Deserialize)]
pub struct RequestForm {
    #[serde(default)]
    email: String,
}

/// POST /admin/recuperar: the same answer whether or not the account exists.
pub async fn request_reset(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    form: crate::web::form::StrictForm<RequestForm>,
) -> Result<HttpResponse, AppError> {
    let email = match password_change::link_request_email(&form.email) {
        Ok(email) => email,
        Err(errors) => {
            return render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &RequestPage {
                    ctx,
                    email: form.email.clone(),
                    errors,
                    sent: false,
                },
            );
        }
    };
    let base_url = config.base_url.clone();
    let (ip, user_agent) = (meta.ip.clone(), meta.user_agent.clone());
    let lookup = email.clone();
    let allowed = db
        .transaction(move |conn| {
            let now = Utc::now();
            if !rate_limit::hit(
                conn,
                "password_reset.ip",
                &ip,
                RESETS_PER_IP_PER_HOUR,
                Duration::hours(1),
                now,
            )? {
                return Ok::<_, DbError>(false);
            }
            // Over the per-address limit we answer as usual but send nothing more.
            if rate_limit::hit(
                conn,
                "password_reset.email",
                &lookup,
                RESETS_PER_ADDRESS_PER_HOUR,
                Duration::hours(1),
                now,
            )? && let Some(user) = staff::find_by_email(conn, &lookup)?.filter(|u| u.active)
            {
                let token = tokens::issue(conn, user.id, Purpose::PasswordReset, now)?;
                send_link(conn, &user, &token, &base_url, Purpose::PasswordReset)?;
                audit::record(
                    conn,
                    &NewEntry {
                        actor_staff_id: None,
                        actor_label: &lookup,
                        action: Action::PasswordResetRequested,
                        target_type: Some(audit::target::STAFF_USER),
                        target_id: Some(user.id),
                        ip: &ip,
                        user_agent: &user_agent,
                        details: serde_json::json!({}),
                    },
                )?;
            }
            Ok(true)
        })
        .await?;
    if !allowed {
        return Err(AppError::TooManyRequests);
    }
    render::html(&RequestPage {
        ctx,
        email,
        errors: FieldErrors::new(),
        sent: true,
    })
}

#[derive(Template)]
#[template(path = "backoffice/password/set.html")]
pub struct SetPasswordPage {
    pub ctx: PageContext,
    pub token: String,
    pub valid: bool,
    pub invitation: bool,
    pub name: String,
    pub errors: FieldErrors,
}

async fn link_owner(db: &Db, token: String) -> Result<Option<(StaffUser, Purpose)>, AppError> {
    Ok(db
        .run(move |conn| {
            let Some((staff_id, purpose)) = tokens::peek(conn, &token, Utc::now())? else {
                return Ok::<_, DbError>(None);
            };
            Ok(staff::find_active(conn, staff_id)?.map(|user| (user, purpose)))
        })
        .await?)
}

/// GET /admin/contrasena/{token}
pub async fn set_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let owner = link_owner(&db, token.clone()).await?;
    let page = SetPasswordPage {
        ctx,
        valid: owner.is_some(),
        invitation: owner
            .as_ref()
            .is_some_and(|(_, p)| *p == Purpose::Invitation),
        name: owner.map(|(u, _)| u.name).unwrap_or_default(),
        token,
        errors: FieldErrors::new(),
    };
    let status = if page.valid {
        StatusCode::OK
    } else {
        StatusCode::GONE
    };
    render::html_with_status(status, &page)
}

/// POST /admin/contrasena/{token}: single use; every session of the account ends.
pub async fn set_password(
    ctx: PageContext,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<NewPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let Some((user, purpose)) = link_owner(&db, token.clone()).await? else {
        let page = SetPasswordPage {
            ctx,
            token,
            valid: false,
            invitation: false,
            name: String::new(),
            errors: FieldErrors::new(),
        };
        return render::html_with_status(StatusCode::GONE, &page);
    };
    let hash = match password_change::check_new(form.into_inner()).await? {
        Ok(hash) => hash,
        Err(errors) => {
            let page = SetPasswordPage {
                ctx,
                token,
                valid: true,
                invitation: purpose == Purpose::Invitation,
                name: user.name,
                errors,
            };
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let redeemed = db
        .transaction(move |conn| {
            let Some((staff_id, purpose)) = tokens::redeem(conn, &token, Utc::now())? else {
                return Ok::<_, DbError>(None);
            };
            staff::set_password_hash(conn, staff_id, &hash)?;
            crate::auth::sessions::end_all_for_user(conn, staff_id)?;
            if let Some(user) = staff::find_active(conn, staff_id)? {
                let entry = NewEntry {
                    target_type: Some(audit::target::STAFF_USER),
                    target_id: Some(staff_id),
                    details: serde_json::json!({ "enlace": purpose.code() }),
                    ..audit_entry(&user, &meta, Action::PasswordReset)
                };
                audit::record(conn, &entry)?;
            }
            Ok(Some(purpose))
        })
        .await?;
    match redeemed {
        Some(Purpose::Invitation) => Ok(flash::redirect(
            "/admin/entrar",
            Flash::success("Contraseña guardada. Ya puede entrar con su correo y su contraseña."),
        )),
        Some(Purpose::PasswordReset) => Ok(flash::redirect(
            "/admin/entrar",
            Flash::success("Contraseña cambiada. Por seguridad se han cerrado todas sus sesiones."),
        )),
        // Used by a concurrent request in the meantime.
        None => Err(AppError::NotFound),
    }
}
