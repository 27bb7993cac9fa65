//! Commands and queries of policies. Every function takes the staff member's
//! [`PortfolioScope`]: a policy of a customer outside it behaves as one that does not exist.
//! Commands record their audit entry on the same connection; run them in one transaction
//! (`db.transaction`), so that a refused or failed step writes nothing.

use std::collections::HashMap;

use chrono::{Months, NaiveDate};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Deserialize;
use serde_json::json;

use crate::audit::{self, Action};
use crate::auth::permissions::PortfolioScope;
use crate::db::DbError;
use crate::db::prepared::{FixedLimit, Prepared};
use crate::db::schema::{
    audit_log, carriers, customers, lines_of_business, policies, policy_counts,
    policy_endorsements, policy_periods, products, staff_users,
};
use crate::format::date;
use crate::listing::{self, Cursor, Direction, PAGE_SIZE, Page};
use crate::money::parse_cents;
use crate::policies::model::*;
use crate::policies::rules::*;
use crate::validation::{FieldErrors, Validated, parse_date};

/// The `target_type` of audit entries about a policy.
pub const AUDIT_TARGET: &str = audit::target::POLICY;

diesel::define_sql_function!(fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Why a policy command did not happen.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// No such policy in the staff member's scope.
    #[error("policy not found")]
    NotFound,
    /// Field messages for the form.
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The life cycle does not allow it now; the message says why.
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(DbError),
}

impl From<DbError> for PolicyError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(DieselError::NotFound) => PolicyError::NotFound,
            other => PolicyError::Database(other),
        }
    }
}

impl From<DieselError> for PolicyError {
    fn from(error: DieselError) -> Self {
        DbError::from(error).into()
    }
}

fn invalid(field: &'static str, message: impl Into<String>) -> PolicyError {
    let mut errors = FieldErrors::new();
    errors.add(field, message);
    PolicyError::Invalid(errors)
}

pub use crate::audit::Actor;

/// Records `action` on policy `policy_id` by `by`.
fn record(
    conn: &mut PgConnection,
    by: &Actor,
    action: Action,
    policy_id: i64,
    details: serde_json::Value,
) -> QueryResult<()> {
    by.record(conn, action, AUDIT_TARGET, policy_id, details)
}

pub use crate::time::today;

fn one_year_after(day: NaiveDate) -> NaiveDate {
    day.checked_add_months(Months::new(12)).unwrap_or(day)
}

// ---------------------------------------------------------------------------------------------
// Creating a policy

/// The new-policy form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PolicyForm {
    pub cliente: String,
    /// What was typed in the customer picker's search (not stored).
    pub buscar: String,
    pub compania: String,
    pub producto: String,
    pub numero: String,
    pub efecto: String,
    pub vencimiento: String,
    pub prima_neta: String,
    pub prima_total: String,
    pub forma_pago: String,
    pub agente: String,
    /// Why the policy is issued without a quote's distribution record (a transfer from
    /// another broker, a portfolio taken over...). Required when there is no quote.
    pub motivo_sin_presupuesto: String,
    #[serde(flatten)]
    pub risk: RiskInput,
}

/// A customer as the policy pages need it.
#[derive(Debug, Clone, Queryable)]
pub struct CustomerRef {
    pub id: i64,
    pub display_name: String,
    pub owner_staff_id: Option<i64>,
}

/// The customer `id` when it is in `scope` (and not merged into another).
pub fn customer_in_scope(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> QueryResult<Option<CustomerRef>> {
    let mut query = customers::table
        .filter(customers::id.eq(id))
        .filter(customers::merged_into_id.is_null())
        .select((
            customers::id,
            customers::display_name,
            customers::owner_staff_id,
        ))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.first(conn).optional()
}

/// What a new policy needs to know of its product.
#[derive(Debug, Clone)]
pub struct ProductFacts {
    pub carrier_id: i64,
    pub line_id: i64,
    pub line_code: String,
}

fn product_facts(conn: &mut PgConnection, id: i64) -> QueryResult<Option<ProductFacts>> {
    products::table
        .inner_join(lines_of_business::table)
        .filter(products::id.eq(id))
        .filter(products::active.eq(true))
        .select((
            products::carrier_id,
            products::line_id,
            lines_of_business::code,
        ))
        .first::<(i64, i64, String)>(conn)
        .optional()
        .map(|row| {
            row.map(|(carrier_id, line_id, line_code)| ProductFacts {
                carrier_id,
                line_id,
                line_code,
            })
        })
}

/// The line of business code of product `id`, for showing the right risk fields.
pub fn line_code_of_product(conn: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    Ok(product_facts(conn, id)?.map(|p| p.line_code))
}

fn number_taken(conn: &mut PgConnection, carrier_id: i64, number: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        policies::table
            .filter(policies::carrier_id.eq(carrier_id))
            .filter(policies::number.eq(number)),
    ))
    .get_result(conn)
}

const DUPLICATE_NUMBER: &str = "Ya existe una póliza con ese número en esta compañía.";

fn parse_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

fn active_staff_exists(conn: &mut PgConnection, id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        staff_users::table
            .filter(staff_users::id.eq(id))
            .filter(staff_users::active.eq(true))
            .filter(staff_users::role.ne("claims")),
    ))
    .get_result(conn)
}

/// What the rules of a new policy ask of the book. The form asks the database one question at
/// a time ([`Live`]); an import, which checks thousands of rows, answers from what it read
/// once per batch.
pub trait PolicyFacts {
    /// The customer, when in the checker's scope and not merged.
    fn customer(&mut self, id: i64) -> QueryResult<Option<CustomerRef>>;
    fn carrier_active(&mut self, id: i64) -> QueryResult<bool>;
    /// The product, when active.
    fn product(&mut self, id: i64) -> QueryResult<Option<ProductFacts>>;
    fn number_taken(&mut self, carrier_id: i64, number: &str) -> QueryResult<bool>;
    /// An active staff member who may hold a portfolio (claims handlers do not).
    fn agent_active(&mut self, id: i64) -> QueryResult<bool>;
}

/// The book as it is now, asked question by question.
pub struct Live<'a> {
    pub conn: &'a mut PgConnection,
    pub scope: PortfolioScope,
}

