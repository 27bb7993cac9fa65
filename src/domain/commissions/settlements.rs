//! What changes settlements: creating (or refreshing) the draft of a carrier and month, which
//! gathers the carrier's unsettled lines booked up to that month's end; issuing it (frozen:
//! its lines cannot change any more, later reversals go into a later settlement; audited, and
//! the `settlement.issued` event published); and recording the carrier's payment. Each runs in
//! the caller's transaction (`db.transaction`) and is safe to submit twice.

use chrono::{NaiveDate, Utc};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Action, Actor};
use crate::commissions::model::{
    Settlement, SettlementStatus, month_end, month_label, month_start, parse_month,
};
use crate::db::DbError;
use crate::db::schema::{carrier_settlements, carriers, commissions};
use crate::events;
use crate::money::{format_cents, parse_cents};
use crate::validation::{FieldErrors, Validated, parse_date};

/// The `target_type` of audit entries and events about a settlement.
pub const AUDIT_TARGET: &str = audit::target::SETTLEMENT;

/// Why a settlement command did not happen.
#[derive(Debug, thiserror::Error)]
pub enum SettlementError {
    #[error("settlement not found")]
    NotFound,
    /// Field messages for the form.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The settlement's state does not allow it; the message says why (in Spanish).
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(DbError),
}

impl From<DbError> for SettlementError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(DieselError::NotFound) => SettlementError::NotFound,
            other => SettlementError::Database(other),
        }
    }
}

impl From<DieselError> for SettlementError {
    fn from(error: DieselError) -> Self {
        DbError::from(error).into()
    }
}

/// New draft form: the carrier and the month.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DraftForm {
    pub compania: String,
    pub mes: String,
}

/// Payment form: when the carrier's money came in and how much.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PaymentForm {
    pub cobro_fecha: String,
    pub importe_recibido: String,
}

/// Draft (or complete) the settlement of a carrier and month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DraftSettlement {
    pub carrier_id: i64,
    /// The month's first day.
    pub month: NaiveDate,
}

/// The carrier paid a settlement: when, and how much came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Payment {
    pub paid_on: NaiveDate,
    pub received_cents: i64,
}

impl DraftForm {
    /// The carrier chosen and a month up to `today`'s (whether the carrier exists is the
    /// command's to check).
    pub fn validate(&self, today: NaiveDate) -> Validated<DraftSettlement> {
        let mut errors = FieldErrors::new();
        let carrier = self
            .compania
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0);
        if carrier.is_none() {
            errors.add("compania", "Elija la compañía.");
        }
        let month = if self.mes.trim().is_empty() {
            errors.add("mes", "Elija el mes.");
            None
        } else {
            match parse_month(&self.mes) {
                Some(month) if month > month_start(today) => {
                    errors.add("mes", "El mes no puede ser posterior al actual.");
                    None
                }
                Some(month) => Some(month),
                None => {
                    errors.add("mes", "Escriba el mes como aaaa-mm, por ejemplo 2026-11.");
                    None
                }
            }
        };
        match (carrier, month, errors.is_empty()) {
            (Some(carrier_id), Some(month), true) => Ok(DraftSettlement { carrier_id, month }),
            _ => Err(errors),
        }
    }
}

impl PaymentForm {
    /// A day up to `today` and an amount (not before the issue: the command checks that).
    pub fn validate(&self, today: NaiveDate) -> Validated<Payment> {
        let mut errors = FieldErrors::new();
        let paid_on = match parse_date(&self.cobro_fecha) {
            Err(message) => {
                errors.add("cobro_fecha", message);
                None
            }
            Ok(day) if day > today => {
                errors.add("cobro_fecha", "La fecha no puede ser posterior a hoy.");
                None
            }
            Ok(day) => Some(day),
        };
        let received = parse_cents(&self.importe_recibido)
            .map_err(|message| errors.add("importe_recibido", message))
            .ok();
        match (paid_on, received, errors.is_empty()) {
            (Some(paid_on), Some(received_cents), true) => Ok(Payment {
                paid_on,
                received_cents,
            }),
            _ => Err(errors),
        }
    }
}

