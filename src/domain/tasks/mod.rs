//! Tasks (tareas): a to-do for a staff member, optionally about a record (customer, policy,
//! claim), with a due date and a priority. "Mis tareas" lists one's open tasks overdue first,
//! then due today, then later, then without a date. No HTTP here.
//!
//! Only the assignee completes or reassigns a task, unless the actor is a supervisor or an
//! administrator; anyone else is told it does not exist.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Int8, Nullable, Text, Timestamptz};
use serde_json::json;

use crate::audit::{self, Action, Actor};
use crate::auth::permissions::PortfolioScope;
use crate::auth::staff::Role;
use crate::db::DbError;
use crate::db::prepared::Prepared;
use crate::db::schema::{customers, staff_users, tasks};
use crate::listing::{PAGE_SIZE, PageNumber};

/// Longest title and description.
pub const MAX_TITLE: usize = 200;
pub const MAX_DESCRIPTION: usize = 4000;

crate::text_enum!(Priority);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Priority {
    Low,
    Normal,
    High,
}

impl Priority {
    pub const ALL: [Priority; 3] = [Priority::High, Priority::Normal, Priority::Low];

    pub fn code(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::Low => "Baja",
            Priority::Normal => "Normal",
            Priority::High => "Alta",
        }
    }
}

/// The Spanish word of a task's stored status (`open`, `done`); `None` for an unknown one.
pub fn status_label(code: &str) -> Option<&'static str> {
    match code {
        "open" => Some("Pendiente"),
        "done" => Some("Hecha"),
        _ => None,
    }
}

/// What kind of record a task is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntityType {
    Customer,
    Policy,
    Claim,
}

impl EntityType {
    pub fn code(self) -> &'static str {
        match self {
            EntityType::Customer => "customer",
            EntityType::Policy => "policy",
            EntityType::Claim => "claim",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "customer" => Some(EntityType::Customer),
            "policy" => Some(EntityType::Policy),
            "claim" => Some(EntityType::Claim),
            _ => None,
        }
    }

    /// The back-office page of record `id`.
    pub fn path(self, id: i64) -> String {
        match self {
            EntityType::Customer => format!("/admin/clientes/{id}"),
            EntityType::Policy => format!("/admin/polizas/{id}"),
            EntityType::Claim => format!("/admin/siniestros/{id}"),
        }
    }
}

/// The record a task is about, as the form and the list name it.
#[derive(Debug, Clone)]
pub struct EntityRef {
    pub kind: EntityType,
    pub id: i64,
    /// "Siniestro SIN-2026-000001", "Póliza 123", "Cliente García, Ana".
    pub label: String,
    pub customer_id: i64,
}

/// Record `id` of `kind` within `scope`, or `None` when it does not exist there.
pub fn entity(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    kind: EntityType,
    id: i64,
) -> QueryResult<Option<EntityRef>> {
    Ok(match kind {
        EntityType::Customer => {
            let mut query = customers::table
                .filter(customers::id.eq(id))
                .select(customers::display_name)
                .into_boxed();
            if let Some(owner) = scope.owner() {
                query = query.filter(customers::owner_staff_id.eq(owner));
            }
            query
                .first::<String>(conn)
                .optional()?
                .map(|name| EntityRef {
                    kind,
                    id,
                    label: format!("Cliente {name}"),
                    customer_id: id,
                })
        }
        EntityType::Policy => match crate::claims::policy_in_scope(conn, scope, id) {
            Ok(policy) => Some(EntityRef {
                kind,
                id,
                label: format!("Póliza {} ({})", policy.number, policy.customer_name),
                customer_id: policy.customer_id,
            }),
            Err(crate::claims::ClaimError::NotFound) => None,
            Err(crate::claims::ClaimError::Database(DbError::Query(e))) => return Err(e),
            Err(other) => {
                return Err(diesel::result::Error::QueryBuilderError(
                    other.to_string().into(),
                ));
            }
        },
        EntityType::Claim => match crate::claims::get(conn, scope, id) {
            Ok(detail) => Some(EntityRef {
                kind,
                id,
                label: format!(
                    "Siniestro {} ({})",
                    detail.claim.number, detail.customer_name
                ),
                customer_id: detail.claim.customer_id,
            }),
            Err(crate::claims::ClaimError::NotFound) => None,
            Err(crate::claims::ClaimError::Database(DbError::Query(e))) => return Err(e),
            Err(other) => {
                return Err(diesel::result::Error::QueryBuilderError(
                    other.to_string().into(),
                ));
            }
        },
    })
}

