//! A landing's form definition (which fields, of which type, which required) and the
//! validation of a visitor's answers against it, with Spanish messages per field.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::identifiers::{Email, Phone, Postcode};

/// Longest answer kept for a text field; longer ones are an error message, not a truncation.
pub const MAX_TEXT: usize = 200;
/// Longest answer of a several-line field (a message).
pub const MAX_LONG_TEXT: usize = 2_000;
/// Most fields a form may define (the editor refuses more).
pub const MAX_FIELDS: usize = 20;

/// The fixed set of field types a landing's form can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Text,
    /// Several lines of text (a `<textarea>`), up to [`MAX_LONG_TEXT`] characters.
    Textarea,
    Email,
    Phone,
    Postcode,
    Select,
    Checkbox,
    Date,
}

impl FieldKind {
    /// The `type` of the `<input>` that asks for it.
    pub fn input_type(self) -> &'static str {
        match self {
            Self::Text | Self::Textarea | Self::Postcode | Self::Select | Self::Checkbox => "text",
            Self::Email => "email",
            Self::Phone => "tel",
            Self::Date => "date",
        }
    }

    pub fn autocomplete(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Phone => "tel",
            Self::Postcode => "postal-code",
            _ => "off",
        }
    }
}

/// One field of the form. `name` is what the browser sends; `nombre`, and the fields of type
/// e-mail, phone and postcode, fill the lead's own columns; the rest go to the submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FormField {
    pub name: String,
    pub label: String,
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<String>,
}

/// The name of the field that holds the visitor's name (the lead's `full_name`).
pub const NAME_FIELD: &str = "nombre";

/// Names the page itself uses in the form; a field may not take them.
const RESERVED: [&str; 12] = [
    "csrf_token",
    "form_token",
    "inicio",
    "sitio_web",
    "variante",
    "privacidad",
    "comunicaciones",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];

