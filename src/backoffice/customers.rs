//! Customers in the back-office: list with live search, create, detail with consents,
//! interactions and timeline, edit, merge. Agents work only their own customers.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};

use crate::auth::permissions::{Permission, PortfolioScope};
use crate::auth::staff::StaffUser;
use crate::backoffice::CurrentStaff;
use crate::customers::{
    self, Actor, ConsentPurpose, ConsentState, CreateOutcome, Customer, CustomerForm,
    DuplicateHint, ExistingCustomer, InteractionKind, ListFilter, ListRow, MergeCounts,
    MergeOutcome, RelatedRecord, Segment, Sort, TimelineItem, UpdateOutcome, ValidCustomer,
};
use crate::db::{Db, DbError};
use crate::format::{date, madrid_datetime};
use crate::identifiers::Iban;
use crate::listing::Cursor;
use crate::page_or_partial;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::export::{self as download, Links as ExportLinks};
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn scope_of(staff: &StaffUser) -> PortfolioScope {
    PortfolioScope::of(staff.id, staff.role())
}

fn actor(staff: &StaffUser, meta: &RequestMeta) -> Actor {
    Actor::new(staff, &meta.ip, &meta.user_agent)
}

fn parse_id(text: &str) -> Result<i64, AppError> {
    text.parse::<i64>().map_err(|_| AppError::NotFound)
}

// ---------------------------------------------------------------------------------------
// List

#[derive(Debug, Default, Clone, Deserialize, Serialize)]
#[serde(default)]
pub struct ListQuery {
    pub q: String,
    pub segmento: String,
    pub provincia: String,
    pub agente: String,
    pub etiqueta: String,
    pub orden: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pagina: String,
}

impl ListQuery {
    fn filter(&self, scope: PortfolioScope) -> ListFilter {
        ListFilter {
            q: self.q.chars().take(100).collect(),
            segment: Segment::parse(self.segmento.trim()),
            province: Some(self.provincia.trim().to_owned()).filter(|p| !p.is_empty()),
            owner: match scope {
                PortfolioScope::All => self.agente.trim().parse().ok(),
                PortfolioScope::OwnedBy(_) => None,
            },
            tag: Some(self.etiqueta.trim().to_lowercase()).filter(|t| !t.is_empty()),
            sort: Sort::parse(self.orden.trim()),
            cursor: Cursor::parse(&self.pagina),
        }
    }

    /// The filters as URL parameters (the cursor apart).
    fn pairs(&self) -> [(&str, &str); 6] {
        [
            ("q", self.q.as_str()),
            ("segmento", self.segmento.as_str()),
            ("provincia", self.provincia.as_str()),
            ("agente", self.agente.as_str()),
            ("etiqueta", self.etiqueta.as_str()),
            ("orden", self.orden.as_str()),
        ]
    }
}

pub struct Row {
    pub id: i64,
    pub name: String,
    pub tax_id: String,
    pub phone: String,
    pub email: String,
    pub province: String,
    pub segment: &'static str,
    pub owner: String,
}

