//! What changes receipts: generating a period's instalments, collecting, returning and
//! cancelling one, cancelling a cancelled policy's pending ones, and the overdue reminder.
//! Staff commands take the [`PortfolioScope`]: a receipt of a customer outside it behaves as
//! one that does not exist. Run each in one transaction (`db.transaction`).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Action};
use crate::auth::permissions::PortfolioScope;
use crate::db::DbError;
use crate::db::schema::{customers, policies, policy_periods, receipts, tasks};
use crate::events;
use crate::format::date;
use crate::policies::{Actor, Frequency};
use crate::receipts::model::{Receipt, Status};
use crate::receipts::split::{self, Instalment, Period};
use crate::validation::{FieldErrors, Validated, parse_date};

/// The `target_type` of audit entries about a receipt.
pub const AUDIT_TARGET: &str = audit::target::RECEIPT;
/// Days after its due date an unpaid receipt raises a task.
pub const OVERDUE_DAYS: i64 = 15;

/// Why a receipt command did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptError {
    /// No such receipt in the staff member's scope.
    #[error("receipt not found")]
    NotFound,
    /// Field messages for the form.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The receipt's state does not allow it; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(DbError),
}

impl From<DbError> for ReceiptError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(DieselError::NotFound) => ReceiptError::NotFound,
            other => ReceiptError::Database(other),
        }
    }
}

impl From<DieselError> for ReceiptError {
    fn from(error: DieselError) -> Self {
        DbError::from(error).into()
    }
}

// ---------------------------------------------------------------------------------------------
// Generation

#[derive(Insertable)]
#[diesel(table_name = receipts)]
struct NewReceipt {
    policy_id: i64,
    customer_id: i64,
    policy_period_id: Option<i64>,
    number: String,
    period_start: NaiveDate,
    period_end: NaiveDate,
    due_date: NaiveDate,
    amount_cents: i64,
    net_cents: i64,
}

/// The facts of a policy period that its receipts are made from.
struct PeriodFacts {
    policy_id: i64,
    customer_id: i64,
    frequency: Frequency,
    period_id: Option<i64>,
    period: Period,
    net: i64,
    total: i64,
}

/// The rows of a period's receipts, numbered `R-<policy id>-<year>-<n>` after the receipts
/// the policy already has in each year (`taken`).
fn rows_for(facts: &PeriodFacts, taken: &mut HashMap<i32, u32>) -> Vec<NewReceipt> {
    split::split(facts.total, facts.net, facts.frequency, facts.period)
        .into_iter()
        .map(|part: Instalment| {
            let year = part.due_date.year();
            let n = taken.entry(year).or_insert(0);
            *n += 1;
            NewReceipt {
                policy_id: facts.policy_id,
                customer_id: facts.customer_id,
                policy_period_id: facts.period_id,
                number: format!("R-{}-{year}-{n}", facts.policy_id),
                period_start: part.period_start,
                period_end: part.period_end,
                due_date: part.due_date,
                amount_cents: part.amount_cents,
                net_cents: part.net_cents,
            }
        })
        .collect()
}

