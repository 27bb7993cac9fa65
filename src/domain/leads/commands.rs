//! Changes to leads: enter one by hand, move it through the pipeline, log interactions and
//! the next action, assign an agent, convert a won lead into a customer.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Action, Actor};
use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::customers::{self, ConsentPurpose, CreateOutcome, ValidCustomer};
use crate::db::schema::{
    customers as customers_t, lead_consents, lead_events, leads, quotes, staff_users, tasks,
};
use crate::events;
use crate::leads::queries;
use crate::leads::stage::{self, Stage};
use crate::leads::{Lead, LeadError, check_note};

/// The `target_type` of audit entries and domain events about leads.
pub const TARGET: &str = audit::target::LEAD;

/// A validated lead entered by staff (see [`crate::leads::validate`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLead {
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub postcode: Option<String>,
    pub tax_id: Option<String>,
    pub line_id: Option<i64>,
    /// One of [`crate::leads::MANUAL_SOURCES`].
    pub source: String,
    pub campaign: Option<String>,
    pub assigned_staff_id: Option<i64>,
    pub next_action_on: Option<NaiveDate>,
    pub notes: String,
}

/// Checks that `id` is an active staff member who works leads.
fn check_agent(conn: &mut PgConnection, id: i64) -> Result<String, LeadError> {
    let found: Option<(String, String)> = staff_users::table
        .find(id)
        .filter(staff_users::active.eq(true))
        .select((staff_users::name, staff_users::role))
        .first(conn)
        .optional()?;
    match found {
        Some((name, role))
            if Role::parse(&role).is_some_and(|r| Permission::UseLeads.granted_to(r)) =>
        {
            Ok(name)
        }
        _ => Err(LeadError::InvalidAgent),
    }
}

#[allow(clippy::too_many_arguments)]
fn record_event(
    conn: &mut PgConnection,
    lead_id: i64,
    staff_id: Option<i64>,
    kind: &str,
    channel: Option<&str>,
    from: Option<Stage>,
    to: Option<Stage>,
    note: &str,
) -> QueryResult<i64> {
    diesel::insert_into(lead_events::table)
        .values((
            lead_events::lead_id.eq(lead_id),
            lead_events::staff_id.eq(staff_id),
            lead_events::kind.eq(kind),
            lead_events::channel.eq(channel),
            lead_events::from_stage.eq(from.map(Stage::code)),
            lead_events::to_stage.eq(to.map(Stage::code)),
            lead_events::note.eq(note),
        ))
        .returning(lead_events::id)
        .get_result(conn)
}

/// Enters a lead by hand (a phone call, a referral). An agent's leads are their own; others
/// may give it to any active agent or leave it unassigned. Call inside a transaction.
pub fn create(conn: &mut PgConnection, lead: &NewLead, by: &Actor) -> Result<Lead, LeadError> {
    let assigned = if by.role == Role::Agent {
        Some(by.staff_id)
    } else {
        lead.assigned_staff_id
    };
    if let Some(agent) = assigned {
        check_agent(conn, agent)?;
    }
    let created: Lead = diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq(&lead.full_name),
            leads::email.eq(&lead.email),
            leads::phone.eq(&lead.phone),
            leads::postcode.eq(&lead.postcode),
            leads::tax_id.eq(&lead.tax_id),
            leads::line_id.eq(lead.line_id),
            leads::source.eq(&lead.source),
            leads::campaign.eq(&lead.campaign),
            leads::assigned_staff_id.eq(assigned),
            leads::next_action_on.eq(lead.next_action_on),
            leads::notes.eq(&lead.notes),
        ))
        .returning(Lead::as_returning())
        .get_result(conn)?;
    record_event(
        conn,
        created.id,
        Some(by.staff_id),
        "created",
        None,
        None,
        Some(Stage::New),
        "Lead dado de alta en la oficina.",
    )?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(created.id),
            details: json!({
                "nombre": created.full_name,
                "origen": created.source,
                "campana": created.campaign,
                "comercial": assigned,
            }),
            ..by.entry(Action::LeadCreated)
        },
    )?;
    events::publish(
        conn,
        "lead.created",
        TARGET,
        created.id,
        json!({ "source": created.source, "assigned_staff_id": assigned }),
    )?;
    Ok(created)
}

