//! The corporate site (public pages).

pub mod landings;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::catalog::{self, Carrier, Line};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::cache::Cached;
use crate::web::error::AppError;
use crate::web::page::PageContext;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").get(home))
        .service(
            web::resource("/l/{slug}")
                .get(landings::show)
                .post(landings::submit),
        )
        .service(web::resource("/l/{slug}/gracias").get(landings::thanks));
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

/// What the public pages show of the catalogue, cached for a minute.
pub struct SiteCache {
    catalogue: Cached<(Vec<Line>, Vec<Carrier>)>,
}

impl Default for SiteCache {
    fn default() -> Self {
        Self {
            catalogue: Cached::new(std::time::Duration::from_secs(60)),
        }
    }
}

/// GET /
async fn home(
    ctx: PageContext,
    db: web::Data<Db>,
    cache: web::Data<SiteCache>,
) -> Result<HttpResponse, AppError> {
    let catalogue = match cache.catalogue.get() {
        Some(catalogue) => catalogue,
        None => {
            let fresh = db
                .run(|conn| {
                    Ok::<_, DbError>((catalog::lines(conn)?, catalog::active_carriers(conn)?))
                })
                .await?;
            cache.catalogue.put(fresh)
        }
    };
    let (lines, carriers) = (catalogue.0.clone(), catalogue.1.clone());
    page_or_partial!(HomePage {
        ctx,
        lines,
        carriers
    })
}
