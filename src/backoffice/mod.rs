//! The back-office (`/admin`): staff sign-in and the pages behind it. Every answer under
//! `/admin` carries `Cache-Control: no-store`.

mod access_log;
mod account;
mod analytics;
mod audit;
mod auth;
mod automation;
mod automation_templates;
mod blocked;
mod blog;
mod catalog;
mod claims;
mod collection;
mod commissions;
mod complaints;
mod customers;
mod dashboard;
mod documents;
mod imports;
mod landings;
mod leads;
pub mod menu;
mod messages;
mod outbox;
pub mod password_links;
mod policies;
mod portal_invites;
mod privacy_requests;
mod processing_record;
mod quotes;
mod receipts;
mod retention;
pub mod routes;
mod search;
mod security;
mod settlements;
mod sign_in_code;
mod tariffs;
mod tasks;
mod taxi_panel;
mod two_factor;
mod users;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::config::Config;
use crate::db::Db;
use crate::web::AppKeys;
use crate::web::session_store::{self, SessionKind};

pub use auth::CurrentStaff;
pub use tariffs::tariff_form_fields;

use crate::audit::{Action, NewEntry};
use crate::auth::staff::StaffUser;
use crate::web::request_meta::RequestMeta;

/// An audit entry for something `staff` did in this request (add target and details with
/// struct update syntax).
pub(crate) fn audit_entry<'a>(
    staff: &'a StaffUser,
    meta: &'a RequestMeta,
    action: Action,
) -> NewEntry<'a> {
    NewEntry {
        actor_staff_id: Some(staff.id),
        actor_label: &staff.email,
        action,
        target_type: None,
        target_id: None,
        ip: &meta.ip,
        user_agent: &meta.user_agent,
        details: serde_json::json!({}),
    }
}

pub const SESSION_COOKIE: &str = "sori_admin";

pub fn routes(
    db: Db,
    keys: AppKeys,
    config: Config,
) -> actix_web::Scope<
    impl actix_web::dev::ServiceFactory<
        actix_web::dev::ServiceRequest,
        Config = (),
        Response = actix_web::dev::ServiceResponse<impl actix_web::body::MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (identity, sessions) = session_store::face_middleware(
        db,
        SessionKind::Staff,
        keys.session,
        SESSION_COOKIE,
        "/admin",
        &config,
    );

    web::scope("/admin")
        .service(
            web::resource("/entrar")
                .get(auth::login_form)
                .post(auth::login),
        )
        // The second step of sign-in is public: nobody is signed in until it succeeds.
        .service(
            web::resource("/entrar/codigo")
                .get(sign_in_code::form)
                .post(sign_in_code::submit),
        )
        .service(web::resource("/salir").post(auth::logout))
        .service(
            web::resource("/recuperar")
                .get(password_links::request_form)
                .post(password_links::request_reset),
        )
        .service(
            web::resource("/contrasena/{token}")
                .get(password_links::set_form)
                .post(password_links::set_password),
        )
        .service(routes::register(web::scope("")).wrap(from_fn(auth::require_staff)))
        // Customers, policies, claims, audit entries: nothing of the back-office may outlive
        // the session in a browser or proxy cache (pages, htmx partials and sign-in alike).
        .wrap(crate::web::headers::no_store())
        .wrap(identity)
        .wrap(sessions)
}
