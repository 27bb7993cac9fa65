//! Leads (oportunidades): prospects from a landing, a web form, the taxi quoter, a call or a
//! referral, moved through the pipeline ([`stage`]) by the agents until they are won (and
//! converted into a customer) or lost. No HTTP here.
//!
//! Every change writes a `lead_events` row (the lead's history), an audit entry and, for stage
//! changes and conversions, a domain event, all in the caller's transaction. Every query takes
//! a [`PortfolioScope`](crate::auth::permissions::PortfolioScope): an agent reaches only the
//! leads assigned to them, and any other id reads as missing.

mod commands;
pub mod duplicates;
pub mod portal;
mod queries;
pub mod stage;
pub mod submission;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::DbError;
use crate::db::schema::leads;
use crate::identifiers::{Email, Phone, Postcode, TaxId};
use crate::validation::FieldErrors;

pub use commands::{
    ConvertOutcome, ConvertTarget, NewLead, assign, convert, create, log_interaction, move_stage,
    set_next_action,
};
pub use queries::{
    BoardColumn, Card, ConsentRow, EventRow, Filter, LeadDetail, PAGE_SIZE, QuoteRow, Report,
    ReportRow, SubmissionRow, TaskRow, agents, board, campaigns, consents, customer_match, events,
    export, get, list, quotes, report, submissions, tasks,
};
pub use stage::{Stage, TransitionError};

/// Longest note, reason or interaction summary kept.
pub const MAX_NOTE: usize = 4000;
/// How many cards a board column shows (the list view has them all, paginated).
pub const BOARD_CARDS: i64 = 25;

/// Where leads come from: (stored code, Spanish label).
pub const SOURCES: &[(&str, &str)] = &[
    ("landing", "Landing"),
    ("web_form", "Formulario web"),
    ("taxi", "Taxi Asegurado"),
    ("portal", "Portal e-SORI"),
    ("phone", "Teléfono"),
    ("referral", "Recomendación"),
    ("campaign", "Campaña"),
];

/// The sources staff pick when entering a lead by hand.
pub const MANUAL_SOURCES: &[&str] = &["phone", "referral", "campaign"];

pub fn source_label(code: &str) -> &str {
    SOURCES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or(code)
}

/// Ways of being in touch with a lead: (stored code, Spanish label).
pub const CHANNELS: &[(&str, &str)] = &[
    ("call", "Llamada"),
    ("email", "Correo electrónico"),
    ("whatsapp", "WhatsApp"),
    ("meeting", "Reunión"),
    ("note", "Nota"),
];

pub fn channel_label(code: &str) -> &str {
    CHANNELS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or(code)
}

/// A lead as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = leads)]
pub struct Lead {
    pub id: i64,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    pub tax_id: Option<String>,
    pub line_id: Option<i64>,
    pub source: String,
    pub campaign: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
    pub landing_id: Option<i64>,
    pub landing_variant_id: Option<i64>,
    pub stage: Stage,
    pub lost_reason: Option<String>,
    pub score: i32,
    pub assigned_staff_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub next_action_on: Option<NaiveDate>,
    pub notes: String,
    pub first_contacted_at: Option<DateTime<Utc>>,
    pub converted_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Another open lead with the same e-mail or phone when this one arrived (someone else,
    /// or another line of business): for the agent to check, never merged.
    pub possible_duplicate_of: Option<i64>,
}

impl Lead {
    pub fn stage(&self) -> Stage {
        self.stage
    }

    pub fn is_converted(&self) -> bool {
        self.customer_id.is_some()
    }
}

/// Why a lead command was refused. Every variant but `NotFound` and `Database` is the user's
/// to fix and carries a Spanish message.
#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    /// No such lead (or customer) within the caller's scope.
    #[error("no encontrado")]
    NotFound,
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error("Elija un comercial en activo.")]
    InvalidAgent,
    #[error("Elija el tipo de interacción.")]
    InvalidChannel,
    #[error("Escriba un resumen de la interacción.")]
    SummaryRequired,
    #[error("El texto no puede tener más de 4000 caracteres.")]
    NoteTooLong,
    #[error("Solo se convierte en cliente un lead ganado.")]
    NotWon,
    #[error("El cliente elegido no coincide con el DNI ni con el correo del lead.")]
    CustomerMismatch,
    /// The customer form was refused (tax id already used by a customer outside the scope…).
    #[error("{0}")]
    Customer(String),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for LeadError {
    fn from(error: diesel::result::Error) -> Self {
        LeadError::Database(DbError::Query(error))
    }
}

