//! SEPA mandates: the debtor's signed authorisation to collect from their account. One in
//! force per customer (a new one replaces it); the signed paper is kept as one of the
//! customer's documents; an account change amends the mandate until the next collection tells
//! the bank; a mandate unused for 36 months lapses.

use chrono::{DateTime, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::audit::{Action, Actor, target};
use crate::catalog::fields::required;
use crate::db::schema::{documents, sepa_mandates};
use crate::identifiers::Iban;
use crate::validation::{FieldErrors, Validated, parse_date};

crate::text_enum!(Scheme);
crate::text_enum!(MandateStatus);

/// A mandate lapses after this long without a collection (EPC rulebook).
pub const LAPSES_AFTER_MONTHS: u32 = 36;

/// Core for consumers, B2B for companies (no refund right; the debtor's bank must hold it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    Core,
    B2b,
}

impl Scheme {
    pub const ALL: [Scheme; 2] = [Scheme::Core, Scheme::B2b];

    pub fn code(self) -> &'static str {
        match self {
            Scheme::Core => "core",
            Scheme::B2b => "b2b",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Scheme::Core => "CORE (básico)",
            Scheme::B2b => "B2B (entre empresas)",
        }
    }

    pub fn short_label(self) -> &'static str {
        match self {
            Scheme::Core => "CORE",
            Scheme::B2b => "B2B",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Scheme::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MandateStatus {
    Active,
    Revoked,
    Expired,
}

impl MandateStatus {
    pub const ALL: [MandateStatus; 3] = [
        MandateStatus::Active,
        MandateStatus::Revoked,
        MandateStatus::Expired,
    ];

    pub fn code(self) -> &'static str {
        match self {
            MandateStatus::Active => "active",
            MandateStatus::Revoked => "revoked",
            MandateStatus::Expired => "expired",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MandateStatus::Active => "En vigor",
            MandateStatus::Revoked => "De baja",
            MandateStatus::Expired => "Caducado",
        }
    }

    pub fn badge(self) -> &'static str {
        match self {
            MandateStatus::Active => "badge badge-ok",
            MandateStatus::Revoked => "badge badge-muted",
            MandateStatus::Expired => "badge badge-warn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        MandateStatus::ALL.into_iter().find(|s| s.code() == code)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sepa_mandates)]
pub struct Mandate {
    pub id: i64,
    pub customer_id: i64,
    pub reference: String,
    pub debtor_name: String,
    pub iban: String,
    pub scheme: Scheme,
    pub signed_on: NaiveDate,
    /// The scanned signed mandate, when signed on paper.
    pub document_id: Option<i64>,
    pub status: MandateStatus,
    pub first_used_on: Option<NaiveDate>,
    pub last_used_on: Option<NaiveDate>,
    pub amended_from_iban: Option<String>,
    pub revoked_on: Option<NaiveDate>,
    pub created_at: DateTime<Utc>,
    /// When the client signed it in e-SORI (then the evidence is the text below).
    pub signed_online_at: Option<DateTime<Utc>>,
    pub signed_ip: Option<String>,
    pub signed_text: Option<String>,
}

impl Mandate {
    /// The day it lapses if nothing is collected before: 36 months after its last use (or its
    /// signature, if never used).
    pub fn lapses_on(&self) -> NaiveDate {
        lapse_date(self.last_used_on.unwrap_or(self.signed_on))
    }

    pub fn is_lapsed(&self, today: NaiveDate) -> bool {
        today >= self.lapses_on()
    }

    /// The account as a client is shown it: the country, check digits and last four digits.
    pub fn iban_masked(&self) -> String {
        let last: String = self
            .iban
            .chars()
            .skip(self.iban.len().saturating_sub(4))
            .collect();
        format!("{} **** {last}", &self.iban[..4.min(self.iban.len())])
    }

    /// The account in groups of four, as a bank prints it.
    pub fn iban_grouped(&self) -> String {
        Iban::parse(&self.iban)
            .map(|iban| iban.grouped())
            .unwrap_or_else(|_| self.iban.clone())
    }
}

/// The day a mandate last used (or signed) on `from` lapses.
pub fn lapse_on(from: NaiveDate) -> NaiveDate {
    lapse_date(from)
}

fn lapse_date(from: NaiveDate) -> NaiveDate {
    from.checked_add_months(Months::new(LAPSES_AFTER_MONTHS))
        .unwrap_or(NaiveDate::MAX)
}

/// The customer's mandates, the one in force first, then the newest.
pub fn of_customer(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<Mandate>> {
    sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer_id))
        .order((
            sepa_mandates::status.eq("active").desc(),
            sepa_mandates::created_at.desc(),
            sepa_mandates::id.desc(),
        ))
        .select(Mandate::as_select())
        .limit(50)
        .load(conn)
}

/// The customer's mandate in force, if any.
pub fn in_force(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Option<Mandate>> {
    sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer_id))
        .filter(sepa_mandates::status.eq(MandateStatus::Active.code()))
        .select(Mandate::as_select())
        .first(conn)
        .optional()
}

