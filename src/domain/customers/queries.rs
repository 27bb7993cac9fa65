//! Reading and changing customers.

use chrono::{DateTime, Utc};
use diesel::dsl::{exists, sql};
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{BigInt, Bool, Text, Timestamptz};
use serde_json::{Value, json};

use super::Actor;
use super::model::*;
use super::rules::ValidCustomer;
use crate::audit::{self, Action};
use crate::auth::permissions::PortfolioScope;
use crate::db::prepared::{FixedLimit, Prepared};
use crate::db::schema::{
    claims, customer_consents, customers, interactions, legal_texts, policies, receipts,
    staff_users, tasks,
};
use crate::identifiers::{Email, Phone, TaxId};
use crate::listing::{self, Cursor, PAGE_SIZE, Page};
use crate::search;

diesel::define_sql_function! {
    /// SQL `lower(text)`.
    fn lower(x: Text) -> Text;
}

/// Order of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    NameAsc,
    NameDesc,
    NewestFirst,
    OldestFirst,
}

impl Sort {
    pub const ALL: [Sort; 4] = [
        Sort::NameAsc,
        Sort::NameDesc,
        Sort::NewestFirst,
        Sort::OldestFirst,
    ];

    /// The value of `orden` in the URL.
    pub fn code(self) -> &'static str {
        match self {
            Sort::NameAsc => "nombre",
            Sort::NameDesc => "-nombre",
            Sort::NewestFirst => "-alta",
            Sort::OldestFirst => "alta",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::NameAsc => "Nombre (A-Z)",
            Sort::NameDesc => "Nombre (Z-A)",
            Sort::NewestFirst => "Alta más reciente",
            Sort::OldestFirst => "Alta más antigua",
        }
    }

    pub fn parse(code: &str) -> Self {
        Self::ALL
            .into_iter()
            .find(|s| s.code() == code)
            .unwrap_or_default()
    }
}

/// What the free-text search looks like, and so which indexed path answers it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    /// Words of the name (each must begin a word of it; `customers.search_prefixes`).
    Name(Vec<String>),
    TaxId(String),
    Phone(String),
    Email(String),
    /// A policy number (exact): customers holding it.
    PolicyNumber(String),
}

impl Search {
    pub fn classify(text: &str) -> Option<Self> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        if text.contains('@') {
            return Some(Search::Email(text.to_lowercase()));
        }
        if let Ok(tax_id) = TaxId::parse(text) {
            return Some(Search::TaxId(tax_id.as_str().to_owned()));
        }
        if let Ok(phone) = Phone::parse(text) {
            return Some(Search::Phone(phone.into_string()));
        }
        if text.chars().any(|c| c.is_ascii_digit()) {
            return Some(Search::PolicyNumber(text.to_owned()));
        }
        let words: Vec<String> = text
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|w| !w.is_empty())
            .take(5)
            .map(|w| w.to_lowercase())
            .collect();
        Some(Search::Name(words))
    }
}

/// Filters of the list, as the URL carries them.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub q: String,
    pub segment: Option<Segment>,
    pub province: Option<String>,
    pub owner: Option<i64>,
    pub tag: Option<String>,
    pub sort: Sort,
    pub cursor: Option<Cursor>,
}

#[derive(Debug, Clone, Queryable)]
pub struct ListRow {
    pub id: i64,
    pub display_name: String,
    pub tax_id: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub province: Option<String>,
    pub segment: String,
    pub owner_name: Option<String>,
}

impl ListRow {
    pub fn segment_label(&self) -> &'static str {
        Segment::parse(&self.segment).map_or("", Segment::label)
    }
}

