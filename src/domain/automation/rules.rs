//! A rule: when it fires (an event with conditions, a date relative to a record, a schedule)
//! and what it does (tasks, e-mails, notes, an allowed field change). Stored as one row with
//! its conditions and actions in JSONB, read back into the types below; a row this version
//! cannot read is an error, never a rule that silently does something else.

use chrono::{DateTime, NaiveTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::placeholders::Entity;
use crate::audit::{Action as AuditAction, Actor};
use crate::db::schema::automation_rules;
use crate::validation::FieldErrors;

/// The events a rule may answer, with the record they are about and their Spanish name.
pub const EVENTS: &[(&str, Entity, &str)] = &[
    ("claim.created", Entity::Claim, "Siniestro comunicado"),
    (
        "claim.status_changed",
        Entity::Claim,
        "Siniestro cambia de estado",
    ),
    ("quote.created", Entity::Quote, "Presupuesto creado"),
    ("quote.sent", Entity::Quote, "Presupuesto enviado"),
    ("quote.accepted", Entity::Quote, "Presupuesto aceptado"),
    (
        "quote.accepted_by_client",
        Entity::Quote,
        "Presupuesto aceptado por el cliente en e-SORI",
    ),
    ("receipt.returned", Entity::Receipt, "Recibo devuelto"),
    ("lead.created", Entity::Lead, "Lead nuevo"),
    ("lead.resubmitted", Entity::Lead, "Lead vuelve a escribir"),
    ("lead.stage_changed", Entity::Lead, "Lead cambia de etapa"),
    ("lead.converted", Entity::Lead, "Lead convertido en cliente"),
    (
        "policy.expiring_soon",
        Entity::Policy,
        "Póliza próxima a vencer",
    ),
    (
        "customer.field_changed",
        Entity::Customer,
        "Cliente: campo cambiado por una regla",
    ),
    (
        "lead.field_changed",
        Entity::Lead,
        "Lead: campo cambiado por una regla",
    ),
];

/// The record an event kind is about.
pub fn event_entity(kind: &str) -> Option<Entity> {
    EVENTS.iter().find(|(k, ..)| *k == kind).map(|(_, e, _)| *e)
}

pub fn event_label(kind: &str) -> &str {
    EVENTS
        .iter()
        .find(|(k, ..)| *k == kind)
        .map_or(kind, |(.., label)| label)
}

/// A moment relative to a record, the reference of a date rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The end date of an active policy.
    PolicyEnd,
    /// The due date of a pending receipt.
    ReceiptDue,
    /// The last change of a claim still open.
    ClaimLastChange,
    /// The arrival of a web lead nobody has contacted yet.
    LeadUncontacted,
    /// The last message of a client still waiting for an answer.
    MessageWaiting,
}

impl Anchor {
    pub const ALL: [Anchor; 5] = [
        Anchor::PolicyEnd,
        Anchor::ReceiptDue,
        Anchor::ClaimLastChange,
        Anchor::LeadUncontacted,
        Anchor::MessageWaiting,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Anchor::PolicyEnd => "policy.end_date",
            Anchor::ReceiptDue => "receipt.due_date",
            Anchor::ClaimLastChange => "claim.last_change",
            Anchor::LeadUncontacted => "lead.uncontacted",
            Anchor::MessageWaiting => "message.waiting",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Anchor::PolicyEnd => "Vencimiento de una póliza en vigor",
            Anchor::ReceiptDue => "Vencimiento de un recibo pendiente",
            Anchor::ClaimLastChange => "Último cambio de un siniestro abierto",
            Anchor::LeadUncontacted => "Llegada de un lead aún sin contactar",
            Anchor::MessageWaiting => "Mensaje de un cliente sin contestar",
        }
    }

    pub fn entity(self) -> Entity {
        match self {
            Anchor::PolicyEnd => Entity::Policy,
            Anchor::ReceiptDue => Entity::Receipt,
            Anchor::ClaimLastChange => Entity::Claim,
            Anchor::LeadUncontacted => Entity::Lead,
            Anchor::MessageWaiting => Entity::Message,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OffsetUnit {
    Hours,
    Days,
    /// Monday to Friday, national holidays excluded.
    WorkingDays,
}

impl OffsetUnit {
    pub const ALL: [OffsetUnit; 3] = [OffsetUnit::Hours, OffsetUnit::Days, OffsetUnit::WorkingDays];

    pub fn code(self) -> &'static str {
        match self {
            OffsetUnit::Hours => "hours",
            OffsetUnit::Days => "days",
            OffsetUnit::WorkingDays => "working_days",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|u| u.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            OffsetUnit::Hours => "horas",
            OffsetUnit::Days => "días",
            OffsetUnit::WorkingDays => "días laborables",
        }
    }

    /// "1 día laborable", "60 días".
    pub fn amount(self, count: i32) -> String {
        let count = count.unsigned_abs();
        let unit = match (self, count) {
            (OffsetUnit::Hours, 1) => "hora",
            (OffsetUnit::Days, 1) => "día",
            (OffsetUnit::WorkingDays, 1) => "día laborable",
            _ => self.label(),
        };
        format!("{count} {unit}")
    }
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq)]
pub enum Trigger {
    Event {
        kind: String,
    },
    /// At `anchor` + `offset` (negative: before).
    Date {
        anchor: Anchor,
        offset: i32,
        unit: OffsetUnit,
    },
    /// Every day (or on one ISO weekday) at a Madrid time.
    Schedule {
        time: NaiveTime,
        weekday: Option<u8>,
    },
}

