//! Carriers and products, with their commission rates.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::backoffice::CurrentStaff;
use crate::catalog::{self, Carrier, ProductRow};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "backoffice/catalog.html", blocks = ["content"])]
pub struct CatalogPage {
    pub ctx: PageContext,
    pub carriers: Vec<Carrier>,
    pub products: Vec<ProductRow>,
}

/// GET /admin/catalogo (every staff role may read the catalogue).
pub async fn show(
    ctx: PageContext,
    _staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let (carriers, products) = db
        .run(|conn| Ok::<_, DbError>((catalog::active_carriers(conn)?, catalog::products(conn)?)))
        .await?;
    page_or_partial!(CatalogPage {
        ctx,
        carriers,
        products
    })
}