/// Lead `id` within `scope`, locked for the rest of the transaction.
fn lock(conn: &mut PgConnection, scope: PortfolioScope, id: i64) -> Result<Lead, LeadError> {
    // Locking clauses cannot be boxed, so the scope picks one of two plain queries.
    let query = leads::table
        .filter(leads::id.eq(id))
        .select(Lead::as_select());
    let found = match scope.owner() {
        Some(owner) => query
            .filter(leads::assigned_staff_id.eq(owner))
            .for_update()
            .first(conn)
            .optional()?,
        None => query.for_update().first(conn).optional()?,
    };
    found.ok_or(LeadError::NotFound)
}

/// Moves lead `id` to `to`. Losing needs a reason (kept as `lost_reason`); reopening a won
/// or lost lead needs one too. The first move out of `new` stamps `first_contacted_at`, the
/// figure behind "time to first contact".
pub fn move_stage(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    to: Stage,
    reason: &str,
    by: &Actor,
) -> Result<Lead, LeadError> {
    let lead = lock(conn, scope, id)?;
    let from = lead.stage();
    stage::check(from, to, reason, lead.is_converted())?;
    let reason = check_note(reason, false)?;
    let now = Utc::now();
    let lost_reason = (to == Stage::Lost).then(|| reason.clone());
    let first_contacted_at = lead.first_contacted_at.or(Some(now));
    let updated: Lead = diesel::update(leads::table.find(id))
        .set((
            leads::stage.eq(to.code()),
            leads::lost_reason.eq(&lost_reason),
            leads::first_contacted_at.eq(first_contacted_at),
            leads::updated_at.eq(now),
        ))
        .returning(Lead::as_returning())
        .get_result(conn)?;
    record_event(
        conn,
        id,
        Some(by.staff_id),
        "stage_changed",
        None,
        Some(from),
        Some(to),
        &reason,
    )?;
    let mut details = json!({ "etapa": { "before": from.code(), "after": to.code() } });
    if !reason.is_empty() {
        details["motivo"] = json!(reason);
    }
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details,
            ..by.entry(Action::LeadStageChanged)
        },
    )?;
    events::publish(
        conn,
        "lead.stage_changed",
        TARGET,
        id,
        json!({ "from": from.code(), "to": to.code() }),
    )?;
    Ok(updated)
}

/// Logs a call, e-mail, WhatsApp, meeting or note on lead `id`, optionally with the date of
/// the next action: the lead keeps that date and its agent (or the author) gets a task due
/// then. A real contact (anything but a note) also counts as the first contact when none was
/// recorded, so the source report measures the first call even before the card is moved.
#[allow(clippy::too_many_arguments)]
pub fn log_interaction(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    channel: &str,
    summary: &str,
    next_action_on: Option<NaiveDate>,
    by: &Actor,
) -> Result<Lead, LeadError> {
    if !crate::leads::CHANNELS.iter().any(|(c, _)| *c == channel) {
        return Err(LeadError::InvalidChannel);
    }
    let summary = check_note(summary, true)?;
    let lead = lock(conn, scope, id)?;
    let now = Utc::now();
    let first_contacted_at = match (lead.first_contacted_at, channel) {
        (None, "note") => None,
        (None, _) => Some(now),
        (Some(at), _) => Some(at),
    };
    let next = next_action_on.or(lead.next_action_on);
    let updated: Lead = diesel::update(leads::table.find(id))
        .set((
            leads::first_contacted_at.eq(first_contacted_at),
            leads::next_action_on.eq(next),
            leads::updated_at.eq(now),
        ))
        .returning(Lead::as_returning())
        .get_result(conn)?;
    let event_id = record_event(
        conn,
        id,
        Some(by.staff_id),
        "interaction",
        Some(channel),
        None,
        None,
        &summary,
    )?;
    if let Some(day) = next_action_on {
        add_next_action_task(conn, &updated, day, by)?;
    }
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({
                "tipo": channel,
                "interaccion": event_id,
                "proxima_accion": next_action_on.map(|d| d.to_string()),
            }),
            ..by.entry(Action::LeadInteractionLogged)
        },
    )?;
    Ok(updated)
}