/// The customers a filter keeps, as a boxed query over `customers` whatever it selects (so
/// the page and its count share one definition).
fn filtered<'a, ST: 'a>(
    mut query: customers::BoxedQuery<'a, Pg, ST>,
    scope: PortfolioScope,
    filter: &ListFilter,
    search: &ListSearch,
) -> customers::BoxedQuery<'a, Pg, ST> {
    query = query
        .filter(customers::merged_into_id.is_null())
        // Blocked records are kept for the law, not for the lists (LOPDGDD art. 32).
        .filter(customers::blocked_at.is_null());
    if let Some(owner) = scope.owner().or(filter.owner) {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    match search {
        ListSearch::None => {}
        ListSearch::Words(Some(words)) => {
            query = query.filter(search::name_prefixes_match(words.clone()))
        }
        // Nothing but punctuation: nothing matches (as before, when it was a pattern).
        ListSearch::Words(None) => query = query.filter(sql::<Bool>("false")),
        ListSearch::TaxId(tax_id) => query = query.filter(customers::tax_id.eq(tax_id.clone())),
        ListSearch::Phone(phone) => query = query.filter(customers::phone.eq(phone.clone())),
        ListSearch::Email(email) => query = query.filter(customers::email.eq(email.clone())),
        ListSearch::PolicyNumber(number) => {
            query = query.filter(exists(
                policies::table
                    .filter(policies::customer_id.eq(customers::id))
                    .filter(
                        search::search_key(policies::number.nullable())
                            .eq(search::search_key(Some(number.clone()))),
                    ),
            ))
        }
    }
    if let Some(segment) = filter.segment {
        query = query.filter(customers::segment.eq(segment.code()));
    }
    if let Some(province) = filter.province.as_deref().filter(|p| !p.is_empty()) {
        query = query.filter(customers::province.eq(province.to_owned()));
    }
    if let Some(tag) = filter.tag.as_deref().filter(|t| !t.is_empty()) {
        query = query.filter(customers::tags.contains(vec![tag.to_lowercase()]));
    }
    query
}

/// The search of the list once its words are folded (which takes the database).
enum ListSearch {
    None,
    Words(Option<String>),
    TaxId(String),
    Phone(String),
    Email(String),
    PolicyNumber(String),
}

/// Every customer the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), in the list's order: what an
/// export writes.
pub fn export<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
    sink: impl FnMut(ListRow) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| {
            let filter = ListFilter {
                cursor,
                ..filter.clone()
            };
            let rows = read(conn, scope, &filter, &list_search(&filter), false, size + 1)?;
            Ok(Page::assemble(rows, cursor, size, |r| r.id))
        },
        sink,
    )
}

/// One page of customers in the scope, filtered and sorted; keyset paginated both ways, with
/// how many match.
pub fn list(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
) -> QueryResult<Page<ListRow>> {
    let search = list_search(filter);
    // Counted first: how many match tells how to read them (see `read`).
    let matching = || {
        filtered(
            customers::table.select(customers::id).into_boxed(),
            scope,
            filter,
            &search,
        )
    };
    let name_search = matches!(search, ListSearch::Words(Some(_)));
    let total = if name_search {
        // A common beginning ("mart": 11,600 customers) is not counted: the capped count walks
        // the table checking every name (6 ms), and the planner's estimate from the lexemes'
        // statistics is close (11,574).
        listing::count_unless_dense(conn, DENSE_SEARCH, matching)?
    } else {
        listing::count(conn, matching)?
    };
    let from_words = name_search && matches!(total, listing::Total::Exact(_));
    let rows = read(conn, scope, filter, &search, from_words, PAGE_SIZE + 1)?;
    Ok(Page::assemble(rows, filter.cursor, PAGE_SIZE, |r| r.id).with_total(total))
}

/// Past this many expected matches a name search is not counted (see [`list`]): under it the
/// planner counts from the words index.
const DENSE_SEARCH: i64 = 2_000;

/// The search the list's filter asks for.
fn list_search(filter: &ListFilter) -> ListSearch {
    match Search::classify(&filter.q) {
        None => ListSearch::None,
        // Accents and case ignored, words by their beginning: as the header search. The
        // statements themselves fold the words (no round trip of their own to fold them).
        Some(Search::Name(_)) => ListSearch::Words(search::name_words(&filter.q)),
        Some(Search::TaxId(tax_id)) => ListSearch::TaxId(tax_id),
        Some(Search::Phone(phone)) => ListSearch::Phone(phone),
        Some(Search::Email(email)) => ListSearch::Email(email),
        Some(Search::PolicyNumber(number)) => ListSearch::PolicyNumber(number),
    }
}

