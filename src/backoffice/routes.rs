//! Every back-office page behind sign-in, with the permission it needs.
//!
//! Registering a staff page means adding a line here: `GET "/path" => handler, Permission;`.
//! The macro mounts the handler behind a check of that permission (403 page otherwise), and
//! publishes the same list as [`ROUTES`] so that a test can walk every route with every role.
//! A handler that is not in this table is not reachable, so none can go unchecked.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpMessage, guard, web};

use crate::auth::permissions::Permission;
use crate::backoffice::automation_templates;
use crate::backoffice::{
    CurrentStaff, account, analytics, audit, blog, catalog, claims, collection, commissions,
    customers, dashboard, documents, imports, landings, leads, messages, outbox, policies,
    portal_invites, quotes, receipts, search, security, settlements, tariffs, tasks, taxi_panel,
    two_factor, users,
};
use crate::web::error::AppError;

/// One row of the table, for tests and documentation.
#[derive(Debug, Clone, Copy)]
pub struct StaffRoute {
    pub method: &'static str,
    /// Path below `/admin`, with `{param}` placeholders.
    pub path: &'static str,
    pub permission: Permission,
}

macro_rules! staff_routes {
    ($($method:ident $path:literal => $handler:path, $permission:ident;)*) => {
        /// The back-office routes behind sign-in (paths relative to `/admin`).
        pub const ROUTES: &[StaffRoute] = &[
            $(StaffRoute { method: stringify!($method), path: $path, permission: Permission::$permission }),*
        ];

        /// Mounts every route of the table on `scope`, each behind its permission check.
        pub fn register(scope: actix_web::Scope) -> actix_web::Scope {
            let mut sections = Sections::new(scope);
            $(
                sections.add($path, |rest| {
                    web::resource(rest)
                        .guard(method_guard(stringify!($method)))
                        .wrap(from_fn(|req: ServiceRequest, next: Next<BoxBody>| {
                            require_permission(Permission::$permission, req, next)
                        }))
                        .to($handler)
                });
            )*
            sections.mount()
        }
    };
}

