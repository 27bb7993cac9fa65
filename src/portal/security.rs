//! e-SORI "Seguridad", the parts besides the second factor: a signed-in client changes their
//! password (every other session ends) or ends their other sessions from here. Both run under
//! the portal role; the session table is reached only through `portal_end_sessions`.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::audit::Action;
use crate::auth::password_change::{self, PasswordChangeForm};
use crate::auth::sessions::SESSION_ID_KEY;
use crate::clients::accounts;
use crate::db::{Db, DbError};
use crate::portal::auth::{CurrentClient, complete_sign_in};
use crate::portal::two_factor::{self, PAGE_PATH};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

/// The sign-in id of this browser's session, if it has one: what a change that ends the
/// account's other sessions keeps.
pub(crate) fn current_sid(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_ID_KEY).ok().flatten()
}

/// POST /portal/seguridad/contrasena: the current password and the new one twice. On success
/// every session of the account ends and this browser continues in a fresh one.
pub async fn change_password(
    req: HttpRequest,
    ctx: PageContext,
    client: CurrentClient,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<PasswordChangeForm>,
) -> Result<HttpResponse, AppError> {
    // An account signed in has a password; without one, nothing matches "actual".
    let stored = client.user.password_hash.clone().unwrap_or_default();
    let checked = password_change::check(form.into_inner(), stored).await?;
    let new_hash = match checked {
        Ok(hash) => hash,
        Err(errors) => {
            let mut page = two_factor::page_with_status(ctx, &db, &client, &session).await?;
            page.password_change_errors = errors;
            return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let (who, origin) = (client.clone(), meta.clone());
    db.portal_transaction(client.customer_id(), move |conn| {
        accounts::set_password_hash(conn, who.user.id, &new_hash)?;
        crate::auth::sessions::end_client_sessions_but(conn, None)?;
        who.actor(&origin)
            .record(conn, Action::ClientPasswordChanged, serde_json::json!({}))?;
        Ok::<_, DbError>(())
    })
    .await?;
    complete_sign_in(&req, &session, &db, &client.user, &meta).await?;
    Ok(flash::redirect(
        PAGE_PATH,
        Flash::success("Contraseña cambiada. Se han cerrado sus sesiones en otros dispositivos."),
    ))
}

/// POST /portal/seguridad/sesiones/cerrar-otras
pub async fn end_other_sessions(
    client: CurrentClient,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    // Without a sign-in id (a session from before they existed) nothing is kept.
    let keep = current_sid(&session).unwrap_or_default();
    let who = client.clone();
    let ended = db
        .portal_transaction(client.customer_id(), move |conn| {
            let ended = crate::auth::sessions::end_client_sessions_but(conn, Some(&keep))?;
            if ended > 0 {
                who.actor(&meta).record(
                    conn,
                    Action::ClientSessionsEnded,
                    serde_json::json!({ "sesiones": ended }),
                )?;
            }
            Ok::<_, DbError>(ended)
        })
        .await?;
    let message = match ended {
        0 => Flash::info("No tenía sesiones abiertas en otros dispositivos."),
        1 => Flash::success("Se ha cerrado 1 sesión en otro dispositivo."),
        n => Flash::success(format!(
            "Se han cerrado {n} sesiones en otros dispositivos."
        )),
    };
    Ok(flash::redirect(PAGE_PATH, message))
}
