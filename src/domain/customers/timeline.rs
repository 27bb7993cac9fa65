//! The timeline of a customer: policies, receipts, claims, tasks, interactions, consents and
//! audit entries, documents and quotes, merged and sorted by PostgreSQL in one query.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Date, Nullable, Text, Timestamptz};

use super::model::{ConsentPurpose, InteractionKind};
use crate::audit::Action;
use crate::db::prepared::Prepared;
use crate::db::schema::{interactions, staff_users};

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

/// The label of a policy status code (the enum's label), "" when unknown.
pub fn policy_status_label(code: &str) -> &'static str {
    crate::policies::Status::parse(code).map_or("", |s| s.label())
}

/// The label of a claim status code (the enum's label), "" when unknown.
pub fn claim_status_label(code: &str) -> &'static str {
    crate::claims::ClaimStatus::parse(code).map_or("", |s| s.label())
}

/// One row of the timeline query: `source` says which table it came from and what the
/// generic columns hold.
#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    source: String,
    #[diesel(sql_type = Nullable<BigInt>)]
    id: Option<i64>,
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
    #[diesel(sql_type = Text)]
    a: String,
    #[diesel(sql_type = Text)]
    b: String,
    #[diesel(sql_type = Text)]
    c: String,
    #[diesel(sql_type = Nullable<Date>)]
    day: Option<NaiveDate>,
}

/// Every source, newest first, capped per source and in all: one round trip, whatever the
/// customer holds (each branch walks its `(customer_id, date)` index).
const TIMELINE_SQL: &str = "
SELECT * FROM (
  (SELECT 'policy' AS source, p.id, p.created_at AS at, p.number AS a, p.status AS b, '' AS c,
          p.start_date AS day
     FROM policies p WHERE p.customer_id = $1 ORDER BY p.start_date DESC, p.id DESC LIMIT $2)
  UNION ALL
  (SELECT 'claim', c.id, c.opened_at, c.number, c.status, c.kind, NULL
     FROM claims c WHERE c.customer_id = $1 ORDER BY c.opened_at DESC, c.id DESC LIMIT $2)
  UNION ALL
  (SELECT 'quote', q.id, q.created_at, q.number, q.status, l.name, NULL
     FROM quotes q JOIN lines_of_business l ON l.id = q.line_id
    WHERE q.customer_id = $1 ORDER BY q.created_at DESC, q.id DESC LIMIT $2)
  UNION ALL
  (SELECT 'receipt', r.policy_id, GREATEST(r.due_date::timestamptz, r.updated_at), r.number,
          r.status, r.amount_cents::text, r.due_date
     FROM receipts r WHERE r.customer_id = $1 AND r.due_date <= CURRENT_DATE
    ORDER BY r.due_date DESC, r.id DESC LIMIT $2)
  UNION ALL
  (SELECT 'task', t.id, t.created_at, t.title, t.status, '', t.due_date
     FROM tasks t WHERE t.customer_id = $1 ORDER BY t.created_at DESC LIMIT $2)
  UNION ALL
  (SELECT 'interaction', i.id, i.occurred_at, i.kind, i.summary, s.name, NULL
     FROM interactions i JOIN staff_users s ON s.id = i.staff_id
    WHERE i.customer_id = $1 ORDER BY i.occurred_at DESC, i.id DESC LIMIT $2)
  UNION ALL
  (SELECT 'consent', NULL, cc.recorded_at, cc.purpose,
          CASE WHEN cc.granted THEN 'granted' ELSE 'withdrawn' END, cc.text_version || ' · ' || cc.source, NULL
     FROM customer_consents cc WHERE cc.customer_id = $1 ORDER BY cc.recorded_at DESC LIMIT $2)
  UNION ALL
  (SELECT 'document', d.id, d.uploaded_at, d.filename, d.entity_type, d.content_type, NULL
     FROM documents d WHERE d.customer_id = $1 ORDER BY d.uploaded_at DESC LIMIT $2)
  UNION ALL
  (SELECT 'automation', ar.rule_id, ar.finished_at, ru.name, ar.status, ar.outcome, NULL
     FROM automation_runs ar JOIN automation_rules ru ON ru.id = ar.rule_id
    WHERE ar.customer_id = $1 ORDER BY ar.id DESC LIMIT $2)
  UNION ALL
  (SELECT 'audit', NULL, al.occurred_at, al.action, al.actor_label, '', NULL
     FROM audit_log al
    WHERE al.target_type = $3 AND al.target_id = $1 AND al.action <> ALL ($4)
    ORDER BY al.id DESC LIMIT $2)
) timeline
ORDER BY at DESC
LIMIT $2";

