//! Reading leads: the board, the filtered list, one lead with everything around it, and the
//! source report.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Nullable, Text, Timestamptz};
use serde_json::Value;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::Role;
use crate::db::schema::{
    customers, lead_consents, lead_events, lead_submissions, leads, legal_texts, lines_of_business,
    quotes, staff_users, tasks,
};
use crate::leads::duplicates::{DuplicateOf, duplicates_of};
use crate::leads::{BOARD_CARDS, Lead, LeadError, Stage, today};
use crate::listing::{self, Cursor, Direction, Page, like_escape};

diesel::define_sql_function! {
    /// SQL `lower(text)`.
    fn lower(x: Text) -> Text;
}

/// Leads per page of the list.
pub const PAGE_SIZE: i64 = 50;
/// Most rows of a lead's history, submissions or consents shown (a lead has a handful).
const MAX_ROWS: i64 = 200;

/// The list's and the board's filters (all optional; empty means "any").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub stage: Option<Stage>,
    pub source: Option<String>,
    pub campaign: Option<String>,
    pub line_id: Option<i64>,
    pub agent_id: Option<i64>,
    /// Created on or after this Madrid day.
    pub from: Option<NaiveDate>,
    /// Created on or before this Madrid day.
    pub to: Option<NaiveDate>,
    /// Part of the name, the e-mail or the phone.
    pub q: Option<String>,
}

/// What to look for in `q`: an e-mail, a phone (digits) or words of the name.
enum Search {
    Email(String),
    Phone(String),
    Words(Vec<String>),
}

fn classify(q: &str) -> Option<Search> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    if q.contains('@') {
        return Some(Search::Email(q.to_lowercase()));
    }
    let digits: String = q.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() >= 3 && digits.chars().all(|c| c.is_ascii_digit()) {
        return Some(Search::Phone(digits));
    }
    Some(Search::Words(
        q.split_whitespace()
            .take(5)
            .map(|w| w.to_lowercase())
            .collect(),
    ))
}

/// Applies `scope` and `filter` to a boxed query over `leads`.
macro_rules! filtered {
    ($query:expr, $scope:expr, $filter:expr) => {{
        let mut query = $query;
        let filter: &Filter = $filter;
        if let Some(owner) = $scope.owner() {
            query = query.filter(leads::assigned_staff_id.eq(owner));
        }
        if let Some(stage) = filter.stage {
            query = query.filter(leads::stage.eq(stage.code()));
        }
        if let Some(source) = &filter.source {
            query = query.filter(leads::source.eq(source.clone()));
        }
        if let Some(campaign) = &filter.campaign {
            query = query.filter(leads::campaign.eq(campaign.clone()));
        }
        if let Some(line_id) = filter.line_id {
            query = query.filter(leads::line_id.eq(line_id));
        }
        if let Some(agent_id) = filter.agent_id {
            query = query.filter(leads::assigned_staff_id.eq(agent_id));
        }
        let (start, end) = crate::time::day_range(filter.from, filter.to);
        if let Some(start) = start {
            query = query.filter(leads::created_at.ge(start));
        }
        if let Some(end) = end {
            query = query.filter(leads::created_at.lt(end));
        }
        match filter.q.as_deref().and_then(classify) {
            Some(Search::Email(email)) => {
                query = query.filter(leads::email.like(format!("{}%", like_escape(&email))));
            }
            Some(Search::Phone(digits)) => {
                query = query.filter(leads::phone.like(format!("%{}%", like_escape(&digits))));
            }
            Some(Search::Words(words)) => {
                for word in words {
                    query = query
                        .filter(lower(leads::full_name).like(format!("%{}%", like_escape(&word))));
                }
            }
            None => {}
        }
        query
    }};
}

/// One lead as the board and the list show it.
#[derive(Debug, Clone)]
pub struct Card {
    pub id: i64,
    pub full_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub stage: Stage,
    pub line_name: Option<String>,
    pub source: String,
    pub campaign: Option<String>,
    pub utm_campaign: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Whole days since it arrived (office calendar).
    pub age_days: i64,
    pub next_action_on: Option<NaiveDate>,
    pub agent_name: Option<String>,
    pub converted: bool,
    /// The lead this one may duplicate (see [`crate::leads::duplicates`]).
    pub duplicate_of: Option<DuplicateOf>,
    possible_duplicate_of: Option<i64>,
}

type CardTuple = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Stage,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    DateTime<Utc>,
    Option<NaiveDate>,
    Option<String>,
    Option<i64>,
    Option<i64>,
);

