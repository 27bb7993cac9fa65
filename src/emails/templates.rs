//! The e-mails the application sends, one constructor each. Their templates live in
//! `templates/emails/` (`<name>.html` extending `layout.html`, and `<name>.txt`).

use crate::emails::compose;
use crate::mail::Email;

/// Outbox kind of the invitation to the back-office.
pub const STAFF_INVITATION: &str = "staff.invitation";
/// Outbox kind of the password-reset e-mail.
pub const PASSWORD_RESET: &str = "staff.password_reset";

/// Data of an e-mail that greets someone and hands them a single link.
pub struct NameAndLink {
    pub name: String,
    pub link: String,
}

email_templates!(NameAndLink {
    html: StaffInvitationHtml = "emails/staff_invitation.html",
    text: StaffInvitationText = "emails/staff_invitation.txt",
});

email_templates!(NameAndLink {
    html: PasswordResetHtml = "emails/password_reset.html",
    text: PasswordResetText = "emails/password_reset.txt",
});

/// "You have an account in the back-office: choose your password here (valid 72 hours)."
pub fn staff_invitation(to: &str, name: &str, link: &str) -> Result<Email, askama::Error> {
    let data = NameAndLink {
        name: name.to_owned(),
        link: link.to_owned(),
    };
    compose(
        STAFF_INVITATION,
        to,
        "Su acceso al back-office de Soriano Mediadores",
        &StaffInvitationHtml(&data),
        &StaffInvitationText(&data),
    )
}

/// "Here is a link to choose a new password (valid 1 hour); ignore it if you did not ask."
pub fn password_reset(to: &str, name: &str, link: &str) -> Result<Email, askama::Error> {
    let data = NameAndLink {
        name: name.to_owned(),
        link: link.to_owned(),
    };
    compose(
        PASSWORD_RESET,
        to,
        "Restablecer su contraseña de Soriano Mediadores",
        &PasswordResetHtml(&data),
        &PasswordResetText(&data),
    )
}

/// Outbox kind of the confirmation to a visitor who sent a form.
pub const LEAD_CONFIRMATION: &str = "lead.confirmation";
/// Outbox kind of the notice to the agent a lead is assigned to.
pub const LEAD_ASSIGNED: &str = "lead.assigned";

/// Data of the confirmation to a visitor.
pub struct LeadConfirmation {
    pub name: String,
}

email_templates!(LeadConfirmation {
    html: LeadConfirmationHtml = "emails/lead_confirmation.html",
    text: LeadConfirmationText = "emails/lead_confirmation.txt",
});

/// "We have your request; an advisor will call or write within one working day."
pub fn lead_confirmation(to: &str, name: &str) -> Result<Email, askama::Error> {
    let data = LeadConfirmation {
        name: name.to_owned(),
    };
    compose(
        LEAD_CONFIRMATION,
        to,
        "Hemos recibido su solicitud · Soriano Mediadores",
        &LeadConfirmationHtml(&data),
        &LeadConfirmationText(&data),
    )
}

/// Data of the notice to an agent.
pub struct LeadAssigned {
    pub name: String,
    pub lead_name: String,
    pub link: String,
    /// A new lead, or a new submission on one the agent already has.
    pub new: bool,
}

email_templates!(LeadAssigned {
    html: LeadAssignedHtml = "emails/lead_assigned.html",
    text: LeadAssignedText = "emails/lead_assigned.txt",
});

/// "A new lead (or a new request from your lead) is waiting for you."
pub fn lead_assigned(
    to: &str,
    name: &str,
    lead_name: &str,
    link: &str,
    new: bool,
) -> Result<Email, askama::Error> {
    let data = LeadAssigned {
        name: name.to_owned(),
        lead_name: lead_name.to_owned(),
        link: link.to_owned(),
        new,
    };
    let subject = if new {
        format!("Nuevo lead asignado: {lead_name}")
    } else {
        format!("{lead_name} ha vuelto a escribir")
    };
    compose(
        LEAD_ASSIGNED,
        to,
        &subject,
        &LeadAssignedHtml(&data),
        &LeadAssignedText(&data),
    )
}