impl From<ListRow> for Row {
    fn from(r: ListRow) -> Self {
        Row {
            id: r.id,
            segment: r.segment_label(),
            name: r.display_name,
            tax_id: r.tax_id,
            phone: r
                .phone
                .as_deref()
                .and_then(|p| crate::identifiers::Phone::parse(p).ok())
                .map(|p| p.formatted())
                .unwrap_or_default(),
            email: r.email.unwrap_or_default(),
            province: r.province.unwrap_or_default(),
            owner: r.owner_name.unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/customers/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub query: ListQuery,
    pub rows: Vec<Row>,
    pub pager: Pager,
    pub exports: ExportLinks,
    pub filtered: bool,
    pub segments: Vec<(&'static str, &'static str)>,
    pub provinces: Vec<&'static str>,
    pub owners: Vec<(i64, String)>,
    pub sorts: Vec<(&'static str, &'static str)>,
}

/// The rows alone, for htmx live search.
#[derive(Template)]
#[template(path = "backoffice/customers/_rows.html")]
pub struct RowsPartial {
    pub rows: Vec<Row>,
    pub pager: Pager,
    pub exports: ExportLinks,
    pub filtered: bool,
}

/// GET /admin/clientes
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let scope = scope_of(&staff.0);
    let filter = query.filter(scope);
    let htmx = ctx.htmx;
    let (page, owners) = db
        .run(move |conn| {
            let page = customers::list(conn, scope, &filter)?;
            let owners = if htmx || scope != PortfolioScope::All {
                Vec::new()
            } else {
                customers::owner_options(conn)?
            };
            Ok::<_, DbError>((page, owners))
        })
        .await?;
    let pager = Pager::at(&page, "/admin/clientes", &query.pairs());
    let exports = ExportLinks::at("/admin/clientes/exportar", &query.pairs());
    let filtered = [
        &query.q,
        &query.segmento,
        &query.provincia,
        &query.agente,
        &query.etiqueta,
    ]
    .iter()
    .any(|v| !v.trim().is_empty());
    let rows: Vec<Row> = page.rows.into_iter().map(Row::from).collect();
    if htmx {
        return render::html(&RowsPartial {
            rows,
            pager,
            exports,
            filtered,
        });
    }
    render::html(&ListPage {
        ctx,
        query,
        rows,
        pager,
        exports,
        filtered,
        segments: Segment::options(),
        provinces: crate::identifiers::provinces().map(|(_, p)| p).collect(),
        owners,
        sorts: Sort::ALL.iter().map(|s| (s.code(), s.label())).collect(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    #[serde(flatten)]
    list: ListQuery,
    formato: String,
}

/// GET /admin/clientes/exportar?formato=csv|xlsx: every customer the list's filters keep (the
/// agent's own only, for an agent), as a file; the export is audited (personal data leaves).
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
    let scope = scope_of(&staff.0);
    let filter = query.filter(scope);
    let by = crate::audit::Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let filters: serde_json::Map<String, serde_json::Value> = query
        .pairs()
        .iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| ((*k).to_owned(), serde_json::Value::from(*v)))
        .collect();
    let rows = db
        .transaction(move |conn| {
            let rows = customers::export(conn, scope, &filter)?;
            crate::audit::record(
                conn,
                &crate::audit::NewEntry {
                    details: serde_json::json!({
                        "listado": "clientes",
                        "formato": format.extension(),
                        "filtros": filters,
                        "filas": rows.len(),
                    }),
                    ..by.entry(crate::audit::Action::ListExported)
                },
            )?;
            Ok::<_, DbError>(rows)
        })
        .await?;
    let mut sheet = crate::export::Sheet::new(
        "Clientes",
        vec![
            "Nombre",
            "DNI/NIE/CIF",
            "Teléfono",
            "Correo electrónico",
            "Provincia",
            "Segmento",
            "Agente",
        ],
    );
    for row in rows.into_iter().map(Row::from) {
        sheet.push(vec![
            row.name.into(),
            row.tax_id.into(),
            row.phone.into(),
            row.email.into(),
            row.province.into(),
            row.segment.into(),
            row.owner.into(),
        ]);
    }
    let stem = format!("clientes-{}", crate::policies::today().format("%Y-%m-%d"));
    download::download(&sheet, format, &stem)
}

// ---------------------------------------------------------------------------------------
// Create and edit

#[derive(Template)]
#[template(path = "backoffice/customers/form.html", blocks = ["content"])]
pub struct FormPage {
    pub ctx: PageContext,
    /// `None` when creating.
    pub customer_id: Option<i64>,
    pub form: CustomerForm,
    pub errors: FieldErrors,
    pub segments: Vec<(&'static str, &'static str)>,
    /// Empty for agents: their customers are theirs.
    pub owners: Vec<(String, String)>,
    pub duplicate: Option<ExistingView>,
    pub warnings: Vec<ExistingView>,
}

/// A customer a duplicate check found, as this user may see it: its name and link only when
/// they may open it; otherwise whose portfolio it is in and whom to ask (an agent's link to
/// another portfolio would be a 404, and the name is not theirs to read).
pub struct ExistingView {
    pub link: Option<(i64, String)>,
    /// Says whose portfolio it is in and whom to ask, when there is no link.
    pub elsewhere: String,
    /// What the customers share, for the possible duplicates.
    pub reason: &'static str,
}

impl ExistingView {
    pub fn of(customer: ExistingCustomer, reason: &'static str, scope: PortfolioScope) -> Self {
        let elsewhere = match &customer.owner_name {
            Some(owner) => format!("Está en la cartera de {owner}: pregunte a {owner}."),
            None => {
                "No tiene agente asignado: pregunte a un administrador o supervisor.".to_owned()
            }
        };
        Self {
            link: customer
                .open_to(scope)
                .then_some((customer.id, customer.display_name)),
            elsewhere,
            reason,
        }
    }

    fn hints(hints: Vec<DuplicateHint>, scope: PortfolioScope) -> Vec<Self> {
        hints
            .into_iter()
            .map(|hint| Self::of(hint.customer, hint.reason, scope))
            .collect()
    }
}

impl FormPage {
    pub fn action(&self) -> String {
        match self.customer_id {
            Some(id) => format!("/admin/clientes/{id}"),
            None => "/admin/clientes".to_owned(),
        }
    }

    pub fn is_company(&self) -> bool {
        self.form.tipo == "company"
    }

    pub fn checked(value: &Option<String>) -> bool {
        value.as_deref().is_some_and(|v| !v.is_empty())
    }
}

fn owner_select(options: Vec<(i64, String)>) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), "Sin asignar".to_owned())];
    out.extend(options.into_iter().map(|(id, name)| (id.to_string(), name)));
    out
}