/// Up to `limit` rows of the list from its cursor. `from_words`: a name search that keeps at
/// most [`listing::EXACT_COUNT_CAP`] customers (as counted).
fn read(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
    search: &ListSearch,
    from_words: bool,
    limit: i64,
) -> QueryResult<Vec<ListRow>> {
    let owner_name = staff_users::table
        .filter(staff_users::id.nullable().eq(customers::owner_staff_id))
        .select(staff_users::name)
        .single_value();
    let mut query = filtered(
        customers::table
            .select((
                customers::id,
                customers::display_name,
                customers::tax_id,
                customers::phone,
                customers::email,
                customers::province,
                customers::segment,
                owner_name,
            ))
            .into_boxed(),
        scope,
        filter,
        search,
    );
    // A name search that keeps few customers (as counted) reads them all from the words index
    // and sorts them: the same order is written so that no index gives it. Walking the name
    // index instead, keeping the rows that match, looks cheap to the planner but reads half of
    // it when the matches sit late in the alphabet ("torres d": 16 ms, "martínez g": 27 ms at
    // 100,000 customers; from the words index 1.3–1.6 ms). A search that keeps many ("gar",
    // 9,000) finds a page soon along the name index, and the planner is left to choose (from
    // the words index it would collect and sort them all: 20 ms). `|| ''` changes no order.
    let name_key = if from_words {
        "(lower(customers.display_name) || '')"
    } else {
        "lower(customers.display_name)"
    };
    let ascending = matches!(filter.sort, Sort::NameAsc | Sort::OldestFirst);
    if let Some(cursor) = filter.cursor {
        let key: Option<(String, DateTime<Utc>)> = customers::table
            .find(cursor.id())
            .select((lower(customers::display_name), customers::created_at))
            .first(conn)
            .optional()?;
        if let Some((name, created)) = key {
            let op = cursor.comparison(ascending);
            let by_name = matches!(filter.sort, Sort::NameAsc | Sort::NameDesc);
            let column = if by_name {
                name_key
            } else {
                "customers.created_at"
            };
            let prefix = format!("({column}, customers.id) {op} (");
            query = if by_name {
                query.filter(
                    sql::<Bool>(&prefix)
                        .bind::<Text, _>(name)
                        .sql(", ")
                        .bind::<BigInt, _>(cursor.id())
                        .sql(")"),
                )
            } else {
                query.filter(
                    sql::<Bool>(&prefix)
                        .bind::<Timestamptz, _>(created)
                        .sql(", ")
                        .bind::<BigInt, _>(cursor.id())
                        .sql(")"),
                )
            };
        }
    }
    let read_ascending = Cursor::direction(filter.cursor).ascending(ascending);
    query = match (filter.sort, read_ascending) {
        (Sort::NameAsc | Sort::NameDesc, true) => {
            query.order((sql::<Text>(name_key).asc(), customers::id.asc()))
        }
        (Sort::NameAsc | Sort::NameDesc, false) => {
            query.order((sql::<Text>(name_key).desc(), customers::id.desc()))
        }
        (Sort::NewestFirst | Sort::OldestFirst, true) => {
            query.order((customers::created_at.asc(), customers::id.asc()))
        }
        (Sort::NewestFirst | Sort::OldestFirst, false) => {
            query.order((customers::created_at.desc(), customers::id.desc()))
        }
    };
    if matches!(search, ListSearch::None) {
        // The plain list (filters, order, cursor) is kept prepared: its fragments are a few
        // constant texts and its best plan does not depend on the values. A search is planned
        // for what was typed each time: a generic plan cannot tell "mart" (11,000 customers)
        // from "quintanill" (12).
        return Prepared(FixedLimit(query, limit)).load(conn);
    }
    query.limit(limit).load(conn)
}

/// The customer `id` if the scope may see it (merged records too: callers redirect to
/// `merged_into_id`).
pub fn get(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> QueryResult<Option<Customer>> {
    let mut query = customers::table
        .find(id)
        .select(Customer::as_select())
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(customers::owner_staff_id.eq(owner));
    }
    query.first(conn).optional()
}

/// Staff who can own customers (admins, supervisors, agents), for the owner select.
pub fn owner_options(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq_any(["admin", "supervisor", "agent"]))
        .order(staff_users::name.asc())
        .select((staff_users::id, staff_users::name))
        .limit(500)
        .load(conn)
}

/// The name of staff member `id`.
pub fn staff_name(conn: &mut PgConnection, id: i64) -> QueryResult<Option<String>> {
    staff_users::table
        .find(id)
        .select(staff_users::name)
        .first(conn)
        .optional()
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = customers)]
#[diesel(treat_none_as_null = true)]
struct Values<'a> {
    kind: &'a str,
    tax_id: &'a str,
    given_name: Option<&'a str>,
    family_name: Option<&'a str>,
    company_name: Option<&'a str>,
    display_name: &'a str,
    email: Option<&'a str>,
    phone: Option<&'a str>,
    birth_date: Option<chrono::NaiveDate>,
    address_line: Option<&'a str>,
    postcode: Option<&'a str>,
    city: Option<&'a str>,
    province: Option<&'a str>,
    iban: Option<&'a str>,
    segment: &'a str,
    tags: &'a [String],
    owner_staff_id: Option<i64>,
    notes: &'a str,
}