fn add_next_action_task(
    conn: &mut PgConnection,
    lead: &Lead,
    day: NaiveDate,
    by: &Actor,
) -> QueryResult<()> {
    let assignee = lead.assigned_staff_id.unwrap_or(by.staff_id);
    let title: String = format!("Seguimiento del lead {}", lead.full_name)
        .chars()
        .take(crate::tasks::MAX_TITLE)
        .collect();
    diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(title),
            tasks::due_date.eq(Some(day)),
            tasks::assignee_staff_id.eq(assignee),
            tasks::entity_type.eq(Some(TARGET)),
            tasks::entity_id.eq(Some(lead.id)),
            tasks::customer_id.eq(lead.customer_id),
            tasks::created_by_staff_id.eq(Some(by.staff_id)),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sets (or clears, with `None`) the date of the next action on lead `id`.
pub fn set_next_action(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    day: Option<NaiveDate>,
    by: &Actor,
) -> Result<Lead, LeadError> {
    let lead = lock(conn, scope, id)?;
    let updated: Lead = diesel::update(leads::table.find(id))
        .set((
            leads::next_action_on.eq(day),
            leads::updated_at.eq(Utc::now()),
        ))
        .returning(Lead::as_returning())
        .get_result(conn)?;
    let note = match day {
        Some(day) => format!("Próxima acción: {}.", crate::format::date(day)),
        None => "Sin próxima acción.".to_owned(),
    };
    record_event(
        conn,
        id,
        Some(by.staff_id),
        "next_action",
        None,
        None,
        None,
        &note,
    )?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({ "proxima_accion": {
                "before": lead.next_action_on.map(|d| d.to_string()),
                "after": day.map(|d| d.to_string()),
            } }),
            ..by.entry(Action::LeadNextActionSet)
        },
    )?;
    Ok(updated)
}

/// Gives lead `id` to `agent` (an active staff member who works leads) or leaves it
/// unassigned. An agent may hand one of their own leads to a colleague (holidays, another
/// area), but not leave it unassigned: then it would be nobody's and vanish from their view.
pub fn assign(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    agent: Option<i64>,
    by: &Actor,
) -> Result<Lead, LeadError> {
    if by.role == Role::Agent && agent.is_none() {
        return Err(LeadError::InvalidAgent);
    }
    let lead = lock(conn, scope, id)?;
    let name = match agent {
        Some(agent) => Some(check_agent(conn, agent)?),
        None => None,
    };
    let updated: Lead = diesel::update(leads::table.find(id))
        .set((
            leads::assigned_staff_id.eq(agent),
            leads::updated_at.eq(Utc::now()),
        ))
        .returning(Lead::as_returning())
        .get_result(conn)?;
    let note = match &name {
        Some(name) => format!("Asignado a {name}."),
        None => "Sin comercial asignado.".to_owned(),
    };
    record_event(
        conn,
        id,
        Some(by.staff_id),
        "assigned",
        None,
        None,
        None,
        &note,
    )?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({ "comercial": { "before": lead.assigned_staff_id, "after": agent } }),
            ..by.entry(Action::LeadAssigned)
        },
    )?;
    Ok(updated)
}

/// What the conversion is to produce.
#[derive(Debug, Clone)]
pub enum ConvertTarget {
    /// A new customer from the (prefilled, completed) customer form; if a customer with the
    /// same tax id or e-mail already exists, the lead is linked to it instead.
    New(Box<ValidCustomer>),
    /// An existing customer, which must share the lead's tax id or e-mail.
    Existing(i64),
}

/// What a conversion did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvertOutcome {
    Created(i64),
    Linked(i64),
    /// The lead had already been converted (a double submit): nothing changed.
    Already(i64),
}

impl ConvertOutcome {
    pub fn customer_id(self) -> i64 {
        match self {
            ConvertOutcome::Created(id)
            | ConvertOutcome::Linked(id)
            | ConvertOutcome::Already(id) => id,
        }
    }
}

