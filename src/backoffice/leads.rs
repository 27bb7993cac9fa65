//! Leads pages (`/admin/leads`): the board by stage with inline moves (htmx), the filtered
//! list, "Nuevo lead", the lead's page (submissions, consents, interactions, tasks, quotes,
//! history), the conversion into a customer and the lead source report.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{Datelike, Duration, NaiveDate};
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::auth::staff::Role;
use crate::backoffice::CurrentStaff;
use crate::customers::{self, CustomerForm};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::leads::{
    self, BoardColumn, Card, ConvertOutcome, ConvertTarget, Filter, LeadError, LeadForm, Stage,
};
use crate::page_or_partial;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::FieldErrors;
use crate::web::format;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

fn scope_of(staff: &CurrentStaff) -> PortfolioScope {
    PortfolioScope::of(staff.0.id, staff.0.role())
}

fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

/// Turns a domain error that is not the user's to fix into the error page.
fn fail(error: LeadError) -> AppError {
    match error {
        LeadError::NotFound => AppError::NotFound,
        LeadError::Database(e) => e.into(),
        other => AppError::Internal(anyhow::anyhow!("{other}")),
    }
}

fn options(pairs: &[(&str, &str)], blank: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), blank.to_owned())];
    out.extend(
        pairs
            .iter()
            .map(|(c, l)| ((*c).to_owned(), (*l).to_owned())),
    );
    out
}

fn id_options(rows: Vec<(i64, String)>, blank: &str) -> Vec<(String, String)> {
    let mut out = vec![(String::new(), blank.to_owned())];
    out.extend(rows.into_iter().map(|(id, name)| (id.to_string(), name)));
    out
}

// ---------------------------------------------------------------------------------------------
// Filters (board and list)

/// The filter form as typed (`GET` parameters, Spanish names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct FilterQuery {
    pub etapa: String,
    pub origen: String,
    pub campana: String,
    pub linea: String,
    pub agente: String,
    pub desde: String,
    pub hasta: String,
    pub q: String,
    pub pagina: String,
}

impl FilterQuery {
    /// The filter; values that do not parse are ignored (a filter, not a form to fix).
    fn filter(&self) -> Filter {
        let text = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let date = |s: &str| crate::web::form::parse_date(s).ok();
        Filter {
            stage: Stage::parse(self.etapa.trim()),
            source: text(&self.origen).filter(|s| leads::SOURCES.iter().any(|(c, _)| c == s)),
            campaign: text(&self.campana),
            line_id: self.linea.trim().parse().ok(),
            agent_id: self.agente.trim().parse().ok(),
            from: date(&self.desde),
            to: date(&self.hasta),
            q: text(&self.q).map(|q| q.chars().take(100).collect()),
        }
    }

    /// The query string of the filters (without the page), for links.
    fn query_string(&self) -> String {
        let pairs = [
            ("etapa", &self.etapa),
            ("origen", &self.origen),
            ("campana", &self.campana),
            ("linea", &self.linea),
            ("agente", &self.agente),
            ("desde", &self.desde),
            ("hasta", &self.hasta),
            ("q", &self.q),
        ];
        let mut out = String::new();
        for (name, value) in pairs {
            let value = value.trim();
            if value.is_empty() {
                continue;
            }
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(name);
            out.push('=');
            out.extend(url::form_urlencoded::byte_serialize(value.as_bytes()));
        }
        out
    }
}

/// The select options of the filter form.
pub struct FilterOptions {
    pub stages: Vec<(String, String)>,
    pub sources: Vec<(String, String)>,
    pub campaigns: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    /// Empty for agents (they only see their own leads).
    pub agents: Vec<(String, String)>,
}

async fn filter_options(db: &Db, staff: &CurrentStaff) -> Result<FilterOptions, AppError> {
    let scope = scope_of(staff);
    let is_agent = staff.0.role() == Role::Agent;
    let (campaigns, lines, agents) = db
        .run(move |conn| {
            let campaigns = leads::campaigns(conn, scope)?;
            let lines = crate::catalog::lines(conn)?;
            let agents = if is_agent {
                Vec::new()
            } else {
                leads::agents(conn)?
            };
            Ok::<_, DbError>((campaigns, lines, agents))
        })
        .await?;
    let mut stages = vec![(String::new(), "Todas".to_owned())];
    stages.extend(
        Stage::ALL
            .into_iter()
            .map(|s| (s.code().to_owned(), capitalize(s.label()))),
    );
    let mut campaign_options = vec![(String::new(), "Todas".to_owned())];
    campaign_options.extend(campaigns.into_iter().map(|c| (c.clone(), c)));
    Ok(FilterOptions {
        stages,
        sources: options(leads::SOURCES, "Todos"),
        campaigns: campaign_options,
        lines: id_options(lines.into_iter().map(|l| (l.id, l.name)).collect(), "Todos"),
        agents: if agents.is_empty() {
            Vec::new()
        } else {
            id_options(agents, "Todos")
        },
    })
}

fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

// ---------------------------------------------------------------------------------------------
// Board

/// A lead card (board) or row (list).
pub struct CardView {
    pub id: i64,
    pub name: String,
    pub contact: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub stage_class: &'static str,
    pub line: String,
    pub source: String,
    pub campaign: String,
    pub age: String,
    pub created: String,
    pub next_action: String,
    pub overdue: bool,
    pub agent: String,
    pub converted: bool,
    /// Where the card may move: (code, label).
    pub moves: Vec<(&'static str, &'static str)>,
    /// Why the last move of this card was refused, with the reason typed.
    pub error: Option<String>,
    pub typed_reason: String,
}

impl From<Card> for CardView {
    fn from(card: Card) -> Self {
        let today = crate::leads::today();
        let age = match card.age_days {
            0 => "hoy".to_owned(),
            1 => "1 día".to_owned(),
            n => format!("{n} días"),
        };
        Self {
            id: card.id,
            contact: card
                .email
                .clone()
                .or_else(|| card.phone.clone())
                .unwrap_or_default(),
            name: card.full_name,
            stage: card.stage.code(),
            stage_label: card.stage.label(),
            stage_class: card.stage.badge_class(),
            line: card.line_name.unwrap_or_default(),
            source: leads::source_label(&card.source).to_owned(),
            campaign: card.campaign.or(card.utm_campaign).unwrap_or_default(),
            age,
            created: format::date(
                card.created_at
                    .with_timezone(&crate::time::ZONE)
                    .date_naive(),
            ),
            next_action: card.next_action_on.map(format::date).unwrap_or_default(),
            overdue: card.next_action_on.is_some_and(|d| d < today),
            agent: card.agent_name.unwrap_or_else(|| "Sin asignar".to_owned()),
            moves: card
                .stage
                .next(card.converted)
                .into_iter()
                .map(|s| (s.code(), s.label()))
                .collect(),
            converted: card.converted,
            error: None,
            typed_reason: String::new(),
        }
    }
}

pub struct ColumnView {
    pub stage: &'static str,
    pub label: String,
    pub count: i64,
    pub cards: Vec<CardView>,
    /// The list filtered on this stage, when the column shows only the newest cards.
    pub more_link: Option<String>,
}

fn columns(columns: Vec<BoardColumn>, query: &FilterQuery) -> Vec<ColumnView> {
    let filters = query.query_string();
    columns
        .into_iter()
        .map(|column| {
            let shown = column.cards.len() as i64;
            let mut link = format!("/admin/leads/lista?etapa={}", column.stage.code());
            if !filters.is_empty() {
                let without_stage: Vec<&str> = filters
                    .split('&')
                    .filter(|p| !p.starts_with("etapa="))
                    .collect();
                if !without_stage.is_empty() {
                    link.push('&');
                    link.push_str(&without_stage.join("&"));
                }
            }
            ColumnView {
                stage: column.stage.code(),
                label: capitalize(column.stage.label()),
                count: column.count,
                more_link: (column.count > shown).then_some(link),
                cards: column.cards.into_iter().map(CardView::from).collect(),
            }
        })
        .collect()
}

#[derive(Template)]
#[template(path = "backoffice/leads/board.html", blocks = ["content"])]
pub struct BoardPage {
    pub ctx: PageContext,
    pub query: FilterQuery,
    pub options: FilterOptions,
    pub columns: Vec<ColumnView>,
}

#[derive(Template)]
#[template(path = "backoffice/leads/_board.html")]
pub struct BoardPartial {
    pub ctx: PageContext,
    pub columns: Vec<ColumnView>,
}

async fn load_board(
    db: &Db,
    scope: PortfolioScope,
    query: &FilterQuery,
) -> Result<Vec<ColumnView>, AppError> {
    let filter = query.filter();
    let board = db
        .run(move |conn| leads::board(conn, scope, &filter).map_err(DbError::from))
        .await?;
    Ok(columns(board, query))
}

/// GET /admin/leads: the board by stage, with the list's filters.
pub async fn board(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let columns = load_board(&db, scope_of(&staff), &query).await?;
    if ctx.htmx {
        return render::html(&BoardPartial { ctx, columns });
    }
    let options = filter_options(&db, &staff).await?;
    render::html(&BoardPage {
        ctx,
        query,
        options,
        columns,
    })
}

// ---------------------------------------------------------------------------------------------
// List

#[derive(Template)]
#[template(path = "backoffice/leads/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub query: FilterQuery,
    pub options: FilterOptions,
    pub rows: Vec<CardView>,
    pub total: i64,
    pub page: i64,
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
}

