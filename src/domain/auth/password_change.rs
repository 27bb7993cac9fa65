//! A signed-in person changing their own password (staff in "Mi cuenta", clients in e-SORI
//! "Seguridad"): the current password proves it is them, the new one meets the policy, is
//! typed twice the same and differs from the current one. Hashing runs on the blocking pool.

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
        if let Err(message) = password::check_policy(&nueva) {
            errors.add("nueva", message);
        } else if current_ok && nueva == actual {
            errors.add(
                "nueva",
                "La nueva contraseña debe ser distinta de la actual.",
            );
        }
        if nueva != repetida {
            errors.add("repetida", "Las dos contraseñas no coinciden.");
        }
        if errors.is_empty() {
            password::hash(&nueva).map(Ok)
        } else {
            Ok(Err(errors))
        }
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check did not finish: {e}"))?
}
