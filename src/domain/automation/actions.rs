//! What rules do: tasks, e-mails from templates, notes on the record's history, and changes to
//! the few fields a rule may set. Each runs inside the run's savepoint (see `engine`), so
//! either every action of a rule happens, with its run row, or none does.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::engine::{ActionError, Context, Occurrence};
use super::facts::Subject;
use super::placeholders::Entity;
use super::rules::{Action, Assignee, Recipient, Rule};
use super::templates::{self, Category};
use crate::db::schema::{customers, leads, quotes, staff_users, tasks};

fn failed(why: impl Into<String>) -> ActionError {
    ActionError::Failed(why.into())
}

/// Performs every action of `rule`; returns one Spanish line per action for the run log.
pub fn perform(
    conn: &mut PgConnection,
    ctx: &Context,
    rule: &Rule,
    occurrence: &Occurrence,
    subject: Option<&Subject>,
    now: DateTime<Utc>,
) -> Result<Vec<String>, ActionError> {
    let mut lines = Vec::with_capacity(rule.actions.len());
    for action in &rule.actions {
        let line = match action {
            Action::CreateTask {
                title,
                assignee,
                due_in_days,
                priority,
            } => create_task(
                conn,
                rule,
                occurrence,
                subject,
                title,
                assignee,
                *due_in_days,
                priority,
                now,
            )?,
            Action::SendEmail { template, to } => {
                send_email(conn, ctx, subject, template, *to, now)?
            }
            Action::AddNote { text } => format!("Nota: {}", fill(text, subject)),
            Action::SetField { field, value } => set_field(conn, subject, field, value)?,
        };
        lines.push(line);
    }
    Ok(lines)
}

/// Placeholders in a task title or note, filled from the record (unknown ones stay as typed).
fn fill(text: &str, subject: Option<&Subject>) -> String {
    let Some(subject) = subject else {
        return text.to_owned();
    };
    let mut out = text.to_owned();
    for (name, value) in &subject.values {
        out = out.replace(&format!("{{{{{name}}}}}"), value);
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn create_task(
    conn: &mut PgConnection,
    rule: &Rule,
    occurrence: &Occurrence,
    subject: Option<&Subject>,
    title: &str,
    assignee: &Assignee,
    due_in_days: i32,
    priority: &str,
    now: DateTime<Utc>,
) -> Result<String, ActionError> {
    let staff = match assignee {
        Assignee::RecordAgent => match subject.and_then(|s| s.agent_staff_id) {
            Some(agent) if is_active(conn, agent)? => Some(agent),
            _ => least_busy(conn, "supervisor")?,
        },
        Assignee::Role(role) => least_busy(conn, role)?,
        Assignee::Staff(id) => is_active(conn, *id)?.then_some(*id),
    };
    let staff =
        staff.ok_or_else(|| failed("No hay ningún usuario activo a quien asignar la tarea."))?;
    let title = fill(title, subject);
    let title: String = title.chars().take(200).collect();
    let due = crate::time::date_of(now) + Duration::days(due_in_days.into());
    let (entity_type, entity_id) = match subject {
        Some(s) => (Some(s.entity.code()), Some(s.id)),
        None => (None, None),
    };
    diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(&title),
            tasks::description.eq(format!(
                "Creada automáticamente por la regla «{}» ({}).",
                rule.name,
                rule.trigger.describe()
            )),
            tasks::due_date.eq(due),
            tasks::priority.eq(if priority == "high" { "high" } else { "normal" }),
            tasks::assignee_staff_id.eq(staff),
            tasks::entity_type.eq(entity_type),
            tasks::entity_id.eq(entity_id),
            tasks::customer_id.eq(subject.and_then(|s| s.customer_id)),
        ))
        .execute(conn)?;
    let name: String = staff_users::table
        .find(staff)
        .select(staff_users::name)
        .first(conn)?;
    let _ = occurrence;
    Ok(format!(
        "Tarea «{title}» para {name}, vence el {}",
        crate::format::date(due)
    ))
}

fn is_active(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        staff_users::table
            .find(id)
            .filter(staff_users::active.eq(true)),
    ))
    .get_result(conn)
}

#[derive(QueryableByName)]
struct StaffId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// The active member of `role` with the fewest open tasks (a role's queue); `None` when the
/// role has nobody.
fn least_busy(conn: &mut PgConnection, role: &str) -> QueryResult<Option<i64>> {
    Ok(diesel::sql_query(
        "SELECT s.id FROM staff_users s \
          WHERE s.active AND s.role = $1 \
          ORDER BY (SELECT count(*) FROM tasks t \
                     WHERE t.assignee_staff_id = s.id AND t.status = 'open'), s.id \
          LIMIT 1",
    )
    .bind::<Text, _>(role)
    .get_result::<StaffId>(conn)
    .optional()?
    .map(|s| s.id))
}

