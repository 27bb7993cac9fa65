//! e-SORI, the clients' portal (`/portal`).
//!
//! Its own session cookie (`sori_portal`, Path=/portal) over the shared PostgreSQL session
//! store, kept apart by kind: a client session opens nothing under `/admin`, whose cookie,
//! store kind and guard are different. Every personal page answers `Cache-Control: no-store`.

mod auth;
mod claims;
mod complaints;
mod direct_debit;
mod inbox;
mod my_data;
mod pages;
mod quotes;
mod security;
mod two_factor;

use actix_web::middleware::from_fn;
use actix_web::web;

use crate::config::Config;
use crate::db::Db;
use crate::web::AppKeys;
use crate::web::session_store::{self, SessionKind};

pub const SESSION_COOKIE: &str = "sori_portal";

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
        SessionKind::Client,
        keys.session,
        SESSION_COOKIE,
        "/portal",
        &config,
    );

    web::scope("/portal")
        .service(web::resource("").get(pages::welcome))
        .service(
            web::resource("/entrar")
                .get(auth::login_form)
                .post(auth::login),
        )
        .service(
            web::resource("/entrar/codigo")
                .get(two_factor::code_form)
                .post(two_factor::code_submit),
        )
        .service(web::resource("/salir").post(auth::logout))
        .service(
            web::resource("/correo/{token}")
                .get(my_data::confirm_email_form)
                .post(my_data::confirm_email),
        )
        .service(
            web::resource("/registro")
                .get(auth::register_form)
                .post(auth::register),
        )
        .service(
            web::resource("/recuperar")
                .get(auth::reset_form)
                .post(auth::request_reset),
        )
        .service(
            web::resource("/contrasena/{token}")
                .get(auth::set_form)
                .post(auth::set_password),
        )
        .service(
            web::scope("")
                .service(web::resource("/inicio").get(pages::home))
                .service(web::resource("/polizas").get(pages::policies))
                .service(web::resource("/polizas/{id}").get(pages::policy))
                .service(web::resource("/documentos/{id}").get(pages::document))
                .service(
                    web::resource("/siniestros")
                        .get(pages::claims)
                        .post(claims::create),
                )
                .service(web::resource("/siniestros/nuevo").get(claims::new_form))
                .service(web::resource("/siniestros/{id}").get(pages::claim))
                .service(
                    web::resource("/siniestros/{id}/informacion").post(claims::add_information),
                )
                .service(
                    web::resource("/reclamaciones")
                        .get(complaints::list)
                        .post(complaints::create),
                )
                .service(web::resource("/reclamaciones/nueva").get(complaints::new_form))
                .service(web::resource("/reclamaciones/{id}").get(complaints::show))
                .service(
                    web::resource("/reclamaciones/{id}/persona").post(complaints::request_human),
                )
                .service(web::resource("/presupuestos").get(quotes::list))
                .service(
                    web::resource("/presupuestos/solicitar")
                        .get(quotes::request_form)
                        .post(quotes::request),
                )
                .service(web::resource("/presupuestos/{id}").get(quotes::show))
                .service(web::resource("/presupuestos/{id}/aceptar").post(quotes::accept))
                .service(
                    web::resource("/domiciliacion")
                        .get(direct_debit::show)
                        .post(direct_debit::sign),
                )
                .service(web::resource("/accesos").get(pages::sign_ins))
                .service(web::resource("/seguridad").get(two_factor::show))
                .service(web::resource("/seguridad/activar").post(two_factor::activate))
                .service(web::resource("/seguridad/desactivar").post(two_factor::deactivate))
                .service(web::resource("/seguridad/codigos").post(two_factor::regenerate_codes))
                .service(web::resource("/seguridad/contrasena").post(security::change_password))
                .service(
                    web::resource("/seguridad/sesiones/cerrar-otras")
                        .post(security::end_other_sessions),
                )
                .service(
                    web::resource("/datos")
                        .get(my_data::show)
                        .post(my_data::update),
                )
                .service(web::resource("/datos/correo").post(my_data::request_email_change))
                .service(web::resource("/datos/correo/cancelar").post(my_data::cancel_email_change))
                .service(web::resource("/datos/consentimiento").post(my_data::consent))
                .service(web::resource("/datos/descarga").get(my_data::download))
                .service(web::resource("/datos/consultas").get(pages::data_access))
                .service(web::resource("/datos/solicitudes").post(my_data::request_right))
                .service(web::resource("/datos/supresion").post(my_data::erasure))
                .service(
                    web::resource("/mensajes")
                        .get(inbox::list)
                        .post(inbox::create),
                )
                .service(
                    web::resource("/mensajes/{id}")
                        .get(inbox::show)
                        .post(inbox::reply),
                )
                .wrap(from_fn(auth::require_client)),
        )
        // Personal data: never stored by the browser or a proxy (the back button included).
        .wrap(crate::web::headers::no_store())
        .wrap(identity)
        .wrap(sessions)
}

/// Formatting for the portal templates, which hand values over by reference.
pub mod fmt {
    use chrono::{DateTime, NaiveDate, Utc};

    /// dd/mm/aaaa.
    pub fn date(day: &NaiveDate) -> String {
        crate::format::date(*day)
    }

    /// A moment in Madrid time.
    pub fn when(instant: &DateTime<Utc>) -> String {
        crate::format::madrid_datetime(*instant)
    }

    /// "1.234,56 €".
    pub fn money(cents: &i64) -> String {
        crate::money::format_cents(*cents)
    }
}
