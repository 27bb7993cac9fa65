//! A visitor's form → a lead, in one transaction: spam checks, validation against the form
//! definition, the one-time form token (a double submit finds the lead already created), the
//! per-IP rate limit, the 30-day dedupe (a repeat of the same person for the same line joins
//! their lead; a shared e-mail or phone otherwise makes a new lead flagged as a possible
//! duplicate, see [`crate::leads::duplicates`]), round-robin assignment, consents,
//! the `lead.created` event, the conversion counter and the e-mails to visitor and agent.
//! No HTTP here: the public pages call [`submit`] inside `db.transaction`.

use crate::mail::Notice;
use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::json;

use crate::db::form_submissions::{self, Claimed};
use diesel::sql_types::{Array, BigInt, Bool, Date, Jsonb, Nullable, Text, Timestamptz};

use crate::db::schema::{form_submissions as form_tokens, lead_submissions, leads};
use crate::landings::assign;
use crate::landings::form::{self, Answers, Errors, FormField};
use crate::landings::spam::{self, BotSign};
use crate::leads::duplicates::{self, Match};

/// Field with the form's one-time token.
pub const TOKEN_FIELD: &str = "form_token";
/// Checkbox of the required privacy consent, and of the optional marketing consent.
pub const PRIVACY_FIELD: &str = "privacidad";
pub const MARKETING_FIELD: &str = "comunicaciones";
/// The UTM parameters carried from the landing's URL into the form.
pub const UTM_FIELDS: [&str; 5] = [
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
];
/// Where the visitor came from before the landing (the landing's own `Referer`).
pub const REFERRER_FIELD: &str = "referrer";

/// Submissions per IP address and hour before the polite "try later" page.
pub const RATE_LIMIT: i64 = 10;
pub const RATE_WINDOW: Duration = Duration::hours(1);
/// Longest UTM value or referrer kept.
const MAX_TRACKING: usize = 200;

/// Where the form was filled in and what it asks.
#[derive(Debug, Clone)]
pub struct Target {
    /// `landing` or `web_form` (the contact page).
    pub source: &'static str,
    pub landing_id: Option<i64>,
    pub variant_id: Option<i64>,
    pub line_id: Option<i64>,
    pub campaign: Option<String>,
    pub fields: Vec<FormField>,
    /// Version of the consent texts shown, stored with each consent.
    pub consent_version: String,
    /// The stored words of the privacy and marketing clauses shown, when known.
    pub privacy_text_id: Option<i64>,
    pub marketing_text_id: Option<i64>,
    /// Whether the form offered the optional marketing consent.
    pub asks_marketing: bool,
}

/// The request around the form.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    pub ip: String,
    pub user_agent: String,
    /// Signing key of the form's start time ([`spam::stamp_key`]).
    pub stamp_key: Vec<u8>,
    /// Public base URL, for links in the agent's e-mail.
    pub base_url: String,
}

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new lead.
    Created(i64),
    /// The same person had an open lead for the same line: the submission was added to it.
    Added(i64),
    /// The same form was submitted again: nothing new, the lead it created.
    Repeated(i64),
    /// Field errors: the form again with messages. Nothing stored.
    Invalid(Errors),
    /// Looks automated. Nothing stored.
    Bot(BotSign),
    /// Too many submissions from this address. Nothing stored.
    RateLimited,
}

impl Outcome {
    /// The lead, when the visitor should see the thank-you page.
    pub fn lead_id(&self) -> Option<i64> {
        match self {
            Self::Created(id) | Self::Added(id) | Self::Repeated(id) => Some(*id),
            _ => None,
        }
    }
}

/// UTM values and referrer of a submission, trimmed and bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tracking {
    pub utm: [Option<String>; 5],
    pub referrer: Option<String>,
}

impl Tracking {
    pub fn from_values(value: impl Fn(&str) -> Option<String>) -> Self {
        let clean = |v: Option<String>| {
            v.map(|v| v.trim().chars().take(MAX_TRACKING).collect::<String>())
                .filter(|v| !v.is_empty())
        };
        Self {
            utm: UTM_FIELDS.map(|name| clean(value(name))),
            referrer: clean(value(REFERRER_FIELD)),
        }
    }
}

