//! Quote requests from e-SORI: a signed-in client asks for a quote for a line, answering the
//! line's risk questions (the same fields as the back-office quote and policy forms). The
//! request becomes a lead with source `portal`, linked to the customer, with one submission
//! holding the answers, its `created` history row, the `lead.created` event and the e-mail to
//! the agent who takes it, all in the caller's transaction. The form's one-time token makes a
//! double submit find the lead already created. No HTTP here.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::clients::profile::ClientActor;
use crate::db::DbError;
use crate::db::form_submissions::{self, Claimed};
use crate::db::schema::{
    customers, lead_events, lead_submissions, leads, lines_of_business, quotes, staff_users,
};
use crate::identifiers::{Email, Phone};
use crate::policies::{Risk, RiskInput, RiskKind, parse_risk_into};
use crate::validation::FieldErrors;

/// When the client prefers to be called: (stored code, Spanish label).
pub const CONTACT_TIMES: &[(&str, &str)] = &[
    ("manana", "Por la mañana (de 9 a 14 h)"),
    ("tarde", "Por la tarde (de 16 a 20 h)"),
    ("cualquiera", "A cualquier hora"),
];
/// Longest comment kept.
pub const MAX_COMMENTS: usize = 2000;
/// The field that carries messages about the form as a whole (an expired token).
pub const FORM_FIELD: &str = "formulario";

pub fn contact_time_label(code: &str) -> &str {
    CONTACT_TIMES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, label)| *label)
        .unwrap_or(code)
}

/// The request form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RequestForm {
    /// One-time token against double submits.
    pub token: String,
    pub ramo: String,
    pub horario: String,
    pub comentarios: String,
    #[serde(flatten)]
    pub risk: RiskInput,
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct ValidRequest {
    pub line_id: i64,
    pub line_name: String,
    pub risk: Risk,
    pub contact_time: &'static str,
    pub comments: String,
}

impl ValidRequest {
    /// The answers as one readable line ("Matrícula: 1234 BCD · Marca y modelo: ...").
    pub fn summary(&self) -> String {
        self.risk
            .summary()
            .into_iter()
            .map(|(label, value)| format!("{label}: {value}"))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Checks the form: a line of the catalogue, that line's risk fields, the contact time and
/// the comments; every message at once, by field.
pub fn validate(
    conn: &mut PgConnection,
    form: &RequestForm,
    today: NaiveDate,
) -> QueryResult<Result<ValidRequest, FieldErrors>> {
    let mut errors = FieldErrors::new();
    let line: Option<(i64, String, String)> = match form.ramo.trim().parse::<i64>() {
        Ok(id) => lines_of_business::table
            .find(id)
            .select((
                lines_of_business::id,
                lines_of_business::code,
                lines_of_business::name,
            ))
            .first(conn)
            .optional()?,
        Err(_) => None,
    };
    if line.is_none() {
        errors.add("ramo", "Elija el tipo de seguro.");
    }
    let risk = line.as_ref().and_then(|(_, code, _)| {
        parse_risk_into(RiskKind::for_line(code), &form.risk, today, &mut errors)
    });
    let contact_time = CONTACT_TIMES
        .iter()
        .find(|(code, _)| *code == form.horario.trim())
        .map(|(code, _)| *code);
    if contact_time.is_none() {
        errors.add("horario", "Elija cuándo prefiere que le llamemos.");
    }
    let comments = form.comentarios.trim();
    if comments.chars().count() > MAX_COMMENTS {
        errors.add(
            "comentarios",
            format!("Escriba como mucho {MAX_COMMENTS} caracteres."),
        );
    }
    Ok(match (line, risk, contact_time) {
        (Some((line_id, _, line_name)), Some(risk), Some(contact_time)) if errors.is_empty() => {
            Ok(ValidRequest {
                line_id,
                line_name,
                risk,
                contact_time,
                comments: comments.to_owned(),
            })
        }
        _ => Err(errors),
    })
}

/// Who asks and from where.
#[derive(Debug, Clone)]
pub struct Requester<'a> {
    /// The signed-in client; their e-SORI address (the label) is the lead's e-mail when the
    /// customer record has none.
    pub by: ClientActor,
    /// Public base URL, for the link in the agent's e-mail.
    pub base_url: &'a url::Url,
}

/// What became of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    /// A new lead.
    Created { lead_id: i64, line_name: String },
    /// The same form was sent again: nothing new.
    Repeated,
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// Field messages for the form; nothing stored.
    #[error("datos no válidos")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for RequestError {
    fn from(error: diesel::result::Error) -> Self {
        RequestError::Database(DbError::Query(error))
    }
}