async fn owners_for(db: &Db, scope: PortfolioScope) -> Result<Vec<(String, String)>, AppError> {
    if scope != PortfolioScope::All {
        return Ok(Vec::new());
    }
    let options = db
        .run(|conn| customers::owner_options(conn).map_err(DbError::from))
        .await?;
    Ok(owner_select(options))
}

/// GET /admin/clientes/nuevo
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let scope = scope_of(&staff.0);
    let owners = owners_for(&db, scope).await?;
    render::html(&FormPage {
        ctx,
        customer_id: None,
        form: CustomerForm {
            tipo: "person".into(),
            segmento: Segment::Individual.code().into(),
            agente: staff.0.id.to_string(),
            ..CustomerForm::default()
        },
        errors: FieldErrors::new(),
        segments: Segment::options(),
        owners,
        duplicate: None,
        warnings: Vec::new(),
    })
}

/// Validates the form and settles the owner: an agent's customers are theirs; others choose
/// among the staff who can own customers.
async fn validate_with_owner(
    db: &Db,
    staff: &StaffUser,
    form: &CustomerForm,
    current_owner: Option<i64>,
) -> Result<Result<ValidCustomer, FieldErrors>, AppError> {
    let scope = scope_of(staff);
    let mut result = customers::validate(form);
    match scope {
        PortfolioScope::OwnedBy(me) => {
            if let Ok(valid) = &mut result {
                valid.owner_staff_id = Some(current_owner.unwrap_or(me));
            }
        }
        PortfolioScope::All => {
            let chosen = match &result {
                Ok(valid) => valid.owner_staff_id,
                Err(_) => form.agente.trim().parse::<i64>().ok(),
            };
            if let Some(owner) = chosen {
                let options = db
                    .run(|conn| customers::owner_options(conn).map_err(DbError::from))
                    .await?;
                if !options.iter().any(|(id, _)| *id == owner) {
                    let mut errors = match result {
                        Ok(_) => FieldErrors::new(),
                        Err(errors) => errors,
                    };
                    errors.add("agente", "Elija un agente de la lista.");
                    result = Err(errors);
                }
            }
        }
    }
    Ok(result)
}