fn checked(raw: &BTreeMap<String, String>, name: &str) -> bool {
    raw.get(name)
        .is_some_and(|v| matches!(v.as_str(), "si" | "sí" | "on" | "true" | "1"))
}

/// Validates the fields and the privacy consent; all messages at once.
pub fn validate(target: &Target, raw: &BTreeMap<String, String>) -> Result<Answers, Errors> {
    let result = form::validate(&target.fields, raw);
    let mut errors = result.clone().err().unwrap_or_default();
    if !checked(raw, PRIVACY_FIELD) {
        errors.insert(
            PRIVACY_FIELD.to_owned(),
            "Para atender su solicitud necesitamos que acepte la política de privacidad."
                .to_owned(),
        );
    }
    if errors.is_empty() {
        result
    } else {
        Err(errors)
    }
}

/// Processes one submission; call inside a transaction (`db.transaction`). Every outcome but
/// `Created`/`Added` leaves the database as it was.
pub fn submit(
    conn: &mut PgConnection,
    target: &Target,
    sender: &Sender,
    sent: &[(String, String)],
    now: DateTime<Utc>,
) -> QueryResult<Outcome> {
    if let Err(sign) = spam::check(&sender.stamp_key, sent, now) {
        return Ok(Outcome::Bot(sign));
    }
    let raw: BTreeMap<String, String> = sent.iter().cloned().collect();
    let token = raw.get(TOKEN_FIELD).cloned().unwrap_or_default();
    if !form_submissions::is_well_formed(&token) {
        return Ok(Outcome::Bot(BotSign::BadStamp));
    }
    let answers = match validate(target, &raw) {
        Ok(answers) => answers,
        Err(errors) => return Ok(Outcome::Invalid(errors)),
    };

    // A concurrent submit of the same token waits here until this one commits.
    match form_submissions::claim(conn, &token)? {
        Claimed::First => {}
        Claimed::Repeated(Some((_, lead_id))) => return Ok(Outcome::Repeated(lead_id)),
        Claimed::Repeated(None) => {
            let lead: Option<i64> = lead_submissions::table
                .filter(lead_submissions::form_token.eq(&token))
                .select(lead_submissions::lead_id)
                .first(conn)
                .optional()?;
            return Ok(match lead {
                Some(id) => Outcome::Repeated(id),
                None => Outcome::Bot(BotSign::BadStamp),
            });
        }
    }
    if !crate::auth::rate_limit::hit(conn, "lead_form", &sender.ip, RATE_LIMIT, RATE_WINDOW, now)? {
        // Give the token back so that the same form can be sent once the limit passes.
        diesel::delete(form_tokens::table.find(&token)).execute(conn)?;
        return Ok(Outcome::RateLimited);
    }

    let tracking = Tracking::from_values(|name| raw.get(name).cloned());
    let marketing = target
        .asks_marketing
        .then(|| checked(&raw, MARKETING_FIELD));
    let request = duplicates::Request {
        full_name: &answers.full_name,
        email: answers.email.as_deref(),
        phone: answers.phone.as_deref(),
        line_id: target.line_id,
    };
    duplicates::lock(conn, &request)?;
    let (lead_id, agent, created) = match duplicates::find(conn, &request, now)? {
        Match::Repeat(id) => (id, add_to_existing(conn, id, &answers, now)?, false),
        Match::Possible(other) => {
            let (id, agent) = create_lead(conn, target, &answers, &tracking, Some(other), now)?;
            (id, agent, true)
        }
        Match::None => {
            let (id, agent) = create_lead(conn, target, &answers, &tracking, None, now)?;
            (id, agent, true)
        }
    };
    let kind = if created {
        "lead.created"
    } else {
        "lead.resubmitted"
    };
    let submitted = Submitted {
        lead_id,
        token: &token,
        target,
        sender,
        answers: &answers,
        tracking: &tracking,
        marketing,
        event: kind,
        now,
    };
    submitted.record(conn)?;
    send_emails(conn, lead_id, &answers, sender, agent, created)?;
    Ok(if created {
        Outcome::Created(lead_id)
    } else {
        Outcome::Added(lead_id)
    })
}

