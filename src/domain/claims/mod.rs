//! Claims (siniestros): opening one against a policy, moving it through its life cycle
//! ([`status`]), notes, handler assignment, and the handlers' queue. No HTTP here.
//!
//! Every change writes a `claim_events` row (the claim's timeline) and an audit entry in the
//! caller's transaction. Every query takes a [`PortfolioScope`]: an agent reaches only claims of
//! the customers they own, and an id outside the scope reads as missing.

mod commands;
pub mod form;
mod queries;
pub mod status;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use crate::db::DbError;
use crate::db::schema::claims;

pub use commands::{
    ClientActor, OpenClaim, add_client_information, add_note, assign, change_status, open,
    open_by_client,
};
pub use queries::{
    ClaimDetail, EventRow, PolicySummary, QueueFilter, QueueRow, events, events_for_client,
    export_queue, get, handlers, policy_id_by_number, policy_in_scope, queue,
};
pub use status::{ClaimStatus, TransitionError};

/// Longest note or reason kept on the timeline.
pub const MAX_NOTE: usize = 4000;

/// The kinds of incident the form offers: (stored code, Spanish label).
pub const KINDS: &[(&str, &str)] = &[
    ("collision", "Colisión"),
    ("theft", "Robo"),
    ("fire", "Incendio"),
    ("water_damage", "Daños por agua"),
    ("glass", "Rotura de lunas"),
    ("liability", "Responsabilidad civil"),
    ("assistance", "Asistencia"),
    ("other", "Otro"),
];

/// The Spanish label of a kind code (the code itself when unknown).
pub fn kind_label(code: &str) -> &str {
    KINDS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or(code)
}

pub fn is_kind(code: &str) -> bool {
    KINDS.iter().any(|(c, _)| *c == code)
}

/// A claim as stored.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = claims)]
pub struct Claim {
    pub id: i64,
    pub number: String,
    pub policy_id: i64,
    pub customer_id: i64,
    pub incident_date: NaiveDate,
    pub kind: String,
    pub description: String,
    pub place: String,
    pub status: ClaimStatus,
    pub claimed_cents: Option<i64>,
    pub accepted_cents: Option<i64>,
    pub paid_cents: Option<i64>,
    pub handler_staff_id: Option<i64>,
    pub opened_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

impl Claim {
    pub fn status(&self) -> ClaimStatus {
        self.status
    }
}

/// Why a claim command was refused. Every variant but `Database` is the user's to fix and
/// carries a Spanish message.
#[derive(Debug, thiserror::Error)]
pub enum ClaimError {
    /// No such claim or policy within the caller's scope.
    #[error("no encontrado")]
    NotFound,
    #[error("La fecha del siniestro no puede ser posterior a hoy.")]
    IncidentInFuture,
    #[error(
        "La fecha del siniestro debe estar dentro de la vigencia de la póliza ({} a {}).",
        crate::format::date(*start),
        crate::format::date(*end)
    )]
    OutsideCoverage { start: NaiveDate, end: NaiveDate },
    #[error("Elija un tramitador de siniestros en activo.")]
    InvalidHandler,
    #[error("Escriba la nota.")]
    NoteRequired,
    #[error("La nota no puede tener más de 4000 caracteres.")]
    NoteTooLong,
    #[error("{0}")]
    Transition(#[from] TransitionError),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for ClaimError {
    fn from(error: diesel::result::Error) -> Self {
        ClaimError::Database(DbError::Query(error))
    }
}

/// Today in the office's time zone.
pub(crate) fn today() -> NaiveDate {
    Utc::now().with_timezone(&crate::time::ZONE).date_naive()
}

pub(crate) fn check_note(note: &str, required: bool) -> Result<String, ClaimError> {
    let note = note.trim();
    if required && note.is_empty() {
        return Err(ClaimError::NoteRequired);
    }
    if note.chars().count() > MAX_NOTE {
        return Err(ClaimError::NoteTooLong);
    }
    Ok(note.to_owned())
}
