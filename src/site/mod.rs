//! The corporate site (public pages).

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::catalog::{self, Carrier, Line};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::page::PageContext;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(home));
}

#[derive(Template)]
#[template(path = "site/home.html", blocks = ["content"])]
pub struct HomePage {
    pub ctx: PageContext,
    pub lines: Vec<Line>,
    pub carriers: Vec<Carrier>,
}

impl HomePage {
    /// The icon of a line of business on the home page.
    pub fn line_icon(&self, code: &str) -> &'static str {
        match code {
            "auto" => "icons/car.svg",
            "taxi" => "icons/taxi.svg",
            "hogar" | "comercio" | "empresa" => "icons/home.svg",
            "salud" | "vida" => "icons/heart.svg",
            _ => "icons/shield.svg",
        }
    }
}

/// GET /
async fn home(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let (lines, carriers) = db
        .run(|conn| Ok::<_, DbError>((catalog::lines(conn)?, catalog::active_carriers(conn)?)))
        .await?;
    page_or_partial!(HomePage {
        ctx,
        lines,
        carriers
    })
}
