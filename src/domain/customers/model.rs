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
    /// Set when an attended erasure request blocked the data (see `crate::blocking`).
    pub blocked_at: Option<DateTime<Utc>>,
    pub blocked_until: Option<NaiveDate>,
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

/// The text version of the consent clauses currently shown on forms ([`consent_text`]).
pub const CONSENT_TEXT_VERSION: &str = "clientes-2026-12-v2";

/// The words of the consent clause for `purpose` at [`CONSENT_TEXT_VERSION`], as the forms
/// show them and as each recorded consent keeps them (`legal_texts`).
pub fn consent_text(purpose: ConsentPurpose) -> &'static str {
    match purpose {
        ConsentPurpose::Privacy => {
            "He leído la información sobre protección de datos: la correduría trata mis datos para estudiar, contratar y gestionar mis seguros con las compañías aseguradoras, cobrar los recibos y tramitar los siniestros (ejecución del contrato de mediación y obligaciones legales de la distribución de seguros). Las compañías con las que contrate recibirán los datos necesarios para emitir y gestionar las pólizas; nadie más, salvo obligación legal. Los datos se conservan mientras dure la relación y después durante los plazos legales. Puedo ejercer mis derechos de acceso, rectificación, supresión, oposición, limitación y portabilidad desde e-SORI o escribiendo a la correduría, y reclamar ante la Agencia Española de Protección de Datos."
        }
        ConsentPurpose::Profiling => {
            "Acepto que la correduría analice mis pólizas, siniestros y datos de contacto para ofrecerme seguros adaptados a mi perfil (elaboración de perfiles comerciales, sin decisiones automatizadas con efectos jurídicos). Puedo retirar este consentimiento en cualquier momento desde e-SORI o escribiendo a la correduría."
        }
        ConsentPurpose::Marketing => {
            "Acepto recibir comunicaciones comerciales de la correduría sobre seguros y servicios propios por correo electrónico, teléfono o SMS. Puedo retirar este consentimiento en cualquier momento desde e-SORI o con el enlace de baja que lleva cada comunicación."
        }
    }
}

/// The id of the stored text of `purpose`'s clause (stored the first time it is used).
pub fn consent_text_id(
    conn: &mut diesel::PgConnection,
    purpose: ConsentPurpose,
) -> diesel::QueryResult<i64> {
    crate::distribution::legal_texts::store(
        conn,
        purpose.code(),
        CONSENT_TEXT_VERSION,
        consent_text(purpose),
    )
}
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
    /// The words accepted (or withdrawn), when the row keeps them.
    pub text: Option<String>,
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