#[allow(clippy::too_many_arguments)]
async fn form_with_errors(
    ctx: PageContext,
    db: &Db,
    staff: &StaffUser,
    customer_id: Option<i64>,
    form: CustomerForm,
    errors: FieldErrors,
    duplicate: Option<ExistingView>,
    warnings: Vec<ExistingView>,
) -> Result<HttpResponse, AppError> {
    let owners = owners_for(db, scope_of(staff)).await?;
    render::html_with_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        &FormPage {
            ctx,
            customer_id,
            form,
            errors,
            segments: Segment::options(),
            owners,
            duplicate,
            warnings,
        },
    )
}

/// POST /admin/clientes
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<CustomerForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let valid = match validate_with_owner(&db, &staff.0, &form, None).await? {
        Ok(valid) => valid,
        Err(errors) => {
            return form_with_errors(ctx, &db, &staff.0, None, form, errors, None, Vec::new())
                .await;
        }
    };
    let consents = [
        (
            ConsentPurpose::Privacy,
            FormPage::checked(&form.consentimiento_privacidad),
        ),
        (
            ConsentPurpose::Marketing,
            FormPage::checked(&form.consentimiento_comercial),
        ),
    ];
    let confirmed = FormPage::checked(&form.confirmar_duplicado);
    let user = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            customers::create(conn, &actor(&user, &meta), &valid, &consents, confirmed)
                .map_err(DbError::from)
        })
        .await?;
    match outcome {
        CreateOutcome::Created(customer) => Ok(flash::redirect(
            &format!("/admin/clientes/{}", customer.id),
            Flash::success(format!("Cliente {} creado.", customer.display_name)),
        )),
        CreateOutcome::DuplicateTaxId(existing) => {
            let mut errors = FieldErrors::new();
            errors.add("nif", "Ya existe un cliente con este DNI, NIE o CIF.");
            let scope = scope_of(&staff.0);
            form_with_errors(
                ctx,
                &db,
                &staff.0,
                None,
                form,
                errors,
                Some(ExistingView::of(existing, "DNI, NIE o CIF", scope)),
                Vec::new(),
            )
            .await
        }
        CreateOutcome::PossibleDuplicates(hints) => {
            let warnings = ExistingView::hints(hints, scope_of(&staff.0));
            form_with_errors(
                ctx,
                &db,
                &staff.0,
                None,
                form,
                FieldErrors::new(),
                None,
                warnings,
            )
            .await
        }
    }
}

fn form_of(c: &Customer) -> CustomerForm {
    CustomerForm {
        tipo: c.kind.clone(),
        nombre: c.given_name.clone().unwrap_or_default(),
        apellidos: c.family_name.clone().unwrap_or_default(),
        razon_social: c.company_name.clone().unwrap_or_default(),
        nif: c.tax_id.clone(),
        email: c.email.clone().unwrap_or_default(),
        telefono: c.phone.clone().unwrap_or_default(),
        fecha_nacimiento: c
            .birth_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        direccion: c.address_line.clone().unwrap_or_default(),
        codigo_postal: c.postcode.clone().unwrap_or_default(),
        localidad: c.city.clone().unwrap_or_default(),
        iban: c
            .iban
            .as_deref()
            .and_then(|i| Iban::parse(i).ok())
            .map(|i| i.grouped())
            .unwrap_or_default(),
        segmento: c.segment.clone(),
        etiquetas: c.tags.join(", "),
        agente: c
            .owner_staff_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        notas: c.notes.clone(),
        consentimiento_privacidad: None,
        consentimiento_comercial: None,
        confirmar_duplicado: None,
    }
}

