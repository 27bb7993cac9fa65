//! The demands and needs asked before a sale, per kind of risk: the few questions that decide
//! which cover suits the client (what the IDD calls "demands and needs"), and their answers as
//! recorded with the quote.

use serde::{Deserialize, Serialize};

use crate::policies::RiskKind;
use crate::validation::FieldErrors;

/// One question: free text when `choices` is empty.
#[derive(Debug, Clone, Copy)]
pub struct Question {
    pub code: &'static str,
    pub text: &'static str,
    pub choices: &'static [&'static str],
    pub required: bool,
}

const fn choice(
    code: &'static str,
    text: &'static str,
    choices: &'static [&'static str],
) -> Question {
    Question {
        code,
        text,
        choices,
        required: true,
    }
}

const fn open(code: &'static str, text: &'static str, required: bool) -> Question {
    Question {
        code,
        text,
        choices: &[],
        required,
    }
}

const YES_NO: &[&str] = &["Sí", "No"];

const VEHICLE: &[Question] = &[
    choice(
        "uso",
        "¿Para qué usa el vehículo?",
        &["Particular", "Profesional", "Particular y profesional"],
    ),
    choice(
        "cobertura",
        "¿Qué quiere tener cubierto?",
        &[
            "Solo lo obligatorio y la responsabilidad civil voluntaria",
            "Terceros ampliado (lunas, robo, incendio)",
            "Todo riesgo con franquicia",
            "Todo riesgo sin franquicia",
        ],
    ),
    choice(
        "asistencia",
        "¿Necesita asistencia en carretera?",
        &[
            "Sí, desde el kilómetro cero",
            "Sí, fuera de su localidad",
            "No",
        ],
    ),
    choice(
        "conductores",
        "¿Lo conducen otras personas o conductores de menos de 26 años?",
        YES_NO,
    ),
];

const TAXI: &[Question] = &[
    choice(
        "cobertura",
        "¿Qué quiere tener cubierto?",
        &[
            "Terceros con las garantías obligatorias del taxi",
            "Terceros ampliado (lunas, robo, incendio)",
            "Todo riesgo con franquicia",
        ],
    ),
    choice(
        "turnos",
        "¿Cuántos turnos trabaja el taxi?",
        &["Un turno", "Doble turno"],
    ),
    choice(
        "retirada_carne",
        "¿Necesita un subsidio si le retiran el permiso o el vehículo queda parado?",
        YES_NO,
    ),
    choice(
        "conductor_adicional",
        "¿Conduce el taxi un asalariado o un segundo conductor?",
        YES_NO,
    ),
];

const HOME: &[Question] = &[
    choice(
        "regimen",
        "¿En qué calidad ocupa la vivienda o el local?",
        &[
            "Propietario, vivienda habitual",
            "Propietario, segunda vivienda o alquilada a otros",
            "Inquilino",
            "Local de negocio",
        ],
    ),
    choice(
        "bienes",
        "¿Qué quiere asegurar?",
        &[
            "Continente y contenido",
            "Solo continente",
            "Solo contenido",
        ],
    ),
    choice(
        "hipoteca",
        "¿Tiene un préstamo hipotecario que exija el seguro?",
        YES_NO,
    ),
    choice(
        "responsabilidad_civil",
        "¿Quiere cubrir la responsabilidad civil familiar o de la actividad?",
        YES_NO,
    ),
];

const PERSONS: &[Question] = &[
    choice(
        "finalidad",
        "¿Qué necesita cubrir?",
        &[
            "Asistencia sanitaria privada",
            "Un capital para la familia si falta",
            "Un préstamo o hipoteca",
            "Los gastos del sepelio",
            "Las consecuencias de un accidente",
        ],
    ),
    open(
        "personas",
        "¿A quién hay que asegurar (edades y parentesco)?",
        true,
    ),
    choice(
        "copagos",
        "¿Acepta copagos o franquicias a cambio de una prima menor?",
        &["Sí", "No", "No se aplica"],
    ),
];

const OTHER: &[Question] = &[
    open(
        "riesgo",
        "¿Qué actividad, bien o riesgo quiere asegurar?",
        true,
    ),
    open("limites", "¿Qué sumas aseguradas o límites necesita?", true),
];

