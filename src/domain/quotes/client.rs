//! The client's side of quotes (e-SORI): the quotes the broker sent them, one of them with its
//! options, and accepting one option. Drafts never show: a quote exists for the client once it
//! was sent. Every function takes the customer id and filters by it; the reads run under the
//! portal role (`Db::portal_transaction`), whose row-level policies filter a second time.
//!
//! Accepting does not issue the policy: it records the client's choice (as the quote's chosen
//! option, which the back-office acceptance takes as its default), publishes
//! `quote.accepted_by_client` and hands the issuance to the quote's agent with a task due today
//! and an e-mail, all in the caller's transaction.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde_json::json;

use super::queries::OptionRow;
use super::status::QuoteStatus;
use super::{AUDIT_TARGET, Actor, Quote, QuoteError, QuoteOption, choose_option};
use crate::audit::{self, Action, NewEntry};
use crate::auth::permissions::PortfolioScope;
use crate::clients::profile::ClientActor;
use crate::db::schema::{
    carriers, customers, lines_of_business, products, quote_options, quotes, staff_users, tasks,
};
use crate::format;
use crate::listing::{PageNumber, SHORT_PAGE_SIZE};
use crate::money::format_cents;

/// The states a client sees: every one but the draft.
const VISIBLE: [&str; 4] = ["sent", "accepted", "rejected", "expired"];

/// Where a quote stands for the client, which is not quite its status: a sent quote past its
/// validity is already over for them (the worker expires it later), and one they accepted
/// waits for the broker to issue the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientStatus {
    /// Sent, within validity, no answer yet.
    Awaiting,
    /// The client accepted an option; the policy is being issued.
    AcceptedByClient,
    /// Accepted and issued as a policy.
    Issued,
    Rejected,
    Expired,
}

impl ClientStatus {
    pub fn of(
        status: QuoteStatus,
        valid_until: NaiveDate,
        client_accepted: bool,
        today: NaiveDate,
    ) -> Self {
        match status {
            QuoteStatus::Accepted => ClientStatus::Issued,
            QuoteStatus::Rejected => ClientStatus::Rejected,
            QuoteStatus::Sent if client_accepted => ClientStatus::AcceptedByClient,
            QuoteStatus::Sent if valid_until >= today => ClientStatus::Awaiting,
            _ => ClientStatus::Expired,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ClientStatus::Awaiting => "Enviado: pendiente de su respuesta",
            ClientStatus::AcceptedByClient => "Aceptado por usted: emitiendo la póliza",
            ClientStatus::Issued => "Aceptado: póliza emitida",
            ClientStatus::Rejected => "Rechazado",
            ClientStatus::Expired => "Caducado",
        }
    }

    pub fn badge_class(self) -> &'static str {
        match self {
            ClientStatus::Awaiting => "badge-warn",
            ClientStatus::AcceptedByClient | ClientStatus::Issued => "badge-ok",
            ClientStatus::Rejected => "badge-error",
            ClientStatus::Expired => "badge-muted",
        }
    }
}

/// A quote in the client's list.
#[derive(Debug, Clone)]
pub struct ClientQuoteRow {
    pub id: i64,
    pub number: String,
    pub line_name: String,
    pub status: ClientStatus,
    pub valid_until: NaiveDate,
    pub sent_at: Option<DateTime<Utc>>,
    /// The cheapest option's total premium.
    pub lowest_total_cents: Option<i64>,
    pub options: i64,
}

type RawRow = (
    i64,
    String,
    String,
    QuoteStatus,
    NaiveDate,
    Option<DateTime<Utc>>,
    Option<DateTime<Utc>>,
);