#[derive(Template)]
#[template(path = "backoffice/leads/_rows.html")]
pub struct RowsPartial {
    pub rows: Vec<CardView>,
    pub total: i64,
    pub page: i64,
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
}

/// GET /admin/leads/lista: every lead matching the filters, newest first, 50 a page.
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<FilterQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let filter = query.filter();
    let page_number = query
        .pagina
        .trim()
        .parse::<i64>()
        .unwrap_or(1)
        .clamp(1, 10_000);
    let scope = scope_of(&staff);
    let page = db
        .run(move |conn| leads::list(conn, scope, &filter, page_number).map_err(DbError::from))
        .await?;
    let base = query.query_string();
    let link = |n: i64| {
        if base.is_empty() {
            format!("/admin/leads/lista?pagina={n}")
        } else {
            format!("/admin/leads/lista?{base}&pagina={n}")
        }
    };
    let prev_link = (page.page > 1).then(|| link(page.page - 1));
    let next_link = page.has_next.then(|| link(page.page + 1));
    let rows: Vec<CardView> = page.rows.into_iter().map(CardView::from).collect();
    if ctx.htmx {
        return render::html(&RowsPartial {
            rows,
            total: page.total,
            page: page.page,
            prev_link,
            next_link,
        });
    }
    let options = filter_options(&db, &staff).await?;
    render::html(&ListPage {
        ctx,
        query,
        options,
        rows,
        total: page.total,
        page: page.page,
        prev_link,
        next_link,
    })
}

// ---------------------------------------------------------------------------------------------
// Moving a lead

#[derive(Debug, Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    etapa: String,
    #[serde(default)]
    motivo: String,
    /// `tablero` when sent from a board card (answer with the board), else the lead's page.
    #[serde(default)]
    vista: String,
    #[serde(flatten)]
    filters: FilterQuery,
}