impl PolicyFacts for Live<'_> {
    fn customer(&mut self, id: i64) -> QueryResult<Option<CustomerRef>> {
        customer_in_scope(self.conn, self.scope, id)
    }

    fn carrier_active(&mut self, id: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(
            carriers::table
                .filter(carriers::id.eq(id))
                .filter(carriers::active.eq(true)),
        ))
        .get_result(self.conn)
    }

    fn product(&mut self, id: i64) -> QueryResult<Option<ProductFacts>> {
        product_facts(self.conn, id)
    }

    fn number_taken(&mut self, carrier_id: i64, number: &str) -> QueryResult<bool> {
        number_taken(self.conn, carrier_id, number)
    }

    fn agent_active(&mut self, id: i64) -> QueryResult<bool> {
        active_staff_exists(self.conn, id)
    }
}

#[derive(Insertable)]
#[diesel(table_name = policies)]
struct NewPolicyRow<'a> {
    customer_id: i64,
    carrier_id: i64,
    product_id: i64,
    line_id: i64,
    number: &'a str,
    risk: serde_json::Value,
    start_date: NaiveDate,
    end_date: NaiveDate,
    net_premium_cents: i64,
    total_premium_cents: i64,
    payment_frequency: &'static str,
    agent_staff_id: Option<i64>,
    sale_exemption: Option<&'a str>,
}

/// Creates a policy from the form: checks every field ([`check_new`]), inserts the policy and
/// its first period with its receipts and records `policy.created` ([`insert_new`]). Returns
/// its id.
///
/// A policy sold through a quote is issued by accepting the quote, which carries its
/// distribution record (RDL 3/2020); one typed here has no quote, so the form must say why
/// (`motivo_sin_presupuesto`), and that reason is kept with the policy.
pub fn create(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    form: &PolicyForm,
    by: &Actor,
    today: NaiveDate,
) -> Result<i64, PolicyError> {
    let checked = check_new(conn, scope, form, today);
    if form.motivo_sin_presupuesto.trim().is_empty() {
        let mut errors = match checked {
            Err(PolicyError::Invalid(errors)) => errors,
            Err(other) => return Err(other),
            Ok(_) => FieldErrors::new(),
        };
        errors.add("motivo_sin_presupuesto", SALE_EXEMPTION_NEEDED);
        return Err(PolicyError::Invalid(errors));
    }
    insert_new(conn, &checked?, by)
}

/// Why a policy typed without a quote is refused.
pub const SALE_EXEMPTION_NEEDED: &str = "Explique por qué se da de alta sin presupuesto (por ejemplo, traspaso desde otro mediador): sin presupuesto no hay registro de exigencias y necesidades ni de la información previa.";

/// Reasons staff usually give for a policy without a quote (the form suggests them).
pub const SALE_EXEMPTION_SUGGESTIONS: &[&str] = &[
    "Traspaso de la póliza desde otro mediador",
    "Póliza contratada directamente con la compañía y cedida a la correduría",
    "Incorporación de la cartera de otro mediador",
    "Sustitución de una póliza anterior del mismo cliente, sin cambio de riesgo",
];

/// The reason kept with every imported policy.
pub const IMPORT_SALE_EXEMPTION: &str =
    "Incorporada por importación de cartera (vendida fuera de la aplicación)";

/// A new policy checked against the book, ready to insert.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPolicy {
    pub customer_id: i64,
    pub carrier_id: i64,
    pub product_id: i64,
    pub line_id: i64,
    pub number: String,
    pub risk: Risk,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub net_cents: i64,
    pub total_cents: i64,
    pub frequency: Frequency,
    pub agent_staff_id: Option<i64>,
    /// Why it is issued without a complete distribution record, when it is.
    pub sale_exemption: Option<String>,
}

/// Checks the new-policy form: the customer in scope, the product of that carrier, the number
/// free for the carrier, dates, premiums, the agent and the risk data of the product's line.
/// Reads only; every problem comes back at once as [`PolicyError::Invalid`].
pub fn check_new(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    form: &PolicyForm,
    today: NaiveDate,
) -> Result<NewPolicy, PolicyError> {
    check_new_with(&mut Live { conn, scope }, form, today)
}

