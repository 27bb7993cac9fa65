//! e-SORI's client accounts without HTTP: the accounts and their one-time links (invitation,
//! registration, password reset, e-mail change), the client's profile and consents, the
//! second sign-in step's state, and the queries behind the portal's pages (under row-level
//! security). The portal face (`src/portal`) and the back-office's invitations both use it.

pub mod accounts;
pub mod email_change;
pub mod profile;
pub mod queries;
pub mod second_factor;
pub mod unsubscribe;