/// Outbox kinds of the e-SORI (client portal) links.
pub const CLIENT_INVITATION: &str = "client.invitation";
pub const CLIENT_REGISTRATION: &str = "client.registration";
pub const CLIENT_PASSWORD_RESET: &str = "client.password_reset";

/// A client e-mail carrying one link: a greeting, why the link comes, how long it lasts.
pub struct ClientLink {
    pub name: String,
    pub intro: &'static str,
    pub label: &'static str,
    pub link: String,
}

email_templates!(ClientLink {
    html: ClientLinkHtml = "emails/client_link.html",
    text: ClientLinkText = "emails/client_link.txt",
});

fn client_link(
    kind: &'static str,
    to: &str,
    subject: &str,
    data: ClientLink,
) -> Result<Email, askama::Error> {
    compose(
        kind,
        to,
        subject,
        &ClientLinkHtml(&data),
        &ClientLinkText(&data),
    )
}

/// "Your broker opened your e-SORI access: choose your password (72 hours)."
pub fn client_invitation(to: &str, name: &str, link: &str) -> Result<Email, askama::Error> {
    client_link(
        CLIENT_INVITATION,
        to,
        "Su acceso a e-SORI, el área de clientes de Soriano Mediadores",
        ClientLink {
            name: name.to_owned(),
            intro: "Su gestor le ha dado acceso a e-SORI, el área privada de clientes de Soriano Mediadores. Para entrar por primera vez, elija su contraseña en este enlace, válido 72 horas:",
            label: "Elegir mi contraseña",
            link: link.to_owned(),
        },
    )
}

/// "Confirm your address and choose your password (72 hours)."
pub fn client_registration(to: &str, name: &str, link: &str) -> Result<Email, askama::Error> {
    client_link(
        CLIENT_REGISTRATION,
        to,
        "Confirme su registro en e-SORI",
        ClientLink {
            name: name.to_owned(),
            intro: "Hemos recibido su solicitud de registro en e-SORI. Para confirmar su correo y elegir su contraseña, abra este enlace, válido 72 horas:",
            label: "Confirmar y elegir contraseña",
            link: link.to_owned(),
        },
    )
}

/// "Here is a link to choose a new e-SORI password (1 hour)."
pub fn client_password_reset(to: &str, name: &str, link: &str) -> Result<Email, askama::Error> {
    client_link(
        CLIENT_PASSWORD_RESET,
        to,
        "Restablecer su contraseña de e-SORI",
        ClientLink {
            name: name.to_owned(),
            intro: "Alguien (probablemente usted) ha pedido restablecer su contraseña de e-SORI. Elija una nueva en este enlace, válido 1 hora. Si no lo pidió, ignore este mensaje: su contraseña no cambia.",
            label: "Elegir una contraseña nueva",
            link: link.to_owned(),
        },
    )
}

/// Outbox kinds of the e-mail change: the link to the new address, the notice to the old one.
pub const CLIENT_EMAIL_CHANGE: &str = "client.email_change";
pub const CLIENT_EMAIL_CHANGE_NOTICE: &str = "client.email_change_notice";

/// "Confirm your new e-SORI address (24 hours)", sent to the new address.
pub fn client_email_change(to: &str, name: &str, link: &str) -> Result<Email, askama::Error> {
    client_link(
        CLIENT_EMAIL_CHANGE,
        to,
        "Confirme su nuevo correo en e-SORI",
        ClientLink {
            name: name.to_owned(),
            intro: "Ha pedido usar esta dirección para e-SORI y para sus comunicaciones con Soriano Mediadores. Para confirmarla, abra este enlace, válido 24 horas. Si no lo pidió, ignore este mensaje.",
            label: "Confirmar mi nuevo correo",
            link: link.to_owned(),
        },
    )
}

