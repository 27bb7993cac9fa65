//! Validation of the customer form: raw strings in, a [`ValidCustomer`] or Spanish messages
//! by field out.

use chrono::NaiveDate;
use serde::Deserialize;

use super::model::{Customer, Kind, Segment};
use crate::identifiers::{Email, Iban, Phone, Postcode, TaxId};
use crate::validation::{FieldErrors, parse_date};

/// The customer form as typed (field names are the form's, in Spanish).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CustomerForm {
    /// `person` or `company`.
    pub tipo: String,
    pub nombre: String,
    pub apellidos: String,
    pub razon_social: String,
    pub nif: String,
    pub email: String,
    pub telefono: String,
    pub fecha_nacimiento: String,
    pub direccion: String,
    pub codigo_postal: String,
    pub localidad: String,
    pub iban: String,
    pub segmento: String,
    /// Comma-separated.
    pub etiquetas: String,
    /// Owner agent id (admins and supervisors choose).
    pub agente: String,
    pub notas: String,
    /// Checkboxes: present when ticked.
    pub consentimiento_privacidad: Option<String>,
    pub consentimiento_comercial: Option<String>,
    /// "crear de todos modos": create although the e-mail or phone is already used.
    pub confirmar_duplicado: Option<String>,
}

impl CustomerForm {
    /// The form filled with what `c` holds now (editing, or an import that changes only
    /// the columns it brings).
    pub fn of(c: &Customer) -> CustomerForm {
        CustomerForm {
            tipo: c.kind.clone(),
            nombre: c.given_name.clone().unwrap_or_default(),
            apellidos: c.family_name.clone().unwrap_or_default(),
            razon_social: c.company_name.clone().unwrap_or_default(),
            nif: c.tax_id.clone(),
            email: c.email.clone().unwrap_or_default(),
            telefono: c.phone.clone().unwrap_or_default(),
            fecha_nacimiento: c
                .birth_date
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
            direccion: c.address_line.clone().unwrap_or_default(),
            codigo_postal: c.postcode.clone().unwrap_or_default(),
            localidad: c.city.clone().unwrap_or_default(),
            iban: c
                .iban
                .as_deref()
                .and_then(|i| Iban::parse(i).ok())
                .map(|i| i.grouped())
                .unwrap_or_default(),
            segmento: c.segment.clone(),
            etiquetas: c.tags.join(", "),
            agente: c
                .owner_staff_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
            notas: c.notes.clone(),
            consentimiento_privacidad: None,
            consentimiento_comercial: None,
            confirmar_duplicado: None,
        }
    }
}

/// A customer ready to be stored: every value normalised.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidCustomer {
    pub kind: Kind,
    pub tax_id: TaxId,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub company_name: Option<String>,
    pub display_name: String,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub birth_date: Option<NaiveDate>,
    pub address_line: Option<String>,
    pub postcode: Option<Postcode>,
    pub city: Option<String>,
    pub province: Option<String>,
    pub iban: Option<Iban>,
    pub segment: Segment,
    pub tags: Vec<String>,
    pub owner_staff_id: Option<i64>,
    pub notes: String,
}

/// "Apellidos, Nombre" for people, the company name for companies.
pub fn display_name(kind: Kind, given: &str, family: &str, company: &str) -> String {
    match kind {
        Kind::Person => format!("{}, {}", family.trim(), given.trim()),
        Kind::Company => company.trim().to_owned(),
    }
}

fn text(value: &str, field: &'static str, max: usize, errors: &mut FieldErrors) -> Option<String> {
    let value = value.trim();
    if value.chars().count() > max {
        errors.add(field, format!("Como mucho {max} caracteres."));
    }
    Some(value.to_owned()).filter(|v| !v.is_empty())
}

fn optional<T>(
    value: &str,
    field: &'static str,
    parse: impl Fn(&str) -> Result<T, &'static str>,
    errors: &mut FieldErrors,
) -> Option<T> {
    if value.trim().is_empty() {
        return None;
    }
    match parse(value) {
        Ok(parsed) => Some(parsed),
        Err(message) => {
            errors.add(field, message);
            None
        }
    }
}

