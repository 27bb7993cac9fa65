//! Receipts in the back-office: the list with its filters and totals, and the inline actions
//! of the policy page's receipts (collect, return, cancel), which answer htmx with the
//! receipt's row and a plain form post with a redirect to the policy.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::permissions::PortfolioScope;
use crate::backoffice::CurrentStaff;
use crate::catalog;
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::date;
use crate::listing::Cursor;
use crate::money::format_cents;
use crate::page_or_partial;
use crate::policies::{self, Actor};
use crate::receipts::{
    self, CancelForm, CollectForm, ListFilter, Receipt, ReceiptError, ReceiptRow, ReturnForm,
    Status, Totals,
};
use crate::validation::{FieldErrors, parse_date};
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::flash::{self, Flash};
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

fn iso(day: NaiveDate) -> String {
    day.format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------------------------------------
// One receipt as a row of the policy page, with its action forms

/// What the action forms of a row hold: typed values after a refusal, defaults otherwise.
#[derive(Debug, Clone, Default)]
pub struct RowForms {
    pub collect: CollectForm,
    pub give_back: ReturnForm,
    pub cancel: CancelForm,
}

/// A receipt of the policy page, written for the page.
pub struct ReceiptLine {
    pub id: i64,
    pub policy_id: i64,
    pub number: String,
    pub period: String,
    pub due: String,
    pub amount: String,
    pub net: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    /// "Cobrado el …", "Devuelto el … · motivo", "Anulado el … · motivo".
    pub note: String,
    pub overdue: bool,
    pub can_collect: bool,
    pub can_return: bool,
    pub can_cancel: bool,
    pub forms: RowForms,
    pub errors: FieldErrors,
}

impl ReceiptLine {
    /// `editable`: whether the viewer may act on receipts (EditPortfolio).
    pub fn new(receipt: &Receipt, editable: bool, today: NaiveDate) -> Self {
        let status = receipt.status();
        let note = match status {
            Status::Pending => String::new(),
            Status::Remitted => receipt
                .remitted_on
                .map(|d| format!("Remesado el {}", date(d)))
                .unwrap_or_default(),
            Status::Collected => receipt
                .collected_on
                .map(|d| format!("Cobrado el {}", date(d)))
                .unwrap_or_default(),
            Status::Returned => format!(
                "Devuelto el {} · {}",
                receipt.returned_on.map(date).unwrap_or_default(),
                receipt.note().unwrap_or_default()
            ),
            Status::Cancelled => format!(
                "Anulado el {} · {}",
                receipt.cancelled_on.map(date).unwrap_or_default(),
                receipt.note().unwrap_or_default()
            ),
        };
        Self {
            id: receipt.id,
            policy_id: receipt.policy_id,
            number: receipt.number.clone(),
            period: format!(
                "{} – {}",
                date(receipt.period_start),
                date(receipt.period_end)
            ),
            due: date(receipt.due_date),
            amount: format_cents(receipt.amount_cents),
            net: format_cents(receipt.net_cents),
            status_label: status.label(),
            status_badge: status.badge(),
            note,
            overdue: receipt.is_overdue(today),
            can_collect: editable && status.collectable(),
            can_return: editable && status.returnable(),
            can_cancel: editable && status.cancellable(),
            forms: RowForms {
                collect: CollectForm {
                    cobro_fecha: iso(today),
                },
                give_back: ReturnForm {
                    devolucion_motivo: String::new(),
                    devolucion_fecha: iso(today),
                },
                cancel: CancelForm::default(),
            },
            errors: FieldErrors::new(),
        }
    }

    /// The message of a refused action (the receipt's state did not allow it).
    pub fn refusal(&self) -> Option<&str> {
        ["cobro", "devolucion", "anulacion"]
            .into_iter()
            .find_map(|key| self.errors.get(key))
    }

    pub fn has_actions(&self) -> bool {
        self.can_collect || self.can_return || self.can_cancel
    }
}

/// The row alone: what the inline actions answer to htmx.
#[derive(Template)]
#[template(path = "backoffice/receipts/_row.html")]
pub struct ReceiptRowPartial {
    pub ctx: PageContext,
    pub line: ReceiptLine,
}

/// The row on a page of its own: a refused action without htmx, with the typed values.
#[derive(Template)]
#[template(path = "backoffice/receipts/action.html", blocks = ["content"])]
pub struct ReceiptActionPage {
    pub ctx: PageContext,
    pub line: ReceiptLine,
}

#[derive(Clone, Copy)]
enum Kind {
    Collect,
    Return,
    Cancel,
}

impl Kind {
    /// The key of a refusal's message in the row's errors.
    fn key(self) -> &'static str {
        match self {
            Kind::Collect => "cobro",
            Kind::Return => "devolucion",
            Kind::Cancel => "anulacion",
        }
    }

    fn done(self) -> &'static str {
        match self {
            Kind::Collect => "Recibo cobrado.",
            Kind::Return => "Recibo devuelto: se ha creado una tarea para el comercial.",
            Kind::Cancel => "Recibo anulado.",
        }
    }
}

