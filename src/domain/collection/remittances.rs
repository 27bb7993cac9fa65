//! Remittances (remesas): pending receipts picked by due date, carrier and agent, checked one
//! by one (a mandate in force of the right scheme, not lapsed, the debtor's town), written as
//! one pain.008 file and recorded: the receipts move to "remesado" with their EndToEndId, the
//! mandates note their use, each debtor is pre-notified by e-mail, and no receipt can go in a
//! second file.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::mandates::{MandateStatus, Scheme};
use super::settings::Settings;
use crate::audit::{Action, Actor, target};
use crate::db::DbError;
use crate::db::schema::{receipts, sepa_mandates, sepa_remittances};
use crate::format::date;
use crate::identifiers::Iban;
use crate::listing::{Cursor, Direction, PAGE_SIZE, Page};
use crate::mail::{self, Notice};
use crate::money::format_cents;
use crate::sepa::CreditorId;
use crate::sepa::pain008::{self, Address, Amendment, Creditor, Debit, Message, Sequence};
use crate::validation::{FieldErrors, Validated, parse_date};

/// Receipts one remittance carries at most; a narrower selection makes a second one.
pub const MAX_RECEIPTS: i64 = 10_000;

/// What to collect: pending receipts due between two dates (of one carrier, of one agent's
/// customers), charged on one day under one scheme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Criteria {
    #[serde(rename = "vence_desde")]
    pub due_from: NaiveDate,
    #[serde(rename = "vence_hasta")]
    pub due_to: NaiveDate,
    #[serde(rename = "fecha_cargo")]
    pub collection_date: NaiveDate,
    #[serde(rename = "compania")]
    pub carrier_id: Option<i64>,
    #[serde(rename = "agente")]
    pub agent_id: Option<i64>,
    #[serde(skip)]
    pub scheme: Scheme,
}

/// The selection form as typed (a GET form: the preview is a link that can be shared).
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct CriteriaForm {
    pub vence_desde: String,
    pub vence_hasta: String,
    pub fecha_cargo: String,
    pub compania: String,
    pub agente: String,
    pub esquema: String,
}

impl CriteriaForm {
    /// Whether anything was asked yet (the first visit shows the empty form).
    pub fn is_empty(&self) -> bool {
        self.vence_desde.trim().is_empty()
            && self.vence_hasta.trim().is_empty()
            && self.fecha_cargo.trim().is_empty()
    }

    /// The first day the debtors can be charged: `notice_days` after today (the
    /// pre-notification goes out today).
    pub fn earliest_collection(today: NaiveDate, notice_days: i32) -> NaiveDate {
        today + chrono::Duration::days(i64::from(notice_days))
    }

    pub fn validate(&self, today: NaiveDate, notice_days: i32) -> Validated<Criteria> {
        let mut errors = FieldErrors::new();
        let mut day = |field: &'static str, text: &str| match parse_date(text) {
            Ok(day) => Some(day),
            Err(message) => {
                errors.add(field, message);
                None
            }
        };
        let due_from = day("vence_desde", &self.vence_desde);
        let due_to = day("vence_hasta", &self.vence_hasta);
        let collection_date = day("fecha_cargo", &self.fecha_cargo);
        if let (Some(from), Some(to)) = (due_from, due_to) {
            if to < from {
                errors.add(
                    "vence_hasta",
                    "Esta fecha no puede ser anterior a la de «Vencen desde».",
                );
            } else if (to - from).num_days() > 366 {
                errors.add("vence_hasta", "Elija como mucho un año de vencimientos.");
            }
        }
        let earliest = Self::earliest_collection(today, notice_days);
        if let Some(collection) = collection_date
            && collection < earliest
        {
            errors.add(
                "fecha_cargo",
                format!(
                    "Los clientes deben recibir el aviso {notice_days} días antes del cargo: elija el {} o una fecha posterior.",
                    date(earliest)
                ),
            );
        }
        let id = |text: &str| text.trim().parse::<i64>().ok().filter(|id| *id > 0);
        let scheme = match self.esquema.trim() {
            "" => Scheme::Core,
            code => Scheme::parse(code).unwrap_or_else(|| {
                errors.add("esquema", "Elija el tipo de adeudo.");
                Scheme::Core
            }),
        };
        errors.into_result(Criteria {
            due_from: due_from.unwrap_or(today),
            due_to: due_to.unwrap_or(today),
            collection_date: collection_date.unwrap_or(today),
            carrier_id: id(&self.compania),
            agent_id: id(&self.agente),
            scheme,
        })
    }
}

