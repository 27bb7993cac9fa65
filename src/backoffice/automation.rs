//! Automation rules in the back-office (`/admin/automatizacion`), for admins
//! (`ManageAutomation`): the list of rules with what is stuck (parked events, failed and parked
//! runs, each retried on demand), the rule form (an event, a date relative to a record or a
//! schedule; up to three conditions; up to four actions), a dry run of a saved rule, and each
//! rule's run log.
//!
//! The form is read at the edge into a [`RuleDraft`] (numbers, hours, choices: Spanish errors
//! next to each field); the domain's [`RuleDraft::check`] then says what only the database
//! knows (templates, fields a rule may change), keyed by field too. Creating carries a one-time
//! form token, so a form sent twice creates one rule.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Duration, NaiveTime, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::automation::engine::{self, Context};
use crate::automation::facts::{self, Subject};
use crate::automation::log::{self, ParkedEvent, RunEntry};
use crate::automation::rules::{
    self, Action, Anchor, Assignee, Condition, EVENTS, OffsetUnit, Op, Recipient, Rule, RuleDraft,
    RuleError, SETTABLE_FIELDS, Trigger,
};
use crate::automation::{Entity, templates};

use crate::audit::{Action as AuditAction, Actor};
use crate::backoffice::CurrentStaff;
use crate::config::Config;
use crate::db::form_submissions::{self, Claimed};
use crate::db::schema::{automation_rules, automation_runs, domain_events};
use crate::db::{Db, DbError};
use crate::format::madrid_datetime;
use crate::listing::Cursor;
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::{Form, StrictForm};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/admin/automatizacion";
/// Condition rows the form offers (more only when a stored rule has more).
const CONDITION_ROWS: usize = 3;
/// Action rows the form offers (more only when a stored rule has more).
const ACTION_ROWS: usize = 4;
/// Rows a form may send: a bound on what a crafted request makes the server read.
const MAX_ROWS: usize = 20;
/// Parked events and unfinished runs the list shows.
const STUCK_SHOWN: i64 = 50;
/// Records a dry run lists (and event records whose conditions it checks).
const SIMULATION_SHOWN: usize = 50;
/// Events a dry run of an event rule reads.
const SIMULATION_EVENTS: i64 = 500;
/// How far back a dry run of an event rule looks.
const SIMULATION_DAYS: i64 = 30;
/// `audit_log.target_type` of a retried event and of a retried run.
const TARGET_EVENT: &str = "domain_event";
const TARGET_RUN: &str = "automation_run";

/// The fields conditions usually compare, offered as suggestions: (name, what it is).
const KNOWN_FIELDS: &[(&str, &str)] = &[
    ("estado", "Estado del registro"),
    ("ramo", "Ramo (código)"),
    ("origen", "Origen del presupuesto o lead"),
    ("etapa", "Etapa del lead"),
    ("motivo", "Motivo de devolución del recibo (código)"),
    ("subida_prima_pct", "Subida de prima en la renovación (%)"),
    ("aseguradora", "Compañía (código)"),
    ("segmento", "Segmento del cliente"),
];

fn rule_error(error: RuleError) -> AppError {
    match error {
        RuleError::Database(error) => DbError::from(error).into(),
        other => AppError::Internal(anyhow::Error::new(other)),
    }
}

fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

fn engine_context(config: &Config) -> Context {
    crate::cli::automation_context(config)
}

// ---------------------------------------------------------------------------------------------
// Words for people

/// Names the descriptions of actions need: templates by key, active staff by id.
#[derive(Debug, Default)]
struct Names {
    templates: HashMap<String, String>,
    staff: HashMap<i64, String>,
}

impl Names {
    fn load(conn: &mut PgConnection) -> QueryResult<Names> {
        Ok(Names {
            templates: templates::list_current(conn)?
                .into_iter()
                .map(|t| (t.key, t.name))
                .collect(),
            staff: crate::tasks::assignees(conn)?.into_iter().collect(),
        })
    }
}

fn days(n: i32) -> String {
    match n {
        0 => "para el mismo día".to_owned(),
        1 => "con 1 día de plazo".to_owned(),
        n => format!("con {n} días de plazo"),
    }
}

/// "Cliente: segmento", the name of a field a rule may change.
fn settable_label(entity: Entity, field: &str) -> String {
    let word = match field {
        "puntuacion" => "puntuación",
        other => other,
    };
    format!("{}: {word}", entity.label())
}

/// The Spanish name of a value a rule may set.
fn settable_value_label(field: &str, value: &str) -> String {
    match field {
        "segmento" => crate::customers::Segment::parse(value)
            .map_or_else(|| value.to_owned(), |s| s.label().to_owned()),
        _ => value.to_owned(),
    }
}

/// What an action does, in Spanish, with templates and people by name.
fn describe_action(action: &Action, names: &Names) -> String {
    match action {
        Action::CreateTask {
            title,
            assignee,
            due_in_days,
            priority,
        } => {
            let who = match assignee {
                Assignee::RecordAgent => "el agente del registro".to_owned(),
                Assignee::Role(role) => format!("la cola de {}", rules::role_label(role)),
                Assignee::Staff(id) => names
                    .staff
                    .get(id)
                    .cloned()
                    .unwrap_or_else(|| "una persona que ya no está en activo".to_owned()),
            };
            let urgency = if priority == "high" {
                ", prioridad alta"
            } else {
                ""
            };
            format!(
                "Tarea «{title}» para {who}, {}{urgency}",
                days(*due_in_days)
            )
        }
        Action::SendEmail { template, to } => format!(
            "Correo «{}» {}",
            names
                .templates
                .get(template)
                .map_or("(plantilla que ya no existe)", String::as_str),
            match to {
                Recipient::Client => "al cliente",
                Recipient::Agent => "al agente",
            }
        ),
        Action::AddNote { .. } => action.describe(),
        Action::SetField { field, value } => {
            let entity = SETTABLE_FIELDS
                .iter()
                .find(|(_, f, _)| f == field)
                .map(|(e, ..)| *e);
            format!(
                "Cambiar {} a «{}»",
                entity.map_or_else(
                    || field.clone(),
                    |e| settable_label(e, field).to_lowercase()
                ),
                settable_value_label(field, value)
            )
        }
    }
}

