//! The second step of staff sign-in, for accounts with two-factor authentication: a code from
//! the authenticator app, or a recovery code.
//!
//! After a correct password such an account is not signed in yet: the session only records
//! who is half-way (`pending_staff_id`), since when (`pending_since`, five minutes to finish),
//! where they were going and how many wrong codes they have typed. Only a correct code calls
//! `Identity::login`, so no back-office page opens before it. Five wrong codes drop the
//! half-way state: the password has to be typed again (and is throttled there).

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use chrono::Utc;
use serde::Deserialize;

use crate::audit::{self, Action};
use crate::auth::staff::{self, StaffUser};
use crate::auth::totp::{self, SecondFactor, TwoFactorError};
use crate::backoffice::audit_entry;
use crate::backoffice::auth::complete_sign_in;
use crate::db::Db;
use crate::web::device;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;
use crate::web::second_step::{self, PendingState};

pub const CODE_PATH: &str = "/admin/entrar/codigo";
/// Where the back-office keeps its half-way state in the session.
const KEYS: second_step::Keys = second_step::Keys {
    user_id: "pending_staff_id",
    since: "pending_since",
    next: "pending_next",
    wrong_codes: "pending_wrong_codes",
};

/// Called by the password step once the password is right: remembers who is half-way and
/// sends the browser to the code page. `next` has already been checked (`safe_next`).
pub fn begin(session: &Session, staff_id: i64, next: &str) -> Result<HttpResponse, AppError> {
    second_step::begin(session, &KEYS, staff_id, next)?;
    Ok(flash::see_other(CODE_PATH))
}

/// Where a request without a live half-way state goes: back to the password.
fn back_to_password(session: &Session, state: PendingState) -> HttpResponse {
    second_step::clear(session, &KEYS);
    match state {
        PendingState::Expired => flash::redirect(
            "/admin/entrar",
            Flash::warning(
                "Han pasado más de cinco minutos desde que escribió la contraseña. Vuelva a identificarse.",
            ),
        ),
        _ => flash::see_other("/admin/entrar"),
    }
}

#[derive(Template)]
#[template(path = "backoffice/login_code.html", blocks = ["content"])]
pub struct SignInCodePage {
    pub ctx: PageContext,
    pub code_error: Option<&'static str>,
}

/// GET /admin/entrar/codigo
pub async fn form(ctx: PageContext, session: Session) -> Result<HttpResponse, AppError> {
    match second_step::read(&session, &KEYS, "/admin")? {
        PendingState::Active(_) => render::html(&SignInCodePage {
            ctx,
            code_error: None,
        }),
        other => Ok(back_to_password(&session, other)),
    }
}

#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    codigo: String,
}

enum Outcome {
    SignedIn {
        user: Box<StaffUser>,
        factor: SecondFactor,
        recovery_codes_left: i64,
    },
    Refused,
    /// The account was disabled, or its second factor reset, since the password step.
    Gone,
}

/// POST /admin/entrar/codigo
pub async fn submit(
    req: HttpRequest,
    ctx: PageContext,
    session: Session,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let pending = match second_step::read(&session, &KEYS, "/admin")? {
        PendingState::Active(pending) => pending,
        other => return Ok(back_to_password(&session, other)),
    };
    let code = form.into_inner().codigo.trim().to_owned();
    if code.is_empty() {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SignInCodePage {
                ctx,
                code_error: Some("Escriba el código de verificación."),
            },
        );
    }

    let staff_id = pending.user_id;
    let origin = meta.clone();
    let outcome = db
        .transaction(move |conn| {
            let Some(user) = staff::find_active(conn, staff_id)? else {
                return Ok(Outcome::Gone);
            };
            match totp::check_login_code(conn, staff_id, &code, Utc::now()) {
                Ok(factor) => {
                    if factor == SecondFactor::RecoveryCode {
                        audit::record(
                            conn,
                            &audit_entry(&user, &origin, Action::RecoveryCodeUsed),
                        )?;
                    }
                    Ok(Outcome::SignedIn {
                        factor,
                        recovery_codes_left: totp::status(conn, staff_id)?.recovery_codes_left,
                        user: Box::new(user),
                    })
                }
                Err(TwoFactorError::InvalidCode) => Ok(Outcome::Refused),
                Err(TwoFactorError::NotEnabled) => Ok(Outcome::Gone),
                Err(other) => Err(other),
            }
        })
        .await?;

    match outcome {
        Outcome::SignedIn {
            user,
            factor,
            recovery_codes_left,
        } => {
            second_step::clear(&session, &KEYS);
            complete_sign_in(&req, &session, &db, &user, &meta).await?;
            tracing::info!(staff_id, ?factor, "second factor accepted");
            let name = &user.name;
            let message = match factor {
                SecondFactor::Totp => format!("Hola, {name}."),
                SecondFactor::RecoveryCode => format!(
                    "Hola, {name}. Ha usado un código de recuperación; le quedan {recovery_codes_left}."
                ),
            };
            let response = flash::redirect(&pending.next, Flash::success(message));
            Ok(device::STAFF.remember(&req, response, user.id))
        }
        Outcome::Gone => Ok(back_to_password(&session, PendingState::Missing)),
        Outcome::Refused => {
            let wrong_codes = pending.wrong_codes + 1;
            tracing::warn!(staff_id, wrong_codes, "wrong second-factor code");
            if wrong_codes >= second_step::MAX_WRONG_CODES {
                second_step::clear(&session, &KEYS);
                return Ok(flash::redirect(
                    "/admin/entrar",
                    Flash::error(
                        "Ha escrito demasiados códigos incorrectos. Vuelva a identificarse con su contraseña.",
                    ),
                ));
            }
            second_step::set_wrong_codes(&session, &KEYS, wrong_codes)?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SignInCodePage {
                    ctx,
                    code_error: Some(
                        "El código no es correcto o ya se ha usado. Escriba el código que muestra ahora su aplicación.",
                    ),
                },
            )
        }
    }
}