fn send_email(
    conn: &mut PgConnection,
    ctx: &Context,
    subject: Option<&Subject>,
    key: &str,
    to: Recipient,
    now: DateTime<Utc>,
) -> Result<String, ActionError> {
    let subject = subject.ok_or_else(|| failed("El registro ya no existe."))?;
    let template = templates::current(conn, key)?
        .ok_or_else(|| failed(format!("La plantilla «{key}» no existe.")))?;
    let marketing = template.category == Category::Marketing;
    let address = match to {
        Recipient::Client => subject.email.clone(),
        Recipient::Agent => match subject.agent_staff_id {
            Some(id) => staff_users::table
                .find(id)
                .filter(staff_users::active.eq(true))
                .select(staff_users::email)
                .first::<String>(conn)
                .optional()?,
            None => None,
        },
    };
    let Some(address) = address else {
        return Ok(format!(
            "Correo «{}» no enviado: {} no tiene dirección de correo",
            template.name,
            match to {
                Recipient::Client => "el cliente",
                Recipient::Agent => "el registro no tiene agente o este",
            }
        ));
    };
    let mut values = subject.values.clone();
    let mut list_unsubscribe = None;
    if marketing && to == Recipient::Client {
        // Commercial e-mail only with consent (LSSI art. 21), always with a way out.
        let Some(customer) = subject.customer_id else {
            return Ok(format!(
                "Correo comercial «{}» no enviado: no es un cliente con consentimiento",
                template.name
            ));
        };
        if !crate::clients::unsubscribe::has_marketing_consent(conn, customer)? {
            return Ok(format!(
                "Correo comercial «{}» no enviado: sin consentimiento comercial",
                template.name
            ));
        }
        let link = crate::clients::unsubscribe::link(&ctx.base_url, &ctx.unsubscribe_key, customer)
            .to_string();
        values.insert("enlace_baja".to_owned(), link.clone());
        list_unsubscribe = Some(link);
    }
    if subject.entity == Entity::Quote && subject.customer_id.is_none() {
        values.insert(
            "enlace_presupuesto".to_owned(),
            public_quote_link(conn, ctx, subject.id)?,
        );
    }
    let rendered = templates::render(&template, &values).map_err(failed)?;
    let outbox = crate::mail::enqueue(
        conn,
        &crate::mail::Email {
            kind: format!("automation.{key}"),
            to: address.clone(),
            subject: rendered.subject,
            text: rendered.text,
            html: rendered.html,
            list_unsubscribe,
        },
    )?;
    let mut attached = String::new();
    if to == Recipient::Client
        && let Some(document) = attachment(conn, ctx, subject, key, now)?
    {
        crate::documents::delivery::attach_to(conn, &document, outbox, &address)?;
        attached = format!(" con «{}» adjunto", document.filename);
    }
    Ok(format!(
        "Correo «{}» (versión {}) a {address}{attached}",
        template.name, template.version
    ))
}

/// The document an e-mail to the client carries, recorded as delivered with it: a quote's
/// PDF (written when staff sent it), or the renewal notice written now from the policy (old
/// and new premium), published in e-SORI too.
fn attachment(
    conn: &mut PgConnection,
    ctx: &Context,
    subject: &Subject,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<crate::documents::Document>, ActionError> {
    use crate::documents::Entity as Record;
    use crate::documents::generated::{self, GenerateError, Kind, Request};
    match (subject.entity, key) {
        (Entity::Quote, _) => Ok(generated::current(
            conn,
            Record::Quote(subject.id),
            Kind::Quote,
        )?),
        (Entity::Policy, "aviso_renovacion") => {
            let request = Request {
                kind: Kind::RenewalNotice,
                entity: Record::Policy(subject.id),
                subject: None,
                today: now.with_timezone(&crate::time::ZONE).date_naive(),
            };
            let note = "Enviado con el aviso de renovación";
            match generated::generate(conn, &request, &ctx.broker, true, note, None) {
                Ok(generated) => Ok(Some(generated.document)),
                Err(GenerateError::Db(e)) => Err(e.into()),
                Err(other) => Err(failed(other.to_string())),
            }
        }
        _ => Ok(None),
    }
}

/// A fresh private link to a prospect's quote (only its hash is kept), valid until the quote
/// expires.
fn public_quote_link(
    conn: &mut PgConnection,
    ctx: &Context,
    quote_id: i64,
) -> Result<String, ActionError> {
    let token = crate::util::random_token(32);
    let valid_until: chrono::NaiveDate = quotes::table
        .find(quote_id)
        .select(quotes::valid_until)
        .first(conn)?;
    let expires = crate::time::day_start(valid_until + Duration::days(1));
    diesel::update(quotes::table.find(quote_id))
        .set((
            quotes::public_token_hash.eq(crate::util::sha256_hex(token.as_bytes())),
            quotes::public_token_expires_at.eq(expires),
        ))
        .execute(conn)?;
    let mut url = ctx.base_url.clone();
    url.set_path(&format!("/taxi/presupuesto/{token}"));
    Ok(url.to_string())
}

fn set_field(
    conn: &mut PgConnection,
    subject: Option<&Subject>,
    field: &str,
    value: &str,
) -> Result<String, ActionError> {
    let subject = subject.ok_or_else(|| failed("El registro ya no existe."))?;
    let allowed = super::rules::SETTABLE_FIELDS
        .iter()
        .any(|(e, f, values)| *e == subject.entity && *f == field && values.contains(&value));
    if !allowed {
        return Err(failed(format!(
            "El campo «{field}» no se puede cambiar a «{value}»."
        )));
    }
    let kind = match (subject.entity, field) {
        (Entity::Customer, "segmento") => {
            diesel::update(customers::table.find(subject.id))
                .set((
                    customers::segment.eq(value),
                    customers::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            "customer.field_changed"
        }
        (Entity::Lead, "puntuacion") => {
            let score: i32 = value.parse().map_err(|_| failed("Puntuación no válida."))?;
            diesel::update(leads::table.find(subject.id))
                .set((
                    leads::score.eq(score),
                    leads::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)?;
            "lead.field_changed"
        }
        _ => return Err(failed(format!("El campo «{field}» no se puede cambiar."))),
    };
    let details = serde_json::json!({ "campo": field, "valor": value });
    crate::audit::Actor::system().record(
        conn,
        crate::audit::Action::AutomationFieldChanged,
        subject.entity.code(),
        subject.id,
        details.clone(),
    )?;
    crate::events::publish(conn, kind, subject.entity.code(), subject.id, details)?;
    Ok(format!("Campo {field} cambiado a «{value}»"))
}
