//! Analítica (`/admin/analitica`): the brokerage's figures over a period, each report a page
//! with its definition, headline figures compared with the previous period and the same
//! period a year before, charts drawn on the server and the tables of the same numbers, every
//! figure a link to the list of records behind it, and an export (CSV, Excel).
//!
//! The figures come from `analytics` (one grouped query per report, scoped to an agent's own
//! book); [`reports`] turns them into [`view`] sections; the template draws [`chart`]s.

mod chart;
mod reports;
mod view;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::analytics::Period;
use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format;
use crate::validation::{DayRange, FieldErrors};
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::listing;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

use view::{Headline, Section};

/// The longest period a report covers.
const MAX_DAYS: i64 = 366 * 3;

/// The reports, in the order of the menu.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Portfolio,
    Production,
    Retention,
    LossRatio,
    Receipts,
    Commissions,
    CrossSelling,
}

impl Report {
    pub const ALL: [Report; 7] = [
        Report::Portfolio,
        Report::Production,
        Report::Retention,
        Report::LossRatio,
        Report::Receipts,
        Report::Commissions,
        Report::CrossSelling,
    ];

    /// The last segment of its URL.
    pub fn slug(self) -> &'static str {
        match self {
            Report::Portfolio => "cartera",
            Report::Production => "produccion",
            Report::Retention => "retencion",
            Report::LossRatio => "siniestralidad",
            Report::Receipts => "recibos",
            Report::Commissions => "comisiones",
            Report::CrossSelling => "venta-cruzada",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Report::Portfolio => "Cartera",
            Report::Production => "Producción",
            Report::Retention => "Retención",
            Report::LossRatio => "Siniestralidad",
            Report::Receipts => "Recibos",
            Report::Commissions => "Comisiones",
            Report::CrossSelling => "Venta cruzada",
        }
    }

    /// One line for the index.
    pub fn summary(self) -> &'static str {
        match self {
            Report::Portfolio => {
                "Pólizas en vigor y prima anualizada a una fecha, por compañía, ramo y agente."
            }
            Report::Production => {
                "Nueva producción por mes (pólizas y prima), por compañía, ramo, agente y origen del lead."
            }
            Report::Retention => {
                "Renovaciones sobre vencimientos, retención de prima y anulaciones por motivo."
            }
            Report::LossRatio => {
                "Pagado más reservas de los siniestros sobre la prima devengada, por compañía y ramo."
            }
            Report::Receipts => {
                "Recibos cobrados, pendientes, vencidos y devueltos (por motivo) y tasa de cobro."
            }
            Report::Commissions => {
                "Comisiones devengadas por mes, por compañía y por agente, con la parte de los agentes."
            }
            Report::CrossSelling => {
                "Clientes por número de pólizas en vigor y pólizas por cliente, a una fecha."
            }
        }
    }

    pub fn definition(self) -> &'static str {
        use crate::analytics::*;
        match self {
            Report::Portfolio => portfolio::DEFINITION,
            Report::Production => production::DEFINITION,
            Report::Retention => retention::DEFINITION,
            Report::LossRatio => loss_ratio::DEFINITION,
            Report::Receipts => receipts::DEFINITION,
            Report::Commissions => commissions::DEFINITION,
            Report::CrossSelling => cross_selling::DEFINITION,
        }
    }

    pub fn path(self) -> String {
        format!("/admin/analitica/{}", self.slug())
    }
}

/// The period picker of every report.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PeriodQuery {
    desde: String,
    hasta: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    desde: String,
    hasta: String,
    formato: String,
}

/// The period asked for (this year to date by default) and what was wrong with it.
fn read_period(desde: &str, hasta: &str, today: NaiveDate) -> (Period, FieldErrors) {
    let default = Period::year_to_date(today);
    let DayRange { from, to, errors } =
        DayRange::read(desde, hasta, (default.from, default.to), MAX_DAYS);
    (Period::new(from, to), errors)
}

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

/// "01/01/2026 a 07/12/2026".
fn period_text(period: Period) -> String {
    format!(
        "{} a {}",
        format::date(period.from),
        format::date(period.to)
    )
}

fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