/// Converts won lead `id` into a customer, or links it to the existing one, in the caller's
/// transaction: the lead keeps its history and points at the customer (`customer_id`,
/// `converted_at`), and its quotes get the customer too. The lead row is locked first, so two
/// submissions at once convert it once: the second finds it converted.
pub fn convert(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    target: ConvertTarget,
    by: &Actor,
) -> Result<ConvertOutcome, LeadError> {
    let lead = lock(conn, scope, id)?;
    if let Some(customer_id) = lead.customer_id {
        return Ok(ConvertOutcome::Already(customer_id));
    }
    if lead.stage() != Stage::Won {
        return Err(LeadError::NotWon);
    }
    let outcome = match target {
        ConvertTarget::Existing(customer_id) => {
            let found = customers_t::table
                .find(customer_id)
                .filter(customers_t::merged_into_id.is_null())
                .select((customers_t::tax_id, customers_t::email))
                .first::<(String, Option<String>)>(conn)
                .optional()?
                .ok_or(LeadError::NotFound)?;
            let same_tax = lead.tax_id.as_deref() == Some(found.0.as_str());
            let same_email = lead.email.is_some() && lead.email == found.1;
            if !same_tax && !same_email {
                return Err(LeadError::CustomerMismatch);
            }
            ConvertOutcome::Linked(customer_id)
        }
        ConvertTarget::New(valid) => {
            let email = valid
                .email
                .as_ref()
                .map(|e| e.as_str().to_owned())
                .or(lead.email.clone());
            if let Some((existing, _)) =
                queries::customer_match(conn, Some(valid.tax_id.as_str()), email.as_deref())?
            {
                ConvertOutcome::Linked(existing)
            } else {
                let mut valid = *valid;
                valid.owner_staff_id = lead.assigned_staff_id.or(Some(by.staff_id));
                let consents = lead_consents_now(conn, id)?;
                match customers::create(conn, by, &valid, &consents, true)? {
                    CreateOutcome::Created(customer) => ConvertOutcome::Created(customer.id),
                    CreateOutcome::DuplicateTaxId(existing) => ConvertOutcome::Linked(existing.id),
                    CreateOutcome::PossibleDuplicates(_) => {
                        return Err(LeadError::Customer(
                            "Ya hay clientes con ese correo o teléfono.".to_owned(),
                        ));
                    }
                }
            }
        }
    };
    let customer_id = outcome.customer_id();
    let now = Utc::now();
    diesel::update(leads::table.find(id))
        .set((
            leads::customer_id.eq(Some(customer_id)),
            leads::converted_at.eq(Some(now)),
            leads::updated_at.eq(now),
        ))
        .execute(conn)?;
    let quotes_moved = diesel::update(
        quotes::table
            .filter(quotes::lead_id.eq(id))
            .filter(quotes::customer_id.is_null()),
    )
    .set((
        quotes::customer_id.eq(Some(customer_id)),
        quotes::updated_at.eq(now),
    ))
    .execute(conn)?;
    let note = match outcome {
        ConvertOutcome::Created(_) => "Convertido en cliente nuevo.",
        _ => "Vinculado a un cliente existente.",
    };
    record_event(
        conn,
        id,
        Some(by.staff_id),
        "converted",
        None,
        None,
        None,
        note,
    )?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(TARGET),
            target_id: Some(id),
            details: json!({
                "cliente": customer_id,
                "nuevo": matches!(outcome, ConvertOutcome::Created(_)),
                "presupuestos": quotes_moved,
            }),
            ..by.entry(Action::LeadConverted)
        },
    )?;
    events::publish(
        conn,
        "lead.converted",
        TARGET,
        id,
        json!({
            "customer_id": customer_id,
            "created": matches!(outcome, ConvertOutcome::Created(_)),
        }),
    )?;
    Ok(outcome)
}

/// The latest consent the lead gave for privacy and marketing, carried to the new customer.
fn lead_consents_now(
    conn: &mut PgConnection,
    lead_id: i64,
) -> QueryResult<Vec<(ConsentPurpose, bool)>> {
    let rows: Vec<(String, bool)> = lead_consents::table
        .filter(lead_consents::lead_id.eq(lead_id))
        .order((
            lead_consents::purpose,
            lead_consents::recorded_at.desc(),
            lead_consents::id.desc(),
        ))
        .distinct_on(lead_consents::purpose)
        .select((lead_consents::purpose, lead_consents::granted))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|(purpose, granted)| ConsentPurpose::parse(&purpose).map(|p| (p, granted)))
        .collect())
}
