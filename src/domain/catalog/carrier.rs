//! Carriers: their identity (CIF, DGSFP key) and the contacts staff and clients need (claims
//! and 24-hour assistance phones, e-mail, address).

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::fields::{free_code, optional, required};
use super::{Carrier, Saved};
use crate::audit::{Action, Actor, target};
use crate::db::schema::carriers;
use crate::identifiers::{Cif, Email, Phone};
use crate::validation::{FieldErrors, Validated};

/// The carrier form as typed (field names are the form's).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CarrierForm {
    pub nombre: String,
    pub cif: String,
    pub clave_dgsfp: String,
    pub direccion: String,
    pub telefono_siniestros: String,
    pub telefono_asistencia: String,
    pub email: String,
    pub notas: String,
}

impl CarrierForm {
    /// The form of an existing carrier, to edit it.
    pub fn of(carrier: &Carrier) -> Self {
        Self {
            nombre: carrier.name.clone(),
            cif: carrier.tax_id.clone(),
            clave_dgsfp: carrier.dgsfp_key.clone(),
            direccion: carrier.address.clone(),
            telefono_siniestros: carrier.claims_phone.clone(),
            telefono_asistencia: carrier.assistance_phone.clone(),
            email: carrier.email.clone(),
            notas: carrier.notes.clone(),
        }
    }

    pub fn validate(&self) -> Validated<CarrierInput> {
        let mut errors = FieldErrors::new();
        let name = required(
            &mut errors,
            "nombre",
            &self.nombre,
            120,
            "Escriba el nombre de la compañía.",
        );
        let tax_id = match Cif::parse(&self.cif) {
            Ok(cif) => cif.as_str().to_owned(),
            Err(message) => {
                errors.add("cif", message);
                String::new()
            }
        };
        let dgsfp_key = self.clave_dgsfp.trim().to_uppercase();
        if dgsfp_key.is_empty() {
            errors.add(
                "clave_dgsfp",
                "Escriba la clave de la compañía en el registro de la DGSFP.",
            );
        } else if !is_dgsfp_key(&dgsfp_key) {
            errors.add(
                "clave_dgsfp",
                "La clave DGSFP es una letra y cuatro cifras (por ejemplo, C0058).",
            );
        }
        let address = optional(&mut errors, "direccion", &self.direccion, 300);
        let claims_phone = phone(
            &mut errors,
            "telefono_siniestros",
            &self.telefono_siniestros,
        );
        let assistance_phone = phone(
            &mut errors,
            "telefono_asistencia",
            &self.telefono_asistencia,
        );
        let email = match self.email.trim() {
            "" => String::new(),
            typed => match Email::parse(typed) {
                Ok(email) => email.as_str().to_owned(),
                Err(message) => {
                    errors.add("email", message);
                    String::new()
                }
            },
        };
        let notes = optional(&mut errors, "notas", &self.notas, 2000);
        errors.into_result(CarrierInput {
            name,
            tax_id,
            dgsfp_key,
            address,
            claims_phone,
            assistance_phone,
            email,
            notes,
        })
    }
}

/// A valid carrier. Serialised with the form's names: the audit entry's details.
#[derive(Debug, Clone, Serialize)]
pub struct CarrierInput {
    #[serde(rename = "nombre")]
    pub name: String,
    #[serde(rename = "cif")]
    pub tax_id: String,
    #[serde(rename = "clave_dgsfp")]
    pub dgsfp_key: String,
    #[serde(rename = "direccion")]
    pub address: String,
    #[serde(rename = "telefono_siniestros")]
    pub claims_phone: String,
    #[serde(rename = "telefono_asistencia")]
    pub assistance_phone: String,
    pub email: String,
    #[serde(rename = "notas")]
    pub notes: String,
}

/// "C0058", "M0083": the DGSFP registry key of an insurer (a letter for its kind, four digits).
fn is_dgsfp_key(key: &str) -> bool {
    let bytes = key.as_bytes();
    bytes.len() == 5 && bytes[0].is_ascii_uppercase() && bytes[1..].iter().all(u8::is_ascii_digit)
}

fn phone(errors: &mut FieldErrors, field: &'static str, text: &str) -> String {
    if text.trim().is_empty() {
        return String::new();
    }
    match Phone::parse(text) {
        Ok(phone) => phone.as_str().to_owned(),
        Err(message) => {
            errors.add(field, message);
            String::new()
        }
    }
}

pub fn find_carrier(conn: &mut PgConnection, id: i64) -> QueryResult<Carrier> {
    carriers::table
        .find(id)
        .select(Carrier::as_select())
        .first(conn)
}

/// Creates the carrier (`id` = None) or updates it; another carrier with the same CIF or name
/// is reported next to the field. Audited.
pub fn save_carrier(
    conn: &mut PgConnection,
    by: &Actor,
    id: Option<i64>,
    input: &CarrierInput,
) -> QueryResult<Saved> {
    let mut errors = FieldErrors::new();
    let others = carriers::table
        .filter(carriers::id.ne(id.unwrap_or(0)))
        .into_boxed();
    let taken: Vec<(String, String)> = others
        .filter(
            carriers::tax_id
                .eq(&input.tax_id)
                .or(carriers::name.eq(&input.name)),
        )
        .select((carriers::tax_id, carriers::name))
        .load(conn)?;
    if taken.iter().any(|(tax_id, _)| *tax_id == input.tax_id) {
        errors.add("cif", "Ya hay otra compañía con este CIF.");
    }
    if taken.iter().any(|(_, name)| *name == input.name) {
        errors.add("nombre", "Ya hay otra compañía con este nombre.");
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let values = (
        carriers::name.eq(&input.name),
        carriers::tax_id.eq(&input.tax_id),
        carriers::dgsfp_key.eq(&input.dgsfp_key),
        carriers::address.eq(&input.address),
        carriers::claims_phone.eq(&input.claims_phone),
        carriers::assistance_phone.eq(&input.assistance_phone),
        carriers::email.eq(&input.email),
        carriers::notes.eq(&input.notes),
    );
    let (id, action) = match id {
        Some(id) => {
            let updated = diesel::update(carriers::table.find(id))
                .set(values)
                .execute(conn)?;
            if updated == 0 {
                return Err(diesel::result::Error::NotFound);
            }
            (id, Action::CatalogUpdated)
        }
        None => {
            let code = free_code(&input.name, 28, "compania", |code| {
                diesel::select(diesel::dsl::exists(
                    carriers::table.filter(carriers::code.eq(code)),
                ))
                .get_result(conn)
            })?;
            let id = diesel::insert_into(carriers::table)
                .values((carriers::code.eq(code), values))
                .returning(carriers::id)
                .get_result(conn)?;
            (id, Action::CatalogCreated)
        }
    };
    by.record(conn, action, target::CARRIER, id, json!(input))?;
    Ok(Ok(id))
}

/// Activates or deactivates the carrier; an inactive carrier is no longer offered in forms.
pub fn set_carrier_active(
    conn: &mut PgConnection,
    by: &Actor,
    id: i64,
    active: bool,
) -> QueryResult<()> {
    let updated = diesel::update(carriers::table.find(id))
        .set(carriers::active.eq(active))
        .execute(conn)?;
    if updated == 0 {
        return Err(diesel::result::Error::NotFound);
    }
    by.record(
        conn,
        super::activation(active),
        target::CARRIER,
        id,
        json!({}),
    )
}
