//! The customer service department's register at `/admin/reclamaciones`: the open queue by
//! deadline, a complaint typed from a letter, e-mail or call, its page (assignment, internal
//! notes, the answer, a withdrawal, an escalation), the deadline settings and the annual
//! report (printable and as CSV/Excel). Behind `HandleComplaints`; the rules are the domain's
//! `complaints`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::complaints::form::{MULTILINE, Typist};
use crate::complaints::report::{self, AnnualReport, Tally};
use crate::complaints::{
    self, ChangeError, Channel, Clock, ComplaintForm, Detail, Escalation, Event, Filter, Kind,
    Outcome, Row, Settings, Status,
};
use crate::db::form_submissions::{self, Claimed};
use crate::db::{Db, DbError};
use crate::export::Cell;
use crate::format::{date, madrid_datetime};
use crate::listing::PageNumber;
use crate::validation::{FieldErrors, parse_date};
use crate::web::error::AppError;
use crate::web::export::{self as download, Links};
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/admin/reclamaciones";

fn actor(staff: &CurrentStaff, meta: &RequestMeta) -> Actor {
    Actor::new(&staff.0, &meta.ip, &meta.user_agent)
}

fn path_of(id: i64) -> String {
    format!("{PATH}/{id}")
}

/// A line of the register as the page shows it.
pub struct RowView {
    pub id: i64,
    pub reference: String,
    pub kind: &'static str,
    pub channel: &'static str,
    pub complainant: String,
    pub subject: String,
    pub received: String,
    pub due: String,
    pub state: String,
    pub state_class: &'static str,
    pub wants_human: bool,
    pub assigned: String,
}

impl RowView {
    fn new(row: Row, today: NaiveDate, warning_days: i32) -> Self {
        let (state, state_class) = match row.status {
            Status::Open => {
                let clock = Clock::of(today, row.due_on, warning_days);
                (clock.label(), clock.badge_class())
            }
            _ => (
                row.outcome
                    .map(Outcome::label)
                    .unwrap_or(row.status.label())
                    .to_owned(),
                "badge badge-muted",
            ),
        };
        Self {
            id: row.id,
            reference: row.reference,
            kind: row.kind.label(),
            channel: row.channel.label(),
            complainant: row.complainant_name,
            subject: row.subject,
            received: date(row.received_on),
            due: date(row.due_on),
            state,
            state_class,
            // Only while it is open: once answered, the request was met.
            wants_human: row.wants_human && row.status == Status::Open,
            assigned: row
                .assigned_name
                .unwrap_or_else(|| "Sin asignar".to_owned()),
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/complaints/list.html", blocks = ["content"])]
pub struct ListPage {
    pub ctx: PageContext,
    pub view: &'static str,
    pub views: Vec<(&'static str, &'static str)>,
    pub rows: Vec<RowView>,
    pub pager: Pager,
    pub settings: Settings,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    ver: String,
    pagina: String,
}

const VIEWS: [(&str, &str); 4] = [
    ("abiertas", "En trámite"),
    ("vencidas", "Vencidas"),
    ("mias", "Asignadas a mí"),
    ("todas", "Todas"),
];

/// GET /admin/reclamaciones
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let me = staff.0.id;
    let (view, filter) = match query.ver.as_str() {
        "vencidas" => ("vencidas", Filter::Overdue),
        "mias" => ("mias", Filter::AssignedTo(me)),
        "todas" => ("todas", Filter::All),
        _ => ("abiertas", Filter::Open),
    };
    let page = PageNumber::parse(&query.pagina);
    let today = crate::time::today();
    let (rows, settings) = db
        .run(move |conn| {
            Ok::<_, DbError>((
                complaints::list(conn, filter, today, page)?,
                complaints::settings(conn)?,
            ))
        })
        .await?;
    crate::page_or_partial!(ListPage {
        ctx,
        view,
        views: VIEWS.to_vec(),
        pager: Pager::of_numbered(&rows, PATH, &[("ver", view)]),
        rows: rows
            .rows
            .into_iter()
            .map(|row| RowView::new(row, today, settings.warning_days))
            .collect(),
        settings,
    })
}

#[derive(Template)]
#[template(path = "backoffice/complaints/new.html", blocks = ["content"])]
pub struct NewPage {
    pub ctx: PageContext,
    pub form: ComplaintForm,
    pub errors: FieldErrors,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub channels: Vec<(&'static str, &'static str)>,
}

fn new_page(ctx: PageContext, form: ComplaintForm, errors: FieldErrors) -> NewPage {
    let mut channels = vec![("", "Elija…")];
    channels.extend(Channel::BY_STAFF.iter().map(|c| (c.code(), c.label())));
    let mut kinds = vec![("", "Elija…")];
    kinds.extend(Kind::ALL.iter().map(|k| (k.code(), k.label())));
    NewPage {
        ctx,
        form,
        errors,
        kinds,
        channels,
    }
}

/// GET /admin/reclamaciones/nueva
pub async fn new_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    let form = ComplaintForm {
        token: form_submissions::new_token(),
        recibida: crate::time::today().format("%Y-%m-%d").to_string(),
        ..ComplaintForm::default()
    };
    crate::page_or_partial!(new_page(ctx, form, FieldErrors::new()))
}

/// POST /admin/reclamaciones
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<ComplaintForm>,
) -> Result<HttpResponse, AppError> {
    let today = crate::time::today();
    let checked = form.validated(&MULTILINE, form.validate(Typist::Staff, today));
    let typed = form.into_inner();
    let again = |ctx, typed, errors| {
        render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &new_page(ctx, typed, errors),
        )
    };
    let draft = match checked {
        Ok(draft) => draft,
        Err(errors) => return again(ctx, typed, errors),
    };
    if !form_submissions::is_well_formed(&typed.token) {
        return Err(AppError::BadRequest("Petición no válida.".into()));
    }
    let by = actor(&staff, &meta);
    let (token, policy) = (typed.token.clone(), typed.poliza.clone());
    let filed = db
        .transaction(move |conn| {
            // Checked before the token is claimed: the form comes back to be corrected and
            // sent again with the same token.
            if !policy.trim().is_empty() && complaints::policy_by_number(conn, &policy)?.is_none() {
                return Ok(Err(()));
            }
            if let Claimed::Repeated(previous) = form_submissions::claim(conn, &token)? {
                return Ok(Ok(previous.map(|(_, id)| id)));
            }
            match complaints::file_by_staff(conn, draft, &policy, &by, today)? {
                Some(filed) => {
                    form_submissions::attach(conn, &token, "complaint", filed.id)?;
                    Ok::<_, DbError>(Ok(Some(filed.id)))
                }
                None => Ok(Err(())),
            }
        })
        .await?;
    match filed {
        Ok(Some(id)) => Ok(flash::redirect(
            &path_of(id),
            Flash::success(
                "Reclamación registrada. Si dejó un correo, se le ha enviado el acuse de recibo con su número.",
            ),
        )),
        Ok(None) => Ok(flash::see_other(PATH)),
        Err(()) => {
            let mut errors = FieldErrors::new();
            errors.add("poliza", "No hay ninguna póliza con ese número.");
            again(ctx, typed, errors)
        }
    }
}