pub use crate::time::today;

pub(crate) fn check_note(note: &str, required: bool) -> Result<String, LeadError> {
    let note = note.trim();
    if required && note.is_empty() {
        return Err(LeadError::SummaryRequired);
    }
    if note.chars().count() > MAX_NOTE {
        return Err(LeadError::NoteTooLong);
    }
    Ok(note.to_owned())
}

/// The "Nuevo lead" form as typed (field names are the form's, in Spanish).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct LeadForm {
    pub nombre: String,
    pub email: String,
    pub telefono: String,
    pub codigo_postal: String,
    pub nif: String,
    pub linea: String,
    pub origen: String,
    pub campana: String,
    pub agente: String,
    pub proxima_accion: String,
    pub notas: String,
    pub token: String,
}

/// Checks the form of a lead entered by hand (a call, a referral). `line_exists` tells whether
/// a line id is in the catalogue; the agent is checked by [`create`].
pub fn validate(
    form: &LeadForm,
    line_exists: impl Fn(i64) -> bool,
) -> Result<NewLead, FieldErrors> {
    let mut errors = FieldErrors::new();
    let full_name = form.nombre.split_whitespace().collect::<Vec<_>>().join(" ");
    if full_name.is_empty() {
        errors.add("nombre", "Escriba el nombre.");
    } else if full_name.chars().count() > 200 {
        errors.add("nombre", "El nombre no puede tener más de 200 caracteres.");
    }
    let email = optional(&form.email, "email", Email::parse, &mut errors);
    let phone = optional(&form.telefono, "telefono", Phone::parse, &mut errors);
    if form.email.trim().is_empty() && form.telefono.trim().is_empty() {
        errors.add("telefono", "Escriba un teléfono o un correo electrónico.");
    }
    let postcode = optional(
        &form.codigo_postal,
        "codigo_postal",
        Postcode::parse,
        &mut errors,
    );
    let tax_id = optional(&form.nif, "nif", TaxId::parse, &mut errors);
    let line_id = match form.linea.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) if line_exists(id) => Some(id),
            _ => {
                errors.add("linea", "Elija un ramo de la lista.");
                None
            }
        },
    };
    let source = form.origen.trim();
    if !MANUAL_SOURCES.contains(&source) {
        errors.add(
            "origen",
            "Elija el origen: teléfono, recomendación o campaña.",
        );
    }
    let campaign = form.campana.trim();
    if campaign.chars().count() > 100 {
        errors.add(
            "campana",
            "La campaña no puede tener más de 100 caracteres.",
        );
    }
    let agent = match form.agente.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(id) => Some(id),
            Err(_) => {
                errors.add("agente", "Elija un comercial de la lista.");
                None
            }
        },
    };
    let next_action_on = match form.proxima_accion.trim() {
        "" => None,
        text => match crate::validation::parse_date(text) {
            Ok(day) if day < today() => {
                errors.add(
                    "proxima_accion",
                    "La próxima acción no puede ser anterior a hoy.",
                );
                None
            }
            Ok(day) => Some(day),
            Err(message) => {
                errors.add("proxima_accion", message);
                None
            }
        },
    };
    let notes = form.notas.trim();
    if notes.chars().count() > MAX_NOTE {
        errors.add("notas", "Las notas no pueden tener más de 4000 caracteres.");
    }
    errors.into_result(NewLead {
        full_name,
        email: email.map(Email::into_string),
        phone: phone.map(Phone::into_string),
        postcode: postcode.map(Postcode::into_string),
        tax_id: tax_id.map(|t| t.as_str().to_owned()),
        line_id,
        source: source.to_owned(),
        campaign: Some(campaign.to_owned()).filter(|c| !c.is_empty()),
        assigned_staff_id: agent,
        next_action_on,
        notes: notes.to_owned(),
    })
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
    parse(value)
        .map_err(|message| errors.add(field, message))
        .ok()
}