/// A validated new task.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: String,
    pub description: String,
    pub due_date: Option<NaiveDate>,
    pub priority: Priority,
    pub assignee_staff_id: i64,
    pub entity: Option<(EntityType, i64)>,
}

#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    /// No such task, or not one the actor may change.
    #[error("no encontrada")]
    NotFound,
    /// The record the task would be about is not within the actor's scope.
    #[error("No encontramos ese registro.")]
    EntityNotFound,
    #[error("Elija un empleado en activo.")]
    InvalidAssignee,
    #[error(transparent)]
    Database(#[from] DbError),
}

impl From<diesel::result::Error> for TaskError {
    fn from(error: diesel::result::Error) -> Self {
        TaskError::Database(DbError::Query(error))
    }
}

/// Where a task stands in "Mis tareas".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Overdue,
    Today,
    Later,
    Undated,
    Done,
}

impl Group {
    pub fn label(self) -> &'static str {
        match self {
            Group::Overdue => "Vencida",
            Group::Today => "Hoy",
            Group::Later => "Próximamente",
            Group::Undated => "Sin fecha",
            Group::Done => "Hecha",
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            Group::Overdue => "badge-error",
            Group::Today => "badge-warn",
            Group::Later => "badge",
            Group::Undated | Group::Done => "badge-muted",
        }
    }
}

/// A task as lists show it.
#[derive(Debug, Clone, QueryableByName)]
pub struct TaskRow {
    #[diesel(sql_type = Int8)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub title: String,
    #[diesel(sql_type = Text)]
    pub description: String,
    #[diesel(sql_type = Nullable<Date>)]
    pub due_date: Option<NaiveDate>,
    #[diesel(sql_type = Text)]
    pub priority: Priority,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Int8)]
    pub assignee_staff_id: i64,
    #[diesel(sql_type = Text)]
    pub assignee_name: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub entity_type: Option<String>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub entity_id: Option<i64>,
    #[diesel(sql_type = Nullable<Int8>)]
    pub customer_id: Option<i64>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub completed_at: Option<DateTime<Utc>>,
}

impl TaskRow {
    pub fn is_done(&self) -> bool {
        self.status == "done"
    }

    pub fn group(&self, today: NaiveDate) -> Group {
        match self.due_date {
            _ if self.is_done() => Group::Done,
            None => Group::Undated,
            Some(due) if due < today => Group::Overdue,
            Some(due) if due == today => Group::Today,
            Some(_) => Group::Later,
        }
    }

    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// The page of the record the task is about.
    pub fn entity_path(&self) -> Option<String> {
        entity_path(self.entity_type.as_deref(), self.entity_id)
    }
}

/// The page of the record a task is about, from its stored kind and id.
pub fn entity_path(kind: Option<&str>, id: Option<i64>) -> Option<String> {
    let (code, id) = (kind?, id?);
    // Quotes are not a kind the task form offers, but tasks may be about one (issuing
    // the policy of a quote the client accepted in e-SORI).
    if code == crate::audit::target::QUOTE {
        return Some(format!("/admin/presupuestos/{id}"));
    }
    Some(EntityType::parse(code)?.path(id))
}

const ROW_SELECT: &str = "SELECT t.id, t.title, t.description, t.due_date, t.priority, t.status, \
     t.assignee_staff_id, s.name AS assignee_name, t.entity_type, t.entity_id, t.customer_id, \
     t.completed_at FROM tasks t JOIN staff_users s ON s.id = t.assignee_staff_id";

/// Which tasks of "Mis tareas".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListFilter {
    Open,
    Done,
    All,
}