fn card(
    (
        id,
        full_name,
        email,
        phone,
        stage,
        line_name,
        source,
        campaign,
        utm_campaign,
        created_at,
        next_action_on,
        agent_name,
        customer_id,
        possible_duplicate_of,
    ): CardTuple,
    today: NaiveDate,
) -> Card {
    Card {
        id,
        full_name,
        email,
        phone,
        stage,
        line_name,
        source,
        campaign,
        utm_campaign,
        age_days: (today - created_at.with_timezone(&crate::time::ZONE).date_naive())
            .num_days()
            .max(0),
        created_at,
        next_action_on,
        agent_name,
        converted: customer_id.is_some(),
        duplicate_of: None,
        possible_duplicate_of,
    }
}

/// Fills in the cards' `duplicate_of`, as `scope` may see the other leads (one query).
fn with_duplicates(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    mut cards: Vec<Card>,
) -> QueryResult<Vec<Card>> {
    let ids: Vec<i64> = cards
        .iter()
        .filter_map(|c| c.possible_duplicate_of)
        .collect();
    let found = duplicates_of(conn, scope, &ids)?;
    for card in &mut cards {
        card.duplicate_of = card
            .possible_duplicate_of
            .and_then(|id| found.iter().find(|d| d.id == id).cloned());
    }
    Ok(cards)
}

macro_rules! card_query {
    () => {
        leads::table
            .left_join(lines_of_business::table)
            .left_join(staff_users::table)
            .select((
                leads::id,
                leads::full_name,
                leads::email,
                leads::phone,
                leads::stage,
                lines_of_business::name.nullable(),
                leads::source,
                leads::campaign,
                leads::utm_campaign,
                leads::created_at,
                leads::next_action_on,
                staff_users::name.nullable(),
                leads::customer_id,
                leads::possible_duplicate_of,
            ))
            .into_boxed()
    };
}

/// One column of the board.
#[derive(Debug, Clone)]
pub struct BoardColumn {
    pub stage: Stage,
    /// All the leads in this stage (with the filters), not only the cards shown.
    pub count: i64,
    /// The newest [`BOARD_CARDS`].
    pub cards: Vec<Card>,
}

/// The board: every stage with its count and newest cards. One grouped count and one indexed
/// query per stage (seven, whatever the number of leads).
pub fn board(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &Filter,
) -> QueryResult<Vec<BoardColumn>> {
    let counts: Vec<(String, i64)> = filtered!(
        leads::table
            .group_by(leads::stage)
            .select((leads::stage, count_star()))
            .into_boxed(),
        scope,
        filter
    )
    .load(conn)?;
    let today = today();
    let mut columns = Vec::with_capacity(Stage::ALL.len());
    for stage in Stage::ALL {
        let count = counts
            .iter()
            .find(|(code, _)| code == stage.code())
            .map(|(_, n)| *n)
            .unwrap_or(0);
        let cards = if count == 0 || filter.stage.is_some_and(|s| s != stage) {
            Vec::new()
        } else {
            let stage_filter = Filter {
                stage: Some(stage),
                ..filter.clone()
            };
            let rows: Vec<CardTuple> = filtered!(card_query!(), scope, &stage_filter)
                .order((leads::created_at.desc(), leads::id.desc()))
                .limit(BOARD_CARDS)
                .load(conn)?;
            with_duplicates(
                conn,
                scope,
                rows.into_iter().map(|row| card(row, today)).collect(),
            )?
        };
        columns.push(BoardColumn {
            stage,
            count,
            cards,
        });
    }
    Ok(columns)
}

/// Leads matching `filter` within `scope`, newest first, [`PAGE_SIZE`] a page from `cursor`
/// (keyset on creation time and id: page 2,000 costs what page 1 does), with how many match.
pub fn list(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &Filter,
    cursor: Option<Cursor>,
) -> QueryResult<Page<Card>> {
    let page = read_list(conn, scope, filter, cursor, PAGE_SIZE)?;
    let total = listing::count(conn, || {
        filtered!(leads::table.select(leads::id).into_boxed(), scope, filter)
    })?;
    let Page {
        rows,
        previous,
        next,
        ..
    } = page;
    Ok(Page {
        rows: with_duplicates(conn, scope, rows)?,
        previous,
        next,
        total: None,
    }
    .with_total(total))
}

