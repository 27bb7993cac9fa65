//! Web plumbing shared by every face: assets, errors, CSRF, flash messages, security headers,
//! metrics and health checks. Nothing here knows about insurance.

pub mod assets;
pub mod csrf;
pub mod device;
pub mod error;
pub mod export;
pub mod flash;
pub mod form;
pub mod headers;
pub mod health;
pub mod listing;
pub mod metrics;
pub mod multipart;
pub mod page;
pub mod render;
pub mod request_meta;
pub mod second_step;
pub mod session_store;
pub mod two_factor;

use actix_web::cookie::Key;

/// Keys derived from `SECRET_KEY`, one per purpose, so that no signature can be replayed
/// across uses.
#[derive(Clone)]
pub struct AppKeys {
    pub csrf: Vec<u8>,
    pub cookie: Key,
    pub session: Key,
    /// Signs the time a public form was served (`landings::spam`); derived once, not per visit.
    pub form_stamp: Vec<u8>,
}

impl AppKeys {
    pub fn derive(secret: &[u8]) -> Self {
        let derive = |purpose| crate::util::derive_key(secret, purpose);
        let cookie_material = [derive("cookies-a"), derive("cookies-b")].concat();
        let session_material = [derive("session-a"), derive("session-b")].concat();
        Self {
            csrf: derive("csrf"),
            cookie: Key::from(&cookie_material),
            session: Key::from(&session_material),
            form_stamp: crate::landings::spam::stamp_key(secret),
        }
    }
}
