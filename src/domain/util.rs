//! Small helpers with no domain meaning: randomness, hashing, keyed signatures.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

/// `len` bytes from the operating system's CSPRNG.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    getrandom::fill(&mut bytes).expect("the operating system's random source failed");
    bytes
}

/// An unguessable URL-safe token carrying `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    URL_SAFE_NO_PAD.encode(random_bytes(bytes))
}

/// Lower-case hex SHA-256 of `data`.
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    // Every signed-in request hashes its session key: a table, not a `format!` per byte.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0x0f)] as char);
    }
    out
}

/// URL-safe HMAC-SHA256 of `message` under `key`.
pub fn hmac_token(key: &[u8], message: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC accepts keys of any length");
    mac.update(message);
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Compares two secrets in time independent of where they differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Derives an independent sub-key for one purpose from the master secret.
pub fn derive_key(master: &[u8], purpose: &str) -> Vec<u8> {
    let mut mac =
        Hmac::<sha2::Sha512>::new_from_slice(master).expect("HMAC accepts keys of any length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// Latin letters without their accents (`"Mutua Madrileña"` → `"Mutua Madrilena"`): for
/// codes and identifiers made from names. Other non-ASCII characters are kept.
pub fn without_accents(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            'á' | 'à' | 'ä' | 'â' => 'a',
            'é' | 'è' | 'ë' | 'ê' => 'e',
            'í' | 'ì' | 'ï' | 'î' => 'i',
            'ó' | 'ò' | 'ö' | 'ô' => 'o',
            'ú' | 'ù' | 'ü' | 'û' => 'u',
            'ñ' => 'n',
            'ç' => 'c',
            'Á' | 'À' | 'Ä' | 'Â' => 'A',
            'É' | 'È' | 'Ë' | 'Ê' => 'E',
            'Í' | 'Ì' | 'Ï' | 'Î' => 'I',
            'Ó' | 'Ò' | 'Ö' | 'Ô' => 'O',
            'Ú' | 'Ù' | 'Ü' | 'Û' => 'U',
            'Ñ' => 'N',
            'Ç' => 'C',
            other => other,
        })
        .collect()
}

/// A lower-case code of `name` (`"Hogar Plus 2"` → `"hogar-plus-2"`), at most `max` bytes:
/// letters and digits, words joined by hyphens.
pub fn code_of(name: &str, max: usize) -> String {
    let mut code = String::new();
    for c in without_accents(name).to_ascii_lowercase().chars() {
        if c.is_ascii_alphanumeric() {
            code.push(c);
        } else if !code.is_empty() && !code.ends_with('-') {
            code.push('-');
        }
    }
    code.truncate(max);
    code.trim_end_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_url_safe() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }

    #[test]
    fn hmac_depends_on_key_and_message() {
        assert_eq!(hmac_token(b"k", b"m"), hmac_token(b"k", b"m"));
        assert_ne!(hmac_token(b"k", b"m"), hmac_token(b"k2", b"m"));
        assert_ne!(hmac_token(b"k", b"m"), hmac_token(b"k", b"m2"));
    }

    #[test]
    fn hex_is_lower_case_two_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn constant_time_eq_compares_content() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        assert_ne!(
            derive_key(b"master", "csrf"),
            derive_key(b"master", "cookies")
        );
        assert_eq!(derive_key(b"master", "csrf").len(), 64);
    }

    #[test]
    fn codes_of_names_are_lower_case_ascii_words() {
        assert_eq!(code_of("Mutua Madrileña", 32), "mutua-madrilena");
        assert_eq!(code_of("  Hogar Plus (2) ", 32), "hogar-plus-2");
        assert_eq!(code_of("Vida riesgo", 6), "vida-r");
        assert_eq!(code_of("Vida -- x", 5), "vida");
    }
}