/// The mandate form as typed.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct MandateForm {
    pub titular: String,
    pub iban: String,
    pub esquema: String,
    pub fecha_firma: String,
    /// The id of the customer's document holding the signed mandate.
    pub documento: String,
}

/// A valid new mandate.
#[derive(Debug, Clone, Serialize)]
pub struct NewMandate {
    #[serde(rename = "titular")]
    pub debtor_name: String,
    pub iban: String,
    #[serde(skip)]
    pub scheme: Scheme,
    #[serde(rename = "fecha_firma")]
    pub signed_on: NaiveDate,
    #[serde(rename = "documento")]
    pub document_id: i64,
}

impl MandateForm {
    pub fn validate(&self, today: NaiveDate) -> Validated<NewMandate> {
        let mut errors = FieldErrors::new();
        let debtor_name = required(
            &mut errors,
            "titular",
            &self.titular,
            70,
            "Escriba el nombre del titular de la cuenta.",
        );
        let iban = match Iban::parse(&self.iban) {
            Ok(iban) => iban.as_str().to_owned(),
            Err(message) => {
                errors.add("iban", message);
                String::new()
            }
        };
        let scheme = Scheme::parse(self.esquema.trim()).unwrap_or_else(|| {
            errors.add("esquema", "Elija el tipo de mandato.");
            Scheme::Core
        });
        let signed_on = match parse_date(&self.fecha_firma) {
            Ok(day) if day > today => {
                errors.add(
                    "fecha_firma",
                    "La fecha de firma no puede ser posterior a hoy.",
                );
                today
            }
            Ok(day) if lapse_date(day) <= today => {
                errors.add(
                    "fecha_firma",
                    "Un mandato firmado hace más de 36 meses y sin usar ha caducado: pida al cliente que firme uno nuevo.",
                );
                day
            }
            Ok(day) => day,
            Err(message) => {
                errors.add("fecha_firma", message);
                today
            }
        };
        let document_id = match self.documento.trim().parse::<i64>() {
            Ok(id) if id > 0 => id,
            _ => {
                errors.add(
                    "documento",
                    "Elija el mandato firmado (súbalo antes a los documentos del cliente).",
                );
                0
            }
        };
        errors.into_result(NewMandate {
            debtor_name,
            iban,
            scheme,
            signed_on,
            document_id,
        })
    }
}

/// The customer's documents a signed mandate may be: (id, file name), newest first.
pub fn evidence_choices(
    conn: &mut PgConnection,
    customer_id: i64,
) -> QueryResult<Vec<(i64, String)>> {
    documents::table
        .filter(documents::customer_id.eq(customer_id))
        .order((documents::uploaded_at.desc(), documents::id.desc()))
        .select((documents::id, documents::filename))
        .limit(100)
        .load(conn)
}

