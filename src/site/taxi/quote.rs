//! The driver's private quote page.

use super::*;

pub struct OptionView {
    pub carrier_name: String,
    pub coverage: String,
    pub total: Euros,
    pub monthly: Euros,
    pub monthly_first: Euros,
    pub fits: bool,
    pub lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "site/taxi/quote.html", blocks = ["content"])]
pub struct QuotePage {
    pub ctx: PageContext,
    pub just_sent: bool,
    pub number: String,
    pub name: String,
    pub valid_until: String,
    pub coverage: String,
    pub extras: Vec<String>,
    pub options: Vec<OptionView>,
}

#[derive(Debug, Deserialize)]
pub struct QuoteQuery {
    #[serde(default)]
    enviado: String,
}

/// GET /taxi/presupuesto/{token}: the quote behind a private link (404 when unknown or
/// expired).
pub(super) async fn public_quote(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
    query: web::Query<QuoteQuery>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let quote = db
        .run(move |conn| requests::by_token(conn, &token).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    let dn = &quote.demands_and_needs;
    let options = quote
        .options
        .iter()
        .map(|o| {
            let lines: Vec<rating::Line> =
                serde_json::from_value(o.breakdown["lines"].clone()).unwrap_or_default();
            let cents = |key: &str| o.breakdown[key].as_i64().unwrap_or_default();
            OptionView {
                carrier_name: o.carrier_name.clone(),
                coverage: o.coverage_summary.clone(),
                total: Euros(o.total_cents),
                monthly: Euros(cents("monthly_cents")),
                monthly_first: Euros(cents("monthly_first_cents")),
                fits: o.fits_demands,
                lines: line_views(lines),
            }
        })
        .collect();
    render::html(&QuotePage {
        ctx,
        just_sent: !query.enviado.is_empty(),
        number: quote.number,
        name: quote.prospect_name,
        valid_until: format::date(quote.valid_until),
        coverage: dn["coverage_label"].as_str().unwrap_or_default().to_owned(),
        extras: dn["options_labels"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
        options,
    })
}
