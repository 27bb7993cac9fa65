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
