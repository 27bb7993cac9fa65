//! The timeline of a customer: policies, claims, tasks, interactions, consents and audit
//! entries, one query per source (each capped), merged and sorted here.

use chrono::{DateTime, NaiveTime, Utc};
use diesel::prelude::*;

use super::model::{ConsentPurpose, InteractionKind};
use crate::audit::Action;
use crate::db::schema::{
    audit_log, claims, customer_consents, interactions, lines_of_business, policies, quotes,
    staff_users, tasks,
};

/// Items shown at most.
pub const TIMELINE_LIMIT: usize = 100;

#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub at: DateTime<Utc>,
    /// "Póliza", "Siniestro", "Tarea", "Llamada", "Consentimiento", "Registro"...
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
}

pub fn policy_status_label(code: &str) -> &'static str {
    match code {
        "active" => "en vigor",
        "suspended" => "suspendida",
        "cancelled" => "anulada",
        "expired" => "vencida",
        _ => "",
    }
}

pub fn claim_status_label(code: &str) -> &'static str {
    match code {
        "open" => "abierto",
        "in_progress" => "en trámite",
        "assessed" => "peritado",
        "accepted" => "aceptado",
        "rejected" => "rechazado",
        "paid" => "pagado",
        "closed" => "cerrado",
        _ => "",
    }
}