#[allow(clippy::too_many_arguments)]
async fn act<F>(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    kind: Kind,
    typed: impl FnOnce(&mut RowForms),
    run: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(
            &mut diesel::PgConnection,
            PortfolioScope,
            i64,
            &Actor,
        ) -> Result<Receipt, ReceiptError>
        + Send
        + 'static,
{
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let scope = scope_of(&staff);
    let by_staff = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            let by = Actor::new(&by_staff, &meta.ip, &meta.user_agent);
            run(conn, scope, id, &by)
        })
        .await;
    let today = policies::today();
    let errors = match outcome {
        Ok(receipt) if ctx.htmx => {
            let line = ReceiptLine::new(&receipt, true, today);
            return render::html(&ReceiptRowPartial { ctx, line });
        }
        Ok(receipt) => {
            return Ok(flash::redirect(
                &format!("/admin/polizas/{}#recibo-{}", receipt.policy_id, receipt.id),
                Flash::success(kind.done()),
            ));
        }
        Err(ReceiptError::Invalid(errors)) => errors,
        Err(ReceiptError::Refused(message)) => {
            let mut errors = FieldErrors::new();
            errors.add(kind.key(), message);
            errors
        }
        Err(other) => return Err(other.into()),
    };
    let receipt = db.run(move |conn| receipts::find(conn, scope, id)).await?;
    let mut line = ReceiptLine::new(&receipt, true, today);
    typed(&mut line.forms);
    line.errors = errors;
    if ctx.htmx {
        render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReceiptRowPartial { ctx, line },
        )
    } else {
        render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ReceiptActionPage { ctx, line },
        )
    }
}

/// POST /admin/recibos/{id}/cobrar
pub async fn collect(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<CollectForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    let today = policies::today();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        Kind::Collect,
        |forms| forms.collect = kept,
        move |conn, scope, id, by| receipts::collect(conn, scope, id, form.validate(today), by),
    )
    .await
}

/// POST /admin/recibos/{id}/devolver
pub async fn give_back(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<ReturnForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    let today = policies::today();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        Kind::Return,
        |forms| forms.give_back = kept,
        move |conn, scope, id, by| {
            receipts::return_receipt(conn, scope, id, form.validate(today), by, today)
        },
    )
    .await
}

/// POST /admin/recibos/{id}/anular
pub async fn cancel(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<CancelForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    let today = policies::today();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        Kind::Cancel,
        |forms| forms.cancel = kept,
        move |conn, scope, id, by| receipts::cancel(conn, scope, id, form.validate(), by, today),
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// The list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    /// Absent on the first visit: the list opens on what needs action (pending receipts,
    /// oldest due first, so overdue ones lead). Present but empty: every status.
    estado: Option<String>,
    desde: String,
    hasta: String,
    compania: String,
    agente: String,
    pagina: String,
}

/// A receipt as a row of the list.
pub struct ListRow {
    pub id: i64,
    pub number: String,
    pub policy_id: i64,
    pub policy_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub carrier: String,
    pub agent: String,
    pub due: String,
    pub amount: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    pub overdue: bool,
}

impl ListRow {
    fn new(row: ReceiptRow, today: NaiveDate) -> Self {
        let status = row.receipt.status();
        Self {
            id: row.receipt.id,
            overdue: row.receipt.is_overdue(today),
            number: row.receipt.number,
            policy_id: row.receipt.policy_id,
            policy_number: row.policy_number,
            customer_id: row.receipt.customer_id,
            customer_name: row.customer_name,
            carrier: row.carrier_name,
            agent: row.agent_name.unwrap_or_else(|| "—".into()),
            due: date(row.receipt.due_date),
            amount: format_cents(row.receipt.amount_cents),
            status_label: status.label(),
            status_badge: status.badge(),
        }
    }
}

/// The totals of the filter, written for the page.
pub struct TotalsView {
    pub count: i64,
    pub amount: String,
    pub pending: String,
    pub collected: String,
    pub returned: String,
}