/// [`check_new`] against any source of facts (see [`PolicyFacts`]).
pub fn check_new_with(
    facts: &mut impl PolicyFacts,
    form: &PolicyForm,
    today: NaiveDate,
) -> Result<NewPolicy, PolicyError> {
    let mut errors = FieldErrors::new();

    let customer = match parse_id(&form.cliente) {
        Some(id) => facts.customer(id)?,
        None => None,
    };
    if customer.is_none() {
        errors.add("cliente", "Elija un cliente.");
    }

    let carrier_id = match parse_id(&form.compania) {
        Some(id) => facts.carrier_active(id)?.then_some(id),
        None => None,
    };
    if carrier_id.is_none() {
        errors.add("compania", "Elija una compañía.");
    }

    let product_id = parse_id(&form.producto);
    let product = match product_id {
        Some(id) => facts.product(id)?,
        None => None,
    };
    match (&product, carrier_id) {
        (None, _) => errors.add("producto", "Elija un producto."),
        (Some(p), Some(carrier)) if p.carrier_id != carrier => errors.add(
            "producto",
            "El producto elegido no es de esa compañía: elija uno de sus productos.",
        ),
        _ => {}
    }

    let number = form.numero.trim().to_uppercase();
    if number.is_empty() {
        errors.add("numero", "Escriba el número de póliza.");
    } else if number.chars().count() > 40 {
        errors.add(
            "numero",
            "El número de póliza tiene como mucho 40 caracteres.",
        );
    } else if let Some(carrier) = carrier_id
        && facts.number_taken(carrier, &number)?
    {
        errors.add("numero", DUPLICATE_NUMBER);
    }

    let start = parse_date(&form.efecto)
        .map_err(|m| errors.add("efecto", m))
        .ok();
    let end = if form.vencimiento.trim().is_empty() {
        start.map(one_year_after)
    } else {
        parse_date(&form.vencimiento)
            .map_err(|m| errors.add("vencimiento", m))
            .ok()
    };
    if let (Some(start), Some(end)) = (start, end)
        && end <= start
    {
        errors.add(
            "vencimiento",
            "El vencimiento debe ser posterior a la fecha de efecto.",
        );
    }

    let net = parse_cents(&form.prima_neta)
        .map_err(|m| errors.add("prima_neta", m))
        .ok();
    let total = parse_cents(&form.prima_total)
        .map_err(|m| errors.add("prima_total", m))
        .ok();
    if let (Some(net), Some(total)) = (net, total)
        && total < net
    {
        errors.add(
            "prima_total",
            "La prima total no puede ser menor que la prima neta.",
        );
    }

    let frequency = Frequency::parse(form.forma_pago.trim());
    if frequency.is_none() {
        errors.add("forma_pago", "Elija la forma de pago.");
    }

    let agent = if form.agente.trim().is_empty() {
        customer.as_ref().and_then(|c| c.owner_staff_id)
    } else {
        match parse_id(&form.agente) {
            Some(id) if facts.agent_active(id)? => Some(id),
            _ => {
                errors.add("agente", "Elija un agente de la lista.");
                None
            }
        }
    };

    let risk = product.as_ref().and_then(|p| {
        parse_risk_into(
            RiskKind::for_line(&p.line_code),
            &form.risk,
            today,
            &mut errors,
        )
    });
    let sale_exemption = Some(form.motivo_sin_presupuesto.trim())
        .filter(|reason| !reason.is_empty())
        .map(str::to_owned);
    if sale_exemption
        .as_ref()
        .is_some_and(|reason| reason.chars().count() > 1000)
    {
        errors.add(
            "motivo_sin_presupuesto",
            "Escriba como mucho 1000 caracteres.",
        );
    }

    let (
        Some(customer),
        Some(carrier_id),
        Some(product_id),
        Some(product),
        Some(start),
        Some(end),
        Some(net),
        Some(total),
        Some(frequency),
        Some(risk),
    ) = (
        customer, carrier_id, product_id, product, start, end, net, total, frequency, risk,
    )
    else {
        return Err(PolicyError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(PolicyError::Invalid(errors));
    }
    Ok(NewPolicy {
        customer_id: customer.id,
        carrier_id,
        product_id,
        line_id: product.line_id,
        number,
        risk,
        start,
        end,
        net_cents: net,
        total_cents: total,
        frequency,
        agent_staff_id: agent,
        sale_exemption,
    })
}

/// Inserts a checked policy, its first period and that period's receipts, and records
/// `policy.created`. Returns its id. Call inside a transaction.
pub fn insert_new(
    conn: &mut PgConnection,
    policy: &NewPolicy,
    by: &Actor,
) -> Result<i64, PolicyError> {
    let NewPolicy {
        customer_id,
        carrier_id,
        product_id,
        line_id,
        ref number,
        ref risk,
        start,
        end,
        net_cents: net,
        total_cents: total,
        frequency,
        agent_staff_id: agent,
        ref sale_exemption,
    } = *policy;
    let risk_json = serde_json::to_value(risk).map_err(|e| {
        PolicyError::Database(DbError::Query(DieselError::SerializationError(Box::new(e))))
    })?;
    let inserted = diesel::insert_into(policies::table)
        .values(NewPolicyRow {
            customer_id,
            carrier_id,
            product_id,
            line_id,
            number,
            risk: risk_json.clone(),
            start_date: start,
            end_date: end,
            net_premium_cents: net,
            total_premium_cents: total,
            payment_frequency: frequency.code(),
            agent_staff_id: agent,
            sale_exemption: sale_exemption.as_deref(),
        })
        .returning(policies::id)
        .get_result::<i64>(conn);
    let id = match inserted {
        Ok(id) => id,
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(invalid("numero", DUPLICATE_NUMBER));
        }
        Err(other) => return Err(other.into()),
    };
    diesel::insert_into(policy_periods::table)
        .values((
            policy_periods::policy_id.eq(id),
            policy_periods::start_date.eq(start),
            policy_periods::end_date.eq(end),
            policy_periods::net_premium_cents.eq(net),
            policy_periods::total_premium_cents.eq(total),
            policy_periods::created_by_staff_id.eq(by.staff()),
        ))
        .execute(conn)?;
    crate::receipts::generate_for_policy(conn, id)?;
    record(
        conn,
        by,
        Action::PolicyCreated,
        id,
        created_details(policy, risk_json),
    )?;
    Ok(id)
}

/// What the audit log keeps of a new policy.
fn created_details(policy: &NewPolicy, risk: serde_json::Value) -> serde_json::Value {
    json!({
        "numero": policy.number,
        "cliente": policy.customer_id,
        "compania": policy.carrier_id,
        "producto": policy.product_id,
        "efecto": policy.start,
        "vencimiento": policy.end,
        "prima_neta": policy.net_cents,
        "prima_total": policy.total_cents,
        "forma_pago": policy.frequency.code(),
        "agente": policy.agent_staff_id,
        "riesgo": risk,
    })
}

