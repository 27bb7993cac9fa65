//! The e-mails the application sends, one constructor each. Their templates live in
//! `templates/emails/` (`<name>.html` extending `layout.html`, and `<name>.txt`).

use crate::mail::{Email, compose};

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
