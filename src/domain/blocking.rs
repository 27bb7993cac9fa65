//! Blocking (LOPDGDD art. 32). An attended erasure request cannot delete what the law makes
//! the brokerage keep (the policies, receipts and claims, for the periods of Ley 50/1980 art.
//! 23, the Código de Comercio art. 30 and the tax law), so the customer's identifying data are
//! *sealed*: copied as they were into `blocked_customer_data` and replaced on the customer
//! (and on what repeats them: the policies' and quotes' insured risk, the interactions, the
//! e-SORI account) by a neutral stand-in. Every page, list, search and export then shows no
//! one, without each of them having to know; the customer lists and searches also leave the
//! record out. Only the legal-hold role reads the sealed copy (each reading logged), and the
//! nightly purge destroys it when the longest legal period ends.

use chrono::{DateTime, Months, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::{Value, json};

use crate::audit::{Action, Actor};
use crate::db::schema::{
    blocked_customer_data, client_users, customers, interactions, lead_events, lead_submissions,
    leads, policies, quotes, sepa_mandates, sessions,
};

/// Years the sealed data are kept after the last policy ended (or after blocking, when that
/// is later): the longest of the periods that apply, the six years of the commercial books.
pub const LEGAL_YEARS: u32 = 6;

/// Why the period is what it is, for the pages that show it.
pub const LEGAL_BASIS: &str = "Seis años desde el fin de la última póliza (Código de Comercio, art. 30), el más largo de los plazos que aplican: dos años en seguros de daños y cinco en seguros de personas (Ley 50/1980, art. 23) y cuatro años de obligaciones tributarias.";

/// What a sealed mandate keeps instead of the account (the shape of an IBAN, no account).
const SEALED_IBAN: &str = "XX00000000000000000000";

/// The audit `target_type` of a blocked customer.
const TARGET: &str = crate::audit::target::CUSTOMER;

/// The day the sealed data of a customer blocked on `today`, whose last policy ends on
/// `last_policy_end`, are destroyed.
pub fn kept_until(today: NaiveDate, last_policy_end: Option<NaiveDate>) -> NaiveDate {
    let from = last_policy_end.map_or(today, |end| end.max(today));
    from.checked_add_months(Months::new(12 * LEGAL_YEARS))
        .expect("a date six years ahead")
}

/// Seals customer `customer_id`'s identifying data (see the module comment). Returns the day
/// they will be destroyed, or `None` when the customer does not exist or is already blocked.
/// Call inside the transaction of the change that decides it (closing the erasure request).
pub fn block(
    conn: &mut PgConnection,
    customer_id: i64,
    request_id: Option<i64>,
    by: &Actor,
    today: NaiveDate,
) -> QueryResult<Option<NaiveDate>> {
    type Identity = (
        String,
        String,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
        Option<String>,
        Option<String>,
        Option<NaiveDate>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Option<String>,
        Vec<String>,
        String,
    );
    let found: Option<(Identity, Option<DateTime<Utc>>)> = customers::table
        .find(customer_id)
        .select((
            (
                customers::kind,
                customers::tax_id,
                customers::given_name,
                customers::family_name,
                customers::company_name,
                customers::display_name,
                customers::email,
                customers::phone,
                customers::birth_date,
                customers::address_line,
                customers::postcode,
                customers::city,
                customers::province,
                customers::iban,
                customers::tags,
                customers::notes,
            ),
            customers::blocked_at,
        ))
        .for_update()
        .first(conn)
        .optional()?;
    let Some((identity, None)) = found else {
        return Ok(None);
    };
    let (
        kind,
        tax_id,
        given_name,
        family_name,
        company_name,
        display_name,
        email,
        phone,
        birth_date,
        address_line,
        postcode,
        city,
        province,
        iban,
        tags,
        notes,
    ) = identity;
    let last_end: Option<NaiveDate> = policies::table
        .filter(policies::customer_id.eq(customer_id))
        .select(diesel::dsl::max(policies::end_date))
        .first(conn)?;
    let until = kept_until(today, last_end);

    let policy_risks: Vec<(i64, String, Value)> = policies::table
        .filter(policies::customer_id.eq(customer_id))
        .select((policies::id, policies::number, policies::risk))
        .load(conn)?;
    let quote_risks: Vec<(i64, String, Value)> = quotes::table
        .filter(quotes::customer_id.eq(customer_id))
        .select((quotes::id, quotes::number, quotes::risk))
        .load(conn)?;
    let notes_kept: Vec<(String, String, DateTime<Utc>)> = interactions::table
        .filter(interactions::customer_id.eq(customer_id))
        .select((
            interactions::kind,
            interactions::summary,
            interactions::occurred_at,
        ))
        .load(conn)?;
    type MandateRow = (String, String, String, Option<String>, Option<String>);
    let mandates: Vec<MandateRow> = sepa_mandates::table
        .filter(sepa_mandates::customer_id.eq(customer_id))
        .select((
            sepa_mandates::reference,
            sepa_mandates::debtor_name,
            sepa_mandates::iban,
            sepa_mandates::amended_from_iban,
            sepa_mandates::signed_text,
        ))
        .load(conn)?;
    type LeadRow = (i64, String, Option<String>, Option<String>, Option<String>);
    let lead_rows: Vec<LeadRow> = leads::table
        .filter(leads::customer_id.eq(customer_id))
        .select((
            leads::id,
            leads::full_name,
            leads::email,
            leads::phone,
            leads::tax_id,
        ))
        .load(conn)?;
    let lead_ids: Vec<i64> = lead_rows.iter().map(|row| row.0).collect();
    let submissions: Vec<Value> = lead_submissions::table
        .filter(lead_submissions::lead_id.eq_any(&lead_ids))
        .select(lead_submissions::payload)
        .load(conn)?;
    let portal: Vec<String> = client_users::table
        .filter(client_users::customer_id.eq(customer_id))
        .select(client_users::email)
        .load(conn)?;
    let sealed = json!({
        "tipo": kind,
        "nif": tax_id,
        "nombre": given_name,
        "apellidos": family_name,
        "razon_social": company_name,
        "nombre_completo": display_name,
        "email": email,
        "telefono": phone,
        "fecha_nacimiento": birth_date,
        "direccion": address_line,
        "codigo_postal": postcode,
        "localidad": city,
        "provincia": province,
        "iban": iban,
        "etiquetas": tags,
        "notas": notes,
        "polizas": policy_risks.iter().map(|(_, number, risk)| json!({"numero": number, "riesgo": risk})).collect::<Vec<_>>(),
        "presupuestos": quote_risks.iter().map(|(_, number, risk)| json!({"numero": number, "riesgo": risk})).collect::<Vec<_>>(),
        "interacciones": notes_kept.iter().map(|(kind, summary, at)| json!({"tipo": kind, "resumen": summary, "fecha": at})).collect::<Vec<_>>(),
        "accesos_e_sori": portal,
        "solicitudes_comerciales": lead_rows.iter().map(|(_, name, email, phone, tax)| json!({
            "nombre": name, "email": email, "telefono": phone, "nif": tax,
        })).collect::<Vec<_>>(),
        "formularios": submissions,
        "mandatos": mandates.iter().map(|(reference, name, iban, previous, text)| json!({
            "referencia": reference, "titular": name, "iban": iban, "iban_anterior": previous,
            "texto_firmado": text,
        })).collect::<Vec<_>>(),
    });
    let now = Utc::now();
    diesel::insert_into(blocked_customer_data::table)
        .values((
            blocked_customer_data::customer_id.eq(customer_id),
            blocked_customer_data::request_id.eq(request_id),
            blocked_customer_data::sealed.eq(&sealed),
            blocked_customer_data::blocked_at.eq(now),
            blocked_customer_data::blocked_until.eq(until),
        ))
        .execute(conn)?;

    let stand_in = stand_in_name(customer_id);
    let (given, family, company) = if kind == "company" {
        (None, None, Some(stand_in.clone()))
    } else {
        (
            Some("Cliente".to_owned()),
            Some("bloqueado".to_owned()),
            None,
        )
    };
    diesel::update(customers::table.find(customer_id))
        .set((
            customers::tax_id.eq(format!("BLOQ{customer_id}")),
            customers::given_name.eq(given),
            customers::family_name.eq(family),
            customers::company_name.eq(company),
            customers::display_name.eq(&stand_in),
            customers::email.eq(None::<String>),
            customers::phone.eq(None::<String>),
            customers::birth_date.eq(None::<NaiveDate>),
            customers::address_line.eq(None::<String>),
            customers::postcode.eq(None::<String>),
            customers::city.eq(None::<String>),
            customers::province.eq(None::<String>),
            customers::iban.eq(None::<String>),
            customers::tags.eq(Vec::<String>::new()),
            customers::notes.eq(""),
            customers::blocked_at.eq(now),
            customers::blocked_until.eq(until),
            customers::updated_at.eq(now),
        ))
        .execute(conn)?;
    // The insured risk repeats plates, addresses and the insured persons' names.
    let sealed_risk = json!({"bloqueado": true});
    diesel::update(policies::table.filter(policies::customer_id.eq(customer_id)))
        .set(policies::risk.eq(&sealed_risk))
        .execute(conn)?;
    diesel::update(quotes::table.filter(quotes::customer_id.eq(customer_id)))
        .set((
            quotes::risk.eq(&sealed_risk),
            quotes::prospect_name.eq(None::<String>),
            quotes::prospect_email.eq(None::<String>),
            quotes::prospect_phone.eq(None::<String>),
        ))
        .execute(conn)?;
    // The leads that became this customer repeat who they are and what they wrote.
    diesel::update(lead_submissions::table.filter(lead_submissions::lead_id.eq_any(&lead_ids)))
        .set(lead_submissions::payload.eq(json!({"bloqueado": true})))
        .execute(conn)?;
    diesel::update(lead_events::table.filter(lead_events::lead_id.eq_any(&lead_ids)))
        .set(lead_events::note.eq(""))
        .execute(conn)?;
    diesel::update(leads::table.filter(leads::id.eq_any(&lead_ids)))
        .set((
            leads::full_name.eq(&stand_in),
            leads::email.eq(None::<String>),
            leads::phone.eq(None::<String>),
            leads::postcode.eq(None::<String>),
            leads::tax_id.eq(None::<String>),
            leads::referrer.eq(None::<String>),
            leads::notes.eq(""),
            leads::anonymised_at.eq(now),
        ))
        .execute(conn)?;
    // A blocked customer is no longer charged: the mandates end, without the account.
    diesel::update(
        sepa_mandates::table
            .filter(sepa_mandates::customer_id.eq(customer_id))
            .filter(sepa_mandates::status.eq("active")),
    )
    .set((
        sepa_mandates::status.eq("revoked"),
        sepa_mandates::revoked_on.eq(today),
    ))
    .execute(conn)?;
    diesel::update(sepa_mandates::table.filter(sepa_mandates::customer_id.eq(customer_id)))
        .set((
            sepa_mandates::debtor_name.eq(&stand_in),
            sepa_mandates::iban.eq(SEALED_IBAN),
            sepa_mandates::amended_from_iban.eq(None::<String>),
            sepa_mandates::signed_text.eq(None::<String>),
            sepa_mandates::signed_ip.eq(None::<String>),
            sepa_mandates::signed_user_agent.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(interactions::table.filter(interactions::customer_id.eq(customer_id)))
        .set(interactions::summary.eq("Datos bloqueados"))
        .execute(conn)?;
    // No more e-SORI: the account is closed and its sessions end now.
    let accounts: Vec<i64> = client_users::table
        .filter(client_users::customer_id.eq(customer_id))
        .select(client_users::id)
        .load(conn)?;
    diesel::delete(sessions::table.filter(sessions::client_user_id.eq_any(&accounts)))
        .execute(conn)?;
    for account in &accounts {
        diesel::update(client_users::table.find(account))
            .set((
                client_users::active.eq(false),
                client_users::password_hash.eq(None::<String>),
                client_users::totp_secret.eq(None::<String>),
                client_users::pending_email.eq(None::<String>),
                client_users::email.eq(format!("bloqueado-{account}@bloqueado.invalid")),
            ))
            .execute(conn)?;
    }
    by.record(
        conn,
        Action::CustomerBlocked,
        TARGET,
        customer_id,
        json!({ "hasta": crate::format::date(until) }),
    )?;
    Ok(Some(until))
}

/// What lists show instead of a blocked customer's name.
pub fn stand_in_name(customer_id: i64) -> String {
    format!("Cliente bloqueado n.º {customer_id}")
}

/// One blocked customer in the legal-hold register.
#[derive(Debug, Clone, Queryable)]
pub struct Blocked {
    pub customer_id: i64,
    pub request_id: Option<i64>,
    pub blocked_at: DateTime<Utc>,
    pub blocked_until: NaiveDate,
    pub sealed: Value,
}

impl Blocked {
    /// The sealed name (the legal-hold role's pages only).
    pub fn name(&self) -> String {
        self.sealed
            .get("nombre_completo")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    }

    /// The sealed fields worth a line each, as (label, value), in the order of the form.
    pub fn fields(&self) -> Vec<(&'static str, String)> {
        const LABELS: [(&str, &str); 13] = [
            ("nombre_completo", "Nombre"),
            ("nif", "DNI, NIE o CIF"),
            ("email", "Correo electrónico"),
            ("telefono", "Teléfono"),
            ("fecha_nacimiento", "Fecha de nacimiento"),
            ("direccion", "Dirección"),
            ("codigo_postal", "Código postal"),
            ("localidad", "Localidad"),
            ("provincia", "Provincia"),
            ("iban", "IBAN"),
            ("notas", "Notas"),
            ("etiquetas", "Etiquetas"),
            ("accesos_e_sori", "Cuenta de e-SORI"),
        ];
        LABELS
            .iter()
            .filter_map(|(key, label)| {
                let value = match self.sealed.get(*key)? {
                    Value::String(s) if *key == "telefono" => crate::format::phone(s),
                    Value::Null => return None,
                    Value::String(s) if s.is_empty() => return None,
                    Value::String(s) => match s.parse::<NaiveDate>() {
                        Ok(day) => crate::format::date(day),
                        Err(_) => s.clone(),
                    },
                    Value::Array(items) if items.is_empty() => return None,
                    Value::Array(items) => items
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", "),
                    other => other.to_string(),
                };
                Some((*label, value))
            })
            .collect()
    }

    /// The sealed direct-debit mandates, as (reference, holder, IBAN).
    pub fn mandates(&self) -> Vec<(String, String, String)> {
        self.rows("mandatos", ["referencia", "titular", "iban"])
    }

    /// The sealed notes of interactions, as (when, kind, summary).
    pub fn interactions(&self) -> Vec<(String, String, String)> {
        self.rows("interacciones", ["fecha", "tipo", "resumen"])
    }

    /// Three text fields of each object in the sealed list `list`.
    fn rows(&self, list: &str, [a, b, c]: [&str; 3]) -> Vec<(String, String, String)> {
        let items = self.sealed.get(list).and_then(Value::as_array);
        items
            .into_iter()
            .flatten()
            .map(|item| {
                let text = |key: &str| {
                    item.get(key)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                (text(a), text(b), text(c))
            })
            .collect()
    }
}

/// Every blocked customer whose sealed data are kept, the soonest to be destroyed first.
pub fn list(conn: &mut PgConnection) -> QueryResult<Vec<Blocked>> {
    blocked_customer_data::table
        .order((
            blocked_customer_data::blocked_until,
            blocked_customer_data::customer_id,
        ))
        .select((
            blocked_customer_data::customer_id,
            blocked_customer_data::request_id,
            blocked_customer_data::blocked_at,
            blocked_customer_data::blocked_until,
            blocked_customer_data::sealed,
        ))
        .limit(500)
        .load(conn)
}

/// The sealed data of customer `customer_id`, read by `by` (the reading is audited).
pub fn read(conn: &mut PgConnection, customer_id: i64, by: &Actor) -> QueryResult<Option<Blocked>> {
    let found: Option<Blocked> = blocked_customer_data::table
        .find(customer_id)
        .select((
            blocked_customer_data::customer_id,
            blocked_customer_data::request_id,
            blocked_customer_data::blocked_at,
            blocked_customer_data::blocked_until,
            blocked_customer_data::sealed,
        ))
        .first(conn)
        .optional()?;
    if found.is_some() {
        by.record(
            conn,
            Action::BlockedDataViewed,
            TARGET,
            customer_id,
            json!({}),
        )?;
    }
    Ok(found)
}

/// Destroys the sealed data whose legal period ended before `today`; the customer stays a
/// stand-in. Returns how many. Run by the nightly purge.
pub fn destroy_expired(conn: &mut PgConnection, today: NaiveDate) -> QueryResult<usize> {
    let removed = diesel::delete(
        blocked_customer_data::table.filter(blocked_customer_data::blocked_until.lt(today)),
    )
    .execute(conn)?;
    if removed > 0 {
        Actor::system().record(
            conn,
            Action::BlockedDataDestroyed,
            "retention_run",
            0,
            json!({ "clientes": removed }),
        )?;
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sealed_copy_reads_as_labelled_lines_without_json() {
        let blocked = Blocked {
            customer_id: 7,
            request_id: None,
            blocked_at: Utc::now(),
            blocked_until: NaiveDate::from_ymd_opt(2032, 12, 6).unwrap(),
            sealed: json!({
                "nombre_completo": "Ruiz Gil, Marta",
                "nif": "12345678Z",
                "telefono": "612345678",
                "fecha_nacimiento": "1980-05-01",
                "email": null,
                "etiquetas": ["VIP", "taxi"],
                "mandatos": [{"referencia": "M-1", "titular": "Marta Ruiz", "iban": "ES9121000418450200051332"}],
                "interacciones": [{"fecha": "2026-01-02", "tipo": "call", "resumen": "Llamó"}],
            }),
        };
        assert_eq!(blocked.name(), "Ruiz Gil, Marta");
        let fields = blocked.fields();
        assert!(
            fields.contains(&("Teléfono", "612 345 678".to_owned())),
            "{fields:?}"
        );
        assert!(fields.contains(&("Fecha de nacimiento", "01/05/1980".to_owned())));
        assert!(fields.contains(&("Etiquetas", "VIP, taxi".to_owned())));
        assert!(
            !fields
                .iter()
                .any(|(label, _)| *label == "Correo electrónico")
        );
        assert_eq!(
            blocked.mandates(),
            vec![(
                "M-1".into(),
                "Marta Ruiz".into(),
                "ES9121000418450200051332".into()
            )]
        );
        assert_eq!(blocked.interactions()[0].2, "Llamó");
    }

    #[test]
    fn kept_six_years_from_the_last_policy_or_from_today() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(kept_until(d(2026, 12, 6), None), d(2032, 12, 6));
        assert_eq!(
            kept_until(d(2026, 12, 6), Some(d(2027, 6, 30))),
            d(2033, 6, 30)
        );
        assert_eq!(
            kept_until(d(2026, 12, 6), Some(d(2020, 1, 1))),
            d(2032, 12, 6),
            "a policy ended long ago: from today"
        );
    }
}