impl<'a> From<&'a ValidCustomer> for Values<'a> {
    fn from(c: &'a ValidCustomer) -> Self {
        Values {
            kind: c.kind.code(),
            tax_id: c.tax_id.as_str(),
            given_name: c.given_name.as_deref(),
            family_name: c.family_name.as_deref(),
            company_name: c.company_name.as_deref(),
            display_name: &c.display_name,
            email: c.email.as_ref().map(Email::as_str),
            phone: c.phone.as_ref().map(Phone::as_str),
            birth_date: c.birth_date,
            address_line: c.address_line.as_deref(),
            postcode: c.postcode.as_ref().map(|p| p.as_str()),
            city: c.city.as_deref(),
            province: c.province.as_deref(),
            iban: c.iban.as_ref().map(|i| i.as_str()),
            segment: c.segment.code(),
            tags: &c.tags,
            owner_staff_id: c.owner_staff_id,
            notes: &c.notes,
        }
    }
}

/// Audit view of a customer: field (Spanish, as the form) → value.
fn audit_fields(v: &Values) -> Vec<(&'static str, Value)> {
    vec![
        ("tipo", json!(v.kind)),
        ("nif", json!(v.tax_id)),
        ("nombre", json!(v.given_name)),
        ("apellidos", json!(v.family_name)),
        ("razon_social", json!(v.company_name)),
        ("email", json!(v.email)),
        ("telefono", json!(v.phone)),
        ("fecha_nacimiento", json!(v.birth_date)),
        ("direccion", json!(v.address_line)),
        ("codigo_postal", json!(v.postcode)),
        ("localidad", json!(v.city)),
        ("provincia", json!(v.province)),
        ("iban", json!(v.iban)),
        ("segmento", json!(v.segment)),
        ("etiquetas", json!(v.tags)),
        ("agente", json!(v.owner_staff_id)),
        ("notas", json!(v.notes)),
    ]
}

/// Whether storing `valid` over `before` would change nothing.
pub fn is_unchanged(before: &Customer, valid: &ValidCustomer) -> bool {
    audit_fields(&values_of(before)) == audit_fields(&Values::from(valid))
}

fn values_of(c: &Customer) -> Values<'_> {
    Values {
        kind: &c.kind,
        tax_id: &c.tax_id,
        given_name: c.given_name.as_deref(),
        family_name: c.family_name.as_deref(),
        company_name: c.company_name.as_deref(),
        display_name: &c.display_name,
        email: c.email.as_deref(),
        phone: c.phone.as_deref(),
        birth_date: c.birth_date,
        address_line: c.address_line.as_deref(),
        postcode: c.postcode.as_deref(),
        city: c.city.as_deref(),
        province: c.province.as_deref(),
        iban: c.iban.as_deref(),
        segment: &c.segment,
        tags: &c.tags,
        owner_staff_id: c.owner_staff_id,
        notes: &c.notes,
    }
}

/// A live customer found by a duplicate check, with whose portfolio it is in: a user who may
/// not open it is told whom to ask, never its name (see [`ExistingCustomer::open_to`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingCustomer {
    pub id: i64,
    pub display_name: String,
    pub owner_staff_id: Option<i64>,
    /// The owning agent's name, when the customer has one.
    pub owner_name: Option<String>,
}

impl ExistingCustomer {
    /// Whether a user with `scope` may open the customer (and so read its name).
    pub fn open_to(&self, scope: PortfolioScope) -> bool {
        match scope.owner() {
            None => true,
            Some(owner) => self.owner_staff_id == Some(owner),
        }
    }
}

/// Another customer that may be the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateHint {
    pub customer: ExistingCustomer,
    /// "correo electrónico" or "teléfono".
    pub reason: &'static str,
}

/// What creating a customer did.
#[derive(Debug)]
pub enum CreateOutcome {
    Created(Box<Customer>),
    /// A live customer already has this tax id: nothing was written.
    DuplicateTaxId(ExistingCustomer),
    /// Others share the e-mail or phone: nothing was written until the user confirms.
    PossibleDuplicates(Vec<DuplicateHint>),
}

type ExistingColumns = (
    customers::id,
    customers::display_name,
    customers::owner_staff_id,
    diesel::dsl::Nullable<staff_users::name>,
);

