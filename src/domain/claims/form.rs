//! The claim form as typed (back-office and e-SORI share it) and its field checks, with the
//! Spanish messages shown next to each field.

use serde::Deserialize;

use crate::claims::{self, OpenClaim};
use crate::money;
use crate::validation::{self, FieldErrors};

#[derive(Debug, Deserialize)]
pub struct NewClaimForm {
    /// The policy id.
    #[serde(default)]
    pub poliza: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub fecha: String,
    #[serde(default)]
    pub tipo: String,
    #[serde(default)]
    pub descripcion: String,
    #[serde(default)]
    pub lugar: String,
    #[serde(default)]
    pub importe: String,
}

/// Checks the fields of a claim form; the policy and its coverage are checked on opening.
pub fn validate_claim(form: &NewClaimForm, policy_id: i64) -> Result<OpenClaim, FieldErrors> {
    let mut errors = FieldErrors::new();
    let incident_date = validation::parse_date(&form.fecha)
        .map_err(|message| errors.add("fecha", message))
        .ok();
    let kind = form.tipo.trim();
    if !claims::is_kind(kind) {
        errors.add("tipo", "Elija el tipo de siniestro.");
    }
    let description = form.descripcion.trim();
    if description.is_empty() {
        errors.add("descripcion", "Describa lo ocurrido.");
    } else if description.chars().count() > 8000 {
        errors.add(
            "descripcion",
            "La descripción no puede tener más de 8000 caracteres.",
        );
    }
    let place = form.lugar.trim();
    if place.chars().count() > 200 {
        errors.add("lugar", "El lugar no puede tener más de 200 caracteres.");
    }
    let claimed_cents = if form.importe.trim().is_empty() {
        None
    } else {
        money::parse_cents(&form.importe)
            .map_err(|message| errors.add("importe", message))
            .ok()
    };
    match incident_date {
        Some(incident_date) if errors.is_empty() => Ok(OpenClaim {
            policy_id,
            incident_date,
            kind: kind.to_owned(),
            description: description.to_owned(),
            place: place.to_owned(),
            claimed_cents,
        }),
        _ => Err(errors),
    }
}