impl ListFilter {
    pub fn code(self) -> &'static str {
        match self {
            ListFilter::Open => "pendientes",
            ListFilter::Done => "hechas",
            ListFilter::All => "todas",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        [ListFilter::Open, ListFilter::Done, ListFilter::All]
            .into_iter()
            .find(|f| f.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            ListFilter::Open => "Pendientes",
            ListFilter::Done => "Hechas",
            ListFilter::All => "Todas",
        }
    }
}

/// Open tasks by group.
#[derive(Debug, Clone, Copy, Default, QueryableByName)]
pub struct GroupCounts {
    #[diesel(sql_type = BigInt)]
    pub overdue: i64,
    #[diesel(sql_type = BigInt)]
    pub today: i64,
    #[diesel(sql_type = BigInt)]
    pub later: i64,
    #[diesel(sql_type = BigInt)]
    pub undated: i64,
}

#[derive(Debug, Clone)]
pub struct TaskList {
    pub rows: Vec<TaskRow>,
    pub counts: GroupCounts,
    pub more: bool,
}

/// The tasks of `staff_id`: open ones overdue first, then due today, then later, then without
/// a date (high priority first within a day); done ones last. Offset pages of [`PAGE_SIZE`]
/// (a person's task list is short; the index `tasks_assignee_idx` serves the filter).
pub fn assigned_to(
    conn: &mut PgConnection,
    staff_id: i64,
    filter: ListFilter,
    page: PageNumber,
    today: NaiveDate,
) -> QueryResult<TaskList> {
    let mut rows = rows_assigned_to(
        conn,
        staff_id,
        filter,
        today,
        PAGE_SIZE + 1,
        page.offset(PAGE_SIZE),
    )?;
    let more = rows.len() as i64 > PAGE_SIZE;
    rows.truncate(PAGE_SIZE as usize);
    let counts: GroupCounts = Prepared(
        diesel::sql_query(
            "SELECT count(*) FILTER (WHERE due_date < $2) AS overdue, \
             count(*) FILTER (WHERE due_date = $2) AS today, \
             count(*) FILTER (WHERE due_date > $2) AS later, \
             count(*) FILTER (WHERE due_date IS NULL) AS undated \
             FROM tasks WHERE assignee_staff_id = $1 AND status = 'open'",
        )
        .bind::<BigInt, _>(staff_id)
        .bind::<Date, _>(today),
    )
    .get_result(conn)?;
    Ok(TaskList { rows, counts, more })
}

/// Every task of `staff_id` the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), in the
/// list's order: what an export writes.
pub fn export_assigned_to<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    staff_id: i64,
    filter: ListFilter,
    today: NaiveDate,
    mut sink: impl FnMut(TaskRow) -> Result<(), E>,
) -> Result<i64, E> {
    use crate::export::{EXPORT_CHUNK, EXPORT_LIMIT};
    // One person's tasks: a chunk at a time by offset is enough.
    let mut count = 0;
    loop {
        let size = EXPORT_CHUNK.min(EXPORT_LIMIT - count);
        if size <= 0 {
            return Ok(count);
        }
        let rows = rows_assigned_to(conn, staff_id, filter, today, size, count)?;
        let read = rows.len() as i64;
        for row in rows {
            sink(row)?;
        }
        count += read;
        if read < size {
            return Ok(count);
        }
    }
}