/// Creates the receipts of the policy's current period (its latest one) unless it already
/// has them. Idempotent: returns how many it created (0 the second time). Call in the
/// transaction that created or renewed the policy.
pub fn generate_for_policy(conn: &mut PgConnection, policy_id: i64) -> QueryResult<usize> {
    let (customer_id, frequency, start, end, net, total): (
        i64,
        String,
        NaiveDate,
        NaiveDate,
        i64,
        i64,
    ) = policies::table
        .find(policy_id)
        .select((
            policies::customer_id,
            policies::payment_frequency,
            policies::start_date,
            policies::end_date,
            policies::net_premium_cents,
            policies::total_premium_cents,
        ))
        .for_update()
        .first(conn)?;
    let latest: Option<(i64, NaiveDate, NaiveDate, i64, i64)> = policy_periods::table
        .filter(policy_periods::policy_id.eq(policy_id))
        .order(policy_periods::start_date.desc())
        .select((
            policy_periods::id,
            policy_periods::start_date,
            policy_periods::end_date,
            policy_periods::net_premium_cents,
            policy_periods::total_premium_cents,
        ))
        .first(conn)
        .optional()?;
    let (period_id, start, end, net, total) = match latest {
        Some((id, start, end, net, total)) => (Some(id), start, end, net, total),
        None => (None, start, end, net, total),
    };
    let Some(frequency) = Frequency::parse(&frequency) else {
        return Ok(0);
    };
    let existing: Vec<NaiveDate> = receipts::table
        .filter(receipts::policy_id.eq(policy_id))
        .select(receipts::due_date)
        .load(conn)?;
    if existing.iter().any(|due| *due >= start && *due < end) {
        return Ok(0);
    }
    let mut taken: HashMap<i32, u32> = HashMap::new();
    for due in &existing {
        *taken.entry(due.year()).or_insert(0) += 1;
    }
    let facts = PeriodFacts {
        policy_id,
        customer_id,
        frequency,
        period_id,
        period: Period { start, end },
        net,
        total,
    };
    diesel::insert_into(receipts::table)
        .values(rows_for(&facts, &mut taken))
        .on_conflict((receipts::policy_id, receipts::period_start))
        .do_nothing()
        .execute(conn)
}

/// (policy, customer, frequency, period id, start, end, net, total) of a period.
type PeriodRow = (i64, i64, String, i64, NaiveDate, NaiveDate, i64, i64);

/// Rows inserted per statement by [`generate_missing`].
const INSERT_BATCH: usize = 1_000;

/// The receipts of the current period of every policy that has none yet, in a few batched
/// statements (the demo seed; one query reads every period, none per policy). Returns how
/// many it created.
pub fn generate_missing(conn: &mut PgConnection) -> QueryResult<usize> {
    generate_missing_of(conn, None)
}

/// [`generate_missing`] for these policies only (a batch of new ones, as an import writes).
pub fn generate_for_policies(conn: &mut PgConnection, ids: &[i64]) -> QueryResult<usize> {
    if ids.is_empty() {
        return Ok(0);
    }
    generate_missing_of(conn, Some(ids))
}

fn generate_missing_of(conn: &mut PgConnection, only: Option<&[i64]>) -> QueryResult<usize> {
    let has_receipts = diesel::dsl::exists(
        receipts::table
            .filter(receipts::policy_id.eq(policies::id))
            .select(receipts::id),
    );
    let mut query = policy_periods::table
        .inner_join(policies::table)
        .filter(diesel::dsl::not(has_receipts))
        .order((policies::id, policy_periods::start_date.desc()))
        .select((
            policies::id,
            policies::customer_id,
            policies::payment_frequency,
            policy_periods::id,
            policy_periods::start_date,
            policy_periods::end_date,
            policy_periods::net_premium_cents,
            policy_periods::total_premium_cents,
        ))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(policies::id.eq_any(ids));
    }
    let periods: Vec<PeriodRow> = query.load(conn)?;
    let mut rows = Vec::new();
    let mut last_policy = None;
    for (policy_id, customer_id, frequency, period_id, start, end, net, total) in periods {
        if last_policy == Some(policy_id) {
            continue; // an older period: only the latest one gets receipts
        }
        last_policy = Some(policy_id);
        let Some(frequency) = Frequency::parse(&frequency) else {
            continue;
        };
        let facts = PeriodFacts {
            policy_id,
            customer_id,
            frequency,
            period_id: Some(period_id),
            period: Period { start, end },
            net,
            total,
        };
        rows.extend(rows_for(&facts, &mut HashMap::new()));
    }
    let mut created = 0;
    for batch in rows.chunks(INSERT_BATCH) {
        created += diesel::insert_into(receipts::table)
            .values(batch)
            .on_conflict((receipts::policy_id, receipts::period_start))
            .do_nothing()
            .execute(conn)?;
    }
    Ok(created)
}