impl Trigger {
    /// The record the rule acts on (`None` for a schedule).
    pub fn entity(&self) -> Option<Entity> {
        match self {
            Trigger::Event { kind } => event_entity(kind),
            Trigger::Date { anchor, .. } => Some(anchor.entity()),
            Trigger::Schedule { .. } => None,
        }
    }

    /// "Cuando: Siniestro cambia de estado", "60 días antes de: Vencimiento de ...".
    pub fn describe(&self) -> String {
        match self {
            Trigger::Event { kind } => format!("Evento: {}", event_label(kind)),
            Trigger::Date {
                anchor,
                offset,
                unit,
            } => match offset.signum() {
                0 => format!("En el momento: {}", anchor.label().to_lowercase()),
                -1 => format!(
                    "{} antes: {}",
                    unit.amount(*offset),
                    anchor.label().to_lowercase()
                ),
                _ => format!(
                    "{} después: {}",
                    unit.amount(*offset),
                    anchor.label().to_lowercase()
                ),
            },
            Trigger::Schedule { time, weekday } => {
                let day = match weekday {
                    None => "Cada día".to_owned(),
                    Some(d) => format!("Cada {}", weekday_name(*d)),
                };
                format!("{day} a las {}", time.format("%H:%M"))
            }
        }
    }
}

pub fn weekday_name(day: u8) -> &'static str {
    match day {
        1 => "lunes",
        2 => "martes",
        3 => "miércoles",
        4 => "jueves",
        5 => "viernes",
        6 => "sábado",
        _ => "domingo",
    }
}

/// How a condition compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Eq,
    Ne,
    Gte,
    Lte,
}

impl Op {
    pub const ALL: [Op; 4] = [Op::Eq, Op::Ne, Op::Gte, Op::Lte];

    pub fn code(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Gte => "gte",
            Op::Lte => "lte",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Op::Eq => "es",
            Op::Ne => "no es",
            Op::Gte => "es mayor o igual que",
            Op::Lte => "es menor o igual que",
        }
    }
}

/// One condition on the record's (or the event's) fields; all of a rule's must hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    pub field: String,
    pub op: Op,
    pub value: String,
}

impl Condition {
    /// Text compares without case or surrounding spaces; numbers compare as numbers. A field
    /// the record does not have never holds (except for "no es").
    pub fn holds(&self, fields: &Map<String, Value>) -> bool {
        let want = self.value.trim();
        let Some(have) = fields.get(&self.field) else {
            return self.op == Op::Ne;
        };
        let number = |v: &Value| match v {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().replace(',', ".").parse().ok(),
            _ => None,
        };
        let text = match have {
            Value::String(s) => s.trim().to_lowercase(),
            other => other.to_string(),
        };
        let want_number: Option<f64> = want.replace(',', ".").parse().ok();
        match self.op {
            Op::Eq => match (number(have), want_number) {
                (Some(a), Some(b)) => a == b,
                _ => text == want.to_lowercase(),
            },
            Op::Ne => match (number(have), want_number) {
                (Some(a), Some(b)) => a != b,
                _ => text != want.to_lowercase(),
            },
            Op::Gte => matches!((number(have), want_number), (Some(a), Some(b)) if a >= b),
            Op::Lte => matches!((number(have), want_number), (Some(a), Some(b)) if a <= b),
        }
    }