/// The query of `period` for links between reports.
fn period_pairs(period: Period) -> [(&'static str, String); 2] {
    [("desde", iso(period.from)), ("hasta", iso(period.to))]
}

/// `path` with the query `pairs` (empty values left out).
fn link(path: &str, pairs: &[(&str, &str)]) -> String {
    listing::url(path, pairs, None)
}

/// A report computed for the page: its headline figures and its sections.
pub struct Built {
    pub headlines: Vec<Headline>,
    pub sections: Vec<Section>,
}

/// A link of the reports' menu.
pub struct NavLink {
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

fn nav(current: Option<Report>, period: Period) -> Vec<NavLink> {
    let pairs = period_pairs(period);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    Report::ALL
        .iter()
        .map(|report| NavLink {
            label: report.title(),
            href: link(&report.path(), &pairs),
            current: Some(*report) == current,
        })
        .collect()
}

#[derive(Template)]
#[template(path = "backoffice/analytics/report.html", blocks = ["content"])]
pub struct AnalyticsReportPage {
    pub ctx: PageContext,
    pub title: &'static str,
    pub action: String,
    pub definition: &'static str,
    pub desde: String,
    pub hasta: String,
    pub errors: FieldErrors,
    pub period: String,
    pub nav: Vec<NavLink>,
    pub headlines: Vec<Headline>,
    pub sections: Vec<Section>,
    pub exports: ExportLinks,
    /// Agents read the figures of their own book: the page says so.
    pub own_book: bool,
}

#[derive(Template)]
#[template(path = "backoffice/analytics/index.html", blocks = ["content"])]
pub struct AnalyticsIndexPage {
    pub ctx: PageContext,
    pub reports: Vec<(NavLink, &'static str)>,
    pub own_book: bool,
}

/// GET /admin/analitica: the reports, each with what it measures.
pub async fn index(
    ctx: PageContext,
    staff: CurrentStaff,
    query: web::Query<PeriodQuery>,
) -> Result<HttpResponse, AppError> {
    let (period, _) = read_period(&query.desde, &query.hasta, crate::time::today());
    let reports = nav(None, period)
        .into_iter()
        .zip(Report::ALL)
        .map(|(link, report)| (link, report.summary()))
        .collect();
    crate::page_or_partial!(AnalyticsIndexPage {
        ctx,
        reports,
        own_book: scope_of(&staff).owner().is_some(),
    })
}

/// One report's page for the period asked.
async fn show(
    report: Report,
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: PeriodQuery,
) -> Result<HttpResponse, AppError> {
    let today = crate::time::today();
    let (period, errors) = read_period(&query.desde, &query.hasta, today);
    let scope = scope_of(&staff);
    let built = db
        .run(move |conn| reports::build(conn, report, scope, period, today).map_err(DbError::from))
        .await?;
    let pairs = period_pairs(period);
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AnalyticsReportPage {
        ctx,
        title: report.title(),
        action: report.path(),
        definition: report.definition(),
        desde: if query.desde.trim().is_empty() || !errors.is_empty() {
            iso(period.from)
        } else {
            query.desde.trim().to_owned()
        },
        hasta: if query.hasta.trim().is_empty() || !errors.is_empty() {
            iso(period.to)
        } else {
            query.hasta.trim().to_owned()
        },
        errors,
        period: period_text(period),
        nav: nav(Some(report), period),
        headlines: built.headlines,
        sections: built.sections,
        exports: ExportLinks::at(&format!("{}/exportar", report.path()), &pairs),
        own_book: scope.owner().is_some(),
    };
    if page.ctx.htmx {
        render::html_with_status(status, &page.as_content())
    } else {
        render::html_with_status(status, &page)
    }
}

/// One report's figures as a file: a row per group of every section, with the headline
/// figures first; audited like every export.
async fn export(
    report: Report,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: ExportQuery,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let today = crate::time::today();
    let (period, errors) = read_period(&query.desde, &query.hasta, today);
    if !errors.is_empty() {
        return Err(AppError::BadRequest(format!(
            "invalid period {:?} to {:?}",
            query.desde, query.hasta
        )));
    }
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let filters = [
        ("desde", query.desde.as_str()),
        ("hasta", query.hasta.as_str()),
    ];
    // The columns: what the row is, then every measure of every section, in order.
    let headers = reports::export_headers(report);
    let export = download::Export {
        list: report.audit_name(),
        sheet: report.title(),
        stem: report.file_stem(),
        headers: headers.clone(),
        filters: &filters,
    };
    download::respond(
        &db,
        by,
        format,
        export,
        move |conn, sink| {
            let built = reports::build(conn, report, scope, period, today)?;
            let rows = reports::export_rows(&built, &headers, period);
            let count = rows.len() as i64;
            for row in rows {
                sink(row)?;
            }
            Ok(count)
        },
        |row: Vec<Cell>| row,
    )
    .await
}

impl Report {
    /// The export as the audit log names it.
    fn audit_name(self) -> &'static str {
        match self {
            Report::Portfolio => "analítica: cartera",
            Report::Production => "analítica: producción",
            Report::Retention => "analítica: retención",
            Report::LossRatio => "analítica: siniestralidad",
            Report::Receipts => "analítica: recibos",
            Report::Commissions => "analítica: comisiones",
            Report::CrossSelling => "analítica: venta cruzada",
        }
    }

    fn file_stem(self) -> &'static str {
        match self {
            Report::Portfolio => "analitica-cartera",
            Report::Production => "analitica-produccion",
            Report::Retention => "analitica-retencion",
            Report::LossRatio => "analitica-siniestralidad",
            Report::Receipts => "analitica-recibos",
            Report::Commissions => "analitica-comisiones",
            Report::CrossSelling => "analitica-venta-cruzada",
        }
    }
}

macro_rules! report_handlers {
    ($($show:ident, $export:ident => $report:expr;)*) => {
        $(
            #[doc = concat!("GET /admin/analitica/… (", stringify!($show), ")")]
            pub async fn $show(
                ctx: PageContext,
                staff: CurrentStaff,
                db: web::Data<Db>,
                query: web::Query<PeriodQuery>,
            ) -> Result<HttpResponse, AppError> {
                show($report, ctx, staff, db, query.into_inner()).await
            }

            #[doc = concat!("GET /admin/analitica/…/exportar (", stringify!($export), ")")]
            pub async fn $export(
                staff: CurrentStaff,
                meta: RequestMeta,
                db: web::Data<Db>,
                query: web::Query<ExportQuery>,
            ) -> Result<HttpResponse, AppError> {
                export($report, staff, meta, db, query.into_inner()).await
            }
        )*
    };
}

report_handlers! {
    portfolio, export_portfolio => Report::Portfolio;
    production, export_production => Report::Production;
    retention, export_retention => Report::Retention;
    loss_ratio, export_loss_ratio => Report::LossRatio;
    receipts, export_receipts => Report::Receipts;
    commissions, export_commissions => Report::Commissions;
    cross_selling, export_cross_selling => Report::CrossSelling;
}