/// The customer's timeline, newest first, at most [`TIMELINE_LIMIT`] items.
pub fn timeline(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<TimelineItem>> {
    // Consents and interactions already appear as themselves, not as their audit entries.
    let hidden_actions = vec![
        Action::CustomerConsentChanged.code().to_owned(),
        Action::CustomerInteractionLogged.code().to_owned(),
    ];
    // Kept prepared: parsing and planning the union cost eight times its running.
    let rows: Vec<Row> = Prepared(
        diesel::sql_query(TIMELINE_SQL)
            .bind::<BigInt, _>(id)
            .bind::<BigInt, _>(TIMELINE_LIMIT as i64)
            .bind::<Text, _>(crate::audit::target::CUSTOMER)
            .bind::<Array<Text>, _>(hidden_actions),
    )
    .load(conn)?;
    Ok(rows.into_iter().map(TimelineItem::from).collect())
}

impl From<Row> for TimelineItem {
    fn from(row: Row) -> Self {
        let Row {
            source,
            id,
            at,
            a,
            b,
            c,
            day,
        } = row;
        let link = |path: &str| id.map(|id| format!("/admin/{path}/{id}"));
        match source.as_str() {
            "policy" => TimelineItem {
                at,
                kind: "Póliza".into(),
                title: format!("Póliza {a}"),
                detail: format!(
                    "Efecto {} · {}",
                    day.map(crate::format::date).unwrap_or_default(),
                    policy_status_label(&b)
                ),
                link: link("polizas"),
            },
            "claim" => TimelineItem {
                at,
                kind: "Siniestro".into(),
                title: format!("Siniestro {a}"),
                detail: format!(
                    "{} · {}",
                    crate::claims::kind_label(&c),
                    claim_status_label(&b)
                ),
                link: link("siniestros"),
            },
            "quote" => TimelineItem {
                at,
                kind: "Presupuesto".into(),
                title: format!("Presupuesto {a}"),
                detail: format!(
                    "{c} · {}",
                    crate::quotes::QuoteStatus::parse(&b).map_or("", |s| s.label())
                ),
                link: link("presupuestos"),
            },
            // `id` is the receipt's policy: the receipt lives on the policy page.
            "receipt" => TimelineItem {
                at,
                kind: "Recibo".into(),
                title: format!("Recibo {a}"),
                detail: format!(
                    "{} · vence el {} · {}",
                    c.parse::<i64>()
                        .map(crate::money::format_cents)
                        .unwrap_or_default(),
                    day.map(crate::format::date).unwrap_or_default(),
                    crate::receipts::Status::parse(&b)
                        .map_or("", |s| s.label())
                        .to_lowercase()
                ),
                link: link("polizas"),
            },
            "task" => TimelineItem {
                at,
                kind: "Tarea".into(),
                title: a,
                detail: match (crate::tasks::status_label(&b), day) {
                    (Some(done), _) if b == "done" => done.to_owned(),
                    (_, Some(due)) => {
                        format!("Pendiente · vence el {}", crate::format::date(due))
                    }
                    _ => "Pendiente".to_owned(),
                },
                link: None,
            },
            "interaction" => TimelineItem {
                at,
                kind: InteractionKind::parse(&a)
                    .unwrap_or(InteractionKind::Note)
                    .label()
                    .to_owned(),
                title: b,
                detail: c,
                link: None,
            },
            "consent" => TimelineItem {
                at,
                kind: "Consentimiento".into(),
                title: format!(
                    "{}: {}",
                    ConsentPurpose::parse(&a).map_or("", ConsentPurpose::label),
                    if b == "granted" {
                        "otorgado"
                    } else {
                        "retirado"
                    }
                ),
                detail: format!("Texto {c}"),
                link: None,
            },
            "document" => TimelineItem {
                at,
                kind: "Documento".into(),
                title: a,
                detail: c,
                link: id.map(|id| format!("/admin/documentos/{id}/descargar")),
            },
            // What a rule did for this customer: its run log, with its notes.
            "automation" => TimelineItem {
                at,
                kind: "Automatización".into(),
                title: a,
                detail: match b.as_str() {
                    "done" => c.lines().collect::<Vec<_>>().join(" · "),
                    "failed" => "Falló; se reintentará".to_owned(),
                    _ => "Detenida: pendiente de revisión".to_owned(),
                },
                // No link: the rules' pages are for administrators, the timeline for everyone.
                link: None,
            },
            _ => TimelineItem {
                at,
                kind: "Registro".into(),
                title: Action::parse(&a).map_or(a.clone(), |action| action.label().to_owned()),
                detail: b,
                link: None,
            },
        }
    }
}

/// The latest interactions of a customer with who logged them.
pub fn interactions_of(
    conn: &mut PgConnection,
    customer_id: i64,
    limit: i64,
) -> QueryResult<Vec<super::model::Interaction>> {
    let rows: Vec<(i64, InteractionKind, String, DateTime<Utc>, String)> = interactions::table
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
                kind,
                summary,
                occurred_at,
                staff_name,
            },
        )
        .collect())
}
