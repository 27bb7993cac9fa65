//! "Mi cuenta → Verificación en dos pasos": enrolment with a QR code, the recovery codes
//! shown once, turning it off, new recovery codes; and the redirect that sends staff who must
//! enrol (the policy requires it) here before anything else.

use actix_session::Session;
use actix_web::body::BoxBody;
use actix_web::dev::ServiceRequest;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::audit::{self, Action};
use crate::auth::password;
use crate::auth::totp::{self, TwoFactorError, TwoFactorStatus};
use crate::backoffice::CurrentStaff;
use crate::backoffice::audit_entry;
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;
use crate::web::two_factor::{self as shared, Enrolment, no_store};

pub const PAGE_PATH: &str = "/admin/cuenta/dos-pasos";

/// The secret being enrolled lives in the (server-side) session until a code confirms it.
const ENROL_SECRET: &str = "two_factor_enrol_secret";

/// Back-office pages a staff member who must enrol may still open.
pub fn allowed_before_enrolment(path: &str) -> bool {
    path == PAGE_PATH
        || path
            .strip_prefix(PAGE_PATH)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// The answer to any other page while the policy requires enrolment.
pub fn enrolment_redirect(req: &ServiceRequest) -> HttpResponse<BoxBody> {
    let mut response = flash::redirect(
        PAGE_PATH,
        Flash::warning(
            "La administración exige la verificación en dos pasos a todo el personal. \
             Actívela para seguir usando el back-office.",
        ),
    );
    if req.headers().contains_key("HX-Request") {
        // htmx would follow a 303 inside the XHR and swap the page into a fragment.
        *response.status_mut() = StatusCode::OK;
        response.headers_mut().remove(header::LOCATION);
        response.headers_mut().insert(
            header::HeaderName::from_static("hx-redirect"),
            HeaderValue::from_static(PAGE_PATH),
        );
    }
    response
}

#[derive(Template)]
#[template(path = "backoffice/account/two_factor.html", blocks = ["content"])]
pub struct TwoFactorPage {
    pub ctx: PageContext,
    pub status: TwoFactorStatus,
    pub enrolment: Option<Enrolment>,
    pub enrol_error: Option<&'static str>,
    pub disable_error: Option<&'static str>,
    pub codes_error: Option<&'static str>,
}

impl TwoFactorPage {
    pub fn enabled_on(&self) -> String {
        self.status
            .enabled_at
            .map(|at| {
                at.with_timezone(&chrono_tz::Europe::Madrid)
                    .format("%d/%m/%Y")
                    .to_string()
            })
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "backoffice/account/recovery_codes.html", blocks = ["content"])]
pub struct RecoveryCodesPage {
    pub ctx: PageContext,
    pub codes: Vec<String>,
    /// Shown right after enrolment (rather than after asking for new codes).
    pub just_enabled: bool,
}

/// The throttle key of a staff member's settings page, apart from their sign-in's.
fn throttle_key(staff_id: i64) -> String {
    format!("admin-2fa:{staff_id}")
}

/// The page for `status`; while not enabled, with the QR code of the secret in the session
/// (a new one when there is none yet).
fn page(
    ctx: PageContext,
    status: TwoFactorStatus,
    session: &Session,
    email: &str,
) -> Result<TwoFactorPage, AppError> {
    let enrolment = shared::enrolment(session, ENROL_SECRET, status.enabled(), email)?;
    Ok(TwoFactorPage {
        ctx,
        status,
        enrolment,
        enrol_error: None,
        disable_error: None,
        codes_error: None,
    })
}

async fn load_status(db: &Db, staff_id: i64) -> Result<TwoFactorStatus, AppError> {
    Ok(db
        .run(move |conn| totp::status(conn, staff_id).map_err(DbError::from))
        .await?)
}

/// GET /admin/cuenta/dos-pasos
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    session: Session,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let status = load_status(&db, staff.0.id).await?;
    let page = page(ctx, status, &session, &staff.0.email)?;
    Ok(no_store(page_or_partial!(page)?))
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    codigo: String,
}

/// POST /admin/cuenta/dos-pasos/activar
pub async fn activate(
    ctx: PageContext,
    staff: CurrentStaff,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(secret) = shared::enrolling(&session, ENROL_SECRET)? else {
        return Ok(flash::redirect(PAGE_PATH, Flash::warning(shared::EXPIRED)));
    };
    let code = form.into_inner().codigo.trim().to_owned();
    let staff_id = staff.0.id;
    let actor = staff.0.clone();
    let result = if code.is_empty() {
        Err(TwoFactorError::InvalidCode)
    } else {
        db.transaction(move |conn| {
            let codes = totp::enable(conn, staff_id, &secret, &code, Utc::now())?;
            audit::record(conn, &audit_entry(&actor, &meta, Action::TotpEnabled))?;
            Ok(codes)
        })
        .await
    };
    match result {
        Ok(codes) => {
            session.remove(ENROL_SECRET);
            tracing::info!(staff_id, "two-factor authentication enabled");
            // Rendered here rather than after a redirect: the codes in clear are never
            // stored anywhere, not even in the session, so they cannot be shown again.
            Ok(no_store(render::html(&RecoveryCodesPage {
                ctx,
                codes,
                just_enabled: true,
            })?))
        }
        Err(TwoFactorError::InvalidCode) => {
            let status = load_status(&db, staff_id).await?;
            let mut page = page(ctx, status, &session, &staff.0.email)?;
            page.enrol_error = Some(shared::WRONG_ENROL_CODE);
            Ok(no_store(render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &page,
            )?))
        }
        Err(TwoFactorError::AlreadyEnabled) => {
            session.remove(ENROL_SECRET);
            Ok(flash::redirect(
                PAGE_PATH,
                Flash::info(shared::ALREADY_ENABLED),
            ))
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Debug, Deserialize)]
pub struct DisableForm {
    #[serde(default)]
    password: String,
}

