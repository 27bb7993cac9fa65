//! The retention schedule (`/admin/privacidad/conservacion`): each category's period, changed
//! in one form, the latest purges with what each removed, and a button to purge now. Behind
//! `ManagePrivacy`. The rules and the purge are the domain's `retention`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::audit::Actor;
use crate::backoffice::CurrentStaff;
use crate::db::{Db, DbError};
use crate::format::{madrid_datetime, thousands};
use crate::retention::purge::{self, BLOCKED_DESTROYED, PastRun};
use crate::retention::{self, Category, Rule};
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const PATH: &str = "/admin/privacidad/conservacion";
/// Past purges shown under the schedule.
const RUNS_SHOWN: i64 = 10;

/// One category of the schedule as the form shows it.
pub struct RuleRow {
    pub field: String,
    pub label: &'static str,
    pub treatment: &'static str,
    /// The typed value (kept when the form comes back with errors).
    pub days: String,
    pub changed: String,
}

/// One past purge.
pub struct RunRow {
    pub when: String,
    pub how: String,
    /// «Sesiones abiertas: 12», one per category that removed something.
    pub removed: Vec<String>,
    pub total: String,
}

#[derive(Template)]
#[template(path = "backoffice/privacy/retention.html", blocks = ["content"])]
pub struct RetentionPage {
    pub ctx: PageContext,
    pub rules: Vec<RuleRow>,
    pub errors: FieldErrors,
    pub runs: Vec<RunRow>,
    pub nightly_at: String,
}

fn rule_rows(rules: &[Rule], typed: Option<&HashMap<String, String>>) -> Vec<RuleRow> {
    rules
        .iter()
        .map(|rule| {
            let field = format!("dias_{}", rule.category.code());
            let days = typed
                .and_then(|t| t.get(&field).cloned())
                .unwrap_or_else(|| rule.period_days.to_string());
            RuleRow {
                label: rule.category.label(),
                treatment: rule.category.treatment(),
                days,
                changed: match &rule.updated_by {
                    Some(name) => format!(
                        "Cambiado el {} por {name}.",
                        madrid_datetime(rule.updated_at)
                    ),
                    None => "Plazo inicial de la aplicación.".to_owned(),
                },
                field,
            }
        })
        .collect()
}

fn category_label(code: &str) -> &'static str {
    if code == BLOCKED_DESTROYED {
        return "Datos bloqueados destruidos al acabar su plazo legal";
    }
    Category::parse(code).map_or("Otros datos", Category::label)
}

fn run_row(run: &PastRun) -> RunRow {
    let total: usize = run.removed.values().sum();
    RunRow {
        when: madrid_datetime(run.started_at),
        how: match (run.trigger.as_str(), &run.started_by, run.finished_at) {
            (_, _, None) => "Sin terminar (se completará en la próxima purga)".to_owned(),
            ("nightly", _, _) => "Purga nocturna".to_owned(),
            (_, Some(name), _) => format!("A mano, por {name}"),
            _ => "A mano".to_owned(),
        },
        removed: run
            .removed
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(code, n)| format!("{}: {}", category_label(code), thousands(*n as i64)))
            .collect(),
        total: thousands(total as i64),
    }
}

async fn page(
    ctx: PageContext,
    db: &Db,
    typed: Option<HashMap<String, String>>,
    errors: FieldErrors,
) -> Result<RetentionPage, AppError> {
    let (rules, runs) = db
        .run(|conn| {
            Ok::<_, DbError>((
                retention::rules(conn)?,
                purge::recent_runs(conn, RUNS_SHOWN)?,
            ))
        })
        .await?;
    Ok(RetentionPage {
        ctx,
        rules: rule_rows(&rules, typed.as_ref()),
        errors,
        runs: runs.iter().map(run_row).collect(),
        nightly_at: purge::NIGHTLY_AT.format("%H:%M").to_string(),
    })
}

/// GET /admin/privacidad/conservacion
pub async fn show(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    crate::page_or_partial!(page(ctx, &db, None, FieldErrors::new()).await?)
}

/// POST /admin/privacidad/conservacion: the periods, all in one form.
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<HashMap<String, String>>,
) -> Result<HttpResponse, AppError> {
    let mut errors = form.text_errors(&[]);
    let typed = form.into_inner();
    let mut periods = Vec::new();
    for category in Category::ALL {
        let field = format!("dias_{}", category.code());
        let value = typed.get(&field).map(String::as_str).unwrap_or("");
        if errors.has(&field) {
            continue;
        }
        if let Some(days) = retention::parse_period(category, value, &mut errors) {
            periods.push((category, days));
        }
    }
    if !errors.is_empty() {
        let page = page(ctx, &db, Some(typed), errors).await?;
        return render::html_with_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let changed = db
        .transaction(move |conn| Ok::<_, DbError>(retention::update(conn, &periods, &by)?))
        .await?;
    let message = match changed {
        0 => "No ha cambiado ningún plazo.".to_owned(),
        1 => "Plazo de conservación guardado.".to_owned(),
        n => format!("{n} plazos de conservación guardados."),
    };
    Ok(flash::redirect(PATH, Flash::success(message)))
}

/// POST /admin/privacidad/conservacion/purgar: the purge, now.
pub async fn purge_now(
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
) -> Result<HttpResponse, AppError> {
    let by = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let report = db
        .run(move |conn| {
            purge::run(conn, chrono::Utc::now(), &by).map_err(|e| DbError::other(format!("{e:#}")))
        })
        .await?;
    let message = match report.total() {
        0 => "Purga hecha: no había nada fuera de plazo.".to_owned(),
        n => format!(
            "Purga hecha: {} registros fuera de plazo borrados o anonimizados.",
            thousands(n as i64)
        ),
    };
    Ok(flash::redirect(PATH, Flash::success(message)))
}
