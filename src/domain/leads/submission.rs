//! A submitted form as a person reads it: each field by its Spanish label, yes/no in words,
//! codes of the taxi quoter by their names. Submissions keep the payload as it arrived (the
//! landing's field names, the quoter's raw form); this module is how the back-office says it.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::{Map, Value};

use super::SubmissionRow;
use crate::db::schema::{landing_variants, landings};
use crate::landings::form::FormField;
use crate::taxi::rating::{Coverage, Fuel, Shift};

/// A form sent for a lead, ready to read.
#[derive(Debug, Clone)]
pub struct ReadableSubmission {
    pub row: SubmissionRow,
    /// (label, value) of every field.
    pub fields: Vec<(String, String)>,
    /// The landing and variant it came from, by their names ("" when none).
    pub landing: String,
}

/// The forms sent for lead `lead_id`, newest first, each field by its label. The caller has
/// checked the scope.
pub fn readable_submissions(
    conn: &mut PgConnection,
    lead_id: i64,
) -> QueryResult<Vec<ReadableSubmission>> {
    let rows = super::submissions(conn, lead_id)?;
    let landing_ids: Vec<i64> = rows.iter().filter_map(|r| r.landing_id).collect();
    let variant_ids: Vec<i64> = rows.iter().filter_map(|r| r.landing_variant_id).collect();
    let forms: HashMap<i64, (String, Value)> = landings::table
        .filter(landings::id.eq_any(landing_ids))
        .select((landings::id, landings::title, landings::form_fields))
        .load::<(i64, String, Value)>(conn)?
        .into_iter()
        .map(|(id, title, form)| (id, (title, form)))
        .collect();
    let variants: HashMap<i64, String> = landing_variants::table
        .filter(landing_variants::id.eq_any(variant_ids))
        .select((landing_variants::id, landing_variants::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|row| {
            let form = row.landing_id.and_then(|id| forms.get(&id));
            let labels: Vec<(String, String)> = form
                .and_then(|(_, form)| serde_json::from_value::<Vec<FormField>>(form.clone()).ok())
                .unwrap_or_default()
                .into_iter()
                .map(|field| (field.name, field.label))
                .collect();
            let variant = row.landing_variant_id.and_then(|id| variants.get(&id));
            let landing = match (form.map(|(title, _)| title), variant) {
                (Some(title), Some(variant)) => format!("Landing «{title}», variante {variant}"),
                (Some(title), None) => format!("Landing «{title}»"),
                _ => String::new(),
            };
            ReadableSubmission {
                fields: readable_fields(&row.payload, &labels),
                landing,
                row,
            }
        })
        .collect())
}

/// (label, value) of every field of `payload`, in the order of the form where it has one.
/// `labels` are the (name, label) pairs of the landing's form, when the submission came from
/// one; they win over the common names below.
pub fn readable_fields(payload: &Value, labels: &[(String, String)]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let Value::Object(map) = payload else {
        if !payload.is_null() {
            out.push(("Datos".to_owned(), scalar(payload)));
        }
        return out;
    };
    if let Some(Value::Object(fields)) = map.get("fields") {
        // A landing form: its fields, then the consents given with it.
        push_fields(fields, labels, &mut out);
        for (key, value) in map {
            if key != "fields" {
                push(key, value, labels, &mut out);
            }
        }
        return out;
    }
    if map.get("form").and_then(Value::as_str) == Some("taxi") {
        out.push(("Formulario".to_owned(), "Cotizador de taxi".to_owned()));
        if let Some(Value::Object(applicant)) = map.get("applicant") {
            push_fields(applicant, labels, &mut out);
        }
        if let Some(Value::Object(quoter)) = map.get("quoter") {
            push_fields(quoter, labels, &mut out);
        }
        return out;
    }
    // A summary of the risk was kept beside it: the whole document says nothing more.
    let summarised = map.contains_key("riesgo_resumen");
    for (key, value) in map {
        if summarised && key == "riesgo" {
            continue;
        }
        push(key, value, labels, &mut out);
    }
    out
}

fn push_fields(
    fields: &Map<String, Value>,
    labels: &[(String, String)],
    out: &mut Vec<(String, String)>,
) {
    // The landing's own order first, then anything it no longer has.
    for (name, _) in labels {
        if let Some(value) = fields.get(name) {
            push(name, value, labels, out);
        }
    }
    for (key, value) in fields {
        if !labels.iter().any(|(name, _)| name == key) {
            push(key, value, labels, out);
        }
    }
}

fn push(key: &str, value: &Value, labels: &[(String, String)], out: &mut Vec<(String, String)>) {
    if let Value::Object(inner) = value {
        push_fields(inner, labels, out);
        return;
    }
    let label = labels
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, label)| label.clone())
        .unwrap_or_else(|| field_label(key));
    out.push((label, field_value(key, value)));
}