/// Up to `size` leads from `cursor` in the list's order.
fn read_list(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &Filter,
    cursor: Option<Cursor>,
    size: i64,
) -> QueryResult<Page<Card>> {
    let mut query = filtered!(card_query!(), scope, filter);
    if let Some(cursor) = cursor {
        let created: Option<DateTime<Utc>> = leads::table
            .find(cursor.id())
            .select(leads::created_at)
            .first(conn)
            .optional()?;
        if let Some(created) = created {
            let id = cursor.id();
            // Newest first: the rows after the cursor row are the older ones.
            query = match cursor {
                Cursor::After(_) => query.filter(
                    leads::created_at
                        .lt(created)
                        .or(leads::created_at.eq(created).and(leads::id.lt(id))),
                ),
                Cursor::Before(_) => query.filter(
                    leads::created_at
                        .gt(created)
                        .or(leads::created_at.eq(created).and(leads::id.gt(id))),
                ),
            };
        }
    }
    query = match Cursor::direction(cursor) {
        Direction::Forward => query.order((leads::created_at.desc(), leads::id.desc())),
        Direction::Backward => query.order((leads::created_at.asc(), leads::id.asc())),
    };
    let rows: Vec<CardTuple> = query.limit(size + 1).load(conn)?;
    let today = today();
    Ok(Page::assemble(
        rows.into_iter().map(|row| card(row, today)).collect(),
        cursor,
        size,
        |card| card.id,
    ))
}

/// Every lead the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), newest first, without
/// the duplicate hints of the screen: what an export writes.
pub fn export<E: From<diesel::result::Error>>(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &Filter,
    sink: impl FnMut(Card) -> Result<(), E>,
) -> Result<i64, E> {
    crate::export::rows(
        |cursor, size| read_list(conn, scope, filter, cursor, size),
        sink,
    )
}

/// A lead with what its page shows around it.
#[derive(Debug, Clone)]
pub struct LeadDetail {
    pub lead: Lead,
    pub line_name: Option<String>,
    pub agent_name: Option<String>,
    pub customer_name: Option<String>,
    /// The lead this one may duplicate, as the caller may see it.
    pub duplicate_of: Option<DuplicateOf>,
}

/// Lead `id` within `scope`.
pub fn get(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<LeadDetail, LeadError> {
    let mut query = leads::table
        .left_join(lines_of_business::table)
        .left_join(staff_users::table)
        .left_join(customers::table)
        .filter(leads::id.eq(id))
        .select((
            Lead::as_select(),
            lines_of_business::name.nullable(),
            staff_users::name.nullable(),
            customers::display_name.nullable(),
        ))
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(leads::assigned_staff_id.eq(owner));
    }
    let (lead, line_name, agent_name, customer_name) = query
        .first::<(Lead, Option<String>, Option<String>, Option<String>)>(conn)
        .optional()?
        .ok_or(LeadError::NotFound)?;
    let duplicate_of = match lead.possible_duplicate_of {
        Some(other) => duplicates_of(conn, scope, &[other])?.pop(),
        None => None,
    };
    Ok(LeadDetail {
        lead,
        line_name,
        agent_name,
        customer_name,
        duplicate_of,
    })
}

