//! Policies in the back-office: the portfolio, the expiring list, the new-policy form and the
//! policy page with its actions (suspend, reactivate, cancel, renew, endorse).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::backoffice::CurrentStaff;
use crate::catalog::{self, Carrier};
use crate::db::{Db, DbError};
use crate::format::{date, madrid_datetime};
use crate::listing::Cursor;
use crate::money::{cents_for_input, format_cents};
use crate::page_or_partial;
use crate::policies::{
    self, Actor, CancelForm, CancelReason, CustomerRef, EndorseForm, Frequency, NamedOption,
    PolicyDetail, PolicyError, PolicyForm, PolicyRow, PortfolioCount, PortfolioFilter,
    ProductOption, ReactivateForm, RenewForm, RiskKind, Status, SuspendForm,
};
use crate::search::CustomerHit;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
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

/// A policy as a row of a list, with its values written for the page.
pub struct RowView {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub carrier: String,
    pub line: String,
    pub product: String,
    pub agent: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    pub start: String,
    pub end: String,
    pub total: String,
}

impl From<PolicyRow> for RowView {
    fn from(row: PolicyRow) -> Self {
        let status = row.status();
        Self {
            id: row.id,
            number: row.number,
            customer_id: row.customer_id,
            customer_name: row.customer_name,
            carrier: row.carrier_name,
            line: row.line_name,
            product: row.product_name,
            agent: row.agent_name.unwrap_or_else(|| "—".into()),
            status_label: status.label(),
            status_badge: status.badge(),
            start: date(row.start_date),
            end: date(row.end_date),
            total: format_cents(row.total_premium_cents),
        }
    }
}

fn status_options() -> Vec<(String, String)> {
    std::iter::once((String::new(), "Todos".to_owned()))
        .chain(
            Status::ALL
                .iter()
                .map(|s| (s.code().to_owned(), s.label().to_owned())),
        )
        .collect()
}

