//! Quotes in the back-office: the list with its filters, the new-quote form (for a customer or
//! a prospect), the quote's page with its actions by state (send, reject, accept, options) and
//! the printable view for the client. Thin handlers over [`crate::quotes`].

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::Days;
use serde::Deserialize;

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::backoffice::CurrentStaff;
use crate::catalog;
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::format::{date, madrid_datetime};
use crate::listing::Cursor;
use crate::money::format_cents;
use crate::page_or_partial;
use crate::policies::{self, CustomerRef, Frequency, ProductOption, RiskKind};
use crate::quotes::{
    self, AcceptForm, Actor, BreakdownLine, HistoryEntry, ListFilter, ListRow, OPTION_SLOTS,
    OptionInput, OptionRow, QuoteDetail, QuoteError, QuoteForm, QuoteStatus,
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

fn with_all(first: &str, options: impl Iterator<Item = (i64, String)>) -> Vec<(String, String)> {
    std::iter::once((String::new(), first.to_owned()))
        .chain(options.map(|(id, name)| (id.to_string(), name)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// List

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    q: String,
    estado: String,
    ramo: String,
    agente: String,
    origen: String,
    pagina: String,
}

pub struct RowView {
    pub id: i64,
    pub number: String,
    pub customer_id: Option<i64>,
    pub holder: String,
    pub line: String,
    pub status_label: &'static str,
    pub status_badge: &'static str,
    pub valid_until: String,
    pub lowest: String,
    pub options: i64,
    pub agent: String,
    pub source: String,
    pub created: String,
}

impl From<ListRow> for RowView {
    fn from(row: ListRow) -> Self {
        Self {
            id: row.id,
            number: row.number,
            customer_id: row.customer_id,
            holder: row.holder,
            line: row.line_name,
            status_label: row.status.label(),
            status_badge: row.status.badge_class(),
            valid_until: date(row.valid_until),
            lowest: row
                .lowest_total_cents
                .map(format_cents)
                .unwrap_or_else(|| "—".into()),
            options: row.options,
            agent: row.agent_name.unwrap_or_else(|| "—".into()),
            source: quotes::source_label(&row.source).to_owned(),
            created: date(
                row.created_at
                    .with_timezone(&crate::time::ZONE)
                    .date_naive(),
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/quotes/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub q: String,
    pub estado: String,
    pub ramo: String,
    pub agente: String,
    pub origen: String,
    pub statuses: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    pub agents: Vec<(String, String)>,
    pub sources: Vec<(String, String)>,
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub errors: FieldErrors,
}

/// Only the rows and the pagination: what the filter form's htmx requests swap.
#[derive(Template)]
#[template(path = "backoffice/quotes/_rows.html")]
pub struct ListRows {
    pub rows: Vec<RowView>,
    pub pager: Pager,
}

/// GET /admin/presupuestos
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff);
    let q: String = query.q.trim().chars().take(100).collect();
    let source = quotes::SOURCES
        .iter()
        .map(|(code, _)| *code)
        .find(|code| *code == query.origen.trim());
    let filter = ListFilter {
        text: q.clone(),
        status: QuoteStatus::parse(query.estado.trim()),
        line_id: optional_id(&query.ramo),
        agent_id: optional_id(&query.agente),
        source,
        cursor: Cursor::parse(&query.pagina),
    };
    let line = filter.line_id.map(|i| i.to_string()).unwrap_or_default();
    let agent = filter.agent_id.map(|i| i.to_string()).unwrap_or_default();
    let pairs = [
        ("q", q.as_str()),
        (
            "estado",
            filter.status.map(|s| s.code()).unwrap_or_default(),
        ),
        ("ramo", line.as_str()),
        ("agente", agent.as_str()),
        ("origen", source.unwrap_or_default()),
    ];
    if ctx.htmx {
        let page = db
            .run(move |conn| quotes::list(conn, scope, &filter).map_err(DbError::from))
            .await?;
        return render::html(&ListRows {
            pager: Pager::at(&page, "/admin/presupuestos", &pairs),
            rows: page.rows.into_iter().map(RowView::from).collect(),
        });
    }
    let (page, lines, agents) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                quotes::list(conn, scope, &filter)?,
                catalog::lines(conn)?,
                policies::agent_options(conn)?,
            ))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/presupuestos", &pairs);
    page_or_partial!(ListPage {
        ctx,
        q,
        estado: query.estado,
        ramo: query.ramo,
        agente: query.agente,
        origen: query.origen,
        statuses: std::iter::once((String::new(), "Todos".to_owned()))
            .chain(
                QuoteStatus::ALL
                    .iter()
                    .map(|s| (s.code().to_owned(), s.label().to_owned())),
            )
            .collect(),
        lines: with_all("Todos", lines.into_iter().map(|l| (l.id, l.name))),
        agents: with_all("Todos", agents.into_iter().map(|a| (a.id, a.name))),
        sources: std::iter::once((String::new(), "Todos".to_owned()))
            .chain(
                quotes::SOURCES
                    .iter()
                    .map(|(c, l)| ((*c).to_owned(), (*l).to_owned())),
            )
            .collect(),
        pager,
        rows: page.rows.into_iter().map(RowView::from).collect(),
        errors: FieldErrors::new(),
    })
}

// ---------------------------------------------------------------------------------------------
// New quote

/// One option row of the form, with its field names and values.
pub struct SlotView {
    pub number: usize,
    pub carrier_field: &'static str,
    pub product_field: &'static str,
    pub net_field: &'static str,
    pub total_field: &'static str,
    pub summary_field: &'static str,
    pub input: OptionInput,
}

#[derive(Template)]
#[template(path = "backoffice/quotes/new.html", blocks = ["content"])]
pub struct NewQuotePage {
    pub ctx: PageContext,
    pub form: QuoteForm,
    pub errors: FieldErrors,
    /// The customer chosen before opening the form (`?cliente=`), shown fixed.
    pub customer: Option<CustomerRef>,
    /// Customers found by the picker's search (empty until something is typed).
    pub customers: Vec<CustomerHit>,
    /// Where the picker's search goes (this form's own page).
    pub picker_action: &'static str,
    /// Whether «no customer» is a choice (a quote may be for a prospect).
    pub picker_allows_none: bool,
    pub lines: Vec<(String, String)>,
    pub carriers: Vec<(String, String)>,
    pub products: Vec<ProductOption>,
    /// The risk group of the chosen line; `None` shows every group.
    pub risk_kind: Option<RiskKind>,
}

impl NewQuotePage {
    pub fn slots(&self) -> Vec<SlotView> {
        self.form
            .slots()
            .into_iter()
            .zip(quotes::SLOT_FIELDS.iter())
            .enumerate()
            .map(|(n, (input, fields))| SlotView {
                number: n + 1,
                carrier_field: fields.carrier,
                product_field: fields.product,
                net_field: fields.net,
                total_field: fields.total,
                summary_field: fields.summary,
                input,
            })
            .take(OPTION_SLOTS)
            .collect()
    }

    /// Products grouped by carrier, for `<optgroup>`s.
    pub fn product_groups(&self) -> Vec<(&str, Vec<&ProductOption>)> {
        product_groups(&self.products)
    }

    /// Whether the risk group `code` is shown.
    pub fn shows(&self, code: &str) -> bool {
        self.risk_kind.is_none_or(|kind| kind.code() == code)
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

fn product_groups(products: &[ProductOption]) -> Vec<(&str, Vec<&ProductOption>)> {
    let mut groups: Vec<(&str, Vec<&ProductOption>)> = Vec::new();
    for product in products {
        match groups.last_mut() {
            Some((carrier, items)) if *carrier == product.carrier_name.as_str() => {
                items.push(product)
            }
            _ => groups.push((&product.carrier_name, vec![product])),
        }
    }
    groups
}

async fn new_quote_page(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    form: QuoteForm,
    errors: FieldErrors,
) -> Result<NewQuotePage, AppError> {
    let customer_id = optional_id(&form.cliente);
    let search = form.buscar.clone();
    let line_id = optional_id(&form.ramo);
    let (customer, customers, lines, carriers, products) = db
        .run(move |conn| {
            let customer = match customer_id {
                Some(id) => policies::customer_in_scope(conn, scope, id)?,
                None => None,
            };
            let customers = if customer.is_some() {
                Vec::new()
            } else {
                policies::customer_matches(conn, scope, &search)?
            };
            Ok::<_, DbError>((
                customer,
                customers,
                catalog::lines(conn)?,
                catalog::active_carriers(conn)?,
                policies::product_options(conn)?,
            ))
        })
        .await?;
    let risk_kind = line_id.and_then(|id| {
        lines
            .iter()
            .find(|l| l.id == id)
            .map(|l| RiskKind::for_line(&l.code))
    });
    Ok(NewQuotePage {
        ctx,
        form,
        errors,
        customer,
        customers,
        picker_action: "/admin/presupuestos/nuevo",
        picker_allows_none: true,
        lines: with_all("Elija el ramo", lines.into_iter().map(|l| (l.id, l.name))),
        carriers: with_all(
            "Elija una compañía",
            carriers.into_iter().map(|c| (c.id, c.name)),
        ),
        products,
        risk_kind,
    })
}

/// GET /admin/presupuestos/nuevo?cliente={id}; with htmx (line changed), the same form with
/// the values sent, from which the page keeps the risk fieldset of the line.
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<QuoteForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = query.into_inner();
    if !form_submissions::is_well_formed(form.token.trim()) {
        form.token = form_submissions::new_token();
    }
    if form.validez.trim().is_empty() {
        form.validez = (policies::today() + Days::new(quotes::DEFAULT_VALIDITY_DAYS))
            .format("%Y-%m-%d")
            .to_string();
    }
    page_or_partial!(new_quote_page(ctx, &db, scope_of(&staff), form, FieldErrors::new()).await?)
}

enum Created {
    New(i64, String),
    Repeated(Option<i64>),
}

/// POST /admin/presupuestos: validates the form and creates the quote with its options in one
/// transaction with the form's one-time token, so that a double submit creates one quote.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<QuoteForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = scope_of(&staff);
    if !form_submissions::is_well_formed(form.token.trim()) {
        let mut errors = FieldErrors::new();
        errors.add(
            "formulario",
            "El formulario ha caducado: revise los datos y envíelo de nuevo.",
        );
        let mut form = form;
        form.token = form_submissions::new_token();
        let page = new_quote_page(ctx, &db, scope, form, errors).await?;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let submitted = form.clone();
    let outcome = db
        .transaction(move |conn| {
            let token = submitted.token.trim().to_owned();
            if let Claimed::Repeated(created) = form_submissions::claim(conn, &token)? {
                return Ok(Created::Repeated(
                    created
                        .filter(|(kind, _)| kind == quotes::AUDIT_TARGET)
                        .map(|(_, id)| id),
                ));
            }
            let today = policies::today();
            let (new, options) =
                quotes::validate_form(conn, scope, &submitted, by.staff_id, today)?;
            let quote = quotes::create(conn, new, options, &by)?;
            form_submissions::attach(conn, &token, quotes::AUDIT_TARGET, quote.id)?;
            Ok::<_, QuoteError>(Created::New(quote.id, quote.number))
        })
        .await;
    match outcome {
        Ok(Created::New(id, number)) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success(format!("Presupuesto {number} creado.")),
        )),
        Ok(Created::Repeated(Some(id))) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::info("Este formulario ya se había enviado: este es el presupuesto creado."),
        )),
        Ok(Created::Repeated(None)) => Ok(flash::see_other("/admin/presupuestos")),
        Err(QuoteError::Invalid(errors)) => {
            let page = new_quote_page(ctx, &db, scope, form, errors).await?;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(AppError::from(other)),
    }
}

