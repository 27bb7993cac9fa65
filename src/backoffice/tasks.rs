//! Task pages (`/admin/tareas`): "Mis tareas" with inline complete and reassign (htmx, with a
//! plain-form fallback), and the new task form, optionally about a record.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit::Actor;
use crate::auth::permissions::PortfolioScope;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::format;
use crate::listing::PageNumber;
use crate::tasks::{
    self, EntityType, GroupCounts, ListFilter, NewTask, Priority, TaskError, TaskRow,
};
use crate::validation::{self, FieldErrors};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::listing::Pager;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

use crate::time::today;
use crate::web::export::{self as download, Links as ExportLinks};

pub struct TaskView {
    pub id: i64,
    pub title: String,
    pub description: String,
    pub due: String,
    pub group_label: &'static str,
    pub group_class: &'static str,
    pub priority: &'static str,
    pub high: bool,
    pub done: bool,
    pub assignee_id: i64,
    pub assignee_name: String,
    pub entity_path: Option<String>,
    /// Not assigned to the one looking any more (just reassigned).
    pub elsewhere: bool,
}

impl TaskView {
    fn new(task: TaskRow, me: i64, today: NaiveDate) -> Self {
        let group = task.group(today);
        Self {
            id: task.id,
            due: task.due_date.map(format::date).unwrap_or_default(),
            group_label: group.label(),
            group_class: group.badge_class(),
            priority: task.priority().label(),
            high: task.priority() == Priority::High,
            done: task.is_done(),
            assignee_id: task.assignee_staff_id,
            elsewhere: task.assignee_staff_id != me,
            entity_path: task.entity_path(),
            title: task.title,
            description: task.description,
            assignee_name: task.assignee_name,
        }
    }
}

#[derive(Template)]
#[template(path = "backoffice/tasks/list.html", blocks = ["content"])]
pub struct TaskListPage {
    pub ctx: PageContext,
    pub filter: &'static str,
    pub filters: Vec<(&'static str, &'static str)>,
    pub tasks: Vec<TaskView>,
    pub counts: GroupCounts,
    pub assignees: Vec<(i64, String)>,
    pub pager: Pager,
    pub exports: ExportLinks,
    /// The task just created, shown above the list whatever page it falls on.
    pub created: Option<TaskView>,
}

/// One row, as htmx swaps it after completing or reassigning.
#[derive(Template)]
#[template(path = "backoffice/tasks/_row.html")]
pub struct TaskRowPartial {
    pub ctx: PageContext,
    pub task: TaskView,
    pub assignees: Vec<(i64, String)>,
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    estado: String,
    #[serde(default)]
    pagina: String,
    /// The id of a task just created (set by the redirect after "Nueva tarea").
    #[serde(default)]
    creada: String,
}