// ---------------------------------------------------------------------------------------------
// Staff commands

/// Collection form: the day the money came in.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CollectForm {
    pub cobro_fecha: String,
}

/// Return form: why the bank returned it, and when.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReturnForm {
    pub devolucion_motivo: String,
    pub devolucion_fecha: String,
}

/// Cancellation form: why the receipt will not be charged.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    pub anulacion_motivo: String,
}

/// Collect a receipt: the day the money came in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collect {
    pub on: NaiveDate,
}

/// Return a receipt: the bank's reason and the day, with the ISO reason code when the return
/// came from the bank's answer or was recorded from its list (a carrier's file may bring text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GiveBack {
    pub reason: String,
    pub on: NaiveDate,
    pub code: Option<String>,
}

/// Cancel a receipt: why it will not be charged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    pub reason: String,
}

impl CollectForm {
    pub fn validate(&self, today: NaiveDate) -> Validated<Collect> {
        let mut errors = FieldErrors::new();
        match past_date(&mut errors, "cobro_fecha", &self.cobro_fecha, today) {
            Some(on) => Ok(Collect { on }),
            None => Err(errors),
        }
    }
}

impl ReturnForm {
    /// The reason is one of the ISO codes banks give (`collection::reasons`), never free
    /// text: what comes next depends on it.
    pub fn validate(&self, today: NaiveDate) -> Validated<GiveBack> {
        let mut errors = FieldErrors::new();
        let code = self.devolucion_motivo.trim().to_uppercase();
        let reason = if code.is_empty() {
            errors.add("devolucion_motivo", "Elija el motivo de la devolución.");
            String::new()
        } else if !crate::collection::reasons::is_known(&code) {
            errors.add("devolucion_motivo", "Elija uno de los motivos de la lista.");
            String::new()
        } else {
            crate::collection::reasons::reason(&code).describe()
        };
        let on = past_date(
            &mut errors,
            "devolucion_fecha",
            &self.devolucion_fecha,
            today,
        );
        match (on, errors.is_empty()) {
            (Some(on), true) => Ok(GiveBack {
                reason,
                on,
                code: Some(code),
            }),
            _ => Err(errors),
        }
    }
}

impl CancelForm {
    pub fn validate(&self) -> Validated<Cancel> {
        let mut errors = FieldErrors::new();
        let reason = reason(
            &mut errors,
            "anulacion_motivo",
            &self.anulacion_motivo,
            "Escriba el motivo de la anulación.",
        );
        if errors.is_empty() {
            Ok(Cancel { reason })
        } else {
            Err(errors)
        }
    }
}