/// The agent who takes the request: the customer's own agent when active, else the next one
/// of the line's round robin (as for leads from landings).
fn agent_for(
    conn: &mut PgConnection,
    owner: Option<i64>,
    line_id: i64,
) -> QueryResult<Option<i64>> {
    if let Some(owner) = owner {
        let active: bool = diesel::select(diesel::dsl::exists(
            staff_users::table
                .filter(staff_users::id.eq(owner))
                .filter(staff_users::active.eq(true))
                .filter(staff_users::role.eq("agent")),
        ))
        .get_result(conn)?;
        if active {
            return Ok(Some(owner));
        }
    }
    crate::landings::assign::next_agent(conn, Some(line_id))
}

/// Records the request of `by` (see the module's documentation). Call inside ONE
/// transaction; `Invalid` and `Repeated` write nothing.
pub fn request_quote(
    conn: &mut PgConnection,
    form: &RequestForm,
    by: &Requester,
    today: NaiveDate,
) -> Result<Requested, RequestError> {
    let token = form.token.trim();
    if !form_submissions::is_well_formed(token) {
        let mut errors = FieldErrors::new();
        errors.add(
            FORM_FIELD,
            "El formulario ha caducado: revise los datos y envíelo de nuevo.",
        );
        return Err(RequestError::Invalid(errors));
    }
    let request = validate(conn, form, today)?.map_err(RequestError::Invalid)?;
    // A concurrent submit of the same token waits here until this one commits.
    if let Claimed::Repeated(_) = form_submissions::claim(conn, token)? {
        return Ok(Requested::Repeated);
    }

    let (name, email, phone, tax_id, owner): (
        String,
        Option<String>,
        Option<String>,
        String,
        Option<i64>,
    ) = customers::table
        .find(by.by.customer_id)
        .filter(customers::merged_into_id.is_null())
        .select((
            customers::display_name,
            customers::email,
            customers::phone,
            customers::tax_id,
            customers::owner_staff_id,
        ))
        .first(conn)?;
    // The lead's CHECKs want a lower-case e-mail or a nine-digit phone: normalise, and fall
    // back to the account's address (always present and confirmed).
    let email = email
        .as_deref()
        .and_then(|e| Email::parse(e).ok())
        .or_else(|| Email::parse(&by.by.label).ok())
        .map(|e| e.as_str().to_owned());
    let phone = phone
        .as_deref()
        .and_then(|p| Phone::parse(p).ok())
        .map(|p| p.as_str().to_owned());
    let agent = agent_for(conn, owner, request.line_id)?;
    let full_name: String = name.chars().take(200).collect();

    let lead_id: i64 = diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq(&full_name),
            leads::email.eq(&email),
            leads::phone.eq(&phone),
            leads::tax_id.eq(Some(&tax_id)),
            leads::line_id.eq(Some(request.line_id)),
            leads::source.eq("portal"),
            leads::assigned_staff_id.eq(agent),
            leads::customer_id.eq(Some(by.by.customer_id)),
        ))
        .returning(leads::id)
        .get_result(conn)?;
    diesel::insert_into(lead_events::table)
        .values((
            lead_events::lead_id.eq(lead_id),
            lead_events::kind.eq("created"),
            lead_events::to_stage.eq(Some("new")),
            lead_events::note.eq("Solicitud de presupuesto del cliente desde e-SORI."),
        ))
        .execute(conn)?;
    let payload = json!({
        "ramo": request.line_name,
        "riesgo_resumen": request.summary(),
        "riesgo": serde_json::to_value(&request.risk).map_err(DbError::other)?,
        "horario": contact_time_label(request.contact_time),
        "comentarios": request.comments,
        "origen": "e-SORI",
    });
    let submission_id: i64 = diesel::insert_into(lead_submissions::table)
        .values((
            lead_submissions::lead_id.eq(lead_id),
            lead_submissions::form_token.eq(token),
            lead_submissions::payload.eq(payload),
            lead_submissions::ip.eq(Some(by.by.ip.as_str())),
            lead_submissions::user_agent.eq(Some(by.by.user_agent.as_str())),
        ))
        .returning(lead_submissions::id)
        .get_result(conn)?;
    form_submissions::attach(conn, token, "lead", lead_id)?;
    crate::events::publish(
        conn,
        "lead.created",
        super::commands::TARGET,
        lead_id,
        json!({
            "source": "portal",
            "assigned_staff_id": agent,
            "customer_id": by.by.customer_id,
            "submission_id": submission_id,
            "line_id": request.line_id,
        }),
    )?;
    notify_agent(conn, lead_id, agent, &full_name, by.base_url)?;
    Ok(Requested::Created {
        lead_id,
        line_name: request.line_name,
    })
}