impl From<Totals> for TotalsView {
    fn from(t: Totals) -> Self {
        Self {
            count: t.count,
            amount: format_cents(t.amount_cents),
            pending: format_cents(t.pending_cents),
            collected: format_cents(t.collected_cents),
            returned: format_cents(t.returned_cents),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/receipts/list.html", blocks = ["content"])]
pub struct ReceiptListPage {
    pub ctx: PageContext,
    pub estado: String,
    pub desde: String,
    pub hasta: String,
    pub compania: String,
    pub agente: String,
    pub statuses: Vec<(String, String)>,
    pub carriers: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub errors: FieldErrors,
    pub totals: TotalsView,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

/// The results (totals, rows, pagination): what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/receipts/_results.html")]
pub struct ReceiptResults {
    pub totals: TotalsView,
    pub rows: Vec<ListRow>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

fn with_all(first: &str, options: impl Iterator<Item = (String, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), first.to_owned()))
        .chain(options)
        .collect()
}

impl ListQuery {
    /// The filter the query asks for, with an error per field it cannot read (a bad date is
    /// left out of the filter, not guessed). An absent `estado` means pending.
    fn filter(&self) -> (ListFilter, FieldErrors) {
        let estado = self.estado();
        let mut errors = FieldErrors::new();
        let mut day = |field: &'static str, text: &str| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            parse_date(text).map_err(|m| errors.add(field, m)).ok()
        };
        let due_from = day("desde", &self.desde);
        let due_until = day("hasta", &self.hasta);
        if let (Some(from), Some(until)) = (due_from, due_until)
            && until < from
        {
            errors.add(
                "hasta",
                "La fecha final no puede ser anterior a la inicial.",
            );
        }
        let filter = ListFilter {
            status: Status::parse(estado.trim()),
            due_from,
            due_until: due_until.filter(|_| !errors.has("hasta")),
            carrier_id: optional_id(&self.compania),
            agent_id: optional_id(&self.agente),
            cursor: Cursor::parse(&self.pagina),
        };
        (filter, errors)
    }

    fn estado(&self) -> String {
        self.estado
            .clone()
            .unwrap_or_else(|| Status::Pending.code().to_owned())
    }
}

/// The filter as query pairs (page links, export links, the export's audit entry). Every
/// status is `estado=todos`: an absent `estado` means pending.
fn filter_pairs(filter: &ListFilter) -> [(&'static str, String); 5] {
    let id = |id: Option<i64>| id.map(|i| i.to_string()).unwrap_or_default();
    [
        (
            "estado",
            filter.status.map_or("todos", |s| s.code()).to_owned(),
        ),
        ("desde", filter.due_from.map(iso).unwrap_or_default()),
        ("hasta", filter.due_until.map(iso).unwrap_or_default()),
        ("compania", id(filter.carrier_id)),
        ("agente", id(filter.agent_id)),
    ]
}

/// GET /admin/recibos
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let estado = query.estado();
    let scope = scope_of(&staff);
    let (filter, errors) = query.filter();
    let owned = filter_pairs(&filter);
    let pairs: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let exports = ExportLinks::at("/admin/recibos/exportar", &pairs);
    let today = policies::today();
    let htmx = ctx.htmx;
    let (page, totals, options) = db
        .run(move |conn| {
            let page = receipts::list(conn, scope, &filter)?;
            let totals = receipts::totals(conn, scope, &filter)?;
            let options = if htmx {
                None
            } else {
                Some((
                    catalog::active_carriers(conn)?,
                    policies::agent_options(conn)?,
                ))
            };
            Ok::<_, DbError>((page, totals, options))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/recibos", &pairs);
    let rows: Vec<ListRow> = page
        .rows
        .into_iter()
        .map(|r| ListRow::new(r, today))
        .collect();
    let Some((carriers, agents)) = options else {
        return render::html(&ReceiptResults {
            totals: totals.into(),
            rows,
            pager,
            exports,
        });
    };
    page_or_partial!(ReceiptListPage {
        ctx,
        estado,
        desde: query.desde,
        hasta: query.hasta,
        compania: query.compania,
        agente: query.agente,
        statuses: with_all(
            "Todos",
            Status::ALL
                .iter()
                .map(|s| (s.code().to_owned(), s.label().to_owned()))
        ),
        carriers: with_all(
            "Todas",
            carriers.into_iter().map(|c| (c.id.to_string(), c.name))
        ),
        agents: with_all(
            "Todos",
            agents.into_iter().map(|a| (a.id.to_string(), a.name))
        ),
        errors,
        totals: totals.into(),
        rows,
        pager,
        exports,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    formato: String,
}

/// GET /admin/recibos/exportar?formato=csv|xlsx: every receipt the list's filters keep (the
/// agent's own customers' only, for an agent), as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let ExportQuery {
        list: query,
        formato,
    } = query.into_inner();
    let format = download::format(&formato)?;
    let scope = scope_of(&staff);
    let (filter, _) = query.filter();
    let owned = filter_pairs(&filter);
    let filters: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let export = download::Export {
        list: "recibos",
        sheet: "Recibos",
        stem: "recibos",
        headers: vec![
            "Recibo",
            "Póliza",
            "Cliente",
            "Compañía",
            "Agente",
            "Periodo desde",
            "Periodo hasta",
            "Vencimiento",
            "Importe",
            "Prima neta",
            "Estado",
            "Cobrado el",
            "Devuelto el",
            "Anulado el",
            "Motivo",
        ],
        filters: &filters,
    };
    download::respond(
        &db,
        by,
        format,
        export,
        move |conn, sink| receipts::export(conn, scope, &filter, sink),
        |row: ReceiptRow| {
            let r = row.receipt;
            let note = r.note().map(str::to_owned);
            vec![
                r.number.into(),
                row.policy_number.into(),
                row.customer_name.into(),
                row.carrier_name.into(),
                row.agent_name.into(),
                r.period_start.into(),
                r.period_end.into(),
                r.due_date.into(),
                Cell::Money(r.amount_cents),
                Cell::Money(r.net_cents),
                r.status.label().into(),
                r.collected_on.into(),
                r.returned_on.into(),
                r.cancelled_on.into(),
                note.into(),
            ]
        },
    )
    .await
}
