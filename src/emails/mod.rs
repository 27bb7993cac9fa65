//! The e-mails the application writes: Askama templates under `templates/emails/`, one
//! constructor each ([`templates`]), and the renderer of the domain's [`Notice`]s, installed at
//! start-up with [`install`].

use askama::Template;

use crate::mail::{ClientLinkPurpose, Email, Notice};

/// Installs [`render`] as the domain's e-mail renderer (idempotent).
pub fn install() {
    crate::mail::install_renderer(render);
}

/// The e-mail of each notice the domain sends.
pub fn render(notice: &Notice) -> Result<Email, String> {
    use templates as t;
    match notice {
        Notice::LeadConfirmation { to, name } => t::lead_confirmation(to, name),
        Notice::LeadAssigned {
            to,
            agent_name,
            lead_name,
            link,
            created,
        } => t::lead_assigned(to, agent_name, lead_name, link, *created),
        Notice::QuoteAcceptedByClient {
            to,
            name,
            number,
            option,
            link,
        } => t::quote_accepted_by_client(to, name, number, option, link),
        Notice::ClientLink {
            purpose,
            to,
            name,
            link,
        } => match purpose {
            ClientLinkPurpose::Invitation => t::client_invitation(to, name, link),
            ClientLinkPurpose::Registration => t::client_registration(to, name, link),
            ClientLinkPurpose::PasswordReset => t::client_password_reset(to, name, link),
            ClientLinkPurpose::EmailChange => t::client_email_change(to, name, link),
        },
        Notice::ClientEmailChangeNotice { to, link } => t::client_email_change_notice(to, link),
        Notice::ClientReplyWaiting { to, link } => t::client_reply_waiting(to, link),
        Notice::TaxiQuote {
            to,
            name,
            number,
            link,
            valid_until,
        } => t::taxi_quote(to, name, number, link, valid_until),
        Notice::MandateSigned {
            to,
            name,
            reference,
            text,
        } => t::mandate_signed(
            to,
            t::MandateSigned {
                name: name.clone(),
                reference: reference.clone(),
                text: text.clone(),
            },
        ),
        Notice::DirectDebitNotice {
            to,
            name,
            collection_date,
            total,
            account,
            mandate,
            creditor_id,
            creditor_name,
            receipts,
        } => t::direct_debit_notice(
            to,
            t::DirectDebitNotice {
                name: name.clone(),
                collection_date: collection_date.clone(),
                total: total.clone(),
                account: account.clone(),
                mandate: mandate.clone(),
                creditor_id: creditor_id.clone(),
                creditor_name: creditor_name.clone(),
                receipts: receipts.clone(),
            },
        ),
        Notice::ComplaintReceived {
            to,
            name,
            reference,
            kind,
            received_on,
            due_on,
        } => t::complaint_received(
            to,
            t::ComplaintReceived {
                name: name.clone(),
                reference: reference.clone(),
                kind: kind.clone(),
                received_on: received_on.clone(),
                due_on: due_on.clone(),
            },
        ),
        Notice::Precontract {
            to,
            name,
            quote_number,
            sections,
            version,
        } => t::precontract(
            to,
            t::Precontract {
                name: name.clone(),
                quote_number: quote_number.clone(),
                sections: sections.clone(),
                version: version.clone(),
            },
        ),
        Notice::DocumentSent {
            to,
            name,
            title,
            filename,
        } => t::document_sent(
            to,
            t::DocumentSent {
                name: name.clone(),
                title: title.clone(),
                filename: filename.clone(),
            },
        ),
        Notice::ComplaintAnswered {
            to,
            name,
            reference,
            outcome,
            answer,
        } => t::complaint_answered(
            to,
            t::ComplaintAnswered {
                name: name.clone(),
                reference: reference.clone(),
                outcome: outcome.clone(),
                answer: answer.clone(),
            },
        ),
        Notice::AnalyticsDigest {
            to,
            name,
            week,
            own_book,
            lines,
            base_url,
        } => t::analytics_digest(
            to,
            t::AnalyticsDigest {
                name: name.clone(),
                week: week.clone(),
                own_book: *own_book,
                lines: lines.clone(),
                link: t::analytics_link(base_url),
            },
        ),
    }
    .map_err(|error| error.to_string())
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
        kind: kind.to_owned(),
        to: to.trim().to_owned(),
        subject: subject.to_owned(),
        text: text.render()?,
        html: html.render()?,
        list_unsubscribe: None,
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
