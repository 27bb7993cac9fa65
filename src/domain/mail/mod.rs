//! Outgoing e-mail: the outbox, the transport and the worker that delivers.
//!
//! A feature that sends an e-mail describes it as a [`Notice`] and calls [`send`] inside the
//! transaction of the change that causes it: the row commits or rolls back with that change.
//! The domain knows no template engine: the application installs the [`Renderer`] that turns
//! a notice into an [`Email`] (`crate::emails`, Askama templates under `templates/emails/`). The worker
//! ([`worker`]) claims pending rows, sends them through the [`transport::Transport`] and
//! records the outcome, retrying with backoff. Nothing is ever sent from a request handler.

pub mod outbox;
pub mod transport;
pub mod worker;

use std::sync::OnceLock;

use diesel::prelude::*;

use crate::db::DbError;
use crate::db::schema::outbound_emails;

/// One e-mail ready to be queued: recipient, subject and both bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email {
    /// What the e-mail is, for the outbox list and logs: `area.event`, e.g. `staff.invitation`.
    pub kind: String,
    pub to: String,
    pub subject: String,
    /// The plain-text alternative.
    pub text: String,
    /// The HTML alternative.
    pub html: String,
    /// The address that unsubscribes the recipient from commercial e-mail (sent as the
    /// `List-Unsubscribe` header); `None` for service messages.
    pub list_unsubscribe: Option<String>,
}

/// Queues `email` for delivery and returns its outbox id.
///
/// Call it inside the caller's transaction (`db.transaction(|conn| ...)`), so the e-mail
/// exists exactly when the change that caused it does.
pub fn enqueue(conn: &mut PgConnection, email: &Email) -> QueryResult<i64> {
    diesel::insert_into(outbound_emails::table)
        .values(outbox_row(email))
        .returning(outbound_emails::id)
        .get_result(conn)
}

/// An outbox row as inserted (the rest of its columns start at their defaults).
#[derive(Insertable)]
#[diesel(table_name = outbound_emails)]
struct OutboxRow<'a> {
    kind: &'a str,
    to_address: &'a str,
    subject: &'a str,
    body_text: &'a str,
    body_html: &'a str,
    list_unsubscribe: Option<&'a str>,
}

fn outbox_row(email: &Email) -> OutboxRow<'_> {
    OutboxRow {
        kind: &email.kind,
        to_address: &email.to,
        subject: &email.subject,
        body_text: &email.text,
        body_html: &email.html,
        list_unsubscribe: email.list_unsubscribe.as_deref(),
    }
}

/// An e-mail the domain sends, as data; the installed [`Renderer`] writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// "We have received your request" to a visitor who sent a form.
    LeadConfirmation { to: String, name: String },
    /// The pre-contract information of a quote (RDL 3/2020), on a durable medium.
    Precontract {
        to: String,
        name: String,
        quote_number: String,
        /// (heading, paragraph) in order.
        sections: Vec<(String, String)>,
        version: String,
    },
    /// A lead assigned to an agent (`created`: a new lead, not one reassigned).
    LeadAssigned {
        to: String,
        agent_name: String,
        lead_name: String,
        link: String,
        created: bool,
    },
    /// A client accepted an option of a quote in e-SORI.
    QuoteAcceptedByClient {
        to: String,
        name: String,
        number: String,
        option: String,
        link: String,
    },
    /// A one-time link to e-SORI: to a client invited by staff, to someone registering, to
    /// choose a new password, or to confirm a new e-mail address.
    ClientLink {
        purpose: ClientLinkPurpose,
        to: String,
        name: String,
        link: String,
    },
    /// To the old address: someone asked to change the account's e-mail.
    ClientEmailChangeNotice { to: String, link: String },
    /// The brokerage answered in an e-SORI conversation.
    ClientReplyWaiting { to: String, link: String },
    /// The price of a taxi quote asked on /taxi, with its public link.
    TaxiQuote {
        to: String,
        name: String,
        number: String,
        link: String,
        valid_until: String,
    },
    /// The client signed a SEPA mandate in e-SORI: their copy of the text they signed.
    MandateSigned {
        to: String,
        name: String,
        reference: String,
        /// The mandate as signed, line by line.
        text: String,
    },
    /// The pre-notification of a SEPA direct debit: what will be charged, when, to which
    /// account, under which mandate and creditor identifier.
    DirectDebitNotice {
        to: String,
        name: String,
        /// "12/01/2027".
        collection_date: String,
        /// "1.234,50 €", all receipts together.
        total: String,
        /// The account, masked but for its last four digits.
        account: String,
        mandate: String,
        creditor_id: String,
        creditor_name: String,
        /// (receipt number, policy number, amount) per receipt.
        receipts: Vec<(String, String, String)>,
    },
    /// The acknowledgement of a complaint: its reference and the day the answer is due.
    ComplaintReceived {
        to: String,
        name: String,
        reference: String,
        /// "queja" or "reclamación".
        kind: String,
        received_on: String,
        due_on: String,
    },
    /// A document of the brokerage sent as an attachment (a quote, a certificate...).
    DocumentSent {
        to: String,
        name: String,
        /// "Presupuesto", "Certificado de seguro"...
        title: String,
        filename: String,
    },
    /// The department's reasoned answer, with where to go if the complainant disagrees.
    ComplaintAnswered {
        to: String,
        name: String,
        reference: String,
        outcome: String,
        answer: String,
    },
    /// The weekly analytics digest of a staff member who asked for it (`crate::digest`).
    AnalyticsDigest {
        to: String,
        name: String,
        /// "del 30/11/2026 al 06/12/2026".
        week: String,
        /// The figures count only the recipient's own customers (an agent).
        own_book: bool,
        lines: Vec<crate::digest::Line>,
        /// The site's public address; the e-mail links to the analytics pages below it.
        base_url: String,
    },
}

/// What an e-SORI link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientLinkPurpose {
    Invitation,
    Registration,
    PasswordReset,
    EmailChange,
}

/// Turns a notice into the e-mail to queue (templates are the application's business).
pub type Renderer = fn(&Notice) -> Result<Email, String>;

static RENDERER: OnceLock<Renderer> = OnceLock::new();

/// Installs the application's renderer; the first one installed stays.
pub fn install_renderer(renderer: Renderer) {
    let _ = RENDERER.set(renderer);
}

/// Renders `notice` and queues it; call inside the transaction of the change that causes it.
/// Without a renderer installed the change fails rather than lose the e-mail silently.
pub fn send(conn: &mut PgConnection, notice: &Notice) -> Result<i64, DbError> {
    let email = render(notice)?;
    Ok(enqueue(conn, &email)?)
}

/// [`send`] for several notices, queued in one statement (in the order given).
pub fn send_all(conn: &mut PgConnection, notices: &[Notice]) -> Result<(), DbError> {
    let emails = notices.iter().map(render).collect::<Result<Vec<_>, _>>()?;
    if emails.is_empty() {
        return Ok(());
    }
    diesel::insert_into(outbound_emails::table)
        .values(emails.iter().map(outbox_row).collect::<Vec<_>>())
        .execute(conn)?;
    Ok(())
}

fn render(notice: &Notice) -> Result<Email, DbError> {
    let render = RENDERER
        .get()
        .ok_or_else(|| DbError::other("no e-mail renderer is installed"))?;
    render(notice).map_err(DbError::other)
}
