//! One error type for handlers, and the pages every error status turns into.
//!
//! Handlers return `Result<_, AppError>`. `AppError` only decides the status and a message that
//! is safe to show; the page itself is rendered by [`render_error_page`], an `ErrorHandlers`
//! hook that also catches errors raised outside our handlers (a malformed form rejected by an
//! extractor, an unknown URL, an oversized body). A request sent by htmx gets the error as a
//! small partial retargeted at `#error-region`, any other request a full page in the layout
//! of the face it asked for. Internal causes are logged with the request id, never shown.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::db::DbError;
use crate::web::page::PageContext;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("forbidden")]
    Forbidden,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("CSRF token missing or invalid")]
    Csrf,
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests,
    /// A form field held control characters (a NUL byte...): the field's name.
    #[error("control characters in field {0}")]
    InvalidText(String),
    #[error("database unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<DbError> for AppError {
    fn from(error: DbError) -> Self {
        match error {
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
            unreachable if unreachable.is_unavailable() => {
                AppError::Unavailable(unreachable.to_string())
            }
            // A NUL byte that reached a query by a path no form check covers (a search box, a
            // link): the visitor's text, not our fault.
            DbError::Query(diesel::result::Error::DatabaseError(_, ref info))
                if info
                    .message()
                    .contains("invalid byte sequence for encoding")
                    && info.message().contains("0x00") =>
            {
                AppError::InvalidText(String::new())
            }
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> Self {
        DbError::from(error).into()
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> Self {
        AppError::Internal(error.into())
    }
}

// ---------------------------------------------------------------------------------------------
// The domain's errors, in one place. What a handler shows a person (a refused transition, a
// field message) it matches itself before `?`; what reaches these is either "no such record"
// (404, also for another agent's or client's record), the database (503 when it is down), or
// a bug (500, logged).

impl From<crate::policies::PolicyError> for AppError {
    fn from(error: crate::policies::PolicyError) -> Self {
        use crate::policies::PolicyError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(db) => db.into(),
            E::Invalid(_) | E::Refused(_) => AppError::BadRequest("Petición no válida.".into()),
        }
    }
}

impl From<crate::receipts::ReceiptError> for AppError {
    fn from(error: crate::receipts::ReceiptError) -> Self {
        use crate::receipts::ReceiptError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(db) => db.into(),
            E::Invalid(_) | E::Refused(_) => AppError::BadRequest("Petición no válida.".into()),
        }
    }
}

impl From<crate::commissions::settlements::SettlementError> for AppError {
    fn from(error: crate::commissions::settlements::SettlementError) -> Self {
        use crate::commissions::settlements::SettlementError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(db) => db.into(),
            E::Invalid(_) | E::Refused(_) => AppError::BadRequest("Petición no válida.".into()),
        }
    }
}