/// Completes the existing lead with contact data it lacked and marks it as active again;
/// returns its agent (when active), who is told of the new submission. One statement: the
/// update reads the lead's current contact under its row lock.
fn add_to_existing(
    conn: &mut PgConnection,
    lead_id: i64,
    answers: &Answers,
    now: DateTime<Utc>,
) -> QueryResult<Option<assign::Agent>> {
    diesel::sql_query(
        "WITH lead AS ( \
           UPDATE leads SET email = COALESCE(email, $2), phone = COALESCE(phone, $3), \
             postcode = COALESCE(postcode, $4), updated_at = $5 \
           WHERE id = $1 RETURNING assigned_staff_id) \
         SELECT s.id, s.email, s.name FROM lead JOIN staff_users s \
           ON s.id = lead.assigned_staff_id AND s.active",
    )
    .bind::<BigInt, _>(lead_id)
    .bind::<Nullable<Text>, _>(&answers.email)
    .bind::<Nullable<Text>, _>(&answers.phone)
    .bind::<Nullable<Text>, _>(&answers.postcode)
    .bind::<Timestamptz, _>(now)
    .get_result(conn)
    .optional()
}

fn create_lead(
    conn: &mut PgConnection,
    target: &Target,
    answers: &Answers,
    tracking: &Tracking,
    possible_duplicate_of: Option<i64>,
    now: DateTime<Utc>,
) -> QueryResult<(i64, Option<assign::Agent>)> {
    let agent = assign::next_agent_with_contact(conn, target.line_id)?;
    let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = tracking.utm.clone();
    diesel::insert_into(leads::table)
        .values((
            leads::full_name.eq(&answers.full_name),
            leads::email.eq(&answers.email),
            leads::phone.eq(&answers.phone),
            leads::postcode.eq(&answers.postcode),
            leads::line_id.eq(target.line_id),
            leads::source.eq(target.source),
            leads::campaign.eq(target.campaign.clone().or_else(|| utm_campaign.clone())),
            leads::utm_source.eq(utm_source),
            leads::utm_medium.eq(utm_medium),
            leads::utm_campaign.eq(utm_campaign),
            leads::utm_term.eq(utm_term),
            leads::utm_content.eq(utm_content),
            leads::referrer.eq(&tracking.referrer),
            leads::landing_id.eq(target.landing_id),
            leads::landing_variant_id.eq(target.variant_id),
            leads::assigned_staff_id.eq(agent.as_ref().map(|a| a.id)),
            leads::possible_duplicate_of.eq(possible_duplicate_of),
            leads::created_at.eq(now),
            leads::updated_at.eq(now),
        ))
        .returning(leads::id)
        .get_result(conn)
        .map(|id| (id, agent))
}

