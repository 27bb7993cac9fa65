//! Rows and codes of customers, consents and interactions.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::schema::customers;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = customers)]
#[diesel(check_for_backend(diesel::pg::Pg))]
pub struct Customer {
    pub id: i64,
    pub kind: String,
    pub tax_id: String,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub company_name: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub address_line: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub iban: Option<String>,
    pub segment: String,
    pub tags: Vec<String>,
    pub owner_staff_id: Option<i64>,
    pub notes: String,
    pub merged_into_id: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How to address a customer in a greeting: a person by their given name ("Hola, Paula"),
/// never by the "Apellidos, Nombre" of lists; a company by its name.
pub fn greeting_name(given_name: Option<&str>, display_name: &str) -> String {
    match given_name.map(str::trim).filter(|name| !name.is_empty()) {
        Some(given) => given.to_owned(),
        None => display_name.to_owned(),
    }
}

/// The greeting name of customer `id` (see [`greeting_name`]).
pub fn greeting_name_of(conn: &mut PgConnection, id: i64) -> QueryResult<String> {
    let (given, display): (Option<String>, String) = customers::table
        .find(id)
        .select((customers::given_name, customers::display_name))
        .first(conn)?;
    Ok(greeting_name(given.as_deref(), &display))
}

impl Customer {
    pub fn is_company(&self) -> bool {
        self.kind == Kind::Company.code()
    }

    pub fn segment_label(&self) -> &'static str {
        Segment::parse(&self.segment).map_or("", Segment::label)
    }
}

/// Declares a stored code enum with its Spanish label.
macro_rules! coded {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal, $label:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($variant,)* }

        crate::text_enum!($name);

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            pub fn label(self) -> &'static str {
                match self { $($name::$variant => $label,)* }
            }

            pub fn parse(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }

            /// (code, label) pairs for selects.
            pub fn options() -> Vec<(&'static str, &'static str)> {
                Self::ALL.iter().map(|v| (v.code(), v.label())).collect()
            }
        }
    };
}

coded!(
    /// Person (DNI/NIE) or company (CIF).
    Kind {
        Person => "person", "Persona";
        Company => "company", "Empresa";
    }
);

coded!(
    Segment {
        Individual => "individual", "Particular";
        SelfEmployed => "self_employed", "Autónomo";
        SmallBusiness => "small_business", "Pyme";
        Corporate => "corporate", "Gran empresa";
    }
);

coded!(
    /// What an RGPD consent is for.
    ConsentPurpose {
        Privacy => "privacy", "Tratamiento de datos (privacidad)";
        Marketing => "marketing", "Comunicaciones comerciales";
        Profiling => "profiling", "Elaboración de perfiles";
    }
);

coded!(
    InteractionKind {
        Call => "call", "Llamada";
        Email => "email", "Correo electrónico";
        Whatsapp => "whatsapp", "WhatsApp";
        Meeting => "meeting", "Reunión";
        Note => "note", "Nota";
    }
);

/// The text version of the consent clauses currently shown on forms.
pub const CONSENT_TEXT_VERSION: &str = "v1";
/// Source of consents recorded by staff.
pub const CONSENT_SOURCE_BACKOFFICE: &str = "back-office";

/// The current state of one purpose: the latest row recorded for it.
#[derive(Debug, Clone)]
pub struct ConsentState {
    pub purpose: ConsentPurpose,
    /// `None` when never recorded.
    pub granted: Option<bool>,
    pub text_version: String,
    pub source: String,
    pub recorded_at: Option<DateTime<Utc>>,
}

/// An interaction as the timeline shows it.
#[derive(Debug, Clone)]
pub struct Interaction {
    pub id: i64,
    pub customer_id: i64,
    pub kind: InteractionKind,
    pub summary: String,
    pub occurred_at: DateTime<Utc>,
    pub staff_name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_person_is_greeted_by_given_name_and_a_company_by_its_name() {
        assert_eq!(
            greeting_name(Some("Paula"), "López Rodríguez, Paula"),
            "Paula"
        );
        assert_eq!(
            greeting_name(Some("  "), "Talleres Gil, S.L."),
            "Talleres Gil, S.L."
        );
        assert_eq!(
            greeting_name(None, "Talleres Gil, S.L."),
            "Talleres Gil, S.L."
        );
    }
}