/// The back-office page of a record, and how to call it.
fn record_link(entity_type: &str, id: i64) -> Option<(String, String)> {
    let entity = Entity::parse(entity_type)?;
    let path = match entity {
        Entity::Claim => "siniestros",
        Entity::Policy => "polizas",
        Entity::Quote => "presupuestos",
        Entity::Receipt => "recibos",
        Entity::Lead => "leads",
        Entity::Customer => "clientes",
        Entity::Message => "mensajes",
    };
    Some((
        format!("/admin/{path}/{id}"),
        format!("{} n.º {id}", entity.label()),
    ))
}

/// A record as a dry run lists it: by its business number and its client when known.
fn subject_label(subject: &Subject) -> (String, String) {
    let value = |key: &str| subject.values.get(key).cloned();
    let number = match subject.entity {
        Entity::Claim => value("numero_siniestro"),
        Entity::Policy => value("numero_poliza"),
        Entity::Quote => value("numero_presupuesto"),
        Entity::Receipt => value("numero_recibo"),
        Entity::Message => value("asunto_mensaje"),
        Entity::Lead | Entity::Customer => None,
    };
    let client = value("nombre_completo_cliente").or_else(|| value("nombre_cliente"));
    let label = match (number, subject.entity) {
        (Some(number), Entity::Message) => format!("Mensaje «{number}»"),
        (Some(number), entity) => format!("{} {number}", entity.label()),
        (None, Entity::Customer) => client.clone().unwrap_or_else(|| "Cliente".to_owned()),
        (None, entity) => entity.label().to_owned(),
    };
    let detail = match subject.entity {
        Entity::Customer => String::new(),
        _ => client.unwrap_or_default(),
    };
    (label, detail)
}

// ---------------------------------------------------------------------------------------------
// The list

pub struct RuleRow {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub trigger: String,
    pub conditions: usize,
    pub actions: Vec<String>,
    pub enabled: bool,
    pub runs: i64,
    pub last_run: Option<String>,
}

pub struct ParkedRow {
    pub id: i64,
    pub label: String,
    pub record: Option<(String, String)>,
    pub attempts: i32,
    pub error: String,
    pub parked_at: String,
}

impl ParkedRow {
    fn new(event: ParkedEvent) -> Self {
        Self {
            id: event.id,
            label: event.label().to_owned(),
            record: record_link(&event.entity_type, event.entity_id),
            attempts: event.attempts,
            error: event.last_error.unwrap_or_default(),
            parked_at: event.parked_at.map(madrid_datetime).unwrap_or_default(),
        }
    }
}

/// One run as the log and the list of what failed show it.
pub struct RunRow {
    pub id: i64,
    pub rule_id: i64,
    pub rule_name: String,
    pub status: &'static str,
    pub badge: &'static str,
    pub date: String,
    pub record: Option<(String, String)>,
    pub lines: Vec<String>,
    pub error: Option<String>,
    pub attempts: i32,
    /// A parked dated run, which can be put back in line on its own.
    pub retry: bool,
    /// A parked run of an event: it is retried with its event.
    pub with_event: bool,
}

