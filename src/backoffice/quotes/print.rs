//! Printable view.

use super::*;

#[derive(Template)]
#[template(path = "backoffice/quotes/print.html")]
pub struct PrintPage {
    pub ctx: PageContext,
    pub detail: QuoteDetail,
    pub options: Vec<OptionView>,
    pub risk: Vec<(String, String)>,
    pub today: String,
}

impl PrintPage {
    pub fn holder(&self) -> String {
        self.detail.holder()
    }
    pub fn valid_until(&self) -> String {
        date(self.detail.quote.valid_until)
    }
}

/// GET /admin/presupuestos/{id}/imprimir: the quote as the client receives it, options side
/// by side, ready to print or save as PDF from the browser.
pub async fn print(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let viewer = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let detail = db
        .run(move |conn| {
            let detail = quotes::detail(conn, scope, id)?;
            crate::access_log::record(
                conn,
                &viewer,
                crate::access_log::Kind::CustomerViewed,
                detail.quote.customer_id,
                &format!(
                    "Presupuesto {} (versión para imprimir)",
                    detail.quote.number
                ),
            )?;
            Ok::<_, QuoteError>(detail)
        })
        .await
        .map_err(AppError::from)?;
    let chosen = detail.quote.chosen_option_id;
    render::html(&PrintPage {
        ctx,
        options: detail
            .options
            .iter()
            .map(|o| option_view(o, chosen))
            .collect(),
        risk: detail.quote.risk().map(|r| r.summary()).unwrap_or_default(),
        today: date(policies::today()),
        detail,
    })
}
