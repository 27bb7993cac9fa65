//! e-SORI "Verificación en dos pasos": the optional second factor of a client (enrol with a
//! QR code, recovery codes shown once, turn it off with password and code), and the second
//! step of a client sign-in.
//!
//! After a correct password, an account with a second factor is not signed in yet: the
//! session holds only who is half-way, since when and where they were going; `Identity` is
//! set by a correct code alone, so no personal page opens before it. Wrong codes count in the
//! sign-in throttle (its waits apply) and five of them drop the half-way state.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::audit::Action;
use crate::auth::throttle::{self, Attempt};
use crate::auth::totp::{SecondFactor, TwoFactorError};
use crate::clients::accounts::{self, ClientUser};
use crate::clients::second_factor::{self, Status};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::portal::auth::{CurrentClient, client_actor, complete_sign_in};
use crate::validation::FieldErrors;
use crate::web::device;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;
use crate::web::second_step::{self, PendingState};
use crate::web::two_factor::{self as shared, Enrolment};

pub const PAGE_PATH: &str = "/portal/seguridad";
pub const CODE_PATH: &str = "/portal/entrar/codigo";
/// Where e-SORI keeps its half-way state in the session (apart from the back-office's).
const KEYS: second_step::Keys = second_step::Keys {
    user_id: "pending_client_id",
    since: "pending_client_since",
    next: "pending_client_next",
    wrong_codes: "pending_client_wrong_codes",
};

const ENROL_SECRET: &str = "portal_totp_enrol_secret";

/// The throttle key of a client's second step, apart from their password's.
fn throttle_key(client_user_id: i64) -> String {
    format!("portal-2fa:{client_user_id}")
}

// ---------------------------------------------------------------------------------------
// The page: enrol, turn off.
// ---------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "portal/two_factor.html", blocks = ["content"])]
pub struct TwoFactorPage {
    pub ctx: PageContext,
    pub status: Status,
    pub enrolment: Option<Enrolment>,
    pub enrol_error: Option<&'static str>,
    pub password_error: Option<&'static str>,
    pub code_error: Option<&'static str>,
    pub codes_error: Option<&'static str>,
    /// The password change form's messages (`actual`, `nueva`, `repetida`).
    pub password_change_errors: FieldErrors,
}

impl TwoFactorPage {
    pub fn enabled_on(&self) -> String {
        self.status
            .enabled_at
            .map(|at| crate::format::date(at.with_timezone(&crate::time::ZONE).date_naive()))
            .unwrap_or_default()
    }
}

#[derive(Template)]
#[template(path = "portal/recovery_codes.html", blocks = ["content"])]
pub struct RecoveryCodesPage {
    pub ctx: PageContext,
    pub codes: Vec<String>,
    /// Shown right after enrolling (rather than after asking for new codes).
    pub just_enabled: bool,
}

fn page(
    ctx: PageContext,
    status: Status,
    session: &Session,
    email: &str,
) -> Result<TwoFactorPage, AppError> {
    let enrolment = shared::enrolment(session, ENROL_SECRET, status.enabled(), email)?;
    Ok(TwoFactorPage {
        ctx,
        status,
        enrolment,
        enrol_error: None,
        password_error: None,
        code_error: None,
        codes_error: None,
        password_change_errors: FieldErrors::new(),
    })
}

async fn load_status(db: &Db, client: &CurrentClient) -> Result<Status, AppError> {
    let id = client.user.id;
    Ok(db
        .portal_transaction(client.customer_id(), move |conn| {
            second_factor::status(conn, id).map_err(DbError::from)
        })
        .await?)
}

pub(crate) async fn page_with_status(
    ctx: PageContext,
    db: &Db,
    client: &CurrentClient,
    session: &Session,
) -> Result<TwoFactorPage, AppError> {
    let status = load_status(db, client).await?;
    page(ctx, status, session, &client.user.email)
}