/// What the forms of a complaint's page hold (as typed, after an error).
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(default)]
pub struct ActionsForm {
    pub responsable: String,
    pub nota: String,
    pub respuesta: String,
    pub resultado: String,
    pub motivo: String,
    pub instancia: String,
    pub referencia: String,
    pub fecha: String,
}

#[derive(Template)]
#[template(path = "backoffice/complaints/show.html", blocks = ["content"])]
pub struct ShowPage {
    pub ctx: PageContext,
    pub detail: Detail,
    pub kind: &'static str,
    pub channel: &'static str,
    pub received: String,
    pub due: String,
    pub clock: Option<Clock>,
    pub closed: Option<String>,
    pub outcome: Option<&'static str>,
    pub escalation: Option<String>,
    pub events: Vec<(String, &'static str, String, String)>,
    pub handlers: Vec<(String, String)>,
    pub outcomes: Vec<(&'static str, &'static str)>,
    pub instances: Vec<(&'static str, &'static str)>,
    pub form: ActionsForm,
    pub errors: FieldErrors,
}

impl ShowPage {
    pub fn is_open(&self) -> bool {
        self.detail.complaint.status == Status::Open
    }
}

async fn show_page(
    ctx: PageContext,
    db: &Db,
    id: i64,
    form: ActionsForm,
    errors: FieldErrors,
) -> Result<ShowPage, AppError> {
    let (detail, events, handlers, settings) = db
        .run(move |conn| {
            let Some(detail) = complaints::find(conn, id)? else {
                return Ok::<_, DbError>(None);
            };
            Ok(Some((
                detail,
                complaints::events(conn, id)?,
                complaints::handlers(conn)?,
                complaints::settings(conn)?,
            )))
        })
        .await?
        .ok_or(AppError::NotFound)?;
    let c = &detail.complaint;
    let today = crate::time::today();
    let mut form = form;
    if form.responsable.is_empty() {
        form.responsable = c
            .assigned_staff_id
            .map(|id| id.to_string())
            .unwrap_or_default();
    }
    if form.fecha.is_empty() {
        form.fecha = today.format("%Y-%m-%d").to_string();
    }
    let mut handler_options = vec![(String::new(), "Sin asignar".to_owned())];
    handler_options.extend(
        handlers
            .into_iter()
            .map(|(id, name)| (id.to_string(), name)),
    );
    let mut outcomes = vec![("", "Elija…")];
    outcomes.extend(Outcome::OF_ANSWER.iter().map(|o| (o.code(), o.label())));
    let mut instances = vec![("", "Elija…")];
    instances.extend(Escalation::ALL.iter().map(|e| (e.code(), e.label())));
    Ok(ShowPage {
        kind: c.kind.label(),
        channel: c.channel.label(),
        received: date(c.received_on),
        due: date(c.due_on),
        clock: (c.status == Status::Open)
            .then(|| Clock::of(today, c.due_on, settings.warning_days)),
        closed: c.closed_at.map(madrid_datetime),
        outcome: c.outcome.map(Outcome::label),
        escalation: c.escalated_to.map(|to| {
            format!(
                "{}, referencia {}, desde el {}",
                to.label(),
                c.escalation_reference
                    .as_deref()
                    .unwrap_or("sin referencia"),
                c.escalated_on.map(date).unwrap_or_default()
            )
        }),
        events: events
            .into_iter()
            .map(|e: Event| {
                (
                    madrid_datetime(e.created_at),
                    e.label(),
                    e.staff_name.clone().unwrap_or_else(|| "—".to_owned()),
                    e.body,
                )
            })
            .collect(),
        handlers: handler_options,
        outcomes,
        instances,
        ctx,
        detail,
        form,
        errors,
    })
}

/// GET /admin/reclamaciones/{id}
pub async fn show(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let page = show_page(
        ctx,
        &db,
        path.into_inner(),
        ActionsForm::default(),
        FieldErrors::new(),
    )
    .await?;
    crate::page_or_partial!(page)
}

/// Runs `change` on the complaint and goes back to its page with `done`, or shows the page
/// again with the error next to `field`.
async fn act<F>(
    ctx: PageContext,
    db: &Db,
    id: i64,
    typed: ActionsForm,
    field: &'static str,
    done: &str,
    change: F,
) -> Result<HttpResponse, AppError>
where
    F: FnOnce(&mut diesel::PgConnection) -> Result<(), ChangeError> + Send + 'static,
{
    let outcome = db
        .transaction(move |conn| match change(conn) {
            Ok(()) => Ok(Ok(())),
            Err(ChangeError::Database(error)) => Err(error),
            Err(other) => Ok(Err(other)),
        })
        .await?;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &path_of(id),
            Flash::success(done.to_owned()),
        )),
        Err(ChangeError::NotFound) => Err(AppError::NotFound),
        Err(error) => {
            let mut errors = FieldErrors::new();
            errors.add(field, error.to_string());
            invalid(ctx, db, id, typed, errors).await
        }
    }
}

