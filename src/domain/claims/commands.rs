//! Changes to claims: open, change status, add a note, assign a handler.

use chrono::{Datelike, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;

use crate::audit::{self, Action, Actor};
use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::claims::queries;
use crate::claims::status::{self, ClaimStatus};
use crate::claims::{Claim, ClaimError, check_note, today};
use crate::db::schema::{claim_events, claims, staff_users};

/// A validated request to open a claim (the form checked the fields themselves).
#[derive(Debug, Clone)]
pub struct OpenClaim {
    pub policy_id: i64,
    pub incident_date: NaiveDate,
    /// One of [`crate::claims::KINDS`].
    pub kind: String,
    pub description: String,
    pub place: String,
    pub claimed_cents: Option<i64>,
}

/// Any constant will do; one key per year is derived from it.
const NUMBER_LOCK: i64 = 0x5349_4e00_0000; // "SIN"

/// Opens a claim on a policy within `scope`: checks the incident date against the policy's
/// coverage and today, numbers it, copies the customer, writes the first timeline event and
/// the audit entry. Call it inside a transaction.
///
/// Numbers are `SIN-<year>-<6 digits>`, one sequence per year, given as `max + 1` under a
/// transaction-scoped advisory lock rather than a PostgreSQL sequence: numbers stay gap-free
/// (a rolled-back opening does not burn one, which a sequence would), restart each year without
/// creating sequences on the fly, and the lock is released by commit or rollback. Openings are
/// rare enough (a few a minute at most) for the lock never to matter.
pub fn open(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    command: &OpenClaim,
    by: &Actor,
) -> Result<Claim, ClaimError> {
    let policy = queries::policy_in_scope(conn, scope, command.policy_id)?;
    let handler = (by.role == Role::Claims).then_some(by.staff_id);
    let claim = insert_open(conn, &policy, command, handler, Some(by.staff_id))?;
    let mut details = opening_details(&claim, &policy.number);
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::CLAIM),
            target_id: Some(claim.id),
            details: details.clone(),
            ..by.entry(Action::ClaimOpened)
        },
    )?;
    details["origen"] = json!("back-office");
    crate::events::publish(conn, "claim.created", "claim", claim.id, details)?;
    Ok(claim)
}

/// Who reports a claim from e-SORI: the client account (one type for every e-SORI command).
pub use crate::clients::profile::ClientActor;

/// A client reports a claim on one of their own policies (e-SORI). Same checks, numbering and
/// timeline as a staff opening; it lands unassigned in the claims queue, and a
/// `claim.created` domain event records it for the workflows. Call inside a transaction.
pub fn open_by_client(
    conn: &mut PgConnection,
    command: &OpenClaim,
    by: &ClientActor,
) -> Result<Claim, ClaimError> {
    let policy = queries::policy_in_scope(conn, PortfolioScope::All, command.policy_id)?;
    if policy.customer_id != by.customer_id {
        return Err(ClaimError::NotFound);
    }
    let claim = insert_open(conn, &policy, command, None, None)?;
    let mut details = opening_details(&claim, &policy.number);
    details["origen"] = json!("e-SORI");
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::CLAIM),
            target_id: Some(claim.id),
            details: details.clone(),
            ..by.entry(Action::ClaimOpened)
        },
    )?;
    crate::events::publish(conn, "claim.created", "claim", claim.id, details)?;
    Ok(claim)
}

/// Information a client adds to their own claim: a timeline entry without staff author.
pub fn add_client_information(
    conn: &mut PgConnection,
    id: i64,
    note: &str,
    by: &ClientActor,
) -> Result<crate::claims::EventRow, ClaimError> {
    let note = check_note(note, true)?;
    let owner: Option<i64> = claims::table
        .find(id)
        .select(claims::customer_id)
        .first(conn)
        .optional()?;
    if owner != Some(by.customer_id) {
        return Err(ClaimError::NotFound);
    }
    diesel::update(claims::table.find(id))
        .set(claims::updated_at.eq(Utc::now()))
        .execute(conn)?;
    let event = record_event(
        conn,
        id,
        None,
        None,
        None,
        &format!("El cliente añade: {note}"),
        true,
    )?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::CLAIM),
            target_id: Some(id),
            details: json!({ "nota": crate::format::shorten(&note, 200), "origen": "e-SORI" }),
            ..by.entry(Action::ClaimNoteAdded)
        },
    )?;
    Ok(event)
}

fn opening_details(claim: &Claim, policy_number: &str) -> serde_json::Value {
    json!({
        "numero": claim.number,
        "poliza": policy_number,
        "tipo": claim.kind,
        "fecha": claim.incident_date.to_string(),
        "importe_reclamado": claim.claimed_cents,
    })
}