/// The latest [`TIMELINE_LIMIT`] events of customer `id`, newest first.
pub fn timeline(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<TimelineItem>> {
    let limit = TIMELINE_LIMIT as i64;
    let mut items = Vec::new();

    let rows: Vec<(i64, String, String, chrono::NaiveDate, DateTime<Utc>)> = policies::table
        .filter(policies::customer_id.eq(id))
        .order((policies::start_date.desc(), policies::id.desc()))
        .select((
            policies::id,
            policies::number,
            policies::status,
            policies::start_date,
            policies::created_at,
        ))
        .limit(limit)
        .load(conn)?;
    items.extend(
        rows.into_iter()
            .map(|(pid, number, status, start, created)| TimelineItem {
                at: created.min(start.and_time(NaiveTime::MIN).and_utc().max(created)),
                kind: "Póliza".into(),
                title: format!("Póliza {number}"),
                detail: format!(
                    "Efecto {} · {}",
                    crate::web::format::date(start),
                    policy_status_label(&status)
                ),
                link: Some(format!("/admin/polizas/{pid}")),
            }),
    );

    let rows: Vec<(i64, String, String, String, DateTime<Utc>)> = claims::table
        .filter(claims::customer_id.eq(id))
        .order((claims::opened_at.desc(), claims::id.desc()))
        .select((
            claims::id,
            claims::number,
            claims::kind,
            claims::status,
            claims::opened_at,
        ))
        .limit(limit)
        .load(conn)?;
    items.extend(
        rows.into_iter()
            .map(|(cid, number, kind, status, at)| TimelineItem {
                at,
                kind: "Siniestro".into(),
                title: format!("Siniestro {number}"),
                detail: format!("{kind} · {}", claim_status_label(&status)),
                link: Some(format!("/admin/siniestros/{cid}")),
            }),
    );

    let rows: Vec<(i64, String, String, String, DateTime<Utc>)> = quotes::table
        .inner_join(lines_of_business::table)
        .filter(quotes::customer_id.eq(id))
        .order((quotes::created_at.desc(), quotes::id.desc()))
        .select((
            quotes::id,
            quotes::number,
            lines_of_business::name,
            quotes::status,
            quotes::created_at,
        ))
        .limit(limit)
        .load(conn)?;
    items.extend(
        rows.into_iter()
            .map(|(qid, number, line, status, at)| TimelineItem {
                at,
                kind: "Presupuesto".into(),
                title: format!("Presupuesto {number}"),
                detail: format!(
                    "{line} · {}",
                    crate::quotes::QuoteStatus::parse(&status).map_or("", |s| s.label())
                ),
                link: Some(format!("/admin/presupuestos/{qid}")),
            }),
    );

    let rows: Vec<(String, String, Option<chrono::NaiveDate>, DateTime<Utc>)> = tasks::table
        .filter(tasks::customer_id.eq(id))
        .order(tasks::created_at.desc())
        .select((
            tasks::title,
            tasks::status,
            tasks::due_date,
            tasks::created_at,
        ))
        .limit(limit)
        .load(conn)?;
    items.extend(
        rows.into_iter()
            .map(|(title, status, due, at)| TimelineItem {
                at,
                kind: "Tarea".into(),
                title,
                detail: match (status.as_str(), due) {
                    ("done", _) => "Hecha".to_owned(),
                    (_, Some(due)) => {
                        format!("Pendiente · vence el {}", crate::web::format::date(due))
                    }
                    _ => "Pendiente".to_owned(),
                },
                link: None,
            }),
    );

    items.extend(
        interactions_of(conn, id, limit)?
            .into_iter()
            .map(|i| TimelineItem {
                at: i.occurred_at,
                kind: i.kind.label().to_owned(),
                title: i.summary,
                detail: i.staff_name,
                link: None,
            }),
    );

    let rows: Vec<(String, bool, String, String, DateTime<Utc>)> = customer_consents::table
        .filter(customer_consents::customer_id.eq(id))
        .order(customer_consents::recorded_at.desc())
        .select((
            customer_consents::purpose,
            customer_consents::granted,
            customer_consents::text_version,
            customer_consents::source,
            customer_consents::recorded_at,
        ))
        .limit(limit)
        .load(conn)?;
    items.extend(
        rows.into_iter()
            .map(|(purpose, granted, version, source, at)| TimelineItem {
                at,
                kind: "Consentimiento".into(),
                title: format!(
                    "{}: {}",
                    ConsentPurpose::parse(&purpose).map_or("", ConsentPurpose::label),
                    if granted { "otorgado" } else { "retirado" }
                ),
                detail: format!("Texto {version} · {source}"),
                link: None,
            }),
    );

    let rows: Vec<(String, String, DateTime<Utc>)> = audit_log::table
        .filter(audit_log::target_type.eq(crate::audit::target::CUSTOMER))
        .filter(audit_log::target_id.eq(id))
        // Consents and interactions already appear as themselves.
        .filter(audit_log::action.ne_all([
            Action::CustomerConsentChanged.code(),
            Action::CustomerInteractionLogged.code(),
        ]))
        .order(audit_log::id.desc())
        .select((
            audit_log::action,
            audit_log::actor_label,
            audit_log::occurred_at,
        ))
        .limit(limit)
        .load(conn)?;
    items.extend(rows.into_iter().map(|(action, actor, at)| TimelineItem {
        at,
        kind: "Registro".into(),
        title: Action::parse(&action).map_or(action.clone(), |a| a.label().to_owned()),
        detail: actor,
        link: None,
    }));

    items.sort_by_key(|item| std::cmp::Reverse(item.at));
    items.truncate(TIMELINE_LIMIT);
    Ok(items)
}

/// The latest interactions of a customer with who logged them.
pub fn interactions_of(
    conn: &mut PgConnection,
    customer_id: i64,
    limit: i64,
) -> QueryResult<Vec<super::model::Interaction>> {
    let rows: Vec<(i64, String, String, DateTime<Utc>, String)> = interactions::table
        .inner_join(staff_users::table)
        .filter(interactions::customer_id.eq(customer_id))
        .order((interactions::occurred_at.desc(), interactions::id.desc()))
        .select((
            interactions::id,
            interactions::kind,
            interactions::summary,
            interactions::occurred_at,
            staff_users::name,
        ))
        .limit(limit)
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(
            |(iid, kind, summary, occurred_at, staff_name)| super::model::Interaction {
                id: iid,
                customer_id,
                kind: InteractionKind::parse(&kind).unwrap_or(InteractionKind::Note),
                summary,
                occurred_at,
                staff_name,
            },
        )
        .collect())
}