    pub fn describe(&self) -> String {
        format!("{} {} «{}»", self.field, self.op.label(), self.value)
    }
}

/// Who gets a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Assignee {
    /// The agent who looks after the record (a supervisor when it has none).
    RecordAgent,
    /// The least busy active member of a role (`supervisor`, `claims`, `admin`, `agent`).
    Role(String),
    /// One named staff member.
    Staff(i64),
}

/// Who gets an e-mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Recipient {
    /// The client (or the prospect of a quote or lead).
    Client,
    /// The agent who looks after the record.
    Agent,
}

/// The fields a rule may change, with the values each takes: (record, field, allowed values).
pub const SETTABLE_FIELDS: &[(Entity, &str, &[&str])] = &[
    (
        Entity::Customer,
        "segmento",
        &["individual", "self_employed", "small_business", "corporate"],
    ),
    (
        Entity::Lead,
        "puntuacion",
        &["0", "10", "20", "30", "40", "50"],
    ),
];

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    CreateTask {
        title: String,
        assignee: Assignee,
        /// Days from the moment the rule fires.
        due_in_days: i32,
        /// `normal` or `high`.
        priority: String,
    },
    SendEmail {
        template: String,
        to: Recipient,
    },
    AddNote {
        text: String,
    },
    SetField {
        field: String,
        value: String,
    },
}

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::CreateTask {
                title,
                assignee,
                due_in_days,
                priority,
            } => {
                let who = match assignee {
                    Assignee::RecordAgent => "el agente del registro".to_owned(),
                    Assignee::Role(role) => format!("la cola de {}", role_label(role)),
                    Assignee::Staff(id) => format!("el usuario n.º {id}"),
                };
                let urgency = if priority == "high" {
                    ", prioridad alta"
                } else {
                    ""
                };
                format!("Tarea «{title}» para {who}, en {due_in_days} días{urgency}")
            }
            Action::SendEmail { template, to } => format!(
                "Correo con la plantilla «{template}» a {}",
                match to {
                    Recipient::Client => "el cliente",
                    Recipient::Agent => "el agente",
                }
            ),
            Action::AddNote { text } => format!("Nota en el historial: «{text}»"),
            Action::SetField { field, value } => format!("Cambiar {field} a «{value}»"),
        }
    }
}

pub fn role_label(code: &str) -> &str {
    crate::auth::staff::Role::parse(code).map_or(code, |r| r.label())
}

/// A rule as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub system_key: Option<String>,
    pub name: String,
    pub description: String,
    pub enabled: bool,
    pub trigger: Trigger,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = automation_rules, check_for_backend(diesel::pg::Pg))]
struct RuleRow {
    id: i64,
    system_key: Option<String>,
    name: String,
    description: String,
    enabled: bool,
    trigger_kind: String,
    event_kind: Option<String>,
    conditions: Value,
    date_anchor: Option<String>,
    offset_amount: i32,
    offset_unit: String,
    schedule_time: Option<NaiveTime>,
    schedule_weekday: Option<i16>,
    actions: Value,
    updated_at: DateTime<Utc>,
}

/// A stored rule this version cannot read.
#[derive(Debug, thiserror::Error)]
#[error("la regla {id} no se puede leer: {why}")]
pub struct Unreadable {
    pub id: i64,
    pub why: String,
}

impl TryFrom<RuleRow> for Rule {
    type Error = Unreadable;

