//! The e-mail templates of the automation rules (`/admin/automatizacion/plantillas`): list,
//! write a new one, save a new version of one (with its history), and preview a version
//! filled with a real record. Behind `ManageAutomation`. The rules of a template (placeholders,
//! sanitising, versions) are the domain's `automation::templates`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use askama::Template;
use base64::Engine;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::audit::Actor;
use crate::automation::placeholders::{self, Entity, UNSUBSCRIBE};
use crate::automation::templates::{
    self, Category, Rendered, SaveError, Saving, TemplateDraft, TemplateForm, TemplateVersion,
};
use crate::backoffice::CurrentStaff;
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::format::madrid_datetime;
use crate::validation::FieldErrors;
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::form::Form;
use crate::web::page::PageContext;
use crate::web::render;
use crate::web::request_meta::RequestMeta;

const LIST_PATH: &str = "/admin/automatizacion/plantillas";
/// The form's fields that may hold line breaks.
const MULTILINE: [&str; 3] = ["cuerpo_texto", "cuerpo_html", "nota"];

/// One template in the list: its newest version.
pub struct TemplateRow {
    pub key: String,
    pub name: String,
    pub entity: &'static str,
    pub category: &'static str,
    pub version: i32,
    pub changed_at: String,
    pub changed_by: String,
}

#[derive(Template)]
#[template(path = "backoffice/automation/templates_list.html", blocks = ["content"])]
pub struct TemplateListPage {
    pub ctx: PageContext,
    pub rows: Vec<TemplateRow>,
}

/// GET /admin/automatizacion/plantillas
pub async fn list(ctx: PageContext, db: web::Data<Db>) -> Result<HttpResponse, AppError> {
    let (list, authors) = db
        .run(|conn| {
            let list = templates::list_current(conn)?;
            let authors = templates::author_names(conn, &list)?;
            Ok::<_, DbError>((list, authors))
        })
        .await?;
    crate::page_or_partial!(TemplateListPage {
        ctx,
        rows: list
            .into_iter()
            .map(|t| TemplateRow {
                entity: t.entity.label(),
                category: t.category.label(),
                version: t.version,
                changed_at: madrid_datetime(t.created_at),
                changed_by: author(&authors, t.created_by_staff_id),
                key: t.key,
                name: t.name,
            })
            .collect(),
    })
}

fn author(names: &HashMap<i64, String>, id: Option<i64>) -> String {
    match id {
        None => "Sistema".to_owned(),
        Some(id) => names
            .get(&id)
            .cloned()
            .unwrap_or_else(|| "Empleado dado de baja".to_owned()),
    }
}

/// The placeholders of one kind of record, for the editor's help.
pub struct PlaceholderGroup {
    pub entity: &'static str,
    /// `({{name}}, description)`.
    pub items: Vec<(String, &'static str)>,
}

fn placeholder_group(entity: Entity) -> PlaceholderGroup {
    PlaceholderGroup {
        entity: entity.label(),
        items: placeholders::for_entity(entity)
            .into_iter()
            .map(|p| (templates::braced(p.name), p.description))
            .collect(),
    }
}

/// One saved version, in the history.
pub struct HistoryRow {
    pub version: i32,
    pub date: String,
    pub author: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "backoffice/automation/templates_form.html", blocks = ["content"])]
pub struct TemplateFormPage {
    pub ctx: PageContext,
    /// The saved name (the typed one may be wrong), or «Nueva plantilla».
    pub title: String,
    /// The template's key when editing; `None` on the «new template» form.
    pub key: Option<String>,
    /// What the form shows: «Versión 3, guardada el … por …».
    pub current: Option<String>,
    pub form: TemplateForm,
    pub errors: FieldErrors,
    pub entities: Vec<(&'static str, &'static str)>,
    pub categories: Vec<(&'static str, &'static str)>,
    pub placeholders: Vec<PlaceholderGroup>,
    /// `{{enlace_baja}}` and what it is, shown for commercial templates.
    pub unsubscribe: (String, &'static str),
    pub history: Vec<HistoryRow>,
}

impl TemplateFormPage {
    fn new(ctx: PageContext, form: TemplateForm, errors: FieldErrors) -> Self {
        Self {
            ctx,
            title: "Nueva plantilla".to_owned(),
            key: None,
            current: None,
            form,
            errors,
            entities: Entity::ALL.iter().map(|e| (e.code(), e.label())).collect(),
            categories: Category::ALL
                .iter()
                .map(|c| (c.code(), c.label()))
                .collect(),
            placeholders: Entity::ALL.into_iter().map(placeholder_group).collect(),
            unsubscribe: (templates::braced(UNSUBSCRIBE.name), UNSUBSCRIBE.description),
            history: Vec::new(),
        }
    }

