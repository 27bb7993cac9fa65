//! Staff sign-in, sign-out, and the guard in front of every other back-office page.

use std::future::{Ready, ready};

use actix_identity::{Identity, IdentityExt};
use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::audit::{self, Action, NewEntry};
use crate::auth::sessions::{Owner, SESSION_AGENT_KEY, SESSION_ID_KEY, SESSION_IP_KEY};
use crate::auth::staff::{self, StaffUser};
use crate::auth::totp::{self, ActiveStaff};
use crate::auth::{sign_in, throttle};
use crate::backoffice::audit_entry;
use crate::db::{Db, DbError};
use crate::web::device;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::{PageContext, StaffBadge};
use crate::web::render;
use crate::web::request_meta::RequestMeta;
use crate::web::session_store;

use super::{sign_in_code, two_factor};

/// The signed-in, active staff member; present on every page behind [`require_staff`].
#[derive(Debug, Clone)]
pub struct CurrentStaff(pub StaffUser);

impl FromRequest for CurrentStaff {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // Reaching a handler without the guard is a routing mistake; refuse rather than guess.
        ready(
            req.extensions()
                .get::<CurrentStaff>()
                .cloned()
                .ok_or(AppError::Forbidden),
        )
    }
}

/// Middleware of the protected back-office scope: loads the staff member of the session, or
/// sends the browser to the sign-in page (remembering where it was going).
pub async fn require_staff(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let staff_id = req
        .get_identity()
        .ok()
        .and_then(|identity| identity.id().ok())
        .and_then(|id| id.parse::<i64>().ok());
    let db = req.app_data::<web::Data<Db>>().cloned();
    // The session store read the staff member with the session (one statement); asking the
    // database again is only for a session it did not read that way.
    let read_with_session = match session_store::owner(&req.get_session()) {
        Some(Owner::Staff(active)) => Some(active),
        _ => None,
    };
    let user = match (staff_id, &db) {
        (Some(id), _) if read_with_session.as_ref().is_some_and(|a| a.user.id == id) => {
            read_with_session
        }
        (Some(id), Some(db)) => {
            let found = db
                .run(move |conn| totp::find_active_staff(conn, id).map_err(DbError::from))
                .await;
            match found {
                Ok(user) => user,
                // Answered here, as a page: an error returned from middleware would bypass
                // the error pages.
                Err(error) => return Ok(req.error_response(AppError::from(error))),
            }
        }
        _ => None,
    };
    if user.is_none() && db.is_some_and(|db| db.is_down()) {
        // The session could not be read (see PgSessionStore::load): 503, not the sign-in page.
        return Ok(req.error_response(AppError::Unavailable("sessions unreadable".into())));
    }
    let Some(ActiveStaff { user, must_enrol }) = user else {
        if let Ok(identity) = req.get_identity() {
            identity.logout();
        }
        let next_path = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str())
            .unwrap_or("/admin");
        let location = format!(
            "/admin/entrar?siguiente={}",
            url::form_urlencoded::byte_serialize(next_path.as_bytes()).collect::<String>()
        );
        let response = if req.headers().contains_key("HX-Request") {
            HttpResponse::Ok()
                .insert_header(("HX-Redirect", location))
                .finish()
        } else {
            flash::see_other(&location)
        };
        return Ok(req.into_response(response));
    };
    if must_enrol && !two_factor::allowed_before_enrolment(req.path()) {
        let response = two_factor::enrolment_redirect(&req);
        return Ok(req.into_response(response));
    }
    req.extensions_mut().insert(StaffBadge {
        id: user.id,
        name: user.name.clone(),
        role: user.role(),
        role_label: user.role().label(),
    });
    req.extensions_mut().insert(CurrentStaff(user));
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[derive(Template)]
#[template(path = "backoffice/login.html", blocks = ["content"])]
pub struct LoginPage {
    pub ctx: PageContext,
    pub email: String,
    pub next: String,
    pub email_error: Option<&'static str>,
    pub password_error: Option<&'static str>,
    pub form_error: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    siguiente: Option<String>,
}

/// GET /admin/entrar
pub async fn login_form(
    ctx: PageContext,
    query: web::Query<LoginQuery>,
    identity: Option<Identity>,
) -> Result<HttpResponse, AppError> {
    let next = safe_next(query.into_inner().siguiente.as_deref());
    if identity.is_some() {
        return Ok(flash::see_other(&next));
    }
    render::html(&LoginPage {
        ctx,
        email: String::new(),
        next,
        email_error: None,
        password_error: None,
        form_error: None,
    })
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    siguiente: String,
}