async fn invalid(
    ctx: PageContext,
    db: &Db,
    id: i64,
    typed: ActionsForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let page = show_page(ctx, db, id, typed, errors).await?;
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// POST /admin/reclamaciones/{id}/asignar
pub async fn assign(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ActionsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.refuse_bad_text(&[])?;
    let to = match typed.responsable.trim() {
        "" => None,
        text => match text.parse::<i64>() {
            Ok(staff) => Some(staff),
            Err(_) => {
                let mut errors = FieldErrors::new();
                errors.add("responsable", "Elija un empleado de la lista.");
                return invalid(ctx, &db, id, typed, errors).await;
            }
        },
    };
    let by = actor(&staff, &meta);
    act(
        ctx,
        &db,
        id,
        typed,
        "responsable",
        "Responsable guardado.",
        move |conn| complaints::assign(conn, id, to, &by),
    )
    .await
}

/// POST /admin/reclamaciones/{id}/notas
pub async fn note(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ActionsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.refuse_bad_text(&["nota"])?;
    let body = typed.nota.trim().to_owned();
    let mut errors = FieldErrors::new();
    if body.is_empty() {
        errors.add("nota", "Escriba la nota.");
    } else if body.chars().count() > 8000 {
        errors.add("nota", "Demasiado larga: como mucho 8000 caracteres.");
    }
    if !errors.is_empty() {
        return invalid(ctx, &db, id, typed, errors).await;
    }
    let by = actor(&staff, &meta);
    act(ctx, &db, id, typed, "nota", "Nota añadida.", move |conn| {
        complaints::add_note(conn, id, &body, &by)
    })
    .await
}

/// POST /admin/reclamaciones/{id}/respuesta
pub async fn answer(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ActionsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.refuse_bad_text(&["respuesta"])?;
    let text = typed.respuesta.trim().to_owned();
    let outcome = Outcome::parse(&typed.resultado).filter(|o| Outcome::OF_ANSWER.contains(o));
    let mut errors = FieldErrors::new();
    if text.chars().count() < 20 {
        errors.add(
            "respuesta",
            "Escriba una respuesta motivada: qué se ha comprobado y por qué se decide así.",
        );
    } else if text.chars().count() > 16000 {
        errors.add("respuesta", "Demasiado larga: como mucho 16000 caracteres.");
    }
    if outcome.is_none() {
        errors.add("resultado", "Elija el resultado.");
    }
    let Some(outcome) = outcome.filter(|_| errors.is_empty()) else {
        return invalid(ctx, &db, id, typed, errors).await;
    };
    let by = actor(&staff, &meta);
    act(
        ctx,
        &db,
        id,
        typed,
        "respuesta",
        "Respuesta enviada y reclamación cerrada.",
        move |conn| complaints::answer(conn, id, &text, outcome, &by),
    )
    .await
}

/// POST /admin/reclamaciones/{id}/desistimiento
pub async fn withdraw(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ActionsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.refuse_bad_text(&["motivo"])?;
    let reason = typed.motivo.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        let mut errors = FieldErrors::new();
        errors.add(
            "motivo",
            "Escriba cómo y cuándo desistió el cliente (hasta 2000 caracteres).",
        );
        return invalid(ctx, &db, id, typed, errors).await;
    }
    let by = actor(&staff, &meta);
    act(
        ctx,
        &db,
        id,
        typed,
        "motivo",
        "Desistimiento anotado y reclamación cerrada.",
        move |conn| complaints::withdraw(conn, id, &reason, &by),
    )
    .await
}