    /// The page of an existing template: its newest version, its placeholders and history.
    fn editing(
        ctx: PageContext,
        versions: &[TemplateVersion],
        authors: &HashMap<i64, String>,
        form: TemplateForm,
        errors: FieldErrors,
    ) -> Result<Self, AppError> {
        let newest = versions.first().ok_or(AppError::NotFound)?;
        let mut page = Self::new(ctx, form, errors);
        page.key = Some(newest.key.clone());
        page.title = newest.name.clone();
        page.current = Some(format!(
            "Versión {} en uso, guardada el {} por {}.",
            newest.version,
            madrid_datetime(newest.created_at),
            author(authors, newest.created_by_staff_id)
        ));
        page.placeholders = vec![placeholder_group(newest.entity)];
        page.history = versions
            .iter()
            .map(|v| HistoryRow {
                version: v.version,
                date: madrid_datetime(v.created_at),
                author: author(authors, v.created_by_staff_id),
                note: v.change_note.clone(),
            })
            .collect();
        Ok(page)
    }

    pub fn html_help(&self) -> &'static str {
        "Se admiten párrafos, negrita, cursiva, títulos, listas, tablas sencillas y enlaces; lo demás (estilos, imágenes, scripts) se elimina al guardar. Un enlace puede llevar un marcador: <a href=\"{{enlace_portal}}\">e-SORI</a>. Al enviar se añaden la cabecera y el pie de Soriano Mediadores."
    }

    pub fn is_marketing(&self) -> bool {
        self.form.categoria == Category::Marketing.code()
    }
}

/// GET /admin/automatizacion/plantillas/nueva
pub async fn new_form(ctx: PageContext) -> Result<HttpResponse, AppError> {
    let form = TemplateForm {
        categoria: Category::Service.code().to_owned(),
        ..TemplateForm::default()
    };
    crate::page_or_partial!(TemplateFormPage::new(ctx, form, FieldErrors::new()))
}

/// The versions of `key` (newest first) and their authors; 404 for a key with none.
async fn history(
    db: &Db,
    key: String,
) -> Result<(Vec<TemplateVersion>, HashMap<i64, String>), AppError> {
    let (versions, authors) = db
        .run(move |conn| {
            let versions = templates::versions(conn, &key)?;
            let authors = templates::author_names(conn, &versions)?;
            Ok::<_, DbError>((versions, authors))
        })
        .await?;
    if versions.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok((versions, authors))
}

/// GET /admin/automatizacion/plantillas/{key}
pub async fn edit_form(
    ctx: PageContext,
    db: web::Data<Db>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let (versions, authors) = history(&db, path.into_inner()).await?;
    let form = TemplateForm::of(&versions[0]);
    crate::page_or_partial!(TemplateFormPage::editing(
        ctx,
        &versions,
        &authors,
        form,
        FieldErrors::new()
    )?)
}

/// Saves a checked form; the saved version, or the field errors to show again.
async fn save(
    staff: &CurrentStaff,
    meta: &RequestMeta,
    db: &Db,
    checked: Result<TemplateDraft, FieldErrors>,
    saving: Saving,
) -> Result<Result<TemplateVersion, FieldErrors>, AppError> {
    let draft = match checked {
        Ok(draft) => draft,
        Err(errors) => return Ok(Err(errors)),
    };
    let actor = Actor::new(&staff.0, &meta.ip, &meta.user_agent);
    let saved = db
        .transaction(
            move |conn| match templates::save_as(conn, draft, &actor, saving) {
                Ok(saved) => Ok(Ok(saved)),
                Err(SaveError::Invalid(errors)) => Ok(Err(errors)),
                Err(SaveError::Database(error)) => Err(DbError::from(error)),
            },
        )
        .await?;
    Ok(saved)
}

fn saved_redirect(saved: &TemplateVersion) -> HttpResponse {
    flash::redirect(
        &format!("{LIST_PATH}/{}", saved.key),
        Flash::success(format!(
            "Plantilla «{}» guardada: versión {}.",
            saved.name, saved.version
        )),
    )
}

/// POST /admin/automatizacion/plantillas
pub async fn create(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    form: Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let checked = form.validated(&MULTILINE, form.validate());
    let template = form.into_inner();
    match save(&staff, &meta, &db, checked, Saving::NewTemplate).await? {
        Ok(saved) => Ok(saved_redirect(&saved)),
        Err(errors) => render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &TemplateFormPage::new(ctx, template, errors),
        ),
    }
}