fn existing_columns() -> ExistingColumns {
    (
        customers::id,
        customers::display_name,
        customers::owner_staff_id,
        staff_users::name.nullable(),
    )
}

fn existing((id, display_name, owner_staff_id, owner_name): ExistingRow) -> ExistingCustomer {
    ExistingCustomer {
        id,
        display_name,
        owner_staff_id,
        owner_name,
    }
}

type ExistingRow = (i64, String, Option<i64>, Option<String>);

fn by_tax_id(
    conn: &mut PgConnection,
    tax_id: &str,
    except: Option<i64>,
) -> QueryResult<Option<ExistingCustomer>> {
    Ok(customers::table
        .left_join(staff_users::table.on(customers::owner_staff_id.eq(staff_users::id.nullable())))
        .filter(customers::tax_id.eq(tax_id))
        .filter(customers::merged_into_id.is_null())
        .filter(customers::id.ne(except.unwrap_or(0)))
        .select(existing_columns())
        .first::<ExistingRow>(conn)
        .optional()?
        .map(existing))
}

/// Live customers sharing the e-mail or the phone of `valid`.
pub fn possible_duplicates(
    conn: &mut PgConnection,
    valid: &ValidCustomer,
) -> QueryResult<Vec<DuplicateHint>> {
    let mut hints = Vec::new();
    let with_owner = || {
        customers::table
            .left_join(
                staff_users::table.on(customers::owner_staff_id.eq(staff_users::id.nullable())),
            )
            .filter(customers::merged_into_id.is_null())
            .select(existing_columns())
            .limit(5)
    };
    if let Some(email) = &valid.email {
        let rows: Vec<ExistingRow> = with_owner()
            .filter(customers::email.eq(email.as_str()))
            .load(conn)?;
        hints.extend(rows.into_iter().map(|row| DuplicateHint {
            customer: existing(row),
            reason: "correo electrónico",
        }));
    }
    if let Some(phone) = &valid.phone {
        let rows: Vec<ExistingRow> = with_owner()
            .filter(customers::phone.eq(phone.as_str()))
            .load(conn)?;
        hints.extend(rows.into_iter().map(|row| DuplicateHint {
            customer: existing(row),
            reason: "teléfono",
        }));
    }
    Ok(hints)
}

/// Creates the customer with its initial consents (privacy, marketing) and the audit entry.
/// Call inside a transaction. Refuses a live duplicate tax id; warns about a shared e-mail or
/// phone unless `confirmed`.
pub fn create(
    conn: &mut PgConnection,
    actor: &Actor,
    valid: &ValidCustomer,
    consents: &[(ConsentPurpose, bool)],
    confirmed: bool,
) -> QueryResult<CreateOutcome> {
    if let Some(existing) = by_tax_id(conn, valid.tax_id.as_str(), None)? {
        return Ok(CreateOutcome::DuplicateTaxId(existing));
    }
    if !confirmed {
        let hints = possible_duplicates(conn, valid)?;
        if !hints.is_empty() {
            return Ok(CreateOutcome::PossibleDuplicates(hints));
        }
    }
    let values = Values::from(valid);
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(customers::table)
            .values(&values)
            .returning(Customer::as_returning())
            .get_result(conn)
    });
    let customer = match inserted {
        Ok(customer) => customer,
        // A concurrent submission won the race.
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            return match by_tax_id(conn, valid.tax_id.as_str(), None)? {
                Some(existing) => Ok(CreateOutcome::DuplicateTaxId(existing)),
                None => Err(DieselError::RollbackTransaction),
            };
        }
        Err(other) => return Err(other),
    };
    for &(purpose, granted) in consents {
        insert_consent(
            conn,
            actor.staff_id,
            customer.id,
            purpose,
            granted,
            CONSENT_TEXT_VERSION,
            CONSENT_SOURCE_BACKOFFICE,
        )?;
    }
    let mut details = serde_json::Map::new();
    for (field, value) in audit_fields(&values) {
        if !value.is_null() && value != json!("") && value != json!([]) {
            details.insert(field.to_owned(), value);
        }
    }
    details.insert(
        "consentimientos".to_owned(),
        json!(
            consents
                .iter()
                .map(|(p, g)| (p.code(), *g))
                .collect::<std::collections::BTreeMap<_, _>>()
        ),
    );
    audit::record(
        conn,
        &super::entry(
            actor,
            Action::CustomerCreated,
            customer.id,
            Value::Object(details),
        ),
    )?;
    Ok(CreateOutcome::Created(Box::new(customer)))
}