staff_routes! {
    GET "" => dashboard::show, UseBackoffice;
    GET "/" => dashboard::show, UseBackoffice;
    // Analytics: the brokerage's figures, each report with its export.
    GET "/analitica" => analytics::index, ViewAnalytics;
    GET "/analitica/cartera" => analytics::portfolio, ViewAnalytics;
    GET "/analitica/cartera/exportar" => analytics::export_portfolio, ViewAnalytics;
    GET "/analitica/produccion" => analytics::production, ViewAnalytics;
    GET "/analitica/produccion/exportar" => analytics::export_production, ViewAnalytics;
    GET "/analitica/retencion" => analytics::retention, ViewAnalytics;
    GET "/analitica/retencion/exportar" => analytics::export_retention, ViewAnalytics;
    GET "/analitica/siniestralidad" => analytics::loss_ratio, ViewAnalytics;
    GET "/analitica/siniestralidad/exportar" => analytics::export_loss_ratio, ViewAnalytics;
    GET "/analitica/recibos" => analytics::receipts, ViewAnalytics;
    GET "/analitica/recibos/exportar" => analytics::export_receipts, ViewAnalytics;
    GET "/analitica/comisiones" => analytics::commissions, ViewAnalytics;
    GET "/analitica/comisiones/exportar" => analytics::export_commissions, ViewAnalytics;
    GET "/analitica/venta-cruzada" => analytics::cross_selling, ViewAnalytics;
    GET "/analitica/venta-cruzada/exportar" => analytics::export_cross_selling, ViewAnalytics;
    GET "/catalogo" => catalog::show, ViewCatalog;
    GET "/catalogo/companias/nueva" => catalog::new_carrier, ManageCatalog;
    POST "/catalogo/companias" => catalog::create_carrier, ManageCatalog;
    GET "/catalogo/companias/{id}" => catalog::edit_carrier, ManageCatalog;
    POST "/catalogo/companias/{id}" => catalog::update_carrier, ManageCatalog;
    POST "/catalogo/companias/{id}/estado" => catalog::set_carrier_state, ManageCatalog;
    GET "/catalogo/ramos/nuevo" => catalog::new_line, ManageCatalog;
    POST "/catalogo/ramos" => catalog::create_line, ManageCatalog;
    GET "/catalogo/ramos/{id}" => catalog::edit_line, ManageCatalog;
    POST "/catalogo/ramos/{id}" => catalog::update_line, ManageCatalog;
    POST "/catalogo/ramos/{id}/estado" => catalog::set_line_state, ManageCatalog;
    GET "/catalogo/productos/nuevo" => catalog::new_product, ManageCatalog;
    POST "/catalogo/productos" => catalog::create_product, ManageCatalog;
    GET "/catalogo/productos/{id}" => catalog::show_product, ViewCatalog;
    POST "/catalogo/productos/{id}" => catalog::update_product, ManageCatalog;
    POST "/catalogo/productos/{id}/comisiones" => catalog::add_rate, ManageCatalog;
    POST "/catalogo/productos/{id}/estado" => catalog::set_product_state, ManageCatalog;
    GET "/buscar" => search::search, ViewPortfolio;
    GET "/documentos" => documents::list, ViewPortfolio;
    POST "/documentos" => documents::upload, ViewPortfolio;
    POST "/documentos/generar" => documents::generate, ViewPortfolio;
    GET "/documentos/{id}" => documents::show, ViewPortfolio;
    POST "/documentos/{id}/enviar" => documents::send, ViewPortfolio;
    POST "/documentos/{id}/version" => documents::new_version, ViewPortfolio;
    GET "/documentos/{id}/descargar" => documents::download, ViewPortfolio;
    POST "/documentos/{id}/visibilidad" => documents::set_visibility, ViewPortfolio;
    GET "/cuenta" => account::show, UseBackoffice;
    POST "/cuenta/contrasena" => account::change_password, UseBackoffice;
    POST "/cuenta/sesiones/cerrar-otras" => account::end_other_sessions, UseBackoffice;
    POST "/cuenta/sesiones/{id}/cerrar" => account::end_session, UseBackoffice;
    POST "/cuenta/resumen-semanal" => account::set_weekly_digest, ViewAnalytics;
    GET "/auditoria" => audit::list, ViewAudit;
    GET "/auditoria/exportar" => audit::export, ViewAudit;
    GET "/cuenta/dos-pasos" => two_factor::show, UseBackoffice;
    POST "/cuenta/dos-pasos/activar" => two_factor::activate, UseBackoffice;
    POST "/cuenta/dos-pasos/desactivar" => two_factor::deactivate, UseBackoffice;
    POST "/cuenta/dos-pasos/codigos" => two_factor::regenerate_codes, UseBackoffice;
    GET "/seguridad" => security::show, ManageSecurity;
    POST "/seguridad" => security::update, ManageSecurity;
    GET "/correos" => outbox::list, ManageOutbox;
    POST "/correos/{id}/reintentar" => outbox::retry, ManageOutbox;
    GET "/clientes" => customers::list, ViewPortfolio;
    GET "/clientes/exportar" => customers::export, ViewPortfolio;
    POST "/clientes" => customers::create, EditPortfolio;
    GET "/clientes/nuevo" => customers::new_form, EditPortfolio;
    GET "/clientes/{id}" => customers::show, ViewPortfolio;
    POST "/clientes/{id}" => customers::update, EditPortfolio;
    GET "/clientes/{id}/editar" => customers::edit_form, EditPortfolio;
    POST "/clientes/{id}/consentimientos" => customers::record_consent, EditPortfolio;
    POST "/clientes/{id}/interacciones" => customers::log_interaction, EditPortfolio;
    GET "/clientes/{id}/fusionar" => customers::merge_form, EditPortfolio;
    POST "/clientes/{id}/fusionar" => customers::merge, EditPortfolio;
    POST "/clientes/{id}/invitar-portal" => portal_invites::invite, EditPortfolio;
    GET "/clientes/{id}/mandatos" => collection::mandates, ViewPortfolio;
    POST "/clientes/{id}/mandatos" => collection::create_mandate, EditPortfolio;
    POST "/clientes/{id}/mandatos/{mandate}/cuenta" => collection::change_account, EditPortfolio;
    POST "/clientes/{id}/mandatos/{mandate}/baja" => collection::revoke_mandate, EditPortfolio;
    GET "/cobros/ajustes" => collection::settings_form, ManageCollections;
    POST "/cobros/ajustes" => collection::save_settings, ManageCollections;
    GET "/remesas" => collection::list, ManageCollections;
    POST "/remesas" => collection::create, ManageCollections;
    GET "/remesas/nueva" => collection::new_remittance, ManageCollections;
    GET "/remesas/devoluciones" => collection::returns_index, ManageCollections;
    POST "/remesas/devoluciones" => collection::upload_returns, ManageCollections;
    POST "/remesas/devoluciones/{id}/asignar" => collection::assign_return, ManageCollections;
    POST "/remesas/devoluciones/{id}/descartar" => collection::dismiss_return, ManageCollections;
    GET "/remesas/{id}" => collection::show, ManageCollections;
    GET "/remesas/{id}/fichero" => collection::download, ManageCollections;
    GET "/mensajes" => messages::list, UseInbox;
    GET "/mensajes/{id}" => messages::show, UseInbox;
    POST "/mensajes/{id}" => messages::reply, UseInbox;
    GET "/importar" => imports::index, ImportData;
    POST "/importar" => imports::upload, ImportData;
    GET "/importar/{id}" => imports::show, ImportData;
    POST "/importar/{id}/simular" => imports::preview, ImportData;
    POST "/importar/{id}/confirmar" => imports::confirm, ImportData;
    GET "/importar/{id}/progreso" => imports::progress, ImportData;
    GET "/importar/{id}/rechazadas" => imports::refused_csv, ImportData;
    GET "/usuarios" => users::list, ManageUsers;
    POST "/usuarios" => users::create, ManageUsers;
    GET "/usuarios/nuevo" => users::new_form, ManageUsers;
    GET "/usuarios/{id}" => users::show, ManageUsers;
    POST "/usuarios/{id}/rol" => users::change_role, ManageUsers;
    POST "/usuarios/{id}/comision" => users::set_agent_share, ManageUsers;
    POST "/usuarios/{id}/desactivar" => users::disable, ManageUsers;
    POST "/usuarios/{id}/activar" => users::enable, ManageUsers;
    POST "/usuarios/{id}/invitacion" => users::reinvite, ManageUsers;
    POST "/usuarios/{id}/dos-pasos/restablecer" => users::reset_two_factor, ManageUsers;
    GET "/siniestros" => claims::list, ViewPortfolio;
    GET "/siniestros/exportar" => claims::export, ViewPortfolio;
    POST "/siniestros" => claims::create, ReportClaims;
    GET "/siniestros/nuevo" => claims::new_form, ReportClaims;
    GET "/siniestros/{id}" => claims::show, ViewPortfolio;
    POST "/siniestros/{id}/estado" => claims::change_status, HandleClaims;
    POST "/siniestros/{id}/notas" => claims::add_note, HandleClaims;
    POST "/siniestros/{id}/tramitador" => claims::assign, HandleClaims;
    GET "/tareas" => tasks::list, UseTasks;
    GET "/tareas/exportar" => tasks::export, UseTasks;
    POST "/tareas" => tasks::create, UseTasks;
    GET "/tareas/nueva" => tasks::new_form, UseTasks;
    POST "/tareas/{id}/completar" => tasks::complete, UseTasks;
    POST "/tareas/{id}/reasignar" => tasks::reassign, UseTasks;
    GET "/polizas" => policies::list, ViewPortfolio;
    GET "/polizas/exportar" => policies::export, ViewPortfolio;
    POST "/polizas" => policies::create, EditPortfolio;
    GET "/polizas/vencimientos" => policies::expiring, ViewPortfolio;
    GET "/polizas/nueva" => policies::new_form, EditPortfolio;
    GET "/polizas/{id}" => policies::show, ViewPortfolio;
    POST "/polizas/{id}/suspender" => policies::suspend, EditPortfolio;
    POST "/polizas/{id}/reactivar" => policies::reactivate, EditPortfolio;
    POST "/polizas/{id}/anular" => policies::cancel, EditPortfolio;
    POST "/polizas/{id}/renovar" => policies::renew, EditPortfolio;
    POST "/polizas/{id}/prima-renovacion" => policies::record_renewal_premium, EditPortfolio;
    POST "/polizas/{id}/suplementos" => policies::endorse, EditPortfolio;
    GET "/recibos" => receipts::list, ViewPortfolio;
    GET "/recibos/exportar" => receipts::export, ViewPortfolio;
    POST "/recibos/{id}/cobrar" => receipts::collect, EditPortfolio;
    POST "/recibos/{id}/devolver" => receipts::give_back, EditPortfolio;
    POST "/recibos/{id}/anular" => receipts::cancel, EditPortfolio;
    GET "/comisiones" => commissions::list, ViewCommissions;
    GET "/comisiones/exportar" => commissions::export, ViewCommissions;
    GET "/comisiones/mias" => commissions::mine, ViewCommissions;
    GET "/comisiones/informe" => commissions::report, ManageCommissions;
    GET "/liquidaciones" => settlements::list, ManageCommissions;
    GET "/liquidaciones/exportar" => settlements::export, ManageCommissions;
    POST "/liquidaciones" => settlements::create, ManageCommissions;
    GET "/liquidaciones/{id}" => settlements::show, ManageCommissions;
    GET "/liquidaciones/{id}/csv" => settlements::csv, ManageCommissions;
    POST "/liquidaciones/{id}/actualizar" => settlements::refresh, ManageCommissions;
    POST "/liquidaciones/{id}/emitir" => settlements::issue, ManageCommissions;
    POST "/liquidaciones/{id}/cobrar" => settlements::pay, ManageCommissions;
    GET "/presupuestos" => quotes::list, ViewPortfolio;
    GET "/presupuestos/exportar" => quotes::export, ViewPortfolio;
    POST "/presupuestos" => quotes::create, EditPortfolio;
    GET "/presupuestos/nuevo" => quotes::new_form, EditPortfolio;
    GET "/presupuestos/{id}" => quotes::show, ViewPortfolio;
    GET "/presupuestos/{id}/imprimir" => quotes::print, ViewPortfolio;
    POST "/presupuestos/{id}/enviar" => quotes::send, EditPortfolio;
    POST "/presupuestos/{id}/rechazar" => quotes::reject, EditPortfolio;
    POST "/presupuestos/{id}/aceptar" => quotes::accept, EditPortfolio;
    POST "/presupuestos/{id}/elegir" => quotes::choose, EditPortfolio;
    POST "/presupuestos/{id}/necesidades" => quotes::record_needs, EditPortfolio;
    POST "/presupuestos/{id}/informacion-previa" => quotes::record_delivery, EditPortfolio;
    POST "/presupuestos/{id}/informacion-previa/enviar" => quotes::email_precontract, EditPortfolio;
    POST "/presupuestos/{id}/opciones" => quotes::add_option, EditPortfolio;
    POST "/presupuestos/{id}/opciones/{option}/quitar" => quotes::remove_option, EditPortfolio;
    GET "/taxi" => taxi_panel::show, ViewPortfolio;
    GET "/tarifas" => tariffs::list, ManageTariffs;
    GET "/tarifas/{id}" => tariffs::show, ManageTariffs;
    POST "/tarifas/{id}" => tariffs::update, ManageTariffs;
    POST "/tarifas/{id}/publicar" => tariffs::publish, ManageTariffs;
    POST "/tarifas/companias/{id}/borrador" => tariffs::create_draft, ManageTariffs;
    GET "/leads" => leads::board, UseLeads;
    POST "/leads" => leads::create, UseLeads;
    GET "/leads/lista" => leads::list, UseLeads;
    GET "/leads/exportar" => leads::export, UseLeads;
    GET "/leads/nuevo" => leads::new_form, UseLeads;
    GET "/leads/informe" => leads::report, UseLeads;
    GET "/leads/{id}" => leads::show, UseLeads;
    POST "/leads/{id}/etapa" => leads::move_stage, UseLeads;
    POST "/leads/{id}/interacciones" => leads::log_interaction, UseLeads;
    POST "/leads/{id}/proxima-accion" => leads::set_next_action, UseLeads;
    POST "/leads/{id}/comercial" => leads::assign, UseLeads;
    GET "/leads/{id}/convertir" => leads::convert_form, UseLeads;
    POST "/leads/{id}/convertir" => leads::convert, UseLeads;
    GET "/landings" => landings::list, ManageSite;
    POST "/landings" => landings::create, ManageSite;
    GET "/landings/nueva" => landings::new_form, ManageSite;
    GET "/landings/{id}" => landings::show, ManageSite;
    POST "/landings/{id}" => landings::update, ManageSite;
    GET "/landings/{id}/editar" => landings::edit_form, ManageSite;
    POST "/landings/{id}/publicar" => landings::publish, ManageSite;
    POST "/landings/{id}/despublicar" => landings::unpublish, ManageSite;
    GET "/landings/{id}/vista-previa" => landings::preview, ManageSite;
    GET "/landings/{id}/variantes/nueva" => landings::new_variant_form, ManageSite;
    POST "/landings/{id}/variantes" => landings::create_variant, ManageSite;
    GET "/landings/{id}/variantes/{variant}/editar" => landings::edit_variant_form, ManageSite;
    POST "/landings/{id}/variantes/{variant}" => landings::update_variant, ManageSite;
    GET "/reparto-de-leads" => landings::assignment, ManageSite;
    POST "/reparto-de-leads" => landings::save_assignment, ManageSite;
    GET "/blog" => blog::list, ManageSite;
    POST "/blog" => blog::create, ManageSite;
    GET "/blog/nueva" => blog::new_form, ManageSite;
    GET "/blog/{id}/editar" => blog::edit_form, ManageSite;
    POST "/blog/{id}" => blog::update, ManageSite;
    POST "/blog/{id}/portada" => blog::upload_cover, ManageSite;
    POST "/blog/{id}/portada/quitar" => blog::remove_cover, ManageSite;
    // Automation: e-mail templates.
    GET "/automatizacion/plantillas" => automation_templates::list, ManageAutomation;
    GET "/automatizacion/plantillas/nueva" => automation_templates::new_form, ManageAutomation;
    POST "/automatizacion/plantillas" => automation_templates::create, ManageAutomation;
    GET "/automatizacion/plantillas/{key}" => automation_templates::edit_form, ManageAutomation;
    POST "/automatizacion/plantillas/{key}" => automation_templates::update, ManageAutomation;
    GET "/automatizacion/plantillas/{key}/vista-previa" => automation_templates::preview, ManageAutomation;
    // Customer service department: complaints, their deadline settings, the annual report.
    GET "/reclamaciones" => crate::backoffice::complaints::list, HandleComplaints;
    GET "/reclamaciones/nueva" => crate::backoffice::complaints::new_form, HandleComplaints;
    POST "/reclamaciones" => crate::backoffice::complaints::create, HandleComplaints;
    GET "/reclamaciones/plazos" => crate::backoffice::complaints::settings_form, HandleComplaints;
    POST "/reclamaciones/plazos" => crate::backoffice::complaints::save_settings, HandleComplaints;
    GET "/reclamaciones/informe" => crate::backoffice::complaints::annual_report, HandleComplaints;
    GET "/reclamaciones/informe/exportar" => crate::backoffice::complaints::export_report, HandleComplaints;
    GET "/reclamaciones/{id}" => crate::backoffice::complaints::show, HandleComplaints;
    POST "/reclamaciones/{id}/asignar" => crate::backoffice::complaints::assign, HandleComplaints;
    POST "/reclamaciones/{id}/notas" => crate::backoffice::complaints::note, HandleComplaints;
    POST "/reclamaciones/{id}/respuesta" => crate::backoffice::complaints::answer, HandleComplaints;
    POST "/reclamaciones/{id}/desistimiento" => crate::backoffice::complaints::withdraw, HandleComplaints;
    POST "/reclamaciones/{id}/instancia" => crate::backoffice::complaints::escalate, HandleComplaints;
    // Data protection: the retention schedule and the record of processing activities.
    GET "/privacidad/accesos" => crate::backoffice::access_log::list, ManagePrivacy;
    GET "/privacidad/solicitudes" => crate::backoffice::privacy_requests::list, ManagePrivacy;
    GET "/privacidad/solicitudes/nueva" => crate::backoffice::privacy_requests::new_form, ManagePrivacy;
    POST "/privacidad/solicitudes" => crate::backoffice::privacy_requests::create, ManagePrivacy;
    GET "/privacidad/solicitudes/{id}" => crate::backoffice::privacy_requests::show, ManagePrivacy;
    POST "/privacidad/solicitudes/{id}/cerrar" => crate::backoffice::privacy_requests::close, ManagePrivacy;
    POST "/privacidad/solicitudes/{id}/ampliar" => crate::backoffice::privacy_requests::extend, ManagePrivacy;
    GET "/privacidad/bloqueados" => crate::backoffice::blocked::list, ViewBlockedData;
    GET "/privacidad/bloqueados/{id}" => crate::backoffice::blocked::show, ViewBlockedData;
    GET "/privacidad/conservacion" => crate::backoffice::retention::show, ManagePrivacy;
    POST "/privacidad/conservacion" => crate::backoffice::retention::update, ManagePrivacy;
    POST "/privacidad/conservacion/purgar" => crate::backoffice::retention::purge_now, ManagePrivacy;
    GET "/privacidad/tratamientos" => crate::backoffice::processing_record::list, ManagePrivacy;
    GET "/privacidad/tratamientos/exportar" => crate::backoffice::processing_record::export, ManagePrivacy;
    GET "/privacidad/tratamientos/nueva" => crate::backoffice::processing_record::new_form, ManagePrivacy;
    POST "/privacidad/tratamientos" => crate::backoffice::processing_record::create, ManagePrivacy;
    GET "/privacidad/tratamientos/{id}" => crate::backoffice::processing_record::edit_form, ManagePrivacy;
    POST "/privacidad/tratamientos/{id}" => crate::backoffice::processing_record::update, ManagePrivacy;
    // Automation: rules, run log, parked events.
    GET "/automatizacion" => crate::backoffice::automation::list, ManageAutomation;
    GET "/automatizacion/reglas/nueva" => crate::backoffice::automation::new_form, ManageAutomation;
    POST "/automatizacion/reglas" => crate::backoffice::automation::create, ManageAutomation;
    GET "/automatizacion/reglas/{id}" => crate::backoffice::automation::edit_form, ManageAutomation;
    POST "/automatizacion/reglas/{id}" => crate::backoffice::automation::update, ManageAutomation;
    POST "/automatizacion/reglas/{id}/estado" => crate::backoffice::automation::set_state, ManageAutomation;
    POST "/automatizacion/reglas/{id}/simulacion" => crate::backoffice::automation::simulate, ManageAutomation;
    GET "/automatizacion/reglas/{id}/registro" => crate::backoffice::automation::run_log, ManageAutomation;
    POST "/automatizacion/eventos/{id}/reintentar" => crate::backoffice::automation::retry_event, ManageAutomation;
    POST "/automatizacion/ejecuciones/{id}/reintentar" => crate::backoffice::automation::retry_run, ManageAutomation;
}