/// POST /admin/automatizacion/plantillas/{key}: a new version.
pub async fn update(
    ctx: PageContext,
    staff: CurrentStaff,
    meta: RequestMeta,
    db: web::Data<Db>,
    path: web::Path<String>,
    form: Form<TemplateForm>,
) -> Result<HttpResponse, AppError> {
    let key = path.into_inner();
    let (versions, authors) = history(&db, key.clone()).await?;
    let template = TemplateForm {
        clave: key,
        ..form.clone()
    };
    let checked = form.validated(&MULTILINE, template.validate());
    match save(&staff, &meta, &db, checked, Saving::Any).await? {
        Ok(saved) => Ok(saved_redirect(&saved)),
        Err(errors) => render::html_with_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &TemplateFormPage::editing(ctx, &versions, &authors, template, errors)?,
        ),
    }
}

#[derive(Debug, Deserialize)]
pub struct PreviewQuery {
    #[serde(default)]
    registro: String,
    #[serde(default)]
    version: String,
}

#[derive(Template)]
#[template(path = "backoffice/automation/templates_preview.html", blocks = ["content"])]
pub struct PreviewPage {
    pub ctx: PageContext,
    pub key: String,
    pub name: String,
    pub entity: &'static str,
    pub version: i32,
    /// Every version, newest first, for the selector.
    pub versions: Vec<i32>,
    /// The record's id as typed (or the one chosen when none was).
    pub record: String,
    pub rendered: Option<Rendered>,
    /// Why the template could not be filled, in Spanish.
    pub error: Option<String>,
    pub marketing: bool,
}

/// GET /admin/automatizacion/plantillas/{key}/vista-previa?registro=ID&version=N: the version
/// (the one in use by default) filled with a real record (the newest of its kind by default).
pub async fn preview(
    ctx: PageContext,
    db: web::Data<Db>,
    config: web::Data<Config>,
    path: web::Path<String>,
    query: web::Query<PreviewQuery>,
) -> Result<HttpResponse, AppError> {
    let (versions, _) = history(&db, path.into_inner()).await?;
    let wanted = query.version.trim();
    let chosen = if wanted.is_empty() {
        versions.first()
    } else {
        let number = wanted.parse::<i32>().ok();
        versions.iter().find(|v| Some(v.version) == number)
    }
    .cloned()
    .ok_or(AppError::NotFound)?;
    let typed = query.registro.trim().to_owned();
    let record = match typed.parse::<i64>() {
        _ if typed.is_empty() => Ok(None),
        Ok(id) if id > 0 => Ok(Some(id)),
        _ => Err("El registro se indica con su número interno (solo cifras).".to_owned()),
    };
    let base_url = config.base_url.clone();
    let template = chosen.clone();
    let preview = match record {
        Err(message) => templates::Preview {
            record: None,
            mail: Err(message),
        },
        Ok(record) => {
            db.run(move |conn| {
                templates::preview(conn, &template, record, &base_url).map_err(DbError::from)
            })
            .await?
        }
    };
    let (rendered, error) = match preview.mail {
        Ok(rendered) => (Some(rendered), None),
        Err(message) => (None, Some(message)),
    };
    let page = PreviewPage {
        ctx,
        name: chosen.name.clone(),
        entity: chosen.entity.label(),
        version: chosen.version,
        versions: versions.iter().map(|v| v.version).collect(),
        marketing: chosen.category.is_marketing(),
        key: chosen.key,
        record: preview.record.map_or(typed, |id| id.to_string()),
        rendered,
        error,
    };
    let mut response = if page.ctx.htmx {
        render::html(&page.as_content())?
    } else {
        render::html(&page)?
    };
    if let Ok(policy) = HeaderValue::from_str(&preview_policy()) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}

/// The site's policy, plus exactly the inline styles of the e-mail layout: the preview's
/// `<iframe srcdoc>` inherits this page's policy, and e-mail can only be styled inline. The
/// staff's HTML cannot bring styles of its own (the sanitiser removes them), and the frame is
/// sandboxed (no script, no same origin).
fn preview_policy() -> String {
    let hashes: Vec<String> = templates::LAYOUT_STYLES
        .iter()
        .map(|style| {
            let digest = Sha256::digest(style.as_bytes());
            format!(
                "'sha256-{}'",
                base64::engine::general_purpose::STANDARD.encode(digest)
            )
        })
        .collect();
    crate::web::headers::CONTENT_SECURITY_POLICY.replacen(
        "style-src 'self';",
        &format!("style-src 'self' 'unsafe-hashes' {};", hashes.join(" ")),
        1,
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_preview_policy_only_adds_the_layout_styles() {
        let policy = super::preview_policy();
        assert!(policy.contains("style-src 'self' 'unsafe-hashes' 'sha256-"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(policy.contains("frame-ancestors 'none'"));
    }
}