const REQUIRED_BY_POLICY: &str = "La administración exige la verificación en dos pasos a todo el personal: no puede desactivarla.";

/// POST /admin/cuenta/dos-pasos/desactivar (asks for the current password)
pub async fn deactivate(
    ctx: PageContext,
    staff: CurrentStaff,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let password = form.into_inner().password;
    let staff_id = staff.0.id;
    let stored_hash = staff.0.password_hash.clone();
    let (key, ip, now) = (throttle_key(staff_id), meta.ip.clone(), Utc::now());
    let error = if password.is_empty() {
        Some(shared::PASSWORD_MISSING)
    } else {
        // Wrong passwords here count like wrong sign-ins (own key, same waits).
        match shared::reserve(&db, key, ip, now).await? {
            Err(_wait) => Some(shared::THROTTLED),
            Ok(attempt) => {
                // The password hash runs on the blocking pool with the query.
                let actor = staff.0.clone();
                let result = db
                    .transaction(move |conn| {
                        if totp::require_two_factor(conn)? {
                            return Err(TwoFactorError::RequiredByPolicy);
                        }
                        if !password::verify(&password, &stored_hash) {
                            return Ok(false);
                        }
                        totp::disable(conn, staff_id)?;
                        audit::record(conn, &audit_entry(&actor, &meta, Action::TotpDisabled))?;
                        Ok(true)
                    })
                    .await;
                if !matches!(result, Ok(false)) {
                    // Only a wrong password is a failed attempt.
                    shared::succeeded(&db, attempt, now).await?;
                }
                match result {
                    Ok(true) => {
                        tracing::info!(staff_id, "two-factor authentication disabled");
                        return Ok(flash::redirect(PAGE_PATH, Flash::success(shared::DISABLED)));
                    }
                    Ok(false) => Some(shared::WRONG_PASSWORD),
                    Err(TwoFactorError::RequiredByPolicy) => Some(REQUIRED_BY_POLICY),
                    Err(TwoFactorError::NotEnabled) => {
                        return Ok(flash::redirect(PAGE_PATH, Flash::info(shared::NOT_ENABLED)));
                    }
                    Err(other) => return Err(other.into()),
                }
            }
        }
    };
    let status = load_status(&db, staff_id).await?;
    let mut page = page(ctx, status, &session, &staff.0.email)?;
    page.disable_error = error;
    Ok(no_store(render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page,
    )?))
}

/// POST /admin/cuenta/dos-pasos/codigos (asks for a current code from the app)
pub async fn regenerate_codes(
    ctx: PageContext,
    staff: CurrentStaff,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let code = form.into_inner().codigo.trim().to_owned();
    let staff_id = staff.0.id;
    let (key, ip, now) = (throttle_key(staff_id), meta.ip.clone(), Utc::now());
    let error = if code.is_empty() {
        shared::CODE_MISSING
    } else {
        // Wrong codes here count like wrong sign-ins (own key, same waits).
        match shared::reserve(&db, key, ip, now).await? {
            Err(_wait) => shared::THROTTLED,
            Ok(attempt) => {
                let actor = staff.0.clone();
                let result = db
                    .transaction(move |conn| {
                        totp::check_totp_code(conn, staff_id, &code, now)?;
                        let codes = totp::regenerate_recovery_codes(conn, staff_id)?;
                        audit::record(
                            conn,
                            &audit_entry(&actor, &meta, Action::RecoveryCodesRegenerated),
                        )?;
                        Ok(codes)
                    })
                    .await;
                if !matches!(result, Err(TwoFactorError::InvalidCode)) {
                    shared::succeeded(&db, attempt, now).await?;
                }
                match result {
                    Ok(codes) => {
                        tracing::info!(staff_id, "recovery codes regenerated");
                        // Rendered here, never stored: the codes in clear cannot be shown
                        // again.
                        return Ok(no_store(render::html(&RecoveryCodesPage {
                            ctx,
                            codes,
                            just_enabled: false,
                        })?));
                    }
                    Err(TwoFactorError::InvalidCode) => shared::WRONG_CODE,
                    Err(TwoFactorError::NotEnabled) => {
                        return Ok(flash::redirect(
                            PAGE_PATH,
                            Flash::info(shared::ENABLE_FIRST),
                        ));
                    }
                    Err(other) => return Err(other.into()),
                }
            }
        }
    };
    let status = load_status(&db, staff_id).await?;
    let mut page = page(ctx, status, &session, &staff.0.email)?;
    page.codes_error = Some(error);
    Ok(no_store(render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &page,
    )?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_enrolment_pages_are_open_before_enrolling() {
        assert!(allowed_before_enrolment("/admin/cuenta/dos-pasos"));
        assert!(allowed_before_enrolment("/admin/cuenta/dos-pasos/activar"));
        assert!(!allowed_before_enrolment("/admin/cuenta/dos-pasosx"));
        assert!(!allowed_before_enrolment("/admin/catalogo"));
        assert!(!allowed_before_enrolment("/admin"));
    }
}
