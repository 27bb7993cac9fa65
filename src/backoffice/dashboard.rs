//! The staff home page.

use actix_web::{HttpResponse, web};
use askama::Template;
use diesel::prelude::*;

use crate::backoffice::CurrentStaff;
use crate::db::schema::{carriers, lines_of_business, products, staff_users};
use crate::db::{Db, DbError};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::page::PageContext;

pub struct Counts {
    pub carriers: i64,
    pub lines: i64,
    pub products: i64,
    pub staff: i64,
}

#[derive(Template)]
#[template(path = "backoffice/dashboard.html", blocks = ["content"])]
pub struct DashboardPage {
    pub ctx: PageContext,
    pub name: String,
    pub counts: Counts,
}

/// GET /admin
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let counts = db
        .run(|conn| {
            Ok::<_, DbError>(Counts {
                carriers: carriers::table
                    .filter(carriers::active.eq(true))
                    .count()
                    .get_result(conn)?,
                lines: lines_of_business::table.count().get_result(conn)?,
                products: products::table
                    .filter(products::active.eq(true))
                    .count()
                    .get_result(conn)?,
                staff: staff_users::table
                    .filter(staff_users::active.eq(true))
                    .count()
                    .get_result(conn)?,
            })
        })
        .await?;
    page_or_partial!(DashboardPage {
        ctx,
        name: staff.0.name,
        counts
    })
}
