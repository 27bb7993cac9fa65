//! GET /admin/buscar: the header's search box.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::permissions::PortfolioScope;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::overview::claim_status_label;
use crate::search::{self, Results};
use crate::web::error::AppError;
use crate::web::page::PageContext;
use crate::web::render;

#[derive(Template)]
#[template(path = "backoffice/search/page.html")]
pub struct SearchPage {
    pub ctx: PageContext,
    pub q: String,
    pub results: Results,
}

#[derive(Template)]
#[template(path = "backoffice/search/_results.html")]
pub struct SearchResults {
    pub q: String,
    pub results: Results,
}

impl SearchPage {
    pub fn claim_status(&self, status: &str) -> &'static str {
        claim_status_label(status)
    }
    pub fn policy_status(&self, status: &str) -> &'static str {
        policy_status_label(status)
    }
}

impl SearchResults {
    pub fn claim_status(&self, status: &str) -> &'static str {
        claim_status_label(status)
    }
    pub fn policy_status(&self, status: &str) -> &'static str {
        policy_status_label(status)
    }
}

fn policy_status_label(status: &str) -> &'static str {
    match status {
        "active" => "En vigor",
        "suspended" => "Suspendida",
        "cancelled" => "Anulada",
        "expired" => "Vencida",
        _ => "Desconocido",
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// GET /admin/buscar?q=...
pub async fn search(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let q: String = query.into_inner().q.trim().chars().take(100).collect();
    let scope = PortfolioScope::of(staff.0.id, staff.0.role());
    let text = q.clone();
    let results = db
        .run(move |conn| search::everything(conn, scope, &text).map_err(DbError::from))
        .await?;
    if ctx.htmx {
        render::html(&SearchResults { q, results })
    } else {
        render::html(&SearchPage { ctx, q, results })
    }
}