fn notify_agent(
    conn: &mut PgConnection,
    lead_id: i64,
    agent: Option<i64>,
    lead_name: &str,
    base_url: &url::Url,
) -> Result<(), RequestError> {
    let Some(agent) = agent else {
        return Ok(());
    };
    let (email, name): (String, String) = staff_users::table
        .find(agent)
        .select((staff_users::email, staff_users::name))
        .first(conn)?;
    let mut link = base_url.clone();
    link.set_path(&format!("/admin/leads/{lead_id}"));
    crate::mail::send(
        conn,
        &crate::mail::Notice::LeadAssigned {
            to: email,
            agent_name: name,
            lead_name: lead_name.to_owned(),
            link: link.to_string(),
            created: true,
        },
    )?;
    Ok(())
}

/// A request of the client the broker is still studying.
#[derive(Debug, Clone)]
pub struct OpenRequest {
    pub lead_id: i64,
    pub created_at: DateTime<Utc>,
    pub line_name: String,
    /// The answers, as one line.
    pub summary: String,
    pub comments: String,
    pub contact_time: String,
}

/// Most open requests listed.
const MAX_OPEN: i64 = 50;

fn text(payload: &Value, key: &str) -> String {
    payload
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// The quote requests `customer_id` made in e-SORI that are still open (the lead neither won
/// nor lost, and no quote sent for it yet), newest first. Two queries. Runs under the portal
/// role: only the columns it was granted are read.
pub fn open_requests(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<OpenRequest>> {
    let rows: Vec<(i64, DateTime<Utc>, Option<String>)> = leads::table
        .left_join(lines_of_business::table)
        .filter(leads::customer_id.eq(customer_id))
        .filter(leads::source.eq("portal"))
        .filter(leads::stage.ne_all(["won", "lost"]))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            quotes::table
                .filter(quotes::lead_id.eq(leads::id.nullable()))
                .filter(quotes::status.ne("draft")),
        )))
        .order((leads::created_at.desc(), leads::id.desc()))
        .limit(MAX_OPEN)
        .select((
            leads::id,
            leads::created_at,
            lines_of_business::name.nullable(),
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let mut payloads: std::collections::HashMap<i64, Value> = std::collections::HashMap::new();
    // The first submission of each lead is the request itself.
    for (lead_id, payload) in lead_submissions::table
        .filter(lead_submissions::lead_id.eq_any(&ids))
        .order((
            lead_submissions::created_at.desc(),
            lead_submissions::id.desc(),
        ))
        .select((lead_submissions::lead_id, lead_submissions::payload))
        .load::<(i64, Value)>(conn)?
    {
        payloads.insert(lead_id, payload);
    }
    Ok(rows
        .into_iter()
        .map(|(lead_id, created_at, line_name)| {
            let payload = payloads.remove(&lead_id).unwrap_or(Value::Null);
            OpenRequest {
                lead_id,
                created_at,
                line_name: line_name.unwrap_or_else(|| text(&payload, "ramo")),
                summary: text(&payload, "riesgo_resumen"),
                comments: text(&payload, "comentarios"),
                contact_time: text(&payload, "horario"),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_times_have_spanish_labels() {
        assert_eq!(contact_time_label("tarde"), "Por la tarde (de 16 a 20 h)");
        assert_eq!(contact_time_label("otra"), "otra");
    }
}