email_templates!(LinkOnly {
    html: ClientEmailChangeNoticeHtml = "emails/client_email_change_notice.html",
    text: ClientEmailChangeNoticeText = "emails/client_email_change_notice.txt",
});

/// "A change of your e-mail was requested" to the old address: no new address, no name,
/// only a link to "Mis datos" where the change can be cancelled.
pub fn client_email_change_notice(to: &str, link: &str) -> Result<Email, askama::Error> {
    let data = LinkOnly {
        link: link.to_owned(),
    };
    compose(
        CLIENT_EMAIL_CHANGE_NOTICE,
        to,
        "Se ha solicitado cambiar su correo en e-SORI",
        &ClientEmailChangeNoticeHtml(&data),
        &ClientEmailChangeNoticeText(&data),
    )
}

/// Outbox kind of the notice to the claims team of a claim reported in e-SORI.
pub const CLAIM_REPORTED: &str = "claim.reported_by_client";

/// A claim number and the back-office link to it.
pub struct ClaimNotice {
    pub number: String,
    pub link: String,
}

email_templates!(ClaimNotice {
    html: ClaimReportedHtml = "emails/claim_reported.html",
    text: ClaimReportedText = "emails/claim_reported.txt",
});

/// "A client reported claim SIN-... in e-SORI; it waits in the queue."
pub fn claim_reported(to: &str, number: &str, link: &str) -> Result<Email, askama::Error> {
    let data = ClaimNotice {
        number: number.to_owned(),
        link: link.to_owned(),
    };
    compose(
        CLAIM_REPORTED,
        to,
        &format!("Nuevo siniestro comunicado en e-SORI: {number}"),
        &ClaimReportedHtml(&data),
        &ClaimReportedText(&data),
    )
}

/// Outbox kind of the "you have a reply in e-SORI" notice.
pub const CLIENT_REPLY_WAITING: &str = "client.reply_waiting";

/// Only a link: the notice carries no text of the message and no personal detail.
pub struct LinkOnly {
    pub link: String,
}

email_templates!(LinkOnly {
    html: ClientReplyWaitingHtml = "emails/client_reply_waiting.html",
    text: ClientReplyWaitingText = "emails/client_reply_waiting.txt",
});

/// "You have a reply from Soriano Mediadores in e-SORI" (link only).
pub fn client_reply_waiting(to: &str, link: &str) -> Result<Email, askama::Error> {
    let data = LinkOnly {
        link: link.to_owned(),
    };
    compose(
        CLIENT_REPLY_WAITING,
        to,
        "Tiene una respuesta en e-SORI",
        &ClientReplyWaitingHtml(&data),
        &ClientReplyWaitingText(&data),
    )
}

/// Outbox kind of the notice to an agent that a client accepted a quote in e-SORI.
pub const QUOTE_ACCEPTED_BY_CLIENT: &str = "quote.accepted_by_client";

/// Data of the notice to the agent: the quote, the option chosen and the back-office link.
pub struct QuoteAcceptedByClient {
    pub name: String,
    pub number: String,
    pub option: String,
    pub link: String,
}

email_templates!(QuoteAcceptedByClient {
    html: QuoteAcceptedByClientHtml = "emails/quote_accepted_by_client.html",
    text: QuoteAcceptedByClientText = "emails/quote_accepted_by_client.txt",
});

/// "Your client accepted option X of quote PRE-...: issue the policy." No personal data beyond
/// what the agent already holds: the quote number and the carrier and premium of the option.
pub fn quote_accepted_by_client(
    to: &str,
    name: &str,
    number: &str,
    option: &str,
    link: &str,
) -> Result<Email, askama::Error> {
    let data = QuoteAcceptedByClient {
        name: name.to_owned(),
        number: number.to_owned(),
        option: option.to_owned(),
        link: link.to_owned(),
    };
    compose(
        QUOTE_ACCEPTED_BY_CLIENT,
        to,
        &format!("Presupuesto {number} aceptado por el cliente"),
        &QuoteAcceptedByClientHtml(&data),
        &QuoteAcceptedByClientText(&data),
    )
}