/// POST /admin/reclamaciones/{id}/instancia
pub async fn escalate(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: Form<ActionsForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let typed = form.refuse_bad_text(&[])?;
    let mut errors = FieldErrors::new();
    let to = Escalation::parse(&typed.instancia);
    if to.is_none() {
        errors.add("instancia", "Elija ante quién ha reclamado.");
    }
    let reference = typed.referencia.trim().to_owned();
    if reference.is_empty() || reference.chars().count() > 100 {
        errors.add(
            "referencia",
            "Escriba la referencia que le han dado (hasta 100 caracteres).",
        );
    }
    let today = crate::time::today();
    let on = match parse_date(&typed.fecha) {
        Ok(day) if day > today => {
            errors.add("fecha", "La fecha no puede ser futura.");
            None
        }
        Ok(day) => Some(day),
        Err(message) => {
            errors.add("fecha", message);
            None
        }
    };
    let Some((to, on)) = to.zip(on).filter(|_| errors.is_empty()) else {
        return invalid(ctx, &db, id, typed, errors).await;
    };
    let by = actor(&staff, &meta);
    act(
        ctx,
        &db,
        id,
        typed,
        "instancia",
        "Reclamación ante otra instancia anotada.",
        move |conn| complaints::escalate(conn, id, to, &reference, on, &by),
    )
    .await
}

#[derive(Template)]
#[template(path = "backoffice/complaints/settings.html", blocks = ["content"])]
pub struct SettingsPage {
    pub ctx: PageContext,
    pub plazo: String,
    pub aviso: String,
    pub errors: FieldErrors,
}

