//! A signed-in person changing their own password (staff in "Mi cuenta", clients in e-SORI
//! "Seguridad"): the current password proves it is them, the new one meets the policy, is
//! typed twice the same and differs from the current one. Hashing runs on the blocking pool.
//!
//! Also what both faces share around password links (invitation, first access, reset): the
//! address a link is asked for, and the new password set through one.

use serde::Deserialize;

use crate::auth::password;
use crate::validation::FieldErrors;

/// The form of both faces: `actual`, `nueva`, `repetida`.
#[derive(Debug, Default, Deserialize)]
pub struct PasswordChangeForm {
    #[serde(default)]
    pub actual: String,
    #[serde(default)]
    pub nueva: String,
    #[serde(default)]
    pub repetida: String,
}

/// The new password's hash, or the Spanish messages to show next to each field.
pub async fn check(
    form: PasswordChangeForm,
    stored_hash: String,
) -> anyhow::Result<Result<String, FieldErrors>> {
    tokio::task::spawn_blocking(move || {
        let PasswordChangeForm {
            actual,
            nueva,
            repetida,
        } = form;
        let current_ok = !actual.is_empty() && password::verify(&actual, &stored_hash);
        let mut errors = FieldErrors::new();
        if actual.is_empty() {
            errors.add("actual", "Escriba su contraseña actual.");
        } else if !current_ok {
            errors.add("actual", "La contraseña actual no es correcta.");
        }
        check_pair(
            &nueva,
            &repetida,
            current_ok.then_some(actual.as_str()),
            &mut errors,
        );
        if errors.is_empty() {
            password::hash(&nueva).map(Ok)
        } else {
            Ok(Err(errors))
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check did not finish: {e}"))?
}

/// The policy on `nueva` (and, when the `current` password is known, that it differs from it)
/// and the repetition in `repetida`, into `errors`.
fn check_pair(nueva: &str, repetida: &str, current: Option<&str>, errors: &mut FieldErrors) {
    if let Err(message) = password::check_policy(nueva) {
        errors.add("nueva", message);
    } else if current == Some(nueva) {
        errors.add(
            "nueva",
            "La nueva contraseña debe ser distinta de la actual.",
        );
    }
    if nueva != repetida {
        errors.add("repetida", "Las dos contraseñas no coinciden.");
    }
}

/// The form behind a password link, on both faces: `nueva`, `repetida`.
#[derive(Debug, Default, Deserialize)]
pub struct NewPasswordForm {
    #[serde(default)]
    pub nueva: String,
    #[serde(default)]
    pub repetida: String,
}

/// The hash of a password set through a link, or the Spanish messages next to each field.
pub async fn check_new(form: NewPasswordForm) -> anyhow::Result<Result<String, FieldErrors>> {
    let mut errors = FieldErrors::new();
    check_pair(&form.nueva, &form.repetida, None, &mut errors);
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    tokio::task::spawn_blocking(move || password::hash(&form.nueva).map(Ok))
        .await
        .map_err(|e| anyhow::anyhow!("password hashing did not finish: {e}"))?
}

/// The address a password link is asked for, normalised, or the message for the `email` field.
pub fn link_request_email(typed: &str) -> Result<String, FieldErrors> {
    let email = crate::auth::staff::normalize_email(typed);
    let mut errors = FieldErrors::new();
    if email.is_empty() {
        errors.add("email", "Escriba su correo electrónico.");
    } else if !crate::auth::staff::is_plausible_email(&email) {
        errors.add("email", "El correo electrónico no tiene un formato válido.");
    }
    if errors.is_empty() {
        Ok(email)
    } else {
        Err(errors)
    }
}
