//! What needs a staff member's attention today: their tasks, policies about to expire and
//! open claims, with counts. Four indexed statements, each bounded.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Date, Nullable};

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::db::prepared::{FixedLimit, Prepared};
use crate::db::schema::{claims, customers, open_claim_counts, policies, policy_end_counts, tasks};

/// How many items of each kind the home page lists.
const LISTED: i64 = 5;
pub const EXPIRING_WITHIN_DAYS: i64 = 30;
/// New leads are counted up to this many; beyond it the page says "más de 1.000".
pub const NEW_LEADS_CAP: i64 = 1_000;
/// The end of the capped new-leads count: `NEW_LEADS_CAP + 1` rows at most.
const NEW_LEADS_LIMIT: &str = " LIMIT 1001) AS capped)";

#[derive(Debug, Clone, Queryable)]
pub struct TaskItem {
    pub id: i64,
    pub title: String,
    pub due_date: Option<NaiveDate>,
    pub priority: String,
    pub entity_type: Option<String>,
    pub entity_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// The client the task concerns, when it concerns one.
    pub customer_name: Option<String>,
}

impl TaskItem {
    /// The page of the record the task is about, or of its client when it names no record.
    pub fn path(&self) -> Option<String> {
        crate::tasks::entity_path(self.entity_type.as_deref(), self.entity_id).or_else(|| {
            self.customer_id
                .map(|id| crate::tasks::EntityType::Customer.path(id))
        })
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct PolicyItem {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub end_date: NaiveDate,
}

#[derive(Debug, Clone, Queryable)]
pub struct ClaimItem {
    pub id: i64,
    pub number: String,
    pub customer_name: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub open_tasks: i64,
    pub overdue_tasks: i64,
    pub tasks_due_today: i64,
    pub tasks: Vec<TaskItem>,
    pub expiring_policies: i64,
    pub expiring: Vec<PolicyItem>,
    pub open_claims: i64,
    pub claims: Vec<ClaimItem>,
    /// Leads still in the `new` stage (an agent's own), counted up to [`NEW_LEADS_CAP`] + 1;
    /// `None` for roles without leads.
    pub new_leads: Option<i64>,
}

impl Overview {
    /// "0", "1.000", "más de 1.000": the new leads as the page shows them.
    pub fn new_leads_label(&self) -> Option<String> {
        self.new_leads.map(|n| {
            if n > NEW_LEADS_CAP {
                format!("más de {}", crate::format::thousands(NEW_LEADS_CAP))
            } else {
                crate::format::thousands(n)
            }
        })
    }
}

/// Claims still open: the predicate of the partial `claims_queue_idx`, written out for the
/// same reason as the expiring policies' status.
const OPEN_CLAIM: &str = "claims.status <> ALL (ARRAY['paid', 'closed', 'rejected'])";

pub fn for_staff(
    conn: &mut PgConnection,
    staff_id: i64,
    role: Role,
    today: NaiveDate,
) -> QueryResult<Overview> {
    let scope = PortfolioScope::of(staff_id, role);
    let mut overview = Overview::default();

    // A staff member's own open tasks come with their counts in the same statement: a window
    // over every row the filter keeps, computed before the LIMIT (one round trip instead of
    // four; a person's open tasks are few). An empty list means every count is zero.
    type TaskRow = (TaskItem, i64, i64, i64);
    let tasks_query = tasks::table
        .filter(tasks::assignee_staff_id.eq(staff_id))
        .filter(tasks::status.eq("open"))
        .left_join(customers::table.on(tasks::customer_id.eq(customers::id.nullable())))
        .order((tasks::due_date.asc().nulls_last(), tasks::id))
        .select((
            (
                tasks::id,
                tasks::title,
                tasks::due_date,
                tasks::priority,
                tasks::entity_type,
                tasks::entity_id,
                tasks::customer_id,
                customers::display_name.nullable(),
            ),
            sql::<BigInt>("count(*) OVER ()"),
            sql::<BigInt>("count(*) FILTER (WHERE tasks.due_date < ")
                .bind::<Date, _>(today)
                .sql(") OVER ()"),
            sql::<BigInt>("count(*) FILTER (WHERE tasks.due_date = ")
                .bind::<Date, _>(today)
                .sql(") OVER ()"),
        ));
    // Kept prepared (its fragments are constants) with the list's length in its text, like
    // the two lists below: PostgreSQL then plans each once per connection, not per request.
    let task_rows: Vec<TaskRow> = Prepared(FixedLimit(tasks_query, LISTED)).load(conn)?;
    if let Some((_, open, overdue, due_today)) = task_rows.first() {
        overview.open_tasks = *open;
        overview.overdue_tasks = *overdue;
        overview.tasks_due_today = *due_today;
    }
    overview.tasks = task_rows.into_iter().map(|(task, ..)| task).collect();

    let horizon = today + Duration::days(EXPIRING_WITHIN_DAYS);
    let mut expiring = policies::table
        .inner_join(customers::table)
        // Written, not bound: a generic plan only uses the partial `policies_expiring_idx`
        // (`WHERE status = 'active'`) when the statement itself says 'active'.
        .filter(sql::<Bool>("policies.status = 'active'"))
        .filter(policies::end_date.between(today, horizon))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        expiring = expiring.filter(customers::owner_staff_id.eq(owner));
    }
    let expiring = expiring.order((policies::end_date, policies::id)).select((
        policies::id,
        policies::number,
        customers::id,
        customers::display_name,
        policies::end_date,
    ));
    overview.expiring = Prepared(FixedLimit(expiring, LISTED)).load(conn)?;

    let mut open_claims = claims::table
        .inner_join(customers::table)
        .filter(sql::<Bool>(OPEN_CLAIM))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        open_claims = open_claims.filter(customers::owner_staff_id.eq(owner));
    }
    if role == Role::Claims {
        // A handler's queue: their claims and the ones nobody has taken yet.
        open_claims = open_claims.filter(
            claims::handler_staff_id
                .eq(staff_id)
                .or(claims::handler_staff_id.is_null()),
        );
    }
    let open_claims = open_claims.order((claims::opened_at, claims::id)).select((
        claims::id,
        claims::number,
        customers::display_name,
        claims::status,
        claims::opened_at,
    ));
    overview.claims = Prepared(FixedLimit(open_claims, LISTED)).load(conn)?;