/// A pending receipt the criteria select, with what its collection needs.
#[derive(Debug, Clone, QueryableByName)]
pub struct Candidate {
    #[diesel(sql_type = BigInt)]
    pub receipt_id: i64,
    #[diesel(sql_type = Text)]
    pub number: String,
    #[diesel(sql_type = Text)]
    pub policy_number: String,
    #[diesel(sql_type = BigInt)]
    pub customer_id: i64,
    #[diesel(sql_type = Text)]
    pub customer_name: String,
    #[diesel(sql_type = Text)]
    pub carrier_name: String,
    #[diesel(sql_type = Date)]
    pub due_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    pub amount_cents: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub email: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub address_line: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub postcode: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub city: Option<String>,
    #[diesel(sql_type = Nullable<BigInt>)]
    pub mandate_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    pub mandate_reference: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub debtor_name: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub iban: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub scheme: Option<String>,
    #[diesel(sql_type = Nullable<Date>)]
    pub signed_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub first_used_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Date>)]
    pub last_used_on: Option<NaiveDate>,
    #[diesel(sql_type = Nullable<Text>)]
    pub amended_from_iban: Option<String>,
}

impl Candidate {
    /// Why this receipt cannot be collected by direct debit now; `None` when it can.
    pub fn refusal(&self, scheme: Scheme, today: NaiveDate) -> Option<String> {
        let (Some(reference), Some(signed_on), Some(mandate_scheme)) = (
            &self.mandate_reference,
            self.signed_on,
            self.scheme.as_deref().and_then(Scheme::parse),
        ) else {
            return Some("El cliente no tiene un mandato SEPA en vigor.".to_owned());
        };
        let lapses = super::mandates::lapse_on(self.last_used_on.unwrap_or(signed_on));
        if today >= lapses {
            return Some(format!(
                "El mandato {reference} caducó el {}: 36 meses sin usarse. Pida uno nuevo.",
                date(lapses)
            ));
        }
        if mandate_scheme != scheme {
            return Some(format!(
                "El mandato {reference} es {}: va en una remesa {}.",
                mandate_scheme.short_label(),
                mandate_scheme.short_label()
            ));
        }
        if self.city.as_deref().is_none_or(|c| c.trim().is_empty()) {
            return Some(
                "Falta la población del cliente: desde noviembre de 2026 el adeudo lleva la dirección del deudor."
                    .to_owned(),
            );
        }
        if self.amount_cents <= 0 {
            return Some("El recibo no tiene importe.".to_owned());
        }
        None
    }
}

/// The receipts the criteria select, split into those that can go and those that cannot
/// (each with its reason).
#[derive(Debug, Clone, Default)]
pub struct Selection {
    pub eligible: Vec<Candidate>,
    pub refused: Vec<(Candidate, String)>,
    /// More than [`MAX_RECEIPTS`] matched: the rest waits for another remittance.
    pub truncated: bool,
}

impl Selection {
    pub fn total_cents(&self) -> i64 {
        self.eligible.iter().map(|c| c.amount_cents).sum()
    }
}