/// The routes grouped in one scope per section (the path's first segment: `/polizas`,
/// `/clientes`...). actix-web's router tries resources one after another, and a resource with a
/// `{param}` costs a regular-expression match: in one flat list, `/admin/comisiones` was tested
/// against some sixty patterns before its own, on every request, and the request logger's route
/// lookup walked them again. A section's scope is a plain prefix comparison, so a request now
/// meets the patterns of its own section only. Order within a section is the table's order.
struct Sections {
    top: actix_web::Scope,
    sections: Vec<(&'static str, actix_web::Scope)>,
}

impl Sections {
    fn new(top: actix_web::Scope) -> Self {
        Self {
            top,
            sections: Vec::new(),
        }
    }

    /// Adds the resource built by `resource` (given the path below its section) under the
    /// section of `path`; a path without a section ("" or "/") goes on the top scope.
    fn add<F>(&mut self, path: &'static str, resource: impl FnOnce(&'static str) -> F)
    where
        F: actix_web::dev::HttpServiceFactory + 'static,
    {
        let Some((section, rest)) = section_of(path) else {
            let top = std::mem::replace(&mut self.top, web::scope(""));
            self.top = top.service(resource(path));
            return;
        };
        let index = match self.sections.iter().position(|(name, _)| *name == section) {
            Some(index) => index,
            None => {
                self.sections.push((section, web::scope(section)));
                self.sections.len() - 1
            }
        };
        let scope = std::mem::replace(&mut self.sections[index].1, web::scope(""));
        self.sections[index].1 = scope.service(resource(rest));
    }