impl From<crate::auth::totp::TwoFactorError> for AppError {
    fn from(error: crate::auth::totp::TwoFactorError) -> Self {
        match error {
            crate::auth::totp::TwoFactorError::Db(db) => db.into(),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<crate::quotes::QuoteError> for AppError {
    fn from(error: crate::quotes::QuoteError) -> Self {
        use crate::quotes::QuoteError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(e) => e.into(),
            other => AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<crate::claims::ClaimError> for AppError {
    fn from(error: crate::claims::ClaimError) -> Self {
        use crate::claims::ClaimError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(e) => e.into(),
            other => AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<crate::tasks::TaskError> for AppError {
    fn from(error: crate::tasks::TaskError) -> Self {
        use crate::tasks::TaskError as E;
        match error {
            E::NotFound | E::EntityNotFound => AppError::NotFound,
            E::Database(e) => e.into(),
            other => AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<crate::leads::LeadError> for AppError {
    fn from(error: crate::leads::LeadError) -> Self {
        use crate::leads::LeadError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(e) => e.into(),
            other => AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

impl From<crate::taxi::tariffs::TariffError> for AppError {
    fn from(error: crate::taxi::tariffs::TariffError) -> Self {
        use crate::taxi::tariffs::TariffError as E;
        match error {
            E::NotFound => AppError::NotFound,
            E::Database(e) => e.into(),
            other => AppError::Internal(anyhow::anyhow!("{other}")),
        }
    }
}

/// What kind of error page to show; carried from `AppError` to the renderer in the
/// response's extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    Generic,
    Csrf,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::InvalidText(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse<BoxBody> {
        match self {
            AppError::Internal(cause) => {
                tracing::error!(error = %format!("{cause:#}"), "internal error")
            }
            AppError::Unavailable(cause) => tracing::error!(error = %cause, "database unavailable"),
            AppError::BadRequest(reason) => tracing::info!(%reason, "bad request"),
            AppError::InvalidText(field) => {
                tracing::info!(%field, "refused control characters in a form field")
            }
            AppError::Csrf => tracing::warn!("rejected request without a valid CSRF token"),
            _ => {}
        }
        let mut response = HttpResponse::new(self.status_code());
        let kind = if matches!(self, AppError::Csrf) {
            ErrorKind::Csrf
        } else {
            ErrorKind::Generic
        };
        response.extensions_mut().insert(kind);
        response
    }
}

/// Spanish title and explanation for a status.
fn describe(status: StatusCode, kind: ErrorKind) -> (&'static str, &'static str) {
    if kind == ErrorKind::Csrf {
        return (
            "El formulario ha caducado",
            "Por seguridad no hemos aceptado el envío: el formulario ha caducado o no procede de esta web. \
             Vuelva a la página anterior, recárguela e inténtelo de nuevo.",
        );
    }
    match status.as_u16() {
        400 => (
            "Petición no válida",
            "No hemos podido entender la petición. Revise los datos e inténtelo de nuevo.",
        ),
        401 => (
            "Identifíquese",
            "Necesita iniciar sesión para ver esta página.",
        ),
        403 => (
            "Acceso no permitido",
            "No tiene permiso para realizar esta acción.",
        ),
        404 => (
            "Página no encontrada",
            "La página que busca no existe o ya no está disponible.",
        ),
        405 => (
            "Acción no permitida",
            "Esta dirección no admite esa acción.",
        ),
        413 => (
            "Envío demasiado grande",
            "Lo que ha enviado supera el tamaño máximo permitido.",
        ),
        422 => (
            "Datos no válidos",
            "Un campo del formulario contiene caracteres no válidos. Vuelva a la página anterior, revise lo escrito e inténtelo de nuevo.",
        ),
        415 => (
            "Formato no admitido",
            "El formato de lo enviado no es el esperado.",
        ),
        429 => (
            "Demasiados intentos",
            "Ha hecho demasiadas peticiones seguidas. Espere unos minutos e inténtelo de nuevo.",
        ),
        503 => (
            "Servicio no disponible",
            "El servicio no está disponible en este momento; inténtelo de nuevo en unos minutos.",
        ),
        s if s >= 500 => (
            "Error interno",
            "Algo ha fallado por nuestra parte. Ya lo estamos revisando; inténtelo de nuevo más tarde.",
        ),
        _ => ("Error", "No se ha podido completar la petición."),
    }
}

/// The error content, shared by the full pages and the htmx partial.
#[derive(Template)]
#[template(path = "errors/_error.html")]
pub struct ErrorPartial {
    pub code: u16,
    pub title: &'static str,
    pub message: &'static str,
    pub request_id: String,
    pub home: &'static str,
}

#[derive(Template)]
#[template(path = "errors/site.html")]
struct SiteErrorPage {
    ctx: PageContext,
    error: ErrorPartial,
}

#[derive(Template)]
#[template(path = "errors/backoffice.html")]
struct BackofficeErrorPage {
    ctx: PageContext,
    error: ErrorPartial,
}

#[derive(Template)]
#[template(path = "errors/portal.html")]
struct PortalErrorPage {
    ctx: PageContext,
    error: ErrorPartial,
}

/// Middleware just inside [`render_error_page`]: a 500 raised while the database is down
/// becomes 503, whatever raised it. A domain error wrapping a lost connection reads as
/// "internal", but while PostgreSQL is unreachable it is an outage, not a bug: the visitor is
/// told to come back in a few minutes.
pub async fn unavailable_while_database_down(
    req: actix_web::dev::ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> actix_web::Result<ServiceResponse<BoxBody>> {
    // Cloned out before the call: holding a clone of the request itself would break routing.
    let db = req
        .app_data::<actix_web::web::Data<crate::db::Db>>()
        .cloned();
    let res = next.call(req).await?;
    if res.status() == StatusCode::INTERNAL_SERVER_ERROR && db.is_some_and(|db| db.is_down()) {
        let (request, _) = res.into_parts();
        return Ok(unavailable(request));
    }
    Ok(res.map_into_boxed_body())
}

fn unavailable(request: actix_web::HttpRequest) -> ServiceResponse<BoxBody> {
    let error = AppError::Unavailable("the database is unreachable".to_owned());
    let mut response = error.error_response();
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    ServiceResponse::new(request, response)
}

/// `ErrorHandlers` hook: turns any 4xx/5xx response that is not already an HTML page into
/// the error page (or partial) of its face.
pub fn render_error_page<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let already_html = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    // Machines read the operations endpoints; their plain answers stay plain.
    let operations = matches!(res.request().path(), "/healthz" | "/readyz" | "/metrics");
    if already_html || operations || res.request().method() == actix_web::http::Method::HEAD {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }

    let status = res.status();
    let kind = res
        .response()
        .extensions()
        .get::<ErrorKind>()
        .copied()
        .unwrap_or(ErrorKind::Generic);
    let (title, message) = describe(status, kind);
    let ctx = PageContext::from_request_parts(res.request());
    let path = res.request().path().to_owned();
    let home = if path.starts_with("/admin") {
        "/admin"
    } else if path.starts_with("/portal") {
        "/portal"
    } else {
        "/"
    };
    let error = ErrorPartial {
        code: status.as_u16(),
        title,
        message,
        request_id: ctx.request_id.clone(),
        home,
    };

    let htmx = ctx.htmx;
    let rendered = if htmx {
        error.render()
    } else if home == "/admin" {
        BackofficeErrorPage { ctx, error }.render()
    } else if home == "/portal" {
        PortalErrorPage { ctx, error }.render()
    } else {
        SiteErrorPage { ctx, error }.render()
    };
    let body = rendered.unwrap_or_else(|e| {
        tracing::error!(error = %e, "error page failed to render");
        format!("<!doctype html><title>{title}</title><h1>{title}</h1><p>{message}</p>")
    });

    let (req, original) = res.into_parts();
    let mut builder = HttpResponse::build(status);
    // Keep headers that matter to the client (Allow on 405, Retry-After on 429/503, cookies).
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            builder.append_header((name.clone(), value.clone()));
        }
    }
    builder
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("HX-Request")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    if htmx {
        builder
            .insert_header(("HX-Retarget", "#error-region"))
            .insert_header(("HX-Reswap", "innerHTML"));
    }
    let response = builder.body(body);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body::<B>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_map_to_500_and_not_found_to_404() {
        let not_found: AppError = DbError::Query(diesel::result::Error::NotFound).into();
        assert_eq!(not_found.status_code(), StatusCode::NOT_FOUND);
        let internal: AppError = anyhow::anyhow!("boom").into();
        assert_eq!(internal.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(AppError::Csrf.status_code(), StatusCode::FORBIDDEN);
    }

    #[test]
    fn csrf_failures_get_their_own_explanation() {
        let (title, _) = describe(StatusCode::FORBIDDEN, ErrorKind::Csrf);
        assert_eq!(title, "El formulario ha caducado");
        let (title, _) = describe(StatusCode::FORBIDDEN, ErrorKind::Generic);
        assert_eq!(title, "Acceso no permitido");
    }
}
