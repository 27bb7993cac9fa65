//! The quote's page.

use std::collections::HashMap;

use super::*;
use crate::config::Config;
use crate::distribution::needs::{self, Question};
use crate::distribution::{Channel, SaleRecord, records};
use crate::quotes::sale;

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

pub(super) fn option_view(row: &OptionRow, chosen: Option<i64>) -> OptionView {
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
    /// The distribution record (RDL 3/2020) so far, and the questions of the quote's line.
    pub record: Option<SaleRecord>,
    pub questions: Vec<Question>,
    /// The needs form as typed, when it was refused.
    pub needs_typed: Option<HashMap<String, String>>,
    pub delivery: DeliveryForm,
    pub channels: Vec<(String, String)>,
    pub errors: FieldErrors,
    /// Why the last action was refused, when it is no field's.
    pub error: Option<String>,
}

/// The "delivered by hand" form as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DeliveryForm {
    pub canal: String,
    pub prueba: String,
}

impl QuotePage {
    /// What the record still lacks before the policy may be issued.
    pub fn missing(&self) -> Vec<&'static str> {
        match &self.record {
            Some(record) => record.missing(),
            None => SaleRecord::nothing_recorded(),
        }
    }
    pub fn missing_text(&self) -> String {
        self.missing().join("; ")
    }
    pub fn needs_recorded(&self) -> bool {
        self.record
            .as_ref()
            .is_some_and(|r| r.needs_recorded_at.is_some())
    }
    /// The value of question `code`'s field: as typed, else as recorded.
    pub fn need_value(&self, code: &str) -> String {
        if let Some(typed) = &self.needs_typed {
            return typed.get(&needs::field(code)).cloned().unwrap_or_default();
        }
        self.record
            .as_ref()
            .and_then(|r| r.needs.iter().find(|a| a.code == code))
            .map(|a| a.answer.clone())
            .unwrap_or_default()
    }
    pub fn is_answer(&self, value: &str, choice: &str) -> bool {
        value == choice
    }
    pub fn need_field(&self, code: &str) -> String {
        needs::field(code)
    }
    pub fn recommended_value(&self) -> String {
        if let Some(typed) = &self.needs_typed {
            return typed
                .get(sale::RECOMMENDED_FIELD)
                .cloned()
                .unwrap_or_default();
        }
        self.record
            .as_ref()
            .and_then(|r| r.recommended_option_id)
            .map(|id| id.to_string())
            .unwrap_or_default()
    }
    pub fn advice_value(&self) -> String {
        if let Some(typed) = &self.needs_typed {
            return typed.get(sale::ADVICE_FIELD).cloned().unwrap_or_default();
        }
        self.record
            .as_ref()
            .map(|r| r.advice_basis.clone())
            .unwrap_or_default()
    }
    fn channels_by_hand() -> Vec<(String, String)> {
        std::iter::once((String::new(), "Elija cómo se entregó".to_owned()))
            .chain(
                Channel::by_hand()
                    .into_iter()
                    .map(|c| (c.code().to_owned(), c.label().to_owned())),
            )
            .collect()
    }
    /// The error summary of the needs form (its fields are the line's questions).
    pub fn needs_summary(&self) -> Vec<crate::validation::SummaryItem> {
        let mut fields: Vec<String> = self
            .questions
            .iter()
            .map(|q| needs::field(q.code))
            .collect();
        fields.push(sale::RECOMMENDED_FIELD.to_owned());
        fields.push(sale::ADVICE_FIELD.to_owned());
        self.errors.summary_of(&fields.join(" "))
    }
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
            "motivo_sin_registro",
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
    quote_page_seen_by(ctx, db, scope, id, None).await
}

/// The quote's page; `viewer`, when given, is written to the access log (a view of the
/// client's or prospect's data), in the same trip to the database.
async fn quote_page_seen_by(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    id: i64,
    viewer: Option<Actor>,
) -> Result<QuotePage, AppError> {
    let (detail, history, products, carriers, record) = db
        .run(move |conn| {
            let detail = quotes::detail(conn, scope, id)?;
            if let Some(viewer) = &viewer {
                crate::access_log::record(
                    conn,
                    viewer,
                    crate::access_log::Kind::CustomerViewed,
                    detail.quote.customer_id,
                    &format!("Presupuesto {}", detail.quote.number),
                )?;
            }
            let history = quotes::history(conn, id)?;
            let products = policies::product_options(conn)?;
            let carriers = catalog::active_carriers(conn)?;
            let record = records::of_quote(conn, id)?;
            Ok::<_, QuoteError>((detail, history, products, carriers, record))
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
        record,
        questions: needs::questions(RiskKind::for_line(&detail.line_code)),
        needs_typed: None,
        delivery: DeliveryForm::default(),
        channels: QuotePage::channels_by_hand(),
        errors: FieldErrors::new(),
        error: None,
        detail,
    })
}

/// GET /admin/presupuestos/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let viewer = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    page_or_partial!(
        quote_page_seen_by(ctx, &db, scope_of(&staff), path.into_inner(), Some(viewer)).await?
    )
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

/// POST /admin/presupuestos/{id}/enviar: marks it sent and writes its PDF (published in
/// e-SORI); the "Envío del presupuesto" rule e-mails it to the client with the PDF attached.
pub async fn send(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let broker = config.broker.identity();
    let outcome = db
        .transaction(move |conn| {
            crate::documents::generated::send_quote(
                conn,
                scope,
                id,
                policies::today(),
                &broker,
                &by,
            )
            .map(|_| ())
        })
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}"),
            Flash::success(
                "Presupuesto enviado: el PDF está en sus documentos y sale por correo al cliente.",
            ),
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

/// POST /admin/presupuestos/{id}/necesidades: the client's demands and needs, the option that
/// fits them and why.
pub async fn record_needs(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let typed = form.into_inner();
    let submitted = typed.clone();
    let outcome = db
        .transaction(move |conn| {
            sale::record_needs(
                conn,
                scope,
                id,
                |field| submitted.get(field).map(String::as_str),
                &by,
            )
        })
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}#registro-distribucion"),
            Flash::success("Exigencias y necesidades registradas."),
        )),
        Err(error) => {
            refused(ctx, &db, scope, id, error, |page| {
                page.needs_typed = Some(typed)
            })
            .await
        }
    }
}

/// POST /admin/presupuestos/{id}/informacion-previa: delivered on paper or in person.
pub async fn record_delivery(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<DeliveryForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let typed = form.into_inner();
    let submitted = typed.clone();
    let broker = config.broker.identity();
    let outcome = db
        .transaction(move |conn| {
            sale::record_delivery(
                conn,
                scope,
                id,
                &submitted.canal,
                &submitted.prueba,
                &broker,
                &by,
            )
        })
        .await;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}#registro-distribucion"),
            Flash::success("Entrega de la información previa registrada."),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |page| page.delivery = typed).await,
    }
}

/// POST /admin/presupuestos/{id}/informacion-previa/enviar: e-mailed through the outbox.
pub async fn email_precontract(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let broker = config.broker.identity();
    let outcome = db
        .transaction(move |conn| sale::email_precontract(conn, scope, id, &broker, &by))
        .await;
    match outcome {
        Ok(to) => Ok(flash::redirect(
            &format!("/admin/presupuestos/{id}#registro-distribucion"),
            Flash::success(format!("Información previa enviada a {to}.")),
        )),
        Err(error) => refused(ctx, &db, scope, id, error, |_| {}).await,
    }
}