/// Loads a customer in scope, or 404.
async fn load(db: &Db, scope: PortfolioScope, id: i64) -> Result<Customer, AppError> {
    db.run(move |conn| customers::get(conn, scope, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)
}

/// GET /admin/clientes/{id}/editar
pub async fn edit_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load(&db, scope, id).await?;
    if let Some(survivor) = customer.merged_into_id {
        return Ok(flash::see_other(&format!(
            "/admin/clientes/{survivor}/editar"
        )));
    }
    let owners = owners_for(&db, scope).await?;
    render::html(&FormPage {
        ctx,
        customer_id: Some(id),
        form: form_of(&customer),
        errors: FieldErrors::new(),
        segments: Segment::options(),
        owners,
        duplicate: None,
        warnings: Vec::new(),
    })
}

/// POST /admin/clientes/{id}
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: crate::web::form::StrictForm<CustomerForm>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let current = load(&db, scope, id).await?;
    if current.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let form = form.into_inner();
    let valid = match validate_with_owner(&db, &staff.0, &form, current.owner_staff_id).await? {
        Ok(valid) => valid,
        Err(errors) => {
            return form_with_errors(ctx, &db, &staff.0, Some(id), form, errors, None, Vec::new())
                .await;
        }
    };
    let user = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            customers::update(conn, &actor(&user, &meta), scope, id, &valid).map_err(DbError::from)
        })
        .await?;
    match outcome {
        UpdateOutcome::Updated(customer) => Ok(flash::redirect(
            &format!("/admin/clientes/{id}"),
            Flash::success(format!("Datos de {} guardados.", customer.display_name)),
        )),
        UpdateOutcome::NotFound => Err(AppError::NotFound),
        UpdateOutcome::DuplicateTaxId(existing) => {
            let mut errors = FieldErrors::new();
            errors.add("nif", "Ya existe otro cliente con este DNI, NIE o CIF.");
            form_with_errors(
                ctx,
                &db,
                &staff.0,
                Some(id),
                form,
                errors,
                Some(ExistingView::of(existing, "DNI, NIE o CIF", scope)),
                Vec::new(),
            )
            .await
        }
    }
}

// ---------------------------------------------------------------------------------------
// Detail, interactions, consents

pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

pub struct Related {
    pub id: i64,
    pub number: String,
    pub status: &'static str,
}

impl Related {
    fn policy(r: RelatedRecord) -> Self {
        Self {
            status: customers::timeline::policy_status_label(&r.status),
            id: r.id,
            number: r.number,
        }
    }

    fn claim(r: RelatedRecord) -> Self {
        Self {
            status: customers::timeline::claim_status_label(&r.status),
            id: r.id,
            number: r.number,
        }
    }
}

pub struct ConsentView {
    pub purpose: &'static str,
    pub label: &'static str,
    pub granted: Option<bool>,
    pub detail: String,
}

impl From<ConsentState> for ConsentView {
    fn from(c: ConsentState) -> Self {
        ConsentView {
            purpose: c.purpose.code(),
            label: c.purpose.label(),
            granted: c.granted,
            detail: match c.recorded_at {
                Some(at) => format!(
                    "{} · texto {} · {}",
                    madrid_datetime(at),
                    c.text_version,
                    c.source
                ),
                None => "Sin registrar".to_owned(),
            },
        }
    }
}

pub struct TimelineView {
    pub when: String,
    pub kind: String,
    pub title: String,
    pub detail: String,
    pub link: Option<String>,
}

impl From<TimelineItem> for TimelineView {
    fn from(item: TimelineItem) -> Self {
        TimelineView {
            when: madrid_datetime(item.at),
            kind: item.kind,
            title: item.title,
            detail: item.detail,
            link: item.link,
        }
    }
}

/// The quick "registrar interacción" form.
pub struct InteractionFormView {
    pub customer_id: i64,
    pub kind: String,
    pub summary: String,
    pub errors: FieldErrors,
    pub kinds: Vec<(&'static str, &'static str)>,
}