// ---------------------------------------------------------------------------------------------
// The quote's page

pub struct OptionView {
    pub id: i64,
    pub carrier: String,
    pub product: String,
    pub summary: String,
    pub net: String,
    pub total: String,
    pub chosen: bool,
    pub breakdown: Vec<BreakdownLine>,
    pub breakdown_total: Option<String>,
}

impl OptionView {
    pub fn amount(&self, cents: &i64) -> String {
        format_cents(*cents)
    }
}

fn option_view(row: &OptionRow, chosen: Option<i64>) -> OptionView {
    OptionView {
        id: row.option.id,
        carrier: row.carrier_name.clone(),
        product: row.product_name.clone().unwrap_or_else(|| "—".into()),
        summary: row.option.coverage_summary.clone(),
        net: format_cents(row.option.net_premium_cents),
        total: format_cents(row.option.total_premium_cents),
        chosen: chosen == Some(row.option.id),
        breakdown: quotes::breakdown_lines(&row.option.breakdown),
        breakdown_total: row
            .option
            .breakdown
            .get("total_cents")
            .and_then(|v| v.as_i64())
            .map(format_cents),
    }
}

pub struct HistoryView {
    pub when: String,
    pub who: String,
    pub label: &'static str,
    pub change: String,
    pub reason: String,
}