/// Inserts many checked new policies at once (an import's batch), as [`insert_new`] would one
/// by one: the policies, their first periods, their receipts and one audit entry each, in a
/// handful of statements. A number taken meanwhile fails the whole call with a unique
/// violation; the caller then goes row by row. Returns the ids in the order given.
pub fn insert_many(
    conn: &mut PgConnection,
    new: &[&NewPolicy],
    by: &Actor,
) -> QueryResult<Vec<i64>> {
    if new.is_empty() {
        return Ok(Vec::new());
    }
    let risks = new
        .iter()
        .map(|policy| serde_json::to_value(&policy.risk))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| DieselError::SerializationError(Box::new(e)))?;
    let rows: Vec<NewPolicyRow> = new
        .iter()
        .zip(&risks)
        .map(|(policy, risk)| NewPolicyRow {
            customer_id: policy.customer_id,
            carrier_id: policy.carrier_id,
            product_id: policy.product_id,
            line_id: policy.line_id,
            number: &policy.number,
            risk: risk.clone(),
            start_date: policy.start,
            end_date: policy.end,
            net_premium_cents: policy.net_cents,
            total_premium_cents: policy.total_cents,
            payment_frequency: policy.frequency.code(),
            agent_staff_id: policy.agent_staff_id,
            sale_exemption: policy.sale_exemption.as_deref(),
        })
        .collect();
    let inserted: HashMap<(i64, String), i64> = diesel::insert_into(policies::table)
        .values(&rows)
        .returning((policies::carrier_id, policies::number, policies::id))
        .get_results::<(i64, String, i64)>(conn)?
        .into_iter()
        .map(|(carrier, number, id)| ((carrier, number), id))
        .collect();
    let ids: Vec<i64> = new
        .iter()
        .map(|policy| inserted[&(policy.carrier_id, policy.number.clone())])
        .collect();
    let periods: Vec<_> = new
        .iter()
        .zip(&ids)
        .map(|(policy, id)| {
            (
                policy_periods::policy_id.eq(*id),
                policy_periods::start_date.eq(policy.start),
                policy_periods::end_date.eq(policy.end),
                policy_periods::net_premium_cents.eq(policy.net_cents),
                policy_periods::total_premium_cents.eq(policy.total_cents),
                policy_periods::created_by_staff_id.eq(by.staff()),
            )
        })
        .collect();
    diesel::insert_into(policy_periods::table)
        .values(&periods)
        .execute(conn)?;
    crate::receipts::generate_for_policies(conn, &ids)?;
    let entries: Vec<audit::NewEntry> = new
        .iter()
        .zip(&ids)
        .zip(risks)
        .map(|((policy, id), risk)| audit::NewEntry {
            target_type: Some(AUDIT_TARGET),
            target_id: Some(*id),
            details: created_details(policy, risk),
            ..by.entry(Action::PolicyCreated)
        })
        .collect();
    audit::record_many(conn, &entries)?;
    Ok(ids)
}

// ---------------------------------------------------------------------------------------------
// Reading one policy

fn scoped_id(conn: &mut PgConnection, scope: PortfolioScope, id: i64) -> Result<(), PolicyError> {
    let mut query = policies::table
        .inner_join(customers::table)
        .filter(policies::id.eq(id))
        .select(policies::id)
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query
        .first::<i64>(conn)
        .optional()?
        .map(|_| ())
        .ok_or(PolicyError::NotFound)
}

/// Policy `id` if it is in `scope`.
pub fn find(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<Policy, PolicyError> {
    scoped_id(conn, scope, id)?;
    Ok(policies::table
        .find(id)
        .select(Policy::as_select())
        .first(conn)?)
}

/// The same, locked until the end of the transaction (for changes).
fn lock(conn: &mut PgConnection, scope: PortfolioScope, id: i64) -> Result<Policy, PolicyError> {
    scoped_id(conn, scope, id)?;
    Ok(policies::table
        .find(id)
        .for_update()
        .select(Policy::as_select())
        .first(conn)?)
}

/// Everything the policy page shows.
pub fn detail(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<PolicyDetail, PolicyError> {
    let policy = find(conn, scope, id)?;
    let (customer_name, carrier_name, product_name, line_code, line_name) = policies::table
        .inner_join(customers::table)
        .inner_join(carriers::table)
        .inner_join(products::table)
        .inner_join(lines_of_business::table)
        .filter(policies::id.eq(id))
        .select((
            customers::display_name,
            carriers::name,
            products::name,
            lines_of_business::code,
            lines_of_business::name,
        ))
        .first::<(String, String, String, String, String)>(conn)?;
    let agent_name = match policy.agent_staff_id {
        Some(agent) => staff_users::table
            .find(agent)
            .select(staff_users::name)
            .first::<String>(conn)
            .optional()?,
        None => None,
    };
    let periods = policy_periods::table
        .filter(policy_periods::policy_id.eq(id))
        .order(policy_periods::start_date.desc())
        .limit(100)
        .select(Period::as_select())
        .load(conn)?;
    let endorsements = policy_endorsements::table
        .filter(policy_endorsements::policy_id.eq(id))
        .order((
            policy_endorsements::effective_date.desc(),
            policy_endorsements::id.desc(),
        ))
        .limit(100)
        .select(Endorsement::as_select())
        .load(conn)?;
    let receipts = crate::receipts::of_policy(conn, id)?;
    let history = audit_log::table
        .filter(audit_log::target_type.eq(AUDIT_TARGET))
        .filter(audit_log::target_id.eq(id))
        .order((audit_log::occurred_at.desc(), audit_log::id.desc()))
        .limit(100)
        .select((
            audit_log::occurred_at,
            audit_log::actor_label,
            audit_log::action,
            audit_log::details,
        ))
        .load::<HistoryEntry>(conn)?;
    let renewal_premium_cents = renewal_premium(conn, policy.id, policy.end_date)?;
    Ok(PolicyDetail {
        renewal_premium_cents,
        policy,
        customer_name,
        carrier_name,
        product_name,
        line_code,
        line_name,
        agent_name,
        periods,
        endorsements,
        receipts,
        history,
    })
}

// ---------------------------------------------------------------------------------------------
// Status changes

fn change_status(
    conn: &mut PgConnection,
    policy: &Policy,
    action: StatusAction,
    audit_action: Action,
    reason: Option<String>,
    on: NaiveDate,
    by: &Actor,
) -> Result<Status, PolicyError> {
    let from = policy.status();
    let to = transition(from, action).map_err(|r| PolicyError::Refused(r.message.to_owned()))?;
    diesel::update(policies::table.find(policy.id))
        .set((
            policies::status.eq(to.code()),
            policies::status_reason.eq(&reason),
            policies::status_changed_on.eq(on),
            policies::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    record(
        conn,
        by,
        audit_action,
        policy.id,
        json!({
            "estado": {"before": from.code(), "after": to.code()},
            "motivo": reason,
            "fecha": on,
        }),
    )?;
    Ok(to)
}

/// Suspension form: reason and date.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SuspendForm {
    pub suspension_motivo: String,
    pub suspension_fecha: String,
}

/// Reactivation form: the date cover resumes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ReactivateForm {
    pub reactivacion_fecha: String,
}

/// Cancellation form: reason from the list, free text (required for "otro"), date.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct CancelForm {
    pub anulacion_motivo: String,
    pub anulacion_detalle: String,
    pub anulacion_fecha: String,
}

/// Renewal form: the new end date and the new period's premiums.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RenewForm {
    pub renovacion_vencimiento: String,
    pub renovacion_prima_neta: String,
    pub renovacion_prima_total: String,
}