fn lock(conn: &mut PgConnection, id: i64) -> Result<Settlement, SettlementError> {
    Ok(carrier_settlements::table
        .find(id)
        .for_update()
        .select(Settlement::as_select())
        .first(conn)?)
}

/// Moves the carrier's unsettled lines booked up to the month's end into the draft and
/// recomputes its totals. Returns how many lines joined.
fn gather(conn: &mut PgConnection, draft: &Settlement) -> QueryResult<usize> {
    diesel::update(
        commissions::table
            .filter(commissions::settlement_id.is_null())
            .filter(commissions::carrier_id.eq(draft.carrier_id))
            .filter(commissions::booked_on.le(month_end(draft.period))),
    )
    .set(commissions::settlement_id.eq(draft.id))
    .execute(conn)
}

/// Recomputes a settlement's sums from its lines (one query), while it is a draft or as it
/// is issued; returns it updated.
fn recount(conn: &mut PgConnection, id: i64) -> QueryResult<Settlement> {
    diesel::sql_query(
        "UPDATE carrier_settlements s
            SET line_count = t.lines, base_cents = t.base, total_cents = t.total,
                agent_cents = t.agent, updated_at = now()
           FROM (SELECT count(*)::int AS lines,
                        coalesce(sum(base_cents), 0)::bigint AS base,
                        coalesce(sum(amount_cents), 0)::bigint AS total,
                        coalesce(sum(agent_amount_cents), 0)::bigint AS agent
                   FROM commissions WHERE settlement_id = $1) t
          WHERE s.id = $1",
    )
    .bind::<diesel::sql_types::BigInt, _>(id)
    .execute(conn)?;
    carrier_settlements::table
        .find(id)
        .select(Settlement::as_select())
        .first(conn)
}

fn record(
    conn: &mut PgConnection,
    by: &Actor,
    action: Action,
    settlement: &Settlement,
    details: serde_json::Value,
) -> QueryResult<()> {
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(AUDIT_TARGET),
            target_id: Some(settlement.id),
            details,
            ..by.entry(action)
        },
    )
}

fn carrier_name(conn: &mut PgConnection, id: i64) -> QueryResult<String> {
    carriers::table.find(id).select(carriers::name).first(conn)
}

/// Creates the draft settlement of a carrier and month with the carrier's unsettled lines
/// booked up to that month's end; when the draft exists, adds the lines that arrived since
/// (so submitting twice gives one draft). Refuses a month after `today`'s, a month whose
/// settlement is already issued, and a new draft with nothing to settle.
pub fn create_draft(
    conn: &mut PgConnection,
    command: &DraftSettlement,
    by: &Actor,
) -> Result<Settlement, SettlementError> {
    let DraftSettlement {
        carrier_id: carrier,
        month,
    } = *command;
    let known: Option<i64> = carriers::table
        .find(carrier)
        .select(carriers::id)
        .first(conn)
        .optional()?;
    if known.is_none() {
        let mut errors = FieldErrors::new();
        errors.add("compania", "Elija la compañía.");
        return Err(SettlementError::Invalid(errors));
    }
    let created = diesel::insert_into(carrier_settlements::table)
        .values((
            carrier_settlements::carrier_id.eq(carrier),
            carrier_settlements::period.eq(month),
            carrier_settlements::created_by_staff_id.eq(by.staff_id),
        ))
        .on_conflict((carrier_settlements::carrier_id, carrier_settlements::period))
        .do_nothing()
        .execute(conn)?
        == 1;
    let id: i64 = carrier_settlements::table
        .filter(carrier_settlements::carrier_id.eq(carrier))
        .filter(carrier_settlements::period.eq(month))
        .select(carrier_settlements::id)
        .first(conn)?;
    let draft = lock(conn, id)?;
    if draft.status() != SettlementStatus::Draft {
        let mut errors = FieldErrors::new();
        errors.add(
            "mes",
            format!(
                "La liquidación de {} de {} ya está emitida: las comisiones nuevas irán en la de un mes posterior.",
                carrier_name(conn, carrier)?,
                month_label(month)
            ),
        );
        return Err(SettlementError::Invalid(errors));
    }
    let joined = gather(conn, &draft)?;
    let draft = recount(conn, id)?;
    if created && joined == 0 {
        let mut errors = FieldErrors::new();
        errors.add(
            "mes",
            format!(
                "No hay comisiones sin liquidar de {} hasta {}.",
                carrier_name(conn, carrier)?,
                month_label(month)
            ),
        );
        // The caller's transaction rolls the empty draft back.
        return Err(SettlementError::Invalid(errors));
    }
    if joined > 0 {
        record(
            conn,
            by,
            Action::SettlementDrafted,
            &draft,
            json!({
                "compania": carrier,
                "mes": month.format("%Y-%m").to_string(),
                "lineas_nuevas": joined,
                "lineas": draft.line_count,
                "total": draft.total_cents,
            }),
        )?;
    }
    Ok(draft)
}

