//! The back-office (`/admin`): staff sign-in and the pages behind it.

mod auth;
mod catalog;
mod dashboard;
mod outbox;
pub mod routes;

use actix_web::cookie::SameSite;
use actix_web::cookie::time::Duration;
use actix_web::middleware::from_fn;
use actix_web::web;

use actix_identity::IdentityMiddleware;
use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity};

use crate::auth::session_store::PgSessionStore;
use crate::db::Db;
use crate::web::AppKeys;

pub use auth::CurrentStaff;

/// Idle and absolute limits of a staff session.
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 10;

pub const SESSION_COOKIE: &str = "sori_admin";

pub fn routes(
    db: Db,
    keys: AppKeys,
    secure_cookies: bool,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let identity = IdentityMiddleware::builder()
        .login_deadline(Some(std::time::Duration::from_secs(
            ABSOLUTE_TIMEOUT_HOURS as u64 * 3600,
        )))
        .visit_deadline(Some(std::time::Duration::from_secs(
            IDLE_TIMEOUT_MINUTES as u64 * 60,
        )))
        .build();
    let sessions = SessionMiddleware::builder(PgSessionStore::new(db), keys.session)
        .cookie_name(SESSION_COOKIE.to_owned())
        .cookie_path("/admin".to_owned())
        .cookie_secure(secure_cookies)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Private)
        .session_lifecycle(
            BrowserSession::default().state_ttl(Duration::minutes(IDLE_TIMEOUT_MINUTES)),
        )
        .build();

    web::scope("/admin")
        .service(
            web::resource("/entrar")
                .get(auth::login_form)
                .post(auth::login),
        )
        .service(web::resource("/salir").post(auth::logout))
        .service(routes::register(web::scope("")).wrap(from_fn(auth::require_staff)))
        .wrap(identity)
        .wrap(sessions)
}