/// POST /admin/leads/{id}/etapa: moves the lead. From the board (htmx) the answer is the
/// board again, with the filters it was showing, so counts and columns stay right; a refused
/// move shows its reason on the card (422). From the lead's page, back to it.
pub async fn move_stage(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<MoveForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let form = form.into_inner();
    let result = match Stage::parse(form.etapa.trim()) {
        None => Err("Elija la etapa a la que pasa el lead.".to_owned()),
        Some(to) => {
            let by = actor(&staff, &meta);
            let reason = form.motivo.clone();
            match db
                .transaction(move |conn| leads::move_stage(conn, scope, id, to, &reason, &by))
                .await
            {
                Ok(lead) => Ok(lead.stage()),
                Err(error @ (LeadError::Transition(_) | LeadError::NoteTooLong)) => {
                    Err(error.to_string())
                }
                Err(other) => return Err(fail(other)),
            }
        }
    };
    if form.vista == "tablero" && ctx.htmx {
        let mut columns = load_board(&db, scope, &form.filters).await?;
        let status = match result {
            Ok(_) => StatusCode::OK,
            Err(message) => {
                if let Some(card) = columns
                    .iter_mut()
                    .flat_map(|c| c.cards.iter_mut())
                    .find(|c| c.id == id)
                {
                    card.error = Some(message);
                    card.typed_reason = form.motivo.clone();
                }
                StatusCode::UNPROCESSABLE_ENTITY
            }
        };
        return render::html_with_status(status, &BoardPartial { ctx, columns });
    }
    match result {
        Ok(stage) => Ok(flash::redirect(
            &format!("/admin/leads/{id}"),
            Flash::success(format!("Lead movido a «{}».", stage.label())),
        )),
        Err(message) => {
            let mut page = lead_page(ctx, &db, &staff, id).await?;
            page.stage_error = Some(message);
            page.typed_reason = form.motivo;
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// New lead

#[derive(Template)]
#[template(path = "backoffice/leads/new.html", blocks = ["content"])]
pub struct NewLeadPage {
    pub ctx: PageContext,
    pub form: LeadForm,
    pub errors: FieldErrors,
    pub sources: Vec<(String, String)>,
    pub lines: Vec<(String, String)>,
    /// Empty for agents: their leads are theirs.
    pub agents: Vec<(String, String)>,
}

async fn new_lead_page(
    ctx: PageContext,
    db: &Db,
    staff: &CurrentStaff,
    form: LeadForm,
    errors: FieldErrors,
) -> Result<NewLeadPage, AppError> {
    let is_agent = staff.0.role() == Role::Agent;
    let (lines, agents) = db
        .run(move |conn| {
            let lines = crate::catalog::lines(conn)?;
            let agents = if is_agent {
                Vec::new()
            } else {
                leads::agents(conn)?
            };
            Ok::<_, DbError>((lines, agents))
        })
        .await?;
    let sources: Vec<(&str, &str)> = leads::SOURCES
        .iter()
        .filter(|(c, _)| leads::MANUAL_SOURCES.contains(c))
        .copied()
        .collect();
    Ok(NewLeadPage {
        ctx,
        form,
        errors,
        sources: options(&sources, "Elija el origen"),
        lines: id_options(
            lines.into_iter().map(|l| (l.id, l.name)).collect(),
            "Sin ramo",
        ),
        agents: if agents.is_empty() {
            Vec::new()
        } else {
            id_options(agents, "Sin asignar")
        },
    })
}

/// GET /admin/leads/nuevo
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let form = LeadForm {
        origen: "phone".to_owned(),
        token: form_submissions::new_token(),
        ..LeadForm::default()
    };
    page_or_partial!(new_lead_page(ctx, &db, &staff, form, FieldErrors::new()).await?)
}

enum Created {
    New(i64),
    Repeated(Option<i64>),
}

/// POST /admin/leads: enters the lead in one transaction with its one-time form token, so a
/// double submit creates one lead and leads to it both times.
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: web::Form<LeadForm>,
) -> Result<HttpResponse, AppError> {
    let mut form = form.into_inner();
    let line_ids: Vec<i64> = db
        .run(|conn| crate::catalog::lines(conn).map_err(DbError::from))
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let mut errors = match leads::validate(&form, |id| line_ids.contains(&id)) {
        Ok(new) if form_submissions::is_well_formed(form.token.trim()) => {
            let token = form.token.trim().to_owned();
            let by = actor(&staff, &meta);
            let result = db
                .transaction(move |conn| {
                    if let Claimed::Repeated(created) = form_submissions::claim(conn, &token)? {
                        return Ok(Created::Repeated(
                            created.filter(|(kind, _)| kind == "lead").map(|(_, id)| id),
                        ));
                    }
                    let lead = leads::create(conn, &new, &by)?;
                    form_submissions::attach(conn, &token, "lead", lead.id)?;
                    Ok::<_, LeadError>(Created::New(lead.id))
                })
                .await;
            match result {
                Ok(Created::New(id)) => {
                    return Ok(flash::redirect(
                        &format!("/admin/leads/{id}"),
                        Flash::success("Lead dado de alta."),
                    ));
                }
                Ok(Created::Repeated(Some(id))) => {
                    return Ok(flash::redirect(
                        &format!("/admin/leads/{id}"),
                        Flash::info("Este formulario ya se había enviado: este es el lead."),
                    ));
                }
                Ok(Created::Repeated(None)) => return Ok(flash::see_other("/admin/leads")),
                Err(LeadError::InvalidAgent) => {
                    let mut errors = FieldErrors::new();
                    errors.add("agente", LeadError::InvalidAgent.to_string());
                    errors
                }
                Err(other) => return Err(fail(other)),
            }
        }
        Ok(_) => {
            let mut errors = FieldErrors::new();
            errors.add(
                "nombre",
                "El formulario ha caducado: revise los datos y envíelo de nuevo.",
            );
            errors
        }
        Err(errors) => errors,
    };
    if !form_submissions::is_well_formed(form.token.trim()) {
        form.token = form_submissions::new_token();
    }
    if errors.is_empty() {
        errors.add("nombre", "Revise los datos.");
    }
    let page = new_lead_page(ctx, &db, &staff, form, errors).await?;
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

// ---------------------------------------------------------------------------------------------
// The lead's page

pub struct EventView {
    pub when: String,
    pub who: String,
    pub what: String,
    pub note: String,
}

impl From<leads::EventRow> for EventView {
    fn from(event: leads::EventRow) -> Self {
        let stage = |code: &Option<String>| {
            code.as_deref()
                .and_then(Stage::parse)
                .map(Stage::label)
                .unwrap_or("")
        };
        let what = match event.kind.as_str() {
            "created" => "Alta".to_owned(),
            "stage_changed" => match &event.from_stage {
                Some(_) => format!("{} → {}", stage(&event.from_stage), stage(&event.to_stage)),
                None => format!("Etapa: {}", stage(&event.to_stage)),
            },
            "interaction" => {
                leads::channel_label(event.channel.as_deref().unwrap_or("")).to_owned()
            }
            "assigned" => "Asignación".to_owned(),
            "next_action" => "Próxima acción".to_owned(),
            "converted" => "Conversión en cliente".to_owned(),
            other => other.to_owned(),
        };
        Self {
            when: format::madrid_datetime(event.occurred_at),
            who: event.staff_name.unwrap_or_else(|| "Sistema".to_owned()),
            what,
            note: event.note,
        }
    }
}

pub struct SubmissionView {
    pub when: String,
    /// (field, value) of the payload, as sent.
    pub fields: Vec<(String, String)>,
    pub utm: Vec<(&'static str, String)>,
    pub landing: String,
    pub ip: String,
}

impl From<leads::SubmissionRow> for SubmissionView {
    fn from(row: leads::SubmissionRow) -> Self {
        let fields = match row.payload {
            serde_json::Value::Object(map) => map
                .into_iter()
                .map(|(k, v)| {
                    let value = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, value)
                })
                .collect(),
            serde_json::Value::Null => Vec::new(),
            other => vec![("datos".to_owned(), other.to_string())],
        };
        let utm = [
            ("utm_source", row.utm_source),
            ("utm_medium", row.utm_medium),
            ("utm_campaign", row.utm_campaign),
            ("utm_term", row.utm_term),
            ("utm_content", row.utm_content),
            ("referrer", row.referrer),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.map(|v| (k, v)))
        .collect();
        let landing = match (row.landing_id, row.landing_variant_id) {
            (Some(l), Some(v)) => format!("Landing n.º {l}, variante {v}"),
            (Some(l), None) => format!("Landing n.º {l}"),
            _ => String::new(),
        };
        Self {
            when: format::madrid_datetime(row.created_at),
            fields,
            utm,
            landing,
            ip: row.ip.unwrap_or_default(),
        }
    }
}

pub struct ConsentView {
    pub purpose: &'static str,
    pub granted: bool,
    pub version: String,
    pub when: String,
    pub ip: String,
}

pub struct TaskView {
    pub title: String,
    pub due: String,
    pub done: bool,
    pub assignee: String,
}

pub struct QuoteView {
    pub number: String,
    pub status: String,
    pub line: String,
    pub valid_until: String,
}

#[derive(Template)]
#[template(path = "backoffice/leads/show.html", blocks = ["content"])]
pub struct LeadPage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub email: String,
    pub phone: String,
    pub postcode: String,
    pub tax_id: String,
    pub line: String,
    pub source: String,
    pub campaign: String,
    pub utm: Vec<(&'static str, String)>,
    pub landing: String,
    pub stage: &'static str,
    pub stage_label: &'static str,
    pub stage_class: &'static str,
    pub lost_reason: String,
    pub agent_id: String,
    pub agent: String,
    pub next_action: String,
    pub next_action_input: String,
    pub notes: String,
    pub created: String,
    pub first_contact: String,
    pub customer: Option<(i64, String)>,
    pub converted_at: String,
    pub moves: Vec<(&'static str, &'static str)>,
    pub can_convert: bool,
    pub agents: Vec<(String, String)>,
    pub channels: Vec<(String, String)>,
    pub submissions: Vec<SubmissionView>,
    pub consents: Vec<ConsentView>,
    pub tasks: Vec<TaskView>,
    pub quotes: Vec<QuoteView>,
    pub events: Vec<EventView>,
    pub stage_error: Option<String>,
    pub typed_reason: String,
    pub interaction_errors: FieldErrors,
    pub typed_channel: String,
    pub typed_summary: String,
    pub typed_next: String,
    pub assign_error: Option<String>,
}

async fn lead_page(
    ctx: PageContext,
    db: &Db,
    staff: &CurrentStaff,
    id: i64,
) -> Result<LeadPage, AppError> {
    let scope = scope_of(staff);
    let is_agent = staff.0.role() == Role::Agent;
    let (detail, submissions, consents, tasks, quotes, events, agents) = db
        .run(move |conn| {
            let detail = leads::get(conn, scope, id)?;
            let submissions = leads::submissions(conn, id)?;
            let consents = leads::consents(conn, id)?;
            let tasks = leads::tasks(conn, id)?;
            let quotes = leads::quotes(conn, id)?;
            let events = leads::events(conn, id)?;
            let agents = leads::agents(conn)?;
            Ok::<_, LeadError>((detail, submissions, consents, tasks, quotes, events, agents))
        })
        .await
        .map_err(fail)?;
    let lead = detail.lead;
    let stage = lead.stage();
    let utm = [
        ("utm_source", lead.utm_source.clone()),
        ("utm_medium", lead.utm_medium.clone()),
        ("utm_campaign", lead.utm_campaign.clone()),
        ("utm_term", lead.utm_term.clone()),
        ("utm_content", lead.utm_content.clone()),
        ("referrer", lead.referrer.clone()),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect();
    Ok(LeadPage {
        ctx,
        id: lead.id,
        name: lead.full_name.clone(),
        email: lead.email.clone().unwrap_or_default(),
        phone: lead.phone.clone().unwrap_or_default(),
        postcode: lead.postcode.clone().unwrap_or_default(),
        tax_id: lead.tax_id.clone().unwrap_or_default(),
        line: detail.line_name.unwrap_or_default(),
        source: leads::source_label(&lead.source).to_owned(),
        campaign: lead.campaign.clone().unwrap_or_default(),
        utm,
        landing: lead
            .landing_id
            .map(|l| format!("Landing n.º {l}"))
            .unwrap_or_default(),
        stage: stage.code(),
        stage_label: stage.label(),
        stage_class: stage.badge_class(),
        lost_reason: lead.lost_reason.clone().unwrap_or_default(),
        agent_id: lead
            .assigned_staff_id
            .map(|a| a.to_string())
            .unwrap_or_default(),
        agent: detail
            .agent_name
            .unwrap_or_else(|| "Sin asignar".to_owned()),
        next_action: lead.next_action_on.map(format::date).unwrap_or_default(),
        next_action_input: lead
            .next_action_on
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        notes: lead.notes.clone(),
        created: format::madrid_datetime(lead.created_at),
        first_contact: lead
            .first_contacted_at
            .map(format::madrid_datetime)
            .unwrap_or_default(),
        customer: lead.customer_id.zip(detail.customer_name),
        converted_at: lead
            .converted_at
            .map(format::madrid_datetime)
            .unwrap_or_default(),
        moves: stage
            .next(lead.is_converted())
            .into_iter()
            .map(|s| (s.code(), s.label()))
            .collect(),
        can_convert: stage == Stage::Won && !lead.is_converted(),
        agents: if is_agent {
            agents
                .into_iter()
                .map(|(id, name)| (id.to_string(), name))
                .collect()
        } else {
            id_options(agents, "Sin asignar")
        },
        channels: options(leads::CHANNELS, "Elija el tipo"),
        submissions: submissions.into_iter().map(SubmissionView::from).collect(),
        consents: consents
            .into_iter()
            .map(|c| ConsentView {
                purpose: customers::ConsentPurpose::parse(&c.purpose)
                    .map(|p| p.label())
                    .unwrap_or("Otro"),
                granted: c.granted,
                version: c.text_version,
                when: format::madrid_datetime(c.recorded_at),
                ip: c.ip.unwrap_or_default(),
            })
            .collect(),
        tasks: tasks
            .into_iter()
            .map(|t| TaskView {
                title: t.title,
                due: t.due_date.map(format::date).unwrap_or_default(),
                done: t.status == "done",
                assignee: t.assignee_name,
            })
            .collect(),
        quotes: quotes
            .into_iter()
            .map(|q| QuoteView {
                number: q.number,
                status: quote_status_label(&q.status).to_owned(),
                line: q.line_name,
                valid_until: format::date(q.valid_until),
            })
            .collect(),
        events: events.into_iter().map(EventView::from).collect(),
        stage_error: None,
        typed_reason: String::new(),
        interaction_errors: FieldErrors::new(),
        typed_channel: String::new(),
        typed_summary: String::new(),
        typed_next: String::new(),
        assign_error: None,
    })
}

fn quote_status_label(code: &str) -> &str {
    match code {
        "draft" => "borrador",
        "sent" => "enviado",
        "accepted" => "aceptado",
        "rejected" => "rechazado",
        "expired" => "caducado",
        other => other,
    }
}

/// GET /admin/leads/{id}
pub async fn show(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    page_or_partial!(lead_page(ctx, &db, &staff, path.into_inner()).await?)
}

#[derive(Debug, Deserialize)]
pub struct InteractionForm {
    #[serde(default)]
    tipo: String,
    #[serde(default)]
    resumen: String,
    #[serde(default)]
    proxima_accion: String,
}

/// POST /admin/leads/{id}/interacciones: a call, e-mail, WhatsApp, meeting or note, with an
/// optional next action date (which also gives the agent a task due that day).
pub async fn log_interaction(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<InteractionForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let form = form.into_inner();
    let mut errors = FieldErrors::new();
    let channel = form.tipo.trim().to_owned();
    if !leads::CHANNELS.iter().any(|(c, _)| *c == channel) {
        errors.add("tipo", LeadError::InvalidChannel.to_string());
    }
    let summary = form.resumen.trim().to_owned();
    if summary.is_empty() {
        errors.add("resumen", LeadError::SummaryRequired.to_string());
    } else if summary.chars().count() > leads::MAX_NOTE {
        errors.add("resumen", LeadError::NoteTooLong.to_string());
    }
    let next = parse_next_action(&form.proxima_accion, &mut errors);
    if errors.is_empty() {
        let by = actor(&staff, &meta);
        let result = db
            .transaction(move |conn| {
                leads::log_interaction(conn, scope, id, &channel, &summary, next, &by)
            })
            .await;
        match result {
            Ok(_) => {
                return Ok(flash::redirect(
                    &format!("/admin/leads/{id}"),
                    Flash::success("Interacción registrada."),
                ));
            }
            Err(
                error @ (LeadError::InvalidChannel
                | LeadError::SummaryRequired
                | LeadError::NoteTooLong),
            ) => {
                errors.add("resumen", error.to_string());
            }
            Err(other) => return Err(fail(other)),
        }
    }
    let mut page = lead_page(ctx, &db, &staff, id).await?;
    page.interaction_errors = errors;
    page.typed_channel = form.tipo;
    page.typed_summary = form.resumen;
    page.typed_next = form.proxima_accion;
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

fn parse_next_action(text: &str, errors: &mut FieldErrors) -> Option<NaiveDate> {
    if text.trim().is_empty() {
        return None;
    }
    match crate::web::form::parse_date(text) {
        Ok(day) if day < crate::leads::today() => {
            errors.add(
                "proxima_accion",
                "La próxima acción no puede ser anterior a hoy.",
            );
            None
        }
        Ok(day) => Some(day),
        Err(message) => {
            errors.add("proxima_accion", message);
            None
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct NextActionForm {
    #[serde(default)]
    proxima_accion: String,
}

/// POST /admin/leads/{id}/proxima-accion: sets or clears the next action date.
pub async fn set_next_action(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<NextActionForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let mut errors = FieldErrors::new();
    let day = parse_next_action(&form.proxima_accion, &mut errors);
    if !errors.is_empty() {
        let mut page = lead_page(ctx, &db, &staff, id).await?;
        page.interaction_errors = errors;
        page.typed_next = form.proxima_accion.clone();
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let by = actor(&staff, &meta);
    db.transaction(move |conn| leads::set_next_action(conn, scope, id, day, &by))
        .await
        .map_err(fail)?;
    Ok(flash::redirect(
        &format!("/admin/leads/{id}"),
        Flash::success(if day.is_some() {
            "Próxima acción guardada."
        } else {
            "Próxima acción borrada."
        }),
    ))
}

#[derive(Debug, Deserialize)]
pub struct AssignForm {
    #[serde(default)]
    agente: String,
}

/// POST /admin/leads/{id}/comercial: (re)assigns the lead. Supervisors and administrators
/// give any lead to anyone; an agent hands one of theirs to a colleague, after which it is no
/// longer theirs to see, so they go back to the board.
pub async fn assign(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<AssignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let handed_over = staff.0.role() == Role::Agent;
    let choice = form.agente.trim();
    let agent = if choice.is_empty() {
        Ok(None)
    } else {
        choice.parse::<i64>().map(Some)
    };
    let result = match agent {
        Err(_) => Err(LeadError::InvalidAgent),
        Ok(agent) => {
            let by = actor(&staff, &meta);
            db.transaction(move |conn| leads::assign(conn, scope, id, agent, &by))
                .await
        }
    };
    match result {
        Ok(lead) if handed_over && lead.assigned_staff_id != Some(staff.0.id) => {
            Ok(flash::redirect(
                "/admin/leads",
                Flash::success("Lead entregado a otro comercial."),
            ))
        }
        Ok(lead) => Ok(flash::redirect(
            &format!("/admin/leads/{id}"),
            Flash::success(if lead.assigned_staff_id.is_some() {
                "Comercial asignado."
            } else {
                "El lead queda sin comercial."
            }),
        )),
        Err(error @ LeadError::InvalidAgent) => {
            let mut page = lead_page(ctx, &db, &staff, id).await?;
            page.assign_error = Some(error.to_string());
            render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(other) => Err(fail(other)),
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion

#[derive(Template)]
#[template(path = "backoffice/leads/convert.html", blocks = ["content"])]
pub struct ConvertPage {
    pub ctx: PageContext,
    pub id: i64,
    pub name: String,
    pub form: CustomerForm,
    pub errors: FieldErrors,
    /// The customer with the lead's DNI or e-mail, offered for linking.
    pub existing: Option<(i64, String)>,
    pub error: Option<String>,
}

/// Splits "Ana García López" into given name and family names (first word, the rest): a
/// starting point the agent corrects on the form.
fn split_name(full: &str) -> (String, String) {
    let mut words = full.split_whitespace();
    let given = words.next().unwrap_or_default().to_owned();
    (given, words.collect::<Vec<_>>().join(" "))
}

async fn convert_page(
    ctx: PageContext,
    db: &Db,
    staff: &CurrentStaff,
    id: i64,
    form: Option<CustomerForm>,
) -> Result<Result<ConvertPage, HttpResponse>, AppError> {
    let scope = scope_of(staff);
    let (detail, existing) = db
        .run(move |conn| {
            let detail = leads::get(conn, scope, id)?;
            let existing = leads::customer_match(
                conn,
                detail.lead.tax_id.as_deref(),
                detail.lead.email.as_deref(),
            )?;
            Ok::<_, LeadError>((detail, existing))
        })
        .await
        .map_err(fail)?;
    let lead = detail.lead;
    if let Some(customer_id) = lead.customer_id {
        return Ok(Err(flash::redirect(
            &format!("/admin/clientes/{customer_id}"),
            Flash::info("Este lead ya es cliente."),
        )));
    }
    if lead.stage() != Stage::Won {
        return Ok(Err(flash::redirect(
            &format!("/admin/leads/{id}"),
            Flash::warning(LeadError::NotWon.to_string()),
        )));
    }
    let form = form.unwrap_or_else(|| {
        let (given, family) = split_name(&lead.full_name);
        CustomerForm {
            tipo: "person".to_owned(),
            nombre: given,
            apellidos: family,
            nif: lead.tax_id.clone().unwrap_or_default(),
            email: lead.email.clone().unwrap_or_default(),
            telefono: lead.phone.clone().unwrap_or_default(),
            codigo_postal: lead.postcode.clone().unwrap_or_default(),
            segmento: "individual".to_owned(),
            notas: lead.notes.clone(),
            ..CustomerForm::default()
        }
    });
    Ok(Ok(ConvertPage {
        ctx,
        id,
        name: lead.full_name,
        form,
        errors: FieldErrors::new(),
        existing,
        error: None,
    }))
}

/// GET /admin/leads/{id}/convertir: the customer form prefilled from the lead, and the
/// existing customer with the same DNI or e-mail when there is one.
pub async fn convert_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    match convert_page(ctx, &db, &staff, path.into_inner(), None).await? {
        Ok(page) => page_or_partial!(page),
        Err(redirect) => Ok(redirect),
    }
}

#[derive(Debug, Deserialize)]
pub struct ConvertForm {
    /// Set to link to this existing customer instead of creating one.
    #[serde(default)]
    cliente_existente: String,
    #[serde(flatten)]
    customer: CustomerForm,
}

/// POST /admin/leads/{id}/convertir: creates the customer (or links the existing one) in one
/// transaction. The lead row is locked, so a double submit converts once and both answers
/// lead to the same customer.
pub async fn convert(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: web::Form<ConvertForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let scope = scope_of(&staff);
    let form = form.into_inner();
    let target = if !form.cliente_existente.trim().is_empty() {
        match form.cliente_existente.trim().parse::<i64>() {
            Ok(customer_id) => Ok(ConvertTarget::Existing(customer_id)),
            Err(_) => return Err(AppError::NotFound),
        }
    } else {
        customers::validate(&form.customer).map(|valid| ConvertTarget::New(Box::new(valid)))
    };
    let target = match target {
        Ok(target) => target,
        Err(errors) => {
            return match convert_page(ctx, &db, &staff, id, Some(form.customer)).await? {
                Ok(mut page) => {
                    page.errors = errors;
                    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(redirect) => Ok(redirect),
            };
        }
    };
    let by = actor(&staff, &meta);
    let result = db
        .transaction(move |conn| leads::convert(conn, scope, id, target, &by))
        .await;
    match result {
        Ok(outcome) => {
            let message = match outcome {
                ConvertOutcome::Created(_) => "Lead convertido en cliente.",
                ConvertOutcome::Linked(_) => "Lead vinculado al cliente existente.",
                ConvertOutcome::Already(_) => "Este lead ya era cliente.",
            };
            Ok(flash::redirect(
                &format!("/admin/clientes/{}", outcome.customer_id()),
                Flash::success(message),
            ))
        }
        Err(error @ (LeadError::NotWon | LeadError::CustomerMismatch | LeadError::Customer(_))) => {
            match convert_page(ctx, &db, &staff, id, Some(form.customer)).await? {
                Ok(mut page) => {
                    page.error = Some(error.to_string());
                    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
                }
                Err(redirect) => Ok(redirect),
            }
        }
        Err(other) => Err(fail(other)),
    }
}

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

/// GET /admin/leads/informe?desde=&hasta=: leads by source, campaign and landing for a range
/// of days (this month so far by default).
pub async fn report(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let today = crate::leads::today();
    let month_start = today.with_day(1).unwrap_or(today);
    let mut errors = FieldErrors::new();
    let mut read = |text: &str, field: &'static str, default: NaiveDate| {
        if text.trim().is_empty() {
            return default;
        }
        crate::web::form::parse_date(text)
            .map_err(|message| errors.add(field, message))
            .unwrap_or(default)
    };
    let from = read(&query.desde, "desde", month_start);
    let to = read(&query.hasta, "hasta", today);
    if to < from {
        errors.add(
            "hasta",
            "La fecha final no puede ser anterior a la inicial.",
        );
    } else if to - from > Duration::days(366 * 3) {
        errors.add("hasta", "Elija un periodo de tres años como mucho.");
    }
    let (from, to) = if errors.is_empty() {
        (from, to)
    } else {
        (month_start, today)
    };
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
                            .map(|k| format!("Landing n.º {k}"))
                            .unwrap_or_else(|| "Sin landing".to_owned());
                        report_view(r, key)
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
