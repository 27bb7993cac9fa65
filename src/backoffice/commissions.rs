//! Commissions in the back-office: the list of lines with its filters and totals (agents see
//! their own), "Mis comisiones" (one's share month by month) and the month × agent report.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::backoffice::CurrentStaff;
use crate::catalog::{self, format_basis_points};
use crate::commissions::{
    self, AgentMonth, CommissionRow, Kind, ListFilter, ListTotals, month_code, month_label,
    month_start, parse_month,
};
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::date;
use crate::listing::Cursor;
use crate::money::format_cents;
use crate::page_or_partial;
use crate::policies;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

pub(crate) fn with_all(
    first: &str,
    options: impl Iterator<Item = (String, String)>,
) -> Vec<(String, String)> {
    std::iter::once((String::new(), first.to_owned()))
        .chain(options)
        .collect()
}

/// A month field of a GET form: empty is `None`; a bad one is reported next to the field.
fn month_field(errors: &mut FieldErrors, field: &'static str, text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let month = parse_month(text);
    if month.is_none() {
        errors.add(field, "Escriba el mes como aaaa-mm, por ejemplo 2026-11.");
    }
    month
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    compania: String,
    mes: String,
    agente: String,
    /// "si": only settled lines; "no": only unsettled.
    liquidada: String,
    /// Keyset cursor: `<booked on>_<id>` of the last row of the previous page.
    pagina: String,
}

/// A commission line as a row of the list.
pub struct ListRow {
    pub id: i64,
    pub booked: String,
    pub receipt_number: String,
    pub policy_id: i64,
    pub policy_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub carrier: String,
    pub agent: String,
    pub kind_label: &'static str,
    pub reversal: bool,
    pub renewal: bool,
    pub base: String,
    pub rate: String,
    pub amount: String,
    pub agent_amount: String,
    pub settlement_id: Option<i64>,
}

impl From<CommissionRow> for ListRow {
    fn from(row: CommissionRow) -> Self {
        let c = row.commission;
        Self {
            id: c.id,
            booked: date(c.booked_on),
            kind_label: c.kind().label(),
            reversal: c.kind() == Kind::Reversal,
            renewal: c.renewal,
            base: format_cents(c.base_cents),
            rate: format_basis_points(c.rate_bp),
            amount: format_cents(c.amount_cents),
            agent_amount: format_cents(c.agent_amount_cents),
            settlement_id: c.settlement_id,
            receipt_number: row.receipt_number,
            policy_id: c.policy_id,
            policy_number: row.policy_number,
            customer_id: row.customer_id,
            customer_name: row.customer_name,
            carrier: row.carrier_name,
            agent: row.agent_name.unwrap_or_else(|| "—".into()),
        }
    }
}

pub struct TotalsView {
    pub count: i64,
    pub base: String,
    pub amount: String,
    pub agent: String,
}

