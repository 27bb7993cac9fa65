//! Spanish identifiers and contact data: parse what people type, keep the normalised form.
//!
//! Every type has `parse(&str) -> Result<Self, &'static str>` (the error is the Spanish
//! message shown next to the form field), `as_str()` with the normalised form that the
//! database stores, and `Display`. Input may come in lower case, with spaces, dots or dashes.
//! Pure functions: no database, no HTTP.

mod contact;
mod tax;

pub use contact::{Email, Iban, Phone, Postcode, province_name, provinces};
pub use tax::{Cif, Dni, Nie, TaxId, dni_letter};

/// Upper case without spaces, dots, dashes or slashes.
fn compact_upper(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '/'))
        .flat_map(char::to_uppercase)
        .collect()
}

macro_rules! string_type {
    ($name:ident) => {
        impl $name {
            /// The normalised form, as stored.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_string(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use string_type;