impl RunRow {
    fn new(run: RunEntry) -> Self {
        let parked = run.status == "parked";
        Self {
            id: run.id,
            rule_id: run.rule_id,
            status: run.status_label(),
            badge: run.badge_class(),
            date: madrid_datetime(run.finished_at),
            record: run.record_link(),
            lines: run.lines().into_iter().map(str::to_owned).collect(),
            error: run.last_error.clone().filter(|e| !e.trim().is_empty()),
            attempts: run.attempts,
            retry: parked && run.event_id.is_none(),
            with_event: parked && run.event_id.is_some(),
            rule_name: run.rule_name,
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/automation/rules_list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub rules: Vec<RuleRow>,
    pub parked: Vec<ParkedRow>,
    pub unfinished: Vec<RunRow>,
}

/// GET /admin/automatizacion
pub async fn list(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let (rules, totals, parked, unfinished, names) = db
        .run(|conn| {
            Ok::<_, AppError>((
                rules::list(conn).map_err(rule_error)?,
                log::totals(conn).map_err(DbError::from)?,
                log::parked_events(conn, STUCK_SHOWN).map_err(DbError::from)?,
                log::unfinished(conn, STUCK_SHOWN).map_err(DbError::from)?,
                Names::load(conn).map_err(DbError::from)?,
            ))
        })
        .await?;
    let totals: HashMap<i64, (i64, Option<DateTime<Utc>>)> = totals
        .into_iter()
        .map(|(rule, count, last)| (rule, (count, last)))
        .collect();
    let rules = rules
        .into_iter()
        .map(|rule| {
            let (runs, last) = totals.get(&rule.id).copied().unwrap_or((0, None));
            RuleRow {
                id: rule.id,
                trigger: rule.trigger.describe(),
                conditions: rule.conditions.len(),
                actions: rule
                    .actions
                    .iter()
                    .map(|a| describe_action(a, &names))
                    .collect(),
                enabled: rule.enabled,
                runs,
                last_run: last.map(madrid_datetime),
                name: rule.name,
                description: rule.description,
            }
        })
        .collect();
    page_or_partial!(ListPage {
        ctx,
        rules,
        parked: parked.into_iter().map(ParkedRow::new).collect(),
        unfinished: unfinished.into_iter().map(RunRow::new).collect(),
    })
}

#[derive(Debug, Deserialize)]
pub struct StateForm {
    #[serde(default)]
    activa: String,
}

/// POST /admin/automatizacion/reglas/{id}/estado (activa=1|0)
pub async fn set_state(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: StrictForm<StateForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let enabled = match form.activa.trim() {
        "1" => true,
        "0" => false,
        other => return Err(AppError::BadRequest(format!("activa={other:?}"))),
    };
    let by = actor(&staff, &meta);
    let found = db
        .transaction(move |conn| rules::set_enabled(conn, id, enabled, &by).map_err(rule_error))
        .await?;
    if !found {
        return Err(AppError::NotFound);
    }
    Ok(flash::redirect(
        PATH,
        Flash::success(if enabled {
            "Regla activada: actuará desde la próxima vuelta del motor."
        } else {
            "Regla desactivada: deja de actuar."
        }),
    ))
}

/// POST /admin/automatizacion/eventos/{id}/reintentar: a parked event goes back in line.
pub async fn retry_event(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = actor(&staff, &meta);
    let retried = db
        .transaction(move |conn| {
            let kind: String = domain_events::table
                .find(id)
                .select(domain_events::kind)
                .first(conn)?;
            let retried = engine::retry_parked(conn, id)?;
            if retried {
                by.record(
                    conn,
                    AuditAction::AutomationRetried,
                    TARGET_EVENT,
                    id,
                    serde_json::json!({ "evento": rules::event_label(&kind) }),
                )?;
            }
            Ok::<_, DbError>(retried)
        })
        .await?;
    Ok(flash::redirect(
        PATH,
        if retried {
            Flash::success("El evento vuelve a la cola: el motor lo tratará en su próxima vuelta.")
        } else {
            Flash::info("Ese evento ya no estaba detenido.")
        },
    ))
}

/// POST /admin/automatizacion/ejecuciones/{id}/reintentar: a parked dated run goes back in
/// line.
pub async fn retry_run(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = actor(&staff, &meta);
    let retried = db
        .transaction(move |conn| {
            let rule: String = automation_runs::table
                .inner_join(automation_rules::table)
                .filter(automation_runs::id.eq(id))
                .select(automation_rules::name)
                .first(conn)?;
            let retried = engine::retry_parked_run(conn, id)?;
            if retried {
                by.record(
                    conn,
                    AuditAction::AutomationRetried,
                    TARGET_RUN,
                    id,
                    serde_json::json!({ "regla": rule }),
                )?;
            }
            Ok::<_, DbError>(retried)
        })
        .await?;
    Ok(flash::redirect(
        PATH,
        if retried {
            Flash::success(
                "La ejecución vuelve a la cola: el motor la intentará en su próxima vuelta.",
            )
        } else {
            Flash::info("Esa ejecución ya no estaba detenida.")
        },
    ))
}

// ---------------------------------------------------------------------------------------------
// The form

#[derive(Debug, Clone, Default)]
pub struct ConditionRow {
    pub index: usize,
    pub campo: String,
    pub operador: String,
    pub valor: String,
}

impl ConditionRow {
    /// The form field `base` of this row: `condicion_campo_0`.
    pub fn key(&self, base: &str) -> String {
        format!("condicion_{base}_{}", self.index)
    }

    pub fn number(&self) -> usize {
        self.index + 1
    }

    fn is_empty(&self) -> bool {
        self.campo.trim().is_empty() && self.valor.trim().is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct ActionRow {
    pub index: usize,
    pub tipo: String,
    pub titulo: String,
    pub asignar: String,
    pub plazo: String,
    pub prioridad: String,
    pub plantilla: String,
    pub destinatario: String,
    pub texto: String,
    pub campo: String,
    pub valor: String,
}

impl ActionRow {
    /// The form field `base` of this row: `titulo_0`.
    pub fn key(&self, base: &str) -> String {
        format!("{base}_{}", self.index)
    }

    /// Where the domain's messages about the whole action go (`accion_0`).
    pub fn row_key(&self) -> String {
        rules::action_field(self.index)
    }

    pub fn number(&self) -> usize {
        self.index + 1
    }

    fn blank(index: usize) -> Self {
        Self {
            index,
            tipo: if index == 0 { "tarea" } else { "ninguna" }.to_owned(),
            asignar: "agente".to_owned(),
            plazo: "1".to_owned(),
            prioridad: "normal".to_owned(),
            destinatario: "cliente".to_owned(),
            ..Self::default()
        }
    }
}

/// The rule form as typed (strings, kept as they came to show them again).
#[derive(Debug, Clone, Default)]
pub struct RuleForm {
    pub nombre: String,
    pub descripcion: String,
    /// `evento`, `fecha` or `programado`.
    pub disparador: String,
    pub evento: String,
    pub referencia: String,
    /// The offset's size; its sign is `sentido`.
    pub desfase: String,
    /// `antes` or `despues`.
    pub sentido: String,
    pub unidad: String,
    pub hora: String,
    /// Empty (every day) or an ISO weekday, 1 to 7.
    pub dia: String,
    pub conditions: Vec<ConditionRow>,
    pub actions: Vec<ActionRow>,
}

impl RuleForm {
    pub fn blank() -> Self {
        Self {
            disparador: "evento".to_owned(),
            referencia: Anchor::PolicyEnd.code().to_owned(),
            sentido: "antes".to_owned(),
            unidad: OffsetUnit::Days.code().to_owned(),
            hora: "09:00".to_owned(),
            conditions: (0..CONDITION_ROWS)
                .map(|index| ConditionRow {
                    index,
                    operador: Op::Eq.code().to_owned(),
                    ..ConditionRow::default()
                })
                .collect(),
            actions: (0..ACTION_ROWS).map(ActionRow::blank).collect(),
            ..Self::default()
        }
    }

    /// A stored rule in the form's terms.
    pub fn of(rule: &Rule) -> Self {
        let mut form = Self::blank();
        form.nombre = rule.name.clone();
        form.descripcion = rule.description.clone();
        match &rule.trigger {
            Trigger::Event { kind } => {
                form.disparador = "evento".to_owned();
                form.evento = kind.clone();
            }
            Trigger::Date {
                anchor,
                offset,
                unit,
            } => {
                form.disparador = "fecha".to_owned();
                form.referencia = anchor.code().to_owned();
                form.desfase = offset.abs().to_string();
                form.sentido = if *offset < 0 { "antes" } else { "despues" }.to_owned();
                form.unidad = unit.code().to_owned();
            }
            Trigger::Schedule { time, weekday } => {
                form.disparador = "programado".to_owned();
                form.hora = time.format("%H:%M").to_string();
                form.dia = weekday.map(|d| d.to_string()).unwrap_or_default();
            }
        }
        let rows = CONDITION_ROWS.max(rule.conditions.len());
        form.conditions = (0..rows)
            .map(|index| match rule.conditions.get(index) {
                Some(condition) => ConditionRow {
                    index,
                    campo: condition.field.clone(),
                    operador: condition.op.code().to_owned(),
                    valor: condition.value.clone(),
                },
                None => ConditionRow {
                    index,
                    operador: Op::Eq.code().to_owned(),
                    ..ConditionRow::default()
                },
            })
            .collect();
        let rows = ACTION_ROWS.max(rule.actions.len());
        form.actions = (0..rows)
            .map(|index| match rule.actions.get(index) {
                Some(action) => action_row(index, action),
                None => ActionRow {
                    tipo: "ninguna".to_owned(),
                    ..ActionRow::blank(index)
                },
            })
            .collect();
        form
    }

    /// The form as sent (field name → value).
    fn from_fields(fields: &BTreeMap<String, String>) -> Self {
        let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
        let rows = |prefix: &str, least: usize| {
            (0..MAX_ROWS)
                .take_while(|i| *i < least || fields.contains_key(&format!("{prefix}{i}")))
                .count()
        };
        let conditions = (0..rows("condicion_campo_", CONDITION_ROWS))
            .map(|index| ConditionRow {
                index,
                campo: get(&format!("condicion_campo_{index}")),
                operador: get(&format!("condicion_operador_{index}")),
                valor: get(&format!("condicion_valor_{index}")),
            })
            .collect();
        let actions = (0..rows("tipo_", ACTION_ROWS))
            .map(|index| {
                let field = |base: &str| get(&format!("{base}_{index}"));
                ActionRow {
                    index,
                    tipo: field("tipo"),
                    titulo: field("titulo"),
                    asignar: field("asignar"),
                    plazo: field("plazo"),
                    prioridad: field("prioridad"),
                    plantilla: field("plantilla"),
                    destinatario: field("destinatario"),
                    texto: field("texto"),
                    campo: field("campo"),
                    valor: field("valor"),
                }
            })
            .collect();
        Self {
            nombre: get("nombre"),
            descripcion: get("descripcion"),
            disparador: get("disparador"),
            evento: get("evento"),
            referencia: get("referencia"),
            desfase: get("desfase"),
            sentido: get("sentido"),
            unidad: get("unidad"),
            hora: get("hora"),
            dia: get("dia"),
            conditions,
            actions,
        }
    }

    /// The fields whose text may hold line breaks.
    fn multiline_fields(&self) -> Vec<String> {
        let mut names = vec!["descripcion".to_owned()];
        names.extend(self.actions.iter().map(|row| row.key("texto")));
        names
    }

    /// Reads the form into a draft. What the form alone shows to be wrong (a number that is
    /// not one, an hour, a choice not offered) comes back as errors by field; the draft is
    /// still whole (a bad number reads as 0, a bad choice as the first one), so that the
    /// domain's own check can add its messages about the rest. Also returns the form row of
    /// each of the draft's actions (rows left as «ninguna» are not actions).
    pub fn read(&self) -> (RuleDraft, FieldErrors, Vec<usize>) {
        let mut errors = FieldErrors::new();
        let trigger = match self.disparador.trim() {
            "fecha" => {
                let anchor = Anchor::parse(self.referencia.trim()).unwrap_or_else(|| {
                    errors.add("referencia", "Elija la fecha de referencia.");
                    Anchor::PolicyEnd
                });
                let amount = match self.desfase.trim() {
                    "" => 0,
                    text => text.parse::<i32>().ok().filter(|n| *n >= 0).unwrap_or_else(|| {
                        errors.add(
                            "desfase",
                            "Escriba un número entero, sin signo: «antes» o «después» se elige al lado.",
                        );
                        0
                    }),
                };
                let sign = match self.sentido.trim() {
                    "antes" => -1,
                    "despues" => 1,
                    _ => {
                        errors.add("sentido", "Elija «antes» o «después».");
                        1
                    }
                };
                let unit = OffsetUnit::parse(self.unidad.trim()).unwrap_or_else(|| {
                    errors.add("unidad", "Elija la unidad del desfase.");
                    OffsetUnit::Days
                });
                Trigger::Date {
                    anchor,
                    offset: sign * amount,
                    unit,
                }
            }
            "programado" => {
                let time =
                    NaiveTime::parse_from_str(self.hora.trim(), "%H:%M").unwrap_or_else(|_| {
                        errors.add("hora", "Escriba la hora como HH:MM, por ejemplo 08:30.");
                        NaiveTime::MIN
                    });
                let weekday = match self.dia.trim() {
                    "" => None,
                    text => match text.parse::<u8>() {
                        Ok(day @ 1..=7) => Some(day),
                        _ => {
                            errors.add("dia", "Elija un día de la semana o «todos los días».");
                            None
                        }
                    },
                };
                Trigger::Schedule { time, weekday }
            }
            other => {
                if other != "evento" {
                    errors.add("disparador", "Elija cuándo actúa la regla.");
                }
                Trigger::Event {
                    kind: self.evento.trim().to_owned(),
                }
            }
        };

        let mut conditions = Vec::new();
        for row in &self.conditions {
            if row.is_empty() {
                continue;
            }
            let field = row.campo.trim();
            let well_named = !field.is_empty()
                && field.len() <= 60
                && field
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !well_named {
                errors.add_named(
                    &row.key("campo"),
                    "Escriba el campo en minúsculas y sin espacios, como en la lista (estado, ramo…).",
                );
            }
            let op = Op::parse(row.operador.trim());
            if op.is_none() {
                errors.add_named(&row.key("operador"), "Elija cómo se compara.");
            }
            let value = row.valor.trim();
            if value.is_empty() {
                errors.add_named(&row.key("valor"), "Escriba el valor con el que se compara.");
            } else if value.chars().count() > 200 {
                errors.add_named(
                    &row.key("valor"),
                    "El valor puede tener como máximo 200 caracteres.",
                );
            }
            if let (true, Some(op), false) = (well_named, op, value.is_empty()) {
                conditions.push(Condition {
                    field: field.to_owned(),
                    op,
                    value: value.to_owned(),
                });
            }
        }

        let mut actions = Vec::new();
        let mut rows = Vec::new();
        for row in &self.actions {
            let action = match row.tipo.trim() {
                "" | "ninguna" => continue,
                "tarea" => {
                    let assignee = match row.asignar.trim() {
                        "agente" => Assignee::RecordAgent,
                        choice => match choice.split_once(':') {
                            Some(("rol", role @ ("supervisor" | "claims" | "admin" | "agent"))) => {
                                Assignee::Role(role.to_owned())
                            }
                            Some(("persona", id)) if id.parse::<i64>().is_ok() => {
                                Assignee::Staff(id.parse().unwrap_or_default())
                            }
                            _ => {
                                errors.add_named(
                                    &row.key("asignar"),
                                    "Elija a quién se asigna la tarea.",
                                );
                                Assignee::RecordAgent
                            }
                        },
                    };
                    let due_in_days = match row.plazo.trim() {
                        "" => 0,
                        text => text.parse::<i32>().unwrap_or_else(|_| {
                            errors.add_named(
                                &row.key("plazo"),
                                "Escriba el plazo en días, con un número entero (0 = el mismo día).",
                            );
                            0
                        }),
                    };
                    let priority = match row.prioridad.trim() {
                        "alta" => "high",
                        "normal" => "normal",
                        _ => {
                            errors.add_named(&row.key("prioridad"), "Elija la prioridad.");
                            "normal"
                        }
                    };
                    Action::CreateTask {
                        title: row.titulo.trim().to_owned(),
                        assignee,
                        due_in_days,
                        priority: priority.to_owned(),
                    }
                }
                "correo" => {
                    let template = row.plantilla.trim();
                    if template.is_empty() {
                        errors.add_named(&row.key("plantilla"), "Elija la plantilla del correo.");
                    }
                    let to = match row.destinatario.trim() {
                        "cliente" => Recipient::Client,
                        "agente" => Recipient::Agent,
                        _ => {
                            errors.add_named(&row.key("destinatario"), "Elija a quién se envía.");
                            Recipient::Client
                        }
                    };
                    Action::SendEmail {
                        template: template.to_owned(),
                        to,
                    }
                }
                "nota" => Action::AddNote {
                    text: row.texto.trim().to_owned(),
                },
                "campo" => {
                    let field = row
                        .campo
                        .trim()
                        .split_once('.')
                        .map_or("", |(_, field)| field);
                    if field.is_empty() {
                        errors.add_named(&row.key("campo"), "Elija el campo que cambia.");
                    }
                    if row.valor.trim().is_empty() {
                        errors.add_named(&row.key("valor"), "Elija el valor nuevo.");
                    }
                    Action::SetField {
                        field: field.to_owned(),
                        value: row.valor.trim().to_owned(),
                    }
                }
                _ => {
                    errors.add_named(&row.key("tipo"), "Elija qué hace esta acción.");
                    continue;
                }
            };
            actions.push(action);
            rows.push(row.index);
        }

        let draft = RuleDraft {
            name: self.nombre.trim().to_owned(),
            description: self.descripcion.trim().to_owned(),
            trigger,
            conditions,
            actions,
        };
        (draft, errors, rows)
    }
}

fn action_row(index: usize, action: &Action) -> ActionRow {
    let mut row = ActionRow {
        tipo: "ninguna".to_owned(),
        ..ActionRow::blank(index)
    };
    match action {
        Action::CreateTask {
            title,
            assignee,
            due_in_days,
            priority,
        } => {
            row.tipo = "tarea".to_owned();
            row.titulo = title.clone();
            row.asignar = match assignee {
                Assignee::RecordAgent => "agente".to_owned(),
                Assignee::Role(role) => format!("rol:{role}"),
                Assignee::Staff(id) => format!("persona:{id}"),
            };
            row.plazo = due_in_days.to_string();
            row.prioridad = if priority == "high" { "alta" } else { "normal" }.to_owned();
        }
        Action::SendEmail { template, to } => {
            row.tipo = "correo".to_owned();
            row.plantilla = template.clone();
            row.destinatario = match to {
                Recipient::Client => "cliente",
                Recipient::Agent => "agente",
            }
            .to_owned();
        }
        Action::AddNote { text } => {
            row.tipo = "nota".to_owned();
            row.texto = text.clone();
        }
        Action::SetField { field, value } => {
            row.tipo = "campo".to_owned();
            row.campo = SETTABLE_FIELDS
                .iter()
                .find(|(_, f, _)| f == field)
                .map_or_else(String::new, |(e, f, _)| format!("{}.{f}", e.code()));
            row.valor = value.clone();
        }
    }
    row
}

/// The domain's errors with `accion_{n}` (the n-th action of the draft) moved to the form row
/// that action came from.
fn on_form_rows(errors: FieldErrors, rows: &[usize]) -> FieldErrors {
    let mut moved = FieldErrors::new();
    for (field, message) in errors.iter() {
        let row = field
            .strip_prefix("accion_")
            .and_then(|n| n.parse::<usize>().ok())
            .and_then(|n| rows.get(n));
        match row {
            Some(row) => moved.add_named(&rules::action_field(*row), message),
            None => moved.add_named(field, message),
        }
    }
    moved
}

/// A group of values of a select (`<optgroup>`).
pub struct OptionGroup {
    pub label: String,
    pub options: Vec<(String, String)>,
}

/// The choices of the form's selects, as (value, label).
pub struct FormOptions {
    pub events: Vec<(String, String)>,
    pub anchors: Vec<(String, String)>,
    pub units: Vec<(String, String)>,
    /// Whether a dated rule acts before or after its reference.
    pub directions: Vec<(String, String)>,
    pub weekdays: Vec<(String, String)>,
    pub operators: Vec<(String, String)>,
    pub action_kinds: Vec<(String, String)>,
    pub assignees: Vec<(String, String)>,
    pub priorities: Vec<(String, String)>,
    pub templates: Vec<(String, String)>,
    pub recipients: Vec<(String, String)>,
    pub fields: Vec<(String, String)>,
    pub values: Vec<OptionGroup>,
    pub known_fields: &'static [(&'static str, &'static str)],
}

fn pairs<'a>(items: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    items
        .into_iter()
        .map(|(value, label)| (value.to_owned(), label.to_owned()))
        .collect()
}

impl FormOptions {
    fn load(conn: &mut PgConnection) -> QueryResult<FormOptions> {
        let mut assignees = pairs([
            ("agente", "El agente que lleva el registro"),
            ("rol:supervisor", "La cola de Supervisión"),
            ("rol:claims", "La cola de Tramitación de siniestros"),
            ("rol:admin", "La cola de Administración"),
        ]);
        assignees.extend(
            crate::tasks::assignees(conn)?
                .into_iter()
                .map(|(id, name)| (format!("persona:{id}"), name)),
        );
        let mut template_options = vec![(String::new(), "Elija una plantilla…".to_owned())];
        template_options.extend(templates::list_current(conn)?.into_iter().map(|t| {
            (
                t.key,
                format!("{} ({})", t.name, t.entity.label().to_lowercase()),
            )
        }));
        let mut fields = vec![(String::new(), "Elija un campo…".to_owned())];
        fields.extend(SETTABLE_FIELDS.iter().map(|(entity, field, _)| {
            (
                format!("{}.{field}", entity.code()),
                settable_label(*entity, field),
            )
        }));
        Ok(FormOptions {
            events: EVENTS
                .iter()
                .map(|(code, _, label)| ((*code).to_owned(), (*label).to_owned()))
                .collect(),
            anchors: Anchor::ALL
                .iter()
                .map(|a| (a.code().to_owned(), a.label().to_owned()))
                .collect(),
            units: OffsetUnit::ALL
                .iter()
                .map(|u| (u.code().to_owned(), u.label().to_owned()))
                .collect(),
            directions: pairs([("antes", "Antes"), ("despues", "Después")]),
            weekdays: std::iter::once((String::new(), "Todos los días".to_owned()))
                .chain((1..=7u8).map(|d| (d.to_string(), format!("Los {}", plural_day(d)))))
                .collect(),
            operators: Op::ALL
                .iter()
                .map(|o| (o.code().to_owned(), o.label().to_owned()))
                .collect(),
            action_kinds: pairs([
                ("ninguna", "Ninguna (fila sin usar)"),
                ("tarea", "Crear una tarea"),
                ("correo", "Enviar un correo"),
                ("nota", "Añadir una nota al historial"),
                ("campo", "Cambiar un campo"),
            ]),
            assignees,
            priorities: pairs([("normal", "Normal"), ("alta", "Alta")]),
            templates: template_options,
            recipients: pairs([("cliente", "Al cliente"), ("agente", "Al agente")]),
            fields,
            values: SETTABLE_FIELDS
                .iter()
                .map(|(entity, field, values)| OptionGroup {
                    label: settable_label(*entity, field),
                    options: values
                        .iter()
                        .map(|v| ((*v).to_owned(), settable_value_label(field, v)))
                        .collect(),
                })
                .collect(),
            known_fields: KNOWN_FIELDS,
        })
    }
}

/// "lunes", "sábados": the plural of a weekday after «Los».
fn plural_day(day: u8) -> String {
    let name = rules::weekday_name(day);
    if name.ends_with('s') {
        name.to_owned()
    } else {
        format!("{name}s")
    }
}

/// A dry run's answer.
pub struct Simulation {
    pub headline: String,
    pub note: String,
    /// What the date of each item is: the event's, the record's reference date...
    pub when_label: &'static str,
    pub items: Vec<SimulatedItem>,
}

pub struct SimulatedItem {
    pub link: Option<String>,
    pub label: String,
    pub detail: String,
    pub when: String,
}

#[derive(Template)]
#[template(path = "backoffice/automation/rules_form.html", blocks = ["content"])]
pub struct FormPage {
    pub ctx: PageContext,
    pub id: Option<i64>,
    pub enabled: bool,
    pub form: RuleForm,
    pub form_token: String,
    pub errors: FieldErrors,
    pub options: FormOptions,
    pub simulation: Option<Simulation>,
}

impl FormPage {
    pub fn action(&self) -> String {
        match self.id {
            Some(id) => format!("{PATH}/reglas/{id}"),
            None => format!("{PATH}/reglas"),
        }
    }

    /// The message of `field`, for fields whose names are made per row.
    pub fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }
}

#[derive(Template)]
#[template(path = "backoffice/automation/rules_simulation.html")]
pub struct SimulationPartial {
    pub simulation: Simulation,
}

async fn form_page(
    ctx: PageContext,
    db: &Db,
    id: Option<i64>,
    enabled: bool,
    form: RuleForm,
    form_token: String,
    errors: FieldErrors,
) -> Result<FormPage, AppError> {
    let options = db
        .run(|conn| FormOptions::load(conn).map_err(DbError::from))
        .await?;
    Ok(FormPage {
        ctx,
        id,
        enabled,
        form,
        form_token,
        errors,
        options,
        simulation: None,
    })
}

async fn find_rule(db: &Db, id: i64) -> Result<Rule, AppError> {
    db.run(move |conn| rules::find(conn, id).map_err(rule_error))
        .await?
        .ok_or(AppError::NotFound)
}

/// GET /admin/automatizacion/reglas/nueva
pub async fn new_form(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let page = form_page(
        ctx,
        &db,
        None,
        true,
        RuleForm::blank(),
        form_submissions::new_token(),
        FieldErrors::new(),
    )
    .await?;
    page_or_partial!(page)
}

/// GET /admin/automatizacion/reglas/{id}
pub async fn edit_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let rule = find_rule(&db, id).await?;
    let page = form_page(
        ctx,
        &db,
        Some(id),
        rule.enabled,
        RuleForm::of(&rule),
        String::new(),
        FieldErrors::new(),
    )
    .await?;
    page_or_partial!(page)
}

/// Why a save did not happen: fields to correct (the transaction rolls back, so the form's
/// token stays unused), or a failure.
enum Refused {
    Invalid(FieldErrors),
    Failed(AppError),
}

impl From<DbError> for Refused {
    fn from(error: DbError) -> Self {
        Refused::Failed(error.into())
    }
}

impl From<diesel::result::Error> for Refused {
    fn from(error: diesel::result::Error) -> Self {
        Refused::Failed(DbError::from(error).into())
    }
}

/// The domain's answer, its field errors moved to the form's rows.
fn refused(error: RuleError, rows: &[usize]) -> Refused {
    match error {
        RuleError::Invalid(errors) => Refused::Invalid(on_form_rows(errors, rows)),
        other => Refused::Failed(rule_error(other)),
    }
}

/// Creates (`id` none) or updates a rule from the form, or shows the form again with its
/// errors (422).
async fn save(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    id: Option<i64>,
    sent: Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let form = RuleForm::from_fields(&sent);
    let token = sent
        .get("form_token")
        .map(|t| t.trim().to_owned())
        .unwrap_or_default();
    let multiline = form.multiline_fields();
    let multiline: Vec<&str> = multiline.iter().map(String::as_str).collect();
    let mut errors = sent.text_errors(&multiline);
    let (draft, edge_errors, rows) = form.read();
    errors.merge(edge_errors);
    let enabled = match id {
        Some(id) => find_rule(&db, id).await?.enabled,
        None => true,
    };
    let by = actor(&staff, &meta);
    let once = token.clone();
    let outcome = db
        .transaction(move |conn| {
            if !errors.is_empty() {
                // Say at once what the domain would say about the rest.
                if let Err(error) = draft.check(conn) {
                    match refused(error, &rows) {
                        Refused::Invalid(more) => errors.merge(more),
                        failed => return Err(failed),
                    }
                }
                return Err(Refused::Invalid(errors));
            }
            match id {
                Some(id) => match rules::update(conn, id, &draft, &by) {
                    Ok(true) => Ok(id),
                    Ok(false) => Err(Refused::Failed(AppError::NotFound)),
                    Err(error) => Err(refused(error, &rows)),
                },
                None => {
                    if !form_submissions::is_well_formed(&once) {
                        let mut errors = FieldErrors::new();
                        errors.add("nombre", "El formulario ha caducado: envíelo de nuevo.");
                        return Err(Refused::Invalid(errors));
                    }
                    if let Claimed::Repeated(created) = form_submissions::claim(conn, &once)? {
                        return match created {
                            Some((_, id)) => Ok(id),
                            None => Err(Refused::Failed(AppError::NotFound)),
                        };
                    }
                    let id = rules::create(conn, &draft, &by).map_err(|e| refused(e, &rows))?;
                    form_submissions::attach(conn, &once, TARGET_RULE, id)?;
                    Ok(id)
                }
            }
        })
        .await;
    match outcome {
        Ok(rule_id) => Ok(flash::redirect(
            &format!("{PATH}/reglas/{rule_id}"),
            Flash::success(if id.is_some() {
                "Regla guardada."
            } else {
                "Regla creada y activada: actuará desde la próxima vuelta del motor."
            }),
        )),
        Err(Refused::Failed(error)) => Err(error),
        Err(Refused::Invalid(errors)) => {
            let token = match id {
                Some(_) => String::new(),
                None if form_submissions::is_well_formed(&token) => token,
                None => form_submissions::new_token(),
            };
            let page = form_page(ctx, &db, id, enabled, form, token, errors).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

/// `form_submissions.entity_type` of a rule created by the form.
const TARGET_RULE: &str = "automation_rule";

/// POST /admin/automatizacion/reglas
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    save(ctx, staff, meta, db, None, form).await
}

/// POST /admin/automatizacion/reglas/{id}
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<BTreeMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    save(ctx, staff, meta, db, Some(path.into_inner()), form).await
}

// ---------------------------------------------------------------------------------------------
// The dry run

#[derive(Queryable)]
struct RecentEvent {
    entity_type: String,
    entity_id: i64,
    payload: Value,
    created_at: DateTime<Utc>,
}

/// A moment in Madrid; a whole day (the reference of a policy's end, a receipt's due date)
/// without its midnight.
fn moment(at: DateTime<Utc>) -> String {
    let text = madrid_datetime(at);
    match text.strip_suffix(" 00:00") {
        Some(day) => day.to_owned(),
        None => text,
    }
}

fn times(n: usize) -> String {
    match n {
        1 => "1 vez".to_owned(),
        n => format!("{n} veces"),
    }
}

/// What a saved rule would do: dated and scheduled rules, what is due right now (exactly what
/// the engine's next round would act on); event rules, how often it would have acted in the
/// last 30 days.
fn simulate_rule(
    conn: &mut PgConnection,
    ctx: &Context,
    rule: &Rule,
    now: DateTime<Utc>,
) -> Result<Simulation, AppError> {
    match &rule.trigger {
        Trigger::Event { kind } => simulate_event_rule(conn, ctx, rule, kind, now),
        Trigger::Date { .. } | Trigger::Schedule { .. } => {
            let due = engine::due_now(conn, ctx, rule, now)?;
            let scheduled = matches!(rule.trigger, Trigger::Schedule { .. });
            let headline = match (scheduled, due.len()) {
                (true, 0) => "Ahora no se dispararía: no le toca o ya actuó en su hora.".to_owned(),
                (true, _) => "Ahora se dispararía: le toca su hora y aún no ha actuado.".to_owned(),
                (false, 0) => "Ahora no se dispararía para ningún registro.".to_owned(),
                (false, 1) => "Ahora se dispararía para 1 registro.".to_owned(),
                (false, n) => format!("Ahora se dispararía para {n} registros."),
            };
            let items = due
                .iter()
                .take(SIMULATION_SHOWN)
                .map(|item| {
                    let occurrence = &item.occurrence;
                    match &item.subject {
                        Some(subject) => {
                            let (label, detail) = subject_label(subject);
                            SimulatedItem {
                                link: record_link(&occurrence.entity_type, occurrence.entity_id)
                                    .map(|(href, _)| href),
                                label,
                                detail,
                                when: moment(occurrence.at),
                            }
                        }
                        None => SimulatedItem {
                            link: None,
                            label: "Ejecución programada".to_owned(),
                            detail: String::new(),
                            when: madrid_datetime(occurrence.at),
                        },
                    }
                })
                .collect();
            let note = if due.len() > SIMULATION_SHOWN {
                format!("Se muestran los {SIMULATION_SHOWN} primeros.")
            } else {
                String::new()
            };
            Ok(Simulation {
                headline,
                note,
                when_label: if scheduled {
                    "Hora prevista"
                } else {
                    "Fecha de referencia"
                },
                items,
            })
        }
    }
}

fn simulate_event_rule(
    conn: &mut PgConnection,
    ctx: &Context,
    rule: &Rule,
    kind: &str,
    now: DateTime<Utc>,
) -> Result<Simulation, AppError> {
    let events: Vec<RecentEvent> = domain_events::table
        .filter(domain_events::kind.eq(kind))
        .filter(domain_events::created_at.gt(now - Duration::days(SIMULATION_DAYS)))
        .order(domain_events::id.desc())
        .limit(SIMULATION_EVENTS)
        .select((
            domain_events::entity_type,
            domain_events::entity_id,
            domain_events::payload,
            domain_events::created_at,
        ))
        .load(conn)
        .map_err(DbError::from)?;
    let today = crate::time::date_of(now);
    let mut matched = 0;
    let mut items = Vec::new();
    for event in events.iter().take(SIMULATION_SHOWN) {
        let subject = match Entity::parse(&event.entity_type) {
            Some(entity) => facts::load(conn, entity, event.entity_id, &ctx.base_url, today)
                .map_err(DbError::from)?,
            None => None,
        };
        // As the engine does: the record's fields with the event's own data on top.
        let mut fields: Map<String, Value> = subject
            .as_ref()
            .map(|s| s.fields.clone())
            .unwrap_or_default();
        if let Value::Object(data) = &event.payload {
            for (key, value) in data {
                fields.insert(key.clone(), value.clone());
            }
        }
        if !rule.conditions.iter().all(|c| c.holds(&fields)) {
            continue;
        }
        matched += 1;
        let (label, detail) = match &subject {
            Some(subject) => subject_label(subject),
            None => (
                record_link(&event.entity_type, event.entity_id)
                    .map_or_else(|| "Registro".to_owned(), |(_, label)| label),
                "El registro ya no existe.".to_owned(),
            ),
        };
        items.push(SimulatedItem {
            link: subject
                .as_ref()
                .and_then(|_| record_link(&event.entity_type, event.entity_id))
                .map(|(href, _)| href),
            label,
            detail,
            when: madrid_datetime(event.created_at),
        });
    }
    let total = events.len();
    let checked_all = total <= SIMULATION_SHOWN || rule.conditions.is_empty();
    let headline = if checked_all {
        let count = if rule.conditions.is_empty() {
            total
        } else {
            matched
        };
        match count {
            0 => format!("En los últimos {SIMULATION_DAYS} días no habría actuado ninguna vez."),
            n => format!(
                "En los últimos {SIMULATION_DAYS} días habría actuado {}.",
                times(n)
            ),
        }
    } else {
        let events_text = if total as i64 >= SIMULATION_EVENTS {
            format!("{SIMULATION_EVENTS} eventos o más")
        } else {
            format!("{total} eventos")
        };
        format!(
            "En los últimos {SIMULATION_DAYS} días hubo {events_text} de este tipo; de los \
             {SIMULATION_SHOWN} más recientes, habría actuado en {}.",
            times(matched)
        )
    };
    let mut note = if rule.conditions.is_empty() {
        String::new()
    } else {
        "Las condiciones se comprueban con los datos de hoy de cada registro y lo que traía \
         el evento."
            .to_owned()
    };
    if rule.conditions.is_empty() && total > SIMULATION_SHOWN {
        note = format!("Se muestran los {SIMULATION_SHOWN} más recientes.");
    }
    Ok(Simulation {
        headline,
        note,
        when_label: "Fecha del evento",
        items,
    })
}

/// POST /admin/automatizacion/reglas/{id}/simulacion: the dry run of the saved rule. htmx gets
/// the result alone; a plain form the rule's page with it.
pub async fn simulate(
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let engine = engine_context(&config);
    let (rule, simulation) = db
        .run(move |conn| {
            let rule = rules::find(conn, id)
                .map_err(rule_error)?
                .ok_or(AppError::NotFound)?;
            let simulation = simulate_rule(conn, &engine, &rule, Utc::now())?;
            Ok::<_, AppError>((rule, simulation))
        })
        .await?;
    if ctx.htmx {
        return render::html(&SimulationPartial { simulation });
    }
    let mut page = form_page(
        ctx,
        &db,
        Some(id),
        rule.enabled,
        RuleForm::of(&rule),
        String::new(),
        FieldErrors::new(),
    )
    .await?;
    page.simulation = Some(simulation);
    render::html(&page)
}

// ---------------------------------------------------------------------------------------------
// The run log

#[derive(Template)]
#[template(path = "backoffice/automation/rules_log.html", blocks = ["content"])]
pub struct LogPage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub trigger: String,
    pub runs: Vec<RunRow>,
    pub pager: Pager,
}

#[derive(Debug, Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    pagina: String,
}