/// Endorsement form: effective date, what changes, premium change (signed).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EndorseForm {
    pub suplemento_fecha: String,
    pub suplemento_descripcion: String,
    pub suplemento_prima: String,
}

/// Suspend a policy from a day, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspend {
    pub reason: String,
    pub on: NaiveDate,
}

/// Put a suspended policy back in force from a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reactivate {
    pub on: NaiveDate,
}

/// Cancel a policy from a day: the reason from the list and, for "otro", its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cancel {
    pub reason: CancelReason,
    pub detail: String,
    pub on: NaiveDate,
}

impl Cancel {
    /// The reason as the policy and its receipts record it.
    pub fn text(&self) -> String {
        if self.detail.is_empty() {
            self.reason.label().to_owned()
        } else {
            format!("{}: {}", self.reason.label(), self.detail)
        }
    }
}

/// Renew a policy up to a new end date, with the new period's premiums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Renew {
    pub end: NaiveDate,
    pub net_cents: i64,
    pub total_cents: i64,
}

/// Record an endorsement: effective day, what changes, and the premium change (signed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endorse {
    pub effective: NaiveDate,
    pub description: String,
    pub change_cents: i64,
}

impl SuspendForm {
    pub fn validate(&self) -> Validated<Suspend> {
        let mut errors = FieldErrors::new();
        let reason = form_text(
            &mut errors,
            "suspension_motivo",
            &self.suspension_motivo,
            500,
            "Escriba el motivo de la suspensión.",
        );
        let on = form_date(&mut errors, "suspension_fecha", &self.suspension_fecha);
        match (on, errors.is_empty()) {
            (Some(on), true) => Ok(Suspend { reason, on }),
            _ => Err(errors),
        }
    }
}

impl ReactivateForm {
    pub fn validate(&self) -> Validated<Reactivate> {
        let mut errors = FieldErrors::new();
        match form_date(&mut errors, "reactivacion_fecha", &self.reactivacion_fecha) {
            Some(on) => Ok(Reactivate { on }),
            None => Err(errors),
        }
    }
}

impl CancelForm {
    pub fn validate(&self) -> Validated<Cancel> {
        let mut errors = FieldErrors::new();
        let reason = CancelReason::parse(self.anulacion_motivo.trim());
        if reason.is_none() {
            errors.add("anulacion_motivo", "Elija el motivo de la anulación.");
        }
        let detail = self.anulacion_detalle.trim();
        if reason == Some(CancelReason::Other) && detail.is_empty() {
            errors.add("anulacion_detalle", "Explique el motivo de la anulación.");
        } else if detail.chars().count() > 500 {
            errors.add("anulacion_detalle", "Escriba como mucho 500 caracteres.");
        }
        let on = form_date(&mut errors, "anulacion_fecha", &self.anulacion_fecha);
        match (reason, on, errors.is_empty()) {
            (Some(reason), Some(on), true) => Ok(Cancel {
                reason,
                detail: detail.to_owned(),
                on,
            }),
            _ => Err(errors),
        }
    }
}

impl RenewForm {
    /// The values as typed (whether they fit the policy is the command's to check).
    pub fn validate(&self) -> Validated<Renew> {
        let mut errors = FieldErrors::new();
        let end = form_date(
            &mut errors,
            "renovacion_vencimiento",
            &self.renovacion_vencimiento,
        );
        let net = parse_cents(&self.renovacion_prima_neta)
            .map_err(|m| errors.add("renovacion_prima_neta", m))
            .ok();
        let total = parse_cents(&self.renovacion_prima_total)
            .map_err(|m| errors.add("renovacion_prima_total", m))
            .ok();
        if let (Some(net), Some(total)) = (net, total)
            && total < net
        {
            errors.add(
                "renovacion_prima_total",
                "La prima total no puede ser menor que la prima neta.",
            );
        }
        match (end, net, total, errors.is_empty()) {
            (Some(end), Some(net_cents), Some(total_cents), true) => Ok(Renew {
                end,
                net_cents,
                total_cents,
            }),
            _ => Err(errors),
        }
    }
}

impl EndorseForm {
    /// The values as typed (whether they fit the policy is the command's to check).
    pub fn validate(&self) -> Validated<Endorse> {
        let mut errors = FieldErrors::new();
        let effective = form_date(&mut errors, "suplemento_fecha", &self.suplemento_fecha);
        let description = form_text(
            &mut errors,
            "suplemento_descripcion",
            &self.suplemento_descripcion,
            2000,
            "Describa el cambio.",
        );
        let change = if self.suplemento_prima.trim().is_empty() {
            Some(0)
        } else {
            parse_signed_cents(&self.suplemento_prima)
                .map_err(|m| errors.add("suplemento_prima", m))
                .ok()
        };
        match (effective, change, errors.is_empty()) {
            (Some(effective), Some(change_cents), true) => Ok(Endorse {
                effective,
                description,
                change_cents,
            }),
            _ => Err(errors),
        }
    }
}

/// Refuses `action` when the policy's status does not allow it, before anything the form says.
fn allowed(policy: &Policy, action: StatusAction) -> Result<(), PolicyError> {
    transition(policy.status(), action)
        .map(|_| ())
        .map_err(|r| PolicyError::Refused(r.message.to_owned()))
}

fn form_date(errors: &mut FieldErrors, field: &'static str, text: &str) -> Option<NaiveDate> {
    parse_date(text).map_err(|m| errors.add(field, m)).ok()
}

fn form_text(
    errors: &mut FieldErrors,
    field: &'static str,
    text: &str,
    max: usize,
    missing: &'static str,
) -> String {
    let text = text.trim();
    if text.is_empty() {
        errors.add(field, missing);
    } else if text.chars().count() > max {
        errors.add(field, format!("Escriba como mucho {max} caracteres."));
    }
    text.to_owned()
}

/// Suspends an active policy.
pub fn suspend(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Suspend>,
    by: &Actor,
) -> Result<(), PolicyError> {
    let policy = lock(conn, scope, id)?;
    allowed(&policy, StatusAction::Suspend)?;
    let Suspend { reason, on } = command.map_err(PolicyError::Invalid)?;
    change_status(
        conn,
        &policy,
        StatusAction::Suspend,
        Action::PolicySuspended,
        Some(reason),
        on,
        by,
    )?;
    Ok(())
}