/// The shared part of every opening: dates against the coverage, number, row, first event.
fn insert_open(
    conn: &mut PgConnection,
    policy: &queries::PolicySummary,
    command: &OpenClaim,
    handler: Option<i64>,
    author: Option<i64>,
) -> Result<Claim, ClaimError> {
    if command.incident_date > today() {
        return Err(ClaimError::IncidentInFuture);
    }
    if command.incident_date < policy.start_date || command.incident_date > policy.end_date {
        return Err(ClaimError::OutsideCoverage {
            start: policy.start_date,
            end: policy.end_date,
        });
    }
    let number = next_number(conn, today().year())?;
    let claim: Claim = diesel::insert_into(claims::table)
        .values((
            claims::number.eq(&number),
            claims::policy_id.eq(policy.id),
            claims::customer_id.eq(policy.customer_id),
            claims::incident_date.eq(command.incident_date),
            claims::kind.eq(&command.kind),
            claims::description.eq(&command.description),
            claims::place.eq(&command.place),
            claims::status.eq(ClaimStatus::Open.code()),
            claims::claimed_cents.eq(command.claimed_cents),
            claims::handler_staff_id.eq(handler),
        ))
        .returning(Claim::as_returning())
        .get_result(conn)?;
    record_event(
        conn,
        claim.id,
        author,
        None,
        Some(ClaimStatus::Open),
        "Siniestro abierto.",
        true,
    )?;
    Ok(claim)
}

#[derive(QueryableByName)]
struct LastNumber {
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    number: Option<String>,
}

fn next_number(conn: &mut PgConnection, year: i32) -> Result<String, ClaimError> {
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(NUMBER_LOCK + i64::from(year))
        .execute(conn)?;
    let prefix = format!("SIN-{year}-");
    // A SECURITY DEFINER function (migration 000180): the portal role, which reports claims
    // too, cannot see other customers' numbers.
    let last: LastNumber = diesel::sql_query("SELECT claim_number_last($1) AS number")
        .bind::<Text, _>(&prefix)
        .get_result(conn)?;
    let sequence = last
        .number
        .and_then(|n| n[prefix.len()..].parse::<u32>().ok())
        .unwrap_or(0)
        + 1;
    Ok(format!("{prefix}{sequence:06}"))
}

fn record_event(
    conn: &mut PgConnection,
    claim_id: i64,
    staff_id: Option<i64>,
    from: Option<ClaimStatus>,
    to: Option<ClaimStatus>,
    note: &str,
    visible_to_client: bool,
) -> QueryResult<crate::claims::EventRow> {
    let id: i64 = diesel::insert_into(claim_events::table)
        .values((
            claim_events::claim_id.eq(claim_id),
            claim_events::staff_id.eq(staff_id),
            claim_events::from_status.eq(from.map(ClaimStatus::code)),
            claim_events::to_status.eq(to.map(ClaimStatus::code)),
            claim_events::note.eq(note),
            claim_events::visible_to_client.eq(visible_to_client),
        ))
        .returning(claim_events::id)
        .get_result(conn)?;
    queries::event(conn, id)
}

/// The claim `id` within `scope`, locked for the rest of the transaction.
fn lock(conn: &mut PgConnection, scope: PortfolioScope, id: i64) -> Result<Claim, ClaimError> {
    queries::ensure_in_scope(conn, scope, id)?;
    Ok(claims::table
        .find(id)
        .select(Claim::as_select())
        .for_update()
        .first(conn)?)
}

