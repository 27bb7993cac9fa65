//! Reading quotes: the list with its filters, one quote with its options and history, the
//! quotes of a customer. Every read of a quote goes through the caller's scope.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;

use super::status::QuoteStatus;
use super::{AUDIT_TARGET, Quote, QuoteError, QuoteOption};
use crate::auth::permissions::PortfolioScope;
use crate::db::schema::{
    audit_log, carriers, customers, leads, lines_of_business, policies, products, quote_options,
    quotes, staff_users,
};
use crate::listing::{self, Cursor, PAGE_SIZE, Page};

/// Whether quote `id` exists within `scope`: an agent reaches the quotes they carry and those
/// of the customers they own.
pub fn in_scope(conn: &mut PgConnection, scope: PortfolioScope, id: i64) -> QueryResult<bool> {
    let mut query = quotes::table
        .left_join(customers::table)
        .filter(quotes::id.eq(id))
        .select(quotes::id)
        .into_boxed();
    if let Some(me) = scope.owner() {
        query = query.filter(
            quotes::agent_staff_id
                .eq(me)
                .or(customers::owner_staff_id.eq(me)),
        );
    }
    Ok(query.first::<i64>(conn).optional()?.is_some())
}

/// The list's filters (all optional) and the page.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    /// Part of the number, the customer's or the prospect's name.
    pub text: String,
    pub status: Option<QuoteStatus>,
    pub line_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub source: Option<&'static str>,
    pub cursor: Option<Cursor>,
}

/// A quote as a row of the list.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    /// The customer's name, or the prospect's.
    pub holder: String,
    pub line_name: String,
    pub status: QuoteStatus,
    pub valid_until: NaiveDate,
    pub source: String,
    pub agent_name: Option<String>,
    /// The cheapest option's total premium.
    pub lowest_total_cents: Option<i64>,
    pub options: i64,
    pub created_at: DateTime<Utc>,
}

type RawRow = (
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    String,
    QuoteStatus,
    NaiveDate,
    String,
    Option<i64>,
    DateTime<Utc>,
);

/// One page of quotes in `scope`, newest first, with how many match.
pub fn list(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
) -> QueryResult<Page<ListRow>> {
    read(conn, scope, filter, PAGE_SIZE)
}

/// Every quote the filter keeps (up to [`crate::export::EXPORT_LIMIT`]), newest first: what
/// an export writes.
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
            read(conn, scope, &filter, size)
        },
        sink,
    )
}