    fn try_from(row: RuleRow) -> Result<Self, Unreadable> {
        let bad = |why: String| Unreadable { id: row.id, why };
        let trigger = match row.trigger_kind.as_str() {
            "event" => Trigger::Event {
                kind: row
                    .event_kind
                    .clone()
                    .ok_or_else(|| bad("sin evento".into()))?,
            },
            "date" => Trigger::Date {
                anchor: row
                    .date_anchor
                    .as_deref()
                    .and_then(Anchor::parse)
                    .ok_or_else(|| bad(format!("referencia {:?}", row.date_anchor)))?,
                offset: row.offset_amount,
                unit: OffsetUnit::parse(&row.offset_unit)
                    .ok_or_else(|| bad(format!("unidad {}", row.offset_unit)))?,
            },
            "schedule" => Trigger::Schedule {
                time: row.schedule_time.ok_or_else(|| bad("sin hora".into()))?,
                weekday: row.schedule_weekday.map(|d| d as u8),
            },
            other => return Err(bad(format!("disparador {other}"))),
        };
        let conditions = serde_json::from_value(row.conditions.clone())
            .map_err(|e| bad(format!("condiciones: {e}")))?;
        let actions = serde_json::from_value(row.actions.clone())
            .map_err(|e| bad(format!("acciones: {e}")))?;
        Ok(Rule {
            id: row.id,
            system_key: row.system_key,
            name: row.name,
            description: row.description,
            enabled: row.enabled,
            trigger,
            conditions,
            actions,
            updated_at: row.updated_at,
        })
    }
}

/// Why rules could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Unreadable(#[from] Unreadable),
    #[error("datos no válidos")]
    Invalid(FieldErrors),
}

fn read(rows: Vec<RuleRow>) -> Result<Vec<Rule>, RuleError> {
    rows.into_iter()
        .map(|row| Rule::try_from(row).map_err(RuleError::from))
        .collect()
}

/// Every rule, by name.
pub fn list(conn: &mut PgConnection) -> Result<Vec<Rule>, RuleError> {
    read(
        automation_rules::table
            .order((automation_rules::name, automation_rules::id))
            .select(RuleRow::as_select())
            .load(conn)?,
    )
}

/// The enabled rules of one trigger kind (`event`, `date`, `schedule`).
pub fn enabled(conn: &mut PgConnection, trigger_kind: &str) -> Result<Vec<Rule>, RuleError> {
    read(
        automation_rules::table
            .filter(automation_rules::enabled.eq(true))
            .filter(automation_rules::trigger_kind.eq(trigger_kind))
            .order(automation_rules::id)
            .select(RuleRow::as_select())
            .load(conn)?,
    )
}

pub fn find(conn: &mut PgConnection, id: i64) -> Result<Option<Rule>, RuleError> {
    let row = automation_rules::table
        .find(id)
        .select(RuleRow::as_select())
        .first(conn)
        .optional()?;
    Ok(row.map(Rule::try_from).transpose()?)
}

/// A rule as staff write it, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDraft {
    pub name: String,
    pub description: String,
    pub trigger: Trigger,
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
}

