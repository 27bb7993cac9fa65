//! The lead source report.

use super::*;

// ---------------------------------------------------------------------------------------------
// Source report

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    desde: String,
    hasta: String,
}

pub struct ReportRowView {
    pub key: String,
    pub leads: i64,
    pub converted: i64,
    pub pct: String,
    pub median: String,
    pub avg: String,
}

fn hours(value: Option<f64>) -> String {
    match value {
        None => "—".to_owned(),
        Some(h) if h < 48.0 => format!("{h:.1} h").replace('.', ","),
        Some(h) => format!("{:.1} días", h / 24.0).replace('.', ","),
    }
}

fn report_view(row: &leads::ReportRow, key: String) -> ReportRowView {
    ReportRowView {
        key,
        leads: row.leads,
        converted: row.converted,
        pct: format!("{:.1} %", row.conversion_pct()).replace('.', ","),
        median: hours(row.median_hours),
        avg: hours(row.avg_hours),
    }
}

#[derive(Template)]
#[template(path = "backoffice/leads/report.html", blocks = ["content"])]
pub struct ReportPage {
    pub ctx: PageContext,
    pub desde: String,
    pub hasta: String,
    pub errors: FieldErrors,
    pub period: String,
    pub tables: Vec<ReportTable>,
    pub total: ReportRowView,
}

/// One table of the report: (title, column heading, id suffix, rows).
pub struct ReportTable {
    pub title: &'static str,
    pub heading: &'static str,
    pub key: &'static str,
    pub rows: Vec<ReportRowView>,
}

/// GET /admin/leads/informe?desde=&hasta=: leads by source, campaign, landing and agent for a range
/// of days (this month so far by default).
pub async fn report(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let today = crate::leads::today();
    let month_start = today.with_day(1).unwrap_or(today);
    let DayRange { from, to, errors } =
        DayRange::read(&query.desde, &query.hasta, (month_start, today), 366 * 3);
    let scope = scope_of(&staff);
    let data = db
        .run(move |conn| leads::report(conn, scope, from, to).map_err(DbError::from))
        .await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ReportPage {
        ctx,
        desde: if query.desde.trim().is_empty() {
            from.format("%Y-%m-%d").to_string()
        } else {
            query.desde.clone()
        },
        hasta: if query.hasta.trim().is_empty() {
            to.format("%Y-%m-%d").to_string()
        } else {
            query.hasta.clone()
        },
        errors,
        period: format!("{} a {}", format::date(from), format::date(to)),
        tables: vec![
            ReportTable {
                title: "Por origen",
                heading: "Origen",
                key: "origen",
                rows: data
                    .by_source
                    .iter()
                    .map(|r| {
                        let key = r
                            .key
                            .as_deref()
                            .map(|k| leads::source_label(k).to_owned())
                            .unwrap_or_default();
                        report_view(r, key)
                    })
                    .collect(),
            },
            ReportTable {
                title: "Por campaña",
                heading: "Campaña",
                key: "campana",
                rows: data
                    .by_campaign
                    .iter()
                    .map(|r| {
                        report_view(r, r.key.clone().unwrap_or_else(|| "Sin campaña".to_owned()))
                    })
                    .collect(),
            },
            ReportTable {
                title: "Por landing",
                heading: "Landing",
                key: "landing",
                rows: data
                    .by_landing
                    .iter()
                    .map(|r| {
                        let key = r
                            .key
                            .as_deref()
                            .map(str::to_owned)
                            .unwrap_or_else(|| "Sin landing".to_owned());
                        report_view(r, key)
                    })
                    .collect(),
            },
            ReportTable {
                title: "Por comercial",
                heading: "Comercial",
                key: "comercial",
                rows: data
                    .by_agent
                    .iter()
                    .map(|r| {
                        report_view(r, r.key.clone().unwrap_or_else(|| "Sin asignar".to_owned()))
                    })
                    .collect(),
            },
        ],
        total: report_view(&data.total, "Total".to_owned()),
    };
    if page.ctx.htmx {
        return render::html_with_status(status, &page.as_content());
    }
    render::html_with_status(status, &page)
}
