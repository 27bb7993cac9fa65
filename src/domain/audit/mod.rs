//! The security audit log: an append-only record of who did what, to what, when and from
//! where. Writing an entry is part of the change it records: call [`record`] inside that
//! change's transaction, so that both happen or neither does. The database refuses to update,
//! delete or truncate entries (see the migration `audit_log`).

mod action;
mod actor;
mod details;
mod query;

use diesel::prelude::*;

use crate::db::schema::audit_log;

pub use action::Action;
pub use actor::Actor;
pub use details::Names;
pub use query::{EntryPage, EntryRow, ExportedEntry, Filter, export, list};

/// The actor label of what the application does on its own.
pub const SYSTEM_ACTOR: &str = "sistema";

/// Longest actor label kept (an e-mail typed on the sign-in form can be anything).
const MAX_ACTOR_LABEL: usize = 320;
/// Longest user agent kept.
const MAX_USER_AGENT: usize = 500;

/// Kinds of record an entry can be about (`target_type`), with their Spanish names.
pub mod target {
    pub const STAFF_USER: &str = "staff_user";
    pub const SESSION: &str = "session";
    pub const EMAIL: &str = "email";
    pub const SETTINGS: &str = "settings";
    pub const CLAIM: &str = "claim";
    pub const TASK: &str = "task";
    pub const CUSTOMER: &str = "customer";
    pub const POLICY: &str = "policy";
    pub const QUOTE: &str = "quote";
    pub const TAXI_TARIFF: &str = "taxi_tariff";
    pub const LEAD: &str = "lead";
    pub const LANDING: &str = "landing";
    pub const BLOG_POST: &str = "blog_post";
    pub const MESSAGE_THREAD: &str = "message_thread";
    pub const RECEIPT: &str = "receipt";
    pub const SETTLEMENT: &str = "carrier_settlement";
    pub const CARRIER: &str = "carrier";
    pub const LINE: &str = "line_of_business";
    pub const PRODUCT: &str = "product";
    pub const MANDATE: &str = "sepa_mandate";
    pub const REMITTANCE: &str = "sepa_remittance";
    pub const BANK_FILE: &str = "bank_file";
    pub const COMPLAINT: &str = "complaint";
    pub const PRIVACY_REQUEST: &str = "privacy_request";

    /// What the audit page calls a target type; `None` for a type it does not know.
    pub fn label(target_type: &str) -> Option<&'static str> {
        match target_type {
            STAFF_USER => Some("Empleado"),
            SESSION => Some("Sesión"),
            EMAIL => Some("Correo"),
            SETTINGS => Some("Configuración"),
            CLAIM => Some("Siniestro"),
            TASK => Some("Tarea"),
            CUSTOMER => Some("Cliente"),
            POLICY => Some("Póliza"),
            QUOTE => Some("Presupuesto"),
            TAXI_TARIFF => Some("Tarifa de taxi"),
            LEAD => Some("Lead"),
            LANDING => Some("Landing"),
            BLOG_POST => Some("Entrada del blog"),
            MESSAGE_THREAD => Some("Conversación con cliente"),
            RECEIPT => Some("Recibo"),
            SETTLEMENT => Some("Liquidación"),
            CARRIER => Some("Compañía"),
            LINE => Some("Ramo"),
            PRODUCT => Some("Producto"),
            MANDATE => Some("Mandato SEPA"),
            REMITTANCE => Some("Remesa"),
            BANK_FILE => Some("Fichero del banco"),
            COMPLAINT => Some("Reclamación"),
            PRIVACY_REQUEST => Some("Solicitud de derechos"),
            _ => None,
        }
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct NewEntry<'a> {
    /// The signed-in staff member who acted; `None` for anonymous attempts and the system.
    pub actor_staff_id: Option<i64>,
    /// Who acted, as text: the staff member's e-mail, the e-mail typed on a failed sign-in,
    /// or [`SYSTEM_ACTOR`]. Blank becomes "desconocido".
    pub actor_label: &'a str,
    pub action: Action,
    /// What the action was about (see [`target`]) and its id.
    pub target_type: Option<&'a str>,
    pub target_id: Option<i64>,
    /// The client's address and user agent (`RequestMeta`); empty when there is no request.
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// Anything else worth keeping, as a JSON object (`serde_json::json!({...})`); for
    /// changes of business records, `{"field": {"before": .., "after": ..}}`.
    pub details: serde_json::Value,
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct Row<'a> {
    actor_staff_id: Option<i64>,
    actor_label: String,
    action: &'static str,
    target_type: Option<&'a str>,
    target_id: Option<i64>,
    ip: Option<&'a str>,
    user_agent: Option<String>,
    details: serde_json::Value,
}

/// Appends `entry` to the audit log. Call it inside the transaction of the change it records.
pub fn record(conn: &mut PgConnection, entry: &NewEntry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(Row::of(entry))
        .execute(conn)?;
    Ok(())
}

/// Appends `entries` in one statement (an import's batch). Call it inside the transaction of
/// the changes they record.
pub fn record_many(conn: &mut PgConnection, entries: &[NewEntry]) -> QueryResult<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let rows: Vec<Row> = entries.iter().map(Row::of).collect();
    diesel::insert_into(audit_log::table)
        .values(&rows)
        .execute(conn)?;
    Ok(())
}

impl<'a> Row<'a> {
    fn of(entry: &'a NewEntry) -> Self {
        let label = entry.actor_label.trim();
        let actor_label = if label.is_empty() {
            "desconocido".to_owned()
        } else {
            label.chars().take(MAX_ACTOR_LABEL).collect()
        };
        // The table only takes objects, so that every entry's details read as "key: value".
        let details = match &entry.details {
            serde_json::Value::Object(_) => entry.details.clone(),
            serde_json::Value::Null => serde_json::json!({}),
            other => serde_json::json!({ "value": other }),
        };
        Row {
            actor_staff_id: entry.actor_staff_id,
            actor_label,
            action: entry.action.code(),
            target_type: entry.target_type.and_then(non_empty),
            target_id: entry.target_id,
            ip: non_empty(entry.ip),
            user_agent: non_empty(entry.user_agent)
                .map(|ua| ua.chars().take(MAX_USER_AGENT).collect()),
            details,
        }
    }
}

fn non_empty(text: &str) -> Option<&str> {
    Some(text.trim()).filter(|t| !t.is_empty())
}
