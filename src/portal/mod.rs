//! e-SORI, the clients' portal (`/portal`).

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::page::PageContext;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/portal").get(welcome));
}

#[derive(Template)]
#[template(path = "portal/welcome.html", blocks = ["content"])]
pub struct WelcomePage {
    pub ctx: PageContext,
}

/// GET /portal: what e-SORI offers and how a client gets access.
async fn welcome(ctx: PageContext) -> Result<HttpResponse, AppError> {
    page_or_partial!(WelcomePage { ctx })
}