fn read(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    filter: &ListFilter,
    limit: i64,
) -> QueryResult<Page<ListRow>> {
    let filtered = || {
        let mut query = quotes::table
            .left_join(customers::table)
            .inner_join(lines_of_business::table)
            .select((
                quotes::id,
                quotes::number,
                quotes::customer_id,
                customers::display_name.nullable(),
                quotes::prospect_name,
                lines_of_business::name,
                quotes::status,
                quotes::valid_until,
                quotes::source,
                quotes::agent_staff_id,
                quotes::created_at,
            ))
            .into_boxed();
        if let Some(me) = scope.owner() {
            query = query.filter(
                quotes::agent_staff_id
                    .eq(me)
                    .or(customers::owner_staff_id.eq(me)),
            );
        }
        let text = filter.text.trim();
        if !text.is_empty() {
            let pattern = listing::contains(text);
            query = query.filter(
                quotes::number
                    .ilike(pattern.clone())
                    .or(customers::display_name
                        .ilike(pattern.clone())
                        .assume_not_null())
                    .or(quotes::prospect_name.ilike(pattern).assume_not_null()),
            );
        }
        if let Some(status) = filter.status {
            query = query.filter(quotes::status.eq(status.code()));
        }
        if let Some(line) = filter.line_id {
            query = query.filter(quotes::line_id.eq(line));
        }
        if let Some(agent) = filter.agent_id {
            query = query.filter(quotes::agent_staff_id.eq(agent));
        }
        if let Some(source) = filter.source {
            query = query.filter(quotes::source.eq(source));
        }
        query
    };
    let query = match filter.cursor {
        None => filtered().order(quotes::id.desc()),
        Some(Cursor::After(id)) => filtered()
            .filter(quotes::id.lt(id))
            .order(quotes::id.desc()),
        Some(Cursor::Before(id)) => filtered().filter(quotes::id.gt(id)).order(quotes::id.asc()),
    };
    let raw: Vec<RawRow> = query.limit(limit + 1).load(conn)?;
    let total = listing::count(conn, filtered)?;
    let page = Page::assemble(raw, filter.cursor, limit, |r| r.0).with_total(total);

    // Agent names and option totals for the whole page at once.
    let ids: Vec<i64> = page.rows.iter().map(|r| r.0).collect();
    let agent_ids: Vec<i64> = page.rows.iter().filter_map(|r| r.9).collect();
    let agents: HashMap<i64, String> = staff_users::table
        .filter(staff_users::id.eq_any(&agent_ids))
        .select((staff_users::id, staff_users::name))
        .load::<(i64, String)>(conn)?
        .into_iter()
        .collect();
    let totals: HashMap<i64, (Option<i64>, i64)> = quote_options::table
        .filter(quote_options::quote_id.eq_any(&ids))
        .group_by(quote_options::quote_id)
        .select((
            quote_options::quote_id,
            diesel::dsl::min(quote_options::total_premium_cents),
            diesel::dsl::count_star(),
        ))
        .load::<(i64, Option<i64>, i64)>(conn)?
        .into_iter()
        .map(|(id, min, count)| (id, (min, count)))
        .collect();

    Ok(page.map(|r| {
        let (lowest, options) = totals.get(&r.0).copied().unwrap_or((None, 0));
        ListRow {
            id: r.0,
            number: r.1,
            customer_id: r.2,
            holder: r.3.or(r.4).unwrap_or_default(),
            line_name: r.5,
            status: r.6,
            valid_until: r.7,
            source: r.8,
            agent_name: r.9.and_then(|id| agents.get(&id).cloned()),
            lowest_total_cents: lowest,
            options,
            created_at: r.10,
        }
    }))
}

/// An option with the names of its carrier and product.
#[derive(Debug, Clone)]
pub struct OptionRow {
    pub option: QuoteOption,
    pub carrier_name: String,
    pub product_name: Option<String>,
}

/// A quote with everything its page shows.
#[derive(Debug, Clone)]
pub struct QuoteDetail {
    pub quote: Quote,
    pub line_code: String,
    pub line_name: String,
    pub customer_name: Option<String>,
    pub agent_name: Option<String>,
    pub created_by_name: Option<String>,
    pub policy_number: Option<String>,
    pub options: Vec<OptionRow>,
    /// The tax id the prospect gave with their request (the taxi quoter asks for it), so the
    /// customer is registered without retyping it.
    pub lead_tax_id: Option<String>,
}

impl QuoteDetail {
    /// The customer's name, or the prospect's.
    pub fn holder(&self) -> String {
        self.customer_name
            .clone()
            .or_else(|| self.quote.prospect_name.clone())
            .unwrap_or_default()
    }

    pub fn chosen(&self) -> Option<&OptionRow> {
        let chosen = self.quote.chosen_option_id?;
        self.options.iter().find(|o| o.option.id == chosen)
    }
}