    // The counts apart from the lists, in one statement. Expiring policies and open claims
    // from their running counts (`policy_end_counts`, `open_claim_counts`, kept by triggers on
    // policies, claims and customers): a few rows where counting read every matching policy
    // or claim with its customer. New leads are counted up to [`NEW_LEADS_CAP`] + 1 along
    // `leads_stage_idx` (all) or `leads_assigned_idx` (an agent's): a running count would be
    // one row every landing form's transaction updates, and they would commit one at a time.
    // A role without leads binds `false`, which PostgreSQL answers without reading.
    let mut expiring_count = policy_end_counts::table
        .filter(policy_end_counts::end_date.between(today, horizon))
        .select(sql::<BigInt>(
            "coalesce(sum(policy_end_counts.active), 0)::bigint",
        ))
        .into_boxed();
    let mut claims_count = open_claim_counts::table
        .select(sql::<BigInt>(
            "coalesce(sum(open_claim_counts.open), 0)::bigint",
        ))
        .into_boxed();
    let uses_leads = Permission::UseLeads.granted_to(role);
    let owner = scope.owner();
    // Two constant texts, one per scope, so that each is its own prepared statement with its
    // own plan.
    let (before_owner, after_owner) = match owner {
        Some(_) => (" AND leads.assigned_staff_id = ", ""),
        None => (" AND ", " IS NULL"),
    };
    let new_leads =
        sql::<BigInt>("(SELECT count(*) FROM (SELECT 1 FROM leads WHERE leads.stage = 'new' AND ")
            .bind::<Bool, _>(uses_leads)
            .sql(before_owner)
            .bind::<Nullable<BigInt>, _>(owner)
            .sql(after_owner)
            .sql(NEW_LEADS_LIMIT);
    if let Some(owner) = owner {
        expiring_count = expiring_count.filter(policy_end_counts::owner_staff_id.eq(owner));
        claims_count = claims_count.filter(open_claim_counts::owner_staff_id.eq(owner));
    }
    if role == Role::Claims {
        claims_count = claims_count.filter(
            open_claim_counts::handler_staff_id
                .eq(staff_id)
                .or(open_claim_counts::handler_staff_id.is_null()),
        );
    }
    let (expiring_count, claims_count, leads_count): (Option<i64>, Option<i64>, i64) =
        Prepared(diesel::select((
            expiring_count.single_value(),
            claims_count.single_value(),
            new_leads,
        )))
        .get_result(conn)?;
    overview.expiring_policies = expiring_count.unwrap_or(0);
    overview.open_claims = claims_count.unwrap_or(0);
    overview.new_leads = uses_leads.then_some(leads_count);

    Ok(overview)
}

/// Spanish label of a claim state (DOMAIN.md's words).
pub fn claim_status_label(status: &str) -> &'static str {
    match status {
        "open" => "Abierto",
        "in_progress" => "En trámite",
        "assessed" => "Peritado",
        "accepted" => "Aceptado",
        "rejected" => "Rechazado",
        "paid" => "Pagado",
        "closed" => "Cerrado",
        _ => "Desconocido",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_new_leads_count_reads_one_past_its_cap() {
        assert!(NEW_LEADS_LIMIT.contains(&format!("LIMIT {})", NEW_LEADS_CAP + 1)));
    }

    #[test]
    fn new_leads_beyond_the_cap_read_as_more_than() {
        let with = |n| Overview {
            new_leads: n,
            ..Overview::default()
        };
        assert_eq!(with(None).new_leads_label(), None);
        assert_eq!(with(Some(12)).new_leads_label().as_deref(), Some("12"));
        assert_eq!(
            with(Some(1_000)).new_leads_label().as_deref(),
            Some("1.000")
        );
        assert_eq!(
            with(Some(1_001)).new_leads_label().as_deref(),
            Some("más de 1.000")
        );
    }
}