impl From<HistoryEntry> for HistoryView {
    fn from(entry: HistoryEntry) -> Self {
        Self {
            when: madrid_datetime(entry.occurred_at),
            label: entry.label(),
            change: entry.change(),
            reason: entry.reason(),
            who: entry.actor_label,
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/quotes/show.html", blocks = ["content"])]
pub struct QuotePage {
    pub ctx: PageContext,
    pub detail: QuoteDetail,
    pub status: QuoteStatus,
    pub options: Vec<OptionView>,
    pub history: Vec<HistoryView>,
    pub risk: Vec<(String, String)>,
    pub products: Vec<ProductOption>,
    pub carriers: Vec<(String, String)>,
    pub frequencies: Vec<(String, String)>,
    pub kinds: Vec<(String, String)>,
    /// Values of the action forms (typed, or defaults).
    pub accept: AcceptForm,
    pub add: OptionInput,
    pub motivo: String,
    pub errors: FieldErrors,
    /// Why the last action was refused, when it is no field's.
    pub error: Option<String>,
}

impl QuotePage {
    pub fn holder(&self) -> String {
        self.detail.holder()
    }
    pub fn can_edit(&self) -> bool {
        self.ctx.can(Permission::EditPortfolio)
    }
    pub fn is_prospect(&self) -> bool {
        self.detail.quote.customer_id.is_none()
    }
    pub fn product_groups(&self) -> Vec<(&str, Vec<&ProductOption>)> {
        product_groups(&self.products)
    }
    pub fn is_chosen_for_accept(&self, id: &i64) -> bool {
        self.accept.opcion.trim() == id.to_string()
    }
    pub fn valid_until(&self) -> String {
        date(self.detail.quote.valid_until)
    }
    pub fn instant(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        madrid_datetime(*at)
    }
    pub fn source(&self) -> &str {
        quotes::source_label(&self.detail.quote.source)
    }
    pub fn accept_open(&self) -> bool {
        [
            "opcion",
            "numero",
            "efecto",
            "forma_pago",
            "tipo",
            "nombre",
            "apellidos",
            "razon_social",
            "nif",
            "email",
            "telefono",
        ]
        .iter()
        .any(|f| self.errors.has(f))
    }
}

fn accept_defaults(detail: &QuoteDetail) -> AcceptForm {
    let quote = &detail.quote;
    let mut form = AcceptForm {
        opcion: quote
            .chosen_option_id
            .or_else(|| detail.options.first().map(|o| o.option.id))
            .map(|id| id.to_string())
            .unwrap_or_default(),
        efecto: policies::today().format("%Y-%m-%d").to_string(),
        forma_pago: Frequency::Annual.code().to_owned(),
        ..AcceptForm::default()
    };
    if quote.customer_id.is_none() {
        let (given, family) = quotes::split_name(quote.prospect_name.as_deref().unwrap_or(""));
        form.customer.tipo = "person".into();
        form.customer.nombre = given;
        form.customer.apellidos = family;
        form.customer.email = quote.prospect_email.clone().unwrap_or_default();
        form.customer.telefono = quote.prospect_phone.clone().unwrap_or_default();
        form.customer.nif = detail.lead_tax_id.clone().unwrap_or_default();
    }
    form
}

async fn quote_page(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    id: i64,
) -> Result<QuotePage, AppError> {
    let (detail, history, products, carriers) = db
        .run(move |conn| {
            let detail = quotes::detail(conn, scope, id)?;
            let history = quotes::history(conn, id)?;
            let products = policies::product_options(conn)?;
            let carriers = catalog::active_carriers(conn)?;
            Ok::<_, QuoteError>((detail, history, products, carriers))
        })
        .await
        .map_err(AppError::from)?;
    let status = detail.quote.status();
    let chosen = detail.quote.chosen_option_id;
    let line_code = detail.line_code.clone();
    Ok(QuotePage {
        ctx,
        status,
        options: detail
            .options
            .iter()
            .map(|o| option_view(o, chosen))
            .collect(),
        history: history.into_iter().map(HistoryView::from).collect(),
        risk: detail.quote.risk().map(|r| r.summary()).unwrap_or_default(),
        products: products
            .into_iter()
            .filter(|p| p.line_code == line_code)
            .collect(),
        carriers: with_all(
            "Elija una compañía",
            carriers.into_iter().map(|c| (c.id, c.name)),
        ),
        frequencies: Frequency::ALL
            .iter()
            .map(|f| (f.code().to_owned(), f.label().to_owned()))
            .collect(),
        kinds: vec![
            ("person".to_owned(), "Persona".to_owned()),
            ("company".to_owned(), "Empresa".to_owned()),
        ],
        accept: accept_defaults(&detail),
        add: OptionInput::default(),
        motivo: String::new(),
        errors: FieldErrors::new(),
        error: None,
        detail,
    })
}

/// GET /admin/presupuestos/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(quote_page(ctx, &db, scope_of(&staff), path.into_inner()).await?)
}

/// What to do with a refused action: the page again (422) with the message where it belongs.
async fn refused(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    id: i64,
    error: QuoteError,
    fill: impl FnOnce(&mut QuotePage),
) -> Result<HttpResponse, AppError> {
    let mut page = quote_page(ctx, db, scope, id).await?;
    fill(&mut page);
    match error {
        QuoteError::Invalid(errors) => page.errors = errors,
        QuoteError::Refused(message) => page.error = Some(message),
        QuoteError::Transition(error) => page.error = Some(error.to_string()),
        other => return Err(AppError::from(other)),
    }
    if page.error.is_none() && page.errors.is_empty() {
        page.error = Some("No se ha podido hacer el cambio.".into());
    }
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// POST /admin/presupuestos/{id}/enviar
pub async fn send(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let outcome = db
        .transaction(move |conn| quotes::send(conn, scope, id, policies::today(), &by).map(|_| ()))
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success("Presupuesto marcado como enviado."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |_| {}).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RejectForm {
    motivo: String,
}

/// POST /admin/presupuestos/{id}/rechazar
pub async fn reject(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<RejectForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let motivo = form.into_inner().motivo;
    let reason = motivo.clone();
    let outcome = db
        .transaction(move |conn| quotes::reject(conn, scope, id, &reason, &by).map(|_| ()))
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success("Presupuesto rechazado."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |page| page.motivo = motivo).await,
    }
}

/// POST /admin/presupuestos/{id}/aceptar: issues the policy (and the customer of a prospect)
/// in one transaction and lands on the new policy; any refusal rolls everything back and shows
/// the form again with the messages next to its fields.
pub async fn accept(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<AcceptForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let form = form.into_inner();
    let submitted = form.clone();
    let outcome = db
        .transaction(move |conn| {
            quotes::accept(conn, scope, id, &submitted, &by, policies::today())
        })
        .await;
    match outcome {
        Ok(policy_id) => Ok(flash::redirect(
            &format!("/admin/polizas/{policy_id}"),
            Flash::success("Presupuesto aceptado: póliza dada de alta."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |page| page.accept = form).await,
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChooseForm {
    opcion: String,
}

/// POST /admin/presupuestos/{id}/elegir: the option the client prefers.
pub async fn choose(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<ChooseForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let Some(option_id) = optional_id(&form.opcion) else {
        return Err(AppError::NotFound);
    };
    let outcome = db
        .transaction(move |conn| quotes::choose_option(conn, scope, id, option_id, &by))
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success("Opción elegida."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |_| {}).await,
    }
}

/// POST /admin/presupuestos/{id}/opciones: adds an option to a draft.
pub async fn add_option(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<OptionInput>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let input = form.into_inner();
    let mut errors = FieldErrors::new();
    let parsed = quotes::parse_option(&input, &quotes::ADD_OPTION_FIELDS, &mut errors);
    let outcome = match parsed {
        Some(option) if errors.is_empty() => {
            db.transaction(move |conn| {
                quotes::add_option(conn, scope, id, &option, &by).map(|_| ())
            })
            .await
        }
        _ => Err(QuoteError::Invalid(errors)),
    };
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success("Opción añadida."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |page| page.add = input).await,
    }
}

/// POST /admin/presupuestos/{id}/opciones/{option}/quitar
pub async fn remove_option(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<(i64, i64)>,
) -> Result<HttpResponse, AppError> {
    let (id, option_id) = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let outcome = db
        .transaction(move |conn| quotes::remove_option(conn, scope, id, option_id, &by))
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success("Opción quitada."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |_| {}).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Printable view

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
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let detail = db
        .run(move |conn| quotes::detail(conn, scope, id))
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