/// What a submission leaves behind besides the lead itself.
struct Submitted<'a> {
    lead_id: i64,
    token: &'a str,
    target: &'a Target,
    sender: &'a Sender,
    answers: &'a Answers,
    tracking: &'a Tracking,
    marketing: Option<bool>,
    /// `lead.created` or `lead.resubmitted`.
    event: &'static str,
    now: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct SubmissionId {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

impl Submitted<'_> {
    /// The submission with its answers and tracking, the consents given on it, the form token
    /// pointing at the lead, the landing variant's conversion (a row of its own, so concurrent
    /// forms of a landing do not wait on each other; [`super::fold_conversions`] adds them to
    /// the daily counters) and the domain event: one statement, because each round trip of the transaction is a sleep and a wake-up of the
    /// thread that holds the connection (most of a submission's cost, see docs/benchmarks.md).
    fn record(&self, conn: &mut PgConnection) -> QueryResult<i64> {
        let target = self.target;
        let payload = json!({
            "fields": self.answers.values,
            "privacy": true,
            "marketing": self.marketing,
        });
        // Consents: the required privacy one, and the marketing one when the form asked.
        let mut consents = vec![("privacy", true, target.privacy_text_id)];
        if let Some(given) = self.marketing {
            consents.push(("marketing", given, target.marketing_text_id));
        }
        let purposes: Vec<&str> = consents.iter().map(|c| c.0).collect();
        let granted: Vec<bool> = consents.iter().map(|c| c.1).collect();
        let texts: Vec<Option<i64>> = consents.iter().map(|c| c.2).collect();
        // The event's payload gets the submission's id in the statement.
        let event = json!({
            "source": target.source,
            "landing_id": target.landing_id,
            "landing_variant_id": target.variant_id,
            "campaign": target.campaign.clone().or_else(|| self.tracking.utm[2].clone()),
        });
        let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = &self.tracking.utm;
        let row: SubmissionId = diesel::sql_query(
            "WITH submission AS ( \
               INSERT INTO lead_submissions (lead_id, form_token, payload, utm_source, \
                 utm_medium, utm_campaign, utm_term, utm_content, referrer, landing_id, \
                 landing_variant_id, ip, user_agent) \
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id), \
             consents AS ( \
               INSERT INTO lead_consents (lead_id, submission_id, purpose, granted, \
                 text_version, text_id, ip, recorded_at) \
               SELECT $1, submission.id, c.purpose, c.granted, $14, c.text_id, $12, $15 \
               FROM submission, unnest($16::text[], $17::bool[], $18::bigint[]) \
                 AS c(purpose, granted, text_id)), \
             token AS ( \
               UPDATE form_submissions SET entity_type = 'lead', entity_id = $1 \
               WHERE token = $2), \
             conversion AS ( \
               INSERT INTO landing_conversions_pending (landing_variant_id, day) \
               SELECT $11, $19 WHERE $11 IS NOT NULL), \
             event AS ( \
               INSERT INTO domain_events (kind, entity_type, entity_id, payload) \
               SELECT $20, 'lead', $1, $21 || jsonb_build_object('submission_id', submission.id) \
               FROM submission) \
             SELECT id FROM submission",
        )
        .bind::<BigInt, _>(self.lead_id)
        .bind::<Text, _>(self.token)
        .bind::<Jsonb, _>(payload)
        .bind::<Nullable<Text>, _>(utm_source)
        .bind::<Nullable<Text>, _>(utm_medium)
        .bind::<Nullable<Text>, _>(utm_campaign)
        .bind::<Nullable<Text>, _>(utm_term)
        .bind::<Nullable<Text>, _>(utm_content)
        .bind::<Nullable<Text>, _>(&self.tracking.referrer)
        .bind::<Nullable<BigInt>, _>(target.landing_id)
        .bind::<Nullable<BigInt>, _>(target.variant_id)
        .bind::<Text, _>(&self.sender.ip)
        .bind::<Text, _>(&self.sender.user_agent)
        .bind::<Text, _>(&target.consent_version)
        .bind::<Timestamptz, _>(self.now)
        .bind::<Array<Text>, _>(purposes)
        .bind::<Array<Bool>, _>(granted)
        .bind::<Array<Nullable<BigInt>>, _>(texts)
        .bind::<Date, _>(super::today())
        .bind::<Text, _>(self.event)
        .bind::<Jsonb, _>(event)
        .get_result(conn)?;
        Ok(row.id)
    }
}

/// Confirmation to the visitor (when they gave an e-mail) and notice to the lead's agent,
/// queued together.
fn send_emails(
    conn: &mut PgConnection,
    lead_id: i64,
    answers: &Answers,
    sender: &Sender,
    agent: Option<assign::Agent>,
    created: bool,
) -> QueryResult<()> {
    let confirmation = answers
        .email
        .as_ref()
        .map(|email| Notice::LeadConfirmation {
            to: email.trim().to_owned(),
            name: answers.full_name.clone(),
        });
    let assigned = agent.map(|agent| Notice::LeadAssigned {
        to: agent.email,
        agent_name: agent.name,
        lead_name: answers.full_name.clone(),
        link: format!(
            "{}/admin/leads/{lead_id}",
            sender.base_url.trim_end_matches('/')
        ),
        created,
    });
    let notices: Vec<Notice> = confirmation.into_iter().chain(assigned).collect();
    crate::mail::send_all(conn, &notices)
        .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))
}
