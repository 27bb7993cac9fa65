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
use crate::db::schema::{
    form_submissions as form_tokens, lead_consents, lead_submissions, leads, staff_users,
};
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
    let (lead_id, created) = match duplicates::find(conn, &request, now)? {
        Match::Repeat(id) => {
            add_to_existing(conn, id, &answers, now)?;
            (id, false)
        }
        Match::Possible(other) => (
            create_lead(conn, target, &answers, &tracking, Some(other), now)?,
            true,
        ),
        Match::None => (
            create_lead(conn, target, &answers, &tracking, None, now)?,
            true,
        ),
    };
    let submission_id = record_submission(
        conn, lead_id, &token, target, sender, &answers, &tracking, marketing,
    )?;
    record_consents(conn, lead_id, submission_id, target, sender, marketing, now)?;
    form_submissions::attach(conn, &token, "lead", lead_id)?;
    if let Some(variant) = target.variant_id {
        super::record_conversion(conn, variant, super::today())?;
    }
    let payload = json!({
        "source": target.source,
        "landing_id": target.landing_id,
        "landing_variant_id": target.variant_id,
        "submission_id": submission_id,
        "campaign": target.campaign.clone().or_else(|| tracking.utm[2].clone()),
    });
    let kind = if created {
        "lead.created"
    } else {
        "lead.resubmitted"
    };
    crate::events::publish(conn, kind, "lead", lead_id, payload)?;
    send_emails(conn, lead_id, &answers, sender, created)?;
    Ok(if created {
        Outcome::Created(lead_id)
    } else {
        Outcome::Added(lead_id)
    })
}

/// Completes the existing lead with contact data it lacked and marks it as active again.
fn add_to_existing(
    conn: &mut PgConnection,
    lead_id: i64,
    answers: &Answers,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let (email, phone, postcode): (Option<String>, Option<String>, Option<String>) = leads::table
        .find(lead_id)
        .select((leads::email, leads::phone, leads::postcode))
        .for_update()
        .first(conn)?;
    diesel::update(leads::table.find(lead_id))
        .set((
            leads::email.eq(email.or_else(|| answers.email.clone())),
            leads::phone.eq(phone.or_else(|| answers.phone.clone())),
            leads::postcode.eq(postcode.or_else(|| answers.postcode.clone())),
            leads::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

fn create_lead(
    conn: &mut PgConnection,
    target: &Target,
    answers: &Answers,
    tracking: &Tracking,
    possible_duplicate_of: Option<i64>,
    now: DateTime<Utc>,
) -> QueryResult<i64> {
    let agent = assign::next_agent(conn, target.line_id)?;
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
            leads::assigned_staff_id.eq(agent),
            leads::possible_duplicate_of.eq(possible_duplicate_of),
            leads::created_at.eq(now),
            leads::updated_at.eq(now),
        ))
        .returning(leads::id)
        .get_result(conn)
}

#[allow(clippy::too_many_arguments)]
fn record_submission(
    conn: &mut PgConnection,
    lead_id: i64,
    token: &str,
    target: &Target,
    sender: &Sender,
    answers: &Answers,
    tracking: &Tracking,
    marketing: Option<bool>,
) -> QueryResult<i64> {
    let [utm_source, utm_medium, utm_campaign, utm_term, utm_content] = tracking.utm.clone();
    let payload = json!({
        "fields": answers.values,
        "privacy": true,
        "marketing": marketing,
    });
    diesel::insert_into(lead_submissions::table)
        .values((
            lead_submissions::lead_id.eq(lead_id),
            lead_submissions::form_token.eq(token),
            lead_submissions::payload.eq(payload),
            lead_submissions::utm_source.eq(utm_source),
            lead_submissions::utm_medium.eq(utm_medium),
            lead_submissions::utm_campaign.eq(utm_campaign),
            lead_submissions::utm_term.eq(utm_term),
            lead_submissions::utm_content.eq(utm_content),
            lead_submissions::referrer.eq(&tracking.referrer),
            lead_submissions::landing_id.eq(target.landing_id),
            lead_submissions::landing_variant_id.eq(target.variant_id),
            lead_submissions::ip.eq(&sender.ip),
            lead_submissions::user_agent.eq(&sender.user_agent),
        ))
        .returning(lead_submissions::id)
        .get_result(conn)
}

fn record_consents(
    conn: &mut PgConnection,
    lead_id: i64,
    submission_id: i64,
    target: &Target,
    sender: &Sender,
    marketing: Option<bool>,
    now: DateTime<Utc>,
) -> QueryResult<()> {
    let rows: Vec<_> = std::iter::once(("privacy", true))
        .chain(marketing.map(|granted| ("marketing", granted)))
        .map(|(purpose, granted)| {
            (
                lead_consents::lead_id.eq(lead_id),
                lead_consents::submission_id.eq(Some(submission_id)),
                lead_consents::purpose.eq(purpose),
                lead_consents::granted.eq(granted),
                lead_consents::text_version.eq(target.consent_version.clone()),
                lead_consents::text_id.eq(if purpose == "privacy" {
                    target.privacy_text_id
                } else {
                    target.marketing_text_id
                }),
                lead_consents::ip.eq(Some(sender.ip.clone())),
                lead_consents::recorded_at.eq(now),
            )
        })
        .collect();
    diesel::insert_into(lead_consents::table)
        .values(rows)
        .execute(conn)?;
    Ok(())
}

/// Confirmation to the visitor (when they gave an e-mail) and notice to the lead's agent.
fn send_emails(
    conn: &mut PgConnection,
    lead_id: i64,
    answers: &Answers,
    sender: &Sender,
    created: bool,
) -> QueryResult<()> {
    let send = |conn: &mut PgConnection, notice: Notice| {
        crate::mail::send(conn, &notice)
            .map(|_| ())
            .map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))
    };
    if let Some(email) = &answers.email {
        send(
            conn,
            Notice::LeadConfirmation {
                to: email.trim().to_owned(),
                name: answers.full_name.clone(),
            },
        )?;
    }
    let agent: Option<(String, String)> = leads::table
        .inner_join(staff_users::table.on(leads::assigned_staff_id.eq(staff_users::id.nullable())))
        .filter(leads::id.eq(lead_id))
        .filter(staff_users::active.eq(true))
        .select((staff_users::email, staff_users::name))
        .first(conn)
        .optional()?;
    if let Some((agent_email, agent_name)) = agent {
        let link = format!(
            "{}/admin/leads/{lead_id}",
            sender.base_url.trim_end_matches('/')
        );
        send(
            conn,
            Notice::LeadAssigned {
                to: agent_email,
                agent_name,
                lead_name: answers.full_name.clone(),
                link,
                created,
            },
        )?;
    }
    Ok(())
}
