//! What the catalogue forms share: trimmed texts with their limits, and codes made from names.

use diesel::QueryResult;

use crate::util::code_of;
use crate::validation::FieldErrors;

/// A required text of at most `max` characters, trimmed.
pub fn required(
    errors: &mut FieldErrors,
    field: &'static str,
    text: &str,
    max: usize,
    missing: &'static str,
) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, missing);
    } else if text.chars().count() > max {
        errors.add(field, format!("Escriba como mucho {max} caracteres."));
    }
    text.to_owned()
}

/// An optional text of at most `max` characters, trimmed.
pub fn optional(errors: &mut FieldErrors, field: &'static str, text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() > max {
        errors.add(field, format!("Escriba como mucho {max} caracteres."));
    }
    text.to_owned()
}

/// A code for a new entry from its `name` (at most `max` bytes; `fallback` when the name has
/// no letters), with `-2`, `-3`... until `taken` says it is free.
pub fn free_code(
    name: &str,
    max: usize,
    fallback: &str,
    mut taken: impl FnMut(&str) -> QueryResult<bool>,
) -> QueryResult<String> {
    let base = match code_of(name, max) {
        code if code.len() >= 2 => code,
        _ => fallback.to_owned(),
    };
    let mut code = base.clone();
    let mut n = 2;
    while taken(&code)? {
        code = format!("{base}-{n}");
        n += 1;
    }
    Ok(code)
}
