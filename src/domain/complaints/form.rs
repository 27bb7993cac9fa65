//! The complaint form as typed (the public one, e-SORI's and the back-office's share it; the
//! field names are the form's, in Spanish) and its checks.

use chrono::NaiveDate;
use serde::Deserialize;

use super::{Channel, Kind};
use crate::identifiers::{Email, Phone, TaxId};
use crate::validation::{FieldErrors, parse_date};

pub const MAX_SUBJECT: usize = 200;
pub const MAX_DESCRIPTION: usize = 8000;
/// Fields that may hold line breaks.
pub const MULTILINE: [&str; 1] = ["descripcion"];

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ComplaintForm {
    #[serde(default)]
    pub tipo: String,
    /// Back-office only: where it came in.
    #[serde(default)]
    pub canal: String,
    #[serde(default)]
    pub nombre: String,
    #[serde(default)]
    pub correo: String,
    #[serde(default)]
    pub telefono: String,
    #[serde(default)]
    pub nif: String,
    #[serde(default)]
    pub asunto: String,
    #[serde(default)]
    pub descripcion: String,
    /// The policy number, as typed (public form), or the policy's id (e-SORI's choice).
    #[serde(default)]
    pub poliza: String,
    /// Back-office only: the day it was received (a letter arrives days after it was sent).
    #[serde(default)]
    pub recibida: String,
    /// "Quiero que me atienda una persona".
    #[serde(default)]
    pub persona: Option<String>,
    /// The one-time token against double submits.
    #[serde(default)]
    pub token: String,
}

/// A checked complaint, ready to file.
#[derive(Debug, Clone)]
pub struct Draft {
    pub kind: Kind,
    pub channel: Channel,
    pub customer_id: Option<i64>,
    pub policy_id: Option<i64>,
    pub policy_number_given: Option<String>,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_id: Option<String>,
    pub subject: String,
    pub description: String,
    pub wants_human: bool,
    /// `None`: today.
    pub received_on: Option<NaiveDate>,
}

/// Who is typing the form, which decides what it asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typist {
    /// A visitor of the site: name and a way to answer them are required.
    Visitor,
    /// A signed-in client: who they are is known.
    Client,
    /// Staff, from a letter, e-mail, call or visit: also the channel and the day received.
    Staff,
}