fn with_all(first: &str, options: impl Iterator<Item = (i64, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), first.to_owned()))
        .chain(options.map(|(id, name)| (id.to_string(), name)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Portfolio

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PortfolioQuery {
    compania: String,
    ramo: String,
    agente: String,
    estado: String,
    q: String,
    pagina: String,
}

#[derive(Template)]
#[template(path = "backoffice/policies/list.html", blocks = ["content"])]
pub struct PortfolioPage {
    pub ctx: PageContext,
    pub compania: String,
    pub ramo: String,
    pub agente: String,
    pub estado: String,
    pub q: String,
    pub carriers: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub statuses: Vec<(String, String)>,
    pub counts: Vec<PortfolioCount>,
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub errors: FieldErrors,
}

/// Only the rows and the pagination: what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/policies/_rows.html")]
pub struct PortfolioRows {
    pub rows: Vec<RowView>,
    pub pager: Pager,
}

/// GET /admin/polizas
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<PortfolioQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff);
    let q: String = query.q.trim().chars().take(100).collect();
    let filter = PortfolioFilter {
        carrier_id: optional_id(&query.compania),
        line_id: optional_id(&query.ramo),
        agent_id: optional_id(&query.agente),
        status: Status::parse(query.estado.trim()),
        text: q.clone(),
        cursor: Cursor::parse(&query.pagina),
        customer_id: None,
    };
    let carrier = filter.carrier_id.map(|i| i.to_string()).unwrap_or_default();
    let line = filter.line_id.map(|i| i.to_string()).unwrap_or_default();
    let agent = filter.agent_id.map(|i| i.to_string()).unwrap_or_default();
    let status = filter.status.map(|s| s.code()).unwrap_or_default();
    let pairs = [
        ("compania", carrier.as_str()),
        ("ramo", line.as_str()),
        ("agente", agent.as_str()),
        ("estado", status),
        ("q", q.as_str()),
    ];
    if ctx.htmx {
        let page = db
            .run(move |conn| policies::portfolio(conn, scope, &filter).map_err(DbError::from))
            .await?;
        return render::html(&PortfolioRows {
            pager: Pager::at(&page, "/admin/polizas", &pairs),
            rows: page.rows.into_iter().map(RowView::from).collect(),
        });
    }
    let (page, counts, carriers, lines, agents) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                policies::portfolio(conn, scope, &filter)?,
                policies::counts(conn, scope)?,
                catalog::active_carriers(conn)?,
                catalog::lines(conn)?,
                policies::agent_options(conn)?,
            ))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/polizas", &pairs);
    page_or_partial!(PortfolioPage {
        ctx,
        compania: query.compania,
        ramo: query.ramo,
        agente: query.agente,
        estado: query.estado,
        q,
        carriers: with_all("Todas", carriers.into_iter().map(|c| (c.id, c.name))),
        lines: with_all("Todos", lines.into_iter().map(|l| (l.id, l.name))),
        agents: with_all("Todos", agents.into_iter().map(|a| (a.id, a.name))),
        statuses: status_options(),
        counts,
        pager,
        rows: page.rows.into_iter().map(RowView::from).collect(),
        errors: FieldErrors::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// Expiring

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

// ---------------------------------------------------------------------------------------------
// New policy

#[derive(Template)]
#[template(path = "backoffice/policies/new.html", blocks = ["content"])]
pub struct NewPolicyPage {
    pub ctx: PageContext,
    pub form: PolicyForm,
    pub errors: FieldErrors,
    /// The customer chosen before opening the form (`?cliente=`), shown fixed.
    pub customer: Option<CustomerRef>,
    /// Customers found by the picker's search (empty until something is typed).
    pub customers: Vec<CustomerHit>,
    /// Where the picker's search goes (this form's own page).
    pub picker_action: &'static str,
    /// Whether «no customer» is a choice (a quote may be for a prospect).
    pub picker_allows_none: bool,
    pub carriers: Vec<(String, String)>,
    pub products: Vec<ProductOption>,
    pub agents: Vec<(String, String)>,
    pub frequencies: Vec<(String, String)>,
    /// The risk group of the chosen product's line; `None` shows every group.
    pub risk_kind: Option<RiskKind>,
}

impl NewPolicyPage {
    /// Products grouped by carrier, for `<optgroup>`s.
    pub fn product_groups(&self) -> Vec<(&str, Vec<&ProductOption>)> {
        let mut groups: Vec<(&str, Vec<&ProductOption>)> = Vec::new();
        for product in &self.products {
            match groups.last_mut() {
                Some((carrier, items)) if *carrier == product.carrier_name.as_str() => {
                    items.push(product)
                }
                _ => groups.push((&product.carrier_name, vec![product])),
            }
        }
        groups
    }

    pub fn is_selected_product(&self, id: &i64) -> bool {
        self.form.producto.trim() == id.to_string()
    }

    /// Whether the risk group `code` is shown.
    pub fn shows(&self, code: &str) -> bool {
        self.risk_kind.is_none_or(|kind| kind.code() == code)
    }

    /// The line of the chosen product.
    pub fn line_name(&self) -> String {
        self.products
            .iter()
            .find(|p| self.is_selected_product(&p.id))
            .map(|p| p.line_name.clone())
            .unwrap_or_else(|| "Se deduce del producto".into())
    }

    /// (name field, birth field, name label, birth label, name, birth) of each slot.
    pub fn person_fields(&self) -> Vec<(&'static str, &'static str, String, String, &str, &str)> {
        let r = &self.form.risk;
        let values = [
            (&r.asegurado1_nombre, &r.asegurado1_nacimiento),
            (&r.asegurado2_nombre, &r.asegurado2_nacimiento),
            (&r.asegurado3_nombre, &r.asegurado3_nacimiento),
        ];
        values
            .into_iter()
            .enumerate()
            .map(|(slot, (name, birth))| {
                (
                    policies::PERSON_NAME_FIELDS[slot],
                    policies::PERSON_BIRTH_FIELDS[slot],
                    format!("Nombre y apellidos del asegurado {}", slot + 1),
                    format!("Fecha de nacimiento del asegurado {}", slot + 1),
                    name.as_str(),
                    birth.as_str(),
                )
            })
            .collect()
    }
}

struct FormOptions {
    customer: Option<CustomerRef>,
    customers: Vec<CustomerHit>,
    carriers: Vec<Carrier>,
    products: Vec<ProductOption>,
    agents: Vec<NamedOption>,
    line_code: Option<String>,
}

async fn form_options(
    db: &Db,
    scope: PortfolioScope,
    form: &PolicyForm,
) -> Result<FormOptions, AppError> {
    let customer_id = optional_id(&form.cliente);
    let search = form.buscar.clone();
    let product_id = optional_id(&form.producto);
    Ok(db
        .run(move |conn| {
            let customer = match customer_id {
                Some(id) => policies::customer_in_scope(conn, scope, id)?,
                None => None,
            };
            let line_code = match product_id {
                Some(id) => policies::line_code_of_product(conn, id)?,
                None => None,
            };
            Ok::<_, DbError>(FormOptions {
                customers: if customer.is_some() {
                    Vec::new()
                } else {
                    policies::customer_matches(conn, scope, &search)?
                },
                customer,
                carriers: catalog::active_carriers(conn)?,
                products: policies::product_options(conn)?,
                agents: policies::agent_options(conn)?,
                line_code,
            })
        })
        .await?)
}

fn new_policy_page(
    ctx: PageContext,
    form: PolicyForm,
    errors: FieldErrors,
    options: FormOptions,
) -> NewPolicyPage {
    NewPolicyPage {
        ctx,
        form,
        errors,
        customer: options.customer,
        customers: options.customers,
        picker_action: "/admin/polizas/nueva",
        picker_allows_none: false,
        carriers: with_all(
            "Elija una compañía",
            options.carriers.into_iter().map(|c| (c.id, c.name)),
        ),
        products: options.products,
        agents: with_all(
            "El comercial del cliente",
            options.agents.into_iter().map(|a| (a.id, a.name)),
        ),
        frequencies: Frequency::ALL
            .iter()
            .map(|f| (f.code().to_owned(), f.label().to_owned()))
            .collect(),
        risk_kind: options.line_code.as_deref().map(RiskKind::for_line),
    }
}

/// GET /admin/polizas/nueva?cliente={id}; with htmx (product changed), the same form with the
/// values sent, from which the page keeps the risk fieldset of the product's line.
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = query.into_inner();
    if form.efecto.trim().is_empty() {
        form.efecto = policies::today().format("%Y-%m-%d").to_string();
    }
    if form.forma_pago.trim().is_empty() {
        form.forma_pago = Frequency::Annual.code().to_owned();
    }
    let options = form_options(&db, scope_of(&staff), &form).await?;
    page_or_partial!(new_policy_page(ctx, form, FieldErrors::new(), options))
}

/// POST /admin/polizas
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<PolicyForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = scope_of(&staff);
    let submitted = form.clone();
    let actor_staff = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            let by = Actor::new(&actor_staff, &meta.ip, &meta.user_agent);
            policies::create(conn, scope, &submitted, &by, policies::today())
        })
        .await;
    match outcome {
        Ok(id) => Ok(flash::redirect(
            &format!("/admin/polizas/{id}"),
            Flash::success("Póliza dada de alta."),
        )),
        Err(PolicyError::Invalid(errors)) => {
            let options = form_options(&db, scope, &form).await?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_policy_page(ctx, form, errors, options),
            )
        }
        Err(PolicyError::Refused(message)) => {
            let mut errors = FieldErrors::new();
            errors.add("numero", message);
            let options = form_options(&db, scope, &form).await?;
            render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &new_policy_page(ctx, form, errors, options),
            )
        }
        Err(other) => Err(other.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Policy page and its actions

/// The values of the action forms (what was typed, or sensible defaults).
#[derive(Debug, Clone, Default)]
pub struct ActionForms {
    pub suspend: SuspendForm,
    pub reactivate: ReactivateForm,
    pub cancel: CancelForm,
    pub renew: RenewForm,
    pub endorse: EndorseForm,
}

impl ActionForms {
    fn defaults(detail: &PolicyDetail, today: NaiveDate) -> Self {
        let policy = &detail.policy;
        let today_text = today.format("%Y-%m-%d").to_string();
        let next_end = policy
            .end_date
            .checked_add_months(chrono::Months::new(12))
            .unwrap_or(policy.end_date);
        Self {
            suspend: SuspendForm {
                suspension_motivo: String::new(),
                suspension_fecha: today_text.clone(),
            },
            reactivate: ReactivateForm {
                reactivacion_fecha: today_text.clone(),
            },
            cancel: CancelForm {
                anulacion_motivo: String::new(),
                anulacion_detalle: String::new(),
                anulacion_fecha: today_text.clone(),
            },
            renew: RenewForm {
                renovacion_vencimiento: next_end.format("%Y-%m-%d").to_string(),
                renovacion_prima_neta: cents_for_input(policy.net_premium_cents),
                renovacion_prima_total: cents_for_input(policy.total_premium_cents),
            },
            endorse: EndorseForm {
                suplemento_fecha: today_text,
                suplemento_descripcion: String::new(),
                suplemento_prima: String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/policies/show.html", blocks = ["content"])]
pub struct PolicyPage {
    pub ctx: PageContext,
    pub detail: PolicyDetail,
    pub forms: ActionForms,
    pub errors: FieldErrors,
    pub cancel_reasons: Vec<(String, String)>,
}

impl PolicyPage {
    pub fn status(&self) -> Status {
        self.detail.policy.status()
    }
    pub fn money(&self, cents: &i64) -> String {
        format_cents(*cents)
    }
    pub fn signed_money(&self, cents: &i64) -> String {
        if *cents > 0 {
            format!("+{}", format_cents(*cents))
        } else {
            format_cents(*cents)
        }
    }
    pub fn day(&self, day: &NaiveDate) -> String {
        date(*day)
    }
    pub fn instant(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        madrid_datetime(*at)
    }
    pub fn frequency(&self) -> &'static str {
        self.detail
            .policy
            .frequency()
            .map(|f| f.label())
            .unwrap_or("—")
    }
    pub fn risk(&self) -> Vec<(String, String)> {
        self.detail
            .policy
            .risk()
            .map(|r| r.summary())
            .unwrap_or_default()
    }
    pub fn can_edit(&self) -> bool {
        self.ctx.can(Permission::EditPortfolio)
    }
    /// The policy's receipts with their inline actions.
    pub fn receipt_lines(&self) -> Vec<super::receipts::ReceiptLine> {
        let today = policies::today();
        self.detail
            .receipts
            .iter()
            .map(|r| super::receipts::ReceiptLine::new(r, self.can_edit(), today))
            .collect()
    }
    pub fn shows_suspend(&self) -> bool {
        self.can_edit() && self.status() == Status::Active
    }
    pub fn shows_reactivate(&self) -> bool {
        self.can_edit() && self.status() == Status::Suspended
    }
    pub fn shows_cancel(&self) -> bool {
        self.can_edit() && matches!(self.status(), Status::Active | Status::Suspended)
    }
    pub fn shows_renew(&self) -> bool {
        self.shows_suspend()
    }
    pub fn shows_endorse(&self) -> bool {
        self.shows_suspend()
    }
    /// A refusal for an action whose form is not on the page (the policy's status hides it).
    pub fn orphan_error(&self) -> Option<&str> {
        [
            ("suspension", self.shows_suspend()),
            ("reactivacion", self.shows_reactivate()),
            ("anulacion", self.shows_cancel()),
            ("renovacion", self.shows_renew()),
            ("suplemento", self.shows_endorse()),
        ]
        .into_iter()
        .find(|(key, shown)| !shown && self.errors.has(key))
        .and_then(|(key, _)| self.errors.get(key))
    }
}

fn policy_page(
    ctx: PageContext,
    detail: PolicyDetail,
    forms: Option<ActionForms>,
    errors: FieldErrors,
) -> PolicyPage {
    let forms = forms.unwrap_or_else(|| ActionForms::defaults(&detail, policies::today()));
    PolicyPage {
        ctx,
        detail,
        forms,
        errors,
        cancel_reasons: std::iter::once((String::new(), "Elija el motivo".to_owned()))
            .chain(
                CancelReason::ALL
                    .iter()
                    .map(|r| (r.code().to_owned(), r.label().to_owned())),
            )
            .collect(),
    }
}

/// GET /admin/polizas/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = path.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let scope = scope_of(&staff);
    let detail = db
        .run(move |conn| policies::detail(conn, scope, id))
        .await?;
    page_or_partial!(policy_page(ctx, detail, None, FieldErrors::new()))
}

/// Which action a POST is, to put its refusal next to its form.
#[derive(Clone, Copy)]
enum ActionKind {
    Suspend,
    Reactivate,
    Cancel,
    Renew,
    Endorse,
}

impl ActionKind {
    fn key(self) -> &'static str {
        match self {
            ActionKind::Suspend => "suspension",
            ActionKind::Reactivate => "reactivacion",
            ActionKind::Cancel => "anulacion",
            ActionKind::Renew => "renovacion",
            ActionKind::Endorse => "suplemento",
        }
    }

    fn done(self) -> &'static str {
        match self {
            ActionKind::Suspend => "Póliza suspendida.",
            ActionKind::Reactivate => "Póliza reactivada.",
            ActionKind::Cancel => "Póliza anulada.",
            ActionKind::Renew => "Póliza renovada.",
            ActionKind::Endorse => "Suplemento registrado.",
        }
    }
}

#[allow(clippy::too_many_arguments)]
/// Runs one action in a transaction: 303 to the policy page on success, the page again with
/// the message next to the action's form (422) when refused.
async fn act<F>(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    kind: ActionKind,
    typed: impl FnOnce(&mut ActionForms),
    run: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut diesel::PgConnection, PortfolioScope, i64, &Actor) -> Result<(), PolicyError>
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
    let errors = match outcome {
        Ok(()) => {
            return Ok(flash::redirect(
                &format!("/admin/polizas/{id}"),
                Flash::success(kind.done()),
            ));
        }
        Err(PolicyError::Invalid(errors)) => errors,
        Err(PolicyError::Refused(message)) => {
            let mut errors = FieldErrors::new();
            errors.add(kind.key(), message);
            errors
        }
        Err(other) => return Err(other.into()),
    };
    let detail = db
        .run(move |conn| policies::detail(conn, scope, id))
        .await?;
    let mut forms = ActionForms::defaults(&detail, policies::today());
    typed(&mut forms);
    render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &policy_page(ctx, detail, Some(forms), errors),
    )
}

/// POST /admin/polizas/{id}/suspender
pub async fn suspend(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<SuspendForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Suspend,
        |forms| forms.suspend = kept,
        move |conn, scope, id, by| policies::suspend(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/reactivar
pub async fn reactivate(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<ReactivateForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Reactivate,
        |forms| forms.reactivate = kept,
        move |conn, scope, id, by| policies::reactivate(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/anular
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
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Cancel,
        |forms| forms.cancel = kept,
        move |conn, scope, id, by| policies::cancel(conn, scope, id, form.validate(), by),
    )
    .await
}

/// POST /admin/polizas/{id}/renovar
pub async fn renew(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<RenewForm>,
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
        ActionKind::Renew,
        |forms| forms.renew = kept,
        move |conn, scope, id, by| policies::renew(conn, scope, id, form.validate(), by, today),
    )
    .await
}

/// POST /admin/polizas/{id}/suplementos
pub async fn endorse(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<EndorseForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let kept = form.clone();
    act(
        ctx,
        staff,
        meta,
        db,
        path,
        ActionKind::Endorse,
        |forms| forms.endorse = kept,
        move |conn, scope, id, by| policies::endorse(conn, scope, id, form.validate(), by),
    )
    .await
}
