//! GET /admin/buscar: the header's search box. One hit goes straight to the record (303, or
//! HX-Redirect for htmx); otherwise the results grouped by kind. Typing in the search page's
//! own box refreshes the results only (a live search must not navigate away mid-word).

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::overview::claim_status_label;
use crate::search::{self, Reach, Results, Single};
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::page::PageContext;
use crate::web::render;

/// The id of the search page's live box: htmx names the element that triggered a request in
/// `HX-Trigger`, and requests from this box only refresh the results.
pub const LIVE_INPUT_ID: &str = "search-q";

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

/// Spanish labels of the codes the results show, for both templates.
pub trait Labels {
    fn claim_status(&self, status: &str) -> &'static str {
        claim_status_label(status)
    }
    fn policy_status(&self, status: &str) -> &'static str {
        match status {
            "active" => "En vigor",
            "suspended" => "Suspendida",
            "cancelled" => "Anulada",
            "expired" => "Vencida",
            _ => "Desconocido",
        }
    }
    fn quote_status(&self, status: &str) -> &'static str {
        crate::quotes::QuoteStatus::parse(status).map_or("Desconocido", |s| s.label())
    }
    fn receipt_status(&self, status: &str) -> &'static str {
        crate::receipts::Status::parse(status).map_or("Desconocido", |s| s.label())
    }
    fn lead_stage(&self, stage: &str) -> &'static str {
        crate::leads::Stage::parse(stage).map_or("Desconocida", |s| s.label())
    }
}

impl Labels for SearchPage {}
impl Labels for SearchResults {}

/// Where a single hit lives in the back-office.
fn url_of(single: Single) -> String {
    match single {
        Single::Customer(id) => format!("/admin/clientes/{id}"),
        Single::Policy(id) => format!("/admin/polizas/{id}"),
        Single::Claim(id) => format!("/admin/siniestros/{id}"),
        Single::Quote(id) => format!("/admin/presupuestos/{id}"),
        Single::ReceiptOfPolicy(id) => format!("/admin/polizas/{id}#receipts-title"),
        Single::Lead(id) => format!("/admin/leads/{id}"),
    }
}

#[derive(Debug, Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// GET /admin/buscar?q=...
pub async fn search(
    req: HttpRequest,
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<SearchQuery>,
) -> Result<HttpResponse, AppError> {
    let q: String = query.into_inner().q.trim().chars().take(100).collect();
    let role = staff.0.role();
    let reach = Reach {
        scope: PortfolioScope::of(staff.0.id, role),
        leads: Permission::UseLeads.granted_to(role),
        records: true,
    };
    let text = q.clone();
    let results = db
        .run(move |conn| search::everything(conn, reach, &text).map_err(DbError::from))
        .await?;
    let live = ctx.htmx
        && req
            .headers()
            .get("HX-Trigger")
            .is_some_and(|v| v.as_bytes() == LIVE_INPUT_ID.as_bytes());
    if let (Some(single), false) = (results.single(), live) {
        let location = url_of(single);
        return Ok(if ctx.htmx {
            HttpResponse::Ok()
                .insert_header(("HX-Redirect", location))
                .finish()
        } else {
            flash::see_other(&location)
        });
    }
    if ctx.htmx {
        render::html(&SearchResults { q, results })
    } else {
        render::html(&SearchPage { ctx, q, results })
    }
}