/// Pending receipts not yet remitted (and returned ones worth presenting again, such as for
/// insufficient funds), due in the criteria's range, of the carrier and agent
/// chosen, with each customer's mandate in force; `lock` takes them for the caller's
/// transaction (the remittance being written), so two remittances cannot share a receipt.
pub fn select(
    conn: &mut PgConnection,
    criteria: &Criteria,
    today: NaiveDate,
    lock: bool,
) -> QueryResult<Selection> {
    let sql = format!(
        "SELECT r.id AS receipt_id, r.number, p.number AS policy_number, c.id AS customer_id, \
         c.display_name AS customer_name, ca.name AS carrier_name, r.due_date, r.amount_cents, \
         c.email, c.address_line, c.postcode, c.city, m.id AS mandate_id, \
         m.reference AS mandate_reference, m.debtor_name, m.iban, m.scheme, m.signed_on, \
         m.first_used_on, m.last_used_on, m.amended_from_iban \
         FROM receipts r \
         JOIN policies p ON p.id = r.policy_id \
         JOIN customers c ON c.id = r.customer_id \
         JOIN carriers ca ON ca.id = p.carrier_id \
         LEFT JOIN sepa_mandates m ON m.customer_id = c.id AND m.status = '{active}' \
         WHERE ((r.status = 'pendiente' AND r.remittance_id IS NULL) \
             OR (r.status = 'devuelto' AND r.return_code = ANY($6))) \
         AND r.due_date BETWEEN $1 AND $2 \
         AND ($3::bigint IS NULL OR p.carrier_id = $3) \
         AND ($4::bigint IS NULL OR c.owner_staff_id = $4) \
         ORDER BY r.due_date, r.id LIMIT $5{lock}",
        active = MandateStatus::Active.code(),
        lock = if lock { " FOR UPDATE OF r" } else { "" },
    );
    let mut rows: Vec<Candidate> = diesel::sql_query(sql)
        .bind::<Date, _>(criteria.due_from)
        .bind::<Date, _>(criteria.due_to)
        .bind::<Nullable<BigInt>, _>(criteria.carrier_id)
        .bind::<Nullable<BigInt>, _>(criteria.agent_id)
        .bind::<BigInt, _>(MAX_RECEIPTS + 1)
        // A receipt returned for a reason worth trying again goes in again.
        .bind::<diesel::sql_types::Array<Text>, _>(super::reasons::retryable())
        .load(conn)?;
    let truncated = rows.len() as i64 > MAX_RECEIPTS;
    rows.truncate(MAX_RECEIPTS as usize);
    let mut selection = Selection {
        truncated,
        ..Selection::default()
    };
    for row in rows {
        match row.refusal(criteria.scheme, today) {
            None => selection.eligible.push(row),
            Some(reason) => selection.refused.push((row, reason)),
        }
    }
    Ok(selection)
}