/// GET /admin/reclamaciones/plazos
pub async fn settings_form(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let settings = db
        .run(|conn| Ok::<_, DbError>(complaints::settings(conn)?))
        .await?;
    crate::page_or_partial!(SettingsPage {
        ctx,
        plazo: settings.deadline_days.to_string(),
        aviso: settings.warning_days.to_string(),
        errors: FieldErrors::new(),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    plazo: String,
    aviso: String,
}

/// POST /admin/reclamaciones/plazos
pub async fn save_settings(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<SettingsForm>,
) -> Result<HttpResponse, AppError> {
    let typed = form.refuse_bad_text(&[])?;
    let mut errors = FieldErrors::new();
    let number = |text: &str, range: std::ops::RangeInclusive<i32>| {
        text.trim()
            .parse::<i32>()
            .ok()
            .filter(|n| range.contains(n))
    };
    let deadline = number(&typed.plazo, 1..=60);
    if deadline.is_none() {
        errors.add("plazo", "Escriba un número de días hábiles entre 1 y 60.");
    }
    let warning = number(&typed.aviso, 0..=30);
    if warning.is_none() {
        errors.add("aviso", "Escriba un número de días hábiles entre 0 y 30.");
    }
    if let (Some(d), Some(w)) = (deadline, warning)
        && w >= d
    {
        errors.add("aviso", "El aviso debe llegar antes de que acabe el plazo.");
    }
    let Some((deadline_days, warning_days)) = deadline.zip(warning).filter(|_| errors.is_empty())
    else {
        return render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &SettingsPage {
                ctx,
                plazo: typed.plazo,
                aviso: typed.aviso,
                errors,
            },
        );
    };
    let by = actor(&staff, &meta);
    db.transaction(move |conn| {
        Ok::<_, DbError>(complaints::save_settings(
            conn,
            Settings {
                deadline_days,
                warning_days,
            },
            &by,
        )?)
    })
    .await?;
    Ok(flash::redirect(
        PATH,
        Flash::success("Plazos guardados. Las reclamaciones ya recibidas conservan su plazo."),
    ))
}

#[derive(Template)]
#[template(path = "backoffice/complaints/report.html", blocks = ["content"])]
pub struct ReportPage {
    pub ctx: PageContext,
    pub report: AnnualReport,
    /// The breakdowns, titled.
    pub sections: Vec<(&'static str, Vec<Tally>)>,
    pub years: Vec<i32>,
    pub average: String,
    pub longest: String,
    pub exports: Links,
    pub broker: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ReportQuery {
    anio: String,
    formato: String,
}

fn year_of(query: &ReportQuery) -> i32 {
    use chrono::Datelike;
    let this_year = crate::time::today().year();
    query
        .anio
        .trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2000..=this_year).contains(y))
        .unwrap_or(this_year)
}

/// GET /admin/reclamaciones/informe?anio=2026
pub async fn annual_report(
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<crate::config::Config>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let year = year_of(&query);
    let today = crate::time::today();
    let (report, years) = db
        .run(move |conn| {
            Ok::<_, DbError>((report::annual(conn, year)?, report::years(conn, today)?))
        })
        .await?;
    let broker = &config.broker;
    crate::page_or_partial!(ReportPage {
        ctx,
        average: report
            .average_days
            .map(|d| format!("{} días hábiles", format!("{d:.1}").replace('.', ",")))
            .unwrap_or_else(|| "—".to_owned()),
        longest: report
            .longest_days
            .map(|d| format!("{d} días hábiles"))
            .unwrap_or_else(|| "—".to_owned()),
        exports: Links::at(
            &format!("{PATH}/informe/exportar"),
            &[("anio", &year.to_string())]
        ),
        broker: format!("{} (CIF {})", broker.name, broker.tax_id),
        sections: vec![
            ("Por tipo", report.by_kind.clone()),
            ("Por canal", report.by_channel.clone()),
            ("Por ramo", report.by_line.clone()),
            ("Por aseguradora", report.by_carrier.clone()),
        ],
        report,
        years,
    })
}

/// GET /admin/reclamaciones/informe/exportar?anio=2026&formato=csv|xlsx: every breakdown of
/// the report, one row per line of it.
pub async fn export_report(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let year = year_of(&query);
    let by = actor(&staff, &meta);
    let export = download::Export {
        list: "informe anual del servicio de atención al cliente",
        sheet: "Informe anual",
        stem: "informe-anual-reclamaciones",
        headers: vec![
            "Año",
            "Desglose",
            "Concepto",
            "Total",
            "A favor del cliente",
            "En parte",
            "Desestimadas",
            "Desistidas",
            "En trámite",
        ],
        filters: &[],
    };
    download::respond(
        &db,
        by,
        format,
        export,
        move |conn, sink| {
            let report = report::annual(conn, year)?;
            let mut rows = vec![("Total", report.total.clone())];
            let groups = [
                ("Tipo", &report.by_kind),
                ("Canal", &report.by_channel),
                ("Ramo", &report.by_line),
                ("Aseguradora", &report.by_carrier),
            ];
            for (group, tallies) in groups {
                rows.extend(tallies.iter().map(|t| (group, t.clone())));
            }
            let count = rows.len() as i64;
            for row in rows {
                sink(row)?;
            }
            Ok(count)
        },
        move |(group, tally): (&'static str, Tally)| {
            vec![
                Cell::Int(i64::from(year)),
                Cell::from(group.to_owned()),
                Cell::from(tally.label),
                Cell::Int(tally.total),
                Cell::Int(tally.in_favour),
                Cell::Int(tally.partly),
                Cell::Int(tally.against),
                Cell::Int(tally.withdrawn),
                Cell::Int(tally.open),
            ]
        },
    )
    .await
}