/// Tags typed as "vip, taxi, Flota": trimmed, lower case, unique, in order.
pub fn parse_tags(text: &str) -> Vec<String> {
    let mut tags: Vec<String> = Vec::new();
    for tag in text.split(',') {
        let tag = tag.trim().to_lowercase();
        if !tag.is_empty() && tag.chars().count() <= 40 && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    tags.truncate(20);
    tags
}

/// Checks every field; `owner_staff_id` is decided by the caller (an agent's customers are
/// theirs), so `agente` is only read for its shape here.
pub fn validate(form: &CustomerForm) -> Result<ValidCustomer, FieldErrors> {
    let mut errors = FieldErrors::new();
    let kind = match form.tipo.trim() {
        "" | "person" => Kind::Person,
        "company" => Kind::Company,
        _ => {
            errors.add("tipo", "Elija persona o empresa.");
            Kind::Person
        }
    };
    let (given_name, family_name, company_name) = match kind {
        Kind::Person => {
            let given = text(&form.nombre, "nombre", 80, &mut errors);
            let family = text(&form.apellidos, "apellidos", 120, &mut errors);
            if given.is_none() {
                errors.add("nombre", "Escriba el nombre.");
            }
            if family.is_none() {
                errors.add("apellidos", "Escriba los apellidos.");
            }
            (given, family, None)
        }
        Kind::Company => {
            let company = text(&form.razon_social, "razon_social", 200, &mut errors);
            if company.is_none() {
                errors.add("razon_social", "Escriba la razón social.");
            }
            (None, None, company)
        }
    };
    let tax_id = match kind {
        Kind::Person => TaxId::parse_person(&form.nif),
        Kind::Company => TaxId::parse_company(&form.nif),
    }
    .map_err(|message| errors.add("nif", message))
    .ok();
    let email = optional(&form.email, "email", Email::parse, &mut errors);
    let phone = optional(&form.telefono, "telefono", Phone::parse, &mut errors);
    let birth_date = optional(
        &form.fecha_nacimiento,
        "fecha_nacimiento",
        parse_date,
        &mut errors,
    );
    if let Some(date) = birth_date {
        let today = chrono::Utc::now().date_naive();
        if date > today || date < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(date) {
            errors.add("fecha_nacimiento", "Revise la fecha de nacimiento.");
        }
    }
    let address_line = text(&form.direccion, "direccion", 200, &mut errors);
    let postcode = optional(
        &form.codigo_postal,
        "codigo_postal",
        Postcode::parse,
        &mut errors,
    );
    let city = text(&form.localidad, "localidad", 100, &mut errors);
    let iban = optional(&form.iban, "iban", Iban::parse, &mut errors);
    let segment = match form.segmento.trim() {
        "" => Segment::Individual,
        code => Segment::parse(code).unwrap_or_else(|| {
            errors.add("segmento", "Elija un segmento.");
            Segment::Individual
        }),
    };
    let owner_staff_id = match form.agente.trim() {
        "" => None,
        id => match id.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("agente", "Elija un agente.");
                None
            }
        },
    };
    let notes = text(&form.notas, "notas", 4000, &mut errors).unwrap_or_default();
    match tax_id {
        Some(tax_id) if errors.is_empty() => {
            let display = display_name(
                kind,
                given_name.as_deref().unwrap_or_default(),
                family_name.as_deref().unwrap_or_default(),
                company_name.as_deref().unwrap_or_default(),
            );
            Ok(ValidCustomer {
                kind,
                tax_id,
                given_name,
                family_name,
                company_name,
                display_name: display,
                province: postcode.as_ref().map(|p| p.province_name().to_owned()),
                email,
                phone,
                birth_date,
                address_line,
                postcode,
                city,
                iban,
                segment,
                tags: parse_tags(&form.etiquetas),
                owner_staff_id,
                notes,
            })
        }
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person() -> CustomerForm {
        CustomerForm {
            tipo: "person".into(),
            nombre: " Ana ".into(),
            apellidos: "García López".into(),
            nif: "12345678-z".into(),
            email: "Ana@Ejemplo.es".into(),
            telefono: "+34 600 12 34 56".into(),
            codigo_postal: "28001".into(),
            etiquetas: "VIP, taxi, vip".into(),
            ..CustomerForm::default()
        }
    }

    #[test]
    fn a_valid_person_is_normalised() {
        let valid = validate(&person()).unwrap();
        assert_eq!(valid.display_name, "García López, Ana");
        assert_eq!(valid.tax_id.as_str(), "12345678Z");
        assert_eq!(valid.email.unwrap().as_str(), "ana@ejemplo.es");
        assert_eq!(valid.phone.unwrap().as_str(), "600123456");
        assert_eq!(valid.province.as_deref(), Some("Madrid"));
        assert_eq!(valid.tags, vec!["vip", "taxi"]);
    }

    #[test]
    fn each_bad_field_gets_its_message() {
        let form = CustomerForm {
            nombre: String::new(),
            nif: "12345678A".into(),
            telefono: "12345".into(),
            codigo_postal: "99999".into(),
            iban: "ES0000000000000000000000".into(),
            ..person()
        };
        let errors = validate(&form).unwrap_err();
        for field in ["nombre", "nif", "telefono", "codigo_postal", "iban"] {
            assert!(errors.has(field), "{field}");
        }
        assert!(!errors.has("email"));
    }

    #[test]
    fn companies_need_a_cif_and_a_name() {
        let form = CustomerForm {
            tipo: "company".into(),
            razon_social: "Transportes Soriano SL".into(),
            nif: "B12345674".into(),
            ..CustomerForm::default()
        };
        assert_eq!(
            validate(&form).unwrap().display_name,
            "Transportes Soriano SL"
        );
        let errors = validate(&CustomerForm {
            nif: "12345678Z".into(),
            razon_social: String::new(),
            ..form
        })
        .unwrap_err();
        assert!(errors.has("nif") && errors.has("razon_social"));
    }
}