/// Puts a suspended policy back in force.
pub fn reactivate(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Reactivate>,
    by: &Actor,
) -> Result<(), PolicyError> {
    let policy = lock(conn, scope, id)?;
    allowed(&policy, StatusAction::Reactivate)?;
    let Reactivate { on } = command.map_err(PolicyError::Invalid)?;
    change_status(
        conn,
        &policy,
        StatusAction::Reactivate,
        Action::PolicyReactivated,
        None,
        on,
        by,
    )?;
    Ok(())
}

/// Cancels an active or suspended policy, with the reason, and its pending receipts.
pub fn cancel(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Cancel>,
    by: &Actor,
) -> Result<(), PolicyError> {
    let policy = lock(conn, scope, id)?;
    allowed(&policy, StatusAction::Cancel)?;
    let command = command.map_err(PolicyError::Invalid)?;
    let text = command.text();
    change_status(
        conn,
        &policy,
        StatusAction::Cancel,
        Action::PolicyCancelled,
        Some(text.clone()),
        command.on,
        by,
    )?;
    crate::receipts::cancel_pending_of_policy(conn, id, command.on, &text)?;
    Ok(())
}

/// Marks an active policy whose end date has passed (not renewed) as expired.
pub fn expire(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    today: NaiveDate,
    by: &Actor,
) -> Result<(), PolicyError> {
    let policy = lock(conn, scope, id)?;
    transition(policy.status(), StatusAction::Expire)
        .map_err(|r| PolicyError::Refused(r.message.to_owned()))?;
    if policy.end_date >= today {
        return Err(PolicyError::Refused(format!(
            "La póliza no vence hasta el {}.",
            date(policy.end_date)
        )));
    }
    change_status(
        conn,
        &policy,
        StatusAction::Expire,
        Action::PolicyExpired,
        Some("No renovada".to_owned()),
        policy.end_date,
        by,
    )?;
    Ok(())
}

/// Expires every active policy that ended more than the renewal grace period ago (30 days),
/// at most `limit` per call. Returns how many.
pub fn expire_overdue(
    conn: &mut PgConnection,
    today: NaiveDate,
    limit: i64,
    by: &Actor,
) -> Result<usize, PolicyError> {
    let cutoff = today - chrono::Duration::days(RENEWAL_DAYS_AFTER);
    let ids: Vec<i64> = policies::table
        .filter(policies::status.eq(Status::Active.code()))
        .filter(policies::end_date.lt(cutoff))
        .order((policies::end_date, policies::id))
        .limit(limit)
        .select(policies::id)
        .load(conn)?;
    for id in &ids {
        expire(conn, PortfolioScope::All, *id, today, by)?;
    }
    Ok(ids.len())
}

// ---------------------------------------------------------------------------------------------
// Renewals and endorsements