/// Why no remittance was written.
#[derive(Debug, thiserror::Error)]
pub enum RemitError {
    #[error("no SEPA settings")]
    NoSettings,
    #[error("nothing to collect")]
    Nothing,
    #[error("the SEPA file: {0}")]
    File(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for RemitError {
    fn from(error: diesel::result::Error) -> Self {
        RemitError::Db(error.into())
    }
}

/// A remittance as its list and page show it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sepa_remittances)]
pub struct Remittance {
    pub id: i64,
    pub reference: String,
    pub file_version: String,
    pub collection_date: NaiveDate,
    pub receipt_count: i32,
    pub total_cents: i64,
    pub sha256: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Writes the remittance of what `criteria` select now: the file, the receipts remitted, the
/// mandates' use, one pre-notification per debtor with an e-mail address, the audit entry.
/// Call inside a transaction. `now` is Madrid's local time (the file's creation time).
pub fn create(
    conn: &mut PgConnection,
    by: &Actor,
    criteria: &Criteria,
    now: NaiveDateTime,
) -> Result<Remittance, RemitError> {
    write(conn, by, criteria, now, true)
}

/// [`create`] without the pre-notifications: for receipts whose debtors were told already
/// (the demo data's remittance).
pub fn create_as_notified(
    conn: &mut PgConnection,
    by: &Actor,
    criteria: &Criteria,
    now: NaiveDateTime,
) -> Result<Remittance, RemitError> {
    write(conn, by, criteria, now, false)
}

fn write(
    conn: &mut PgConnection,
    by: &Actor,
    criteria: &Criteria,
    now: NaiveDateTime,
    notify: bool,
) -> Result<Remittance, RemitError> {
    let settings = super::settings::get(conn)?.ok_or(RemitError::NoSettings)?;
    let today = now.date();
    let selection = select(conn, criteria, today, true)?;
    if selection.eligible.is_empty() {
        return Err(RemitError::Nothing);
    }
    let id: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "nextval('sepa_remittances_id_seq')",
    ))
    .get_result(conn)?;
    let reference = format!("SORIANO-REM-{id:06}");
    let message = message(&settings, criteria, &selection, &reference, id, now)?;
    let xml = pain008::write(&message, settings.version())
        .map_err(|e| RemitError::File(e.to_string()))?;
    let sha256 = crate::util::sha256_hex(xml.as_bytes());
    let total = selection.total_cents();
    let count = selection.eligible.len() as i32;
    diesel::insert_into(sepa_remittances::table)
        .values((
            sepa_remittances::id.eq(id),
            sepa_remittances::reference.eq(&reference),
            sepa_remittances::file_version.eq(&settings.file_version),
            sepa_remittances::collection_date.eq(criteria.collection_date),
            sepa_remittances::receipt_count.eq(count),
            sepa_remittances::total_cents.eq(total),
            sepa_remittances::xml.eq(&xml),
            sepa_remittances::sha256.eq(&sha256),
            sepa_remittances::criteria.eq(json!(criteria)),
            sepa_remittances::created_by_staff_id.eq(by.staff()),
        ))
        .execute(conn)?;
    for candidate in &selection.eligible {
        diesel::update(receipts::table.find(candidate.receipt_id))
            .set((
                receipts::status.eq("remesado"),
                receipts::remittance_id.eq(id),
                receipts::mandate_id.eq(candidate.mandate_id),
                receipts::end_to_end_id.eq(end_to_end_id(id, candidate.receipt_id)),
                receipts::remitted_on.eq(today),
                receipts::updated_at.eq(diesel::dsl::now),
            ))
            .execute(conn)?;
    }
    let mandates: Vec<i64> = selection
        .eligible
        .iter()
        .filter_map(|c| c.mandate_id)
        .collect();
    diesel::update(sepa_mandates::table.filter(sepa_mandates::id.eq_any(&mandates)))
        .set((
            sepa_mandates::first_used_on.eq(diesel::dsl::sql::<Nullable<Date>>(
                "coalesce(sepa_mandates.first_used_on, ",
            )
            .bind::<Date, _>(criteria.collection_date)
            .sql(")")),
            sepa_mandates::last_used_on.eq(criteria.collection_date),
            // The bank has now been told of the account change.
            sepa_mandates::amended_from_iban.eq(None::<String>),
            sepa_mandates::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    if notify {
        prenotify(conn, &settings, criteria, &selection)?;
    }
    by.record(
        conn,
        Action::RemittanceCreated,
        target::REMITTANCE,
        id,
        json!({
            "referencia": reference,
            "recibos": count,
            "importe": format_cents(total),
            "fecha_cargo": date(criteria.collection_date),
            "version": settings.file_version,
            "seleccion": criteria,
            "rechazados": selection.refused.len(),
        }),
    )?;
    Ok(find(conn, id)?)
}

/// The receipt's EndToEndId in remittance `remittance_id`: the bank returns it with any
/// rejection or return, which ties the answer to the receipt.
pub fn end_to_end_id(remittance_id: i64, receipt_id: i64) -> String {
    format!("SOR{remittance_id}-{receipt_id}")
}

fn message(
    settings: &Settings,
    criteria: &Criteria,
    selection: &Selection,
    reference: &str,
    remittance_id: i64,
    now: NaiveDateTime,
) -> Result<Message, RemitError> {
    let file = |what: &str| RemitError::File(what.to_owned());
    let creditor = Creditor {
        name: settings.creditor_name.clone(),
        iban: Iban::parse(&settings.iban).map_err(file)?,
        bic: settings.bic.clone(),
        id: CreditorId::parse(&settings.creditor_id).map_err(file)?,
        address: Some(Address {
            street: Some(settings.street.clone()).filter(|s| !s.is_empty()),
            building: None,
            postcode: Some(settings.postcode.clone()).filter(|s| !s.is_empty()),
            town: settings.town.clone(),
            country: settings.country.clone(),
        }),
    };
    let mut debits = Vec::with_capacity(selection.eligible.len());
    for c in &selection.eligible {
        let debtor_iban = Iban::parse(c.iban.as_deref().unwrap_or_default()).map_err(file)?;
        let sequence = if settings.first_sequence && c.first_used_on.is_none() {
            Sequence::First
        } else {
            Sequence::Recurrent
        };
        let amendment = match c.amended_from_iban.as_deref() {
            Some(original) => Some(Amendment {
                original_mandate_id: None,
                original_debtor_iban: Some(Iban::parse(original).map_err(file)?),
            }),
            None => None,
        };
        debits.push(Debit {
            end_to_end_id: end_to_end_id(remittance_id, c.receipt_id),
            amount_cents: c.amount_cents,
            mandate_id: c.mandate_reference.clone().unwrap_or_default(),
            mandate_signed_on: c.signed_on.unwrap_or(now.date()),
            amendment,
            debtor_name: c.debtor_name.clone().unwrap_or(c.customer_name.clone()),
            debtor_iban,
            debtor_bic: None,
            debtor_address: Some(Address {
                street: c.address_line.clone().filter(|s| !s.trim().is_empty()),
                building: None,
                postcode: c.postcode.clone().filter(|s| !s.trim().is_empty()),
                town: c.city.clone().unwrap_or_default(),
                country: "ES".to_owned(),
            }),
            remittance_info: format!(
                "Recibo {} poliza {} {}",
                c.number, c.policy_number, c.carrier_name
            ),
            sequence,
            collection_date: criteria.collection_date,
        });
    }
    Ok(Message {
        id: reference.to_owned(),
        created_at: now,
        scheme: match criteria.scheme {
            Scheme::Core => pain008::Scheme::Core,
            Scheme::B2b => pain008::Scheme::B2b,
        },
        creditor,
        debits,
    })
}

/// One e-mail per debtor with an address: the receipts, the total, the day and the account.
fn prenotify(
    conn: &mut PgConnection,
    settings: &Settings,
    criteria: &Criteria,
    selection: &Selection,
) -> Result<(), DbError> {
    let mut by_customer: BTreeMap<i64, Vec<&Candidate>> = BTreeMap::new();
    for c in &selection.eligible {
        by_customer.entry(c.customer_id).or_default().push(c);
    }
    for receipts in by_customer.values() {
        let first = receipts[0];
        let Some(to) = first.email.clone().filter(|e| !e.trim().is_empty()) else {
            continue;
        };
        let iban = first.iban.clone().unwrap_or_default();
        let last4: String = iban
            .chars()
            .rev()
            .take(4)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        mail::send(
            conn,
            &Notice::DirectDebitNotice {
                to,
                name: first.customer_name.clone(),
                collection_date: date(criteria.collection_date),
                total: format_cents(receipts.iter().map(|c| c.amount_cents).sum()),
                account: format!("{} **** {last4}", iban.chars().take(4).collect::<String>()),
                mandate: first.mandate_reference.clone().unwrap_or_default(),
                creditor_id: settings.creditor_id.clone(),
                creditor_name: settings.creditor_name.clone(),
                receipts: receipts
                    .iter()
                    .map(|c| {
                        (
                            c.number.clone(),
                            c.policy_number.clone(),
                            format_cents(c.amount_cents),
                        )
                    })
                    .collect(),
            },
        )?;
    }
    Ok(())
}

pub fn find(conn: &mut PgConnection, id: i64) -> QueryResult<Remittance> {
    sepa_remittances::table
        .find(id)
        .select(Remittance::as_select())
        .first(conn)
}

/// The file as it was written.
pub fn file(conn: &mut PgConnection, id: i64) -> QueryResult<(String, String)> {
    sepa_remittances::table
        .find(id)
        .select((sepa_remittances::reference, sepa_remittances::xml))
        .first(conn)
}

/// A receipt of a remittance, as its page lists it.
#[derive(Debug, Clone, Queryable)]
pub struct RemittedReceipt {
    pub receipt_id: i64,
    pub number: String,
    pub end_to_end_id: Option<String>,
    pub customer_name: String,
    pub amount_cents: i64,
    pub status: crate::receipts::Status,
    /// The ISO reason code when the bank returned it.
    pub return_code: Option<String>,
}

impl RemittedReceipt {
    /// "AC04 · Cuenta cancelada" for a returned receipt.
    pub fn return_reason(&self) -> Option<String> {
        self.return_code.as_deref().map(|code| {
            let reason = super::reasons::reason(code);
            format!("{} · {}", reason.code, reason.text)
        })
    }
}

/// How many of a remittance's receipts its page shows at a time.
pub const RECEIPTS_PAGE_SIZE: i64 = 200;

/// One page of the receipts the remittance carried, in the file's order.
pub fn receipts_of(
    conn: &mut PgConnection,
    id: i64,
    page: crate::listing::PageNumber,
) -> QueryResult<crate::listing::Numbered<RemittedReceipt>> {
    use crate::db::schema::customers;
    let rows = receipts::table
        .inner_join(customers::table)
        .filter(receipts::remittance_id.eq(id))
        .order(receipts::id)
        .select((
            receipts::id,
            receipts::number,
            receipts::end_to_end_id,
            customers::display_name,
            receipts::amount_cents,
            receipts::status,
            receipts::return_code,
        ))
        .offset(page.offset(RECEIPTS_PAGE_SIZE))
        .limit(RECEIPTS_PAGE_SIZE + 1)
        .load(conn)?;
    Ok(crate::listing::Numbered::assemble(
        rows,
        page,
        RECEIPTS_PAGE_SIZE,
    ))
}

/// One page of remittances, newest first.
pub fn list(conn: &mut PgConnection, cursor: Option<Cursor>) -> QueryResult<Page<Remittance>> {
    let mut query = sepa_remittances::table
        .select(Remittance::as_select())
        .into_boxed();
    let forward = Cursor::direction(cursor) == Direction::Forward;
    if let Some(cursor) = cursor {
        query = if forward {
            query.filter(sepa_remittances::id.lt(cursor.id()))
        } else {
            query.filter(sepa_remittances::id.gt(cursor.id()))
        };
    }
    query = if forward {
        query.order(sepa_remittances::id.desc())
    } else {
        query.order(sepa_remittances::id.asc())
    };
    let rows = query.limit(PAGE_SIZE + 1).load(conn)?;
    Ok(Page::assemble(rows, cursor, PAGE_SIZE, |r| r.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_charge_leaves_the_days_of_notice() {
        let today = day(2026, 12, 5);
        let form = CriteriaForm {
            vence_desde: "01/01/2027".into(),
            vence_hasta: "31/01/2027".into(),
            fecha_cargo: "2026-12-18".into(),
            ..CriteriaForm::default()
        };
        let errors = form.validate(today, 14).unwrap_err();
        assert!(errors.get("fecha_cargo").unwrap().contains("19/12/2026"));
        let form = CriteriaForm {
            fecha_cargo: "2026-12-19".into(),
            ..form
        };
        let criteria = form.validate(today, 14).unwrap();
        assert_eq!(criteria.scheme, Scheme::Core);
        assert_eq!(criteria.carrier_id, None);
    }

    #[test]
    fn a_range_backwards_is_refused() {
        let form = CriteriaForm {
            vence_desde: "31/01/2027".into(),
            vence_hasta: "01/01/2027".into(),
            fecha_cargo: "2027-01-20".into(),
            ..CriteriaForm::default()
        };
        let errors = form.validate(day(2026, 12, 5), 14).unwrap_err();
        assert!(errors.get("vence_hasta").is_some());
    }

    #[test]
    fn end_to_end_ids_fit_the_field() {
        assert!(end_to_end_id(999_999_999, 999_999_999_999).len() <= 35);
    }
}