/// POST /admin/entrar
pub async fn login(
    req: HttpRequest,
    ctx: PageContext,
    meta: RequestMeta,
    session: Session,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm {
        email,
        password,
        siguiente,
    } = form.into_inner();
    let next = safe_next(Some(&siguiente));
    let email = email.trim().to_owned();
    let mut page = LoginPage {
        ctx,
        email: email.clone(),
        next: next.clone(),
        email_error: None,
        password_error: None,
        form_error: None,
    };
    if email.is_empty() {
        page.email_error = Some("Escriba su correo electrónico.");
    } else if !staff::is_plausible_email(&staff::normalize_email(&email)) {
        page.email_error = Some("El correo electrónico no tiene un formato válido.");
    }
    if password.is_empty() {
        page.password_error = Some("Escriba su contraseña.");
    }
    if page.email_error.is_some() || page.password_error.is_some() {
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }

    let origin = sign_in::Origin {
        ip: meta.ip.clone(),
        device: device::STAFF.read(&req),
    };
    let outcome =
        sign_in::attempt(&db, &email, password, origin, &meta.user_agent, Utc::now()).await?;
    let user = match outcome {
        sign_in::Outcome::Accepted(user) => user,
        sign_in::Outcome::Rejected { locked_out } => {
            if locked_out {
                tracing::warn!(ip = %meta.ip, "sign-in waits started after repeated failures");
            }
            page.form_error = Some("El correo o la contraseña no son correctos.".to_owned());
            return render::html_with_status(StatusCode::UNAUTHORIZED, &page);
        }
        sign_in::Outcome::Throttled(seconds) => {
            page.form_error = Some(format!(
                "Demasiados intentos fallidos. Espere {} y vuelva a intentarlo.",
                throttle::describe_wait(seconds)
            ));
            return render::html_with_status(StatusCode::TOO_MANY_REQUESTS, &page);
        }
    };

    let user_id = user.id;
    // With two-factor authentication the password is only the first step: nobody is signed
    // in until the code page accepts a code.
    if db
        .run(move |conn| totp::is_enabled(conn, user_id).map_err(DbError::from))
        .await?
    {
        return sign_in_code::begin(&session, user_id, &next);
    }
    complete_sign_in(&req, &session, &db, &user, &meta).await?;
    let response = flash::redirect(&next, Flash::success(format!("Hola, {}.", user.name)));
    Ok(device::STAFF.remember(&req, response, user.id))
}

/// Opens the staff session once every factor is proven: a new session id (a session id
/// planted before sign-in is useless), where it comes from (for "Mi cuenta"), last login.
pub async fn complete_sign_in(
    req: &HttpRequest,
    session: &Session,
    db: &Db,
    user: &StaffUser,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (actor, origin) = (user.clone(), meta.clone());
    db.transaction(move |conn| {
        staff::record_login(conn, actor.id)?;
        let entry = NewEntry {
            target_type: Some(audit::target::STAFF_USER),
            target_id: Some(actor.id),
            ..audit_entry(&actor, &origin, Action::SignIn)
        };
        audit::record(conn, &entry)?;
        Ok::<_, DbError>(())
    })
    .await?;
    Identity::login(&req.extensions(), user.id.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let insert = |key: &str, value: &str| {
        session
            .insert(key, value)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))
    };
    insert(SESSION_ID_KEY, &crate::util::random_token(16))?;
    insert(SESSION_IP_KEY, &meta.ip)?;
    insert(SESSION_AGENT_KEY, &meta.user_agent)?;
    tracing::info!(staff_id = user.id, "staff signed in");
    Ok(())
}

/// POST /admin/salir: ends the session on the server, not only in the browser.
pub async fn logout(
    identity: Option<Identity>,
    meta: RequestMeta,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    if let Some(identity) = identity {
        let staff_id = identity.id().ok().and_then(|id| id.parse::<i64>().ok());
        identity.logout();
        if let Some(id) = staff_id {
            db.transaction(move |conn| {
                if let Some(user) = staff::find_active(conn, id)? {
                    audit::record(conn, &audit_entry(&user, &meta, Action::SignOut))?;
                }
                // Expired rows are cleaned up here too; the session itself is deleted by logout.
                crate::auth::sessions::purge_expired(conn)?;
                Ok::<_, DbError>(())
            })
            .await?;
        }
    }
    Ok(flash::redirect(
        "/admin/entrar",
        Flash::info("Ha cerrado la sesión."),
    ))
}

/// Only back-office paths are valid targets after sign-in (no open redirect).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/admin")
                && !path.starts_with("/admin/entrar")
                && !path.contains("//")
                && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/admin".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_inside_the_back_office() {
        assert_eq!(safe_next(Some("/admin/catalogo")), "/admin/catalogo");
        assert_eq!(safe_next(Some("https://evil.example")), "/admin");
        assert_eq!(safe_next(Some("/admin//evil.example")), "/admin");
        assert_eq!(safe_next(Some("/admin/entrar")), "/admin");
        assert_eq!(safe_next(None), "/admin");
    }
}