/// One page (1-based) of the quotes sent to `customer_id`, newest first, and whether there is
/// another page. Two queries, whatever the page size.
pub fn sent_to_customer(
    conn: &mut PgConnection,
    customer_id: i64,
    page: PageNumber,
    today: NaiveDate,
) -> QueryResult<(Vec<ClientQuoteRow>, bool)> {
    let mut raw: Vec<RawRow> = quotes::table
        .inner_join(lines_of_business::table)
        .filter(quotes::customer_id.eq(customer_id))
        .filter(quotes::status.eq_any(VISIBLE))
        .order((quotes::sent_at.desc().nulls_last(), quotes::id.desc()))
        .offset(page.offset(SHORT_PAGE_SIZE))
        .limit(SHORT_PAGE_SIZE + 1)
        .select((
            quotes::id,
            quotes::number,
            lines_of_business::name,
            quotes::status,
            quotes::valid_until,
            quotes::sent_at,
            quotes::client_accepted_at,
        ))
        .load(conn)?;
    let more = raw.len() as i64 > SHORT_PAGE_SIZE;
    raw.truncate(SHORT_PAGE_SIZE as usize);
    let ids: Vec<i64> = raw.iter().map(|r| r.0).collect();
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
    let rows = raw
        .into_iter()
        .map(|r| {
            let (lowest, options) = totals.get(&r.0).copied().unwrap_or((None, 0));
            let status = r.3;
            ClientQuoteRow {
                id: r.0,
                number: r.1,
                line_name: r.2,
                status: ClientStatus::of(status, r.4, r.6.is_some(), today),
                valid_until: r.4,
                sent_at: r.5,
                lowest_total_cents: lowest,
                options,
            }
        })
        .collect();
    Ok((rows, more))
}

/// How many quotes wait for the client's answer (sent, within validity, not accepted yet).
pub fn awaiting_answer(
    conn: &mut PgConnection,
    customer_id: i64,
    today: NaiveDate,
) -> QueryResult<i64> {
    quotes::table
        .filter(quotes::customer_id.eq(customer_id))
        .filter(quotes::status.eq(QuoteStatus::Sent.code()))
        .filter(quotes::valid_until.ge(today))
        .filter(quotes::client_accepted_at.is_null())
        .count()
        .get_result(conn)
}

/// A sent quote with what its page shows.
#[derive(Debug, Clone)]
pub struct ClientQuote {
    pub quote: Quote,
    pub line_name: String,
    pub agent_name: Option<String>,
    pub options: Vec<OptionRow>,
    pub status: ClientStatus,
}

impl ClientQuote {
    /// Whether the client may still accept an option.
    pub fn can_accept(&self) -> bool {
        self.status == ClientStatus::Awaiting
    }

    /// The option the client accepted.
    pub fn accepted_option(&self) -> Option<&OptionRow> {
        let id = self.quote.client_accepted_option_id?;
        self.options.iter().find(|o| o.option.id == id)
    }
}

/// Quote `id` of `customer_id` with its options, unless it is a draft or another customer's.
pub fn for_customer(
    conn: &mut PgConnection,
    customer_id: i64,
    id: i64,
    today: NaiveDate,
) -> QueryResult<Option<ClientQuote>> {
    let found: Option<(Quote, String)> = quotes::table
        .inner_join(lines_of_business::table)
        .filter(quotes::id.eq(id))
        .filter(quotes::customer_id.eq(customer_id))
        .filter(quotes::status.eq_any(VISIBLE))
        .select((Quote::as_select(), lines_of_business::name))
        .first(conn)
        .optional()?;
    let Some((quote, line_name)) = found else {
        return Ok(None);
    };
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
    let agent_name = match quote.agent_staff_id {
        Some(agent) => staff_users::table
            .find(agent)
            .select(staff_users::name)
            .first(conn)
            .optional()?,
        None => None,
    };
    let status = ClientStatus::of(
        quote.status(),
        quote.valid_until,
        quote.client_accepted_at.is_some(),
        today,
    );
    Ok(Some(ClientQuote {
        quote,
        line_name,
        agent_name,
        options,
        status,
    }))
}

/// The client accepting and where the request came from.
#[derive(Debug, Clone)]
pub struct ClientAcceptance<'a> {
    /// The client accepting: their customer is the scope, their label the audit trail's.
    pub by: ClientActor,
    pub option_id: i64,
    pub today: NaiveDate,
    /// Public base URL, for the link in the agent's e-mail.
    pub base_url: &'a url::Url,
    /// The client ticked that they read the pre-contract information shown with the quote.
    pub read_precontract: bool,
    /// Whose pre-contract information it is (kept in full with the delivery).
    pub broker: &'a crate::distribution::precontract::BrokerIdentity,
}