/// Adds to a draft the lines that arrived since it was made. Returns it and how many joined.
pub fn refresh(
    conn: &mut PgConnection,
    id: i64,
    by: &Actor,
) -> Result<(Settlement, usize), SettlementError> {
    let draft = lock(conn, id)?;
    if draft.status() != SettlementStatus::Draft {
        return Err(SettlementError::Refused(
            "La liquidación ya está emitida: no se puede actualizar.".to_owned(),
        ));
    }
    let joined = gather(conn, &draft)?;
    let draft = recount(conn, id)?;
    if joined > 0 {
        record(
            conn,
            by,
            Action::SettlementDrafted,
            &draft,
            json!({
                "compania": draft.carrier_id,
                "mes": draft.period.format("%Y-%m").to_string(),
                "lineas_nuevas": joined,
                "lineas": draft.line_count,
                "total": draft.total_cents,
            }),
        )?;
    }
    Ok((draft, joined))
}

/// Issues a draft: its totals are recomputed one last time and frozen with its lines (the
/// database refuses to change them from now on), audited, and `settlement.issued` published.
/// Issuing twice is refused with a message, and nothing changes the second time.
pub fn issue(conn: &mut PgConnection, id: i64, by: &Actor) -> Result<Settlement, SettlementError> {
    let draft = lock(conn, id)?;
    match draft.status() {
        SettlementStatus::Draft => {}
        SettlementStatus::Issued | SettlementStatus::Paid => {
            return Err(SettlementError::Refused(
                "La liquidación ya estaba emitida.".to_owned(),
            ));
        }
    }
    let draft = recount(conn, id)?;
    if draft.line_count == 0 {
        return Err(SettlementError::Refused(
            "La liquidación no tiene líneas: no se puede emitir.".to_owned(),
        ));
    }
    let issued = diesel::update(carrier_settlements::table.find(id))
        .set((
            carrier_settlements::status.eq(SettlementStatus::Issued.code()),
            carrier_settlements::issued_at.eq(Utc::now()),
            carrier_settlements::issued_by_staff_id.eq(by.staff_id),
            carrier_settlements::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Settlement::as_returning())
        .get_result(conn)?;
    let period = issued.period.format("%Y-%m").to_string();
    events::publish(
        conn,
        "settlement.issued",
        AUDIT_TARGET,
        issued.id,
        json!({
            "carrier_id": issued.carrier_id,
            "period": period,
            "lines": issued.line_count,
            "total_cents": issued.total_cents,
        }),
    )?;
    record(
        conn,
        by,
        Action::SettlementIssued,
        &issued,
        json!({
            "estado": {"before": draft.status, "after": issued.status},
            "compania": issued.carrier_id,
            "mes": period,
            "lineas": issued.line_count,
            "total": issued.total_cents,
        }),
    )?;
    Ok(issued)
}

/// Records the carrier's payment of an issued settlement: the day and the amount received
/// (which may differ from the total; the difference is kept and shown). The day may not be in
/// the future nor before the settlement was issued.
pub fn mark_paid(
    conn: &mut PgConnection,
    id: i64,
    command: Validated<Payment>,
    by: &Actor,
) -> Result<Settlement, SettlementError> {
    let settlement = lock(conn, id)?;
    match settlement.status() {
        SettlementStatus::Issued => {}
        SettlementStatus::Draft => {
            return Err(SettlementError::Refused(
                "Emita la liquidación antes de registrar el cobro.".to_owned(),
            ));
        }
        SettlementStatus::Paid => {
            return Err(SettlementError::Refused(
                "La liquidación ya estaba cobrada.".to_owned(),
            ));
        }
    }
    let Payment {
        paid_on,
        received_cents: received,
    } = command.map_err(SettlementError::Invalid)?;
    let issued_on = settlement
        .issued_at
        .map(|at| at.with_timezone(&crate::time::ZONE).date_naive());
    if issued_on.is_some_and(|issued| paid_on < issued) {
        let mut errors = FieldErrors::new();
        errors.add(
            "cobro_fecha",
            "La fecha no puede ser anterior a la emisión de la liquidación.",
        );
        return Err(SettlementError::Invalid(errors));
    }
    let paid = diesel::update(carrier_settlements::table.find(id))
        .set((
            carrier_settlements::status.eq(SettlementStatus::Paid.code()),
            carrier_settlements::paid_on.eq(paid_on),
            carrier_settlements::received_cents.eq(received),
            carrier_settlements::paid_at.eq(Utc::now()),
            carrier_settlements::paid_by_staff_id.eq(by.staff_id),
            carrier_settlements::updated_at.eq(diesel::dsl::now),
        ))
        .returning(Settlement::as_returning())
        .get_result(conn)?;
    record(
        conn,
        by,
        Action::SettlementPaid,
        &paid,
        json!({
            "estado": {"before": settlement.status, "after": paid.status},
            "fecha": paid_on,
            "esperado": paid.total_cents,
            "recibido": received,
            "diferencia": paid.difference(),
        }),
    )?;
    Ok(paid)
}

/// A settlement's lines as a CSV for a Spanish spreadsheet: UTF-8 with a byte order mark, `;`
/// between fields, decimal comma, dates dd/mm/aaaa, a header row, and a total row. Fields are quoted when they hold a
/// separator, a quote or a line break.
pub fn csv(settlement: &Settlement, lines: &[crate::commissions::SettlementLine]) -> String {
    use crate::export::{csv_field as field, decimal_text as decimal};
    fn percent(bp: i32) -> String {
        format!("{},{:02}", bp / 100, bp % 100)
    }
    // The byte order mark tells Excel the file is UTF-8 (accents in names).
    let mut out = String::from(
        "\u{feff}Fecha;Recibo;Póliza;Cliente;Tipo;Renovación;Prima neta;Comisión %;Comisión\r\n",
    );
    for line in lines {
        let c = &line.commission;
        let row = [
            crate::format::date(c.booked_on),
            field(&line.receipt_number),
            field(&line.policy_number),
            field(&line.customer_name),
            c.kind().label().to_owned(),
            if c.renewal { "Sí" } else { "No" }.to_owned(),
            decimal(c.base_cents),
            percent(c.rate_bp),
            decimal(c.amount_cents),
        ];
        out.push_str(&row.join(";"));
        out.push_str("\r\n");
    }
    out.push_str(&format!(
        ";;;Total;;;{};;{}\r\n",
        decimal(settlement.base_cents),
        decimal(settlement.total_cents)
    ));
    out
}

/// "1.234,56 €" of a settlement's difference, with its sign ("+1,00 €" when the carrier paid
/// more).
pub fn difference_text(difference: i64) -> String {
    if difference > 0 {
        format!("+{}", format_cents(difference))
    } else {
        format_cents(difference)
    }
}