/// Renews an active policy for a new period starting at its current end date, with its own
/// premiums; the policy then mirrors the new period and the old one stays in the history.
pub fn renew(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Renew>,
    by: &Actor,
    today: NaiveDate,
) -> Result<(), PolicyError> {
    let policy = lock(conn, scope, id)?;
    if policy.status() != Status::Active {
        return Err(PolicyError::Refused(format!(
            "Solo se renuevan pólizas en vigor, y esta está {}.",
            policy.status().label().to_lowercase()
        )));
    }
    if !in_renewal_window(policy.end_date, today) {
        return Err(PolicyError::Refused(format!(
            "La renovación se hace entre {RENEWAL_DAYS_BEFORE} días antes y {RENEWAL_DAYS_AFTER} días después del vencimiento ({}).",
            date(policy.end_date)
        )));
    }
    let Renew {
        end,
        net_cents: net,
        total_cents: total,
    } = command.map_err(PolicyError::Invalid)?;
    if end <= policy.end_date {
        let mut errors = FieldErrors::new();
        errors.add(
            "renovacion_vencimiento",
            format!(
                "El nuevo vencimiento debe ser posterior al actual ({}).",
                date(policy.end_date)
            ),
        );
        return Err(PolicyError::Invalid(errors));
    }
    let start = policy.end_date;
    let inserted = diesel::insert_into(policy_periods::table)
        .values((
            policy_periods::policy_id.eq(id),
            policy_periods::start_date.eq(start),
            policy_periods::end_date.eq(end),
            policy_periods::net_premium_cents.eq(net),
            policy_periods::total_premium_cents.eq(total),
            policy_periods::created_by_staff_id.eq(by.staff()),
        ))
        .execute(conn);
    match inserted {
        Ok(_) => {}
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return Err(PolicyError::Refused(
                "La póliza ya está renovada para ese periodo.".to_owned(),
            ));
        }
        Err(other) => return Err(other.into()),
    }
    diesel::update(policies::table.find(id))
        .set((
            policies::start_date.eq(start),
            policies::end_date.eq(end),
            policies::net_premium_cents.eq(net),
            policies::total_premium_cents.eq(total),
            policies::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    crate::receipts::generate_for_policy(conn, id)?;
    record(
        conn,
        by,
        Action::PolicyRenewed,
        id,
        json!({
            "efecto": {"before": policy.start_date, "after": start},
            "vencimiento": {"before": policy.end_date, "after": end},
            "prima_neta": {"before": policy.net_premium_cents, "after": net},
            "prima_total": {"before": policy.total_premium_cents, "after": total},
        }),
    )?;
    Ok(())
}

/// Records an endorsement (suplemento) of an active policy: effective within the current
/// period; its premium change (may be negative) is applied to the policy's premiums.
pub fn endorse(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<Endorse>,
    by: &Actor,
) -> Result<(), PolicyError> {
    let policy = lock(conn, scope, id)?;
    if policy.status() != Status::Active {
        return Err(PolicyError::Refused(format!(
            "Solo se hacen suplementos de pólizas en vigor, y esta está {}.",
            policy.status().label().to_lowercase()
        )));
    }
    let Endorse {
        effective,
        description,
        change_cents: change,
    } = command.map_err(PolicyError::Invalid)?;
    let mut errors = FieldErrors::new();
    if effective < policy.start_date || effective >= policy.end_date {
        errors.add(
            "suplemento_fecha",
            format!(
                "La fecha de efecto debe estar dentro del periodo en curso ({} a {}).",
                date(policy.start_date),
                date(policy.end_date)
            ),
        );
    }
    let net = policy.net_premium_cents + change;
    let total = policy.total_premium_cents + change;
    if net < 0 {
        errors.add(
            "suplemento_prima",
            "Con ese cambio la prima neta quedaría negativa.",
        );
    }
    if !errors.is_empty() {
        return Err(PolicyError::Invalid(errors));
    }
    diesel::insert_into(policy_endorsements::table)
        .values((
            policy_endorsements::policy_id.eq(id),
            policy_endorsements::effective_date.eq(effective),
            policy_endorsements::description.eq(&description),
            policy_endorsements::premium_change_cents.eq(change),
            policy_endorsements::created_by_staff_id.eq(by.staff()),
        ))
        .execute(conn)?;
    diesel::update(policies::table.find(id))
        .set((
            policies::net_premium_cents.eq(net),
            policies::total_premium_cents.eq(total),
            policies::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    record(
        conn,
        by,
        Action::PolicyEndorsed,
        id,
        json!({
            "efecto": effective,
            "descripcion": description,
            "cambio_prima": change,
            "prima_neta": {"before": policy.net_premium_cents, "after": net},
            "prima_total": {"before": policy.total_premium_cents, "after": total},
        }),
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Lists

/// Filters of the portfolio list (all optional) and the keyset cursor.
#[derive(Debug, Clone, Default)]
pub struct PortfolioFilter {
    pub carrier_id: Option<i64>,
    pub line_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub status: Option<Status>,
    /// Part of the customer's name or of the policy number.
    pub text: String,
    pub cursor: Option<Cursor>,
    pub customer_id: Option<i64>,
}

macro_rules! policy_rows {
    () => {
        policies::table
            .inner_join(customers::table)
            .inner_join(carriers::table)
            .inner_join(products::table)
            .inner_join(lines_of_business::table)
            .left_join(
                staff_users::table.on(policies::agent_staff_id.eq(staff_users::id.nullable())),
            )
            .select((
                policies::id,
                policies::number,
                policies::status,
                policies::start_date,
                policies::end_date,
                policies::net_premium_cents,
                policies::total_premium_cents,
                customers::id,
                customers::display_name,
                carriers::name,
                lines_of_business::name,
                products::name,
                staff_users::name.nullable(),
            ))
            .into_boxed()
    };
}

/// The portfolio, newest first, [`PAGE_SIZE`] rows per page (keyset on id), with how many
/// policies match.
pub fn portfolio(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &PortfolioFilter,
) -> QueryResult<Page<PolicyRow>> {
    read_portfolio(conn, scope, filter, PAGE_SIZE + 1, true)
}

/// Every policy the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), newest first: what an export writes.
pub fn export_portfolio<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &PortfolioFilter,
    sink: impl FnMut(PolicyRow) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| {
            let filter = PortfolioFilter {
                cursor,
                ..filter.clone()
            };
            read_portfolio(conn, scope, &filter, size, false)
        },
        sink,
    )
}

/// Up to `limit` rows from the filter's cursor, counted when `count`.
fn read_portfolio(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &PortfolioFilter,
    limit: i64,
    count: bool,
) -> QueryResult<Page<PolicyRow>> {
    // The filters on the policy's own columns, for the rows and for the count alone.
    macro_rules! policy_filters {
        ($query:expr) => {{
            let mut query = $query;
            if let Some(carrier) = filter.carrier_id {
                query = query.filter(policies::carrier_id.eq(carrier));
            }
            if let Some(line) = filter.line_id {
                query = query.filter(policies::line_id.eq(line));
            }
            if let Some(agent) = filter.agent_id {
                query = query.filter(policies::agent_staff_id.eq(agent));
            }
            if let Some(status) = filter.status {
                query = query.filter(policies::status.eq(status.code()));
            }
            if let Some(customer) = filter.customer_id {
                query = query.filter(policies::customer_id.eq(customer));
            }
            query
        }};
    }
    let text = filter.text.trim();
    let filtered = || {
        let mut query = policy_filters!(policy_rows!());
        if let Some(owner) = scope.owner() {
            query = query.filter(customers::owner_staff_id.eq(owner));
        }
        if !text.is_empty() {
            let pattern = listing::contains(&text.to_lowercase());
            query = query.filter(
                lower(customers::display_name)
                    .like(pattern.clone())
                    .or(lower(policies::number).like(pattern)),
            );
        }
        query
    };
    let mut query = filtered();
    query = match filter.cursor {
        None => query.order(policies::id.desc()),
        Some(Cursor::After(id)) => query.filter(policies::id.lt(id)).order(policies::id.desc()),
        Some(Cursor::Before(id)) => query.filter(policies::id.gt(id)).order(policies::id.asc()),
    };
    let rows: Vec<PolicyRow> = FixedLimit(query, limit).load(conn)?;
    if !count {
        return Ok(Page::assemble(rows, None, limit, |r| r.id));
    }
    // Every policy has its customer, carrier, product and line (foreign keys, not null): the
    // count needs the joins only to filter on the customer (the agent's scope, the text).
    let total = if scope.owner().is_some() || !text.is_empty() {
        listing::count(conn, filtered)?
    } else {
        listing::count(conn, || {
            policy_filters!(policies::table.select(policies::id).into_boxed())
        })?
    };
    Ok(Page::assemble(rows, filter.cursor, PAGE_SIZE, |r| r.id).with_total(total))
}

/// The horizons the expiring list offers, in days.
pub const EXPIRING_HORIZONS: [i64; 4] = [7, 15, 30, 60];

/// Active policies ending from `today` to `today + days`, soonest first (keyset on
/// end date and id, served by `policies_expiring_idx`).
pub fn expiring(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    today: NaiveDate,
    days: i64,
    cursor: Option<Cursor>,
) -> QueryResult<Page<PolicyRow>> {
    let until = today + chrono::Duration::days(days);
    let filtered = || {
        let mut query = policy_rows!()
            .filter(policies::status.eq(Status::Active.code()))
            .filter(policies::end_date.ge(today))
            .filter(policies::end_date.le(until));
        if let Some(owner) = scope.owner() {
            query = query.filter(customers::owner_staff_id.eq(owner));
        }
        query
    };
    let mut query = filtered();
    let key: Option<NaiveDate> = match cursor {
        Some(cursor) => policies::table
            .find(cursor.id())
            .select(policies::end_date)
            .first(conn)
            .optional()?,
        None => None,
    };
    let forward = Cursor::direction(cursor) == Direction::Forward;
    if let (Some(cursor), Some(end)) = (cursor, key) {
        let id = cursor.id();
        query = if forward {
            query.filter(
                policies::end_date
                    .gt(end)
                    .or(policies::end_date.eq(end).and(policies::id.gt(id))),
            )
        } else {
            query.filter(
                policies::end_date
                    .lt(end)
                    .or(policies::end_date.eq(end).and(policies::id.lt(id))),
            )
        };
    }
    query = if forward {
        query.order((policies::end_date.asc(), policies::id.asc()))
    } else {
        query.order((policies::end_date.desc(), policies::id.desc()))
    };
    let rows: Vec<PolicyRow> = query.limit(PAGE_SIZE + 1).load(conn)?;
    let total = listing::count(conn, filtered)?;
    Ok(Page::assemble(rows, cursor, PAGE_SIZE, |r| r.id).with_total(total))
}

/// Policies in force per carrier and line.
pub fn counts(conn: &mut PgConnection, scope: PortfolioScope) -> QueryResult<Vec<PortfolioCount>> {
    // From the running counts (`policy_counts`, kept by triggers on policies and customers):
    // a few rows per carrier and line rather than every policy in force.
    let owner = scope.owner();
    let counts = policy_counts::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(policy_counts::active.gt(0))
        .filter(
            owner
                .is_none()
                .into_sql::<diesel::sql_types::Bool>()
                .or(policy_counts::owner_staff_id.eq(owner)),
        )
        .group_by((carriers::name, lines_of_business::name))
        .select((
            carriers::name,
            lines_of_business::name,
            diesel::dsl::sql::<diesel::sql_types::BigInt>("sum(policy_counts.active)::bigint"),
        ))
        .order((carriers::name, lines_of_business::name));
    // Kept prepared: its fragments are constants.
    Prepared(counts).load(conn)
}

// ---------------------------------------------------------------------------------------------
// Options of the form's selects

/// Customers in scope matching what was typed in a form's customer picker (name, tax id,
/// phone, e-mail or town, the way the header search finds them); none for an empty search.
pub fn customer_matches(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    text: &str,
) -> QueryResult<Vec<crate::search::CustomerHit>> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let reach = crate::search::Reach {
        scope,
        leads: false,
        records: false,
    };
    Ok(crate::search::everything(conn, reach, text)?.customers)
}

/// Active products of active carriers, grouped by carrier.
pub fn product_options(conn: &mut PgConnection) -> QueryResult<Vec<ProductOption>> {
    products::table
        .inner_join(carriers::table)
        .inner_join(lines_of_business::table)
        .filter(products::active.eq(true))
        .filter(carriers::active.eq(true))
        .order((carriers::name, lines_of_business::position, products::name))
        .select((
            products::id,
            products::name,
            carriers::id,
            carriers::name,
            lines_of_business::code,
            lines_of_business::name,
        ))
        .load(conn)
}

/// Staff who can carry a portfolio (everyone active but claims handlers).
pub fn agent_options(conn: &mut PgConnection) -> QueryResult<Vec<NamedOption>> {
    staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.ne("claims"))
        .order((staff_users::name, staff_users::id))
        .limit(200)
        .select((staff_users::id, staff_users::name))
        .load(conn)
}

/// The form that records the premium the carrier announced for the next period.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct RenewalPremiumForm {
    pub prima_renovacion: String,
}