/// What accepting did.
#[derive(Debug, Clone)]
pub struct Accepted {
    pub number: String,
    /// "Carrier · Product · 1.234,56 € al año".
    pub option: String,
    /// The issuance task, when there is an active staff member to give it to.
    pub task_id: Option<i64>,
}

/// An option as one line of text.
pub fn option_text(row: &OptionRow) -> String {
    let mut text = row.carrier_name.clone();
    if let Some(product) = &row.product_name {
        text.push_str(" · ");
        text.push_str(product);
    }
    format!(
        "{text} · {} al año",
        format_cents(row.option.total_premium_cents)
    )
}

/// The active staff member who issues the policy: the quote's agent, else the customer's own
/// agent, else the next agent of the line's round robin. (id, name, e-mail).
fn issuer(conn: &mut PgConnection, quote: &Quote) -> QueryResult<Option<(i64, String, String)>> {
    let owner: Option<i64> = match quote.customer_id {
        Some(customer) => customers::table
            .find(customer)
            .select(customers::owner_staff_id)
            .first::<Option<i64>>(conn)
            .optional()?
            .flatten(),
        None => None,
    };
    for candidate in [quote.agent_staff_id, owner].into_iter().flatten() {
        let found = staff_users::table
            .find(candidate)
            .filter(staff_users::active.eq(true))
            .select((staff_users::id, staff_users::name, staff_users::email))
            .first(conn)
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    match crate::landings::assign::next_agent(conn, Some(quote.line_id))? {
        Some(agent) => staff_users::table
            .find(agent)
            .select((staff_users::id, staff_users::name, staff_users::email))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// The client accepts option `input.option_id` of their quote `id`: only a sent quote of
/// theirs, within its validity, not accepted before. Records the choice (`chosen_option_id`,
/// `client_accepted_at`, `client_accepted_option_id`) with its audit entries, publishes
/// `quote.accepted_by_client`, and gives the quote's agent a task due today and an e-mail to
/// issue the policy. Call inside ONE transaction (run as the application's role, see the
/// portal handler): a refusal writes nothing. Another customer's quote, a draft or an option
/// of another quote is `NotFound`; the rest is `Refused` with the reason for the client.
pub fn accept_by_client(
    conn: &mut PgConnection,
    id: i64,
    input: &ClientAcceptance,
) -> Result<Accepted, QuoteError> {
    // Ownership first, under lock: the quote must be this customer's, whatever the caller
    // checked before (a second request waits here and then sees the first one's answer).
    let quote: Quote = quotes::table
        .filter(quotes::id.eq(id))
        .filter(quotes::customer_id.eq(input.by.customer_id))
        .select(Quote::as_select())
        .for_update()
        .first(conn)
        .optional()?
        .ok_or(QuoteError::NotFound)?;
    if quote.status() == QuoteStatus::Draft {
        return Err(QuoteError::NotFound);
    }
    if let Some(at) = quote.client_accepted_at {
        return Err(QuoteError::Refused(format!(
            "Ya aceptó este presupuesto el {}: su gestor está emitiendo la póliza.",
            format::madrid_datetime(at)
        )));
    }
    if quote.status() != QuoteStatus::Sent {
        return Err(QuoteError::Refused(format!(
            "Este presupuesto está {} y ya no se puede aceptar.",
            quote.status().label()
        )));
    }
    if quote.valid_until < input.today {
        return Err(QuoteError::Refused(format!(
            "La validez de este presupuesto terminó el {}: pida a su gestor uno nuevo.",
            format::date(quote.valid_until)
        )));
    }
    let option: OptionRow = quote_options::table
        .inner_join(carriers::table)
        .left_join(products::table)
        .filter(quote_options::id.eq(input.option_id))
        .filter(quote_options::quote_id.eq(id))
        .select((
            QuoteOption::as_select(),
            carriers::name,
            products::name.nullable(),
        ))
        .first::<(QuoteOption, String, Option<String>)>(conn)
        .optional()?
        .map(|(option, carrier_name, product_name)| OptionRow {
            option,
            carrier_name,
            product_name,
        })
        .ok_or(QuoteError::NotFound)?;

    let by = Actor::client(&input.by.label, &input.by.ip, &input.by.user_agent);
    // RDL 3/2020: the client accepts having been given the pre-contract information; shown
    // with the quote in e-SORI, its reading is confirmed here unless it was delivered before.
    let delivered = crate::distribution::records::of_quote(conn, id)?
        .is_some_and(|record| record.precontract.is_some());
    if !delivered {
        if !input.read_precontract {
            return Err(super::sale::confirmation_missing());
        }
        super::sale::confirm_in_portal(conn, id, input.broker, &by)?;
    }
    // The quote is this customer's (checked above under lock), hence the whole portfolio here.
    choose_option(conn, PortfolioScope::All, id, option.option.id, &by)?;
    let now = Utc::now();
    diesel::update(quotes::table.find(id))
        .set((
            quotes::client_accepted_at.eq(now),
            quotes::client_accepted_option_id.eq(option.option.id),
            quotes::updated_at.eq(now),
        ))
        .execute(conn)?;

    let text = option_text(&option);
    let issuer = issuer(conn, &quote)?;
    let task_id = match &issuer {
        Some((staff_id, _, _)) => {
            let title: String = format!(
                "Emitir póliza del presupuesto {} aceptada por el cliente",
                quote.number
            )
            .chars()
            .take(crate::tasks::MAX_TITLE)
            .collect();
            let task: i64 = diesel::insert_into(tasks::table)
                .values((
                    tasks::title.eq(title),
                    tasks::description.eq(format!(
                        "El cliente aceptó en e-SORI la opción {text}. Emita la póliza desde el presupuesto (botón «Aceptar»)."
                    )),
                    tasks::due_date.eq(Some(input.today)),
                    tasks::priority.eq("high"),
                    tasks::assignee_staff_id.eq(staff_id),
                    tasks::entity_type.eq(Some(AUDIT_TARGET)),
                    tasks::entity_id.eq(Some(id)),
                    tasks::customer_id.eq(quote.customer_id),
                ))
                .returning(tasks::id)
                .get_result(conn)?;
            Some(task)
        }
        None => None,
    };
    audit::record(
        conn,
        &NewEntry {
            target_type: Some(AUDIT_TARGET),
            target_id: Some(id),
            details: json!({
                "opcion": option.option.id,
                "cliente": input.by.customer_id,
                "tarea": task_id,
            }),
            ..input.by.entry(Action::QuoteAcceptedByClient)
        },
    )?;
    crate::events::publish(
        conn,
        "quote.accepted_by_client",
        AUDIT_TARGET,
        id,
        json!({
            "quote_id": id,
            "number": quote.number,
            "option_id": option.option.id,
            "customer_id": input.by.customer_id,
            "task_id": task_id,
            "agent_staff_id": issuer.as_ref().map(|(staff, _, _)| *staff),
        }),
    )?;
    if let Some((_, name, email)) = &issuer {
        let mut link = input.base_url.clone();
        link.set_path(&format!("/admin/presupuestos/{id}"));
        crate::mail::send(
            conn,
            &crate::mail::Notice::QuoteAcceptedByClient {
                to: email.clone(),
                name: name.clone(),
                number: quote.number.clone(),
                option: text.clone(),
                link: link.to_string(),
            },
        )?;
    }
    Ok(Accepted {
        number: quote.number,
        option: text,
        task_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_sees_a_sent_quote_past_its_validity_as_expired() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let yesterday = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let of = |s, v, a| ClientStatus::of(s, v, a, today);
        assert_eq!(of(QuoteStatus::Sent, today, false), ClientStatus::Awaiting);
        assert_eq!(
            of(QuoteStatus::Sent, yesterday, false),
            ClientStatus::Expired
        );
        assert_eq!(
            of(QuoteStatus::Sent, yesterday, true),
            ClientStatus::AcceptedByClient
        );
        assert_eq!(of(QuoteStatus::Accepted, today, true), ClientStatus::Issued);
        assert_eq!(
            of(QuoteStatus::Rejected, today, false),
            ClientStatus::Rejected
        );
        assert_eq!(
            of(QuoteStatus::Expired, today, false),
            ClientStatus::Expired
        );
    }
}