impl InteractionFormView {
    fn empty(customer_id: i64) -> Self {
        Self {
            customer_id,
            kind: InteractionKind::Call.code().to_owned(),
            summary: String::new(),
            errors: FieldErrors::new(),
            kinds: InteractionKind::options(),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/customers/show.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub kind_label: &'static str,
    pub tax_id: String,
    pub facts: Vec<Fact>,
    pub tags: Vec<String>,
    pub notes: String,
    pub consents: Vec<ConsentView>,
    pub policies: Vec<Related>,
    pub claims: Vec<Related>,
    pub quotes: Vec<Related>,
    pub timeline: Vec<TimelineView>,
    pub interaction: InteractionFormView,
    pub oob: bool,
}

impl ShowPage {
    pub fn can_edit(&self) -> bool {
        self.ctx.can(Permission::EditPortfolio)
    }
}

fn facts_of(c: &Customer, owner: Option<String>) -> Vec<Fact> {
    let mut facts = Vec::new();
    let mut push = |label: &'static str, value: Option<String>| {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            facts.push(Fact { label, value });
        }
    };
    push("Correo electrónico", c.email.clone());
    push(
        "Teléfono",
        c.phone
            .as_deref()
            .and_then(|p| crate::identifiers::Phone::parse(p).ok())
            .map(|p| p.formatted()),
    );
    push("Fecha de nacimiento", c.birth_date.map(date));
    push("Dirección", c.address_line.clone());
    push(
        "Localidad",
        Some(
            [c.postcode.clone(), c.city.clone(), c.province.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
        ),
    );
    push(
        "IBAN",
        c.iban
            .as_deref()
            .and_then(|i| Iban::parse(i).ok())
            .map(|i| i.grouped()),
    );
    push("Segmento", Some(c.segment_label().to_owned()));
    push("Agente", owner);
    push("Alta", Some(madrid_datetime(c.created_at)));
    facts
}

/// GET /admin/clientes/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load(&db, scope, id).await?;
    if let Some(survivor) = customer.merged_into_id {
        return Ok(flash::redirect(
            &format!("/admin/clientes/{survivor}"),
            Flash::info("Ese cliente se fusionó con este."),
        ));
    }
    let owner_id = customer.owner_staff_id;
    let (owner, consents, policies, claims, quotes, timeline) = db
        .run(move |conn| {
            let owner = match owner_id {
                Some(owner) => customers::staff_name(conn, owner)?,
                None => None,
            };
            Ok::<_, DbError>((
                owner,
                customers::current_consents(conn, id)?,
                customers::policies_of(conn, id)?,
                customers::claims_of(conn, id)?,
                crate::quotes::of_customer(conn, id)?,
                customers::timeline(conn, id)?,
            ))
        })
        .await?;
    page_or_partial!(ShowPage {
        ctx,
        id,
        kind_label: if customer.is_company() {
            "Empresa"
        } else {
            "Persona"
        },
        facts: facts_of(&customer, owner),
        name: customer.display_name,
        tax_id: customer.tax_id,
        tags: customer.tags,
        notes: customer.notes,
        consents: consents.into_iter().map(ConsentView::from).collect(),
        policies: policies.into_iter().map(Related::policy).collect(),
        claims: claims.into_iter().map(Related::claim).collect(),
        quotes: quotes
            .into_iter()
            .map(|q| Related {
                status: q.status_label(),
                id: q.id,
                number: format!("{} · {}", q.number, q.line_name),
            })
            .collect(),
        timeline: timeline.into_iter().map(TimelineView::from).collect(),
        interaction: InteractionFormView::empty(id),
        oob: false,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct InteractionInput {
    tipo: String,
    resumen: String,
}

/// The new timeline item and a fresh form (out of band), for htmx.
#[derive(Template)]
#[template(path = "backoffice/customers/_interaction_logged.html")]
pub struct InteractionLogged {
    pub ctx: PageContext,
    pub item: Option<TimelineView>,
    pub interaction: InteractionFormView,
    pub oob: bool,
}

/// POST /admin/clientes/{id}/interacciones
pub async fn log_interaction(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: crate::web::form::StrictForm<InteractionInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load(&db, scope, id).await?;
    if customer.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let input = input.into_inner();
    let mut errors = FieldErrors::new();
    let kind = InteractionKind::parse(input.tipo.trim());
    if kind.is_none() {
        errors.add("tipo", "Elija el tipo de interacción.");
    }
    let summary = input.resumen.trim().to_owned();
    if summary.is_empty() {
        errors.add("resumen", "Escriba un resumen.");
    } else if summary.chars().count() > 4000 {
        errors.add("resumen", "Como mucho 4000 caracteres.");
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        let form = InteractionFormView {
            customer_id: id,
            kind: input.tipo,
            summary: input.resumen,
            errors,
            kinds: InteractionKind::options(),
        };
        if ctx.htmx {
            let body = InteractionLogged {
                ctx,
                item: None,
                interaction: form,
                oob: false,
            }
            .render()?;
            return Ok(HttpResponse::UnprocessableEntity()
                .content_type("text/html; charset=utf-8")
                .insert_header(("Vary", "HX-Request"))
                .insert_header(("HX-Retarget", "#interaction-form"))
                .insert_header(("HX-Reswap", "outerHTML"))
                .body(body));
        }
        return Ok(flash::redirect(
            &format!("/admin/clientes/{id}"),
            Flash::error(
                form.errors
                    .get("resumen")
                    .or(form.errors.get("tipo"))
                    .unwrap_or("Revise la interacción.")
                    .to_owned(),
            ),
        ));
    };
    let user = staff.0.clone();
    let logged = db
        .transaction(move |conn| {
            customers::log_interaction(conn, &actor(&user, &meta), id, kind, &summary)
                .map_err(DbError::from)
        })
        .await?;
    if ctx.htmx {
        return render::html(&InteractionLogged {
            ctx,
            item: Some(TimelineView {
                when: madrid_datetime(logged.occurred_at),
                kind: logged.kind.label().to_owned(),
                title: logged.summary,
                detail: logged.staff_name,
                link: None,
            }),
            interaction: InteractionFormView::empty(id),
            oob: true,
        });
    }
    Ok(flash::redirect(
        &format!("/admin/clientes/{id}"),
        Flash::success("Interacción registrada."),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ConsentInput {
    finalidad: String,
    /// "si" to grant, "no" to withdraw.
    otorgado: String,
}

/// POST /admin/clientes/{id}/consentimientos
pub async fn record_consent(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: crate::web::form::StrictForm<ConsentInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load(&db, scope, id).await?;
    if customer.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let Some(purpose) = ConsentPurpose::parse(input.finalidad.trim()) else {
        return Err(AppError::BadRequest(
            "Finalidad de consentimiento desconocida.".into(),
        ));
    };
    let granted = match input.otorgado.trim() {
        "si" => true,
        "no" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Indique si otorga o retira el consentimiento.".into(),
            ));
        }
    };
    let user = staff.0.clone();
    db.transaction(move |conn| {
        customers::record_consent(
            conn,
            &actor(&user, &meta),
            id,
            purpose,
            granted,
            customers::CONSENT_TEXT_VERSION,
            customers::CONSENT_SOURCE_BACKOFFICE,
        )
        .map_err(DbError::from)
    })
    .await?;
    Ok(flash::redirect(
        &format!("/admin/clientes/{id}"),
        Flash::success(format!(
            "{}: consentimiento {}.",
            purpose.label(),
            if granted { "otorgado" } else { "retirado" }
        )),
    ))
}

// ---------------------------------------------------------------------------------------
// Merge

#[derive(Template)]
#[template(path = "backoffice/customers/merge.html", blocks = ["content"])]
pub struct MergePage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub tax_id: String,
    pub q: String,
    pub candidates: Vec<Row>,
    /// Set on the confirmation step.
    pub duplicate: Option<(i64, String, String)>,
    pub counts: MergeCounts,
    pub error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MergeQuery {
    q: String,
}

/// GET /admin/clientes/{id}/fusionar: choose the duplicate to merge into this customer.
pub async fn merge_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<String>,
    query: web::Query<MergeQuery>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let customer = load(&db, scope, id).await?;
    if let Some(survivor) = customer.merged_into_id {
        return Ok(flash::see_other(&format!("/admin/clientes/{survivor}")));
    }
    let q: String = query.into_inner().q.trim().chars().take(100).collect();
    let candidates = if q.is_empty() {
        Vec::new()
    } else {
        let filter = ListFilter {
            q: q.clone(),
            ..ListFilter::default()
        };
        db.run(move |conn| customers::list(conn, scope, &filter).map_err(DbError::from))
            .await?
            .rows
            .into_iter()
            .filter(|r| r.id != id)
            .take(20)
            .map(Row::from)
            .collect()
    };
    render::html(&MergePage {
        ctx,
        id,
        name: customer.display_name,
        tax_id: customer.tax_id,
        q,
        candidates,
        duplicate: None,
        counts: MergeCounts::default(),
        error: None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MergeInput {
    duplicado: String,
    confirmar: String,
}

/// POST /admin/clientes/{id}/fusionar: without `confirmar`, the confirmation page showing
/// what moves; with it, the merge (one transaction) and back to the survivor.
pub async fn merge(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    input: crate::web::form::StrictForm<MergeInput>,
) -> Result<HttpResponse, AppError> {
    let id = parse_id(&path)?;
    let scope = scope_of(&staff.0);
    let survivor = load(&db, scope, id).await?;
    if survivor.merged_into_id.is_some() {
        return Err(AppError::NotFound);
    }
    let input = input.into_inner();
    let duplicate_id = input.duplicado.trim().parse::<i64>().ok();
    let duplicate = match duplicate_id {
        Some(dup) if dup != id => {
            db.run(move |conn| customers::get(conn, scope, dup).map_err(DbError::from))
                .await?
        }
        _ => None,
    }
    .filter(|d| d.merged_into_id.is_none());
    let Some(duplicate) = duplicate else {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &MergePage {
                ctx,
                id,
                name: survivor.display_name,
                tax_id: survivor.tax_id,
                q: String::new(),
                candidates: Vec::new(),
                duplicate: None,
                counts: MergeCounts::default(),
                error: Some("Elija el cliente duplicado que quiere fusionar con este.".into()),
            },
        );
    };
    let dup_id = duplicate.id;
    if input.confirmar.trim() != "si" {
        let counts = db
            .run(move |conn| customers::merge_preview(conn, dup_id).map_err(DbError::from))
            .await?;
        return render::html(&MergePage {
            ctx,
            id,
            name: survivor.display_name,
            tax_id: survivor.tax_id,
            q: String::new(),
            candidates: Vec::new(),
            duplicate: Some((dup_id, duplicate.display_name, duplicate.tax_id)),
            counts,
            error: None,
        });
    }
    let user = staff.0.clone();
    let outcome = db
        .transaction(move |conn| {
            customers::merge(conn, &actor(&user, &meta), scope, id, dup_id).map_err(DbError::from)
        })
        .await?;
    match outcome {
        MergeOutcome::Merged(counts) => Ok(flash::redirect(
            &format!("/admin/clientes/{id}"),
            Flash::success(format!(
                "Clientes fusionados: {} registros movidos de {}.",
                counts.total(),
                duplicate.display_name
            )),
        )),
        MergeOutcome::NotAllowed(message) => Ok(flash::redirect(
            &format!("/admin/clientes/{id}/fusionar"),
            Flash::error(message),
        )),
    }
}