/// GET /admin/tareas: "Mis tareas".
pub async fn list(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let filter = ListFilter::parse(query.estado.trim()).unwrap_or(ListFilter::Open);
    let page = PageNumber::parse(&query.pagina);
    let me = staff.0.id;
    let today = today();
    let created_id = query.creada.trim().parse::<i64>().ok();
    let (list, assignees, created) = db
        .run(move |conn| {
            let list = tasks::assigned_to(conn, me, filter, page, today)?;
            let assignees = tasks::assignees(conn)?;
            let created = match created_id {
                Some(id) => tasks::row_seen_by(conn, id, me)?,
                None => None,
            };
            Ok::<_, DbError>((list, assignees, created))
        })
        .await?;
    crate::page_or_partial!(TaskListPage {
        ctx,
        filter: filter.code(),
        filters: [ListFilter::Open, ListFilter::Done, ListFilter::All]
            .into_iter()
            .map(|f| (f.code(), f.label()))
            .collect(),
        tasks: list
            .rows
            .into_iter()
            .map(|t| TaskView::new(t, me, today))
            .collect(),
        counts: list.counts,
        assignees,
        pager: Pager::numbered(
            page,
            list.more,
            "/admin/tareas",
            &[("estado", filter.code())]
        ),
        exports: ExportLinks::at("/admin/tareas/exportar", &[("estado", filter.code())]),
        created: created.map(|t| TaskView::new(t, me, today)),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ExportQuery {
    estado: String,
    formato: String,
}

/// GET /admin/tareas/exportar?estado=…&formato=csv|xlsx: the user's own tasks the list's
/// filter keeps, as a file, audited.
pub async fn export(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, AppError> {
    let format = download::format(&query.formato)?;
    let filter = ListFilter::parse(query.estado.trim()).unwrap_or(ListFilter::Open);
    let me = staff.0.id;
    let today = today();
    let export = download::Export {
        list: "tareas",
        sheet: "Tareas",
        stem: "tareas",
        headers: vec![
            "Tarea",
            "Descripción",
            "Vence",
            "Prioridad",
            "Estado",
            "Asignada a",
            "Completada el",
        ],
        filters: &[("estado", filter.code())],
    };
    download::respond(
        &db,
        Actor::new(&staff.0, &meta.ip, &meta.user_agent),
        format,
        export,
        move |conn, sink| tasks::export_assigned_to(conn, me, filter, today, sink),
        |task: TaskRow| {
            let priority = task.priority().label();
            let status = tasks::status_label(&task.status).unwrap_or("—");
            vec![
                task.title.into(),
                task.description.into(),
                task.due_date.into(),
                priority.into(),
                status.into(),
                task.assignee_name.into(),
                task.completed_at.map(crate::time::date_of).into(),
            ]
        },
    )
    .await
}

async fn changed(
    ctx: PageContext,
    db: &Db,
    me: i64,
    result: Result<TaskRow, TaskError>,
    message: &str,
    back_to_record: bool,
) -> Result<HttpResponse, AppError> {
    let task = result.map_err(AppError::from)?;
    if back_to_record && !ctx.htmx {
        // Completed from the page of its record (a claim): back there.
        if let Some(path) = task.entity_path() {
            return Ok(flash::redirect(&path, Flash::success(message)));
        }
    }
    if ctx.htmx {
        let assignees = db
            .run(|conn| tasks::assignees(conn).map_err(DbError::from))
            .await?;
        return render::html(&TaskRowPartial {
            ctx,
            task: TaskView::new(task, me, today()),
            assignees,
        });
    }
    Ok(flash::redirect("/admin/tareas", Flash::success(message)))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CompleteForm {
    /// `registro`: the form sits on the page of the task's record; go back there.
    volver: String,
}

/// POST /admin/tareas/{id}/completar
pub async fn complete(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    // htmx and older forms post no body at all: then there is no record to go back to.
    form: Option<web::Form<CompleteForm>>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let result = db
        .transaction(move |conn| tasks::complete(conn, id, &by))
        .await;
    let back_to_record = form.is_some_and(|f| f.volver == "registro");
    changed(
        ctx,
        &db,
        staff.0.id,
        result,
        "Tarea completada.",
        back_to_record,
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    responsable: String,
}

/// POST /admin/tareas/{id}/reasignar
pub async fn reassign(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<i64>,
    form: crate::web::form::StrictForm<ReassignForm>,
) -> Result<HttpResponse, AppError> {
    let id = path.into_inner();
    let Ok(to) = form.responsable.trim().parse::<i64>() else {
        return Err(AppError::BadRequest("responsable no válido".into()));
    };
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let result = db
        .transaction(move |conn| tasks::reassign(conn, id, to, &by))
        .await;
    if let Err(TaskError::InvalidAssignee) = result {
        return Err(AppError::BadRequest("responsable no válido".into()));
    }
    changed(ctx, &db, staff.0.id, result, "Tarea reasignada.", false).await
}

#[derive(Template)]
#[template(path = "backoffice/tasks/new.html", blocks = ["content"])]
pub struct NewTaskPage {
    pub ctx: PageContext,
    pub about: Option<(String, String)>,
    pub entidad: String,
    pub entidad_id: String,
    pub titulo: String,
    pub descripcion: String,
    pub vence: String,
    pub prioridad: String,
    pub responsable: String,
    pub priorities: Vec<(&'static str, &'static str)>,
    pub assignees: Vec<(String, String)>,
    pub errors: FieldErrors,
}

#[derive(Debug, Default, Deserialize)]
pub struct NewTaskQuery {
    #[serde(default)]
    entidad: String,
    #[serde(default)]
    id: String,
}

/// The record named by the form, checked within the scope: `Ok(None)` for none, 404 for one
/// that is not there.
async fn about(
    db: &Db,
    scope: PortfolioScope,
    kind: &str,
    id: &str,
) -> Result<Option<(EntityType, i64, String, String)>, AppError> {
    let kind = kind.trim();
    if kind.is_empty() {
        return Ok(None);
    }
    let (Some(kind), Ok(id)) = (EntityType::parse(kind), id.trim().parse::<i64>()) else {
        return Err(AppError::NotFound);
    };
    let found = db
        .run(move |conn| tasks::entity(conn, scope, kind, id).map_err(DbError::from))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Some((kind, id, found.label, kind.path(id))))
}

async fn new_task_page(
    ctx: PageContext,
    db: &Db,
    about: Option<(EntityType, i64, String, String)>,
    me: i64,
) -> Result<NewTaskPage, AppError> {
    let assignees = db
        .run(|conn| tasks::assignees(conn).map_err(DbError::from))
        .await?;
    Ok(NewTaskPage {
        ctx,
        entidad: about
            .as_ref()
            .map(|a| a.0.code().to_owned())
            .unwrap_or_default(),
        entidad_id: about.as_ref().map(|a| a.1.to_string()).unwrap_or_default(),
        about: about.map(|(_, _, label, path)| (label, path)),
        titulo: String::new(),
        descripcion: String::new(),
        vence: String::new(),
        prioridad: Priority::Normal.code().to_owned(),
        responsable: me.to_string(),
        priorities: Priority::ALL
            .iter()
            .map(|p| (p.code(), p.label()))
            .collect(),
        assignees: assignees
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        errors: FieldErrors::new(),
    })
}

/// GET /admin/tareas/nueva?entidad=claim&id=5
pub async fn new_form(
    ctx: PageContext,
    staff: CurrentStaff,
    db: web::Data<Db>,
    query: web::Query<NewTaskQuery>,
) -> Result<HttpResponse, AppError> {
    let scope = PortfolioScope::of(staff.0.id, staff.0.role());
    let about = about(&db, scope, &query.entidad, &query.id).await?;
    render::html(&new_task_page(ctx, &db, about, staff.0.id).await?)
}

#[derive(Debug, Deserialize)]
pub struct NewTaskForm {
    #[serde(default)]
    titulo: String,
    #[serde(default)]
    descripcion: String,
    #[serde(default)]
    vence: String,
    #[serde(default)]
    prioridad: String,
    #[serde(default)]
    responsable: String,
    #[serde(default)]
    entidad: String,
    #[serde(default)]
    entidad_id: String,
}

fn validate_task(
    form: &NewTaskForm,
    entity: Option<(EntityType, i64)>,
) -> Result<NewTask, FieldErrors> {
    let mut errors = FieldErrors::new();
    let title = form.titulo.trim();
    if title.is_empty() {
        errors.add("titulo", "Escriba el título.");
    } else if title.chars().count() > tasks::MAX_TITLE {
        errors.add("titulo", "El título no puede tener más de 200 caracteres.");
    }
    let description = form.descripcion.trim();
    if description.chars().count() > tasks::MAX_DESCRIPTION {
        errors.add(
            "descripcion",
            "La descripción no puede tener más de 4000 caracteres.",
        );
    }
    let due_date = if form.vence.trim().is_empty() {
        None
    } else {
        validation::parse_date(&form.vence)
            .map_err(|message| errors.add("vence", message))
            .ok()
    };
    let priority = Priority::parse(form.prioridad.trim());
    if priority.is_none() {
        errors.add("prioridad", "Elija la prioridad.");
    }
    let assignee = form.responsable.trim().parse::<i64>().ok();
    if assignee.is_none() {
        errors.add("responsable", "Elija un empleado en activo.");
    }
    match (priority, assignee) {
        (Some(priority), Some(assignee_staff_id)) if errors.is_empty() => Ok(NewTask {
            title: title.to_owned(),
            description: description.to_owned(),
            due_date,
            priority,
            assignee_staff_id,
            entity,
        }),
        _ => Err(errors),
    }
}

/// POST /admin/tareas
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: crate::web::form::StrictForm<NewTaskForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let scope = PortfolioScope::of(staff.0.id, staff.0.role());
    let about = about(&db, scope, &form.entidad, &form.entidad_id).await?;
    let entity = about.as_ref().map(|(kind, id, _, _)| (*kind, *id));
    let back = about
        .as_ref()
        .map(|(_, _, _, path)| path.clone())
        .unwrap_or_else(|| "/admin/tareas".to_owned());
    let errors = match validate_task(&form, entity) {
        Ok(task) => {
            let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
            let result = db
                .transaction(move |conn| tasks::create(conn, scope, &task, &by))
                .await;
            match result {
                Ok(id) => {
                    // Without a record to go back to, the list shows the new task on top:
                    // sorted by due date, it could fall on any page.
                    let back = if about.is_some() {
                        back
                    } else {
                        format!("/admin/tareas?creada={id}")
                    };
                    return Ok(flash::redirect(&back, Flash::success("Tarea creada.")));
                }
                Err(TaskError::InvalidAssignee) => {
                    let mut errors = FieldErrors::new();
                    errors.add("responsable", TaskError::InvalidAssignee.to_string());
                    errors
                }
                Err(other) => return Err(AppError::from(other)),
            }
        }
        Err(errors) => errors,
    };
    let mut page = new_task_page(ctx, &db, about, staff.0.id).await?;
    page.titulo = form.titulo;
    page.descripcion = form.descripcion;
    page.vence = form.vence;
    page.prioridad = form.prioridad;
    page.responsable = form.responsable;
    page.errors = errors;
    render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
