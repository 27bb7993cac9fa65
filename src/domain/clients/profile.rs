//! Mis datos: what the client may change themselves (phone and address), their marketing
//! consent, the copy of all their data (RGPD access and portability) and the erasure request.
//! No HTTP. Reads run under the portal role like every portal query; writes are audited with
//! the client's address as actor.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::audit::{self, Action, NewEntry};
use crate::customers::{CONSENT_TEXT_VERSION, ConsentPurpose};
use crate::db::schema::{
    claim_events, claims, client_sign_ins, customer_consents, customers, documents,
    message_threads, messages, policies, staff_users, tasks,
};
use crate::identifiers::{Phone, Postcode};
use crate::validation::FieldErrors;

/// Source of consents the client records in e-SORI.
pub const CONSENT_SOURCE_PORTAL: &str = "e-SORI";
const MARKETING: &str = "marketing";

/// Who acts in e-SORI: the signed-in client, whose customer is also the scope of every command
/// that takes one, and who the audit log names (no staff id).
/// Owned, so a handler builds it once from the session and moves it into the blocking closure.
#[derive(Debug, Clone)]
pub struct ClientActor {
    pub customer_id: i64,
    /// The client's e-mail (audit actor label).
    pub label: String,
    pub ip: String,
    pub user_agent: String,
}