/// Creates many customers at once (an import's batch): one insert and one audit insert, each
/// customer audited as the form would audit it, without consents (an import records none).
/// Fails with a unique violation when one of the tax ids exists meanwhile: call it inside a
/// savepoint and fall back to [`create`] row by row. Call inside a transaction.
pub fn create_many(
    conn: &mut PgConnection,
    actor: &Actor,
    valid: &[&ValidCustomer],
) -> QueryResult<Vec<i64>> {
    if valid.is_empty() {
        return Ok(Vec::new());
    }
    let values: Vec<Values> = valid.iter().map(|v| Values::from(*v)).collect();
    let ids: Vec<i64> = diesel::insert_into(customers::table)
        .values(&values)
        .returning(customers::id)
        .get_results(conn)?;
    let entries: Vec<audit::NewEntry> = values
        .iter()
        .zip(&ids)
        .map(|(v, id)| {
            let details: serde_json::Map<String, Value> = audit_fields(v)
                .into_iter()
                .filter(|(_, value)| !value.is_null() && *value != json!("") && *value != json!([]))
                .map(|(field, value)| (field.to_owned(), value))
                .collect();
            super::entry(actor, Action::CustomerCreated, *id, Value::Object(details))
        })
        .collect();
    audit::record_many(conn, &entries)?;
    Ok(ids)
}

#[derive(Debug)]
pub enum UpdateOutcome {
    Updated(Box<Customer>),
    NotFound,
    /// Another live customer has the new tax id.
    DuplicateTaxId(ExistingCustomer),
}

/// Updates the customer and audits the changed fields (before/after). Call inside a
/// transaction.
pub fn update(
    conn: &mut PgConnection,
    actor: &Actor,
    scope: PortfolioScope,
    id: i64,
    valid: &ValidCustomer,
) -> QueryResult<UpdateOutcome> {
    let Some(before) = get(conn, scope, id)? else {
        return Ok(UpdateOutcome::NotFound);
    };
    if before.merged_into_id.is_some() {
        return Ok(UpdateOutcome::NotFound);
    }
    if let Some(existing) = by_tax_id(conn, valid.tax_id.as_str(), Some(id))? {
        return Ok(UpdateOutcome::DuplicateTaxId(existing));
    }
    let values = Values::from(valid);
    let old = values_of(&before);
    let mut changes = serde_json::Map::new();
    for ((field, before), (_, after)) in audit_fields(&old).into_iter().zip(audit_fields(&values)) {
        if before != after {
            changes.insert(
                field.to_owned(),
                json!({ "before": before, "after": after }),
            );
        }
    }
    if changes.is_empty() {
        return Ok(UpdateOutcome::Updated(Box::new(before)));
    }
    let customer = diesel::update(customers::table.find(id))
        .set((&values, customers::updated_at.eq(diesel::dsl::now)))
        .returning(Customer::as_returning())
        .get_result(conn)?;
    audit::record(
        conn,
        &super::entry(actor, Action::CustomerUpdated, id, Value::Object(changes)),
    )?;
    Ok(UpdateOutcome::Updated(Box::new(customer)))
}