const COMMON: &[Question] = &[
    choice(
        "presupuesto",
        "¿Qué le importa más?",
        &[
            "El precio",
            "La amplitud de las coberturas",
            "El equilibrio entre precio y coberturas",
        ],
    ),
    open("observaciones", "Otras necesidades o preferencias", false),
];

/// The questions asked for a risk of `kind`, in order (the kind's, then the common ones).
pub fn questions(kind: RiskKind) -> Vec<Question> {
    let own = match kind {
        RiskKind::Vehicle => VEHICLE,
        RiskKind::Taxi => TAXI,
        RiskKind::Home => HOME,
        RiskKind::Persons => PERSONS,
        RiskKind::Other => OTHER,
    };
    own.iter().chain(COMMON).copied().collect()
}

/// The form field of question `code`.
pub fn field(code: &str) -> String {
    format!("n_{code}")
}

/// One answer as recorded: the question's words are kept with it, so the record reads the
/// same when the questions change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub code: String,
    pub question: String,
    pub answer: String,
}

/// Longest answer kept.
const MAX_ANSWER: usize = 1000;

/// The answers to `kind`'s questions from a form (`value(field)` gives what was typed), or the
/// messages by field.
pub fn parse<'a>(
    kind: RiskKind,
    value: impl Fn(&str) -> Option<&'a str>,
    errors: &mut FieldErrors,
) -> Vec<Answer> {
    let mut answers = Vec::new();
    for question in questions(kind) {
        let name = field(question.code);
        let typed = value(&name).unwrap_or("").trim();
        if typed.is_empty() {
            if question.required {
                let message = if question.choices.is_empty() {
                    "Escriba la respuesta del cliente."
                } else {
                    "Elija la respuesta del cliente."
                };
                errors.add_named(&name, message);
            }
            continue;
        }
        if !question.choices.is_empty() && !question.choices.contains(&typed) {
            errors.add_named(&name, "Elija una de las respuestas de la lista.");
            continue;
        }
        if typed.chars().count() > MAX_ANSWER {
            errors.add_named(&name, "Escriba como mucho 1000 caracteres.");
            continue;
        }
        answers.push(Answer {
            code: question.code.to_owned(),
            question: question.text.to_owned(),
            answer: typed.to_owned(),
        });
    }
    answers
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn parse_map(kind: RiskKind, typed: &[(&str, &str)]) -> (Vec<Answer>, FieldErrors) {
        let map: HashMap<String, String> = typed
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut errors = FieldErrors::new();
        let answers = parse(kind, |name| map.get(name).map(String::as_str), &mut errors);
        (answers, errors)
    }

    #[test]
    fn every_kind_asks_its_own_questions_and_the_common_ones() {
        for kind in [
            RiskKind::Vehicle,
            RiskKind::Taxi,
            RiskKind::Home,
            RiskKind::Persons,
            RiskKind::Other,
        ] {
            let codes: Vec<&str> = questions(kind).iter().map(|q| q.code).collect();
            assert!(codes.len() >= 4, "{kind:?}");
            assert!(codes.contains(&"presupuesto"));
            let mut unique = codes.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), codes.len(), "{kind:?} repeats a question");
        }
    }

    #[test]
    fn answers_are_checked_against_the_choices_and_kept_with_the_question() {
        let (answers, errors) = parse_map(
            RiskKind::Home,
            &[
                ("n_regimen", "Inquilino"),
                ("n_bienes", "Solo contenido"),
                ("n_hipoteca", "No"),
                ("n_responsabilidad_civil", "Sí"),
                ("n_presupuesto", "El precio"),
            ],
        );
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(answers.len(), 5);
        assert_eq!(
            answers[0].question,
            "¿En qué calidad ocupa la vivienda o el local?"
        );
        assert_eq!(answers[0].answer, "Inquilino");

        let (_, errors) = parse_map(
            RiskKind::Home,
            &[("n_regimen", "Okupa"), ("n_bienes", "Solo contenido")],
        );
        assert_eq!(
            errors.get("n_regimen"),
            Some("Elija una de las respuestas de la lista.")
        );
        assert_eq!(
            errors.get("n_hipoteca"),
            Some("Elija la respuesta del cliente.")
        );
        assert!(!errors.has("n_observaciones"), "optional");
    }
}