impl RenewalPremiumForm {
    /// The premium in cents, or the message next to the field.
    pub fn validate(&self) -> Validated<i64> {
        let mut errors = FieldErrors::new();
        match crate::money::parse_cents(&self.prima_renovacion) {
            Ok(cents) if cents > 0 => return Ok(cents),
            Ok(_) => errors.add("prima_renovacion", "La prima debe ser mayor que cero."),
            Err(message) => errors.add("prima_renovacion", message),
        }
        Err(errors)
    }
}

/// The renewal premium recorded for the period ending `end`.
pub fn renewal_premium(
    conn: &mut PgConnection,
    policy_id: i64,
    end: NaiveDate,
) -> QueryResult<Option<i64>> {
    use crate::db::schema::policy_renewal_terms as terms;
    terms::table
        .find((policy_id, end))
        .select(terms::new_premium_cents)
        .first(conn)
        .optional()
}

/// Records (or corrects) the premium of the next period of an active policy, audited; the
/// renewal rules read it (notice to the client, a call when it rises 10 % or more).
pub fn record_renewal_premium(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
    command: Validated<i64>,
    by: &Actor,
) -> Result<(), PolicyError> {
    use crate::db::schema::policy_renewal_terms as terms;
    let policy = lock(conn, scope, id)?;
    if policy.status() != Status::Active {
        return Err(PolicyError::Refused(
            "Solo se anota la prima de renovación de pólizas en vigor.".to_owned(),
        ));
    }
    let cents = command.map_err(PolicyError::Invalid)?;
    let before = renewal_premium(conn, id, policy.end_date)?;
    diesel::insert_into(terms::table)
        .values((
            terms::policy_id.eq(id),
            terms::period_end.eq(policy.end_date),
            terms::new_premium_cents.eq(cents),
            terms::recorded_by_staff_id.eq(by.staff()),
        ))
        .on_conflict((terms::policy_id, terms::period_end))
        .do_update()
        .set((
            terms::new_premium_cents.eq(cents),
            terms::recorded_by_staff_id.eq(by.staff()),
            terms::recorded_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    by.record(
        conn,
        crate::audit::Action::RenewalPremiumRecorded,
        crate::audit::target::POLICY,
        id,
        serde_json::json!({
            "prima_renovacion": { "before": before, "after": cents },
            "vencimiento": policy.end_date,
        }),
    )?;
    Ok(())
}
