//! Claims pages (`/admin/siniestros`): the handlers' queue, opening a claim on a policy, the
//! claim's page with its timeline, state changes, notes and handler.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::auth::staff::Role;
use crate::backoffice::CurrentStaff;
use crate::claims::form::{NewClaimForm, validate_claim};
use crate::claims::{
    self, ClaimDetail, ClaimError, ClaimStatus, EventRow, PolicySummary, QueueFilter, QueueRow,
};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format;
use crate::listing::Cursor;
use crate::money;
use crate::page_or_partial;
use crate::tasks::{self, EntityType, TaskRow};
use crate::validation::FieldErrors;
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

fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

// ---------------------------------------------------------------------------------------------
// Queue

pub struct QueueRowView {
    pub id: i64,
    pub number: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub kind: String,
    pub incident_date: String,
    pub age_days: i64,
    pub policy_id: i64,
    pub policy_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub handler: String,
}

impl From<QueueRow> for QueueRowView {
    fn from(row: QueueRow) -> Self {
        Self {
            id: row.id,
            number: row.number,
            status_label: row.status.label(),
            status_class: row.status.badge_class(),
            kind: claims::kind_label(&row.kind).to_owned(),
            incident_date: format::date(row.incident_date),
            age_days: row.age_days,
            policy_id: row.policy_id,
            policy_number: row.policy_number,
            customer_id: row.customer_id,
            customer_name: row.customer_name,
            handler: row.handler_name.unwrap_or_else(|| "Sin asignar".to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/claims/list.html", blocks = ["content"])]
pub struct ClaimListPage {
    pub ctx: PageContext,
    pub filter: &'static str,
    pub filters: Vec<(&'static str, &'static str)>,
    pub rows: Vec<QueueRowView>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

#[derive(Template)]
#[template(path = "backoffice/claims/_rows.html")]
pub struct ClaimRows {
    pub rows: Vec<QueueRowView>,
    pub pager: Pager,
    pub exports: ExportLinks,
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    filtro: String,
    #[serde(default)]
    pagina: String,
}

/// GET /admin/siniestros: claims still waiting, oldest first; "mine" by default for claims
/// handlers, all the (visible) queue for everyone else.
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<QueueQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = queue_filter(&staff, &query.filtro);
    let cursor = Cursor::parse(&query.pagina);
    let scope = scope_of(&staff);
    let me = staff.0.id;
    let page = db
        .run(move |conn| claims::queue(conn, scope, filter, me, cursor).map_err(DbError::from))
        .await?;
    let pairs = [("filtro", filter.code())];
    let pager = Pager::at(&page, "/admin/siniestros", &pairs);
    let exports = ExportLinks::at("/admin/siniestros/exportar", &pairs);
    let rows: Vec<QueueRowView> = page.rows.into_iter().map(QueueRowView::from).collect();
    if ctx.htmx {
        return render::html(&ClaimRows {
            rows,
            pager,
            exports,
        });
    }
    render::html(&ClaimListPage {
        ctx,
        filter: filter.code(),
        filters: [QueueFilter::Mine, QueueFilter::Unassigned, QueueFilter::All]
            .into_iter()
            .map(|f| (f.code(), f.label()))
            .collect(),
        rows,
        pager,
        exports,
    })
}

/// The queue asked for; a claims handler's opens on their own claims, everyone else's on all.
fn queue_filter(staff: &CurrentStaff, code: &str) -> QueueFilter {
    let default = if staff.0.role() == Role::Claims {
        QueueFilter::Mine
    } else {
        QueueFilter::All
    };
    QueueFilter::parse(code.trim()).unwrap_or(default)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueExportQuery {
    filtro: String,
    formato: String,
}

/// GET /admin/siniestros/exportar?filtro=…&formato=csv|xlsx: the claims of the queue on
/// screen (within the agent's book, for an agent), as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<QueueExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let filter = queue_filter(&staff, &query.filtro);
    let scope = scope_of(&staff);
    let me = staff.0.id;
    let export = download::Export {
        list: "siniestros",
        sheet: "Siniestros",
        stem: "siniestros",
        headers: vec![
            "Siniestro",
            "Estado",
            "Tipo",
            "Fecha del siniestro",
            "Abierto el",
            "Días abierto",
            "Póliza",
            "Cliente",
            "Tramitador",
        ],
        filters: &[("filtro", filter.code())],
    };
    download::respond(
        &db,
        actor(&staff, &meta),
        format,
        export,
        move |conn, sink| claims::export_queue(conn, scope, filter, me, sink),
        |row: QueueRow| {
            vec![
                row.number.into(),
                row.status.label().into(),
                claims::kind_label(&row.kind).into(),
                row.incident_date.into(),
                crate::time::date_of(row.opened_at).into(),
                Cell::Int(row.age_days),
                row.policy_number.into(),
                row.customer_name.into(),
                row.handler_name.into(),
            ]
        },
    )
    .await
}

// ---------------------------------------------------------------------------------------------
// Opening a claim

#[derive(Template)]
#[template(path = "backoffice/claims/new.html", blocks = ["content"])]
pub struct NewClaimPage {
    pub ctx: PageContext,
    pub policy: Option<PolicySummary>,
    pub coverage: String,
    pub token: String,
    pub fecha: String,
    pub tipo: String,
    pub descripcion: String,
    pub lugar: String,
    pub importe: String,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub numero: String,
    pub errors: FieldErrors,
}

impl NewClaimPage {
    fn blank(ctx: PageContext, policy: Option<PolicySummary>) -> Self {
        let coverage = policy
            .as_ref()
            .map(|p| {
                format!(
                    "{} a {}",
                    format::date(p.start_date),
                    format::date(p.end_date)
                )
            })
            .unwrap_or_default();
        Self {
            ctx,
            policy,
            coverage,
            token: form_submissions::new_token(),
            fecha: String::new(),
            tipo: String::new(),
            descripcion: String::new(),
            lugar: String::new(),
            importe: String::new(),
            kinds: kind_options(),
            numero: String::new(),
            errors: FieldErrors::new(),
        }
    }
}

fn kind_options() -> Vec<(&'static str, &'static str)> {
    let mut options = vec![("", "Elija el tipo")];
    options.extend_from_slice(claims::KINDS);
    options
}

#[derive(Debug, Deserialize)]
pub struct NewClaimQuery {
    #[serde(default)]
    poliza: String,
    #[serde(default)]
    numero: String,
}

/// GET /admin/siniestros/nuevo?poliza={id} (or `?numero=` to find the policy by number).
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<NewClaimQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = scope_of(&staff);
    let NewClaimQuery { poliza, numero } = query.into_inner();
    if let Ok(policy_id) = poliza.trim().parse::<i64>() {
        let policy = db
            .run(move |conn| claims::policy_in_scope(conn, scope, policy_id))
            .await
            .map_err(AppError::from)?;
        return render::html(&NewClaimPage::blank(ctx, Some(policy)));
    }
    let number = numero.trim().to_owned();
    if number.is_empty() {
        return render::html(&NewClaimPage::blank(ctx, None));
    }
    let lookup = number.clone();
    let found = db
        .run(move |conn| claims::policy_id_by_number(conn, scope, &lookup).map_err(DbError::from))
        .await?;
    match found {
        Some(id) => Ok(flash::see_other(&format!(
            "/admin/siniestros/nuevo?poliza={id}"
        ))),
        None => {
            let mut page = NewClaimPage::blank(ctx, None);
            page.errors
                .add("numero", "No encontramos ninguna póliza con ese número.");
            page.numero = number;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

enum Opened {
    Created(i64, String),
    Repeated(Option<i64>),
}

/// POST /admin/siniestros: opens the claim in one transaction with its one-time form token,
/// so that submitting the form twice opens one claim and leads to it both times.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<NewClaimForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = scope_of(&staff);
    let Ok(policy_id) = form.poliza.trim().parse::<i64>() else {
        let mut page = NewClaimPage::blank(ctx, None);
        page.errors
            .add("numero", "Elija la póliza del siniestro por su número.");
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let policy = db
        .run(move |conn| claims::policy_in_scope(conn, scope, policy_id))
        .await
        .map_err(AppError::from)?;
    let command = match validate_claim(&form, policy_id) {
        Ok(command) => command,
        Err(errors) => return claim_form_with_errors(ctx, policy, form, errors),
    };
    if !form_submissions::is_well_formed(form.token.trim()) {
        let mut errors = FieldErrors::new();
        errors.add(
            "descripcion",
            "El formulario ha caducado: revise los datos y envíelo de nuevo.",
        );
        return claim_form_with_errors(ctx, policy, form, errors);
    }
    let token = form.token.trim().to_owned();
    let by = actor(&staff, &meta);
    let opened = db
        .transaction(move |conn| {
            match form_submissions::claim(conn, &token)? {
                Claimed::Repeated(created) => {
                    return Ok(Opened::Repeated(
                        created
                            .filter(|(kind, _)| kind == "claim")
                            .map(|(_, id)| id),
                    ));
                }
                Claimed::First => {}
            }
            let claim = claims::open(conn, scope, &command, &by)?;
            form_submissions::attach(conn, &token, "claim", claim.id)?;
            Ok::<_, ClaimError>(Opened::Created(claim.id, claim.number))
        })
        .await;
    match opened {
        Ok(Opened::Created(id, number)) => Ok(flash::redirect(
            &format!("/admin/siniestros/{id}"),
            Flash::success(format!("Siniestro {number} abierto.")),
        )),
        Ok(Opened::Repeated(Some(id))) => Ok(flash::redirect(
            &format!("/admin/siniestros/{id}"),
            Flash::info("Este formulario ya se había enviado: este es el siniestro abierto."),
        )),
        Ok(Opened::Repeated(None)) => Ok(flash::see_other("/admin/siniestros")),
        Err(error @ (ClaimError::IncidentInFuture | ClaimError::OutsideCoverage { .. })) => {
            let mut errors = FieldErrors::new();
            errors.add("fecha", error.to_string());
            claim_form_with_errors(ctx, policy, form, errors)
        }
        Err(other) => Err(AppError::from(other)),
    }
}

fn claim_form_with_errors(
    ctx: PageContext,
    policy: PolicySummary,
    form: NewClaimForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let mut page = NewClaimPage::blank(ctx, Some(policy));
    if form_submissions::is_well_formed(form.token.trim()) {
        page.token = form.token.trim().to_owned();
    }
    page.fecha = form.fecha;
    page.tipo = form.tipo;
    page.descripcion = form.descripcion;
    page.lugar = form.lugar;
    page.importe = form.importe;
    page.errors = errors;
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------------
// The claim's page

pub struct EventView {
    pub when: String,
    pub who: String,
    pub change: Option<String>,
    pub note: String,
    /// The client reads the note in e-SORI.
    pub for_client: bool,
}

impl From<EventRow> for EventView {
    fn from(event: EventRow) -> Self {
        let change = match (event.from(), event.to()) {
            (None, Some(to)) => Some(format!("Estado: {}", to.label())),
            (Some(from), Some(to)) => Some(format!("{} → {}", from.label(), to.label())),
            _ => None,
        };
        Self {
            when: format::madrid_datetime(event.occurred_at),
            who: event.staff_name.unwrap_or_else(|| "Sistema".to_owned()),
            change,
            note: event.note,
            for_client: event.visible_to_client,
        }
    }
}

/// One state change the page offers, with what its form asks.
pub struct TransitionView {
    pub to: &'static str,
    pub button: &'static str,
    pub needs_reason: bool,
    pub amount_label: &'static str,
    pub amount_default: String,
}

pub struct TaskView {
    pub id: i64,
    pub title: String,
    pub due: String,
    pub assignee: String,
    pub assignee_id: i64,
}

impl From<TaskRow> for TaskView {
    fn from(task: TaskRow) -> Self {
        Self {
            id: task.id,
            assignee_id: task.assignee_staff_id,
            due: task.due_date.map(format::date).unwrap_or_default(),
            title: task.title,
            assignee: task.assignee_name,
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/claims/show.html", blocks = ["content"])]
pub struct ClaimPage {
    pub ctx: PageContext,
    pub id: i64,
    pub number: String,
    pub status_label: &'static str,
    pub status_class: &'static str,
    pub kind: String,
    pub incident_date: String,
    pub place: String,
    pub description: String,
    pub policy_id: i64,
    pub policy_number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub handler_id: String,
    pub handler_name: String,
    pub claimed: String,
    pub accepted: String,
    pub paid: String,
    pub opened_at: String,
    pub closed_at: String,
    pub events: Vec<EventView>,
    pub transitions: Vec<TransitionView>,
    pub handlers: Vec<(String, String)>,
    pub tasks: Vec<TaskView>,
    /// Why the last state change or assignment was refused.
    pub error: Option<String>,
    pub note: String,
    pub note_for_client: bool,
    pub note_error: Option<String>,
    /// Values typed in the refused state change form.
    pub typed_note: String,
    pub typed_for_client: bool,
    pub typed_amount: String,
}

fn amount(cents: Option<i64>) -> String {
    cents
        .map(money::format_cents)
        .unwrap_or_else(|| "—".to_owned())
}

fn transitions(detail: &ClaimDetail) -> Vec<TransitionView> {
    let from = detail.claim.status();
    from.next()
        .iter()
        .map(|&to| {
            let requirement = from.requirement(to);
            let (amount_label, amount_default) = match requirement {
                claims::status::Requirement::AcceptedAmount => (
                    "Importe aceptado",
                    detail
                        .claim
                        .accepted_cents
                        .or(detail.claim.claimed_cents)
                        .map(money::cents_for_input)
                        .unwrap_or_default(),
                ),
                claims::status::Requirement::PaidAmount => (
                    "Importe pagado",
                    detail
                        .claim
                        .accepted_cents
                        .map(money::cents_for_input)
                        .unwrap_or_default(),
                ),
                _ => ("", String::new()),
            };
            TransitionView {
                to: to.code(),
                button: from.action_label(to),
                needs_reason: requirement == claims::status::Requirement::Reason,
                amount_label,
                amount_default,
            }
        })
        .collect()
}

async fn claim_page(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    id: i64,
) -> Result<ClaimPage, AppError> {
    claim_page_seen_by(ctx, db, scope, id, None).await
}

/// The claim's page; a view by `seen_by` (the page itself, not a form shown again) goes to
/// the access log, in the same trip to the database.
async fn claim_page_seen_by(
    ctx: PageContext,
    db: &Db,
    scope: PortfolioScope,
    id: i64,
    seen_by: Option<crate::audit::Actor>,
) -> Result<ClaimPage, AppError> {
    let (detail, events, handlers, open_tasks) = db
        .run(move |conn| {
            let detail = claims::get(conn, scope, id)?;
            if let Some(by) = &seen_by {
                crate::access_log::record(
                    conn,
                    by,
                    crate::access_log::Kind::CustomerViewed,
                    Some(detail.claim.customer_id),
                    &format!("Siniestro {}", detail.claim.number),
                )?;
            }
            let events = claims::events(conn, id)?;
            let handlers = claims::handlers(conn)?;
            let open_tasks = tasks::open_about(conn, EntityType::Claim, id)?;
            Ok::<_, ClaimError>((detail, events, handlers, open_tasks))
        })
        .await
        .map_err(AppError::from)?;
    let claim = &detail.claim;
    let status: ClaimStatus = claim.status();
    let mut handler_options = vec![(String::new(), "Sin asignar".to_owned())];
    handler_options.extend(
        handlers
            .into_iter()
            .map(|(id, name)| (id.to_string(), name)),
    );
    Ok(ClaimPage {
        ctx,
        id: claim.id,
        number: claim.number.clone(),
        status_label: status.label(),
        status_class: status.badge_class(),
        kind: claims::kind_label(&claim.kind).to_owned(),
        incident_date: format::date(claim.incident_date),
        place: claim.place.clone(),
        description: claim.description.clone(),
        policy_id: claim.policy_id,
        policy_number: detail.policy_number.clone(),
        customer_id: claim.customer_id,
        customer_name: detail.customer_name.clone(),
        handler_id: claim
            .handler_staff_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        handler_name: detail
            .handler_name
            .clone()
            .unwrap_or_else(|| "Sin asignar".to_owned()),
        claimed: amount(claim.claimed_cents),
        accepted: amount(claim.accepted_cents),
        paid: amount(claim.paid_cents),
        opened_at: format::madrid_datetime(claim.opened_at),
        closed_at: claim
            .closed_at
            .map(format::madrid_datetime)
            .unwrap_or_default(),
        transitions: transitions(&detail),
        events: events.into_iter().map(EventView::from).collect(),
        handlers: handler_options,
        tasks: open_tasks.into_iter().map(TaskView::from).collect(),
        error: None,
        note: String::new(),
        note_for_client: false,
        note_error: None,
        typed_note: String::new(),
        typed_for_client: false,
        typed_amount: String::new(),
    })
}

/// GET /admin/siniestros/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let by = crate::audit::Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    page_or_partial!(
        claim_page_seen_by(ctx, &db, scope_of(&staff), path.into_inner(), Some(by)).await?
    )
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    estado: String,
    #[serde(default)]
    nota: String,
    /// The "visible para el cliente" checkbox: absent means internal.
    #[serde(default)]
    visible_cliente: Option<String>,
    #[serde(default)]
    importe: String,
}

/// POST /admin/siniestros/{id}/estado: one step of the life cycle. A step the claim cannot
/// take, or without what it needs, answers 422 with the reason on the claim's page.
pub async fn change_status(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<StatusForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let form = form.into_inner();
    let for_client = form.visible_cliente.is_some();
    let refused = |message: String| (message, form.nota.clone(), form.importe.clone());
    let outcome = match ClaimStatus::parse(form.estado.trim()) {
        None => Err(refused("Elija un estado válido.".to_owned())),
        Some(to) => {
            let amount = if form.importe.trim().is_empty() {
                Ok(None)
            } else {
                money::parse_cents(&form.importe).map(Some)
            };
            match amount {
                Err(message) => Err(refused(message.to_owned())),
                Ok(amount) => {
                    let by = actor(&staff, &meta);
                    let note = form.nota.clone();
                    // The client hears of it through the automation rules (claim.status_changed).
                    let result = db
                        .transaction(move |conn| {
                            claims::change_status(
                                conn, scope, id, to, &note, for_client, amount, &by,
                            )
                        })
                        .await;
                    match result {
                        Ok(claim) => Ok(claim.status()),
                        Err(
                            error @ (ClaimError::Transition(_)
                            | ClaimError::NoteRequired
                            | ClaimError::NoteTooLong),
                        ) => Err(refused(error.to_string())),
                        Err(other) => return Err(AppError::from(other)),
                    }
                }
            }
        }
    };
    match outcome {
        Ok(status) => Ok(flash::redirect(
            &format!("/admin/siniestros/{id}"),
            Flash::success(format!("Siniestro {}.", status.label())),
        )),
        Err((message, note, amount)) => {
            let mut page = claim_page(ctx, &db, scope, id).await?;
            page.error = Some(message);
            page.typed_note = note;
            page.typed_for_client = for_client;
            page.typed_amount = amount;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/claims/_event.html")]
pub struct EventPartial {
    pub event: EventView,
}

#[derive(Debug, Deserialize)]
pub struct NoteForm {
    #[serde(default)]
    nota: String,
    /// The "visible para el cliente" checkbox: absent means internal.
    #[serde(default)]
    visible_cliente: Option<String>,
}

/// POST /admin/siniestros/{id}/notas: htmx appends the new entry to the timeline; without
/// JavaScript, back to the claim's page.
pub async fn add_note(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<NoteForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let by = actor(&staff, &meta);
    let note = form.nota.clone();
    let for_client = form.visible_cliente.is_some();
    let result = db
        .transaction(move |conn| claims::add_note(conn, scope, id, &note, for_client, &by))
        .await;
    match result {
        Ok(event) if ctx.htmx => render::html(&EventPartial {
            event: EventView::from(event),
        }),
        Ok(_) => Ok(flash::redirect(
            &format!("/admin/siniestros/{id}"),
            Flash::success("Nota añadida."),
        )),
        Err(error @ (ClaimError::NoteRequired | ClaimError::NoteTooLong)) if ctx.htmx => {
            let mut response = render::html_with_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                &NoteError {
                    message: error.to_string(),
                },
            )?;
            let headers = response.headers_mut();
            headers.insert(
                actix_web::http::header::HeaderName::from_static("hx-retarget"),
                actix_web::http::header::HeaderValue::from_static("#nota-error"),
            );
            headers.insert(
                actix_web::http::header::HeaderName::from_static("hx-reswap"),
                actix_web::http::header::HeaderValue::from_static("innerHTML"),
            );
            Ok(response)
        }
        Err(error @ (ClaimError::NoteRequired | ClaimError::NoteTooLong)) => {
            let mut page = claim_page(ctx, &db, scope, id).await?;
            page.note_error = Some(error.to_string());
            page.note = form.nota.clone();
            page.note_for_client = for_client;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(AppError::from(other)),
    }
}

#[derive(Template)]
#[template(source = "{{ message }}", ext = "html")]
pub struct NoteError {
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub struct HandlerForm {
    #[serde(default)]
    tramitador: String,
}

/// POST /admin/siniestros/{id}/tramitador: assigns (or unassigns, with an empty choice).
pub async fn assign(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<HandlerForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let choice = form.tramitador.trim();
    let handler = if choice.is_empty() {
        Ok(None)
    } else {
        choice.parse::<i64>().map(Some)
    };
    let result = match handler {
        Err(_) => Err(ClaimError::InvalidHandler),
        Ok(handler) => {
            let by = actor(&staff, &meta);
            db.transaction(move |conn| claims::assign(conn, scope, id, handler, &by))
                .await
        }
    };
    match result {
        Ok(claim) => Ok(flash::redirect(
            &format!("/admin/siniestros/{id}"),
            Flash::success(if claim.handler_staff_id.is_some() {
                "Tramitador asignado."
            } else {
                "El siniestro queda sin tramitador."
            }),
        )),
        Err(error @ ClaimError::InvalidHandler) => {
            let mut page = claim_page(ctx, &db, scope, id).await?;
            page.error = Some(error.to_string());
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(AppError::from(other)),
    }
}