fn insert_consent(
    conn: &mut PgConnection,
    staff_id: i64,
    customer_id: i64,
    purpose: ConsentPurpose,
    granted: bool,
    text_version: &str,
    source: &str,
) -> QueryResult<()> {
    // The words shown are those of the current version; an older label has no stored text.
    let text_id = if text_version == super::CONSENT_TEXT_VERSION {
        Some(super::consent_text_id(conn, purpose)?)
    } else {
        None
    };
    diesel::insert_into(customer_consents::table)
        .values((
            customer_consents::customer_id.eq(customer_id),
            customer_consents::purpose.eq(purpose.code()),
            customer_consents::granted.eq(granted),
            customer_consents::text_version.eq(text_version),
            customer_consents::source.eq(source),
            customer_consents::recorded_by_staff_id.eq(staff_id),
            customer_consents::text_id.eq(text_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Records a consent being granted or withdrawn (a new row; history is kept) and audits it.
pub fn record_consent(
    conn: &mut PgConnection,
    actor: &Actor,
    customer_id: i64,
    purpose: ConsentPurpose,
    granted: bool,
    text_version: &str,
    source: &str,
) -> QueryResult<()> {
    insert_consent(
        conn,
        actor.staff_id,
        customer_id,
        purpose,
        granted,
        text_version,
        source,
    )?;
    audit::record(
        conn,
        &super::entry(
            actor,
            Action::CustomerConsentChanged,
            customer_id,
            json!({ "finalidad": purpose.code(), "otorgado": granted, "version": text_version, "origen": source }),
        ),
    )
}

/// The current state of each purpose: the latest row per purpose.
pub fn current_consents(
    conn: &mut PgConnection,
    customer_id: i64,
) -> QueryResult<Vec<ConsentState>> {
    type Row = (String, bool, String, String, DateTime<Utc>, Option<String>);
    let rows: Vec<Row> = customer_consents::table
        .left_join(legal_texts::table.on(legal_texts::id.nullable().eq(customer_consents::text_id)))
        .filter(customer_consents::customer_id.eq(customer_id))
        .distinct_on(customer_consents::purpose)
        .order((
            customer_consents::purpose,
            customer_consents::recorded_at.desc(),
            customer_consents::id.desc(),
        ))
        .select((
            customer_consents::purpose,
            customer_consents::granted,
            customer_consents::text_version,
            customer_consents::source,
            customer_consents::recorded_at,
            legal_texts::body.nullable(),
        ))
        .load(conn)?;
    Ok(ConsentPurpose::ALL
        .iter()
        .map(
            |&purpose| match rows.iter().find(|r| r.0 == purpose.code()) {
                Some((_, granted, version, source, at, text)) => ConsentState {
                    purpose,
                    granted: Some(*granted),
                    text_version: version.clone(),
                    source: source.clone(),
                    recorded_at: Some(*at),
                    text: text.clone(),
                },
                None => ConsentState {
                    purpose,
                    granted: None,
                    text_version: String::new(),
                    source: String::new(),
                    recorded_at: None,
                    text: None,
                },
            },
        )
        .collect())
}

/// Logs an interaction by the acting staff member and audits it.
pub fn log_interaction(
    conn: &mut PgConnection,
    actor: &Actor,
    customer_id: i64,
    kind: InteractionKind,
    summary: &str,
) -> QueryResult<Interaction> {
    let (id, occurred_at): (i64, DateTime<Utc>) = diesel::insert_into(interactions::table)
        .values((
            interactions::customer_id.eq(customer_id),
            interactions::kind.eq(kind.code()),
            interactions::summary.eq(summary),
            interactions::staff_id.eq(actor.staff_id),
        ))
        .returning((interactions::id, interactions::occurred_at))
        .get_result(conn)?;
    audit::record(
        conn,
        &super::entry(
            actor,
            Action::CustomerInteractionLogged,
            customer_id,
            json!({ "tipo": kind.code(), "interaccion": id }),
        ),
    )?;
    let staff_name = staff_name(conn, actor.staff_id)?.unwrap_or_default();
    Ok(Interaction {
        id,
        customer_id,
        kind,
        summary: summary.to_owned(),
        occurred_at,
        staff_name,
    })
}

/// A policy or claim of the customer, for the links of the detail page.
#[derive(Debug, Clone, Queryable)]
pub struct RelatedRecord {
    pub id: i64,
    pub number: String,
    pub status: String,
}

pub fn policies_of(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<RelatedRecord>> {
    policies::table
        .filter(policies::customer_id.eq(customer_id))
        .order((policies::start_date.desc(), policies::id.desc()))
        .select((policies::id, policies::number, policies::status))
        .limit(100)
        .load(conn)
}

pub fn claims_of(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<RelatedRecord>> {
    claims::table
        .filter(claims::customer_id.eq(customer_id))
        .order((claims::opened_at.desc(), claims::id.desc()))
        .select((claims::id, claims::number, claims::status))
        .limit(100)
        .load(conn)
}

/// What merging a duplicate into a survivor moves.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct MergeCounts {
    pub policies: i64,
    pub claims: i64,
    pub consents: i64,
    pub interactions: i64,
    pub tasks: i64,
}

impl MergeCounts {
    pub fn total(&self) -> i64 {
        self.policies + self.claims + self.consents + self.interactions + self.tasks
    }
}

/// Counts what [`merge`] would move from `duplicate_id`.
pub fn merge_preview(conn: &mut PgConnection, duplicate_id: i64) -> QueryResult<MergeCounts> {
    Ok(MergeCounts {
        policies: policies::table
            .filter(policies::customer_id.eq(duplicate_id))
            .count()
            .get_result(conn)?,
        claims: claims::table
            .filter(claims::customer_id.eq(duplicate_id))
            .count()
            .get_result(conn)?,
        consents: customer_consents::table
            .filter(customer_consents::customer_id.eq(duplicate_id))
            .count()
            .get_result(conn)?,
        interactions: interactions::table
            .filter(interactions::customer_id.eq(duplicate_id))
            .count()
            .get_result(conn)?,
        tasks: tasks::table
            .filter(tasks::customer_id.eq(duplicate_id))
            .count()
            .get_result(conn)?,
    })
}

#[derive(Debug)]
pub enum MergeOutcome {
    Merged(MergeCounts),
    /// Either record is missing, out of scope, already merged, or both are the same.
    NotAllowed(&'static str),
}

/// Moves the policies, claims, consents, interactions and tasks of `duplicate_id` to
/// `survivor_id`, marks the duplicate as merged and audits both. Call inside a transaction.
pub fn merge(
    conn: &mut PgConnection,
    actor: &Actor,
    scope: PortfolioScope,
    survivor_id: i64,
    duplicate_id: i64,
) -> QueryResult<MergeOutcome> {
    if survivor_id == duplicate_id {
        return Ok(MergeOutcome::NotAllowed(
            "Elija otro cliente: no se puede fusionar un cliente consigo mismo.",
        ));
    }
    // Lock both rows so that two merges cannot cross.
    let mut ids = [survivor_id, duplicate_id];
    ids.sort_unstable();
    let found: Vec<Customer> = customers::table
        .filter(customers::id.eq_any(ids))
        .select(Customer::as_select())
        .order(customers::id)
        .for_update()
        .load(conn)?;
    let found: Vec<Customer> = found
        .into_iter()
        .filter(|c| {
            scope
                .owner()
                .is_none_or(|owner| c.owner_staff_id == Some(owner))
        })
        .collect();
    let survivor = found.iter().find(|c| c.id == survivor_id);
    let duplicate = found.iter().find(|c| c.id == duplicate_id);
    let (Some(survivor), Some(duplicate)) = (survivor, duplicate) else {
        return Ok(MergeOutcome::NotAllowed("No encontramos ese cliente."));
    };
    if survivor.merged_into_id.is_some() || duplicate.merged_into_id.is_some() {
        return Ok(MergeOutcome::NotAllowed(
            "Ese cliente ya está fusionado con otro.",
        ));
    }
    let counts = MergeCounts {
        policies: diesel::update(policies::table.filter(policies::customer_id.eq(duplicate_id)))
            .set(policies::customer_id.eq(survivor_id))
            .execute(conn)? as i64,
        claims: diesel::update(claims::table.filter(claims::customer_id.eq(duplicate_id)))
            .set(claims::customer_id.eq(survivor_id))
            .execute(conn)? as i64,
        consents: diesel::update(
            customer_consents::table.filter(customer_consents::customer_id.eq(duplicate_id)),
        )
        .set(customer_consents::customer_id.eq(survivor_id))
        .execute(conn)? as i64,
        interactions: diesel::update(
            interactions::table.filter(interactions::customer_id.eq(duplicate_id)),
        )
        .set(interactions::customer_id.eq(survivor_id))
        .execute(conn)? as i64,
        tasks: diesel::update(tasks::table.filter(tasks::customer_id.eq(duplicate_id)))
            .set(tasks::customer_id.eq(survivor_id))
            .execute(conn)? as i64,
    };
    // Receipts copy their policy's customer (for the portal and the timeline): they follow.
    diesel::update(receipts::table.filter(receipts::customer_id.eq(duplicate_id)))
        .set(receipts::customer_id.eq(survivor_id))
        .execute(conn)?;
    diesel::update(
        tasks::table
            .filter(tasks::entity_type.eq("customer"))
            .filter(tasks::entity_id.eq(duplicate_id)),
    )
    .set(tasks::entity_id.eq(survivor_id))
    .execute(conn)?;
    diesel::update(customers::table.find(duplicate_id))
        .set((
            customers::merged_into_id.eq(survivor_id),
            customers::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)?;
    let details = json!({
        "superviviente": survivor_id,
        "duplicado": duplicate_id,
        "nif_duplicado": duplicate.tax_id,
        "movidos": counts,
    });
    audit::record(
        conn,
        &super::entry(actor, Action::CustomerMerged, survivor_id, details.clone()),
    )?;
    audit::record(
        conn,
        &super::entry(actor, Action::CustomerMerged, duplicate_id, details),
    )?;
    Ok(MergeOutcome::Merged(counts))
}