fn rows_assigned_to(
    conn: &mut PgConnection,
    staff_id: i64,
    filter: ListFilter,
    today: NaiveDate,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<TaskRow>> {
    let status = match filter {
        ListFilter::Open => "open",
        ListFilter::Done => "done",
        ListFilter::All => "",
    };
    let sql = format!(
        "{ROW_SELECT} WHERE t.assignee_staff_id = $1 AND ($2 = '' OR t.status = $2) \
         ORDER BY CASE WHEN t.status = 'done' THEN 4 WHEN t.due_date IS NULL THEN 3 \
         WHEN t.due_date < $3 THEN 0 WHEN t.due_date = $3 THEN 1 ELSE 2 END, \
         t.due_date NULLS LAST, \
         CASE t.priority WHEN 'high' THEN 0 WHEN 'normal' THEN 1 ELSE 2 END, \
         t.completed_at DESC NULLS LAST, t.id \
         LIMIT $4 OFFSET $5"
    );
    // Kept prepared (the text is the same on every call): parsing it cost more than running it.
    Prepared(
        diesel::sql_query(sql)
            .bind::<BigInt, _>(staff_id)
            .bind::<Text, _>(status)
            .bind::<Date, _>(today)
            .bind::<BigInt, _>(limit)
            .bind::<BigInt, _>(offset),
    )
    .load(conn)
}

/// Open tasks about record `id` of `kind`, soonest first (at most 50).
pub fn open_about(conn: &mut PgConnection, kind: EntityType, id: i64) -> QueryResult<Vec<TaskRow>> {
    diesel::sql_query(format!(
        "{ROW_SELECT} WHERE t.entity_type = $1 AND t.entity_id = $2 AND t.status = 'open' \
         ORDER BY t.due_date NULLS LAST, t.id LIMIT 50"
    ))
    .bind::<Text, _>(kind.code())
    .bind::<BigInt, _>(id)
    .load(conn)
}

/// Task `id`.
pub fn row(conn: &mut PgConnection, id: i64) -> QueryResult<Option<TaskRow>> {
    diesel::sql_query(format!("{ROW_SELECT} WHERE t.id = $1"))
        .bind::<BigInt, _>(id)
        .get_result(conn)
        .optional()
}

/// Task `id` if `staff_id` is its assignee or created it (to show it back to whoever just
/// created it, wherever it falls in their list).
pub fn row_seen_by(
    conn: &mut PgConnection,
    id: i64,
    staff_id: i64,
) -> QueryResult<Option<TaskRow>> {
    diesel::sql_query(format!(
        "{ROW_SELECT} WHERE t.id = $1 AND (t.assignee_staff_id = $2 OR t.created_by_staff_id = $2)"
    ))
    .bind::<BigInt, _>(id)
    .bind::<BigInt, _>(staff_id)
    .get_result(conn)
    .optional()
}

/// Active staff who can be given a task, by name: (id, name).
pub fn assignees(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    staff_users::table
        .filter(staff_users::active.eq(true))
        .order((staff_users::name, staff_users::id))
        .select((staff_users::id, staff_users::name))
        .limit(500)
        .load(conn)
}

fn active_staff_name(conn: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    staff_users::table
        .find(id)
        .filter(staff_users::active.eq(true))
        .select(staff_users::name)
        .first(conn)
        .optional()
}

/// Creates a task; the record it is about must be within `scope`. Audited as `task.created`.
pub fn create(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    task: &NewTask,
    by: &Actor,
) -> Result<i64, TaskError> {
    if active_staff_name(conn, task.assignee_staff_id)?.is_none() {
        return Err(TaskError::InvalidAssignee);
    }
    let about = match task.entity {
        Some((kind, id)) => Some(entity(conn, scope, kind, id)?.ok_or(TaskError::EntityNotFound)?),
        None => None,
    };
    let id: i64 = diesel::insert_into(tasks::table)
        .values((
            tasks::title.eq(&task.title),
            tasks::description.eq(&task.description),
            tasks::due_date.eq(task.due_date),
            tasks::priority.eq(task.priority.code()),
            tasks::assignee_staff_id.eq(task.assignee_staff_id),
            tasks::entity_type.eq(about.as_ref().map(|e| e.kind.code())),
            tasks::entity_id.eq(about.as_ref().map(|e| e.id)),
            tasks::customer_id.eq(about.as_ref().map(|e| e.customer_id)),
            tasks::created_by_staff_id.eq(by.staff_id),
        ))
        .returning(tasks::id)
        .get_result(conn)?;
    audit::record(
        conn,
        &audit::NewEntry {
            target_type: Some(audit::target::TASK),
            target_id: Some(id),
            details: json!({
                "titulo": task.title,
                "responsable": task.assignee_staff_id,
                "vence": task.due_date.map(|d| d.to_string()),
                "sobre": about.as_ref().map(|e| format!("{}:{}", e.kind.code(), e.id)),
            }),
            ..by.entry(Action::TaskCreated)
        },
    )?;
    Ok(id)
}

/// Whether `by` may complete or reassign a task assigned to `assignee`.
pub fn may_change(by: &Actor, assignee: i64) -> bool {
    assignee == by.staff_id || matches!(by.role, Role::Admin | Role::Supervisor)
}

/// The open-or-done task `id`, locked, if `by` may change it.
fn lock(conn: &mut PgConnection, id: i64, by: &Actor) -> Result<(i64, String), TaskError> {
    let found: Option<(i64, String)> = tasks::table
        .find(id)
        .select((tasks::assignee_staff_id, tasks::status))
        .for_update()
        .first(conn)
        .optional()?;
    match found {
        Some((assignee, status)) if may_change(by, assignee) => Ok((assignee, status)),
        _ => Err(TaskError::NotFound),
    }
}

/// Marks task `id` done (doing it twice changes nothing more). Audited as `task.completed`.
pub fn complete(conn: &mut PgConnection, id: i64, by: &Actor) -> Result<TaskRow, TaskError> {
    let (_, status) = lock(conn, id, by)?;
    if status != "done" {
        diesel::update(tasks::table.find(id))
            .set((tasks::status.eq("done"), tasks::completed_at.eq(Utc::now())))
            .execute(conn)?;
        audit::record(
            conn,
            &audit::NewEntry {
                target_type: Some(audit::target::TASK),
                target_id: Some(id),
                details: json!({ "estado": { "before": "open", "after": "done" } }),
                ..by.entry(Action::TaskCompleted)
            },
        )?;
    }
    row(conn, id)?.ok_or(TaskError::NotFound)
}

/// Gives task `id` to `to` (an active staff member). Audited as `task.reassigned`.
pub fn reassign(
    conn: &mut PgConnection,
    id: i64,
    to: i64,
    by: &Actor,
) -> Result<TaskRow, TaskError> {
    let (assignee, _) = lock(conn, id, by)?;
    if active_staff_name(conn, to)?.is_none() {
        return Err(TaskError::InvalidAssignee);
    }
    if assignee != to {
        diesel::update(tasks::table.find(id))
            .set(tasks::assignee_staff_id.eq(to))
            .execute(conn)?;
        audit::record(
            conn,
            &audit::NewEntry {
                target_type: Some(audit::target::TASK),
                target_id: Some(id),
                details: json!({ "responsable": { "before": assignee, "after": to } }),
                ..by.entry(Action::TaskReassigned)
            },
        )?;
    }
    row(conn, id)?.ok_or(TaskError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(due: Option<NaiveDate>, status: &str) -> TaskRow {
        TaskRow {
            id: 1,
            title: "Llamar".into(),
            description: String::new(),
            due_date: due,
            priority: Priority::Normal,
            status: status.into(),
            assignee_staff_id: 1,
            assignee_name: "Ana".into(),
            entity_type: Some("claim".into()),
            entity_id: Some(7),
            customer_id: None,
            completed_at: None,
        }
    }

    #[test]
    fn tasks_fall_into_groups_by_due_date() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d);
        assert_eq!(task(day(22), "open").group(today), Group::Overdue);
        assert_eq!(task(day(23), "open").group(today), Group::Today);
        assert_eq!(task(day(24), "open").group(today), Group::Later);
        assert_eq!(task(None, "open").group(today), Group::Undated);
        assert_eq!(task(day(1), "done").group(today), Group::Done);
        assert_eq!(
            task(None, "open").entity_path().as_deref(),
            Some("/admin/siniestros/7")
        );
    }

    #[test]
    fn codes_parse_back() {
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.code()), Some(p));
        }
        for e in [EntityType::Customer, EntityType::Policy, EntityType::Claim] {
            assert_eq!(EntityType::parse(e.code()), Some(e));
        }
        for f in [ListFilter::Open, ListFilter::Done, ListFilter::All] {
            assert_eq!(ListFilter::parse(f.code()), Some(f));
        }
    }
}
