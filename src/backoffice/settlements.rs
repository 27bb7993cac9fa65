//! Carrier settlements in the back-office (`/admin/liquidaciones`): the list by month with the
//! form that creates a carrier's draft, the settlement's page with its lines, its actions
//! (refresh a draft, issue, record the payment) and its CSV for the carrier.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentDisposition, DispositionParam, DispositionType};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::backoffice::commissions::with_all;
use crate::catalog::{self, format_basis_points};
use crate::commissions::{
    self, DraftForm, PaymentForm, SettlementError, SettlementFilter, SettlementLine, SettlementRow,
    SettlementStatus, month_code, month_label, month_start,
};
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::{date, madrid_datetime};
use crate::listing::Cursor;
use crate::money::format_cents;
use crate::page_or_partial;
use crate::policies;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn optional_id(text: &str) -> Option<i64> {
    text.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

fn detail_path(id: i64) -> String {
    format!("/admin/liquidaciones/{id}")
}

/// A settlement as the pages show it.
pub struct SettlementView {
    pub id: i64,
    pub carrier: String,
    pub month: String,
    pub month_code: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    pub lines: i32,
    pub base: String,
    pub total: String,
    pub agent: String,
    pub issued_at: String,
    pub paid_on: String,
    pub received: String,
    /// Received minus expected, once paid; `None` before.
    pub difference: Option<String>,
    pub difference_is_zero: bool,
    pub is_draft: bool,
    pub is_issued: bool,
}

impl From<SettlementRow> for SettlementView {
    fn from(row: SettlementRow) -> Self {
        let s = row.settlement;
        let status = s.status();
        let difference = s.difference();
        Self {
            id: s.id,
            carrier: row.carrier_name,
            month: month_label(s.period),
            month_code: month_code(s.period),
            status_label: status.label(),
            status_badge: status.badge(),
            lines: s.line_count,
            base: format_cents(s.base_cents),
            total: format_cents(s.total_cents),
            agent: format_cents(s.agent_cents),
            issued_at: s.issued_at.map(madrid_datetime).unwrap_or_default(),
            paid_on: s.paid_on.map(date).unwrap_or_default(),
            received: s.received_cents.map(format_cents).unwrap_or_default(),
            difference: difference.map(commissions::difference_text),
            difference_is_zero: difference == Some(0),
            is_draft: status == SettlementStatus::Draft,
            is_issued: status == SettlementStatus::Issued,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The list and the new draft form

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    compania: String,
    estado: String,
    /// Keyset cursor: `<period>_<id>` of the last row of the previous page.
    pagina: String,
}

#[derive(Template)]
#[template(path = "backoffice/settlements/list.html", blocks = ["content"])]
pub struct SettlementListPage {
    pub ctx: PageContext,
    pub compania: String,
    pub estado: String,
    pub carriers: Vec<(String, String)>,
    pub statuses: Vec<(String, String)>,
    pub rows: Vec<SettlementView>,
    pub pager: Pager,
    pub exports: ExportLinks,
    /// The new draft form: typed values and their errors.
    pub draft: DraftForm,
    pub draft_carriers: Vec<(String, String)>,
    pub errors: FieldErrors,
}

impl ListQuery {
    fn filter(&self) -> SettlementFilter {
        SettlementFilter {
            carrier_id: optional_id(&self.compania),
            status: SettlementStatus::parse(self.estado.trim()),
            cursor: Cursor::parse(&self.pagina),
        }
    }
}

/// The filter as query pairs: page links, export links, the export's audit entry.
fn filter_pairs(filter: &SettlementFilter) -> [(&'static str, String); 2] {
    [
        (
            "compania",
            filter.carrier_id.map(|i| i.to_string()).unwrap_or_default(),
        ),
        (
            "estado",
            filter
                .status
                .map(|s| s.code())
                .unwrap_or_default()
                .to_owned(),
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    formato: String,
}

/// GET /admin/liquidaciones/exportar?formato=csv|xlsx: every settlement the list's filters
/// keep, as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let filter = query.list.filter();
    let owned = filter_pairs(&filter);
    let filters: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let export = download::Export {
        list: "liquidaciones",
        sheet: "Liquidaciones",
        stem: "liquidaciones",
        headers: vec![
            "Compañía",
            "Mes",
            "Estado",
            "Líneas",
            "Base",
            "Comisión esperada",
            "Parte de agentes",
            "Emitida el",
            "Cobrada el",
            "Importe recibido",
            "Diferencia",
        ],
        filters: &filters,
    };
    download::respond(
        &db,
        Actor::new(&staff.0, &meta.ip, &meta.user_agent),
        format,
        export,
        move |conn, sink| commissions::export_settlements(conn, &filter, sink),
        |row: SettlementRow| {
            let s = row.settlement;
            let difference = s.difference();
            vec![
                row.carrier_name.into(),
                month_label(s.period).into(),
                s.status().label().into(),
                Cell::Int(i64::from(s.line_count)),
                Cell::Money(s.base_cents),
                Cell::Money(s.total_cents),
                Cell::Money(s.agent_cents),
                s.issued_at.map(crate::time::date_of).into(),
                s.paid_on.into(),
                s.received_cents.map_or(Cell::Empty, Cell::Money),
                difference.map_or(Cell::Empty, Cell::Money),
            ]
        },
    )
    .await
}

async fn list_page(
    ctx: PageContext,
    db: &Db,
    query: ListQuery,
    draft: DraftForm,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let filter = query.filter();
    let owned = filter_pairs(&filter);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let exports = ExportLinks::at("/admin/liquidaciones/exportar", &pairs);
    let (page, carriers) = db
        .run(move |conn| {
            let page = commissions::settlements(conn, &filter)?;
            let carriers = catalog::active_carriers(conn)?;
            Ok::<_, DbError>((page, carriers))
        })
        .await?;
    let carrier_options: Vec<(String, String)> = carriers
        .into_iter()
        .map(|c| (c.id.to_string(), c.name))
        .collect();
    let page_view = SettlementListPage {
        ctx,
        compania: query.compania,
        estado: query.estado,
        carriers: with_all("Todas", carrier_options.iter().cloned()),
        statuses: with_all(
            "Todos",
            SettlementStatus::ALL
                .iter()
                .map(|s| (s.code().to_owned(), s.label().to_owned())),
        ),
        pager: Pager::at(&page, "/admin/liquidaciones", &pairs),
        rows: page.rows.into_iter().map(SettlementView::from).collect(),
        exports,
        draft,
        draft_carriers: with_all("Elija la compañía", carrier_options.into_iter()),
        errors,
    };
    if status == StatusCode::OK {
        page_or_partial!(page_view)
    } else {
        render::html_with_status(status, &page_view)
    }
}

/// GET /admin/liquidaciones
pub async fn list(
    ctx: PageContext,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    // The form proposes last month, the one usually settled.
    let last_month = month_start(policies::today())
        .pred_opt()
        .map(month_start)
        .unwrap_or_else(|| month_start(policies::today()));
    let draft = DraftForm {
        compania: String::new(),
        mes: month_code(last_month),
    };
    list_page(
        ctx,
        &db,
        query.into_inner(),
        draft,
        FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// POST /admin/liquidaciones: creates (or refreshes) the draft of a carrier and month.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<DraftForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let today = policies::today();
    let outcome = match form.validate(today) {
        Err(errors) => Err(SettlementError::Invalid(errors)),
        Ok(command) => {
            db.transaction(move |conn| commissions::create_draft(conn, &command, &by))
                .await
        }
    };
    match outcome {
        Ok(draft) => Ok(flash::redirect(
            &detail_path(draft.id),
            Flash::success(format!(
                "Borrador de liquidación con {} líneas.",
                draft.line_count
            )),
        )),
        Err(SettlementError::Invalid(errors)) => {
            list_page(
                ctx,
                &db,
                ListQuery::default(),
                kept,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(other) => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// One settlement

/// A line of the settlement's page.
pub struct LineView {
    pub booked: String,
    pub receipt_number: String,
    pub policy_id: i64,
    pub policy_number: String,
    pub customer_name: String,
    pub kind_label: &'static str,
    pub reversal: bool,
    pub renewal: bool,
    pub base: String,
    pub rate: String,
    pub amount: String,
}

impl From<SettlementLine> for LineView {
    fn from(line: SettlementLine) -> Self {
        let c = line.commission;
        Self {
            booked: date(c.booked_on),
            kind_label: c.kind().label(),
            reversal: c.kind() == commissions::Kind::Reversal,
            renewal: c.renewal,
            base: format_cents(c.base_cents),
            rate: format_basis_points(c.rate_bp),
            amount: format_cents(c.amount_cents),
            policy_id: c.policy_id,
            receipt_number: line.receipt_number,
            policy_number: line.policy_number,
            customer_name: line.customer_name,
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/settlements/show.html", blocks = ["content"])]
pub struct SettlementPage {
    pub ctx: PageContext,
    pub settlement: SettlementView,
    pub lines: Vec<LineView>,
    /// More lines than the page shows (the CSV has them all).
    pub truncated: bool,
    /// Lines of the carrier booked up to the month's end that wait outside this draft.
    pub waiting: i64,
    pub payment: PaymentForm,
    pub errors: FieldErrors,
}

async fn show_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    payment: Option<PaymentForm>,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (row, lines, waiting) = db
        .run(move |conn| {
            let row = commissions::settlement(conn, id)?;
            let lines = commissions::settlement_lines(
                conn,
                id,
                Some(commissions::SETTLEMENT_PAGE_LINES + 1),
            )?;
            let waiting = if row.settlement.status() == SettlementStatus::Draft {
                commissions::unsettled(conn, row.settlement.carrier_id, row.settlement.period)?.0
            } else {
                0
            };
            Ok::<_, DbError>((row, lines, waiting))
        })
        .await?;
    let expected = row.settlement.total_cents;
    let truncated = lines.len() as i64 > commissions::SETTLEMENT_PAGE_LINES;
    let page = SettlementPage {
        ctx,
        settlement: row.into(),
        lines: lines
            .into_iter()
            .take(commissions::SETTLEMENT_PAGE_LINES as usize)
            .map(LineView::from)
            .collect(),
        truncated,
        waiting,
        payment: payment.unwrap_or_else(|| PaymentForm {
            cobro_fecha: policies::today().format("%Y-%m-%d").to_string(),
            importe_recibido: crate::money::cents_for_input(expected),
        }),
        errors,
    };
    if status == StatusCode::OK {
        page_or_partial!(page)
    } else {
        render::html_with_status(status, &page)
    }
}

/// GET /admin/liquidaciones/{id}
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    show_page(ctx, &db, id, None, FieldErrors::new(), StatusCode::OK).await
}

/// After an action: back to the settlement with a message; a refusal (a double submit, say)
/// says why instead of failing.
fn back(id: i64, outcome: Result<String, SettlementError>) -> Result<HttpResponse, AppError> {
    match outcome {
        Ok(message) => Ok(flash::redirect(&detail_path(id), Flash::success(message))),
        Err(SettlementError::Refused(message)) => {
            Ok(flash::redirect(&detail_path(id), Flash::warning(message)))
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /admin/liquidaciones/{id}/actualizar: adds the lines that arrived since.
pub async fn refresh(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let outcome = db
        .transaction(move |conn| commissions::refresh(conn, id, &by))
        .await
        .map(|(_, joined)| match joined {
            0 => "No hay líneas nuevas.".to_owned(),
            1 => "Se ha añadido 1 línea.".to_owned(),
            n => format!("Se han añadido {n} líneas."),
        });
    back(id, outcome)
}

/// POST /admin/liquidaciones/{id}/emitir
pub async fn issue(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let outcome = db
        .transaction(move |conn| commissions::issue(conn, id, &by))
        .await
        .map(|s| {
            format!(
                "Liquidación emitida: {} en {} líneas.",
                format_cents(s.total_cents),
                s.line_count
            )
        });
    back(id, outcome)
}

/// POST /admin/liquidaciones/{id}/cobrar
pub async fn pay(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<PaymentForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let form = form.into_inner();
    let kept = form.clone();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let today = policies::today();
    let command = form.validate(today);
    let outcome = db
        .transaction(move |conn| commissions::mark_paid(conn, id, command, &by))
        .await;
    match outcome {
        Err(SettlementError::Invalid(errors)) => {
            show_page(
                ctx,
                &db,
                id,
                Some(kept),
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        other => back(
            id,
            other.map(|s| match s.difference() {
                Some(0) | None => "Cobro de la liquidación registrado.".to_owned(),
                Some(d) => format!(
                    "Cobro de la liquidación registrado, con una diferencia de {}.",
                    commissions::difference_text(d)
                ),
            }),
        ),
    }
}

/// GET /admin/liquidaciones/{id}/csv: the lines for the carrier, as Spanish Excel reads them.
pub async fn csv(db: web::Data<Db>, path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let (row, lines) = db
        .run(move |conn| {
            let row = commissions::settlement(conn, id)?;
            let lines = commissions::settlement_lines(conn, id, None)?;
            Ok::<_, DbError>((row, lines))
        })
        .await?;
    let body = commissions::csv(&row.settlement, &lines);
    let filename = format!(
        "liquidacion-{}-{}.csv",
        row.settlement.id,
        month_code(row.settlement.period)
    );
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(filename)],
        })
        .insert_header((header::CACHE_CONTROL, "private, no-store"))
        .body(body))
}
