//! What a rule knows about the record it acts on: who the client and the agent are, the values
//! of the template placeholders, and the fields its conditions compare.
//!
//! One statement per record, each joining what its kind needs (a claim brings its policy, line,
//! customer and agent), so a rule costs the same whatever the number of placeholders.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Jsonb, Nullable, Text};
use serde_json::{Map, Value};

use super::placeholders::Entity;
use crate::format::date;
use crate::money::format_cents;

/// A record as rules see it.
#[derive(Debug, Clone, PartialEq)]
pub struct Subject {
    pub entity: Entity,
    pub id: i64,
    pub customer_id: Option<i64>,
    /// The staff member who looks after the record (the policy's agent, the lead's).
    pub agent_staff_id: Option<i64>,
    /// Where e-mail to the client (or prospect) goes.
    pub email: Option<String>,
    /// Placeholder values, formatted for people.
    pub values: BTreeMap<String, String>,
    /// What conditions compare: codes and numbers, Spanish labels in lower case.
    pub fields: Map<String, Value>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Nullable<BigInt>)]
    customer_id: Option<i64>,
    #[diesel(sql_type = Nullable<BigInt>)]
    agent_id: Option<i64>,
    #[diesel(sql_type = Nullable<Text>)]
    email: Option<String>,
    #[diesel(sql_type = Jsonb)]
    data: Value,
}

const CUSTOMER_DATA: &str = "'given', cu.given_name, 'display', cu.display_name, \
     'agent_name', s.name";

fn statement(entity: Entity) -> String {
    match entity {
        Entity::Claim => format!(
            "SELECT cu.id AS customer_id, COALESCE(p.agent_staff_id, cu.owner_staff_id) AS agent_id, \
                    cu.email, \
                    jsonb_build_object({CUSTOMER_DATA}, 'number', c.number, \
                        'status', c.status, 'incident_date', c.incident_date, \
                        'policy_number', p.number, 'line', l.code, 'line_name', l.name) AS data \
               FROM claims c JOIN policies p ON p.id = c.policy_id \
               JOIN customers cu ON cu.id = c.customer_id \
               JOIN lines_of_business l ON l.id = p.line_id \
               LEFT JOIN staff_users s ON s.id = COALESCE(p.agent_staff_id, cu.owner_staff_id) \
              WHERE c.id = $1"
        ),
        Entity::Policy => format!(
            "SELECT cu.id AS customer_id, COALESCE(p.agent_staff_id, cu.owner_staff_id) AS agent_id, \
                    cu.email, \
                    jsonb_build_object({CUSTOMER_DATA}, 'number', p.number, \
                        'status', p.status, 'end_date', p.end_date, \
                        'premium_cents', p.total_premium_cents, \
                        'new_premium_cents', t.new_premium_cents, \
                        'carrier', ca.name, 'carrier_code', ca.code, \
                        'line', l.code, 'line_name', l.name) AS data \
               FROM policies p JOIN customers cu ON cu.id = p.customer_id \
               JOIN carriers ca ON ca.id = p.carrier_id \
               JOIN lines_of_business l ON l.id = p.line_id \
               LEFT JOIN policy_renewal_terms t \
                      ON t.policy_id = p.id AND t.period_end = p.end_date \
               LEFT JOIN staff_users s ON s.id = COALESCE(p.agent_staff_id, cu.owner_staff_id) \
              WHERE p.id = $1"
        ),
        Entity::Quote => format!(
            "SELECT cu.id AS customer_id, q.agent_staff_id AS agent_id, \
                    COALESCE(cu.email, q.prospect_email) AS email, \
                    jsonb_build_object({CUSTOMER_DATA}, 'prospect', q.prospect_name, \
                        'number', q.number, 'status', q.status, \
                        'valid_until', q.valid_until, 'source', q.source, \
                        'line', l.code, 'line_name', l.name) AS data \
               FROM quotes q JOIN lines_of_business l ON l.id = q.line_id \
               LEFT JOIN customers cu ON cu.id = q.customer_id \
               LEFT JOIN staff_users s ON s.id = q.agent_staff_id \
              WHERE q.id = $1"
        ),
        Entity::Receipt => format!(
            "SELECT cu.id AS customer_id, COALESCE(p.agent_staff_id, cu.owner_staff_id) AS agent_id, \
                    cu.email, \
                    jsonb_build_object({CUSTOMER_DATA}, 'number', r.number, \
                        'status', r.status, 'due_date', r.due_date, \
                        'amount_cents', r.amount_cents, 'return_code', r.return_code, \
                        'return_reason', r.return_reason, 'policy_number', p.number, \
                        'policy_id', p.id, \
                        'line', l.code) AS data \
               FROM receipts r JOIN policies p ON p.id = r.policy_id \
               JOIN customers cu ON cu.id = r.customer_id \
               JOIN lines_of_business l ON l.id = p.line_id \
               LEFT JOIN staff_users s ON s.id = COALESCE(p.agent_staff_id, cu.owner_staff_id) \
              WHERE r.id = $1"
        ),
        Entity::Lead => "SELECT ld.customer_id, ld.assigned_staff_id AS agent_id, ld.email, \
                    jsonb_build_object('name', ld.full_name, 'stage', ld.stage, \
                        'source', ld.source, 'line', l.code, 'line_name', l.name, \
                        'agent_name', s.name) AS data \
               FROM leads ld LEFT JOIN lines_of_business l ON l.id = ld.line_id \
               LEFT JOIN staff_users s ON s.id = ld.assigned_staff_id \
              WHERE ld.id = $1"
            .to_owned(),
        Entity::Message => format!(
            "SELECT cu.id AS customer_id, cu.owner_staff_id AS agent_id, cu.email, \
                    jsonb_build_object({CUSTOMER_DATA}, 'subject', t.subject) AS data \
               FROM message_threads t JOIN customers cu ON cu.id = t.customer_id \
               LEFT JOIN staff_users s ON s.id = cu.owner_staff_id \
              WHERE t.id = $1"
        ),
        Entity::Customer => format!(
            "SELECT cu.id AS customer_id, cu.owner_staff_id AS agent_id, cu.email, \
                    jsonb_build_object({CUSTOMER_DATA}, 'segment', cu.segment) AS data \
               FROM customers cu LEFT JOIN staff_users s ON s.id = cu.owner_staff_id \
              WHERE cu.id = $1 AND cu.merged_into_id IS NULL"
        ),
    }
}

