//! Turning templates into responses.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use askama::Template;

use crate::web::error::AppError;

/// A rendered page or partial with status 200.
pub fn html<T: Template>(template: &T) -> Result<HttpResponse, AppError> {
    html_with_status(StatusCode::OK, template)
}

/// A rendered page with the given status: 422 for a form with errors, so htmx and tests can
/// tell a rejected submission from a page view.
pub fn html_with_status<T: Template>(
    status: StatusCode,
    template: &T,
) -> Result<HttpResponse, AppError> {
    let body = template.render()?;
    Ok(HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((header::VARY, HeaderValue::from_static("HX-Request")))
        .body(body))
}

/// Renders the block `content` of a page for htmx requests and the whole page otherwise.
/// Every page template defines `blocks = ["content"]`, so one file serves both.
#[macro_export]
macro_rules! page_or_partial {
    ($page:expr) => {{
        let page = $page;
        if page.ctx.htmx {
            $crate::web::render::html(&page.as_content())
        } else {
            $crate::web::render::html(&page)
        }
    }};
}