/// GET /portal/seguridad
pub async fn show(
    ctx: PageContext,
    client: CurrentClient,
    session: Session,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(page_with_status(ctx, &db, &client, &session).await?)
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    codigo: String,
}

/// POST /portal/seguridad/activar: a code from the app confirms the secret in the session.
pub async fn activate(
    ctx: PageContext,
    client: CurrentClient,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let Some(secret) = shared::enrolling(&session, ENROL_SECRET)? else {
        return Ok(flash::redirect(PAGE_PATH, Flash::warning(shared::EXPIRED)));
    };
    let code = form.into_inner().codigo.trim().to_owned();
    let result = if code.is_empty() {
        Err(TwoFactorError::InvalidCode)
    } else {
        let user = client.user.clone();
        db.portal_transaction(client.customer_id(), move |conn| {
            let codes = second_factor::enable(conn, user.id, &secret, &code, Utc::now())?;
            client_actor(&user, &meta).record(
                conn,
                Action::ClientTotpEnabled,
                serde_json::json!({}),
            )?;
            Ok(codes)
        })
        .await
    };
    match result {
        Ok(codes) => {
            session.remove(ENROL_SECRET);
            // Rendered here, never stored: the codes in clear cannot be shown again.
            render::html(&RecoveryCodesPage {
                ctx,
                codes,
                just_enabled: true,
            })
        }
        Err(TwoFactorError::InvalidCode) => {
            let mut page = page_with_status(ctx, &db, &client, &session).await?;
            page.enrol_error = Some(shared::WRONG_ENROL_CODE);
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
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
    #[serde(default)]
    codigo: String,
}

enum Disabled {
    Done,
    WrongPassword,
    WrongCode,
    Throttled,
}

/// POST /portal/seguridad/desactivar: needs the password and a current code.
pub async fn deactivate(
    ctx: PageContext,
    client: CurrentClient,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<DisableForm>,
) -> Result<HttpResponse, AppError> {
    let DisableForm { password, codigo } = form.into_inner();
    let (password_missing, code_missing) = (password.is_empty(), codigo.trim().is_empty());
    let outcome = if password_missing || code_missing {
        None
    } else {
        let (key, ip, now) = (throttle_key(client.user.id), meta.ip.clone(), Utc::now());
        // Wrong passwords and codes here count like wrong sign-ins (own key, same waits).
        if let Ok(attempt) = shared::reserve(&db, key, ip, now).await? {
            let stored = client.user.password_hash.clone();
            let (matches, _) = crate::auth::sign_in::check_password(password, stored).await?;
            let user = client.user.clone();
            let outcome = db
                .portal_transaction(client.customer_id(), move |conn| {
                    if !matches {
                        return Ok(Disabled::WrongPassword);
                    }
                    match second_factor::check_code(conn, user.id, codigo.trim(), now, false) {
                        Ok(_) => {}
                        Err(TwoFactorError::InvalidCode) => return Ok(Disabled::WrongCode),
                        Err(TwoFactorError::NotEnabled) => return Ok(Disabled::Done),
                        Err(other) => return Err(other),
                    }
                    second_factor::disable(conn, user.id)?;
                    client_actor(&user, &meta).record(
                        conn,
                        Action::ClientTotpDisabled,
                        serde_json::json!({}),
                    )?;
                    Ok(Disabled::Done)
                })
                .await?;
            if matches!(outcome, Disabled::Done) {
                shared::succeeded(&db, attempt, now).await?;
            }
            Some(outcome)
        } else {
            Some(Disabled::Throttled)
        }
    };
    let mut page = page_with_status(ctx, &db, &client, &session).await?;
    match outcome {
        Some(Disabled::Done) => {
            return Ok(flash::redirect(PAGE_PATH, Flash::success(shared::DISABLED)));
        }
        Some(Disabled::WrongPassword) => page.password_error = Some(shared::WRONG_PASSWORD),
        Some(Disabled::WrongCode) => page.code_error = Some(shared::WRONG_CODE),
        Some(Disabled::Throttled) => page.code_error = Some(shared::THROTTLED),
        None => {
            if password_missing {
                page.password_error = Some(shared::PASSWORD_MISSING);
            }
            if code_missing {
                page.code_error = Some(shared::CODE_MISSING);
            }
        }
    }
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// POST /portal/seguridad/codigos: ten new recovery codes for a current code from the app
/// (the old ones stop working). Wrong codes count in the same throttle as turning it off.
pub async fn regenerate_codes(
    ctx: PageContext,
    client: CurrentClient,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let code = form.into_inner().codigo.trim().to_owned();
    let error = if code.is_empty() {
        shared::CODE_MISSING
    } else {
        let (key, ip, now) = (throttle_key(client.user.id), meta.ip.clone(), Utc::now());
        if let Ok(attempt) = shared::reserve(&db, key, ip, now).await? {
            let user = client.user.clone();
            let result = db
                .portal_transaction(client.customer_id(), move |conn| {
                    second_factor::check_code(conn, user.id, &code, now, false)?;
                    let codes = second_factor::regenerate_recovery_codes(conn, user.id)?;
                    client_actor(&user, &meta).record(
                        conn,
                        Action::ClientRecoveryCodesRegenerated,
                        serde_json::json!({}),
                    )?;
                    Ok(codes)
                })
                .await;
            match result {
                // Rendered here, never stored: the codes in clear cannot be shown again.
                Ok(codes) => {
                    shared::succeeded(&db, attempt, now).await?;
                    return render::html(&RecoveryCodesPage {
                        ctx,
                        codes,
                        just_enabled: false,
                    });
                }
                Err(TwoFactorError::NotEnabled) => {
                    // Nothing was guessed: not a failure.
                    shared::succeeded(&db, attempt, now).await?;
                    return Ok(flash::redirect(
                        PAGE_PATH,
                        Flash::info(shared::ENABLE_FIRST),
                    ));
                }
                Err(TwoFactorError::InvalidCode) => shared::WRONG_CODE,
                Err(other) => return Err(other.into()),
            }
        } else {
            shared::THROTTLED
        }
    };
    let mut page = page_with_status(ctx, &db, &client, &session).await?;
    page.codes_error = Some(error);
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------
// The second step of sign-in.
// ---------------------------------------------------------------------------------------

/// Called by the password step for an account with a second factor: remembers who is
/// half-way (nothing else) and sends the browser to the code page.
pub fn begin(session: &Session, client_user_id: i64, next: &str) -> Result<HttpResponse, AppError> {
    second_step::begin(session, &KEYS, client_user_id, next)?;
    Ok(flash::see_other(CODE_PATH))
}

fn back_to_password(session: &Session, state: PendingState) -> HttpResponse {
    second_step::clear(session, &KEYS);
    match state {
        PendingState::Expired => flash::redirect(
            "/portal/entrar",
            Flash::warning(
                "Han pasado más de cinco minutos desde que escribió la contraseña. Vuelva a entrar.",
            ),
        ),
        _ => flash::see_other("/portal/entrar"),
    }
}

#[derive(Template)]
#[template(path = "portal/auth/login_code.html", blocks = ["content"])]
pub struct SignInCodePage {
    pub ctx: PageContext,
    pub code_error: Option<String>,
}

/// GET /portal/entrar/codigo
pub async fn code_form(ctx: PageContext, session: Session) -> Result<HttpResponse, AppError> {
    match second_step::read(&session, &KEYS, "/portal/inicio")? {
        PendingState::Active(_) => render::html(&SignInCodePage {
            ctx,
            code_error: None,
        }),
        other => Ok(back_to_password(&session, other)),
    }
}

enum Outcome {
    SignedIn(Box<ClientUser>, SecondFactor, Attempt),
    Refused,
    Throttled(i64),
    /// The account was disabled, or its second factor turned off, since the password.
    Gone,
}

/// POST /portal/entrar/codigo
pub async fn code_submit(
    req: HttpRequest,
    ctx: PageContext,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let pending = match second_step::read(&session, &KEYS, "/portal/inicio")? {
        PendingState::Active(pending) => pending,
        other => return Ok(back_to_password(&session, other)),
    };
    let code = form.into_inner().codigo.trim().to_owned();
    if code.is_empty() {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignInCodePage {
                ctx,
                code_error: Some("Escriba el código de verificación.".to_owned()),
            },
        );
    }
    let id = pending.user_id;
    let (key, origin, now) = (throttle_key(id), meta.clone(), Utc::now());
    let user = db
        .run(move |conn| Ok::<_, DbError>(accounts::find(conn, id)?))
        .await?
        .filter(|user| user.can_sign_in() && user.has_second_factor());
    let Some(user) = user else {
        return Ok(back_to_password(&session, PendingState::Missing));
    };
    let customer = user.customer_id;
    // The throttle's table is not the client's: counted as the application, before the code.
    let reserved = shared::reserve(&db, key, meta.ip.clone(), now).await?;
    let outcome = match reserved {
        Err(seconds) => Outcome::Throttled(seconds),
        Ok(attempt) => {
            db.portal_transaction(customer, move |conn| {
                match second_factor::check_code(conn, id, &code, now, true) {
                    Ok(factor) => {
                        if factor == SecondFactor::RecoveryCode {
                            client_actor(&user, &origin).record(
                                conn,
                                Action::ClientRecoveryCodeUsed,
                                serde_json::json!({}),
                            )?;
                        }
                        Ok(Outcome::SignedIn(Box::new(user), factor, attempt))
                    }
                    Err(TwoFactorError::InvalidCode) => Ok(Outcome::Refused),
                    Err(TwoFactorError::NotEnabled) => Ok(Outcome::Gone),
                    Err(other) => Err(other),
                }
            })
            .await?
        }
    };
    match outcome {
        Outcome::SignedIn(user, factor, attempt) => {
            shared::succeeded(&db, attempt, now).await?;
            second_step::clear(&session, &KEYS);
            complete_sign_in(&req, &session, &db, &user, &meta).await?;
            let message = match factor {
                SecondFactor::Totp => "Le damos la bienvenida a e-SORI.",
                SecondFactor::RecoveryCode => {
                    "Le damos la bienvenida a e-SORI. Ha usado un código de recuperación: ya no vale."
                }
            };
            let response = flash::redirect(&pending.next, Flash::success(message));
            Ok(device::CLIENT.remember(&req, response, user.id))
        }
        Outcome::Gone => Ok(back_to_password(&session, PendingState::Missing)),
        Outcome::Throttled(seconds) => render::html_with_status(
            StatusCode::TOO_MANY_REQUESTS,
            &SignInCodePage {
                ctx,
                code_error: Some(format!(
                    "Demasiados intentos fallidos. Espere {} y vuelva a intentarlo.",
                    throttle::describe_wait(seconds)
                )),
            },
        ),
        Outcome::Refused => {
            let wrong_codes = pending.wrong_codes + 1;
            tracing::warn!(
                client_user_id = id,
                wrong_codes,
                "wrong portal second-factor code"
            );
            if wrong_codes >= second_step::MAX_WRONG_CODES {
                second_step::clear(&session, &KEYS);
                return Ok(flash::redirect(
                    "/portal/entrar",
                    Flash::error(
                        "Ha escrito demasiados códigos incorrectos. Vuelva a entrar con su contraseña.",
                    ),
                ));
            }
            second_step::set_wrong_codes(&session, &KEYS, wrong_codes)?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SignInCodePage {
                    ctx,
                    code_error: Some(shared::WRONG_CODE.to_owned()),
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_second_step_has_its_own_throttle_key() {
        assert_eq!(throttle_key(7), "portal-2fa:7");
    }
}