/// The record `entity`/`id` as rules see it; `Ok(None)` when it does not exist (any more).
pub fn load(
    conn: &mut PgConnection,
    entity: Entity,
    id: i64,
    base_url: &url::Url,
    today: NaiveDate,
) -> QueryResult<Option<Subject>> {
    let row: Option<Row> = diesel::sql_query(statement(entity))
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .optional()?;
    Ok(row.map(|row| subject(entity, id, row, base_url, today)))
}

/// Placeholder values of a record (template previews): an error in Spanish when it is gone.
pub fn values_for(
    conn: &mut PgConnection,
    entity: Entity,
    id: i64,
    base_url: &url::Url,
) -> Result<BTreeMap<String, String>, String> {
    match load(conn, entity, id, base_url, crate::time::today()) {
        Ok(Some(subject)) => Ok(subject.values),
        Ok(None) => Err(format!(
            "No existe el registro {id} ({}).",
            entity.label().to_lowercase()
        )),
        Err(error) => Err(format!("No se pudo leer el registro: {error}")),
    }
}

/// The most recent record of a kind, to preview a template with real data.
pub fn latest_record(conn: &mut PgConnection, entity: Entity) -> QueryResult<Option<i64>> {
    use crate::db::schema::{
        claims, customers, leads, message_threads, policies, quotes, receipts,
    };
    match entity {
        Entity::Claim => claims::table
            .select(claims::id)
            .order(claims::id.desc())
            .first(conn),
        Entity::Policy => policies::table
            .select(policies::id)
            .order(policies::id.desc())
            .first(conn),
        Entity::Quote => quotes::table
            .select(quotes::id)
            .order(quotes::id.desc())
            .first(conn),
        Entity::Receipt => receipts::table
            .select(receipts::id)
            .order(receipts::id.desc())
            .first(conn),
        Entity::Lead => leads::table
            .select(leads::id)
            .order(leads::id.desc())
            .first(conn),
        Entity::Message => message_threads::table
            .select(message_threads::id)
            .order(message_threads::id.desc())
            .first(conn),
        Entity::Customer => customers::table
            .filter(customers::merged_into_id.is_null())
            .select(customers::id)
            .order(customers::id.desc())
            .first(conn),
    }
    .optional()
}