impl RuleDraft {
    /// Checks what the form cannot: actions fit the trigger's record, templates exist and
    /// speak about that record, fields are settable. Errors are Spanish, by form field.
    pub fn check(&self, conn: &mut PgConnection) -> Result<(), RuleError> {
        let mut errors = FieldErrors::new();
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 120 {
            errors.add("nombre", "Escriba un nombre de 1 a 120 caracteres.");
        }
        if let Trigger::Event { kind } = &self.trigger
            && event_entity(kind).is_none()
        {
            errors.add("evento", "Elija un evento de la lista.");
        }
        if let Trigger::Date { offset, .. } = &self.trigger
            && offset.abs() > 3650
        {
            errors.add("desfase", "El desfase no puede pasar de 3650.");
        }
        if self.actions.is_empty() {
            errors.add("acciones", "Añada al menos una acción.");
        }
        let entity = self.trigger.entity();
        for (index, action) in self.actions.iter().enumerate() {
            let field = action_field(index);
            match action {
                Action::CreateTask {
                    title,
                    due_in_days,
                    assignee,
                    ..
                } => {
                    if title.trim().is_empty() || title.chars().count() > 200 {
                        errors.add_named(
                            &field,
                            "Escriba el título de la tarea (hasta 200 caracteres).",
                        );
                    }
                    if !(0..=365).contains(due_in_days) {
                        errors.add_named(&field, "El plazo de la tarea va de 0 a 365 días.");
                    }
                    if *assignee == Assignee::RecordAgent && entity.is_none() {
                        errors.add_named(
                            &field,
                            "Una regla programada no tiene registro: asigne la tarea a un rol o a una persona.",
                        );
                    }
                }
                Action::SendEmail { template, to } => {
                    match super::templates::current(conn, template)? {
                        None => errors.add_named(&field, "Esa plantilla no existe."),
                        Some(version) => {
                            if entity.is_none() {
                                errors.add_named(
                                    &field,
                                    "Una regla programada no tiene destinatario: use tareas.",
                                );
                            } else if Some(version.entity) != entity
                                && version.entity != Entity::Customer
                            {
                                errors.add_named(
                                    &field,
                                    format!(
                                        "La plantilla «{}» es de {} y la regla actúa sobre {}.",
                                        version.name,
                                        version.entity.label().to_lowercase(),
                                        entity.map_or("nada", |e| e.label()).to_lowercase()
                                    ),
                                );
                            }
                            if *to == Recipient::Agent && entity.is_none() {
                                errors.add_named(&field, "Sin registro no hay agente.");
                            }
                        }
                    }
                }
                Action::AddNote { text } => {
                    if text.trim().is_empty() || text.chars().count() > 1000 {
                        errors.add_named(&field, "Escriba la nota (hasta 1000 caracteres).");
                    }
                    if entity.is_none() {
                        errors.add_named(&field, "Una regla programada no tiene historial.");
                    }
                }
                Action::SetField { field: name, value } => {
                    let allowed = SETTABLE_FIELDS
                        .iter()
                        .find(|(e, f, _)| Some(*e) == entity && f == name);
                    match allowed {
                        None => errors.add_named(
                            &field,
                            "Ese campo no se puede cambiar desde una regla sobre este registro.",
                        ),
                        Some((.., values)) if !values.contains(&value.as_str()) => errors
                            .add_named(&field, format!("Valores posibles: {}.", values.join(", "))),
                        Some(_) => {}
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(RuleError::Invalid(errors))
        }
    }

    fn columns(&self) -> RuleColumns {
        let (kind, event, anchor, offset, unit, time, weekday) = match &self.trigger {
            Trigger::Event { kind } => ("event", Some(kind.clone()), None, 0, "days", None, None),
            Trigger::Date {
                anchor,
                offset,
                unit,
            } => (
                "date",
                None,
                Some(anchor.code().to_owned()),
                *offset,
                unit.code(),
                None,
                None,
            ),
            Trigger::Schedule { time, weekday } => (
                "schedule",
                None,
                None,
                0,
                "days",
                Some(*time),
                weekday.map(i16::from),
            ),
        };
        (
            automation_rules::name.eq(self.name.trim().to_owned()),
            automation_rules::description.eq(self.description.trim().to_owned()),
            automation_rules::trigger_kind.eq(kind),
            automation_rules::event_kind.eq(event),
            automation_rules::conditions.eq(serde_json::to_value(&self.conditions)
                .unwrap_or_else(|_| Value::Array(vec![]))),
            automation_rules::date_anchor.eq(anchor),
            automation_rules::offset_amount.eq(offset),
            automation_rules::offset_unit.eq(unit),
            automation_rules::schedule_time.eq(time),
            automation_rules::schedule_weekday.eq(weekday),
            automation_rules::actions.eq(
                serde_json::to_value(&self.actions).unwrap_or_else(|_| Value::Array(vec![])),
            ),
        )
    }
}

/// The form field an action's error shows next to.
pub fn action_field(index: usize) -> String {
    format!("accion_{index}")
}

type RuleColumns = (
    diesel::dsl::Eq<automation_rules::name, String>,
    diesel::dsl::Eq<automation_rules::description, String>,
    diesel::dsl::Eq<automation_rules::trigger_kind, &'static str>,
    diesel::dsl::Eq<automation_rules::event_kind, Option<String>>,
    diesel::dsl::Eq<automation_rules::conditions, Value>,
    diesel::dsl::Eq<automation_rules::date_anchor, Option<String>>,
    diesel::dsl::Eq<automation_rules::offset_amount, i32>,
    diesel::dsl::Eq<automation_rules::offset_unit, &'static str>,
    diesel::dsl::Eq<automation_rules::schedule_time, Option<NaiveTime>>,
    diesel::dsl::Eq<automation_rules::schedule_weekday, Option<i16>>,
    diesel::dsl::Eq<automation_rules::actions, Value>,
);

/// Creates a rule (enabled) and audits it, in one transaction.
pub fn create(conn: &mut PgConnection, draft: &RuleDraft, by: &Actor) -> Result<i64, RuleError> {
    conn.transaction(|conn| {
        draft.check(conn)?;
        let id: i64 = diesel::insert_into(automation_rules::table)
            .values(draft.columns())
            .returning(automation_rules::id)
            .get_result(conn)?;
        by.record(
            conn,
            AuditAction::AutomationRuleCreated,
            "automation_rule",
            id,
            serde_json::json!({ "nombre": draft.name.trim() }),
        )?;
        Ok(id)
    })
}

/// Replaces a rule's definition (its run log stays), audited.
pub fn update(
    conn: &mut PgConnection,
    id: i64,
    draft: &RuleDraft,
    by: &Actor,
) -> Result<bool, RuleError> {
    conn.transaction(|conn| {
        draft.check(conn)?;
        let updated = diesel::update(automation_rules::table.find(id))
            .set((
                draft.columns(),
                automation_rules::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        if updated == 1 {
            by.record(
                conn,
                AuditAction::AutomationRuleUpdated,
                "automation_rule",
                id,
                serde_json::json!({ "nombre": draft.name.trim() }),
            )?;
        }
        Ok(updated == 1)
    })
}

/// Enables or disables a rule, audited. `false` when there is no such rule.
pub fn set_enabled(
    conn: &mut PgConnection,
    id: i64,
    enabled: bool,
    by: &Actor,
) -> Result<bool, RuleError> {
    conn.transaction(|conn| {
        let updated = diesel::update(automation_rules::table.find(id))
            .set((
                automation_rules::enabled.eq(enabled),
                automation_rules::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
        if updated == 1 {
            by.record(
                conn,
                AuditAction::AutomationRuleToggled,
                "automation_rule",
                id,
                serde_json::json!({ "activa": enabled }),
            )?;
        }
        Ok(updated == 1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn conditions_compare_text_without_case_and_numbers_as_numbers() {
        let f = fields(json!({ "estado": "peritado", "ramo": "taxi", "subida_prima_pct": 12.5 }));
        let c = |field: &str, op, value: &str| Condition {
            field: field.into(),
            op,
            value: value.into(),
        };
        assert!(c("estado", Op::Eq, " Peritado ").holds(&f));
        assert!(!c("estado", Op::Eq, "abierto").holds(&f));
        assert!(c("ramo", Op::Ne, "hogar").holds(&f));
        assert!(c("subida_prima_pct", Op::Gte, "10").holds(&f));
        assert!(!c("subida_prima_pct", Op::Gte, "12,6").holds(&f));
        assert!(c("subida_prima_pct", Op::Lte, "12,5").holds(&f));
        assert!(!c("desconocido", Op::Eq, "x").holds(&f));
        assert!(c("desconocido", Op::Ne, "x").holds(&f));
    }

    #[test]
    fn actions_are_stored_as_tagged_json() {
        let action = Action::CreateTask {
            title: "Llamar".into(),
            assignee: Assignee::Role("supervisor".into()),
            due_in_days: 1,
            priority: "high".into(),
        };
        let value = serde_json::to_value(&action).unwrap();
        assert_eq!(value["type"], "create_task");
        assert_eq!(
            value["assignee"],
            json!({ "kind": "role", "value": "supervisor" })
        );
        assert_eq!(serde_json::from_value::<Action>(value).unwrap(), action);
        let record_agent: Assignee =
            serde_json::from_value(json!({ "kind": "record_agent" })).unwrap();
        assert_eq!(record_agent, Assignee::RecordAgent);
    }

    #[test]
    fn every_event_and_anchor_names_its_record() {
        for (kind, entity, label) in EVENTS {
            assert_eq!(event_entity(kind), Some(*entity));
            assert!(!label.is_empty());
        }
        for anchor in Anchor::ALL {
            assert_eq!(Anchor::parse(anchor.code()), Some(anchor));
        }
    }
}