    fn mount(self) -> actix_web::Scope {
        self.sections
            .into_iter()
            .fold(self.top, |top, (_, section)| top.service(section))
    }
}

/// `/polizas/{id}/anular` → (`/polizas`, `/{id}/anular`); `/polizas` → (`/polizas`, ``).
fn section_of(path: &'static str) -> Option<(&'static str, &'static str)> {
    let rest = path.strip_prefix('/')?;
    let end = rest.find('/').map_or(path.len(), |at| at + 1);
    let (section, rest) = path.split_at(end);
    (section.len() > 1 && !section.contains('{')).then_some((section, rest))
}

fn method_guard(method: &str) -> impl guard::Guard + use<> {
    match method {
        "POST" => guard::Method(actix_web::http::Method::POST),
        _ => guard::Method(actix_web::http::Method::GET),
    }
}

async fn require_permission(
    permission: Permission,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let allowed = req
        .extensions()
        .get::<CurrentStaff>()
        .is_some_and(|staff| permission.granted_to(staff.0.role()));
    if !allowed {
        tracing::warn!(
            ?permission,
            path = req.path(),
            "forbidden back-office request"
        );
        return Ok(req.error_response(AppError::Forbidden));
    }
    next.call(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_is_split_at_its_first_segment() {
        assert_eq!(section_of("/polizas"), Some(("/polizas", "")));
        assert_eq!(
            section_of("/polizas/{id}/anular"),
            Some(("/polizas", "/{id}/anular"))
        );
        assert_eq!(section_of(""), None);
        assert_eq!(section_of("/"), None);
    }

    #[test]
    fn every_route_has_a_section_but_the_dashboard() {
        let top: Vec<&str> = ROUTES
            .iter()
            .filter(|route| section_of(route.path).is_none())
            .map(|route| route.path)
            .collect();
        assert_eq!(top, ["", "/"]);
    }
}