impl From<ListTotals> for TotalsView {
    fn from(t: ListTotals) -> Self {
        Self {
            count: t.count,
            base: format_cents(t.base_cents),
            amount: format_cents(t.amount_cents),
            agent: format_cents(t.agent_cents),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/commissions/list.html", blocks = ["content"])]
pub struct CommissionListPage {
    pub ctx: PageContext,
    pub compania: String,
    pub mes: String,
    pub agente: String,
    pub liquidada: String,
    pub carriers: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub settled_options: Vec<(String, String)>,
    /// Agents see their own lines: no agent filter.
    pub own_only: bool,
    pub errors: FieldErrors,
    pub totals: TotalsView,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

/// The results (totals, rows, pagination): what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/commissions/_results.html")]
pub struct CommissionResults {
    pub ctx: PageContext,
    pub totals: TotalsView,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

/// GET /admin/comisiones
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff);
    let (filter, errors) = query.filter(scope);
    let owned = filter_pairs(&filter);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let exports = ExportLinks::at("/admin/comisiones/exportar", &pairs);
    let htmx = ctx.htmx;
    let (page, totals, options) = db
        .run(move |conn| {
            let page = commissions::list(conn, scope, &filter)?;
            let totals = commissions::totals(conn, scope, &filter)?;
            let options = if htmx {
                None
            } else {
                Some((catalog::active_carriers(conn)?, commissions::agents(conn)?))
            };
            Ok::<_, DbError>((page, totals, options))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/comisiones", &pairs);
    let rows: Vec<ListRow> = page.rows.into_iter().map(ListRow::from).collect();
    let Some((carriers, agents)) = options else {
        return render::html(&CommissionResults {
            ctx,
            totals: totals.into(),
            rows,
            pager,
            exports,
        });
    };
    page_or_partial!(CommissionListPage {
        ctx,
        compania: query.compania,
        mes: query.mes,
        agente: query.agente,
        liquidada: query.liquidada,
        carriers: with_all(
            "Todas",
            carriers.into_iter().map(|c| (c.id.to_string(), c.name))
        ),
        agents: with_all(
            "Todos",
            agents.into_iter().map(|(id, name)| (id.to_string(), name))
        ),
        settled_options: vec![
            (String::new(), "Todas".to_owned()),
            ("no".to_owned(), "Sin liquidar".to_owned()),
            ("si".to_owned(), "Liquidadas".to_owned()),
        ],
        own_only: scope.owner().is_some(),
        errors,
        totals: totals.into(),
        rows,
        pager,
        exports,
    })
}

impl ListQuery {
    /// The filter the query asks for, with an error next to a month it cannot read.
    fn filter(&self, scope: PortfolioScope) -> (ListFilter, FieldErrors) {
        let mut errors = FieldErrors::new();
        let month = month_field(&mut errors, "mes", &self.mes);
        let settled = match self.liquidada.trim() {
            "si" => Some(true),
            "no" => Some(false),
            _ => None,
        };
        let filter = ListFilter {
            carrier_id: optional_id(&self.compania),
            month,
            // An agent's scope is their own lines already; the agent filter is not theirs.
            agent_id: optional_id(&self.agente).filter(|_| scope.owner().is_none()),
            settled,
            cursor: Cursor::parse(&self.pagina),
        };
        (filter, errors)
    }
}

/// The filter as query pairs: page links, export links, the export's audit entry.
fn filter_pairs(filter: &ListFilter) -> [(&'static str, String); 4] {
    let id = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    let settled = match filter.settled {
        Some(true) => "si",
        Some(false) => "no",
        None => "",
    };
    [
        ("compania", id(filter.carrier_id)),
        ("mes", filter.month.map(month_code).unwrap_or_default()),
        ("agente", id(filter.agent_id)),
        ("liquidada", settled.to_owned()),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    formato: String,
}

/// GET /admin/comisiones/exportar?formato=csv|xlsx: every commission line the list's filters
/// keep (an agent's own lines, for an agent), as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let scope = scope_of(&staff);
    let (filter, _) = query.list.filter(scope);
    let owned = filter_pairs(&filter);
    let filters: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let export = download::Export {
        list: "comisiones",
        sheet: "Comisiones",
        stem: "comisiones",
        headers: vec![
            "Fecha",
            "Tipo",
            "Renovación",
            "Recibo",
            "Póliza",
            "Cliente",
            "Compañía",
            "Agente",
            "Base",
            "Tipo de comisión (%)",
            "Comisión",
            "Parte del agente",
            "Liquidada",
        ],
        filters: &filters,
    };
    download::respond(
        &db,
        Actor::new(&staff.0, &meta.ip, &meta.user_agent),
        format,
        export,
        move |conn, sink| commissions::export(conn, scope, &filter, sink),
        |row: CommissionRow| {
            let c = row.commission;
            vec![
                c.booked_on.into(),
                c.kind().label().into(),
                if c.renewal { "Sí" } else { "No" }.into(),
                row.receipt_number.into(),
                row.policy_number.into(),
                row.customer_name.into(),
                row.carrier_name.into(),
                row.agent_name.into(),
                Cell::Money(c.base_cents),
                format_basis_points(c.rate_bp).into(),
                Cell::Money(c.amount_cents),
                Cell::Money(c.agent_amount_cents),
                if c.settlement_id.is_some() {
                    "Sí"
                } else {
                    "No"
                }
                .into(),
            ]
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Mis comisiones and the report

/// A month of one agent, written for the pages.
pub struct MonthView {
    pub month: String,
    pub month_code: String,
    pub agent_id: Option<i64>,
    pub agent: String,
    pub lines: i64,
    pub commission: String,
    pub agent_amount: String,
}

impl From<AgentMonth> for MonthView {
    fn from(row: AgentMonth) -> Self {
        Self {
            month: month_label(row.month),
            month_code: month_code(row.month),
            agent_id: row.agent_id,
            agent: row.agent_name.unwrap_or_else(|| "Sin comercial".into()),
            lines: row.lines,
            commission: format_cents(row.commission_cents),
            agent_amount: format_cents(row.agent_cents),
        }
    }
}

/// Sums of a set of months.
fn sums(rows: &[AgentMonth]) -> (String, String) {
    (
        format_cents(rows.iter().map(|r| r.commission_cents).sum()),
        format_cents(rows.iter().map(|r| r.agent_cents).sum()),
    )
}

#[derive(Template)]
#[template(path = "backoffice/commissions/mine.html", blocks = ["content"])]
pub struct MyCommissionsPage {
    pub ctx: PageContext,
    pub share: String,
    pub months: Vec<MonthView>,
    pub total_commission: String,
    pub total_share: String,
}

/// Months "Mis comisiones" covers: this one and the eleven before.
const MY_MONTHS: u32 = 12;

/// GET /admin/comisiones/mias: the signed-in staff member's commissions month by month.
pub async fn mine(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let me = staff.0.id;
    let until = month_start(policies::today());
    let from = until
        .checked_sub_months(chrono::Months::new(MY_MONTHS - 1))
        .unwrap_or(until);
    let (rows, share) = db
        .run(move |conn| {
            let rows = commissions::by_agent_and_month(conn, from, until, Some(me))?;
            let share = commissions::share_of(conn, me)?;
            Ok::<_, DbError>((rows, share))
        })
        .await?;
    let (total_commission, total_share) = sums(&rows);
    page_or_partial!(MyCommissionsPage {
        ctx,
        share: format_basis_points(share),
        months: rows.into_iter().map(MonthView::from).collect(),
        total_commission,
        total_share,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    desde: String,
    hasta: String,
    agente: String,
}

#[derive(Template)]
#[template(path = "backoffice/commissions/report.html", blocks = ["content"])]
pub struct CommissionReportPage {
    pub ctx: PageContext,
    pub desde: String,
    pub hasta: String,
    pub agente: String,
    pub agents: Vec<(String, String)>,
    pub errors: FieldErrors,
    pub period: String,
    pub rows: Vec<MonthView>,
    pub total_commission: String,
    pub total_share: String,
}

/// The longest period the report covers, in months.
const REPORT_MAX_MONTHS: u32 = 24;

/// GET /admin/comisiones/informe: the broker's commission and each agent's share, by month.
pub async fn report(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let this_month = month_start(policies::today());
    let default_from = this_month
        .checked_sub_months(chrono::Months::new(5))
        .unwrap_or(this_month);
    let mut errors = FieldErrors::new();
    let from = month_field(&mut errors, "desde", &query.desde);
    let until = month_field(&mut errors, "hasta", &query.hasta);
    let (mut from, mut until) = (from.unwrap_or(default_from), until.unwrap_or(this_month));
    if until < from {
        errors.add("hasta", "El mes final no puede ser anterior al inicial.");
    } else if from
        .checked_add_months(chrono::Months::new(REPORT_MAX_MONTHS))
        .is_some_and(|limit| until >= limit)
    {
        errors.add(
            "hasta",
            format!("Elija {REPORT_MAX_MONTHS} meses como mucho."),
        );
    }
    if !errors.is_empty() {
        (from, until) = (default_from, this_month);
    }
    let agent = optional_id(&query.agente);
    let (rows, agents) = db
        .run(move |conn| {
            let rows = commissions::by_agent_and_month(conn, from, until, agent)?;
            let agents = commissions::agents(conn)?;
            Ok::<_, DbError>((rows, agents))
        })
        .await?;
    let (total_commission, total_share) = sums(&rows);
    page_or_partial!(CommissionReportPage {
        ctx,
        desde: query.desde,
        hasta: query.hasta,
        agente: query.agente,
        agents: with_all(
            "Todos",
            agents.into_iter().map(|(id, name)| (id.to_string(), name))
        ),
        errors,
        period: format!("De {} a {}", month_label(from), month_label(until)),
        rows: rows.into_iter().map(MonthView::from).collect(),
        total_commission,
        total_share,
    })
}