/// Outbox kind of the taxi quote sent to a driver who asked on /taxi.
pub const TAXI_QUOTE: &str = "taxi.quote_requested";

/// The taxi quote e-mail's data.
pub struct TaxiQuote {
    pub name: String,
    pub number: String,
    pub link: String,
    pub valid_until: String,
}

email_templates!(TaxiQuote {
    html: TaxiQuoteHtml = "emails/taxi_quote.html",
    text: TaxiQuoteText = "emails/taxi_quote.txt",
});

/// "Here is the price of your taxi insurance, valid until ...; see it at this link."
pub fn taxi_quote(
    to: &str,
    name: &str,
    number: &str,
    link: &str,
    valid_until: &str,
) -> Result<Email, askama::Error> {
    let data = TaxiQuote {
        name: name.to_owned(),
        number: number.to_owned(),
        link: link.to_owned(),
        valid_until: valid_until.to_owned(),
    };
    compose(
        TAXI_QUOTE,
        to,
        &format!("Su presupuesto de seguro de taxi {number}"),
        &TaxiQuoteHtml(&data),
        &TaxiQuoteText(&data),
    )
}

/// Outbox kind of the pre-notification of a SEPA direct debit.
pub const DIRECT_DEBIT_NOTICE: &str = "sepa.prenotification";

pub struct DirectDebitNotice {
    pub name: String,
    pub collection_date: String,
    pub total: String,
    pub account: String,
    pub mandate: String,
    pub creditor_id: String,
    pub creditor_name: String,
    pub receipts: Vec<(String, String, String)>,
}

email_templates!(DirectDebitNotice {
    html: DirectDebitNoticeHtml = "emails/direct_debit_notice.html",
    text: DirectDebitNoticeText = "emails/direct_debit_notice.txt",
});

/// "On 12/01/2027 we will charge 1.234,50 € to your account ES91 **** 1332 for these receipts."
pub fn direct_debit_notice(to: &str, data: DirectDebitNotice) -> Result<Email, askama::Error> {
    compose(
        DIRECT_DEBIT_NOTICE,
        to,
        &format!("Aviso de cargo: {} el {}", data.total, data.collection_date),
        &DirectDebitNoticeHtml(&data),
        &DirectDebitNoticeText(&data),
    )
}

/// Outbox kind of the client's copy of a mandate signed online (a `client.` kind: e-SORI may
/// queue only those and claim notices).
pub const MANDATE_SIGNED: &str = "client.mandate_signed";

pub struct MandateSigned {
    pub name: String,
    pub reference: String,
    pub text: String,
}

email_templates!(MandateSigned {
    html: MandateSignedHtml = "emails/mandate_signed.html",
    text: MandateSignedText = "emails/mandate_signed.txt",
});

/// "Your direct debit order ...": the copy of the signed text, on a durable medium.
pub fn mandate_signed(to: &str, data: MandateSigned) -> Result<Email, askama::Error> {
    compose(
        MANDATE_SIGNED,
        to,
        &format!("Su orden de domiciliación {}", data.reference),
        &MandateSignedHtml(&data),
        &MandateSignedText(&data),
    )
}

/// Outbox kind of the acknowledgement of a complaint (a `client.` kind: e-SORI queues it).
pub const COMPLAINT_RECEIVED: &str = "client.complaint_received";
/// Outbox kind of the department's answer to a complaint.
pub const COMPLAINT_ANSWERED: &str = "complaint.answered";
/// The pre-contract information of a quote.
pub const PRECONTRACT: &str = "quote.precontract";

pub struct ComplaintReceived {
    pub name: String,
    pub reference: String,
    pub kind: String,
    pub received_on: String,
    pub due_on: String,
}