/// The label of a field name used by the site's forms, the quoter and e-SORI.
fn field_label(key: &str) -> String {
    let label = match key {
        "nombre" | "full_name" => "Nombre",
        "email" => "Correo electrónico",
        "telefono" | "phone" => "Teléfono",
        "codigo_postal" => "Código postal",
        "mensaje" => "Mensaje",
        "comentarios" => "Comentarios",
        "privacy" => "Acepta la política de privacidad",
        "marketing" => "Acepta comunicaciones comerciales",
        "dni" => "DNI",
        "plate" => "Matrícula",
        "licence_number" => "Número de licencia",
        "ramo" => "Ramo",
        "riesgo_resumen" => "Riesgo",
        "horario" => "Horario de contacto",
        "origen" => "Origen",
        "anio" => "Año de matriculación",
        "valor" => "Valor del vehículo (€)",
        "plazas" => "Plazas",
        "pmr" => "Adaptado PMR",
        "combustible" => "Combustible",
        "municipio" => "Municipio",
        "provincia" => "Provincia",
        "turno" => "Turno",
        "aeropuerto" => "Trabaja en el aeropuerto",
        "segundo" => "Segundo conductor asalariado",
        "edad" => "Edad del conductor",
        "carne" => "Años de carné",
        "taxista" => "Años como taxista",
        "siniestros" => "Siniestros en los últimos 5 años",
        "cobertura" => "Cobertura",
        "ocupantes" => "Accidentes de ocupantes",
        "defensa" => "Defensa jurídica",
        "asistencia" => "Asistencia desde el km 0",
        "paralizacion" => "Paralización",
        "retirada" => "Retirada de carné",
        _ => {
            let words = key.replace('_', " ");
            let mut chars = words.trim().chars();
            return match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect(),
                None => String::new(),
            };
        }
    };
    label.to_owned()
}

/// Checkboxes of the quoter: ticked is any value, unticked is empty.
const CHECKBOXES: [&str; 8] = [
    "pmr",
    "aeropuerto",
    "segundo",
    "ocupantes",
    "defensa",
    "asistencia",
    "paralizacion",
    "retirada",
];

fn field_value(key: &str, value: &Value) -> String {
    if let Value::String(text) = value {
        let code = text.trim();
        let label = match key {
            "combustible" => Fuel::parse(code).map(Fuel::label),
            "turno" => Shift::parse(code).map(Shift::label),
            "cobertura" => Coverage::parse(code).map(Coverage::label),
            _ if CHECKBOXES.contains(&key) => Some(if code.is_empty() { "No" } else { "Sí" }),
            _ => None,
        };
        if let Some(label) = label {
            return label.to_owned();
        }
    }
    if key == "marketing" && value.is_null() {
        return "No se preguntó".to_owned();
    }
    scalar(value)
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::Bool(true) => "Sí".to_owned(),
        Value::Bool(false) => "No".to_owned(),
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Array(items) => items.iter().map(scalar).collect::<Vec<_>>().join(", "),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| format!("{}: {}", field_label(k), scalar(v)))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect()
    }

    #[test]
    fn a_landing_form_reads_with_its_labels_and_consents_in_words() {
        let payload = json!({
            "fields": { "nombre": "Paula López", "codigo_postal": "28013", "vivienda": "Piso" },
            "privacy": true,
            "marketing": false,
        });
        let labels = pairs(&[("vivienda", "Tipo de vivienda"), ("nombre", "Su nombre")]);
        assert_eq!(
            readable_fields(&payload, &labels),
            pairs(&[
                ("Tipo de vivienda", "Piso"),
                ("Su nombre", "Paula López"),
                ("Código postal", "28013"),
                ("Acepta comunicaciones comerciales", "No"),
                ("Acepta la política de privacidad", "Sí"),
            ])
        );
    }

    #[test]
    fn the_taxi_quoter_says_its_options_not_their_codes() {
        let payload = json!({
            "form": "taxi",
            "applicant": { "full_name": "Paula López", "plate": "1234BCD" },
            "quoter": { "combustible": "combustion", "turno": "night", "cobertura": "third_party", "pmr": "", "defensa": "on" },
        });
        let fields = readable_fields(&payload, &[]);
        assert!(fields.contains(&("Formulario".to_owned(), "Cotizador de taxi".to_owned())));
        assert!(fields.contains(&("Matrícula".to_owned(), "1234BCD".to_owned())));
        assert!(fields.contains(&("Combustible".to_owned(), "Gasolina o diésel".to_owned())));
        assert!(fields.contains(&("Turno".to_owned(), "Turno de noche".to_owned())));
        assert!(fields.contains(&("Cobertura".to_owned(), "Terceros".to_owned())));
        assert!(fields.contains(&("Adaptado PMR".to_owned(), "No".to_owned())));
        assert!(fields.contains(&("Defensa jurídica".to_owned(), "Sí".to_owned())));
    }

    #[test]
    fn a_flat_form_reads_by_field_names_and_skips_a_summarised_risk() {
        let payload = json!({
            "codigo_postal": "28013",
            "riesgo": { "plate": "1234BCD" },
            "riesgo_resumen": "Turismo 1234BCD",
        });
        assert_eq!(
            readable_fields(&payload, &[]),
            pairs(&[("Código postal", "28013"), ("Riesgo", "Turismo 1234BCD")])
        );
    }
}