fn scoped(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<Receipt, ReceiptError> {
    let mut query = receipts::table
        .inner_join(customers::table)
        .filter(receipts::id.eq(id))
        .select(receipts::id)
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query
        .first::<i64>(conn)
        .optional()?
        .ok_or(ReceiptError::NotFound)?;
    Ok(receipts::table
        .find(id)
        .for_update()
        .select(Receipt::as_select())
        .first(conn)?)
}

/// Receipt `id` if it is in `scope`.
pub fn find(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<Receipt, ReceiptError> {
    let mut query = receipts::table
        .inner_join(customers::table)
        .filter(receipts::id.eq(id))
        .select(Receipt::as_select())
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.first(conn).optional()?.ok_or(ReceiptError::NotFound)
}

fn record(
    conn: &mut PgConnection,
    by: &Actor,
    action: Action,
    receipt: &Receipt,
    details: serde_json::Value,
) -> QueryResult<()> {
    by.record(conn, action, AUDIT_TARGET, receipt.id, details)
}

fn refuse(receipt: &Receipt, what: &str) -> ReceiptError {
    ReceiptError::Refused(format!(
        "El recibo {} está {}: no se puede {what}.",
        receipt.number,
        receipt.status().label().to_lowercase()
    ))
}

/// A date of a form: required, and not in the future.
fn past_date(
    errors: &mut FieldErrors,
    field: &'static str,
    text: &str,
    today: NaiveDate,
) -> Option<NaiveDate> {
    let day = parse_date(text).map_err(|m| errors.add(field, m)).ok()?;
    if day > today {
        errors.add(field, "La fecha no puede ser posterior a hoy.");
        return None;
    }
    Some(day)
}

fn reason(errors: &mut FieldErrors, field: &'static str, text: &str, missing: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, missing.to_owned());
    } else if text.chars().count() > 500 {
        errors.add(field, "Escriba como mucho 500 caracteres.");
    }
    text.to_owned()
}

/// Marks a pending or returned receipt as collected on the command's date.
pub fn collect(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Collect>,
    by: &Actor,
) -> Result<Receipt, ReceiptError> {
    let receipt = scoped(conn, scope, id)?;
    if !receipt.status().collectable() {
        return Err(refuse(&receipt, "cobrar"));
    }
    let Collect { on } = command.map_err(ReceiptError::Invalid)?;
    let updated = diesel::update(receipts::table.find(id))
        .set((
            receipts::status.eq(Status::Collected.code()),
            receipts::collected_on.eq(on),
            receipts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Receipt::as_returning())
        .get_result(conn)?;
    crate::commissions::on_collected(conn, &updated)?;
    record(
        conn,
        by,
        Action::ReceiptCollected,
        &receipt,
        json!({
            "numero": receipt.number,
            "poliza": receipt.policy_id,
            "estado": {"before": receipt.status, "after": Status::Collected.code()},
            "fecha": on,
            "importe": receipt.amount_cents,
        }),
    )?;
    Ok(updated)
}

/// Marks a pending or collected receipt as returned (devuelto) with the bank's reason:
/// publishes `receipt.returned` (the default rule tells the client and gives the policy's
/// agent a task to recover it) and audits. `_today` is kept for the callers' symmetry with the
/// other receipt commands.
pub fn return_receipt(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<GiveBack>,
    by: &Actor,
    _today: NaiveDate,
) -> Result<Receipt, ReceiptError> {
    let receipt = scoped(conn, scope, id)?;
    if !receipt.status().returnable() {
        return Err(refuse(&receipt, "devolver"));
    }
    let GiveBack {
        reason: why,
        on,
        code,
    } = command.map_err(ReceiptError::Invalid)?;
    let updated = diesel::update(receipts::table.find(id))
        .set((
            receipts::status.eq(Status::Returned.code()),
            receipts::returned_on.eq(on),
            receipts::return_reason.eq(&why),
            receipts::return_code.eq(&code),
            receipts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Receipt::as_returning())
        .get_result(conn)?;
    crate::commissions::on_returned(conn, &updated)?;
    events::publish(
        conn,
        "receipt.returned",
        "receipt",
        receipt.id,
        json!({
            "number": receipt.number,
            "policy_id": receipt.policy_id,
            "customer_id": receipt.customer_id,
            "amount_cents": receipt.amount_cents,
            "returned_on": on.to_string(),
            "reason": why,
        }),
    )?;
    // The client's notice and the agent's task come from the default rule on receipt.returned.
    record(
        conn,
        by,
        Action::ReceiptReturned,
        &receipt,
        json!({
            "numero": receipt.number,
            "poliza": receipt.policy_id,
            "estado": {"before": receipt.status, "after": Status::Returned.code()},
            "motivo": why,
            "fecha": on,
            "importe": receipt.amount_cents,
        }),
    )?;
    Ok(updated)
}

/// Cancels (anula) a pending receipt, with the reason.
pub fn cancel(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Cancel>,
    by: &Actor,
    today: NaiveDate,
) -> Result<Receipt, ReceiptError> {
    let receipt = scoped(conn, scope, id)?;
    if !receipt.status().cancellable() {
        return Err(refuse(&receipt, "anular"));
    }
    let Cancel { reason: why } = command.map_err(ReceiptError::Invalid)?;
    let updated = diesel::update(receipts::table.find(id))
        .set((
            receipts::status.eq(Status::Cancelled.code()),
            receipts::cancelled_on.eq(today),
            receipts::cancel_reason.eq(&why),
            receipts::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Receipt::as_returning())
        .get_result(conn)?;
    record(
        conn,
        by,
        Action::ReceiptCancelled,
        &receipt,
        json!({
            "numero": receipt.number,
            "poliza": receipt.policy_id,
            "estado": {"before": receipt.status, "after": Status::Cancelled.code()},
            "motivo": why,
            "fecha": today,
        }),
    )?;
    Ok(updated)
}

/// Cancels every pending receipt of a policy that is being cancelled (one statement), with
/// the policy's reason. Returns how many.
pub fn cancel_pending_of_policy(
    conn: &mut PgConnection,
    policy_id: i64,
    on: NaiveDate,
    why: &str,
) -> QueryResult<usize> {
    diesel::update(
        receipts::table
            .filter(receipts::policy_id.eq(policy_id))
            .filter(receipts::status.eq(Status::Pending.code())),
    )
    .set((
        receipts::status.eq(Status::Cancelled.code()),
        receipts::cancelled_on.eq(on),
        receipts::cancel_reason.eq(format!("Póliza anulada: {why}")),
        receipts::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
}

fn add_task(
    conn: &mut PgConnection,
    title: &str,
    due: NaiveDate,
    assignee: i64,
    receipt: &Receipt,
) -> QueryResult<()> {
    let title: String = title.chars().take(200).collect();
    diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(title),
            tasks::due_date.eq(due),
            tasks::priority.eq("high"),
            tasks::assignee_staff_id.eq(assignee),
            tasks::entity_type.eq("policy"),
            tasks::entity_id.eq(receipt.policy_id),
            tasks::customer_id.eq(receipt.customer_id),
        ))
        .execute(conn)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Housekeeping

/// For each receipt still pending more than [`OVERDUE_DAYS`] after its due date, once: a task
/// for the policy's agent (or the customer's) to chase it. `overdue_flagged_at` marks the
/// receipts already done, so reruns add nothing. At most `limit` per call; returns how many.
pub fn flag_overdue(conn: &mut PgConnection, today: NaiveDate, limit: i64) -> QueryResult<usize> {
    let cutoff = today - Duration::days(OVERDUE_DAYS);
    let due: Vec<(Receipt, String, Option<i64>, Option<i64>)> = receipts::table
        .inner_join(policies::table)
        .inner_join(customers::table)
        .filter(receipts::status.eq(Status::Pending.code()))
        .filter(receipts::overdue_flagged_at.is_null())
        .filter(receipts::due_date.lt(cutoff))
        .order((receipts::due_date, receipts::id))
        .limit(limit)
        .select((
            Receipt::as_select(),
            policies::number,
            policies::agent_staff_id,
            customers::owner_staff_id,
        ))
        .for_update()
        .skip_locked()
        .load(conn)?;
    for (receipt, policy_number, agent, owner) in &due {
        if let Some(assignee) = agent.or(*owner) {
            add_task(
                conn,
                &format!(
                    "Recibo impagado {} de la póliza {policy_number}: {} vencido el {}",
                    receipt.number,
                    crate::money::format_cents(receipt.amount_cents),
                    date(receipt.due_date)
                ),
                today,
                assignee,
                receipt,
            )?;
        }
    }
    let ids: Vec<i64> = due.iter().map(|(r, ..)| r.id).collect();
    diesel::update(receipts::table.filter(receipts::id.eq_any(&ids)))
        .set(receipts::overdue_flagged_at.eq(diesel::dsl::now))
        .execute(conn)?;
    Ok(due.len())
}