impl ClientActor {
    /// An entry for `action` by this client; add target and details with struct update syntax.
    pub fn entry(&self, action: Action) -> NewEntry<'_> {
        NewEntry {
            actor_staff_id: None,
            actor_label: &self.label,
            action,
            target_type: None,
            target_id: None,
            ip: &self.ip,
            user_agent: &self.user_agent,
            details: serde_json::json!({}),
        }
    }

    /// Appends an audit entry about the customer, with the client as actor.
    pub fn record(
        &self,
        conn: &mut PgConnection,
        action: Action,
        details: serde_json::Value,
    ) -> QueryResult<()> {
        audit::record(
            conn,
            &NewEntry {
                target_type: Some(audit::target::CUSTOMER),
                target_id: Some(self.customer_id),
                details,
                ..self.entry(action)
            },
        )
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct Profile {
    pub display_name: String,
    pub tax_id: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
}

pub fn profile(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Option<Profile>> {
    customers::table
        .find(customer_id)
        .select((
            customers::display_name,
            customers::tax_id,
            customers::email,
            customers::phone,
            customers::address_line,
            customers::postcode,
            customers::city,
            customers::province,
        ))
        .first(conn)
        .optional()
}

/// The contact data the client may change.
#[derive(Debug, Clone)]
pub struct ContactChange {
    pub phone: Option<String>,
    pub address_line: Option<String>,
    pub postcode: Option<String>,
    pub city: Option<String>,
    pub province: Option<String>,
}

fn blank_to_none(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// Checks the form's fields (`telefono`, `direccion`, `codigo_postal`, `localidad`).
pub fn check_contact(
    phone: &str,
    address: &str,
    postcode: &str,
    city: &str,
) -> Result<ContactChange, FieldErrors> {
    let mut errors = FieldErrors::new();
    let phone = blank_to_none(phone).and_then(|p| {
        Phone::parse(&p)
            .map(|p| p.as_str().to_owned())
            .map_err(|message| errors.add("telefono", message))
            .ok()
    });
    let postcode = blank_to_none(postcode).and_then(|p| {
        Postcode::parse(&p)
            .map_err(|message| errors.add("codigo_postal", message))
            .ok()
    });
    let address_line = blank_to_none(address);
    if address_line
        .as_ref()
        .is_some_and(|a| a.chars().count() > 200)
    {
        errors.add(
            "direccion",
            "La dirección no puede tener más de 200 caracteres.",
        );
    }
    let city = blank_to_none(city);
    if city.as_ref().is_some_and(|c| c.chars().count() > 100) {
        errors.add(
            "localidad",
            "La localidad no puede tener más de 100 caracteres.",
        );
    }
    errors.into_result(ContactChange {
        phone,
        address_line,
        province: postcode.as_ref().map(|p| p.province_name().to_owned()),
        postcode: postcode.map(|p| p.as_str().to_owned()),
        city,
    })
}

pub fn update_contact(
    conn: &mut PgConnection,
    by: &ClientActor,
    change: &ContactChange,
) -> QueryResult<()> {
    diesel::update(customers::table.find(by.customer_id))
        .set((
            customers::phone.eq(&change.phone),
            customers::address_line.eq(&change.address_line),
            customers::postcode.eq(&change.postcode),
            customers::city.eq(&change.city),
            customers::province.eq(&change.province),
            customers::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::CustomerUpdated,
        json!({ "origen": CONSENT_SOURCE_PORTAL, "campos": ["telefono", "direccion"] }),
    )
}

/// The latest marketing consent: granted or withdrawn, with when; `None` if never recorded.
pub fn marketing(
    conn: &mut PgConnection,
    customer_id: i64,
) -> QueryResult<Option<(bool, DateTime<Utc>)>> {
    customer_consents::table
        .filter(customer_consents::customer_id.eq(customer_id))
        .filter(customer_consents::purpose.eq(MARKETING))
        .order((
            customer_consents::recorded_at.desc(),
            customer_consents::id.desc(),
        ))
        .select((customer_consents::granted, customer_consents::recorded_at))
        .first(conn)
        .optional()
}

/// Grants or withdraws marketing consent (a new row with the text version; history kept).
pub fn set_marketing(conn: &mut PgConnection, by: &ClientActor, granted: bool) -> QueryResult<()> {
    let text_id = crate::customers::consent_text_id(conn, ConsentPurpose::Marketing)?;
    diesel::insert_into(customer_consents::table)
        .values((
            customer_consents::customer_id.eq(by.customer_id),
            customer_consents::purpose.eq(MARKETING),
            customer_consents::granted.eq(granted),
            customer_consents::text_version.eq(CONSENT_TEXT_VERSION),
            customer_consents::source.eq(CONSENT_SOURCE_PORTAL),
            customer_consents::text_id.eq(text_id),
        ))
        .execute(conn)?;
    by.record(
        conn,
        Action::CustomerConsentChanged,
        json!({ "finalidad": MARKETING, "otorgado": granted, "version": CONSENT_TEXT_VERSION, "origen": CONSENT_SOURCE_PORTAL }),
    )
}

/// Everything held about the customer that the client may take away, as one JSON document
/// (run under the portal role: it can only ever contain this customer's rows).
pub fn export(
    conn: &mut PgConnection,
    customer_id: i64,
    client_user_id: i64,
) -> QueryResult<serde_json::Value> {
    let profile = profile(conn, customer_id)?;
    let policies: Vec<(
        String,
        String,
        chrono::NaiveDate,
        chrono::NaiveDate,
        i64,
        serde_json::Value,
    )> = policies::table
        .filter(policies::customer_id.eq(customer_id))
        .order(policies::id)
        .select((
            policies::number,
            policies::status,
            policies::start_date,
            policies::end_date,
            policies::total_premium_cents,
            policies::risk,
        ))
        .load(conn)?;
    let claims: Vec<(i64, String, chrono::NaiveDate, String, String, String)> = claims::table
        .filter(claims::customer_id.eq(customer_id))
        .order(claims::id)
        .select((
            claims::id,
            claims::number,
            claims::incident_date,
            claims::status,
            claims::place,
            claims::description,
        ))
        .load(conn)?;
    let claim_ids: Vec<i64> = claims.iter().map(|c| c.0).collect();
    // Notes staff kept internal are not the client's to read, here as on the claim's page.
    let events: Vec<(i64, DateTime<Utc>, Option<String>, String)> = claim_events::table
        .filter(claim_events::claim_id.eq_any(&claim_ids))
        .filter(
            claim_events::visible_to_client
                .eq(true)
                .or(claim_events::to_status.is_not_null()),
        )
        .order((claim_events::claim_id, claim_events::id))
        .select((
            claim_events::claim_id,
            claim_events::occurred_at,
            claim_events::to_status,
            claim_events::note,
            claim_events::visible_to_client,
        ))
        .load::<(i64, DateTime<Utc>, Option<String>, String, bool)>(conn)?
        .into_iter()
        .map(|(claim, at, to, note, visible)| {
            (claim, at, to, if visible { note } else { String::new() })
        })
        .collect();
    let consents: Vec<(String, bool, String, String, DateTime<Utc>)> = customer_consents::table
        .filter(customer_consents::customer_id.eq(customer_id))
        .order(customer_consents::id)
        .select((
            customer_consents::purpose,
            customer_consents::granted,
            customer_consents::text_version,
            customer_consents::source,
            customer_consents::recorded_at,
        ))
        .load(conn)?;
    let documents: Vec<(String, String, i64, DateTime<Utc>)> = documents::table
        .filter(documents::customer_id.eq(customer_id))
        .order(documents::id)
        .select((
            documents::filename,
            documents::content_type,
            documents::size_bytes,
            documents::uploaded_at,
        ))
        .load(conn)?;
    let messages: Vec<(String, String, String, DateTime<Utc>)> = messages::table
        .inner_join(message_threads::table)
        .filter(messages::customer_id.eq(customer_id))
        .order(messages::id)
        .select((
            message_threads::subject,
            messages::author,
            messages::body,
            messages::created_at,
        ))
        .load(conn)?;
    let sign_ins: Vec<(DateTime<Utc>, Option<String>)> = client_sign_ins::table
        .filter(client_sign_ins::client_user_id.eq(client_user_id))
        .order(client_sign_ins::id)
        .select((client_sign_ins::signed_in_at, client_sign_ins::ip))
        .load(conn)?;
    Ok(json!({
        "generado": Utc::now(),
        "cliente": profile.map(|p| json!({
            "nombre": p.display_name, "nif": p.tax_id, "correo": p.email, "telefono": p.phone,
            "direccion": p.address_line, "codigo_postal": p.postcode, "localidad": p.city,
            "provincia": p.province,
        })),
        "polizas": policies.into_iter().map(|(number, status, start, end, premium, risk)| json!({
            "numero": number, "estado": status, "efecto": start, "vencimiento": end,
            "prima_total_centimos": premium, "riesgo": risk,
        })).collect::<Vec<_>>(),
        "siniestros": claims.into_iter().map(|(id, number, date, status, place, description)| json!({
            "numero": number, "fecha": date, "estado": status, "lugar": place,
            "descripcion": description,
            "historial": events.iter().filter(|e| e.0 == id).map(|(_, at, to, note)| json!({
                "fecha": at, "estado": to, "nota": note,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "consentimientos": consents.into_iter().map(|(purpose, granted, version, source, at)| json!({
            "finalidad": purpose, "otorgado": granted, "version_texto": version, "origen": source,
            "fecha": at,
        })).collect::<Vec<_>>(),
        "documentos": documents.into_iter().map(|(name, kind, size, at)| json!({
            "nombre": name, "tipo": kind, "tamano": size, "fecha": at,
        })).collect::<Vec<_>>(),
        "mensajes": messages.into_iter().map(|(subject, author, body, at)| json!({
            "asunto": subject, "autor": if author == "client" { "cliente" } else { "correduria" },
            "texto": body, "fecha": at,
        })).collect::<Vec<_>>(),
        "accesos": sign_ins.into_iter().map(|(at, ip)| json!({ "fecha": at, "ip": ip })).collect::<Vec<_>>(),
    }))
}

/// The erasure request becomes a task for the customer's agent (or the first active admin):
/// insurance records are blocked, not deleted, during the legal retention periods, so a person
/// decides. Returns the task id.
pub fn request_erasure(conn: &mut PgConnection, by: &ClientActor) -> QueryResult<i64> {
    let owner: Option<i64> = customers::table
        .find(by.customer_id)
        .select(customers::owner_staff_id)
        .first(conn)?;
    let owner = owner.filter(|id| {
        staff_users::table
            .find(id)
            .filter(staff_users::active.eq(true))
            .count()
            .get_result::<i64>(conn)
            .is_ok_and(|n| n == 1)
    });
    let assignee = match owner {
        Some(id) => id,
        None => staff_users::table
            .filter(staff_users::active.eq(true))
            .filter(staff_users::role.eq("admin"))
            .order(staff_users::id)
            .select(staff_users::id)
            .first(conn)?,
    };
    let today = Utc::now().with_timezone(&crate::time::ZONE).date_naive();
    let id: i64 = diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq("Solicitud de supresión de datos (e-SORI)"),
            tasks::description.eq(
                "El cliente ha pedido desde e-SORI la supresión de sus datos. Revise qué datos \
                 pueden suprimirse y cuáles deben bloquearse durante los plazos legales de \
                 conservación, y contéstele en el plazo de un mes.",
            ),
            tasks::due_date.eq(today + Duration::days(30)),
            tasks::priority.eq("high"),
            tasks::assignee_staff_id.eq(assignee),
            tasks::entity_type.eq("customer"),
            tasks::entity_id.eq(by.customer_id),
            tasks::customer_id.eq(by.customer_id),
        ))
        .returning(tasks::id)
        .get_result(conn)?;
    let name: String = customers::table
        .find(by.customer_id)
        .select(customers::display_name)
        .first(conn)?;
    // Into the register too, with its one-month deadline.
    crate::privacy_requests::register(
        conn,
        &crate::privacy_requests::NewRequest {
            customer_id: Some(by.customer_id),
            requester_name: name,
            kind: crate::privacy_requests::Right::Erasure,
            channel: crate::privacy_requests::Channel::Portal,
            details: String::new(),
            received_on: today,
        },
        None,
    )?;
    by.record(
        conn,
        Action::ErasureRequested,
        json!({ "tarea": id, "responsable": assignee }),
    )?;
    Ok(id)
}
