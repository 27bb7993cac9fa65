//! Outgoing e-mail: the outbox, its templates, the transport and the worker that delivers.
//!
//! A feature that sends an e-mail builds an [`Email`] (usually through [`compose`] and two
//! Askama templates under `templates/emails/`) and calls [`enqueue`] inside the transaction of
//! the change that causes it: the row commits or rolls back with that change. The worker
//! ([`worker`]) claims pending rows, sends them through the [`transport::Transport`] and
//! records the outcome, retrying with backoff. Nothing is ever sent from a request handler.

pub mod outbox;
pub mod transport;
pub mod worker;

use askama::Template;
use diesel::prelude::*;

use crate::db::schema::outbound_emails;

/// One e-mail ready to be queued: recipient, subject and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// What the e-mail is, for the outbox list and logs: `area.event`, e.g. `staff.invitation`.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    /// The plain-text alternative.
    pub text: String,
    /// The HTML alternative.
    pub html: String,
}

/// Queues `email` for delivery and returns its outbox id.
///
/// Call it inside the caller's transaction (`db.transaction(|conn| ...)`), so the e-mail
/// exists exactly when the change that caused it does.
pub fn enqueue(conn: &mut PgConnection, email: &Email) -> QueryResult<i64> {
    diesel::insert_into(outbound_emails::table)
        .values((
            outbound_emails::kind.eq(email.kind),
            outbound_emails::to_address.eq(&email.to),
            outbound_emails::subject.eq(&email.subject),
            outbound_emails::body_text.eq(&email.text),
            outbound_emails::body_html.eq(&email.html),
        ))
        .returning(outbound_emails::id)
        .get_result(conn)
}

/// Builds an [`Email`] from its HTML and plain-text templates (see [`email_templates!`]).
pub fn compose(
    kind: &'static str,
    to: &str,
    subject: &str,
    html: &impl Template,
    text: &impl Template,
) -> Result<Email, askama::Error> {
    Ok(Email {
        kind,
        to: to.trim().to_owned(),
        subject: subject.to_owned(),
        text: text.render()?,
        html: html.render()?,
    })
}

/// Declares the two templates of one e-mail over one data struct:
///
/// ```ignore
/// pub struct Welcome { pub name: String }
/// email_templates!(Welcome {
///     html: WelcomeHtml = "emails/welcome.html",
///     text: WelcomeText = "emails/welcome.txt",
/// });
/// mail::compose("x.welcome", to, "Bienvenido", &WelcomeHtml(&data), &WelcomeText(&data))
/// ```
///
/// Both wrappers dereference to the data, so the templates write `{{ name }}`. The HTML one
/// escapes (and usually extends `emails/layout.html`); the `.txt` one is rendered verbatim with
/// its whitespace preserved, so blank lines stay paragraph breaks.
macro_rules! email_templates {
    ($data:ident {
        html: $html:ident = $html_path:literal,
        text: $text:ident = $text_path:literal $(,)?
    }) => {
        #[derive(askama::Template)]
        #[template(path = $html_path)]
        pub struct $html<'a>(pub &'a $data);

        #[derive(askama::Template)]
        #[template(path = $text_path, whitespace = "preserve")]
        pub struct $text<'a>(pub &'a $data);

        impl std::ops::Deref for $html<'_> {
            type Target = $data;
            fn deref(&self) -> &$data {
                self.0
            }
        }

        impl std::ops::Deref for $text<'_> {
            type Target = $data;
            fn deref(&self) -> &$data {
                self.0
            }
        }
    };
}

pub mod templates;