/// GET /admin/automatizacion/reglas/{id}/registro[?pagina=tras-<id>]
pub async fn run_log(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
    query: web::Query<LogQuery>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let cursor = Cursor::parse(&query.pagina);
    let (rule, page) = db
        .run(move |conn| {
            let rule = rules::find(conn, id)
                .map_err(rule_error)?
                .ok_or(AppError::NotFound)?;
            let page = log::of_rule(conn, id, cursor).map_err(DbError::from)?;
            Ok::<_, AppError>((rule, page))
        })
        .await?;
    let path = format!("{PATH}/reglas/{id}/registro");
    page_or_partial!(LogPage {
        ctx,
        id,
        pager: Pager::at(&page, &path, &[]),
        runs: page.rows.into_iter().map(RunRow::new).collect(),
        trigger: rule.trigger.describe(),
        name: rule.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_dated_rule_reads_its_offset_with_its_direction() {
        let form = RuleForm::from_fields(&fields(&[
            ("nombre", "Aviso de renovación"),
            ("disparador", "fecha"),
            ("referencia", "policy.end_date"),
            ("desfase", "60"),
            ("sentido", "antes"),
            ("unidad", "days"),
            ("tipo_0", "ninguna"),
            ("tipo_1", "nota"),
            ("texto_1", "Renovación en marcha"),
        ]));
        let (draft, errors, rows) = form.read();
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            draft.trigger,
            Trigger::Date {
                anchor: Anchor::PolicyEnd,
                offset: -60,
                unit: OffsetUnit::Days
            }
        );
        assert_eq!(rows, vec![1]);
        let errors = {
            let mut e = FieldErrors::new();
            e.add("accion_0", "mal");
            e.add("nombre", "corto");
            e
        };
        let moved = on_form_rows(errors, &rows);
        assert_eq!(moved.get("accion_1"), Some("mal"));
        assert_eq!(moved.get("nombre"), Some("corto"));
    }

    #[test]
    fn bad_numbers_and_hours_are_named_in_spanish() {
        let form = RuleForm::from_fields(&fields(&[
            ("disparador", "programado"),
            ("hora", "25:00"),
            ("tipo_0", "tarea"),
            ("plazo_0", "dos"),
            ("asignar_0", "rol:supervisor"),
            ("condicion_campo_0", "estado"),
            ("condicion_operador_0", "eq"),
        ]));
        let (_, errors, _) = form.read();
        assert!(errors.get("hora").unwrap().contains("HH:MM"));
        assert!(errors.get("plazo_0").unwrap().contains("número"));
        assert!(errors.get("condicion_valor_0").is_some());
    }

    #[test]
    fn a_stored_rule_comes_back_to_the_same_form() {
        let rule = Rule {
            id: 1,
            system_key: None,
            name: "Peritado".into(),
            description: String::new(),
            enabled: true,
            trigger: Trigger::Schedule {
                time: NaiveTime::from_hms_opt(8, 30, 0).unwrap(),
                weekday: Some(1),
            },
            conditions: vec![],
            actions: vec![Action::CreateTask {
                title: "Revisar".into(),
                assignee: Assignee::Role("supervisor".into()),
                due_in_days: 2,
                priority: "high".into(),
            }],
            updated_at: Utc::now(),
        };
        let form = RuleForm::of(&rule);
        assert_eq!(form.hora, "08:30");
        assert_eq!(form.actions.len(), ACTION_ROWS);
        let (draft, errors, _) = form.read();
        assert!(errors.is_empty());
        assert_eq!(draft.trigger, rule.trigger);
        assert_eq!(draft.actions, rule.actions);
    }
}