/// Checks a form definition typed in the back-office; the message says what to fix.
pub fn check_definition(fields: &[FormField]) -> Result<(), String> {
    if fields.len() > MAX_FIELDS {
        return Err(format!(
            "El formulario admite como mucho {MAX_FIELDS} campos."
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for field in fields {
        let name_ok = !field.name.is_empty()
            && field.name.len() <= 40
            && field
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(format!(
                "El nombre de campo «{}» solo puede llevar minúsculas sin acentos, cifras y _.",
                field.name
            ));
        }
        if RESERVED.contains(&field.name.as_str()) || field.name == "referrer" {
            return Err(format!(
                "El nombre de campo «{}» está reservado.",
                field.name
            ));
        }
        if !seen.insert(field.name.as_str()) {
            return Err(format!("El campo «{}» aparece dos veces.", field.name));
        }
        if field.label.trim().is_empty() || field.label.len() > 200 {
            return Err(format!(
                "El campo «{}» necesita una etiqueta (hasta 200 caracteres).",
                field.name
            ));
        }
        if field.kind == FieldKind::Select && field.options.is_empty() {
            return Err(format!(
                "El desplegable «{}» necesita al menos una opción.",
                field.name
            ));
        }
    }
    match fields.iter().find(|f| f.name == NAME_FIELD) {
        Some(f) if f.kind == FieldKind::Text && f.required => {}
        _ => {
            return Err(
                "El formulario necesita un campo «nombre» de tipo text y obligatorio.".to_owned(),
            );
        }
    }
    let contact_required = fields
        .iter()
        .any(|f| f.required && matches!(f.kind, FieldKind::Email | FieldKind::Phone));
    if !contact_required {
        return Err(
            "El formulario necesita un campo obligatorio de correo (email) o de teléfono (phone)."
                .to_owned(),
        );
    }
    Ok(())
}

/// Parses the JSON of a form definition typed in the back-office.
pub fn parse_definition(json: &str) -> Result<Vec<FormField>, String> {
    let fields: Vec<FormField> = serde_json::from_str(json).map_err(|e| {
        format!("El formulario no es un JSON válido ({e}). Revise comas, comillas y corchetes.")
    })?;
    check_definition(&fields)?;
    Ok(fields)
}

/// The answers of a valid submission, normalised.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Answers {
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    /// Every field by name, as stored in the submission's payload.
    pub values: BTreeMap<String, String>,
}

/// Messages by field name (dynamic names, so not `FieldErrors`).
pub type Errors = BTreeMap<String, String>;

/// Validates `raw` (name → value as sent) against `fields`.
pub fn validate(fields: &[FormField], raw: &BTreeMap<String, String>) -> Result<Answers, Errors> {
    let mut errors = Errors::new();
    let mut answers = Answers::default();
    for field in fields {
        let value = raw.get(&field.name).map(|v| v.trim()).unwrap_or_default();
        if value.is_empty() {
            if field.required {
                let message = match field.kind {
                    FieldKind::Checkbox => format!("Marque «{}» para continuar.", field.label),
                    FieldKind::Select => "Elija una opción.".to_owned(),
                    FieldKind::Email => "Escriba su correo electrónico.".to_owned(),
                    FieldKind::Phone => "Escriba su teléfono.".to_owned(),
                    FieldKind::Postcode => "Escriba su código postal.".to_owned(),
                    FieldKind::Date => "Escriba la fecha.".to_owned(),
                    FieldKind::Text | FieldKind::Textarea => format!("Rellene «{}».", field.label),
                };
                errors.insert(field.name.clone(), message);
            }
            continue;
        }
        let typed = value.chars().count();
        let normalised: Result<String, String> = match field.kind {
            FieldKind::Text if typed > MAX_TEXT => Err(too_long(MAX_TEXT, typed)),
            _ if typed > MAX_LONG_TEXT => Err(too_long(MAX_LONG_TEXT, typed)),
            FieldKind::Text | FieldKind::Textarea => Ok(value.to_owned()),
            FieldKind::Email => Email::parse(value)
                .map(|e| e.to_string())
                .map_err(str::to_owned),
            FieldKind::Phone => Phone::parse(value)
                .map(|p| p.to_string())
                .map_err(str::to_owned),
            FieldKind::Postcode => Postcode::parse(value)
                .map(|p| p.to_string())
                .map_err(str::to_owned),
            FieldKind::Select => {
                if field.options.iter().any(|o| o == value) {
                    Ok(value.to_owned())
                } else {
                    Err("Elija una de las opciones de la lista.".to_owned())
                }
            }
            FieldKind::Checkbox => Ok("sí".to_owned()),
            FieldKind::Date => crate::validation::parse_date(value)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .map_err(str::to_owned),
        };
        match normalised {
            Ok(v) => {
                match field.kind {
                    FieldKind::Email if answers.email.is_none() => answers.email = Some(v.clone()),
                    FieldKind::Phone if answers.phone.is_none() => answers.phone = Some(v.clone()),
                    FieldKind::Postcode if answers.postcode.is_none() => {
                        answers.postcode = Some(v.clone())
                    }
                    _ => {}
                }
                if field.name == NAME_FIELD {
                    answers.full_name = v.clone();
                }
                answers.values.insert(field.name.clone(), v);
            }
            Err(message) => {
                errors.insert(field.name.clone(), message);
            }
        }
    }
    if errors.is_empty() && answers.email.is_none() && answers.phone.is_none() {
        // Every definition requires one of them; this guards against a definition edited
        // directly in the database.
        errors.insert(
            NAME_FIELD.to_owned(),
            "Déjenos un correo o un teléfono para contactarle.".to_owned(),
        );
    }
    if errors.is_empty() && answers.full_name.is_empty() {
        errors.insert(NAME_FIELD.to_owned(), "Escriba su nombre.".to_owned());
    }
    if errors.is_empty() {
        Ok(answers)
    } else {
        Err(errors)
    }
}

/// "Máximo 2.000 caracteres (ha escrito 2.345)." — the limit said next to the field, with the
/// text kept in it.
fn too_long(max: usize, typed: usize) -> String {
    format!(
        "Máximo {} caracteres (ha escrito {}).",
        crate::format::thousands(max as i64),
        crate::format::thousands(typed as i64)
    )
}

/// The form of the contact page (`/contacto`), which also becomes a lead.
pub fn contact_fields() -> Vec<FormField> {
    let field = |name: &str, label: &str, kind, required| FormField {
        name: name.to_owned(),
        label: label.to_owned(),
        kind,
        required,
        options: vec![],
    };
    vec![
        field(NAME_FIELD, "Nombre y apellidos", FieldKind::Text, true),
        field("email", "Correo electrónico", FieldKind::Email, true),
        // The form adds "(opcional)" to fields that are not required.
        field("telefono", "Teléfono", FieldKind::Phone, false),
        field(
            "mensaje",
            "¿En qué podemos ayudarle?",
            FieldKind::Textarea,
            true,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_contact_form_is_a_valid_definition() {
        assert_eq!(check_definition(&contact_fields()), Ok(()));
    }

    #[test]
    fn answers_are_normalised_and_errors_are_per_field() {
        let fields = contact_fields();
        let ok = validate(
            &fields,
            &raw(&[
                ("nombre", " Ana Pérez "),
                ("email", "ANA@Example.es"),
                ("telefono", "+34 600 11 22 33"),
                ("mensaje", "Hola"),
            ]),
        )
        .unwrap();
        assert_eq!(ok.full_name, "Ana Pérez");
        assert_eq!(ok.email.as_deref(), Some("ana@example.es"));
        assert_eq!(ok.phone.as_deref(), Some("600112233"));
        let errors = validate(&fields, &raw(&[("email", "x@"), ("telefono", "12")])).unwrap_err();
        assert!(errors.contains_key("nombre"));
        assert!(errors.contains_key("email"));
        assert!(errors.contains_key("telefono"));
        assert!(errors.contains_key("mensaje"));
    }

    #[test]
    fn long_answers_say_the_limit_in_spanish() {
        let fields = contact_fields();
        let message = "á".repeat(MAX_LONG_TEXT);
        let ok = validate(
            &fields,
            &raw(&[
                ("nombre", "Ana"),
                ("email", "ana@example.es"),
                ("mensaje", &message),
            ]),
        );
        assert!(ok.is_ok(), "2.000 accented characters fit");
        let longer = format!("{message}ab");
        let errors = validate(
            &fields,
            &raw(&[("nombre", &"n".repeat(201)), ("mensaje", &longer)]),
        )
        .unwrap_err();
        assert_eq!(
            errors["mensaje"],
            "Máximo 2.000 caracteres (ha escrito 2.002)."
        );
        assert_eq!(errors["nombre"], "Máximo 200 caracteres (ha escrito 201).");
    }

    #[test]
    fn definitions_need_a_name_and_a_contact_field() {
        assert!(parse_definition("[]").is_err());
        assert!(parse_definition("no json").is_err());
        let mut fields = contact_fields();
        fields[0].name = "csrf_token".into();
        assert!(check_definition(&fields).is_err());
    }
}