/// Registers the mandate for `customer_id`, replacing the one in force (which goes out of
/// force the same day). The evidence must be one of the customer's documents. Audited.
pub fn create(
    conn: &mut PgConnection,
    by: &Actor,
    customer_id: i64,
    input: &NewMandate,
    today: NaiveDate,
) -> QueryResult<Result<i64, FieldErrors>> {
    let evidence: bool = diesel::select(diesel::dsl::exists(
        documents::table
            .filter(documents::id.eq(input.document_id))
            .filter(documents::customer_id.eq(customer_id)),
    ))
    .get_result(conn)?;
    if !evidence {
        let mut errors = FieldErrors::new();
        errors.add("documento", "Elija uno de los documentos de este cliente.");
        return Ok(Err(errors));
    }
    let replaced = retire_in_force(conn, customer_id, today)?;
    let reference = next_reference(conn, customer_id)?;
    let id: i64 = diesel::insert_into(sepa_mandates::table)
        .values((
            sepa_mandates::customer_id.eq(customer_id),
            sepa_mandates::reference.eq(&reference),
            sepa_mandates::debtor_name.eq(&input.debtor_name),
            sepa_mandates::iban.eq(&input.iban),
            sepa_mandates::scheme.eq(input.scheme.code()),
            sepa_mandates::signed_on.eq(input.signed_on),
            sepa_mandates::document_id.eq(Some(input.document_id)),
            sepa_mandates::created_by_staff_id.eq(by.staff()),
        ))
        .returning(sepa_mandates::id)
        .get_result(conn)?;
    if let Some((old, old_reference)) = &replaced {
        by.record(
            conn,
            Action::MandateRevoked,
            target::MANDATE,
            *old,
            json!({ "referencia": old_reference, "sustituido_por": reference }),
        )?;
    }
    by.record(
        conn,
        Action::MandateCreated,
        target::MANDATE,
        id,
        json!({
            "cliente": customer_id,
            "referencia": reference,
            "esquema": input.scheme.short_label(),
            "mandato": input,
        }),
    )?;
    Ok(Ok(id))
}

/// Takes the customer's mandate in force out of force today, as a new one replaces it.
/// Returns its id and reference.
pub(crate) fn retire_in_force(
    conn: &mut PgConnection,
    customer_id: i64,
    today: NaiveDate,
) -> QueryResult<Option<(i64, String)>> {
    diesel::update(
        sepa_mandates::table
            .filter(sepa_mandates::customer_id.eq(customer_id))
            .filter(sepa_mandates::status.eq(MandateStatus::Active.code())),
    )
    .set((
        sepa_mandates::status.eq(MandateStatus::Revoked.code()),
        sepa_mandates::revoked_on.eq(today),
        sepa_mandates::updated_at.eq(diesel::dsl::now),
    ))
    .returning((sepa_mandates::id, sepa_mandates::reference))
    .get_result(conn)
    .optional()
}

/// The unique mandate reference of the customer's next mandate: the brokerage's, the
/// customer's and a sequence, so a debtor recognises it on the bank statement and it never
/// repeats.
pub(crate) fn next_reference(conn: &mut PgConnection, customer_id: i64) -> QueryResult<String> {
    let count: i64 = sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer_id))
        .count()
        .get_result(conn)?;
    Ok(format!("SORIANO-{customer_id}-{}", count + 1))
}

/// The form to change the account of a mandate in force.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct AccountForm {
    pub iban: String,
}

