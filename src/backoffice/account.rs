//! "Mi cuenta": change one's password, see and end one's sessions, and (for those who read
//! the analytics) ask for the weekly analytics digest by e-mail.

use actix_identity::Identity;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::audit::{self, Action, NewEntry};
use crate::auth::password_change::{self, PasswordChangeForm};
use crate::auth::permissions::Permission;
use crate::auth::sessions::{OpenSession, SESSION_ID_KEY};
use crate::auth::staff;
use crate::backoffice::CurrentStaff;
use crate::backoffice::audit_entry;
use crate::backoffice::auth::complete_sign_in;
use crate::db::{Db, DbError};
use crate::format::madrid_datetime;
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

pub struct SessionView {
    pub id: i64,
    pub opened: String,
    pub expires: String,
    pub ip: String,
    pub device: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "backoffice/account/show.html", blocks = ["content"])]
pub struct AccountPage {
    pub ctx: PageContext,
    pub name: String,
    pub email: String,
    pub role_label: &'static str,
    pub sessions: Vec<SessionView>,
    pub two_factor_enabled: bool,
    /// `Some(subscribed)` when the staff member's role reads the analytics (and so may get
    /// the weekly digest); `None` hides the form.
    pub weekly_digest: Option<bool>,
    /// The digest counts only the staff member's own customers (an agent).
    pub digest_own_book: bool,
    pub errors: FieldErrors,
}

async fn account_page(
    ctx: PageContext,
    staff: &staff::StaffUser,
    session: &Session,
    db: &Db,
    errors: FieldErrors,
) -> Result<AccountPage, AppError> {
    let staff_id = staff.id;
    let analytics = Permission::ViewAnalytics.granted_to(staff.role());
    let (open, two_factor_enabled, weekly_digest) = db
        .run(move |conn| {
            let weekly_digest = if analytics {
                Some(crate::digest::is_subscribed(conn, staff_id)?)
            } else {
                None
            };
            Ok::<_, DbError>((
                crate::auth::sessions::open_sessions(conn, staff_id)?,
                crate::auth::totp::is_enabled(conn, staff_id)?,
                weekly_digest,
            ))
        })
        .await?;
    let current = session.get::<String>(SESSION_ID_KEY).ok().flatten();
    Ok(AccountPage {
        ctx,
        name: staff.name.clone(),
        email: staff.email.clone(),
        role_label: staff.role().label(),
        sessions: open
            .into_iter()
            .map(|s| session_view(s, current.as_deref()))
            .collect(),
        two_factor_enabled,
        weekly_digest,
        digest_own_book: crate::analytics::PortfolioScope::of(staff.id, staff.role())
            .owner()
            .is_some(),
        errors,
    })
}

fn session_view(session: OpenSession, current: Option<&str>) -> SessionView {
    SessionView {
        id: session.id,
        opened: madrid_datetime(session.created_at),
        expires: madrid_datetime(session.expires_at),
        ip: session.ip.unwrap_or_else(|| "—".into()),
        device: describe_agent(session.user_agent.as_deref().unwrap_or_default()),
        current: session.sid.is_some() && session.sid.as_deref() == current,
    }
}

/// A short, human name for a browser's user agent ("Firefox en Linux").
pub fn describe_agent(agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("Firefox/", "Firefox"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| *name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Windows", "Windows"),
        ("Mac OS", "macOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| agent.contains(marker))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(b), Some(s)) => format!("{b} en {s}"),
        (Some(b), None) => b.to_owned(),
        (None, Some(s)) => s.to_owned(),
        (None, None) if agent.is_empty() => "Desconocido".to_owned(),
        (None, None) => agent.chars().take(40).collect(),
    }
}

/// GET /admin/cuenta
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    session: Session,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(account_page(ctx, &staff.0, &session, &db, FieldErrors::new()).await?)
}

/// POST /admin/cuenta/contrasena: asks the current password; on success every session of the
/// account ends and this browser continues in a fresh one.
pub async fn change_password(
    req: HttpRequest,
    ctx: PageContext,
    staff: CurrentStaff,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<PasswordChangeForm>,
) -> Result<HttpResponse, AppError> {
    let user = staff.0;
    let new_hash =
        match password_change::check(form.into_inner(), user.password_hash.clone()).await? {
            Ok(hash) => hash,
            Err(errors) => {
                let page = account_page(ctx, &user, &session, &db, errors).await?;
                return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
            }
        };

    let (actor, origin) = (user.clone(), meta.clone());
    db.transaction(move |conn| {
        staff::set_password_hash(conn, actor.id, &new_hash)?;
        crate::auth::sessions::end_all_for_user(conn, actor.id)?;
        audit::record(conn, &audit_entry(&actor, &origin, Action::PasswordChanged))?;
        Ok::<_, DbError>(())
    })
    .await?;
    // Every session, this one included, is gone from the store; open a new one here.
    complete_sign_in(&req, &session, &db, &user, &meta).await?;
    Ok(flash::redirect(
        "/admin/cuenta",
        Flash::success("Contraseña cambiada. Se han cerrado sus demás sesiones."),
    ))
}

