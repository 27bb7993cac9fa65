//! Password hashing with argon2id at OWASP's recommended parameters, and the password policy.
//!
//! Hashing takes tens of milliseconds by design, so callers in request handlers run it on the
//! blocking pool (`web::block`), never on an async worker.

use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

pub const MIN_LENGTH: usize = 12;
pub const MAX_LENGTH: usize = 128;

/// OWASP (2024): argon2id, 19 MiB, 2 iterations, 1 lane.
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub fn hash(password: &str) -> anyhow::Result<String> {
    hasher()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("cannot hash password: {e}"))
}

/// Whether `password` matches the stored PHC string. A malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => hasher()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Whether a stored hash was made with other parameters than today's (older, weaker ones):
/// the sign-in that proves the password rehashes it.
pub fn needs_rehash(stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => {
            let current = hasher();
            let params = current.params();
            let expected = format!(
                "m={},t={},p={}",
                params.m_cost(),
                params.t_cost(),
                params.p_cost()
            );
            parsed.algorithm.as_str() != "argon2id" || parsed.params.to_string() != expected
        }
        Err(_) => false,
    }
}

/// A hash to verify against when the account does not exist, so that an unknown e-mail costs
/// the same time as a wrong password and timing does not reveal which accounts exist.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash("not-a-real-password-0000").unwrap_or_default());
    &DUMMY
}

/// Common passwords shipped with the app (one per line, lower case; see COMMON_PASSWORDS.md).
static COMMON: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
    std::sync::LazyLock::new(|| include_str!("common_passwords.txt").lines().collect());

/// The policy of NIST SP 800-63B / ASVS: length only, no composition rules, and not a known
/// common password. Returns the Spanish message to show next to the field.
pub fn check_policy(password: &str) -> Result<(), &'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        return Err("La contraseña debe tener al menos 12 caracteres.");
    }
    if length > MAX_LENGTH {
        return Err("La contraseña no puede tener más de 128 caracteres.");
    }
    let lower = password.to_lowercase();
    if COMMON.contains(lower.as_str()) {
        return Err("Esa contraseña es demasiado común: elija otra.");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_use_argon2id() {
        let stored = hash("correct horse battery staple").unwrap();
        assert!(
            stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{stored}"
        );
        assert!(verify("correct horse battery staple", &stored));
        assert!(!verify("correct horse battery stapler", &stored));
        assert!(!verify("anything", "not a hash"));
        assert!(!needs_rehash(&stored));
    }

    #[test]
    fn weaker_hashes_are_flagged_for_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(b"correct horse battery staple")
        .unwrap()
        .to_string();
        assert!(
            verify("correct horse battery staple", &weak),
            "old hashes still verify"
        );
        assert!(needs_rehash(&weak));
    }

    #[test]
    fn policy_checks_length_and_common_passwords() {
        assert!(check_policy("short").is_err());
        assert!(check_policy(&"x".repeat(129)).is_err());
        assert_eq!(
            check_policy("Password1234"),
            Err("Esa contraseña es demasiado común: elija otra.")
        );
        assert!(check_policy("un caballo verde en la playa").is_ok());
        // From the SecLists list, whatever the case.
        assert!(check_policy("Qwertyuiop123").is_err());
    }
}
