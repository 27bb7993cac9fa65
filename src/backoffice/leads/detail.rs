//! "Nuevo lead" and the lead's page with its interactions, next action and agent.

use super::*;

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
    form: crate::web::form::StrictForm<LeadForm>,
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
                Err(other) => return Err(AppError::from(other)),
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

/// The campaign parameters (utm_source, utm_medium, utm_campaign, utm_term, utm_content) and
/// the referrer, by their Spanish names; the ones not sent are left out.
fn tracking(values: [Option<String>; 6]) -> Vec<(&'static str, String)> {
    const LABELS: [&str; 6] = [
        "Fuente de la campaña",
        "Medio de la campaña",
        "Nombre de la campaña",
        "Término de la campaña",
        "Contenido de la campaña",
        "Página de procedencia",
    ];
    LABELS
        .into_iter()
        .zip(values)
        .filter_map(|(label, value)| value.map(|value| (label, value)))
        .collect()
}

pub struct SubmissionView {
    pub when: String,
    /// (label, value) of every field sent.
    pub fields: Vec<(String, String)>,
    pub utm: Vec<(&'static str, String)>,
    pub landing: String,
    pub ip: String,
}

impl From<leads::submission::ReadableSubmission> for SubmissionView {
    fn from(submission: leads::submission::ReadableSubmission) -> Self {
        let row = submission.row;
        let utm = tracking([
            row.utm_source,
            row.utm_medium,
            row.utm_campaign,
            row.utm_term,
            row.utm_content,
            row.referrer,
        ]);
        Self {
            when: format::madrid_datetime(row.created_at),
            fields: submission.fields,
            utm,
            landing: submission.landing,
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
    pub text: Option<String>,
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
    pub duplicate: Option<DuplicateView>,
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

pub(super) async fn lead_page(
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
            let submissions = leads::submission::readable_submissions(conn, id)?;
            let consents = leads::consents(conn, id)?;
            let tasks = leads::tasks(conn, id)?;
            let quotes = leads::quotes(conn, id)?;
            let events = leads::events(conn, id)?;
            let agents = leads::agents(conn)?;
            Ok::<_, LeadError>((detail, submissions, consents, tasks, quotes, events, agents))
        })
        .await
        .map_err(AppError::from)?;
    let lead = detail.lead;
    let stage = lead.stage();
    let utm = tracking([
        lead.utm_source.clone(),
        lead.utm_medium.clone(),
        lead.utm_campaign.clone(),
        lead.utm_term.clone(),
        lead.utm_content.clone(),
        lead.referrer.clone(),
    ]);
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
        duplicate: detail.duplicate_of.map(DuplicateView::of),
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
                text: c.text,
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
    form: crate::web::form::StrictForm<InteractionForm>,
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
            Err(other) => return Err(AppError::from(other)),
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
    match crate::validation::parse_date(text) {
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
    form: crate::web::form::StrictForm<NextActionForm>,
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
        .map_err(AppError::from)?;
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
    form: crate::web::form::StrictForm<AssignForm>,
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
        Err(other) => Err(AppError::from(other)),
    }
}
