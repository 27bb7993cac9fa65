//! The staff home page: what needs attention today.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Utc;

use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::format;
use crate::overview::{self, Overview};
use crate::page_or_partial;
use crate::time::ZONE;
use crate::web::error::AppError;
use crate::web::page::PageContext;

#[derive(Template)]
#[template(path = "backoffice/dashboard.html", blocks = ["content"])]
pub struct DashboardPage {
    pub ctx: PageContext,
    pub name: String,
    pub today: chrono::NaiveDate,
    pub overview: Overview,
}

impl DashboardPage {
    pub fn date(&self, day: &chrono::NaiveDate) -> String {
        format::date(*day)
    }

    pub fn when(&self, at: &chrono::DateTime<Utc>) -> String {
        format::madrid_datetime(*at)
    }

    pub fn claim_status(&self, status: &str) -> &'static str {
        overview::claim_status_label(status)
    }

    /// A figure with Spanish thousands separators ("2.345").
    pub fn count(&self, n: &i64) -> String {
        format::thousands(*n)
    }

    pub fn expiring_days(&self) -> i64 {
        overview::EXPIRING_WITHIN_DAYS
    }
}

/// GET /admin
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let user = staff.0;
    let today = Utc::now().with_timezone(&ZONE).date_naive();
    let (staff_id, role) = (user.id, user.role());
    let overview = db
        .run(move |conn| overview::for_staff(conn, staff_id, role, today).map_err(DbError::from))
        .await?;
    page_or_partial!(DashboardPage {
        ctx,
        name: user.name,
        today,
        overview
    })
}