fn staff_name(conn: &mut PgConnection, id: Option<i64>) -> QueryResult<Option<String>> {
    match id {
        Some(id) => staff_users::table
            .find(id)
            .select(staff_users::name)
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// Quote `id` with its options, if it is in `scope`.
pub fn detail(
    conn: &mut PgConnection,
    scope: PortfolioScope,
    id: i64,
) -> Result<QuoteDetail, QuoteError> {
    if !in_scope(conn, scope, id)? {
        return Err(QuoteError::NotFound);
    }
    let (quote, line_code, line_name, customer_name, policy_number): (
        Quote,
        String,
        String,
        Option<String>,
        Option<String>,
    ) = quotes::table
        .inner_join(lines_of_business::table)
        .left_join(customers::table)
        .left_join(policies::table)
        .filter(quotes::id.eq(id))
        .select((
            Quote::as_select(),
            lines_of_business::code,
            lines_of_business::name,
            customers::display_name.nullable(),
            policies::number.nullable(),
        ))
        .first(conn)?;
    let options = quote_options::table
        .inner_join(carriers::table)
        .left_join(products::table)
        .filter(quote_options::quote_id.eq(id))
        .order((quote_options::position, quote_options::id))
        .select((
            QuoteOption::as_select(),
            carriers::name,
            products::name.nullable(),
        ))
        .load::<(QuoteOption, String, Option<String>)>(conn)?
        .into_iter()
        .map(|(option, carrier_name, product_name)| OptionRow {
            option,
            carrier_name,
            product_name,
        })
        .collect();
    let agent_name = staff_name(conn, quote.agent_staff_id)?;
    let created_by_name = staff_name(conn, quote.created_by_staff_id)?;
    let lead_tax_id = match quote.lead_id {
        Some(lead_id) => leads::table
            .find(lead_id)
            .select(leads::tax_id)
            .first::<Option<String>>(conn)
            .optional()?
            .flatten(),
        None => None,
    };
    Ok(QuoteDetail {
        lead_tax_id,
        quote,
        line_code,
        line_name,
        customer_name,
        agent_name,
        created_by_name,
        policy_number,
        options,
    })
}

/// An audited event of a quote.
#[derive(Debug, Clone, Queryable)]
pub struct HistoryEntry {
    pub occurred_at: DateTime<Utc>,
    pub actor_label: String,
    pub action: String,
    pub details: serde_json::Value,
}

impl HistoryEntry {
    pub fn label(&self) -> &'static str {
        crate::audit::Action::parse(&self.action)
            .map(|a| a.label())
            .unwrap_or("Cambio")
    }

    /// "enviado → aceptado" for state changes.
    pub fn change(&self) -> String {
        let status = &self.details["estado"];
        let word = |v: &serde_json::Value| {
            v.as_str()
                .and_then(QuoteStatus::parse)
                .map(|s| s.label())
                .unwrap_or_default()
        };
        match (word(&status["before"]), word(&status["after"])) {
            ("", "") => String::new(),
            (before, after) => format!("{before} → {after}"),
        }
    }

    pub fn reason(&self) -> String {
        self.details
            .get("motivo")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    }
}

/// The latest 100 audited events of quote `id` (already known to be in scope), newest first.
pub fn history(conn: &mut PgConnection, id: i64) -> QueryResult<Vec<HistoryEntry>> {
    audit_log::table
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
        .load(conn)
}

/// A quote on its customer's page.
#[derive(Debug, Clone, Queryable)]
pub struct CustomerQuote {
    pub id: i64,
    pub number: String,
    pub status: QuoteStatus,
    pub valid_until: NaiveDate,
    pub line_name: String,
    pub created_at: DateTime<Utc>,
}

impl CustomerQuote {
    pub fn status_label(&self) -> &'static str {
        self.status.label()
    }
}

/// The latest 50 quotes of customer `customer_id`, newest first.
pub fn of_customer(conn: &mut PgConnection, customer_id: i64) -> QueryResult<Vec<CustomerQuote>> {
    quotes::table
        .inner_join(lines_of_business::table)
        .filter(quotes::customer_id.eq(customer_id))
        .order((quotes::created_at.desc(), quotes::id.desc()))
        .limit(50)
        .select((
            quotes::id,
            quotes::number,
            quotes::status,
            quotes::valid_until,
            lines_of_business::name,
            quotes::created_at,
        ))
        .load(conn)
}