email_templates!(ComplaintReceived {
    html: ComplaintReceivedHtml = "emails/complaint_received.html",
    text: ComplaintReceivedText = "emails/complaint_received.txt",
});

/// "We have received your complaint SAC-2026-00001; we will answer by 23/12/2026."
pub fn complaint_received(to: &str, data: ComplaintReceived) -> Result<Email, askama::Error> {
    compose(
        COMPLAINT_RECEIVED,
        to,
        &format!("Hemos recibido su {} {}", data.kind, data.reference),
        &ComplaintReceivedHtml(&data),
        &ComplaintReceivedText(&data),
    )
}

/// Outbox kind of a document sent as an attachment.
pub const DOCUMENT_SENT: &str = "document.sent";

pub struct DocumentSent {
    pub name: String,
    pub title: String,
    pub filename: String,
}

email_templates!(DocumentSent {
    html: DocumentSentHtml = "emails/document_sent.html",
    text: DocumentSentText = "emails/document_sent.txt",
});

/// A document of the brokerage, attached.
pub fn document_sent(to: &str, data: DocumentSent) -> Result<Email, askama::Error> {
    compose(
        DOCUMENT_SENT,
        to,
        &format!("{} de Soriano Mediadores", data.title),
        &DocumentSentHtml(&data),
        &DocumentSentText(&data),
    )
}

pub struct ComplaintAnswered {
    pub name: String,
    pub reference: String,
    pub outcome: String,
    pub answer: String,
}

email_templates!(ComplaintAnswered {
    html: ComplaintAnsweredHtml = "emails/complaint_answered.html",
    text: ComplaintAnsweredText = "emails/complaint_answered.txt",
});

/// The reasoned answer, and the DGSFP's complaints service for whoever disagrees.
pub fn complaint_answered(to: &str, data: ComplaintAnswered) -> Result<Email, askama::Error> {
    compose(
        COMPLAINT_ANSWERED,
        to,
        &format!("Respuesta a su reclamación {}", data.reference),
        &ComplaintAnsweredHtml(&data),
        &ComplaintAnsweredText(&data),
    )
}

pub struct Precontract {
    pub name: String,
    pub quote_number: String,
    pub sections: Vec<(String, String)>,
    pub version: String,
}

email_templates!(Precontract {
    html: PrecontractHtml = "emails/precontract.html",
    text: PrecontractText = "emails/precontract.txt",
});

/// The pre-contract information before a sale, the text kept with the quote's record.
pub fn precontract(to: &str, data: Precontract) -> Result<Email, askama::Error> {
    compose(
        PRECONTRACT,
        to,
        &format!(
            "Información previa a la contratación (presupuesto {})",
            data.quote_number
        ),
        &PrecontractHtml(&data),
        &PrecontractText(&data),
    )
}

/// Outbox kind of the weekly analytics digest.
pub const ANALYTICS_DIGEST: &str = "analytics.digest";

pub struct AnalyticsDigest {
    pub name: String,
    /// "del 30/11/2026 al 06/12/2026".
    pub week: String,
    pub own_book: bool,
    pub lines: Vec<crate::digest::Line>,
    pub link: String,
}

email_templates!(AnalyticsDigest {
    html: AnalyticsDigestHtml = "emails/analytics_digest.html",
    text: AnalyticsDigestText = "emails/analytics_digest.txt",
});

/// The analytics pages below the site's address `base_url` ("https://example.es/").
pub fn analytics_link(base_url: &str) -> String {
    format!("{}/admin/analitica", base_url.trim_end_matches('/'))
}

/// The main figures of the week just finished against the week before, to a staff member
/// who asked for them.
pub fn analytics_digest(to: &str, data: AnalyticsDigest) -> Result<Email, askama::Error> {
    compose(
        ANALYTICS_DIGEST,
        to,
        &format!("Resumen semanal de analítica: semana {}", data.week),
        &AnalyticsDigestHtml(&data),
        &AnalyticsDigestText(&data),
    )
}