fn text(data: &Value, key: &str) -> Option<String> {
    match data.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn day(data: &Value, key: &str) -> Option<NaiveDate> {
    text(data, key).and_then(|s| NaiveDate::parse_from_str(&s, "%Y-%m-%d").ok())
}

fn cents(data: &Value, key: &str) -> Option<i64> {
    data.get(key).and_then(Value::as_i64)
}

fn link(base_url: &url::Url, path: &str) -> String {
    let mut url = base_url.clone();
    url.set_path(path);
    url.to_string()
}

/// Premium change in per cent, one decimal, when both premiums are known.
pub fn premium_change_pct(current: i64, new: i64) -> Option<f64> {
    (current > 0).then(|| ((new - current) as f64 * 1000.0 / current as f64).round() / 10.0)
}

fn subject(entity: Entity, id: i64, row: Row, base_url: &url::Url, today: NaiveDate) -> Subject {
    let data = &row.data;
    let mut values = BTreeMap::new();
    let mut fields = Map::new();
    let mut put = |key: &str, value: Option<String>| {
        if let Some(value) = value {
            values.insert(key.to_owned(), value);
        }
    };
    if entity == Entity::Lead {
        put("nombre_cliente", text(data, "name"));
        put(
            "origen",
            text(data, "source").map(|s| crate::leads::source_label(&s).to_owned()),
        );
    } else if let Some(display) = text(data, "display").or_else(|| text(data, "prospect")) {
        let given = text(data, "given");
        put(
            "nombre_cliente",
            Some(crate::customers::greeting_name(given.as_deref(), &display)),
        );
        put("nombre_completo_cliente", Some(display));
    }
    put(
        "nombre_mediador",
        Some(text(data, "agent_name").unwrap_or_else(|| "Soriano Mediadores".to_owned())),
    );
    put("fecha_hoy", Some(date(today)));
    put("ramo", text(data, "line_name"));
    if let Some(line) = text(data, "line") {
        fields.insert("ramo".into(), Value::String(line));
    }
    let portal = |path: String| Some(link(base_url, &path));
    match entity {
        Entity::Claim => {
            let status = text(data, "status")
                .and_then(|s| crate::claims::ClaimStatus::parse(&s))
                .map(|s| s.label().to_owned());
            put("numero_siniestro", text(data, "number"));
            put("estado_siniestro", status.clone());
            put("fecha_siniestro", day(data, "incident_date").map(date));
            put("numero_poliza", text(data, "policy_number"));
            put("enlace_portal", portal(format!("/portal/siniestros/{id}")));
            if let Some(status) = status {
                fields.insert("estado".into(), Value::String(status));
            }
        }
        Entity::Policy => {
            let current = cents(data, "premium_cents").unwrap_or(0);
            let new = cents(data, "new_premium_cents");
            put("numero_poliza", text(data, "number"));
            put("aseguradora", text(data, "carrier"));
            put("fecha_vencimiento", day(data, "end_date").map(date));
            put("prima_actual", Some(format_cents(current)));
            put("prima_nueva", Some(format_cents(new.unwrap_or(current))));
            let change = premium_change_pct(current, new.unwrap_or(current)).unwrap_or(0.0);
            put("variacion_prima", Some(signed_pct(change)));
            put("enlace_portal", portal(format!("/portal/polizas/{id}")));
            fields.insert("subida_prima_pct".into(), serde_json::json!(change));
            if let Some(carrier) = text(data, "carrier_code") {
                fields.insert("aseguradora".into(), Value::String(carrier));
            }
            if let Some(status) = text(data, "status") {
                fields.insert("estado".into(), Value::String(status));
            }
        }
        Entity::Quote => {
            put("numero_presupuesto", text(data, "number"));
            put("validez_presupuesto", day(data, "valid_until").map(date));
            let own = row.customer_id.is_some();
            put(
                "enlace_presupuesto",
                if own {
                    portal(format!("/portal/presupuestos/{id}"))
                } else {
                    // A prospect gets a private link made when the e-mail is sent.
                    Some(link(base_url, "/taxi/presupuesto/(enlace privado)"))
                },
            );
            put(
                "enlace_portal",
                if own {
                    portal(format!("/portal/presupuestos/{id}"))
                } else {
                    portal("/portal".to_owned())
                },
            );
            if let Some(source) = text(data, "source") {
                fields.insert("origen".into(), Value::String(source));
            }
        }
        Entity::Receipt => {
            let code = text(data, "return_code");
            let reason = code.as_deref().map(crate::collection::reasons::reason);
            put("numero_recibo", text(data, "number"));
            put(
                "importe_recibo",
                cents(data, "amount_cents").map(format_cents),
            );
            put("vencimiento_recibo", day(data, "due_date").map(date));
            put("numero_poliza", text(data, "policy_number"));
            put(
                "motivo_devolucion",
                reason
                    .map(|r| r.text.to_owned())
                    .or_else(|| text(data, "return_reason"))
                    .or_else(|| Some("sin motivo indicado".to_owned())),
            );
            put(
                "siguiente_paso",
                Some(next_step(reason.as_ref()).to_owned()),
            );
            put(
                "enlace_portal",
                portal(format!(
                    "/portal/polizas/{}",
                    cents(data, "policy_id").unwrap_or(0)
                )),
            );
            if let Some(code) = code {
                fields.insert("motivo".into(), Value::String(code));
            }
        }
        Entity::Lead => {
            if let Some(stage) = text(data, "stage").and_then(|s| crate::leads::Stage::parse(&s)) {
                fields.insert("etapa".into(), Value::String(stage.label().to_owned()));
            }
            if let Some(source) = text(data, "source") {
                fields.insert("origen".into(), Value::String(source));
            }
        }
        Entity::Message => {
            put("asunto_mensaje", text(data, "subject"));
            put("enlace_portal", portal(format!("/portal/mensajes/{id}")));
        }
        Entity::Customer => {
            put("enlace_portal", portal("/portal".to_owned()));
            if let Some(segment) = text(data, "segment") {
                fields.insert("segmento".into(), Value::String(segment));
            }
        }
    }
    Subject {
        entity,
        id,
        customer_id: row.customer_id,
        agent_staff_id: row.agent_id,
        email: row.email.filter(|e| !e.trim().is_empty()),
        values,
        fields,
    }
}

fn next_step(reason: Option<&crate::collection::reasons::Reason>) -> &'static str {
    use crate::collection::reasons::NextStep;
    match reason.map(|r| r.next) {
        Some(NextStep::Retry) => "Lo volveremos a presentar al cobro en unos días.",
        Some(NextStep::NewMandate) => {
            "Necesitamos una cuenta nueva y que firme un nuevo mandato: su mediador se pondrá en contacto con usted."
        }
        _ => "Su mediador se pondrá en contacto con usted.",
    }
}

/// "+12,5 %", "−3 %", "0 %".
fn signed_pct(value: f64) -> String {
    let magnitude = format!("{:.1}", value.abs()).replace('.', ",");
    let magnitude = magnitude
        .strip_suffix(",0")
        .unwrap_or(&magnitude)
        .to_owned();
    if value > 0.0 {
        format!("+{magnitude} %")
    } else if value < 0.0 {
        format!("−{magnitude} %")
    } else {
        "0 %".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn premium_change_is_rounded_to_a_tenth() {
        assert_eq!(premium_change_pct(10_000, 11_250), Some(12.5));
        assert_eq!(premium_change_pct(30_000, 29_000), Some(-3.3));
        assert_eq!(premium_change_pct(0, 100), None);
    }

    #[test]
    fn percentages_read_in_spanish() {
        assert_eq!(signed_pct(12.5), "+12,5 %");
        assert_eq!(signed_pct(-3.0), "−3 %");
        assert_eq!(signed_pct(0.0), "0 %");
    }
}