/// Moves claim `id` to `to`. `amount_cents` is the accepted amount when accepting and the paid
/// one when paying; `note` is required when rejecting and reopening. Closing stamps
/// `closed_at`, reopening clears it. The note stays internal unless `note_for_client`: the
/// client then reads it in e-SORI.
#[allow(clippy::too_many_arguments)]
pub fn change_status(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    to: ClaimStatus,
    note: &str,
    note_for_client: bool,
    amount_cents: Option<i64>,
    by: &Actor,
) -> Result<Claim, ClaimError> {
    let claim = lock(conn, scope, id)?;
    let from = claim.status();
    status::check(from, to, note, amount_cents, claim.accepted_cents)?;
    let note = check_note(note, false)?;
    let now = Utc::now();
    let accepted = if to == ClaimStatus::Accepted {
        amount_cents
    } else {
        claim.accepted_cents
    };
    let paid = if to == ClaimStatus::Paid {
        amount_cents
    } else {
        claim.paid_cents
    };
    let closed_at = match to {
        ClaimStatus::Closed => Some(now),
        ClaimStatus::InProgress if from == ClaimStatus::Closed => None,
        _ => claim.closed_at,
    };
    let updated: Claim = diesel::update(claims::table.find(id))
        .set((
            claims::status.eq(to.code()),
            claims::accepted_cents.eq(accepted),
            claims::paid_cents.eq(paid),
            claims::closed_at.eq(closed_at),
            claims::updated_at.eq(now),
        ))
        .returning(Claim::as_returning())
        .get_result(conn)?;
    let event_note = match (to, amount_cents) {
        (ClaimStatus::Accepted, Some(cents)) => join_note(
            &format!("Importe aceptado: {}.", crate::money::format_cents(cents)),
            &note,
        ),
        (ClaimStatus::Paid, Some(cents)) => join_note(
            &format!("Importe pagado: {}.", crate::money::format_cents(cents)),
            &note,
        ),
        _ => note.clone(),
    };
    record_event(
        conn,
        id,
        Some(by.staff_id),
        Some(from),
        Some(to),
        &event_note,
        note_for_client,
    )?;
    let mut details = json!({ "estado": { "before": from.code(), "after": to.code() } });
    if to == ClaimStatus::Accepted {
        details["importe_aceptado"] = json!({ "before": claim.accepted_cents, "after": accepted });
    }
    if to == ClaimStatus::Paid {
        details["importe_pagado"] = json!({ "before": claim.paid_cents, "after": paid });
    }
    if !note.is_empty() {
        details["nota"] = json!(note);
        details["visible_cliente"] = json!(note_for_client);
    }
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::CLAIM),
            target_id: Some(id),
            details,
            ..by.entry(Action::ClaimStatusChanged)
        },
    )?;
    // For the rules: the client is told by the default "cambio de estado" rule.
    crate::events::publish(
        conn,
        "claim.status_changed",
        "claim",
        id,
        json!({
            "estado": to.label(),
            "estado_anterior": from.label(),
            "nota_para_cliente": note_for_client && !note.is_empty(),
            // The e-mail names the state of this change, even if the rules run after another.
            "valores": { "estado_siniestro": to.label() },
        }),
    )?;
    Ok(updated)
}

fn join_note(first: &str, note: &str) -> String {
    if note.is_empty() {
        first.to_owned()
    } else {
        format!("{first} {note}")
    }
}

/// Adds a note to the timeline of claim `id`, whatever its state: internal, unless
/// `for_client` (then the client reads it in e-SORI).
pub fn add_note(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    note: &str,
    for_client: bool,
    by: &Actor,
) -> Result<crate::claims::EventRow, ClaimError> {
    let note = check_note(note, true)?;
    queries::ensure_in_scope(conn, scope, id)?;
    diesel::update(claims::table.find(id))
        .set(claims::updated_at.eq(Utc::now()))
        .execute(conn)?;
    let event = record_event(conn, id, Some(by.staff_id), None, None, &note, for_client)?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::CLAIM),
            target_id: Some(id),
            details: json!({
                "nota": crate::format::shorten(&note, 200),
                "visible_cliente": for_client,
            }),
            ..by.entry(Action::ClaimNoteAdded)
        },
    )?;
    Ok(event)
}

/// Gives claim `id` to `handler` (an active staff member who handles claims), or leaves it
/// unassigned with `None`.
pub fn assign(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    handler: Option<i64>,
    by: &Actor,
) -> Result<Claim, ClaimError> {
    let claim = lock(conn, scope, id)?;
    let name = match handler {
        Some(handler_id) => {
            let found: Option<(String, String)> = staff_users::table
                .find(handler_id)
                .filter(staff_users::active.eq(true))
                .select((staff_users::name, staff_users::role))
                .first(conn)
                .optional()?;
            match found {
                Some((name, role))
                    if Role::parse(&role)
                        .is_some_and(|r| Permission::HandleClaims.granted_to(r)) =>
                {
                    Some(name)
                }
                _ => return Err(ClaimError::InvalidHandler),
            }
        }
        None => None,
    };
    let updated: Claim = diesel::update(claims::table.find(id))
        .set((
            claims::handler_staff_id.eq(handler),
            claims::updated_at.eq(Utc::now()),
        ))
        .returning(Claim::as_returning())
        .get_result(conn)?;
    let note = match &name {
        Some(name) => format!("Asignado a {name}."),
        None => "Sin tramitador asignado.".to_owned(),
    };
    record_event(conn, id, Some(by.staff_id), None, None, &note, false)?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::CLAIM),
            target_id: Some(id),
            details: json!({ "tramitador": { "before": claim.handler_staff_id, "after": handler } }),
            ..by.entry(Action::ClaimAssigned)
        },
    )?;
    Ok(updated)
}