/// Moves the mandate in force to a new account of the same debtor. The original account is
/// kept until the next collection, which tells the bank (AmdmntInd and the original account).
/// `Ok(Err)`: the field's message. `NotFound`: no such mandate in force for this customer.
pub fn change_account(
    conn: &mut PgConnection,
    by: &Actor,
    customer_id: i64,
    mandate_id: i64,
    form: &AccountForm,
) -> QueryResult<Result<(), FieldErrors>> {
    let mut errors = FieldErrors::new();
    let mandate: Mandate = sepa_mandates::table
        .filter(sepa_mandates::id.eq(mandate_id))
        .filter(sepa_mandates::customer_id.eq(customer_id))
        .filter(sepa_mandates::status.eq(MandateStatus::Active.code()))
        .select(Mandate::as_select())
        .for_update()
        .first(conn)?;
    let iban = match Iban::parse(&form.iban) {
        Ok(iban) => iban.as_str().to_owned(),
        Err(message) => {
            errors.add("iban", message);
            return Ok(Err(errors));
        }
    };
    if iban == mandate.iban {
        errors.add("iban", "Es la misma cuenta que ya tiene el mandato.");
        return Ok(Err(errors));
    }
    // An account changed twice before a collection: the bank knows only the first one.
    let original = mandate
        .amended_from_iban
        .clone()
        .unwrap_or(mandate.iban.clone());
    let original = (original != iban).then_some(original);
    diesel::update(sepa_mandates::table.find(mandate_id))
        .set((
            sepa_mandates::iban.eq(&iban),
            sepa_mandates::amended_from_iban.eq(&original),
            sepa_mandates::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::MandateAmended,
        target::MANDATE,
        mandate_id,
        json!({ "iban": { "before": mandate.iban, "after": iban } }),
    )?;
    Ok(Ok(()))
}

/// Takes the customer's mandate out of force (the client revoked it). `NotFound` when it is
/// not theirs or not in force.
pub fn revoke(
    conn: &mut PgConnection,
    by: &Actor,
    customer_id: i64,
    mandate_id: i64,
    today: NaiveDate,
) -> QueryResult<()> {
    let reference: String = diesel::update(
        sepa_mandates::table
            .filter(sepa_mandates::id.eq(mandate_id))
            .filter(sepa_mandates::customer_id.eq(customer_id))
            .filter(sepa_mandates::status.eq(MandateStatus::Active.code())),
    )
    .set((
        sepa_mandates::status.eq(MandateStatus::Revoked.code()),
        sepa_mandates::revoked_on.eq(today),
        sepa_mandates::updated_at.eq(diesel::dsl::now),
    ))
    .returning(sepa_mandates::reference)
    .get_result(conn)?;
    by.record(
        conn,
        Action::MandateRevoked,
        target::MANDATE,
        mandate_id,
        json!({ "referencia": reference }),
    )
}

/// Marks as lapsed the mandates in force that have not been used for 36 months (the worker's
/// housekeeping). Returns how many.
pub fn expire_unused(conn: &mut PgConnection, today: NaiveDate) -> QueryResult<usize> {
    let limit = today
        .checked_sub_months(Months::new(LAPSES_AFTER_MONTHS))
        .unwrap_or(NaiveDate::MIN);
    diesel::update(
        sepa_mandates::table
            .filter(sepa_mandates::status.eq(MandateStatus::Active.code()))
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Date>(
                    "coalesce(sepa_mandates.last_used_on, sepa_mandates.signed_on)",
                )
                .le(limit),
            ),
    )
    .set((
        sepa_mandates::status.eq(MandateStatus::Expired.code()),
        sepa_mandates::updated_at.eq(diesel::dsl::now),
    ))
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn a_mandate_lapses_36_months_after_its_last_use() {
        assert_eq!(lapse_date(day(2023, 12, 5)), day(2026, 12, 5));
        assert_eq!(lapse_date(day(2024, 2, 29)), day(2027, 2, 28));
    }

    #[test]
    fn the_form_checks_each_field() {
        let today = day(2026, 12, 5);
        let form = MandateForm {
            titular: String::new(),
            iban: "ES00".into(),
            esquema: "x".into(),
            fecha_firma: "2026-12-06".into(),
            documento: String::new(),
        };
        let errors = form.validate(today).unwrap_err();
        for field in ["titular", "iban", "esquema", "fecha_firma", "documento"] {
            assert!(errors.get(field).is_some(), "{field}");
        }
        let old = MandateForm {
            titular: "Ana Muñoz".into(),
            iban: "ES9121000418450200051332".into(),
            esquema: "core".into(),
            fecha_firma: "01/12/2023".into(),
            documento: "7".into(),
        };
        assert!(
            old.validate(today)
                .unwrap_err()
                .get("fecha_firma")
                .is_some()
        );
        let good = MandateForm {
            fecha_firma: "01/12/2025".into(),
            ..old
        };
        let input = good.validate(today).unwrap();
        assert_eq!(input.scheme, Scheme::Core);
        assert_eq!(input.document_id, 7);
    }
}
