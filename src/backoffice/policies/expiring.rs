//! Expiring.

use super::*;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExpiringQuery {
    dias: String,
    pagina: String,
}

#[derive(Template)]
#[template(path = "backoffice/policies/expiring.html", blocks = ["content"])]
pub struct ExpiringPage {
    pub ctx: PageContext,
    pub days: i64,
    pub horizons: Vec<i64>,
    pub rows: Vec<RowView>,
    pub pager: Pager,
}

impl ExpiringPage {
    /// The policies' rows template offers export links; this list has none.
    pub fn exports(&self) -> Option<&ExportLinks> {
        None
    }
}

/// GET /admin/polizas/vencimientos?dias=30
pub async fn expiring(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ExpiringQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = scope_of(&staff);
    let days = query
        .dias
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|d| policies::EXPIRING_HORIZONS.contains(d))
        .unwrap_or(30);
    let cursor = Cursor::parse(&query.pagina);
    let today = policies::today();
    let page = db
        .run(move |conn| {
            policies::expiring(conn, scope, today, days, cursor).map_err(DbError::from)
        })
        .await?;
    let days_text = days.to_string();
    page_or_partial!(ExpiringPage {
        ctx,
        days,
        horizons: policies::EXPIRING_HORIZONS.to_vec(),
        pager: Pager::at(
            &page,
            "/admin/polizas/vencimientos",
            &[("dias", &days_text)]
        ),
        rows: page.rows.into_iter().map(RowView::from).collect(),
    })
}