/// POST /admin/cuenta/sesiones/{id}/cerrar
pub async fn end_session(
    staff: CurrentStaff,
    session: Session,
    identity: Identity,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let session_id = path.into_inner();
    let user = staff.0;
    let current = session.get::<String>(SESSION_ID_KEY).ok().flatten();
    let (ended, was_current) = db
        .transaction(move |conn| {
            let was_current = crate::auth::sessions::open_sessions(conn, user.id)?
                .iter()
                .any(|s| s.id == session_id && s.sid.is_some() && s.sid == current);
            let ended = crate::auth::sessions::end_one(conn, user.id, session_id)?;
            if ended {
                let entry = NewEntry {
                    target_type: Some(audit::target::SESSION),
                    target_id: Some(session_id),
                    ..audit_entry(&user, &meta, Action::SessionEnded)
                };
                audit::record(conn, &entry)?;
            }
            Ok::<_, DbError>((ended, was_current))
        })
        .await?;
    if !ended {
        return Err(AppError::NotFound);
    }
    if was_current {
        identity.logout();
        return Ok(flash::redirect(
            "/admin/entrar",
            Flash::info("Ha cerrado la sesión."),
        ));
    }
    Ok(flash::redirect(
        "/admin/cuenta",
        Flash::success("Sesión cerrada."),
    ))
}

/// POST /admin/cuenta/sesiones/cerrar-otras
pub async fn end_other_sessions(
    staff: CurrentStaff,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let user = staff.0;
    let Some(current) = session.get::<String>(SESSION_ID_KEY).ok().flatten() else {
        return Err(AppError::BadRequest("session without sign-in id".into()));
    };
    let ended = db
        .transaction(move |conn| {
            let ended = crate::auth::sessions::end_others(conn, user.id, &current)?;
            if ended > 0 {
                let entry = NewEntry {
                    details: serde_json::json!({ "sesiones_cerradas": ended }),
                    ..audit_entry(&user, &meta, Action::SessionEnded)
                };
                audit::record(conn, &entry)?;
            }
            Ok::<_, DbError>(ended)
        })
        .await?;
    let message = match ended {
        0 => "No había otras sesiones abiertas.".to_owned(),
        1 => "Se ha cerrado 1 sesión.".to_owned(),
        n => format!("Se han cerrado {n} sesiones."),
    };
    Ok(flash::redirect("/admin/cuenta", Flash::success(message)))
}

/// The weekly digest form: the checkbox is sent only when ticked.
#[derive(Debug, serde::Deserialize)]
pub struct WeeklyDigestForm {
    #[serde(default)]
    resumen_semanal: Option<String>,
}

/// POST /admin/cuenta/resumen-semanal (roles that read the analytics only: the route table
/// answers 403 to the rest).
pub async fn set_weekly_digest(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<WeeklyDigestForm>,
) -> Result<HttpResponse, AppError> {
    let on = form.resumen_semanal.is_some();
    let user = staff.0;
    db.transaction(move |conn| {
        if crate::digest::set_subscribed(conn, user.id, on)? {
            let entry = NewEntry {
                details: serde_json::json!({ "resumen_semanal": { "before": !on, "after": on } }),
                ..audit_entry(&user, &meta, Action::WeeklyDigestChanged)
            };
            audit::record(conn, &entry)?;
        }
        Ok::<_, DbError>(())
    })
    .await?;
    let message = if on {
        "Recibirá cada lunes el resumen semanal de analítica."
    } else {
        "Ya no recibirá el resumen semanal de analítica."
    };
    Ok(flash::redirect("/admin/cuenta", Flash::success(message)))
}

#[cfg(test)]
mod tests {
    use super::describe_agent;

    #[test]
    fn user_agents_read_as_browser_and_system() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0";
        assert_eq!(describe_agent(firefox), "Firefox en Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";
        assert_eq!(describe_agent(chrome), "Chrome en Windows");
        assert_eq!(describe_agent(""), "Desconocido");
    }
}