/// One form sent for a lead.
#[derive(Debug, Clone, Queryable)]
pub struct SubmissionRow {
    pub id: i64,
    pub payload: Value,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub referrer: Option<String>,
    pub landing_id: Option<i64>,
    pub landing_variant_id: Option<i64>,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// The forms sent for lead `lead_id`, newest first. The caller has checked the scope.
pub fn submissions(conn: &mut PgConnection, lead_id: i64) -> QueryResult<Vec<SubmissionRow>> {
    lead_submissions::table
        .filter(lead_submissions::lead_id.eq(lead_id))
        .order((
            lead_submissions::created_at.desc(),
            lead_submissions::id.desc(),
        ))
        .select((
            lead_submissions::id,
            lead_submissions::payload,
            lead_submissions::utm_source,
            lead_submissions::utm_medium,
            lead_submissions::utm_campaign,
            lead_submissions::utm_term,
            lead_submissions::utm_content,
            lead_submissions::referrer,
            lead_submissions::landing_id,
            lead_submissions::landing_variant_id,
            lead_submissions::ip,
            lead_submissions::created_at,
        ))
        .limit(MAX_ROWS)
        .load(conn)
}

/// One RGPD consent given on a lead's form.
#[derive(Debug, Clone, Queryable)]
pub struct ConsentRow {
    pub purpose: String,
    pub granted: bool,
    pub text_version: String,
    pub ip: Option<String>,
    pub recorded_at: DateTime<Utc>,
    /// The words shown, when the consent keeps them.
    pub text: Option<String>,
}

/// The consents of lead `lead_id`, newest first.
pub fn consents(conn: &mut PgConnection, lead_id: i64) -> QueryResult<Vec<ConsentRow>> {
    lead_consents::table
        .left_join(legal_texts::table.on(legal_texts::id.nullable().eq(lead_consents::text_id)))
        .filter(lead_consents::lead_id.eq(lead_id))
        .order((lead_consents::recorded_at.desc(), lead_consents::id.desc()))
        .select((
            lead_consents::purpose,
            lead_consents::granted,
            lead_consents::text_version,
            lead_consents::ip,
            lead_consents::recorded_at,
            legal_texts::body.nullable(),
        ))
        .limit(MAX_ROWS)
        .load(conn)
}

/// One entry of a lead's history.
#[derive(Debug, Clone, Queryable)]
pub struct EventRow {
    pub id: i64,
    pub occurred_at: DateTime<Utc>,
    pub staff_name: Option<String>,
    pub kind: String,
    pub channel: Option<String>,
    pub from_stage: Option<String>,
    pub to_stage: Option<String>,
    pub note: String,
}

/// The history of lead `lead_id`, oldest first.
pub fn events(conn: &mut PgConnection, lead_id: i64) -> QueryResult<Vec<EventRow>> {
    lead_events::table
        .left_join(staff_users::table.on(lead_events::staff_id.eq(staff_users::id.nullable())))
        .filter(lead_events::lead_id.eq(lead_id))
        .order((lead_events::occurred_at, lead_events::id))
        .select((
            lead_events::id,
            lead_events::occurred_at,
            staff_users::name.nullable(),
            lead_events::kind,
            lead_events::channel,
            lead_events::from_stage,
            lead_events::to_stage,
            lead_events::note,
        ))
        .limit(MAX_ROWS)
        .load(conn)
}

/// A task about a lead.
#[derive(Debug, Clone, Queryable)]
pub struct TaskRow {
    pub id: i64,
    pub title: String,
    pub due_date: Option<NaiveDate>,
    pub status: String,
    pub assignee_name: String,
}

/// The tasks about lead `lead_id`, open first (served by `tasks_entity_idx`).
pub fn tasks(conn: &mut PgConnection, lead_id: i64) -> QueryResult<Vec<TaskRow>> {
    tasks::table
        .inner_join(staff_users::table.on(tasks::assignee_staff_id.eq(staff_users::id)))
        .filter(tasks::entity_type.eq("lead"))
        .filter(tasks::entity_id.eq(lead_id))
        .order((
            tasks::status.desc(),
            tasks::due_date.asc().nulls_last(),
            tasks::id,
        ))
        .select((
            tasks::id,
            tasks::title,
            tasks::due_date,
            tasks::status,
            staff_users::name,
        ))
        .limit(MAX_ROWS)
        .load(conn)
}

/// A quote made for a lead.
#[derive(Debug, Clone, Queryable)]
pub struct QuoteRow {
    pub id: i64,
    pub number: String,
    pub status: String,
    pub line_name: String,
    pub valid_until: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// The quotes of lead `lead_id`, newest first (served by `quotes_lead_idx`).
pub fn quotes(conn: &mut PgConnection, lead_id: i64) -> QueryResult<Vec<QuoteRow>> {
    quotes::table
        .inner_join(lines_of_business::table)
        .filter(quotes::lead_id.eq(lead_id))
        .order((quotes::created_at.desc(), quotes::id.desc()))
        .select((
            quotes::id,
            quotes::number,
            quotes::status,
            lines_of_business::name,
            quotes::valid_until,
            quotes::created_at,
        ))
        .limit(MAX_ROWS)
        .load(conn)
}

/// The live customer with this tax id, or else with this e-mail: (id, name).
pub fn customer_match(
    conn: &mut PgConnection,
    tax_id: Option<&str>,
    email: Option<&str>,
) -> QueryResult<Option<(i64, String)>> {
    if let Some(tax_id) = tax_id.filter(|t| !t.is_empty()) {
        let found = customers::table
            .filter(customers::tax_id.eq(tax_id))
            .filter(customers::merged_into_id.is_null())
            .select((customers::id, customers::display_name))
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    if let Some(email) = email.filter(|e| !e.is_empty()) {
        return customers::table
            .filter(customers::email.eq(email))
            .filter(customers::merged_into_id.is_null())
            .order(customers::id)
            .select((customers::id, customers::display_name))
            .first(conn)
            .optional();
    }
    Ok(None)
}

/// Active staff who work leads, by name: (id, name).
pub fn agents(conn: &mut PgConnection) -> QueryResult<Vec<(i64, String)>> {
    let roles: Vec<&str> = Role::ALL
        .into_iter()
        .filter(|r| Permission::UseLeads.granted_to(*r))
        .map(Role::code)
        .collect();
    staff_users::table
        .filter(staff_users::active.eq(true))
        .filter(staff_users::role.eq_any(roles))
        .order((staff_users::name, staff_users::id))
        .select((staff_users::id, staff_users::name))
        .limit(500)
        .load(conn)
}

/// The campaigns leads came from, for the filter (served by `leads_campaign_idx`).
pub fn campaigns(conn: &mut PgConnection, scope: PortfolioScope) -> QueryResult<Vec<String>> {
    let mut query = leads::table
        .filter(leads::campaign.is_not_null())
        .select(leads::campaign.assume_not_null())
        .distinct()
        .order(leads::campaign.assume_not_null())
        .limit(200)
        .into_boxed();
    if let Some(owner) = scope.owner() {
        query = query.filter(leads::assigned_staff_id.eq(owner));
    }
    query.load(conn)
}

/// One line of the source report.
#[derive(Debug, Clone, PartialEq, QueryableByName)]
pub struct ReportRow {
    /// The source code, the campaign, the landing's title or the agent's name; `None` when the
    /// lead had none.
    #[diesel(sql_type = Nullable<Text>)]
    pub key: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub leads: i64,
    #[diesel(sql_type = BigInt)]
    pub converted: i64,
    /// Hours from arrival to the first contact, over the leads contacted.
    #[diesel(sql_type = Nullable<Double>)]
    pub median_hours: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub avg_hours: Option<f64>,
}

impl ReportRow {
    /// Share of leads that became customers, in percent.
    pub fn conversion_pct(&self) -> f64 {
        if self.leads == 0 {
            0.0
        } else {
            self.converted as f64 * 100.0 / self.leads as f64
        }
    }
}

/// The lead source report for a range of creation days.
#[derive(Debug, Clone)]
pub struct Report {
    pub by_source: Vec<ReportRow>,
    pub by_campaign: Vec<ReportRow>,
    pub by_landing: Vec<ReportRow>,
    pub by_agent: Vec<ReportRow>,
    pub total: ReportRow,
}

/// Leads created between the Madrid days `from` and `to` (both included) within `scope`, by
/// source, campaign, landing and assigned agent: how many, how many became customers, and the median and
/// average time to the first contact. Five grouped scans of the range (`leads_created_idx`).
pub fn report(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    from: NaiveDate,
    to: NaiveDate,
) -> QueryResult<Report> {
    let (start, end) = crate::time::day_range(Some(from), Some(to));
    let (start, end) = (start.unwrap_or_default(), end.unwrap_or_else(Utc::now));
    let owner = scope.owner();
    let mut by = |key: &str| -> QueryResult<Vec<ReportRow>> {
        diesel::sql_query(format!(
            "SELECT {key} AS key, count(*) AS leads, count(l.customer_id) AS converted, \
             (percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM l.first_contacted_at - l.created_at)) / 3600.0)::float8 AS median_hours, \
             (avg(extract(epoch FROM l.first_contacted_at - l.created_at)) / 3600.0)::float8 AS avg_hours \
             FROM leads l \
             LEFT JOIN landings lp ON lp.id = l.landing_id \
             LEFT JOIN staff_users su ON su.id = l.assigned_staff_id \
             WHERE l.created_at >= $1 AND l.created_at < $2 \
             AND ($3::bigint IS NULL OR l.assigned_staff_id = $3) \
             GROUP BY 1 ORDER BY 2 DESC, 1 NULLS LAST LIMIT 500"
        ))
        .bind::<Timestamptz, _>(start)
        .bind::<Timestamptz, _>(end)
        .bind::<Nullable<BigInt>, _>(owner)
        .load(conn)
    };
    let by_source = by("l.source")?;
    let by_campaign = by("l.campaign")?;
    let by_landing = by("lp.title")?;
    let by_agent = by("su.name")?;
    let total = by("NULL::text")?.into_iter().next().unwrap_or(ReportRow {
        key: None,
        leads: 0,
        converted: 0,
        median_hours: None,
        avg_hours: None,
    });
    Ok(Report {
        by_source,
        by_campaign,
        by_landing,
        by_agent,
        total,
    })
}