impl ComplaintForm {
    pub fn validate(&self, typist: Typist, today: NaiveDate) -> Result<Draft, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = Kind::parse(self.tipo.trim());
        if kind.is_none() {
            errors.add("tipo", "Elija si es una queja o una reclamación.");
        }
        let channel = match typist {
            Typist::Visitor => Some(Channel::Web),
            Typist::Client => Some(Channel::Portal),
            Typist::Staff => {
                let channel = Channel::parse(self.canal.trim())
                    .filter(|channel| Channel::BY_STAFF.contains(channel));
                if channel.is_none() {
                    errors.add("canal", "Elija cómo llegó la reclamación.");
                }
                channel
            }
        };
        let name = self.nombre.trim();
        if typist != Typist::Client {
            if name.is_empty() {
                errors.add("nombre", "Escriba el nombre de quien reclama.");
            } else if name.chars().count() > 200 {
                errors.add("nombre", "Demasiado largo: como mucho 200 caracteres.");
            }
        }
        let optional = |value: &str| {
            let value = value.trim();
            (!value.is_empty()).then(|| value.to_owned())
        };
        let email = match optional(&self.correo) {
            Some(typed) => match Email::parse(&typed) {
                Ok(email) => Some(email.into_string()),
                Err(message) => {
                    errors.add("correo", message);
                    None
                }
            },
            None => None,
        };
        let phone = match optional(&self.telefono) {
            Some(typed) => match Phone::parse(&typed) {
                Ok(phone) => Some(phone.into_string()),
                Err(message) => {
                    errors.add("telefono", message);
                    None
                }
            },
            None => None,
        };
        let by_letter = channel == Some(Channel::Letter);
        if typist != Typist::Client
            && email.is_none()
            && phone.is_none()
            && !by_letter
            && !errors.has("correo")
            && !errors.has("telefono")
        {
            errors.add(
                "correo",
                "Escriba un correo electrónico o un teléfono para poder contestarle.",
            );
        }
        let tax_id = match optional(&self.nif) {
            Some(typed) => match TaxId::parse(&typed) {
                Ok(id) => Some(id.to_string()),
                Err(message) => {
                    errors.add("nif", message);
                    None
                }
            },
            None => None,
        };
        let subject = self.asunto.trim();
        if subject.is_empty() {
            errors.add("asunto", "Escriba en pocas palabras de qué se trata.");
        } else if subject.chars().count() > MAX_SUBJECT {
            errors.add(
                "asunto",
                format!("Demasiado largo: como mucho {MAX_SUBJECT} caracteres."),
            );
        }
        let description = self.descripcion.trim();
        if description.chars().count() < 10 {
            errors.add(
                "descripcion",
                "Cuéntenos qué ha pasado y qué pide (al menos 10 caracteres).",
            );
        } else if description.chars().count() > MAX_DESCRIPTION {
            errors.add(
                "descripcion",
                format!("Demasiado largo: como mucho {MAX_DESCRIPTION} caracteres."),
            );
        }
        let policy_number_given = optional(&self.poliza).filter(|_| typist == Typist::Visitor);
        if policy_number_given
            .as_ref()
            .is_some_and(|number| number.chars().count() > 50)
        {
            errors.add("poliza", "Demasiado largo: como mucho 50 caracteres.");
        }
        let received_on = match (typist, self.recibida.trim()) {
            (Typist::Staff, "") => None,
            (Typist::Staff, typed) => match parse_date(typed) {
                Ok(day) if day > today => {
                    errors.add("recibida", "La fecha de recepción no puede ser futura.");
                    None
                }
                Ok(day) if day < today - chrono::Duration::days(366) => {
                    errors.add("recibida", "La fecha es de hace más de un año: revísela.");
                    None
                }
                Ok(day) => Some(day),
                Err(message) => {
                    errors.add("recibida", message);
                    None
                }
            },
            _ => None,
        };
        match (kind, channel) {
            (Some(kind), Some(channel)) if errors.is_empty() => Ok(Draft {
                kind,
                channel,
                customer_id: None,
                policy_id: None,
                policy_number_given,
                name: name.to_owned(),
                email,
                phone,
                tax_id,
                subject: subject.to_owned(),
                description: description.to_owned(),
                wants_human: self.persona.is_some(),
                received_on,
            }),
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 3).unwrap()
    }

    fn filled() -> ComplaintForm {
        ComplaintForm {
            tipo: "claim".into(),
            nombre: "Lucía Martín".into(),
            correo: "lucia@example.com".into(),
            asunto: "Retraso en el pago de un siniestro".into(),
            descripcion: "Declaré el siniestro hace tres meses y no me han pagado.".into(),
            ..ComplaintForm::default()
        }
    }

    #[test]
    fn a_visitor_needs_a_way_to_be_answered() {
        let mut form = filled();
        assert!(form.validate(Typist::Visitor, today()).is_ok());
        form.correo.clear();
        let errors = form.validate(Typist::Visitor, today()).unwrap_err();
        assert!(errors.has("correo"));
        form.telefono = "600 123 456".into();
        assert!(form.validate(Typist::Visitor, today()).is_ok());
    }

    #[test]
    fn staff_say_how_and_when_it_came_and_a_letter_needs_no_contact() {
        let mut form = filled();
        let errors = form.validate(Typist::Staff, today()).unwrap_err();
        assert!(errors.has("canal"));
        form.canal = "web".into();
        assert!(
            form.validate(Typist::Staff, today())
                .unwrap_err()
                .has("canal")
        );
        form.canal = "letter".into();
        form.correo.clear();
        form.recibida = "01/12/2026".into();
        let draft = form.validate(Typist::Staff, today()).unwrap();
        assert_eq!(draft.channel, Channel::Letter);
        assert_eq!(draft.received_on, NaiveDate::from_ymd_opt(2026, 12, 1));
        form.recibida = "2026-12-04".into();
        assert!(
            form.validate(Typist::Staff, today())
                .unwrap_err()
                .has("recibida")
        );
    }

    #[test]
    fn each_field_is_checked() {
        let form = ComplaintForm {
            tipo: "otro".into(),
            correo: "no-es-correo".into(),
            nif: "12345678A".into(),
            descripcion: "corto".into(),
            ..ComplaintForm::default()
        };
        let errors = form.validate(Typist::Visitor, today()).unwrap_err();
        for field in ["tipo", "nombre", "correo", "nif", "asunto", "descripcion"] {
            assert!(errors.has(field), "{field}");
        }
    }

    #[test]
    fn only_visitors_give_a_policy_number_as_text() {
        let mut form = filled();
        form.poliza = "AX-123".into();
        let draft = form.validate(Typist::Visitor, today()).unwrap();
        assert_eq!(draft.policy_number_given.as_deref(), Some("AX-123"));
        let draft = form.validate(Typist::Client, today()).unwrap();
        assert_eq!(draft.policy_number_given, None);
    }
}
