//! The corporate site (public pages).

mod complaints;
mod conditional;
pub mod landings;
mod media;
mod pages;
pub mod taxi;
pub mod unsubscribe;

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::cache::Cached;
use crate::catalog::{self, Carrier, Line};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::page::PageContext;

pub fn routes(cfg: &mut web::ServiceConfig) {
    taxi::routes(cfg);
    cfg.service(web::resource("/").get(home))
        .service(
            web::resource("/l/{slug}")
                .get(landings::show)
                .post(landings::submit),
        )
        .service(web::resource("/l/{slug}/gracias").get(landings::thanks))
        .service(
            web::resource("/baja/{token}")
                .get(unsubscribe::show)
                .post(unsubscribe::confirm),
        )
        .service(web::resource("/seguros/{linea}").get(pages::line))
        .service(web::resource("/quienes-somos").get(pages::about))
        .service(web::resource("/aviso-legal").get(pages::legal))
        .service(web::resource("/privacidad").get(pages::privacy))
        .service(web::resource("/cookies").get(pages::cookies))
        .service(
            web::resource("/contacto")
                .get(pages::contact)
                .post(pages::contact_submit),
        )
        .service(web::resource("/contacto/gracias").get(pages::contact_thanks))
        .service(
            web::resource("/reclamaciones")
                .get(complaints::form)
                .post(complaints::submit),
        )
        .service(web::resource("/reclamaciones/recibida").get(complaints::received))
        .service(web::resource("/blog").get(pages::blog_index))
        .service(web::resource("/blog/{slug}").get(pages::blog_post))
        .service(web::resource("/media/{name}").get(media::image))
        .service(web::resource("/sitemap.xml").get(pages::sitemap))
        .service(web::resource("/robots.txt").get(pages::robots));
}

#[derive(Template)]
#[template(path = "site/home.html", blocks = ["content"])]
pub struct HomePage {
    pub ctx: PageContext,
    pub meta: pages::Meta,
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
    req: actix_web::HttpRequest,
    ctx: PageContext,
    config: web::Data<crate::config::Config>,
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
    let page = HomePage {
        meta: pages::Meta {
            title: "Soriano Mediadores · Correduría de seguros".to_owned(),
            description: "Soriano Mediadores, correduría de seguros: comparamos compañías y le acompañamos en cada siniestro.".to_owned(),
            canonical: landings::absolute(&config, "/"),
        },
        ctx,
        lines,
        carriers,
    };
    if page.ctx.htmx {
        return page_or_partial!(page);
    }
    conditional::page(&req, &page, None)
}
