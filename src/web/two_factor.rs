//! The second factor's settings page as both faces have it (back-office "Mi cuenta → Verificación
//! en dos pasos" and e-SORI "Seguridad"): the secret being enrolled kept in the session until a
//! code confirms it, its QR code and key, the throttle on codes and passwords typed there, the
//! messages, and the rule that pages showing a secret or recovery codes are never cached. Each
//! face brings its own account, rules (the staff policy, the client's row-level role) and
//! templates; see [`crate::web::second_step`] for the second step of signing in.

use actix_session::Session;
use actix_web::HttpResponse;
use actix_web::http::header::{self, HeaderValue};
use chrono::{DateTime, Utc};

use crate::auth::throttle::{self, Attempt};
use crate::auth::totp;
use crate::db::{Db, DbError};
use crate::web::error::AppError;
use crate::web::second_step::session_error;

/// A code that does not confirm the enrolment.
pub const WRONG_ENROL_CODE: &str = "El código no es correcto. Compruebe que la hora del móvil es la correcta y escriba el código de seis cifras que muestra ahora la aplicación.";
/// A current code that does not match (or was used already).
pub const WRONG_CODE: &str = "El código no es correcto o ya se ha usado. Escriba el código de seis cifras que muestra ahora la aplicación.";
pub const CODE_MISSING: &str = "Escriba el código de su aplicación de autenticación.";
pub const PASSWORD_MISSING: &str = "Escriba su contraseña.";
pub const WRONG_PASSWORD: &str = "La contraseña no es correcta.";
pub const THROTTLED: &str =
    "Demasiados intentos fallidos. Espere unos minutos y vuelva a intentarlo.";
pub const EXPIRED: &str = "La página había caducado. Escanee de nuevo el código QR.";
pub const ALREADY_ENABLED: &str = "La verificación en dos pasos ya estaba activada.";
pub const NOT_ENABLED: &str = "La verificación en dos pasos no estaba activada.";
pub const ENABLE_FIRST: &str = "Active primero la verificación en dos pasos.";
pub const DISABLED: &str = "Ha desactivado la verificación en dos pasos.";

/// What the enrolment form shows while the second factor is off.
pub struct Enrolment {
    /// Inline `<svg>` drawn by `totp::qr_svg` from our own otpauth URL (no user-typed text).
    pub qr_svg: String,
    /// For a phone: opens the authenticator app directly.
    pub otpauth_url: String,
    /// The secret in groups of four, for typing it by hand.
    pub key_groups: String,
}

/// The enrolment to show: none when the factor is `enabled` (and any secret in the session
/// under `key` is dropped); otherwise the secret kept there (a new one the first time), drawn
/// for the account `email`.
pub fn enrolment(
    session: &Session,
    key: &str,
    enabled: bool,
    email: &str,
) -> Result<Option<Enrolment>, AppError> {
    if enabled {
        session.remove(key);
        return Ok(None);
    }
    let secret = match session.get::<String>(key).map_err(session_error)? {
        Some(secret) => secret,
        None => {
            let secret = totp::new_secret();
            session.insert(key, &secret).map_err(session_error)?;
            secret
        }
    };
    let url = totp::otpauth_url(&secret, email)?;
    Ok(Some(Enrolment {
        qr_svg: totp::qr_svg(&url)?,
        otpauth_url: url,
        key_groups: group_key(&secret),
    }))
}

/// The secret being enrolled, if the session still holds it.
pub fn enrolling(session: &Session, key: &str) -> Result<Option<String>, AppError> {
    session.get::<String>(key).map_err(session_error)
}

fn group_key(secret: &str) -> String {
    secret
        .as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Pages that show a secret or recovery codes must not stay in any cache.
pub fn no_store(mut response: HttpResponse) -> HttpResponse {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Lets an attempt of `key` (a password or code typed on the settings page) from `ip`
/// through, recorded as a failure until [`succeeded`] says otherwise, or says how many
/// seconds to wait: wrong tries here count like wrong sign-ins, under their own key.
pub async fn reserve(
    db: &Db,
    key: String,
    ip: String,
    now: DateTime<Utc>,
) -> Result<Result<Attempt, i64>, AppError> {
    Ok(db
        .run(move |conn| Ok::<_, DbError>(throttle::reserve(conn, &key, &ip, None, now)?))
        .await?)
}

pub async fn succeeded(db: &Db, attempt: Attempt, now: DateTime<Utc>) -> Result<(), AppError> {
    db.run(move |conn| Ok::<_, DbError>(throttle::succeeded(conn, &attempt, now)?))
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_shown_in_groups_of_four() {
        assert_eq!(group_key("ABCDEFGHIJ"), "ABCD EFGH IJ");
    }
}
